/* bench-compact.c — linear-probe evaluation of the compact encoders on
 * eegmat (rest vs mental arithmetic), split by subject: train on subjects
 * 00–19, test on 20–29 (also held out from pretraining). Features per window:
 *   (a) pretrained encoder, mean-pooled last block   (data/models/compact-*.safetensors)
 *   (b) the same architecture with random weights (seed 12345)
 *   (c) classic: EEG log band powers (δ θ α β per channel); ECG heart rate,
 *       SDNN and RMSSD from R-peaks
 * The first 60 s of each file are used, so both classes have the same
 * number of windows (EEG 4 s × F3 F4 P3 O1 at 100 Hz: 15 per file; ECG
 * 10 s: 6 per file). Probe: sklearn-exact logistic regression (C = 1) on
 * standardised features; balanced accuracy on the test subjects.
 * A second EEG row probes the DREAMS excerpt's sleep stages (see dreams_row).
 * Run: build/tests/bench/compact/bench-compact [EEG_MODEL ECG_MODEL]
 * (data from $BIOX_SHARED_DATA or ../shared/data beside the source tree). */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "bridge/bx-logreg.h"
#include "models/bx-compact.h"

#define RATE 100
#define USE_S 60
#define N_SUBJ 30
#define N_TRAIN_SUBJ 20

typedef struct
{
  int C, S, per_file;
  GArray *x;     /* float windows (C, S) */
  GArray *label; /* int */
  GArray *subj;  /* int */
} Windows;

static gboolean
load_windows (const char *dir, gboolean eeg, Windows *w)
{
  static const char *const eeg_labels[] = { "EEG F3", "EEG F4", "EEG P3", "EEG O1", NULL };
  static const char *const ecg_labels[] = { "ECG ECG", NULL };

  w->C = eeg ? 4 : 1;
  w->S = (eeg ? 4 : 10) * RATE;
  w->per_file = USE_S * RATE / w->S;
  w->x = g_array_new (FALSE, FALSE, sizeof (float));
  w->label = g_array_new (FALSE, FALSE, sizeof (int));
  w->subj = g_array_new (FALSE, FALSE, sizeof (int));
  for (int s = 0; s < N_SUBJ; s++)
    for (int k = 1; k <= 2; k++)
      {
        g_autofree char *name = g_strdup_printf ("Subject%02d_%d.edf", s, k);
        g_autofree char *path = g_build_filename (dir, name, NULL);
        g_autoptr (GError) error = NULL;
        g_autoptr (BxCompactSignal) sig
            = bx_compact_signal_read (path, eeg ? "eeg" : "ecg", RATE, eeg ? eeg_labels : ecg_labels, &error);
        if (sig == NULL)
          {
            /* label spellings differ between files: fall back to every channel of the modality */
            g_clear_error (&error);
            sig = bx_compact_signal_read (path, eeg ? "eeg" : "ecg", RATE, NULL, &error);
          }
        if (sig == NULL || sig->n < (gsize)USE_S * RATE || sig->n_channels < w->C)
          {
            fprintf (stderr, "bench-compact: %s: %s\n", path,
                     error ? error->message : "too short / too few channels");
            return FALSE;
          }
        for (int i = 0; i < w->per_file; i++)
          {
            int lab = k - 1;
            for (int c = 0; c < w->C; c++)
              g_array_append_vals (w->x, sig->x + (gsize)c * sig->n + (gsize)i * w->S, w->S);
            g_array_append_val (w->label, lab);
            g_array_append_val (w->subj, s);
          }
      }
  return TRUE;
}

static void
windows_clear (Windows *w)
{
  g_array_unref (w->x);
  g_array_unref (w->label);
  g_array_unref (w->subj);
}

/* Pooled features of every window at every block: (L, n, dim), block-major. */
static double *
encoder_features_all (BxModel *m, const Windows *w, guint *p)
{
  gsize n = w->label->len;
  gint64 shape[2] = { w->C, w->S }, prep[6];
  int prep_ndim, L = bx_model_get_n_layers (m), D;
  g_autoptr (GError) error = NULL;
  g_autoptr (BxModelContext) ctx = bx_model_context_new ();
  g_autofree float *x
      = bx_model_prepare (m, (const float *)w->x->data, (int)n, 2, shape, &prep_ndim, prep, &error);
  g_autofree float *caps = NULL, *pooled = NULL;
  float *cap_ptrs[64]; /* ≥ layers of a compact model (depth ≤ 64) */
  gsize numel;
  double *f;
  int B = 32;

  g_assert_no_error (error);
  g_assert_true (bx_model_set_input_shape (m, prep_ndim, prep, &error));
  D = bx_model_feature_dim (m, L - 1, FALSE);
  numel = (gsize)bx_model_layer_numel (m, L - 1, FALSE);
  caps = g_new (float, (gsize)L *B *numel);
  pooled = g_new (float, (gsize)B *D);
  for (int l = 0; l < L; l++)
    cap_ptrs[l] = caps + (gsize)l * B * numel;
  f = g_new (double, (gsize)L *n *D);
  for (gsize i = 0; i < n; i += B)
    {
      int b = (int)MIN ((gsize)B, n - i);
      g_assert_true (bx_model_forward (m, ctx, b, BX_MODEL_FROM_PREPARED, L, x + i * w->C * w->S, NULL,
                                       cap_ptrs, FALSE, &error));
      for (int l = 0; l < L; l++)
        {
          g_assert_true (bx_model_pool (m, l, FALSE, cap_ptrs[l], b, pooled, &error));
          for (gsize j = 0; j < (gsize)b * D; j++)
            f[(gsize)l * n * D + i * D + j] = pooled[j];
        }
    }
  *p = (guint)D;
  return f;
}

/* Pooled last-block features (n, dim) of every window. */
static double *
encoder_features (BxModel *m, const Windows *w, guint *p)
{
  gsize n = w->label->len;
  int L = bx_model_get_n_layers (m);
  double *all = encoder_features_all (m, w, p), *f = g_new (double, n **p);

  memcpy (f, all + (gsize)(L - 1) * n * *p, n * *p * sizeof (double));
  g_free (all);
  return f;
}

/* Power of x (n samples at RATE) in [lo, hi) Hz by a direct periodogram at 0.25 Hz steps. */
static double
band_power (const float *x, int n, double lo, double hi)
{
  double s = 0.0;

  for (double f = lo; f < hi; f += 0.25)
    {
      double re = 0.0, im = 0.0;
      for (int i = 0; i < n; i++)
        {
          double a = 2 * G_PI * f * i / RATE, hann = 0.5 - 0.5 * cos (2 * G_PI * i / (n - 1));
          re += x[i] * hann * cos (a);
          im -= x[i] * hann * sin (a);
        }
      s += re * re + im * im;
    }
  return s;
}

/* R-peaks: squared derivative above 40 % of its window maximum, 300 ms refractory. */
static void
hrv_features (const float *x, int n, double *out)
{
  double *d = g_new (double, n), mx = 0.0, rr[64], mean = 0.0, sd = 0.0, rmssd = 0.0;
  int last = -1000, n_peaks = 0, n_rr = 0;

  for (int i = 1; i < n; i++)
    {
      d[i] = (double)(x[i] - x[i - 1]) * (x[i] - x[i - 1]);
      mx = MAX (mx, d[i]);
    }
  d[0] = 0.0;
  for (int i = 1; i + 1 < n; i++)
    if (d[i] > 0.4 * mx && d[i] >= d[i - 1] && d[i] >= d[i + 1] && i - last > 30)
      {
        if (last >= 0 && n_rr < 64)
          rr[n_rr++] = (double)(i - last) / RATE;
        last = i;
        n_peaks++;
      }
  for (int i = 0; i < n_rr; i++)
    mean += rr[i] / MAX (n_rr, 1);
  for (int i = 0; i < n_rr; i++)
    sd += (rr[i] - mean) * (rr[i] - mean) / MAX (n_rr, 1);
  for (int i = 1; i < n_rr; i++)
    rmssd += (rr[i] - rr[i - 1]) * (rr[i] - rr[i - 1]) / MAX (n_rr - 1, 1);
  out[0] = n_rr > 0 ? 60.0 / mean : 0.0;
  out[1] = sqrt (sd);
  out[2] = sqrt (rmssd);
  g_free (d);
}

static double *
classic_features (const Windows *w, gboolean eeg, guint *p)
{
  gsize n = w->label->len;
  const float *x = (const float *)w->x->data;
  static const double bands[5] = { 1, 4, 8, 13, 30 };
  double *f;

  *p = eeg ? (guint)(4 * w->C) : 3;
  f = g_new (double, n **p);
  for (gsize i = 0; i < n; i++)
    {
      const float *xi = x + i * w->C * w->S;
      if (eeg)
        for (int c = 0; c < w->C; c++)
          for (int b = 0; b < 4; b++)
            f[i * *p + c * 4 + b]
                = log (band_power (xi + (gsize)c * w->S, w->S, bands[b], bands[b + 1]) + 1e-12);
      else
        hrv_features (xi, w->S, f + i * 3);
    }
  return f;
}

/* Balanced accuracy (mean recall over the classes present in the test rows)
 * of a probe trained on the rows with is_train[i]. */
static double
probe_split (const double *f, guint p, const int *y, const gboolean *is_train, gsize n)
{
  gsize n_tr = 0, n_te = 0;
  g_autofree double *tr = g_new (double, n *p), *te = g_new (double, n *p);
  g_autofree double *mean = g_new0 (double, p), *sd = g_new0 (double, p);
  g_autofree int *ytr = g_new (int, n), *yte = g_new (int, n), *pred = g_new (int, n);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxLogReg) lr = NULL;
  double ok[8] = { 0 }, cnt[8] = { 0 }, bacc = 0.0;
  int n_cls = 0;

  for (gsize i = 0; i < n; i++)
    {
      memcpy ((is_train[i] ? tr + n_tr * p : te + n_te * p), f + i * p, p * sizeof (double));
      if (is_train[i])
        ytr[n_tr++] = y[i];
      else
        yte[n_te++] = y[i];
    }
  for (guint j = 0; j < p; j++)
    {
      for (gsize i = 0; i < n_tr; i++)
        mean[j] += tr[i * p + j] / n_tr;
      for (gsize i = 0; i < n_tr; i++)
        sd[j] += (tr[i * p + j] - mean[j]) * (tr[i * p + j] - mean[j]) / n_tr;
      sd[j] = sqrt (sd[j]) + 1e-12;
      for (gsize i = 0; i < n_tr; i++)
        tr[i * p + j] = (tr[i * p + j] - mean[j]) / sd[j];
      for (gsize i = 0; i < n_te; i++)
        te[i * p + j] = (te[i * p + j] - mean[j]) / sd[j];
    }
  lr = bx_logreg_fit (tr, ytr, n_tr, p, 1.0, 2000, 1e-6, &error);
  g_assert_no_error (error);
  bx_logreg_predict (lr, te, n_te, pred);
  for (gsize i = 0; i < n_te; i++)
    {
      cnt[yte[i]] += 1;
      ok[yte[i]] += pred[i] == yte[i];
    }
  for (int c = 0; c < 8; c++)
    if (cnt[c] > 0)
      {
        bacc += ok[c] / cnt[c];
        n_cls++;
      }
  return bacc / MAX (n_cls, 1);
}

/* eegmat: train on subjects < N_TRAIN_SUBJ, test on the rest. */
static double
probe (const Windows *w, const double *f, guint p)
{
  gsize n = w->label->len;
  g_autofree gboolean *is_train = g_new (gboolean, n);

  for (gsize i = 0; i < n; i++)
    is_train[i] = g_array_index (w->subj, int, i) < N_TRAIN_SUBJ;
  return probe_split (f, p, (const int *)w->label->data, is_train, n);
}

/* DREAMS excerpt 3: 5-s windows of O1-A1, C3-A1, FP1-A1 labelled by the
 * hypnogram file (W, S1, S2, S3; no REM or S4 in this excerpt); alternate
 * 1-min blocks train / test. Returns FALSE (and says why) without the data. */
static gboolean
dreams_row (const char *data, BxModel *pre, BxModel *rnd)
{
  static const char *const labels[] = { "O1-A1", "C3-A1", "FP1-A1", NULL };
  g_autofree char *edf = g_build_filename (data, "dreams", "excerpt3.edf", NULL);
  g_autofree char *hyp = g_build_filename (data, "dreams", "Hypnogram_excerpt3.txt", NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BxCompactSignal) sig = bx_compact_signal_read (edf, "eeg", RATE, labels, &error);
  Windows w = { .C = 3, .S = 5 * RATE };
  g_autofree double *fp = NULL, *fr = NULL, *fc = NULL;
  g_autofree gboolean *is_train = NULL;
  guint pp, pr, pc;
  gsize n = 0;

  if (sig == NULL || !g_file_get_contents (hyp, &text, NULL, NULL))
    {
      fprintf (stderr, "bench-compact: DREAMS row skipped: %s\n", error ? error->message : hyp);
      return FALSE;
    }
  w.x = g_array_new (FALSE, FALSE, sizeof (float));
  w.label = g_array_new (FALSE, FALSE, sizeof (int));
  w.subj = g_array_new (FALSE, FALSE, sizeof (int));
  lines = g_strsplit (text, "\n", -1);
  for (int i = 1; lines[i] != NULL && *g_strstrip (lines[i]) != '\0'; i++)
    {
      /* R&K codes 5=W 4=REM 3=S1 2=S2 1=S3 0=S4 → 0 W, 1 S1, 2 S2, 3 S3/S4, 4 REM */
      int code = atoi (lines[i]), lab = code == 5 ? 0 : code == 4 ? 4 : code == 3 ? 1 : code == 2 ? 2 : 3;
      gsize off = (gsize)(i - 1) * w.S;
      if (off + w.S > sig->n)
        break;
      for (int c = 0; c < w.C; c++)
        g_array_append_vals (w.x, sig->x + (gsize)c * sig->n + off, w.S);
      g_array_append_val (w.label, lab);
      g_array_append_val (w.subj, i);
      n++;
    }
  is_train = g_new (gboolean, n);
  for (gsize i = 0; i < n; i++)
    is_train[i] = (i / 12) % 2 == 0;
  fp = encoder_features (pre, &w, &pp);
  fr = encoder_features (rnd, &w, &pr);
  fc = classic_features (&w, TRUE, &pc);
  printf ("DREAMS stages W/S1/S2/S3 (%zu windows of 3 ch × 5 s, alternate 1-min blocks): pretrained %.3f | "
          "random "
          "weights %.3f | classic (log band powers) %.3f\n",
          n, probe_split (fp, pp, (const int *)w.label->data, is_train, n),
          probe_split (fr, pr, (const int *)w.label->data, is_train, n),
          probe_split (fc, pc, (const int *)w.label->data, is_train, n));
  windows_clear (&w);
  return TRUE;
}

int
main (int argc, char **argv)
{
  const char *env = g_getenv ("BIOX_SHARED_DATA");
  g_autofree char *data
      = env ? g_strdup (env) : g_build_filename (BIOX_BENCH_SOURCE_ROOT, "..", "shared", "data", NULL);
  g_autofree char *dir = g_build_filename (data, "eegmat", NULL);
  g_autofree char *eeg_model
      = g_build_filename (BIOX_BENCH_SOURCE_ROOT, "data", "models", "compact-eeg.safetensors", NULL);
  g_autofree char *ecg_model
      = g_build_filename (BIOX_BENCH_SOURCE_ROOT, "data", "models", "compact-ecg.safetensors", NULL);

  if (argc == 3)
    {
      g_free (eeg_model);
      g_free (ecg_model);
      eeg_model = g_strdup (argv[1]);
      ecg_model = g_strdup (argv[2]);
    }
  bx_model_set_threads (1);
  printf ("eegmat rest vs task, linear probe, train subjects 00-%02d, test %02d-%02d, balanced accuracy\n",
          N_TRAIN_SUBJ - 1, N_TRAIN_SUBJ, N_SUBJ - 1);
  for (int k = 0; k < 2; k++)
    {
      gboolean eeg = k == 0;
      Windows w;
      g_autoptr (GError) error = NULL;
      g_autoptr (BxModel) pre = bx_model_load (BX_MODEL_FAMILY_COMPACT, eeg ? eeg_model : ecg_model, &error);
      g_autoptr (BxModel) rnd = NULL;
      BxCompactConfig cfg;
      g_autofree double *fp = NULL, *fr = NULL, *fc = NULL;
      guint pp, pr, pc;
      gint64 t0 = g_get_monotonic_time ();

      if (pre == NULL)
        {
          fprintf (stderr, "bench-compact: %s\n", error->message);
          return 1;
        }
      bx_compact_model_get_config (pre, &cfg);
      rnd = bx_compact_model_new (&cfg, 12345, &error);
      if (!load_windows (dir, eeg, &w))
        return 1;
      fp = encoder_features (pre, &w, &pp);
      fr = encoder_features (rnd, &w, &pr);
      fc = classic_features (&w, eeg, &pc);
      printf ("%s (%u windows of %d ch × %d s): pretrained %.3f | random weights %.3f | classic (%s) %.3f   "
              "[%.1f s]\n",
              eeg ? "EEG" : "ECG", w.label->len, w.C, w.S / RATE, probe (&w, fp, pp), probe (&w, fr, pr),
              eeg ? "log band powers" : "HR, SDNN, RMSSD", probe (&w, fc, pc),
              (double)(g_get_monotonic_time () - t0) / 1e6);
      /* the encoders see each channel z-scored over the window: the classic
       * features of that same input tell how much the normalisation removes */
      if (eeg)
        {
          Windows z = w;
          g_autofree double *fz = NULL;
          guint pz;
          z.x = g_array_copy (w.x);
          bx_compact_normalize ((float *)z.x->data, z.x->len / (guint)z.S, (gsize)z.S);
          fz = classic_features (&z, TRUE, &pz);
          printf ("  classic log band powers of the z-scored input (what the encoders see): %.3f\n",
                  probe (&z, fz, pz));
          g_array_unref (z.x);
        }
      /* every block, to show where the features are (the table above uses the last) */
      for (int r = 0; r < 2; r++)
        {
          BxModel *m = r == 0 ? pre : rnd;
          int L = bx_model_get_n_layers (m);
          guint pl;
          g_autofree double *all = encoder_features_all (m, &w, &pl);
          printf ("  %s per block:", r == 0 ? "pretrained" : "random    ");
          for (int l = 0; l < L; l++)
            printf (" %d: %.3f", l, probe (&w, all + (gsize)l * w.label->len * pl, pl));
          printf ("\n");
        }
      if (eeg)
        dreams_row (data, pre, rnd);
      windows_clear (&w);
    }
  return 0;
}
