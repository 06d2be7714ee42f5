/* bx-labram.c — LaBraM-base (spec §3.1): TemporalConv patch embed, CLS +
 * time_embed (no spatial embedding), pre-LN blocks with per-head q/k
 * LayerNorm and layer-scale. Hook layer i = blocks[i], (B, 1 + N·A, 200).
 *
 * Token order: CLS, then channel-major patches (n·A + a); patch feature
 * index t·8 + c ('B C NA T → B NA (T C)'). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bx-model-blocks.h"
#include "nn/bx-nn.h"

typedef struct {
  const float *cls, *time_embed;
  const float *conv_w[3], *conv_b[3], *gn_w[3], *gn_b[3];
  BxPreLnBlock *blocks;
  int n_ch, seconds, tokens;
} Labram;

static void
labram_free (gpointer impl)
{
  Labram *l = impl;

  g_free (l->blocks);
  g_free (l);
}

static gboolean
labram_bind (BxModel *m, GError **error)
{
  Labram *l = g_new0 (Labram, 1);
  GError *e = NULL;
  int D = m->cfg.dim, F = m->cfg.ffn, hd = D / m->cfg.heads;

  m->impl = l;
  l->cls = bx_model_param (m, "cls_token", D, &e);
  l->time_embed = bx_model_param (m, "time_embed", (gsize) m->cfg.time_rows * D, &e);
  for (int c = 0; c < 3; c++)
    {
      g_autofree char *w = g_strdup_printf ("patch_embed.conv%d.weight", c + 1);
      g_autofree char *b = g_strdup_printf ("patch_embed.conv%d.bias", c + 1);
      g_autofree char *gw = g_strdup_printf ("patch_embed.norm%d.weight", c + 1);
      g_autofree char *gb = g_strdup_printf ("patch_embed.norm%d.bias", c + 1);
      l->conv_w[c] = bx_model_param (m, w, c == 0 ? 8 * 15 : 8 * 8 * 3, &e);
      l->conv_b[c] = bx_model_param (m, b, 8, &e);
      l->gn_w[c] = bx_model_param (m, gw, 8, &e);
      l->gn_b[c] = bx_model_param (m, gb, 8, &e);
    }
  l->blocks = g_new0 (BxPreLnBlock, m->cfg.depth);
  for (int i = 0; i < m->cfg.depth; i++)
    {
      BxPreLnBlock *b = &l->blocks[i];
      b->dim = D;
      b->heads = m->cfg.heads;
      b->ffn = F;
      b->eps = 1e-6f;
      b->qk_eps = 1e-6f;
#define P(field, key, n)                                                                                             \
  do                                                                                                                 \
    {                                                                                                                \
      g_autofree char *name_ = g_strdup_printf ("blocks.%d.%s", i, key);                                             \
      b->field = bx_model_param (m, name_, (n), &e);                                                                 \
    }                                                                                                                \
  while (0)
      P (gamma_1, "gamma_1", D);
      P (gamma_2, "gamma_2", D);
      P (norm1_w, "norm1.weight", D);
      P (norm1_b, "norm1.bias", D);
      P (qkv_w, "attn.qkv.weight", (gsize) 3 * D * D);
      P (qn_w, "attn.q_norm.weight", hd);
      P (qn_b, "attn.q_norm.bias", hd);
      P (kn_w, "attn.k_norm.weight", hd);
      P (kn_b, "attn.k_norm.bias", hd);
      P (proj_w, "attn.proj.weight", (gsize) D * D);
      P (proj_b, "attn.proj.bias", D);
      P (norm2_w, "norm2.weight", D);
      P (norm2_b, "norm2.bias", D);
      P (fc1_w, "mlp.fc1.weight", (gsize) F * D);
      P (fc1_b, "mlp.fc1.bias", F);
      P (fc2_w, "mlp.fc2.weight", (gsize) D * F);
      P (fc2_b, "mlp.fc2.bias", D);
#undef P
    }
  if (e != NULL)
    {
      g_propagate_error (error, e);
      return FALSE;
    }
  return TRUE;
}

static gboolean
labram_set_input_shape (BxModel *m, int ndim, const gint64 *shape, GError **error)
{
  Labram *l = m->impl;

  if (ndim != 3 || shape[2] != 200 || shape[1] > m->cfg.time_rows)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT,
                   "%s: LaBraM takes (channels, seconds, 200) with at most %d seconds (time_embed rows); got %d "
                   "dims (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", …)",
                   m->path, m->cfg.time_rows, ndim, shape[0], ndim > 1 ? shape[1] : 0);
      return FALSE;
    }
  l->n_ch = (int) shape[0];
  l->seconds = (int) shape[1];
  l->tokens = 1 + l->n_ch * l->seconds;
  bx_model_set_token_shapes (m, l->tokens, m->cfg.dim);
  return TRUE;
}

/* prepared (B, N, A, 200) → tokens (B, 1 + N·A, 200) */
static void
labram_stem_forward (BxModel *m, BxModelContext *ctx, int batch, const float *in, float *out)
{
  Labram *l = m->impl;
  int rows = l->n_ch * l->seconds, D = m->cfg.dim, A = l->seconds;
  BxConv1dShape s1 = { .batch = batch, .in_channels = 1, .out_channels = 8, .rows = rows, .in_length = 200,
                       .kernel = 15, .stride = 8, .pad_left = 7, .pad_right = 7, .groups = 1 };
  int len = bx_conv1d_out_length (&s1); /* 25 */
  BxConv1dShape s2 = { .batch = batch, .in_channels = 8, .out_channels = 8, .rows = rows, .in_length = len,
                       .kernel = 3, .stride = 1, .pad_left = 1, .pad_right = 1, .groups = 1 };
  gsize n = (gsize) batch * 8 * rows * len;
  gsize ws_n = MAX (bx_conv1d_workspace_floats (&s1), bx_conv1d_workspace_floats (&s2));
  float *ws = bx_model_ctx_alloc (ctx, ws_n);
  float *a = bx_model_ctx_alloc (ctx, n), *b = bx_model_ctx_alloc (ctx, n);
  float *patches = bx_model_ctx_alloc (ctx, n);
  const int shape[4] = { batch, 8, rows, len }, perm[4] = { 0, 2, 3, 1 };

  bx_conv1d_forward (a, in, l->conv_w[0], l->conv_b[0], &s1, ws);
  bx_group_norm_forward (b, NULL, NULL, a, l->gn_w[0], l->gn_b[0], batch, 8, rows * len, 4, 1e-5f);
  bx_gelu_forward (b, b, n);
  for (int c = 1; c < 3; c++)
    {
      bx_conv1d_forward (a, b, l->conv_w[c], l->conv_b[c], &s2, ws);
      bx_group_norm_forward (b, NULL, NULL, a, l->gn_w[c], l->gn_b[c], batch, 8, rows * len, 4, 1e-5f);
      bx_gelu_forward (b, b, n);
    }
  /* (B, 8, rows, 25) → (B, rows, 25, 8) = (B, rows, 200) */
  bx_permute_forward (patches, b, shape, perm, 4);
  g_assert (len * 8 == D);
  for (int bi = 0; bi < batch; bi++)
    {
      float *o = out + (gsize) bi * l->tokens * D;
      memcpy (o, l->cls, sizeof (float) * D);
      for (int r = 0; r < rows; r++)
        {
          const float *p = patches + ((gsize) bi * rows + r) * D, *te = l->time_embed + (gsize) (r % A) * D;
          float *t = o + (gsize) (1 + r) * D;
          for (int d = 0; d < D; d++)
            t[d] = p[d] + te[d];
        }
    }
}

static void *
labram_layer_forward (BxModel *m, BxModelContext *ctx, int layer, int batch, const float *x, float *y,
                      gboolean save)
{
  Labram *l = m->impl;

  return bx_pre_ln_block_forward (&l->blocks[layer], ctx, batch, l->tokens, x, y, save);
}

static void
labram_layer_backward (BxModel *m, BxModelContext *ctx, int layer, int batch, void *saved, const float *dy,
                       float *dx)
{
  Labram *l = m->impl;

  bx_pre_ln_block_backward (&l->blocks[layer], ctx, batch, l->tokens, saved, dy, dx);
}

const BxModelFamilyOps bx_labram_ops = {
  .bind = labram_bind,
  .set_input_shape = labram_set_input_shape,
  .stem_forward = labram_stem_forward,
  .layer_forward = labram_layer_forward,
  .layer_backward = labram_layer_backward,
  .free_impl = labram_free,
};
