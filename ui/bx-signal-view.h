/* bx-signal-view.h — stacked multi-channel traces of a recording.
 *
 * Draws every visible trace in its own horizontal slot with its label, unit
 * and amplitude scale, a clock-time ruler, the epoch grid, annotation marks,
 * the scoring and overlay label tracks (shaded by confidence under the traces
 * and as labelled bands at the bottom). Columns of pixels are drawn as
 * min/max envelopes from a decimation pyramid built on worker threads, or
 * from raw (display-filtered) samples when zoomed in.
 */
#pragma once

#include <gtk/gtk.h>

#include "bx-display-filter.h"
#include "bx-pyramid.h"
#include "recording/bx-hypnogram.h"
#include "recording/bx-recording.h"

G_BEGIN_DECLS

#define BX_TYPE_SIGNAL_VIEW (bx_signal_view_get_type ())
G_DECLARE_FINAL_TYPE (BxSignalView, bx_signal_view, BX, SIGNAL_VIEW, GtkWidget)

GtkWidget *bx_signal_view_new (void);

/* Starts building the overview pyramids on `n_threads` threads (0 = auto). */
void bx_signal_view_set_recording (BxSignalView *self, BxRecording *recording, guint n_threads);
BxRecording *bx_signal_view_get_recording (BxSignalView *self);
/* TRUE once the pyramid of every trace is built (property "overview-ready"). */
gboolean bx_signal_view_get_overview_ready (BxSignalView *self);

/* The shown window: `start` seconds from the recording start, `length` seconds wide. */
void bx_signal_view_set_window (BxSignalView *self, double start, double length);
double bx_signal_view_get_start (BxSignalView *self);
double bx_signal_view_get_page_length (BxSignalView *self);
/* Highlighted epoch on pages longer than one epoch; -1 for none. */
void bx_signal_view_set_current_epoch (BxSignalView *self, int epoch, double epoch_length);

/* Not owned; call bx_signal_view_labels_changed() after editing them. */
void bx_signal_view_set_scoring (BxSignalView *self, const BxHypnogram *scoring);
/* A GListModel of BxOverlayTrack. */
void bx_signal_view_set_overlay_tracks (BxSignalView *self, GListModel *tracks);
void bx_signal_view_set_annotations (BxSignalView *self, const BxAnnotationList *annotations);
void bx_signal_view_labels_changed (BxSignalView *self);

void bx_signal_view_set_filter (BxSignalView *self, const BxDisplayFilter *filter);
const BxDisplayFilter *bx_signal_view_get_filter (BxSignalView *self);
/* Trace colours per BxModality (BX_N_MODALITIES entries); NULL = all in the text colour. */
void bx_signal_view_set_palette (BxSignalView *self, const GdkRGBA *modality_colours);

/* Traces, in display order. */
guint bx_signal_view_get_n_traces (BxSignalView *self);
const char *bx_signal_view_get_trace_label (BxSignalView *self, guint index);
const char *bx_signal_view_get_trace_unit (BxSignalView *self, guint index);
/* Gain: multiplies the trace's amplitude (1 = the automatic scale). */
double bx_signal_view_get_trace_gain (BxSignalView *self, guint index);
void bx_signal_view_set_trace_gain (BxSignalView *self, guint index, double gain);
/* Offset in the trace's unit, added before drawing (moves the trace up). */
void bx_signal_view_set_trace_offset (BxSignalView *self, guint index, double offset);
double bx_signal_view_get_trace_offset (BxSignalView *self, guint index);
gboolean bx_signal_view_get_trace_visible (BxSignalView *self, guint index);
void bx_signal_view_set_trace_visible (BxSignalView *self, guint index, gboolean visible);
/* Overrides the palette colour; NULL restores it. */
void bx_signal_view_set_trace_colour (BxSignalView *self, guint index, const GdkRGBA *colour);
void bx_signal_view_get_trace_colour (BxSignalView *self, guint index, GdkRGBA *out);
/* Moves trace `from` to position `to` (both in display order). */
void bx_signal_view_move_trace (BxSignalView *self, guint from, guint to);
/* Adds the bipolar derivation a − b at the end; FALSE with `error` if the
 * channels differ in sampling rate or unit. */
gboolean bx_signal_view_add_derivation (BxSignalView *self, guint channel_a, guint channel_b, GError **error);
/* Amplitude (in the trace's unit) from the centre line to the slot edge. */
double bx_signal_view_get_trace_scale (BxSignalView *self, guint index);
/* Moves every trace's scale `steps` values along the 1-2-5 series (positive
 * = larger traces: ±100 µV → ±50 µV → ±20 µV), so the labels stay readable. */
void bx_signal_view_step_scales (BxSignalView *self, int steps);
/* Share (0..1) of the plot columns of the last frame where the trace ran past
 * the band it may use (its slot and half a slot over each neighbour) and was
 * drawn flat: how much of it the scale clips. */
double bx_signal_view_get_trace_clipped (BxSignalView *self, guint index);

/* Signals: "traces-changed" (traces added/moved/changed),
 * "epoch-clicked" (int epoch) when the user clicks inside the traces. */

G_END_DECLS
