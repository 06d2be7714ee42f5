/* test-ui-units.c — display-free parts of the viewer: pyramid, display filters, document. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bx-display-filter.h"
#include "bx-document.h"
#include "bx-pyramid.h"
#include "bx-test-data.h"
#include "bx-ui-test-util.h"
#include "recording/bx-edf-writer.h"

static char *
write_noise_edf (const char *dir, gint64 n, double rate, float **out_samples)
{
  char *path = g_build_filename (dir, "noise.edf", NULL);
  float *x = g_new (float, n);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  BxWriteChannel channels[2] = { 0 };
  g_autofree float *y = g_new (float, n);
  BxWriteHeader header = { 0 };
  g_autoptr (GError) error = NULL;

  for (gint64 i = 0; i < n; i++)
    {
      x[i] = (float) g_rand_double_range (rand, -100, 100);
      y[i] = (float) (50 * sin (i * 0.01));
    }
  channels[0].label = "EEG Fz";
  channels[0].physical_dimension = "uV";
  channels[0].sample_rate = rate;
  channels[0].physical_min = -128;
  channels[0].physical_max = 128;
  channels[0].samples = x;
  channels[0].n_samples = n;
  channels[1] = channels[0];
  channels[1].label = "EEG Cz";
  channels[1].samples = y;
  header.file_type = BX_FILE_EDFPLUS_C;
  header.record_duration = 1;
  g_assert_true (bx_edf_write (path, &header, channels, 2, NULL, &error));
  g_assert_no_error (error);
  *out_samples = x;
  return path;
}

static void
test_pyramid_matches_brute_force (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  const double rate = 256;
  const gint64 n = 256 * 600;
  g_autofree float *written = NULL;
  g_autofree char *path = write_noise_edf (dir, n, rate, &written);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxRecording) rec = bx_recording_open (path, &error);
  g_autofree float *x = g_new (float, n);
  BxTraceSource source = { 0, -1 };
  g_autoptr (BxPyramid) p = NULL;
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);

  g_assert_no_error (error);
  /* The reference is what the recording returns (EDF quantises to 16 bits). */
  g_assert_true (bx_recording_read (rec, 0, 0, n, x, &error));
  p = bx_pyramid_build (rec, &source, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bx_pyramid_get_n_samples (p), ==, n);

  for (int trial = 0; trial < 300; trial++)
    {
      gint64 a = g_rand_int_range (rand, 0, (gint32) n - 1);
      gint64 len = 1 + g_rand_int_range (rand, 0, trial < 100 ? 64 : (trial < 200 ? 5000 : (gint32) (n - a)));
      gint64 b = MIN (n, a + len);
      float lo, hi, blo = x[a], bhi = x[a];

      for (gint64 i = a; i < b; i++)
        {
          blo = MIN (blo, x[i]);
          bhi = MAX (bhi, x[i]);
        }
      g_assert_true (bx_pyramid_min_max (p, a, b, &lo, &hi));
      /* Spans are rounded out to whole bins: the envelope may only be wider, never narrower,
       * and only by values within one bin (BASE_BIN << level ≤ span) of each end. */
      g_assert_cmpfloat (lo, <=, blo);
      g_assert_cmpfloat (hi, >=, bhi);
      {
        gint64 pad = MIN (b - a, 2 * (b - a)) + BX_PYRAMID_BASE_BIN;
        gint64 a2 = MAX (0, a - pad), b2 = MIN (n, b + pad);
        float wlo = x[a2], whi = x[a2];

        for (gint64 i = a2; i < b2; i++)
          {
            wlo = MIN (wlo, x[i]);
            whi = MAX (whi, x[i]);
          }
        g_assert_cmpfloat (lo, >=, wlo);
        g_assert_cmpfloat (hi, <=, whi);
      }
    }
  g_assert_false (bx_pyramid_min_max (p, n, n + 10, &(float){ 0 }, &(float){ 0 }));

  /* Bipolar derivation: channel 0 − channel 1, checked against the difference of reads. */
  {
    BxTraceSource diff = { 0, 1 };
    g_autofree float *y = g_new (float, n);
    g_autoptr (BxPyramid) pd = bx_pyramid_build (rec, &diff, NULL, &error);
    float lo, hi, blo = G_MAXFLOAT, bhi = -G_MAXFLOAT;

    g_assert_no_error (error);
    g_assert_true (bx_recording_read (rec, 1, 0, n, y, &error));
    for (gint64 i = 0; i < n; i++)
      {
        blo = MIN (blo, x[i] - y[i]);
        bhi = MAX (bhi, x[i] - y[i]);
      }
    g_assert_true (bx_pyramid_min_max (pd, 0, n, &lo, &hi));
    g_assert_cmpfloat_with_epsilon (lo, blo, 1e-3);
    g_assert_cmpfloat_with_epsilon (hi, bhi, 1e-3);
  }
  bx_test_tmpdir_remove (dir);
}

static double
amplitude_at (const float *x, gsize n, double freq, double rate)
{
  /* Single-bin DFT magnitude (×2/n: a sine of amplitude A gives A). */
  double re = 0, im = 0;

  for (gsize i = 0; i < n; i++)
    {
      re += x[i] * cos (2 * G_PI * freq * i / rate);
      im -= x[i] * sin (2 * G_PI * freq * i / rate);
    }
  return 2 * sqrt (re * re + im * im) / n;
}

static void
test_display_filters (void)
{
  const double rate = 256;
  const gsize n = 256 * 20;
  g_autofree float *x = g_new (float, n);
  g_autofree float *y = g_new (float, n);
  BxDisplayFilter notch = { 0, 0, 50 }, hp = { 0.5, 0, 0 }, lp = { 0, 15, 0 }, off = { 0, 0, 0 };
  g_autofree char *text = NULL;

  for (gsize i = 0; i < n; i++)
    x[i] = (float) (100 + 10 * sin (2 * G_PI * 5 * i / rate) + 10 * sin (2 * G_PI * 50 * i / rate));

  /* Notch: 50 Hz down by > 20 dB in the middle, 5 Hz within 1%. */
  memcpy (y, x, n * sizeof (float));
  bx_display_filter_run (&notch, rate, y, n);
  g_assert_cmpfloat (amplitude_at (y + n / 4, n / 2, 50, rate), <, 1.0);
  g_assert_cmpfloat (fabs (amplitude_at (y + n / 4, n / 2, 5, rate) - 10), <, 0.1);

  /* High-pass removes the 100 µV offset; low-pass 15 Hz removes 50 Hz but keeps 5 Hz. */
  memcpy (y, x, n * sizeof (float));
  bx_display_filter_run (&hp, rate, y, n);
  {
    double mean = 0;

    for (gsize i = n / 4; i < 3 * n / 4; i++)
      mean += y[i];
    mean /= n / 2;
    g_assert_cmpfloat (fabs (mean), <, 1.0);
  }
  memcpy (y, x, n * sizeof (float));
  bx_display_filter_run (&lp, rate, y, n);
  g_assert_cmpfloat (amplitude_at (y + n / 4, n / 2, 50, rate), <, 0.2);
  /* Zero-phase Butterworth (applied twice): |H(5 Hz)|² at 15 Hz cut-off ≈ 0.988. */
  g_assert_cmpfloat (fabs (amplitude_at (y + n / 4, n / 2, 5, rate) - 10 * 0.988), <, 0.1);

  memcpy (y, x, n * sizeof (float));
  bx_display_filter_run (&off, rate, y, n);
  g_assert_cmpmem (x, n * sizeof (float), y, n * sizeof (float));
  g_assert_null (bx_display_filter_describe (&off));
  text = bx_display_filter_describe (&notch);
  g_assert_nonnull (strstr (text, "50"));
  g_assert_cmpint (bx_display_filter_margin (&hp, rate, 1 << 20), >, (gint64) (rate / (2 * G_PI * 0.5)));
}

static void
test_document_undo_and_agreement (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree float *written = NULL;
  g_autofree char *path = write_noise_edf (dir, 256 * 300, 256, &written);   /* 10 epochs */
  g_autoptr (GError) error = NULL;
  g_autoptr (BxRecording) rec = bx_recording_open (path, &error);
  g_autoptr (BxDocument) doc = NULL;
  g_autoptr (BxHypnogram) pred = bx_hypnogram_new (0, 30, 10);
  g_autoptr (BxOverlayTrack) track = NULL;
  const int scoring[10] = { 0, 0, 1, 2, 2, 2, 3, 3, 5, 5 };
  const int predicted[10] = { 0, 1, 1, 2, 2, 3, 3, 3, 5, 0 };
  double acc, kappa;

  g_assert_no_error (error);
  doc = bx_document_new (rec);
  bx_document_set_autosave_enabled (doc, FALSE);
  g_assert_cmpuint (bx_document_get_n_epochs (doc), ==, 10);
  g_assert_false (bx_document_get_restored (doc));
  for (guint e = 0; e < 10; e++)
    bx_document_set_stage (doc, e, scoring[e]);
  g_assert_true (bx_document_can_undo (doc));
  g_assert_cmpint (bx_document_undo (doc), ==, 9);
  g_assert_cmpint (bx_document_get_stage (doc, 9), ==, BX_STAGE_UNKNOWN);
  g_assert_cmpint (bx_document_redo (doc), ==, 9);
  g_assert_cmpint (bx_document_get_stage (doc, 9), ==, 5);
  g_assert_cmpint (bx_document_redo (doc), ==, -1);

  for (guint e = 0; e < 10; e++)
    pred->stages[e] = (gint8) predicted[e];
  track = bx_overlay_track_new ("pred", pred);
  g_assert_cmpuint (bx_document_agreement (doc, track, &acc, &kappa), ==, 10);
  /* Hand count: agree on epochs 0,2,3,4,6,7,8 = 7/10. Marginals: scoring W2 N1 1 N2 3 N3 2 R2,
   * predicted W2 N1 2 N2 2 N3 3 R1: pe = (2·2 + 1·2 + 3·2 + 2·3 + 2·1)/100 = 0.20. */
  g_assert_cmpfloat_with_epsilon (acc, 0.7, 1e-12);
  g_assert_cmpfloat_with_epsilon (kappa, (0.7 - 0.2) / 0.8, 1e-12);
  /* No confidence: nothing is "low confidence". */
  g_assert_cmpint (bx_document_next_low_confidence (doc, track, 0, 0.6), ==, -1);

  bx_document_add_annotation (doc, 45, 0, "Lights on");
  g_assert_cmpuint (bx_annotation_list_get_length (bx_document_get_annotations (doc)), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (bx_document_get_annotation_model (doc)), ==, 1);
  bx_test_tmpdir_remove (dir);
}

int
main (int argc, char *argv[])
{
  /* Own isolation: GLib 2.74 leaks in G_TEST_OPTION_ISOLATE_DIRS, which LeakSanitizer reports. */
  bx_ui_test_isolate_user_dirs ();
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ui/pyramid", test_pyramid_matches_brute_force);
  g_test_add_func ("/ui/display-filters", test_display_filters);
  g_test_add_func ("/ui/document", test_document_undo_and_agreement);
  return g_test_run ();
}
