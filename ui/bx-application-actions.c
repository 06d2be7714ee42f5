/* bx-application-actions.c — quit, about, preferences, demo, new window. */
#include "config.h"

#include <glib/gi18n.h>

#include "bx-application-private.h"
#include "bx-preferences-window.h"
#include "bx-window.h"

static void
quit_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
about_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  static const char *developers[] = { "The BioX Bridge developers", NULL };
  GtkWidget *about = adw_about_window_new ();

  g_object_set (about, "transient-for", parent, "application-name", _("BioX Bridge"), "application-icon", APP_ID,
                "version", PACKAGE_VERSION, "developer-name", _("The BioX Bridge developers"), "developers",
                developers, "license-type", GTK_LICENSE_GPL_3_0, "website", "https://bioxbridge.org/",
                "issue-url", "https://bioxbridge.org/issues", "comments",
                _("View polysomnography recordings, score sleep, and transfer labels between biosignal "
                  "modalities with BioX-Bridge."),
                /* Translators: your name(s), one per line */
                "translator-credits", _("translator-credits"), NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
preferences_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));

  gtk_window_present (GTK_WINDOW (bx_preferences_window_new (parent)));
}

static void
demo_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  bx_application_open_demo (BX_APPLICATION (user_data));
}

static void
new_window_activated (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  gtk_window_present (GTK_WINDOW (bx_window_new (GTK_APPLICATION (user_data))));
}

void
_bx_application_actions_init (BxApplication *self)
{
  static const GActionEntry entries[] = {
    { "quit", quit_activated, NULL, NULL, NULL, { 0 } },
    { "about", about_activated, NULL, NULL, NULL, { 0 } },
    { "preferences", preferences_activated, NULL, NULL, NULL, { 0 } },
    { "demo", demo_activated, NULL, NULL, NULL, { 0 } },
    { "new-window", new_window_activated, NULL, NULL, NULL, { 0 } },
  };
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };
  static const char *new_window_accels[] = { "<Control>n", NULL };

  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.new-window", new_window_accels);
}
