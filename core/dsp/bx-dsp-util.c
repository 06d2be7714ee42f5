/* bx-dsp-util.c — error domain and input checks of core/dsp. */
#include "bx-dsp-private.h"

#include <math.h>

G_DEFINE_QUARK (bx-dsp-error-quark, bx_dsp_error)

gboolean
bx_dsp_check_finite_f (const float *x, gsize n, const char *func, const char *what, GError **error)
{
  for (gsize i = 0; i < n; i++)
    if (!isfinite (x[i]))
      {
        g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_NOT_FINITE, "%s: %s[%" G_GSIZE_FORMAT "] is %s", func, what,
                     i, isnan (x[i]) ? "NaN" : "infinite");
        return FALSE;
      }
  return TRUE;
}

gboolean
bx_dsp_check_finite_d (const double *x, gsize n, const char *func, const char *what, GError **error)
{
  for (gsize i = 0; i < n; i++)
    if (!isfinite (x[i]))
      {
        g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_NOT_FINITE, "%s: %s[%" G_GSIZE_FORMAT "] is %s", func, what,
                     i, isnan (x[i]) ? "NaN" : "infinite");
        return FALSE;
      }
  return TRUE;
}

gboolean
bx_dsp_check_signal (const float *x, gsize n, const char *func, GError **error)
{
  if (x == NULL || n == 0)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "%s: the signal is empty (0 samples)", func);
      return FALSE;
    }
  return bx_dsp_check_finite_f (x, n, func, "x", error);
}

gboolean
bx_dsp_check_rate (double fs, const char *func, const char *what, GError **error)
{
  if (!(fs > 0.0) || !isfinite (fs))
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_RATE, "%s: %s must be a positive sampling rate in Hz, got %g",
                   func, what, fs);
      return FALSE;
    }
  return TRUE;
}
