/* bx-model-blocks.c — pre-LN transformer block forward/backward (see header).
 *
 * The backward computes the input gradient only (the foundation models are
 * frozen), so it needs neither the inputs of the four linear layers (LN1, the
 * attention output, LN2, GELU) nor weight gradients: those activations are
 * scratch of the forward, released before it returns, and only what the
 * input gradient reads is kept (BlockSaved). Gradient buffers are written,
 * not accumulated, wherever an op allows it, so the backward zeroes only the
 * three attention gradients. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bx-model-blocks.h"
#include "nn/bx-nn.h"

/* Everything the backward reads; (B·T, ·) row-major. */
typedef struct {
  const float *x, *mean1, *rstd1, *q, *k, *qn, *kn, *mq, *rq, *mk, *rk, *v, *probs, *x1, *mean2, *rstd2, *h;
} BlockSaved;

/* y = x + γ ⊙ a (γ may be NULL), (R, D). y may equal x or a. */
static void
residual_scale (float *y, const float *x, const float *a, const float *gamma, int R, int D)
{
  for (int r = 0; r < R; r++)
    {
      const float *xr = x + (gsize) r * D, *ar = a + (gsize) r * D;
      float *yr = y + (gsize) r * D;
      if (gamma != NULL)
        for (int d = 0; d < D; d++)
          yr[d] = xr[d] + gamma[d] * ar[d];
      else
        for (int d = 0; d < D; d++)
          yr[d] = xr[d] + ar[d];
    }
}

/* out = g ⊙ γ (γ may be NULL: a copy), (R, D). */
static void
scale_rows (float *out, const float *g, const float *gamma, int R, int D)
{
  if (gamma == NULL)
    {
      memcpy (out, g, sizeof (float) * R * D);
      return;
    }
  for (int r = 0; r < R; r++)
    {
      const float *gr = g + (gsize) r * D;
      float *o = out + (gsize) r * D;
      for (int d = 0; d < D; d++)
        o[d] = gr[d] * gamma[d];
    }
}

void *
bx_pre_ln_block_forward (const BxPreLnBlock *b, BxModelContext *ctx, int batch, int T, const float *x, float *y,
                         gboolean save)
{
  int D = b->dim, H = b->heads, hd = D / H, F = b->ffn, R = batch * T;
  gsize RD = (gsize) R * D;
  BlockSaved *s = save ? bx_model_ctx_alloc_bytes (ctx, sizeof (BlockSaved)) : NULL;
  /* kept for the backward (when saving) */
  float *mean1 = bx_model_ctx_alloc (ctx, R), *rstd1 = bx_model_ctx_alloc (ctx, R);
  float *q = bx_model_ctx_alloc (ctx, RD), *k = bx_model_ctx_alloc (ctx, RD), *v = bx_model_ctx_alloc (ctx, RD);
  float *qn = q, *kn = k, *mq = NULL, *rq = NULL, *mk = NULL, *rk = NULL;
  float *probs = save ? bx_model_ctx_alloc (ctx, (gsize) batch * H * T * T) : NULL;
  float *x1 = bx_model_ctx_alloc (ctx, RD), *mean2 = bx_model_ctx_alloc (ctx, R), *rstd2 = bx_model_ctx_alloc (ctx, R);
  float *h = bx_model_ctx_alloc (ctx, (gsize) R * F);
  float *ln, *qkv, *ws, *o, *a, *g;
  BxModelArenaMark scratch;

  if (b->qn_w != NULL)
    {
      /* per-head LN over head_dim: (B·T·H, hd) rows */
      qn = bx_model_ctx_alloc (ctx, RD);
      kn = bx_model_ctx_alloc (ctx, RD);
      mq = bx_model_ctx_alloc (ctx, (gsize) R * H);
      rq = bx_model_ctx_alloc (ctx, (gsize) R * H);
      mk = bx_model_ctx_alloc (ctx, (gsize) R * H);
      rk = bx_model_ctx_alloc (ctx, (gsize) R * H);
    }
  /* scratch, released at the end (LN1/LN2 output, qkv, attention output,
   * projections, GELU output) */
  scratch = bx_model_ctx_mark (ctx);
  ln = bx_model_ctx_alloc (ctx, RD);
  qkv = bx_model_ctx_alloc (ctx, 3 * RD);
  ws = bx_model_ctx_alloc (ctx, bx_attention_workspace_floats (T));
  o = bx_model_ctx_alloc (ctx, RD);
  a = bx_model_ctx_alloc (ctx, RD);
  g = bx_model_ctx_alloc (ctx, (gsize) R * F);

  bx_layer_norm_forward (ln, mean1, rstd1, x, b->norm1_w, b->norm1_b, R, D, b->eps);
  bx_linear_forward (qkv, ln, b->qkv_w, b->qkv_b, R, D, 3 * D);
  bx_split_qkv_forward (q, k, v, qkv, R, D);
  if (b->qn_w != NULL)
    {
      bx_layer_norm_forward (qn, mq, rq, q, b->qn_w, b->qn_b, R * H, hd, b->qk_eps);
      bx_layer_norm_forward (kn, mk, rk, k, b->kn_w, b->kn_b, R * H, hd, b->qk_eps);
    }
  bx_attention_forward (o, probs, qn, kn, v, batch, T, H, hd, 1.0f / sqrtf ((float) hd), ws);
  bx_linear_forward (a, o, b->proj_w, b->proj_b, R, D, D);
  residual_scale (x1, x, a, b->gamma_1, R, D);
  bx_layer_norm_forward (ln, mean2, rstd2, x1, b->norm2_w, b->norm2_b, R, D, b->eps);
  bx_linear_forward (h, ln, b->fc1_w, b->fc1_b, R, D, F);
  bx_gelu_forward (g, h, (gsize) R * F);
  bx_linear_forward (a, g, b->fc2_w, b->fc2_b, R, F, D);
  residual_scale (y, x1, a, b->gamma_2, R, D);
  bx_model_ctx_reset_to (ctx, scratch);
  if (!save)
    return NULL;
  *s = (BlockSaved){ .x = x, .mean1 = mean1, .rstd1 = rstd1, .q = q, .k = k, .qn = qn, .kn = kn, .mq = mq, .rq = rq,
                     .mk = mk, .rk = rk, .v = v, .probs = probs, .x1 = x1, .mean2 = mean2, .rstd2 = rstd2, .h = h };
  return s;
}

void
bx_pre_ln_block_backward (const BxPreLnBlock *b, BxModelContext *ctx, int batch, int T, void *saved,
                          const float *dy, float *dx)
{
  const BlockSaved *s = saved;
  int D = b->dim, H = b->heads, hd = D / H, F = b->ffn, R = batch * T;
  gsize RD = (gsize) R * D;
  float *dx1 = bx_model_ctx_alloc (ctx, RD), *dm = bx_model_ctx_alloc (ctx, RD);
  float *dg = bx_model_ctx_alloc (ctx, (gsize) R * F), *dln = bx_model_ctx_alloc (ctx, RD);
  float *dqn = bx_model_ctx_alloc_zeros (ctx, RD), *dkn = bx_model_ctx_alloc_zeros (ctx, RD);
  float *dv = bx_model_ctx_alloc_zeros (ctx, RD), *dqkv = bx_model_ctx_alloc (ctx, 3 * RD);
  float *dq = dqn, *dk = dkn;
  float *ws = bx_model_ctx_alloc (ctx, bx_attention_workspace_floats (T));

  /* y = x1 + γ2 ⊙ fc2(gelu(fc1(LN2(x1)))) */
  memcpy (dx1, dy, RD * sizeof (float));
  scale_rows (dm, dy, b->gamma_2, R, D);
  bx_linear_input_grad (dg, dm, b->fc2_w, R, F, D);
  bx_gelu_backward_inplace (dg, s->h, (gsize) R * F);
  bx_linear_input_grad (dln, dg, b->fc1_w, R, D, F);
  bx_layer_norm_backward (dx1, NULL, NULL, dln, s->x1, s->mean2, s->rstd2, b->norm2_w, R, D);
  /* x1 = x + γ1 ⊙ proj(attn(...)); dm is free again: it takes d(attn out) */
  scale_rows (dln, dx1, b->gamma_1, R, D);
  bx_linear_input_grad (dm, dln, b->proj_w, R, D, D);
  bx_attention_backward (dqn, dkn, dv, dm, s->probs, s->qn, s->kn, s->v, batch, T, H, hd, 1.0f / sqrtf ((float) hd),
                         ws);
  if (b->qn_w != NULL)
    {
      dq = bx_model_ctx_alloc_zeros (ctx, RD);
      dk = bx_model_ctx_alloc_zeros (ctx, RD);
      bx_layer_norm_backward (dq, NULL, NULL, dqn, s->q, s->mq, s->rq, b->qn_w, R * H, hd);
      bx_layer_norm_backward (dk, NULL, NULL, dkn, s->k, s->mk, s->rk, b->kn_w, R * H, hd);
    }
  bx_join_qkv (dqkv, dq, dk, dv, R, D);
  bx_linear_input_grad (dln, dqkv, b->qkv_w, R, D, 3 * D);
  memcpy (dx, dx1, RD * sizeof (float));
  bx_layer_norm_backward (dx, NULL, NULL, dln, s->x, s->mean1, s->rstd1, b->norm1_w, R, D);
}
