/* bx-document.c — recording + scoring (undo, autosave) + annotations + tracks. */
#include "config.h"

#include "bx-document.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>

#include "bx-annotation-object.h"
#include "recording/bx-labels-io.h"

#define AUTOSAVE_DELAY_MS 1000

typedef struct {
  guint epoch;
  gint8 before;
  gint8 after;
} Edit;

struct _BxDocument
{
  GObject parent_instance;

  BxRecording *recording;
  char *title;
  double duration;
  BxHypnogram *scoring;
  GArray *undo;   /* Edit */
  GArray *redo;   /* Edit */
  gboolean modified;
  gboolean restored;
  gboolean autosave_enabled;
  guint autosave_source;

  BxAnnotationList *annotations;
  GListStore *annotation_model;
  GListStore *tracks;
};

G_DEFINE_FINAL_TYPE (BxDocument, bx_document, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CAN_UNDO,
  PROP_CAN_REDO,
  PROP_MODIFIED,
  N_PROPS
};

enum {
  SCORING_CHANGED,
  ANNOTATIONS_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

char *
bx_document_get_autosave_path (BxDocument *self)
{
  const char *path = bx_recording_get_path (self->recording);
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, absolute, -1);
  g_autofree char *name = NULL;

  hash[16] = '\0';
  name = g_strdup_printf ("%s-%s.tsv", hash, self->title);
  return g_build_filename (g_get_user_data_dir (), "bioxbridge", "autosave", name, NULL);
}

gboolean
bx_document_autosave_now (BxDocument *self, GError **error)
{
  g_autofree char *path = bx_document_get_autosave_path (self);
  g_autofree char *dir = g_path_get_dirname (path);
  BxLabelWriteOptions options = { 0 };

  g_clear_handle_id (&self->autosave_source, g_source_remove);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _("Cannot create the autosave folder “%s”: %s"),
                   dir, g_strerror (saved));
      return FALSE;
    }
  options.format = BX_LABEL_FORMAT_TSV;
  return bx_labels_write_hypnogram (path, self->scoring, &options, error);
}

static gboolean
autosave_timeout (gpointer user_data)
{
  BxDocument *self = user_data;
  g_autoptr (GError) error = NULL;

  self->autosave_source = 0;
  if (!bx_document_autosave_now (self, &error))
    g_warning ("Autosave of the scoring failed: %s", error->message);
  return G_SOURCE_REMOVE;
}

static void
schedule_autosave (BxDocument *self)
{
  if (!self->autosave_enabled)
    return;
  g_clear_handle_id (&self->autosave_source, g_source_remove);
  self->autosave_source = g_timeout_add (AUTOSAVE_DELAY_MS, autosave_timeout, self);
}

void
bx_document_set_autosave_enabled (BxDocument *self, gboolean enabled)
{
  self->autosave_enabled = enabled;
  if (!enabled)
    g_clear_handle_id (&self->autosave_source, g_source_remove);
}

static void
bx_document_dispose (GObject *object)
{
  BxDocument *self = BX_DOCUMENT (object);

  /* A pending autosave is written now: closing must not lose the last key press. */
  if (self->autosave_source != 0)
    {
      g_autoptr (GError) error = NULL;

      if (!bx_document_autosave_now (self, &error))
        g_warning ("Autosave of the scoring failed: %s", error->message);
    }
  g_clear_object (&self->annotation_model);
  g_clear_object (&self->tracks);
  G_OBJECT_CLASS (bx_document_parent_class)->dispose (object);
}

static void
bx_document_finalize (GObject *object)
{
  BxDocument *self = BX_DOCUMENT (object);

  g_clear_pointer (&self->recording, bx_recording_unref);
  g_clear_pointer (&self->scoring, bx_hypnogram_free);
  g_clear_pointer (&self->annotations, bx_annotation_list_free);
  g_clear_pointer (&self->undo, g_array_unref);
  g_clear_pointer (&self->redo, g_array_unref);
  g_free (self->title);
  G_OBJECT_CLASS (bx_document_parent_class)->finalize (object);
}

static void
bx_document_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BxDocument *self = BX_DOCUMENT (object);

  switch (prop_id)
    {
    case PROP_CAN_UNDO:
      g_value_set_boolean (value, bx_document_can_undo (self));
      break;
    case PROP_CAN_REDO:
      g_value_set_boolean (value, bx_document_can_redo (self));
      break;
    case PROP_MODIFIED:
      g_value_set_boolean (value, self->modified);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bx_document_class_init (BxDocumentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bx_document_dispose;
  object_class->finalize = bx_document_finalize;
  object_class->get_property = bx_document_get_property;

  properties[PROP_CAN_UNDO] = g_param_spec_boolean ("can-undo", NULL, NULL, FALSE,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_REDO] = g_param_spec_boolean ("can-redo", NULL, NULL, FALSE,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODIFIED] = g_param_spec_boolean ("modified", NULL, NULL, FALSE,
                                                    G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SCORING_CHANGED] = g_signal_new ("scoring-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                           NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[ANNOTATIONS_CHANGED] = g_signal_new ("annotations-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                               0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
bx_document_init (BxDocument *self)
{
  self->undo = g_array_new (FALSE, FALSE, sizeof (Edit));
  self->redo = g_array_new (FALSE, FALSE, sizeof (Edit));
  self->annotation_model = g_list_store_new (BX_TYPE_ANNOTATION_OBJECT);
  self->tracks = g_list_store_new (BX_TYPE_OVERLAY_TRACK);
  self->autosave_enabled = TRUE;
}

/* Copies the epochs that overlap from `src` into `dst` (same grid). */
static void
copy_stages (BxHypnogram *dst, const BxHypnogram *src)
{
  for (guint e = 0; e < dst->n_epochs && e < src->n_epochs; e++)
    dst->stages[e] = src->stages[e];
}

BxDocument *
bx_document_new (BxRecording *recording)
{
  BxDocument *self = g_object_new (BX_TYPE_DOCUMENT, NULL);
  const BxAnnotationList *annotations = bx_recording_get_annotations (recording);
  g_autofree char *autosave = NULL;
  guint n_epochs;

  self->recording = bx_recording_ref (recording);
  self->title = g_path_get_basename (bx_recording_get_path (recording));
  self->annotations = annotations != NULL ? bx_annotation_list_copy (annotations) : bx_annotation_list_new ();
  self->duration = bx_recording_get_duration (recording);
  /* Annotation-only files (Sleep-EDF hypnograms) have no data: their span is the annotations'. */
  for (guint i = 0; i < bx_annotation_list_get_length (self->annotations); i++)
    {
      const BxAnnotation *a = bx_annotation_list_get (self->annotations, i);

      if (bx_recording_get_n_channels (recording) == 0)
        self->duration = MAX (self->duration, a->onset + MAX (a->duration, 0));
    }
  for (guint i = 0; i < bx_annotation_list_get_length (self->annotations); i++)
    {
      const BxAnnotation *a = bx_annotation_list_get (self->annotations, i);
      g_autoptr (BxAnnotationObject) item = bx_annotation_object_new (a->onset, a->duration, a->text);

      g_list_store_append (self->annotation_model, item);
    }

  n_epochs = (guint) MAX (1, ceil (self->duration / BX_DOCUMENT_EPOCH_LENGTH - 1e-9));
  self->scoring = bx_hypnogram_new (0, BX_DOCUMENT_EPOCH_LENGTH, n_epochs);
  for (guint e = 0; e < n_epochs; e++)
    self->scoring->stages[e] = BX_STAGE_UNKNOWN;

  autosave = bx_document_get_autosave_path (self);
  if (g_file_test (autosave, G_FILE_TEST_EXISTS))
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (BxHypnogram) saved = bx_labels_read_hypnogram (autosave, NULL, NULL, BX_DOCUMENT_EPOCH_LENGTH,
                                                                 self->duration, &error);

      if (saved != NULL)
        {
          copy_stages (self->scoring, saved);
          self->restored = TRUE;
        }
      else
        g_warning ("Ignoring the autosaved scoring: %s", error->message);
    }
  if (!self->restored)
    {
      g_autoptr (BxHypnogram) from_file = bx_hypnogram_from_annotations (self->annotations, BX_DOCUMENT_EPOCH_LENGTH,
                                                                         self->duration);

      if (from_file != NULL)
        copy_stages (self->scoring, from_file);
    }
  return self;
}

BxRecording *
bx_document_get_recording (BxDocument *self)
{
  return self->recording;
}

const char *
bx_document_get_title (BxDocument *self)
{
  return self->title;
}

double
bx_document_get_duration (BxDocument *self)
{
  return self->duration;
}

guint
bx_document_get_n_epochs (BxDocument *self)
{
  return self->scoring->n_epochs;
}

const BxHypnogram *
bx_document_get_scoring (BxDocument *self)
{
  return self->scoring;
}

int
bx_document_get_stage (BxDocument *self, guint epoch)
{
  g_return_val_if_fail (epoch < self->scoring->n_epochs, BX_STAGE_UNKNOWN);
  return self->scoring->stages[epoch];
}

static void
set_modified (BxDocument *self, gboolean modified)
{
  if (self->modified == modified)
    return;
  self->modified = modified;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODIFIED]);
}

static void
notify_undo_redo (BxDocument *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_UNDO]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_REDO]);
}

void
bx_document_set_stage (BxDocument *self, guint epoch, int stage)
{
  Edit edit;

  g_return_if_fail (BX_IS_DOCUMENT (self));
  g_return_if_fail (epoch < self->scoring->n_epochs);
  g_return_if_fail (stage >= BX_STAGE_UNKNOWN && stage <= BX_STAGE_MOVEMENT);

  if (self->scoring->stages[epoch] == stage)
    return;
  edit.epoch = epoch;
  edit.before = self->scoring->stages[epoch];
  edit.after = (gint8) stage;
  self->scoring->stages[epoch] = edit.after;
  g_array_append_val (self->undo, edit);
  g_array_set_size (self->redo, 0);
  set_modified (self, TRUE);
  notify_undo_redo (self);
  schedule_autosave (self);
  g_signal_emit (self, signals[SCORING_CHANGED], 0, (int) epoch);
}

gboolean
bx_document_can_undo (BxDocument *self)
{
  return self->undo->len > 0;
}

gboolean
bx_document_can_redo (BxDocument *self)
{
  return self->redo->len > 0;
}

static int
apply_history (BxDocument *self, GArray *from, GArray *to, gboolean undo)
{
  Edit edit;

  if (from->len == 0)
    return -1;
  edit = g_array_index (from, Edit, from->len - 1);
  g_array_set_size (from, from->len - 1);
  self->scoring->stages[edit.epoch] = undo ? edit.before : edit.after;
  g_array_append_val (to, edit);
  set_modified (self, TRUE);
  notify_undo_redo (self);
  schedule_autosave (self);
  g_signal_emit (self, signals[SCORING_CHANGED], 0, (int) edit.epoch);
  return (int) edit.epoch;
}

int
bx_document_undo (BxDocument *self)
{
  return apply_history (self, self->undo, self->redo, TRUE);
}

int
bx_document_redo (BxDocument *self)
{
  return apply_history (self, self->redo, self->undo, FALSE);
}

gboolean
bx_document_get_modified (BxDocument *self)
{
  return self->modified;
}

gboolean
bx_document_get_restored (BxDocument *self)
{
  return self->restored;
}

gboolean
bx_document_save_scoring (BxDocument *self, const char *path, GError **error)
{
  BxLabelWriteOptions options = { 0 };

  options.format = BX_LABEL_FORMAT_AUTO;
  options.merge_runs = FALSE;
  options.start = bx_recording_get_start (self->recording);
  options.patient_code = NULL;
  if (!bx_labels_write_hypnogram (path, self->scoring, &options, error))
    return FALSE;
  set_modified (self, FALSE);
  return TRUE;
}

const BxAnnotationList *
bx_document_get_annotations (BxDocument *self)
{
  return self->annotations;
}

GListModel *
bx_document_get_annotation_model (BxDocument *self)
{
  return G_LIST_MODEL (self->annotation_model);
}

static int
compare_annotation_onset (gconstpointer a, gconstpointer b, gpointer user_data)
{
  double x = bx_annotation_object_get_onset ((BxAnnotationObject *) a);
  double y = bx_annotation_object_get_onset ((BxAnnotationObject *) b);

  return (x > y) - (x < y);
}

void
bx_document_add_annotation (BxDocument *self, double onset, double duration, const char *text)
{
  g_autoptr (BxAnnotationObject) item = bx_annotation_object_new (onset, duration, text);

  bx_annotation_list_add (self->annotations, onset, duration, text);
  bx_annotation_list_sort (self->annotations);
  g_list_store_insert_sorted (self->annotation_model, item, compare_annotation_onset, NULL);
  g_signal_emit (self, signals[ANNOTATIONS_CHANGED], 0);
}

GListModel *
bx_document_get_tracks (BxDocument *self)
{
  return G_LIST_MODEL (self->tracks);
}

void
bx_document_add_track (BxDocument *self, BxOverlayTrack *track)
{
  g_list_store_append (self->tracks, track);
}

void
bx_document_remove_track (BxDocument *self, BxOverlayTrack *track)
{
  guint position;

  if (g_list_store_find (self->tracks, track, &position))
    g_list_store_remove (self->tracks, position);
}

BxOverlayTrack *
bx_document_load_track (BxDocument *self, const char *path, GError **error)
{
  g_autoptr (BxHypnogram) labels = bx_labels_read_hypnogram (path, NULL, NULL, BX_DOCUMENT_EPOCH_LENGTH,
                                                             self->duration, error);
  g_autofree char *title = NULL;
  BxOverlayTrack *track;

  if (labels == NULL)
    return NULL;
  title = g_path_get_basename (path);
  track = bx_overlay_track_new (title, labels);
  bx_document_add_track (self, track);
  return track;
}

int
bx_document_next_low_confidence (BxDocument *self, BxOverlayTrack *track, int from, double threshold)
{
  const BxHypnogram *lab = bx_overlay_track_get_labels (track);
  guint n = self->scoring->n_epochs;

  if (n == 0)
    return -1;
  for (guint k = 1; k <= n; k++)
    {
      guint e = (guint) ((from + (int) k) % (int) n);
      float conf;
      int stage = bx_overlay_track_label_at (track, (e + 0.5) * BX_DOCUMENT_EPOCH_LENGTH, &conf);

      if (stage >= 0 && lab->confidence != NULL && conf < threshold)
        return (int) e;
    }
  return -1;
}

guint
bx_document_agreement (BxDocument *self, BxOverlayTrack *track, double *out_accuracy, double *out_kappa)
{
  /* Cohen's kappa over the 7 stage codes: (po − pe) / (1 − pe). */
  double row[BX_STAGE_MOVEMENT + 1] = { 0 }, col[BX_STAGE_MOVEMENT + 1] = { 0 };
  guint n = 0, same = 0;
  double pe = 0, po;

  for (guint e = 0; e < self->scoring->n_epochs; e++)
    {
      int a = self->scoring->stages[e];
      int b = bx_overlay_track_label_at (track, (e + 0.5) * BX_DOCUMENT_EPOCH_LENGTH, NULL);

      if (a < 0 || b < 0 || a > BX_STAGE_MOVEMENT || b > BX_STAGE_MOVEMENT)
        continue;
      n++;
      same += a == b;
      row[a]++;
      col[b]++;
    }
  if (n == 0)
    {
      if (out_accuracy != NULL)
        *out_accuracy = NAN;
      if (out_kappa != NULL)
        *out_kappa = NAN;
      return 0;
    }
  po = (double) same / n;
  for (guint k = 0; k <= BX_STAGE_MOVEMENT; k++)
    pe += (row[k] / n) * (col[k] / n);
  if (out_accuracy != NULL)
    *out_accuracy = po;
  if (out_kappa != NULL)
    *out_kappa = pe < 1 ? (po - pe) / (1 - pe) : 1.0;
  return n;
}
