/* bx-recording-page-actions.c — navigation, scoring and file actions of a recording page. */
#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bx-recording-page-private.h"

void
_bx_recording_page_update_actions (BxRecordingPage *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  int n = (int) bx_document_get_n_epochs (self->document);

  gtk_widget_action_set_enabled (widget, "page.undo", bx_document_can_undo (self->document));
  gtk_widget_action_set_enabled (widget, "page.redo", bx_document_can_redo (self->document));
  gtk_widget_action_set_enabled (widget, "page.previous-epoch", self->current_epoch > 0);
  gtk_widget_action_set_enabled (widget, "page.next-epoch", self->current_epoch + 1 < n);
  gtk_widget_action_set_enabled (widget, "page.next-low-confidence", bx_recording_page_get_active_track (self) != NULL);
  gtk_widget_action_set_enabled (widget, "page.add-derivation",
                                 bx_recording_get_n_channels (bx_document_get_recording (self->document)) >= 2);
}

static void
move_epoch (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (widget);

  bx_recording_page_set_current_epoch (self, self->current_epoch + g_variant_get_int32 (parameter));
}

static void
previous_epoch (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (widget);

  bx_recording_page_set_current_epoch (self, self->current_epoch - 1);
}

static void
next_epoch (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (widget);

  bx_recording_page_set_current_epoch (self, self->current_epoch + 1);
}

static void
move_page (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (widget);

  if (self->page_length > 0)
    bx_recording_page_turn_pages (self, g_variant_get_int32 (parameter));
}

static void
first_epoch (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  bx_recording_page_set_current_epoch (BX_RECORDING_PAGE (widget), 0);
}

static void
last_epoch (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (widget);

  bx_recording_page_set_current_epoch (self, (int) bx_document_get_n_epochs (self->document) - 1);
}

static void
score (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  bx_recording_page_score_current (BX_RECORDING_PAGE (widget), g_variant_get_int32 (parameter));
}

static void
undo (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (widget);
  int epoch = bx_document_undo (self->document);

  /* Show what was undone: the technician must see the epoch that changed. */
  if (epoch >= 0)
    bx_recording_page_set_current_epoch (self, epoch);
}

static void
redo (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (widget);
  int epoch = bx_document_redo (self->document);

  if (epoch >= 0)
    bx_recording_page_set_current_epoch (self, epoch);
}

static void
go_to (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (widget);

  gtk_menu_button_popup (self->goto_button);
  gtk_widget_grab_focus (GTK_WIDGET (self->goto_entry));
}

static void
amplitude (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (widget);
  double factor = g_variant_get_double (parameter);

  /* One step along the 1-2-5 scale series (±100 → ±50 µV), not a raw
   * factor, so the scale labels stay round numbers a technician reads. */
  if (factor != 1.0)
    bx_signal_view_step_scales (self->signal_view, factor > 1 ? 1 : -1);
}

static void
next_low_confidence (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (widget);
  BxOverlayTrack *track = bx_recording_page_get_active_track (self);
  g_autoptr (GSettings) settings = g_settings_new (APP_ID);
  double threshold = g_settings_get_double (settings, "low-confidence-threshold");
  int epoch;

  if (track == NULL)
    return;
  epoch = bx_document_next_low_confidence (self->document, track, self->current_epoch, threshold);
  if (epoch < 0)
    {
      g_autofree char *message = g_strdup_printf (_("No epoch of “%s” has a confidence below %.0f%%"),
                                                  bx_overlay_track_get_title (track), 100 * threshold);

      _bx_recording_page_toast (self, message);
      return;
    }
  bx_recording_page_set_current_epoch (self, epoch);
}

static GtkWindow *
page_window (BxRecordingPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
on_save_response (GtkNativeDialog *dialog, int response, BxRecordingPage *self)
{
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      path = g_file_get_path (file);
      if (!g_str_has_suffix (path, ".csv") && !g_str_has_suffix (path, ".tsv") && !g_str_has_suffix (path, ".edf")
          && !g_str_has_suffix (path, ".CSV") && !g_str_has_suffix (path, ".TSV") && !g_str_has_suffix (path, ".EDF"))
        {
          char *with_ext = g_strconcat (path, ".tsv", NULL);

          g_free (path);
          path = with_ext;
        }
      if (!bx_document_save_scoring (self->document, path, &error))
        _bx_recording_page_toast (self, error->message);
      else
        {
          g_autofree char *base = g_path_get_basename (path);
          g_autofree char *message = g_strdup_printf (_("Scoring saved to “%s”"), base);

          _bx_recording_page_toast (self, message);
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
add_label_filters (GtkFileChooser *chooser, gboolean for_saving)
{
  GtkFileFilter *filter;

  if (!for_saving)
    {
      filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, _("All Label Files"));
      gtk_file_filter_add_suffix (filter, "tsv");
      gtk_file_filter_add_suffix (filter, "csv");
      gtk_file_filter_add_suffix (filter, "edf");
      gtk_file_filter_add_suffix (filter, "txt");
      gtk_file_chooser_add_filter (chooser, filter);
      g_object_unref (filter);
    }
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Tab-Separated Values (BIDS)"));
  gtk_file_filter_add_suffix (filter, "tsv");
  gtk_file_chooser_add_filter (chooser, filter);
  g_object_unref (filter);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Comma-Separated Values"));
  gtk_file_filter_add_suffix (filter, "csv");
  gtk_file_chooser_add_filter (chooser, filter);
  g_object_unref (filter);
  filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("EDF+ Annotations"));
  gtk_file_filter_add_suffix (filter, "edf");
  gtk_file_chooser_add_filter (chooser, filter);
  g_object_unref (filter);
}

static void
save_scoring (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (widget);
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Save Scoring"), page_window (self),
                                                              GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  g_autofree char *stem = g_strdup (bx_document_get_title (self->document));
  g_autofree char *name = NULL;
  char *dot = strrchr (stem, '.');

  if (dot != NULL)
    *dot = '\0';
  name = g_strdup_printf ("%s-scoring.tsv", stem);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  add_label_filters (GTK_FILE_CHOOSER (dialog), TRUE);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_load_track_response (GtkNativeDialog *dialog, int response, BxRecordingPage *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr (GError) error = NULL;

      if (bx_document_load_track (self->document, path, &error) == NULL)
        _bx_recording_page_toast (self, error->message);
      else
        adw_view_stack_set_visible_child_name (self->sidebar_stack, "tracks");
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
load_track (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (widget);
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Load Label Track"), page_window (self),
                                                              GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));

  add_label_filters (GTK_FILE_CHOOSER (dialog), FALSE);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (dialog), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_load_track_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_derivation_response (AdwMessageDialog *dialog, const char *response, BxRecordingPage *self)
{
  GtkDropDown *a = g_object_get_data (G_OBJECT (dialog), "channel-a");
  GtkDropDown *b = g_object_get_data (G_OBJECT (dialog), "channel-b");
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (response, "add") == 0
      && !bx_signal_view_add_derivation (self->signal_view, gtk_drop_down_get_selected (a),
                                         gtk_drop_down_get_selected (b), &error))
    _bx_recording_page_toast (self, error->message);
}

static void
add_derivation (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (widget);
  BxRecording *recording = bx_document_get_recording (self->document);
  guint n = bx_recording_get_n_channels (recording);
  g_autoptr (GtkStringList) labels = gtk_string_list_new (NULL);
  GtkWidget *dialog = adw_message_dialog_new (page_window (self), _("Add Bipolar Derivation"),
                                              _("The new trace shows the first channel minus the second."));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *a, *b, *minus = gtk_label_new ("−");

  for (guint i = 0; i < n; i++)
    gtk_string_list_append (labels, bx_recording_get_channel (recording, i)->label);
  a = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (labels)), NULL);
  b = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (labels)), NULL);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (b), n > 1 ? 1 : 0);
  gtk_accessible_update_property (GTK_ACCESSIBLE (a), GTK_ACCESSIBLE_PROPERTY_LABEL, _("First channel"), -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (b), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Channel subtracted"), -1);
  gtk_widget_set_hexpand (a, TRUE);
  gtk_widget_set_hexpand (b, TRUE);
  gtk_box_append (GTK_BOX (box), a);
  gtk_box_append (GTK_BOX (box), minus);
  gtk_box_append (GTK_BOX (box), b);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "add", _("_Add"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "add", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "add");
  g_object_set_data (G_OBJECT (dialog), "channel-a", a);
  g_object_set_data (G_OBJECT (dialog), "channel-b", b);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_derivation_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
_bx_recording_page_class_actions_init (GtkWidgetClass *widget_class)
{
  static const struct {
    guint key;
    int stage;
  } stage_keys[] = {
    { GDK_KEY_w, BX_STAGE_WAKE }, { GDK_KEY_W, BX_STAGE_WAKE }, { GDK_KEY_r, BX_STAGE_REM },
    { GDK_KEY_R, BX_STAGE_REM },  { GDK_KEY_0, BX_STAGE_WAKE }, { GDK_KEY_1, BX_STAGE_N1 },
    { GDK_KEY_2, BX_STAGE_N2 },   { GDK_KEY_3, BX_STAGE_N3 },   { GDK_KEY_4, BX_STAGE_N4 },
    { GDK_KEY_5, BX_STAGE_REM },  { GDK_KEY_KP_0, BX_STAGE_WAKE }, { GDK_KEY_KP_1, BX_STAGE_N1 },
    { GDK_KEY_KP_2, BX_STAGE_N2 }, { GDK_KEY_KP_3, BX_STAGE_N3 }, { GDK_KEY_KP_4, BX_STAGE_N4 },
    { GDK_KEY_KP_5, BX_STAGE_REM }, { GDK_KEY_m, BX_STAGE_MOVEMENT }, { GDK_KEY_Delete, BX_STAGE_UNKNOWN },
    { GDK_KEY_BackSpace, BX_STAGE_UNKNOWN },
  };

  gtk_widget_class_install_action (widget_class, "page.move-epoch", "i", move_epoch);
  gtk_widget_class_install_action (widget_class, "page.previous-epoch", NULL, previous_epoch);
  gtk_widget_class_install_action (widget_class, "page.next-epoch", NULL, next_epoch);
  gtk_widget_class_install_action (widget_class, "page.move-page", "i", move_page);
  gtk_widget_class_install_action (widget_class, "page.first-epoch", NULL, first_epoch);
  gtk_widget_class_install_action (widget_class, "page.last-epoch", NULL, last_epoch);
  gtk_widget_class_install_action (widget_class, "page.score", "i", score);
  gtk_widget_class_install_action (widget_class, "page.undo", NULL, undo);
  gtk_widget_class_install_action (widget_class, "page.redo", NULL, redo);
  gtk_widget_class_install_action (widget_class, "page.go-to", NULL, go_to);
  gtk_widget_class_install_action (widget_class, "page.amplitude", "d", amplitude);
  gtk_widget_class_install_action (widget_class, "page.next-low-confidence", NULL, next_low_confidence);
  gtk_widget_class_install_action (widget_class, "page.save-scoring", NULL, save_scoring);
  gtk_widget_class_install_action (widget_class, "page.load-track", NULL, load_track);
  gtk_widget_class_install_action (widget_class, "page.add-derivation", NULL, add_derivation);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, 0, "page.move-epoch", "i", -1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Right, 0, "page.move-epoch", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Up, 0, "page.move-page", "i", -1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Page_Down, 0, "page.move-page", "i", 1);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Home, 0, "page.first-epoch", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_End, 0, "page.last-epoch", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (stage_keys); i++)
    gtk_widget_class_add_binding_action (widget_class, stage_keys[i].key, 0, "page.score", "i", stage_keys[i].stage);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_W, GDK_SHIFT_MASK, "page.score", "i", BX_STAGE_WAKE);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_R, GDK_SHIFT_MASK, "page.score", "i", BX_STAGE_REM);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "page.undo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "page.redo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "page.redo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_y, GDK_CONTROL_MASK, "page.redo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "page.save-scoring", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_g, GDK_CONTROL_MASK, "page.go-to", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, 0, "page.amplitude", "d", 1.25);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, 0, "page.amplitude", "d", 1.25);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, 0, "page.amplitude", "d", 1.25);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, 0, "page.amplitude", "d", 0.8);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, 0, "page.amplitude", "d", 0.8);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, 0, "page.next-low-confidence", NULL);
}
