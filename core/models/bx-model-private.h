/* bx-model-private.h — what the family files share with bx-model.c and the
 * checkpoint loader. Deliberately includes neither core/nn nor core/io: both
 * define a BxTensor of their own, so the loader (io side, bx-model-load.c)
 * and the compute code (nn side, bx-<family>.c) live in separate files and
 * meet only through the plain float parameters below. */
#pragma once

#include <glib.h>

#include "bx-model.h"

G_BEGIN_DECLS

#define BX_MODEL_MAX_DIMS 6
#define BX_MODEL_MAX_LAYERS 64

/* One float32 parameter owned by the model, under the model's own key
 * (prefixes stripped, weight-norm keys as weight_g / weight_v). */
typedef struct {
  char *name;
  int ndim;
  gint64 shape[8];
  gsize numel;
  float *data;
} BxModelParam;

typedef struct _BxModelContext BxModelContext;

/* Per family. Layer functions work on a batch; `saved` is an opaque record of
 * what backward needs, allocated in the context's arena. */
typedef struct {
  /* Picks typed pointers out of the params; checks what the loader could not. */
  gboolean (*bind) (BxModel *model, GError **error);
  gboolean (*set_input_shape) (BxModel *model, int ndim, const gint64 *shape, GError **error);
  /* in: prepared input (batch × prepared numel) → out: input of layer 0. */
  void (*stem_forward) (BxModel *model, BxModelContext *ctx, int batch, const float *in, float *out);
  /* Layer i: in → out (batch × numel). Returns the saved record (or NULL when !save). */
  void *(*layer_forward) (BxModel *model, BxModelContext *ctx, int layer, int batch, const float *in, float *out,
                          gboolean save);
  /* d_out → d_in (overwrite) using the saved record of the same layer. */
  void (*layer_backward) (BxModel *model, BxModelContext *ctx, int layer, int batch, void *saved,
                          const float *d_out, float *d_in);
  void (*free_impl) (gpointer impl);
} BxModelFamilyOps;

struct _BxModel {
  BxModelFamily family;
  const BxModelFamilyOps *ops;
  char *path;
  char *config;
  char *config_json;
  char *layout;
  GHashTable *params; /* name → BxModelParam* (owned) */
  GPtrArray *loaded_keys, *ignored_keys, *random_keys, *warnings, *notes; /* NULL-terminated char* */
  guint64 n_params, n_file_params;
  int n_layers;
  gboolean input_set;
  /* per-sample shapes: index 0 = prepared input, 1 + 2i = input of layer i, 2 + 2i = output of layer i */
  int shape_ndim[2 + 2 * BX_MODEL_MAX_LAYERS];
  gint64 shape[2 + 2 * BX_MODEL_MAX_LAYERS][BX_MODEL_MAX_DIMS];
  /* feature axis of each per-sample activation shape (pooling keeps it) */
  int feature_axis[2 + 2 * BX_MODEL_MAX_LAYERS];
  /* Family configuration read by the loader from shapes. */
  struct {
    int dim, depth, heads, ffn;
    /* LaBraM */
    int time_rows;
    /* HuBERT-ECG */
    int conv_dim, n_conv, conv_kernel[8], conv_stride[8], pos_kernel, pos_groups;
    /* PaPaGei */
    int base_filters, kernel;
    /* NormWear */
    int patch_h, patch_w, in_chans, pos_rows;
    /* compact (bx-compact.h) */
    int rate, patch, max_channels, max_patches;
    char modality[8];
  } cfg;
  gpointer impl; /* family-specific typed pointers */
};

/* Index into shape[] / shape_ndim[]. */
static inline int
bx_model_shape_index (int layer, gboolean is_input)
{
  return layer < 0 ? 0 : 1 + 2 * layer + (is_input ? 0 : 1);
}

/* Records a per-sample shape (≤ BX_MODEL_MAX_DIMS) and its feature axis. */
void bx_model_set_shape (BxModel *model, int layer, gboolean is_input, int ndim, const gint64 *shape,
                         int feature_axis);

/* Transformer families: the input and output of every hook layer is
 * (tokens, dim) with the feature axis last. */
void bx_model_set_token_shapes (BxModel *model, gint64 tokens, gint64 dim);

/* Parameter lookup; NULL (and error set) if absent or numel differs from
 * `numel` (numel 0: any). */
float *bx_model_param (BxModel *model, const char *name, gsize numel, GError **error);
const BxModelParam *bx_model_param_info (const BxModel *model, const char *name);
/* Adds a parameter owned by the model (takes `data`). */
void bx_model_add_param (BxModel *model, const char *name, int ndim, const gint64 *shape, float *data);

/* Checkpoint side (bx-model-load.c): fills family, cfg, params, key lists. */
gboolean bx_model_load_checkpoint (BxModel *model, BxModelFamily family, const char *path,
                                   const BxModelLoadOptions *options, GError **error);

/* Context arena access for the family files (bx-model.c implements it over BxArena). */
float *bx_model_ctx_alloc (BxModelContext *ctx, gsize n_floats);
float *bx_model_ctx_alloc_zeros (BxModelContext *ctx, gsize n_floats);
void *bx_model_ctx_alloc_bytes (BxModelContext *ctx, gsize n_bytes);
/* Stack marks on the context arena: a layer's scratch (activations its
 * backward does not read) is released with reset_to before it returns. */
typedef struct {
  guint chunk;
  gsize used;
} BxModelArenaMark;
BxModelArenaMark bx_model_ctx_mark (BxModelContext *ctx);
void bx_model_ctx_reset_to (BxModelContext *ctx, BxModelArenaMark mark);

/* PaPaGei channel rule (ResNet1DMoE): block 0 keeps base_filters; block i > 0
 * has in = base·2^((i−1)/4), out = 2·in when i % 4 == 0. */
void bx_papagei_block_channels (int base, int i, int *c_in, int *c_out);

extern const BxModelFamilyOps bx_labram_ops;
extern const BxModelFamilyOps bx_hubert_ecg_ops;
extern const BxModelFamilyOps bx_papagei_ops;
extern const BxModelFamilyOps bx_normwear_ops;
extern const BxModelFamilyOps bx_compact_ops;

G_END_DECLS
