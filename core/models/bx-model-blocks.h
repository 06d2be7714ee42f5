/* bx-model-blocks.h — the pre-LN transformer block shared by LaBraM
 * (per-head q/k LayerNorm, layer-scale, no qkv bias) and NormWear (timm Block:
 * qkv bias, no q/k norm, no layer-scale):
 *   x1 = x + γ1 ⊙ proj(attn(LN_q(q), LN_k(k), v)),  [q k v] = LN1(x)·W_qkvᵀ + b_qkv
 *   y  = x1 + γ2 ⊙ fc2(GELU(fc1(LN2(x1))))
 * x, y (batch, tokens, dim); attention scale head_dim^-½. Any of qkv_b,
 * q/k norm, γ may be NULL (absent). */
#pragma once

#include "bx-model-private.h"

G_BEGIN_DECLS

typedef struct {
  int dim, heads, ffn;
  float eps;    /* LN1, LN2 */
  float qk_eps; /* LN_q, LN_k */
  const float *norm1_w, *norm1_b, *qkv_w, *qkv_b, *qn_w, *qn_b, *kn_w, *kn_b, *proj_w, *proj_b, *gamma_1;
  const float *norm2_w, *norm2_b, *fc1_w, *fc1_b, *fc2_w, *fc2_b, *gamma_2;
} BxPreLnBlock;

/* Returns the saved record (arena) when `save`, else NULL. x must stay valid
 * (it is kept by reference) until the backward. */
void *bx_pre_ln_block_forward (const BxPreLnBlock *b, BxModelContext *ctx, int batch, int tokens, const float *x,
                               float *y, gboolean save);
/* dx = dL/dx (overwritten) from dy. */
void bx_pre_ln_block_backward (const BxPreLnBlock *b, BxModelContext *ctx, int batch, int tokens, void *saved,
                               const float *dy, float *dx);

G_END_DECLS
