/* bx-annotation.c — growable, sortable list of timed text events. */
#include "bx-annotation.h"

#include <stdlib.h>

struct _BxAnnotationList
{
  GArray *items; /* BxAnnotation, owns .text */
};

static void
annotation_clear (gpointer data)
{
  BxAnnotation *annotation = data;

  g_clear_pointer (&annotation->text, g_free);
}

BxAnnotationList *
bx_annotation_list_new (void)
{
  BxAnnotationList *list = g_new0 (BxAnnotationList, 1);

  list->items = g_array_new (FALSE, TRUE, sizeof (BxAnnotation));
  g_array_set_clear_func (list->items, annotation_clear);
  return list;
}

void
bx_annotation_list_free (BxAnnotationList *list)
{
  if (list == NULL)
    return;
  g_array_unref (list->items);
  g_free (list);
}

void
bx_annotation_list_add (BxAnnotationList *list, double onset, double duration, const char *text)
{
  BxAnnotation annotation;

  g_return_if_fail (list != NULL);
  annotation.onset = onset;
  annotation.duration = duration;
  annotation.text = g_strdup (text != NULL ? text : "");
  g_array_append_val (list->items, annotation);
}

guint
bx_annotation_list_get_length (const BxAnnotationList *list)
{
  g_return_val_if_fail (list != NULL, 0);
  return list->items->len;
}

const BxAnnotation *
bx_annotation_list_get (const BxAnnotationList *list, guint index)
{
  g_return_val_if_fail (list != NULL, NULL);
  g_return_val_if_fail (index < list->items->len, NULL);
  return &g_array_index (list->items, BxAnnotation, index);
}

static int
compare_onset (gconstpointer a, gconstpointer b, gpointer user_data)
{
  const BxAnnotation *x = a;
  const BxAnnotation *y = b;

  return (x->onset > y->onset) - (x->onset < y->onset);
}

void
bx_annotation_list_sort (BxAnnotationList *list)
{
  g_return_if_fail (list != NULL);
  /* g_array_sort is qsort (not stable); g_qsort_with_data is a stable merge sort. */
  g_qsort_with_data (list->items->data, (gint)list->items->len, sizeof (BxAnnotation), compare_onset, NULL);
}

BxAnnotationList *
bx_annotation_list_copy (const BxAnnotationList *list)
{
  BxAnnotationList *copy = bx_annotation_list_new ();

  g_return_val_if_fail (list != NULL, copy);
  for (guint i = 0; i < list->items->len; i++)
    {
      const BxAnnotation *a = &g_array_index (list->items, BxAnnotation, i);
      bx_annotation_list_add (copy, a->onset, a->duration, a->text);
    }
  return copy;
}
