/* bx-annotation.h — timed text events (EDF+ TALs, scoring, predictions). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  double onset;      /* seconds from the recording start (may be negative) */
  double duration;   /* seconds; 0 or negative = unknown / instantaneous */
  char *text;        /* UTF-8 */
} BxAnnotation;

/* A growable list of annotations, sorted by onset on request. Elements are
 * BxAnnotation; the list owns their text. */
typedef struct _BxAnnotationList BxAnnotationList;

BxAnnotationList *bx_annotation_list_new (void);
void bx_annotation_list_free (BxAnnotationList *list);
void bx_annotation_list_add (BxAnnotationList *list, double onset, double duration, const char *text);
guint bx_annotation_list_get_length (const BxAnnotationList *list);
const BxAnnotation *bx_annotation_list_get (const BxAnnotationList *list, guint index);
/* Stable sort by onset. */
void bx_annotation_list_sort (BxAnnotationList *list);
BxAnnotationList *bx_annotation_list_copy (const BxAnnotationList *list);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxAnnotationList, bx_annotation_list_free)

G_END_DECLS
