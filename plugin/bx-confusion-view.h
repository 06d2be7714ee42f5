/* bx-confusion-view.h — a C×C confusion matrix.
 *
 * Rows are the true classes, columns the predicted ones. Each cell is shaded
 * by its row-normalised fraction (the share of that true class predicted as
 * the column's class) and shows its count; the class names label both axes.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define BX_TYPE_CONFUSION_VIEW (bx_confusion_view_get_type ())
G_DECLARE_FINAL_TYPE (BxConfusionView, bx_confusion_view, BX, CONFUSION_VIEW, GtkWidget)

GtkWidget *bx_confusion_view_new (void);

/* Copies `counts` (n_classes × n_classes, row-major: rows = truth, columns =
 * predicted) and the names (NULL, or n_classes strings; NULL = "0", "1", ...).
 * n_classes 0 clears the view. */
void bx_confusion_view_set_matrix (BxConfusionView *self, const guint *counts, guint n_classes,
                                   const char *const *class_names);
guint bx_confusion_view_get_n_classes (BxConfusionView *self);

/* A cell's rectangle at the current allocation (for tests); FALSE if none. */
gboolean bx_confusion_view_get_cell_rect (BxConfusionView *self, guint row, guint col, graphene_rect_t *rect);

G_END_DECLS
