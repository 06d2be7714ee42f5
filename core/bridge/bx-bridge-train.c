/* bx-bridge-train.c — bridge training steps through the frozen old model. */
#include "bx-bridge-train.h"

#include <math.h>
#include <string.h>

#include "nn/bx-nn.h"

void
bx_bridge_train_params_init (BxBridgeTrainParams *params)
{
  params->epochs = 50;
  params->batch_size = 16;
  params->learning_rate = 1e-5f;
  params->seed = 0;
}

void
bx_bridge_geometry (const BxModel *old_model, int l, guint *d_old, guint *n_tokens, BxBridgeLayout *layout)
{
  gint64 numel = bx_model_layer_numel (old_model, l, TRUE);
  int d = bx_model_feature_dim (old_model, l, TRUE);
  BxModelFamily family = bx_model_get_family (old_model);

  *d_old = (guint) d;
  *n_tokens = (guint) (numel / d);
  *layout = family == BX_MODEL_FAMILY_LABRAM || family == BX_MODEL_FAMILY_PAPAGEI ? BX_BRIDGE_LAYOUT_RAW
                                                                                 : BX_BRIDGE_LAYOUT_TRANSPOSE;
}

struct _BxBridgeOptimizer {
  BxAdamConfig config;
  BxAdamState *A, *B, *prototypes;
};

BxBridgeOptimizer *
bx_bridge_optimizer_new (const BxProtoBridge *bridge, float learning_rate)
{
  BxBridgeOptimizer *o = g_new0 (BxBridgeOptimizer, 1);

  o->config = bx_adam_config_default (FALSE);
  o->config.lr = learning_rate;
  o->A = bx_adam_state_new ((size_t) bridge->rank * bridge->d_new);
  o->B = bx_adam_state_new ((size_t) bridge->n_prototypes * bridge->n_tokens * bridge->rank);
  o->prototypes = bx_adam_state_new ((size_t) bridge->d_old * bridge->n_prototypes);
  return o;
}

void
bx_bridge_optimizer_free (BxBridgeOptimizer *o)
{
  if (o == NULL)
    return;
  bx_adam_state_free (o->A);
  bx_adam_state_free (o->B);
  bx_adam_state_free (o->prototypes);
  g_free (o);
}

/* Per-step buffers sized for one batch. */
typedef struct {
  float *y, *pred, *d_pred, *d_y;
} StepBuffers;

static gboolean
step_with (BxModel *old_model, BxModelContext *ctx, int l, BxProtoBridge *bridge, BxProtoBridgeWork *work,
           BxProtoBridgeGrads *grads, BxBridgeOptimizer *adam, const float *x, const float *targets, guint batch,
           StepBuffers *buf, float *loss, GError **error)
{
  const int L = bx_model_get_n_layers (old_model);
  const gsize out_numel = (gsize) bx_model_layer_numel (old_model, L - 1, FALSE);

  bx_proto_bridge_forward (bridge, work, x, batch, buf->y);
  if (!bx_model_forward (old_model, ctx, (int) batch, l, L, buf->y, buf->pred, NULL, TRUE, error))
    return FALSE;
  *loss = bx_cosine_embedding_loss_forward (buf->pred, targets, (int) batch, (int) out_numel);
  memset (buf->d_pred, 0, sizeof (float) * batch * out_numel);
  bx_cosine_embedding_loss_backward (buf->d_pred, NULL, buf->pred, targets, (int) batch, (int) out_numel, 1.0f);
  if (!bx_model_backward (old_model, ctx, buf->d_pred, buf->d_y, error))
    return FALSE;
  bx_proto_bridge_grads_zero (bridge, grads);
  bx_proto_bridge_backward (bridge, work, x, buf->d_y, batch, grads);
  if (adam != NULL)
    {
      bx_adam_step (bridge->A, grads->A, adam->A, &adam->config);
      bx_adam_step (bridge->B, grads->B, adam->B, &adam->config);
      bx_adam_step (bridge->prototypes, grads->prototypes, adam->prototypes, &adam->config);
    }
  return TRUE;
}

static void
step_buffers_init (StepBuffers *buf, const BxModel *old_model, int l, guint batch)
{
  const int L = bx_model_get_n_layers (old_model);
  gsize in_numel = (gsize) bx_model_layer_numel (old_model, l, TRUE);
  gsize out_numel = (gsize) bx_model_layer_numel (old_model, L - 1, FALSE);

  buf->y = g_new (float, batch * in_numel);
  buf->d_y = g_new (float, batch * in_numel);
  buf->pred = g_new (float, batch * out_numel);
  buf->d_pred = g_new (float, batch * out_numel);
}

static void
step_buffers_clear (StepBuffers *buf)
{
  g_free (buf->y);
  g_free (buf->d_y);
  g_free (buf->pred);
  g_free (buf->d_pred);
}

static gboolean
check_geometry (const BxModel *old_model, int l, const BxProtoBridge *bridge, GError **error)
{
  guint d_old, T;
  BxBridgeLayout layout;

  if (l < 0 || l >= bx_model_get_n_layers (old_model))
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_RANGE, "output position %d is outside the old model's layers 0..%d",
                   l, bx_model_get_n_layers (old_model) - 1);
      return FALSE;
    }
  bx_bridge_geometry (old_model, l, &d_old, &T, &layout);
  if (d_old != bridge->d_old || T != bridge->n_tokens)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT,
                   "the bridge produces %u × %u values but the old model's layer %d takes %u × %u", bridge->d_old,
                   bridge->n_tokens, l, d_old, T);
      return FALSE;
    }
  return TRUE;
}

gboolean
bx_bridge_step (BxModel *old_model, BxModelContext *ctx, int l, BxProtoBridge *bridge, BxProtoBridgeWork *work,
                BxProtoBridgeGrads *grads, BxBridgeOptimizer *adam, const float *x, const float *targets, guint batch,
                float *loss, GError **error)
{
  StepBuffers buf;
  gboolean ok;

  if (!check_geometry (old_model, l, bridge, error))
    return FALSE;
  step_buffers_init (&buf, old_model, l, batch);
  ok = step_with (old_model, ctx, l, bridge, work, grads, adam, x, targets, batch, &buf, loss, error);
  step_buffers_clear (&buf);
  return ok;
}

gboolean
bx_bridge_train (BxModel *old_model, int l, BxProtoBridge *bridge, const float *x_new, const float *targets, guint n,
                 const BxBridgeTrainParams *params, float *loss_per_epoch, float *step_losses, BxJob *job,
                 GError **error)
{
  const int L = bx_model_get_n_layers (old_model);
  const gsize out_numel = (gsize) bx_model_layer_numel (old_model, L - 1, FALSE);
  const guint bs = MAX (1u, MIN (params->batch_size, n));
  const guint steps_per_epoch = (n + bs - 1) / bs;
  g_autoptr (BxModelContext) ctx = bx_model_context_new ();
  g_autoptr (BxProtoBridgeWork) work = NULL;
  g_autoptr (BxProtoBridgeGrads) grads = NULL;
  g_autoptr (BxBridgeOptimizer) adam = NULL;
  g_autofree guint *order = NULL;
  g_autofree float *xb = NULL;
  g_autofree float *tb = NULL;
  StepBuffers buf;
  guint64 step = 0, total = (guint64) params->epochs * steps_per_epoch;
  gboolean ok = TRUE;
  BxRng rng;

  if (n == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "bridge training needs paired windows; none given");
      return FALSE;
    }
  if (!check_geometry (old_model, l, bridge, error))
    return FALSE;

  work = bx_proto_bridge_work_new (bridge, bs);
  grads = bx_proto_bridge_grads_new (bridge);
  adam = bx_bridge_optimizer_new (bridge, params->learning_rate);
  order = g_new (guint, n);
  xb = g_new (float, (gsize) bs * bridge->d_new);
  tb = g_new (float, (gsize) bs * out_numel);
  step_buffers_init (&buf, old_model, l, bs);
  bx_rng_init (&rng, params->seed);
  for (guint i = 0; i < n; i++)
    order[i] = i;

  for (guint epoch = 0; ok && epoch < params->epochs; epoch++)
    {
      double epoch_loss = 0.0;

      for (guint i = n - 1; i > 0; i--)
        {
          guint j = (guint) (bx_rng_next_u64 (&rng) % (i + 1));
          guint t = order[i];
          order[i] = order[j];
          order[j] = t;
        }
      for (guint s = 0; ok && s < steps_per_epoch; s++)
        {
          guint start = s * bs, b = MIN (bs, n - start);
          float loss = 0.0f;

          for (guint k = 0; k < b; k++)
            {
              memcpy (xb + (gsize) k * bridge->d_new, x_new + (gsize) order[start + k] * bridge->d_new,
                      sizeof (float) * bridge->d_new);
              memcpy (tb + (gsize) k * out_numel, targets + (gsize) order[start + k] * out_numel,
                      sizeof (float) * out_numel);
            }
          ok = step_with (old_model, ctx, l, bridge, work, grads, adam, xb, tb, b, &buf, &loss, error);
          if (!ok)
            break;
          if (!isfinite (loss))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "bridge training diverged: loss is %g at epoch %u, step %u (lower the learning rate)",
                           loss, epoch + 1, s + 1);
              ok = FALSE;
              break;
            }
          epoch_loss += loss;
          if (step_losses != NULL)
            step_losses[step] = loss;
          step++;
          if (job != NULL)
            {
              g_autofree char *detail = g_strdup_printf ("epoch %u of %u", epoch + 1, params->epochs);
              ok = bx_job_progress (job, "train", detail, (double) step / total, loss, error);
            }
        }
      if (ok && loss_per_epoch != NULL)
        loss_per_epoch[epoch] = (float) (epoch_loss / steps_per_epoch);
    }
  step_buffers_clear (&buf);
  return ok;
}

gboolean
bx_bridge_predict (BxModel *new_model, int m, const BxProtoBridge *bridge, BxModel *old_model, int l,
                   const BxTaskHead *head, const float *new_prepared, guint n, guint batch, int *labels,
                   float *probabilities, BxJob *job, GError **error)
{
  const int L = bx_model_get_n_layers (old_model);
  const guint C = head->n_classes;
  gsize new_in = (gsize) bx_model_layer_numel (new_model, -1, TRUE);
  gsize new_out = (gsize) bx_model_layer_numel (new_model, m, FALSE);
  gsize old_in = (gsize) bx_model_layer_numel (old_model, l, TRUE);
  gsize old_out = (gsize) bx_model_layer_numel (old_model, L - 1, FALSE);
  guint d_last = (guint) bx_model_feature_dim (old_model, L - 1, FALSE);
  g_autoptr (BxModelContext) new_ctx = bx_model_context_new ();
  g_autoptr (BxModelContext) old_ctx = bx_model_context_new ();
  g_autoptr (BxProtoBridgeWork) work = NULL;
  g_autofree float *act = NULL, *x = NULL, *y = NULL, *last = NULL, *pooled = NULL, *logits = NULL, *conf = NULL;
  gboolean ok = TRUE;

  if (m < 0 || m >= bx_model_get_n_layers (new_model))
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_RANGE, "input position %d is outside the new model's layers 0..%d",
                   m, bx_model_get_n_layers (new_model) - 1);
      return FALSE;
    }
  if (!check_geometry (old_model, l, bridge, error))
    return FALSE;
  if ((guint) bx_model_feature_dim (new_model, m, FALSE) != bridge->d_new || head->n_features != d_last)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT,
                   "bridge input (%u) or task head (%u features) do not fit the models (%d, %u)", bridge->d_new,
                   head->n_features, bx_model_feature_dim (new_model, m, FALSE), d_last);
      return FALSE;
    }
  batch = MAX (1u, MIN (batch, n));
  work = bx_proto_bridge_work_new (bridge, batch);
  act = g_new (float, batch * new_out);
  x = g_new (float, (gsize) batch * bridge->d_new);
  y = g_new (float, batch * old_in);
  last = g_new (float, batch * old_out);
  pooled = g_new (float, (gsize) batch * d_last);
  logits = g_new (float, (gsize) batch * C);
  conf = g_new (float, batch);

  for (guint start = 0; ok && start < n; start += batch)
    {
      guint b = MIN (batch, n - start);

      ok = bx_model_forward (new_model, new_ctx, (int) b, BX_MODEL_FROM_PREPARED, m + 1, new_prepared + start * new_in,
                             act, NULL, FALSE, error)
           && bx_model_pool (new_model, m, FALSE, act, (int) b, x, error);
      if (!ok)
        break;
      bx_proto_bridge_forward (bridge, work, x, b, y);
      ok = bx_model_forward (old_model, old_ctx, (int) b, l, L, y, last, NULL, FALSE, error)
           && bx_model_pool (old_model, L - 1, FALSE, last, (int) b, pooled, error);
      if (!ok)
        break;
      bx_task_head_predict (head, pooled, b, labels + start, conf);
      if (probabilities != NULL)
        {
          bx_task_head_logits (head, pooled, b, logits);
          bx_softmax_forward (probabilities + (gsize) start * C, logits, (int) b, (int) C);
        }
      if (job != NULL)
        ok = bx_job_progress (job, "predict", NULL, (double) (start + b) / n, NAN, error);
    }
  return ok;
}
