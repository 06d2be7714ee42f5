/* bx-model-load.c — checkpoint → model parameters, per-family key mapping
 * (spec §3.1–§3.4, checkpoints/state_dict_*.txt).
 *
 * This file is the only one in core/models that includes core/io (see
 * bx-model-private.h for why). It finds the model's dict inside the file
 * ({'model': …}, {'model_state_dict': …}, bare), strips `student.` /
 * `module.` / `backbone.`, normalises weight-norm keys, detects the family
 * and the configuration from the shapes, checks every key the forward needs
 * with io's checker, and copies those tensors to float32 parameters.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bx-model-private.h"
#ifdef BX_MODELS_HAVE_COMPACT
#include "bx-compact-private.h"
#endif
#include "io/bx-checkpoint.h"
#include "io/bx-state-dict.h"

/* A growing list of expected tensors; names owned by `names`. */
typedef struct {
  GArray *specs;     /* BxTensorSpec */
  GPtrArray *names;  /* char*, owned */
} SpecList;

static void
spec_list_init (SpecList *l)
{
  l->specs = g_array_new (FALSE, TRUE, sizeof (BxTensorSpec));
  l->names = g_ptr_array_new_with_free_func (g_free);
}

static void
spec_list_clear (SpecList *l)
{
  g_array_unref (l->specs);
  g_ptr_array_unref (l->names);
}

static void G_GNUC_PRINTF (2, 0)
spec_addv (SpecList *l, const char *format, int ndim, const gint64 *shape, va_list ap)
{
  BxTensorSpec spec = { 0 };
  char *name = g_strdup_vprintf (format, ap);

  g_ptr_array_add (l->names, name);
  spec.name = name;
  spec.ndim = ndim;
  for (int i = 0; i < ndim; i++)
    spec.shape[i] = shape[i];
  g_array_append_val (l->specs, spec);
}

/* add (list, shape literal, ndim, "name %d", i) */
static void G_GNUC_PRINTF (4, 5)
add (SpecList *l, int ndim, const gint64 *shape, const char *format, ...)
{
  va_list ap;

  va_start (ap, format);
  spec_addv (l, format, ndim, shape, ap);
  va_end (ap);
}

#define ADD(l, shape, ...) add ((l), (int) (sizeof (shape) / sizeof (gint64)), (shape), __VA_ARGS__)
#define S(...) ((const gint64[]){ __VA_ARGS__ })

/* Linear (out, in) + bias (out) */
static void
add_linear (SpecList *l, const char *base, gint64 out, gint64 in, gboolean bias)
{
  ADD (l, S (out, in), "%s.weight", base);
  if (bias)
    ADD (l, S (out), "%s.bias", base);
}

static void
add_norm (SpecList *l, const char *base, gint64 dim)
{
  ADD (l, S (dim), "%s.weight", base);
  ADD (l, S (dim), "%s.bias", base);
}

static void
add_bn (SpecList *l, const char *base, gint64 dim)
{
  ADD (l, S (dim), "%s.weight", base);
  ADD (l, S (dim), "%s.bias", base);
  ADD (l, S (dim), "%s.running_mean", base);
  ADD (l, S (dim), "%s.running_var", base);
}

static const BxTensor *
find (const BxStateDict *sd, const char *name)
{
  return bx_state_dict_lookup (sd, name);
}

/* Number of consecutive indices i = 0, 1, … with "<prefix>i<suffix>" present. */
static int
count_indexed (const BxStateDict *sd, const char *prefix, const char *suffix)
{
  int n = 0;

  for (;; n++)
    {
      g_autofree char *key = g_strdup_printf ("%s%d%s", prefix, n, suffix);
      if (find (sd, key) == NULL)
        return n;
    }
}

/* Deterministic N(0, std²) restricted to [a, b] (timm trunc_normal_ bounds
 * are absolute, so std 0.02 within ±2 is effectively untruncated). Own
 * xorshift64* + Box–Muller: torch's stream cannot be reproduced anyway. */
static void
fill_trunc_normal (float *x, gsize n, guint64 seed, double std, double a, double b)
{
  guint64 s = seed ? seed : 2510;

  for (gsize i = 0; i < n;)
    {
      double u1, u2, z;
      s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
      u1 = ((s * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
      s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
      u2 = ((s * 2685821657736338717ull) >> 11) * (1.0 / 9007199254740992.0);
      if (u1 <= 0.0)
        continue;
      z = sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2) * std;
      if (z < a || z > b)
        continue;
      x[i++] = (float) z;
    }
}

static void
add_key (GPtrArray *list, const char *key)
{
  /* keep the NULL terminator last */
  g_ptr_array_remove_index (list, list->len - 1);
  g_ptr_array_add (list, g_strdup (key));
  g_ptr_array_add (list, NULL);
}

/* ---- per family expected keys ---- */

static gboolean
labram_specs (BxModel *m, const BxStateDict *sd, const BxModelLoadOptions *opt, SpecList *l, GError **error)
{
  const BxTensor *cls = find (sd, "cls_token"), *te = find (sd, "time_embed"), *qn, *fc1;
  int D, hd, rows;

  if (cls == NULL || cls->ndim != 3 || te == NULL || te->ndim != 3)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_KEYS,
                   "%s: LaBraM checkpoint without usable cls_token / time_embed", m->path);
      return FALSE;
    }
  D = (int) cls->shape[2];
  m->cfg.depth = count_indexed (sd, "blocks.", ".gamma_1");
  qn = find (sd, "blocks.0.attn.q_norm.weight");
  fc1 = find (sd, "blocks.0.mlp.fc1.weight");
  if (D != 200 || m->cfg.depth < 1 || qn == NULL || qn->ndim != 1 || fc1 == NULL || fc1->ndim != 2
      || D % qn->shape[0] != 0)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_CONFIG,
                   "%s: not a LaBraM configuration we run: embed dim %d (patch embed gives 200), %d blocks, "
                   "q_norm %s",
                   m->path, D, m->cfg.depth, qn ? "present" : "missing");
      return FALSE;
    }
  hd = (int) qn->shape[0];
  m->cfg.dim = D;
  m->cfg.heads = D / hd;
  m->cfg.ffn = (int) fc1->shape[0];
  rows = (int) te->shape[1];
  m->cfg.time_rows = rows;
  if (opt->labram_time_rows > rows)
    m->cfg.time_rows = opt->labram_time_rows;

  ADD (l, S (1, 1, D), "cls_token");
  if (m->cfg.time_rows == rows)
    ADD (l, S (1, rows, D), "time_embed");
  ADD (l, S (8, 1, 1, 15), "patch_embed.conv1.weight");
  ADD (l, S (8), "patch_embed.conv1.bias");
  add_norm (l, "patch_embed.norm1", 8);
  for (int c = 2; c <= 3; c++)
    {
      ADD (l, S (8, 8, 1, 3), "patch_embed.conv%d.weight", c);
      ADD (l, S (8), "patch_embed.conv%d.bias", c);
      g_autofree char *n = g_strdup_printf ("patch_embed.norm%d", c);
      add_norm (l, n, 8);
    }
  for (int i = 0; i < m->cfg.depth; i++)
    {
      g_autofree char *b = g_strdup_printf ("blocks.%d", i);
      g_autofree char *n1 = g_strconcat (b, ".norm1", NULL), *n2 = g_strconcat (b, ".norm2", NULL);
      g_autofree char *qk = g_strconcat (b, ".attn.q_norm", NULL), *kk = g_strconcat (b, ".attn.k_norm", NULL);
      g_autofree char *pr = g_strconcat (b, ".attn.proj", NULL), *f1 = g_strconcat (b, ".mlp.fc1", NULL);
      g_autofree char *f2 = g_strconcat (b, ".mlp.fc2", NULL);
      ADD (l, S (D), "%s.gamma_1", b);
      ADD (l, S (D), "%s.gamma_2", b);
      add_norm (l, n1, D);
      ADD (l, S (3 * D, D), "%s.attn.qkv.weight", b);
      add_norm (l, qk, hd);
      add_norm (l, kk, hd);
      add_linear (l, pr, D, D, TRUE);
      add_norm (l, n2, D);
      add_linear (l, f1, m->cfg.ffn, D, TRUE);
      add_linear (l, f2, D, m->cfg.ffn, TRUE);
    }
  /* The reference builds q_bias / v_bias only with qkv_bias=True; the
   * published model has none. Refuse a checkpoint that has them rather than
   * silently dropping a bias. */
  if (find (sd, "blocks.0.attn.q_bias") != NULL)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_CONFIG,
                   "%s: LaBraM with qkv bias (blocks.0.attn.q_bias) is not supported", m->path);
      return FALSE;
    }
  if (m->cfg.time_rows != rows)
    {
      gsize n = (gsize) m->cfg.time_rows * D;
      float *t = g_new (float, n);
      gint64 shape[3] = { 1, m->cfg.time_rows, D };
      guint64 seed = opt->seed ? opt->seed : 2510;
      fill_trunc_normal (t, n, seed, 0.02, -2.0, 2.0);
      bx_model_add_param (m, "time_embed", 3, shape, t);
      add_key (m->random_keys, "time_embed");
      g_ptr_array_remove_index (m->warnings, m->warnings->len - 1);
      g_ptr_array_add (m->warnings,
                       g_strdup_printf ("time_embed: the checkpoint has (1, %d, %d) but the model is built for "
                                        "%d-s inputs (1, %d, %d); as in the reference (spec §1.6-4) this size "
                                        "mismatch leaves the random trunc-normal(0.02) init (deterministic, "
                                        "seed %" G_GUINT64_FORMAT ")",
                                        rows, D, m->cfg.time_rows, m->cfg.time_rows, D, seed));
      g_ptr_array_add (m->warnings, NULL);
    }
  m->n_layers = m->cfg.depth;
  m->config = g_strdup_printf ("LaBraM%s: dim %d, depth %d, heads %d (head dim %d), MLP %d, time_embed %d rows%s",
                               m->cfg.depth == 12 ? "-base" : "", D, m->cfg.depth, m->cfg.heads, hd, m->cfg.ffn,
                               m->cfg.time_rows, m->cfg.time_rows != rows ? " (random, see warnings)" : "");
  m->config_json = g_strdup_printf ("\"dim\": %d, \"depth\": %d, \"heads\": %d, \"mlp\": %d, "
                                    "\"time_embed_rows\": %d, \"checkpoint_time_embed_rows\": %d",
                                    D, m->cfg.depth, m->cfg.heads, m->cfg.ffn, m->cfg.time_rows, rows);
  return TRUE;
}

static gboolean
hubert_specs (BxModel *m, const BxStateDict *sd, const BxModelLoadOptions *opt, SpecList *l, GError **error)
{
  static const int kernels[5] = { 10, 3, 3, 2, 2 }, strides[5] = { 4, 2, 2, 2, 2 };
  const BxTensor *c0 = find (sd, "feature_extractor.conv_layers.0.conv.weight");
  const BxTensor *proj = find (sd, "feature_projection.projection.weight");
  const BxTensor *wv = find (sd, "encoder.pos_conv_embed.conv.weight_v");
  const BxTensor *ff = find (sd, "encoder.layers.0.feed_forward.intermediate_dense.weight");
  int C, H, K, G;
  const char *size = "custom";

  m->cfg.n_conv = count_indexed (sd, "feature_extractor.conv_layers.", ".conv.weight");
  m->cfg.depth = count_indexed (sd, "encoder.layers.", ".attention.q_proj.weight");
  if (c0 == NULL || c0->ndim != 3 || proj == NULL || proj->ndim != 2 || wv == NULL || wv->ndim != 3 || ff == NULL
      || ff->ndim != 2 || m->cfg.depth < 1)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_KEYS,
                   "%s: HuBERT-ECG checkpoint lacks the feature projection, positional conv "
                   "(weight_v) or encoder layers",
                   m->path);
      return FALSE;
    }
  C = (int) c0->shape[0];
  H = (int) proj->shape[0];
  K = (int) wv->shape[2];
  if (m->cfg.n_conv != 5 || wv->shape[1] < 1 || H % wv->shape[1] != 0)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_CONFIG,
                   "%s: HuBERT-ECG with %d conv layers (expected 5) or positional conv %s is not supported",
                   m->path, m->cfg.n_conv, "weight_v shape");
      return FALSE;
    }
  G = H / (int) wv->shape[1];
  m->cfg.conv_dim = C;
  m->cfg.dim = H;
  m->cfg.ffn = (int) ff->shape[0];
  m->cfg.pos_kernel = K;
  m->cfg.pos_groups = G;
  m->cfg.heads = opt->num_heads > 0 ? opt->num_heads : H / 64;
  if (m->cfg.heads < 1 || H % m->cfg.heads != 0)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_CONFIG,
                   "%s: hidden size %d cannot be split into %d attention heads", m->path, H, m->cfg.heads);
      return FALSE;
    }
  for (int i = 0; i < 5; i++)
    {
      m->cfg.conv_kernel[i] = kernels[i];
      m->cfg.conv_stride[i] = strides[i];
      ADD (l, S (C, i == 0 ? 1 : C, kernels[i]), "feature_extractor.conv_layers.%d.conv.weight", i);
    }
  add_norm (l, "feature_extractor.conv_layers.0.layer_norm", C);
  add_norm (l, "feature_projection.layer_norm", C);
  add_linear (l, "feature_projection.projection", H, C, TRUE);
  ADD (l, S (H), "encoder.pos_conv_embed.conv.bias");
  ADD (l, S (1, 1, K), "encoder.pos_conv_embed.conv.weight_g");
  ADD (l, S (H, H / G, K), "encoder.pos_conv_embed.conv.weight_v");
  add_norm (l, "encoder.layer_norm", H);
  for (int i = 0; i < m->cfg.depth; i++)
    {
      static const char *const proj_names[4] = { "q_proj", "k_proj", "v_proj", "out_proj" };
      for (int p = 0; p < 4; p++)
        {
          g_autofree char *b = g_strdup_printf ("encoder.layers.%d.attention.%s", i, proj_names[p]);
          add_linear (l, b, H, H, TRUE);
        }
      g_autofree char *ln = g_strdup_printf ("encoder.layers.%d.layer_norm", i);
      g_autofree char *fln = g_strdup_printf ("encoder.layers.%d.final_layer_norm", i);
      g_autofree char *f1 = g_strdup_printf ("encoder.layers.%d.feed_forward.intermediate_dense", i);
      g_autofree char *f2 = g_strdup_printf ("encoder.layers.%d.feed_forward.output_dense", i);
      add_norm (l, ln, H);
      add_linear (l, f1, m->cfg.ffn, H, TRUE);
      add_linear (l, f2, H, m->cfg.ffn, TRUE);
      add_norm (l, fln, H);
    }
  if (H == 512 && m->cfg.depth == 8)
    size = "small";
  else if (H == 768 && m->cfg.depth == 12)
    size = "base";
  else if (H == 1024 && m->cfg.depth == 16)
    size = "large";
  m->n_layers = m->cfg.depth;
  m->config = g_strdup_printf ("HuBERT-ECG %s: hidden %d, %d layers, %d heads, FFN %d, conv extractor %d channels "
                               "(kernels 10,3,3,2,2 strides 4,2,2,2,2), positional conv k%d groups %d",
                               size, H, m->cfg.depth, m->cfg.heads, m->cfg.ffn, C, K, G);
  m->config_json = g_strdup_printf ("\"size\": \"%s\", \"hidden\": %d, \"layers\": %d, \"heads\": %d, "
                                    "\"ffn\": %d, \"conv_dim\": %d, \"pos_conv_kernel\": %d, \"pos_conv_groups\": %d",
                                    size, H, m->cfg.depth, m->cfg.heads, m->cfg.ffn, C, K, G);
  return TRUE;
}

void
bx_papagei_block_channels (int base, int i, int *c_in, int *c_out)
{
  if (i == 0)
    {
      *c_in = *c_out = base;
      return;
    }
  *c_in = base << ((i - 1) / 4);
  *c_out = (i % 4 == 0) ? 2 * *c_in : *c_in;
}

static gboolean
papagei_specs (BxModel *m, const BxStateDict *sd, const BxModelLoadOptions *opt, SpecList *l, GError **error)
{
  const BxTensor *fc = find (sd, "first_block_conv.conv.weight");
  int F, K, n;

  n = count_indexed (sd, "basicblock_list.", ".conv1.conv.weight");
  if (fc == NULL || fc->ndim != 3 || n < 1 || n > BX_MODEL_MAX_LAYERS)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_KEYS,
                   "%s: PaPaGei checkpoint without first_block_conv.conv.weight or basic blocks", m->path);
      return FALSE;
    }
  F = (int) fc->shape[0];
  K = (int) fc->shape[2];
  m->cfg.base_filters = F;
  m->cfg.kernel = K;
  m->cfg.depth = n;
  ADD (l, S (F, 1, K), "first_block_conv.conv.weight");
  ADD (l, S (F), "first_block_conv.conv.bias");
  add_bn (l, "first_block_bn", F);
  for (int i = 0; i < n; i++)
    {
      int ci, co;
      bx_papagei_block_channels (F, i, &ci, &co);
      g_autofree char *b1 = g_strdup_printf ("basicblock_list.%d.bn1", i);
      g_autofree char *b2 = g_strdup_printf ("basicblock_list.%d.bn2", i);
      if (i > 0) /* block 0's bn1 exists but the forward skips it */
        add_bn (l, b1, ci);
      ADD (l, S (co, ci, K), "basicblock_list.%d.conv1.conv.weight", i);
      ADD (l, S (co), "basicblock_list.%d.conv1.conv.bias", i);
      add_bn (l, b2, co);
      ADD (l, S (co, co, K), "basicblock_list.%d.conv2.conv.weight", i);
      ADD (l, S (co), "basicblock_list.%d.conv2.conv.bias", i);
    }
  m->n_layers = n;
  m->config = g_strdup_printf ("PaPaGei%s: ResNet1D, %d basic blocks, base filters %d, kernel %d, stride 2 every "
                               "odd block, channels ×2 every 4 blocks",
                               n == 18 && F == 32 ? "-S" : "", n, F, K);
  m->config_json = g_strdup_printf ("\"n_block\": %d, \"base_filters\": %d, \"kernel\": %d", n, F, K);
  return TRUE;
}

static gboolean
normwear_specs (BxModel *m, const BxStateDict *sd, const BxModelLoadOptions *opt, SpecList *l, GError **error)
{
  const BxTensor *cls = find (sd, "cls_token"), *pe = find (sd, "pos_embed"), *pw = find (sd, "patch_embed.proj.weight");
  const BxTensor *fc1 = find (sd, "encoder_blocks.0.variate_encoder.mlp.fc1.weight");
  int D, n;

  n = count_indexed (sd, "encoder_blocks.", ".variate_encoder.norm1.weight");
  if (cls == NULL || cls->ndim != 3 || pe == NULL || pe->ndim != 3 || pw == NULL || pw->ndim != 4 || fc1 == NULL
      || fc1->ndim != 2 || n < 1 || n > BX_MODEL_MAX_LAYERS)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_KEYS,
                   "%s: NormWear checkpoint lacks cls_token, pos_embed, patch_embed.proj.weight or encoder blocks",
                   m->path);
      return FALSE;
    }
  D = (int) cls->shape[2];
  m->cfg.dim = D;
  m->cfg.depth = n;
  m->cfg.ffn = (int) fc1->shape[0];
  m->cfg.in_chans = (int) pw->shape[1];
  m->cfg.patch_h = (int) pw->shape[2];
  m->cfg.patch_w = (int) pw->shape[3];
  m->cfg.pos_rows = (int) pe->shape[1];
  m->cfg.heads = opt->num_heads > 0 ? opt->num_heads : D / 64;
  if (m->cfg.heads < 1 || D % m->cfg.heads != 0)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_CONFIG,
                   "%s: embed dim %d cannot be split into %d attention heads (set the head count explicitly)",
                   m->path, D, m->cfg.heads);
      return FALSE;
    }
  ADD (l, S (1, 1, D), "cls_token");
  ADD (l, S (1, m->cfg.pos_rows, D), "pos_embed");
  ADD (l, S (D, m->cfg.in_chans, m->cfg.patch_h, m->cfg.patch_w), "patch_embed.proj.weight");
  ADD (l, S (D), "patch_embed.proj.bias");
  for (int i = 0; i < n; i++)
    for (int f = 0; f < (i % 2 == 0 ? 2 : 1); f++)
      {
        g_autofree char *b = g_strdup_printf ("encoder_blocks.%d.%s", i, f ? "cls_fusion" : "variate_encoder");
        g_autofree char *n1 = g_strconcat (b, ".norm1", NULL), *n2 = g_strconcat (b, ".norm2", NULL);
        g_autofree char *q = g_strconcat (b, ".attn.qkv", NULL), *p = g_strconcat (b, ".attn.proj", NULL);
        g_autofree char *f1 = g_strconcat (b, ".mlp.fc1", NULL), *f2 = g_strconcat (b, ".mlp.fc2", NULL);
        add_norm (l, n1, D);
        add_linear (l, q, 3 * D, D, TRUE);
        add_linear (l, p, D, D, TRUE);
        add_norm (l, n2, D);
        add_linear (l, f1, m->cfg.ffn, D, TRUE);
        add_linear (l, f2, D, m->cfg.ffn, TRUE);
      }
  m->n_layers = n;
  m->config = g_strdup_printf ("NormWear: dim %d, %d encoder blocks (CLS fusion on even blocks), %d heads, MLP %d, "
                               "patch %d×%d over %d channels, %d position rows",
                               D, n, m->cfg.heads, m->cfg.ffn, m->cfg.patch_h, m->cfg.patch_w, m->cfg.in_chans,
                               m->cfg.pos_rows);
  m->config_json = g_strdup_printf ("\"dim\": %d, \"depth\": %d, \"heads\": %d, \"mlp\": %d, \"patch\": [%d, %d], "
                                    "\"in_chans\": %d, \"tokens\": %d",
                                    D, n, m->cfg.heads, m->cfg.ffn, m->cfg.patch_h, m->cfg.patch_w, m->cfg.in_chans,
                                    m->cfg.pos_rows);
  return TRUE;
}

#ifdef BX_MODELS_HAVE_COMPACT
/* Compact encoders (bx-compact.h): the configuration is in __metadata__,
 * checked against the tensor shapes. */
static gboolean
compact_specs (BxModel *m, const BxStateDict *sd, const BxStateDict *file, SpecList *l, GError **error)
{
  const char *fmt = bx_state_dict_get_metadata (file, "format");
  const BxTensor *pe = find (sd, "patch_embed.weight"), *ce = find (sd, "channel_embed"), *te = find (sd, "time_embed");
  BxCompactConfig c = { 0 };
  const char *keys[] = { "rate", "patch", "dim", "depth", "heads" };
  int *vals[] = { &c.rate, &c.patch, &c.dim, &c.depth, &c.heads };
  GPtrArray *layout;

  if (fmt == NULL || strcmp (fmt, "bioxbridge-compact") != 0 || bx_state_dict_get_metadata (file, "modality") == NULL)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_CONFIG,
                   "%s: compact checkpoint without __metadata__ format = bioxbridge-compact and modality (got format %s)",
                   m->path, fmt ? fmt : "(none)");
      return FALSE;
    }
  g_strlcpy (c.modality, bx_state_dict_get_metadata (file, "modality"), sizeof c.modality);
  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      const char *v = bx_state_dict_get_metadata (file, keys[i]);
      gint64 x = 0;
      if (v == NULL || !g_ascii_string_to_signed (v, 10, 1, 1 << 20, &x, NULL))
        {
          g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_CONFIG, "%s: __metadata__ %s is %s, not a positive integer",
                       m->path, keys[i], v ? v : "missing");
          return FALSE;
        }
      *vals[i] = (int) x;
    }
  if (pe == NULL || pe->ndim != 2 || ce == NULL || ce->ndim != 2 || te == NULL || te->ndim != 2
      || pe->shape[0] != c.dim || pe->shape[1] != c.patch)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_KEYS,
                   "%s: compact checkpoint: patch_embed.weight must be (dim %d, patch %d) and channel_embed / "
                   "time_embed 2-D",
                   m->path, c.dim, c.patch);
      return FALSE;
    }
  c.max_channels = (int) ce->shape[0];
  c.max_patches = (int) te->shape[0];
  if (!bx_compact_config_check (&c, m->path, error))
    return FALSE;
  layout = bx_compact_param_layout (&c);
  for (guint i = 0; i < layout->len; i++)
    {
      const BxModelParam *p = layout->pdata[i];
      add (l, p->ndim, p->shape, "%s", p->name);
    }
  bx_compact_param_layout_free (layout);
  bx_compact_model_set_config (m, &c);
  return TRUE;
}
#endif

static BxModelFamily
detect_family (const BxStateDict *sd)
{
  if (find (sd, "channel_embed") != NULL && find (sd, "patch_embed.weight") != NULL)
    return BX_MODEL_FAMILY_COMPACT;
  if (find (sd, "patch_embed.conv1.weight") != NULL || find (sd, "student.patch_embed.conv1.weight") != NULL)
    return BX_MODEL_FAMILY_LABRAM;
  if (find (sd, "feature_extractor.conv_layers.0.conv.weight") != NULL)
    return BX_MODEL_FAMILY_HUBERT_ECG;
  if (find (sd, "first_block_conv.conv.weight") != NULL)
    return BX_MODEL_FAMILY_PAPAGEI;
  if (find (sd, "patch_embed.proj.weight") != NULL && find (sd, "encoder_blocks.0.variate_encoder.norm1.weight"))
    return BX_MODEL_FAMILY_NORMWEAR;
  return BX_MODEL_FAMILY_AUTO;
}

static char *
first_keys (const BxStateDict *sd, guint n)
{
  GString *s = g_string_new (NULL);
  guint total = bx_state_dict_size (sd);

  for (guint i = 0; i < total && i < n; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", bx_state_dict_get_nth (sd, i)->name);
  if (total > n)
    g_string_append_printf (s, ", … (%u keys)", total);
  if (total == 0)
    g_string_append (s, "no tensors");
  return g_string_free (s, FALSE);
}

gboolean
bx_model_load_checkpoint (BxModel *m, BxModelFamily family, const char *path, const BxModelLoadOptions *opt,
                          GError **error)
{
  static const char *const containers[] = { "model", "model_state_dict", "state_dict", NULL };
  static const char *const prefixes[] = { "module.", "backbone.", NULL };
  g_autoptr (GError) local = NULL;
  g_autoptr (BxStateDict) file = NULL;
  g_autoptr (BxStateDict) sd = NULL;
  const char *container = NULL;
  GString *prefix_used = g_string_new (NULL);
  BxModelFamily detected;
  SpecList l;
  gboolean ok = FALSE;
  GHashTable *expected = NULL;
  const char *ignored_prefix = ""; /* ignored keys are reported with their names in the file */

  file = bx_checkpoint_load (path, &local);
  if (file == NULL)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_FAMILY, "cannot read checkpoint %s: %s", path,
                   local->message);
      g_string_free (prefix_used, TRUE);
      return FALSE;
    }
  m->n_file_params = bx_state_dict_numel (file);
  for (guint i = 0; i < bx_state_dict_get_n_notes (file); i++)
    add_key (m->notes, bx_state_dict_get_note (file, i));

  sd = bx_state_dict_select_first (file, containers, &container);
  for (int p = 0; prefixes[p] != NULL; p++)
    if (bx_state_dict_has_prefix (sd, prefixes[p]))
      {
        BxStateDict *s2 = bx_state_dict_strip_prefix (sd, prefixes[p], BX_PREFIX_KEEP_OTHERS, &local);
        if (s2 == NULL)
          {
            g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_KEYS, "%s: %s", path, local->message);
            goto out;
          }
        bx_state_dict_unref (sd);
        sd = s2;
        g_string_append (prefix_used, prefixes[p]);
      }
  /* LaBraM MEM pretraining: the encoder is `student.*`; top-level lm_head /
   * projection_head belong to the pretraining objective. */
  if (bx_state_dict_has_prefix (sd, "student.patch_embed."))
    {
      BxStateDict *s2 = bx_state_dict_strip_prefix (sd, "student.", BX_PREFIX_DROP_OTHERS, &local);
      if (s2 == NULL)
        {
          g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_KEYS, "%s: %s", path, local->message);
          goto out;
        }
      for (guint i = 0; i < bx_state_dict_size (sd); i++)
        {
          const char *name = bx_state_dict_get_nth (sd, i)->name;
          if (!g_str_has_prefix (name, "student."))
            add_key (m->ignored_keys, name);
        }
      bx_state_dict_unref (sd);
      sd = s2;
      g_string_append (prefix_used, "student.");
      ignored_prefix = "student.";
    }
  {
    BxStateDict *s2 = bx_state_dict_normalize_weight_norm (sd, BX_WEIGHT_NORM_LEGACY, &local);
    if (s2 == NULL)
      {
        g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_KEYS, "%s: %s", path, local->message);
        goto out;
      }
    bx_state_dict_unref (sd);
    sd = s2;
  }
  m->layout = g_strdup_printf ("%s%s%s", container ? container : "(bare state dict)",
                               prefix_used->len ? ", prefix " : "", prefix_used->str);

  detected = detect_family (sd);
  if (detected == BX_MODEL_FAMILY_AUTO)
    {
      g_autofree char *keys = first_keys (sd, 6);
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_FAMILY,
                   "%s: not a LaBraM, HuBERT-ECG, PaPaGei or NormWear checkpoint (keys: %s)", path, keys);
      goto out;
    }
  if (family != BX_MODEL_FAMILY_AUTO && family != detected)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_FAMILY,
                   "%s is a %s checkpoint, not %s (its keys look like %s's)", path,
                   bx_model_family_name (detected), bx_model_family_name (family), bx_model_family_name (detected));
      goto out;
    }
  m->family = detected;

  spec_list_init (&l);
  switch (detected)
    {
    case BX_MODEL_FAMILY_LABRAM:
      ok = labram_specs (m, sd, opt, &l, error);
      break;
    case BX_MODEL_FAMILY_HUBERT_ECG:
      ok = hubert_specs (m, sd, opt, &l, error);
      break;
    case BX_MODEL_FAMILY_PAPAGEI:
      ok = papagei_specs (m, sd, opt, &l, error);
      break;
    case BX_MODEL_FAMILY_NORMWEAR:
      ok = normwear_specs (m, sd, opt, &l, error);
      break;
    case BX_MODEL_FAMILY_COMPACT:
#ifdef BX_MODELS_HAVE_COMPACT
      ok = compact_specs (m, sd, file, &l, error);
#else
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_FAMILY, "%s: compact models are not built in", path);
#endif
      break;
    case BX_MODEL_FAMILY_AUTO:
    default:
      break;
    }
  if (ok)
    {
      g_autofree char *what = g_strdup_printf ("%s (%s)", path, bx_model_family_name (detected));
      ok = bx_state_dict_check_strict (sd, (const BxTensorSpec *) l.specs->data, l.specs->len, what, &local);
      if (!ok)
        g_set_error_literal (error, BX_MODEL_ERROR, BX_MODEL_ERROR_KEYS, local->message);
    }
  if (ok)
    {
      expected = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < l.specs->len; i++)
        {
          const BxTensorSpec *spec = &g_array_index (l.specs, BxTensorSpec, i);
          const BxTensor *t = find (sd, spec->name);
          gsize n = 0;
          float *data = bx_tensor_to_float (t, &n);
          g_hash_table_add (expected, (gpointer) spec->name);
          bx_model_add_param (m, spec->name, (int) t->ndim, t->shape, data);
          add_key (m->loaded_keys, spec->name);
        }
      for (guint i = 0; i < bx_state_dict_size (sd); i++)
        {
          const char *name = bx_state_dict_get_nth (sd, i)->name;
          if (!g_hash_table_contains (expected, name))
            {
              g_autofree char *full = g_strconcat (ignored_prefix, name, NULL);
              add_key (m->ignored_keys, full);
            }
        }
      g_hash_table_unref (expected);
    }
  spec_list_clear (&l);
out:
  g_string_free (prefix_used, TRUE);
  return ok;
}
