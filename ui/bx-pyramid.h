/* bx-pyramid.h — min/max decimation pyramid of one trace, for fast drawing.
 *
 * Level k summarises the trace in bins of (BX_PYRAMID_BASE_BIN << k) samples:
 * for each bin the minimum and the maximum value (float32, physical unit).
 * Drawing a column of pixels that covers s samples costs a handful of bin
 * lookups at the level whose bins are just below s, so a whole night (8 h,
 * 20 channels, 256 Hz = 147 M samples) draws as fast as a 30 s page. Spans
 * shorter than one base bin per pixel are drawn from raw samples instead.
 *
 * Memory: about 2 × 4 B × n_samples / BASE_BIN × 2 (all levels), i.e.
 * 0.9 MB per 8 h channel at 256 Hz.
 *
 * A trace is one channel, or a bipolar derivation a − b of two channels with
 * the same sampling rate.
 */
#pragma once

#include <gio/gio.h>

#include "recording/bx-recording.h"

G_BEGIN_DECLS

#define BX_PYRAMID_BASE_BIN 32

typedef struct {
  guint channel;       /* index in the recording */
  int minus_channel;   /* -1, or the channel subtracted (bipolar derivation) */
} BxTraceSource;

typedef struct _BxPyramid BxPyramid;

/* Builds the pyramid of one source synchronously (any thread). */
BxPyramid *bx_pyramid_build (BxRecording *recording, const BxTraceSource *source, GCancellable *cancellable,
                             GError **error);
void bx_pyramid_free (BxPyramid *pyramid);

gint64 bx_pyramid_get_n_samples (const BxPyramid *pyramid);
/* Mean of the whole trace (the baseline drawn at the channel's centre line). */
double bx_pyramid_get_mean (const BxPyramid *pyramid);
/* Half-width of the range holding the central 98% of the bin extremes around the mean:
 * a robust default amplitude scale. */
double bx_pyramid_get_typical_amplitude (const BxPyramid *pyramid);
/* The same for another share `q` of the extremes; stored for q = 0.9, 0.98,
 * 0.99, 0.995 and 0.999, other values give the nearest stored one above. */
double bx_pyramid_get_amplitude_quantile (const BxPyramid *pyramid, double q);

/* Min and max over samples [first, last) using the coarsest level whose bins
 * are at most `last - first` samples, rounding the span out to whole bins.
 * Returns FALSE when the span lies outside the trace. */
gboolean bx_pyramid_min_max (const BxPyramid *pyramid, gint64 first, gint64 last, float *out_min, float *out_max);

/* Called in the main context for each finished source, in completion order,
 * with the source's position in `sources` plus `index_base`; takes ownership
 * of `pyramid`. Not called after `cancellable` is cancelled. */
typedef void (*BxPyramidReadyFunc) (guint source_index, BxPyramid *pyramid, gpointer user_data);

/* Builds the pyramids of `n_sources` sources on `n_threads` dedicated threads
 * (0 = one per processor). `callback` runs once all are done. */
void bx_pyramid_build_async (BxRecording *recording, const BxTraceSource *sources, guint n_sources,
                             guint index_base, guint n_threads, GCancellable *cancellable, BxPyramidReadyFunc ready,
                             gpointer ready_data, GAsyncReadyCallback callback, gpointer user_data);
gboolean bx_pyramid_build_finish (GAsyncResult *result, GError **error);

/* Reads samples [first, first + n) of a source (a channel or a − b). */
gboolean bx_trace_source_read (BxRecording *recording, const BxTraceSource *source, gint64 first, gint64 n,
                               float *out, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxPyramid, bx_pyramid_free)

G_END_DECLS
