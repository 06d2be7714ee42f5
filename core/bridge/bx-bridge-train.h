/* bx-bridge-train.h — training the prototype bridge and predicting with it
 * (spec §1.4 stage 4 and §1.5).
 *
 * A training step runs only what depends on the bridge:
 *   x  = pooled new-FM output of layer m (cached, (Bs, d_new))
 *   y  = layout(bridge(x))                 the old FM's layer-l input
 *   ĥ  = old layers l .. L−1 (y)            (Bs, numel_L)
 *   loss = mean_b 1 − cos(ĥ_b, h_b)         h = cached old last-layer output
 * and back-propagates through the frozen old layers into A, B and the
 * prototypes (Adam, betas (0.9, 0.999), eps 1e-8, no weight decay). The
 * reference forwards both foundation models fully at every step; since both
 * are frozen and in eval mode the result is the same.
 *
 * Batches follow torch's RandomSampler (a new permutation each epoch, last
 * batch smaller) from a seeded stream, so a run is reproducible for a seed.
 */
#pragma once

#include "bridge/bx-proto-bridge.h"
#include "bridge/bx-task-head.h"
#include "jobs/bx-job.h"
#include "models/bx-model.h"

G_BEGIN_DECLS

typedef struct {
  guint epochs;          /* 50 */
  guint batch_size;      /* 16 */
  float learning_rate;   /* 1e-5 (ISRUC EEG→ECG) */
  guint64 seed;          /* 0 */
} BxBridgeTrainParams;

void bx_bridge_train_params_init (BxBridgeTrainParams *params);

/* How the bridge's (d_old, T) output feeds the old model's layer-l input, and
 * the sizes that follow from that layer's shape: d_old = its feature axis,
 * T = numel / d_old. LaBraM and PaPaGei: raw memory (the reference's
 * reshape / native (C, L)); HuBERT-ECG and NormWear: transposed. */
void bx_bridge_geometry (const BxModel *old_model, int l, guint *d_old, guint *n_tokens, BxBridgeLayout *layout);

/* Trains `bridge` in place. x_new (n, d_new); targets (n, numel of the old
 * last-layer output). loss_per_epoch (params->epochs, may be NULL) receives
 * the mean batch loss of each epoch; step_losses (may be NULL) the loss of
 * every step (epochs × ceil(n / batch) values). Stage "train" on `job`; on
 * cancel the bridge keeps the parameters of the last finished step. */
gboolean bx_bridge_train (BxModel *old_model, int l, BxProtoBridge *bridge, const float *x_new, const float *targets,
                          guint n, const BxBridgeTrainParams *params, float *loss_per_epoch, float *step_losses,
                          BxJob *job, GError **error);

/* One step on one batch with explicit rows (for tests and the reference
 * comparison): returns the loss; `grads` receives this step's gradients
 * (before the Adam update is applied to `bridge` when `adam` is non-NULL). */
typedef struct _BxBridgeOptimizer BxBridgeOptimizer;
BxBridgeOptimizer *bx_bridge_optimizer_new (const BxProtoBridge *bridge, float learning_rate);
void bx_bridge_optimizer_free (BxBridgeOptimizer *optimizer);
gboolean bx_bridge_step (BxModel *old_model, BxModelContext *ctx, int l, BxProtoBridge *bridge,
                         BxProtoBridgeWork *work, BxProtoBridgeGrads *grads, BxBridgeOptimizer *adam,
                         const float *x, const float *targets, guint batch, float *loss, GError **error);

/* Inference on the new modality alone (spec §1.5):
 *   logits = head(pool(old[l..L−1](layout(bridge(pool(new[0..m](x)))))))
 * new_prepared (n, new input numel). labels (n); probabilities (n × C, may be NULL). Stage "predict". */
gboolean bx_bridge_predict (BxModel *new_model, int m, const BxProtoBridge *bridge, BxModel *old_model, int l,
                            const BxTaskHead *head, const float *new_prepared, guint n, guint batch, int *labels,
                            float *probabilities, BxJob *job, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxBridgeOptimizer, bx_bridge_optimizer_free)

G_END_DECLS
