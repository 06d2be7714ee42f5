/* bx-transfer-panel.c — the BioX-Bridge transfer assistant (sidebar page). */
#include "config.h"

#include "bx-transfer-panel.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "bridge/bx-builtin-models.h"
#include "bx-bar-chart.h"
#include "bx-confusion-view.h"
#include "bx-loss-plot.h"
#include "bx-transfer-session.h"
#include "recording/bx-labels-io.h"

struct _BxTransferPanel
{
  GtkWidget parent_instance;

  BxViewHost *host; /* weak: the host outlives its extensions and their pages */
  BxTransferSetup *setup;
  BxTransferSession *session;
  GCancellable *cancellable;
  BxTransferState state, state_before_job;
  char *last_error;
  BxOverlayTrack *track;
  BxHypnogram *prediction; /* stage codes (or class indices), 30-s grid, confidence */
  BxMetrics *metrics;
  int m, l;               /* positions the next training uses */
  int search_m, search_l; /* what the search chose */
  double train_epochs;    /* x scale of the loss curve */
  guint n_loss_reports;
  gboolean train_after_search; /* "run all": train as soon as the search succeeded */

  GtkWidget *scroller;
  GtkListBox *recording_list;
  AdwComboRow *modality_row[2];
  AdwEntryRow *channels_row[2];
  AdwActionRow *model_row[2];
  AdwActionRow *head_row;
  GtkSpinButton *epochs_spin, *lr_spin, *rank_spin, *proto_spin, *batch_spin, *seed_spin, *head_epochs_spin;
  GtkSwitch *real_proto_switch;
  GtkWidget *search_button, *train_button, *cancel_button, *apply_button;
  GtkProgressBar *progress;
  GtkLabel *status_label;
  GtkWidget *positions_group, *loss_group, *results_group;
  BxBarChart *probe_chart, *cka_chart;
  GtkLabel *positions_label;
  BxLossPlot *loss_plot;
  GtkLabel *metrics_label;
  BxConfusionView *confusion;
  GtkWidget *accept_button;
};

G_DEFINE_FINAL_TYPE (BxTransferPanel, bx_transfer_panel, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_JOB_FINISHED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* The modalities a bridge side can take (those with a foundation model). */
static const BxModality side_modalities[] = { BX_MODALITY_EEG, BX_MODALITY_ECG, BX_MODALITY_PPG, BX_MODALITY_EMG };

enum
{
  SIDE_OLD,
  SIDE_NEW
};

static BxTransferSide *
side_of (BxTransferPanel *self, int side)
{
  return side == SIDE_OLD ? &self->setup->old_side : &self->setup->new_side;
}

/* ---- status ---- */

static void
set_status (BxTransferPanel *self, const char *text)
{
  gtk_label_set_text (self->status_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL && text[0] != '\0');
}

static void
update_sensitivity (BxTransferPanel *self)
{
  gboolean running = self->state == BX_TRANSFER_STATE_RUNNING;
  GActionMap *map = self->host != NULL ? bx_view_host_get_action_map (self->host) : NULL;
  struct
  {
    const char *name;
    gboolean enabled;
  } actions[] = {
    { "transfer-search", !running },
    { "transfer-run", !running },
    { "transfer-demo", !running },
    { "transfer-train", !running && self->session != NULL && self->m >= 0 && self->l >= 0
                            && bx_transfer_session_get_run (self->session) != NULL
                            && self->state != BX_TRANSFER_STATE_SETUP },
    { "transfer-cancel", running },
    { "transfer-apply-bridge", !running },
    { "transfer-save-bridge", !running && self->session != NULL
                                  && bx_transfer_session_get_bridge_path (self->session) != NULL },
    { "transfer-export", !running && self->prediction != NULL },
    { "transfer-accept-epoch", self->prediction != NULL },
    { "transfer-reject-epoch", self->prediction != NULL },
    { "transfer-accept-confident", self->prediction != NULL },
  };

  for (guint i = 0; map != NULL && i < G_N_ELEMENTS (actions); i++)
    {
      GAction *a = g_action_map_lookup_action (map, actions[i].name);
      if (G_IS_SIMPLE_ACTION (a))
        g_simple_action_set_enabled (G_SIMPLE_ACTION (a), actions[i].enabled);
    }
  if (map == NULL)
    return;
  gtk_widget_set_visible (self->cancel_button, running);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), running);
}

static void
set_state (BxTransferPanel *self, BxTransferState state)
{
  self->state = state;
  update_sensitivity (self);
}

/* ---- setup <-> widgets ---- */

static char *
detected_channels (BxRecording *recording, BxModality modality)
{
  g_autoptr (GString) s = g_string_new (NULL);

  for (guint c = 0; recording != NULL && c < bx_recording_get_n_channels (recording); c++)
    {
      const BxChannel *ch = bx_recording_get_channel (recording, c);
      if (ch->modality == modality && strchr (ch->label, ',') == NULL)
        g_string_append_printf (s, "%s%s", s->len > 0 ? ", " : "", ch->label);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static guint
modality_index (BxModality m)
{
  for (guint i = 0; i < G_N_ELEMENTS (side_modalities); i++)
    if (side_modalities[i] == m)
      return i;
  return 0;
}

static void
update_model_row (BxTransferPanel *self, int side)
{
  BxTransferSide *s = side_of (self, side);
  g_autofree char *title = g_strdup_printf (side == SIDE_OLD ? _("Old model (%s)") : _("New model (%s)"),
                                            bx_modality_to_string (s->modality));
  g_autofree char *subtitle = NULL;

  if (s->checkpoint != NULL)
    {
      g_autofree char *base = g_path_get_basename (s->checkpoint);
      subtitle = g_strdup_printf ("%s · %s", base, bx_model_family_name (s->family));
    }
  else
    {
      g_autofree char *builtin = bx_builtin_model_path (s->modality);
      subtitle = builtin != NULL
                     ? g_strdup_printf (_("Built-in compact %s encoder"), bx_modality_to_string (s->modality))
                     : g_strdup_printf (_("No built-in %s encoder: import a checkpoint"),
                                        bx_modality_to_string (s->modality));
    }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->model_row[side]), title);
  adw_action_row_set_subtitle (self->model_row[side], subtitle);
}

static void
update_head_row (BxTransferPanel *self)
{
  g_autofree char *base = self->setup->head_path != NULL ? g_path_get_basename (self->setup->head_path) : NULL;

  adw_action_row_set_subtitle (self->head_row, base != NULL ? base : _("Trained from the technician's scoring"));
}

static void
load_spins (BxTransferPanel *self)
{
  const BxTransferSetup *s = self->setup;

  gtk_spin_button_set_value (self->epochs_spin, s->epochs);
  gtk_spin_button_set_value (self->lr_spin, log10 (s->lr));
  gtk_spin_button_set_value (self->rank_spin, s->rank);
  gtk_spin_button_set_value (self->proto_spin, s->prototypes);
  gtk_spin_button_set_value (self->batch_spin, s->batch);
  gtk_spin_button_set_value (self->seed_spin, (double)s->seed);
  gtk_spin_button_set_value (self->head_epochs_spin, s->head_epochs);
  gtk_switch_set_active (self->real_proto_switch, s->real_prototypes);
}

static void
read_widgets (BxTransferPanel *self)
{
  BxTransferSetup *s = self->setup;

  for (int side = 0; side < 2; side++)
    {
      BxTransferSide *sd = side_of (self, side);
      g_free (sd->channels);
      sd->channels = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->channels_row[side])));
    }
  s->epochs = gtk_spin_button_get_value_as_int (self->epochs_spin);
  s->lr = pow (10, gtk_spin_button_get_value (self->lr_spin));
  s->rank = gtk_spin_button_get_value_as_int (self->rank_spin);
  s->prototypes = gtk_spin_button_get_value_as_int (self->proto_spin);
  s->batch = gtk_spin_button_get_value_as_int (self->batch_spin);
  s->seed = (gint64)gtk_spin_button_get_value (self->seed_spin);
  s->head_epochs = gtk_spin_button_get_value_as_int (self->head_epochs_spin);
  s->real_prototypes = gtk_switch_get_active (self->real_proto_switch);
}

static void
on_modality_selected (AdwComboRow *row, GParamSpec *pspec, BxTransferPanel *self)
{
  int side = row == self->modality_row[SIDE_OLD] ? SIDE_OLD : SIDE_NEW;
  BxTransferSide *s = side_of (self, side);
  guint i = adw_combo_row_get_selected (row);
  g_autofree char *channels = NULL;

  if (i >= G_N_ELEMENTS (side_modalities) || s->modality == side_modalities[i])
    return;
  s->modality = side_modalities[i];
  /* Another modality: the imported checkpoint of the old one no longer fits. */
  g_clear_pointer (&s->checkpoint, g_free);
  s->family = BX_MODEL_FAMILY_COMPACT;
  channels = detected_channels (bx_view_host_get_recording (self->host), s->modality);
  gtk_editable_set_text (GTK_EDITABLE (self->channels_row[side]), channels);
  update_model_row (self, side);
  bx_transfer_setup_apply_defaults (self->setup);
  load_spins (self);
}

/* ---- recordings list ---- */

static const char *const role_names[] = { N_("Labels and paired"), N_("Labels only"), N_("Paired only"),
                                          N_("Not used"), NULL };
static const guint role_values[] = { BX_ROLE_TRAIN | BX_ROLE_PAIR, BX_ROLE_TRAIN, BX_ROLE_PAIR, 0 };

static void rebuild_recordings (BxTransferPanel *self);

static void
on_role_selected (GtkDropDown *dropdown, GParamSpec *pspec, BxTransferPanel *self)
{
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dropdown), "index"));
  guint sel = gtk_drop_down_get_selected (dropdown);
  BxTransferRecording *r;

  if (index >= self->setup->recordings->len || sel >= G_N_ELEMENTS (role_values))
    return;
  r = g_ptr_array_index (self->setup->recordings, index);
  r->roles = role_values[sel];
}

static void
on_remove_recording (GtkButton *button, BxTransferPanel *self)
{
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "index"));

  if (index > 0 && index < self->setup->recordings->len)
    g_ptr_array_remove_index (self->setup->recordings, index);
  rebuild_recordings (self);
}

static void
rebuild_recordings (BxTransferPanel *self)
{
  GtkWidget *child;
  g_autoptr (GtkStringList) roles = NULL;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->recording_list))) != NULL)
    gtk_list_box_remove (self->recording_list, child);
  roles = gtk_string_list_new (NULL);
  for (guint i = 0; role_names[i] != NULL; i++)
    gtk_string_list_append (roles, _(role_names[i]));
  for (guint i = 0; i < self->setup->recordings->len; i++)
    {
      BxTransferRecording *r = g_ptr_array_index (self->setup->recordings, i);
      g_autofree char *base = g_path_get_basename (r->path);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *dropdown = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (roles)), NULL);
      guint sel = G_N_ELEMENTS (role_values) - 1;

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), base);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   i == 0 ? _("This recording · predicted") : _("Other recording"));
      gtk_widget_set_tooltip_text (row, r->path);
      for (guint k = 0; k < G_N_ELEMENTS (role_values); k++)
        if (role_values[k] == r->roles)
          sel = k;
      gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), sel);
      gtk_widget_set_valign (dropdown, GTK_ALIGN_CENTER);
      g_object_set_data (G_OBJECT (dropdown), "index", GUINT_TO_POINTER (i));
      g_signal_connect (dropdown, "notify::selected", G_CALLBACK (on_role_selected), self);
      gtk_accessible_update_property (GTK_ACCESSIBLE (dropdown), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Role"), -1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), dropdown);
      if (i > 0)
        {
          GtkWidget *remove = gtk_button_new_from_icon_name ("list-remove-symbolic");
          gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
          gtk_widget_add_css_class (remove, "flat");
          gtk_widget_set_tooltip_text (remove, _("Remove"));
          g_object_set_data (G_OBJECT (remove), "index", GUINT_TO_POINTER (i));
          g_signal_connect (remove, "clicked", G_CALLBACK (on_remove_recording), self);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
        }
      gtk_list_box_append (self->recording_list, row);
    }
}

/* The local path the user accepted in a single-file chooser, or NULL. */
static char *
chooser_path (GtkNativeDialog *dialog)
{
  g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

  return file != NULL ? g_file_get_path (file) : NULL;
}

static gboolean
is_recording_file (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  return g_str_has_suffix (lower, ".edf") || g_str_has_suffix (lower, ".bdf");
}

static void
on_add_files_response (GtkNativeDialog *dialog, int response, BxTransferPanel *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (dialog));
      gboolean folder = gtk_file_chooser_get_action (GTK_FILE_CHOOSER (dialog)) == GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER;

      for (guint i = 0; i < g_list_model_get_n_items (files); i++)
        {
          g_autoptr (GFile) f = g_list_model_get_item (files, i);
          g_autofree char *path = g_file_get_path (f);

          if (path == NULL)
            continue;
          if (folder)
            {
              g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
              const char *name;
              while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
                if (is_recording_file (name))
                  {
                    g_autofree char *p = g_build_filename (path, name, NULL);
                    bx_transfer_setup_add_recording (self->setup, p, BX_ROLE_TRAIN | BX_ROLE_PAIR);
                  }
            }
          else
            bx_transfer_setup_add_recording (self->setup, path, BX_ROLE_TRAIN | BX_ROLE_PAIR);
        }
      rebuild_recordings (self);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
choose_files (BxTransferPanel *self, GtkFileChooserAction action, const char *title, GCallback response)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog
      = gtk_file_chooser_native_new (title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, action, NULL, NULL);

  if (action == GTK_FILE_CHOOSER_ACTION_OPEN && response == G_CALLBACK (on_add_files_response))
    {
      GtkFileFilter *filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, _("EDF and BDF recordings"));
      gtk_file_filter_add_pattern (filter, "*.[eE][dD][fF]");
      gtk_file_filter_add_pattern (filter, "*.[bB][dD][fF]");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
      g_object_unref (filter);
      gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (dialog), TRUE);
    }
  g_signal_connect (dialog, "response", response, self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_add_files (GtkButton *button, BxTransferPanel *self)
{
  choose_files (self, GTK_FILE_CHOOSER_ACTION_OPEN, _("Add Recordings"), G_CALLBACK (on_add_files_response));
}

static void
on_add_folder (GtkButton *button, BxTransferPanel *self)
{
  choose_files (self, GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("Add a Folder of Recordings"),
                G_CALLBACK (on_add_files_response));
}

static void
on_manifest_response (GtkNativeDialog *dialog, int response, BxTransferPanel *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autofree char *path = chooser_path (dialog);
      g_autoptr (GError) error = NULL;
      g_autoptr (BxManifest) manifest = path != NULL ? bx_manifest_load (path, &error) : NULL;

      if (manifest == NULL)
        set_status (self, error != NULL ? error->message : _("Not a local file"));
      else
        {
          for (guint i = 0; i < manifest->entries->len; i++)
            {
              BxManifestEntry *e = g_ptr_array_index (manifest->entries, i);
              guint roles = e->roles & (BX_ROLE_TRAIN | BX_ROLE_PAIR);
              if (roles != 0)
                bx_transfer_setup_add_recording (self->setup, e->path, roles);
            }
          rebuild_recordings (self);
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
on_load_manifest (GtkButton *button, BxTransferPanel *self)
{
  choose_files (self, GTK_FILE_CHOOSER_ACTION_OPEN, _("Load a Manifest"), G_CALLBACK (on_manifest_response));
}

/* ---- models and head ---- */

typedef struct
{
  BxTransferPanel *panel; /* ref */
  int side;
  char *path;
  BxModelFamily family;
  char *description;
} ImportData;

static void
import_data_free (gpointer data)
{
  ImportData *d = data;
  g_object_unref (d->panel);
  g_free (d->path);
  g_free (d->description);
  g_free (d);
}

static gpointer
import_job (BxJob *job, gpointer data, GError **error)
{
  ImportData *d = data;

  if (!bx_job_progress (job, "checking", NULL, 0, NAN, error)
      || !bx_transfer_validate_checkpoint (d->path, &d->family, &d->description, error))
    return NULL;
  return d;
}

static void
on_import_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BxTransferPanel *self = user_data;
  g_autoptr (GError) error = NULL;
  ImportData *d = bx_view_host_run_job_finish (BX_VIEW_HOST (source), result, &error);

  if (d == NULL)
    {
      set_status (self, error->message);
      g_object_unref (self);
      return;
    }
  {
    BxTransferSide *s = side_of (self, d->side);
    g_free (s->checkpoint);
    s->checkpoint = g_strdup (d->path);
    s->family = d->family;
    update_model_row (self, d->side);
    adw_action_row_set_subtitle (self->model_row[d->side], d->description);
    bx_transfer_setup_apply_defaults (self->setup);
    load_spins (self);
    set_status (self, NULL);
  }
  g_object_unref (self);
}

/* Validates a checkpoint in a worker (reading a large checkpoint takes seconds) and uses it for `side`. */
static void
import_checkpoint (BxTransferPanel *self, int side, const char *path)
{
  ImportData *d = g_new0 (ImportData, 1);

  d->panel = g_object_ref (self);
  d->side = side;
  d->path = g_strdup (path);
  bx_view_host_run_job (self->host, _("Checking checkpoint"), import_job, d, import_data_free, NULL, NULL,
                        on_import_done, g_object_ref (self));
}

static void
on_model_response (GtkNativeDialog *dialog, int response, BxTransferPanel *self)
{
  int side = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "side"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autofree char *path = chooser_path (dialog);

      if (path == NULL)
        set_status (self, _("Not a local file"));
      else if (side == 2)
        {
          g_free (self->setup->head_path);
          self->setup->head_path = g_steal_pointer (&path);
          update_head_row (self);
        }
      else
        import_checkpoint (self, side, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
on_import_clicked (GtkButton *button, BxTransferPanel *self)
{
  int side = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "side"));
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (
      side == 2 ? _("Import a Task Head") : _("Import a Foundation Model Checkpoint"),
      GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, GTK_FILE_CHOOSER_ACTION_OPEN, NULL, NULL);

  g_object_set_data (G_OBJECT (dialog), "side", GINT_TO_POINTER (side));
  g_signal_connect (dialog, "response", G_CALLBACK (on_model_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
on_builtin_clicked (GtkButton *button, BxTransferPanel *self)
{
  int side = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "side"));

  if (side == 2)
    {
      g_clear_pointer (&self->setup->head_path, g_free);
      update_head_row (self);
      return;
    }
  g_clear_pointer (&side_of (self, side)->checkpoint, g_free);
  side_of (self, side)->family = BX_MODEL_FAMILY_COMPACT;
  update_model_row (self, side);
  bx_transfer_setup_apply_defaults (self->setup);
  load_spins (self);
}

/* ---- jobs ---- */

typedef enum
{
  JOB_SEARCH,
  JOB_TRAIN,
  JOB_APPLY
} JobKind;

typedef struct
{
  BxTransferPanel *panel; /* ref, for the progress reports */
  BxTransferSession *session; /* borrowed: the panel keeps it while the job runs */
  JobKind kind;
  int m, l;
  char *target, *bridge_path;
  GStrv candidates;
} JobData;

static void
job_data_free (gpointer data)
{
  JobData *d = data;
  g_object_unref (d->panel);
  g_free (d->target);
  g_free (d->bridge_path);
  g_strfreev (d->candidates);
  g_free (d);
}

static gpointer
transfer_job (BxJob *job, gpointer data, GError **error)
{
  JobData *d = data;
  gboolean ok = FALSE;

  switch (d->kind)
    {
    case JOB_SEARCH:
      ok = bx_transfer_session_search (d->session, job, error);
      break;
    case JOB_TRAIN:
      ok = bx_transfer_session_train (d->session, d->m, d->l, d->target, job, error);
      break;
    case JOB_APPLY:
      ok = bx_transfer_session_apply (d->session, d->bridge_path, (const char *const *)d->candidates, d->target,
                                      job, error);
      break;
    }
  return ok ? GINT_TO_POINTER (1) : NULL;
}

/* Brings `target` (a section that just became visible) into view once it
 * has been allocated, so a finished stage shows its result. */
static gboolean
scroll_tick (GtkWidget *scroller, GdkFrameClock *clock, gpointer data)
{
  GtkWidget *target = data;
  GtkWidget *child = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scroller));
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
  int *frames = g_object_get_data (G_OBJECT (target), "bx-scroll-frames");
  double x, y;

  /* `child` is the viewport: coordinates in it are relative to what is shown. */
  if (!gtk_widget_get_visible (target) || gtk_widget_get_height (target) <= 0
      || !gtk_widget_translate_coordinates (target, child, 0, 0, &x, &y))
    return G_SOURCE_CONTINUE;
  y += gtk_adjustment_get_value (adj);
  /* The adjustment grows a frame after the new section is allocated: retry a
   * few frames until the target position is reachable. */
  if (y - 12 > gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj) && frames != NULL
      && ++*frames < 10)
    return G_SOURCE_CONTINUE;
  gtk_adjustment_set_value (adj, y - 12);
  return G_SOURCE_REMOVE;
}

static void
scroll_to (BxTransferPanel *self, GtkWidget *target)
{
  g_object_set_data_full (G_OBJECT (target), "bx-scroll-frames", g_new0 (int, 1), g_free);
  gtk_widget_add_tick_callback (self->scroller, scroll_tick, target, NULL);
}

static const char *
stage_title (const char *stage)
{
  static const struct
  {
    const char *stage, *title;
  } titles[] = {
    { "head", N_("Training the task head") },        { "head-features", N_("Task head features") },
    { "features", N_("Features of the paired data") }, { "windows", N_("Cutting windows") },
    { "search", N_("Searching positions") },          { "train", N_("Training the bridge") },
    { "predict", N_("Predicting") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    if (g_strcmp0 (stage, titles[i].stage) == 0)
      return _(titles[i].title);
  return stage;
}

static void
on_job_progress (const BxJobProgress *p, gpointer user_data)
{
  BxTransferPanel *self = user_data;
  g_autofree char *text = NULL;

  if (isfinite (p->eta))
    /* Translators: stage, percent, seconds left */
    text = g_strdup_printf (_("%s · %.0f %% · %.0f s left"), stage_title (p->stage), 100 * p->fraction, p->eta);
  else
    text = g_strdup_printf (_("%s · %.0f %%"), stage_title (p->stage), 100 * p->fraction);
  gtk_progress_bar_set_text (self->progress, text);
  gtk_progress_bar_set_fraction (self->progress, CLAMP (p->fraction, 0, 1));
  if (g_strcmp0 (p->stage, "train") == 0 && isfinite (p->loss))
    {
      if (self->n_loss_reports == 0)
        {
          gtk_widget_set_visible (self->loss_group, TRUE);
          scroll_to (self, self->loss_group);
        }
      self->n_loss_reports++;
      bx_loss_plot_append (self->loss_plot, p->fraction * self->train_epochs, p->loss);
    }
}

static void on_job_done (GObject *source, GAsyncResult *result, gpointer user_data);

static void
start_job (BxTransferPanel *self, JobData *d, const char *title)
{
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->state_before_job = self->state;
  g_clear_pointer (&self->last_error, g_free);
  set_status (self, NULL);
  gtk_progress_bar_set_fraction (self->progress, 0);
  gtk_progress_bar_set_text (self->progress, title);
  set_state (self, BX_TRANSFER_STATE_RUNNING);
  d->panel = g_object_ref (self);
  d->session = self->session;
  bx_view_host_run_job_full (self->host, title, transfer_job, d, job_data_free, NULL, on_job_progress, self,
                             self->cancellable, on_job_done, g_object_ref (self));
}

static void
show_search (BxTransferPanel *self)
{
  const BxPositionSearch *s = bx_run_get_search (bx_transfer_session_get_run (self->session));

  if (s == NULL)
    return;
  bx_bar_chart_set_values (self->probe_chart, s->probe_f1, (guint)s->n_new_layers);
  bx_bar_chart_set_values (self->cka_chart, s->cka, (guint)s->n_old_layers);
  bx_bar_chart_set_suggested (self->probe_chart, self->search_m);
  bx_bar_chart_set_suggested (self->cka_chart, self->search_l);
  bx_bar_chart_set_marked (self->probe_chart, self->m);
  bx_bar_chart_set_marked (self->cka_chart, self->l);
  gtk_widget_set_visible (self->positions_group, TRUE);
  scroll_to (self, self->positions_group);
}

static void
update_positions_label (BxTransferPanel *self)
{
  g_autofree char *text = NULL;

  if (self->m == self->search_m && self->l == self->search_l)
    /* Translators: m and l are the paper's names of the bridge's input and output layers */
    text = g_strdup_printf (_("Bridge from new layer m = %d into old layer l = %d (the search's choice)"), self->m,
                            self->l);
  else
    text = g_strdup_printf (_("Bridge from new layer m = %d into old layer l = %d (search: m = %d, l = %d)"),
                            self->m, self->l, self->search_m, self->search_l);
  gtk_label_set_text (self->positions_label, text);
}

static void
show_metrics (BxTransferPanel *self)
{
  const BxHypnogram *scoring = bx_view_host_get_scoring (self->host);
  BxStageSet set;
  g_autofree char *text = NULL;
  guint n_pred = 0;

  g_clear_pointer (&self->metrics, bx_metrics_free);
  for (guint e = 0; self->prediction != NULL && e < self->prediction->n_epochs; e++)
    n_pred += self->prediction->stages[e] != BX_STAGE_UNKNOWN;
  if (self->prediction != NULL && bx_transfer_session_get_stage_set (self->session, &set))
    self->metrics = bx_transfer_compare (self->prediction, scoring, set);
  if (self->metrics != NULL)
    {
      const char *names[8] = { NULL };
      for (guint c = 0; c < bx_stage_set_n_classes (set) && c < 7; c++)
        names[c] = bx_stage_set_class_name (set, c);
      text = g_strdup_printf (_("%u epochs predicted; against the scoring (%u epochs): balanced accuracy %.3f, "
                                "Cohen's κ %.3f, macro F1 %.3f, accuracy %.3f"),
                              n_pred, self->metrics->n_samples, self->metrics->balanced_accuracy,
                              self->metrics->cohen_kappa, self->metrics->f1_macro, self->metrics->accuracy);
      bx_confusion_view_set_matrix (self->confusion, self->metrics->confusion, self->metrics->n_classes, names);
      gtk_widget_set_visible (GTK_WIDGET (self->confusion), TRUE);
    }
  else
    {
      text = g_strdup_printf (_("%u epochs predicted; no scored epochs to compare with"), n_pred);
      gtk_widget_set_visible (GTK_WIDGET (self->confusion), FALSE);
    }
  gtk_label_set_text (self->metrics_label, text);
  gtk_widget_set_visible (self->results_group, TRUE);
}

static void
show_prediction (BxTransferPanel *self)
{
  g_autofree char *title = NULL;
  const char *new_name = bx_modality_to_string (self->setup->new_side.modality);

  g_clear_pointer (&self->prediction, bx_hypnogram_free);
  self->prediction = bx_transfer_session_get_prediction (self->session);
  if (self->prediction == NULL)
    return;
  if (self->track != NULL)
    {
      bx_view_host_remove_overlay_track (self->host, self->track);
      g_clear_object (&self->track);
    }
  /* Translators: %s is a modality, e.g. ECG */
  title = g_strdup_printf (_("Predicted from %s"), new_name);
  self->track = bx_overlay_track_new (title, self->prediction);
  bx_view_host_add_overlay_track (self->host, self->track);
  show_metrics (self);
  scroll_to (self, self->results_group);
  /* Keyboard users who started the job from the panel land on the review
   * buttons; focus elsewhere (e.g. paging the signal view) is left alone. */
  {
    GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
    GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
    if (focus == NULL || gtk_widget_is_ancestor (focus, GTK_WIDGET (self)))
      gtk_widget_grab_focus (self->accept_button);
  }
}

static void
on_job_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  BxTransferPanel *self = user_data; /* owns a reference */
  g_autoptr (GError) error = NULL;
  gpointer ok = bx_view_host_run_job_finish (BX_VIEW_HOST (source), result, &error);
  JobKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (self), "job-kind"));

  if (self->host == NULL)
    {
      /* The recording closed while the job ran. */
      g_object_unref (self);
      return;
    }
  if (ok == NULL)
    {
      gboolean cancelled;

      self->train_after_search = FALSE;
      cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

      self->last_error = g_strdup (cancelled ? _("Cancelled; nothing was written") : error->message);
      set_status (self, self->last_error);
      /* A cancelled or failed search leaves no usable positions. */
      set_state (self, kind == JOB_SEARCH ? BX_TRANSFER_STATE_SETUP : self->state_before_job);
    }
  else if (kind == JOB_SEARCH)
    {
      bx_run_get_positions (bx_transfer_session_get_run (self->session), &self->search_m, &self->search_l);
      self->m = self->search_m;
      self->l = self->search_l;
      show_search (self);
      update_positions_label (self);
      set_state (self, BX_TRANSFER_STATE_SEARCHED);
      set_status (self, _("Positions found. Click a bar to choose another layer, then train."));
      if (self->train_after_search)
        {
          self->train_after_search = FALSE;
          g_signal_emit (self, signals[SIGNAL_JOB_FINISHED], 0, TRUE);
          bx_transfer_panel_train (self);
          g_object_unref (self);
          return;
        }
    }
  else
    {
      if (kind == JOB_APPLY)
        {
          gtk_widget_set_visible (self->positions_group, FALSE);
          bx_run_get_positions (bx_transfer_session_get_run (self->session), &self->m, &self->l);
        }
      show_prediction (self);
      set_state (self, BX_TRANSFER_STATE_PREDICTED);
    }
  g_signal_emit (self, signals[SIGNAL_JOB_FINISHED], 0, ok != NULL);
  g_object_unref (self);
}

void
bx_transfer_panel_search (BxTransferPanel *self)
{
  g_autoptr (GError) error = NULL;
  JobData *d;

  if (self->state == BX_TRANSFER_STATE_RUNNING)
    return;
  read_widgets (self);
  g_clear_pointer (&self->session, bx_transfer_session_free);
  self->session = bx_transfer_session_new (self->setup, bx_view_host_get_scoring (self->host), &error);
  if (self->session == NULL)
    {
      g_free (self->last_error);
      self->last_error = g_strdup (error->message);
      set_status (self, error->message);
      set_state (self, BX_TRANSFER_STATE_SETUP);
      g_signal_emit (self, signals[SIGNAL_JOB_FINISHED], 0, FALSE);
      return;
    }
  self->m = self->l = self->search_m = self->search_l = -1;
  gtk_widget_set_visible (self->positions_group, FALSE);
  d = g_new0 (JobData, 1);
  d->kind = JOB_SEARCH;
  g_object_set_data (G_OBJECT (self), "job-kind", GINT_TO_POINTER (JOB_SEARCH));
  start_job (self, d, _("Finding bridge positions"));
}

void
bx_transfer_panel_train (BxTransferPanel *self)
{
  JobData *d;

  if (self->state == BX_TRANSFER_STATE_RUNNING || self->session == NULL || self->m < 0 || self->l < 0)
    return;
  /* Hyper-parameters may have changed since the search: they only act on training. */
  read_widgets (self);
  bx_transfer_session_update_training (self->session, self->setup);
  self->train_epochs = self->setup->epochs;
  self->n_loss_reports = 0;
  bx_loss_plot_clear (self->loss_plot);
  d = g_new0 (JobData, 1);
  d->kind = JOB_TRAIN;
  d->m = self->m;
  d->l = self->l;
  d->target = g_strdup (bx_recording_get_path (bx_view_host_get_recording (self->host)));
  g_object_set_data (G_OBJECT (self), "job-kind", GINT_TO_POINTER (JOB_TRAIN));
  start_job (self, d, _("Training the bridge"));
}

void
bx_transfer_panel_run_all (BxTransferPanel *self)
{
  if (self->state == BX_TRANSFER_STATE_RUNNING)
    return;
  self->train_after_search = TRUE;
  bx_transfer_panel_search (self);
}

void
bx_transfer_panel_run_demo (BxTransferPanel *self, const char *training_night)
{
  BxTransferRecording *target;

  if (self->state == BX_TRANSFER_STATE_RUNNING)
    return;
  /* An honest demo: the open night is only predicted; another night's EEG
   * scoring trains the head and its EEG+ECG pairs train the bridge. */
  target = g_ptr_array_index (self->setup->recordings, 0);
  target->roles = 0;
  bx_transfer_setup_add_recording (self->setup, training_night, BX_ROLE_TRAIN | BX_ROLE_PAIR);
  rebuild_recordings (self);
  bx_transfer_panel_run_all (self);
}

void
bx_transfer_panel_cancel (BxTransferPanel *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

static void
apply_bridge_path (BxTransferPanel *self, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) candidates = g_ptr_array_new ();
  JobData *d;

  if (self->state == BX_TRANSFER_STATE_RUNNING)
    return;
  if (self->session == NULL && (self->session = bx_transfer_session_new_empty (&error)) == NULL)
    {
      set_status (self, error->message);
      return;
    }
  for (int side = 0; side < 2; side++)
    if (side_of (self, side)->checkpoint != NULL)
      g_ptr_array_add (candidates, g_strdup (side_of (self, side)->checkpoint));
  g_ptr_array_add (candidates, NULL);
  d = g_new0 (JobData, 1);
  d->kind = JOB_APPLY;
  d->bridge_path = g_strdup (path);
  d->candidates = (GStrv)g_ptr_array_steal (candidates, NULL);
  d->target = g_strdup (bx_recording_get_path (bx_view_host_get_recording (self->host)));
  g_object_set_data (G_OBJECT (self), "job-kind", GINT_TO_POINTER (JOB_APPLY));
  start_job (self, d, _("Applying a bridge"));
}

static void
on_apply_response (GtkNativeDialog *dialog, int response, BxTransferPanel *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autofree char *path = chooser_path (dialog);
      if (path != NULL)
        apply_bridge_path (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

void
bx_transfer_panel_apply_bridge (BxTransferPanel *self, const char *path)
{
  if (path != NULL && path[0] != '\0')
    apply_bridge_path (self, path);
  else
    choose_files (self, GTK_FILE_CHOOSER_ACTION_OPEN, _("Apply a Bridge File"), G_CALLBACK (on_apply_response));
}

gboolean
bx_transfer_panel_save_bridge (BxTransferPanel *self, const char *path, GError **error)
{
  if (self->session == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("No bridge has been trained yet"));
      return FALSE;
    }
  return bx_transfer_session_save_bridge (self->session, path, error);
}

gboolean
bx_transfer_panel_export (BxTransferPanel *self, const char *path, GError **error)
{
  BxLabelWriteOptions wopt = { 0 };
  BxRecording *rec = bx_view_host_get_recording (self->host);
  BxStageSet set;
  g_autoptr (BxLabelMap) map = NULL;

  if (self->prediction == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("Nothing has been predicted yet"));
      return FALSE;
    }
  /* Stage codes with their standard names; other tasks by their class names. */
  if (!bx_transfer_session_get_stage_set (self->session, &set))
    {
      const char *const *names = bx_run_get_class_names (bx_transfer_session_get_run (self->session));
      map = bx_label_map_new_classes (names, g_strv_length ((char **)names));
      wopt.map = map;
    }
  wopt.format = BX_LABEL_FORMAT_AUTO;
  wopt.start = bx_recording_get_start (rec);
  return bx_labels_write_hypnogram (path, self->prediction, &wopt, error);
}

static int
current_epoch (BxTransferPanel *self)
{
  return bx_view_host_get_current_epoch (self->host);
}

void
bx_transfer_panel_accept_epoch (BxTransferPanel *self)
{
  int e = current_epoch (self);

  if (self->prediction == NULL || e < 0 || (guint)e >= self->prediction->n_epochs)
    return;
  if (self->prediction->stages[e] != BX_STAGE_UNKNOWN)
    bx_view_host_set_stage (self->host, (guint)e, self->prediction->stages[e]);
  bx_view_host_set_current_epoch (self->host, e + 1);
  show_metrics (self);
}

void
bx_transfer_panel_reject_epoch (BxTransferPanel *self)
{
  int e = current_epoch (self);

  if (self->prediction == NULL || e < 0 || (guint)e >= self->prediction->n_epochs)
    return;
  self->prediction->stages[e] = BX_STAGE_UNKNOWN;
  if (self->prediction->confidence != NULL)
    self->prediction->confidence[e] = NAN;
  bx_overlay_track_set_labels (self->track, self->prediction);
  bx_view_host_set_current_epoch (self->host, e + 1);
  show_metrics (self);
}

guint
bx_transfer_panel_accept_confident (BxTransferPanel *self, double threshold)
{
  const BxHypnogram *scoring = bx_view_host_get_scoring (self->host);
  guint n = 0;

  if (self->prediction == NULL)
    return 0;
  for (guint e = 0; e < self->prediction->n_epochs && e < scoring->n_epochs; e++)
    {
      float c = self->prediction->confidence != NULL ? self->prediction->confidence[e] : 1.0f;
      if (scoring->stages[e] == BX_STAGE_UNKNOWN && self->prediction->stages[e] != BX_STAGE_UNKNOWN && c >= threshold)
        {
          bx_view_host_set_stage (self->host, e, self->prediction->stages[e]);
          n++;
        }
    }
  show_metrics (self);
  return n;
}

static void on_bar_activated (BxBarChart *chart, int index, BxTransferPanel *self);

void
bx_transfer_panel_set_positions (BxTransferPanel *self, int input_layer, int output_layer)
{
  bx_bar_chart_set_marked (self->probe_chart, input_layer);
  bx_bar_chart_set_marked (self->cka_chart, output_layer);
  on_bar_activated (self->probe_chart, input_layer, self);
  on_bar_activated (self->cka_chart, output_layer, self);
}

void
bx_transfer_panel_get_positions (BxTransferPanel *self, int *input_layer, int *output_layer)
{
  *input_layer = self->m;
  *output_layer = self->l;
}

static void
on_bar_activated (BxBarChart *chart, int index, BxTransferPanel *self)
{
  if (chart == self->probe_chart && index != self->m && self->session != NULL
      && self->state != BX_TRANSFER_STATE_RUNNING)
    {
      g_autoptr (GError) error = NULL;

      /* The output position is scored against the chosen input layer: a new
       * m gets its own CKA column (milliseconds: pooled features are cached). */
      if (bx_run_set_positions (bx_transfer_session_get_run (self->session), index, MAX (self->l, 0), &error))
        {
          const BxPositionSearch *s = bx_run_get_search (bx_transfer_session_get_run (self->session));
          if (s != NULL)
            bx_bar_chart_set_values (self->cka_chart, s->cka, (guint)s->n_old_layers);
        }
      else
        set_status (self, error->message);
    }
  if (chart == self->probe_chart)
    self->m = index;
  else
    self->l = index;
  update_positions_label (self);
  update_sensitivity (self);
}

/* ---- save / export with a chooser ---- */

static void
on_save_response (GtkNativeDialog *dialog, int response, BxTransferPanel *self)
{
  gboolean bridge = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "bridge"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autofree char *path = chooser_path (dialog);
      g_autoptr (GError) error = NULL;

      if (path == NULL)
        set_status (self, _("Not a local file"));
      else if (!(bridge ? bx_transfer_panel_save_bridge (self, path, &error)
                        : bx_transfer_panel_export (self, path, &error)))
        set_status (self, error->message);
      else
        set_status (self, NULL);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

void
bx_transfer_panel_ask_save (BxTransferPanel *self, gboolean bridge)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (
      bridge ? _("Save the Bridge") : _("Export Predictions"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
      GTK_FILE_CHOOSER_ACTION_SAVE, NULL, NULL);

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog),
                                     bridge ? "bridge.safetensors" : "predicted-hypnogram.tsv");
  g_object_set_data (G_OBJECT (dialog), "bridge", GINT_TO_POINTER (bridge));
  g_signal_connect (dialog, "response", G_CALLBACK (on_save_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ---- construction ---- */

static GtkWidget *
spin_row (AdwPreferencesGroup *group, GtkWidget *expander, const char *title, const char *subtitle, double lo,
          double hi, double step, guint digits, GtkSpinButton **out)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (lo, hi, step);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), digits);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), spin);
  if (expander != NULL)
    adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), row);
  else
    adw_preferences_group_add (group, row);
  *out = GTK_SPIN_BUTTON (spin);
  return row;
}

static GtkWidget *
button (const char *label, const char *action, const char *css)
{
  GtkWidget *b = gtk_button_new_with_mnemonic (label);

  if (action != NULL)
    gtk_actionable_set_action_name (GTK_ACTIONABLE (b), action);
  if (css != NULL)
    gtk_widget_add_css_class (b, css);
  return b;
}

static GtkWidget *
group (GtkWidget *box, const char *title, const char *description)
{
  GtkWidget *g = adw_preferences_group_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (g), title);
  if (description != NULL)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (g), description);
  gtk_box_append (GTK_BOX (box), g);
  return g;
}

static void
build (BxTransferPanel *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *g, *row, *bbox, *expander;
  g_autoptr (GtkStringList) modalities = gtk_string_list_new (NULL);

  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  self->scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scroller), box);
  gtk_widget_set_parent (self->scroller, GTK_WIDGET (self));

  /* Recordings */
  g = group (box, _("Recordings"),
             _("The technician's scoring trains the old modality's task head; paired recordings (both modalities) "
               "train the bridge; this recording's hypnogram is predicted from the new modality alone."));
  bbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  {
    GtkWidget *add = gtk_menu_button_new ();
    GtkWidget *pop_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
    GtkWidget *pop = gtk_popover_new ();
    GtkWidget *b;

    gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (add), "list-add-symbolic");
    gtk_widget_set_tooltip_text (add, _("Add recordings"));
    gtk_widget_add_css_class (add, "flat");
    b = button (_("_Files…"), NULL, "flat");
    g_signal_connect (b, "clicked", G_CALLBACK (on_add_files), self);
    gtk_box_append (GTK_BOX (pop_box), b);
    b = button (_("F_older…"), NULL, "flat");
    g_signal_connect (b, "clicked", G_CALLBACK (on_add_folder), self);
    gtk_box_append (GTK_BOX (pop_box), b);
    b = button (_("_Manifest…"), NULL, "flat");
    g_signal_connect (b, "clicked", G_CALLBACK (on_load_manifest), self);
    gtk_box_append (GTK_BOX (pop_box), b);
    gtk_popover_set_child (GTK_POPOVER (pop), pop_box);
    gtk_menu_button_set_popover (GTK_MENU_BUTTON (add), pop);
    gtk_box_append (GTK_BOX (bbox), add);
  }
  adw_preferences_group_set_header_suffix (ADW_PREFERENCES_GROUP (g), bbox);
  self->recording_list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->recording_list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->recording_list), "boxed-list");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (g), GTK_WIDGET (self->recording_list));

  /* Modalities and models */
  g = group (box, _("Modalities and Models"), NULL);
  for (guint i = 0; i < G_N_ELEMENTS (side_modalities); i++)
    gtk_string_list_append (modalities, bx_modality_to_string (side_modalities[i]));
  for (int side = 0; side < 2; side++)
    {
      GtkWidget *imp = gtk_button_new_with_label (_("Import…"));
      GtkWidget *builtin = gtk_button_new_from_icon_name ("edit-undo-symbolic");

      row = adw_combo_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     side == SIDE_OLD ? _("Old modality (labelled)") : _("New modality (to label)"));
      adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (modalities));
      self->modality_row[side] = ADW_COMBO_ROW (row);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (g), row);

      row = adw_entry_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Channels (empty: automatic)"));
      self->channels_row[side] = ADW_ENTRY_ROW (row);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (g), row);

      row = adw_action_row_new ();
      self->model_row[side] = ADW_ACTION_ROW (row);
      gtk_widget_set_valign (imp, GTK_ALIGN_CENTER);
      gtk_widget_set_valign (builtin, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (builtin, "flat");
      gtk_widget_set_tooltip_text (builtin, _("Use the built-in encoder"));
      g_object_set_data (G_OBJECT (imp), "side", GINT_TO_POINTER (side));
      g_object_set_data (G_OBJECT (builtin), "side", GINT_TO_POINTER (side));
      g_signal_connect (imp, "clicked", G_CALLBACK (on_import_clicked), self);
      g_signal_connect (builtin, "clicked", G_CALLBACK (on_builtin_clicked), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), builtin);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), imp);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (g), row);
    }
  {
    GtkWidget *imp = gtk_button_new_with_label (_("Import…"));
    GtkWidget *clear = gtk_button_new_from_icon_name ("edit-undo-symbolic");

    row = adw_action_row_new ();
    adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Task head"));
    self->head_row = ADW_ACTION_ROW (row);
    gtk_widget_set_valign (imp, GTK_ALIGN_CENTER);
    gtk_widget_set_valign (clear, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class (clear, "flat");
    gtk_widget_set_tooltip_text (clear, _("Train from the scoring"));
    g_object_set_data (G_OBJECT (imp), "side", GINT_TO_POINTER (2));
    g_object_set_data (G_OBJECT (clear), "side", GINT_TO_POINTER (2));
    g_signal_connect (imp, "clicked", G_CALLBACK (on_import_clicked), self);
    g_signal_connect (clear, "clicked", G_CALLBACK (on_builtin_clicked), self);
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), clear);
    adw_action_row_add_suffix (ADW_ACTION_ROW (row), imp);
    adw_preferences_group_add (ADW_PREFERENCES_GROUP (g), row);
  }

  /* Training */
  g = group (box, _("Bridge Training"), NULL);
  spin_row (ADW_PREFERENCES_GROUP (g), NULL, _("Epochs"), NULL, 1, 1000, 1, 0, &self->epochs_spin);
  spin_row (ADW_PREFERENCES_GROUP (g), NULL, _("Learning rate (log₁₀)"), _("−3 = 0.001"), -8, 0, 0.5, 1,
            &self->lr_spin);
  expander = adw_expander_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (expander), _("Advanced"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (g), expander);
  spin_row (NULL, expander, _("Rank r"), _("Low-rank factor of the bridge"), 1, 1024, 1, 0, &self->rank_spin);
  spin_row (NULL, expander, _("Prototypes P"), NULL, 1, 4096, 1, 0, &self->proto_spin);
  spin_row (NULL, expander, _("Batch size"), NULL, 1, 512, 1, 0, &self->batch_spin);
  spin_row (NULL, expander, _("Seed"), NULL, 0, 1e9, 1, 0, &self->seed_spin);
  spin_row (NULL, expander, _("Task head epochs"), NULL, 1, 10000, 1, 0, &self->head_epochs_spin);
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Prototypes from real windows"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("randreal_P instead of random prototypes"));
  self->real_proto_switch = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->real_proto_switch), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), GTK_WIDGET (self->real_proto_switch));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), GTK_WIDGET (self->real_proto_switch));
  adw_expander_row_add_row (ADW_EXPANDER_ROW (expander), row);

  /* Run */
  bbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_halign (bbox, GTK_ALIGN_FILL);
  self->search_button = button (_("_Find Positions"), "plugin.transfer-search", "suggested-action");
  self->train_button = button (_("_Train and Predict"), "plugin.transfer-train", NULL);
  self->cancel_button = button (_("_Cancel"), "plugin.transfer-cancel", "destructive-action");
  gtk_widget_set_hexpand (self->search_button, TRUE);
  gtk_widget_set_hexpand (self->train_button, TRUE);
  gtk_box_append (GTK_BOX (bbox), self->search_button);
  gtk_box_append (GTK_BOX (bbox), self->train_button);
  gtk_box_append (GTK_BOX (bbox), self->cancel_button);
  gtk_box_append (GTK_BOX (box), bbox);
  self->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_progress_bar_set_show_text (self->progress, TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->progress));
  self->status_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->status_label, TRUE);
  gtk_label_set_xalign (self->status_label, 0);
  gtk_label_set_selectable (self->status_label, TRUE);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->status_label));
  self->apply_button = button (_("_Apply a Bridge File…"), "plugin.transfer-apply-bridge", NULL);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->apply_button), "s", "");
  gtk_box_append (GTK_BOX (box), self->apply_button);

  /* Positions */
  self->positions_group = g = group (box, _("Bridge Positions"),
                                     _("Input: how well each new-model layer predicts the old model's labels "
                                       "(probe macro-F1). Output: how similar each old-model layer's input is "
                                       "to the chosen new layer (CKA)."));
  self->probe_chart = BX_BAR_CHART (bx_bar_chart_new ());
  bx_bar_chart_set_title (self->probe_chart, _("New layer m · probe macro-F1"));
  gtk_widget_set_size_request (GTK_WIDGET (self->probe_chart), -1, 150);
  self->cka_chart = BX_BAR_CHART (bx_bar_chart_new ());
  bx_bar_chart_set_title (self->cka_chart, _("Old layer l · CKA"));
  gtk_widget_set_size_request (GTK_WIDGET (self->cka_chart), -1, 150);
  g_signal_connect (self->probe_chart, "bar-activated", G_CALLBACK (on_bar_activated), self);
  g_signal_connect (self->cka_chart, "bar-activated", G_CALLBACK (on_bar_activated), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (g), GTK_WIDGET (self->probe_chart));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (g), GTK_WIDGET (self->cka_chart));
  self->positions_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->positions_label, TRUE);
  gtk_label_set_xalign (self->positions_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->positions_label), "dim-label");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (g), GTK_WIDGET (self->positions_label));
  gtk_widget_set_visible (g, FALSE);

  /* Loss */
  self->loss_group = g = group (box, _("Training Loss"), _("Cosine loss on the old model's last layer, per epoch"));
  self->loss_plot = BX_LOSS_PLOT (bx_loss_plot_new ());
  gtk_widget_set_size_request (GTK_WIDGET (self->loss_plot), -1, 150);
  /* x = epochs done (fraction of training × epochs), as in the bridge file's loss_curve. */
  bx_loss_plot_set_x_name (self->loss_plot, _("epoch"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (g), GTK_WIDGET (self->loss_plot));
  gtk_widget_set_visible (g, FALSE);

  /* Results */
  self->results_group = g = group (box, _("Predictions"), NULL);
  self->metrics_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->metrics_label, TRUE);
  gtk_label_set_xalign (self->metrics_label, 0);
  gtk_label_set_selectable (self->metrics_label, TRUE);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (g), GTK_WIDGET (self->metrics_label));
  self->confusion = BX_CONFUSION_VIEW (bx_confusion_view_new ());
  gtk_widget_set_size_request (GTK_WIDGET (self->confusion), -1, 280);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (g), GTK_WIDGET (self->confusion));
  bbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_set_homogeneous (GTK_BOX (bbox), TRUE);
  self->accept_button = button (_("_Accept Epoch"), "plugin.transfer-accept-epoch", NULL);
  gtk_box_append (GTK_BOX (bbox), self->accept_button);
  gtk_box_append (GTK_BOX (bbox), button (_("_Reject Epoch"), "plugin.transfer-reject-epoch", NULL));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (g), bbox);
  {
    GtkWidget *b = button (_("Accept All _Confident (≥ 0.8) Unscored Epochs"), "plugin.transfer-accept-confident",
                           NULL);
    gtk_actionable_set_action_target (GTK_ACTIONABLE (b), "d", 0.8);
    adw_preferences_group_add (ADW_PREFERENCES_GROUP (g), b);
  }
  bbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_box_set_homogeneous (GTK_BOX (bbox), TRUE);
  {
    GtkWidget *b = button (_("_Export Predictions…"), "plugin.transfer-export", NULL);
    gtk_actionable_set_action_target (GTK_ACTIONABLE (b), "s", "");
    gtk_box_append (GTK_BOX (bbox), b);
    b = button (_("_Save Bridge…"), "plugin.transfer-save-bridge", NULL);
    gtk_actionable_set_action_target (GTK_ACTIONABLE (b), "s", "");
    gtk_box_append (GTK_BOX (bbox), b);
  }
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (g), bbox);
  gtk_widget_set_visible (g, FALSE);
}

static void
bx_transfer_panel_dispose (GObject *object)
{
  BxTransferPanel *self = BX_TRANSFER_PANEL (object);

  bx_transfer_panel_detach (self);
  g_clear_pointer (&self->scroller, gtk_widget_unparent);
  G_OBJECT_CLASS (bx_transfer_panel_parent_class)->dispose (object);
}

static void
bx_transfer_panel_finalize (GObject *object)
{
  BxTransferPanel *self = BX_TRANSFER_PANEL (object);

  g_clear_pointer (&self->session, bx_transfer_session_free);
  g_clear_pointer (&self->setup, bx_transfer_setup_free);
  g_clear_pointer (&self->prediction, bx_hypnogram_free);
  g_clear_pointer (&self->metrics, bx_metrics_free);
  g_clear_object (&self->cancellable);
  g_free (self->last_error);
  G_OBJECT_CLASS (bx_transfer_panel_parent_class)->finalize (object);
}

static void
bx_transfer_panel_class_init (BxTransferPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bx_transfer_panel_dispose;
  object_class->finalize = bx_transfer_panel_finalize;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "bx-transfer-panel");
  /* Emitted in the main context when a search/train/apply job ended (TRUE = success). */
  signals[SIGNAL_JOB_FINISHED] = g_signal_new ("job-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                               NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
}

static void
bx_transfer_panel_init (BxTransferPanel *self)
{
  self->setup = bx_transfer_setup_new ();
  self->m = self->l = self->search_m = self->search_l = -1;
  build (self);
}

BxTransferPanel *
bx_transfer_panel_new (BxViewHost *host)
{
  BxTransferPanel *self = g_object_new (BX_TYPE_TRANSFER_PANEL, NULL);
  BxRecording *recording = bx_view_host_get_recording (host);

  self->host = host;
  bx_transfer_setup_set_recording (self->setup, recording);
  for (int side = 0; side < 2; side++)
    {
      BxTransferSide *s = side_of (self, side);
      g_autofree char *channels = detected_channels (recording, s->modality);

      adw_combo_row_set_selected (self->modality_row[side], modality_index (s->modality));
      g_signal_connect (self->modality_row[side], "notify::selected", G_CALLBACK (on_modality_selected), self);
      gtk_editable_set_text (GTK_EDITABLE (self->channels_row[side]), channels);
      update_model_row (self, side);
    }
  update_head_row (self);
  bx_transfer_setup_apply_defaults (self->setup);
  load_spins (self);
  rebuild_recordings (self);
  set_status (self, NULL);
  return self;
}

void
bx_transfer_panel_detach (BxTransferPanel *self)
{
  bx_transfer_panel_cancel (self);
  if (self->track != NULL && self->host != NULL)
    bx_view_host_remove_overlay_track (self->host, self->track);
  g_clear_object (&self->track);
  self->host = NULL;
}

void
bx_transfer_panel_load_setup (BxTransferPanel *self)
{
  load_spins (self);
  update_head_row (self);
  for (int side = 0; side < 2; side++)
    update_model_row (self, side);
  rebuild_recordings (self);
}

guint
bx_transfer_panel_get_n_loss_reports (BxTransferPanel *self)
{
  return self->n_loss_reports;
}

const char *
bx_transfer_panel_get_session_dir (BxTransferPanel *self)
{
  return self->session != NULL ? bx_transfer_session_get_dir (self->session) : NULL;
}

BxTransferState
bx_transfer_panel_get_state (BxTransferPanel *self)
{
  return self->state;
}

BxTransferSetup *
bx_transfer_panel_get_setup (BxTransferPanel *self)
{
  return self->setup;
}

const char *
bx_transfer_panel_get_last_error (BxTransferPanel *self)
{
  return self->last_error;
}

BxOverlayTrack *
bx_transfer_panel_get_track (BxTransferPanel *self)
{
  return self->track;
}

const BxMetrics *
bx_transfer_panel_get_metrics (BxTransferPanel *self)
{
  return self->metrics;
}

void
bx_transfer_panel_actions_ready (BxTransferPanel *self)
{
  update_sensitivity (self);
}
