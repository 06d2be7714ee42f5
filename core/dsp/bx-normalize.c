/* bx-normalize.c — mean removal, z-score, per-lead std division. */
#include "bx-normalize.h"

#include <math.h>

#include "bx-dsp-private.h"

gboolean
bx_mean_std (const float *x, gsize n, double *mean, double *std, GError **error)
{
  double sum = 0.0, ss = 0.0;

  if (!bx_dsp_check_signal (x, n, "bx_mean_std", error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    sum += x[i];
  const double m = sum / (double) n;
  /* Two-pass: no cancellation for signals with a large offset. */
  for (gsize i = 0; i < n; i++)
    {
      const double d = x[i] - m;
      ss += d * d;
    }
  if (mean != NULL)
    *mean = m;
  if (std != NULL)
    *std = sqrt (ss / (double) n);
  return TRUE;
}

gboolean
bx_remove_mean (float *x, gsize n, GError **error)
{
  double mean;

  if (!bx_mean_std (x, n, &mean, NULL, error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    x[i] = (float) (x[i] - mean);
  return TRUE;
}

gboolean
bx_zscore (float *x, gsize n, GError **error)
{
  double mean, std;

  if (!bx_mean_std (x, n, &mean, &std, error))
    return FALSE;
  for (gsize i = 0; i < n; i++)
    x[i] = std > 0.0 ? (float) ((x[i] - mean) / std) : 0.0f;
  return TRUE;
}

static gboolean
check_matrix (const float *x, gsize n_channels, gsize n_samples, const char *func, GError **error)
{
  if (x == NULL || n_channels == 0 || n_samples == 0)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT,
                   "%s: empty input (%" G_GSIZE_FORMAT " channels x %" G_GSIZE_FORMAT " samples)", func, n_channels,
                   n_samples);
      return FALSE;
    }
  return bx_dsp_check_finite_f (x, n_channels * n_samples, func, "x", error);
}

gboolean
bx_lead_std_divide (float *x, gsize n_channels, gsize n_samples, double *std_out, GError **error)
{
  if (!check_matrix (x, n_channels, n_samples, "bx_lead_std_divide", error))
    return FALSE;
  for (gsize c = 0; c < n_channels; c++)
    {
      float *row = x + c * n_samples;
      double std;
      if (!bx_mean_std (row, n_samples, NULL, &std, error))
        return FALSE;
      for (gsize i = 0; i < n_samples; i++)
        row[i] = std > 0.0 ? (float) (row[i] / std) : 0.0f;
      if (std_out != NULL)
        std_out[c] = std;
    }
  return TRUE;
}

gboolean
bx_normalize_channels (float *x, gsize n_channels, gsize n_samples, GError **error)
{
  if (!check_matrix (x, n_channels, n_samples, "bx_normalize_channels", error))
    return FALSE;
  for (gsize c = 0; c < n_channels; c++)
    if (!bx_zscore (x + c * n_samples, n_samples, error))
      return FALSE;
  return TRUE;
}
