/* bx-task-head.h — the old modality's task head (spec §1.1, stage 1).
 *
 * A linear probe nn.Linear(D, C) on the pooled last-layer feature of the old
 * foundation model (mean over every dim except batch and feature, CLS tokens
 * included, no final norm). Trained with Adam on (optionally class-weighted)
 * cross-entropy, PyTorch semantics: weights w_c = 1/count_c, loss =
 * Σ w_y·NLL / Σ w_y. Batches are drawn like torch's RandomSampler (a fresh
 * permutation every epoch, last batch smaller, drop_last False) from a
 * seeded stream.
 */
#pragma once

#include <glib.h>

#include "jobs/bx-job.h"

G_BEGIN_DECLS

typedef struct {
  guint n_features;     /* D */
  guint n_classes;      /* C */
  float *weight;        /* C × D */
  float *bias;          /* C */
  GStrv class_names;    /* C names, or NULL */
} BxTaskHead;

typedef enum {
  BX_CLASS_WEIGHTS_NONE,            /* plain mean cross-entropy */
  BX_CLASS_WEIGHTS_INVERSE_COUNT,   /* 1/count of each class in the training labels */
} BxClassWeights;

typedef struct {
  guint epochs;                     /* 50 */
  guint batch_size;                 /* 64 */
  float learning_rate;              /* 5e-4 (ISRUC EEG→ECG) */
  BxClassWeights class_weights;
  guint64 seed;
} BxTaskHeadParams;

void bx_task_head_params_init (BxTaskHeadParams *params);

/* torch.nn.Linear init: U(−1/√D, 1/√D) for weight and bias. */
BxTaskHead *bx_task_head_new (guint n_features, guint n_classes, guint64 seed);
void bx_task_head_free (BxTaskHead *head);

/* Trains `head` in place on features (n × D) and labels in [0, C).
 * `loss_per_epoch` (params->epochs values, may be NULL) receives the mean
 * batch loss of each epoch. Reports stage "head" to `job` (may be NULL). */
gboolean bx_task_head_fit (BxTaskHead *head, const float *features, const int *labels, gsize n,
                           const BxTaskHeadParams *params, float *loss_per_epoch, BxJob *job, GError **error);

/* logits (n × C). */
void bx_task_head_logits (const BxTaskHead *head, const float *features, gsize n, float *logits);
/* argmax label and its softmax probability per row (confidence may be NULL).
 * The first maximum wins, as torch.argmax. */
void bx_task_head_predict (const BxTaskHead *head, const float *features, gsize n, int *labels,
                           float *confidence);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxTaskHead, bx_task_head_free)

G_END_DECLS
