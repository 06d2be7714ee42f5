/* FFT, resampling (FFT / polyphase / linear) against scipy 1.10 and numpy
 * (tests/reference/dsp_fixtures.py), plus properties.
 * Tolerances: resampled signals max |ours - scipy| <= 1e-5 x max |scipy| (the brief's); FFT
 * against a long-double direct DFT: 1e-12 relative (double rounding, any length incl.
 * Bluestein primes); label resampling: identical integers. */
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

/* Forward FFT vs an O(n^2) DFT in long double, then the inverse round trip. */
static void
test_fft_lengths (void)
{
  const gsize lengths[] = { 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 30, 31, 37, 64, 74, 97, 100, 128, 210, 243, 256, 257, 330, 509,
                            1000 };
  for (gsize c = 0; c < G_N_ELEMENTS (lengths); c++)
    {
      const gsize n = lengths[c];
      g_autoptr (GError) error = NULL;
      g_autoptr (BxFft) fft = bx_fft_new (n, &error);
      g_autofree double *x = g_new (double, 2 * n);
      g_autofree double *orig = g_new (double, 2 * n);
      double err = 0.0, scale = 0.0;

      g_assert_no_error (error);
      g_assert_cmpuint (bx_fft_get_length (fft), ==, n);
      for (gsize i = 0; i < 2 * n; i++)
        x[i] = orig[i] = sin (0.37 * (double) i * (double) i + 1.3) + 0.25 * cos (1.7 * (double) i);
      bx_fft_forward (fft, x);
      for (gsize k = 0; k < n; k++)
        {
          long double re = 0, im = 0;
          for (gsize j = 0; j < n; j++)
            {
              long double ang = -2.0L * 3.141592653589793238462643383279503L * (long double) ((j * k) % n) / n;
              re += orig[2 * j] * cosl (ang) - orig[2 * j + 1] * sinl (ang);
              im += orig[2 * j] * sinl (ang) + orig[2 * j + 1] * cosl (ang);
            }
          err = fmax (err, fmax (fabs ((double) (x[2 * k] - re)), fabs ((double) (x[2 * k + 1] - im))));
          scale = fmax (scale, fabs ((double) re));
        }
      g_assert_cmpfloat (err / scale, <, 1e-12);
      bx_fft_inverse (fft, x);
      for (gsize i = 0; i < 2 * n; i++)
        g_assert_cmpfloat (fabs (x[i] - orig[i]), <, 1e-12);

      /* rfft (half-length trick for even n) == the complex FFT of the real signal;
       * irfft inverts it. */
      g_autofree double *re = g_new (double, n);
      g_autofree double *spec = g_new (double, 2 * (n / 2 + 1));
      g_autofree double *back = g_new (double, n);
      for (gsize i = 0; i < n; i++)
        {
          re[i] = orig[2 * i];
          x[2 * i] = orig[2 * i];
          x[2 * i + 1] = 0.0;
        }
      bx_fft_forward (fft, x);
      bx_fft_rfft (fft, re, spec);
      for (gsize i = 0; i < 2 * (n / 2 + 1); i++)
        g_assert_cmpfloat (fabs (spec[i] - x[i]), <, 1e-12 * (scale + 1.0));
      bx_fft_irfft (fft, spec, back);
      for (gsize i = 0; i < n; i++)
        g_assert_cmpfloat (fabs (back[i] - re[i]), <, 1e-12);
    }
  /* rfft / irfft round trip, odd and even. */
  for (gsize n = 9; n <= 10; n++)
    {
      g_autoptr (BxFft) fft = bx_fft_new (n, NULL);
      double x[10], y[10], spec[12];
      for (gsize i = 0; i < n; i++)
        x[i] = (double) (i * i % 7) - 3.0;
      bx_fft_rfft (fft, x, spec);
      double dc = 0.0;
      for (gsize i = 0; i < n; i++)
        dc += x[i];
      g_assert_cmpfloat (fabs (spec[0] - dc), <, 1e-12);
      g_assert_cmpfloat (fabs (spec[1]), <, 1e-12);
      bx_fft_irfft (fft, spec, y);
      for (gsize i = 0; i < n; i++)
        g_assert_cmpfloat (fabs (x[i] - y[i]), <, 1e-13);
    }
  {
    g_autoptr (GError) error = NULL;
    g_assert_null (bx_fft_new (0, &error));
    g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT);
  }
}

static void
test_resample_fft (void)
{
  const struct {
    const char *name;
    gsize n_in, n_out;
  } cases[] = {
    { "up_ppg", 640, 1250 }, { "down_even", 1000, 600 },  { "down_odd", 1000, 377 },
    { "up_odd_in", 999, 1500 }, { "up_even_in", 512, 1331 }, { "prime", 997, 1009 },
    { "down_to_prime", 1200, 257 }, { "same", 300, 300 }, { "tiny", 5, 8 },
  };
  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *xn = g_strdup_printf ("rs_%s_x", cases[c].name);
      g_autofree char *yn = g_strdup_printf ("rs_%s_y", cases[c].name);
      g_autofree char *what = g_strdup_printf ("resample %s %" G_GSIZE_FORMAT " -> %" G_GSIZE_FORMAT, cases[c].name,
                                               cases[c].n_in, cases[c].n_out);
      gsize n, ny;
      g_autofree float *x = dsp_load_f (xn, &n);
      g_autofree double *want = dsp_load (yn, &ny);
      g_assert_cmpuint (n, ==, cases[c].n_in);
      g_assert_cmpuint (ny, ==, cases[c].n_out);
      g_autofree float *y = bx_resample_fft (x, n, ny, &error);
      g_assert_no_error (error);
      check_signal (what, y, want, ny);
    }
}

static void
test_resample_poly (void)
{
  const BxWindow hamming = { BX_WINDOW_HAMMING, 0 };
  const struct {
    const char *name;
    guint up, down;
    const BxWindow *window;
  } cases[] = {
    { "up5_down2", 5, 2, NULL }, { "up2_down5", 2, 5, NULL }, { "256_to_100", 25, 64, NULL },
    { "down3", 1, 3, NULL },     { "up3", 3, 1, NULL },       { "gcd", 6, 4, NULL },
    { "hamming", 4, 3, &hamming },
  };
  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *xn = g_strdup_printf ("rp_%s_x", cases[c].name);
      g_autofree char *yn = g_strdup_printf ("rp_%s_y", cases[c].name);
      g_autofree char *what = g_strdup_printf ("resample_poly %s", cases[c].name);
      gsize n, ny, n_out = 0;
      g_autofree float *x = dsp_load_f (xn, &n);
      g_autofree double *want = dsp_load (yn, &ny);
      g_autofree float *y = bx_resample_poly (x, n, cases[c].up, cases[c].down, cases[c].window, &n_out, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (n_out, ==, ny);
      check_signal (what, y, want, ny);
    }
  /* From rates: 256 Hz -> 100 Hz is 25/64, the fixture above. */
  {
    g_autoptr (GError) error = NULL;
    gsize n, ny, n_out;
    guint up, down;
    g_autofree float *x = dsp_load_f ("rp_256_to_100_x", &n);
    g_autofree double *want = dsp_load ("rp_256_to_100_y", &ny);
    g_autofree float *y = bx_resample_poly_rates (x, n, 256.0, 100.0, &n_out, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (n_out, ==, ny);
    check_signal ("resample_poly_rates 256 -> 100 Hz", y, want, ny);
    g_assert_true (bx_rate_ratio (44100.0, 48000.0, &up, &down, &error));
    g_assert_cmpuint (up, ==, 160);
    g_assert_cmpuint (down, ==, 147);
    g_assert_true (bx_rate_ratio (500.0, 130.0, &up, &down, &error));
    g_assert_cmpuint (up, ==, 13);
    g_assert_cmpuint (down, ==, 50);
    g_assert_false (bx_rate_ratio (256.0, 100.0 * G_PI, &up, &down, &error));
    g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_RATE);
  }
}

static void
test_resample_linear (void)
{
  const struct {
    const char *name;
    double f_in, f_out;
  } cases[] = {
    { "200_500", 200, 500 }, { "500_100", 500, 100 }, { "700_500", 700, 500 },
    { "500_130", 500, 130 }, { "500_200", 500, 200 },
  };
  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *xn = g_strdup_printf ("lin_%s_x", cases[c].name);
      g_autofree char *yn = g_strdup_printf ("lin_%s_y", cases[c].name);
      g_autofree char *what = g_strdup_printf ("resample_ecgfm %s", cases[c].name);
      gsize n, ny, n_out = 0;
      g_autofree float *x = dsp_load_f (xn, &n);
      g_autofree double *want = dsp_load (yn, &ny);
      g_autofree float *y = bx_resample_linear (x, n, cases[c].f_in, cases[c].f_out, &n_out, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (n_out, ==, ny);
      g_assert_cmpuint (bx_resample_linear_length (n, cases[c].f_in, cases[c].f_out), ==, ny);
      check_signal (what, y, want, ny);
      /* End points are kept exactly. */
      g_assert_cmpfloat (y[0], ==, x[0]);
      g_assert_cmpfloat (y[n_out - 1], ==, x[n - 1]);
    }
  /* Equal rates: a copy. */
  {
    float x[3] = { 1, 2, 3 };
    gsize n_out;
    g_autofree float *y = bx_resample_linear (x, 3, 100, 100, &n_out, NULL);
    g_assert_cmpuint (n_out, ==, 3);
    g_assert_cmpmem (x, sizeof x, y, sizeof x);
  }
}

static void
test_resample_labels (void)
{
  g_autoptr (GError) error = NULL;
  gsize n, ny;
  g_autofree int *labels = dsp_load_i ("lab_x", &n);
  g_autofree int *want = dsp_load_i ("lab_y", &ny);
  g_autofree int *got = bx_resample_labels (labels, n, ny, &error);

  g_assert_no_error (error);
  g_assert_cmpmem (got, ny * sizeof (int), want, ny * sizeof (int));
}

/* Amplitude and frequency of a resampled sine: count zero crossings and
 * compare against the analytic sine at the new rate. */
static void
check_sine (const char *what, const float *y, gsize n, double fs, double f0, double tol)
{
  double err = 0.0;
  for (gsize i = n / 10; i < n - n / 10; i++)
    err = fmax (err, fabs (y[i] - sin (2 * G_PI * f0 * (double) i / fs)));
  g_test_message ("%s: max deviation from the ideal sine %.3g", what, err);
  g_assert_cmpfloat (err, <, tol);
}

static void
test_sine_properties (void)
{
  const double fs = 256.0, f0 = 7.0;
  const gsize n = 2560;
  g_autoptr (GError) error = NULL;
  g_autofree float *x = g_new (float, n);
  gsize n_out;

  for (gsize i = 0; i < n; i++)
    x[i] = (float) sin (2 * G_PI * f0 * (double) i / fs);
  {
    g_autofree float *y = bx_resample_poly_rates (x, n, fs, 100.0, &n_out, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (n_out, ==, 1000);
    check_sine ("poly 256 -> 100 Hz", y, n_out, 100.0, f0, 2e-3);
  }
  {
    g_autofree float *y = bx_resample_poly_rates (x, n, fs, 500.0, &n_out, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (n_out, ==, 5000);
    check_sine ("poly 256 -> 500 Hz", y, n_out, 500.0, f0, 2e-3);
  }
  {
    /* 7 Hz over exactly 10 s is periodic: the FFT method is exact. */
    g_autofree float *y = bx_resample_fft (x, n, 1250, &error);
    g_assert_no_error (error);
    check_sine ("fft 256 -> 125 Hz", y, 1250, 125.0, f0, 1e-5);
  }
  {
    g_autofree float *y = bx_resample_linear (x, n, fs, 200.0, &n_out, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (n_out, ==, 2000);
    /* linear interpolation error of a 7 Hz sine sampled at 256 Hz: <= (2 pi f / fs)^2 / 8 ~ 4e-3,
     * plus the reference's slight time stretch (positions i (n_out-1)/(n_in-1)) */
    check_sine ("linear 256 -> 200 Hz", y, n_out, 200.0 * 1999.0 / 2000.0 * 2560.0 / 2559.0, f0, 5e-3);
  }
  /* Anti-aliasing: a 45 Hz tone, above the new Nyquist of 32 Hz, is removed when going to 64 Hz. */
  {
    for (gsize i = 0; i < n; i++)
      x[i] = (float) sin (2 * G_PI * 45.0 * (double) i / fs);
    g_autofree float *y = bx_resample_poly_rates (x, n, fs, 64.0, &n_out, &error);
    double peak = 0.0;
    g_assert_no_error (error);
    for (gsize i = n_out / 10; i < n_out - n_out / 10; i++)
      peak = fmax (peak, fabs (y[i]));
    g_test_message ("45 Hz tone after 256 -> 64 Hz: peak %.3g", peak);
    g_assert_cmpfloat (peak, <, 0.01);
  }
}

static void
test_resample_errors (void)
{
  GError *error = NULL;
  float x[8] = { 0 };
  gsize n_out;

  g_assert_null (bx_resample_linear (x, 8, 0.0, 100.0, &n_out, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_RATE);
  g_assert_nonnull (strstr (error->message, "f_in"));
  g_clear_error (&error);
  g_assert_null (bx_resample_linear (x, 8, 100.0, -5.0, &n_out, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_RATE);
  g_clear_error (&error);
  g_assert_null (bx_resample_linear (x, 1, 100.0, 200.0, &n_out, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_TOO_SHORT);
  g_clear_error (&error);
  g_assert_null (bx_resample_linear (x, 0, 100.0, 200.0, &n_out, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (bx_resample_fft (x, 8, 0, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (bx_resample_poly (x, 8, 0, 3, NULL, &n_out, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  x[3] = NAN;
  g_assert_null (bx_resample_fft (x, 8, 16, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_NOT_FINITE);
  g_assert_nonnull (strstr (error->message, "x[3]"));
  g_clear_error (&error);
  g_assert_null (bx_resample_poly (x, 8, 2, 3, NULL, &n_out, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_NOT_FINITE);
  g_clear_error (&error);
  g_assert_null (bx_resample_linear (x, 8, 100.0, 200.0, &n_out, &error));
  g_assert_error (error, BX_DSP_ERROR, BX_DSP_ERROR_NOT_FINITE);
  g_clear_error (&error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dsp/fft/lengths", test_fft_lengths);
  g_test_add_func ("/dsp/resample/fft", test_resample_fft);
  g_test_add_func ("/dsp/resample/poly", test_resample_poly);
  g_test_add_func ("/dsp/resample/linear", test_resample_linear);
  g_test_add_func ("/dsp/resample/labels", test_resample_labels);
  g_test_add_func ("/dsp/resample/sine", test_sine_properties);
  g_test_add_func ("/dsp/resample/errors", test_resample_errors);
  return g_test_run ();
}
