/* bx-safetensors.c — safetensors read/write (format in bx-safetensors.h). */
#include "bx-safetensors.h"
#include "bx-checkpoint.h"
#include "bx-io-private.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <string.h>

/* The reference implementation caps the header at 100 MB. */
#define MAX_HEADER ((guint64)100 << 20)
/* Legitimate headers nest 3 deep ({name: {shape: [..]}}). */
#define MAX_DEPTH 8

static const struct
{
  const char *name;
  BxDType dtype;
} st_dtypes[] = {
  { "F32", BX_DTYPE_F32 }, { "F16", BX_DTYPE_F16 },   { "BF16", BX_DTYPE_BF16 }, { "F64", BX_DTYPE_F64 },
  { "I64", BX_DTYPE_I64 }, { "I32", BX_DTYPE_I32 },   { "I16", BX_DTYPE_I16 },   { "I8", BX_DTYPE_I8 },
  { "U8", BX_DTYPE_U8 },   { "BOOL", BX_DTYPE_BOOL },
};

const char *
bx_safetensors_dtype_name (BxDType dtype)
{
  for (gsize i = 0; i < G_N_ELEMENTS (st_dtypes); i++)
    if (st_dtypes[i].dtype == dtype)
      return st_dtypes[i].name;
  return NULL;
}

static gboolean st_fail (GError **error, BxIoError code, const char *name, const char *fmt, ...)
    G_GNUC_PRINTF (4, 5);

static gboolean
st_fail (GError **error, BxIoError code, const char *name, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, BX_IO_ERROR, code, "%s: safetensors: %s", name, msg);
  return FALSE;
}

/* json-glib parses recursively: refuse deep nesting before it sees the text. */
static gboolean
nesting_ok (const char *s, gsize n)
{
  int depth = 0;
  gboolean in_str = FALSE;
  for (gsize i = 0; i < n; i++)
    {
      char c = s[i];
      if (in_str)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_str = FALSE;
        }
      else if (c == '"')
        in_str = TRUE;
      else if (c == '{' || c == '[')
        {
          if (++depth > MAX_DEPTH)
            return FALSE;
        }
      else if (c == '}' || c == ']')
        depth--;
    }
  return TRUE;
}

static gboolean
get_uint (JsonNode *node, guint64 *out)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  gint64 v = json_node_get_int (node);
  if (v < 0)
    return FALSE;
  *out = (guint64)v;
  return TRUE;
}

typedef struct
{
  guint64 begin, end;
  const char *name;
} Range;

static int
compare_range (gconstpointer a, gconstpointer b)
{
  const Range *x = a, *y = b;
  return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->end < y->end ? -1 : x->end > y->end);
}

BxStateDict *
bx_safetensors_parse (GBytes *bytes, const char *display_name, GError **error)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (bytes, &len);
  const char *name = display_name ? display_name : "(safetensors)";
  if (len < 8)
    {
      st_fail (error, BX_IO_ERROR_FORMAT, name, "file of %zu bytes is too short for the 8-byte header length",
               len);
      return NULL;
    }
  guint64 hlen = 0;
  for (int i = 7; i >= 0; i--)
    hlen = (hlen << 8) | d[i];
  if (hlen > MAX_HEADER)
    {
      st_fail (error, BX_IO_ERROR_LIMIT, name,
               "header length %" G_GUINT64_FORMAT " exceeds the limit of %" G_GUINT64_FORMAT, hlen,
               MAX_HEADER);
      return NULL;
    }
  if (hlen > len - 8)
    {
      st_fail (error, BX_IO_ERROR_FORMAT, name,
               "header length %" G_GUINT64_FORMAT " runs past the end of the %zu-byte file "
               "(truncated?)",
               hlen, len);
      return NULL;
    }
  const char *json = (const char *)d + 8;
  if (hlen < 2 || json[0] != '{')
    {
      st_fail (error, BX_IO_ERROR_FORMAT, name, "header does not start with a JSON object");
      return NULL;
    }
  if (!nesting_ok (json, (gsize)hlen))
    {
      st_fail (error, BX_IO_ERROR_LIMIT, name, "header JSON nests deeper than %d levels", MAX_DEPTH);
      return NULL;
    }
  if (memchr (json, '\0', (gsize)hlen) != NULL || !g_utf8_validate (json, (gssize)hlen, NULL))
    {
      st_fail (error, BX_IO_ERROR_FORMAT, name, "header is not valid UTF-8 text");
      return NULL;
    }
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) jerr = NULL;
  if (!json_parser_load_from_data (parser, json, (gssize)hlen, &jerr))
    {
      st_fail (error, BX_IO_ERROR_FORMAT, name, "header is not valid JSON: %s", jerr->message);
      return NULL;
    }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      st_fail (error, BX_IO_ERROR_FORMAT, name, "header is not a JSON object");
      return NULL;
    }
  JsonObject *obj = json_node_get_object (root);
  const guint8 *data = d + 8 + hlen;
  guint64 data_len = len - 8 - hlen;
  gsize data_start = (gsize)(8 + hlen);

  g_autoptr (BxStateDict) sd = bx_state_dict_new ();
  bx_state_dict_set_format (sd, "safetensors");
  g_autoptr (GArray) ranges = g_array_new (FALSE, FALSE, sizeof (Range));
  (void)data;
  /* json-glib keeps members in file order, which is the order users expect. */
  g_autoptr (GList) members = json_object_get_members (obj);
  for (GList *l = members; l; l = l->next)
    {
      const char *key = l->data;
      JsonNode *node = json_object_get_member (obj, key);
      if (strcmp (key, "__metadata__") == 0)
        {
          if (!JSON_NODE_HOLDS_OBJECT (node))
            {
              st_fail (error, BX_IO_ERROR_FORMAT, name, "__metadata__ is not an object");
              return NULL;
            }
          JsonObject *meta = json_node_get_object (node);
          g_autoptr (GList) mkeys = json_object_get_members (meta);
          for (GList *m = mkeys; m; m = m->next)
            {
              JsonNode *v = json_object_get_member (meta, m->data);
              if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING)
                {
                  st_fail (error, BX_IO_ERROR_FORMAT, name, "__metadata__ value of '%s' is not a string",
                           (const char *)m->data);
                  return NULL;
                }
              bx_state_dict_set_metadata (sd, m->data, json_node_get_string (v));
            }
          continue;
        }
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          st_fail (error, BX_IO_ERROR_FORMAT, name, "entry '%s' is not an object", key);
          return NULL;
        }
      JsonObject *e = json_node_get_object (node);
      JsonNode *dtn = json_object_get_member (e, "dtype");
      JsonNode *shn = json_object_get_member (e, "shape");
      JsonNode *ofn = json_object_get_member (e, "data_offsets");
      if (dtn == NULL || !JSON_NODE_HOLDS_VALUE (dtn) || json_node_get_value_type (dtn) != G_TYPE_STRING)
        {
          st_fail (error, BX_IO_ERROR_FORMAT, name, "tensor '%s' has no string \"dtype\"", key);
          return NULL;
        }
      const char *dts = json_node_get_string (dtn);
      gboolean found = FALSE;
      BxDType dtype = BX_DTYPE_F32;
      for (gsize i = 0; i < G_N_ELEMENTS (st_dtypes); i++)
        if (strcmp (dts, st_dtypes[i].name) == 0)
          {
            dtype = st_dtypes[i].dtype;
            found = TRUE;
          }
      if (!found)
        {
          st_fail (error, BX_IO_ERROR_UNSUPPORTED, name, "tensor '%s' has unsupported dtype \"%s\"", key,
                   dts);
          return NULL;
        }
      if (shn == NULL || !JSON_NODE_HOLDS_ARRAY (shn))
        {
          st_fail (error, BX_IO_ERROR_FORMAT, name, "tensor '%s' has no \"shape\" array", key);
          return NULL;
        }
      JsonArray *sha = json_node_get_array (shn);
      guint ndim = json_array_get_length (sha);
      if (ndim > BX_TENSOR_MAX_DIMS)
        {
          st_fail (error, BX_IO_ERROR_UNSUPPORTED, name, "tensor '%s' has %u dimensions (at most %d)", key,
                   ndim, BX_TENSOR_MAX_DIMS);
          return NULL;
        }
      gint64 shape[BX_TENSOR_MAX_DIMS];
      guint64 numel = 1, nbytes;
      for (guint i = 0; i < ndim; i++)
        {
          guint64 v;
          if (!get_uint (json_array_get_element (sha, i), &v) || v > G_MAXINT64
              || !g_uint64_checked_mul (&numel, numel, v))
            {
              st_fail (error, BX_IO_ERROR_FORMAT, name, "tensor '%s': shape entry %u is not a valid size",
                       key, i);
              return NULL;
            }
          shape[i] = (gint64)v;
        }
      if (ofn == NULL || !JSON_NODE_HOLDS_ARRAY (ofn)
          || json_array_get_length (json_node_get_array (ofn)) != 2)
        {
          st_fail (error, BX_IO_ERROR_FORMAT, name, "tensor '%s' has no [begin, end] \"data_offsets\"", key);
          return NULL;
        }
      Range r = { 0, 0, key };
      JsonArray *ofa = json_node_get_array (ofn);
      if (!get_uint (json_array_get_element (ofa, 0), &r.begin)
          || !get_uint (json_array_get_element (ofa, 1), &r.end) || r.begin > r.end || r.end > data_len)
        {
          st_fail (error, BX_IO_ERROR_FORMAT, name,
                   "tensor '%s': data_offsets [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                   "] are not inside the %" G_GUINT64_FORMAT "-byte data area",
                   key, r.begin, r.end, data_len);
          return NULL;
        }
      if (!g_uint64_checked_mul (&nbytes, numel, bx_dtype_size (dtype)) || nbytes != r.end - r.begin)
        {
          g_autofree char *ss = bx_shape_to_string (ndim, shape);
          st_fail (error, BX_IO_ERROR_FORMAT, name,
                   "tensor '%s': %s %s needs %" G_GUINT64_FORMAT
                   " bytes but data_offsets span %" G_GUINT64_FORMAT,
                   key, dts, ss, numel * bx_dtype_size (dtype), r.end - r.begin);
          return NULL;
        }
      g_array_append_val (ranges, r);
      g_autoptr (GBytes) slice = g_bytes_new_from_bytes (bytes, data_start + (gsize)r.begin, (gsize)nbytes);
      g_autoptr (BxTensor) t = bx_tensor_new (key, dtype, ndim, shape, slice, error);
      if (t == NULL || !bx_state_dict_add (sd, t, error))
        {
          g_prefix_error (error, "%s: safetensors: ", name);
          return NULL;
        }
    }
  g_array_sort (ranges, compare_range);
  for (guint i = 1; i < ranges->len; i++)
    {
      const Range *a = &g_array_index (ranges, Range, i - 1), *b = &g_array_index (ranges, Range, i);
      if (b->begin < a->end)
        {
          st_fail (error, BX_IO_ERROR_FORMAT, name, "data of tensors '%s' and '%s' overlap", a->name,
                   b->name);
          return NULL;
        }
    }
  return g_steal_pointer (&sd);
}

BxStateDict *
bx_safetensors_read (const char *path, GError **error)
{
  g_autoptr (GBytes) bytes = bx_io_map_file (path, error);
  return bytes ? bx_safetensors_parse (bytes, path, error) : NULL;
}

gboolean
bx_safetensors_write (const char *path, const BxStateDict *sd, GError **error)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  json_builder_begin_object (b);
  const char **mkeys = bx_state_dict_get_metadata_keys (sd);
  if (mkeys[0])
    {
      json_builder_set_member_name (b, "__metadata__");
      json_builder_begin_object (b);
      for (guint i = 0; mkeys[i]; i++)
        {
          json_builder_set_member_name (b, mkeys[i]);
          json_builder_add_string_value (b, bx_state_dict_get_metadata (sd, mkeys[i]));
        }
      json_builder_end_object (b);
    }
  g_free (mkeys);
  guint64 offset = 0;
  for (guint i = 0; i < bx_state_dict_size (sd); i++)
    {
      const BxTensor *t = bx_state_dict_get_nth (sd, i);
      if (strcmp (t->name, "__metadata__") == 0)
        {
          g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_INVALID, "%s: a tensor cannot be named __metadata__",
                       path);
          return FALSE;
        }
      gsize n = g_bytes_get_size (t->data);
      json_builder_set_member_name (b, t->name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, bx_safetensors_dtype_name (t->dtype));
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (guint k = 0; k < t->ndim; k++)
        json_builder_add_int_value (b, t->shape[k]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "data_offsets");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, (gint64)offset);
      json_builder_add_int_value (b, (gint64)(offset + n));
      json_builder_end_array (b);
      json_builder_end_object (b);
      offset += n;
    }
  json_builder_end_object (b);
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  gsize jlen;
  g_autofree char *json = json_generator_to_data (gen, &jlen);
  /* Pad so tensor data starts 8-byte aligned. */
  gsize padded = (jlen + 7) / 8 * 8;
  GString *header = g_string_new_len (NULL, 0);
  guint8 lenbuf[8];
  for (int i = 0; i < 8; i++)
    lenbuf[i] = (guint8)((guint64)padded >> (8 * i));
  g_string_append_len (header, (const char *)lenbuf, 8);
  g_string_append_len (header, json, (gssize)jlen);
  while (header->len < 8 + padded)
    g_string_append_c (header, ' ');

  guint n = bx_state_dict_size (sd);
  g_autofree const void **chunks = g_new (const void *, n + 1);
  g_autofree gsize *lengths = g_new (gsize, n + 1);
  chunks[0] = header->str;
  lengths[0] = header->len;
  for (guint i = 0; i < n; i++)
    chunks[i + 1] = g_bytes_get_data (bx_state_dict_get_nth (sd, i)->data, &lengths[i + 1]);
  gboolean ok = bx_io_write_atomic (path, chunks, lengths, n + 1, "safetensors", error);
  g_string_free (header, TRUE);
  return ok;
}
