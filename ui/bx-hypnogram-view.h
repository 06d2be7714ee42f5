/* bx-hypnogram-view.h — the whole night's hypnogram, a strip under the traces.
 *
 * Draws the technician's scoring as the classic step plot (W, R, N1, N2, N3
 * and, for R&K scorings, N4 top to bottom, REM as a thick red bar) and each
 * overlay track as a row of colour shaded by confidence; marks the page being
 * viewed and the current epoch. Clicking or dragging emits "epoch-activated".
 */
#pragma once

#include <gtk/gtk.h>

#include "recording/bx-hypnogram.h"

G_BEGIN_DECLS

#define BX_TYPE_HYPNOGRAM_VIEW (bx_hypnogram_view_get_type ())
G_DECLARE_FINAL_TYPE (BxHypnogramView, bx_hypnogram_view, BX, HYPNOGRAM_VIEW, GtkWidget)

GtkWidget *bx_hypnogram_view_new (void);

void bx_hypnogram_view_set_duration (BxHypnogramView *self, double duration, GDateTime *start);
/* Not owned; call bx_hypnogram_view_labels_changed() after edits. */
void bx_hypnogram_view_set_scoring (BxHypnogramView *self, const BxHypnogram *scoring);
/* A GListModel of BxOverlayTrack. */
void bx_hypnogram_view_set_overlay_tracks (BxHypnogramView *self, GListModel *tracks);
void bx_hypnogram_view_labels_changed (BxHypnogramView *self);
/* Stage rows drawn: 6 (W, R, N1, N2, N3, N4) when the scoring or a visible
 * track holds an N4 epoch (R&K) within the recording, else 5. */
guint bx_hypnogram_view_get_n_rows (BxHypnogramView *self);
void bx_hypnogram_view_set_position (BxHypnogramView *self, double page_start, double page_length, int epoch,
                                     double epoch_length);

G_END_DECLS
