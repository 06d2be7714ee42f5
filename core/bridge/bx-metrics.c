/* bx-metrics.c — sklearn-compatible classification metrics. */
#include "bx-metrics.h"

#include <math.h>

static void
f1_scores (const guint *cm, guint k, double *f1, double *precision, double *recall, gboolean *present,
           guint *support)
{
  for (guint c = 0; c < k; c++)
    {
      guint tp = cm[c * k + c];
      guint row = 0, col = 0;

      for (guint j = 0; j < k; j++)
        {
          row += cm[c * k + j];
          col += cm[j * k + c];
        }
      support[c] = row;
      present[c] = row > 0 || col > 0;
      precision[c] = col > 0 ? (double) tp / col : 0.0;
      recall[c] = row > 0 ? (double) tp / row : NAN;
      /* sklearn: F1 = 2TP / (2TP + FP + FN), 0 when the denominator is 0. */
      f1[c] = (row + col) > 0 ? 2.0 * tp / (double) (row + col) : 0.0;
    }
}

BxMetrics *
bx_metrics_compute (const int *y_true, const int *y_pred, gsize n, guint n_classes, gsize *n_skipped)
{
  g_autoptr (BxMetrics) m = g_new0 (BxMetrics, 1);
  g_autofree gboolean *present = NULL;
  g_autofree guint *support = NULL;
  gsize skipped = 0, correct = 0;
  guint n_present = 0, n_true_classes = 0;
  double sum_f1 = 0.0, sum_recall = 0.0, weighted = 0.0;
  double expected = 0.0;

  g_return_val_if_fail (n_classes > 0, NULL);

  m->n_classes = n_classes;
  m->confusion = g_new0 (guint, (gsize) n_classes * n_classes);
  m->f1_per_class = g_new0 (double, n_classes);
  m->recall_per_class = g_new0 (double, n_classes);
  m->precision_per_class = g_new0 (double, n_classes);
  present = g_new0 (gboolean, n_classes);
  support = g_new0 (guint, n_classes);

  for (gsize i = 0; i < n; i++)
    {
      if (y_true[i] < 0 || y_pred[i] < 0 || (guint) y_true[i] >= n_classes || (guint) y_pred[i] >= n_classes)
        {
          skipped++;
          continue;
        }
      m->confusion[(gsize) y_true[i] * n_classes + (gsize) y_pred[i]]++;
      m->n_samples++;
      correct += y_true[i] == y_pred[i];
    }
  if (n_skipped != NULL)
    *n_skipped = skipped;
  if (m->n_samples == 0)
    return NULL;

  f1_scores (m->confusion, n_classes, m->f1_per_class, m->precision_per_class, m->recall_per_class, present,
             support);
  for (guint c = 0; c < n_classes; c++)
    {
      if (present[c])
        {
          n_present++;
          sum_f1 += m->f1_per_class[c];
        }
      if (support[c] > 0)
        {
          n_true_classes++;
          sum_recall += m->recall_per_class[c];
        }
      weighted += m->f1_per_class[c] * support[c];
    }

  m->accuracy = (double) correct / m->n_samples;
  m->balanced_accuracy = sum_recall / n_true_classes;
  m->f1_macro = sum_f1 / n_present;
  m->f1_weighted = weighted / m->n_samples;

  /* Cohen's kappa = 1 − Σ w·O / Σ w·E with unweighted w (1 off the diagonal),
   * E = outer(row sums, column sums) / N, as sklearn computes it. */
  {
    double observed_off = 0.0;
    for (guint a = 0; a < n_classes; a++)
      for (guint b = 0; b < n_classes; b++)
        {
          guint col = 0;
          if (a == b)
            continue;
          for (guint j = 0; j < n_classes; j++)
            col += m->confusion[j * n_classes + b];
          observed_off += m->confusion[a * n_classes + b];
          expected += (double) support[a] * col / m->n_samples;
        }
    /* sklearn: 0/0 (one class only, in both truth and prediction) is NaN. */
    m->cohen_kappa = expected > 0.0 ? 1.0 - observed_off / expected : NAN;
  }
  return g_steal_pointer (&m);
}

void
bx_metrics_free (BxMetrics *metrics)
{
  if (metrics == NULL)
    return;
  g_free (metrics->confusion);
  g_free (metrics->f1_per_class);
  g_free (metrics->recall_per_class);
  g_free (metrics->precision_per_class);
  g_free (metrics);
}

double
bx_metrics_f1_macro (const int *y_true, const int *y_pred, gsize n, guint n_classes)
{
  g_autoptr (BxMetrics) m = bx_metrics_compute (y_true, y_pred, n, n_classes, NULL);

  return m != NULL ? m->f1_macro : 0.0;
}
