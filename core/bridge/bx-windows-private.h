/* bx-windows-private.h — the per-model recipes of bx-windows.c (spec §4),
 * applied to one channel of one recording at a time. */
#pragma once

#include <glib.h>

#include "bridge/bx-windows.h"
#include "jobs/bx-job.h"

G_BEGIN_DECLS

/* Rate a recipe's output runs at (Hz): 200, 100, 125, 130. */
double bx_prep_target_rate (BxPrepRecipe recipe);
/* The same, with COMPACT's configurable rate (`rate` ≤ 0: 100 Hz). */
double bx_prep_side_rate (BxPrepRecipe recipe, double rate);
/* Lowest native rate a recipe accepts (Hz) and why, for error messages. */
double bx_prep_min_rate (BxPrepRecipe recipe, const char **why);
const char *bx_prep_recipe_name (BxPrepRecipe recipe);
BxModality bx_prep_recipe_modality (BxPrepRecipe recipe);
/* Per-window raw shape of `n_channels` channels and window length
 * `n_target` samples at the target rate; returns ndim. */
int bx_prep_raw_shape (BxPrepRecipe recipe, guint n_channels, gint64 n_target, gint64 *shape);

/* One channel of one recording: its contiguous segments at the native rate
 * `fs` (non-finite samples already replaced), and the candidate windows
 * (segment index and offset in seconds from the segment's start, `window_s`
 * long). For every window whose `bad[k]` is NULL, writes the channel's part
 * of the raw layout (channel block `channel` of `per_channel` floats) into
 * `out + k * stride`; a window that does not fit its segment gets a reason
 * in bad[k] (g_strdup). The recipe's whole-recording steps (resampling,
 * filtering, z-score) run over all segments together. */
typedef struct {
  BxPrepRecipe recipe;
  gboolean per_window_filter;
  gboolean per_window_zscore;
  double fs;
  const char *file;            /* for messages */
  const char *channel_label;
  double rate;                 /* COMPACT's output rate (Hz) */
} BxPrepChannel;

gboolean bx_prep_channel (const BxPrepChannel *prep, float *const *seg_data, const gsize *seg_n, guint n_segs,
                          guint n_windows, const guint *win_seg, const double *win_offset, double window_s,
                          char **bad, float *out, gsize stride, guint channel, gsize per_channel, BxJob *job,
                          GError **error);

/* One segment of one channel as read (n samples at fs): multiplies by
 * `scale` (→ µV), gives every window of segment `seg` whose bad[k] is NULL a
 * reason if its samples are non-finite or all equal (flat), then replaces
 * non-finite samples by the mean of the finite ones. */
void bx_windows_scan_segment (float *x, gsize n, double scale, double fs, const char *channel_label, guint seg,
                              guint n_windows, const guint *win_seg, const double *win_offset, double window_s,
                              char **bad);

G_END_DECLS
