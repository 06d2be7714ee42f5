/* bx-compact-io.c — compact checkpoints as safetensors (io side: never
 * includes core/nn). Layout of a file:
 *   encoder tensors under the model's keys (bx_compact_param_layout order);
 *   with the training state also mask_token, decoder.weight, decoder.bias
 *   and the AdamW moments "adamw.m.<name>" / "adamw.v.<name>" of every
 *   trainable tensor; __metadata__: format, modality, rate, patch, dim,
 *   depth, heads (+ step and rng for resuming, + caller extras).
 * The model loader ignores the extra tensors, so a resumable checkpoint is
 * also a usable model file. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "bx-compact-private.h"
#include "io/bx-safetensors.h"
#include "io/bx-state-dict.h"

static gboolean
add_param (BxStateDict *sd, const char *name, const BxCompactParam *p, const float *values, GError **error)
{
  return bx_state_dict_add_float (sd, name, (guint)p->ndim, p->shape, values, error);
}

gboolean
bx_compact_save (BxModel *model, BxCompactTrainer *t, gboolean with_state, const char *path,
                 const char *const *extra_metadata, GError **error)
{
  g_autoptr (BxStateDict) sd = bx_state_dict_new ();
  BxCompactConfig c;
  GPtrArray *layout;
  char buf[64];

  if (!bx_compact_model_get_config (model, &c))
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_FAMILY,
                   "%s: only compact models are saved here (this is %s)", path,
                   bx_model_family_name (bx_model_get_family (model)));
      return FALSE;
    }
  layout = bx_compact_param_layout (&c);
  for (guint i = 0; i < layout->len; i++)
    {
      const BxModelParam *p = layout->pdata[i];
      const BxModelParam *mp = bx_model_param_info (model, p->name);
      if (mp == NULL || !bx_state_dict_add_float (sd, p->name, (guint)p->ndim, p->shape, mp->data, error))
        {
          bx_compact_param_layout_free (layout);
          if (mp == NULL)
            g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_KEYS, "%s: model lacks %s", path, p->name);
          return FALSE;
        }
    }
  bx_compact_param_layout_free (layout);
  if (with_state && t != NULL)
    {
      guint64 s[4];
      for (guint i = 0; i < t->params->len; i++)
        {
          const BxCompactParam *p = t->params->pdata[i];
          g_autofree char *mn = g_strconcat ("adamw.m.", p->name, NULL);
          g_autofree char *vn = g_strconcat ("adamw.v.", p->name, NULL);
          if ((p->owned && !add_param (sd, p->name, p, p->data, error)) || !add_param (sd, mn, p, p->m, error)
              || !add_param (sd, vn, p, p->v, error))
            return FALSE;
        }
      g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, t->step);
      bx_state_dict_set_metadata (sd, "step", buf);
      bx_compact_trainer_get_rng (t, s);
      {
        g_autofree char *r = g_strdup_printf ("%016" G_GINT64_MODIFIER "x %016" G_GINT64_MODIFIER
                                              "x %016" G_GINT64_MODIFIER "x %016" G_GINT64_MODIFIER "x",
                                              s[0], s[1], s[2], s[3]);
        bx_state_dict_set_metadata (sd, "rng", r);
      }
    }
  bx_state_dict_set_metadata (sd, "format", "bioxbridge-compact");
  bx_state_dict_set_metadata (sd, "modality", c.modality);
#define META_INT(key, v)                                                                                     \
  do                                                                                                         \
    {                                                                                                        \
      g_snprintf (buf, sizeof buf, "%d", (v));                                                               \
      bx_state_dict_set_metadata (sd, key, buf);                                                             \
    }                                                                                                        \
  while (0)
  META_INT ("rate", c.rate);
  META_INT ("patch", c.patch);
  META_INT ("dim", c.dim);
  META_INT ("depth", c.depth);
  META_INT ("heads", c.heads);
#undef META_INT
  for (int i = 0; extra_metadata != NULL && extra_metadata[i] != NULL && extra_metadata[i + 1] != NULL;
       i += 2)
    bx_state_dict_set_metadata (sd, extra_metadata[i], extra_metadata[i + 1]);
  return bx_safetensors_write (path, sd, error);
}

gboolean
bx_compact_trainer_resume (BxCompactTrainer *t, const char *path, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (BxStateDict) sd = bx_safetensors_read (path, &local);
  const char *step, *rng;
  gint64 st = 0;
  guint64 s[4];

  if (sd == NULL)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_FAMILY, "cannot resume from %s: %s", path,
                   local->message);
      return FALSE;
    }
  step = bx_state_dict_get_metadata (sd, "step");
  rng = bx_state_dict_get_metadata (sd, "rng");
  if (step == NULL || rng == NULL || !g_ascii_string_to_signed (step, 10, 0, G_MAXINT64, &st, NULL)
      || sscanf (rng,
                 "%" G_GINT64_MODIFIER "x %" G_GINT64_MODIFIER "x %" G_GINT64_MODIFIER "x %" G_GINT64_MODIFIER
                 "x",
                 &s[0], &s[1], &s[2], &s[3])
             != 4)
    {
      g_set_error (
          error, BX_MODEL_ERROR, BX_MODEL_ERROR_KEYS,
          "%s: no training state to resume from (__metadata__ step = %s, rng = %s); it was saved without "
          "the optimiser state",
          path, step ? step : "missing", rng ? rng : "missing");
      return FALSE;
    }
  for (guint i = 0; i < t->params->len; i++)
    {
      BxCompactParam *p = t->params->pdata[i];
      g_autofree char *mn = g_strconcat ("adamw.m.", p->name, NULL);
      g_autofree char *vn = g_strconcat ("adamw.v.", p->name, NULL);
      if (!bx_state_dict_copy_float (sd, p->name, p->ndim, p->shape, p->data, p->numel, &local)
          || !bx_state_dict_copy_float (sd, mn, p->ndim, p->shape, p->m, p->numel, &local)
          || !bx_state_dict_copy_float (sd, vn, p->ndim, p->shape, p->v, p->numel, &local))
        {
          g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_KEYS, "cannot resume from %s: %s", path,
                       local->message);
          return FALSE;
        }
    }
  t->step = st;
  bx_compact_trainer_set_rng (t, s);
  return TRUE;
}

char *
bx_compact_file_metadata (const char *path, const char *key, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (BxStateDict) sd = bx_safetensors_read (path, &local);

  if (sd == NULL)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_FAMILY, "%s: %s", path, local->message);
      return NULL;
    }
  return g_strdup (bx_state_dict_get_metadata (sd, key));
}
