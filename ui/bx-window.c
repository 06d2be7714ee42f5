/* bx-window.c — the main window: recordings in tabs, drag and drop, recent files. */
#include "config.h"

#include "bx-window-private.h"

#include <glib/gi18n.h>

#include "bx-document.h"

G_DEFINE_FINAL_TYPE (BxWindow, bx_window, ADW_TYPE_APPLICATION_WINDOW)

#define MAX_RECENT 8

void
bx_window_show_toast (BxWindow *self, const char *message)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

BxRecordingPage *
bx_window_get_current_page (BxWindow *self)
{
  AdwTabPage *page = adw_tab_view_get_selected_page (self->tab_view);

  return page != NULL ? BX_RECORDING_PAGE (adw_tab_page_get_child (page)) : NULL;
}

guint
bx_window_get_n_pages (BxWindow *self)
{
  return (guint) adw_tab_view_get_n_pages (self->tab_view);
}

static void
update_title (BxWindow *self)
{
  BxRecordingPage *page = bx_window_get_current_page (self);

  if (page == NULL)
    {
      adw_window_title_set_title (self->window_title, _("BioX Bridge"));
      adw_window_title_set_subtitle (self->window_title, NULL);
      gtk_window_set_title (GTK_WINDOW (self), _("BioX Bridge"));
      return;
    }
  {
    BxDocument *document = bx_recording_page_get_document (page);
    BxRecording *recording = bx_document_get_recording (document);
    g_autofree char *start = g_date_time_format (bx_recording_get_start (recording), "%Y-%m-%d %H:%M:%S");
    double duration = bx_document_get_duration (document);
    g_autofree char *subtitle = NULL;

    /* Translators: window subtitle: start, duration, channel count */
    subtitle = g_strdup_printf (_("%s · %d:%02d:%02d · %u channels"), start, (int) (duration / 3600),
                                ((int) duration / 60) % 60, (int) duration % 60,
                                bx_recording_get_n_channels (recording));
    adw_window_title_set_title (self->window_title, bx_document_get_title (document));
    adw_window_title_set_subtitle (self->window_title, subtitle);
    gtk_window_set_title (GTK_WINDOW (self), bx_document_get_title (document));
  }
}

static void
on_selected_page_changed (AdwTabView *view, GParamSpec *pspec, BxWindow *self)
{
  update_title (self);
  _bx_window_update_actions (self);
}

static void
on_n_pages_changed (AdwTabView *view, GParamSpec *pspec, BxWindow *self)
{
  gtk_stack_set_visible_child_name (self->main_stack, adw_tab_view_get_n_pages (view) > 0 ? "tabs" : "empty");
  update_title (self);
  _bx_window_update_actions (self);
}

static gboolean
is_recording_name (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);

  return g_str_has_suffix (lower, ".edf") || g_str_has_suffix (lower, ".bdf") || g_str_has_suffix (lower, ".rec");
}

static void
on_recent_row_activated (GtkListBox *list, GtkListBoxRow *row, BxWindow *self)
{
  const char *uri = g_object_get_data (G_OBJECT (row), "uri");
  g_autoptr (GFile) file = g_file_new_for_uri (uri);

  bx_window_open_file (self, file, NULL);
}

static void
fill_recent_list (BxWindow *self)
{
  GtkRecentManager *manager = gtk_recent_manager_get_default ();
  GList *items = gtk_recent_manager_get_items (manager);
  GtkWidget *child;
  guint n = 0;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->recent_list))) != NULL)
    gtk_list_box_remove (self->recent_list, child);
  for (GList *l = items; l != NULL && n < MAX_RECENT; l = l->next)
    {
      GtkRecentInfo *info = l->data;
      const char *uri = gtk_recent_info_get_uri (info);
      g_autoptr (GFile) file = g_file_new_for_uri (uri);
      g_autofree char *path = g_file_get_path (file);
      g_autofree char *base = NULL;
      g_autofree char *dir = NULL;
      GtkWidget *row;

      if (path == NULL || !is_recording_name (path) || !g_file_test (path, G_FILE_TEST_EXISTS))
        continue;
      base = g_path_get_basename (path);
      dir = g_path_get_dirname (path);
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), base);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), dir);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      g_object_set_data_full (G_OBJECT (row), "uri", g_strdup (uri), g_free);
      gtk_list_box_append (self->recent_list, row);
      n++;
    }
  g_list_free_full (items, (GDestroyNotify) gtk_recent_info_unref);
  gtk_widget_set_visible (GTK_WIDGET (self->recent_list), n > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->recent_title), n > 0);
}

BxRecordingPage *
bx_window_open_file (BxWindow *self, GFile *file, GError **error)
{
  g_autofree char *path = g_file_get_path (file);
  g_autoptr (GError) local_error = NULL;
  g_autoptr (BxRecording) recording = NULL;
  g_autoptr (BxDocument) document = NULL;
  BxRecordingPage *page;
  AdwTabPage *tab;

  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);

      g_set_error (&local_error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("“%s” is not a local file"), uri);
      goto fail;
    }
  /* Already open: show it. */
  for (int i = 0; i < adw_tab_view_get_n_pages (self->tab_view); i++)
    {
      AdwTabPage *p = adw_tab_view_get_nth_page (self->tab_view, i);
      BxRecordingPage *rp = BX_RECORDING_PAGE (adw_tab_page_get_child (p));
      g_autoptr (GFile) other = g_file_new_for_path (
        bx_recording_get_path (bx_document_get_recording (bx_recording_page_get_document (rp))));

      if (g_file_equal (file, other))
        {
          adw_tab_view_set_selected_page (self->tab_view, p);
          return rp;
        }
    }

  recording = bx_recording_open (path, &local_error);
  if (recording == NULL)
    goto fail;
  document = bx_document_new (recording);
  page = bx_recording_page_new (document);
  tab = adw_tab_view_append (self->tab_view, GTK_WIDGET (page));
  adw_tab_page_set_title (tab, bx_document_get_title (document));
  adw_tab_page_set_tooltip (tab, path);
  adw_tab_view_set_selected_page (self->tab_view, tab);
  {
    g_autofree char *uri = g_file_get_uri (file);

    gtk_recent_manager_add_item (gtk_recent_manager_get_default (), uri);
  }
  if (bx_document_get_restored (document))
    bx_window_show_toast (self, _("Restored the scoring you had not saved"));
  return page;

fail:
  bx_window_show_toast (self, local_error->message);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

static void
on_open_response (GtkNativeDialog *dialog, int response, BxWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));

      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        {
          g_autoptr (GFile) file = g_list_model_get_item (files, i);

          bx_window_open_file (self, file, NULL);
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

GtkNativeDialog *
bx_window_choose_files (BxWindow *self)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Open Recordings"), GTK_WINDOW (self),
                                                              GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("EDF and BDF Recordings"));
  gtk_file_filter_add_mime_type (filter, "application/x-edf");
  gtk_file_filter_add_mime_type (filter, "application/x-bdf");
  gtk_file_filter_add_suffix (filter, "edf");
  gtk_file_filter_add_suffix (filter, "bdf");
  gtk_file_filter_add_suffix (filter, "rec");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_object_unref (filter);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (dialog), TRUE);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_open_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
  return GTK_NATIVE_DIALOG (dialog);
}

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, BxWindow *self)
{
  GSList *files;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = gdk_file_list_get_files (g_value_get_boxed (value));
  for (GSList *l = files; l != NULL; l = l->next)
    {
      g_autofree char *name = g_file_get_basename (l->data);

      /* Whatever else gets dropped along (a report, a video) is named as
       * such, not reported with the EDF parser's view of its first bytes. */
      if (name != NULL && !is_recording_name (name))
        {
          g_autofree char *message = g_strdup_printf (_("“%s” is not an EDF or BDF recording"), name);

          bx_window_show_toast (self, message);
          continue;
        }
      bx_window_open_file (self, l->data, NULL);
    }
  g_slist_free (files);
  return TRUE;
}

static gboolean
on_close_request (GtkWindow *window)
{
  BxWindow *self = BX_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  return FALSE;
}

static void
bx_window_dispose (GObject *object)
{
  BxWindow *self = BX_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), BX_TYPE_WINDOW);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (bx_window_parent_class)->dispose (object);
}

static void
bx_window_class_init (BxWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = bx_window_dispose;
  window_class->close_request = on_close_request;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/bioxbridge/BioxBridge/bx-window.ui");
  gtk_widget_class_bind_template_child (widget_class, BxWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, BxWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, BxWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, BxWindow, tab_bar);
  gtk_widget_class_bind_template_child (widget_class, BxWindow, tab_view);
  gtk_widget_class_bind_template_child (widget_class, BxWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, BxWindow, status_page);
  gtk_widget_class_bind_template_child (widget_class, BxWindow, recent_title);
  gtk_widget_class_bind_template_child (widget_class, BxWindow, recent_list);
  gtk_widget_class_bind_template_callback (widget_class, on_selected_page_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_n_pages_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_recent_row_activated);

  _bx_window_class_actions_init (widget_class);
}

static void
bx_window_init (BxWindow *self)
{
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (APP_ID);
  gtk_window_set_default_size (GTK_WINDOW (self), g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  fill_recent_list (self);
  g_signal_connect_object (gtk_recent_manager_get_default (), "changed", G_CALLBACK (fill_recent_list), self,
                           G_CONNECT_SWAPPED);
  on_n_pages_changed (self->tab_view, NULL, self);
}

BxWindow *
bx_window_new (GtkApplication *application)
{
  return g_object_new (BX_TYPE_WINDOW, "application", application, NULL);
}
