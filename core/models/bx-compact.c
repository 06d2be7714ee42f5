/* bx-compact.c — the compact encoder family (architecture and shapes in
 * bx-compact.h): BxModel ops (input gradients only, like every family) and
 * the trainer's whole-model forward/backward with weight gradients, masked
 * patch reconstruction and AdamW. nn side: never includes core/io. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bx-compact-private.h"
#include "dsp/bx-fft.h"
#include "nn/bx-nn.h"

#define LN_EPS 1e-5f

/* Weights of one pre-LN block (also used for its gradients). */
typedef struct
{
  float *n1w, *n1b, *qkvw, *qkvb, *projw, *projb, *n2w, *n2b, *fc1w, *fc1b, *fc2w, *fc2b;
} BlockW;

typedef struct
{
  const float *x;
  float *ln1, *mean1, *rstd1, *q, *k, *v, *probs, *o, *x1, *ln2, *mean2, *rstd2, *h, *g;
} BlockSaved;

typedef struct
{
  BxCompactConfig cfg;
  float *pw, *pb, *cls, *chan, *time;
  BlockW *blocks;
  int n_ch, n_patch, tokens;
} Compact;

typedef float *(*AllocFn) (void *owner, gsize n);

static float *
ctx_alloc (void *owner, gsize n)
{
  return bx_model_ctx_alloc (owner, n);
}

static float *
arena_alloc (void *owner, gsize n)
{
  return bx_arena_alloc_floats (owner, n);
}

static float *
zalloc (AllocFn alloc, void *owner, gsize n)
{
  float *p = alloc (owner, n);

  memset (p, 0, n * sizeof (float));
  return p;
}

/* ---- configuration and parameter layout ---- */

gboolean
bx_compact_config_default (const char *modality, BxCompactConfig *cfg)
{
  static const char *const known[] = { "eeg", "ecg", "ppg", "emg" };
  gboolean ok = FALSE;

  for (gsize i = 0; i < G_N_ELEMENTS (known); i++)
    if (modality != NULL && g_ascii_strcasecmp (modality, known[i]) == 0)
      ok = TRUE;
  if (!ok)
    return FALSE;
  memset (cfg, 0, sizeof *cfg);
  g_strlcpy (cfg->modality, modality, sizeof cfg->modality);
  for (char *c = cfg->modality; *c; c++)
    *c = g_ascii_tolower (*c);
  cfg->rate = strcmp (cfg->modality, "ppg") == 0 ? 50 : 100;
  cfg->patch = cfg->rate / 2;
  cfg->dim = 64;
  cfg->depth = 4;
  cfg->heads = 4;
  cfg->max_channels = 32;
  cfg->max_patches = 64;
  return TRUE;
}

/* Names and shapes of the encoder's tensors in file order (data NULL). */
GPtrArray *
bx_compact_param_layout (const BxCompactConfig *c)
{
  GPtrArray *a = g_ptr_array_new ();
  gint64 D = c->dim, F = 4 * c->dim;
#define L(nd, s0, s1, ...)                                                                                   \
  do                                                                                                         \
    {                                                                                                        \
      BxModelParam *p_ = g_new0 (BxModelParam, 1);                                                           \
      p_->name = g_strdup_printf (__VA_ARGS__);                                                              \
      p_->ndim = (nd);                                                                                       \
      p_->shape[0] = (s0);                                                                                   \
      p_->shape[1] = (s1);                                                                                   \
      p_->numel = (gsize)(s0) * (gsize)((nd) == 2 ? (s1) : 1);                                               \
      g_ptr_array_add (a, p_);                                                                               \
    }                                                                                                        \
  while (0)
  L (2, D, c->patch, "patch_embed.weight");
  L (1, D, 0, "patch_embed.bias");
  L (1, D, 0, "cls_token");
  L (2, c->max_channels, D, "channel_embed");
  L (2, c->max_patches, D, "time_embed");
  for (int i = 0; i < c->depth; i++)
    {
      L (1, D, 0, "blocks.%d.norm1.weight", i);
      L (1, D, 0, "blocks.%d.norm1.bias", i);
      L (2, 3 * D, D, "blocks.%d.attn.qkv.weight", i);
      L (1, 3 * D, 0, "blocks.%d.attn.qkv.bias", i);
      L (2, D, D, "blocks.%d.attn.proj.weight", i);
      L (1, D, 0, "blocks.%d.attn.proj.bias", i);
      L (1, D, 0, "blocks.%d.norm2.weight", i);
      L (1, D, 0, "blocks.%d.norm2.bias", i);
      L (2, F, D, "blocks.%d.mlp.fc1.weight", i);
      L (1, F, 0, "blocks.%d.mlp.fc1.bias", i);
      L (2, D, F, "blocks.%d.mlp.fc2.weight", i);
      L (1, D, 0, "blocks.%d.mlp.fc2.bias", i);
    }
#undef L
  return a;
}

void
bx_compact_param_layout_free (GPtrArray *a)
{
  for (guint i = 0; i < a->len; i++)
    {
      BxModelParam *p = a->pdata[i];
      g_free (p->name);
      g_free (p);
    }
  g_ptr_array_unref (a);
}

/* Deterministic init: weights/embeddings trunc-normal(0.02), biases 0, LayerNorm 1/0. */
static void
init_param (BxRng *rng, const char *name, float *x, gsize n)
{
  if (g_str_has_suffix (name, "bias"))
    memset (x, 0, n * sizeof (float));
  else if (strstr (name, "norm") != NULL)
    for (gsize i = 0; i < n; i++)
      x[i] = 1.0f;
  else
    bx_rng_fill_trunc_normal (rng, x, n, 0.0f, 0.02f, -0.04f, 0.04f);
}

static void
model_param_free (gpointer p)
{
  BxModelParam *param = p;

  g_free (param->name);
  g_free (param->data);
  g_free (param);
}

static GPtrArray *
key_list (void)
{
  GPtrArray *a = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (a, NULL);
  return a;
}

static void
key_list_add (GPtrArray *list, const char *key)
{
  g_ptr_array_remove_index (list, list->len - 1);
  g_ptr_array_add (list, g_strdup (key));
  g_ptr_array_add (list, NULL);
}

gboolean
bx_compact_config_check (const BxCompactConfig *c, const char *what, GError **error)
{
  BxCompactConfig d;

  if (!bx_compact_config_default (c->modality, &d) || c->rate < 1 || c->patch < 1 || c->dim < 1
      || c->depth < 1 || c->depth > BX_MODEL_MAX_LAYERS || c->heads < 1 || c->dim % c->heads != 0
      || c->max_channels < 1 || c->max_patches < 1)
    {
      g_set_error (
          error, BX_MODEL_ERROR, BX_MODEL_ERROR_CONFIG,
          "%s: not a compact configuration: modality '%s', rate %d, patch %d, dim %d, depth %d, heads %d, "
          "max channels %d, max patches %d",
          what, c->modality, c->rate, c->patch, c->dim, c->depth, c->heads, c->max_channels, c->max_patches);
      return FALSE;
    }
  return TRUE;
}

/* Fills the BxModel configuration fields and description strings. */
void
bx_compact_model_set_config (BxModel *m, const BxCompactConfig *c)
{
  m->cfg.dim = c->dim;
  m->cfg.depth = c->depth;
  m->cfg.heads = c->heads;
  m->cfg.ffn = 4 * c->dim;
  m->cfg.rate = c->rate;
  m->cfg.patch = c->patch;
  m->cfg.max_channels = c->max_channels;
  m->cfg.max_patches = c->max_patches;
  g_strlcpy (m->cfg.modality, c->modality, sizeof m->cfg.modality);
  m->n_layers = c->depth;
  g_free (m->config);
  g_free (m->config_json);
  m->config = g_strdup_printf ("compact-%s: %d Hz, patch %d samples, dim %d, depth %d, heads %d, MLP %d, "
                               "up to %d channels × %d patches",
                               c->modality, c->rate, c->patch, c->dim, c->depth, c->heads, 4 * c->dim,
                               c->max_channels, c->max_patches);
  m->config_json
      = g_strdup_printf ("\"modality\": \"%s\", \"rate\": %d, \"patch\": %d, \"dim\": %d, \"depth\": %d, "
                         "\"heads\": %d, \"mlp\": %d, \"max_channels\": %d, \"max_patches\": %d",
                         c->modality, c->rate, c->patch, c->dim, c->depth, c->heads, 4 * c->dim,
                         c->max_channels, c->max_patches);
}

BxModel *
bx_compact_model_new (const BxCompactConfig *cfg, guint64 seed, GError **error)
{
  g_autoptr (BxModel) m = NULL;
  GPtrArray *layout;
  BxRng rng;

  if (!bx_compact_config_check (cfg, "new compact model", error))
    return NULL;
  m = g_new0 (BxModel, 1);
  m->family = BX_MODEL_FAMILY_COMPACT;
  m->ops = &bx_compact_ops;
  m->path = g_strdup_printf ("(new compact-%s model, seed %" G_GUINT64_FORMAT ")", cfg->modality, seed);
  m->layout = g_strdup ("");
  m->params = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, model_param_free);
  m->loaded_keys = key_list ();
  m->ignored_keys = key_list ();
  m->random_keys = key_list ();
  m->warnings = key_list ();
  m->notes = key_list ();
  bx_compact_model_set_config (m, cfg);
  bx_rng_init (&rng, seed ? seed : 2510);
  layout = bx_compact_param_layout (cfg);
  for (guint i = 0; i < layout->len; i++)
    {
      BxModelParam *p = layout->pdata[i];
      float *data = g_new (float, p->numel);
      init_param (&rng, p->name, data, p->numel);
      bx_model_add_param (m, p->name, p->ndim, p->shape, data);
      key_list_add (m->random_keys, p->name);
    }
  bx_compact_param_layout_free (layout);
  m->n_file_params = m->n_params;
  if (!m->ops->bind (m, error))
    return NULL;
  return g_steal_pointer (&m);
}

gboolean
bx_compact_model_get_config (const BxModel *model, BxCompactConfig *cfg)
{
  if (model == NULL || model->family != BX_MODEL_FAMILY_COMPACT)
    return FALSE;
  memset (cfg, 0, sizeof *cfg);
  g_strlcpy (cfg->modality, model->cfg.modality, sizeof cfg->modality);
  cfg->rate = model->cfg.rate;
  cfg->patch = model->cfg.patch;
  cfg->dim = model->cfg.dim;
  cfg->depth = model->cfg.depth;
  cfg->heads = model->cfg.heads;
  cfg->max_channels = model->cfg.max_channels;
  cfg->max_patches = model->cfg.max_patches;
  return TRUE;
}

void
bx_compact_normalize (float *x, gsize rows, gsize n)
{
  for (gsize r = 0; r < rows; r++)
    {
      float *row = x + r * n;
      double s = 0.0, ss = 0.0, mean, sd;
      for (gsize i = 0; i < n; i++)
        s += row[i];
      mean = s / (double)n;
      for (gsize i = 0; i < n; i++)
        ss += (row[i] - mean) * (row[i] - mean);
      sd = sqrt (ss / (double)n);
      for (gsize i = 0; i < n; i++)
        row[i] = (float)((row[i] - mean) / (sd + 1e-6));
    }
}

/* ---- ops ---- */

static void
compact_free (gpointer impl)
{
  Compact *c = impl;

  g_free (c->blocks);
  g_free (c);
}

/* Binds the block weights of model `m` (or the gradient buffers of a trainer) by name. */
static void
bind_block (BlockW *b, int i, float *(*get) (void *owner, const char *name), void *owner)
{
#define B(field, key)                                                                                        \
  do                                                                                                         \
    {                                                                                                        \
      g_autofree char *n_ = g_strdup_printf ("blocks.%d.%s", i, key);                                        \
      b->field = get (owner, n_);                                                                            \
    }                                                                                                        \
  while (0)
  B (n1w, "norm1.weight");
  B (n1b, "norm1.bias");
  B (qkvw, "attn.qkv.weight");
  B (qkvb, "attn.qkv.bias");
  B (projw, "attn.proj.weight");
  B (projb, "attn.proj.bias");
  B (n2w, "norm2.weight");
  B (n2b, "norm2.bias");
  B (fc1w, "mlp.fc1.weight");
  B (fc1b, "mlp.fc1.bias");
  B (fc2w, "mlp.fc2.weight");
  B (fc2b, "mlp.fc2.bias");
#undef B
}

static float *
model_get (void *owner, const char *name)
{
  const BxModelParam *p = bx_model_param_info (owner, name);

  return p ? p->data : NULL;
}

static gboolean
compact_bind (BxModel *m, GError **error)
{
  Compact *c = g_new0 (Compact, 1);
  GPtrArray *layout;
  GError *e = NULL;

  m->impl = c;
  bx_compact_model_get_config (m, &c->cfg);
  if (!bx_compact_config_check (&c->cfg, m->path, error))
    return FALSE;
  layout = bx_compact_param_layout (&c->cfg);
  for (guint i = 0; i < layout->len; i++)
    {
      BxModelParam *p = layout->pdata[i];
      bx_model_param (m, p->name, p->numel, &e);
    }
  bx_compact_param_layout_free (layout);
  if (e != NULL)
    {
      g_propagate_error (error, e);
      return FALSE;
    }
  c->pw = model_get (m, "patch_embed.weight");
  c->pb = model_get (m, "patch_embed.bias");
  c->cls = model_get (m, "cls_token");
  c->chan = model_get (m, "channel_embed");
  c->time = model_get (m, "time_embed");
  c->blocks = g_new0 (BlockW, c->cfg.depth);
  for (int i = 0; i < c->cfg.depth; i++)
    bind_block (&c->blocks[i], i, model_get, m);
  return TRUE;
}

static gboolean
compact_set_input_shape (BxModel *m, int ndim, const gint64 *shape, GError **error)
{
  Compact *c = m->impl;

  if (ndim != 2 || shape[0] > c->cfg.max_channels || shape[1] % c->cfg.patch != 0
      || shape[1] / c->cfg.patch > c->cfg.max_patches)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT,
                   "%s: compact-%s takes (channels ≤ %d, samples = k·%d with k ≤ %d) at %d Hz; got %d dims "
                   "(%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ")",
                   m->path, c->cfg.modality, c->cfg.max_channels, c->cfg.patch, c->cfg.max_patches,
                   c->cfg.rate, ndim, shape[0], ndim > 1 ? shape[1] : 0);
      return FALSE;
    }
  c->n_ch = (int)shape[0];
  c->n_patch = (int)(shape[1] / c->cfg.patch);
  c->tokens = 1 + c->n_ch * c->n_patch;
  bx_model_set_token_shapes (m, c->tokens, c->cfg.dim);
  return TRUE;
}

/* x (B, C, N·P) → tok (B, 1 + C·N, D); e (B·C·N, D) scratch; mask (B, C·N) or NULL. */
static void
stem_forward (const Compact *c, const float *mask_token, int B, int C, int N, const float *x,
              const guint8 *mask, float *e, float *tok)
{
  int D = c->cfg.dim, P = c->cfg.patch, T = 1 + C * N;

  bx_linear_forward (e, x, c->pw, c->pb, B * C * N, P, D);
  for (int b = 0; b < B; b++)
    {
      float *o = tok + (gsize)b * T * D;
      memcpy (o, c->cls, sizeof (float) * D);
      for (int ch = 0; ch < C; ch++)
        for (int n = 0; n < N; n++)
          {
            gsize r = ((gsize)b * C + ch) * N + n;
            const float *src = (mask != NULL && mask[r]) ? mask_token : e + r * D;
            const float *ce = c->chan + (gsize)ch * D, *te = c->time + (gsize)n * D;
            float *t = o + (gsize)(1 + ch * N + n) * D;
            for (int d = 0; d < D; d++)
              t[d] = src[d] + ce[d] + te[d];
          }
    }
}

static void
compact_stem_forward (BxModel *m, BxModelContext *ctx, int batch, const float *in, float *out)
{
  Compact *c = m->impl;
  float *e = bx_model_ctx_alloc (ctx, (gsize)batch * c->n_ch * c->n_patch * c->cfg.dim);

  stem_forward (c, NULL, batch, c->n_ch, c->n_patch, in, NULL, e, out);
}

static BlockSaved *
block_forward (const BlockW *w, int D, int H, AllocFn alloc, void *owner, int batch, int T, const float *x,
               float *y, gboolean save)
{
  int hd = D / H, F = 4 * D, R = batch * T;
  gsize RD = (gsize)R * D;
  BlockSaved *s = (BlockSaved *)alloc (owner, (sizeof (BlockSaved) + sizeof (float) - 1) / sizeof (float));
  float *qkv = alloc (owner, 3 * RD), *a = alloc (owner, RD);
  float *ws = alloc (owner, bx_attention_workspace_floats (T));

  s->x = x;
  s->ln1 = alloc (owner, RD);
  s->mean1 = alloc (owner, R);
  s->rstd1 = alloc (owner, R);
  s->q = alloc (owner, RD);
  s->k = alloc (owner, RD);
  s->v = alloc (owner, RD);
  s->probs = save ? alloc (owner, (gsize)batch * H * T * T) : NULL;
  s->o = alloc (owner, RD);
  s->x1 = alloc (owner, RD);
  s->ln2 = alloc (owner, RD);
  s->mean2 = alloc (owner, R);
  s->rstd2 = alloc (owner, R);
  s->h = alloc (owner, (gsize)R * F);
  s->g = alloc (owner, (gsize)R * F);

  bx_layer_norm_forward (s->ln1, s->mean1, s->rstd1, x, w->n1w, w->n1b, R, D, LN_EPS);
  bx_linear_forward (qkv, s->ln1, w->qkvw, w->qkvb, R, D, 3 * D);
  bx_split_qkv_forward (s->q, s->k, s->v, qkv, R, D);
  bx_attention_forward (s->o, s->probs, s->q, s->k, s->v, batch, T, H, hd, 1.0f / sqrtf ((float)hd), ws);
  bx_linear_forward (a, s->o, w->projw, w->projb, R, D, D);
  bx_add_forward (s->x1, x, a, RD);
  bx_layer_norm_forward (s->ln2, s->mean2, s->rstd2, s->x1, w->n2w, w->n2b, R, D, LN_EPS);
  bx_linear_forward (s->h, s->ln2, w->fc1w, w->fc1b, R, D, F);
  bx_gelu_forward (s->g, s->h, (gsize)R * F);
  bx_linear_forward (a, s->g, w->fc2w, w->fc2b, R, F, D);
  bx_add_forward (y, s->x1, a, RD);
  return save ? s : NULL;
}

/* dx (overwritten) from dy; gw NULL or weight-gradient buffers (accumulated). */
static void
block_backward (const BlockW *w, const BlockW *gw, int D, int H, AllocFn alloc, void *owner, int batch, int T,
                const BlockSaved *s, const float *dy, float *dx)
{
  int hd = D / H, F = 4 * D, R = batch * T;
  gsize RD = (gsize)R * D;
  float *dx1 = alloc (owner, RD), *dg = zalloc (alloc, owner, (gsize)R * F);
  float *dh = zalloc (alloc, owner, (gsize)R * F), *dln = zalloc (alloc, owner, RD);
  float *d_o = zalloc (alloc, owner, RD), *dq = zalloc (alloc, owner, RD), *dk = zalloc (alloc, owner, RD);
  float *dv = zalloc (alloc, owner, RD), *dqkv = zalloc (alloc, owner, 3 * RD);
  float *ws = alloc (owner, bx_attention_workspace_floats (T));
#define G(f) (gw != NULL ? gw->f : NULL)

  memcpy (dx1, dy, RD * sizeof (float));
  bx_linear_backward (dg, G (fc2w), G (fc2b), dy, s->g, w->fc2w, R, F, D);
  bx_gelu_backward (dh, dg, s->h, (gsize)R * F);
  bx_linear_backward (dln, G (fc1w), G (fc1b), dh, s->ln2, w->fc1w, R, D, F);
  bx_layer_norm_backward (dx1, G (n2w), G (n2b), dln, s->x1, s->mean2, s->rstd2, w->n2w, R, D);
  bx_linear_backward (d_o, G (projw), G (projb), dx1, s->o, w->projw, R, D, D);
  bx_attention_backward (dq, dk, dv, d_o, s->probs, s->q, s->k, s->v, batch, T, H, hd,
                         1.0f / sqrtf ((float)hd), ws);
  bx_split_qkv_backward (dqkv, dq, dk, dv, R, D);
  memset (dln, 0, RD * sizeof (float));
  bx_linear_backward (dln, G (qkvw), G (qkvb), dqkv, s->ln1, w->qkvw, R, D, 3 * D);
  memcpy (dx, dx1, RD * sizeof (float));
  bx_layer_norm_backward (dx, G (n1w), G (n1b), dln, s->x, s->mean1, s->rstd1, w->n1w, R, D);
#undef G
}

static void *
compact_layer_forward (BxModel *m, BxModelContext *ctx, int layer, int batch, const float *x, float *y,
                       gboolean save)
{
  Compact *c = m->impl;

  return block_forward (&c->blocks[layer], c->cfg.dim, c->cfg.heads, ctx_alloc, ctx, batch, c->tokens, x, y,
                        save);
}

static void
compact_layer_backward (BxModel *m, BxModelContext *ctx, int layer, int batch, void *saved, const float *dy,
                        float *dx)
{
  Compact *c = m->impl;

  block_backward (&c->blocks[layer], NULL, c->cfg.dim, c->cfg.heads, ctx_alloc, ctx, batch, c->tokens, saved,
                  dy, dx);
}

const BxModelFamilyOps bx_compact_ops = {
  .bind = compact_bind,
  .set_input_shape = compact_set_input_shape,
  .stem_forward = compact_stem_forward,
  .layer_forward = compact_layer_forward,
  .layer_backward = compact_layer_backward,
  .free_impl = compact_free,
};

/* ---- trainer ---- */

typedef struct
{
  BxRng rng;
  BxArena *arena;
  BlockW *gblocks;
  float *g_pw, *g_pb, *g_cls, *g_chan, *g_time, *g_mask;
  float *mask_token, *dec_w, *dec_b, *g_dec_w, *g_dec_b;
  BxCompactObjective obj;
  int n_out; /* decoder rows: P (samples) or bands (spectrum) */
  /* last forward */
  int batch, C, N, T;
  const float *x;
  guint8 *mask;
  float **acts; /* depth + 1: stem output, block outputs */
  BlockSaved **saved;
  gboolean have_forward;
} TrainNN;

static void
cparam_free (gpointer p)
{
  BxCompactParam *cp = p;

  g_free (cp->name);
  if (cp->owned)
    g_free (cp->data);
  g_free (cp->grad);
  g_free (cp->m);
  g_free (cp->v);
  g_free (cp);
}

static BxCompactParam *
cparam_add (BxCompactTrainer *t, const char *name, int ndim, const gint64 *shape, float *data, gboolean owned)
{
  BxCompactParam *p = g_new0 (BxCompactParam, 1);

  p->name = g_strdup (name);
  p->ndim = ndim;
  p->numel = 1;
  for (int i = 0; i < ndim; i++)
    {
      p->shape[i] = shape[i];
      p->numel *= (gsize)shape[i];
    }
  p->data = data;
  p->owned = owned;
  p->grad = g_new0 (float, p->numel);
  p->m = g_new0 (float, p->numel);
  p->v = g_new0 (float, p->numel);
  g_ptr_array_add (t->params, p);
  return p;
}

BxCompactParam *
bx_compact_trainer_find (const BxCompactTrainer *t, const char *name)
{
  for (guint i = 0; i < t->params->len; i++)
    {
      BxCompactParam *p = t->params->pdata[i];
      if (strcmp (p->name, name) == 0)
        return p;
    }
  return NULL;
}

static float *
grad_get (void *owner, const char *name)
{
  BxCompactParam *p = bx_compact_trainer_find (owner, name);

  return p ? p->grad : NULL;
}

/* ---- spectral targets ---- */

/* Bin ranges [lo[j], hi[j]) of K log-spaced bands from 0.5 Hz to Nyquist in
 * a W-sample periodogram at `rate` (bin k = k·rate/W Hz); every band gets at
 * least one bin, so FALSE when there are fewer than K bins in that range. */
static gboolean
spectrum_bands (int rate, int W, int K, int *lo, int *hi)
{
  const double f0 = 0.5, f1 = rate / 2.0;
  int kmax = W / 2, k0 = MAX (1, (int)ceil (f0 * W / rate - 1e-9)), prev = k0;

  if (K < 1 || kmax + 1 - k0 < K)
    return FALSE;
  for (int j = 0; j < K; j++)
    {
      int e = (int)lround (f0 * pow (f1 / f0, (double)(j + 1) / K) * W / rate);
      e = MAX (e, prev + 1);
      e = MIN (e, kmax + 1 - (K - 1 - j));
      if (j == K - 1)
        e = kmax + 1;
      lo[j] = prev;
      hi[j] = e;
      prev = e;
    }
  return TRUE;
}

/* Periodogram length (samples) for windows of S samples: target_seconds at
 * `rate`, at most the window; 0 with an error when the bands do not fit. */
static int
spectrum_length (const BxCompactObjective *obj, int rate, int patch, int S, int *lo, int *hi, GError **error)
{
  int W = (int)lround (obj->target_seconds * rate);

  W = MIN (W, S);
  if (obj->n_bands < 1 || obj->n_bands > 64 || W < patch || !spectrum_bands (rate, W, obj->n_bands, lo, hi))
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_CONFIG,
                   "spectral targets: %d bands (1 … 64) need more frequency bins between 0.5 Hz and %d Hz "
                   "than a %.2f-s periodogram has (%d samples at %d Hz, window %d, patch %d)",
                   obj->n_bands, rate / 2, (double)W / rate, W, rate, S, patch);
      return 0;
    }
  return W;
}

gboolean
bx_compact_spectrum_targets (const BxCompactObjective *obj, int rate, int patch, int batch, int n_channels,
                             int n_samples, const float *prepared, float *out, GError **error)
{
  int lo[64], hi[64], K = obj->n_bands, N = n_samples / patch;
  int W = spectrum_length (obj, rate, patch, n_samples, lo, hi, error);
  g_autoptr (BxFft) fft = NULL;
  g_autofree double *win = NULL, *seg = NULL, *spec = NULL;
  double norm = 0.0;

  if (W == 0)
    return FALSE;
  fft = bx_fft_new ((gsize)W, error);
  if (fft == NULL)
    return FALSE;
  /* periodic Hann */
  win = g_new (double, W);
  for (int i = 0; i < W; i++)
    {
      win[i] = 0.5 - 0.5 * cos (2.0 * G_PI * i / W);
      norm += win[i] * win[i];
    }
  seg = g_new (double, W);
  spec = g_new (double, 2 * (W / 2 + 1));
  for (gsize r = 0; r < (gsize)batch * n_channels; r++)
    {
      const float *x = prepared + r * n_samples;
      int prev_start = -1;
      for (int n = 0; n < N; n++)
        {
          /* the periodogram window centred on patch n, shifted to stay inside the input */
          int start = CLAMP (n * patch + patch / 2 - W / 2, 0, n_samples - W);
          float *o = out + (r * N + n) * K;
          if (start == prev_start)
            {
              /* same segment as the previous patch (clamped at an edge): same target */
              memcpy (o, o - K, sizeof (float) * K);
              continue;
            }
          prev_start = start;
          for (int i = 0; i < W; i++)
            seg[i] = x[start + i] * win[i];
          bx_fft_rfft (fft, seg, spec);
          for (int j = 0; j < K; j++)
            {
              double p = 0.0;
              /* |X_k|² / Σ w²: 1 on average for unit-variance white noise */
              for (int k = lo[j]; k < hi[j]; k++)
                p += (spec[2 * k] * spec[2 * k] + spec[2 * k + 1] * spec[2 * k + 1]) / norm;
              /* the floor keeps empty bands (above a recording's low-pass) from dominating the loss */
              o[j] = (float)log (p / (hi[j] - lo[j]) + 1e-3);
            }
        }
    }
  return TRUE;
}

char *
bx_compact_objective_describe (const BxCompactObjective *obj)
{
  if (obj == NULL || obj->kind == BX_COMPACT_OBJECTIVE_SAMPLES)
    return g_strdup ("masked-patch reconstruction (MSE on per-patch z-scored samples)");
  return g_strdup_printf ("spectral (MSE on the batch-standardised log power of every patch in %d log-spaced "
                          "bands 0.5 Hz-Nyquist of a %.3g-s Hann periodogram centred on the patch; masked "
                          "patches predicted from context)",
                          obj->n_bands, obj->target_seconds);
}

BxCompactTrainer *
bx_compact_trainer_new (BxModel *model, guint64 seed)
{
  const BxCompactObjective samples = { .kind = BX_COMPACT_OBJECTIVE_SAMPLES };

  return bx_compact_trainer_new_objective (model, seed, &samples, NULL);
}

BxCompactTrainer *
bx_compact_trainer_new_objective (BxModel *model, guint64 seed, const BxCompactObjective *obj, GError **error)
{
  BxCompactTrainer *t;
  TrainNN *nn;
  Compact *c;
  GPtrArray *layout;
  int D, P, n_out;
  BxRng init;

  g_return_val_if_fail (model->family == BX_MODEL_FAMILY_COMPACT, NULL);
  c = model->impl;
  D = c->cfg.dim;
  P = c->cfg.patch;
  n_out = P;
  if (obj->kind == BX_COMPACT_OBJECTIVE_SPECTRUM)
    {
      int lo[64], hi[64];
      /* judged for the longest window the model takes */
      if (spectrum_length (obj, c->cfg.rate, P, P * c->cfg.max_patches, lo, hi, error) == 0)
        return NULL;
      n_out = obj->n_bands;
    }
  else if (obj->kind != BX_COMPACT_OBJECTIVE_SAMPLES)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_CONFIG, "unknown compact objective %d", obj->kind);
      return NULL;
    }
  t = g_new0 (BxCompactTrainer, 1);
  nn = g_new0 (TrainNN, 1);
  nn->obj = *obj;
  nn->n_out = n_out;
  layout = bx_compact_param_layout (&c->cfg);
  t->model = model;
  t->nn = nn;
  t->params = g_ptr_array_new_with_free_func (cparam_free);
  for (guint i = 0; i < layout->len; i++)
    {
      BxModelParam *p = layout->pdata[i];
      cparam_add (t, p->name, p->ndim, p->shape, model_get (model, p->name), FALSE);
    }
  bx_compact_param_layout_free (layout);
  bx_rng_init (&init, (seed ? seed : 2510) ^ 0x9e3779b97f4a7c15ull);
  {
    BxCompactParam *mt = cparam_add (t, "mask_token", 1, (const gint64[]){ D }, g_new (float, D), TRUE);
    BxCompactParam *dw = cparam_add (t, "decoder.weight", 2, (const gint64[]){ n_out, D },
                                     g_new (float, (gsize)n_out *D), TRUE);
    BxCompactParam *db
        = cparam_add (t, "decoder.bias", 1, (const gint64[]){ n_out }, g_new0 (float, n_out), TRUE);
    init_param (&init, mt->name, mt->data, mt->numel);
    init_param (&init, dw->name, dw->data, dw->numel);
    nn->mask_token = mt->data;
    nn->g_mask = mt->grad;
    nn->dec_w = dw->data;
    nn->g_dec_w = dw->grad;
    nn->dec_b = db->data;
    nn->g_dec_b = db->grad;
  }
  nn->g_pw = grad_get (t, "patch_embed.weight");
  nn->g_pb = grad_get (t, "patch_embed.bias");
  nn->g_cls = grad_get (t, "cls_token");
  nn->g_chan = grad_get (t, "channel_embed");
  nn->g_time = grad_get (t, "time_embed");
  nn->gblocks = g_new0 (BlockW, c->cfg.depth);
  for (int i = 0; i < c->cfg.depth; i++)
    bind_block (&nn->gblocks[i], i, grad_get, t);
  nn->acts = g_new0 (float *, c->cfg.depth + 1);
  nn->saved = g_new0 (BlockSaved *, c->cfg.depth);
  nn->arena = bx_arena_new (1 << 22);
  bx_rng_init (&nn->rng, seed ? seed : 2510);
  return t;
}

void
bx_compact_trainer_free (BxCompactTrainer *t)
{
  TrainNN *nn;

  if (t == NULL)
    return;
  nn = t->nn;
  bx_arena_free (nn->arena);
  g_free (nn->gblocks);
  g_free (nn->acts);
  g_free (nn->saved);
  g_free (nn);
  g_ptr_array_unref (t->params);
  g_free (t);
}

void
bx_compact_trainer_get_rng (const BxCompactTrainer *t, guint64 s[4])
{
  const TrainNN *nn = t->nn;

  memcpy (s, nn->rng.s, 4 * sizeof (guint64));
}

void
bx_compact_trainer_set_rng (BxCompactTrainer *t, const guint64 s[4])
{
  TrainNN *nn = t->nn;

  memcpy (nn->rng.s, s, 4 * sizeof (guint64));
  nn->rng.has_spare = FALSE;
}

gint64
bx_compact_trainer_get_step (const BxCompactTrainer *t)
{
  return t->step;
}

void
bx_compact_trainer_zero_grad (BxCompactTrainer *t)
{
  for (guint i = 0; i < t->params->len; i++)
    {
      BxCompactParam *p = t->params->pdata[i];
      memset (p->grad, 0, p->numel * sizeof (float));
    }
}

const float *
bx_compact_trainer_grad (const BxCompactTrainer *t, const char *name, gsize *numel)
{
  BxCompactParam *p = bx_compact_trainer_find (t, name);

  if (p == NULL)
    return NULL;
  if (numel != NULL)
    *numel = p->numel;
  return p->grad;
}

const float *
bx_compact_trainer_forward (BxCompactTrainer *t, int batch, int n_channels, int n_samples,
                            const float *prepared, const guint8 *mask, GError **error)
{
  TrainNN *nn = t->nn;
  Compact *c = t->model->impl;
  int D = c->cfg.dim, N, T;
  gsize nx = (gsize)batch * n_channels * n_samples;
  float *x, *e;

  nn->have_forward = FALSE;
  if (batch < 1 || n_channels < 1 || n_channels > c->cfg.max_channels || n_samples % c->cfg.patch != 0
      || n_samples / c->cfg.patch > c->cfg.max_patches || n_samples < c->cfg.patch)
    {
      g_set_error (
          error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT,
          "%s: training input (%d, %d, %d) does not fit (batch, channels ≤ %d, k·%d samples, k ≤ %d)",
          t->model->path, batch, n_channels, n_samples, c->cfg.max_channels, c->cfg.patch,
          c->cfg.max_patches);
      return NULL;
    }
  N = n_samples / c->cfg.patch;
  T = 1 + n_channels * N;
  bx_arena_reset (nn->arena);
  x = bx_arena_alloc_floats (nn->arena, nx);
  memcpy (x, prepared, nx * sizeof (float));
  nn->mask = (guint8 *)bx_arena_alloc (nn->arena, (gsize)batch * n_channels * N + 1);
  if (mask != NULL)
    memcpy (nn->mask, mask, (gsize)batch * n_channels * N);
  else
    memset (nn->mask, 0, (gsize)batch * n_channels * N);
  e = bx_arena_alloc_floats (nn->arena, (gsize)batch * n_channels * N * D);
  nn->acts[0] = bx_arena_alloc_floats (nn->arena, (gsize)batch * T * D);
  stem_forward (c, nn->mask_token, batch, n_channels, N, x, nn->mask, e, nn->acts[0]);
  for (int i = 0; i < c->cfg.depth; i++)
    {
      nn->acts[i + 1] = bx_arena_alloc_floats (nn->arena, (gsize)batch * T * D);
      nn->saved[i] = block_forward (&c->blocks[i], D, c->cfg.heads, arena_alloc, nn->arena, batch, T,
                                    nn->acts[i], nn->acts[i + 1], TRUE);
    }
  nn->x = x;
  nn->batch = batch;
  nn->C = n_channels;
  nn->N = N;
  nn->T = T;
  nn->have_forward = TRUE;
  return nn->acts[c->cfg.depth];
}

void
bx_compact_trainer_backward (BxCompactTrainer *t, const float *d_last)
{
  TrainNN *nn = t->nn;
  Compact *c = t->model->impl;
  int D = c->cfg.dim, B = nn->batch, C = nn->C, N = nn->N, T = nn->T;
  gsize RD = (gsize)B * T * D;
  BxArenaMark mark = bx_arena_mark (nn->arena);
  float *d = bx_arena_alloc_floats (nn->arena, RD), *de;

  g_return_if_fail (nn->have_forward);
  memcpy (d, d_last, RD * sizeof (float));
  for (int i = c->cfg.depth - 1; i >= 0; i--)
    {
      float *dx = bx_arena_alloc_floats (nn->arena, RD);
      block_backward (&c->blocks[i], &nn->gblocks[i], D, c->cfg.heads, arena_alloc, nn->arena, B, T,
                      nn->saved[i], d, dx);
      d = dx;
    }
  /* stem: tok = [cls; (mask ? mask_token : e) + chan[c] + time[n]] */
  de = bx_arena_alloc_zeros (nn->arena, (gsize)B * C * N * D);
  for (int b = 0; b < B; b++)
    {
      const float *db = d + (gsize)b * T * D;
      for (int k = 0; k < D; k++)
        nn->g_cls[k] += db[k];
      for (int ch = 0; ch < C; ch++)
        for (int n = 0; n < N; n++)
          {
            gsize r = ((gsize)b * C + ch) * N + n;
            const float *g = db + (gsize)(1 + ch * N + n) * D;
            float *gc = nn->g_chan + (gsize)ch * D, *gt = nn->g_time + (gsize)n * D;
            float *dst = nn->mask[r] ? nn->g_mask : de + r * D;
            for (int k = 0; k < D; k++)
              {
                gc[k] += g[k];
                gt[k] += g[k];
                dst[k] += g[k];
              }
          }
    }
  bx_linear_backward (NULL, nn->g_pw, nn->g_pb, de, nn->x, c->pw, B * C * N, c->cfg.patch, D);
  bx_arena_reset_to (nn->arena, mark);
}

/* Marks round(ratio · CN) random patches of each sample (partial Fisher–Yates). */
static void
draw_mask (BxRng *rng, guint8 *mask, int B, int CN, double ratio)
{
  int k = (int)lround (ratio * CN), *idx = g_new (int, CN);

  k = CLAMP (k, ratio > 0.0 ? 1 : 0, CN);
  for (int b = 0; b < B; b++)
    {
      guint8 *m = mask + (gsize)b * CN;
      for (int i = 0; i < CN; i++)
        idx[i] = i;
      memset (m, 0, CN);
      for (int i = 0; i < k; i++)
        {
          int j = i + (int)(bx_rng_next_u64 (rng) % (guint64)(CN - i)), tmp = idx[i];
          idx[i] = idx[j];
          idx[j] = tmp;
          m[idx[i]] = 1;
        }
    }
  g_free (idx);
}

/* SPECTRUM objective on the forward's last block: MSE of the decoder's
 * (B·C·N, K) prediction against the batch-standardised log band powers of
 * every patch; with `grad`, backward too. */
static float
spectrum_loss (BxCompactTrainer *t, int B, int C, int S, const float *x, const float *last, gboolean grad,
               GError **error)
{
  TrainNN *nn = t->nn;
  Compact *c = t->model->impl;
  int D = c->cfg.dim, P = c->cfg.patch, N = S / P, CN = C * N, T = 1 + CN, K = nn->n_out;
  gsize rows = (gsize)B * CN;
  float *pred = bx_arena_alloc_floats (nn->arena, rows * K), *dpred, *dlast;
  float *tgt = bx_arena_alloc_floats (nn->arena, rows * K);
  double sum = 0.0;

  if (!bx_compact_spectrum_targets (&nn->obj, c->cfg.rate, P, B, C, S, x, tgt, error))
    return NAN;
  /* standardise each band over the batch: the loss reads like the samples
   * objective's (1.0 = no better than the batch mean) and low-power bands
   * weigh as much as the dominant ones */
  for (int j = 0; j < K; j++)
    {
      double mean = 0.0, var = 0.0, sd;
      for (gsize r = 0; r < rows; r++)
        mean += tgt[r * K + j];
      mean /= (double)rows;
      for (gsize r = 0; r < rows; r++)
        var += (tgt[r * K + j] - mean) * (tgt[r * K + j] - mean);
      sd = sqrt (var / (double)rows) + 1e-3;
      for (gsize r = 0; r < rows; r++)
        tgt[r * K + j] = (float)((tgt[r * K + j] - mean) / sd);
    }
  dpred = bx_arena_alloc_floats (nn->arena, rows * K);
  for (int b = 0; b < B; b++)
    bx_linear_forward (pred + (gsize)b * CN * K, last + ((gsize)b * T + 1) * D, nn->dec_w, nn->dec_b, CN, D,
                       K);
  for (gsize i = 0; i < rows * K; i++)
    {
      double diff = (double)pred[i] - tgt[i];
      sum += diff * diff;
      dpred[i] = (float)(2.0 * diff / ((double)rows * K));
    }
  if (grad)
    {
      dlast = bx_arena_alloc_zeros (nn->arena, (gsize)B * T * D);
      for (int b = 0; b < B; b++)
        bx_linear_backward (dlast + ((gsize)b * T + 1) * D, nn->g_dec_w, nn->g_dec_b,
                            dpred + (gsize)b * CN * K, last + ((gsize)b * T + 1) * D, nn->dec_w, CN, D, K);
      bx_compact_trainer_backward (t, dlast);
    }
  return (float)(sum / ((double)rows * K));
}

/* Forward + the objective's loss (samples: masked MSE); with `grad`, backward too. */
static float
pretrain_loss (BxCompactTrainer *t, int B, int C, int S, const float *x, const guint8 *mask, gboolean grad,
               GError **error)
{
  TrainNN *nn = t->nn;
  Compact *c = t->model->impl;
  int D = c->cfg.dim, P = c->cfg.patch, N = S / P, CN = C * N, T = 1 + CN;
  const float *last = bx_compact_trainer_forward (t, B, C, S, x, mask, error);
  float *pred, *dpred, *dlast;
  double sum = 0.0;
  gsize n_masked = 0;

  if (last == NULL)
    return NAN;
  if (nn->obj.kind == BX_COMPACT_OBJECTIVE_SPECTRUM)
    return spectrum_loss (t, B, C, S, x, last, grad, error);
  pred = bx_arena_alloc_floats (nn->arena, (gsize)B * CN * P);
  dpred = bx_arena_alloc_zeros (nn->arena, (gsize)B * CN * P);
  for (int b = 0; b < B; b++)
    bx_linear_forward (pred + (gsize)b * CN * P, last + ((gsize)b * T + 1) * D, nn->dec_w, nn->dec_b, CN, D,
                       P);
  for (gsize r = 0; r < (gsize)B * CN; r++)
    n_masked += mask[r] != 0;
  if (n_masked == 0)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT,
                   "masked-patch reconstruction needs a mask ratio > 0");
      return NAN;
    }
  for (gsize r = 0; r < (gsize)B * CN; r++)
    {
      const float *p = x + r * P, *y = pred + r * P;
      double mean = 0.0, var = 0.0, sd;
      if (!mask[r])
        continue;
      for (int i = 0; i < P; i++)
        mean += p[i];
      mean /= P;
      for (int i = 0; i < P; i++)
        var += (p[i] - mean) * (p[i] - mean);
      sd = sqrt (var / P + 1e-6);
      for (int i = 0; i < P; i++)
        {
          double diff = y[i] - (p[i] - mean) / sd;
          sum += diff * diff;
          dpred[r * P + i] = (float)(2.0 * diff / ((double)n_masked * P));
        }
    }
  if (grad)
    {
      dlast = bx_arena_alloc_zeros (nn->arena, (gsize)B * T * D);
      for (int b = 0; b < B; b++)
        bx_linear_backward (dlast + ((gsize)b * T + 1) * D, nn->g_dec_w, nn->g_dec_b,
                            dpred + (gsize)b * CN * P, last + ((gsize)b * T + 1) * D, nn->dec_w, CN, D, P);
      bx_compact_trainer_backward (t, dlast);
    }
  return (float)(sum / ((double)n_masked * P));
}

float
bx_compact_pretrain_step (BxCompactTrainer *t, int batch, int n_channels, int n_samples,
                          const float *prepared, double mask_ratio, float lr, float weight_decay,
                          gboolean update, GError **error)
{
  TrainNN *nn = t->nn;
  Compact *c = t->model->impl;
  int CN = n_channels * (n_samples / c->cfg.patch);
  g_autofree guint8 *mask = g_new (guint8, (gsize)batch * MAX (CN, 1));
  float loss;
  double norm2 = 0.0, scale = 1.0;
  BxAdamConfig ac = bx_adam_config_default (TRUE);

  draw_mask (&nn->rng, mask, batch, MAX (CN, 1), mask_ratio);
  bx_compact_trainer_zero_grad (t);
  loss = pretrain_loss (t, batch, n_channels, n_samples, prepared, mask, TRUE, error);
  if (isnan (loss) || !update)
    return loss;
  /* global gradient-norm clip at 1 keeps the first steps of a fresh model stable */
  for (guint i = 0; i < t->params->len; i++)
    {
      BxCompactParam *p = t->params->pdata[i];
      for (gsize j = 0; j < p->numel; j++)
        norm2 += (double)p->grad[j] * p->grad[j];
    }
  if (sqrt (norm2) > 1.0)
    scale = 1.0 / sqrt (norm2);
  ac.lr = lr;
  for (guint i = 0; i < t->params->len; i++)
    {
      BxCompactParam *p = t->params->pdata[i];
      /* no decay on biases, norms, embeddings and tokens (the usual AdamW groups) */
      gboolean decay = p->ndim == 2 && strstr (p->name, "embed") == NULL;
      BxAdamState st = { .n = p->numel, .step = t->step, .m = p->m, .v = p->v };
      if (scale != 1.0)
        for (gsize j = 0; j < p->numel; j++)
          p->grad[j] *= (float)scale;
      ac.weight_decay = decay || strcmp (p->name, "patch_embed.weight") == 0 ? weight_decay : 0.0f;
      bx_adam_step (p->data, p->grad, &st, &ac);
    }
  t->step++;
  return loss;
}

float
bx_compact_pretrain_eval (BxCompactTrainer *t, int batch, int n_channels, int n_samples,
                          const float *prepared, double mask_ratio, guint64 seed, GError **error)
{
  Compact *c = t->model->impl;
  int CN = n_channels * (n_samples / c->cfg.patch);
  g_autofree guint8 *mask = g_new (guint8, (gsize)batch * MAX (CN, 1));
  BxRng rng;

  bx_rng_init (&rng, seed);
  draw_mask (&rng, mask, batch, MAX (CN, 1), mask_ratio);
  return pretrain_loss (t, batch, n_channels, n_samples, prepared, mask, FALSE, error);
}
