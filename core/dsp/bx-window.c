/* bx-window.c — window functions. */
#include "bx-window.h"

#include <math.h>

#include "bx-dsp-private.h"

double
bx_bessel_i0 (double x)
{
  /* Power series sum_k ((x/2)^k / k!)^2: all terms positive, so it is accurate
   * to rounding for any x whose result is representable. */
  const double q = 0.25 * x * x;
  double term = 1.0, sum = 1.0;

  for (int k = 1; k < 1000; k++)
    {
      term *= q / ((double) k * (double) k);
      sum += term;
      if (term < sum * 1e-17)
        break;
    }
  return sum;
}

gboolean
bx_window_fill (const BxWindow *window, double *w, gsize n, gboolean symmetric, GError **error)
{
  gsize m;

  if (n == 0)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "bx_window_fill: window length is 0");
      return FALSE;
    }
  if (window->type == BX_WINDOW_KAISER && (!isfinite (window->beta) || window->beta < 0.0))
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT,
                   "bx_window_fill: Kaiser beta must be finite and >= 0, got %g", window->beta);
      return FALSE;
    }
  if (n == 1 || window->type == BX_WINDOW_RECTANGULAR)
    {
      for (gsize i = 0; i < n; i++)
        w[i] = 1.0;
      return TRUE;
    }
  /* The periodic window of length n is the symmetric one of length n + 1
   * without its last point. */
  m = symmetric ? n : n + 1;

  if (window->type == BX_WINDOW_KAISER)
    {
      const double alpha = 0.5 * (double) (m - 1);
      const double norm = bx_bessel_i0 (window->beta);
      for (gsize i = 0; i < n; i++)
        {
          double r = ((double) i - alpha) / alpha;
          double s = 1.0 - r * r;
          w[i] = bx_bessel_i0 (window->beta * sqrt (s > 0.0 ? s : 0.0)) / norm;
        }
      return TRUE;
    }

  double a0, a1, a2 = 0.0;
  switch (window->type)
    {
    case BX_WINDOW_HAMMING:
      a0 = 0.54, a1 = 0.46;
      break;
    case BX_WINDOW_HANN:
      a0 = 0.5, a1 = 0.5;
      break;
    case BX_WINDOW_BLACKMAN:
      a0 = 0.42, a1 = 0.5, a2 = 0.08;
      break;
    case BX_WINDOW_RECTANGULAR:
    case BX_WINDOW_KAISER:
    default:
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "bx_window_fill: unknown window type %d",
                   (int) window->type);
      return FALSE;
    }
  /* general cosine window on linspace(-pi, pi, m) */
  for (gsize i = 0; i < n; i++)
    {
      double phase = -G_PI + 2.0 * G_PI * (double) i / (double) (m - 1);
      w[i] = a0 + a1 * cos (phase) + a2 * cos (2.0 * phase);
    }
  return TRUE;
}
