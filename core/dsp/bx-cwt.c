/* bx-cwt.c — Ricker CWT (scipy 1.10 semantics) and spec_cwt. */
#include "bx-cwt.h"

#include <math.h>
#include <string.h>

#include "bx-dsp-private.h"

gsize
bx_ricker_length (double points)
{
  return points > 0.0 ? (gsize) ceil (points) : 0;
}

void
bx_ricker (double points, double a, double *out)
{
  const double amp = 2.0 / (sqrt (3.0 * a) * pow (G_PI, 0.25));
  const double wsq = a * a;
  const double centre = (points - 1.0) / 2.0;
  const gsize n = bx_ricker_length (points);

  for (gsize k = 0; k < n; k++)
    {
      const double t = (double) k - centre;
      const double tsq = t * t;
      out[k] = amp * (1.0 - tsq / wsq) * exp (-tsq / (2.0 * wsq));
    }
}

/* One CWT row in double: row[i] = sum_j x[j] w[N - 1 - (i + s) + j], s = (N-1)/2
 * (the 'same' part of the full convolution with the reversed wavelet). */
static void
cwt_row (const double *x, gsize n, double width, double *wavelet, double *row)
{
  const double points = MIN (10.0 * width, (double) n);
  const gsize len = bx_ricker_length (points);
  const gssize s = (gssize) (len - 1) / 2;

  bx_ricker (points, width, wavelet);
  for (gsize i = 0; i < n; i++)
    {
      /* full-convolution index c = i + s; contributions from x[j] with
       * 0 <= c - j <= len - 1, where the reversed wavelet holds w[len - 1 - (c - j)]. */
      const gssize c = (gssize) i + s;
      gssize j_lo = c - (gssize) len + 1;
      gssize j_hi = c;
      if (j_lo < 0)
        j_lo = 0;
      if (j_hi > (gssize) n - 1)
        j_hi = (gssize) n - 1;
      double acc = 0.0;
      for (gssize j = j_lo; j <= j_hi; j++)
        acc += x[j] * wavelet[(gssize) len - 1 - (c - j)];
      row[i] = acc;
    }
}

static gboolean
check_widths (const double *widths, gsize n_widths, GError **error)
{
  if (widths == NULL || n_widths == 0)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "bx_cwt_ricker: no widths given");
      return FALSE;
    }
  for (gsize w = 0; w < n_widths; w++)
    if (!(widths[w] > 0.0) || !isfinite (widths[w]))
      {
        g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT,
                     "bx_cwt_ricker: widths[%" G_GSIZE_FORMAT "] must be > 0, got %g", w, widths[w]);
        return FALSE;
      }
  return TRUE;
}

gboolean
bx_cwt_ricker (const float *x, gsize n, const double *widths, gsize n_widths, float *out, GError **error)
{
  g_autofree double *xd = NULL;
  g_autofree double *wavelet = NULL;
  g_autofree double *row = NULL;

  if (!bx_dsp_check_signal (x, n, "bx_cwt_ricker", error) || !check_widths (widths, n_widths, error))
    return FALSE;
  xd = g_new (double, n);
  wavelet = g_new (double, n + 1);
  row = g_new (double, n);
  for (gsize i = 0; i < n; i++)
    xd[i] = x[i];
  for (gsize w = 0; w < n_widths; w++)
    {
      cwt_row (xd, n, widths[w], wavelet, row);
      for (gsize i = 0; i < n; i++)
        out[w * n + i] = (float) row[i];
    }
  return TRUE;
}

gboolean
bx_spec_cwt (const float *x, gsize n, float *out, GError **error)
{
  double widths[BX_SPEC_CWT_N_WIDTHS];
  g_autofree double *series = NULL;
  g_autofree double *wavelet = NULL;
  g_autofree double *row = NULL;

  if (!bx_dsp_check_signal (x, n, "bx_spec_cwt", error))
    return FALSE;
  if (n < 3)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_TOO_SHORT,
                   "bx_spec_cwt: needs at least 3 samples (second difference), got %" G_GSIZE_FORMAT, n);
      return FALSE;
    }
  for (int w = 0; w < BX_SPEC_CWT_N_WIDTHS; w++)
    widths[w] = 0.1 + w; /* numpy.arange(0.1, 65) */

  const gsize len = n - 2;
  series = g_new (double, 3 * len);
  wavelet = g_new (double, len + 1);
  row = g_new (double, len);
  /* x[2:], diff(x)[1:], diff(diff(x)) — all aligned to end at the last sample. */
  for (gsize i = 0; i < len; i++)
    {
      const double x0 = x[i], x1 = x[i + 1], x2 = x[i + 2];
      const double d1a = x1 - x0, d1b = x2 - x1;
      series[i] = x2;
      series[len + i] = d1b;
      series[2 * len + i] = d1b - d1a;
    }
  for (gsize s = 0; s < 3; s++)
    for (gsize w = 0; w < BX_SPEC_CWT_N_WIDTHS; w++)
      {
        cwt_row (series + s * len, len, widths[w], wavelet, row);
        for (gsize i = 0; i < len; i++)
          out[(s * len + i) * BX_SPEC_CWT_N_WIDTHS + w] = (float) row[i];
      }
  return TRUE;
}
