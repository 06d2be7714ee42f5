/* bx-ui-test-util.h — helpers for GTK tests: waiting, key presses, PNG screenshots. */
#pragma once

#include <gtk/gtk.h>

#include "recording/bx-recording.h"

G_BEGIN_DECLS

/* Points HOME and the XDG user folders at a fresh temporary folder, keeping
 * XDG_DATA_DIRS (GTK needs the system MIME database to load SVG icons, which
 * G_TEST_OPTION_ISOLATE_DIRS would hide). Call before g_test_init(). */
void bx_ui_test_isolate_user_dirs (void);

/* Iterates the main context until `condition(data)` is TRUE or `timeout_s` passes. */
gboolean bx_ui_wait (gboolean (*condition) (gpointer data), gpointer data, double timeout_s);
/* Iterates the main context for `seconds`. */
void bx_ui_spin (double seconds);
/* Waits until the window is mapped and has drawn a frame. */
void bx_ui_wait_for_window (GtkWindow *window);

/* Resolves a key press through the shortcut controllers of `widget` and its
 * ancestors (as GTK does when the key reaches them) and activates the bound
 * action. Returns FALSE if no shortcut of theirs matches. */
gboolean bx_ui_press_key (GtkWidget *widget, guint keyval, GdkModifierType modifiers);

/* Renders `widget` (mapped) into a texture; NULL on failure. */
GdkTexture *bx_ui_render (GtkWidget *widget);
/* Renders and saves <build>/tests/ui/screenshots/<name>.png; returns the path. */
char *bx_ui_screenshot (GtkWidget *widget, const char *name);
/* Fraction of pixels in the rectangle that differ clearly from its most common colour. */
double bx_ui_ink_fraction (GdkTexture *texture, int x, int y, int width, int height);
/* Fraction of pixels in the rectangle that differ clearly from the pixel at (ref_x, ref_y). */
double bx_ui_unlike_fraction (GdkTexture *texture, int ref_x, int ref_y, int x, int y, int width, int height);

/* Writes a small EDF+ test recording: `n_channels` sines (µV) of `seconds`
 * at `rate` Hz, starting 2024-01-01 22:30:00. */
char *bx_ui_write_test_edf (const char *dir, const char *name, guint n_channels, double seconds, double rate);

G_END_DECLS
