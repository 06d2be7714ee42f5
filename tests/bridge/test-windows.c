/* Windows from recordings: channel choice, the shared time grid, EDF+D gaps,
 * NaN / flat stretches, labels and purity, the per-model recipes against
 * independent computations, rate and channel errors, cancellation, the real
 * eegmat files and the .npy path. */
#include <math.h>
#include <string.h>

#include "bridge/bx-windows-private.h"
#include "bridge/bx-windows.h"
#include "bx-test-data.h"
#include "dsp/bx-dsp.h"
#include "io/bx-npy.h"
#include "recording/bx-edf-writer.h"
#include "recording/bx-hypnogram.h"

typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  (void) data;
  f->dir = bx_test_tmpdir_new ();
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  (void) data;
  bx_test_tmpdir_remove (f->dir);
  g_free (f->dir);
}

static float *
sine (gint64 n, double rate, double amplitude, double frequency, double offset)
{
  float *x = g_new (float, n);

  for (gint64 i = 0; i < n; i++)
    x[i] = (float) (offset + amplitude * sin (2 * G_PI * frequency * (double) i / rate));
  return x;
}

static BxWriteChannel
channel (const char *label, const char *unit, double rate, const float *x, gint64 n)
{
  BxWriteChannel c = { 0 };

  c.label = label;
  c.physical_dimension = unit;
  c.sample_rate = rate;
  c.samples = x;
  c.n_samples = n;
  return c;
}

/* Independent majority rule over epochs of `epoch` seconds with values
 * `stages` (class indices): the class covering most of [t0, t1), kept when
 * its share is at least min_purity and it has no tie. */
static int
expected_label (const int *classes, guint n_epochs, double epoch, double t0, double t1, double min_purity)
{
  double cover[8] = { 0 };
  int best = -1;
  double best_cover = 0;
  gboolean tie = FALSE;

  for (guint e = 0; e < n_epochs; e++)
    {
      double a = MAX (t0, e * epoch), b = MIN (t1, (e + 1) * epoch);

      if (b > a)
        cover[classes[e]] += b - a;
    }
  for (int c = 0; c < 8; c++)
    {
      if (cover[c] > best_cover + 1e-9)
        {
          best = c;
          best_cover = cover[c];
          tie = FALSE;
        }
      else if (cover[c] > 0 && fabs (cover[c] - best_cover) < 1e-9)
        tie = TRUE;
    }
  if (tie || best_cover < min_purity * (t1 - t0) - 1e-9)
    return -1;
  return best;
}

/* ---- a synthetic PSG: 7 EEG channels (Fp1 first, then the ISRUC six, one in
 * mV), an ECG, staged with 10-s annotations ---- */

#define SYN_SECONDS 60
#define EEG_FS 500.0
#define ECG_FS 250.0

static const double eeg_freq[6] = { 10, 7, 5, 12, 3, 9 };

static char *
write_psg (const char *dir)
{
  static const char *const labels[6] = { "EEG F3-M2", "C3-A2", "EEG O1-M2", "F4-M1", "EEG C4", "O2_A1" };
  static const char *const stages[6] = { "Sleep stage W", "Sleep stage W", "Sleep stage 2", "Sleep stage 2",
                                         "Sleep stage R", "Sleep stage W" };
  char *path = g_build_filename (dir, "psg.edf", NULL);
  gint64 n_eeg = (gint64) (SYN_SECONDS * EEG_FS), n_ecg = (gint64) (SYN_SECONDS * ECG_FS);
  float *x[8];
  BxWriteChannel ch[8];
  g_autoptr (BxAnnotationList) annotations = bx_annotation_list_new ();
  g_autoptr (GError) error = NULL;

  x[0] = sine (n_eeg, EEG_FS, 30, 20, 0);
  ch[0] = channel ("EEG Fp1", "uV", EEG_FS, x[0], n_eeg);
  for (int c = 0; c < 6; c++)
    {
      /* O1 is written in mV: the windows must come out in µV all the same. */
      gboolean mv = c == 2;

      x[c + 1] = sine (n_eeg, EEG_FS, mv ? 0.05 : 50, eeg_freq[c], 0);
      ch[c + 1] = channel (labels[c], mv ? "mV" : "uV", EEG_FS, x[c + 1], n_eeg);
    }
  x[7] = sine (n_ecg, ECG_FS, 1.0, 1.2, 0.3);
  /* Amplitude growing 1 → 2 over the minute: a z-score over the recording
   * differs from one per window. */
  for (gint64 i = 0; i < n_ecg; i++)
    x[7][i] *= (float) (1 + i / (double) n_ecg);
  ch[7] = channel ("ECG", "mV", ECG_FS, x[7], n_ecg);
  bx_annotation_list_add (annotations, 3.3, -1, "Lights off");
  for (int e = 0; e < 6; e++)
    bx_annotation_list_add (annotations, e * 10.0, 10, stages[e]);
  g_assert_true (bx_edf_write (path, NULL, ch, 8, annotations, &error));
  g_assert_no_error (error);
  for (int c = 0; c < 8; c++)
    g_free (x[c]);
  return path;
}

static void
test_paired_synthetic (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_psg (f->dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxRecording) rec = bx_recording_open (path, &error);
  g_autoptr (BxWindowSet) set = NULL;
  BxWindowParams params;
  static const int classes[6] = { 0, 0, 2, 2, 4, 0 };  /* AASM W, W, N2, N2, R, W */
  static const char *const isruc[6] = { "EEG F3-M2", "C3-A2", "EEG O1-M2", "F4-M1", "EEG C4", "O2_A1" };
  guint expected_n = 0, n_onsets = 0;
  /* resample_ecgfm over the 60-s file: output j sits at input position j · (n − 1) / (n_out − 1). */
  double n_in = SYN_SECONDS * EEG_FS, n_out = SYN_SECONDS * 200.0;
  double pos_scale = (n_in - 1) / (n_out - 1);
  gboolean saw_impure = FALSE;

  (void) data;
  g_assert_no_error (error);
  bx_window_params_init (&params);
  params.window_seconds = 5;
  params.step_seconds = 2;
  params.n_sides = 2;
  set = bx_windows_from_recording (rec, &params, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (set);

  /* Grid: onsets k · 2 s before the end; those at 56 and 58 s run over it. */
  for (double t = 0; t < SYN_SECONDS; t += 2)
    {
      n_onsets++;
      expected_n += t + 5 <= SYN_SECONDS;
    }
  g_assert_cmpuint (set->n_windows, ==, expected_n);
  g_assert_cmpuint (set->n_skipped, ==, n_onsets - expected_n);
  g_assert_cmpuint (set->skip_reasons->len, ==, 2);
  g_assert_nonnull (strstr (g_ptr_array_index (set->skip_reasons, 0), "past the end"));

  /* ISRUC channels in ISRUC order, although Fp1 comes first in the file. */
  g_assert_cmpuint (set->n_sides, ==, 2);
  g_assert_cmpuint (set->side[0].n_channels, ==, 6);
  for (int c = 0; c < 6; c++)
    g_assert_cmpstr (set->side[0].channel_labels[c], ==, isruc[c]);
  g_assert_cmpstr (set->side[1].channel_labels[0], ==, "ECG");
  g_assert_cmpint (set->side[0].raw_ndim, ==, 2);
  g_assert_cmpint (set->side[0].raw_shape[0], ==, 6);
  g_assert_cmpint (set->side[0].raw_shape[1], ==, 1000);
  g_assert_cmpint (set->side[1].raw_ndim, ==, 2);
  g_assert_cmpint (set->side[1].raw_shape[0], ==, 1);
  g_assert_cmpint (set->side[1].raw_shape[1], ==, 500);
  g_assert_cmpuint (set->side[1].raw_numel, ==, 500);

  g_assert_cmpuint (g_strv_length (set->class_names), ==, 5);
  g_assert_cmpstr (set->class_names[4], ==, "R");

  for (guint i = 0; i < set->n_windows; i++)
    {
      double t0 = set->onsets[i];
      const float *eeg = set->side[0].data + i * set->side[0].raw_numel;
      const float *ecg = set->side[1].data + i * set->side[1].raw_numel;
      double mean = 0, var = 0, corr = 0, ref2 = 0;
      int want;

      g_assert_cmpfloat_with_epsilon (t0, 2.0 * i, 1e-9);
      g_assert_cmpuint (set->recording_index[i], ==, 0);
      want = expected_label (classes, 6, 10, t0, t0 + 5, 0.8);
      /* e.g. [8, 13): 60 % N2 — a clear winner below the 0.8 purity */
      saw_impure |= want == -1 && expected_label (classes, 6, 10, t0, t0 + 5, 0) >= 0;
      g_assert_cmpint (set->labels[i], ==, want);

      /* LaBraM: every channel is its sine in µV at 200 Hz (linear
       * interpolation error of a 12 Hz sine at 500 Hz is < 0.2 µV; the
       * 16-bit quantisation much less). */
      for (int c = 0; c < 6; c++)
        for (int j = 0; j < 1000; j += 7)
          {
            double pos = (floor (t0 * 200 + 0.5) + j) * pos_scale / EEG_FS;
            double want_v = 50 * sin (2 * G_PI * eeg_freq[c] * pos);

            g_assert_cmpfloat (fabs (eeg[c * 1000 + j] - want_v), <, 0.5);
          }
      /* HuBERT: per-window z-score; the 1.2 Hz sine passes the 0.05–47 Hz band. */
      for (int j = 0; j < 500; j++)
        mean += ecg[j];
      mean /= 500;
      for (int j = 0; j < 500; j++)
        {
          double r = sin (2 * G_PI * 1.2 * (t0 + j / 100.0));

          var += (ecg[j] - mean) * (ecg[j] - mean);
          corr += ecg[j] * r;
          ref2 += r * r;
        }
      g_assert_cmpfloat (fabs (mean), <, 1e-4);
      g_assert_cmpfloat (fabs (sqrt (var / 500) - 1), <, 1e-4);
      g_assert_cmpfloat (corr / sqrt (ref2 * 500), >, 0.98);
    }
  g_assert_true (saw_impure);  /* the 2-s step really cuts epochs 60/40 */
}

/* Explicit channels; the whole-recording z-score of the WESAD-style chain. */
static void
test_explicit_channels (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_psg (f->dir);
  g_autofree char *manifest_path = g_build_filename (f->dir, "run.tsv", NULL);
  g_autofree char *text = g_strdup_printf ("path\tsubject\trole\tlabels\tchannels\n"
                                           "%s\tS1\tpair\tlabel:task\tEEG= eeg o1-m2 ,EEG Fp1;ECG=ecg\n",
                                           path);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxManifest) manifest = NULL;
  g_autoptr (BxWindowSet) set = NULL;
  BxWindowParams params;
  double sum = 0, sum2 = 0, mean, std;
  gsize n = 0;

  (void) data;
  g_assert_true (g_file_set_contents (manifest_path, text, -1, NULL));
  manifest = bx_manifest_load (manifest_path, &error);
  g_assert_no_error (error);
  bx_window_params_init (&params);
  params.window_seconds = 10;
  params.step_seconds = 10;
  params.n_sides = 2;
  params.per_window_filter = FALSE;
  params.per_window_zscore = FALSE;
  set = bx_windows_from_manifest (manifest, BX_ROLE_PAIR, &params, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (set->n_windows, ==, 6);
  g_assert_cmpuint (set->side[0].n_channels, ==, 2);
  g_assert_cmpstr (set->side[0].channel_labels[0], ==, "EEG O1-M2");
  g_assert_cmpstr (set->side[0].channel_labels[1], ==, "EEG Fp1");
  g_assert_cmpstr (set->class_names[0], ==, "task");
  g_assert_null (set->class_names[1]);
  g_assert_cmpstr (g_ptr_array_index (set->subjects, 0), ==, "S1");
  for (guint i = 0; i < set->n_windows; i++)
    {
      g_assert_cmpint (set->labels[i], ==, 0);
      /* Fp1 (second row) is a 30 µV 20 Hz sine: std 30/√2 µV. */
      g_assert_true (bx_mean_std (set->side[0].data + i * set->side[0].raw_numel + 2000, 2000, &mean, &std, NULL));
      g_assert_cmpfloat (fabs (std - 30 / G_SQRT2), <, 0.5);
    }
  /* Over the recording (not per window): mean 0, std 1 across all windows. */
  for (guint i = 0; i < set->n_windows * set->side[1].raw_numel; i++)
    {
      sum += set->side[1].data[i];
      sum2 += set->side[1].data[i] * set->side[1].data[i];
      n++;
    }
  g_assert_cmpfloat (fabs (sum / n), <, 1e-3);
  g_assert_cmpfloat (fabs (sqrt (sum2 / n) - 1), <, 1e-3);
  {
    /* WESAD chain over the whole recording, recomputed: linear 250 → 500,
     * FIR filtfilt, linear 500 → 100, one z-score. */
    g_autoptr (BxRecording) rec = bx_recording_open (path, &error);
    gint64 n_ecg = SYN_SECONDS * (gint64) ECG_FS;
    g_autofree float *raw = g_new (float, n_ecg);
    static const double band[2] = { 0.05, 47 };
    g_autofree double *taps = bx_firwin (151, band, 2, FALSE, NULL, 500, &error);
    g_autoptr (BxFilterCoeffs) fir = bx_filter_coeffs_new_fir (taps, 151, &error);
    g_autofree float *x500 = NULL;
    g_autofree float *x100 = NULL;
    gsize n500, n100;

    g_assert_true (bx_recording_read (rec, 7, 0, n_ecg, raw, &error));
    x500 = bx_resample_linear (raw, n_ecg, ECG_FS, 500, &n500, &error);
    g_assert_true (bx_filtfilt (fir, x500, x500, n500, BX_PAD_ODD, 453, &error));
    x100 = bx_resample_linear (x500, n500, 500, 100, &n100, &error);
    g_assert_cmpuint (n100, ==, 6000);
    g_assert_true (bx_zscore (x100, n100, &error));
    for (gsize i = 0; i < n100; i++)
      g_assert_cmpfloat (fabs (set->side[1].data[i] - x100[i]), <, 1e-4);
    /* Not per window: the first (quietest) window has std well below 1. */
    g_assert_true (bx_mean_std (set->side[1].data, 1000, &mean, &std, NULL));
    g_assert_cmpfloat (std, <, 0.8);
  }
  bx_window_set_free (g_steal_pointer (&set));

  /* A label the file does not have is an error naming file, modality and label. */
  g_free (text);
  text = g_strdup_printf ("path\tsubject\trole\tlabels\tchannels\n%s\tS1\tpair\tnone\tEEG=EEG F3-M2,Pz\n", path);
  g_assert_true (g_file_set_contents (manifest_path, text, -1, NULL));
  bx_manifest_free (manifest);
  manifest = bx_manifest_load (manifest_path, &error);
  g_assert_no_error (error);
  set = bx_windows_from_manifest (manifest, BX_ROLE_PAIR, &params, NULL, &error);
  g_assert_null (set);
  g_assert_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_CHANNEL);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "EEG channel 'Pz'"));
}

/* Labels from a file (`file:`) in a stage set, and from annotations; an
 * unknown label text is an error naming the label file. */
static void
test_label_file (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_psg (f->dir);
  g_autofree char *csv = g_build_filename (f->dir, "hyp.csv", NULL);
  g_autofree char *manifest_path = g_build_filename (f->dir, "run.tsv", NULL);
  g_autofree char *text = g_strdup_printf ("path\tsubject\trole\tlabels\tchannels\n"
                                           "%s\tA\ttrain\tfile:hyp.csv\tauto\n"
                                           "%s\tB\ttrain\tannotations\tauto\n",
                                           path, path);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxManifest) manifest = NULL;
  g_autoptr (BxWindowSet) set = NULL;
  BxWindowParams params;
  static const int file_classes[3] = { 0, 1, 1 };            /* W, N2 → Sleep, R → Sleep (20-s rows) */
  static const int annot_classes[6] = { 0, 0, 1, 1, 1, 0 };  /* the file's own 10-s stages */
  guint n_per = 0;

  (void) data;
  g_assert_true (g_file_set_contents (csv, "onset,duration,stage\n0,20,W\n20,20,N2\n40,20,R\n", -1, NULL));
  g_assert_true (g_file_set_contents (manifest_path, text, -1, NULL));
  manifest = bx_manifest_load (manifest_path, &error);
  g_assert_no_error (error);
  bx_window_params_init (&params);
  params.window_seconds = 10;
  params.step_seconds = 5;
  params.use_stage_set = TRUE;
  params.stage_set = BX_STAGE_SET_SLEEP_WAKE;
  set = bx_windows_from_manifest (manifest, BX_ROLE_TRAIN, &params, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (set->class_names), ==, 2);
  g_assert_cmpstr (set->class_names[0], ==, "W");
  for (double t = 0; t + 10 <= SYN_SECONDS; t += 5)
    n_per++;
  g_assert_cmpuint (set->n_windows, ==, 2 * n_per);
  for (guint i = 0; i < set->n_windows; i++)
    {
      double t0 = set->onsets[i];
      int want = set->recording_index[i] == 0 ? expected_label (file_classes, 3, 20, t0, t0 + 10, 0.8)
                                              : expected_label (annot_classes, 6, 10, t0, t0 + 10, 0.8);

      g_assert_cmpint (set->labels[i], ==, want);
    }
  g_assert_cmpint (set->labels[3], ==, -1);  /* [15, 25): half W, half N2 */
  bx_window_set_free (g_steal_pointer (&set));

  g_assert_true (g_file_set_contents (csv, "onset,duration,stage\n0,20,W\n20,20,Banana\n", -1, NULL));
  set = bx_windows_from_manifest (manifest, BX_ROLE_TRAIN, &params, NULL, &error);
  g_assert_null (set);
  g_assert_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_LABELS);
  g_assert_nonnull (strstr (error->message, "hyp.csv"));
  g_assert_nonnull (strstr (error->message, "Banana"));
}

/* NormWear: 3 EMG channels, 3-s windows → (3, 3, 388, 65); equals linear
 * 500 → 130 Hz over the recording, per-channel z-score, then spec_cwt. */
static void
test_normwear (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "emg.edf", NULL);
  const gint64 n = 10 * 500;
  float *x[3];
  BxWriteChannel ch[3];
  static const char *const labels[3] = { "EMG Chin1", "EMG Chin2", "EMG Leg" };
  g_autoptr (GError) error = NULL;
  g_autoptr (BxRecording) rec = NULL;
  g_autoptr (BxWindowSet) set = NULL;
  BxWindowParams params;

  (void) data;
  for (int c = 0; c < 3; c++)
    {
      x[c] = sine (n, 500, 20 + 10 * c, 13 + 11 * c, 0);
      ch[c] = channel (labels[c], "uV", 500, x[c], n);
    }
  g_assert_true (bx_edf_write (path, NULL, ch, 3, NULL, &error));
  for (int c = 0; c < 3; c++)
    g_free (x[c]);
  rec = bx_recording_open (path, &error);
  g_assert_no_error (error);
  bx_window_params_init (&params);
  params.window_seconds = 3;
  params.step_seconds = 3;
  params.modality[0] = BX_MODALITY_EMG;
  params.recipe[0] = BX_PREP_NORMWEAR_EMG;
  set = bx_windows_from_recording (rec, &params, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (set->n_windows, ==, 3);
  g_assert_cmpint (set->side[0].raw_ndim, ==, 4);
  g_assert_cmpint (set->side[0].raw_shape[0], ==, 3);
  g_assert_cmpint (set->side[0].raw_shape[1], ==, 3);
  g_assert_cmpint (set->side[0].raw_shape[2], ==, 388);
  g_assert_cmpint (set->side[0].raw_shape[3], ==, 65);
  g_assert_cmpuint (set->side[0].raw_numel, ==, 3 * 3 * 388 * 65);
  for (int c = 0; c < 3; c++)
    {
      g_autofree float *raw = g_new (float, n);
      g_autofree float *y = NULL;
      g_autofree float *cwt = g_new (float, 3 * 388 * 65);
      gsize n130;

      g_assert_cmpstr (set->side[0].channel_labels[c], ==, labels[c]);
      g_assert_true (bx_recording_read (rec, (guint) c, 0, n, raw, &error));
      y = bx_resample_linear (raw, n, 500, 130, &n130, &error);
      g_assert_cmpuint (n130, ==, 1300);
      g_assert_true (bx_zscore (y, n130, &error));
      for (guint i = 0; i < set->n_windows; i++)
        {
          const float *got = set->side[0].data + i * set->side[0].raw_numel + c * 3 * 388 * 65;

          g_assert_true (bx_spec_cwt (y + i * 390, 390, cwt, &error));
          for (int j = 0; j < 3 * 388 * 65; j++)
            g_assert_cmpfloat (fabs (got[j] - cwt[j]), <, 1e-4 * (1 + fabs (cwt[j])));
        }
    }
}

/* PaPaGei: FFT resample 64 → 125 Hz over the recording, Cheby1 band-pass
 * filtfilt, z-score over the recording; HuBERT per window: linear → 500 Hz,
 * FIR filtfilt, linear → 100 Hz, z-score — both recomputed step by step. */
static void
test_ppg_and_ecg_chains (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "wrist.edf", NULL);
  const gint64 n_ppg = 60 * 64, n_ecg = 60 * 256;
  g_autofree float *ppg = sine (n_ppg, 64, 50, 1.1, 200);
  g_autofree float *ecg = sine (n_ecg, 256, 0.8, 1.3, 0);
  BxWriteChannel ch[2] = { channel ("PPG", "", 64, ppg, n_ppg), channel ("ECG II", "mV", 256, ecg, n_ecg) };
  g_autoptr (GError) error = NULL;
  g_autoptr (BxRecording) rec = NULL;
  g_autoptr (BxWindowSet) set = NULL;
  g_autoptr (BxFilterCoeffs) cheby = NULL;
  g_autoptr (BxFilterCoeffs) fir = NULL;
  g_autofree float *raw_ppg = g_new (float, n_ppg);
  g_autofree float *raw_ecg = g_new (float, n_ecg);
  g_autofree float *y = NULL;
  g_autofree double *taps = NULL;
  static const double band[2] = { 0.05, 47 };
  BxWindowParams params;
  double corr = 0, ref2 = 0;

  (void) data;
  for (gint64 i = 0; i < n_ecg; i++)
    ecg[i] += (float) (0.2 * sin (2 * G_PI * 60 * i / 256.0));  /* mains hum: cut by the 47 Hz low-pass */
  g_assert_true (bx_edf_write (path, NULL, ch, 2, NULL, &error));
  rec = bx_recording_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bx_recording_get_channel (rec, 0)->modality, ==, BX_MODALITY_PPG);
  bx_window_params_init (&params);
  params.window_seconds = 20;
  params.step_seconds = 20;
  params.n_sides = 2;
  params.modality[0] = BX_MODALITY_PPG;
  params.recipe[0] = BX_PREP_PAPAGEI_PPG;
  set = bx_windows_from_recording (rec, &params, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (set->n_windows, ==, 3);
  g_assert_cmpint (set->side[0].raw_shape[0], ==, 1);
  g_assert_cmpint (set->side[0].raw_shape[1], ==, 2500);
  g_assert_cmpint (set->side[1].raw_shape[1], ==, 2000);

  g_assert_true (bx_recording_read (rec, 0, 0, n_ppg, raw_ppg, &error));
  y = bx_resample_fft (raw_ppg, n_ppg, 7500, &error);
  cheby = bx_cheby1 (4, 0.5, BX_BAND_BANDPASS, 0.5, 12, 125, &error);
  g_assert_true (bx_filtfilt (cheby, y, y, 7500, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error));
  g_assert_true (bx_zscore (y, 7500, &error));
  for (int i = 0; i < 7500; i++)
    g_assert_cmpfloat (fabs (set->side[0].data[i] - y[i]), <, 1e-4);
  /* The 1.1 Hz pulse survives the band-pass (zero phase). */
  for (int i = 0; i < 7500; i++)
    {
      double r = sin (2 * G_PI * 1.1 * i / 125.0);

      corr += set->side[0].data[i] * r;
      ref2 += r * r;
    }
  g_assert_cmpfloat (corr / sqrt (ref2 * 7500), >, 0.99);

  g_assert_true (bx_recording_read (rec, 1, 0, n_ecg, raw_ecg, &error));
  taps = bx_firwin (151, band, 2, FALSE, NULL, 500, &error);
  fir = bx_filter_coeffs_new_fir (taps, 151, &error);
  for (guint k = 0; k < 3; k++)
    {
      gsize n500;
      g_autofree float *x500 = bx_resample_linear (raw_ecg + k * 20 * 256, 20 * 256, 256, 500, &n500, &error);
      g_autofree float *x100 = g_new (float, 2000);

      g_assert_cmpuint (n500, ==, 10000);
      g_assert_true (bx_filtfilt (fir, x500, x500, n500, BX_PAD_ODD, 453, &error));
      g_assert_true (bx_resample_linear_into (x500, n500, x100, 2000, &error));
      g_assert_true (bx_zscore (x100, 2000, &error));
      for (int i = 0; i < 2000; i++)
        g_assert_cmpfloat (fabs (set->side[1].data[k * 2000 + i] - x100[i]), <, 1e-4);
      /* 60 Hz is gone (with it the correlation would stay near 0.97). */
      corr = ref2 = 0;
      for (int i = 0; i < 2000; i++)
        {
          double r = sin (2 * G_PI * 1.3 * (k * 20 + i / 100.0));

          corr += set->side[1].data[k * 2000 + i] * r;
          ref2 += r * r;
        }
      g_assert_cmpfloat (corr / sqrt (ref2 * 2000), >, 0.99);
    }
}

/* Against tests/reference/windows_fixtures.py (scipy/numpy, the reference
 * make_*.py steps): LaBraM over the whole recording (FOG), HuBERT per epoch
 * (ISRUC), from the same formula signals written to an EDF. */
static void
test_reference_fixtures (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "ref.edf", NULL);
  const gint64 n_eeg = 60 * 500, n_ecg = 60 * 200;
  g_autofree float *eeg = g_new (float, n_eeg);
  g_autofree float *ecg = g_new (float, n_ecg);
  BxWriteChannel ch[2] = { channel ("EEG Cz", "uV", 500, eeg, n_eeg), channel ("ECG", "mV", 200, ecg, n_ecg) };
  g_autoptr (GError) error = NULL;
  g_autoptr (BxRecording) rec = NULL;
  g_autoptr (BxWindowSet) set = NULL;
  g_autofree float *want_eeg = NULL;
  g_autofree float *want_ecg = NULL;
  gsize n_want_eeg, n_want_ecg;
  BxWindowParams params;
  double max_eeg = 0, max_ecg = 0;

  (void) data;
  for (gint64 i = 0; i < n_eeg; i++)
    {
      double t = i / 500.0;

      eeg[i] = (float) (40 * sin (2 * G_PI * 10 * t) + 15 * sin (2 * G_PI * 23 * t + 0.4) + 5 * t);
    }
  for (gint64 i = 0; i < n_ecg; i++)
    {
      double t = i / 200.0;

      ecg[i] = (float) (0.8 * sin (2 * G_PI * 1.3 * t) + 0.3 * sin (2 * G_PI * 7 * t)
                        + 0.2 * sin (2 * G_PI * 60 * t) + 0.1 * t / 60 + 0.25);
    }
  g_assert_true (bx_edf_write (path, NULL, ch, 2, NULL, &error));
  rec = bx_recording_open (path, &error);
  g_assert_no_error (error);
  bx_window_params_init (&params);
  params.n_sides = 2;
  set = bx_windows_from_recording (rec, &params, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (set->n_windows, ==, 2);
  want_eeg = bx_test_load_fixture_floats ("bridge/windows_eeg_labram.txt", &n_want_eeg);
  want_ecg = bx_test_load_fixture_floats ("bridge/windows_ecg_hubert.txt", &n_want_ecg);
  g_assert_cmpuint (n_want_eeg, ==, 2 * set->side[0].raw_numel);
  g_assert_cmpuint (n_want_ecg, ==, 2 * set->side[1].raw_numel);
  for (gsize i = 0; i < n_want_eeg; i++)
    max_eeg = MAX (max_eeg, fabs (set->side[0].data[i] - want_eeg[i]));
  for (gsize i = 0; i < n_want_ecg; i++)
    max_ecg = MAX (max_ecg, fabs (set->side[1].data[i] - want_ecg[i]));
  g_test_message ("max |C - reference|: EEG %.3g uV, ECG %.3g (z units)", max_eeg, max_ecg);
  /* 16-bit EDF steps: 410 µV / 65535 ≈ 0.006 µV (EEG), ~1e-4 z (ECG). */
  g_assert_cmpfloat (max_eeg, <, 0.02);
  g_assert_cmpfloat (max_ecg, <, 2e-3);
}

/* An EDF+D file made from one of ours by editing the time-keeping TALs of
 * records 10..19 ("+1X" → "+3X"): segments [0, 10) and [30, 40) s. */
static void
test_gap (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "gap.edf", NULL);
  const gint64 n = 20 * 200;
  g_autofree float *x = sine (n, 200, 40, 6, 0);
  BxWriteChannel ch = channel ("EEG Cz", "uV", 200, x, n);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxRecording) rec = NULL;
  g_autoptr (BxWindowSet) set = NULL;
  g_autofree char *bytes = NULL;
  g_autofree float *raw = g_new (float, n);
  gsize len;
  char *p;
  BxWindowParams params;
  static const double want_onsets[8] = { 0, 2, 4, 6, 30, 32, 34, 36 };
  guint n_gap = 0, n_end = 0;

  (void) data;
  g_assert_true (bx_edf_write (path, NULL, &ch, 1, NULL, &error));
  g_assert_true (g_file_get_contents (path, &bytes, &len, &error));
  p = g_strstr_len (bytes, (gssize) len, "EDF+C");
  g_assert_nonnull (p);
  p[4] = 'D';
  for (int r = 10; r < 20; r++)
    {
      char tal[6] = { '+', '1', (char) ('0' + r - 10), 0x14, 0x14, 0 };

      p = NULL;
      for (gsize i = 0; i + 5 <= len && p == NULL; i++)
        if (memcmp (bytes + i, tal, 5) == 0)
          p = bytes + i;
      g_assert_nonnull (p);
      p[1] = '3';
    }
  g_assert_true (g_file_set_contents (path, bytes, (gssize) len, &error));
  rec = bx_recording_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bx_recording_get_n_segments (rec), ==, 2);
  g_assert_true (bx_recording_read (rec, 0, 0, n, raw, &error));

  bx_window_params_init (&params);
  params.window_seconds = 4;
  params.step_seconds = 2;
  set = bx_windows_from_recording (rec, &params, NULL, &error);
  g_assert_no_error (error);
  /* Onsets 0, 2, ..., 38 (< 40 s): only those inside one segment stay. */
  g_assert_cmpuint (set->n_windows, ==, 8);
  g_assert_cmpuint (set->n_skipped, ==, 20 - 8);
  for (guint i = 0; i < 8; i++)
    {
      /* 200 Hz: LaBraM's resampling is a copy, so the window is the data of
       * its segment (the second one starts at data sample 10 · 200). */
      gsize first = (gsize) ((want_onsets[i] < 30 ? want_onsets[i] : want_onsets[i] - 20) * 200);

      g_assert_cmpfloat (set->onsets[i], ==, want_onsets[i]);
      g_assert_cmpint (set->labels[i], ==, -1);
      g_assert_cmpmem (set->side[0].data + i * 800, 800 * sizeof (float), raw + first, 800 * sizeof (float));
    }
  for (guint i = 0; i < set->skip_reasons->len; i++)
    {
      const char *r = g_ptr_array_index (set->skip_reasons, i);

      n_gap += strstr (r, "crosses a gap") != NULL;
      n_end += strstr (r, "past the end") != NULL;
      g_assert_nonnull (strstr (r, "gap.edf"));
    }
  /* Reasons are bounded: 4 listed, then one line counting the rest. */
  g_assert_cmpuint (set->skip_reasons->len, ==, 5);
  g_assert_cmpuint (n_gap, ==, 4);
  g_assert_cmpuint (n_end, ==, 0);  /* the one at 38 s is among the 8 not listed */
  g_assert_nonnull (strstr (g_ptr_array_index (set->skip_reasons, 4), "8 more"));
}

/* NaN in a segment: the windows holding it are dropped with a reason, the
 * samples are filled (so whole-recording filters stay finite), others kept. */
static void
test_nan_and_flat (Fixture *f, gconstpointer data)
{
  const gsize n = 1000;
  g_autofree float *x = sine ((gint64) n, 100, 1, 3, 0);
  guint seg[5] = { 0, 0, 0, 0, 1 };
  double offset[5] = { 0, 2, 4, 6, 0 };
  char *bad[6] = { NULL };
  g_autofree char *path = g_build_filename (f->dir, "flat.edf", NULL);
  g_autofree float *flat = g_new0 (float, 3000);
  BxWriteChannel ch = channel ("EEG Cz", "uV", 200, flat, 3000);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxRecording) rec = NULL;
  g_autoptr (BxWindowSet) set = NULL;
  BxWindowParams params;

  (void) data;
  x[250] = NAN;
  x[251] = INFINITY;
  for (gsize i = 600; i < 800; i++)
    x[i] = 0.25f;
  bad[1] = g_strdup ("already bad");
  bx_windows_scan_segment (x, n, 1000, 100, "EEG X", 0, 5, seg, offset, 2, bad);
  g_assert_null (bad[0]);
  g_assert_cmpstr (bad[1], ==, "already bad");     /* [2, 4) s holds the NaN but keeps its first reason */
  g_assert_null (bad[2]);
  g_assert_nonnull (bad[3]);                        /* [6, 8) s: 0.25 everywhere */
  g_assert_nonnull (strstr (bad[3], "flat"));
  g_assert_null (bad[4]);                           /* another segment */
  for (gsize i = 0; i < n; i++)
    g_assert_true (isfinite (x[i]));
  g_assert_cmpfloat (fabs (x[100] - 1000 * sin (2 * G_PI * 3 * 1.0)), <, 1e-2);  /* scaled */
  offset[1] = 2;
  g_free (bad[1]);
  bad[1] = NULL;
  g_free (bad[3]);
  bad[3] = NULL;
  x[250] = NAN;
  bx_windows_scan_segment (x, n, 1, 100, "EEG X", 0, 5, seg, offset, 2, bad);
  g_assert_nonnull (bad[1]);
  g_assert_nonnull (strstr (bad[1], "non-finite samples in channel 'EEG X'"));
  for (int i = 0; i < 5; i++)
    g_free (bad[i]);

  /* A recording without a usable window is an error naming it. */
  g_assert_true (bx_edf_write (path, NULL, &ch, 1, NULL, &error));
  rec = bx_recording_open (path, &error);
  g_assert_no_error (error);
  bx_window_params_init (&params);
  params.window_seconds = 5;
  params.step_seconds = 5;
  set = bx_windows_from_recording (rec, &params, NULL, &error);
  g_assert_null (set);
  g_assert_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_SIGNAL);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "flat"));
}

/* An ECG at 10 Hz cannot feed HuBERT's 500 Hz chain: the error says what is needed. */
static void
test_wrong_rate (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "slow.edf", NULL);
  g_autofree float *eeg = sine (20 * 200, 200, 20, 10, 0);
  g_autofree float *ecg = sine (20 * 10, 10, 1, 1, 0);
  BxWriteChannel ch[2] = { channel ("EEG C3", "uV", 200, eeg, 20 * 200), channel ("ECG", "mV", 10, ecg, 200) };
  g_autoptr (GError) error = NULL;
  g_autoptr (BxRecording) rec = NULL;
  BxWindowSet *set;
  BxWindowParams params;

  (void) data;
  g_assert_true (bx_edf_write (path, NULL, ch, 2, NULL, &error));
  rec = bx_recording_open (path, &error);
  g_assert_no_error (error);
  bx_window_params_init (&params);
  params.window_seconds = 5;
  params.step_seconds = 5;
  params.n_sides = 2;
  set = bx_windows_from_recording (rec, &params, NULL, &error);
  g_assert_null (set);
  g_assert_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_SIGNAL);
  g_assert_nonnull (strstr (error->message, "10 Hz"));
  g_assert_nonnull (strstr (error->message, "100 Hz"));
  g_assert_nonnull (strstr (error->message, "ECG"));
  g_clear_error (&error);

  /* LaBraM needs whole-second windows. */
  params.n_sides = 1;
  params.window_seconds = 2.5;
  set = bx_windows_from_recording (rec, &params, NULL, &error);
  g_assert_null (set);
  g_assert_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_SIGNAL);
}

static void
count_progress (const BxJobProgress *progress, gpointer user_data)
{
  g_assert_cmpstr (progress->stage, ==, "windows");
  (*(guint *) user_data)++;
}

/* Cancels on the first report: the work must stop at the next check. */
static void
cancel_on_report (const BxJobProgress *progress, gpointer user_data)
{
  (void) progress;
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
test_job (Fixture *f, gconstpointer data)
{
  g_autofree char *path = write_psg (f->dir);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxRecording) rec = bx_recording_open (path, &error);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (BxJob) job = NULL;
  BxWindowSet *set;
  BxWindowParams params;
  guint n_reports = 0;

  (void) data;
  bx_window_params_init (&params);
  params.window_seconds = 5;
  params.step_seconds = 5;
  job = bx_job_new (cancellable, count_progress, &n_reports);
  set = bx_windows_from_recording (rec, &params, job, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (set->n_windows, ==, 12);
  g_assert_cmpuint (n_reports, >=, 1);
  bx_window_set_free (set);
  g_cancellable_cancel (cancellable);
  set = bx_windows_from_recording (rec, &params, job, &error);
  g_assert_null (set);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* Cancelled while running (after the first channel's report). */
  {
    g_autoptr (GCancellable) c2 = g_cancellable_new ();
    g_autoptr (BxJob) job2 = bx_job_new (c2, cancel_on_report, c2);

    bx_job_set_min_interval (job2, 0);
    set = bx_windows_from_recording (rec, &params, job2, &error);
    g_assert_null (set);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  }
}

/* ---- eegmat: 2 subjects, rest vs task, EEG + ECG ---- */

static void
test_eegmat (Fixture *f, gconstpointer data)
{
  static const char *const files[4] = { "eegmat/Subject00_1.edf", "eegmat/Subject00_2.edf",
                                         "eegmat/Subject01_1.edf", "eegmat/Subject01_2.edf" };
  g_autofree char *manifest_path = g_build_filename (f->dir, "eegmat.tsv", NULL);
  GString *text = g_string_new ("path\tsubject\trole\tlabels\tchannels\n");
  g_autoptr (GError) error = NULL;
  g_autoptr (BxManifest) manifest = NULL;
  g_autoptr (BxWindowSet) set = NULL;
  BxWindowParams params;
  guint expected[4], expected_total = 0, offset = 0;
  gint64 t_start;

  (void) data;
  for (int i = 0; i < 4; i++)
    {
      g_autofree char *path = bx_test_shared_data_path (files[i]);
      g_autoptr (BxRecording) rec = NULL;

      if (path == NULL)
        {
          g_string_free (text, TRUE);
          return;
        }
      rec = bx_recording_open (path, &error);
      g_assert_no_error (error);
      /* Windows of 5 s, step 5 s, over the file's duration. */
      expected[i] = (guint) floor ((bx_recording_get_duration (rec) - 5) / 5 + 1e-9) + 1;
      expected_total += expected[i];
      g_string_append_printf (text, "%s\tS%02d\ttrain,pair\tlabel:%s\tauto\n", path, i / 2,
                              i % 2 ? "task" : "rest");
    }
  g_assert_cmpuint (expected[0], ==, 36);  /* 182 s of rest, 62 s of task */
  g_assert_cmpuint (expected[1], ==, 12);
  g_assert_true (g_file_set_contents (manifest_path, text->str, -1, NULL));
  g_string_free (text, TRUE);
  manifest = bx_manifest_load (manifest_path, &error);
  g_assert_no_error (error);

  bx_window_params_init (&params);
  params.window_seconds = 5;
  params.step_seconds = 5;
  params.n_sides = 2;
  t_start = g_get_monotonic_time ();
  set = bx_windows_from_manifest (manifest, BX_ROLE_PAIR, &params, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("eegmat: 4 files windowed in %.3f s", (g_get_monotonic_time () - t_start) / 1e6);
  g_assert_cmpuint (set->n_windows, ==, expected_total);
  g_assert_cmpuint (set->recordings->len, ==, 4);
  g_assert_cmpstr (set->class_names[0], ==, "rest");
  g_assert_cmpstr (set->class_names[1], ==, "task");
  g_assert_cmpuint (set->side[0].n_channels, ==, 6);
  g_assert_cmpstr (set->side[0].channel_labels[0], ==, "EEG F3");
  g_assert_cmpstr (set->side[0].channel_labels[5], ==, "EEG O2");
  g_assert_cmpstr (set->side[1].channel_labels[0], ==, "ECG ECG");
  for (guint r = 0; r < 4; r++)
    {
      g_assert_cmpstr (g_ptr_array_index (set->subjects, r), ==, r < 2 ? "S00" : "S01");
      for (guint k = 0; k < expected[r]; k++)
        {
          guint i = offset + k;
          const float *eeg = set->side[0].data + (gsize) i * set->side[0].raw_numel;
          const float *ecg = set->side[1].data + (gsize) i * set->side[1].raw_numel;
          double mean, std;

          g_assert_cmpuint (set->recording_index[i], ==, r);
          g_assert_cmpfloat (set->onsets[i], ==, 5.0 * k);
          g_assert_cmpint (set->labels[i], ==, (int) (r % 2));
          g_assert_true (bx_mean_std (ecg, 500, &mean, &std, NULL));
          g_assert_cmpfloat (fabs (mean), <, 1e-4);
          g_assert_cmpfloat (fabs (std - 1), <, 1e-4);
          /* Scalp EEG in µV: a few to a few hundred µV of spread per channel
           * (in V or mV it would be far below 1). */
          for (int c = 0; c < 6; c++)
            {
              g_assert_true (bx_mean_std (eeg + c * 1000, 1000, &mean, &std, NULL));
              g_assert_cmpfloat (std, >, 1);
              g_assert_cmpfloat (std, <, 500);
            }
        }
      offset += expected[r];
    }
}

/* ---- prepared tensors ---- */

static void
test_npy (Fixture *f, gconstpointer data)
{
  g_autofree char *old_path = g_build_filename (f->dir, "eeg.npy", NULL);
  g_autofree char *new_path = g_build_filename (f->dir, "ecg.npy", NULL);
  g_autofree char *short_path = g_build_filename (f->dir, "ecg_short.npy", NULL);
  g_autofree char *labels_path = g_build_filename (f->dir, "labels.npy", NULL);
  const gint64 old_shape[3] = { 4, 6, 600 }, new_shape[3] = { 4, 1, 300 }, short_shape[2] = { 3, 300 };
  const gint64 labels_shape[1] = { 4 };
  g_autofree double *eeg = g_new (double, 4 * 6 * 600);
  g_autofree float *ecg = g_new (float, 4 * 300);
  const gint64 labels[4] = { 0, 1, -1, 1 };
  g_autoptr (GError) error = NULL;
  g_autoptr (BxWindowSet) set = NULL;

  (void) data;
  for (int i = 0; i < 4 * 6 * 600; i++)
    eeg[i] = sin (i * 0.01) * 30 + i * 1e-3;
  for (int i = 0; i < 4 * 300; i++)
    ecg[i] = (float) cos (i * 0.02);
  g_assert_true (bx_npy_write (old_path, BX_DTYPE_F64, 3, old_shape, eeg, &error));
  g_assert_true (bx_npy_write_float (new_path, 3, new_shape, ecg, &error));
  g_assert_true (bx_npy_write_float (short_path, 2, short_shape, ecg, &error));
  g_assert_true (bx_npy_write (labels_path, BX_DTYPE_I64, 1, labels_shape, labels, &error));
  g_assert_no_error (error);

  set = bx_windows_from_npy (old_path, new_path, labels_path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (set->n_windows, ==, 4);
  g_assert_cmpuint (set->n_sides, ==, 2);
  g_assert_cmpint (set->side[0].raw_ndim, ==, 2);
  g_assert_cmpint (set->side[0].raw_shape[0], ==, 6);
  g_assert_cmpint (set->side[0].raw_shape[1], ==, 600);
  g_assert_cmpint (set->side[0].recipe, ==, BX_PREP_LABRAM_EEG);
  g_assert_cmpint (set->side[1].recipe, ==, BX_PREP_HUBERT_ECG);
  g_assert_cmpuint (set->side[1].raw_numel, ==, 300);
  for (int i = 0; i < 4 * 6 * 600; i++)
    g_assert_cmpfloat (set->side[0].data[i], ==, (float) eeg[i]);
  g_assert_cmpmem (set->side[1].data, 4 * 300 * sizeof (float), ecg, 4 * 300 * sizeof (float));
  for (int i = 0; i < 4; i++)
    g_assert_cmpint (set->labels[i], ==, (int) labels[i]);
  g_assert_cmpuint (g_strv_length (set->class_names), ==, 2);
  bx_window_set_free (g_steal_pointer (&set));

  /* N must agree: the error names both files and shapes. */
  set = bx_windows_from_npy (old_path, short_path, NULL, &error);
  g_assert_null (set);
  g_assert_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_NPY);
  g_assert_nonnull (strstr (error->message, old_path));
  g_assert_nonnull (strstr (error->message, short_path));
  g_assert_nonnull (strstr (error->message, "(4, 6, 600)"));
  g_assert_nonnull (strstr (error->message, "(3, 300)"));
  g_clear_error (&error);
  /* Labels of the wrong length; labels that are floats. */
  set = bx_windows_from_npy (short_path, NULL, labels_path, &error);
  g_assert_null (set);
  g_assert_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_NPY);
  g_assert_nonnull (strstr (error->message, labels_path));
  g_clear_error (&error);
  set = bx_windows_from_npy (new_path, NULL, new_path, &error);
  g_assert_null (set);
  g_assert_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_NPY);
}

/* COMPACT: EEG prefers LaBraM's 6 electrodes in their order (Cz and the
 * ECG are not taken), each resampled 256 → 100 Hz by polyphase with no
 * normalisation; the ECG side takes its one channel at the side's own rate
 * (50 Hz). The windows must hold the analytic sine at the new rate (EEG in
 * µV, as the file stores it). */
static void
test_compact (Fixture *f, gconstpointer data)
{
  static const char *const labels[] = { "EEG Cz", "EEG O2", "EEG C4", "EEG F4", "EEG O1", "EEG C3", "EEG F3" };
  static const char *const want[] = { "EEG F3", "EEG C3", "EEG O1", "EEG F4", "EEG C4", "EEG O2" };
  g_autofree char *path = g_build_filename (f->dir, "compact.edf", NULL);
  const gint64 n = 40 * 256;
  float *x[8];
  BxWriteChannel ch[8];
  g_autoptr (GError) error = NULL;
  g_autoptr (BxRecording) rec = NULL;
  g_autoptr (BxWindowSet) set = NULL;
  BxWindowParams params;
  double max_err = 0;

  (void) data;
  /* Channel i: a sine of 2 + i Hz (below both Nyquist limits), 10·(i+1) µV. */
  for (guint i = 0; i < 7; i++)
    {
      x[i] = sine (n, 256, 10.0 * (i + 1), 2.0 + i, 0);
      ch[i] = channel (labels[i], "uV", 256, x[i], n);
    }
  x[7] = sine (n, 256, 1000, 1.5, 0);
  ch[7] = channel ("ECG", "uV", 256, x[7], n);
  g_assert_true (bx_edf_write (path, NULL, ch, 8, NULL, &error));
  for (guint i = 0; i < 8; i++)
    g_free (x[i]);
  rec = bx_recording_open (path, &error);
  g_assert_no_error (error);

  bx_window_params_init (&params);
  g_assert_cmpfloat (params.rate[0], ==, 100);
  params.window_seconds = 10;
  params.step_seconds = 10;
  params.n_sides = 2;
  params.recipe[0] = params.recipe[1] = BX_PREP_COMPACT;
  params.modality[0] = BX_MODALITY_EEG;
  params.modality[1] = BX_MODALITY_ECG;
  params.rate[1] = 50;
  set = bx_windows_from_recording (rec, &params, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (set->n_windows, ==, 4);
  g_assert_cmpint (set->side[0].raw_ndim, ==, 2);
  g_assert_cmpint (set->side[0].raw_shape[0], ==, 6);
  g_assert_cmpint (set->side[0].raw_shape[1], ==, 1000);
  g_assert_cmpint (set->side[1].raw_shape[0], ==, 1);
  g_assert_cmpint (set->side[1].raw_shape[1], ==, 500);
  for (guint c = 0; c < 6; c++)
    g_assert_cmpstr (set->side[0].channel_labels[c], ==, want[c]);
  for (guint k = 0; k < 4; k++)
    for (guint c = 0; c < 6; c++)
      {
        /* want[c] is labels[6 − c] only for c < 3; find its index. */
        guint i = 0;

        while (strcmp (labels[i], want[c]) != 0)
          i++;
        for (guint t = 0; t < 1000; t++)
          {
            double sec = 10.0 * k + t / 100.0;
            double e = fabs (set->side[0].data[(gsize) k * 6000 + c * 1000 + t]
                             - 10.0 * (i + 1) * sin (2 * G_PI * (2.0 + i) * sec));

            /* The polyphase filter's edge transient: skip the first and
             * last second of the recording. */
            if (sec >= 1 && sec <= 39)
              max_err = MAX (max_err, e / (10.0 * (i + 1)));
          }
      }
  g_assert_cmpfloat (max_err, <, 0.02);
  max_err = 0;
  for (guint k = 0; k < 4; k++)
    for (guint t = 0; t < 500; t++)
      {
        double sec = 10.0 * k + t / 50.0;

        if (sec >= 1 && sec <= 39)
          max_err = MAX (max_err, fabs (set->side[1].data[(gsize) k * 500 + t] - 1000 * sin (2 * G_PI * 1.5 * sec))
                                      / 1000);
      }
  g_assert_cmpfloat (max_err, <, 0.02);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(name, fn) g_test_add (name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/windows/paired-synthetic", test_paired_synthetic);
  ADD ("/windows/explicit-channels", test_explicit_channels);
  ADD ("/windows/label-file", test_label_file);
  ADD ("/windows/normwear", test_normwear);
  ADD ("/windows/ppg-ecg-chains", test_ppg_and_ecg_chains);
  ADD ("/windows/reference-fixtures", test_reference_fixtures);
  ADD ("/windows/edf-d-gap", test_gap);
  ADD ("/windows/nan-and-flat", test_nan_and_flat);
  ADD ("/windows/wrong-rate", test_wrong_rate);
  ADD ("/windows/job", test_job);
  ADD ("/windows/eegmat", test_eegmat);
  ADD ("/windows/npy", test_npy);
  ADD ("/windows/compact", test_compact);
#undef ADD
  return g_test_run ();
}
