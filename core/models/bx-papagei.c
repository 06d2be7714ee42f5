/* bx-papagei.c — PaPaGei-S backbone (spec §3.3): ResNet1D with TF-style
 * SAME padding, pre-activation basic blocks (block 0 skips BN1/ReLU),
 * stride 2 on odd blocks with a zero-padded max-pool on the identity, and
 * identity channels zero-padded into the middle when the width doubles.
 * Hook layer i = basicblock_list[i], (B, C_i, L_i). BatchNorm in eval mode. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bx-model-private.h"
#include "nn/bx-nn.h"

typedef struct {
  const float *w, *b, *rm, *rv; /* BatchNorm1d */
} Bn;

typedef struct {
  Bn bn1, bn2;
  const float *conv1_w, *conv1_b, *conv2_w, *conv2_b;
  int c_in, c_out, stride, l_in, l_out;
} PapageiBlock;

typedef struct {
  const float *stem_w, *stem_b;
  Bn stem_bn;
  PapageiBlock *blocks;
  int length;
} Papagei;

/* What block i's backward reads: its input, BN1 output (pre-ReLU), conv1's
 * input, conv1 output, BN2 output (pre-ReLU), conv2's input. */
typedef struct {
  const float *x, *b1, *t, *c1, *b2, *u;
} PapageiSaved;

#define BN_EPS 1e-5f

static void
papagei_free (gpointer impl)
{
  Papagei *p = impl;

  g_free (p->blocks);
  g_free (p);
}

static void
bind_bn (BxModel *m, Bn *bn, const char *base, int c, GError **e)
{
  g_autofree char *w = g_strconcat (base, ".weight", NULL), *b = g_strconcat (base, ".bias", NULL);
  g_autofree char *rm = g_strconcat (base, ".running_mean", NULL), *rv = g_strconcat (base, ".running_var", NULL);

  bn->w = bx_model_param (m, w, c, e);
  bn->b = bx_model_param (m, b, c, e);
  bn->rm = bx_model_param (m, rm, c, e);
  bn->rv = bx_model_param (m, rv, c, e);
}

static gboolean
papagei_bind (BxModel *m, GError **error)
{
  Papagei *p = g_new0 (Papagei, 1);
  GError *e = NULL;
  int F = m->cfg.base_filters, K = m->cfg.kernel;

  m->impl = p;
  p->stem_w = bx_model_param (m, "first_block_conv.conv.weight", (gsize) F * K, &e);
  p->stem_b = bx_model_param (m, "first_block_conv.conv.bias", F, &e);
  bind_bn (m, &p->stem_bn, "first_block_bn", F, &e);
  p->blocks = g_new0 (PapageiBlock, m->n_layers);
  for (int i = 0; i < m->n_layers; i++)
    {
      PapageiBlock *b = &p->blocks[i];
      g_autofree char *bn1 = g_strdup_printf ("basicblock_list.%d.bn1", i);
      g_autofree char *bn2 = g_strdup_printf ("basicblock_list.%d.bn2", i);
      g_autofree char *c1w = g_strdup_printf ("basicblock_list.%d.conv1.conv.weight", i);
      g_autofree char *c1b = g_strdup_printf ("basicblock_list.%d.conv1.conv.bias", i);
      g_autofree char *c2w = g_strdup_printf ("basicblock_list.%d.conv2.conv.weight", i);
      g_autofree char *c2b = g_strdup_printf ("basicblock_list.%d.conv2.conv.bias", i);
      bx_papagei_block_channels (F, i, &b->c_in, &b->c_out);
      b->stride = (i % 2 == 1) ? 2 : 1;
      if (i > 0)
        bind_bn (m, &b->bn1, bn1, b->c_in, &e);
      bind_bn (m, &b->bn2, bn2, b->c_out, &e);
      b->conv1_w = bx_model_param (m, c1w, (gsize) b->c_out * b->c_in * K, &e);
      b->conv1_b = bx_model_param (m, c1b, b->c_out, &e);
      b->conv2_w = bx_model_param (m, c2w, (gsize) b->c_out * b->c_out * K, &e);
      b->conv2_b = bx_model_param (m, c2b, b->c_out, &e);
    }
  if (e != NULL)
    {
      g_propagate_error (error, e);
      return FALSE;
    }
  return TRUE;
}

static gboolean
papagei_set_input_shape (BxModel *m, int ndim, const gint64 *shape, GError **error)
{
  Papagei *p = m->impl;
  int len;

  if (ndim != 2 || shape[0] != 1 || shape[1] > G_MAXINT / 4)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT,
                   "%s: PaPaGei takes (1, samples) PPG at 125 Hz (7500 for 60 s), got %d dims", m->path, ndim);
      return FALSE;
    }
  p->length = len = (int) shape[1];
  for (int i = 0; i < m->n_layers; i++)
    {
      PapageiBlock *b = &p->blocks[i];
      gint64 in[2] = { b->c_in, len }, out[2];
      b->l_in = len;
      b->l_out = len = (len + b->stride - 1) / b->stride; /* SAME: ceil(L / s) */
      out[0] = b->c_out;
      out[1] = len;
      bx_model_set_shape (m, i, TRUE, 2, in, 0);
      bx_model_set_shape (m, i, FALSE, 2, out, 0);
    }
  return TRUE;
}

static BxConv1dShape
same_conv (int batch, int c_in, int c_out, int len, int kernel, int stride)
{
  BxConv1dShape s = { .batch = batch, .in_channels = c_in, .out_channels = c_out, .rows = 1, .in_length = len,
                      .kernel = kernel, .stride = stride, .groups = 1 };

  bx_conv1d_same_padding (len, kernel, stride, &s.pad_left, &s.pad_right);
  return s;
}

/* A BatchNorm (eval) as per-channel scale and shift (c), in the context. */
static void
bn_affine (BxModelContext *ctx, const Bn *bn, int c, const float **scale, const float **shift)
{
  float *a = bx_model_ctx_alloc (ctx, c), *sh = bx_model_ctx_alloc (ctx, c);

  bx_batch_norm_eval_affine (a, sh, bn->rm, bn->rv, bn->w, bn->b, c, BN_EPS);
  *scale = a;
  *shift = sh;
}

/* (B, 1, L) → ReLU(BN(SAME conv)) (B, F, L), BN and ReLU in the conv's epilogue */
static void
papagei_stem_forward (BxModel *m, BxModelContext *ctx, int batch, const float *in, float *out)
{
  Papagei *p = m->impl;
  int F = m->cfg.base_filters;
  BxConv1dShape s = same_conv (batch, 1, F, p->length, m->cfg.kernel, 1);
  float *ws = bx_model_ctx_alloc (ctx, bx_conv1d_workspace_floats (&s));
  BxConv1dFused f = { .out_act = BX_CONV_ACT_RELU };

  bn_affine (ctx, &p->stem_bn, F, &f.out_scale, &f.out_shift);
  bx_conv1d_forward_fused (out, in, p->stem_w, p->stem_b, &s, &f, ws);
}

/* Inference block in two fused convs, no intermediate tensors beside u:
 *   u = ReLU(BN2(conv1(ReLU(BN1(x)))))       BN1/ReLU on conv1's input gather
 *   y = conv2(u) + pad_channels(pool(x))     identity added in conv2's epilogue */
static void
papagei_block_fused (BxModel *m, BxModelContext *ctx, const PapageiBlock *b, int layer, int batch, const float *x,
                     float *y)
{
  int K = m->cfg.kernel;
  BxConv1dShape s1 = same_conv (batch, b->c_in, b->c_out, b->l_in, K, b->stride);
  BxConv1dShape s2 = same_conv (batch, b->c_out, b->c_out, b->l_out, K, 1);
  float *ws = bx_model_ctx_alloc (ctx, MAX (bx_conv1d_workspace_floats (&s1), bx_conv1d_workspace_floats (&s2)));
  float *u = bx_model_ctx_alloc (ctx, (gsize) batch * b->c_out * b->l_out);
  BxConv1dFused f1 = { .out_act = BX_CONV_ACT_RELU };
  BxConv1dFused f2 = { .residual = x, .residual_channels = b->c_in, .residual_offset = (b->c_out - b->c_in) / 2,
                       .residual_pool_length = b->stride == 2 ? b->l_in : 0 };

  if (layer > 0)
    {
      bn_affine (ctx, &b->bn1, b->c_in, &f1.in_scale, &f1.in_shift);
      f1.in_act = BX_CONV_ACT_RELU;
    }
  bn_affine (ctx, &b->bn2, b->c_out, &f1.out_scale, &f1.out_shift);
  bx_conv1d_forward_fused (u, x, b->conv1_w, b->conv1_b, &s1, &f1, ws);
  bx_conv1d_forward_fused (y, u, b->conv2_w, b->conv2_b, &s2, &f2, ws);
}

static void *
papagei_layer_forward (BxModel *m, BxModelContext *ctx, int layer, int batch, const float *x, float *y,
                       gboolean save)
{
  Papagei *p = m->impl;
  const PapageiBlock *b = &p->blocks[layer];

  /* inference: fused (its max-pool residual assumes the width stays, true of every PaPaGei block) */
  if (!save && (b->stride == 1 || b->c_in == b->c_out))
    {
      papagei_block_fused (m, ctx, b, layer, batch, x, y);
      return NULL;
    }

  int K = m->cfg.kernel;
  gsize n_in = (gsize) batch * b->c_in * b->l_in, n_out = (gsize) batch * b->c_out * b->l_out;
  BxConv1dShape s1 = same_conv (batch, b->c_in, b->c_out, b->l_in, K, b->stride);
  BxConv1dShape s2 = same_conv (batch, b->c_out, b->c_out, b->l_out, K, 1);
  float *ws = bx_model_ctx_alloc (ctx, MAX (bx_conv1d_workspace_floats (&s1), bx_conv1d_workspace_floats (&s2)));
  PapageiSaved *s = save ? bx_model_ctx_alloc_bytes (ctx, sizeof (PapageiSaved)) : NULL;
  float *b1 = NULL, *t = (float *) x;
  float *c1 = bx_model_ctx_alloc (ctx, n_out), *b2 = bx_model_ctx_alloc (ctx, n_out);
  float *u = bx_model_ctx_alloc (ctx, n_out);
  const float *id = x;

  if (layer > 0)
    {
      b1 = bx_model_ctx_alloc (ctx, n_in);
      t = bx_model_ctx_alloc (ctx, n_in);
      bx_batch_norm_eval_forward (b1, x, b->bn1.rm, b->bn1.rv, b->bn1.w, b->bn1.b, batch, b->c_in, b->l_in, BN_EPS);
      bx_relu_forward (t, b1, n_in);
    }
  bx_conv1d_forward (c1, t, b->conv1_w, b->conv1_b, &s1, ws);
  bx_batch_norm_eval_forward (b2, c1, b->bn2.rm, b->bn2.rv, b->bn2.w, b->bn2.b, batch, b->c_out, b->l_out, BN_EPS);
  bx_relu_forward (u, b2, n_out);
  bx_conv1d_forward (y, u, b->conv2_w, b->conv2_b, &s2, ws);
  /* identity: max-pool (k 2, one zero on the right) on downsampling blocks, channels zero-padded into the middle */
  if (b->stride == 2)
    {
      float *pooled = bx_model_ctx_alloc (ctx, (gsize) batch * b->c_in * b->l_out);
      bx_maxpool2_forward (pooled, x, batch * b->c_in, b->l_in);
      id = pooled;
    }
  if (b->c_out != b->c_in)
    {
      float *padded = bx_model_ctx_alloc (ctx, n_out);
      bx_channel_pad_forward (padded, id, batch, b->c_in, b->c_out, b->l_out);
      id = padded;
    }
  bx_add_forward (y, y, id, n_out);
  if (!save)
    return NULL;
  *s = (PapageiSaved){ .x = x, .b1 = b1, .t = t, .c1 = c1, .b2 = b2, .u = u };
  return s;
}

static void
papagei_layer_backward (BxModel *m, BxModelContext *ctx, int layer, int batch, void *saved, const float *dy,
                        float *dx)
{
  Papagei *p = m->impl;
  const PapageiBlock *b = &p->blocks[layer];
  const PapageiSaved *s = saved;
  int K = m->cfg.kernel;
  gsize n_in = (gsize) batch * b->c_in * b->l_in, n_out = (gsize) batch * b->c_out * b->l_out;
  BxConv1dShape s1 = same_conv (batch, b->c_in, b->c_out, b->l_in, K, b->stride);
  BxConv1dShape s2 = same_conv (batch, b->c_out, b->c_out, b->l_out, K, 1);
  float *ws = bx_model_ctx_alloc (ctx, MAX (bx_conv1d_workspace_floats (&s1), bx_conv1d_workspace_floats (&s2)));
  float *du = bx_model_ctx_alloc_zeros (ctx, n_out), *db2 = bx_model_ctx_alloc_zeros (ctx, n_out);
  float *dc1 = bx_model_ctx_alloc_zeros (ctx, n_out), *dt = bx_model_ctx_alloc_zeros (ctx, n_in);
  const float *d_id = dy;

  memset (dx, 0, n_in * sizeof (float));
  /* conv path */
  bx_conv1d_backward (du, NULL, NULL, dy, s->u, b->conv2_w, &s2, ws);
  bx_relu_backward (db2, du, s->b2, n_out);
  bx_batch_norm_eval_backward (dc1, NULL, NULL, db2, s->c1, b->bn2.rm, b->bn2.rv, b->bn2.w, batch, b->c_out,
                               b->l_out, BN_EPS);
  bx_conv1d_backward (dt, NULL, NULL, dc1, s->t, b->conv1_w, &s1, ws);
  if (layer > 0)
    {
      float *db1 = bx_model_ctx_alloc_zeros (ctx, n_in);
      bx_relu_backward (db1, dt, s->b1, n_in);
      bx_batch_norm_eval_backward (dx, NULL, NULL, db1, s->x, b->bn1.rm, b->bn1.rv, b->bn1.w, batch, b->c_in,
                                   b->l_in, BN_EPS);
    }
  else
    bx_add_forward (dx, dx, dt, n_in);
  /* identity path */
  if (b->c_out != b->c_in)
    {
      float *sliced = bx_model_ctx_alloc_zeros (ctx, (gsize) batch * b->c_in * b->l_out);
      bx_channel_pad_backward (sliced, dy, batch, b->c_in, b->c_out, b->l_out);
      d_id = sliced;
    }
  if (b->stride == 2)
    bx_maxpool2_backward (dx, d_id, s->x, batch * b->c_in, b->l_in);
  else
    bx_add_forward (dx, dx, d_id, n_in);
}

const BxModelFamilyOps bx_papagei_ops = {
  .bind = papagei_bind,
  .set_input_shape = papagei_set_input_shape,
  .stem_forward = papagei_stem_forward,
  .layer_forward = papagei_layer_forward,
  .layer_backward = papagei_layer_backward,
  .free_impl = papagei_free,
};
