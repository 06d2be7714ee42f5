/* bx-recording-page.h — one open recording: traces, hypnogram, sidebar, scoring.
 *
 * The page is what a tab of the window shows. It implements BxViewHost, so
 * plugins attach to it. Keyboard: ←/→ epoch, PgUp/PgDn page, Home/End,
 * W 1 2 3 R (and 0–5) score the current epoch and advance, Ctrl+Z/Ctrl+Shift+Z
 * undo/redo, Ctrl+S save the scoring, Ctrl+G go to, +/− amplitude, L next
 * low-confidence epoch.
 */
#pragma once

#include <gtk/gtk.h>

#include "bx-document.h"
#include "bx-signal-view.h"

G_BEGIN_DECLS

#define BX_TYPE_RECORDING_PAGE (bx_recording_page_get_type ())
G_DECLARE_FINAL_TYPE (BxRecordingPage, bx_recording_page, BX, RECORDING_PAGE, GtkWidget)

BxRecordingPage *bx_recording_page_new (BxDocument *document);

BxDocument *bx_recording_page_get_document (BxRecordingPage *self);
BxSignalView *bx_recording_page_get_signal_view (BxRecordingPage *self);
GtkWidget *bx_recording_page_get_hypnogram_view (BxRecordingPage *self);

int bx_recording_page_get_current_epoch (BxRecordingPage *self);
/* Shows the sidebar page `name` (e.g. a plugin's "biox-bridge"); FALSE if there is none. */
gboolean bx_recording_page_show_sidebar_page (BxRecordingPage *self, const char *name);
/* Makes `epoch` current, turning the page if it is not on the one shown. */
void bx_recording_page_set_current_epoch (BxRecordingPage *self, int epoch);
/* Seconds per page; 0 = the whole recording. */
void bx_recording_page_set_page_length (BxRecordingPage *self, double seconds);
double bx_recording_page_get_page_length (BxRecordingPage *self);
/* Moves by whole pages (negative = back). */
void bx_recording_page_turn_pages (BxRecordingPage *self, int pages);

/* Assigns `stage` to the current epoch and moves to the next one. */
void bx_recording_page_score_current (BxRecordingPage *self, int stage);

/* Goes to an epoch ("12", 1-based), a clock time ("23:15", "23:15:30") or an
 * elapsed time ("+1:30:00", "+90"). */
gboolean bx_recording_page_go_to (BxRecordingPage *self, const char *text, GError **error);

/* The overlay track used for agreement and "next low-confidence epoch": the
 * first visible one, or NULL. */
BxOverlayTrack *bx_recording_page_get_active_track (BxRecordingPage *self);

G_END_DECLS
