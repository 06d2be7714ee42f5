/* bx-annotation-object.h — one annotation as a GObject, for list models. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define BX_TYPE_ANNOTATION_OBJECT (bx_annotation_object_get_type ())
G_DECLARE_FINAL_TYPE (BxAnnotationObject, bx_annotation_object, BX, ANNOTATION_OBJECT, GObject)

BxAnnotationObject *bx_annotation_object_new (double onset, double duration, const char *text);
double bx_annotation_object_get_onset (BxAnnotationObject *self);
double bx_annotation_object_get_duration (BxAnnotationObject *self);
const char *bx_annotation_object_get_text (BxAnnotationObject *self);

G_END_DECLS
