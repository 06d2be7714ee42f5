/* bx-overlay-track.h — a per-epoch label track drawn over a recording.
 *
 * A track holds one label per epoch (a BxHypnogram: stage codes or class
 * indices, optional confidence in [0,1]) and is drawn as shading under the
 * traces of the signal view and as a row of the hypnogram strip, with the
 * confidence as opacity. Predicted stages from a plugin, a second scorer's
 * hypnogram or a label file loaded by the user are all tracks.
 */
#pragma once

#include <glib-object.h>

#include "recording/bx-hypnogram.h"

G_BEGIN_DECLS

#define BX_TYPE_OVERLAY_TRACK (bx_overlay_track_get_type ())
G_DECLARE_FINAL_TYPE (BxOverlayTrack, bx_overlay_track, BX, OVERLAY_TRACK, GObject)

/* Takes a copy of `labels`. `title` is shown to the user ("Predicted from ECG"). */
BxOverlayTrack *bx_overlay_track_new (const char *title, const BxHypnogram *labels);

const char *bx_overlay_track_get_title (BxOverlayTrack *self);
const BxHypnogram *bx_overlay_track_get_labels (BxOverlayTrack *self);
/* Replaces the labels (e.g. a job refined its predictions); emits notify::labels. */
void bx_overlay_track_set_labels (BxOverlayTrack *self, const BxHypnogram *labels);
gboolean bx_overlay_track_get_visible (BxOverlayTrack *self);
void bx_overlay_track_set_visible (BxOverlayTrack *self, gboolean visible);

/* Label of the epoch that contains `time_s` (seconds from the recording
 * start), BX_STAGE_UNKNOWN outside the track; `confidence` gets 1 when the
 * track has none. */
int bx_overlay_track_label_at (BxOverlayTrack *self, double time_s, float *confidence);

G_END_DECLS
