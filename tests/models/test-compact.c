/* test-compact.c — the compact encoder family (core/models/bx-compact.h):
 * forward, input and weight gradients against a plain-torch reference
 * (tests/reference/compact_fixtures.py), pretraining loss decrease (sample
 * and spectral objectives, spectral targets and their gradient), save →
 * load → identical outputs, resume, clear errors, and the committed models. */
#include "config.h"

#include <math.h>
#include <sys/wait.h>
#include <string.h>

#include "bx-test-data.h"
#include "models/bx-compact-private.h"

/* Reference fixture geometry (compact_fixtures.py) */
#define FB 2
#define FC 2
#define FN 3
#define FP 10
#define FD 16
#define FDEPTH 2
#define FT (1 + FC * FN)

static double
max_abs (const float *x, gsize n)
{
  double m = 0.0;

  for (gsize i = 0; i < n; i++)
    m = MAX (m, fabs (x[i]));
  return m;
}

/* max |a − ref| ≤ tol · max |ref| */
static void
assert_close (const char *what, const float *a, const float *ref, gsize n, double tol)
{
  double m = max_abs (ref, n), err = 0.0;

  for (gsize i = 0; i < n; i++)
    err = MAX (err, fabs ((double)a[i] - ref[i]));
  if (!(err <= tol * m + 1e-12))
    g_error ("%s: max error %.3g > %.1g × max|ref| %.3g", what, err, tol, m);
}

static BxModel *
load_fixture_model (void)
{
  g_autofree char *path = bx_test_fixture_path ("compact/model.safetensors");
  g_autoptr (GError) error = NULL;
  BxModel *m = bx_model_load (BX_MODEL_FAMILY_AUTO, path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (bx_model_get_family (m), ==, BX_MODEL_FAMILY_COMPACT);
  g_assert_cmpint (bx_model_get_n_layers (m), ==, FDEPTH);
  return m;
}

static float *
prepared_fixture_input (BxModel *m)
{
  gsize n = 0;
  g_autofree float *raw = bx_test_load_fixture_floats ("compact/input.txt", &n);
  gint64 shape[2] = { FC, FN * FP }, prep[6];
  int prep_ndim = 0;
  g_autoptr (GError) error = NULL;
  float *x;

  g_assert_cmpuint (n, ==, FB * FC * FN * FP);
  x = bx_model_prepare (m, raw, FB, 2, shape, &prep_ndim, prep, &error);
  g_assert_no_error (error);
  g_assert_cmpint (prep_ndim, ==, 2);
  g_assert_true (bx_model_set_input_shape (m, prep_ndim, prep, &error));
  g_assert_no_error (error);
  return x;
}

static void
test_reference_forward_backward (void)
{
  g_autoptr (BxModel) m = load_fixture_model ();
  g_autofree float *x = prepared_fixture_input (m);
  g_autoptr (BxModelContext) ctx = bx_model_context_new ();
  g_autoptr (GError) error = NULL;
  gsize n_layers = 0, n_din = 0, per = (gsize)FB * FT * FD;
  g_autofree float *ref = bx_test_load_fixture_floats ("compact/layers.txt", &n_layers);
  g_autofree float *ref_din = bx_test_load_fixture_floats ("compact/d_in.txt", &n_din);
  g_autofree float *caps = g_new (float, FDEPTH *per), *stem = g_new (float, per);
  g_autofree float *r = g_new (float, per), *din = g_new (float, per), *pooled = g_new (float, FB *FD);
  float *cap_ptrs[FDEPTH];

  g_assert_cmpuint (n_layers, ==, FDEPTH * per);
  g_assert_cmpuint (n_din, ==, per);
  g_assert_cmpint (bx_model_feature_dim (m, FDEPTH - 1, FALSE), ==, FD);
  for (int i = 0; i < FDEPTH; i++)
    cap_ptrs[i] = caps + i * per;
  g_assert_true (
      bx_model_forward (m, ctx, FB, BX_MODEL_FROM_PREPARED, FDEPTH, x, NULL, cap_ptrs, FALSE, &error));
  g_assert_no_error (error);
  for (int i = 0; i < FDEPTH; i++)
    assert_close ("block output", caps + i * per, ref + i * per, per, 1e-4);
  /* pooled = mean over all tokens of the last block */
  g_assert_true (bx_model_pool (m, FDEPTH - 1, FALSE, caps + (FDEPTH - 1) * per, FB, pooled, &error));
  {
    double s = 0.0;
    for (int t = 0; t < FT; t++)
      s += caps[(FDEPTH - 1) * per + (gsize)t * FD + 3];
    g_assert_cmpfloat_with_epsilon (pooled[3], s / FT, 1e-5);
  }
  /* input gradient of block 0 through the BxModel backward */
  g_assert_true (bx_model_forward (m, ctx, FB, BX_MODEL_FROM_PREPARED, 0, x, stem, NULL, FALSE, &error));
  g_assert_true (bx_model_forward (m, ctx, FB, 0, FDEPTH, stem, NULL, NULL, TRUE, &error));
  bx_model_test_grad_seed (r, per);
  g_assert_true (bx_model_backward (m, ctx, r, din, &error));
  g_assert_no_error (error);
  assert_close ("input gradient", din, ref_din, per, 1e-3);
}

static void
test_reference_weight_gradients (void)
{
  g_autoptr (BxModel) m = load_fixture_model ();
  g_autofree float *x = prepared_fixture_input (m);
  g_autoptr (BxCompactTrainer) t = bx_compact_trainer_new (m, 3);
  g_autoptr (GError) error = NULL;
  gsize n_mask = 0, n_mt = 0, n_last = 0, n_grads = 0, per = (gsize)FB * FT * FD, off = 0;
  g_autofree int *mask_i = bx_test_load_fixture_ints ("compact/mask.txt", &n_mask);
  g_autofree float *mt = bx_test_load_fixture_floats ("compact/mask_token.txt", &n_mt);
  g_autofree float *ref_last = bx_test_load_fixture_floats ("compact/masked_last.txt", &n_last);
  g_autofree float *ref_grads = bx_test_load_fixture_floats ("compact/grads.txt", &n_grads);
  g_autofree guint8 *mask = g_new (guint8, n_mask);
  g_autofree float *r = g_new (float, per);
  BxCompactParam *mp = bx_compact_trainer_find (t, "mask_token");
  const float *last;
  guint n_checked = 0;

  g_assert_cmpuint (n_mask, ==, FB * FC * FN);
  g_assert_cmpuint (n_mt, ==, FD);
  g_assert_nonnull (mp);
  memcpy (mp->data, mt, FD * sizeof (float));
  for (gsize i = 0; i < n_mask; i++)
    mask[i] = (guint8)mask_i[i];
  last = bx_compact_trainer_forward (t, FB, FC, FN * FP, x, mask, &error);
  g_assert_no_error (error);
  assert_close ("masked last output", last, ref_last, per, 1e-4);
  bx_model_test_grad_seed (r, per);
  bx_compact_trainer_zero_grad (t);
  bx_compact_trainer_backward (t, r);
  /* encoder tensors in file order, then mask_token (the script's order) */
  for (guint i = 0; i < t->params->len; i++)
    {
      BxCompactParam *p = t->params->pdata[i];
      if (g_str_has_prefix (p->name, "decoder."))
        continue;
      g_assert_cmpuint (off + p->numel, <=, n_grads);
      assert_close (p->name, p->grad, ref_grads + off, p->numel, 1e-3);
      off += p->numel;
      n_checked++;
    }
  g_assert_cmpuint (off, ==, n_grads);
  g_assert_cmpuint (n_checked, ==, 5 + 12 * FDEPTH + 1);
}

/* Windows of noisy sinusoids with random phase and frequency (deterministic). */
static void
synthetic_windows (float *x, int batch, int C, int S, guint32 seed)
{
  g_autoptr (GRand) r = g_rand_new_with_seed (seed);

  for (int b = 0; b < batch; b++)
    for (int c = 0; c < C; c++)
      {
        double f = g_rand_double_range (r, 2.0, 12.0), ph = g_rand_double_range (r, 0, 6.28);
        for (int i = 0; i < S; i++)
          x[((gsize)b * C + c) * S + i]
              = (float)(sin (2 * G_PI * f * i / 100.0 + ph) + 0.1 * g_rand_double_range (r, -1, 1));
      }
  bx_compact_normalize (x, (gsize)batch * C, (gsize)S);
}

static BxCompactConfig
small_config (void)
{
  BxCompactConfig c;

  g_assert_true (bx_compact_config_default ("eeg", &c));
  c.dim = 32;
  c.depth = 2;
  c.heads = 4;
  c.patch = 25;
  c.max_channels = 4;
  c.max_patches = 8;
  return c;
}

static void
test_pretrain_loss_decreases (void)
{
  BxCompactConfig c = small_config ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BxModel) m = bx_compact_model_new (&c, 5, &error);
  g_autoptr (BxCompactTrainer) t = NULL;
  int B = 8, C = 2, S = 200;
  g_autofree float *ev = g_new (float, (gsize)B *C *S);
  float before, after;

  g_assert_no_error (error);
  t = bx_compact_trainer_new (m, 5);
  synthetic_windows (ev, B, C, S, 99);
  before = bx_compact_pretrain_eval (t, B, C, S, ev, 0.5, 1, &error);
  g_assert_no_error (error);
  /* a few steps on one small batch (fresh masks each step): the fixed-mask loss of that batch must fall */
  for (int step = 0; step < 40; step++)
    g_assert_false (isnan (bx_compact_pretrain_step (t, B, C, S, ev, 0.5, 3e-3f, 0.05f, TRUE, &error)));
  after = bx_compact_pretrain_eval (t, B, C, S, ev, 0.5, 1, &error);
  g_test_message ("masked MSE %.4f → %.4f after 40 steps", before, after);
  g_assert_cmpfloat (before, >, 0.8);
  g_assert_cmpfloat (after, <, 0.93 * before);
  g_assert_cmpint (bx_compact_trainer_get_step (t), ==, 40);
}

/* Spectral targets: a 10-Hz sine peaks in the band holding 10 Hz for every
 * patch; white noise has power 1 per bin on average;
 * more bands than frequency bins is refused. */
static void
test_spectrum_targets (void)
{
  const BxCompactObjective obj
      = { .kind = BX_COMPACT_OBJECTIVE_SPECTRUM, .target_seconds = 2.0, .n_bands = 16 };
  const BxCompactObjective too_many
      = { .kind = BX_COMPACT_OBJECTIVE_SPECTRUM, .target_seconds = 0.5, .n_bands = 40 };
  int rate = 100, P = 50, S = 400, N = S / P, K = obj.n_bands;
  g_autofree float *x = g_new (float, 2 * S), *out = g_new (float, (gsize)2 * N * K);
  g_autoptr (GRand) r = g_rand_new_with_seed (4);
  g_autoptr (GError) error = NULL;
  double noise_mean = 0.0;
  int peak_band = -1;

  for (int i = 0; i < S; i++)
    {
      x[i] = (float)sin (2 * G_PI * 10.0 * i / rate);
      /* uniform(−√3, √3): unit variance */
      x[S + i] = (float)g_rand_double_range (r, -sqrt (3.0), sqrt (3.0));
    }
  bx_compact_normalize (x, 2, S);
  g_assert_true (bx_compact_spectrum_targets (&obj, rate, P, 1, 2, S, x, out, &error));
  g_assert_no_error (error);
  for (int n = 0; n < N; n++)
    {
      const float *o = out + (gsize)n * K;
      int best = 0;
      for (int j = 1; j < K; j++)
        if (o[j] > o[best])
          best = j;
      /* 16 log-spaced bands 0.5–50 Hz: 10 Hz lies in band 10 ([8.9, 11.9) Hz → bins 18–23 of 0.5 Hz) */
      if (peak_band < 0)
        peak_band = best;
      g_assert_cmpint (best, ==, peak_band);
      g_assert_cmpfloat (o[best], >, o[0] + 5.0);
    }
  g_assert_cmpint (peak_band, ==, 10);
  /* mean power, not mean log power (E log of a χ²₂/2 bin is −0.58) */
  for (gsize i = (gsize)N * K; i < (gsize)2 * N * K; i++)
    noise_mean += (exp (out[i]) - 1e-3) / ((double)N * K);
  g_test_message ("mean band power of unit white noise %.3f", noise_mean);
  g_assert_cmpfloat (fabs (noise_mean - 1.0), <, 0.3);
  g_assert_false (bx_compact_spectrum_targets (&too_many, rate, P, 1, 2, S, x, out, &error));
  g_assert_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_CONFIG);
}

/* Spectral objective: decoder shape (bands, D), loss gradient against
 * central differences (mask ratio 0 makes the loss deterministic), and the
 * loss falls on windows whose frequency varies. */
static void
test_spectrum_pretrain (void)
{
  BxCompactConfig c = small_config ();
  const BxCompactObjective obj
      = { .kind = BX_COMPACT_OBJECTIVE_SPECTRUM, .target_seconds = 1.0, .n_bands = 8 };
  const BxCompactObjective bad
      = { .kind = BX_COMPACT_OBJECTIVE_SPECTRUM, .target_seconds = 0.1, .n_bands = 8 };
  g_autoptr (GError) error = NULL;
  g_autoptr (BxModel) m = bx_compact_model_new (&c, 6, &error);
  g_autoptr (BxCompactTrainer) t = NULL;
  int B = 8, C = 2, S = 200;
  g_autofree float *ev = g_new (float, (gsize)B *C *S);
  const char *names[] = { "decoder.bias", "patch_embed.weight", "blocks.1.mlp.fc2.bias" };
  gsize numel = 0;
  float before, after;

  g_assert_no_error (error);
  g_assert_null (bx_compact_trainer_new_objective (m, 6, &bad, &error));
  g_assert_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_CONFIG);
  g_clear_error (&error);
  t = bx_compact_trainer_new_objective (m, 6, &obj, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bx_compact_trainer_grad (t, "decoder.weight", &numel));
  g_assert_cmpuint (numel, ==, (gsize)obj.n_bands * c.dim);
  synthetic_windows (ev, B, C, S, 77);
  g_assert_false (isnan (bx_compact_pretrain_step (t, B, C, S, ev, 0.0, 0.0f, 0.0f, FALSE, &error)));
  for (gsize k = 0; k < G_N_ELEMENTS (names); k++)
    {
      BxCompactParam *p = bx_compact_trainer_find (t, names[k]);
      gsize j = 0;
      float keep, eps = 2e-2f;
      /* the entry with the largest gradient, so the difference stands well above float rounding */
      for (gsize i = 1; i < p->numel; i++)
        if (fabsf (p->grad[i]) > fabsf (p->grad[j]))
          j = i;
      keep = p->data[j];
      double g = p->grad[j], fd;
      float lp, lm;
      p->data[j] = keep + eps;
      lp = bx_compact_pretrain_eval (t, B, C, S, ev, 0.0, 1, &error);
      p->data[j] = keep - eps;
      lm = bx_compact_pretrain_eval (t, B, C, S, ev, 0.0, 1, &error);
      p->data[j] = keep;
      fd = ((double)lp - lm) / (2.0 * eps);
      g_test_message ("%s[%zu]: analytic %.5g, central difference %.5g", names[k], j, g, fd);
      g_assert_cmpfloat (fabs (g), >, 1e-5);
      g_assert_cmpfloat (fabs (g - fd), <=, 0.05 * fabs (fd) + 1e-6);
    }
  before = bx_compact_pretrain_eval (t, B, C, S, ev, 0.25, 1, &error);
  for (int step = 0; step < 40; step++)
    g_assert_false (isnan (bx_compact_pretrain_step (t, B, C, S, ev, 0.25, 3e-3f, 0.05f, TRUE, &error)));
  after = bx_compact_pretrain_eval (t, B, C, S, ev, 0.25, 1, &error);
  g_assert_no_error (error);
  g_test_message ("spectral MSE %.4f → %.4f after 40 steps", before, after);
  g_assert_cmpfloat (before, >, 0.8);
  g_assert_cmpfloat (after, <, 0.7 * before);
}

static void
run_pooled (BxModel *m, const float *x, int B, int C, int S, float *pooled)
{
  g_autoptr (BxModelContext) ctx = bx_model_context_new ();
  g_autoptr (GError) error = NULL;
  gint64 shape[2] = { C, S };
  int L = bx_model_get_n_layers (m);
  g_autofree float *out = NULL;

  g_assert_true (bx_model_set_input_shape (m, 2, shape, &error));
  g_assert_no_error (error);
  out = g_new (float, (gsize)B *bx_model_layer_numel (m, L - 1, FALSE));
  g_assert_true (bx_model_forward (m, ctx, B, BX_MODEL_FROM_PREPARED, L, x, out, NULL, FALSE, &error));
  g_assert_true (bx_model_pool (m, L - 1, FALSE, out, B, pooled, &error));
  g_assert_no_error (error);
}

static void
test_save_load_resume (void)
{
  BxCompactConfig c = small_config (), c2;
  g_autoptr (GError) error = NULL;
  g_autoptr (BxModel) m = bx_compact_model_new (&c, 11, &error);
  g_autoptr (BxModel) m2 = NULL, m3 = NULL;
  g_autoptr (BxCompactTrainer) t = bx_compact_trainer_new (m, 11), t3 = NULL;
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "m.safetensors", NULL);
  g_autofree char *ck = g_build_filename (dir, "m.ckpt", NULL);
  int B = 3, C = 2, S = 100;
  g_autofree float *x = g_new (float, (gsize)B *C *S), *p1 = g_new (float, B *c.dim);
  g_autofree float *p2 = g_new (float, B *c.dim);
  g_autofree char *meta = NULL;
  float l_cont, l_res;

  synthetic_windows (x, B, C, S, 4);
  for (int i = 0; i < 3; i++)
    bx_compact_pretrain_step (t, B, C, S, x, 0.5, 1e-3f, 0.0f, TRUE, &error);
  g_assert_true (bx_compact_save (m, NULL, FALSE, path, NULL, &error));
  g_assert_true (bx_compact_save (m, t, TRUE, ck, NULL, &error));
  g_assert_no_error (error);
  m2 = bx_model_load (BX_MODEL_FAMILY_COMPACT, path, &error);
  g_assert_no_error (error);
  g_assert_true (bx_compact_model_get_config (m2, &c2));
  g_assert_cmpint (c2.dim, ==, c.dim);
  g_assert_cmpint (c2.patch, ==, c.patch);
  g_assert_cmpint (c2.max_channels, ==, c.max_channels);
  g_assert_cmpstr (c2.modality, ==, "eeg");
  run_pooled (m, x, B, C, S, p1);
  run_pooled (m2, x, B, C, S, p2);
  g_assert_cmpmem (p1, B * c.dim * sizeof (float), p2, B * c.dim * sizeof (float));
  meta = bx_compact_file_metadata (path, "heads", &error);
  g_assert_cmpstr (meta, ==, "4");
  /* a plain model file has no training state */
  g_assert_false (bx_compact_trainer_resume (t, path, &error));
  g_assert_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_KEYS);
  g_clear_error (&error);
  /* resume: the next step gives the same loss as continuing without a save */
  m3 = bx_model_load (BX_MODEL_FAMILY_COMPACT, ck, &error);
  g_assert_no_error (error);
  t3 = bx_compact_trainer_new (m3, 999);
  g_assert_true (bx_compact_trainer_resume (t3, ck, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bx_compact_trainer_get_step (t3), ==, 3);
  for (int i = 0; i < 2; i++)
    {
      l_cont = bx_compact_pretrain_step (t, B, C, S, x, 0.5, 1e-3f, 0.0f, TRUE, &error);
      l_res = bx_compact_pretrain_step (t3, B, C, S, x, 0.5, 1e-3f, 0.0f, TRUE, &error);
      g_assert_cmpfloat (l_cont, ==, l_res);
    }
  bx_test_tmpdir_remove (dir);
}

static void
test_errors (void)
{
  g_autofree char *path = bx_test_fixture_path ("compact/model.safetensors");
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *bad = g_build_filename (dir, "cut.safetensors", NULL);
  g_autofree char *nometa = g_build_filename (dir, "nometa.safetensors", NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  g_autoptr (BxModel) m = NULL;
  BxCompactConfig c = small_config ();
  const char *wrong[] = { "format", "something-else", NULL };

  /* another family requested */
  m = bx_model_load (BX_MODEL_FAMILY_LABRAM, path, &error);
  g_assert_null (m);
  g_assert_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_FAMILY);
  g_assert_nonnull (strstr (error->message, "compact"));
  g_clear_error (&error);
  /* truncated file */
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (bad, contents, (gssize)(len - 100), NULL));
  m = bx_model_load (BX_MODEL_FAMILY_COMPACT, bad, &error);
  g_assert_null (m);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "cut.safetensors"));
  g_clear_error (&error);
  /* compact tensors without our metadata */
  m = bx_compact_model_new (&c, 1, &error);
  g_assert_true (bx_compact_save (m, NULL, FALSE, nometa, wrong, &error));
  g_clear_pointer (&m, bx_model_free);
  m = bx_model_load (BX_MODEL_FAMILY_AUTO, nometa, &error);
  g_assert_null (m);
  g_assert_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "__metadata__"));
  g_clear_error (&error);
  /* input that does not fit */
  m = load_fixture_model ();
  g_assert_false (bx_model_set_input_shape (m, 2, (const gint64[]){ 2, 15 }, &error));
  g_assert_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT);
  bx_test_tmpdir_remove (dir);
}

static void
test_committed_models (void)
{
  const char *names[] = { "eeg", "ecg", "ppg" };
  const char *root = g_getenv ("BIOX_SOURCE_ROOT");

  g_assert_nonnull (root);
  for (gsize k = 0; k < G_N_ELEMENTS (names); k++)
    {
      g_autofree char *file = g_strdup_printf ("compact-%s.safetensors", names[k]);
      g_autofree char *path = g_build_filename (root, "data", "models", file, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (BxModel) m = bx_model_load (BX_MODEL_FAMILY_AUTO, path, &error);
      BxCompactConfig c;
      int C = k == 0 ? 4 : 1, S;
      g_autofree float *x = NULL, *pooled = NULL;

      g_assert_no_error (error);
      g_assert_true (bx_compact_model_get_config (m, &c));
      g_assert_cmpstr (c.modality, ==, names[k]);
      S = (k == 0 ? 4 : 10) * c.rate;
      x = g_new (float, (gsize)2 * C * S);
      pooled = g_new (float, 2 * c.dim);
      synthetic_windows (x, 2, C, S, 8);
      run_pooled (m, x, 2, C, S, pooled);
      for (int i = 0; i < 2 * c.dim; i++)
        g_assert_true (isfinite (pooled[i]));
      g_assert_cmpfloat (max_abs (pooled, 2 * c.dim), >, 0.0);
    }
}

static const char *cli_path;

static int
run_cli (const char *const *args, char **out)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer)cli_path);
  for (int i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, &err,
                               &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_test_message ("stderr: %s", err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* `bioxbridge-cli pretrain` on a short synthetic night: writes a loadable
 * model and a checkpoint; resuming continues the step count; bad usage is
 * refused with exit code 2. */
static void
test_cli_pretrain (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *out = g_build_filename (dir, "ecg.safetensors", NULL);
  g_autofree char *ck = g_strconcat (out, ".ckpt", NULL);
  g_autofree char *o1 = NULL, *o2 = NULL, *o3 = NULL, *steps = NULL, *modality = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BxModel) m = NULL;
  const char *first[] = { "pretrain", "--modality", "ecg", "--synthetic-hours",
                          "0.1",      "--epochs",   "2",   "--steps",
                          "3",        "--batch",    "4",   "--seed",
                          "3",        "-o",         out,   NULL };
  const char *resume[] = {
    "pretrain", "--modality", "ecg", "--synthetic-hours", "0.1", "--epochs", "3", "--steps", "3", "--batch",
    "4",        "--seed",     "3",   "--resume",          ck,    "-o",       out, NULL
  };
  const char *bad[] = { "pretrain", "--modality", "eog", "-o", out, NULL };

  if (cli_path == NULL)
    {
      g_test_skip ("no bioxbridge-cli path given");
      return;
    }
  g_assert_cmpint (run_cli (first, &o1), ==, 0);
  g_assert_nonnull (strstr (o1, "epoch 2/2"));
  g_assert_true (g_file_test (ck, G_FILE_TEST_EXISTS));
  g_assert_cmpint (run_cli (resume, &o2), ==, 0);
  g_assert_nonnull (strstr (o2, "resumed"));
  g_assert_nonnull (strstr (o2, "epoch 3/3"));
  g_assert_null (strstr (o2, "epoch 1/3"));
  steps = bx_compact_file_metadata (out, "pretrain_steps", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (steps, ==, "9");
  modality = bx_compact_file_metadata (out, "modality", &error);
  g_assert_cmpstr (modality, ==, "ecg");
  m = bx_model_load (BX_MODEL_FAMILY_COMPACT, out, &error);
  g_assert_no_error (error);
  g_assert_cmpint (run_cli (bad, &o3), ==, 2);
  bx_test_tmpdir_remove (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc > 1)
    cli_path = argv[1];
  g_test_add_func ("/compact/cli-pretrain", test_cli_pretrain);
  bx_model_set_threads (1);
  g_test_add_func ("/compact/reference-forward-backward", test_reference_forward_backward);
  g_test_add_func ("/compact/reference-weight-gradients", test_reference_weight_gradients);
  g_test_add_func ("/compact/pretrain-loss-decreases", test_pretrain_loss_decreases);
  g_test_add_func ("/compact/spectrum-targets", test_spectrum_targets);
  g_test_add_func ("/compact/spectrum-pretrain", test_spectrum_pretrain);
  g_test_add_func ("/compact/save-load-resume", test_save_load_resume);
  g_test_add_func ("/compact/errors", test_errors);
  g_test_add_func ("/compact/committed-models", test_committed_models);
  return g_test_run ();
}
