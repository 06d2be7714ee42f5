/* test-nn-conv.c — the fused conv1d forward (bx-conv-fused.c) against a
 * direct double-precision convolution written out here, over the shapes
 * that pick each of its paths: tiles inside long items (GEMM into the
 * output), tiles across short items (scattered by the epilogue, tile edges
 * inside items), SAME/asymmetric padding, strides, groups, rows; input
 * BatchNorm + ReLU, output BatchNorm/bias + ReLU/GELU, residuals with a
 * channel offset and with PaPaGei's zero-padded max-pool (odd and even
 * lengths). Results must not depend on the thread count. */
#include "nn/bx-nn.h"

#include <math.h>
#include <string.h>

typedef struct {
  const char *name;
  BxConv1dShape s;
  gboolean bias, in_bn, in_relu, out_bn;
  BxConvAct out_act;
  int res_channels, res_offset; /* 0: no residual */
  int res_pool_len;             /* > 0: max-pooled residual of this length (2·Lo or 2·Lo − 1) */
} ConvCase;

static guint32 rng_state = 12345;

static float
urand (void)
{
  rng_state = rng_state * 1664525u + 1013904223u;
  return (float) (rng_state >> 8) / 16777216.0f * 2.0f - 1.0f; /* [−1, 1) */
}

static float *
rand_floats (size_t n, float lo, float hi)
{
  float *x = g_new (float, n);
  for (size_t i = 0; i < n; i++)
    x[i] = lo + (hi - lo) * (urand () + 1.0f) * 0.5f;
  return x;
}

static double
act (BxConvAct a, double v)
{
  if (a == BX_CONV_ACT_RELU)
    return v > 0 ? v : 0;
  if (a == BX_CONV_ACT_GELU)
    return 0.5 * v * (1.0 + erf (v / sqrt (2.0)));
  return v;
}

static void
check_case (const ConvCase *c)
{
  const BxConv1dShape *s = &c->s;
  int rows = MAX (s->rows, 1), G = MAX (s->groups, 1), st = MAX (s->stride, 1);
  int Lo = bx_conv1d_out_length (s), N = rows * Lo, cin_g = s->in_channels / G, cout_g = s->out_channels / G;
  size_t n_in = (size_t) s->batch * s->in_channels * rows * s->in_length;
  size_t n_out = (size_t) s->batch * s->out_channels * N;
  size_t n_w = (size_t) s->out_channels * cin_g * s->kernel;
  int res_len = c->res_pool_len > 0 ? c->res_pool_len : N;
  size_t n_res = (size_t) s->batch * MAX (c->res_channels, 1) * res_len;
  g_autofree float *x = rand_floats (n_in, -1.0f, 1.0f), *w = rand_floats (n_w, -0.5f, 0.5f);
  g_autofree float *b = rand_floats (s->out_channels, -0.5f, 0.5f);
  g_autofree float *isc = rand_floats (s->in_channels, 0.5f, 1.5f), *ish = rand_floats (s->in_channels, -0.3f, 0.3f);
  g_autofree float *osc = rand_floats (s->out_channels, 0.5f, 1.5f), *osh = rand_floats (s->out_channels, -0.3f, 0.3f);
  g_autofree float *res = rand_floats (n_res, -1.0f, 1.0f);
  g_autofree float *ws = g_new (float, bx_conv1d_workspace_floats (s));
  g_autofree double *ref = g_new0 (double, n_out);
  g_autofree float *y1 = g_new (float, n_out), *y2 = g_new (float, n_out), *y3 = g_new (float, n_out);
  BxConv1dFused f = { .in_scale = c->in_bn ? isc : NULL, .in_shift = c->in_bn ? ish : NULL,
                      .in_act = c->in_relu ? BX_CONV_ACT_RELU : BX_CONV_ACT_NONE,
                      .out_scale = c->out_bn ? osc : NULL, .out_shift = c->out_bn ? osh : NULL,
                      .out_act = c->out_act, .residual = c->res_channels > 0 ? res : NULL,
                      .residual_channels = c->res_channels, .residual_offset = c->res_offset,
                      .residual_pool_length = c->res_pool_len };
  double max_ref = 0, max_err = 0;

  for (int bi = 0; bi < s->batch; bi++)
    for (int o = 0; o < s->out_channels; o++)
      for (int r = 0; r < rows; r++)
        for (int t = 0; t < Lo; t++)
          {
            int g = o / cout_g;
            double acc = 0;
            for (int ci = 0; ci < cin_g; ci++)
              for (int k = 0; k < s->kernel; k++)
                {
                  int c_in = g * cin_g + ci, u = t * st + k - s->pad_left;
                  double v;
                  if (u < 0 || u >= s->in_length)
                    continue; /* zero padding, after the input ops */
                  v = x[(((size_t) bi * s->in_channels + c_in) * rows + r) * s->in_length + u];
                  if (c->in_bn)
                    v = (double) isc[c_in] * v + ish[c_in];
                  if (c->in_relu)
                    v = v > 0 ? v : 0;
                  acc += v * w[((size_t) o * cin_g + ci) * s->kernel + k];
                }
            if (c->bias)
              acc += b[o];
            if (c->out_bn)
              acc = (double) osc[o] * acc + osh[o];
            acc = act (c->out_act, acc);
            if (c->res_channels > 0 && o - c->res_offset >= 0 && o - c->res_offset < c->res_channels)
              {
                const float *rr = res + ((size_t) bi * c->res_channels + (o - c->res_offset)) * res_len;
                if (c->res_pool_len > 0)
                  {
                    double p = rr[2 * t], q = 2 * t + 1 < res_len ? rr[2 * t + 1] : 0.0;
                    acc += MAX (p, q);
                  }
                else
                  acc += rr[r * Lo + t];
              }
            ref[(((size_t) bi * s->out_channels + o) * rows + r) * Lo + t] = acc;
          }

  bx_nn_set_threads (1);
  bx_conv1d_forward_fused (y1, x, w, c->bias ? b : NULL, s, &f, ws);
  bx_nn_set_threads (2);
  bx_conv1d_forward_fused (y2, x, w, c->bias ? b : NULL, s, &f, ws);
  bx_nn_set_threads (3);
  bx_conv1d_forward_fused (y3, x, w, c->bias ? b : NULL, s, &f, ws);
  bx_nn_set_threads (1);
  for (size_t i = 0; i < n_out; i++)
    {
      max_ref = MAX (max_ref, fabs (ref[i]));
      max_err = MAX (max_err, fabs (ref[i] - y1[i]));
    }
  if (g_test_verbose ())
    g_printerr ("%s: %zu outputs, max |ref| %.3g, max err %.3g\n", c->name, n_out, max_ref, max_err);
  g_assert_cmpfloat (max_ref, >, 0.1);
  /* float32 sums of up to 1536 products of O(1) terms */
  g_assert_cmpfloat (max_err, <=, 2e-6 * max_ref * sqrt ((double) cin_g * s->kernel));
  g_assert_cmpmem (y1, n_out * sizeof (float), y2, n_out * sizeof (float));
  g_assert_cmpmem (y1, n_out * sizeof (float), y3, n_out * sizeof (float));

  /* no fused ops: bx_conv1d_forward is the same function */
  if (!c->in_bn && !c->in_relu && !c->out_bn && c->out_act == BX_CONV_ACT_NONE && c->res_channels == 0)
    {
      bx_conv1d_forward (y2, x, w, c->bias ? b : NULL, s, ws);
      g_assert_cmpmem (y1, n_out * sizeof (float), y2, n_out * sizeof (float));
    }
}

static void
test_fused (gconstpointer data)
{
  check_case (data);
}

static void
test_bn_affine (void)
{
  const float mean[2] = { 0.5f, -1.0f }, var[2] = { 4.0f, 0.25f }, gamma[2] = { 2.0f, 1.0f }, beta[2] = { 0.1f, 0.0f };
  const float x[2] = { 1.5f, -2.0f };
  float scale[2], shift[2], y[2];

  bx_batch_norm_eval_affine (scale, shift, mean, var, gamma, beta, 2, 0.0f);
  bx_batch_norm_eval_forward (y, x, mean, var, gamma, beta, 1, 2, 1, 0.0f);
  for (int c = 0; c < 2; c++)
    g_assert_cmpfloat_with_epsilon (scale[c] * x[c] + shift[c], y[c], 1e-6);
  g_assert_cmpfloat_with_epsilon (scale[0], 1.0, 1e-7);
  g_assert_cmpfloat_with_epsilon (shift[0], 0.1 - 0.5, 1e-7);
}

int
main (int argc, char **argv)
{
  static ConvCase cases[] = {
    /* PaPaGei stem: K3 SAME, BN + ReLU epilogue; items of 500 columns cut into tiles */
    { "stem", { 4, 1, 32, 1, 500, 3, 1, 1, 1, 1 }, TRUE, FALSE, FALSE, TRUE, BX_CONV_ACT_RELU, 0, 0, 0 },
    /* conv1 of a later block: BN1 + ReLU on the input, BN2 + ReLU out */
    { "pre-activation", { 3, 16, 16, 1, 37, 3, 1, 1, 1, 1 }, TRUE, TRUE, TRUE, TRUE, BX_CONV_ACT_RELU, 0, 0, 0 },
    /* conv1, stride 2, SAME on even and odd lengths */
    { "pre-act s2 even", { 3, 8, 8, 1, 40, 3, 2, 0, 1, 1 }, TRUE, TRUE, TRUE, TRUE, BX_CONV_ACT_RELU, 0, 0, 0 },
    { "pre-act s2 odd", { 3, 8, 8, 1, 41, 3, 2, 1, 1, 1 }, TRUE, TRUE, TRUE, TRUE, BX_CONV_ACT_RELU, 0, 0, 0 },
    /* conv2 + identity, channels zero-padded into the middle (6 → 10: offset 2) */
    { "residual channel pad", { 2, 10, 10, 1, 23, 3, 1, 1, 1, 1 }, TRUE, FALSE, FALSE, FALSE, BX_CONV_ACT_NONE, 6, 2, 0 },
    /* conv2 of a downsampling block + max-pooled identity of the block input (length 2·Lo or 2·Lo − 1) */
    { "residual pool even", { 2, 8, 8, 1, 10, 3, 1, 1, 1, 1 }, TRUE, FALSE, FALSE, FALSE, BX_CONV_ACT_NONE, 8, 0, 20 },
    { "residual pool odd", { 2, 8, 8, 1, 11, 3, 1, 1, 1, 1 }, TRUE, FALSE, FALSE, FALSE, BX_CONV_ACT_NONE, 8, 0, 21 },
    /* HuBERT-ECG extractor: k10 s4 unpadded, no bias, GELU; k2 s2 (stride = kernel) */
    { "k10 s4 gelu", { 3, 1, 24, 1, 203, 10, 4, 0, 0, 1 }, FALSE, FALSE, FALSE, FALSE, BX_CONV_ACT_GELU, 0, 0, 0 },
    { "k2 s2 gelu", { 3, 24, 24, 1, 51, 2, 2, 0, 0, 1 }, FALSE, FALSE, FALSE, FALSE, BX_CONV_ACT_GELU, 0, 0, 0 },
    /* positional conv: grouped, even kernel with SamePad's (K/2, K/2 − 1), bias + GELU */
    { "grouped pos conv", { 2, 32, 32, 1, 19, 16, 1, 8, 7, 4 }, TRUE, FALSE, FALSE, FALSE, BX_CONV_ACT_GELU, 0, 0, 0 },
    /* rows (LaBraM's 1×k conv2d), grouped, asymmetric pad, plain */
    { "rows grouped plain", { 2, 4, 6, 3, 17, 5, 2, 3, 1, 2 }, TRUE, FALSE, FALSE, FALSE, BX_CONV_ACT_NONE, 0, 0, 0 },
    /* short items merged into 3 tiles whose edges fall inside items (Kc 1536, cout 8, 100 × 5 columns) */
    { "tiles across items", { 100, 512, 8, 1, 5, 3, 1, 1, 1, 1 }, TRUE, TRUE, TRUE, TRUE, BX_CONV_ACT_RELU, 8, 0, 0 },
    { "tiles across items plain", { 100, 512, 8, 1, 5, 3, 1, 1, 1, 1 }, FALSE, FALSE, FALSE, FALSE, BX_CONV_ACT_NONE,
      0, 0, 0 },
    /* long items cut into tiles (400 columns each) */
    { "tiles inside items", { 2, 512, 8, 1, 800, 3, 2, 0, 1, 1 }, TRUE, TRUE, TRUE, FALSE, BX_CONV_ACT_NONE, 0, 0, 0 },
    { "tiles inside items pool", { 2, 8, 8, 1, 400, 3, 1, 1, 1, 1 }, TRUE, FALSE, FALSE, TRUE, BX_CONV_ACT_RELU, 8, 0, 799 },
  };

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/nn/conv/bn-affine", test_bn_affine);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/nn/conv/fused/%s", cases[i].name);
      g_test_add_data_func (path, &cases[i], test_fused);
    }
  return g_test_run ();
}
