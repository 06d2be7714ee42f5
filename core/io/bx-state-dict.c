/* bx-state-dict.c — named tensors, dtype conversion, key utilities and the
 * expected-keys check used by the model loaders. */
#include "bx-state-dict.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (bx - io - error - quark, bx_io_error)

static const struct
{
  const char *name;
  gsize size;
} dtype_info[BX_DTYPE_N] = {
  [BX_DTYPE_F32] = { "float32", 4 }, [BX_DTYPE_F16] = { "float16", 2 }, [BX_DTYPE_BF16] = { "bfloat16", 2 },
  [BX_DTYPE_F64] = { "float64", 8 }, [BX_DTYPE_I64] = { "int64", 8 },   [BX_DTYPE_I32] = { "int32", 4 },
  [BX_DTYPE_I16] = { "int16", 2 },   [BX_DTYPE_I8] = { "int8", 1 },     [BX_DTYPE_U8] = { "uint8", 1 },
  [BX_DTYPE_BOOL] = { "bool", 1 },
};

gsize
bx_dtype_size (BxDType dtype)
{
  return (unsigned)dtype < BX_DTYPE_N ? dtype_info[dtype].size : 0;
}

const char *
bx_dtype_name (BxDType dtype)
{
  return (unsigned)dtype < BX_DTYPE_N ? dtype_info[dtype].name : "invalid";
}

gboolean
bx_dtype_from_name (const char *name, BxDType *dtype)
{
  static const struct
  {
    const char *alias;
    BxDType dtype;
  } aliases[] = {
    { "float", BX_DTYPE_F32 }, { "half", BX_DTYPE_F16 }, { "double", BX_DTYPE_F64 },
    { "long", BX_DTYPE_I64 },  { "int", BX_DTYPE_I32 },  { "short", BX_DTYPE_I16 },
    { "F32", BX_DTYPE_F32 },   { "F16", BX_DTYPE_F16 },  { "BF16", BX_DTYPE_BF16 },
    { "F64", BX_DTYPE_F64 },   { "I64", BX_DTYPE_I64 },  { "I32", BX_DTYPE_I32 },
    { "I16", BX_DTYPE_I16 },   { "I8", BX_DTYPE_I8 },    { "U8", BX_DTYPE_U8 },
    { "BOOL", BX_DTYPE_BOOL },
  };
  if (name == NULL)
    return FALSE;
  if (g_str_has_prefix (name, "torch."))
    name += 6;
  for (int i = 0; i < BX_DTYPE_N; i++)
    if (strcmp (name, dtype_info[i].name) == 0)
      {
        *dtype = (BxDType)i;
        return TRUE;
      }
  for (gsize i = 0; i < G_N_ELEMENTS (aliases); i++)
    if (strcmp (name, aliases[i].alias) == 0)
      {
        *dtype = aliases[i].dtype;
        return TRUE;
      }
  return FALSE;
}

/* ---------------------------------------------------------------- tensors */

char *
bx_shape_to_string (guint ndim, const gint64 *shape)
{
  GString *s = g_string_new ("(");
  for (guint i = 0; i < ndim; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", shape[i]);
  if (ndim == 1)
    g_string_append_c (s, ',');
  g_string_append_c (s, ')');
  return g_string_free (s, FALSE);
}

BxTensor *
bx_tensor_new (const char *name, BxDType dtype, guint ndim, const gint64 *shape, GBytes *data, GError **error)
{
  if ((unsigned)dtype >= BX_DTYPE_N)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_INVALID, "tensor '%s': invalid dtype %d", name ? name : "",
                   (int)dtype);
      return NULL;
    }
  if (ndim > BX_TENSOR_MAX_DIMS)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_UNSUPPORTED,
                   "tensor '%s' has %u dimensions (at most %d supported)", name ? name : "", ndim,
                   BX_TENSOR_MAX_DIMS);
      return NULL;
    }
  guint64 numel = 1;
  for (guint i = 0; i < ndim; i++)
    {
      if (shape[i] < 0 || !g_uint64_checked_mul (&numel, numel, (guint64)shape[i]))
        {
          g_autofree char *s = bx_shape_to_string (ndim, shape);
          g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT, "tensor '%s' has an invalid shape %s",
                       name ? name : "", s);
          return NULL;
        }
    }
  guint64 nbytes;
  if (!g_uint64_checked_mul (&nbytes, numel, bx_dtype_size (dtype)) || data == NULL
      || g_bytes_get_size (data) != nbytes)
    {
      g_autofree char *s = bx_shape_to_string (ndim, shape);
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                   "tensor '%s' %s %s needs %" G_GUINT64_FORMAT " elements × %zu bytes but has %zu bytes",
                   name ? name : "", bx_dtype_name (dtype), s, numel, bx_dtype_size (dtype),
                   data ? g_bytes_get_size (data) : 0);
      return NULL;
    }
  BxTensor *t = g_new0 (BxTensor, 1);
  t->ref_count = 1;
  t->name = g_strdup (name ? name : "");
  t->dtype = dtype;
  t->ndim = ndim;
  if (ndim)
    memcpy (t->shape, shape, ndim * sizeof *shape);
  t->numel = numel;
  t->data = g_bytes_ref (data);
  return t;
}

BxTensor *
bx_tensor_new_float (const char *name, guint ndim, const gint64 *shape, const float *values)
{
  guint64 numel = 1;
  g_return_val_if_fail (ndim <= BX_TENSOR_MAX_DIMS, NULL);
  for (guint i = 0; i < ndim; i++)
    numel *= (guint64)shape[i];
  g_autoptr (GBytes) bytes = g_bytes_new (values, numel * sizeof (float));
  g_autoptr (GError) error = NULL;
  BxTensor *t = bx_tensor_new (name, BX_DTYPE_F32, ndim, shape, bytes, &error);
  g_return_val_if_fail (t != NULL, NULL);
  return t;
}

BxTensor *
bx_tensor_ref (BxTensor *tensor)
{
  g_atomic_int_inc (&tensor->ref_count);
  return tensor;
}

void
bx_tensor_unref (BxTensor *tensor)
{
  if (tensor && g_atomic_int_dec_and_test (&tensor->ref_count))
    {
      g_free (tensor->name);
      g_bytes_unref (tensor->data);
      g_free (tensor);
    }
}

const void *
bx_tensor_get_data (const BxTensor *tensor, gsize *n_bytes)
{
  return g_bytes_get_data (tensor->data, n_bytes);
}

gboolean
bx_tensor_shape_equals (const BxTensor *tensor, guint ndim, const gint64 *shape)
{
  if (tensor->ndim != ndim)
    return FALSE;
  for (guint i = 0; i < ndim; i++)
    if (tensor->shape[i] != shape[i])
      return FALSE;
  return TRUE;
}

/* IEEE half → single, incl. subnormals, inf and NaN. */
static float
half_to_float (guint16 h)
{
  guint32 sign = (guint32)(h & 0x8000) << 16;
  guint32 exp = (h >> 10) & 0x1f;
  guint32 mant = h & 0x3ff;
  guint32 bits;
  if (exp == 0)
    {
      float v = ldexpf ((float)mant, -24);
      return sign ? -v : v;
    }
  else if (exp == 31)
    bits = sign | 0x7f800000u | (mant << 13);
  else
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  float f;
  memcpy (&f, &bits, 4);
  return f;
}

gboolean
bx_tensor_copy_float (const BxTensor *tensor, float *dst, gsize n_dst, GError **error)
{
  if (n_dst != tensor->numel)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_INVALID,
                   "tensor '%s' has %" G_GUINT64_FORMAT " elements, destination holds %zu", tensor->name,
                   tensor->numel, n_dst);
      return FALSE;
    }
  const guint8 *src = g_bytes_get_data (tensor->data, NULL);
  gsize n = n_dst;
  switch (tensor->dtype)
    {
    case BX_DTYPE_F32:
      if (n)
        memcpy (dst, src, n * 4);
      break;
    case BX_DTYPE_F16:
      for (gsize i = 0; i < n; i++)
        dst[i] = half_to_float ((guint16)(src[2 * i] | (src[2 * i + 1] << 8)));
      break;
    case BX_DTYPE_BF16:
      for (gsize i = 0; i < n; i++)
        {
          guint32 bits = ((guint32)src[2 * i] << 16) | ((guint32)src[2 * i + 1] << 24);
          memcpy (dst + i, &bits, 4);
        }
      break;
    case BX_DTYPE_F64:
      for (gsize i = 0; i < n; i++)
        {
          double d;
          memcpy (&d, src + 8 * i, 8);
          dst[i] = (float)d;
        }
      break;
    case BX_DTYPE_I64:
      for (gsize i = 0; i < n; i++)
        {
          gint64 v;
          memcpy (&v, src + 8 * i, 8);
          dst[i] = (float)v;
        }
      break;
    case BX_DTYPE_I32:
      for (gsize i = 0; i < n; i++)
        {
          gint32 v;
          memcpy (&v, src + 4 * i, 4);
          dst[i] = (float)v;
        }
      break;
    case BX_DTYPE_I16:
      for (gsize i = 0; i < n; i++)
        {
          gint16 v;
          memcpy (&v, src + 2 * i, 2);
          dst[i] = (float)v;
        }
      break;
    case BX_DTYPE_I8:
      for (gsize i = 0; i < n; i++)
        dst[i] = (float)(gint8)src[i];
      break;
    case BX_DTYPE_U8:
      for (gsize i = 0; i < n; i++)
        dst[i] = (float)src[i];
      break;
    case BX_DTYPE_BOOL:
      for (gsize i = 0; i < n; i++)
        dst[i] = src[i] ? 1.0f : 0.0f;
      break;
    case BX_DTYPE_N:
    default:
      g_assert_not_reached ();
    }
  return TRUE;
}

float *
bx_tensor_to_float (const BxTensor *tensor, gsize *n_out)
{
  float *dst = g_new (float, MAX (tensor->numel, 1));
  bx_tensor_copy_float (tensor, dst, tensor->numel, NULL);
  if (n_out)
    *n_out = tensor->numel;
  return dst;
}

gboolean
bx_tensor_get_int64 (const BxTensor *tensor, guint64 index, gint64 *value)
{
  if (index >= tensor->numel)
    return FALSE;
  const guint8 *src = g_bytes_get_data (tensor->data, NULL);
  switch (tensor->dtype)
    {
    case BX_DTYPE_I64:
      memcpy (value, src + 8 * index, 8);
      return TRUE;
    case BX_DTYPE_I32:
      {
        gint32 v;
        memcpy (&v, src + 4 * index, 4);
        *value = v;
        return TRUE;
      }
    case BX_DTYPE_I16:
      {
        gint16 v;
        memcpy (&v, src + 2 * index, 2);
        *value = v;
        return TRUE;
      }
    case BX_DTYPE_I8:
      *value = (gint8)src[index];
      return TRUE;
    case BX_DTYPE_U8:
    case BX_DTYPE_BOOL:
      *value = src[index];
      return TRUE;
    default:
      return FALSE;
    }
}

/* ------------------------------------------------------------- state dict */

struct _BxStateDict
{
  gint ref_count;
  GPtrArray *tensors;   /* BxTensor*, insertion order */
  GHashTable *by_name;  /* name (owned by the tensor) → BxTensor* */
  GHashTable *metadata; /* char* → char* */
  GPtrArray *notes;     /* char* */
  char *format;
};

BxStateDict *
bx_state_dict_new (void)
{
  BxStateDict *sd = g_new0 (BxStateDict, 1);
  sd->ref_count = 1;
  sd->tensors = g_ptr_array_new_with_free_func ((GDestroyNotify)bx_tensor_unref);
  sd->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  sd->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sd->notes = g_ptr_array_new_with_free_func (g_free);
  return sd;
}

BxStateDict *
bx_state_dict_ref (BxStateDict *sd)
{
  g_atomic_int_inc (&sd->ref_count);
  return sd;
}

void
bx_state_dict_unref (BxStateDict *sd)
{
  if (sd && g_atomic_int_dec_and_test (&sd->ref_count))
    {
      g_hash_table_unref (sd->by_name);
      g_ptr_array_unref (sd->tensors);
      g_hash_table_unref (sd->metadata);
      g_ptr_array_unref (sd->notes);
      g_free (sd->format);
      g_free (sd);
    }
}

gboolean
bx_state_dict_add (BxStateDict *sd, BxTensor *tensor, GError **error)
{
  if (g_hash_table_contains (sd->by_name, tensor->name))
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT, "duplicate tensor name '%s'", tensor->name);
      return FALSE;
    }
  g_ptr_array_add (sd->tensors, bx_tensor_ref (tensor));
  g_hash_table_insert (sd->by_name, tensor->name, tensor);
  return TRUE;
}

gboolean
bx_state_dict_add_float (BxStateDict *sd, const char *name, guint ndim, const gint64 *shape,
                         const float *values, GError **error)
{
  if (ndim > BX_TENSOR_MAX_DIMS)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_INVALID, "tensor '%s': %u dimensions", name, ndim);
      return FALSE;
    }
  guint64 numel = 1;
  for (guint i = 0; i < ndim; i++)
    {
      if (shape[i] < 0 || !g_uint64_checked_mul (&numel, numel, (guint64)shape[i]))
        {
          g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_INVALID, "tensor '%s': invalid shape", name);
          return FALSE;
        }
    }
  g_autoptr (GBytes) bytes = g_bytes_new (values, numel * sizeof (float));
  g_autoptr (BxTensor) t = bx_tensor_new (name, BX_DTYPE_F32, ndim, shape, bytes, error);
  return t != NULL && bx_state_dict_add (sd, t, error);
}

guint
bx_state_dict_size (const BxStateDict *sd)
{
  return sd->tensors->len;
}

const BxTensor *
bx_state_dict_get_nth (const BxStateDict *sd, guint index)
{
  return index < sd->tensors->len ? g_ptr_array_index (sd->tensors, index) : NULL;
}

const BxTensor *
bx_state_dict_lookup (const BxStateDict *sd, const char *name)
{
  return g_hash_table_lookup (sd->by_name, name);
}

const BxTensor *
bx_state_dict_require (const BxStateDict *sd, const char *name, int ndim, const gint64 *shape, GError **error)
{
  const BxTensor *t = bx_state_dict_lookup (sd, name);
  if (t == NULL)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_NOT_FOUND, "tensor '%s' is missing", name);
      return NULL;
    }
  if (ndim >= 0 && !bx_tensor_shape_equals (t, (guint)ndim, shape))
    {
      g_autofree char *want = bx_shape_to_string ((guint)ndim, shape);
      g_autofree char *have = bx_shape_to_string (t->ndim, t->shape);
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_MISMATCH, "tensor '%s': expected shape %s, file has %s",
                   name, want, have);
      return NULL;
    }
  return t;
}

gboolean
bx_state_dict_copy_float (const BxStateDict *sd, const char *name, int ndim, const gint64 *shape, float *dst,
                          gsize n_dst, GError **error)
{
  const BxTensor *t = bx_state_dict_require (sd, name, ndim, shape, error);
  return t != NULL && bx_tensor_copy_float (t, dst, n_dst, error);
}

guint64
bx_state_dict_numel (const BxStateDict *sd)
{
  guint64 n = 0;
  for (guint i = 0; i < sd->tensors->len; i++)
    n += ((BxTensor *)g_ptr_array_index (sd->tensors, i))->numel;
  return n;
}

void
bx_state_dict_set_metadata (BxStateDict *sd, const char *key, const char *value)
{
  g_hash_table_replace (sd->metadata, g_strdup (key), g_strdup (value));
}

const char *
bx_state_dict_get_metadata (const BxStateDict *sd, const char *key)
{
  return g_hash_table_lookup (sd->metadata, key);
}

static int
compare_str_ptr (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *)a, *(const char *const *)b);
}

const char **
bx_state_dict_get_metadata_keys (const BxStateDict *sd)
{
  guint n = 0;
  const char **keys = (const char **)g_hash_table_get_keys_as_array (sd->metadata, &n);
  qsort (keys, n, sizeof *keys, compare_str_ptr);
  return keys;
}

void
bx_state_dict_add_note (BxStateDict *sd, const char *note)
{
  g_ptr_array_add (sd->notes, g_strdup (note));
}

guint
bx_state_dict_get_n_notes (const BxStateDict *sd)
{
  return sd->notes->len;
}

const char *
bx_state_dict_get_note (const BxStateDict *sd, guint index)
{
  return index < sd->notes->len ? g_ptr_array_index (sd->notes, index) : NULL;
}

const char *
bx_state_dict_get_format (const BxStateDict *sd)
{
  return sd->format;
}

void
bx_state_dict_set_format (BxStateDict *sd, const char *format)
{
  g_free (sd->format);
  sd->format = g_strdup (format);
}

/* A dict with the same metadata, notes and format but no tensors. */
static BxStateDict *
state_dict_new_like (const BxStateDict *sd)
{
  BxStateDict *out = bx_state_dict_new ();
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, sd->metadata);
  while (g_hash_table_iter_next (&it, &k, &v))
    bx_state_dict_set_metadata (out, k, v);
  for (guint i = 0; i < sd->notes->len; i++)
    bx_state_dict_add_note (out, g_ptr_array_index (sd->notes, i));
  bx_state_dict_set_format (out, sd->format);
  return out;
}

/* Adds `t` under `name`, sharing its data. */
static gboolean
add_renamed (BxStateDict *out, const BxTensor *t, const char *name, GError **error)
{
  g_autoptr (BxTensor) copy = bx_tensor_new (name, t->dtype, t->ndim, t->shape, t->data, error);
  return copy != NULL && bx_state_dict_add (out, copy, error);
}

BxStateDict *
bx_state_dict_strip_prefix (const BxStateDict *sd, const char *prefix, BxPrefixMode mode, GError **error)
{
  g_autoptr (BxStateDict) out = state_dict_new_like (sd);
  gsize plen = strlen (prefix);
  for (guint i = 0; i < sd->tensors->len; i++)
    {
      const BxTensor *t = g_ptr_array_index (sd->tensors, i);
      const char *name;
      if (g_str_has_prefix (t->name, prefix))
        name = t->name + plen;
      else if (mode == BX_PREFIX_KEEP_OTHERS)
        name = t->name;
      else
        continue;
      if (!add_renamed (out, t, name, error))
        {
          g_prefix_error (error, "stripping prefix '%s': ", prefix);
          return NULL;
        }
    }
  return g_steal_pointer (&out);
}

gboolean
bx_state_dict_has_prefix (const BxStateDict *sd, const char *prefix)
{
  for (guint i = 0; i < sd->tensors->len; i++)
    if (g_str_has_prefix (((BxTensor *)g_ptr_array_index (sd->tensors, i))->name, prefix))
      return TRUE;
  return FALSE;
}

BxStateDict *
bx_state_dict_select (const BxStateDict *sd, const char *path, GError **error)
{
  g_autofree char *prefix = g_strconcat (path, ".", NULL);
  if (!bx_state_dict_has_prefix (sd, prefix))
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_NOT_FOUND, "no tensors under '%s'", path);
      return NULL;
    }
  return bx_state_dict_strip_prefix (sd, prefix, BX_PREFIX_DROP_OTHERS, error);
}

BxStateDict *
bx_state_dict_select_first (const BxStateDict *sd, const char *const *paths, const char **chosen)
{
  for (guint i = 0; paths && paths[i]; i++)
    {
      g_autofree char *prefix = g_strconcat (paths[i], ".", NULL);
      if (bx_state_dict_has_prefix (sd, prefix))
        {
          BxStateDict *out = bx_state_dict_strip_prefix (sd, prefix, BX_PREFIX_DROP_OTHERS, NULL);
          if (out)
            {
              if (chosen)
                *chosen = paths[i];
              return out;
            }
        }
    }
  if (chosen)
    *chosen = NULL;
  return bx_state_dict_ref ((BxStateDict *)sd);
}

BxStateDict *
bx_state_dict_normalize_weight_norm (const BxStateDict *sd, BxWeightNormStyle style, GError **error)
{
  static const char *const legacy[2] = { ".weight_g", ".weight_v" };
  static const char *const param[2]
      = { ".parametrizations.weight.original0", ".parametrizations.weight.original1" };
  const char *const *from = style == BX_WEIGHT_NORM_LEGACY ? param : legacy;
  const char *const *to = style == BX_WEIGHT_NORM_LEGACY ? legacy : param;
  g_autoptr (BxStateDict) out = state_dict_new_like (sd);
  for (guint i = 0; i < sd->tensors->len; i++)
    {
      const BxTensor *t = g_ptr_array_index (sd->tensors, i);
      g_autofree char *renamed = NULL;
      for (int k = 0; k < 2 && renamed == NULL; k++)
        if (g_str_has_suffix (t->name, from[k]))
          {
            gsize stem = strlen (t->name) - strlen (from[k]);
            renamed = g_strdup_printf ("%.*s%s", (int)stem, t->name, to[k]);
          }
      if (!add_renamed (out, t, renamed ? renamed : t->name, error))
        {
          g_prefix_error (error, "normalising weight-norm keys: ");
          return NULL;
        }
    }
  return g_steal_pointer (&out);
}

/* ------------------------------------------------------------------ check */

static gboolean
spec_matches (const BxTensorSpec *spec, const BxTensor *t)
{
  if (spec->ndim < 0)
    return TRUE;
  if ((guint)spec->ndim != t->ndim)
    return FALSE;
  for (guint i = 0; i < t->ndim; i++)
    if (spec->shape[i] >= 0 && spec->shape[i] != t->shape[i])
      return FALSE;
  return TRUE;
}

BxStateDictCheck *
bx_state_dict_check (const BxStateDict *sd, const BxTensorSpec *expected, gsize n_expected)
{
  BxStateDictCheck *check = g_new0 (BxStateDictCheck, 1);
  check->missing = g_ptr_array_new_with_free_func (g_free);
  check->unexpected = g_ptr_array_new_with_free_func (g_free);
  check->mismatched = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
  for (gsize i = 0; i < n_expected; i++)
    {
      const BxTensorSpec *spec = &expected[i];
      g_hash_table_add (wanted, (gpointer)spec->name);
      const BxTensor *t = bx_state_dict_lookup (sd, spec->name);
      if (t == NULL)
        g_ptr_array_add (check->missing, g_strdup (spec->name));
      else if (!spec_matches (spec, t))
        {
          g_autofree char *want = bx_shape_to_string ((guint)spec->ndim, spec->shape);
          g_autofree char *have = bx_shape_to_string (t->ndim, t->shape);
          /* -1 wildcards print as -1: "(1, -1, 200)" reads as "any". */
          g_ptr_array_add (check->mismatched,
                           g_strdup_printf ("%s: expected %s, file has %s", spec->name, want, have));
        }
      else
        check->n_matched++;
    }
  for (guint i = 0; i < sd->tensors->len; i++)
    {
      const BxTensor *t = g_ptr_array_index (sd->tensors, i);
      if (!g_hash_table_contains (wanted, t->name))
        g_ptr_array_add (check->unexpected, g_strdup (t->name));
    }
  return check;
}

void
bx_state_dict_check_free (BxStateDictCheck *check)
{
  if (check == NULL)
    return;
  g_ptr_array_unref (check->missing);
  g_ptr_array_unref (check->unexpected);
  g_ptr_array_unref (check->mismatched);
  g_free (check);
}

gboolean
bx_state_dict_check_ok (const BxStateDictCheck *check)
{
  return check->missing->len == 0 && check->mismatched->len == 0;
}

static void
append_list (GString *s, GPtrArray *items, const char *singular, const char *plural, const char *tail,
             guint max_list)
{
  if (items->len == 0)
    return;
  g_string_append_printf (s, "\n  %u %s%s: ", items->len, items->len == 1 ? singular : plural, tail);
  for (guint i = 0; i < items->len && i < max_list; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", (const char *)g_ptr_array_index (items, i));
  if (items->len > max_list)
    g_string_append_printf (s, ", … (%u more)", items->len - max_list);
}

char *
bx_state_dict_check_format (const BxStateDictCheck *check, const char *what, guint max_list)
{
  GString *s = g_string_new (what ? what : "state dict");
  if (max_list == 0)
    max_list = G_MAXUINT;
  g_string_append_printf (s, ": %u keys matched", check->n_matched);
  if (check->missing->len == 0 && check->mismatched->len == 0 && check->unexpected->len == 0)
    return g_string_free (s, FALSE);
  append_list (s, check->missing, "missing key", "missing keys", "", max_list);
  append_list (s, check->mismatched, "shape mismatch", "shape mismatches", "", max_list);
  append_list (s, check->unexpected, "unexpected key", "unexpected keys", " (ignored)", max_list);
  return g_string_free (s, FALSE);
}

gboolean
bx_state_dict_check_strict (const BxStateDict *sd, const BxTensorSpec *expected, gsize n_expected,
                            const char *what, GError **error)
{
  g_autoptr (BxStateDictCheck) check = bx_state_dict_check (sd, expected, n_expected);
  if (bx_state_dict_check_ok (check))
    return TRUE;
  g_autofree char *msg = bx_state_dict_check_format (check, what, 20);
  g_set_error_literal (error, BX_IO_ERROR, BX_IO_ERROR_MISMATCH, msg);
  return FALSE;
}

BxTensorSpec *
bx_tensor_spec_parse_listing (const char *text, gsize *n_specs, char ***strings, GError **error)
{
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr (GArray) specs = g_array_new (FALSE, TRUE, sizeof (BxTensorSpec));
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  for (guint ln = 0; lines[ln]; ln++)
    {
      g_strstrip (lines[ln]);
      if (lines[ln][0] == '\0' || lines[ln][0] == '#')
        continue;
      g_auto (GStrv) cols = g_strsplit (lines[ln], "\t", -1);
      if (g_strv_length (cols) < 2 || cols[1][0] != '(' || !g_str_has_suffix (cols[1], ")"))
        {
          g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                       "line %u: expected 'name<TAB>(d0, d1, …)<TAB>dtype', got '%s'", ln + 1, lines[ln]);
          return NULL;
        }
      BxTensorSpec spec = { 0 };
      g_autofree char *inner = g_strndup (cols[1] + 1, strlen (cols[1]) - 2);
      g_auto (GStrv) dims = g_strsplit (inner, ",", -1);
      for (guint d = 0; dims[d]; d++)
        {
          g_strstrip (dims[d]);
          if (dims[d][0] == '\0')
            continue;
          gint64 v;
          if (spec.ndim >= BX_TENSOR_MAX_DIMS
              || !g_ascii_string_to_signed (dims[d], 10, -1, G_MAXINT64, &v, NULL))
            {
              g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT, "line %u: bad shape '%s'", ln + 1,
                           cols[1]);
              return NULL;
            }
          spec.shape[spec.ndim++] = v;
        }
      g_ptr_array_add (names, g_strdup (cols[0]));
      g_array_append_val (specs, spec);
    }
  g_ptr_array_add (names, NULL);
  for (guint i = 0; i < specs->len; i++)
    g_array_index (specs, BxTensorSpec, i).name = g_ptr_array_index (names, i);
  *n_specs = specs->len;
  *strings = (char **)g_ptr_array_free (g_steal_pointer (&names), FALSE);
  return (BxTensorSpec *)(void *)g_array_free (g_steal_pointer (&specs), FALSE);
}
