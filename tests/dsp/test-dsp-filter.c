/* lfilter / filtfilt / sosfiltfilt against scipy 1.10 (tests/reference/dsp_fixtures.py).
 * Tolerance for every filtered signal: max |ours - scipy| <= 1e-5 x max |scipy| (the brief's
 * "1e-5 relative"); the float32 output rounding alone is ~6e-8. Measured errors are printed.
 * Properties: zero phase (a delayed sine comes out undelayed), pass/stop-band gains of the
 * display filter, chunked lfilter == one-shot lfilter, bad input -> BX_DSP_ERROR. */
#include <math.h>
#include <string.h>

#include "dsp/bx-dsp.h"
#include "bx-test-data.h"
#include "dsp-test-util.h"

#define TOL 1e-5

static void
check_signal (const char *what, const float *got, const double *want, gsize n)
{
  double err = dsp_rel_err_f (got, want, n);
  g_test_message ("%s: rel err %.3g", what, err);
  g_assert_cmpfloat (err, <=, TOL);
}

static void
test_filtfilt_fir151 (void)
{
  const double edges[2] = { 0.05, 47.0 };
  g_autoptr (GError) error = NULL;
  g_autofree double *h = bx_firwin (151, edges, 2, FALSE, NULL, 500.0, &error);
  g_autoptr (BxFilterCoeffs) f = bx_filter_coeffs_new_fir (h, 151, &error);
  gsize n, ny;
  g_autofree float *x = dsp_load_f ("ff_fir151_x", &n);
  g_autofree double *want = dsp_load ("ff_fir151_y", &ny);
  g_autofree float *y = g_new (float, n);

  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, ny);
  /* The spec's call: padtype 'odd', padlen 3 * 151 = 453 (the default). */
  g_assert_true (bx_filtfilt (f, x, y, n, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error));
  g_assert_no_error (error);
  check_signal ("filtfilt fir151", y, want, n);
  /* Explicit padlen 453 is the same, and in-place works. */
  g_assert_true (bx_filtfilt (f, x, x, n, BX_PAD_ODD, 453, &error));
  g_assert_cmpmem (x, n * sizeof (float), y, n * sizeof (float));
}

static void
test_filtfilt_cheby1 (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BxFilterCoeffs) f = bx_cheby1 (4, 0.5, BX_BAND_BANDPASS, 0.5, 12.0, 125.0, &error);
  gsize n, ny, nzi;
  g_autofree float *x = dsp_load_f ("ff_cheby1_x", &n);
  g_autofree double *want = dsp_load ("ff_cheby1_y", &ny);
  g_autofree double *want_zi = dsp_load ("ff_cheby1_zi", &nzi);
  g_autofree double *exact_zi = dsp_load ("ff_cheby1_zi_exact", &nzi);
  g_autofree float *y = g_new (float, n);
  double zi[8];

  g_assert_no_error (error);
  g_assert_cmpuint (bx_filter_coeffs_state_length (f), ==, 8);
  g_assert_cmpuint (nzi, ==, 8);
  g_assert_true (bx_lfilter_zi (f, zi, &error));
  /* This narrow band-pass is ill-conditioned (sum(a) ~ 4e-8): scipy's linear
   * solve is 1.1e-6 (relative) away from the exact rational solution for its
   * own float64 coefficients; our closed form is ~1e-14 away. */
  g_test_message ("lfilter_zi cheby1: rel err %.3g vs exact, %.3g vs scipy", dsp_rel_err_d (zi, exact_zi, 8),
                  dsp_rel_err_d (zi, want_zi, 8));
  g_assert_cmpfloat (dsp_rel_err_d (zi, exact_zi, 8), <, 1e-7);
  g_assert_cmpfloat (dsp_rel_err_d (zi, want_zi, 8), <, 1e-5);
  g_assert_true (bx_filtfilt (f, x, y, n, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error));
  g_assert_no_error (error);
  check_signal ("filtfilt cheby1 (PPG)", y, want, n);
}

static void
test_filtfilt_pads (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BxFilterCoeffs) f = bx_butter (3, BX_BAND_BANDPASS, 0.5, 35.0, 200.0, &error);
  gsize n, ny;
  g_autofree float *x = dsp_load_f ("ff_pad_x", &n);
  g_autofree float *y = g_new (float, n);
  const struct {
    const char *name;
    BxPadType pad;
    gssize padlen;
  } cases[] = {
    { "ff_pad_odd_y", BX_PAD_ODD, BX_PADLEN_DEFAULT },
    { "ff_pad_even_y", BX_PAD_EVEN, BX_PADLEN_DEFAULT },
    { "ff_pad_constant_y", BX_PAD_CONSTANT, 50 },
    { "ff_pad_none_y", BX_PAD_NONE, BX_PADLEN_DEFAULT },
    { "ff_pad_odd0_y", BX_PAD_ODD, 0 },
  };

  g_assert_no_error (error);
  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autofree double *want = dsp_load (cases[c].name, &ny);
      g_assert_cmpuint (ny, ==, n);
      g_assert_true (bx_filtfilt (f, x, y, n, cases[c].pad, cases[c].padlen, &error));
      g_assert_no_error (error);
      check_signal (cases[c].name, y, want, n);
    }
}

static void
test_lfilter (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BxFilterCoeffs) f = bx_butter (5, BX_BAND_LOWPASS, 0.1, 0, 2.0, &error);
  gsize n, ny, nzi;
  g_autofree float *x = dsp_load_f ("ff_pad_x", &n);
  g_autofree double *want = dsp_load ("ff_lfilter_y", &ny);
  g_autofree double *want_zi = dsp_load ("ff_lfilter_zi", &nzi);
  g_autofree float *y = g_new (float, n);
  g_autofree float *y2 = g_new (float, n);
  double zi[5], state[5] = { 0 };

  g_assert_no_error (error);
  g_assert_true (bx_lfilter (f, x, y, n, NULL, &error));
  check_signal ("lfilter butter lp5", y, want, n);
  g_assert_true (bx_lfilter_zi (f, zi, &error));
  g_assert_cmpuint (nzi, ==, 5);
  g_assert_cmpfloat (dsp_rel_err_d (zi, want_zi, 5), <, 1e-10);
  /* Chunked filtering with carried state equals one pass. */
  g_assert_true (bx_lfilter (f, x, y2, 217, state, &error));
  g_assert_true (bx_lfilter (f, x + 217, y2 + 217, n - 217, state, &error));
  g_assert_no_error (error);
  g_assert_cmpmem (y, n * sizeof (float), y2, n * sizeof (float));
}

static void
test_sos (void)
{
  g_autoptr (GError) error = NULL;
  gsize n, ny;
  g_autofree float *x = dsp_load_f ("ff_sos_x", &n);
  g_autofree float *y = g_new (float, n);
  g_autoptr (BxSos) bp4 = bx_butter_sos (4, BX_BAND_BANDPASS, 0.5, 40.0, 256.0, &error);
  g_autoptr (BxSos) lp5 = bx_butter_sos (5, BX_BAND_LOWPASS, 0.1, 0, 2.0, &error);
  g_autoptr (BxSos) hp3 = bx_butter_sos (3, BX_BAND_HIGHPASS, 0.5, 0, 128.0, &error);
  g_autoptr (BxFilterCoeffs) notch = bx_iirnotch (50.0, 30.0, 256.0, &error);
  g_assert_no_error (error);

  g_autofree double *w1 = dsp_load ("ff_sos_bp4_y", &ny);
  g_assert_true (bx_sosfiltfilt (bp4, x, y, n, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error));
  check_signal ("sosfiltfilt butter bp4", y, w1, n);
  g_autofree double *w2 = dsp_load ("ff_sos_bp4_lfilt_y", &ny);
  g_assert_true (bx_sosfilt (bp4, x, y, n, NULL, &error));
  check_signal ("sosfilt butter bp4", y, w2, n);
  g_autofree double *w3 = dsp_load ("ff_sos_lp5_y", &ny);
  g_assert_true (bx_sosfiltfilt (lp5, x, y, n, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error));
  check_signal ("sosfiltfilt butter lp5", y, w3, n);
  g_autofree double *w4 = dsp_load ("ff_sos_hp3_y", &ny);
  g_assert_true (bx_sosfiltfilt (hp3, x, y, n, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error));
  check_signal ("sosfiltfilt butter hp3", y, w4, n);
  g_autofree double *w5 = dsp_load ("ff_notch50_y", &ny);
  g_assert_true (bx_filtfilt (notch, x, y, n, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error));
  check_signal ("filtfilt notch 50 Hz", y, w5, n);
  g_assert_no_error (error);
}

/* Zero phase: a 5 Hz sine through a 1-40 Hz band-pass keeps its zero
 * crossings (a causal filter of this order would shift them by ~ms). */
static void
test_zero_phase (void)
{
  const double fs = 256.0, f0 = 5.0;
  const gsize n = 2560;
  g_autoptr (GError) error = NULL;
  g_autofree float *x = g_new (float, n);
  g_autofree float *y = g_new (float, n);
  g_autofree float *yc = g_new (float, n);
  g_autoptr (BxFilterCoeffs) f = bx_butter (4, BX_BAND_BANDPASS, 1.0, 40.0, fs, &error);
  g_autoptr (BxSos) sos = bx_butter_sos (4, BX_BAND_BANDPASS, 1.0, 40.0, fs, &error);

  g_assert_no_error (error);
  for (gsize i = 0; i < n; i++)
    x[i] = (float) sin (2 * G_PI * f0 * (double) i / fs);
  g_assert_true (bx_filtfilt (f, x, y, n, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error));
  g_assert_true (bx_lfilter (f, x, yc, n, NULL, &error));
  double err_zero_phase = 0.0, err_causal = 0.0;
  for (gsize i = n / 4; i < 3 * n / 4; i++)
    {
      err_zero_phase = fmax (err_zero_phase, fabs (y[i] - x[i]));
      err_causal = fmax (err_causal, fabs (yc[i] - x[i]));
    }
  g_test_message ("5 Hz sine: zero-phase max deviation %.3g, causal %.3g", err_zero_phase, err_causal);
  g_assert_cmpfloat (err_zero_phase, <, 0.01); /* pass band gain ~1, no delay */
  g_assert_cmpfloat (err_causal, >, 0.1);      /* the causal filter does delay it */
  /* sos form and ba form agree. */
  g_assert_true (bx_sosfiltfilt (sos, x, yc, n, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error));
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (fabs (yc[i] - y[i]), <, 1e-4);
  g_assert_no_error (error);
}

static double
sine_gain (const BxDisplayFilter *df, double fs, double f0, gsize n)
{
  g_autofree float *x = g_new (float, n);
  g_autofree float *y = g_new (float, n);
  g_autoptr (GError) error = NULL;
  double ax = 0.0, ay = 0.0;

  for (gsize i = 0; i < n; i++)
    x[i] = (float) sin (2 * G_PI * f0 * (double) i / fs);
  g_assert_true (bx_display_filter_apply (df, x, y, n, &error));
  g_assert_no_error (error);
  for (gsize i = n / 4; i < 3 * n / 4; i++)
    {
      ax = fmax (ax, fabs (x[i]));
      ay = fmax (ay, fabs (y[i]));
    }
  return ay / ax;
}

static void
test_display_filter (void)
{
  const double fs = 256.0;
  g_autoptr (GError) error = NULL;
  g_autoptr (BxDisplayFilter) df = bx_display_filter_new (fs, 0.5, 35.0, 50.0, &error);
  g_autoptr (BxDisplayFilter) off = bx_display_filter_new (fs, 0, 0, 0, &error);
  const gsize n = 256 * 40;

  g_assert_no_error (error);
  g_assert_false (bx_display_filter_is_identity (df));
  g_assert_true (bx_display_filter_is_identity (off));
  g_assert_cmpuint (bx_display_filter_get_margin (df), >, 256); /* notch / 0.5 Hz high-pass settle in > 1 s */
  /* pass band ~1, cut-offs -6 dB (squared Butterworth), stop bands strongly attenuated */
  g_assert_cmpfloat (fabs (sine_gain (df, fs, 10.0, n) - 1.0), <, 0.01);
  g_assert_cmpfloat (fabs (sine_gain (df, fs, 35.0, n) - 0.5), <, 0.02);
  g_assert_cmpfloat (fabs (sine_gain (df, fs, 0.5, n) - 0.5), <, 0.03);
  g_assert_cmpfloat (sine_gain (df, fs, 50.0, n), <, 0.01);
  g_assert_cmpfloat (sine_gain (df, fs, 0.05, n), <, 0.02);
  g_assert_cmpfloat (sine_gain (df, fs, 90.0, n), <, 0.01);
  g_assert_cmpfloat (fabs (sine_gain (off, fs, 90.0, n) - 1.0), <, 1e-6);
  /* Short buffers (fewer samples than the padding) still filter. */
  {
    float x[5] = { 1, 2, 3, 2, 1 }, y[5];
    g_assert_true (bx_display_filter_apply (df, x, y, 5, &error));
    for (int i = 0; i < 5; i++)
      g_assert_true (isfinite (y[i]));
  }
  g_assert_null (bx_display_filter_new (fs, 40.0, 30.0, 0, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_FREQUENCY);
  g_clear_error (&error);
  g_assert_null (bx_display_filter_new (fs, 0, 200.0, 0, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_FREQUENCY);
  g_clear_error (&error);
  g_assert_null (bx_display_filter_new (0.0, 0.5, 0, 0, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_RATE);
}

static void
test_filter_errors (void)
{
  GError *error = NULL;
  g_autoptr (BxFilterCoeffs) f = bx_butter (2, BX_BAND_LOWPASS, 10.0, 0, 100.0, NULL);
  g_autoptr (BxSos) sos = bx_butter_sos (2, BX_BAND_LOWPASS, 10.0, 0, 100.0, NULL);
  float x[20] = { 0 }, y[20];

  /* 3 * max(len(a), len(b)) = 9 padding samples need > 9 samples. */
  g_assert_true (bx_filtfilt (f, x, y, 10, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error));
  g_assert_false (bx_filtfilt (f, x, y, 9, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_TOO_SHORT);
  g_assert_nonnull (strstr (error->message, "9"));
  g_clear_error (&error);
  g_assert_false (bx_filtfilt (f, x, y, 0, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  x[7] = NAN;
  g_assert_false (bx_filtfilt (f, x, y, 20, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_NOT_FINITE);
  g_assert_nonnull (strstr (error->message, "x[7]"));
  g_clear_error (&error);
  g_assert_false (bx_sosfiltfilt (sos, x, y, 20, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_NOT_FINITE);
  g_clear_error (&error);
  x[7] = INFINITY;
  g_assert_false (bx_lfilter (f, x, y, 20, NULL, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_NOT_FINITE);
  g_clear_error (&error);
  x[7] = 0;
  g_assert_false (bx_filtfilt (f, x, y, 20, BX_PAD_ODD, -5, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* An integrator (pole at z = 1) has no steady state for lfilter_zi. */
  {
    const double b[1] = { 1.0 }, a[2] = { 1.0, -1.0 };
    g_autoptr (BxFilterCoeffs) integ = bx_filter_coeffs_new (b, 1, a, 2, &error);
    double zi[1];
    g_assert_no_error (error);
    g_assert_false (bx_lfilter_zi (integ, zi, &error));
    g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_UNSTABLE);
    g_clear_error (&error);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dsp/filter/filtfilt-fir151", test_filtfilt_fir151);
  g_test_add_func ("/dsp/filter/filtfilt-cheby1", test_filtfilt_cheby1);
  g_test_add_func ("/dsp/filter/filtfilt-pads", test_filtfilt_pads);
  g_test_add_func ("/dsp/filter/lfilter", test_lfilter);
  g_test_add_func ("/dsp/filter/sos", test_sos);
  g_test_add_func ("/dsp/filter/zero-phase", test_zero_phase);
  g_test_add_func ("/dsp/filter/display", test_display_filter);
  g_test_add_func ("/dsp/filter/errors", test_filter_errors);
  return g_test_run ();
}
