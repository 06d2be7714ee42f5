/* bx-compact-private.h — what bx-compact.c (nn side) shares with
 * bx-compact-io.c (io side); neither nn nor io types appear here (both
 * define a BxTensor). */
#pragma once

#include "bx-compact.h"
#include "bx-model-private.h"

G_BEGIN_DECLS

/* One trainable tensor: an encoder parameter (data owned by the model) or a
 * pretraining-head tensor (data owned by the trainer). */
typedef struct
{
  char *name;
  int ndim;
  gint64 shape[4];
  gsize numel;
  float *data;
  gboolean owned;
  float *grad, *m, *v; /* AdamW moments */
} BxCompactParam;

struct _BxCompactTrainer
{
  BxModel *model;
  GPtrArray *params; /* BxCompactParam*, encoder first, then mask_token, decoder.weight, decoder.bias */
  gint64 step;
  gpointer nn; /* nn-side state (RNG, arena, saved activations) */
};

/* Encoder tensors in file order: BxModelParam entries with name, ndim,
 * shape, numel and data NULL. */
GPtrArray *bx_compact_param_layout (const BxCompactConfig *cfg);
void bx_compact_param_layout_free (GPtrArray *layout);
/* Error (CONFIG) naming `what` unless the configuration is usable. */
gboolean bx_compact_config_check (const BxCompactConfig *cfg, const char *what, GError **error);
/* m->cfg, n_layers and the description strings from `cfg`. */
void bx_compact_model_set_config (BxModel *m, const BxCompactConfig *cfg);

BxCompactParam *bx_compact_trainer_find (const BxCompactTrainer *t, const char *name);
void bx_compact_trainer_get_rng (const BxCompactTrainer *t, guint64 s[4]);
void bx_compact_trainer_set_rng (BxCompactTrainer *t, const guint64 s[4]);

G_END_DECLS
