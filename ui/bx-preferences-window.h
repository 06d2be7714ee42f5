/* bx-preferences-window.h — preferences (threads, scoring, colours) and the list of loaded plugins. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define BX_TYPE_PREFERENCES_WINDOW (bx_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (BxPreferencesWindow, bx_preferences_window, BX, PREFERENCES_WINDOW, AdwPreferencesWindow)

BxPreferencesWindow *bx_preferences_window_new (GtkWindow *parent);
/* Number of rows in the plugins page (for tests). */
guint bx_preferences_window_get_n_plugin_rows (BxPreferencesWindow *self);

G_END_DECLS
