/* bx-annotation-object.c — one annotation as a GObject, for list models. */
#include "bx-annotation-object.h"

struct _BxAnnotationObject
{
  GObject parent_instance;

  double onset;
  double duration;
  char *text;
};

G_DEFINE_FINAL_TYPE (BxAnnotationObject, bx_annotation_object, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ONSET,
  PROP_DURATION,
  PROP_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
bx_annotation_object_finalize (GObject *object)
{
  BxAnnotationObject *self = BX_ANNOTATION_OBJECT (object);

  g_free (self->text);
  G_OBJECT_CLASS (bx_annotation_object_parent_class)->finalize (object);
}

static void
bx_annotation_object_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BxAnnotationObject *self = BX_ANNOTATION_OBJECT (object);

  switch (prop_id)
    {
    case PROP_ONSET:
      g_value_set_double (value, self->onset);
      break;
    case PROP_DURATION:
      g_value_set_double (value, self->duration);
      break;
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bx_annotation_object_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  BxAnnotationObject *self = BX_ANNOTATION_OBJECT (object);

  switch (prop_id)
    {
    case PROP_ONSET:
      self->onset = g_value_get_double (value);
      break;
    case PROP_DURATION:
      self->duration = g_value_get_double (value);
      break;
    case PROP_TEXT:
      g_free (self->text);
      self->text = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bx_annotation_object_class_init (BxAnnotationObjectClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bx_annotation_object_finalize;
  object_class->get_property = bx_annotation_object_get_property;
  object_class->set_property = bx_annotation_object_set_property;

  properties[PROP_ONSET] = g_param_spec_double ("onset", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0,
                                                G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DURATION] = g_param_spec_double ("duration", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0,
                                                   G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY
                                                     | G_PARAM_STATIC_STRINGS);
  properties[PROP_TEXT] = g_param_spec_string ("text", NULL, NULL, NULL,
                                               G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bx_annotation_object_init (BxAnnotationObject *self)
{
}

BxAnnotationObject *
bx_annotation_object_new (double onset, double duration, const char *text)
{
  return g_object_new (BX_TYPE_ANNOTATION_OBJECT, "onset", onset, "duration", duration, "text", text, NULL);
}

double
bx_annotation_object_get_onset (BxAnnotationObject *self)
{
  return self->onset;
}

double
bx_annotation_object_get_duration (BxAnnotationObject *self)
{
  return self->duration;
}

const char *
bx_annotation_object_get_text (BxAnnotationObject *self)
{
  return self->text;
}
