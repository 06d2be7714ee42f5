/* bx-metrics.h — classification metrics, with scikit-learn's semantics.
 *
 * The paper reports balanced accuracy, macro-F1 and weighted-F1 (and the code
 * also computes accuracy and Cohen's kappa) through sklearn on the argmax of
 * the logits. We reproduce sklearn exactly, including which classes count:
 * F1 averages over the labels present in y_true ∪ y_pred, balanced accuracy
 * over the labels present in y_true.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint n_classes;
  guint n_samples;
  /* n_classes × n_classes, row = true class, column = predicted class. */
  guint *confusion;
  double accuracy;
  double balanced_accuracy;
  double cohen_kappa;
  double f1_macro;
  double f1_weighted;
  double *f1_per_class;       /* n_classes; 0 for a class absent from both */
  double *recall_per_class;   /* n_classes; NaN for a class absent from y_true */
  double *precision_per_class;/* n_classes; 0 when never predicted (sklearn zero_division=0) */
} BxMetrics;

/* Computes every metric for labels in [0, n_classes). Samples whose true or
 * predicted label is outside that range (e.g. -1 = unscored) are skipped and
 * counted in `n_skipped` (may be NULL). Returns NULL if no sample is left. */
BxMetrics *bx_metrics_compute (const int *y_true, const int *y_pred, gsize n, guint n_classes, gsize *n_skipped);
void bx_metrics_free (BxMetrics *metrics);

/* Macro-F1 alone (the position search calls it per fold). */
double bx_metrics_f1_macro (const int *y_true, const int *y_pred, gsize n, guint n_classes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxMetrics, bx_metrics_free)

G_END_DECLS
