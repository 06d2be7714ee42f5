/* bench-dsp — filtering and resampling one 8-hour 256 Hz channel (7,372,800
 * samples, an EEG-like mix of tones and noise) on one core. Prints seconds and
 * samples per second for each operation. Usage: bench-dsp [hours] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dsp/bx-dsp.h"

static double cpu0;

/* Wall-clock start; the CPU time of this process is taken alongside, because
 * on a shared machine wall time also counts other people's work. */
static double
now (void)
{
  cpu0 = (double) clock () / CLOCKS_PER_SEC;
  return (double) g_get_monotonic_time () / 1e6;
}

static void
report (const char *what, double t0, gsize n)
{
  const double dt = (double) g_get_monotonic_time () / 1e6 - t0;
  const double cpu = (double) clock () / CLOCKS_PER_SEC - cpu0;
  printf ("%-48s wall %7.3f s  cpu %7.3f s  %7.1f Msamples/s (cpu)\n", what, dt, cpu, (double) n / cpu / 1e6);
}

int
main (int argc, char **argv)
{
  const double hours = argc > 1 ? g_ascii_strtod (argv[1], NULL) : 8.0;
  const double fs = 256.0;
  const gsize n = (gsize) (hours * 3600.0 * fs);
  g_autoptr (GError) error = NULL;
  g_autofree float *x = g_new (float, n);
  g_autofree float *y = g_new (float, n);
  GRand *rand = g_rand_new_with_seed (1);
  double t0;

  for (gsize i = 0; i < n; i++)
    {
      const double t = (double) i / fs;
      x[i] = (float) (20.0 * sin (2 * G_PI * 1.5 * t) + 8.0 * sin (2 * G_PI * 10.0 * t) + 3.0 * sin (2 * G_PI * 50.0 * t)
                      + 5.0 * (g_rand_double (rand) - 0.5));
    }
  g_rand_free (rand);
  printf ("one channel: %.1f h at %.0f Hz = %" G_GSIZE_FORMAT " samples\n", hours, fs, n);

  {
    g_autoptr (BxFilterCoeffs) f = bx_butter (4, BX_BAND_BANDPASS, 0.5, 35.0, fs, &error);
    t0 = now ();
    if (!bx_filtfilt (f, x, y, n, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error))
      g_error ("%s", error->message);
    report ("filtfilt butter(4) band-pass 0.5-35 Hz (b, a)", t0, n);
  }
  {
    g_autoptr (BxSos) s = bx_butter_sos (4, BX_BAND_BANDPASS, 0.5, 35.0, fs, &error);
    t0 = now ();
    if (!bx_sosfiltfilt (s, x, y, n, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error))
      g_error ("%s", error->message);
    report ("sosfiltfilt butter(4) band-pass 0.5-35 Hz", t0, n);
  }
  {
    g_autoptr (BxDisplayFilter) d = bx_display_filter_new (fs, 0.3, 35.0, 50.0, &error);
    t0 = now ();
    if (!bx_display_filter_apply (d, x, y, n, &error))
      g_error ("%s", error->message);
    report ("display filter (HP 0.3, LP 35, notch 50 Hz)", t0, n);
  }
  {
    const double edges[2] = { 0.05, 47.0 };
    g_autofree double *h = bx_firwin (151, edges, 2, FALSE, NULL, fs, &error);
    g_autoptr (BxFilterCoeffs) f = bx_filter_coeffs_new_fir (h, 151, &error);
    t0 = now ();
    if (!bx_filtfilt (f, x, y, n, BX_PAD_ODD, BX_PADLEN_DEFAULT, &error))
      g_error ("%s", error->message);
    report ("filtfilt 151-tap FIR band-pass", t0, n);
  }
  {
    gsize n_out;
    t0 = now ();
    g_autofree float *r = bx_resample_poly_rates (x, n, fs, 100.0, &n_out, &error);
    if (r == NULL)
      g_error ("%s", error->message);
    report ("resample_poly 256 -> 100 Hz (25/64)", t0, n);
  }
  {
    gsize n_out;
    t0 = now ();
    g_autofree float *r = bx_resample_linear (x, n, fs, 200.0, &n_out, &error);
    if (r == NULL)
      g_error ("%s", error->message);
    report ("linear (resample_ecgfm) 256 -> 200 Hz", t0, n);
  }
  {
    t0 = now ();
    g_autofree float *r = bx_resample_fft (x, n, n / 256 * 125, &error);
    if (r == NULL)
      g_error ("%s", error->message);
    report ("FFT resample 256 -> 125 Hz", t0, n);
  }
  {
    g_autofree float *z = g_memdup2 (x, n * sizeof (float));
    t0 = now ();
    if (!bx_zscore (z, n, &error))
      g_error ("%s", error->message);
    report ("zscore", t0, n);
  }
  return 0;
}
