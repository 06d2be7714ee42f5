/* bx-feature-cache.c — pair features as safetensors keyed by a content hash. */
#include "bridge/bx-feature-cache.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "io/bx-safetensors.h"

static gint cache_hits, cache_misses;

guint
bx_feature_cache_hits (void)
{
  return (guint)g_atomic_int_get (&cache_hits);
}

guint
bx_feature_cache_misses (void)
{
  return (guint)g_atomic_int_get (&cache_misses);
}

static void
update_u64 (GChecksum *sum, guint64 v)
{
  guint64 le = GUINT64_TO_LE (v);
  g_checksum_update (sum, (const guchar *)&le, sizeof le);
}

static void
update_str (GChecksum *sum, const char *s)
{
  s = s != NULL ? s : "";
  update_u64 (sum, strlen (s));
  g_checksum_update (sum, (const guchar *)s, (gssize)strlen (s));
}

static void
update_floats (GChecksum *sum, const float *x, gsize n)
{
  update_u64 (sum, n);
  /* floats are hashed as stored; every platform we build for is little-endian. */
  g_checksum_update (sum, (const guchar *)x, (gssize)(n * sizeof (float)));
}

char *
bx_feature_cache_key (const BxFeatureCacheKey *key)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  update_str (sum, "bioxbridge-pair-features-v1");
  update_u64 (sum, key->n);
  update_floats (sum, key->old_prepared, (gsize)key->n * key->old_numel);
  update_floats (sum, key->new_prepared, (gsize)key->n * key->new_numel);
  update_str (sum, key->old_sha256);
  update_str (sum, key->new_sha256);
  update_str (sum, key->preprocessing);
  update_u64 (sum, key->head->n_features);
  update_u64 (sum, key->head->n_classes);
  update_floats (sum, key->head->weight, (gsize)key->head->n_features * key->head->n_classes);
  update_floats (sum, key->head->bias, key->head->n_classes);
  update_u64 (sum, key->keep_targets ? 1 : 0);
  return g_strdup (g_checksum_get_string (sum));
}

char *
bx_feature_cache_default_dir (void)
{
  return g_build_filename (g_get_user_cache_dir (), "bioxbridge", "features", NULL);
}

static void
set_int_meta (BxStateDict *sd, const char *key, gint64 v)
{
  char buf[32];

  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, v);
  bx_state_dict_set_metadata (sd, key, buf);
}

gboolean
bx_feature_cache_save (const char *path, const char *key, const BxPairFeatures *f, GError **error)
{
  g_autoptr (BxStateDict) sd = bx_state_dict_new ();
  gint64 shape[2];

  for (int i = 0; i < f->n_new_layers; i++)
    {
      g_autofree char *name = g_strdup_printf ("new.%d", i);
      shape[0] = f->n, shape[1] = f->new_dim[i];
      if (!bx_state_dict_add_float (sd, name, 2, shape, f->new_pooled[i], error))
        return FALSE;
    }
  for (int j = 0; j < f->n_old_layers; j++)
    {
      g_autofree char *name = g_strdup_printf ("old_in.%d", j);
      shape[0] = f->n, shape[1] = f->old_in_dim[j];
      if (!bx_state_dict_add_float (sd, name, 2, shape, f->old_pooled_in[j], error))
        return FALSE;
    }
  if (f->targets != NULL)
    {
      shape[0] = f->n, shape[1] = (gint64)f->target_numel;
      if (!bx_state_dict_add_float (sd, "targets", 2, shape, f->targets, error))
        return FALSE;
    }
  {
    g_autoptr (GBytes) bytes = g_bytes_new (f->pseudo_labels, sizeof (int) * f->n);
    g_autoptr (BxTensor) t = NULL;
    G_STATIC_ASSERT (sizeof (int) == 4);
    shape[0] = f->n;
    t = bx_tensor_new ("pseudo_labels", BX_DTYPE_I32, 1, shape, bytes, error);
    if (t == NULL || !bx_state_dict_add (sd, t, error))
      return FALSE;
  }
  shape[0] = f->n;
  if (!bx_state_dict_add_float (sd, "pseudo_confidence", 1, shape, f->pseudo_confidence, error))
    return FALSE;
  bx_state_dict_set_metadata (sd, "format", "bioxbridge-pair-features");
  bx_state_dict_set_metadata (sd, "key", key);
  set_int_meta (sd, "n", f->n);
  set_int_meta (sd, "n_new_layers", f->n_new_layers);
  set_int_meta (sd, "n_old_layers", f->n_old_layers);
  set_int_meta (sd, "n_classes", f->n_classes);
  set_int_meta (sd, "target_numel", (gint64)f->target_numel);
  return bx_safetensors_write (path, sd, error);
}

static gboolean
meta_int (const BxStateDict *sd, const char *path, const char *key, gint64 max, gint64 *out, GError **error)
{
  const char *v = bx_state_dict_get_metadata (sd, key);

  if (v == NULL || !g_ascii_string_to_signed (v, 10, 0, max, out, NULL))
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                   "%s: feature cache metadata '%s' = '%s' is invalid", path, key,
                   v != NULL ? v : "(missing)");
      return FALSE;
    }
  return TRUE;
}

/* Copies a (n, dim) float tensor whose dim is read from the file. */
static float *
take_matrix (const BxStateDict *sd, const char *name, gint64 n, guint *dim, GError **error)
{
  const BxTensor *t = bx_state_dict_require (sd, name, -1, NULL, error);
  gint64 shape[2];
  float *out;

  if (t == NULL)
    return NULL;
  shape[0] = n, shape[1] = t->shape[1];
  if (t->ndim != 2 || t->shape[0] != n || t->shape[1] < 1)
    {
      g_autofree char *s = bx_shape_to_string (t->ndim, t->shape);
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_MISMATCH,
                   "feature cache tensor '%s' has shape %s, expected (%" G_GINT64_FORMAT ", d)", name, s, n);
      return NULL;
    }
  out = g_new (float, (gsize)n *(gsize)shape[1]);
  if (!bx_tensor_copy_float (t, out, t->numel, error))
    return g_free (out), NULL;
  if (dim != NULL)
    *dim = (guint)shape[1];
  return out;
}

BxPairFeatures *
bx_feature_cache_load (const char *path, const char *expected_key, GError **error)
{
  g_autoptr (BxStateDict) sd = bx_safetensors_read (path, error);
  g_autoptr (BxPairFeatures) f = NULL;
  gint64 n, n_new, n_old, n_classes, numel, v;
  const BxTensor *labels;
  const char *key;
  guint dummy;

  if (sd == NULL)
    return NULL;
  key = bx_state_dict_get_metadata (sd, "key");
  if (g_strcmp0 (bx_state_dict_get_metadata (sd, "format"), "bioxbridge-pair-features") != 0
      || (expected_key != NULL && g_strcmp0 (key, expected_key) != 0))
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_MISMATCH, "%s: not a feature cache entry for key %s", path,
                   expected_key != NULL ? expected_key : "(any)");
      return NULL;
    }
  if (!meta_int (sd, path, "n", G_MAXUINT32, &n, error)
      || !meta_int (sd, path, "n_new_layers", 4096, &n_new, error)
      || !meta_int (sd, path, "n_old_layers", 4096, &n_old, error)
      || !meta_int (sd, path, "n_classes", 4096, &n_classes, error)
      || !meta_int (sd, path, "target_numel", G_MAXINT32, &numel, error))
    return NULL;
  f = g_new0 (BxPairFeatures, 1);
  f->n = (guint)n;
  f->n_classes = (guint)n_classes;
  f->new_dim = g_new0 (guint, n_new);
  f->new_pooled = g_new0 (float *, n_new);
  f->old_in_dim = g_new0 (guint, n_old);
  f->old_pooled_in = g_new0 (float *, n_old);
  for (int i = 0; i < n_new; i++)
    {
      g_autofree char *name = g_strdup_printf ("new.%d", i);
      f->n_new_layers = i + 1;
      if ((f->new_pooled[i] = take_matrix (sd, name, n, &f->new_dim[i], error)) == NULL)
        return NULL;
    }
  for (int j = 0; j < n_old; j++)
    {
      g_autofree char *name = g_strdup_printf ("old_in.%d", j);
      f->n_old_layers = j + 1;
      if ((f->old_pooled_in[j] = take_matrix (sd, name, n, &f->old_in_dim[j], error)) == NULL)
        return NULL;
    }
  f->target_numel = (gsize)numel;
  if (bx_state_dict_lookup (sd, "targets") != NULL
      && (f->targets = take_matrix (sd, "targets", n, &dummy, error)) == NULL)
    return NULL;
  if (f->targets != NULL && dummy != (guint)numel)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_MISMATCH,
                   "%s: targets have %u values per window, metadata says %" G_GINT64_FORMAT, path, dummy,
                   numel);
      return NULL;
    }
  labels = bx_state_dict_require (sd, "pseudo_labels", 1, (gint64[]){ n }, error);
  if (labels == NULL)
    return NULL;
  f->pseudo_labels = g_new (int, n);
  for (gint64 i = 0; i < n; i++)
    {
      if (!bx_tensor_get_int64 (labels, (guint64)i, &v) || v < 0 || v >= n_classes)
        {
          g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                       "%s: pseudo label %" G_GINT64_FORMAT " is invalid", path, i);
          return NULL;
        }
      f->pseudo_labels[i] = (int)v;
    }
  f->pseudo_confidence = g_new (float, n);
  if (!bx_state_dict_copy_float (sd, "pseudo_confidence", 1, (gint64[]){ n }, f->pseudo_confidence, (gsize)n,
                                 error))
    return NULL;
  return g_steal_pointer (&f);
}

BxPairFeatures *
bx_feature_cache_get (const char *dir, const BxFeatureCacheKey *key, BxModel *old_model, BxModel *new_model,
                      guint batch, gboolean *hit, BxJob *job, GError **error)
{
  g_autofree char *default_dir = NULL;
  g_autofree char *k = bx_feature_cache_key (key);
  g_autofree char *file = g_strconcat (k, ".safetensors", NULL);
  g_autofree char *path = NULL;
  g_autoptr (GError) local = NULL;
  BxPairFeatures *f;

  if (dir == NULL)
    dir = default_dir = bx_feature_cache_default_dir ();
  path = g_build_filename (dir, file, NULL);
  if (hit != NULL)
    *hit = FALSE;
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      f = bx_feature_cache_load (path, k, &local);
      if (f != NULL && f->n == key->n && (!key->keep_targets || f->targets != NULL))
        {
          g_atomic_int_inc (&cache_hits);
          if (hit != NULL)
            *hit = TRUE;
          if (job != NULL)
            bx_job_progress (job, "features", "cached", 1.0, NAN, NULL);
          return f;
        }
      g_message ("ignoring feature cache entry %s: %s", path, local != NULL ? local->message : "wrong size");
      bx_pair_features_free (f);
      g_clear_error (&local);
    }
  g_atomic_int_inc (&cache_misses);
  f = bx_pair_features_compute (old_model, new_model, key->head, key->old_prepared, key->new_prepared, key->n,
                                batch, key->keep_targets, job, error);
  if (f == NULL)
    return NULL;
  if (g_mkdir_with_parents (dir, 0755) != 0 || !bx_feature_cache_save (path, k, f, &local))
    g_message ("could not write the feature cache %s: %s", path,
               local != NULL ? local->message : g_strerror (errno));
  return f;
}
