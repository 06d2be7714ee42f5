/* bx-hubert-ecg.c — HuBERT-ECG (spec §3.2): conv feature extractor
 * (GroupNorm per channel after conv0, GELU after each), LayerNorm +
 * projection, weight-normed grouped positional conv (SamePad drops the last
 * frame) + GELU added, LayerNorm, then post-LN encoder layers. Hook layer i =
 * encoder.layers[i], (B, T, hidden). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bx-model-private.h"
#include "nn/bx-nn.h"

typedef struct {
  float *qkv_w, *qkv_b; /* fused q, k, v (3H, H), (3H) — owned */
  const float *out_w, *out_b, *ln_w, *ln_b, *fc1_w, *fc1_b, *fc2_w, *fc2_b, *fln_w, *fln_b;
} HubertLayer;

typedef struct {
  const float *conv_w[5], *gn_w, *gn_b, *fp_ln_w, *fp_ln_b, *fp_w, *fp_b, *pos_b, *enc_ln_w, *enc_ln_b;
  float *pos_w; /* g · v / ‖v‖ (H, H/groups, K) — owned */
  HubertLayer *layers;
  int length, conv_len[5], tokens;
} Hubert;

/* Everything layer i's input-gradient backward reads, (B·T, ·): not the
 * inputs of the linear layers (their weight gradients are never needed). */
typedef struct {
  const float *q, *k, *v, *probs, *x1, *mean1, *rstd1, *h, *x2, *mean2, *rstd2;
} HubertSaved;

static void
hubert_free (gpointer impl)
{
  Hubert *hb = impl;

  for (int i = 0; hb->layers != NULL && hb->layers[i].qkv_w != NULL; i++)
    {
      g_free (hb->layers[i].qkv_w);
      g_free (hb->layers[i].qkv_b);
    }
  g_free (hb->layers);
  g_free (hb->pos_w);
  g_free (hb);
}

static gboolean
hubert_bind (BxModel *m, GError **error)
{
  Hubert *hb = g_new0 (Hubert, 1);
  GError *e = NULL;
  int C = m->cfg.conv_dim, H = m->cfg.dim, F = m->cfg.ffn, K = m->cfg.pos_kernel, G = m->cfg.pos_groups;
  const float *g, *v;

  m->impl = hb;
  for (int i = 0; i < 5; i++)
    {
      g_autofree char *n = g_strdup_printf ("feature_extractor.conv_layers.%d.conv.weight", i);
      hb->conv_w[i] = bx_model_param (m, n, (gsize) C * (i == 0 ? 1 : C) * m->cfg.conv_kernel[i], &e);
    }
  hb->gn_w = bx_model_param (m, "feature_extractor.conv_layers.0.layer_norm.weight", C, &e);
  hb->gn_b = bx_model_param (m, "feature_extractor.conv_layers.0.layer_norm.bias", C, &e);
  hb->fp_ln_w = bx_model_param (m, "feature_projection.layer_norm.weight", C, &e);
  hb->fp_ln_b = bx_model_param (m, "feature_projection.layer_norm.bias", C, &e);
  hb->fp_w = bx_model_param (m, "feature_projection.projection.weight", (gsize) H * C, &e);
  hb->fp_b = bx_model_param (m, "feature_projection.projection.bias", H, &e);
  hb->pos_b = bx_model_param (m, "encoder.pos_conv_embed.conv.bias", H, &e);
  g = bx_model_param (m, "encoder.pos_conv_embed.conv.weight_g", K, &e);
  v = bx_model_param (m, "encoder.pos_conv_embed.conv.weight_v", (gsize) H * (H / G) * K, &e);
  hb->enc_ln_w = bx_model_param (m, "encoder.layer_norm.weight", H, &e);
  hb->enc_ln_b = bx_model_param (m, "encoder.layer_norm.bias", H, &e);
  hb->layers = g_new0 (HubertLayer, m->cfg.depth + 1); /* zero sentinel for hubert_free */
  for (int i = 0; i < m->cfg.depth && e == NULL; i++)
    {
      HubertLayer *L = &hb->layers[i];
      static const char *const qkv[3] = { "q_proj", "k_proj", "v_proj" };
      L->qkv_w = g_new (float, (gsize) 3 * H * H);
      L->qkv_b = g_new (float, (gsize) 3 * H);
      for (int p = 0; p < 3; p++)
        {
          g_autofree char *wn = g_strdup_printf ("encoder.layers.%d.attention.%s.weight", i, qkv[p]);
          g_autofree char *bn = g_strdup_printf ("encoder.layers.%d.attention.%s.bias", i, qkv[p]);
          const float *w = bx_model_param (m, wn, (gsize) H * H, &e), *b = bx_model_param (m, bn, H, &e);
          if (w == NULL || b == NULL)
            break;
          memcpy (L->qkv_w + (gsize) p * H * H, w, sizeof (float) * H * H);
          memcpy (L->qkv_b + (gsize) p * H, b, sizeof (float) * H);
        }
#define P(field, key, n)                                                                                             \
  do                                                                                                                 \
    {                                                                                                                \
      g_autofree char *name_ = g_strdup_printf ("encoder.layers.%d.%s", i, key);                                     \
      L->field = bx_model_param (m, name_, (n), &e);                                                                 \
    }                                                                                                                \
  while (0)
      P (out_w, "attention.out_proj.weight", (gsize) H * H);
      P (out_b, "attention.out_proj.bias", H);
      P (ln_w, "layer_norm.weight", H);
      P (ln_b, "layer_norm.bias", H);
      P (fc1_w, "feed_forward.intermediate_dense.weight", (gsize) F * H);
      P (fc1_b, "feed_forward.intermediate_dense.bias", F);
      P (fc2_w, "feed_forward.output_dense.weight", (gsize) H * F);
      P (fc2_b, "feed_forward.output_dense.bias", H);
      P (fln_w, "final_layer_norm.weight", H);
      P (fln_b, "final_layer_norm.bias", H);
#undef P
    }
  if (e != NULL)
    {
      g_propagate_error (error, e);
      return FALSE;
    }
  {
    /* weight_norm(dim=2): one norm per kernel tap over (out, in/groups) */
    const int shape[3] = { H, H / G, K };
    hb->pos_w = g_new (float, (gsize) H * (H / G) * K);
    bx_weight_norm_forward (hb->pos_w, g, v, shape, 3, 2);
  }
  return TRUE;
}

static gboolean
hubert_set_input_shape (BxModel *m, int ndim, const gint64 *shape, GError **error)
{
  Hubert *hb = m->impl;
  gint64 len = ndim == 1 ? shape[0] : 0;

  for (int i = 0; i < 5 && len > 0; i++)
    {
      len = len < m->cfg.conv_kernel[i] ? 0 : (len - m->cfg.conv_kernel[i]) / m->cfg.conv_stride[i] + 1;
      hb->conv_len[i] = (int) len;
    }
  if (ndim != 1 || len < 1 || shape[0] > G_MAXINT / 4)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT,
                   "%s: HuBERT-ECG takes one lead of samples (L) with L ≥ 10 (100 Hz; 3000 for 30 s), got %d dims "
                   "(%" G_GINT64_FORMAT ")",
                   m->path, ndim, shape[0]);
      return FALSE;
    }
  hb->length = (int) shape[0];
  hb->tokens = (int) len;
  bx_model_set_token_shapes (m, len, m->cfg.dim);
  return TRUE;
}

/* prepared (B, L) → input of encoder.layers[0] (B, T, H) */
static void
hubert_stem_forward (BxModel *m, BxModelContext *ctx, int batch, const float *in, float *out)
{
  Hubert *hb = m->impl;
  int C = m->cfg.conv_dim, H = m->cfg.dim, T = hb->tokens, K = m->cfg.pos_kernel;
  gsize n0 = (gsize) batch * C * hb->conv_len[0];
  float *a = bx_model_ctx_alloc (ctx, n0), *b = bx_model_ctx_alloc (ctx, n0);
  float *feat = bx_model_ctx_alloc (ctx, (gsize) batch * T * C);
  float *hT = bx_model_ctx_alloc (ctx, (gsize) batch * T * H), *pc = bx_model_ctx_alloc (ctx, (gsize) batch * T * H);
  const float *x = in;
  int len = hb->length;
  BxConv1dShape pos = { .batch = batch, .in_channels = H, .out_channels = H, .rows = 1, .in_length = T,
                        .kernel = K, .stride = 1, .pad_left = K / 2, .pad_right = K / 2, .groups = m->cfg.pos_groups };
  gsize ws_n;
  float *ws;

  /* SamePad drops the last frame of the k-even conv: pad K/2 − 1 on the right gives exactly frames 0..T−1 */
  if (K % 2 == 0)
    pos.pad_right = K / 2 - 1;
  ws_n = bx_conv1d_workspace_floats (&pos);
  for (int i = 0; i < 5; i++)
    {
      BxConv1dShape s = { .batch = batch, .in_channels = i == 0 ? 1 : C, .out_channels = C, .rows = 1,
                          .in_length = len, .kernel = m->cfg.conv_kernel[i], .stride = m->cfg.conv_stride[i],
                          .groups = 1 };
      ws_n = MAX (ws_n, bx_conv1d_workspace_floats (&s));
    }
  ws = bx_model_ctx_alloc (ctx, ws_n);
  for (int i = 0; i < 5; i++)
    {
      BxConv1dShape s = { .batch = batch, .in_channels = i == 0 ? 1 : C, .out_channels = C, .rows = 1,
                          .in_length = len, .kernel = m->cfg.conv_kernel[i], .stride = m->cfg.conv_stride[i],
                          .groups = 1 };
      float *y = (x == a) ? b : a;
      gsize n = (gsize) batch * C * hb->conv_len[i];
      /* GroupNorm needs the whole length first; the other convs take their GELU in the epilogue */
      BxConv1dFused f = { .out_act = i == 0 ? BX_CONV_ACT_NONE : BX_CONV_ACT_GELU };
      bx_conv1d_forward_fused (y, x, hb->conv_w[i], NULL, &s, &f, ws);
      if (i == 0)
        {
          bx_group_norm_forward (y, NULL, NULL, y, hb->gn_w, hb->gn_b, batch, C, hb->conv_len[0], C, 1e-5f);
          bx_gelu_forward (y, y, n);
        }
      x = y;
      len = hb->conv_len[i];
    }
  /* (B, C, T) → (B, T, C) → LN → projection (B, T, H) */
  bx_transpose_forward (feat, x, batch, C, T);
  bx_layer_norm_forward (feat, NULL, NULL, feat, hb->fp_ln_w, hb->fp_ln_b, batch * T, C, 1e-5f);
  bx_linear_forward (out, feat, hb->fp_w, hb->fp_b, batch * T, C, H);
  /* h + GELU(pos_conv(h)) then LayerNorm */
  bx_transpose_forward (hT, out, batch, T, H);
  {
    BxConv1dFused f = { .out_act = BX_CONV_ACT_GELU };
    bx_conv1d_forward_fused (pc, hT, hb->pos_w, hb->pos_b, &pos, &f, ws);
  }
  bx_transpose_forward (hT, pc, batch, H, T);
  bx_add_forward (out, out, hT, (gsize) batch * T * H);
  bx_layer_norm_forward (out, NULL, NULL, out, hb->enc_ln_w, hb->enc_ln_b, batch * T, H, 1e-5f);
}

/* Post-LN layer: y1 = LN(x + out_proj(attn(x))), y = LN_f(y1 + fc2(GELU(fc1(y1))))
 * qkv, the attention output, y1, GELU and the projections are scratch,
 * released before returning (bx-model-blocks.c explains why). */
static void *
hubert_layer_forward (BxModel *m, BxModelContext *ctx, int layer, int batch, const float *x, float *y,
                      gboolean save)
{
  Hubert *hb = m->impl;
  const HubertLayer *L = &hb->layers[layer];
  int T = hb->tokens, D = m->cfg.dim, H = m->cfg.heads, hd = D / H, F = m->cfg.ffn, R = batch * T;
  gsize RD = (gsize) R * D;
  HubertSaved *s = save ? bx_model_ctx_alloc_bytes (ctx, sizeof (HubertSaved)) : NULL;
  float *q = bx_model_ctx_alloc (ctx, RD), *k = bx_model_ctx_alloc (ctx, RD), *v = bx_model_ctx_alloc (ctx, RD);
  float *probs = save ? bx_model_ctx_alloc (ctx, (gsize) batch * H * T * T) : NULL;
  float *x1 = bx_model_ctx_alloc (ctx, RD), *x2 = bx_model_ctx_alloc (ctx, RD);
  float *mean1 = bx_model_ctx_alloc (ctx, R), *rstd1 = bx_model_ctx_alloc (ctx, R);
  float *mean2 = bx_model_ctx_alloc (ctx, R), *rstd2 = bx_model_ctx_alloc (ctx, R);
  float *h = bx_model_ctx_alloc (ctx, (gsize) R * F);
  BxModelArenaMark scratch = bx_model_ctx_mark (ctx);
  float *qkv = bx_model_ctx_alloc (ctx, 3 * RD), *ws = bx_model_ctx_alloc (ctx, bx_attention_workspace_floats (T));
  float *o = bx_model_ctx_alloc (ctx, RD), *a = bx_model_ctx_alloc (ctx, RD), *y1 = bx_model_ctx_alloc (ctx, RD);
  float *g = bx_model_ctx_alloc (ctx, (gsize) R * F);

  bx_linear_forward (qkv, x, L->qkv_w, L->qkv_b, R, D, 3 * D);
  bx_split_qkv_forward (q, k, v, qkv, R, D);
  bx_attention_forward (o, probs, q, k, v, batch, T, H, hd, 1.0f / sqrtf ((float) hd), ws);
  bx_linear_forward (a, o, L->out_w, L->out_b, R, D, D);
  bx_add_forward (x1, x, a, RD);
  bx_layer_norm_forward (y1, mean1, rstd1, x1, L->ln_w, L->ln_b, R, D, 1e-5f);
  bx_linear_forward (h, y1, L->fc1_w, L->fc1_b, R, D, F);
  bx_gelu_forward (g, h, (gsize) R * F);
  bx_linear_forward (a, g, L->fc2_w, L->fc2_b, R, F, D);
  bx_add_forward (x2, y1, a, RD);
  bx_layer_norm_forward (y, mean2, rstd2, x2, L->fln_w, L->fln_b, R, D, 1e-5f);
  bx_model_ctx_reset_to (ctx, scratch);
  if (!save)
    return NULL;
  *s = (HubertSaved){ .q = q, .k = k, .v = v, .probs = probs, .x1 = x1, .mean1 = mean1, .rstd1 = rstd1, .h = h,
                      .x2 = x2, .mean2 = mean2, .rstd2 = rstd2 };
  return s;
}

static void
hubert_layer_backward (BxModel *m, BxModelContext *ctx, int layer, int batch, void *saved, const float *dy,
                       float *dx)
{
  Hubert *hb = m->impl;
  const HubertLayer *L = &hb->layers[layer];
  const HubertSaved *s = saved;
  int T = hb->tokens, D = m->cfg.dim, H = m->cfg.heads, hd = D / H, F = m->cfg.ffn, R = batch * T;
  gsize RD = (gsize) R * D;
  float *dx2 = bx_model_ctx_alloc_zeros (ctx, RD), *dy1 = bx_model_ctx_alloc (ctx, RD);
  float *dg = bx_model_ctx_alloc (ctx, (gsize) R * F);
  float *dx1 = bx_model_ctx_alloc_zeros (ctx, RD), *d_o = bx_model_ctx_alloc (ctx, RD);
  float *dq = bx_model_ctx_alloc_zeros (ctx, RD), *dk = bx_model_ctx_alloc_zeros (ctx, RD);
  float *dv = bx_model_ctx_alloc_zeros (ctx, RD), *dqkv = bx_model_ctx_alloc (ctx, 3 * RD);
  float *ws = bx_model_ctx_alloc (ctx, bx_attention_workspace_floats (T));

  bx_layer_norm_backward (dx2, NULL, NULL, dy, s->x2, s->mean2, s->rstd2, L->fln_w, R, D);
  memcpy (dy1, dx2, RD * sizeof (float));
  bx_linear_input_grad (dg, dx2, L->fc2_w, R, F, D);
  bx_gelu_backward_inplace (dg, s->h, (gsize) R * F);
  bx_linear_backward (dy1, NULL, NULL, dg, NULL, L->fc1_w, R, D, F);
  bx_layer_norm_backward (dx1, NULL, NULL, dy1, s->x1, s->mean1, s->rstd1, L->ln_w, R, D);
  bx_linear_input_grad (d_o, dx1, L->out_w, R, D, D);
  bx_attention_backward (dq, dk, dv, d_o, s->probs, s->q, s->k, s->v, batch, T, H, hd, 1.0f / sqrtf ((float) hd),
                         ws);
  bx_join_qkv (dqkv, dq, dk, dv, R, D);
  memcpy (dx, dx1, RD * sizeof (float));
  bx_linear_backward (dx, NULL, NULL, dqkv, NULL, L->qkv_w, R, D, 3 * D);
}

const BxModelFamilyOps bx_hubert_ecg_ops = {
  .bind = hubert_bind,
  .set_input_shape = hubert_set_input_shape,
  .stem_forward = hubert_stem_forward,
  .layer_forward = hubert_layer_forward,
  .layer_backward = hubert_layer_backward,
  .free_impl = hubert_free,
};
