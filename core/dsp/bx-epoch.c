/* bx-epoch.c — fixed windows with majority labels and a purity rule. */
#include "bx-epoch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bx-dsp-private.h"

gsize
bx_epoch_samples (double seconds, double fs)
{
  const double n = seconds * fs;
  return n > 0.0 && isfinite (n) ? (gsize) n : 0;
}

static int
cmp_int (const void *a, const void *b)
{
  const int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

GArray *
bx_epoch_windows (const int *labels, gsize n, gsize window, gsize step, double min_purity, const int *allowed,
                  gsize n_allowed, GError **error)
{
  g_autoptr (GArray) out = NULL;
  g_autofree int *sorted = NULL;

  if (labels == NULL || n == 0)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "bx_epoch_windows: no labels given");
      return NULL;
    }
  if (window == 0 || step == 0)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT,
                   "bx_epoch_windows: window (%" G_GSIZE_FORMAT ") and step (%" G_GSIZE_FORMAT
                   ") must be >= 1 sample",
                   window, step);
      return NULL;
    }
  if (!(min_purity >= 0.0 && min_purity <= 1.0))
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT,
                   "bx_epoch_windows: min_purity must be in [0, 1], got %g", min_purity);
      return NULL;
    }
  out = g_array_new (FALSE, FALSE, sizeof (BxEpochWindow));
  if (n < window)
    return g_steal_pointer (&out);

  sorted = g_new (int, window);
  const gsize n_windows = (n - window) / step + 1;
  for (gsize w = 0; w < n_windows; w++)
    {
      const gsize start = w * step;
      memcpy (sorted, labels + start, window * sizeof (int));
      qsort (sorted, window, sizeof (int), cmp_int);
      /* Longest run in sorted order; the first (smallest) label wins ties. */
      int best = sorted[0];
      gsize best_count = 0, run = 0;
      for (gsize i = 0; i < window; i++)
        {
          run = (i > 0 && sorted[i] == sorted[i - 1]) ? run + 1 : 1;
          if (run > best_count)
            {
              best_count = run;
              best = sorted[i];
            }
        }
      const double purity = (double) best_count / (double) window;
      if (purity < min_purity)
        continue;
      if (allowed != NULL)
        {
          gboolean ok = FALSE;
          for (gsize a = 0; a < n_allowed; a++)
            ok |= allowed[a] == best;
          if (!ok)
            continue;
        }
      BxEpochWindow e = { start, best, purity };
      g_array_append_val (out, e);
    }
  return g_steal_pointer (&out);
}
