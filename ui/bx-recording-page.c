/* bx-recording-page.c — one open recording: traces, hypnogram, sidebar, scoring. */
#include "config.h"

#include "bx-recording-page-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bx-annotation-object.h"
#include "bx-extension.h"
#include "bx-stage-style.h"

static void bx_recording_page_view_host_init (BxViewHostInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BxRecordingPage, bx_recording_page, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (BX_TYPE_VIEW_HOST, bx_recording_page_view_host_init))

enum {
  PROP_0,
  PROP_DOCUMENT,
  PROP_CURRENT_EPOCH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Page lengths of the drop-down, in seconds; 0 = whole recording. */
static const double page_lengths[] = { 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 0 };
static const double highpass_values[] = { 0, 0.1, 0.3, 0.5, 1, 5, 10 };
static const double lowpass_values[] = { 0, 15, 35, 70, 100 };
static const double notch_values[] = { 0, 50, 60 };

void
_bx_recording_page_toast (BxRecordingPage *self, const char *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (message));
  else
    g_message ("%s", message);
}

static char *
format_clock (BxRecordingPage *self, double seconds)
{
  GDateTime *start = bx_recording_get_start (bx_document_get_recording (self->document));
  g_autoptr (GDateTime) dt = NULL;

  if (start == NULL)
    return g_strdup_printf ("%.0f s", seconds);
  dt = g_date_time_add (start, (GTimeSpan) llround (seconds * G_TIME_SPAN_SECOND));
  return g_date_time_format (dt, "%H:%M:%S");
}

static void
update_position (BxRecordingPage *self)
{
  guint n_epochs = bx_document_get_n_epochs (self->document);
  double duration = bx_document_get_duration (self->document);
  double length = self->page_length > 0 ? self->page_length : MAX (duration, BX_DOCUMENT_EPOCH_LENGTH);
  int stage = bx_document_get_stage (self->document, (guint) self->current_epoch);
  g_autofree char *clock = format_clock (self, self->current_epoch * BX_DOCUMENT_EPOCH_LENGTH);
  g_autofree char *text = NULL;
  BxOverlayTrack *track = bx_recording_page_get_active_track (self);
  GString *s = g_string_new (NULL);

  bx_signal_view_set_window (self->signal_view, self->view_start, length);
  bx_signal_view_set_current_epoch (self->signal_view, self->current_epoch, BX_DOCUMENT_EPOCH_LENGTH);
  bx_hypnogram_view_set_position (self->hypnogram_view, self->view_start, length, self->current_epoch,
                                  BX_DOCUMENT_EPOCH_LENGTH);

  /* Translators: position in the recording: "Epoch 12 of 960 · 23:14:30" */
  g_string_append_printf (s, _("Epoch %d of %u · %s"), self->current_epoch + 1, n_epochs, clock);
  g_string_append (s, " · ");
  if (stage >= 0)
    g_string_append_printf (s, "<b>%s</b>", bx_stage_short_name (stage));
  else
    g_string_append (s, _("not scored"));
  if (track != NULL)
    {
      float conf;
      int predicted = bx_overlay_track_label_at (track, (self->current_epoch + 0.5) * BX_DOCUMENT_EPOCH_LENGTH,
                                                 &conf);

      if (predicted >= 0)
        {
          g_autofree char *title = g_markup_escape_text (bx_overlay_track_get_title (track), -1);

          /* Translators: an overlay track's label for the current epoch and its confidence */
          g_string_append_printf (s, _(" · %s: %s (%.0f%%)"), title, bx_stage_short_name (predicted), 100.0 * conf);
        }
    }
  text = g_string_free (s, FALSE);
  gtk_label_set_markup (self->position_label, text);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURRENT_EPOCH]);
  _bx_recording_page_update_actions (self);
}

static void
update_summary (BxRecordingPage *self)
{
  const BxHypnogram *scoring = bx_document_get_scoring (self->document);
  guint scored = 0;
  g_autofree char *text = NULL;

  for (guint e = 0; e < scoring->n_epochs; e++)
    scored += scoring->stages[e] >= 0;
  text = g_strdup_printf (_("Scored %u of %u epochs%s"), scored, scoring->n_epochs,
                          bx_document_get_modified (self->document) ? _(" · not saved") : "");
  gtk_label_set_text (self->scoring_summary, text);
}

gboolean
bx_recording_page_show_sidebar_page (BxRecordingPage *self, const char *name)
{
  if (adw_view_stack_get_child_by_name (self->sidebar_stack, name) == NULL)
    return FALSE;
  adw_view_stack_set_visible_child_name (self->sidebar_stack, name);
  return TRUE;
}

int
bx_recording_page_get_current_epoch (BxRecordingPage *self)
{
  return self->current_epoch;
}

void
bx_recording_page_set_current_epoch (BxRecordingPage *self, int epoch)
{
  int n = (int) bx_document_get_n_epochs (self->document);
  double t;

  epoch = CLAMP (epoch, 0, MAX (n - 1, 0));
  self->current_epoch = epoch;
  t = epoch * BX_DOCUMENT_EPOCH_LENGTH;
  if (self->page_length <= 0)
    self->view_start = 0;
  else if (self->page_length >= BX_DOCUMENT_EPOCH_LENGTH)
    {
      /* Keep pages on a grid of their own length, so an epoch is always at the same place. */
      if (t < self->view_start || t + BX_DOCUMENT_EPOCH_LENGTH > self->view_start + self->page_length + 1e-6)
        self->view_start = floor (t / self->page_length) * self->page_length;
    }
  else if (t > self->view_start || self->view_start >= t + BX_DOCUMENT_EPOCH_LENGTH)
    self->view_start = t;
  update_position (self);
}

void
bx_recording_page_turn_pages (BxRecordingPage *self, int pages)
{
  double duration = bx_document_get_duration (self->document);
  double length = self->page_length > 0 ? self->page_length : duration;
  double start = self->view_start + pages * length;
  int n = (int) bx_document_get_n_epochs (self->document);

  if (self->page_length <= 0)
    return;
  start = CLAMP (start, 0, MAX (0, floor ((duration - 1e-6) / length) * length));
  self->view_start = start;
  self->current_epoch = CLAMP ((int) floor (start / BX_DOCUMENT_EPOCH_LENGTH + 1e-9), 0, MAX (n - 1, 0));
  update_position (self);
}

void
bx_recording_page_set_page_length (BxRecordingPage *self, double seconds)
{
  self->page_length = MAX (seconds, 0);
  self->view_start = -1;   /* force re-alignment */
  for (guint i = 0; i < G_N_ELEMENTS (page_lengths); i++)
    if (page_lengths[i] == self->page_length && gtk_drop_down_get_selected (self->page_length_dropdown) != i)
      gtk_drop_down_set_selected (self->page_length_dropdown, i);
  bx_recording_page_set_current_epoch (self, self->current_epoch);
}

double
bx_recording_page_get_page_length (BxRecordingPage *self)
{
  return self->page_length;
}

void
bx_recording_page_score_current (BxRecordingPage *self, int stage)
{
  int n = (int) bx_document_get_n_epochs (self->document);

  bx_document_set_stage (self->document, (guint) self->current_epoch, stage);
  if (self->current_epoch + 1 < n)
    bx_recording_page_set_current_epoch (self, self->current_epoch + 1);
  else
    update_position (self);
}

static gboolean
parse_hms (const char *text, double *out_seconds)
{
  g_auto (GStrv) parts = g_strsplit (text, ":", -1);
  guint n = g_strv_length (parts);
  double total = 0;

  if (n == 0 || n > 3)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      char *end = NULL;
      double v = g_ascii_strtod (parts[i], &end);

      if (end == parts[i] || *end != '\0' || v < 0 || (i > 0 && v >= 60))
        return FALSE;
      total = total * 60 + v;
    }
  if (n == 2 && !strchr (text, '+'))
    total *= 60;   /* "23:15" is hours:minutes */
  *out_seconds = total;
  return TRUE;
}

gboolean
bx_recording_page_go_to (BxRecordingPage *self, const char *text, GError **error)
{
  g_autofree char *s = g_strstrip (g_strdup (text));
  double duration = bx_document_get_duration (self->document);
  double t;

  if (*s == '+')
    {
      /* Elapsed time: "+90" seconds, "+1:30" minutes:seconds, "+1:30:00". */
      g_auto (GStrv) parts = g_strsplit (s + 1, ":", -1);
      double total = 0;

      for (guint i = 0; parts[i] != NULL; i++)
        {
          char *end = NULL;
          double v = g_ascii_strtod (parts[i], &end);

          if (end == parts[i] || *end != '\0' || v < 0)
            goto bad;
          total = total * 60 + v;
        }
      t = total;
    }
  else if (strchr (s, ':') != NULL)
    {
      GDateTime *start = bx_recording_get_start (bx_document_get_recording (self->document));
      double clock, start_clock;

      if (!parse_hms (s, &clock) || clock >= 24 * 3600)
        goto bad;
      start_clock = g_date_time_get_hour (start) * 3600.0 + g_date_time_get_minute (start) * 60.0
                    + g_date_time_get_seconds (start);
      t = clock - start_clock;
      if (t < 0)
        t += 24 * 3600;   /* after midnight */
    }
  else
    {
      char *end = NULL;
      gint64 epoch = g_ascii_strtoll (s, &end, 10);

      if (end == s || *end != '\0')
        goto bad;
      if (epoch < 1 || epoch > bx_document_get_n_epochs (self->document))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("There is no epoch %s: the recording has %u"),
                       s, bx_document_get_n_epochs (self->document));
          return FALSE;
        }
      bx_recording_page_set_current_epoch (self, (int) epoch - 1);
      return TRUE;
    }
  if (t < 0 || t >= duration)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("“%s” is outside the recording"), s);
      return FALSE;
    }
  bx_recording_page_set_current_epoch (self, (int) floor (t / BX_DOCUMENT_EPOCH_LENGTH));
  return TRUE;

bad:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("“%s” is not an epoch number, a clock time or an elapsed time"), s);
  return FALSE;
}

BxOverlayTrack *
bx_recording_page_get_active_track (BxRecordingPage *self)
{
  GListModel *tracks = bx_document_get_tracks (self->document);

  for (guint i = 0; i < g_list_model_get_n_items (tracks); i++)
    {
      g_autoptr (BxOverlayTrack) track = g_list_model_get_item (tracks, i);

      if (bx_overlay_track_get_visible (track))
        return track;   /* the model keeps it alive */
    }
  return NULL;
}

BxDocument *
bx_recording_page_get_document (BxRecordingPage *self)
{
  return self->document;
}

BxSignalView *
bx_recording_page_get_signal_view (BxRecordingPage *self)
{
  return self->signal_view;
}

GtkWidget *
bx_recording_page_get_hypnogram_view (BxRecordingPage *self)
{
  return GTK_WIDGET (self->hypnogram_view);
}

/* ---- channel list ---- */

typedef struct {
  BxRecordingPage *page;
  guint index;
  GtkWidget *check;   /* owned by the row */
} RowRef;

static void
on_channel_visible_toggled (GtkCheckButton *check, gpointer user_data)
{
  RowRef *ref = user_data;

  bx_signal_view_set_trace_visible (ref->page->signal_view, ref->index, gtk_check_button_get_active (check));
}

static void
on_gain_changed (GtkSpinButton *spin, gpointer user_data)
{
  RowRef *ref = user_data;

  bx_signal_view_set_trace_gain (ref->page->signal_view, ref->index, gtk_spin_button_get_value (spin));
}

static void
on_offset_changed (GtkSpinButton *spin, gpointer user_data)
{
  RowRef *ref = user_data;
  double scale = bx_signal_view_get_trace_scale (ref->page->signal_view, ref->index);

  /* The spin button is in slot heights (1 = from the centre line to the edge), which reads the
   * same at any gain; the view wants the trace's unit. */
  bx_signal_view_set_trace_offset (ref->page->signal_view, ref->index, gtk_spin_button_get_value (spin) * scale);
}

static void
on_colour_set (GtkColorButton *button, gpointer user_data)
{
  RowRef *ref = user_data;
  GdkRGBA colour;

  gtk_color_chooser_get_rgba (GTK_COLOR_CHOOSER (button), &colour);
  bx_signal_view_set_trace_colour (ref->page->signal_view, ref->index, &colour);
}

static void
on_move_clicked (GtkButton *button, gpointer user_data)
{
  RowRef *ref = user_data;
  int delta = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "delta"));
  int to = (int) ref->index + delta;

  if (to < 0 || to >= (int) bx_signal_view_get_n_traces (ref->page->signal_view))
    return;
  bx_signal_view_move_trace (ref->page->signal_view, ref->index, (guint) to);
}

static GtkWidget *
labelled (const char *text, GtkWidget *widget)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_set_hexpand (label, TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), widget);
  gtk_accessible_update_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY, label, NULL, -1);
  return box;
}

/* The settings popover of a channel is built when first opened: a recording
 * may have 140 channels, and the page must open fast. */
static void
create_channel_popover (GtkMenuButton *menu, gpointer user_data)
{
  RowRef *ref = user_data;
  BxSignalView *view = ref->page->signal_view;
  guint index = ref->index;
  GtkWidget *popover, *box, *gain, *offset, *colour, *moves, *up, *down;
  GdkRGBA rgba;

  if (gtk_menu_button_get_popover (menu) != NULL)
    return;
  popover = gtk_popover_new ();
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gain = gtk_spin_button_new_with_range (0.05, 50, 0.05);
  offset = gtk_spin_button_new_with_range (-5, 5, 0.1);
  moves = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  up = gtk_button_new_with_mnemonic (_("Move _Up"));
  down = gtk_button_new_with_mnemonic (_("Move _Down"));

  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (gain), 2);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (gain), bx_signal_view_get_trace_gain (view, index));
  g_signal_connect (gain, "value-changed", G_CALLBACK (on_gain_changed), ref);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (offset), 1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (offset), bx_signal_view_get_trace_offset (view, index)
                                                          / bx_signal_view_get_trace_scale (view, index));
  g_signal_connect (offset, "value-changed", G_CALLBACK (on_offset_changed), ref);
  bx_signal_view_get_trace_colour (view, index, &rgba);
  colour = gtk_color_button_new_with_rgba (&rgba);
  g_signal_connect (colour, "color-set", G_CALLBACK (on_colour_set), ref);
  g_object_set_data (G_OBJECT (up), "delta", GINT_TO_POINTER (-1));
  g_object_set_data (G_OBJECT (down), "delta", GINT_TO_POINTER (1));
  g_signal_connect (up, "clicked", G_CALLBACK (on_move_clicked), ref);
  g_signal_connect (down, "clicked", G_CALLBACK (on_move_clicked), ref);
  gtk_box_append (GTK_BOX (moves), up);
  gtk_box_append (GTK_BOX (moves), down);
  gtk_widget_set_sensitive (up, index > 0);
  gtk_widget_set_sensitive (down, index + 1 < bx_signal_view_get_n_traces (view));

  gtk_box_append (GTK_BOX (box), labelled (_("Gain"), gain));
  gtk_box_append (GTK_BOX (box), labelled (_("Offset (rows)"), offset));
  gtk_box_append (GTK_BOX (box), labelled (_("Colour"), colour));
  gtk_box_append (GTK_BOX (box), moves);
  gtk_popover_set_child (GTK_POPOVER (popover), box);
  gtk_menu_button_set_popover (menu, popover);
}

static GtkWidget *
channel_row_new (BxRecordingPage *self, guint index)
{
  BxSignalView *view = self->signal_view;
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *check = gtk_check_button_new_with_label (bx_signal_view_get_trace_label (view, index));
  GtkWidget *menu = gtk_menu_button_new ();
  g_autofree char *menu_name = NULL;
  RowRef *ref = g_new0 (RowRef, 1);

  ref->page = self;
  ref->index = index;
  ref->check = check;
  g_object_set_data_full (G_OBJECT (row), "row-ref", ref, g_free);

  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), bx_signal_view_get_trace_visible (view, index));
  gtk_widget_set_hexpand (check, TRUE);
  g_signal_connect (check, "toggled", G_CALLBACK (on_channel_visible_toggled), ref);
  gtk_box_append (GTK_BOX (row), check);

  gtk_menu_button_set_create_popup_func (GTK_MENU_BUTTON (menu), create_channel_popover, ref, NULL);
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu), "view-more-symbolic");
  gtk_widget_add_css_class (menu, "flat");
  /* Translators: accessible name of the settings button of a channel */
  menu_name = g_strdup_printf (_("Settings of %s"), bx_signal_view_get_trace_label (view, index));
  gtk_accessible_update_property (GTK_ACCESSIBLE (menu), GTK_ACCESSIBLE_PROPERTY_LABEL, menu_name, -1);
  gtk_widget_set_tooltip_text (menu, _("Gain, offset, colour and order"));
  gtk_box_append (GTK_BOX (row), menu);
  return row;
}

static void
rebuild_channel_list (BxRecordingPage *self)
{
  GString *layout = g_string_new (NULL);
  g_autofree char *key = NULL;
  GtkWidget *child;
  guint n = bx_signal_view_get_n_traces (self->signal_view);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (layout, "%s\n", bx_signal_view_get_trace_label (self->signal_view, i));
  key = g_string_free (layout, FALSE);
  if (g_strcmp0 (key, self->channel_layout) == 0)
    {
      /* Same channels in the same order: only follow visibility changes made elsewhere. */
      for (child = gtk_widget_get_first_child (GTK_WIDGET (self->channel_list)); child != NULL;
           child = gtk_widget_get_next_sibling (child))
        {
          GtkWidget *row = gtk_list_box_row_get_child (GTK_LIST_BOX_ROW (child));
          RowRef *ref = row != NULL ? g_object_get_data (G_OBJECT (row), "row-ref") : NULL;

          if (ref != NULL && ref->index < n)
            gtk_check_button_set_active (GTK_CHECK_BUTTON (ref->check),
                                         bx_signal_view_get_trace_visible (self->signal_view, ref->index));
        }
      return;
    }
  g_free (self->channel_layout);
  self->channel_layout = g_steal_pointer (&key);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->channel_list))) != NULL)
    gtk_list_box_remove (self->channel_list, child);
  for (guint i = 0; i < n; i++)
    gtk_list_box_append (self->channel_list, channel_row_new (self, i));
}

static void
on_traces_changed (BxSignalView *view, BxRecordingPage *self)
{
  rebuild_channel_list (self);
}

/* ---- label tracks ---- */

static void
on_track_visible_toggled (GtkCheckButton *check, BxOverlayTrack *track)
{
  bx_overlay_track_set_visible (track, gtk_check_button_get_active (check));
}

static void
on_track_remove_clicked (GtkButton *button, BxOverlayTrack *track)
{
  BxRecordingPage *self = g_object_get_data (G_OBJECT (button), "page");

  bx_document_remove_track (self->document, track);
}

static void
rebuild_track_list (BxRecordingPage *self)
{
  GListModel *tracks = bx_document_get_tracks (self->document);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->track_list))) != NULL)
    gtk_list_box_remove (self->track_list, child);
  for (guint i = 0; i < g_list_model_get_n_items (tracks); i++)
    {
      g_autoptr (BxOverlayTrack) track = g_list_model_get_item (tracks, i);
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      GtkWidget *check = gtk_check_button_new_with_label (bx_overlay_track_get_title (track));
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
      GtkWidget *agreement = gtk_label_new (NULL);
      g_autofree char *text = NULL;
      double accuracy, kappa;
      guint n = bx_document_agreement (self->document, track, &accuracy, &kappa);

      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), bx_overlay_track_get_visible (track));
      gtk_widget_set_hexpand (check, TRUE);
      g_signal_connect_object (check, "toggled", G_CALLBACK (on_track_visible_toggled), track, 0);
      gtk_widget_add_css_class (remove, "flat");
      gtk_widget_set_tooltip_text (remove, _("Remove Track"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Remove track"), -1);
      g_object_set_data (G_OBJECT (remove), "page", self);
      g_signal_connect_object (remove, "clicked", G_CALLBACK (on_track_remove_clicked), track, 0);
      gtk_box_append (GTK_BOX (top), check);
      gtk_box_append (GTK_BOX (top), remove);
      if (n > 0)
        /* Translators: agreement of a label track with the technician's scoring; κ is Cohen's kappa */
        text = g_strdup_printf (_("Agreement with scoring: %.1f%% (κ %.2f) over %u epochs"), 100 * accuracy, kappa, n);
      else
        text = g_strdup (_("No epoch scored in both to compare"));
      gtk_label_set_text (GTK_LABEL (agreement), text);
      gtk_label_set_xalign (GTK_LABEL (agreement), 0);
      gtk_label_set_wrap (GTK_LABEL (agreement), TRUE);
      gtk_widget_add_css_class (agreement, "dim-label");
      gtk_widget_set_margin_start (agreement, 28);
      gtk_box_append (GTK_BOX (box), top);
      gtk_box_append (GTK_BOX (box), agreement);
      gtk_widget_set_margin_top (box, 6);
      gtk_widget_set_margin_bottom (box, 6);
      gtk_widget_set_margin_end (box, 6);
      gtk_list_box_append (self->track_list, box);
    }
}

static void
on_track_notify (GObject *track, GParamSpec *pspec, BxRecordingPage *self)
{
  bx_signal_view_labels_changed (self->signal_view);
  bx_hypnogram_view_labels_changed (self->hypnogram_view);
  update_position (self);
}

static void
on_tracks_items_changed (GListModel *model, guint position, guint removed, guint added, BxRecordingPage *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (BxOverlayTrack) track = g_list_model_get_item (model, i);

      g_signal_connect_object (track, "notify", G_CALLBACK (on_track_notify), self, 0);
    }
  rebuild_track_list (self);
  update_position (self);
}

static void
on_scoring_changed (BxDocument *document, int epoch, BxRecordingPage *self)
{
  bx_signal_view_labels_changed (self->signal_view);
  bx_hypnogram_view_labels_changed (self->hypnogram_view);
  update_summary (self);
  rebuild_track_list (self);
  update_position (self);
}

static void
on_modified_changed (BxDocument *document, GParamSpec *pspec, BxRecordingPage *self)
{
  update_summary (self);
  _bx_recording_page_update_actions (self);
}

static void
on_annotations_changed (BxDocument *document, BxRecordingPage *self)
{
  bx_signal_view_set_annotations (self->signal_view, bx_document_get_annotations (document));
}

/* ---- annotation list ---- */

static void
annotation_setup (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), GPOINTER_TO_INT (user_data) == 2 ? PANGO_ELLIPSIZE_END
                                                                                : PANGO_ELLIPSIZE_NONE);
  gtk_list_item_set_child (item, label);
}

static void
annotation_bind (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  BxAnnotationObject *a = gtk_list_item_get_item (item);
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (item));
  int column = GPOINTER_TO_INT (user_data);
  BxRecordingPage *self = g_object_get_data (G_OBJECT (factory), "page");
  g_autofree char *text = NULL;

  switch (column)
    {
    case 0:
      text = format_clock (self, bx_annotation_object_get_onset (a));
      break;
    case 1:
      if (bx_annotation_object_get_duration (a) > 0)
        text = g_strdup_printf (_("%g s"), bx_annotation_object_get_duration (a));
      else
        text = g_strdup ("—");
      break;
    default:
      text = g_strdup (bx_annotation_object_get_text (a));
      gtk_widget_set_tooltip_text (GTK_WIDGET (label), text);
      break;
    }
  gtk_label_set_text (label, text);
}

static void
add_annotation_column (BxRecordingPage *self, const char *title, int column, gboolean expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  g_autoptr (GtkColumnViewColumn) col = NULL;

  g_object_set_data (G_OBJECT (factory), "page", self);
  g_signal_connect (factory, "setup", G_CALLBACK (annotation_setup), GINT_TO_POINTER (column));
  g_signal_connect (factory, "bind", G_CALLBACK (annotation_bind), GINT_TO_POINTER (column));
  col = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_expand (col, expand);
  gtk_column_view_column_set_resizable (col, TRUE);
  gtk_column_view_append_column (self->annotation_view, col);
}

static void
on_annotation_activate (GtkColumnView *view, guint position, BxRecordingPage *self)
{
  GListModel *model = G_LIST_MODEL (gtk_column_view_get_model (view));
  g_autoptr (BxAnnotationObject) a = g_list_model_get_item (model, position);

  if (a == NULL)
    return;
  bx_recording_page_set_current_epoch (self, (int) floor (MAX (0, bx_annotation_object_get_onset (a))
                                                          / BX_DOCUMENT_EPOCH_LENGTH));
  gtk_widget_grab_focus (GTK_WIDGET (self->signal_view));
}

/* ---- toolbar ---- */

static void
on_page_length_selected (GtkDropDown *dropdown, GParamSpec *pspec, BxRecordingPage *self)
{
  guint i = gtk_drop_down_get_selected (dropdown);

  if (i < G_N_ELEMENTS (page_lengths) && page_lengths[i] != self->page_length)
    bx_recording_page_set_page_length (self, page_lengths[i]);
}

static void
on_filter_selected (GtkDropDown *dropdown, GParamSpec *pspec, BxRecordingPage *self)
{
  BxDisplayFilter filter = { 0 };
  guint hp = gtk_drop_down_get_selected (self->highpass_dropdown);
  guint lp = gtk_drop_down_get_selected (self->lowpass_dropdown);
  guint notch = gtk_drop_down_get_selected (self->notch_dropdown);

  filter.highpass_hz = hp < G_N_ELEMENTS (highpass_values) ? highpass_values[hp] : 0;
  filter.lowpass_hz = lp < G_N_ELEMENTS (lowpass_values) ? lowpass_values[lp] : 0;
  filter.notch_hz = notch < G_N_ELEMENTS (notch_values) ? notch_values[notch] : 0;
  bx_signal_view_set_filter (self->signal_view, &filter);
}

static void
on_goto_activate (GtkEntry *entry, BxRecordingPage *self)
{
  g_autoptr (GError) error = NULL;

  if (!bx_recording_page_go_to (self, gtk_editable_get_text (GTK_EDITABLE (entry)), &error))
    {
      _bx_recording_page_toast (self, error->message);
      return;
    }
  gtk_popover_popdown (self->goto_popover);
  gtk_widget_grab_focus (GTK_WIDGET (self->signal_view));
}

static void
on_epoch_clicked (BxSignalView *view, int epoch, BxRecordingPage *self)
{
  /* On multi-epoch pages a click picks the epoch to score without turning the page. */
  self->current_epoch = CLAMP (epoch, 0, (int) bx_document_get_n_epochs (self->document) - 1);
  update_position (self);
}

static void
on_scroll_pages (BxSignalView *view, int pages, BxRecordingPage *self)
{
  bx_recording_page_turn_pages (self, pages);
}

static void
on_hypnogram_epoch (BxHypnogramView *view, int epoch, BxRecordingPage *self)
{
  bx_recording_page_set_current_epoch (self, epoch);
}

/* ---- settings ---- */

static void
apply_palette (BxRecordingPage *self)
{
  g_auto (GStrv) colours = g_settings_get_strv (self->settings, "modality-colours");
  GdkRGBA palette[BX_N_MODALITIES];

  if (g_settings_get_enum (self->settings, "trace-palette") != 0)
    {
      bx_signal_view_set_palette (self->signal_view, NULL);
      return;
    }
  for (guint m = 0; m < BX_N_MODALITIES; m++)
    if (colours[0] == NULL || m >= g_strv_length (colours) || !gdk_rgba_parse (&palette[m], colours[m]))
      gdk_rgba_parse (&palette[m], "#3d3846");
  bx_signal_view_set_palette (self->signal_view, palette);
}

static void
on_settings_changed (GSettings *settings, const char *key, BxRecordingPage *self)
{
  if (g_str_equal (key, "trace-palette") || g_str_equal (key, "modality-colours"))
    apply_palette (self);
  else if (g_str_equal (key, "autosave"))
    bx_document_set_autosave_enabled (self->document, g_settings_get_boolean (settings, key));
}

/* ---- BxViewHost ---- */

static BxRecording *
host_get_recording (BxViewHost *host)
{
  return bx_document_get_recording (BX_RECORDING_PAGE (host)->document);
}

static const BxHypnogram *
host_get_scoring (BxViewHost *host)
{
  return bx_document_get_scoring (BX_RECORDING_PAGE (host)->document);
}

static void
host_add_overlay_track (BxViewHost *host, BxOverlayTrack *track)
{
  bx_document_add_track (BX_RECORDING_PAGE (host)->document, track);
}

static void
host_remove_overlay_track (BxViewHost *host, BxOverlayTrack *track)
{
  bx_document_remove_track (BX_RECORDING_PAGE (host)->document, track);
}

static void
host_add_annotation (BxViewHost *host, double onset, double duration, const char *text)
{
  bx_document_add_annotation (BX_RECORDING_PAGE (host)->document, onset, duration, text);
}

static void
host_add_sidebar_page (BxViewHost *host, const char *name, const char *title, GtkWidget *page)
{
  adw_view_stack_add_titled (BX_RECORDING_PAGE (host)->sidebar_stack, page, name, title);
}

static void
host_remove_sidebar_page (BxViewHost *host, GtkWidget *page)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (host);

  if (gtk_widget_get_parent (page) == GTK_WIDGET (self->sidebar_stack))
    adw_view_stack_remove (self->sidebar_stack, page);
}

static GActionMap *
host_get_action_map (BxViewHost *host)
{
  return G_ACTION_MAP (BX_RECORDING_PAGE (host)->plugin_actions);
}

static void
host_show_job_progress (BxViewHost *host, const char *title, const BxJobProgress *progress)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (host);
  g_autofree char *text = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->job_label), progress != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->job_progress), progress != NULL);
  if (progress == NULL)
    return;
  if (isfinite (progress->eta))
    /* Translators: job title, stage, seconds left */
    text = g_strdup_printf (_("%s: %s, %.0f s left"), title, progress->stage, progress->eta);
  else
    text = g_strdup_printf ("%s: %s", title, progress->stage);
  gtk_label_set_text (self->job_label, text);
  gtk_progress_bar_set_fraction (self->job_progress, CLAMP (progress->fraction, 0, 1));
}

static int
host_get_current_epoch (BxViewHost *host)
{
  return BX_RECORDING_PAGE (host)->current_epoch;
}

static void
host_set_current_epoch (BxViewHost *host, int epoch)
{
  bx_recording_page_set_current_epoch (BX_RECORDING_PAGE (host), epoch);
}

static void
host_set_stage (BxViewHost *host, guint epoch, int stage)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (host);

  if (epoch < bx_document_get_n_epochs (self->document))
    bx_document_set_stage (self->document, epoch, stage);
}

static void
bx_recording_page_view_host_init (BxViewHostInterface *iface)
{
  iface->get_current_epoch = host_get_current_epoch;
  iface->set_current_epoch = host_set_current_epoch;
  iface->set_stage = host_set_stage;
  iface->get_recording = host_get_recording;
  iface->get_scoring = host_get_scoring;
  iface->add_overlay_track = host_add_overlay_track;
  iface->remove_overlay_track = host_remove_overlay_track;
  iface->add_annotation = host_add_annotation;
  iface->add_sidebar_page = host_add_sidebar_page;
  iface->remove_sidebar_page = host_remove_sidebar_page;
  iface->get_action_map = host_get_action_map;
  iface->show_job_progress = host_show_job_progress;
}

static void
activate_extensions (BxRecordingPage *self)
{
  GIOExtensionPoint *point;

  bx_extension_points_ensure ();
  point = g_io_extension_point_lookup (BX_VIEW_EXTENSION_POINT);
  for (GList *l = g_io_extension_point_get_extensions (point); l != NULL; l = l->next)
    {
      GType type = g_io_extension_get_type (l->data);
      BxViewExtension *extension = g_object_new (type, NULL);

      g_ptr_array_add (self->extensions, extension);
      bx_view_extension_activate (extension, BX_VIEW_HOST (self));
    }
}

/* ---- GObject ---- */

static void
bx_recording_page_constructed (GObject *object)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (object);
  BxRecording *recording;

  G_OBJECT_CLASS (bx_recording_page_parent_class)->constructed (object);
  g_return_if_fail (self->document != NULL);

  recording = bx_document_get_recording (self->document);
  bx_document_set_autosave_enabled (self->document, g_settings_get_boolean (self->settings, "autosave"));
  bx_signal_view_set_recording (self->signal_view, recording, (guint) g_settings_get_int (self->settings, "threads"));
  bx_signal_view_set_scoring (self->signal_view, bx_document_get_scoring (self->document));
  bx_signal_view_set_overlay_tracks (self->signal_view, bx_document_get_tracks (self->document));
  bx_signal_view_set_annotations (self->signal_view, bx_document_get_annotations (self->document));
  bx_hypnogram_view_set_duration (self->hypnogram_view, bx_document_get_duration (self->document),
                                  bx_recording_get_start (recording));
  bx_hypnogram_view_set_scoring (self->hypnogram_view, bx_document_get_scoring (self->document));
  bx_hypnogram_view_set_overlay_tracks (self->hypnogram_view, bx_document_get_tracks (self->document));
  apply_palette (self);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (on_settings_changed), self, 0);

  g_signal_connect_object (self->document, "scoring-changed", G_CALLBACK (on_scoring_changed), self, 0);
  g_signal_connect_object (self->document, "notify::modified", G_CALLBACK (on_modified_changed), self, 0);
  g_signal_connect_object (self->document, "notify::can-undo", G_CALLBACK (on_modified_changed), self, 0);
  g_signal_connect_object (self->document, "notify::can-redo", G_CALLBACK (on_modified_changed), self, 0);
  g_signal_connect_object (self->document, "annotations-changed", G_CALLBACK (on_annotations_changed), self, 0);
  g_signal_connect_object (bx_document_get_tracks (self->document), "items-changed",
                           G_CALLBACK (on_tracks_items_changed), self, 0);

  {
    GtkNoSelection *selection = gtk_no_selection_new (g_object_ref (bx_document_get_annotation_model (self->document)));

    gtk_column_view_set_model (self->annotation_view, GTK_SELECTION_MODEL (selection));
    g_object_unref (selection);
  }
  add_annotation_column (self, _("Onset"), 0, FALSE);
  add_annotation_column (self, _("Duration"), 1, FALSE);
  add_annotation_column (self, _("Text"), 2, TRUE);

  rebuild_channel_list (self);
  rebuild_track_list (self);
  update_summary (self);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->signal_view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  bx_document_get_title (self->document), -1);
  bx_recording_page_set_page_length (self, g_settings_get_double (self->settings, "page-length"));
  activate_extensions (self);
}

static void
bx_recording_page_dispose (GObject *object)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (object);

  if (self->extensions != NULL)
    {
      for (guint i = 0; i < self->extensions->len; i++)
        bx_view_extension_deactivate (g_ptr_array_index (self->extensions, i));
      g_clear_pointer (&self->extensions, g_ptr_array_unref);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), BX_TYPE_RECORDING_PAGE);
  g_clear_object (&self->plugin_actions);
  g_clear_object (&self->settings);
  g_clear_object (&self->document);
  G_OBJECT_CLASS (bx_recording_page_parent_class)->dispose (object);
}

static void
bx_recording_page_finalize (GObject *object)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (object);

  g_free (self->channel_layout);
  G_OBJECT_CLASS (bx_recording_page_parent_class)->finalize (object);
}

static void
bx_recording_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      g_value_set_object (value, self->document);
      break;
    case PROP_CURRENT_EPOCH:
      g_value_set_int (value, self->current_epoch);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bx_recording_page_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  BxRecordingPage *self = BX_RECORDING_PAGE (object);

  switch (prop_id)
    {
    case PROP_DOCUMENT:
      self->document = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bx_recording_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (bx_recording_page_parent_class)->map (widget);
  gtk_widget_grab_focus (GTK_WIDGET (BX_RECORDING_PAGE (widget)->signal_view));
}

static void
bx_recording_page_class_init (BxRecordingPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = bx_recording_page_constructed;
  object_class->dispose = bx_recording_page_dispose;
  object_class->finalize = bx_recording_page_finalize;
  object_class->get_property = bx_recording_page_get_property;
  object_class->set_property = bx_recording_page_set_property;
  widget_class->map = bx_recording_page_map;

  properties[PROP_DOCUMENT] = g_param_spec_object ("document", NULL, NULL, BX_TYPE_DOCUMENT,
                                                   G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                                                     | G_PARAM_STATIC_STRINGS);
  properties[PROP_CURRENT_EPOCH] = g_param_spec_int ("current-epoch", NULL, NULL, 0, G_MAXINT, 0,
                                                     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (ADW_TYPE_VIEW_STACK);
  g_type_ensure (BX_TYPE_SIGNAL_VIEW);
  g_type_ensure (BX_TYPE_HYPNOGRAM_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/bioxbridge/BioxBridge/bx-recording-page.ui");
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, paned);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, sidebar_stack);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, channel_list);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, annotation_view);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, track_list);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, scoring_summary);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, position_label);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, job_label);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, job_progress);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, page_length_dropdown);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, highpass_dropdown);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, lowpass_dropdown);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, notch_dropdown);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, goto_button);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, goto_popover);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, goto_entry);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, signal_view);
  gtk_widget_class_bind_template_child (widget_class, BxRecordingPage, hypnogram_view);
  gtk_widget_class_bind_template_callback (widget_class, on_goto_activate);

  _bx_recording_page_class_actions_init (widget_class);
}

static void
bx_recording_page_init (BxRecordingPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  self->extensions = g_ptr_array_new_with_free_func (g_object_unref);
  self->plugin_actions = g_simple_action_group_new ();
  self->view_start = -1;
  self->page_length = 30;
  gtk_widget_insert_action_group (GTK_WIDGET (self), "plugin", G_ACTION_GROUP (self->plugin_actions));
  gtk_widget_add_css_class (GTK_WIDGET (self->hypnogram_view), "view");

  g_signal_connect_object (self->signal_view, "traces-changed", G_CALLBACK (on_traces_changed), self, 0);
  g_signal_connect_object (self->signal_view, "epoch-clicked", G_CALLBACK (on_epoch_clicked), self, 0);
  g_signal_connect_object (self->signal_view, "scroll-pages", G_CALLBACK (on_scroll_pages), self, 0);
  g_signal_connect_object (self->hypnogram_view, "epoch-activated", G_CALLBACK (on_hypnogram_epoch), self, 0);
  g_signal_connect_object (self->annotation_view, "activate", G_CALLBACK (on_annotation_activate), self, 0);
  g_signal_connect_object (self->page_length_dropdown, "notify::selected", G_CALLBACK (on_page_length_selected),
                           self, 0);
  g_signal_connect_object (self->highpass_dropdown, "notify::selected", G_CALLBACK (on_filter_selected), self, 0);
  g_signal_connect_object (self->lowpass_dropdown, "notify::selected", G_CALLBACK (on_filter_selected), self, 0);
  g_signal_connect_object (self->notch_dropdown, "notify::selected", G_CALLBACK (on_filter_selected), self, 0);
}

BxRecordingPage *
bx_recording_page_new (BxDocument *document)
{
  return g_object_new (BX_TYPE_RECORDING_PAGE, "document", document, NULL);
}
