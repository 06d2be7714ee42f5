/* bx-overlay-track.c — a per-epoch label track drawn over a recording. */
#include "bx-overlay-track.h"

#include <math.h>

struct _BxOverlayTrack
{
  GObject parent_instance;

  char *title;
  BxHypnogram *labels;
  gboolean visible;
};

G_DEFINE_FINAL_TYPE (BxOverlayTrack, bx_overlay_track, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_LABELS,
  PROP_VISIBLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
bx_overlay_track_finalize (GObject *object)
{
  BxOverlayTrack *self = BX_OVERLAY_TRACK (object);

  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->labels, bx_hypnogram_free);
  G_OBJECT_CLASS (bx_overlay_track_parent_class)->finalize (object);
}

static void
bx_overlay_track_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BxOverlayTrack *self = BX_OVERLAY_TRACK (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_LABELS:
      g_value_set_pointer (value, self->labels);
      break;
    case PROP_VISIBLE:
      g_value_set_boolean (value, self->visible);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bx_overlay_track_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  BxOverlayTrack *self = BX_OVERLAY_TRACK (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_free (self->title);
      self->title = g_value_dup_string (value);
      break;
    case PROP_VISIBLE:
      bx_overlay_track_set_visible (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bx_overlay_track_class_init (BxOverlayTrackClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bx_overlay_track_finalize;
  object_class->get_property = bx_overlay_track_get_property;
  object_class->set_property = bx_overlay_track_set_property;

  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL,
                                                G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                                                  | G_PARAM_STATIC_STRINGS);
  /* The BxHypnogram*, owned by the track; notified when replaced. */
  properties[PROP_LABELS] = g_param_spec_pointer ("labels", NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_VISIBLE] = g_param_spec_boolean ("visible", NULL, NULL, TRUE,
                                                   G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY
                                                     | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bx_overlay_track_init (BxOverlayTrack *self)
{
  self->visible = TRUE;
}

BxOverlayTrack *
bx_overlay_track_new (const char *title, const BxHypnogram *labels)
{
  BxOverlayTrack *self;

  g_return_val_if_fail (labels != NULL, NULL);

  self = g_object_new (BX_TYPE_OVERLAY_TRACK, "title", title, NULL);
  self->labels = bx_hypnogram_copy (labels);
  return self;
}

const char *
bx_overlay_track_get_title (BxOverlayTrack *self)
{
  g_return_val_if_fail (BX_IS_OVERLAY_TRACK (self), NULL);
  return self->title;
}

const BxHypnogram *
bx_overlay_track_get_labels (BxOverlayTrack *self)
{
  g_return_val_if_fail (BX_IS_OVERLAY_TRACK (self), NULL);
  return self->labels;
}

void
bx_overlay_track_set_labels (BxOverlayTrack *self, const BxHypnogram *labels)
{
  g_return_if_fail (BX_IS_OVERLAY_TRACK (self));
  g_return_if_fail (labels != NULL);

  g_clear_pointer (&self->labels, bx_hypnogram_free);
  self->labels = bx_hypnogram_copy (labels);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABELS]);
}

gboolean
bx_overlay_track_get_visible (BxOverlayTrack *self)
{
  g_return_val_if_fail (BX_IS_OVERLAY_TRACK (self), FALSE);
  return self->visible;
}

void
bx_overlay_track_set_visible (BxOverlayTrack *self, gboolean visible)
{
  g_return_if_fail (BX_IS_OVERLAY_TRACK (self));

  visible = !!visible;
  if (self->visible == visible)
    return;
  self->visible = visible;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VISIBLE]);
}

int
bx_overlay_track_label_at (BxOverlayTrack *self, double time_s, float *confidence)
{
  const BxHypnogram *h;
  double e;

  g_return_val_if_fail (BX_IS_OVERLAY_TRACK (self), BX_STAGE_UNKNOWN);

  h = self->labels;
  if (confidence != NULL)
    *confidence = 1.0f;
  e = floor ((time_s - h->start) / h->epoch_length);
  if (e < 0 || e >= h->n_epochs)
    return BX_STAGE_UNKNOWN;
  if (confidence != NULL && h->confidence != NULL)
    *confidence = h->confidence[(guint) e];
  return h->stages[(guint) e];
}
