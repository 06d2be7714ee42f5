/* bx-display-filter.h — filters applied to traces for display only.
 *
 * High-pass, low-pass (2nd-order Butterworth sections) and a notch, run
 * forwards then backwards over the samples about to be drawn (zero phase, so
 * waves do not shift against the clock ruler and across channels). The data
 * on disk and everything passed to plugins stay unfiltered.
 *
 * This is a small interface on purpose: the biquads are designed here, and
 * only bx_display_filter_run() would change to use core/dsp's SOS designs.
 * (core/dsp/bx-filter.h has its own BxDisplayFilter and
 * bx_display_filter_apply(): no function here may share a name with those, or
 * a binary that links both clashes.)
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  double highpass_hz;   /* 0 = off */
  double lowpass_hz;    /* 0 = off */
  double notch_hz;      /* 0 = off; 50 or 60 */
} BxDisplayFilter;

gboolean bx_display_filter_is_active (const BxDisplayFilter *filter);

/* Filters `n` samples at `sample_rate` Hz in place. Cut-offs at or above
 * Nyquist are skipped. */
void bx_display_filter_run (const BxDisplayFilter *filter, double sample_rate, float *samples, gsize n);

/* Samples to read on each side of a drawn span so the filter has settled
 * (about three time constants of the lowest cut-off), at most `max`. */
gint64 bx_display_filter_margin (const BxDisplayFilter *filter, double sample_rate, gint64 max);

/* "HP 0.3 Hz · LP 35 Hz · Notch 50 Hz", or NULL when no filter is on. */
char *bx_display_filter_describe (const BxDisplayFilter *filter);

G_END_DECLS
