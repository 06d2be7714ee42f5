/* bx-task-head.c — linear probe on pooled old-FM features. */
#include "bx-task-head.h"

#include <math.h>
#include <string.h>

#include "nn/bx-nn.h"

void
bx_task_head_params_init (BxTaskHeadParams *params)
{
  params->epochs = 50;
  params->batch_size = 64;
  params->learning_rate = 5e-4f;
  params->class_weights = BX_CLASS_WEIGHTS_INVERSE_COUNT;
  params->seed = 0;
}

BxTaskHead *
bx_task_head_new (guint n_features, guint n_classes, guint64 seed)
{
  BxTaskHead *head = g_new0 (BxTaskHead, 1);
  BxRng rng;

  head->n_features = n_features;
  head->n_classes = n_classes;
  head->weight = g_new (float, (gsize) n_classes * n_features);
  head->bias = g_new (float, n_classes);
  bx_rng_init (&rng, seed);
  bx_init_linear (&rng, head->weight, head->bias, (int) n_features, (int) n_classes);
  return head;
}

void
bx_task_head_free (BxTaskHead *head)
{
  if (head == NULL)
    return;
  g_free (head->weight);
  g_free (head->bias);
  g_strfreev (head->class_names);
  g_free (head);
}

void
bx_task_head_logits (const BxTaskHead *head, const float *features, gsize n, float *logits)
{
  bx_linear_forward (logits, features, head->weight, head->bias, (int) n, (int) head->n_features,
                     (int) head->n_classes);
}

void
bx_task_head_predict (const BxTaskHead *head, const float *features, gsize n, int *labels, float *confidence)
{
  const guint C = head->n_classes;
  g_autofree float *logits = g_new (float, n * C);
  g_autofree float *probs = g_new (float, n * C);

  bx_task_head_logits (head, features, n, logits);
  bx_softmax_forward (probs, logits, (int) n, (int) C);
  for (gsize i = 0; i < n; i++)
    {
      guint best = 0;
      for (guint c = 1; c < C; c++)
        if (logits[i * C + c] > logits[i * C + best])
          best = c;
      labels[i] = (int) best;
      if (confidence != NULL)
        confidence[i] = probs[i * C + best];
    }
}

gboolean
bx_task_head_fit (BxTaskHead *head, const float *features, const int *labels, gsize n,
                  const BxTaskHeadParams *params, float *loss_per_epoch, BxJob *job, GError **error)
{
  const guint D = head->n_features, C = head->n_classes;
  const guint bs = MAX (1u, MIN (params->batch_size, (guint) n));
  g_autofree float *class_weight = NULL;
  g_autofree gsize *order = g_new (gsize, n);
  g_autofree float *xb = g_new (float, (gsize) bs * D);
  g_autofree int *yb = g_new (int, bs);
  g_autofree float *logits = g_new (float, (gsize) bs * C);
  g_autofree float *probs = g_new (float, (gsize) bs * C);
  g_autofree float *d_logits = g_new (float, (gsize) bs * C);
  g_autofree float *grad = g_new (float, (gsize) C * D + C);
  g_autofree float *params_flat = g_new (float, (gsize) C * D + C);
  g_autoptr (BxAdamState) adam = bx_adam_state_new ((gsize) C * D + C);
  BxAdamConfig config = bx_adam_config_default (FALSE);
  guint64 total_steps = (guint64) params->epochs * ((n + bs - 1) / bs), step = 0;
  BxRng rng;

  if (n == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the task head needs labelled training windows; none given");
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    if (labels[i] < 0 || (guint) labels[i] >= C)
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "training label of window %" G_GSIZE_FORMAT " is %d, outside 0..%u", i, labels[i], C - 1);
        return FALSE;
      }
  for (gsize i = 0; i < n * D; i++)
    if (!isfinite (features[i]))
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                     "feature %" G_GSIZE_FORMAT " of training window %" G_GSIZE_FORMAT " is not finite", i % D,
                     i / D);
        return FALSE;
      }

  if (params->class_weights == BX_CLASS_WEIGHTS_INVERSE_COUNT)
    {
      g_autofree gsize *counts = g_new0 (gsize, C);
      class_weight = g_new (float, C);
      for (gsize i = 0; i < n; i++)
        counts[labels[i]]++;
      /* A class absent from training gets weight 0: it never occurs as a
       * target, so the value only matters for the denominator (it doesn't). */
      for (guint c = 0; c < C; c++)
        class_weight[c] = counts[c] > 0 ? 1.0f / (float) counts[c] : 0.0f;
    }

  config.lr = params->learning_rate;
  /* Parameters as one flat buffer (weight then bias) for one Adam state. */
  memcpy (params_flat, head->weight, sizeof (float) * C * D);
  memcpy (params_flat + (gsize) C * D, head->bias, sizeof (float) * C);
  bx_rng_init (&rng, params->seed);
  for (gsize i = 0; i < n; i++)
    order[i] = i;

  for (guint epoch = 0; epoch < params->epochs; epoch++)
    {
      double epoch_loss = 0.0;
      guint n_batches = 0;

      for (gsize i = n - 1; i > 0; i--)
        {
          gsize j = (gsize) (bx_rng_next_u64 (&rng) % (i + 1));
          gsize t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
      for (gsize start = 0; start < n; start += bs)
        {
          guint b = (guint) MIN ((gsize) bs, n - start);
          float loss;

          for (guint k = 0; k < b; k++)
            {
              memcpy (xb + (gsize) k * D, features + order[start + k] * D, sizeof (float) * D);
              yb[k] = labels[order[start + k]];
            }
          bx_linear_forward (logits, xb, params_flat, params_flat + (gsize) C * D, (int) b, (int) D, (int) C);
          loss = bx_cross_entropy_forward (probs, logits, yb, class_weight, (int) b, (int) C);
          memset (d_logits, 0, sizeof (float) * b * C);
          bx_cross_entropy_backward (d_logits, probs, yb, class_weight, (int) b, (int) C, 1.0f);
          memset (grad, 0, sizeof (float) * ((gsize) C * D + C));
          bx_linear_backward (NULL, grad, grad + (gsize) C * D, d_logits, xb, params_flat, (int) b, (int) D, (int) C);
          bx_adam_step (params_flat, grad, adam, &config);
          epoch_loss += loss;
          n_batches++;
          step++;
          if (job != NULL && !bx_job_progress (job, "head", NULL, (double) step / total_steps, loss, error))
            return FALSE;
        }
      if (loss_per_epoch != NULL)
        loss_per_epoch[epoch] = (float) (epoch_loss / n_batches);
    }
  memcpy (head->weight, params_flat, sizeof (float) * C * D);
  memcpy (head->bias, params_flat + (gsize) C * D, sizeof (float) * C);
  return TRUE;
}
