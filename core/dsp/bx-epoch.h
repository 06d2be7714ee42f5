/* bx-epoch.h — cutting a labelled recording into fixed windows.
 *
 * The reference (BioX-Bridge make_FOG.py / make_WESAD.py split_into_segments)
 * slides a window of `window` samples by `step` samples: window i covers
 * [i * step, i * step + window) for i < (n - window) / step + 1. A window is
 * kept when its most frequent label (ties: the smallest label) covers at least
 * `min_purity` of it (FOG: 0.8; WESAD: 1.0 and the label in {1, 2, 3}).
 */
#pragma once

#include <glib.h>

#include "bx-dsp-error.h"

G_BEGIN_DECLS

typedef struct {
  gsize start;   /* first sample of the window */
  int label;     /* majority label */
  double purity; /* fraction of the window carrying `label`, in (0, 1] */
} BxEpochWindow;

/* int(seconds * fs), as the reference converts window and step lengths. */
gsize bx_epoch_samples (double seconds, double fs);

/* Returns a GArray of BxEpochWindow (possibly empty: a signal shorter than one
 * window has none). `allowed` (n_allowed labels, NULL = any) further keeps only
 * windows whose majority label is listed. window, step >= 1; min_purity in
 * [0, 1]. */
GArray *bx_epoch_windows (const int *labels, gsize n, gsize window, gsize step, double min_purity,
                          const int *allowed, gsize n_allowed, GError **error);

G_END_DECLS
