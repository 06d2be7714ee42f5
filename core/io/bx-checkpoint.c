/* bx-checkpoint.c — PyTorch loaders (zip and legacy) over the restricted
 * pickle reader, format detection and the content-dispatching loader. */
#include "bx-checkpoint.h"
#include "bx-io-private.h"
#include "bx-npy.h"
#include "bx-pickle.h"
#include "bx-safetensors.h"
#include "bx-zip.h"

#include <gio/gio.h>
#include <string.h>

#define MAX_DEPTH 64
/* Shared references can make a small pickle describe a huge tree: bound the walk. */
#define MAX_VISITS 2000000
#define MAX_TENSORS 500000
#define MAX_NOTES 1000
#define MAX_PATH 4096

GBytes *
bx_io_map_file (const char *path, GError **error)
{
  g_autoptr (GError) local = NULL;
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_OPEN, "%s: is a directory, not a file", path);
      return NULL;
    }
  GMappedFile *map = g_mapped_file_new (path, FALSE, &local);
  if (map == NULL)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_OPEN, "%s: cannot open: %s", path, local->message);
      return NULL;
    }
  GBytes *bytes = g_mapped_file_get_bytes (map);
  g_mapped_file_unref (map);
  return bytes;
}

gboolean
bx_io_write_atomic (const char *path, const void *const *chunks, const gsize *lengths, guint n,
                    const char *what, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) local = NULL;
  /* g_file_replace writes a temporary beside `path` and renames it on a successful close. */
  g_autoptr (GFileOutputStream) out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &local);
  gboolean ok = out != NULL;
  for (guint i = 0; ok && i < n; i++)
    if (lengths[i])
      ok = g_output_stream_write_all (G_OUTPUT_STREAM (out), chunks[i], lengths[i], NULL, NULL, &local);
  if (ok)
    ok = g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &local);
  else if (out)
    {
      /* A cancelled close removes the temporary instead of publishing a partial file. */
      g_autoptr (GCancellable) cancel = g_cancellable_new ();
      g_cancellable_cancel (cancel);
      g_output_stream_close (G_OUTPUT_STREAM (out), cancel, NULL);
    }
  if (!ok)
    g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_WRITE, "%s: cannot write %s: %s", path, what,
                 local->message);
  return ok;
}

char *
bx_checkpoint_sha256 (const char *path, GError **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) local = NULL;
  g_autoptr (GFileInputStream) in = g_file_read (file, NULL, &local);
  if (in == NULL)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_OPEN, "%s: cannot open: %s", path, local->message);
      return NULL;
    }
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize chunk = 1 << 20;
  g_autofree guint8 *buf = g_malloc (chunk);
  for (;;)
    {
      gssize n = g_input_stream_read (G_INPUT_STREAM (in), buf, chunk, NULL, &local);
      if (n < 0)
        {
          g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_OPEN, "%s: read failed: %s", path, local->message);
          return NULL;
        }
      if (n == 0)
        break;
      g_checksum_update (sum, buf, n);
    }
  return g_strdup (g_checksum_get_string (sum));
}

static const guint8 legacy_magic[]
    = { 0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19 };

BxCheckpointFormat
bx_checkpoint_detect (const guint8 *head, gsize len)
{
  if (len >= 4 && head[0] == 'P' && head[1] == 'K'
      && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6)))
    return BX_CHECKPOINT_PYTORCH_ZIP;
  if (len >= 6 && memcmp (head, "\x93NUMPY", 6) == 0)
    return BX_CHECKPOINT_NPY;
  if (len >= sizeof legacy_magic && memcmp (head, legacy_magic, sizeof legacy_magic) == 0)
    return BX_CHECKPOINT_PYTORCH_LEGACY;
  if (len >= 9 && head[8] == '{' && head[5] == 0 && head[6] == 0 && head[7] == 0)
    return BX_CHECKPOINT_SAFETENSORS;
  return BX_CHECKPOINT_UNKNOWN;
}

const char *
bx_checkpoint_format_name (BxCheckpointFormat format)
{
  switch (format)
    {
    case BX_CHECKPOINT_PYTORCH_ZIP:
      return "pytorch-zip";
    case BX_CHECKPOINT_PYTORCH_LEGACY:
      return "pytorch-legacy";
    case BX_CHECKPOINT_SAFETENSORS:
      return "safetensors";
    case BX_CHECKPOINT_NPZ:
      return "npz";
    case BX_CHECKPOINT_NPY:
      return "npy";
    case BX_CHECKPOINT_UNKNOWN:
    default:
      return "unknown";
    }
}

/* ----------------------------------------------------------- flattening */

typedef struct
{
  const char *display_name;
  BxZip *zip;           /* zip archives: storages are members */
  const char *prefix;   /* "<archive>/" */
  GHashTable *storages; /* key → GBytes (legacy: filled up front; zip: cache) */
  BxStateDict *sd;
  GHashTable *active; /* containers on the current path (cycles) */
  guint64 visits;
  guint64 copied, copy_limit; /* bytes materialised for non-contiguous views */
} Flat;

static GBytes *
get_storage (Flat *f, const BxPickleValue *s, const char *path, GError **error)
{
  GBytes *b = g_hash_table_lookup (f->storages, s->storage.key);
  if (b)
    return b;
  if (f->zip == NULL)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                   "%s: tensor '%s' refers to storage '%s', which the file "
                   "does not contain",
                   f->display_name, path, s->storage.key);
      return NULL;
    }
  g_autofree char *member = g_strconcat (f->prefix, "data/", s->storage.key, NULL);
  const BxZipEntry *e = bx_zip_find (f->zip, member);
  if (e == NULL)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                   "%s: tensor '%s' refers to storage '%s', but the archive "
                   "has no member '%s'",
                   f->display_name, path, s->storage.key, member);
      return NULL;
    }
  b = bx_zip_read (f->zip, e, error);
  if (b)
    g_hash_table_insert (f->storages, g_strdup (s->storage.key), b);
  return b;
}

static gboolean
materialise (Flat *f, const BxPickleValue *v, const char *path, GError **error)
{
  const BxPickleValue *s = v->tensor.storage;
  if (bx_state_dict_size (f->sd) >= MAX_TENSORS)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_LIMIT, "%s: more than %d tensors", f->display_name,
                   MAX_TENSORS);
      return FALSE;
    }
  if (!s->storage.dtype_known)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_UNSUPPORTED,
                   "%s: tensor '%s' uses storage type %s, which is not "
                   "supported",
                   f->display_name, path, s->storage.type_name);
      return FALSE;
    }
  GBytes *sb = get_storage (f, s, path, error);
  if (sb == NULL)
    return FALSE;
  gsize es = bx_dtype_size (s->storage.dtype);
  gsize sbytes = g_bytes_get_size (sb);
  guint64 declared;
  if (!g_uint64_checked_mul (&declared, (guint64)s->storage.numel, es) || declared > sbytes)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                   "%s: storage '%s' declares %" G_GINT64_FORMAT " %s elements "
                   "but holds only %zu bytes",
                   f->display_name, s->storage.key, s->storage.numel, bx_dtype_name (s->storage.dtype),
                   sbytes);
      return FALSE;
    }
  guint64 avail = sbytes / es;
  guint ndim = v->tensor.ndim;
  const gint64 *shape = v->tensor.shape, *stride = v->tensor.stride;
  guint64 numel = 1, last = (guint64)v->tensor.offset;
  gboolean bad = v->tensor.offset < 0;
  for (guint i = 0; i < ndim && !bad; i++)
    {
      if (shape[i] < 0 || stride[i] < 0 || !g_uint64_checked_mul (&numel, numel, (guint64)shape[i]))
        bad = TRUE;
    }
  if (!bad && numel > 0)
    for (guint i = 0; i < ndim && !bad; i++)
      {
        guint64 span;
        if (!g_uint64_checked_mul (&span, (guint64)(shape[i] - 1), (guint64)stride[i])
            || !g_uint64_checked_add (&last, last, span))
          bad = TRUE;
      }
  if (bad || (numel > 0 && last >= avail))
    {
      g_autofree char *ss = bx_shape_to_string (ndim, shape);
      g_autofree char *st = bx_shape_to_string (ndim, stride);
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                   "%s: tensor '%s' (size %s, stride %s, offset %" G_GINT64_FORMAT
                   ") does not fit in storage '%s' of %" G_GUINT64_FORMAT " elements",
                   f->display_name, path, ss, st, v->tensor.offset, s->storage.key, avail);
      return FALSE;
    }
  gboolean contiguous = TRUE;
  gint64 expect = 1;
  /* Only for numel > 0: then every partial product of the shape fits in int64. */
  for (int i = (int)ndim - 1; i >= 0 && numel > 0; i--)
    {
      if (shape[i] != 1 && stride[i] != expect)
        contiguous = FALSE;
      expect *= shape[i];
    }
  g_autoptr (GBytes) data = NULL;
  guint64 nbytes = numel * es;
  if (numel == 0)
    data = g_bytes_new (NULL, 0);
  else if (contiguous)
    data = g_bytes_new_from_bytes (sb, (gsize)v->tensor.offset * es, (gsize)nbytes);
  else
    {
      /* Views with stride 0 can be far larger than their storage: bound the copies by the file size. */
      if (nbytes > f->copy_limit - f->copied)
        {
          g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_LIMIT,
                       "%s: tensor '%s' would materialise %" G_GUINT64_FORMAT
                       " bytes from a strided view, beyond the limit for this file",
                       f->display_name, path, nbytes);
          return FALSE;
        }
      const guint8 *src = g_bytes_get_data (sb, NULL);
      guint8 *dst = g_try_malloc ((gsize)nbytes);
      if (dst == NULL)
        {
          g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_LIMIT,
                       "%s: cannot allocate %" G_GUINT64_FORMAT " bytes for "
                       "tensor '%s'",
                       f->display_name, nbytes, path);
          return FALSE;
        }
      f->copied += nbytes;
      gint64 idx[BX_TENSOR_MAX_DIMS] = { 0 };
      gint64 off = v->tensor.offset;
      for (guint64 c = 0; c < numel; c++)
        {
          memcpy (dst + c * es, src + (gsize)off * es, es);
          for (int k = (int)ndim - 1; k >= 0; k--)
            {
              idx[k]++;
              off += stride[k];
              if (idx[k] < shape[k])
                break;
              off -= stride[k] * idx[k];
              idx[k] = 0;
            }
        }
      data = g_bytes_new_take (dst, (gsize)nbytes);
    }
  g_autoptr (BxTensor) t = bx_tensor_new (path, s->storage.dtype, ndim, shape, data, error);
  if (t == NULL || !bx_state_dict_add (f->sd, t, error))
    {
      g_prefix_error (error, "%s: ", f->display_name);
      return FALSE;
    }
  return TRUE;
}

static char *
join (const char *path, const char *key)
{
  return path[0] ? g_strconcat (path, ".", key, NULL) : g_strdup (key);
}

static gboolean
is_container (const BxPickleValue *v)
{
  return v->kind == BX_PICKLE_DICT || v->kind == BX_PICKLE_LIST || v->kind == BX_PICKLE_TUPLE;
}

static void
note (Flat *f, const char *path, const BxPickleValue *v)
{
  guint n = bx_state_dict_get_n_notes (f->sd);
  if (n >= MAX_NOTES)
    {
      if (n == MAX_NOTES)
        bx_state_dict_add_note (f->sd, "… further non-tensor entries omitted");
      return;
    }
  g_autofree char *desc = bx_pickle_value_describe (v);
  g_autofree char *line = v->kind == BX_PICKLE_OBJECT
                              ? g_strdup_printf ("%s: %s", path[0] ? path : "(root)", desc)
                              : g_strdup_printf ("%s = %s", path[0] ? path : "(root)", desc);
  bx_state_dict_add_note (f->sd, line);
}

static gboolean
flatten (Flat *f, const BxPickleValue *v, const char *path, guint depth, GError **error)
{
  if (++f->visits > MAX_VISITS)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_LIMIT,
                   "%s: more than %d entries (shared references nest too "
                   "deeply)",
                   f->display_name, MAX_VISITS);
      return FALSE;
    }
  if (strlen (path) > MAX_PATH)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_LIMIT, "%s: an entry name is longer than %d bytes",
                   f->display_name, MAX_PATH);
      return FALSE;
    }
  if (depth > MAX_DEPTH)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_LIMIT, "%s: containers nest deeper than %d levels at '%s'",
                   f->display_name, MAX_DEPTH, path);
      return FALSE;
    }
  switch (v->kind)
    {
    case BX_PICKLE_TENSOR:
      return materialise (f, v, path[0] ? path : "tensor", error);
    case BX_PICKLE_DICT:
    case BX_PICKLE_LIST:
    case BX_PICKLE_TUPLE:
      {
        gboolean any = FALSE;
        for (guint i = 0; i < v->items->len && !any; i++)
          {
            const BxPickleValue *c = g_ptr_array_index (v->items, i);
            any = c->kind == BX_PICKLE_TENSOR || is_container (c) || c->kind == BX_PICKLE_OBJECT;
          }
        /* Sequences of plain values (a config's list of sizes) are one note, not one per element. */
        if (v->kind != BX_PICKLE_DICT && !any)
          {
            note (f, path, v);
            return TRUE;
          }
        if (g_hash_table_contains (f->active, v))
          {
            g_autofree char *line
                = g_strdup_printf ("%s: cyclic reference skipped", path[0] ? path : "(root)");
            if (bx_state_dict_get_n_notes (f->sd) < MAX_NOTES)
              bx_state_dict_add_note (f->sd, line);
            return TRUE;
          }
        g_hash_table_add (f->active, (gpointer)v);
        gboolean ok = TRUE;
        if (v->kind == BX_PICKLE_DICT)
          for (guint i = 0; ok && i + 1 < v->items->len; i += 2)
            {
              const BxPickleValue *k = g_ptr_array_index (v->items, i);
              /* Python str keys are UTF-8; anything else is made printable. */
              g_autofree char *key = k->kind == BX_PICKLE_STRING ? g_utf8_make_valid (k->str.data, -1)
                                                                 : bx_pickle_value_describe (k);
              g_autofree char *sub = join (path, key);
              ok = flatten (f, g_ptr_array_index (v->items, i + 1), sub, depth + 1, error);
            }
        else
          for (guint i = 0; ok && i < v->items->len; i++)
            {
              g_autofree char *key = g_strdup_printf ("%u", i);
              g_autofree char *sub = join (path, key);
              ok = flatten (f, g_ptr_array_index (v->items, i), sub, depth + 1, error);
            }
        g_hash_table_remove (f->active, v);
        return ok;
      }
    default:
      note (f, path, v);
      return TRUE;
    }
}

/* Root object → dict. `storages` is borrowed. */
static BxStateDict *
flatten_root (const char *display_name, BxPickle *pickle, BxZip *zip, const char *prefix,
              GHashTable *storages, gsize file_size, const char *format, GError **error)
{
  if (pickle->root->kind == BX_PICKLE_OBJECT)
    {
      g_autofree char *desc = bx_pickle_value_describe (pickle->root);
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_UNSUPPORTED,
                   "%s: the file holds a pickled object (%s), not a "
                   "state dict; save model.state_dict() instead",
                   display_name, desc);
      return NULL;
    }
  g_autoptr (BxStateDict) sd = bx_state_dict_new ();
  bx_state_dict_set_format (sd, format);
  Flat f = {
    .display_name = display_name,
    .zip = zip,
    .prefix = prefix,
    .storages = storages,
    .sd = sd,
    .active = g_hash_table_new (g_direct_hash, g_direct_equal),
    .copy_limit = (guint64)file_size * 2 + ((guint64)64 << 20),
  };
  gboolean ok = flatten (&f, pickle->root, "", 0, error);
  g_hash_table_unref (f.active);
  if (!ok)
    return NULL;
  if (pickle->foreign_globals->len)
    {
      GString *s = g_string_new ("the pickle names globals outside PyTorch's (recorded as inert data, never "
                                 "executed): ");
      for (guint i = 0; i < pickle->foreign_globals->len; i++)
        g_string_append_printf (s, "%s%s", i ? ", " : "",
                                (const char *)g_ptr_array_index (pickle->foreign_globals, i));
      bx_state_dict_add_note (sd, s->str);
      g_string_free (s, TRUE);
    }
  return g_steal_pointer (&sd);
}

static BxStateDict *
torch_zip_load (GBytes *bytes, const char *name, BxZip *zip, GError **error)
{
  const BxZipEntry *pkl = NULL;
  for (guint i = 0; i < bx_zip_get_n_entries (zip) && pkl == NULL; i++)
    {
      const BxZipEntry *e = bx_zip_get_entry (zip, i);
      if (strcmp (e->name, "data.pkl") == 0 || g_str_has_suffix (e->name, "/data.pkl"))
        pkl = e;
    }
  if (pkl == NULL)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                   "%s: zip archive has no data.pkl: not a PyTorch checkpoint", name);
      return NULL;
    }
  g_autofree char *prefix = g_strndup (pkl->name, strlen (pkl->name) - strlen ("data.pkl"));
  g_autofree char *bo_name = g_strconcat (prefix, "byteorder", NULL);
  const BxZipEntry *bo = bx_zip_find (zip, bo_name);
  if (bo)
    {
      g_autoptr (GBytes) bob = bx_zip_read (zip, bo, error);
      if (bob == NULL)
        return NULL;
      gsize n;
      const char *s = g_bytes_get_data (bob, &n);
      if (!(n >= 6 && memcmp (s, "little", 6) == 0))
        {
          g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_UNSUPPORTED,
                       "%s: storages are stored %.*s-endian; only "
                       "little-endian checkpoints are supported",
                       name, (int)MIN (n, 16), s);
          return NULL;
        }
    }
  g_autoptr (GBytes) pb = bx_zip_read (zip, pkl, error);
  if (pb == NULL)
    return NULL;
  gsize plen;
  const guint8 *pdata = g_bytes_get_data (pb, &plen);
  g_autofree char *where = g_strdup_printf ("%s:%s", name, pkl->name);
  g_autoptr (BxPickle) pickle = bx_pickle_load (pdata, plen, where, NULL, error);
  if (pickle == NULL)
    return NULL;
  g_autoptr (GHashTable) storages
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
  return flatten_root (name, pickle, zip, prefix, storages, g_bytes_get_size (bytes), "pytorch-zip", error);
}

/* Legacy (pre-1.6) layout: pickles of magic number, protocol version, sys
 * info, the object and the sorted storage keys, then for each key an int64
 * element count followed by the raw storage bytes. */
static BxStateDict *
torch_legacy_load (GBytes *bytes, const char *name, GError **error)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (bytes, &len);
  gsize pos = 0;
  BxPickle *parts[5] = { NULL };
  BxStateDict *result = NULL;
  g_autoptr (GHashTable) storages
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
  g_autoptr (GHashTable) dtypes = g_hash_table_new (g_str_hash, g_str_equal);
  for (int i = 0; i < 5; i++)
    {
      parts[i] = bx_pickle_load (d + pos, len - pos, name, NULL, error);
      if (parts[i] == NULL)
        goto out;
      pos += parts[i]->consumed;
    }
  if (parts[1]->root->kind != BX_PICKLE_INT || parts[1]->root->i != 1001)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_UNSUPPORTED,
                   "%s: legacy PyTorch file with protocol version other "
                   "than 1001",
                   name);
      goto out;
    }
  {
    const BxPickleValue *info = parts[2]->root;
    for (guint i = 0; info->kind == BX_PICKLE_DICT && i + 1 < info->items->len; i += 2)
      {
        const BxPickleValue *k = g_ptr_array_index (info->items, i),
                            *v = g_ptr_array_index (info->items, i + 1);
        if (k->kind == BX_PICKLE_STRING && strcmp (k->str.data, "little_endian") == 0
            && v->kind == BX_PICKLE_BOOL && !v->b)
          {
            g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_UNSUPPORTED, "%s: big-endian legacy PyTorch file",
                         name);
            goto out;
          }
      }
  }
  /* Element sizes come from the persistent ids in the object pickle; walk its arena. */
  {
    const GPtrArray *values = bx_pickle_get_values (parts[3]);
    for (guint i = 0; i < values->len; i++)
      {
        const BxPickleValue *v = g_ptr_array_index (values, i);
        if (v->kind == BX_PICKLE_STORAGE && v->storage.dtype_known)
          g_hash_table_insert (dtypes, v->storage.key, GINT_TO_POINTER (v->storage.dtype + 1));
      }
  }
  const BxPickleValue *keys = parts[4]->root;
  if (keys->kind != BX_PICKLE_LIST)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                   "%s: legacy PyTorch file: storage key list missing", name);
      goto out;
    }
  for (guint i = 0; i < keys->items->len; i++)
    {
      const BxPickleValue *k = g_ptr_array_index (keys->items, i);
      if (k->kind != BX_PICKLE_STRING)
        {
          g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                       "%s: legacy PyTorch file: storage key is not a string", name);
          goto out;
        }
      gpointer dt = g_hash_table_lookup (dtypes, k->str.data);
      if (dt == NULL)
        {
          g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                       "%s: legacy PyTorch file: storage '%s' has no known type", name, k->str.data);
          goto out;
        }
      gsize es = bx_dtype_size ((BxDType)(GPOINTER_TO_INT (dt) - 1));
      guint64 numel = 0, nbytes;
      if (len - pos < 8)
        {
          g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                       "%s: legacy PyTorch file truncated before storage '%s'", name, k->str.data);
          goto out;
        }
      for (int b = 7; b >= 0; b--)
        numel = (numel << 8) | d[pos + b];
      pos += 8;
      if (!g_uint64_checked_mul (&nbytes, numel, es) || nbytes > len - pos)
        {
          g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                       "%s: legacy PyTorch file: storage '%s' of %" G_GUINT64_FORMAT
                       " elements runs past the end (truncated)",
                       name, k->str.data, numel);
          goto out;
        }
      if (!g_hash_table_contains (storages, k->str.data))
        g_hash_table_insert (storages, g_strdup (k->str.data),
                             g_bytes_new_from_bytes (bytes, pos, (gsize)nbytes));
      pos += (gsize)nbytes;
    }
  result = flatten_root (name, parts[3], NULL, "", storages, len, "pytorch-legacy", error);
out:
  for (int i = 0; i < 5; i++)
    bx_pickle_free (parts[i]);
  return result;
}

BxStateDict *
bx_torch_load_bytes (GBytes *bytes, const char *display_name, GError **error)
{
  const char *name = display_name ? display_name : "(checkpoint)";
  gsize len;
  const guint8 *d = g_bytes_get_data (bytes, &len);
  BxCheckpointFormat fmt = bx_checkpoint_detect (d, len);
  if (fmt == BX_CHECKPOINT_PYTORCH_LEGACY)
    return torch_legacy_load (bytes, name, error);
  if (fmt != BX_CHECKPOINT_PYTORCH_ZIP)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                   "%s: not a PyTorch checkpoint (neither a zip archive nor "
                   "a legacy torch.save stream)",
                   name);
      return NULL;
    }
  g_autoptr (BxZip) zip = bx_zip_open_bytes (bytes, name, error);
  return zip ? torch_zip_load (bytes, name, zip, error) : NULL;
}

BxStateDict *
bx_checkpoint_load_bytes (GBytes *bytes, const char *display_name, GError **error)
{
  const char *name = display_name ? display_name : "(checkpoint)";
  gsize len;
  const guint8 *d = g_bytes_get_data (bytes, &len);
  switch (bx_checkpoint_detect (d, len))
    {
    case BX_CHECKPOINT_PYTORCH_ZIP:
      {
        g_autoptr (BxZip) zip = bx_zip_open_bytes (bytes, name, error);
        if (zip == NULL)
          return NULL;
        gboolean all_npy = bx_zip_get_n_entries (zip) > 0;
        for (guint i = 0; i < bx_zip_get_n_entries (zip); i++)
          {
            const char *m = bx_zip_get_entry (zip, i)->name;
            if (strcmp (m, "data.pkl") == 0 || g_str_has_suffix (m, "/data.pkl"))
              return torch_zip_load (bytes, name, zip, error);
            all_npy = all_npy && g_str_has_suffix (m, ".npy");
          }
        if (all_npy)
          return bx_npz_parse (bytes, name, error);
        g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                     "%s: zip archive is neither a PyTorch checkpoint (no "
                     "data.pkl) nor an .npz (members other than .npy)",
                     name);
        return NULL;
      }
    case BX_CHECKPOINT_PYTORCH_LEGACY:
      return torch_legacy_load (bytes, name, error);
    case BX_CHECKPOINT_SAFETENSORS:
      return bx_safetensors_parse (bytes, name, error);
    case BX_CHECKPOINT_NPY:
      {
        g_autofree char *base = g_path_get_basename (name);
        if (g_str_has_suffix (base, ".npy"))
          base[strlen (base) - 4] = '\0';
        g_autoptr (BxTensor) t = bx_npy_parse (bytes, name, base, error);
        if (t == NULL)
          return NULL;
        g_autoptr (BxStateDict) sd = bx_state_dict_new ();
        bx_state_dict_set_format (sd, "npy");
        if (!bx_state_dict_add (sd, t, error))
          return NULL;
        return g_steal_pointer (&sd);
      }
    case BX_CHECKPOINT_UNKNOWN:
    default:
      break;
    }
  if (len >= 263 && memcmp (d + 257, "ustar", 5) == 0)
    g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_UNSUPPORTED,
                 "%s: a tar archive (PyTorch < 0.4 tar format?) is not "
                 "supported; re-save it with a current torch.save",
                 name);
  else if (len >= 2 && d[0] == 0x80)
    g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_UNSUPPORTED,
                 "%s: a bare pickle stream, not a torch.save file "
                 "(pickled Python objects are not loaded)",
                 name);
  else
    g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT,
                 "%s: not a recognised model file (%zu bytes; expected a "
                 "PyTorch zip or legacy file, safetensors, .npz or .npy)",
                 name, len);
  return NULL;
}

BxStateDict *
bx_checkpoint_load (const char *path, GError **error)
{
  g_autoptr (GBytes) bytes = bx_io_map_file (path, error);
  return bytes ? bx_checkpoint_load_bytes (bytes, path, error) : NULL;
}
