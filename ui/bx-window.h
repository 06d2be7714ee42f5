/* bx-window.h — the main window: recordings in tabs, drag and drop, recent files. */
#pragma once

#include <adwaita.h>

#include "bx-recording-page.h"

G_BEGIN_DECLS

#define BX_TYPE_WINDOW (bx_window_get_type ())
G_DECLARE_FINAL_TYPE (BxWindow, bx_window, BX, WINDOW, AdwApplicationWindow)

BxWindow *bx_window_new (GtkApplication *application);

/* Opens a recording in a new tab (or selects its tab if already open).
 * Failures are shown as a toast and returned. */
BxRecordingPage *bx_window_open_file (BxWindow *self, GFile *file, GError **error);
BxRecordingPage *bx_window_get_current_page (BxWindow *self);
guint bx_window_get_n_pages (BxWindow *self);
void bx_window_show_toast (BxWindow *self, const char *message);
/* Shows the native file chooser to open recordings; each file it accepts is
 * opened with bx_window_open_file(). Returns the chooser (owned by the
 * window until it responds), so tests can answer it. */
GtkNativeDialog *bx_window_choose_files (BxWindow *self);

G_END_DECLS
