/* test-nn-torch.c — every op's forward (and backward) against PyTorch values
 * dumped by tests/reference/nn_fixtures.py.
 *
 * Tolerance: max |c − torch| ≤ TOL · max |torch| over the tensor, TOL = 1e-5
 * (float32 ops summing ≤ a few hundred terms). Gradients from torch autograd
 * of sum(out ⊙ g) are compared the same way. */
#include "nn/bx-nn.h"
#include "bx-test-npy.h"

#include <math.h>
#include <string.h>

#define TOL 1e-5

static BxTestArray *
load (const char *case_name, const char *name)
{
  g_autofree char *n = g_strdup_printf ("%s_%s", case_name, name);
  return bx_test_npy_load (n);
}

static void
assert_close (const char *what, const float *got, const BxTestArray *ref, double tol)
{
  double max_ref = 0.0, max_err = 0.0;
  gsize worst = 0;
  for (gsize i = 0; i < ref->numel; i++)
    {
      max_ref = MAX (max_ref, fabs (ref->data[i]));
      double e = fabs ((double) got[i] - ref->data[i]);
      g_assert_false (isnan (got[i]));
      if (e > max_err)
        {
          max_err = e;
          worst = i;
        }
    }
  double rel = max_err / MAX (max_ref, 1e-30);
  if (rel > tol)
    g_error ("%s: max error %.3g relative to max|ref| %.3g = %.3g > %.1g (element %zu: got %.8g want %.8g)", what,
             max_err, max_ref, rel, tol, worst, got[worst], ref->data[worst]);
}

static float *
zeros (gsize n)
{
  return g_new0 (float, MAX (n, 1));
}

static void
test_linear (void)
{
  g_autoptr (BxTestArray) x = load ("linear", "x"), w = load ("linear", "w"), b = load ("linear", "b");
  g_autoptr (BxTestArray) out = load ("linear", "out"), g = load ("linear", "g");
  g_autoptr (BxTestArray) dx = load ("linear", "d_x"), dw = load ("linear", "d_w"), db = load ("linear", "d_b");
  g_autofree float *y = zeros (out->numel), *gx = zeros (x->numel), *gw = zeros (w->numel), *gb = zeros (b->numel);
  bx_linear_forward (y, x->data, w->data, b->data, 5, 7, 4);
  assert_close ("linear out", y, out, TOL);
  bx_linear_backward (gx, gw, gb, g->data, x->data, w->data, 5, 7, 4);
  assert_close ("linear d_x", gx, dx, TOL);
  assert_close ("linear d_w", gw, dw, TOL);
  assert_close ("linear d_b", gb, db, TOL);
}

/* Runs one conv case: x (B, C_in, rows, L), w (C_out, C_in/g, [1,] K). */
static void
check_conv (const char *c, BxConv1dShape s, gboolean has_bias)
{
  g_autoptr (BxTestArray) x = load (c, "x"), w = load (c, "w"), out = load (c, "out"), g = load (c, "g");
  g_autoptr (BxTestArray) dx = load (c, "d_x"), dw = load (c, "d_w");
  g_autoptr (BxTestArray) b = has_bias ? load (c, "b") : NULL;
  g_autoptr (BxTestArray) db = has_bias ? load (c, "d_b") : NULL;
  g_assert_cmpint ((gsize) s.batch * s.out_channels * MAX (s.rows, 1) * bx_conv1d_out_length (&s), ==, out->numel);
  g_autofree float *ws = zeros (bx_conv1d_workspace_floats (&s));
  g_autofree float *y = zeros (out->numel), *gx = zeros (x->numel), *gw = zeros (w->numel);
  g_autofree float *gb = zeros (s.out_channels);
  bx_conv1d_forward (y, x->data, w->data, has_bias ? b->data : NULL, &s, ws);
  g_autofree char *what = g_strdup_printf ("%s out", c);
  assert_close (what, y, out, TOL);
  bx_conv1d_backward (gx, gw, has_bias ? gb : NULL, g->data, x->data, w->data, &s, ws);
  assert_close ("conv d_x", gx, dx, TOL);
  assert_close ("conv d_w", gw, dw, TOL);
  if (has_bias)
    assert_close ("conv d_b", gb, db, TOL);
}

static void
test_conv (void)
{
  for (int L = 11; L <= 12; L++)
    {
      BxConv1dShape s = { .batch = 2, .in_channels = 3, .out_channels = 4, .in_length = L, .kernel = 3, .stride = 2 };
      bx_conv1d_same_padding (L, 3, 2, &s.pad_left, &s.pad_right);
      g_assert_cmpint (s.pad_left, ==, L % 2);  /* spec §3.3: (0,1) even, (1,1) odd */
      g_assert_cmpint (s.pad_right, ==, 1);
      g_autofree char *c = g_strdup_printf ("conv_same%d", L);
      check_conv (c, s, TRUE);
    }
  check_conv ("conv_strided",
              (BxConv1dShape) { .batch = 2, .in_channels = 1, .out_channels = 6, .in_length = 30, .kernel = 10,
                                .stride = 4 },
              FALSE);
  check_conv ("conv_grouped",
              (BxConv1dShape) { .batch = 2, .in_channels = 4, .out_channels = 6, .in_length = 9, .kernel = 4,
                                .pad_left = 2, .pad_right = 1, .groups = 2 },
              TRUE);
  check_conv ("conv_pointwise",
              (BxConv1dShape) { .batch = 2, .in_channels = 5, .out_channels = 3, .in_length = 7, .kernel = 1 }, TRUE);
  check_conv ("conv_1x15",
              (BxConv1dShape) { .batch = 2, .in_channels = 1, .out_channels = 8, .rows = 3, .in_length = 40,
                                .kernel = 15, .stride = 8, .pad_left = 7, .pad_right = 7 },
              TRUE);
  check_conv ("conv_1x3",
              (BxConv1dShape) { .batch = 2, .in_channels = 8, .out_channels = 8, .rows = 3, .in_length = 5,
                                .kernel = 3, .pad_left = 1, .pad_right = 1 },
              TRUE);
}

static void
test_weight_norm (void)
{
  g_autoptr (BxTestArray) v = load ("weight_norm", "v"), g = load ("weight_norm", "g");
  g_autoptr (BxTestArray) out = load ("weight_norm", "out");
  g_autofree float *w = zeros (v->numel);
  int shape[3] = { 6, 4, 5 };
  bx_weight_norm_forward (w, g->data, v->data, shape, 3, 2);
  assert_close ("weight_norm dim 2", w, out, TOL);

  g_autoptr (BxTestArray) v0 = load ("weight_norm0", "v"), g0 = load ("weight_norm0", "g");
  g_autoptr (BxTestArray) out0 = load ("weight_norm0", "out");
  g_autofree float *w0 = zeros (v0->numel);
  int shape0[3] = { 3, 2, 4 };
  bx_weight_norm_forward (w0, g0->data, v0->data, shape0, 3, 0);
  assert_close ("weight_norm dim 0", w0, out0, TOL);
}

static void
test_patch_conv (void)
{
  const char *c = "patch_conv";
  g_autoptr (BxTestArray) x = load (c, "x"), w = load (c, "w"), b = load (c, "b"), out = load (c, "out");
  g_autoptr (BxTestArray) g = load (c, "g"), dx = load (c, "d_x"), dw = load (c, "d_w"), db = load (c, "d_b");
  g_autofree float *ws = zeros (bx_patch_conv2d_workspace_floats (3, 19, 11, 9, 5));
  g_autofree float *y = zeros (out->numel), *gx = zeros (x->numel), *gw = zeros (w->numel), *gb = zeros (6);
  bx_patch_conv2d_forward (y, x->data, w->data, b->data, 2, 3, 19, 11, 9, 5, 6, ws);
  assert_close ("patch_conv out", y, out, TOL);
  bx_patch_conv2d_backward (gx, gw, gb, g->data, x->data, w->data, 2, 3, 19, 11, 9, 5, 6, ws);
  assert_close ("patch_conv d_x", gx, dx, TOL);
  assert_close ("patch_conv d_w", gw, dw, TOL);
  assert_close ("patch_conv d_b", gb, db, TOL);
}

static void
check_group_norm (const char *c, int B, int C, int S, int G)
{
  g_autoptr (BxTestArray) x = load (c, "x"), ga = load (c, "gamma"), be = load (c, "beta"), out = load (c, "out");
  g_autoptr (BxTestArray) g = load (c, "g"), dx = load (c, "d_x"), dga = load (c, "d_gamma"),
                          dbe = load (c, "d_beta");
  g_autofree float *y = zeros (out->numel), *mean = zeros (B * G), *rstd = zeros (B * G);
  g_autofree float *gx = zeros (x->numel), *gga = zeros (C), *gbe = zeros (C);
  bx_group_norm_forward (y, mean, rstd, x->data, ga->data, be->data, B, C, S, G, 1e-5f);
  assert_close ("group_norm out", y, out, TOL);
  bx_group_norm_backward (gx, gga, gbe, g->data, x->data, mean, rstd, ga->data, B, C, S, G);
  assert_close ("group_norm d_x", gx, dx, TOL);
  assert_close ("group_norm d_gamma", gga, dga, TOL);
  assert_close ("group_norm d_beta", gbe, dbe, TOL);
}

static void
test_group_norm (void)
{
  check_group_norm ("group_norm4", 2, 8, 15, 4);
  check_group_norm ("group_norm_pc", 2, 6, 7, 6);
}

static void
test_layer_norm (void)
{
  const char *c = "layer_norm";
  g_autoptr (BxTestArray) x = load (c, "x"), ga = load (c, "gamma"), be = load (c, "beta"), out = load (c, "out");
  g_autoptr (BxTestArray) g = load (c, "g"), dx = load (c, "d_x"), dga = load (c, "d_gamma"),
                          dbe = load (c, "d_beta");
  g_autofree float *y = zeros (out->numel), *mean = zeros (6), *rstd = zeros (6);
  g_autofree float *gx = zeros (x->numel), *gga = zeros (20), *gbe = zeros (20);
  bx_layer_norm_forward (y, mean, rstd, x->data, ga->data, be->data, 6, 20, 1e-6f);
  assert_close ("layer_norm out", y, out, TOL);
  bx_layer_norm_backward (gx, gga, gbe, g->data, x->data, mean, rstd, ga->data, 6, 20);
  assert_close ("layer_norm d_x", gx, dx, TOL);
  assert_close ("layer_norm d_gamma", gga, dga, TOL);
  assert_close ("layer_norm d_beta", gbe, dbe, TOL);
  /* in place */
  memcpy (y, x->data, sizeof (float) * x->numel);
  bx_layer_norm_forward (y, NULL, NULL, y, ga->data, be->data, 6, 20, 1e-6f);
  assert_close ("layer_norm in place", y, out, TOL);
}

static void
test_batch_norm (void)
{
  const char *c = "batch_norm";
  g_autoptr (BxTestArray) x = load (c, "x"), mean = load (c, "mean"), var = load (c, "var"), ga = load (c, "gamma");
  g_autoptr (BxTestArray) be = load (c, "beta"), out = load (c, "out"), g = load (c, "g"), dx = load (c, "d_x");
  g_autoptr (BxTestArray) dga = load (c, "d_gamma"), dbe = load (c, "d_beta");
  g_autofree float *y = zeros (out->numel), *gx = zeros (x->numel), *gga = zeros (4), *gbe = zeros (4);
  bx_batch_norm_eval_forward (y, x->data, mean->data, var->data, ga->data, be->data, 2, 4, 9, 1e-5f);
  assert_close ("batch_norm out", y, out, TOL);
  bx_batch_norm_eval_backward (gx, gga, gbe, g->data, x->data, mean->data, var->data, ga->data, 2, 4, 9, 1e-5f);
  assert_close ("batch_norm d_x", gx, dx, TOL);
  assert_close ("batch_norm d_gamma", gga, dga, TOL);
  assert_close ("batch_norm d_beta", gbe, dbe, TOL);
}

static void
test_batch_norm_train (void)
{
  const char *c = "batch_norm_train";
  g_autoptr (BxTestArray) x = load (c, "x"), ga = load (c, "gamma"), be = load (c, "beta"), out = load (c, "out");
  g_autoptr (BxTestArray) g = load (c, "g"), dx = load (c, "d_x"), dga = load (c, "d_gamma"), dbe = load (c, "d_beta");
  g_autoptr (BxTestArray) rm_in = load (c, "running_mean_in"), rv_in = load (c, "running_var_in");
  g_autoptr (BxTestArray) rm_out = load (c, "running_mean_out"), rv_out = load (c, "running_var_out");
  g_autofree float *y = zeros (out->numel), *gx = zeros (x->numel), *gga = zeros (4), *gbe = zeros (4);
  g_autofree float *mean = zeros (4), *rstd = zeros (4);
  g_autofree float *rm = g_memdup2 (rm_in->data, 16), *rv = g_memdup2 (rv_in->data, 16);
  bx_batch_norm_train_forward (y, mean, rstd, x->data, rm, rv, ga->data, be->data, 3, 4, 6, 1e-5f, 0.1f);
  assert_close ("batch_norm_train out", y, out, TOL);
  assert_close ("batch_norm_train running_mean", rm, rm_out, TOL);
  assert_close ("batch_norm_train running_var", rv, rv_out, TOL);
  bx_batch_norm_train_backward (gx, gga, gbe, g->data, x->data, mean, rstd, ga->data, 3, 4, 6);
  assert_close ("batch_norm_train d_x", gx, dx, TOL);
  assert_close ("batch_norm_train d_gamma", gga, dga, TOL);
  assert_close ("batch_norm_train d_beta", gbe, dbe, TOL);
}

static void
test_activations (void)
{
  g_autoptr (BxTestArray) x = load ("gelu", "x"), out = load ("gelu", "out"), g = load ("gelu", "g");
  g_autoptr (BxTestArray) dx = load ("gelu", "d_x");
  g_autofree float *y = zeros (x->numel), *gx = zeros (x->numel);
  bx_gelu_forward (y, x->data, x->numel);
  assert_close ("gelu out", y, out, TOL);
  /* Element-wise relative accuracy against double-precision erfc, also in the
   * far left tail where x·Φ(x) is tiny (torch's float erf rounds it to 0
   * below x ≈ −5.7, so this part is not compared with torch). */
  for (gsize i = 0; i < x->numel; i++)
    {
      double xi = x->data[i], exact = 0.5 * xi * erfc (-xi / sqrt (2.0));
      g_assert_cmpfloat (fabs (y[i] - exact), <=, 1e-5 * fabs (exact) + 1e-37);
    }
  bx_gelu_backward (gx, g->data, x->data, x->numel);
  assert_close ("gelu d_x", gx, dx, TOL);

  g_autoptr (BxTestArray) rx = load ("relu", "x"), rout = load ("relu", "out"), rg = load ("relu", "g");
  g_autoptr (BxTestArray) rdx = load ("relu", "d_x");
  g_autofree float *ry = zeros (rx->numel), *rgx = zeros (rx->numel);
  bx_relu_forward (ry, rx->data, rx->numel);
  assert_close ("relu out", ry, rout, 0.0);
  bx_relu_backward (rgx, rg->data, rx->data, rx->numel);
  assert_close ("relu d_x", rgx, rdx, 0.0);

  g_autoptr (BxTestArray) sx = load ("softmax", "x"), sout = load ("softmax", "out"), sg = load ("softmax", "g");
  g_autoptr (BxTestArray) sdx = load ("softmax", "d_x");
  g_autofree float *sy = zeros (sx->numel), *sgx = zeros (sx->numel);
  bx_softmax_forward (sy, sx->data, 4, 9);
  assert_close ("softmax out", sy, sout, TOL);
  bx_softmax_backward (sgx, sg->data, sy, 4, 9);
  assert_close ("softmax d_x", sgx, sdx, TOL);
}

static void
test_attention (void)
{
  const char *c = "attention";
  g_autoptr (BxTestArray) q = load (c, "q"), k = load (c, "k"), v = load (c, "v"), out = load (c, "out");
  g_autoptr (BxTestArray) g = load (c, "g"), dq = load (c, "d_q"), dk = load (c, "d_k"), dv = load (c, "d_v");
  int B = 2, T = 5, H = 3, dh = 4;
  g_autofree float *ws = zeros (bx_attention_workspace_floats (T));
  g_autofree float *probs = zeros (B * H * T * T), *y = zeros (out->numel), *y2 = zeros (out->numel);
  g_autofree float *gq = zeros (q->numel), *gk = zeros (k->numel), *gv = zeros (v->numel);
  bx_attention_forward (y, probs, q->data, k->data, v->data, B, T, H, dh, 0.5f, ws);
  assert_close ("attention out", y, out, TOL);
  bx_attention_forward (y2, NULL, q->data, k->data, v->data, B, T, H, dh, 0.5f, ws);
  assert_close ("attention out (no stored probs)", y2, out, TOL);
  bx_attention_backward (gq, gk, gv, g->data, probs, q->data, k->data, v->data, B, T, H, dh, 0.5f, ws);
  assert_close ("attention d_q", gq, dq, TOL);
  assert_close ("attention d_k", gk, dk, TOL);
  assert_close ("attention d_v", gv, dv, TOL);
}

static void
test_shape_ops (void)
{
  for (int L = 7; L <= 8; L++)
    {
      g_autofree char *c = g_strdup_printf ("maxpool%d", L);
      g_autoptr (BxTestArray) x = load (c, "x"), out = load (c, "out"), g = load (c, "g"), dx = load (c, "d_x");
      g_assert_cmpuint (out->shape[1], ==, (L + 1) / 2);
      g_autofree float *y = zeros (out->numel), *gx = zeros (x->numel);
      bx_maxpool2_forward (y, x->data, 3, L);
      assert_close (c, y, out, 0.0);
      bx_maxpool2_backward (gx, g->data, x->data, 3, L);
      assert_close ("maxpool d_x", gx, dx, 0.0);
    }
  {
    g_autoptr (BxTestArray) x = load ("channel_pad", "x"), out = load ("channel_pad", "out");
    g_autoptr (BxTestArray) g = load ("channel_pad", "g"), dx = load ("channel_pad", "d_x");
    g_autofree float *y = zeros (out->numel), *gx = zeros (x->numel);
    bx_channel_pad_forward (y, x->data, 2, 3, 8, 4);
    assert_close ("channel_pad", y, out, 0.0);
    bx_channel_pad_backward (gx, g->data, 2, 3, 8, 4);
    assert_close ("channel_pad d_x", gx, dx, 0.0);
  }
  {
    g_autoptr (BxTestArray) x = load ("mean_pool", "x"), out = load ("mean_pool", "out");
    g_autoptr (BxTestArray) g = load ("mean_pool", "g"), dx = load ("mean_pool", "d_x");
    g_autofree float *y = zeros (out->numel), *gx = zeros (x->numel);
    bx_mean_pool_forward (y, x->data, 2, 6, 5, 1, 6);
    assert_close ("mean_pool", y, out, TOL);
    bx_mean_pool_backward (gx, g->data, 2, 6, 5, 1, 6);
    assert_close ("mean_pool d_x", gx, dx, TOL);
  }
  {
    g_autoptr (BxTestArray) x = load ("permute", "x"), out = load ("permute", "out");
    g_autoptr (BxTestArray) g = load ("permute", "g"), dx = load ("permute", "d_x");
    g_autofree float *y = zeros (out->numel), *gx = zeros (x->numel), *t = zeros (x->numel);
    int shape[4] = { 2, 3, 4, 5 }, perm[4] = { 0, 2, 3, 1 };
    bx_permute_forward (y, x->data, shape, perm, 4);
    assert_close ("permute", y, out, 0.0);
    bx_permute_backward (gx, g->data, shape, perm, 4);
    assert_close ("permute d_x", gx, dx, 0.0);
    /* (0,2,3,1) on (2,3,4,5) is a batched transpose of (3, 20) */
    bx_transpose_forward (t, x->data, 2, 3, 20);
    assert_close ("transpose", t, out, 0.0);
    memset (gx, 0, sizeof (float) * x->numel);
    bx_transpose_backward (gx, g->data, 2, 3, 20);
    assert_close ("transpose d_x", gx, dx, 0.0);
  }
}

static void
test_losses (void)
{
  g_autoptr (BxTestArray) logits = load ("cross_entropy", "logits"), tg = load ("cross_entropy", "targets");
  g_autoptr (BxTestArray) w = load ("cross_entropy", "weights"), out = load ("cross_entropy", "out");
  g_autoptr (BxTestArray) dl = load ("cross_entropy", "d_logits");
  int targets[6];
  for (int i = 0; i < 6; i++)
    targets[i] = (int) tg->data[i];
  g_autofree float *probs = zeros (18), *gl = zeros (18);
  float loss = bx_cross_entropy_forward (probs, logits->data, targets, w->data, 6, 3);
  assert_close ("cross_entropy loss", &loss, out, TOL);
  bx_cross_entropy_backward (gl, probs, targets, w->data, 6, 3, 1.0f);
  assert_close ("cross_entropy d_logits", gl, dl, TOL);

  g_autoptr (BxTestArray) a = load ("cosine", "a"), b = load ("cosine", "b"), cout = load ("cosine", "out");
  g_autoptr (BxTestArray) da = load ("cosine", "d_a"), db = load ("cosine", "d_b");
  g_autofree float *ga = zeros (28), *gb = zeros (28);
  float closs = bx_cosine_embedding_loss_forward (a->data, b->data, 4, 7);
  assert_close ("cosine loss", &closs, cout, TOL);
  bx_cosine_embedding_loss_backward (ga, gb, a->data, b->data, 4, 7, 1.0f);
  assert_close ("cosine d_a", ga, da, TOL);
  assert_close ("cosine d_b", gb, db, TOL);
}

static void
test_adam (void)
{
  const char *cases[2] = { "adam", "adamw" };
  for (int c = 0; c < 2; c++)
    {
      g_autoptr (BxTestArray) p0 = load (cases[c], "p0"), grads = load (cases[c], "grads");
      g_autoptr (BxTestArray) out = load (cases[c], "out");
      BxAdamConfig cfg = bx_adam_config_default (c == 1);
      cfg.lr = 0.01f;
      cfg.weight_decay = 0.1f;
      g_autoptr (BxAdamState) st = bx_adam_state_new (10);
      g_autofree float *p = g_memdup2 (p0->data, sizeof (float) * 10);
      g_autofree float *trace = zeros (30);
      for (int s = 0; s < 3; s++)
        {
          bx_adam_step (p, grads->data + s * 10, st, &cfg);
          memcpy (trace + s * 10, p, sizeof (float) * 10);
        }
      g_assert_cmpint (st->step, ==, 3);
      assert_close (cases[c], trace, out, TOL);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  bx_nn_set_threads (2);
  g_test_add_func ("/nn/torch/linear", test_linear);
  g_test_add_func ("/nn/torch/conv", test_conv);
  g_test_add_func ("/nn/torch/weight-norm", test_weight_norm);
  g_test_add_func ("/nn/torch/patch-conv", test_patch_conv);
  g_test_add_func ("/nn/torch/group-norm", test_group_norm);
  g_test_add_func ("/nn/torch/layer-norm", test_layer_norm);
  g_test_add_func ("/nn/torch/batch-norm", test_batch_norm);
  g_test_add_func ("/nn/torch/batch-norm-train", test_batch_norm_train);
  g_test_add_func ("/nn/torch/activations", test_activations);
  g_test_add_func ("/nn/torch/attention", test_attention);
  g_test_add_func ("/nn/torch/shape-ops", test_shape_ops);
  g_test_add_func ("/nn/torch/losses", test_losses);
  g_test_add_func ("/nn/torch/adam", test_adam);
  return g_test_run ();
}
