/* bx-loss.c — weighted softmax cross-entropy and cosine embedding loss, with
 * PyTorch's exact reduction semantics. Sums in double. */
#include "bx-nn.h"

#include <math.h>

float
bx_cross_entropy_forward (float *probs, const float *logits, const int *targets, const float *class_weights,
                          int batch, int n_classes)
{
  double num = 0.0, den = 0.0;
  for (int b = 0; b < batch; b++)
    {
      const float *z = logits + (size_t) b * n_classes;
      float *p = probs + (size_t) b * n_classes;
      double mx = z[0];
      for (int c = 1; c < n_classes; c++)
        mx = MAX (mx, z[c]);
      double sum = 0.0;
      for (int c = 0; c < n_classes; c++)
        sum += exp (z[c] - mx);
      double log_sum = log (sum);
      for (int c = 0; c < n_classes; c++)
        p[c] = (float) exp (z[c] - mx - log_sum);
      int y = targets[b];
      g_return_val_if_fail (y >= 0 && y < n_classes, NAN);
      double w = class_weights != NULL ? class_weights[y] : 1.0;
      num += w * -(z[y] - mx - log_sum);
      den += w;
    }
  return (float) (num / den);
}

void
bx_cross_entropy_backward (float *d_logits, const float *probs, const int *targets, const float *class_weights,
                           int batch, int n_classes, float d_loss)
{
  double den = 0.0;
  for (int b = 0; b < batch; b++)
    den += class_weights != NULL ? class_weights[targets[b]] : 1.0;
  for (int b = 0; b < batch; b++)
    {
      int y = targets[b];
      double w = (class_weights != NULL ? class_weights[y] : 1.0) * d_loss / den;
      const float *p = probs + (size_t) b * n_classes;
      float *dz = d_logits + (size_t) b * n_classes;
      for (int c = 0; c < n_classes; c++)
        dz[c] += (float) (w * (p[c] - (c == y ? 1.0 : 0.0)));
    }
}

/* PyTorch cosine_embedding_loss: EPSILON = 1e-12 added to each squared norm. */
#define COS_EPS 1e-12

float
bx_cosine_embedding_loss_forward (const float *a, const float *b, int batch, int dim)
{
  double total = 0.0;
  for (int i = 0; i < batch; i++)
    {
      const float *x = a + (size_t) i * dim, *y = b + (size_t) i * dim;
      double xy = 0.0, xx = 0.0, yy = 0.0;
      for (int d = 0; d < dim; d++)
        {
          xy += (double) x[d] * y[d];
          xx += (double) x[d] * x[d];
          yy += (double) y[d] * y[d];
        }
      total += 1.0 - xy / sqrt ((xx + COS_EPS) * (yy + COS_EPS));
    }
  return (float) (total / batch);
}

void
bx_cosine_embedding_loss_backward (float *d_a, float *d_b, const float *a, const float *b, int batch, int dim,
                                   float d_loss)
{
  for (int i = 0; i < batch; i++)
    {
      const float *x = a + (size_t) i * dim, *y = b + (size_t) i * dim;
      double xy = 0.0, xx = 0.0, yy = 0.0;
      for (int d = 0; d < dim; d++)
        {
          xy += (double) x[d] * y[d];
          xx += (double) x[d] * x[d];
          yy += (double) y[d] * y[d];
        }
      double mx = xx + COS_EPS, my = yy + COS_EPS;
      double den = sqrt (mx * my), cosv = xy / den;
      /* ∂cos/∂x = y/den − cos·x/mx; loss = mean(1 − cos) */
      double s = -(double) d_loss / batch;
      for (int d = 0; d < dim; d++)
        {
          if (d_a != NULL)
            d_a[(size_t) i * dim + d] += (float) (s * (y[d] / den - cosv * x[d] / mx));
          if (d_b != NULL)
            d_b[(size_t) i * dim + d] += (float) (s * (x[d] / den - cosv * y[d] / my));
        }
    }
}
