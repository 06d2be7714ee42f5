/* bx-fir.c — windowed-sinc FIR design (scipy.signal.firwin). */
#include "bx-filter.h"

#include <math.h>

#include "bx-dsp-private.h"

static double
sinc (double x)
{
  if (x == 0.0)
    return 1.0;
  return sin (G_PI * x) / (G_PI * x);
}

double *
bx_firwin (gsize numtaps, const double *cutoff_hz, gsize n_cutoff, gboolean pass_zero, const BxWindow *window,
           double fs, GError **error)
{
  static const BxWindow hamming = { BX_WINDOW_HAMMING, 0.0 };
  const double nyq = 0.5 * fs;
  g_autofree double *bands = NULL;
  g_autofree double *h = NULL;
  g_autofree double *win = NULL;
  gsize n_edges = 0;
  gboolean pass_nyquist;

  if (!bx_dsp_check_rate (fs, "bx_firwin", "fs", error))
    return NULL;
  if (numtaps == 0)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "bx_firwin: numtaps must be >= 1");
      return NULL;
    }
  if (cutoff_hz == NULL || n_cutoff == 0)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT,
                   "bx_firwin: at least one cut-off frequency must be given");
      return NULL;
    }
  for (gsize i = 0; i < n_cutoff; i++)
    {
      if (!(cutoff_hz[i] > 0.0 && cutoff_hz[i] < nyq))
        {
          g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_FREQUENCY,
                       "bx_firwin: cut-off %g Hz is outside (0, %g Hz) for a sampling rate of %g Hz", cutoff_hz[i],
                       nyq, fs);
          return NULL;
        }
      if (i > 0 && !(cutoff_hz[i] > cutoff_hz[i - 1]))
        {
          g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_FREQUENCY,
                       "bx_firwin: cut-off frequencies must be strictly increasing (%g Hz after %g Hz)", cutoff_hz[i],
                       cutoff_hz[i - 1]);
          return NULL;
        }
    }
  pass_nyquist = ((n_cutoff & 1) != 0) != (pass_zero != FALSE);
  if (pass_nyquist && numtaps % 2 == 0)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT,
                   "bx_firwin: a filter that passes the Nyquist frequency needs an odd number of taps, got %"
                   G_GSIZE_FORMAT, numtaps);
      return NULL;
    }

  /* Band edges relative to Nyquist, as pairs (left, right) of pass bands. */
  bands = g_new (double, n_cutoff + 2);
  if (pass_zero)
    bands[n_edges++] = 0.0;
  for (gsize i = 0; i < n_cutoff; i++)
    bands[n_edges++] = cutoff_hz[i] / nyq;
  if (pass_nyquist)
    bands[n_edges++] = 1.0;

  const double alpha = 0.5 * (double) (numtaps - 1);
  h = g_new0 (double, numtaps);
  for (gsize b = 0; b + 1 < n_edges; b += 2)
    {
      const double left = bands[b], right = bands[b + 1];
      for (gsize i = 0; i < numtaps; i++)
        {
          const double m = (double) i - alpha;
          h[i] += right * sinc (right * m);
          h[i] -= left * sinc (left * m);
        }
    }

  win = g_new (double, numtaps);
  if (!bx_window_fill (window != NULL ? window : &hamming, win, numtaps, TRUE, error))
    return NULL;
  for (gsize i = 0; i < numtaps; i++)
    h[i] *= win[i];

  /* scale=True: unit gain at the centre of the first pass band (0 for a
   * low-pass, Nyquist for a high-pass). */
  {
    const double left = bands[0], right = bands[1];
    const double f = left == 0.0 ? 0.0 : right == 1.0 ? 1.0 : 0.5 * (left + right);
    double s = 0.0;
    for (gsize i = 0; i < numtaps; i++)
      s += h[i] * cos (G_PI * ((double) i - alpha) * f);
    if (s == 0.0 || !isfinite (s))
      {
        g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT,
                     "bx_firwin: the filter has zero gain in its pass band (numtaps %" G_GSIZE_FORMAT
                     " too small for these bands?)", numtaps);
        return NULL;
      }
    for (gsize i = 0; i < numtaps; i++)
      h[i] /= s;
  }
  return g_steal_pointer (&h);
}

double *
bx_fir_design (gsize numtaps, BxBandType band, double f_low, double f_high, const BxWindow *window, double fs,
               GError **error)
{
  const double edges[2] = { f_low, f_high };

  switch (band)
    {
    case BX_BAND_LOWPASS:
      return bx_firwin (numtaps, edges, 1, TRUE, window, fs, error);
    case BX_BAND_HIGHPASS:
      return bx_firwin (numtaps, edges, 1, FALSE, window, fs, error);
    case BX_BAND_BANDPASS:
      return bx_firwin (numtaps, edges, 2, FALSE, window, fs, error);
    case BX_BAND_BANDSTOP:
      return bx_firwin (numtaps, edges, 2, TRUE, window, fs, error);
    default:
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "bx_fir_design: unknown band type %d",
                   (int) band);
      return NULL;
    }
}
