/* bx-normwear.c — NormWear backbone (spec §3.4): per-channel 9×5 patch
 * embedding of the (3, L, 65) CWT, + fixed sin-cos pos_embed, CLS token;
 * encoder blocks = timm Block on each channel's 560 tokens, and on even
 * blocks a second Block (`cls_fusion`) over the nvar CLS tokens of a sample,
 * written back as token 0. Hook layer i = encoder_blocks[i],
 * (B, nvar, 560, D) (the reference's (B·nvar, 560, D), same memory). */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bx-model-blocks.h"
#include "nn/bx-nn.h"

typedef struct {
  BxPreLnBlock variate, fusion;
  gboolean fuse;
} NormwearLayer;

typedef struct {
  const float *cls, *pos, *patch_w, *patch_b;
  NormwearLayer *layers;
  int nvar, height, width, tokens;
} Normwear;

typedef struct {
  void *variate, *fusion;
  const float *cls_in; /* (B, nvar, D) fusion input */
} NormwearSaved;

static void
normwear_free (gpointer impl)
{
  Normwear *n = impl;

  g_free (n->layers);
  g_free (n);
}

static void
bind_block (BxModel *m, BxPreLnBlock *b, const char *base, GError **e)
{
  int D = m->cfg.dim, F = m->cfg.ffn;
#define P(field, key, n)                                                                                             \
  do                                                                                                                 \
    {                                                                                                                \
      g_autofree char *name_ = g_strconcat (base, key, NULL);                                                        \
      b->field = bx_model_param (m, name_, (n), e);                                                                  \
    }                                                                                                                \
  while (0)

  b->dim = D;
  b->heads = m->cfg.heads;
  b->ffn = F;
  b->eps = 1e-5f;
  b->qk_eps = 1e-5f;
  P (norm1_w, ".norm1.weight", D);
  P (norm1_b, ".norm1.bias", D);
  P (qkv_w, ".attn.qkv.weight", (gsize) 3 * D * D);
  P (qkv_b, ".attn.qkv.bias", (gsize) 3 * D);
  P (proj_w, ".attn.proj.weight", (gsize) D * D);
  P (proj_b, ".attn.proj.bias", D);
  P (norm2_w, ".norm2.weight", D);
  P (norm2_b, ".norm2.bias", D);
  P (fc1_w, ".mlp.fc1.weight", (gsize) F * D);
  P (fc1_b, ".mlp.fc1.bias", F);
  P (fc2_w, ".mlp.fc2.weight", (gsize) D * F);
  P (fc2_b, ".mlp.fc2.bias", D);
#undef P
}

static gboolean
normwear_bind (BxModel *m, GError **error)
{
  Normwear *n = g_new0 (Normwear, 1);
  GError *e = NULL;
  int D = m->cfg.dim;

  m->impl = n;
  n->cls = bx_model_param (m, "cls_token", D, &e);
  n->pos = bx_model_param (m, "pos_embed", (gsize) m->cfg.pos_rows * D, &e);
  n->patch_w = bx_model_param (m, "patch_embed.proj.weight",
                               (gsize) D * m->cfg.in_chans * m->cfg.patch_h * m->cfg.patch_w, &e);
  n->patch_b = bx_model_param (m, "patch_embed.proj.bias", D, &e);
  n->layers = g_new0 (NormwearLayer, m->n_layers);
  for (int i = 0; i < m->n_layers; i++)
    {
      g_autofree char *v = g_strdup_printf ("encoder_blocks.%d.variate_encoder", i);
      g_autofree char *f = g_strdup_printf ("encoder_blocks.%d.cls_fusion", i);
      bind_block (m, &n->layers[i].variate, v, &e);
      n->layers[i].fuse = (i % 2 == 0);
      if (n->layers[i].fuse)
        bind_block (m, &n->layers[i].fusion, f, &e);
    }
  if (e != NULL)
    {
      g_propagate_error (error, e);
      return FALSE;
    }
  return TRUE;
}

static gboolean
normwear_set_input_shape (BxModel *m, int ndim, const gint64 *shape, GError **error)
{
  Normwear *n = m->impl;
  gint64 grid, tok[3];

  if (ndim != 4 || shape[1] != m->cfg.in_chans || shape[2] > G_MAXINT || shape[3] > G_MAXINT)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT,
                   "%s: NormWear takes the CWT per sample as (channels, %d, time, scales), got %d dims", m->path,
                   m->cfg.in_chans, ndim);
      return FALSE;
    }
  grid = (shape[2] / m->cfg.patch_h) * (shape[3] / m->cfg.patch_w);
  if (grid + 1 != m->cfg.pos_rows)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT,
                   "%s: a (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ") CWT gives %" G_GINT64_FORMAT
                   " patches of %d×%d but pos_embed has %d rows (1 + patches); interpolating pos_embed is not "
                   "supported (NormWear expects 388 × 65)",
                   m->path, shape[2], shape[3], grid, m->cfg.patch_h, m->cfg.patch_w, m->cfg.pos_rows);
      return FALSE;
    }
  n->nvar = (int) shape[0];
  n->height = (int) shape[2];
  n->width = (int) shape[3];
  n->tokens = (int) grid + 1;
  tok[0] = n->nvar;
  tok[1] = n->tokens;
  tok[2] = m->cfg.dim;
  for (int i = 0; i < m->n_layers; i++)
    {
      bx_model_set_shape (m, i, TRUE, 3, tok, 2);
      bx_model_set_shape (m, i, FALSE, 3, tok, 2);
    }
  return TRUE;
}

/* (B, nvar, 3, H, W) → (B·nvar, 1 + P, D) */
static void
normwear_stem_forward (BxModel *m, BxModelContext *ctx, int batch, const float *in, float *out)
{
  Normwear *n = m->impl;
  int D = m->cfg.dim, BN = batch * n->nvar, P = n->tokens - 1;
  float *ws = bx_model_ctx_alloc (ctx, bx_patch_conv2d_workspace_floats (m->cfg.in_chans, n->height, n->width,
                                                                         m->cfg.patch_h, m->cfg.patch_w));
  float *patches = bx_model_ctx_alloc (ctx, (gsize) BN * P * D);

  bx_patch_conv2d_forward (patches, in, n->patch_w, n->patch_b, BN, m->cfg.in_chans, n->height, n->width,
                           m->cfg.patch_h, m->cfg.patch_w, D, ws);
  for (int s = 0; s < BN; s++)
    {
      float *o = out + (gsize) s * n->tokens * D;
      for (int d = 0; d < D; d++)
        o[d] = n->cls[d] + n->pos[d];
      for (int p = 0; p < P; p++)
        {
          const float *src = patches + ((gsize) s * P + p) * D, *pe = n->pos + (gsize) (p + 1) * D;
          float *t = o + (gsize) (p + 1) * D;
          for (int d = 0; d < D; d++)
            t[d] = src[d] + pe[d];
        }
    }
}

static void *
normwear_layer_forward (BxModel *m, BxModelContext *ctx, int layer, int batch, const float *x, float *y,
                        gboolean save)
{
  Normwear *n = m->impl;
  const NormwearLayer *L = &n->layers[layer];
  int D = m->cfg.dim, BN = batch * n->nvar, T = n->tokens;
  NormwearSaved *s = save ? bx_model_ctx_alloc_bytes (ctx, sizeof (NormwearSaved)) : NULL;
  void *sv = bx_pre_ln_block_forward (&L->variate, ctx, BN, T, x, y, save);

  if (s != NULL)
    {
      s->variate = sv;
      s->fusion = NULL;
    }
  if (L->fuse)
    {
      /* CLS tokens of each sample's channels (B, nvar, D) attend to each other */
      float *cls = bx_model_ctx_alloc (ctx, (gsize) BN * D), *fused = bx_model_ctx_alloc (ctx, (gsize) BN * D);
      for (int r = 0; r < BN; r++)
        memcpy (cls + (gsize) r * D, y + (gsize) r * T * D, sizeof (float) * D);
      void *sf = bx_pre_ln_block_forward (&L->fusion, ctx, batch, n->nvar, cls, fused, save);
      for (int r = 0; r < BN; r++)
        memcpy (y + (gsize) r * T * D, fused + (gsize) r * D, sizeof (float) * D);
      if (s != NULL)
        {
          s->fusion = sf;
          s->cls_in = cls;
        }
    }
  return s;
}

static void
normwear_layer_backward (BxModel *m, BxModelContext *ctx, int layer, int batch, void *saved, const float *dy,
                         float *dx)
{
  Normwear *n = m->impl;
  const NormwearLayer *L = &n->layers[layer];
  const NormwearSaved *s = saved;
  int D = m->cfg.dim, BN = batch * n->nvar, T = n->tokens;
  gsize N = (gsize) BN * T * D;
  const float *d_var = dy;

  if (L->fuse)
    {
      float *dv = bx_model_ctx_alloc (ctx, N);
      float *dcls_out = bx_model_ctx_alloc (ctx, (gsize) BN * D), *dcls_in = bx_model_ctx_alloc (ctx, (gsize) BN * D);
      /* token 0 of the output came from the fusion block, the rest straight from the variate block */
      memcpy (dv, dy, N * sizeof (float));
      for (int r = 0; r < BN; r++)
        {
          memcpy (dcls_out + (gsize) r * D, dy + (gsize) r * T * D, sizeof (float) * D);
          memset (dv + (gsize) r * T * D, 0, sizeof (float) * D);
        }
      bx_pre_ln_block_backward (&L->fusion, ctx, batch, n->nvar, s->fusion, dcls_out, dcls_in);
      for (int r = 0; r < BN; r++)
        memcpy (dv + (gsize) r * T * D, dcls_in + (gsize) r * D, sizeof (float) * D);
      d_var = dv;
    }
  bx_pre_ln_block_backward (&L->variate, ctx, BN, T, s->variate, d_var, dx);
}

const BxModelFamilyOps bx_normwear_ops = {
  .bind = normwear_bind,
  .set_input_shape = normwear_set_input_shape,
  .stem_forward = normwear_stem_forward,
  .layer_forward = normwear_layer_forward,
  .layer_backward = normwear_layer_backward,
  .free_impl = normwear_free,
};
