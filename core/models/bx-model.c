/* bx-model.c — the family-independent half of BxModel: loading, key
 * reports, input geometry, the forward/backward drivers over hook layers,
 * pooling. The per-family maths is in bx-<family>.c. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bx-model-private.h"
#include "bx-compact.h"
#include "nn/bx-nn.h"

G_DEFINE_QUARK (bx-model-error-quark, bx_model_error)

struct _BxModelContext {
  BxArena *arena;
  BxModel *model;      /* of the last saved forward */
  int batch, start, end;
  gboolean saved_ok;
  void *saved[BX_MODEL_MAX_LAYERS];
};

const char *
bx_model_family_name (BxModelFamily family)
{
  switch (family)
    {
    case BX_MODEL_FAMILY_LABRAM:
      return "labram";
    case BX_MODEL_FAMILY_HUBERT_ECG:
      return "hubert-ecg";
    case BX_MODEL_FAMILY_PAPAGEI:
      return "papagei";
    case BX_MODEL_FAMILY_NORMWEAR:
      return "normwear";
    case BX_MODEL_FAMILY_COMPACT:
      return "compact";
    case BX_MODEL_FAMILY_AUTO:
    default:
      return "auto";
    }
}

gboolean
bx_model_family_from_name (const char *name, BxModelFamily *family)
{
  static const struct {
    const char *name;
    BxModelFamily family;
  } names[] = {
    { "auto", BX_MODEL_FAMILY_AUTO },         { "labram", BX_MODEL_FAMILY_LABRAM },
    { "hubert-ecg", BX_MODEL_FAMILY_HUBERT_ECG }, { "hubert", BX_MODEL_FAMILY_HUBERT_ECG },
    { "hubertecg", BX_MODEL_FAMILY_HUBERT_ECG }, { "papagei", BX_MODEL_FAMILY_PAPAGEI },
    { "normwear", BX_MODEL_FAMILY_NORMWEAR }, { "compact", BX_MODEL_FAMILY_COMPACT },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (name, names[i].name) == 0)
      {
        *family = names[i].family;
        return TRUE;
      }
  return FALSE;
}

static void
param_free (gpointer p)
{
  BxModelParam *param = p;

  g_free (param->name);
  g_free (param->data);
  g_free (param);
}

static GPtrArray *
key_list_new (void)
{
  GPtrArray *a = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (a, NULL);
  return a;
}

void
bx_model_add_param (BxModel *model, const char *name, int ndim, const gint64 *shape, float *data)
{
  BxModelParam *p = g_new0 (BxModelParam, 1);

  p->name = g_strdup (name);
  p->ndim = ndim;
  p->numel = 1;
  for (int i = 0; i < ndim && i < 8; i++)
    {
      p->shape[i] = shape[i];
      p->numel *= (gsize) shape[i];
    }
  p->data = data;
  model->n_params += p->numel;
  g_hash_table_replace (model->params, p->name, p);
}

const BxModelParam *
bx_model_param_info (const BxModel *model, const char *name)
{
  return g_hash_table_lookup (model->params, name);
}

float *
bx_model_param (BxModel *model, const char *name, gsize numel, GError **error)
{
  const BxModelParam *p = g_hash_table_lookup (model->params, name);

  if (p == NULL || (numel != 0 && p->numel != numel))
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_KEYS, "%s: parameter %s %s (expected %zu elements)",
                     model->path, name, p == NULL ? "missing" : "has the wrong size", numel);
      return NULL;
    }
  return p->data;
}

BxModel *
bx_model_load (BxModelFamily family, const char *path, GError **error)
{
  return bx_model_load_with_options (family, path, NULL, error);
}

BxModel *
bx_model_load_with_options (BxModelFamily family, const char *path, const BxModelLoadOptions *options,
                            GError **error)
{
  g_autoptr (BxModel) model = g_new0 (BxModel, 1);
  BxModelLoadOptions defaults = { 0 };

  model->path = g_strdup (path);
  model->params = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, param_free);
  model->loaded_keys = key_list_new ();
  model->ignored_keys = key_list_new ();
  model->random_keys = key_list_new ();
  model->warnings = key_list_new ();
  model->notes = key_list_new ();
  if (!bx_model_load_checkpoint (model, family, path, options ? options : &defaults, error))
    return NULL;
  switch (model->family)
    {
    case BX_MODEL_FAMILY_LABRAM:
#ifdef BX_MODELS_HAVE_LABRAM
      model->ops = &bx_labram_ops;
#endif
      break;
    case BX_MODEL_FAMILY_HUBERT_ECG:
#ifdef BX_MODELS_HAVE_HUBERT_ECG
      model->ops = &bx_hubert_ecg_ops;
#endif
      break;
    case BX_MODEL_FAMILY_PAPAGEI:
#ifdef BX_MODELS_HAVE_PAPAGEI
      model->ops = &bx_papagei_ops;
#endif
      break;
    case BX_MODEL_FAMILY_NORMWEAR:
#ifdef BX_MODELS_HAVE_NORMWEAR
      model->ops = &bx_normwear_ops;
#endif
      break;
    case BX_MODEL_FAMILY_COMPACT:
#ifdef BX_MODELS_HAVE_COMPACT
      model->ops = &bx_compact_ops;
#endif
      break;
    case BX_MODEL_FAMILY_AUTO:
    default:
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_FAMILY, "%s: no model family", path);
      return NULL;
    }
  if (model->ops == NULL || model->ops->bind == NULL)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_FAMILY, "%s: %s models are not implemented yet", path,
                   bx_model_family_name (model->family));
      return NULL;
    }
  if (model->n_layers > BX_MODEL_MAX_LAYERS)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_CONFIG, "%s: %d layers (at most %d supported)", path,
                   model->n_layers, BX_MODEL_MAX_LAYERS);
      return NULL;
    }
  if (!model->ops->bind (model, error))
    return NULL;
  return g_steal_pointer (&model);
}

void
bx_model_free (BxModel *model)
{
  if (model == NULL)
    return;
  if (model->ops != NULL && model->ops->free_impl != NULL && model->impl != NULL)
    model->ops->free_impl (model->impl);
  g_clear_pointer (&model->params, g_hash_table_unref);
  g_clear_pointer (&model->loaded_keys, g_ptr_array_unref);
  g_clear_pointer (&model->ignored_keys, g_ptr_array_unref);
  g_clear_pointer (&model->random_keys, g_ptr_array_unref);
  g_clear_pointer (&model->warnings, g_ptr_array_unref);
  g_clear_pointer (&model->notes, g_ptr_array_unref);
  g_free (model->path);
  g_free (model->config);
  g_free (model->config_json);
  g_free (model->layout);
  g_free (model);
}

BxModelFamily
bx_model_get_family (const BxModel *model)
{
  return model->family;
}

const char *
bx_model_get_config (const BxModel *model)
{
  return model->config ? model->config : "";
}

const char *
bx_model_get_config_json (const BxModel *model)
{
  return model->config_json ? model->config_json : "";
}

int
bx_model_get_n_layers (const BxModel *model)
{
  return model->n_layers;
}

guint64
bx_model_get_n_params (const BxModel *model)
{
  return model->n_params;
}

guint64
bx_model_get_n_file_params (const BxModel *model)
{
  return model->n_file_params;
}

const char *const *
bx_model_get_loaded_keys (const BxModel *model)
{
  return (const char *const *) model->loaded_keys->pdata;
}

const char *const *
bx_model_get_ignored_keys (const BxModel *model)
{
  return (const char *const *) model->ignored_keys->pdata;
}

const char *const *
bx_model_get_random_keys (const BxModel *model)
{
  return (const char *const *) model->random_keys->pdata;
}

const char *const *
bx_model_get_warnings (const BxModel *model)
{
  return (const char *const *) model->warnings->pdata;
}

const char *const *
bx_model_get_notes (const BxModel *model)
{
  return (const char *const *) model->notes->pdata;
}

const char *
bx_model_get_layout (const BxModel *model)
{
  return model->layout ? model->layout : "";
}

/* ---- geometry ---- */

void
bx_model_set_token_shapes (BxModel *model, gint64 tokens, gint64 dim)
{
  const gint64 shape[2] = { tokens, dim };

  for (int i = 0; i < model->n_layers; i++)
    {
      bx_model_set_shape (model, i, TRUE, 2, shape, 1);
      bx_model_set_shape (model, i, FALSE, 2, shape, 1);
    }
}

void
bx_model_set_shape (BxModel *model, int layer, gboolean is_input, int ndim, const gint64 *shape, int feature_axis)
{
  int k = bx_model_shape_index (layer, is_input);

  g_assert (ndim <= BX_MODEL_MAX_DIMS);
  model->shape_ndim[k] = ndim;
  for (int i = 0; i < ndim; i++)
    model->shape[k][i] = shape[i];
  model->feature_axis[k] = feature_axis;
}

gboolean
bx_model_set_input_shape (BxModel *model, int ndim, const gint64 *shape, GError **error)
{
  model->input_set = FALSE;
  if (ndim < 1 || ndim > BX_MODEL_MAX_DIMS)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT, "%s: input with %d dims", model->path, ndim);
      return FALSE;
    }
  for (int i = 0; i < ndim; i++)
    if (shape[i] < 1)
      {
        g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT, "%s: input dimension %d is %" G_GINT64_FORMAT,
                     model->path, i, shape[i]);
        return FALSE;
      }
  if (!model->ops->set_input_shape (model, ndim, shape, error))
    return FALSE;
  bx_model_set_shape (model, -1, TRUE, ndim, shape, 0);
  model->input_set = TRUE;
  return TRUE;
}

int
bx_model_layer_shape (const BxModel *model, int layer, gboolean is_input, gint64 *shape)
{
  int k;

  if (!model->input_set || layer < -1 || layer >= model->n_layers || (layer == -1 && !is_input))
    return 0;
  k = bx_model_shape_index (layer, is_input);
  for (int i = 0; i < model->shape_ndim[k]; i++)
    shape[i] = model->shape[k][i];
  return model->shape_ndim[k];
}

gint64
bx_model_layer_numel (const BxModel *model, int layer, gboolean is_input)
{
  gint64 shape[BX_MODEL_MAX_DIMS], n = 1;
  int ndim = bx_model_layer_shape (model, layer, is_input, shape);

  if (ndim == 0)
    return 0;
  for (int i = 0; i < ndim; i++)
    n *= shape[i];
  return n;
}

int
bx_model_feature_dim (const BxModel *model, int layer, gboolean is_input)
{
  gint64 shape[BX_MODEL_MAX_DIMS];
  int ndim = bx_model_layer_shape (model, layer, is_input, shape);

  if (ndim == 0)
    return 0;
  return (int) shape[model->feature_axis[bx_model_shape_index (layer, is_input)]];
}

float *
bx_model_prepare (const BxModel *model, const float *raw, int batch, int raw_ndim, const gint64 *raw_shape,
                  int *prep_ndim, gint64 *prep_shape, GError **error)
{
  gint64 n = 1;
  float *out;
  gboolean scale = FALSE;

  for (int i = 0; i < raw_ndim; i++)
    n *= raw_shape[i];
  switch (model->family)
    {
    case BX_MODEL_FAMILY_LABRAM:
      /* (N, A·200) µV → (N, A, 200) in 0.1 mV */
      if (raw_ndim != 2 || raw_shape[1] % 200 != 0 || raw_shape[1] == 0)
        goto bad;
      *prep_ndim = 3;
      prep_shape[0] = raw_shape[0];
      prep_shape[1] = raw_shape[1] / 200;
      prep_shape[2] = 200;
      scale = TRUE;
      break;
    case BX_MODEL_FAMILY_HUBERT_ECG:
      if (!(raw_ndim == 1 || (raw_ndim == 2 && raw_shape[0] == 1)))
        goto bad;
      *prep_ndim = 1;
      prep_shape[0] = raw_shape[raw_ndim - 1];
      break;
    case BX_MODEL_FAMILY_PAPAGEI:
      if (!(raw_ndim == 1 || (raw_ndim == 2 && raw_shape[0] == 1)))
        goto bad;
      *prep_ndim = 2;
      prep_shape[0] = 1;
      prep_shape[1] = raw_shape[raw_ndim - 1];
      break;
    case BX_MODEL_FAMILY_NORMWEAR:
      if (raw_ndim != 4)
        goto bad;
      *prep_ndim = 4;
      memcpy (prep_shape, raw_shape, 4 * sizeof (gint64));
      break;
    case BX_MODEL_FAMILY_COMPACT:
      /* (C, k·patch) at the model's rate → the same, each channel z-scored (bx-compact.h) */
      if (raw_ndim != 2 || raw_shape[1] % model->cfg.patch != 0 || raw_shape[1] == 0)
        goto bad;
      *prep_ndim = 2;
      memcpy (prep_shape, raw_shape, 2 * sizeof (gint64));
      break;
    case BX_MODEL_FAMILY_AUTO:
    default:
      goto bad;
    }
  out = g_new (float, (gsize) (n * batch));
  if (scale)
    for (gint64 i = 0; i < n * batch; i++)
      out[i] = raw[i] / 100.0f;
  else
    memcpy (out, raw, (gsize) (n * batch) * sizeof (float));
#ifdef BX_MODELS_HAVE_COMPACT
  if (model->family == BX_MODEL_FAMILY_COMPACT)
    bx_compact_normalize (out, (gsize) batch * (gsize) raw_shape[0], (gsize) raw_shape[1]);
#endif
  return out;

bad:
  {
    GString *s = g_string_new ("(");
    for (int i = 0; i < raw_ndim; i++)
      g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", raw_shape[i]);
    g_string_append (s, ")");
    g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT,
                 "%s input per sample has shape %s; expected %s", bx_model_family_name (model->family), s->str,
                 model->family == BX_MODEL_FAMILY_LABRAM       ? "(channels, seconds·200) at 200 Hz in µV"
                 : model->family == BX_MODEL_FAMILY_HUBERT_ECG ? "(1, samples) at 100 Hz"
                 : model->family == BX_MODEL_FAMILY_PAPAGEI    ? "(1, samples) at 125 Hz"
                 : model->family == BX_MODEL_FAMILY_COMPACT    ? "(channels, whole patches of samples) at the model's rate"
                                                               : "(channels, 3, time, 65) CWT");
    g_string_free (s, TRUE);
    return NULL;
  }
}

/* ---- context ---- */

BxModelContext *
bx_model_context_new (void)
{
  BxModelContext *ctx = g_new0 (BxModelContext, 1);

  ctx->arena = bx_arena_new (1 << 20);
  return ctx;
}

void
bx_model_context_free (BxModelContext *ctx)
{
  if (ctx == NULL)
    return;
  bx_arena_free (ctx->arena);
  g_free (ctx);
}

gsize
bx_model_context_high_water (const BxModelContext *ctx)
{
  return bx_arena_high_water_bytes (ctx->arena);
}

float *
bx_model_ctx_alloc (BxModelContext *ctx, gsize n_floats)
{
  return bx_arena_alloc_floats (ctx->arena, n_floats);
}

float *
bx_model_ctx_alloc_zeros (BxModelContext *ctx, gsize n_floats)
{
  return bx_arena_alloc_zeros (ctx->arena, n_floats);
}

void *
bx_model_ctx_alloc_bytes (BxModelContext *ctx, gsize n_bytes)
{
  return bx_arena_alloc (ctx->arena, n_bytes);
}

BxModelArenaMark
bx_model_ctx_mark (BxModelContext *ctx)
{
  BxArenaMark m = bx_arena_mark (ctx->arena);

  return (BxModelArenaMark){ m.chunk, m.used };
}

void
bx_model_ctx_reset_to (BxModelContext *ctx, BxModelArenaMark mark)
{
  bx_arena_reset_to (ctx->arena, (BxArenaMark){ mark.chunk, mark.used });
}

static gsize
max_activation (const BxModel *model, int start, int end)
{
  gsize m = (gsize) bx_model_layer_numel (model, 0, TRUE);

  for (int i = MAX (start, 0); i < end; i++)
    {
      m = MAX (m, (gsize) bx_model_layer_numel (model, i, TRUE));
      m = MAX (m, (gsize) bx_model_layer_numel (model, i, FALSE));
    }
  return m;
}

gboolean
bx_model_forward (BxModel *model, BxModelContext *ctx, int batch, int start, int end, const float *in, float *out,
                  float *const *captures, gboolean save_for_backward, GError **error)
{
  gsize max_n;
  float *ping, *pong;
  const float *x;

  if (!model->input_set)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT, "%s: input shape not set", model->path);
      return FALSE;
    }
  if (batch < 1 || start < BX_MODEL_FROM_PREPARED || start >= model->n_layers || end > model->n_layers
      || end < MAX (start, 0) || (save_for_backward && (start < 0 || end <= start)))
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_RANGE,
                   "%s: cannot run layers %d…%d of %d (batch %d%s)", model->path, start, end - 1, model->n_layers,
                   batch, save_for_backward ? ", saving for backward needs 0 ≤ start < end" : "");
      return FALSE;
    }
  /* rewind, not reset: the chunks the first call grew are reused as they
   * are, so a training loop's second step does not fault in a fresh
   * coalesced copy of its ~1 GB arena */
  bx_arena_rewind (ctx->arena);
  ctx->saved_ok = FALSE;
  max_n = max_activation (model, start, end) * (gsize) batch;
  x = in;
  if (save_for_backward)
    {
      /* every layer input stays alive for backward */
      gsize n = (gsize) bx_model_layer_numel (model, start, TRUE) * batch;
      float *copy = bx_arena_alloc_floats (ctx->arena, n);
      memcpy (copy, in, n * sizeof (float));
      x = copy;
      ping = pong = NULL;
    }
  else
    {
      ping = bx_arena_alloc_floats (ctx->arena, max_n);
      pong = bx_arena_alloc_floats (ctx->arena, max_n);
    }
  if (start == BX_MODEL_FROM_PREPARED)
    {
      BxArenaMark mark = bx_arena_mark (ctx->arena);
      model->ops->stem_forward (model, ctx, batch, in, ping);
      bx_arena_reset_to (ctx->arena, mark);
      x = ping;
      start = 0;
      if (end == 0 && out != NULL)
        memcpy (out, x, (gsize) bx_model_layer_numel (model, 0, TRUE) * batch * sizeof (float));
    }
  for (int i = start; i < end; i++)
    {
      gsize n_out = (gsize) bx_model_layer_numel (model, i, FALSE) * batch;
      float *y;
      if (save_for_backward)
        {
          y = bx_arena_alloc_floats (ctx->arena, n_out);
          ctx->saved[i] = model->ops->layer_forward (model, ctx, i, batch, x, y, TRUE);
        }
      else
        {
          BxArenaMark mark = bx_arena_mark (ctx->arena);
          y = (x == ping) ? pong : ping;
          model->ops->layer_forward (model, ctx, i, batch, x, y, FALSE);
          bx_arena_reset_to (ctx->arena, mark);
        }
      if (captures != NULL && captures[i] != NULL)
        memcpy (captures[i], y, n_out * sizeof (float));
      if (i == end - 1 && out != NULL)
        memcpy (out, y, n_out * sizeof (float));
      x = y;
    }
  if (save_for_backward)
    {
      ctx->model = model;
      ctx->batch = batch;
      ctx->start = start;
      ctx->end = end;
      ctx->saved_ok = TRUE;
    }
  return TRUE;
}

gboolean
bx_model_backward (BxModel *model, BxModelContext *ctx, const float *d_out, float *d_in, GError **error)
{
  gsize max_n;
  float *ping, *pong;
  const float *d;
  int batch = ctx->batch;

  if (!ctx->saved_ok || ctx->model != model)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_RANGE,
                   "%s: backward needs a forward with save_for_backward on the same context first", model->path);
      return FALSE;
    }
  max_n = max_activation (model, ctx->start, ctx->end) * (gsize) batch;
  ping = bx_arena_alloc_floats (ctx->arena, max_n);
  pong = bx_arena_alloc_floats (ctx->arena, max_n);
  d = d_out;
  for (int i = ctx->end - 1; i >= ctx->start; i--)
    {
      BxArenaMark mark = bx_arena_mark (ctx->arena);
      float *di = (i == ctx->start) ? d_in : (d == ping ? pong : ping);
      model->ops->layer_backward (model, ctx, i, batch, ctx->saved[i], d, di);
      bx_arena_reset_to (ctx->arena, mark);
      d = di;
    }
  return TRUE;
}

gboolean
bx_model_pool (const BxModel *model, int layer, gboolean is_input, const float *act, int batch, float *out,
               GError **error)
{
  gint64 shape[BX_MODEL_MAX_DIMS], outer = 1, inner = 1, F;
  int ndim = bx_model_layer_shape (model, layer, is_input, shape);
  int f;

  if (ndim == 0 || layer < 0)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_RANGE, "%s: no layer %d (or input shape not set)",
                   model->path, layer);
      return FALSE;
    }
  f = model->feature_axis[bx_model_shape_index (layer, is_input)];
  for (int i = 0; i < f; i++)
    outer *= shape[i];
  F = shape[f];
  for (int i = f + 1; i < ndim; i++)
    inner *= shape[i];
  for (int b = 0; b < batch; b++)
    {
      const float *x = act + (gsize) b * outer * F * inner;
      for (gint64 j = 0; j < F; j++)
        {
          double s = 0.0;
          for (gint64 o = 0; o < outer; o++)
            {
              const float *row = x + (o * F + j) * inner;
              for (gint64 k = 0; k < inner; k++)
                s += row[k];
            }
          out[(gsize) b * F + j] = (float) (s / (double) (outer * inner));
        }
    }
  return TRUE;
}

void
bx_model_test_grad_seed (float *r, gsize n)
{
  for (gsize i = 0; i < n; i++)
    r[i] = (float) sin (0.7071 * (double) i + 0.3);
}

void
bx_model_set_threads (int n_threads)
{
  bx_nn_set_threads (n_threads);
}
