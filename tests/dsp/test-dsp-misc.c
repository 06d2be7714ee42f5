/* Normalisation, epoching and the ricker CWT against scipy 1.10 / numpy
 * (tests/reference/dsp_fixtures.py). Tolerances: zscore / lead_std_divide 1e-6 relative to
 * the largest value (float32 output); cwt, spec_cwt and the spec's ECG / PPG preprocessing
 * chains 1e-5 relative (the brief's); epoching: identical window starts and labels. */
#include <math.h>
#include <string.h>

#include "dsp/bx-dsp.h"
#include "bx-test-data.h"
#include "dsp-test-util.h"

static void
test_normalize (void)
{
  g_autoptr (GError) error = NULL;
  gsize n, nz, nl;
  g_autofree float *x = dsp_load_f ("norm_x", &n);
  g_autofree double *want_z = dsp_load ("norm_zscore", &nz);
  g_autofree double *want_l = dsp_load ("norm_lead", &nl);
  g_autofree float *z = g_memdup2 (x, n * sizeof (float));
  g_autofree float *l = g_memdup2 (x, n * sizeof (float));
  const gsize n_ch = 3, n_s = 400;
  double std[3];

  g_assert_cmpuint (n, ==, n_ch * n_s);
  for (gsize c = 0; c < n_ch; c++)
    g_assert_true (bx_zscore (z + c * n_s, n_s, &error));
  g_assert_no_error (error);
  for (gsize c = 0; c < n_ch; c++)
    {
      double err = dsp_rel_err_f (z + c * n_s, want_z + c * n_s, n_s);
      g_test_message ("zscore channel %" G_GSIZE_FORMAT ": rel err %.3g", c, err);
      g_assert_cmpfloat (err, <, 1e-6);
    }
  /* The reference: mean removal, then lead_std_divide. */
  for (gsize c = 0; c < n_ch; c++)
    g_assert_true (bx_remove_mean (l + c * n_s, n_s, &error));
  g_assert_true (bx_lead_std_divide (l, n_ch, n_s, std, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (std[2], ==, 0.0); /* the constant lead */
  g_assert_cmpfloat (std[0], >, 1.0);
  for (gsize c = 0; c < n_ch; c++)
    g_assert_cmpfloat (dsp_rel_err_f (l + c * n_s, want_l + c * n_s, n_s), <, 1e-6);
  /* bx_normalize_channels = both steps at once. */
  memcpy (l, x, n * sizeof (float));
  g_assert_true (bx_normalize_channels (l, n_ch, n_s, &error));
  for (gsize c = 0; c < n_ch; c++)
    g_assert_cmpfloat (dsp_rel_err_f (l + c * n_s, want_l + c * n_s, n_s), <, 1e-6);
  {
    double mean, sd;
    g_assert_true (bx_mean_std (l, n_s, &mean, &sd, &error));
    g_assert_cmpfloat (fabs (mean), <, 1e-6);
    g_assert_cmpfloat (fabs (sd - 1.0), <, 1e-6);
  }
  /* Errors: empty, NaN. */
  g_assert_false (bx_zscore (l, 0, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  l[5] = NAN;
  g_assert_false (bx_zscore (l, n_s, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_NOT_FINITE);
  g_clear_error (&error);
  g_assert_false (bx_lead_std_divide (l, n_ch, n_s, NULL, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_NOT_FINITE);
  g_clear_error (&error);
  g_assert_false (bx_lead_std_divide (l, 0, n_s, NULL, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT);
}

static void
test_epoch (void)
{
  g_autoptr (GError) error = NULL;
  gsize n, n_out;
  g_autofree int *labels = dsp_load_i ("epoch_labels", &n);
  g_autofree int *want = dsp_load_i ("epoch_out", &n_out);
  /* FOG: 3 s windows, 0.3 s step at 130 Hz, majority >= 80 %. */
  const gsize window = bx_epoch_samples (3, 130.0), step = bx_epoch_samples (0.3, 130.0);
  g_autoptr (GArray) w = NULL;

  g_assert_cmpuint (window, ==, 390);
  g_assert_cmpuint (step, ==, 39);
  g_assert_cmpuint (bx_epoch_samples (0.3, 200.0), ==, 60);
  w = bx_epoch_windows (labels, n, window, step, 0.8, NULL, 0, &error);
  g_assert_no_error (error);
  g_test_message ("%u of %" G_GSIZE_FORMAT " windows kept", w->len, (n - window) / step + 1);
  g_assert_cmpuint (2 * w->len, ==, n_out);
  g_assert_cmpuint (w->len, >, 5); /* the fixture has kept and dropped windows */
  g_assert_cmpuint (w->len, <, (n - window) / step + 1);
  for (guint i = 0; i < w->len; i++)
    {
      const BxEpochWindow *e = &g_array_index (w, BxEpochWindow, i);
      g_assert_cmpuint (e->start, ==, (gsize) want[2 * i]);
      g_assert_cmpint (e->label, ==, want[2 * i + 1]);
      g_assert_cmpfloat (e->purity, >=, 0.8);
    }

  /* Hand-made: ties go to the smallest label; allowed-label filter; purity 1 (WESAD rule). */
  {
    const int lab[12] = { 2, 2, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3 };
    const int allowed[2] = { 1, 2 };
    g_autoptr (GArray) a = bx_epoch_windows (lab, 12, 4, 4, 0.0, NULL, 0, &error);
    g_assert_cmpuint (a->len, ==, 3);
    g_assert_cmpint (g_array_index (a, BxEpochWindow, 0).label, ==, 1);
    g_assert_cmpfloat (g_array_index (a, BxEpochWindow, 0).purity, ==, 0.5);
    g_autoptr (GArray) b = bx_epoch_windows (lab, 12, 4, 4, 1.0, NULL, 0, &error);
    g_assert_cmpuint (b->len, ==, 2);
    g_assert_cmpuint (g_array_index (b, BxEpochWindow, 0).start, ==, 4);
    g_autoptr (GArray) c = bx_epoch_windows (lab, 12, 4, 4, 0.0, allowed, 2, &error);
    g_assert_cmpuint (c->len, ==, 1);
    g_autoptr (GArray) d = bx_epoch_windows (lab, 3, 4, 4, 0.0, NULL, 0, &error);
    g_assert_cmpuint (d->len, ==, 0); /* shorter than one window */
    g_assert_no_error (error);
    g_assert_null (bx_epoch_windows (lab, 12, 0, 4, 0.8, NULL, 0, &error));
    g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    g_assert_null (bx_epoch_windows (lab, 12, 4, 4, 1.5, NULL, 0, &error));
    g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT);
  }
}

static void
test_ricker (void)
{
  double w[11];
  /* scipy.signal.ricker(11, 1.1) centre value 2 / (sqrt(3.3) pi^0.25), symmetric. */
  g_assert_cmpuint (bx_ricker_length (11.0), ==, 11);
  g_assert_cmpuint (bx_ricker_length (1.0), ==, 1);
  g_assert_cmpuint (bx_ricker_length (10.5), ==, 11);
  bx_ricker (11.0, 1.1, w);
  g_assert_cmpfloat (fabs (w[5] - 2.0 / (sqrt (3.3) * pow (G_PI, 0.25))), <, 1e-15);
  for (int i = 0; i < 5; i++)
    g_assert_cmpfloat (w[i], ==, w[10 - i]);
}

static void
test_cwt (void)
{
  g_autoptr (GError) error = NULL;
  gsize n, ny;
  g_autofree float *x = dsp_load_f ("cwt_x", &n);
  g_autofree double *want = dsp_load ("cwt_y", &ny);
  double widths[BX_SPEC_CWT_N_WIDTHS];
  g_autofree float *out = NULL;

  for (int i = 0; i < BX_SPEC_CWT_N_WIDTHS; i++)
    widths[i] = 0.1 + i;
  g_assert_cmpuint (ny, ==, BX_SPEC_CWT_N_WIDTHS * n);
  out = g_new (float, ny);
  g_assert_true (bx_cwt_ricker (x, n, widths, BX_SPEC_CWT_N_WIDTHS, out, &error));
  g_assert_no_error (error);
  double err = dsp_rel_err_f (out, want, ny);
  g_test_message ("cwt (65 widths x %" G_GSIZE_FORMAT "): rel err %.3g", n, err);
  g_assert_cmpfloat (err, <=, 1e-5);
  /* Each row on its own scale too (small widths have small outputs). */
  for (int r = 0; r < BX_SPEC_CWT_N_WIDTHS; r++)
    g_assert_cmpfloat (dsp_rel_err_f (out + r * n, want + r * n, n), <=, 1e-5);

  widths[3] = -1.0;
  g_assert_false (bx_cwt_ricker (x, n, widths, BX_SPEC_CWT_N_WIDTHS, out, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  x[0] = NAN;
  g_assert_false (bx_spec_cwt (x, n, out, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_NOT_FINITE);
}

static void
test_spec_cwt (void)
{
  g_autoptr (GError) error = NULL;
  gsize n, ny;
  g_autofree float *x = dsp_load_f ("speccwt_x", &n);
  g_autofree double *want = dsp_load ("speccwt_y", &ny); /* every 9th value of (3, 388, 65) */
  const gsize total = 3 * (n - 2) * BX_SPEC_CWT_N_WIDTHS;
  g_autofree float *out = g_new (float, total);
  g_autofree float *picked = g_new (float, ny);

  g_assert_cmpuint (n, ==, 390);
  g_assert_cmpuint (ny, ==, (total + 8) / 9);
  g_assert_true (bx_spec_cwt (x, n, out, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < ny; i++)
    picked[i] = out[9 * i];
  /* The three planes (signal, 1st and 2nd difference) have different scales. */
  for (gsize s = 0; s < 3; s++)
    {
      const gsize plane = (n - 2) * BX_SPEC_CWT_N_WIDTHS;
      const gsize lo = (s * plane + 8) / 9, hi = ((s + 1) * plane + 8) / 9;
      double err = dsp_rel_err_f (picked + lo, want + lo, hi - lo);
      g_test_message ("spec_cwt plane %" G_GSIZE_FORMAT ": rel err %.3g", s, err);
      g_assert_cmpfloat (err, <=, 1e-5);
    }
  g_assert_false (bx_spec_cwt (x, 2, out, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_TOO_SHORT);
}

/* The spec's whole ISRUC ECG chain (§4.1) on one 30-s epoch, stage by stage
 * in float32 as a C caller would run it, against scipy in float64. */
static void
test_pipeline_ecg (void)
{
  const double edges[2] = { 0.05, 47.0 };
  g_autoptr (GError) error = NULL;
  gsize n, ny, n500, n100;
  g_autofree float *x = dsp_load_f ("pipe_ecg_x", &n);
  g_autofree double *want = dsp_load ("pipe_ecg_y", &ny);
  g_autofree double *h = bx_firwin (151, edges, 2, FALSE, NULL, 500.0, &error);
  g_autoptr (BxFilterCoeffs) fir = bx_filter_coeffs_new_fir (h, 151, &error);
  g_autofree float *e500 = bx_resample_linear (x, n, 200.0, 500.0, &n500, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (n500, ==, 15000);
  g_assert_true (bx_filtfilt (fir, e500, e500, n500, BX_PAD_ODD, 453, &error));
  g_autofree float *e100 = bx_resample_linear (e500, n500, 500.0, 100.0, &n100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n100, ==, ny);
  g_assert_true (bx_normalize_channels (e100, 1, n100, &error));
  g_assert_no_error (error);
  double err = dsp_rel_err_f (e100, want, ny);
  g_test_message ("ISRUC ECG chain (200 Hz -> 3000 samples at 100 Hz): rel err %.3g", err);
  g_assert_cmpfloat (err, <=, 1e-5);
}

/* The spec's WESAD PPG chain (§4.2). */
static void
test_pipeline_ppg (void)
{
  g_autoptr (GError) error = NULL;
  gsize n, ny;
  g_autofree float *x = dsp_load_f ("pipe_ppg_x", &n);
  g_autofree double *want = dsp_load ("pipe_ppg_y", &ny);
  const gsize n125 = (gsize) ((double) n * 125.0 / 64.0);
  g_autoptr (BxFilterCoeffs) f = bx_cheby1 (4, 0.5, BX_BAND_BANDPASS, 0.5, 12.0, 125.0, &error);
  g_autofree float *p = bx_resample_fft (x, n, n125, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (n125, ==, ny);
  g_assert_true (bx_filtfilt (f, p, p, n125, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error));
  g_assert_true (bx_zscore (p, n125, &error));
  g_assert_no_error (error);
  double err = dsp_rel_err_f (p, want, ny);
  g_test_message ("WESAD PPG chain (64 Hz -> %" G_GSIZE_FORMAT " samples at 125 Hz): rel err %.3g", n125, err);
  g_assert_cmpfloat (err, <=, 1e-5);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dsp/normalize", test_normalize);
  g_test_add_func ("/dsp/epoch", test_epoch);
  g_test_add_func ("/dsp/cwt/ricker", test_ricker);
  g_test_add_func ("/dsp/cwt/cwt", test_cwt);
  g_test_add_func ("/dsp/cwt/spec-cwt", test_spec_cwt);
  g_test_add_func ("/dsp/pipeline/ecg", test_pipeline_ecg);
  g_test_add_func ("/dsp/pipeline/ppg", test_pipeline_ppg);
  return g_test_run ();
}
