/* bx-model-blocks.c — pre-LN transformer block forward/backward (see header). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bx-model-blocks.h"
#include "nn/bx-nn.h"

/* Everything the backward reads; (B·T, ·) row-major. */
typedef struct {
  const float *x, *ln1, *mean1, *rstd1, *q, *k, *qn, *kn, *mq, *rq, *mk, *rk, *v, *probs, *o, *x1, *ln2, *mean2,
      *rstd2, *h, *g;
} BlockSaved;

void *
bx_pre_ln_block_forward (const BxPreLnBlock *b, BxModelContext *ctx, int batch, int T, const float *x, float *y,
                         gboolean save)
{
  int D = b->dim, H = b->heads, hd = D / H, F = b->ffn, R = batch * T;
  gsize RD = (gsize) R * D;
  BlockSaved *s = save ? bx_model_ctx_alloc_bytes (ctx, sizeof (BlockSaved)) : NULL;
  float *ln1 = bx_model_ctx_alloc (ctx, RD), *mean1 = bx_model_ctx_alloc (ctx, R);
  float *rstd1 = bx_model_ctx_alloc (ctx, R), *qkv = bx_model_ctx_alloc (ctx, 3 * RD);
  float *q = bx_model_ctx_alloc (ctx, RD), *k = bx_model_ctx_alloc (ctx, RD), *v = bx_model_ctx_alloc (ctx, RD);
  float *qn = q, *kn = k, *mq = NULL, *rq = NULL, *mk = NULL, *rk = NULL;
  float *probs = save ? bx_model_ctx_alloc (ctx, (gsize) batch * H * T * T) : NULL;
  float *ws = bx_model_ctx_alloc (ctx, bx_attention_workspace_floats (T));
  float *o = bx_model_ctx_alloc (ctx, RD), *a = bx_model_ctx_alloc (ctx, RD), *x1 = bx_model_ctx_alloc (ctx, RD);
  float *ln2 = bx_model_ctx_alloc (ctx, RD), *mean2 = bx_model_ctx_alloc (ctx, R);
  float *rstd2 = bx_model_ctx_alloc (ctx, R);
  float *h = bx_model_ctx_alloc (ctx, (gsize) R * F), *g = bx_model_ctx_alloc (ctx, (gsize) R * F);

  bx_layer_norm_forward (ln1, mean1, rstd1, x, b->norm1_w, b->norm1_b, R, D, b->eps);
  bx_linear_forward (qkv, ln1, b->qkv_w, b->qkv_b, R, D, 3 * D);
  bx_split_qkv_forward (q, k, v, qkv, R, D);
  if (b->qn_w != NULL)
    {
      /* per-head LN over head_dim: (B·T·H, hd) rows */
      qn = bx_model_ctx_alloc (ctx, RD);
      kn = bx_model_ctx_alloc (ctx, RD);
      mq = bx_model_ctx_alloc (ctx, (gsize) R * H);
      rq = bx_model_ctx_alloc (ctx, (gsize) R * H);
      mk = bx_model_ctx_alloc (ctx, (gsize) R * H);
      rk = bx_model_ctx_alloc (ctx, (gsize) R * H);
      bx_layer_norm_forward (qn, mq, rq, q, b->qn_w, b->qn_b, R * H, hd, b->qk_eps);
      bx_layer_norm_forward (kn, mk, rk, k, b->kn_w, b->kn_b, R * H, hd, b->qk_eps);
    }
  bx_attention_forward (o, probs, qn, kn, v, batch, T, H, hd, 1.0f / sqrtf ((float) hd), ws);
  bx_linear_forward (a, o, b->proj_w, b->proj_b, R, D, D);
  if (b->gamma_1 != NULL)
    bx_layer_scale_forward (a, a, b->gamma_1, R, D);
  bx_add_forward (x1, x, a, RD);
  bx_layer_norm_forward (ln2, mean2, rstd2, x1, b->norm2_w, b->norm2_b, R, D, b->eps);
  bx_linear_forward (h, ln2, b->fc1_w, b->fc1_b, R, D, F);
  bx_gelu_forward (g, h, (gsize) R * F);
  bx_linear_forward (a, g, b->fc2_w, b->fc2_b, R, F, D);
  if (b->gamma_2 != NULL)
    bx_layer_scale_forward (a, a, b->gamma_2, R, D);
  bx_add_forward (y, x1, a, RD);
  if (!save)
    return NULL;
  *s = (BlockSaved){ .x = x, .ln1 = ln1, .mean1 = mean1, .rstd1 = rstd1, .q = q, .k = k, .qn = qn, .kn = kn,
                     .mq = mq, .rq = rq, .mk = mk, .rk = rk, .v = v, .probs = probs, .o = o, .x1 = x1,
                     .ln2 = ln2, .mean2 = mean2, .rstd2 = rstd2, .h = h, .g = g };
  return s;
}

void
bx_pre_ln_block_backward (const BxPreLnBlock *b, BxModelContext *ctx, int batch, int T, void *saved,
                          const float *dy, float *dx)
{
  const BlockSaved *s = saved;
  int D = b->dim, H = b->heads, hd = D / H, F = b->ffn, R = batch * T;
  gsize RD = (gsize) R * D;
  float *dx1 = bx_model_ctx_alloc (ctx, RD), *dm = bx_model_ctx_alloc_zeros (ctx, RD);
  float *dg = bx_model_ctx_alloc_zeros (ctx, (gsize) R * F), *dh = bx_model_ctx_alloc_zeros (ctx, (gsize) R * F);
  float *dln = bx_model_ctx_alloc_zeros (ctx, RD), *da = bx_model_ctx_alloc_zeros (ctx, RD);
  float *d_o = bx_model_ctx_alloc_zeros (ctx, RD);
  float *dqn = bx_model_ctx_alloc_zeros (ctx, RD), *dkn = bx_model_ctx_alloc_zeros (ctx, RD);
  float *dv = bx_model_ctx_alloc_zeros (ctx, RD), *dqkv = bx_model_ctx_alloc_zeros (ctx, 3 * RD);
  float *dq = dqn, *dk = dkn;
  float *ws = bx_model_ctx_alloc (ctx, bx_attention_workspace_floats (T));

  /* y = x1 + γ2 ⊙ fc2(gelu(fc1(LN2(x1)))); `in` of layer_scale_backward is only read for d_gamma (NULL) */
  memcpy (dx1, dy, RD * sizeof (float));
  if (b->gamma_2 != NULL)
    bx_layer_scale_backward (dm, NULL, dy, dy, b->gamma_2, R, D);
  else
    memcpy (dm, dy, RD * sizeof (float));
  bx_linear_backward (dg, NULL, NULL, dm, s->g, b->fc2_w, R, F, D);
  bx_gelu_backward (dh, dg, s->h, (gsize) R * F);
  bx_linear_backward (dln, NULL, NULL, dh, s->ln2, b->fc1_w, R, D, F);
  bx_layer_norm_backward (dx1, NULL, NULL, dln, s->x1, s->mean2, s->rstd2, b->norm2_w, R, D);
  /* x1 = x + γ1 ⊙ proj(attn(...)) */
  if (b->gamma_1 != NULL)
    bx_layer_scale_backward (da, NULL, dx1, dx1, b->gamma_1, R, D);
  else
    memcpy (da, dx1, RD * sizeof (float));
  bx_linear_backward (d_o, NULL, NULL, da, s->o, b->proj_w, R, D, D);
  bx_attention_backward (dqn, dkn, dv, d_o, s->probs, s->qn, s->kn, s->v, batch, T, H, hd,
                         1.0f / sqrtf ((float) hd), ws);
  if (b->qn_w != NULL)
    {
      dq = bx_model_ctx_alloc_zeros (ctx, RD);
      dk = bx_model_ctx_alloc_zeros (ctx, RD);
      bx_layer_norm_backward (dq, NULL, NULL, dqn, s->q, s->mq, s->rq, b->qn_w, R * H, hd);
      bx_layer_norm_backward (dk, NULL, NULL, dkn, s->k, s->mk, s->rk, b->kn_w, R * H, hd);
    }
  bx_split_qkv_backward (dqkv, dq, dk, dv, R, D);
  memset (dln, 0, RD * sizeof (float));
  bx_linear_backward (dln, NULL, NULL, dqkv, s->ln1, b->qkv_w, R, D, 3 * D);
  memcpy (dx, dx1, RD * sizeof (float));
  bx_layer_norm_backward (dx, NULL, NULL, dln, s->x, s->mean1, s->rstd1, b->norm1_w, R, D);
}
