/* bx-pair-features.c — one pass of each frozen model over the pair set. */
#include "bx-pair-features.h"

#include <math.h>
#include <string.h>

void
bx_pair_features_free (BxPairFeatures *f)
{
  if (f == NULL)
    return;
  for (int i = 0; i < f->n_new_layers; i++)
    g_free (f->new_pooled[i]);
  for (int j = 0; j < f->n_old_layers; j++)
    g_free (f->old_pooled_in[j]);
  g_free (f->new_pooled);
  g_free (f->old_pooled_in);
  g_free (f->new_dim);
  g_free (f->old_in_dim);
  g_free (f->targets);
  g_free (f->pseudo_labels);
  g_free (f->pseudo_confidence);
  g_free (f);
}

/* Buffers for every hook output of one batch. */
typedef struct {
  int n_layers;
  float **captures;
} Captures;

static void
captures_init (Captures *c, const BxModel *model, int n_layers, guint batch)
{
  c->n_layers = n_layers;
  c->captures = g_new0 (float *, bx_model_get_n_layers (model));
  for (int i = 0; i < n_layers; i++)
    c->captures[i] = g_new (float, (gsize) batch * bx_model_layer_numel (model, i, FALSE));
}

static void
captures_clear (Captures *c)
{
  for (int i = 0; i < c->n_layers; i++)
    g_free (c->captures[i]);
  g_clear_pointer (&c->captures, g_free);
}

gboolean
bx_model_pooled_outputs (BxModel *model, const float *prepared, guint n, guint batch, int last_layer,
                         float **pooled_out, BxJob *job, const char *stage, GError **error)
{
  g_autoptr (BxModelContext) ctx = bx_model_context_new ();
  gsize in_numel = (gsize) bx_model_layer_numel (model, -1, TRUE);
  Captures cap;
  gboolean ok = TRUE;

  g_return_val_if_fail (last_layer >= 0 && last_layer < bx_model_get_n_layers (model), FALSE);
  batch = MAX (1u, MIN (batch, n));
  captures_init (&cap, model, last_layer + 1, batch);
  for (guint start = 0; start < n && ok; start += batch)
    {
      guint b = MIN (batch, n - start);

      ok = bx_model_forward (model, ctx, (int) b, BX_MODEL_FROM_PREPARED, last_layer + 1, prepared + start * in_numel,
                             NULL, cap.captures, FALSE, error);
      for (int i = 0; ok && i <= last_layer; i++)
        if (pooled_out[i] != NULL)
          ok = bx_model_pool (model, i, FALSE, cap.captures[i], (int) b, pooled_out[i] + (gsize) start
                              * bx_model_feature_dim (model, i, FALSE), error);
      if (ok && job != NULL)
        ok = bx_job_progress (job, stage, NULL, (double) (start + b) / n, NAN, error);
    }
  captures_clear (&cap);
  return ok;
}

BxPairFeatures *
bx_pair_features_compute (BxModel *old_model, BxModel *new_model, const BxTaskHead *head, const float *old_prepared,
                          const float *new_prepared, guint n, guint batch, gboolean keep_targets, BxJob *job,
                          GError **error)
{
  g_autoptr (BxPairFeatures) f = g_new0 (BxPairFeatures, 1);
  g_autoptr (BxModelContext) ctx = bx_model_context_new ();
  const int L = bx_model_get_n_layers (old_model);
  gsize old_in_numel = (gsize) bx_model_layer_numel (old_model, -1, TRUE);
  gsize stem_numel = (gsize) bx_model_layer_numel (old_model, 0, TRUE);
  guint d_last = (guint) bx_model_feature_dim (old_model, L - 1, FALSE);
  g_autofree float *stem = NULL;
  g_autofree float *pooled_last = NULL;
  Captures cap;
  gboolean ok = TRUE;

  if (head->n_features != d_last)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT,
                   "the task head expects %u features but the old model's last layer pools to %u", head->n_features,
                   d_last);
      return NULL;
    }
  batch = MAX (1u, MIN (batch, n));
  f->n = n;
  f->n_classes = head->n_classes;
  f->n_new_layers = bx_model_get_n_layers (new_model);
  f->n_old_layers = L;
  f->new_dim = g_new (guint, f->n_new_layers);
  f->new_pooled = g_new0 (float *, f->n_new_layers);
  for (int i = 0; i < f->n_new_layers; i++)
    {
      f->new_dim[i] = (guint) bx_model_feature_dim (new_model, i, FALSE);
      f->new_pooled[i] = g_new (float, (gsize) n * f->new_dim[i]);
    }
  f->old_in_dim = g_new (guint, L);
  f->old_pooled_in = g_new0 (float *, L);
  for (int j = 0; j < L; j++)
    {
      f->old_in_dim[j] = (guint) bx_model_feature_dim (old_model, j, TRUE);
      f->old_pooled_in[j] = g_new (float, (gsize) n * f->old_in_dim[j]);
    }
  f->target_numel = (gsize) bx_model_layer_numel (old_model, L - 1, FALSE);
  if (keep_targets)
    f->targets = g_new (float, n * f->target_numel);
  f->pseudo_labels = g_new (int, n);
  f->pseudo_confidence = g_new (float, n);

  /* New FM: pooled output of every layer. */
  if (!bx_model_pooled_outputs (new_model, new_prepared, n, batch, f->n_new_layers - 1, f->new_pooled, job,
                                "features", error))
    return NULL;

  /* Old FM: stem, then all layers with every output captured. */
  stem = g_new (float, (gsize) batch * stem_numel);
  pooled_last = g_new (float, (gsize) batch * d_last);
  captures_init (&cap, old_model, L, batch);
  for (guint start = 0; start < n && ok; start += batch)
    {
      guint b = MIN (batch, n - start);

      ok = bx_model_forward (old_model, ctx, (int) b, BX_MODEL_FROM_PREPARED, 0,
                             old_prepared + start * old_in_numel, stem, NULL, FALSE, error)
           && bx_model_forward (old_model, ctx, (int) b, 0, L, stem, NULL, cap.captures, FALSE, error)
           && bx_model_pool (old_model, 0, TRUE, stem, (int) b, f->old_pooled_in[0] + (gsize) start * f->old_in_dim[0],
                             error);
      /* The input of layer j is the output of layer j − 1. */
      for (int j = 1; ok && j < L; j++)
        ok = bx_model_pool (old_model, j, TRUE, cap.captures[j - 1], (int) b,
                            f->old_pooled_in[j] + (gsize) start * f->old_in_dim[j], error);
      ok = ok && bx_model_pool (old_model, L - 1, FALSE, cap.captures[L - 1], (int) b, pooled_last, error);
      if (!ok)
        break;
      if (keep_targets)
        memcpy (f->targets + start * f->target_numel, cap.captures[L - 1], sizeof (float) * b * f->target_numel);
      bx_task_head_predict (head, pooled_last, b, f->pseudo_labels + start, f->pseudo_confidence + start);
      if (job != NULL)
        ok = bx_job_progress (job, "features", "old model", (double) (start + b) / n, NAN, error);
    }
  captures_clear (&cap);
  if (!ok)
    return NULL;
  return g_steal_pointer (&f);
}
