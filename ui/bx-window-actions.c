/* bx-window-actions.c — window actions: open, close tab, and forwarding to the current recording. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bx-window-private.h"

void
_bx_window_update_actions (BxWindow *self)
{
  gboolean has_page = bx_window_get_current_page (self) != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.close-tab", has_page);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.save-scoring", has_page);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.load-track", has_page);
}

static void
open_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  bx_window_choose_files (BX_WINDOW (widget));
}

static void
close_tab (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  BxWindow *self = BX_WINDOW (widget);
  AdwTabPage *page = adw_tab_view_get_selected_page (self->tab_view);

  if (page != NULL)
    adw_tab_view_close_page (self->tab_view, page);
}

/* Menus in the header bar cannot see the page's actions: forward them. */
static void
forward_to_page (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  BxRecordingPage *page = bx_window_get_current_page (BX_WINDOW (widget));
  const char *name = strchr (action_name, '.') + 1;
  g_autofree char *page_action = g_strconcat ("page.", name, NULL);

  if (page != NULL)
    gtk_widget_activate_action (GTK_WIDGET (page), page_action, NULL);
}

void
_bx_window_class_actions_init (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.close-tab", NULL, close_tab);
  gtk_widget_class_install_action (widget_class, "win.save-scoring", NULL, forward_to_page);
  gtk_widget_class_install_action (widget_class, "win.load-track", NULL, forward_to_page);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK, "win.close-tab", NULL);
}
