/* bx-model.h — the four biosignal foundation models (spec §3.1–§3.4) behind
 * one interface: load a published checkpoint, prepare raw input, run any range
 * of hook layers with every hook output captured, pool a layer's activation
 * the way the linear probe does (§1.1), and back-propagate input gradients
 * from the last layer down to the input of any layer l (§1.4 step 6).
 *
 * Hook layers are the modules BioX-Bridge hooks (spec §1.2):
 *   LaBraM      blocks[i]            (B, 1 + N·A, 200)
 *   HuBERT-ECG  encoder.layers[i]    (B, T, hidden)
 *   PaPaGei     basicblock_list[i]   (B, C_i, L_i)
 *   NormWear    encoder_blocks[i]    (B, nvar, 560, D)   (the reference's (B·nvar, 560, D), same memory)
 *   compact     blocks[i]            (B, 1 + C·N, D)      (bx-compact.h)
 * "Input of layer i" is the output of layer i − 1, or of the stem for i = 0.
 * All shapes below are per sample; a batch puts B in front. float32, C order.
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

#define BX_MODEL_ERROR (bx_model_error_quark ())
GQuark bx_model_error_quark (void);

typedef enum {
  BX_MODEL_ERROR_FAMILY,   /* the checkpoint is not of the requested / any known family */
  BX_MODEL_ERROR_KEYS,     /* missing keys or shape mismatches */
  BX_MODEL_ERROR_CONFIG,   /* shapes that no supported configuration has */
  BX_MODEL_ERROR_INPUT,    /* input shape does not fit the model */
  BX_MODEL_ERROR_RANGE,    /* layer indices out of range, backward without a saved forward */
} BxModelError;

typedef enum {
  BX_MODEL_FAMILY_AUTO = 0,
  BX_MODEL_FAMILY_LABRAM,
  BX_MODEL_FAMILY_HUBERT_ECG,
  BX_MODEL_FAMILY_PAPAGEI,
  BX_MODEL_FAMILY_NORMWEAR,
  BX_MODEL_FAMILY_COMPACT, /* the project's own encoders, bx-compact.h */
} BxModelFamily;

/* "labram", "hubert-ecg", "papagei", "normwear", "compact" ("auto" for AUTO). */
const char *bx_model_family_name (BxModelFamily family);
/* Accepts the names above (and "hubert", "hubertecg"); FALSE if unknown. */
gboolean bx_model_family_from_name (const char *name, BxModelFamily *family);

typedef struct _BxModel BxModel;

typedef struct {
  /* LaBraM: seconds per input (time_embed rows the model is built with), as
   * the reference creates the model from the data (EEG_size / 200). 0 = the
   * checkpoint's row count. When it differs from the checkpoint's rows the
   * reference's load_state_dict only prints a size mismatch and keeps the
   * random trunc-normal(0.02) init (spec §1.6-4); we do the same with a
   * deterministic init (seed below) and add a warning. A value below the
   * checkpoint's rows keeps the checkpoint rows (the FOG 16-row model runs 3-s
   * inputs with rows 0..2). */
  int labram_time_rows;
  guint64 seed;  /* for any randomly initialised parameter; 0 = 2510 */
  /* Attention heads where the shapes do not tell (HuBERT-ECG, NormWear); 0 =
   * hidden / 64 (HuBERT-ECG small/base/large 8/12/16, NormWear 12). */
  int num_heads;
} BxModelLoadOptions;

/* Reads `path` (PyTorch zip or safetensors) with the io module's restricted
 * reader. AUTO detects the family from the keys. Errors name the file, the
 * missing keys and the mismatched shapes; keys the model does not use (MAE
 * decoders, LaBraM's lm_head / mask_token / pos_embed / norm, task heads) are
 * ignored and listed in bx_model_get_ignored_keys(). */
BxModel *bx_model_load (BxModelFamily family, const char *path, GError **error);
BxModel *bx_model_load_with_options (BxModelFamily family, const char *path, const BxModelLoadOptions *options,
                                     GError **error);
void bx_model_free (BxModel *model);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxModel, bx_model_free)

BxModelFamily bx_model_get_family (const BxModel *model);
/* Human-readable configuration, e.g. "LaBraM-base: dim 200, depth 12, heads 10, time_embed 30 rows". */
const char *bx_model_get_config (const BxModel *model);
/* The same as JSON object members (no braces), e.g. "\"dim\": 200, \"depth\": 12". */
const char *bx_model_get_config_json (const BxModel *model);
int bx_model_get_n_layers (const BxModel *model);
/* Elements of the tensors the forward uses (loaded + randomly initialised). */
guint64 bx_model_get_n_params (const BxModel *model);
/* Elements of all tensors in the file. */
guint64 bx_model_get_n_file_params (const BxModel *model);
/* Key lists (the model's own names, prefixes stripped). NULL-terminated, owned by the model. */
const char *const *bx_model_get_loaded_keys (const BxModel *model);
const char *const *bx_model_get_ignored_keys (const BxModel *model);
/* Keys the forward uses that were not loaded (LaBraM time_embed quirk), randomly initialised. */
const char *const *bx_model_get_random_keys (const BxModel *model);
const char *const *bx_model_get_warnings (const BxModel *model);
/* Notes of the file (inert pickled objects, epochs, ...). */
const char *const *bx_model_get_notes (const BxModel *model);
/* Which sub-dictionary held the weights ("model", "model_state_dict", or "" for a bare state dict)
 * and the prefix stripped ("student.", "module.", "backbone." or ""). */
const char *bx_model_get_layout (const BxModel *model);

/* ---- input geometry ---- */

/* Raw input per sample as the spec's data files hold it → prepared input:
 *   LaBraM      (N, A·200) µV            → (N, A, 200) ÷ 100
 *   HuBERT-ECG  (1, L) or (L)            → (L)
 *   PaPaGei     (1, L)                   → (1, L)
 *   NormWear    (nvar, 3, L, 65) CWT     → same
 *   compact     (C, N·patch) at its rate → same, each channel z-scored
 * raw (batch, raw dims…). Returns a new buffer (g_free) and the prepared
 * per-sample shape in prep_shape (≤ 6 dims). */
float *bx_model_prepare (const BxModel *model, const float *raw, int batch, int raw_ndim,
                         const gint64 *raw_shape, int *prep_ndim, gint64 *prep_shape, GError **error);

/* Fixes the per-sample prepared input shape (as bx_model_prepare returns it);
 * all layer shapes follow from it. Must be called before a forward. */
gboolean bx_model_set_input_shape (BxModel *model, int ndim, const gint64 *shape, GError **error);
/* Per-sample shape of the input (is_input) or output of hook layer `layer`
 * (layer = -1, is_input: the prepared input). Returns ndim (≤ 6), 0 if the
 * input shape is not set or the layer is out of range. */
int bx_model_layer_shape (const BxModel *model, int layer, gboolean is_input, gint64 *shape);
gint64 bx_model_layer_numel (const BxModel *model, int layer, gboolean is_input);
/* Size of the feature axis a pooled activation keeps (the pool keeps it and
 * averages every other per-sample dim): 200 / hidden / C_i / D. */
int bx_model_feature_dim (const BxModel *model, int layer, gboolean is_input);

/* ---- running ---- */

/* Activations and scratch of forward/backward calls: an arena that grows to
 * the largest batch seen and is then reused without system allocations. */
typedef struct _BxModelContext BxModelContext;
BxModelContext *bx_model_context_new (void);
void bx_model_context_free (BxModelContext *ctx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxModelContext, bx_model_context_free)
/* Bytes the context's arena ever held at once. */
gsize bx_model_context_high_water (const BxModelContext *ctx);

#define BX_MODEL_FROM_PREPARED (-1)

/* Runs hook layers start … end−1 on a batch.
 *   start = BX_MODEL_FROM_PREPARED: `in` is the prepared input and the stem
 *           runs first; otherwise `in` is the input of layer `start`.
 *   end   ≥ max(start, 0) (start = -1 with end = 0 gives the stem output = input of layer 0).
 *   out   receives the output of layer end−1 (or of the stem), may be NULL.
 *   captures: NULL or an array of n_layers pointers; a non-NULL entry i with
 *           start ≤ i < end receives the output of layer i (batch × layer numel).
 *   save_for_backward: keep what bx_model_backward needs (start must be ≥ 0).
 * Output buffers must not alias `in`. */
gboolean bx_model_forward (BxModel *model, BxModelContext *ctx, int batch, int start, int end, const float *in,
                           float *out, float *const *captures, gboolean save_for_backward, GError **error);

/* After a forward with save_for_backward (start ≥ 0, end): d_out is dL/d(output
 * of layer end−1), d_in (overwritten, not accumulated) receives dL/d(input of
 * layer start). Input gradients only; the weights are treated as constants. */
gboolean bx_model_backward (BxModel *model, BxModelContext *ctx, const float *d_out, float *d_in,
                            GError **error);

/* Pooled feature (spec §1.1): mean over every per-sample dim except the
 * feature axis, CLS tokens included, no final norm.
 * act (batch × layer numel) of the input/output of `layer` → out (batch, feature_dim). */
gboolean bx_model_pool (const BxModel *model, int layer, gboolean is_input, const float *act, int batch,
                        float *out, GError **error);

/* Threads for the engine (OpenBLAS and its OpenMP loops); n < 1 = 1. Callers
 * that include io headers cannot include nn's (both define BxTensor). */
void bx_model_set_threads (int n_threads);

/* The fixed upstream gradient of the golden fixtures: R[i] = sin(0.7071·i + 0.3). */
void bx_model_test_grad_seed (float *r, gsize n);

G_END_DECLS
