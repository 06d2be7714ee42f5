/* test-nn-grad.c — every op's backward against central finite differences.
 *
 * For an op y = f(θ₁, θ₂, …) and a random upstream gradient r, the scalar
 * L = Σ r ⊙ y is accumulated in double; ∂L/∂θ[i] ≈ (L(θ[i]+h) − L(θ[i]−h)) /
 * (2h), with h the float-representable step actually applied. The analytic
 * gradient is the op's _backward with d_out = r, accumulated into buffers
 * that start at a known non-zero value (checks the += contract).
 * Tolerance per element: |fd − analytic| ≤ ATOL + RTOL·|analytic| with
 * h = 1e-2 (inputs of piecewise-linear ops kept ≥ 0.1 from their kinks),
 * ATOL = 5e-4, RTOL = 2e-3: float32 forward rounding / (2h) ≈ 1e-5 … 1e-4,
 * truncation O(h²) ≈ 1e-4 for the smooth ops; exact for the linear ones. */
#include "nn/bx-nn.h"

#include <math.h>
#include <string.h>

#define MAX_PARAMS 6
#define ATOL 5e-4
#define RTOL 2e-3
#define GRAD_PRESET 0.25f

typedef struct _Case Case;
struct _Case {
  const char *name;
  void (*forward) (Case *c, float *out);
  void (*backward) (Case *c, const float *d_out);
  size_t n_out;
  int n_params;
  const char *pname[MAX_PARAMS];
  float *param[MAX_PARAMS];
  float *grad[MAX_PARAMS];
  size_t n[MAX_PARAMS];
  double h;
  /* op-specific */
  int i[12];
  float f[2];
  BxConv1dShape conv;
  float *ws, *save1, *save2, *save3;
  int *targets;
};

static BxRng rng;

static float *
rand_buf (size_t n, float lo, float hi)
{
  float *x = g_new (float, MAX (n, 1));
  bx_rng_fill_uniform (&rng, x, n, lo, hi);
  return x;
}

static void
add_param (Case *c, const char *name, size_t n, float lo, float hi)
{
  int k = c->n_params++;
  g_assert_cmpint (k, <, MAX_PARAMS);
  c->pname[k] = name;
  c->n[k] = n;
  c->param[k] = rand_buf (n, lo, hi);
  c->grad[k] = g_new (float, MAX (n, 1));
}

static double
loss_of (Case *c, const float *r, float *out)
{
  c->forward (c, out);
  double L = 0.0;
  for (size_t j = 0; j < c->n_out; j++)
    L += (double) r[j] * out[j];
  return L;
}

static void
run_case (Case *c)
{
  g_autofree float *r = rand_buf (c->n_out, -1.0f, 1.0f);
  g_autofree float *out = g_new (float, MAX (c->n_out, 1));
  if (c->h == 0.0)
    c->h = 1e-2;
  for (int p = 0; p < c->n_params; p++)
    for (size_t j = 0; j < c->n[p]; j++)
      c->grad[p][j] = GRAD_PRESET;
  c->forward (c, out);  /* fills whatever backward needs saved */
  c->backward (c, r);
  int n_checked = 0;
  for (int p = 0; p < c->n_params; p++)
    for (size_t j = 0; j < c->n[p]; j++)
      {
        float x0 = c->param[p][j];
        float xp = (float) (x0 + c->h), xm = (float) (x0 - c->h);
        c->param[p][j] = xp;
        double Lp = loss_of (c, r, out);
        c->param[p][j] = xm;
        double Lm = loss_of (c, r, out);
        c->param[p][j] = x0;
        double fd = (Lp - Lm) / ((double) xp - (double) xm);
        double an = (double) c->grad[p][j] - GRAD_PRESET;
        if (fabs (fd - an) > ATOL + RTOL * fabs (an))
          g_error ("%s: d%s[%zu] analytic %.6g, finite difference %.6g", c->name, c->pname[p], j, an, fd);
        n_checked++;
      }
  g_assert_cmpint (n_checked, >, 0);
  for (int p = 0; p < c->n_params; p++)
    {
      g_free (c->param[p]);
      g_free (c->grad[p]);
    }
  g_free (c->ws);
  g_free (c->save1);
  g_free (c->save2);
  g_free (c->save3);
  g_free (c->targets);
}

/* ---- linear ------------------------------------------------------------ */

static void
linear_fwd (Case *c, float *out)
{
  bx_linear_forward (out, c->param[0], c->param[1], c->param[2], c->i[0], c->i[1], c->i[2]);
}

static void
linear_bwd (Case *c, const float *g)
{
  bx_linear_backward (c->grad[0], c->grad[1], c->grad[2], g, c->param[0], c->param[1], c->i[0], c->i[1], c->i[2]);
}

static void
test_linear (void)
{
  Case c = { .name = "linear", .forward = linear_fwd, .backward = linear_bwd, .i = { 4, 6, 5 } };
  add_param (&c, "x", 4 * 6, -1, 1);
  add_param (&c, "W", 5 * 6, -1, 1);
  add_param (&c, "b", 5, -1, 1);
  c.n_out = 4 * 5;
  run_case (&c);
}

/* ---- conv1d ------------------------------------------------------------ */

static void
conv_fwd (Case *c, float *out)
{
  bx_conv1d_forward (out, c->param[0], c->param[1], c->n_params > 2 ? c->param[2] : NULL, &c->conv, c->ws);
}

static void
conv_bwd (Case *c, const float *g)
{
  bx_conv1d_backward (c->grad[0], c->grad[1], c->n_params > 2 ? c->grad[2] : NULL, g, c->param[0], c->param[1],
                      &c->conv, c->ws);
}

static void
check_conv (const char *name, BxConv1dShape s, gboolean bias)
{
  Case c = { .name = name, .forward = conv_fwd, .backward = conv_bwd, .conv = s };
  int rows = MAX (s.rows, 1), groups = MAX (s.groups, 1);
  add_param (&c, "x", (size_t) s.batch * s.in_channels * rows * s.in_length, -1, 1);
  add_param (&c, "W", (size_t) s.out_channels * (s.in_channels / groups) * s.kernel, -1, 1);
  if (bias)
    add_param (&c, "b", s.out_channels, -1, 1);
  c.n_out = (size_t) s.batch * s.out_channels * rows * bx_conv1d_out_length (&s);
  c.ws = g_new0 (float, bx_conv1d_workspace_floats (&s));
  run_case (&c);
}

static void
test_conv (void)
{
  BxConv1dShape same = { .batch = 2, .in_channels = 3, .out_channels = 4, .in_length = 9, .kernel = 3, .stride = 2 };
  bx_conv1d_same_padding (9, 3, 2, &same.pad_left, &same.pad_right);
  check_conv ("conv1d SAME k3 s2 odd L", same, TRUE);
  same.in_length = 10;
  bx_conv1d_same_padding (10, 3, 2, &same.pad_left, &same.pad_right);
  check_conv ("conv1d SAME k3 s2 even L", same, TRUE);
  check_conv ("conv1d k10 s4 no bias",
              (BxConv1dShape) { .batch = 2, .in_channels = 1, .out_channels = 3, .in_length = 26, .kernel = 10,
                                .stride = 4 },
              FALSE);
  check_conv ("conv1d grouped k5 pad (3,1)",
              (BxConv1dShape) { .batch = 1, .in_channels = 4, .out_channels = 6, .in_length = 7, .kernel = 5,
                                .pad_left = 3, .pad_right = 1, .groups = 2 },
              TRUE);
  check_conv ("conv1d pointwise",
              (BxConv1dShape) { .batch = 2, .in_channels = 3, .out_channels = 2, .in_length = 5, .kernel = 1 }, TRUE);
  check_conv ("conv2d 1x15 s8 p7 on rows",
              (BxConv1dShape) { .batch = 1, .in_channels = 1, .out_channels = 4, .rows = 2, .in_length = 24,
                                .kernel = 15, .stride = 8, .pad_left = 7, .pad_right = 7 },
              TRUE);
  check_conv ("conv2d 1x3 p1 on rows",
              (BxConv1dShape) { .batch = 2, .in_channels = 3, .out_channels = 3, .rows = 2, .in_length = 4,
                                .kernel = 3, .pad_left = 1, .pad_right = 1 },
              TRUE);
}

/* ---- patch conv -------------------------------------------------------- */

static void
patch_fwd (Case *c, float *out)
{
  bx_patch_conv2d_forward (out, c->param[0], c->param[1], c->param[2], c->i[0], c->i[1], c->i[2], c->i[3], c->i[4],
                           c->i[5], c->i[6], c->ws);
}

static void
patch_bwd (Case *c, const float *g)
{
  bx_patch_conv2d_backward (c->grad[0], c->grad[1], c->grad[2], g, c->param[0], c->param[1], c->i[0], c->i[1],
                            c->i[2], c->i[3], c->i[4], c->i[5], c->i[6], c->ws);
}

static void
test_patch_conv (void)
{
  /* B 2, C 2, H 7, W 5, patch 3×2 → grid 2×2, C_out 3 */
  Case c = { .name = "patch conv2d", .forward = patch_fwd, .backward = patch_bwd, .i = { 2, 2, 7, 5, 3, 2, 3 } };
  add_param (&c, "x", 2 * 2 * 7 * 5, -1, 1);
  add_param (&c, "W", 3 * 2 * 3 * 2, -1, 1);
  add_param (&c, "b", 3, -1, 1);
  c.n_out = 2 * 4 * 3;
  c.ws = g_new0 (float, bx_patch_conv2d_workspace_floats (2, 7, 5, 3, 2));
  run_case (&c);
}

/* ---- norms ------------------------------------------------------------- */

static void
gn_fwd (Case *c, float *out)
{
  bx_group_norm_forward (out, c->save1, c->save2, c->param[0], c->param[1], c->param[2], c->i[0], c->i[1], c->i[2],
                         c->i[3], 1e-5f);
}

static void
gn_bwd (Case *c, const float *g)
{
  bx_group_norm_backward (c->grad[0], c->grad[1], c->grad[2], g, c->param[0], c->save1, c->save2, c->param[1],
                          c->i[0], c->i[1], c->i[2], c->i[3]);
}

static void
test_group_norm (void)
{
  int cfg[2][4] = { { 2, 8, 6, 4 }, { 2, 3, 5, 3 } };  /* LaBraM-like 4 groups / per-channel */
  for (int k = 0; k < 2; k++)
    {
      Case c = { .name = "group norm", .forward = gn_fwd, .backward = gn_bwd };
      memcpy (c.i, cfg[k], sizeof cfg[k]);
      size_t n = (size_t) cfg[k][0] * cfg[k][1] * cfg[k][2];
      add_param (&c, "x", n, -2, 2);
      add_param (&c, "gamma", cfg[k][1], 0.5, 1.5);
      add_param (&c, "beta", cfg[k][1], -1, 1);
      c.n_out = n;
      c.save1 = g_new (float, cfg[k][0] * cfg[k][3]);
      c.save2 = g_new (float, cfg[k][0] * cfg[k][3]);
      run_case (&c);
    }
}

static void
ln_fwd (Case *c, float *out)
{
  bx_layer_norm_forward (out, c->save1, c->save2, c->param[0], c->param[1], c->param[2], c->i[0], c->i[1], 1e-6f);
}

static void
ln_bwd (Case *c, const float *g)
{
  bx_layer_norm_backward (c->grad[0], c->grad[1], c->grad[2], g, c->param[0], c->save1, c->save2, c->param[1],
                          c->i[0], c->i[1]);
}

static void
test_layer_norm (void)
{
  /* (3, 16) rows, and per-head q/k norm: (B 1, T 3, H 2, dh 5) as 6 rows of 5 */
  int cfg[2][2] = { { 3, 16 }, { 6, 5 } };
  for (int k = 0; k < 2; k++)
    {
      Case c = { .name = k ? "layer norm per head" : "layer norm", .forward = ln_fwd, .backward = ln_bwd };
      c.i[0] = cfg[k][0];
      c.i[1] = cfg[k][1];
      add_param (&c, "x", cfg[k][0] * cfg[k][1], -2, 2);
      add_param (&c, "gamma", cfg[k][1], 0.5, 1.5);
      add_param (&c, "beta", cfg[k][1], -1, 1);
      c.n_out = cfg[k][0] * cfg[k][1];
      c.save1 = g_new (float, cfg[k][0]);
      c.save2 = g_new (float, cfg[k][0]);
      run_case (&c);
    }
}

static void
bn_fwd (Case *c, float *out)
{
  bx_batch_norm_eval_forward (out, c->param[0], c->save1, c->save2, c->param[1], c->param[2], 2, 3, 4, 1e-5f);
}

static void
bn_bwd (Case *c, const float *g)
{
  bx_batch_norm_eval_backward (c->grad[0], c->grad[1], c->grad[2], g, c->param[0], c->save1, c->save2, c->param[1],
                               2, 3, 4, 1e-5f);
}

static void
test_batch_norm (void)
{
  Case c = { .name = "batch norm eval", .forward = bn_fwd, .backward = bn_bwd };
  add_param (&c, "x", 24, -2, 2);
  add_param (&c, "gamma", 3, 0.5, 1.5);
  add_param (&c, "beta", 3, -1, 1);
  c.save1 = rand_buf (3, -0.5, 0.5);  /* running mean */
  c.save2 = rand_buf (3, 0.5, 2.0);   /* running var */
  c.n_out = 24;
  run_case (&c);
}

static void
bnt_fwd (Case *c, float *out)
{
  bx_batch_norm_train_forward (out, c->save1, c->save2, c->param[0], NULL, NULL, c->param[1], c->param[2], 2, 3, 4,
                               1e-5f, 0.1f);
}

static void
bnt_bwd (Case *c, const float *g)
{
  bx_batch_norm_train_backward (c->grad[0], c->grad[1], c->grad[2], g, c->param[0], c->save1, c->save2, c->param[1],
                                2, 3, 4);
}

static void
test_batch_norm_train (void)
{
  Case c = { .name = "batch norm train", .forward = bnt_fwd, .backward = bnt_bwd };
  add_param (&c, "x", 24, -2, 2);
  add_param (&c, "gamma", 3, 0.5, 1.5);
  add_param (&c, "beta", 3, -1, 1);
  c.save1 = g_new (float, 3);
  c.save2 = g_new (float, 3);
  c.n_out = 24;
  run_case (&c);
}

/* Dropout with a fixed mask is linear in x: checks the mask routing. */
static void
dropout_fwd (Case *c, float *out)
{
  BxRng r;
  bx_rng_init (&r, 5);  /* same mask on every call */
  bx_dropout_forward (out, c->save1, c->param[0], c->n[0], 0.4f, &r);
}

static void
dropout_bwd (Case *c, const float *g)
{
  bx_dropout_backward (c->grad[0], g, c->save1, c->n[0]);
}

/* ---- element-wise -------------------------------------------------------- */

static void
gelu_fwd (Case *c, float *out)
{
  bx_gelu_forward (out, c->param[0], c->n[0]);
}

static void
gelu_bwd (Case *c, const float *g)
{
  bx_gelu_backward (c->grad[0], g, c->param[0], c->n[0]);
}

static void
relu_fwd (Case *c, float *out)
{
  bx_relu_forward (out, c->param[0], c->n[0]);
}

static void
relu_bwd (Case *c, const float *g)
{
  bx_relu_backward (c->grad[0], g, c->param[0], c->n[0]);
}

/* Uniform in ±[0.1, 2]: at least 0.1 from the kink at 0. */
static void
away_from_zero (float *x, size_t n)
{
  for (size_t j = 0; j < n; j++)
    x[j] = (x[j] < 0 ? -1.0f : 1.0f) * (0.1f + fabsf (x[j]));
}

static void
add_fwd (Case *c, float *out)
{
  bx_add_forward (out, c->param[0], c->param[1], c->n[0]);
}

static void
add_bwd (Case *c, const float *g)
{
  bx_add_backward (c->grad[0], c->grad[1], g, c->n[0]);
}

static void
ls_fwd (Case *c, float *out)
{
  bx_layer_scale_forward (out, c->param[0], c->param[1], 3, 5);
}

static void
ls_bwd (Case *c, const float *g)
{
  bx_layer_scale_backward (c->grad[0], c->grad[1], g, c->param[0], c->param[1], 3, 5);
}

static void
softmax_fwd (Case *c, float *out)
{
  bx_softmax_forward (out, c->param[0], 3, 6);
}

static void
softmax_bwd (Case *c, const float *g)
{
  float out[18];
  bx_softmax_forward (out, c->param[0], 3, 6);
  bx_softmax_backward (c->grad[0], g, out, 3, 6);
}

static void
test_elementwise (void)
{
  {
    Case c = { .name = "gelu", .forward = gelu_fwd, .backward = gelu_bwd };
    add_param (&c, "x", 40, -4, 4);
    c.n_out = 40;
    run_case (&c);
  }
  {
    Case c = { .name = "relu", .forward = relu_fwd, .backward = relu_bwd };
    add_param (&c, "x", 30, -2, 2);
    away_from_zero (c.param[0], 30);
    c.n_out = 30;
    run_case (&c);
  }
  {
    Case c = { .name = "dropout", .forward = dropout_fwd, .backward = dropout_bwd };
    add_param (&c, "x", 40, -1, 1);
    c.save1 = g_new (float, 40);
    c.n_out = 40;
    run_case (&c);
    /* the mask of that seed: some dropped, the rest scaled by 1/(1−p) */
    float out[40], mask[40];
    BxRng r;
    bx_rng_init (&r, 5);
    float ones[40];
    for (int i = 0; i < 40; i++)
      ones[i] = 1.0f;
    bx_dropout_forward (out, mask, ones, 40, 0.4f, &r);
    int dropped = 0;
    for (int i = 0; i < 40; i++)
      {
        g_assert_true (mask[i] == 0.0f || fabsf (mask[i] - 1.0f / 0.6f) < 1e-6f);
        dropped += mask[i] == 0.0f;
      }
    g_assert_cmpint (dropped, >, 4);
    g_assert_cmpint (dropped, <, 30);
  }
  {
    Case c = { .name = "add", .forward = add_fwd, .backward = add_bwd };
    add_param (&c, "a", 12, -1, 1);
    add_param (&c, "b", 12, -1, 1);
    c.n_out = 12;
    run_case (&c);
  }
  {
    Case c = { .name = "layer scale", .forward = ls_fwd, .backward = ls_bwd };
    add_param (&c, "x", 15, -1, 1);
    add_param (&c, "gamma", 5, -1, 1);
    c.n_out = 15;
    run_case (&c);
  }
  {
    Case c = { .name = "softmax", .forward = softmax_fwd, .backward = softmax_bwd };
    add_param (&c, "x", 18, -3, 3);
    c.n_out = 18;
    run_case (&c);
  }
}

/* ---- attention ------------------------------------------------------------ */

/* i: B, T, H, dh, with_qk_norm. With qk-norm the case is LaBraM's attention
 * core: split qkv → LN(dh) per head on q and k → attention, checked end to end
 * so the pieces compose. */
static void
attn_fwd (Case *c, float *out)
{
  int B = c->i[0], T = c->i[1], H = c->i[2], dh = c->i[3], D = H * dh;
  size_t n = (size_t) B * T * D;
  float *q = c->save1, *k = c->save1 + n, *v = c->save1 + 2 * n;
  float *qn = c->save2, *kn = c->save2 + n;
  bx_split_qkv_forward (q, k, v, c->param[0], B * T, D);
  const float *qa = q, *ka = k;
  if (c->i[4])
    {
      float *stats = c->save3 + (size_t) B * H * T * T;
      bx_layer_norm_forward (qn, stats, stats + B * T * H, q, c->param[1], c->param[2], B * T * H, dh, 1e-6f);
      bx_layer_norm_forward (kn, stats + 2 * B * T * H, stats + 3 * B * T * H, k, c->param[1], c->param[2],
                             B * T * H, dh, 1e-6f);
      qa = qn;
      ka = kn;
    }
  bx_attention_forward (out, c->save3, qa, ka, v, B, T, H, dh, c->f[0], c->ws);
}

static void
attn_bwd (Case *c, const float *g)
{
  int B = c->i[0], T = c->i[1], H = c->i[2], dh = c->i[3], D = H * dh;
  size_t n = (size_t) B * T * D;
  float *q = c->save1, *k = c->save1 + n, *v = c->save1 + 2 * n;
  float *qn = c->save2, *kn = c->save2 + n;
  g_autofree float *dq = g_new0 (float, n), *dk = g_new0 (float, n), *dv = g_new0 (float, n);
  g_autofree float *dq0 = g_new0 (float, n), *dk0 = g_new0 (float, n);
  gboolean norm = c->i[4];
  bx_attention_backward (norm ? dq0 : dq, norm ? dk0 : dk, dv, g, c->save3, norm ? qn : q, norm ? kn : k, v, B, T,
                         H, dh, c->f[0], c->ws);
  if (norm)
    {
      float *stats = c->save3 + (size_t) B * H * T * T;
      bx_layer_norm_backward (dq, c->grad[1], c->grad[2], dq0, q, stats, stats + B * T * H, c->param[1], B * T * H,
                              dh);
      bx_layer_norm_backward (dk, c->grad[1], c->grad[2], dk0, k, stats + 2 * B * T * H, stats + 3 * B * T * H,
                              c->param[1], B * T * H, dh);
    }
  bx_split_qkv_backward (c->grad[0], dq, dk, dv, B * T, D);
}

static void
check_attention (const char *name, int B, int T, int H, int dh, gboolean qk_norm)
{
  Case c = { .name = name, .forward = attn_fwd, .backward = attn_bwd, .i = { B, T, H, dh, qk_norm } };
  size_t n = (size_t) B * T * H * dh;
  add_param (&c, "qkv", 3 * n, -1.5, 1.5);
  if (qk_norm)
    {
      add_param (&c, "qk_gamma", dh, 0.5, 1.5);
      add_param (&c, "qk_beta", dh, -0.5, 0.5);
    }
  c.f[0] = 1.0f / sqrtf ((float) dh);
  c.n_out = n;
  c.save1 = g_new (float, 3 * n);
  c.save2 = g_new (float, 2 * n);
  c.save3 = g_new (float, (size_t) B * H * T * T + 4 * B * T * H);
  c.ws = g_new (float, bx_attention_workspace_floats (T));
  run_case (&c);
}

static void
test_attention (void)
{
  check_attention ("attention", 2, 4, 2, 3, FALSE);
  check_attention ("attention with per-head q/k LayerNorm", 1, 5, 2, 4, TRUE);
}

/* ---- pooling / padding / reshaping ----------------------------------------- */

static void
mp_fwd (Case *c, float *out)
{
  bx_maxpool2_forward (out, c->param[0], c->i[0], c->i[1]);
}

static void
mp_bwd (Case *c, const float *g)
{
  bx_maxpool2_backward (c->grad[0], g, c->param[0], c->i[0], c->i[1]);
}

static void
cp_fwd (Case *c, float *out)
{
  bx_channel_pad_forward (out, c->param[0], 2, 3, 6, 4);
}

static void
cp_bwd (Case *c, const float *g)
{
  bx_channel_pad_backward (c->grad[0], g, 2, 3, 6, 4);
}

static void
mean_fwd (Case *c, float *out)
{
  bx_mean_pool_forward (out, c->param[0], 2, 5, 3, 1, 5);
}

static void
mean_bwd (Case *c, const float *g)
{
  bx_mean_pool_backward (c->grad[0], g, 2, 5, 3, 1, 5);
}

static void
tr_fwd (Case *c, float *out)
{
  bx_transpose_forward (out, c->param[0], 2, 3, 5);
}

static void
tr_bwd (Case *c, const float *g)
{
  bx_transpose_backward (c->grad[0], g, 2, 3, 5);
}

static const int perm_shape[4] = { 2, 3, 2, 4 }, perm_order[4] = { 2, 0, 3, 1 };

static void
perm_fwd (Case *c, float *out)
{
  bx_permute_forward (out, c->param[0], perm_shape, perm_order, 4);
}

static void
perm_bwd (Case *c, const float *g)
{
  bx_permute_backward (c->grad[0], g, perm_shape, perm_order, 4);
}

static void
test_shape_ops (void)
{
  for (int L = 7; L <= 8; L++)
    {
      Case c = { .name = L % 2 ? "maxpool odd L" : "maxpool even L", .forward = mp_fwd, .backward = mp_bwd,
                 .i = { 3, L } };
      add_param (&c, "x", 3 * L, -2, 2);
      /* keep every window's two values ≥ 0.1 apart and the odd tail ≥ 0.1 from the zero pad */
      for (int r = 0; r < 3; r++)
        {
          float *x = c.param[0] + r * L;
          for (int t = 0; t + 1 < L; t += 2)
            if (fabsf (x[t] - x[t + 1]) < 0.1f)
              x[t + 1] = x[t] + (r % 2 ? 0.3f : -0.3f);
          if (L % 2)
            away_from_zero (&x[L - 1], 1);
        }
      c.n_out = 3 * ((L + 1) / 2);
      run_case (&c);
    }
  {
    Case c = { .name = "channel pad", .forward = cp_fwd, .backward = cp_bwd };
    add_param (&c, "x", 24, -1, 1);
    c.n_out = 48;
    run_case (&c);
  }
  {
    Case c = { .name = "mean pool", .forward = mean_fwd, .backward = mean_bwd };
    add_param (&c, "x", 30, -1, 1);
    c.n_out = 6;
    run_case (&c);
  }
  {
    Case c = { .name = "transpose", .forward = tr_fwd, .backward = tr_bwd };
    add_param (&c, "x", 30, -1, 1);
    c.n_out = 30;
    run_case (&c);
  }
  {
    Case c = { .name = "permute", .forward = perm_fwd, .backward = perm_bwd };
    add_param (&c, "x", 48, -1, 1);
    c.n_out = 48;
    run_case (&c);
  }
}

/* ---- losses --------------------------------------------------------------- */

static const float ce_weights[3] = { 0.5f, 2.0f, 1.25f };

static void
ce_fwd (Case *c, float *out)
{
  out[0] = bx_cross_entropy_forward (c->save1, c->param[0], c->targets, ce_weights, 5, 3);
}

static void
ce_bwd (Case *c, const float *g)
{
  bx_cross_entropy_forward (c->save1, c->param[0], c->targets, ce_weights, 5, 3);
  bx_cross_entropy_backward (c->grad[0], c->save1, c->targets, ce_weights, 5, 3, g[0]);
}

static void
cos_fwd (Case *c, float *out)
{
  out[0] = bx_cosine_embedding_loss_forward (c->param[0], c->param[1], 3, 6);
}

static void
cos_bwd (Case *c, const float *g)
{
  bx_cosine_embedding_loss_backward (c->grad[0], c->grad[1], c->param[0], c->param[1], 3, 6, g[0]);
}

static void
test_losses (void)
{
  {
    Case c = { .name = "weighted cross-entropy", .forward = ce_fwd, .backward = ce_bwd };
    add_param (&c, "logits", 15, -2, 2);
    c.save1 = g_new (float, 15);
    c.targets = g_new (int, 5);
    int t[5] = { 0, 2, 1, 2, 0 };
    memcpy (c.targets, t, sizeof t);
    c.n_out = 1;
    run_case (&c);
  }
  {
    Case c = { .name = "cosine embedding loss", .forward = cos_fwd, .backward = cos_bwd };
    add_param (&c, "a", 18, -1, 1);
    add_param (&c, "b", 18, -1, 1);
    c.n_out = 1;
    run_case (&c);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  bx_rng_init (&rng, 20260425);
  bx_nn_set_threads (2);
  g_test_add_func ("/nn/grad/linear", test_linear);
  g_test_add_func ("/nn/grad/conv", test_conv);
  g_test_add_func ("/nn/grad/patch-conv", test_patch_conv);
  g_test_add_func ("/nn/grad/group-norm", test_group_norm);
  g_test_add_func ("/nn/grad/layer-norm", test_layer_norm);
  g_test_add_func ("/nn/grad/batch-norm", test_batch_norm);
  g_test_add_func ("/nn/grad/batch-norm-train", test_batch_norm_train);
  g_test_add_func ("/nn/grad/elementwise", test_elementwise);
  g_test_add_func ("/nn/grad/attention", test_attention);
  g_test_add_func ("/nn/grad/shape-ops", test_shape_ops);
  g_test_add_func ("/nn/grad/losses", test_losses);
  return g_test_run ();
}
