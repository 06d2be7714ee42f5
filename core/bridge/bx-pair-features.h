/* bx-pair-features.h — what the frozen foundation models say about the
 * paired windows, computed once (spec §1.2, and §1.4's note that a port may
 * precompute everything a training step needs).
 *
 * One forward of each model over the pair set gives
 *   - new FM: the pooled output of every layer i          (N, d_new_i)
 *       candidates for the bridge input position m;
 *   - old FM: the pooled input of every layer j            (N, d_old_j)
 *       for the output-position CKA (input of layer 0 = stem output);
 *   - old FM: the full last-layer output                  (N, numel_L)
 *       the cosine-loss targets h_L of bridge training;
 *   - pseudo labels = argmax head(pool(last-layer output)) (N).
 * Pooling is the linear probe's (mean over every dim except batch and feature,
 * CLS tokens included). Inputs are the models' prepared inputs; each model's
 * input shape must be set (bx_model_set_input_shape).
 */
#pragma once

#include "bridge/bx-task-head.h"
#include "jobs/bx-job.h"
#include "models/bx-model.h"

G_BEGIN_DECLS

typedef struct {
  guint n;                  /* windows */
  int n_new_layers;
  int n_old_layers;
  guint *new_dim;           /* n_new_layers feature sizes */
  float **new_pooled;       /* n_new_layers × (n, new_dim[i]) */
  guint *old_in_dim;        /* n_old_layers */
  float **old_pooled_in;    /* n_old_layers × (n, old_in_dim[j]) */
  gsize target_numel;       /* per-sample size of the old last-layer output */
  float *targets;           /* (n, target_numel), or NULL if not kept */
  guint n_classes;
  int *pseudo_labels;       /* n */
  float *pseudo_confidence; /* n, softmax probability of the pseudo label */
} BxPairFeatures;

/* old_prepared: (n, old input numel); new_prepared: (n, new input numel).
 * Processes `batch` windows at a time. keep_targets = FALSE skips the large
 * last-layer outputs (position search only). Stage "features" on `job`. */
BxPairFeatures *bx_pair_features_compute (BxModel *old_model, BxModel *new_model, const BxTaskHead *head,
                                          const float *old_prepared, const float *new_prepared, guint n,
                                          guint batch, gboolean keep_targets, BxJob *job, GError **error);
void bx_pair_features_free (BxPairFeatures *features);

/* Pooled output of every layer of one model for n prepared windows (n_layers
 * arrays of (n, dim[i])), plus optionally the pooled last-layer output
 * passed through `head` into labels/confidence. Used for the new FM above,
 * for task-head training data (old FM, last layer) and for inference. */
gboolean bx_model_pooled_outputs (BxModel *model, const float *prepared, guint n, guint batch, int last_layer,
                                  float **pooled_out, BxJob *job, const char *stage, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxPairFeatures, bx_pair_features_free)

G_END_DECLS
