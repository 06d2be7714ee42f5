/* bx-nn.h — the neural engine: float32 ops with explicit shapes, each a
 * _forward / _backward pair, in the llm.c habit.
 *
 * Conventions (all ops):
 *   - float32, row-major, contiguous; every shape is in the signature. A shape
 *     written (B, T, D) means index ((b·T)+t)·D + d.
 *   - Ops never allocate. Scratch comes from the caller (a BxArena or any
 *     buffer of the size the matching *_workspace_floats() returns).
 *   - Every _backward ACCUMULATES (+=) into all of its gradient outputs: dX
 *     as well as dW / db, like llm.c. Zero a gradient buffer before the first
 *     contribution. Any gradient pointer may be NULL: that gradient is then not
 *     computed (e.g. d_weight = NULL for a frozen layer, d_in = NULL for the
 *     first layer). A gradient buffer must not alias the upstream gradient or
 *     the saved forward tensors.
 *   - Weights are laid out as PyTorch stores them (Linear (out, in), Conv1d
 *     (C_out, C_in/groups, K), Conv2d (C_out, C_in, kh, kw)), so checkpoint
 *     tensors are used as they are.
 *   - Results do not depend on the thread count: parallel loops split
 *     independent outputs, reductions run in a fixed order.
 */
#pragma once

#include <cblas.h>
#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------------------ */
/* Threads                                                                   */

/* Threads for the engine: its GEMMs (bx_nn_sgemm) and loops run on its own
 * worker pool, which blocks between jobs instead of spinning. OpenBLAS itself
 * is kept at 1 thread (its idle workers spin-yield for ~0.1 s after each call
 * and would compete with the pool on a 2-core machine), so code outside the
 * engine that wants parallel GEMMs calls bx_nn_sgemm. n < 1 means 1. */
void bx_nn_set_threads (int n_threads);
int bx_nn_get_threads (void);

/* cblas_sgemm (row-major) with the work split over the engine's threads:
 * C (M, N) = alpha · op(A) op(B) + beta · C. Rows of C are split in blocks of
 * 48, so every element is computed exactly as a single-threaded call computes
 * it: results do not depend on the thread count. Products with M < 96 or
 * under 4 MFLOP run on the calling thread. */
void bx_nn_sgemm (CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);

/* ------------------------------------------------------------------------ */
/* Arena: bump allocator for activations and scratch                        */

/* Memory comes in chunks from the system; allocation bumps a pointer (64-byte
 * aligned). bx_arena_reset() (full reset) merges all chunks into one of the
 * combined size, so after one warm-up pass the same sequence of allocations
 * never touches the system allocator again (bx_arena_n_system_allocs stays). */
typedef struct _BxArena BxArena;

typedef struct {
  guint chunk;   /* opaque: chunk index and fill level at the time of the mark */
  size_t used;
} BxArenaMark;

BxArena *bx_arena_new (size_t initial_bytes);
void bx_arena_free (BxArena *arena);
/* 64-byte aligned, uninitialised. Never returns NULL (aborts on OOM). */
void *bx_arena_alloc (BxArena *arena, size_t n_bytes);
float *bx_arena_alloc_floats (BxArena *arena, size_t n_floats);
/* Same, zero-filled. */
float *bx_arena_alloc_zeros (BxArena *arena, size_t n_floats);
/* Stack discipline: everything allocated after `mark` is released by reset_to. */
BxArenaMark bx_arena_mark (const BxArena *arena);
void bx_arena_reset_to (BxArena *arena, BxArenaMark mark);
/* Release everything (and coalesce chunks, see above). */
void bx_arena_reset (BxArena *arena);
/* Release everything but keep the chunks as they are: the same sequence of
 * allocations gets the same addresses again, without a system allocation and
 * without touching fresh pages (a reset's coalescing allocates the combined
 * size anew, and first-touching 1 GB costs ~0.2 s); a different sequence may
 * still need new chunks. */
void bx_arena_rewind (BxArena *arena);
/* Number of chunk allocations made from the system so far. */
guint64 bx_arena_n_system_allocs (const BxArena *arena);
/* Bytes currently handed out, and the largest that ever was. */
size_t bx_arena_used_bytes (const BxArena *arena);
size_t bx_arena_high_water_bytes (const BxArena *arena);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxArena, bx_arena_free)

/* ------------------------------------------------------------------------ */
/* Tensor: bookkeeping only. Ops take raw pointers.                          */

#define BX_TENSOR_MAX_DIMS 6

typedef struct {
  float *data;
  int n_dims;
  int64_t shape[BX_TENSOR_MAX_DIMS];
} BxTensor;

int64_t bx_tensor_numel (const BxTensor *t);
/* A tensor of the given shape whose data lives in `arena` (uninitialised). */
BxTensor bx_tensor_arena (BxArena *arena, int n_dims, const int64_t *shape);

/* ------------------------------------------------------------------------ */
/* Linear                                                                   */

/* out (n_rows, out_features) = in (n_rows, in_features) · weightᵀ + bias
 * weight (out_features, in_features), bias (out_features) or NULL. */
void bx_linear_forward (float *out, const float *in, const float *weight, const float *bias, int n_rows,
                        int in_features, int out_features);
/* d_in (n_rows, in_features) += d_out · weight
 * d_weight (out_features, in_features) += d_outᵀ · in
 * d_bias (out_features) += Σ_rows d_out */
void bx_linear_backward (float *d_in, float *d_weight, float *d_bias, const float *d_out, const float *in,
                         const float *weight, int n_rows, int in_features, int out_features);
/* The input gradient alone, written rather than accumulated (frozen layers;
 * no zeroed buffer): d_in (n_rows, in_features) = d_out · weight. */
void bx_linear_input_grad (float *d_in, const float *d_out, const float *weight, int n_rows, int in_features,
                           int out_features);

/* ------------------------------------------------------------------------ */
/* Convolution along the last axis (conv1d, and 1×k conv2d on rows)         */

/* in  (batch, in_channels,  rows, in_length)
 * out (batch, out_channels, rows, out_length)
 * weight (out_channels, in_channels/groups, kernel) — for a Conv2d with a
 * (1, k) kernel the PyTorch weight (C_out, C_in/g, 1, k) is the same memory.
 * bias (out_channels) or NULL.
 * out_length = (in_length + pad_left + pad_right − kernel) / stride + 1,
 * zeros outside the input. rows = 1 is a plain Conv1d; rows > 1 applies the
 * same conv to each row (LaBraM TemporalConv: Conv2d(1,8,(1,15),(1,8),(0,7))
 * on (B, 1, N·A, 200) is rows = N·A). Zero fields are read as: rows 1,
 * stride 1, groups 1. */
typedef struct {
  int batch;
  int in_channels;
  int out_channels;
  int rows;
  int in_length;
  int kernel;
  int stride;
  int pad_left;
  int pad_right;
  int groups;
} BxConv1dShape;

int bx_conv1d_out_length (const BxConv1dShape *s);
/* TensorFlow/PaPaGei "SAME": out = ceil(L/s), p = max(0, (out−1)·s + k − L),
 * left = p/2, right = p − left. */
void bx_conv1d_same_padding (int in_length, int kernel, int stride, int *pad_left, int *pad_right);
/* Floats of scratch that forward and backward need (the im2col buffer of one
 * batch item and group and its gradient):
 * 2 · (in_channels/groups · kernel) · (rows · out_length). */
size_t bx_conv1d_workspace_floats (const BxConv1dShape *s);
void bx_conv1d_forward (float *out, const float *in, const float *weight, const float *bias,
                        const BxConv1dShape *s, float *workspace);
/* d_in (batch, in_channels, rows, in_length)  += transposed conv of d_out
 * d_weight (out_channels, in_channels/groups, kernel) += Σ d_out ⊗ im2col(in)
 * d_bias (out_channels) += Σ_{b, row, t} d_out */
void bx_conv1d_backward (float *d_in, float *d_weight, float *d_bias, const float *d_out, const float *in,
                         const float *weight, const BxConv1dShape *s, float *workspace);

/* Weight normalisation (torch.nn.utils.weight_norm, forward only):
 * w = g · v / ‖v‖, the norm taken over all dims except `dim`.
 * v, w: n_dims ≤ BX_TENSOR_MAX_DIMS with `shape`; g has shape[dim] elements.
 * HuBERT-ECG pos-conv: v (512, 32, 128), dim = 2, g (1, 1, 128): one norm per
 * kernel tap over (out, in/groups). */
void bx_weight_norm_forward (float *w, const float *g, const float *v, const int *shape, int n_dims, int dim);

/* ------------------------------------------------------------------------ */
/* Non-overlapping patch conv2d (NormWear patch embed) as gather + GEMM     */

/* in (batch, in_channels, height, width); kernel = stride = (patch_h, patch_w),
 * no padding; rows/columns beyond the last whole patch are ignored (NormWear
 * drops time sample 388).
 * grid_h = height / patch_h, grid_w = width / patch_w, P = grid_h · grid_w
 * out (batch, P, out_channels), token p = gh·grid_w + gw (= PyTorch's
 * proj(x).flatten(2).transpose(1, 2)).
 * weight (out_channels, in_channels, patch_h, patch_w), bias (out_channels) or NULL.
 * workspace: bx_patch_conv2d_workspace_floats() = 2 · P · in_channels·patch_h·patch_w. */
size_t bx_patch_conv2d_workspace_floats (int in_channels, int height, int width, int patch_h, int patch_w);
void bx_patch_conv2d_forward (float *out, const float *in, const float *weight, const float *bias, int batch,
                              int in_channels, int height, int width, int patch_h, int patch_w,
                              int out_channels, float *workspace);
void bx_patch_conv2d_backward (float *d_in, float *d_weight, float *d_bias, const float *d_out,
                               const float *in, const float *weight, int batch, int in_channels, int height,
                               int width, int patch_h, int patch_w, int out_channels, float *workspace);

/* ------------------------------------------------------------------------ */
/* Normalisation                                                            */

/* GroupNorm. in/out (batch, channels, spatial) — spatial is the product of all
 * trailing dims (LaBraM (B, 8, N·A, 25): spatial = N·A·25). groups divides
 * channels; HuBERT-ECG conv0 uses groups = channels = 512 (per channel over
 * time). Biased variance. mean, rstd (batch, groups) are written (needed by
 * backward; may be NULL in inference). gamma, beta (channels) or NULL. */
void bx_group_norm_forward (float *out, float *mean, float *rstd, const float *in, const float *gamma,
                            const float *beta, int batch, int channels, int spatial, int groups, float eps);
void bx_group_norm_backward (float *d_in, float *d_gamma, float *d_beta, const float *d_out, const float *in,
                             const float *mean, const float *rstd, const float *gamma, int batch, int channels,
                             int spatial, int groups);

/* LayerNorm over the last dim. in/out (n_rows, dim); gamma, beta (dim) or NULL;
 * mean, rstd (n_rows) written when non-NULL (backward needs them).
 * Per-head q/k norm (LaBraM LN(20) on each head): q (B, T, H·dh) is
 * (B·T·H, dh) rows, so call with n_rows = B·T·H, dim = dh. out may equal in. */
void bx_layer_norm_forward (float *out, float *mean, float *rstd, const float *in, const float *gamma,
                            const float *beta, int n_rows, int dim, float eps);
void bx_layer_norm_backward (float *d_in, float *d_gamma, float *d_beta, const float *d_out, const float *in,
                             const float *mean, const float *rstd, const float *gamma, int n_rows, int dim);

/* BatchNorm1d in eval mode (running statistics, affine):
 * out = (in − running_mean) / sqrt(running_var + eps) · gamma + beta
 * in/out (batch, channels, length); stats and gamma/beta (channels); gamma,
 * beta may be NULL. out may equal in. */
void bx_batch_norm_eval_forward (float *out, const float *in, const float *running_mean,
                                 const float *running_var, const float *gamma, const float *beta, int batch,
                                 int channels, int length, float eps);
/* The statistics are constants: d_in += d_out · gamma · rstd,
 * d_gamma += Σ d_out · x̂, d_beta += Σ d_out. */
void bx_batch_norm_eval_backward (float *d_in, float *d_gamma, float *d_beta, const float *d_out,
                                  const float *in, const float *running_mean, const float *running_var,
                                  const float *gamma, int batch, int channels, int length, float eps);

/* BatchNorm1d in training mode (PaPaGei full fine-tuning): statistics of the
 * batch per channel over (batch, length), biased variance for the
 * normalisation; mean, rstd (channels) are written for backward. When
 * running_mean / running_var are non-NULL they are updated as PyTorch does:
 * r ← (1 − momentum)·r + momentum·s, with the unbiased variance for r_var. */
void bx_batch_norm_train_forward (float *out, float *mean, float *rstd, const float *in, float *running_mean,
                                  float *running_var, const float *gamma, const float *beta, int batch,
                                  int channels, int length, float eps, float momentum);
void bx_batch_norm_train_backward (float *d_in, float *d_gamma, float *d_beta, const float *d_out,
                                   const float *in, const float *mean, const float *rstd, const float *gamma,
                                   int batch, int channels, int length);

/* ------------------------------------------------------------------------ */
/* Element-wise                                                              */

/* Exact GELU: x · Φ(x) = 0.5 x (1 + erf(x/√2)). out may equal in. */
void bx_gelu_forward (float *out, const float *in, size_t n);
void bx_gelu_backward (float *d_in, const float *d_out, const float *in, size_t n);
/* In place, for input-gradient-only backward passes: d ← d ⊙ GELU′(in)
 * (overwrites instead of accumulating, so d needs no zeroed twin). */
void bx_gelu_backward_inplace (float *d, const float *in, size_t n);
/* ReLU; backward passes where in > 0. out may equal in only if in is not
 * needed for backward (backward takes the forward *input*). */
void bx_relu_forward (float *out, const float *in, size_t n);
void bx_relu_backward (float *d_in, const float *d_out, const float *in, size_t n);

/* out (n) = a + b. out may equal a or b. */
void bx_add_forward (float *out, const float *a, const float *b, size_t n);
/* d_a += d_out, d_b += d_out */
void bx_add_backward (float *d_a, float *d_b, const float *d_out, size_t n);

/* Layer-scale: out (n_rows, dim) = in ⊙ gamma (dim). out may equal in. */
void bx_layer_scale_forward (float *out, const float *in, const float *gamma, int n_rows, int dim);
/* d_in += d_out ⊙ gamma, d_gamma += Σ_rows d_out ⊙ in */
void bx_layer_scale_backward (float *d_in, float *d_gamma, const float *d_out, const float *in,
                              const float *gamma, int n_rows, int dim);

/* ------------------------------------------------------------------------ */
/* Attention                                                                */

/* Split a fused projection: qkv (n_rows, 3·dim) → q, k, v each (n_rows, dim)
 * (LaBraM/NormWear: columns 0..dim−1 are q, dim..2dim−1 k, 2dim..3dim−1 v). */
void bx_split_qkv_forward (float *q, float *k, float *v, const float *qkv, int n_rows, int dim);
/* d_qkv += [d_q | d_k | d_v]; any of d_q, d_k, d_v may be NULL (no contribution). */
void bx_split_qkv_backward (float *d_qkv, const float *d_q, const float *d_k, const float *d_v, int n_rows,
                            int dim);
/* The inverse of the split, overwriting: qkv (n_rows, 3·dim) = [q | k | v]
 * row by row (d_qkv without a zeroed buffer). */
void bx_join_qkv (float *qkv, const float *q, const float *k, const float *v, int n_rows, int dim);

/* Multi-head softmax attention without mask:
 *   for each batch b and head h (dims h·dh .. h·dh+dh−1 of each token):
 *   P = softmax(scale · Q Kᵀ) (T, T), O = P V (T, dh).
 * q, k, v, out (batch, n_tokens, n_heads·head_dim).
 * probs (batch, n_heads, n_tokens, n_tokens): written when non-NULL (backward
 * needs it); when NULL the per-thread workspace holds them transiently.
 * workspace: bx_attention_workspace_floats(n_tokens) floats (forward with
 * probs == NULL, and backward): n_tokens² per thread for up to 8 threads,
 * valid whatever the thread count is later set to. */
size_t bx_attention_workspace_floats (int n_tokens);
void bx_attention_forward (float *out, float *probs, const float *q, const float *k, const float *v, int batch,
                           int n_tokens, int n_heads, int head_dim, float scale, float *workspace);
/* d_q, d_k, d_v (batch, n_tokens, n_heads·head_dim) +=, from d_out (same
 * layout), the saved probs, q, k, v. */
void bx_attention_backward (float *d_q, float *d_k, float *d_v, const float *d_out, const float *probs,
                            const float *q, const float *k, const float *v, int batch, int n_tokens, int n_heads,
                            int head_dim, float scale, float *workspace);

/* Row softmax: out (n_rows, n) = softmax(in) along the last dim. out may equal in. */
void bx_softmax_forward (float *out, const float *in, int n_rows, int n);
/* d_in += out ⊙ (d_out − Σ d_out ⊙ out), from the forward *output*. */
void bx_softmax_backward (float *d_in, const float *d_out, const float *out, int n_rows, int n);

/* ------------------------------------------------------------------------ */
/* Pooling, padding, reshaping                                              */

/* MaxPool1d(k=2, s=2) after right-padding one zero when length is odd
 * (PaPaGei): in (rows, length) → out (rows, (length+1)/2); for odd length the
 * last output is max(x_last, 0). Ties go to the first element. */
void bx_maxpool2_forward (float *out, const float *in, int rows, int length);
/* d_in (rows, length) += d_out routed to the max (recomputed from in);
 * gradient that went to the zero pad is dropped. */
void bx_maxpool2_backward (float *d_in, const float *d_out, const float *in, int rows, int length);

/* Channel zero-pad: in (batch, c_in, length) → out (batch, c_out, length),
 * c_out ≥ c_in, input channels at [(c_out−c_in)/2, (c_out−c_in)/2 + c_in). */
void bx_channel_pad_forward (float *out, const float *in, int batch, int c_in, int c_out, int length);
/* d_in += the middle channels of d_out (the slice). */
void bx_channel_pad_backward (float *d_in, const float *d_out, int batch, int c_in, int c_out, int length);

/* Mean over a range of one axis: in (n_outer, n_axis, n_inner) →
 * out (n_outer, n_inner) = mean over axis index [axis_begin, axis_end).
 * LaBraM pooled feature: in (B, 181, 200), range [1, 181) skips CLS. */
void bx_mean_pool_forward (float *out, const float *in, int n_outer, int n_axis, int n_inner, int axis_begin,
                           int axis_end);
void bx_mean_pool_backward (float *d_in, const float *d_out, int n_outer, int n_axis, int n_inner,
                            int axis_begin, int axis_end);

/* Batched transpose: in (batch, rows, cols) → out (batch, cols, rows). */
void bx_transpose_forward (float *out, const float *in, int batch, int rows, int cols);
/* d_in (batch, rows, cols) += transpose of d_out (batch, cols, rows). */
void bx_transpose_backward (float *d_in, const float *d_out, int batch, int rows, int cols);

/* General permute of up to BX_TENSOR_MAX_DIMS dims (torch.permute + contiguous):
 * out has shape[perm[0]], …, shape[perm[n_dims−1]]; out[i_0..] = in[j] with
 * j_{perm[a]} = i_a. */
void bx_permute_forward (float *out, const float *in, const int *shape, const int *perm, int n_dims);
/* d_in (shape) += inverse permute of d_out. */
void bx_permute_backward (float *d_in, const float *d_out, const int *shape, const int *perm, int n_dims);

/* ------------------------------------------------------------------------ */
/* Losses                                                                   */

/* Softmax cross-entropy with optional class weights, PyTorch weighted-mean
 * semantics: loss = Σ_b w[y_b]·(−log p[b, y_b]) / Σ_b w[y_b]
 * (class_weights NULL = all 1, i.e. the plain mean).
 * logits, probs (batch, n_classes); targets (batch) in [0, n_classes).
 * probs is written (softmax), needed by backward. Returns the loss. */
float bx_cross_entropy_forward (float *probs, const float *logits, const int *targets,
                                const float *class_weights, int batch, int n_classes);
/* d_logits += d_loss · w[y_b] (p − onehot(y_b)) / Σ w[y] */
void bx_cross_entropy_backward (float *d_logits, const float *probs, const int *targets,
                                const float *class_weights, int batch, int n_classes, float d_loss);

/* CosineEmbeddingLoss with target +1, exactly as PyTorch:
 * loss = mean_b (1 − <a,b> / sqrt((‖a‖² + 1e-12)(‖b‖² + 1e-12))).
 * a, b (batch, dim). Returns the loss. */
float bx_cosine_embedding_loss_forward (const float *a, const float *b, int batch, int dim);
/* d_a, d_b (batch, dim) += d_loss · ∂loss/∂a, ∂loss/∂b (either may be NULL). */
void bx_cosine_embedding_loss_backward (float *d_a, float *d_b, const float *a, const float *b, int batch,
                                        int dim, float d_loss);

/* ------------------------------------------------------------------------ */
/* Optimisers: torch.optim.Adam / AdamW                                    */

typedef struct {
  float lr;            /* 1e-3 */
  float beta1;         /* 0.9 */
  float beta2;         /* 0.999 */
  float eps;           /* 1e-8, added outside the sqrt */
  float weight_decay;  /* Adam: L2 added to the gradient; AdamW: decoupled p ← p(1 − lr·wd) */
  gboolean decoupled;  /* TRUE = AdamW */
} BxAdamConfig;

/* PyTorch defaults: Adam (wd 0) or AdamW (wd 0.01). */
BxAdamConfig bx_adam_config_default (gboolean adamw);

/* Moments of one parameter buffer of n floats, and its step count. */
typedef struct {
  size_t n;
  int64_t step;
  float *m;  /* first moment (n) */
  float *v;  /* second moment (n) */
} BxAdamState;

BxAdamState *bx_adam_state_new (size_t n_params);
void bx_adam_state_free (BxAdamState *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxAdamState, bx_adam_state_free)

/* One step: state->step += 1, then
 *   g' = g (+ wd·p for Adam);  p ← p·(1 − lr·wd) for AdamW
 *   m ← β1 m + (1−β1) g';  v ← β2 v + (1−β2) g'²
 *   p ← p − lr/(1−β1^t) · m / (sqrt(v)/sqrt(1−β2^t) + eps)
 * params, grads (state->n). */
void bx_adam_step (float *params, const float *grads, BxAdamState *state, const BxAdamConfig *config);

/* ------------------------------------------------------------------------ */
/* Deterministic RNG (xoshiro256**; torch's streams are not reproduced)     */

typedef struct {
  guint64 s[4];
  gboolean has_spare;
  double spare;
} BxRng;

void bx_rng_init (BxRng *rng, guint64 seed);
guint64 bx_rng_next_u64 (BxRng *rng);
/* Uniform in [0, 1). */
double bx_rng_uniform (BxRng *rng);
/* Standard normal (Box–Muller). */
double bx_rng_normal (BxRng *rng);
void bx_rng_fill_uniform (BxRng *rng, float *x, size_t n, float low, float high);
void bx_rng_fill_normal (BxRng *rng, float *x, size_t n, float mean, float std);
/* N(mean, std²) restricted to [a, b] by rejection (timm/torch trunc_normal_
 * semantics: a, b are absolute bounds). */
void bx_rng_fill_trunc_normal (BxRng *rng, float *x, size_t n, float mean, float std, float a, float b);
/* kaiming_uniform_(a = √5) as torch.nn.Linear / Conv inits their weight:
 * U(−1/√fan_in, 1/√fan_in). */
void bx_rng_fill_kaiming_uniform (BxRng *rng, float *w, size_t n, int fan_in);
/* torch.nn.Linear default init: weight (out, in) and bias (out, may be NULL)
 * both U(−1/√in, 1/√in). */
void bx_init_linear (BxRng *rng, float *weight, float *bias, int in_features, int out_features);

/* Inverted dropout (training only): mask (n) holds 0 or 1/(1 − p), drawn
 * from rng; out = in ⊙ mask. out may equal in. p = 0 gives mask 1. */
void bx_dropout_forward (float *out, float *mask, const float *in, size_t n, float p, BxRng *rng);
/* d_in += d_out ⊙ mask */
void bx_dropout_backward (float *d_in, const float *d_out, const float *mask, size_t n);

/* ------------------------------------------------------------------------ */
/* Fused conv1d forward (inference): bx-conv-fused.c                        */

typedef enum {
  BX_CONV_ACT_NONE,
  BX_CONV_ACT_RELU,
  BX_CONV_ACT_GELU,  /* erf form */
} BxConvAct;

/* What bx_conv1d_forward_fused does around the convolution, per element:
 *   input  x' = in_act(in_scale[c]·x + in_shift[c])   (c: input channel; the
 *          zero padding stays zero, as F.pad of the activated tensor)
 *   output y  = out_act(out_scale[o]·(conv + bias[o]) + out_shift[o]) + res
 * A BatchNorm in eval mode is the affine bx_batch_norm_eval_affine returns.
 * NULL scale/shift: 1/0. Only BX_CONV_ACT_NONE/RELU for in_act.
 * residual: (batch, residual_channels, rows · res_len) added to output
 * channels [residual_offset, residual_offset + residual_channels) (others get
 * nothing: PaPaGei's zero channel padding). residual_pool_length = 0: res_len
 * = rows · out_length, element-wise; > 0 (rows = 1 only): the residual has
 * that length and output t adds max(r[2t], r[2t+1]) with a zero past the end
 * (PaPaGei's max-pool k2 with its SAME zero pad). All-zero struct = plain
 * conv. */
typedef struct {
  const float *in_scale, *in_shift;
  BxConvAct in_act;
  const float *out_scale, *out_shift;
  BxConvAct out_act;
  const float *residual;
  int residual_channels, residual_offset, residual_pool_length;
} BxConv1dFused;

/* Same shapes and workspace as bx_conv1d_forward; fused may be NULL.
 * out must not overlap in or residual. */
void bx_conv1d_forward_fused (float *out, const float *in, const float *weight, const float *bias,
                              const BxConv1dShape *s, const BxConv1dFused *fused, float *workspace);
/* BatchNorm (eval) as y = scale·x + shift: scale = γ/√(var + eps),
 * shift = β − mean·scale (γ, β may be NULL: 1, 0). */
void bx_batch_norm_eval_affine (float *scale, float *shift, const float *running_mean, const float *running_var,
                                const float *gamma, const float *beta, int channels, float eps);

G_END_DECLS
