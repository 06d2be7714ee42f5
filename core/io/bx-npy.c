/* bx-npy.c — .npy / .npz reading and .npy writing.
 *
 * .npy layout: "\x93NUMPY", major, minor, header length (u16 for v1, u32 for
 * v2/v3), then an ASCII (v3: UTF-8) Python dict literal
 * {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with
 * spaces and a newline so the data starts 64-byte aligned, then the data.
 */
#include "bx-npy.h"
#include "bx-checkpoint.h"
#include "bx-io-private.h"
#include "bx-zip.h"

#include <gio/gio.h>
#include <string.h>

static gboolean npy_fail (GError **error, const char *name, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
npy_fail (GError **error, const char *name, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT, "%s: .npy: %s", name, msg);
  return FALSE;
}

/* A minimal scanner over the header dict literal. */
typedef struct
{
  const char *p, *end;
} Scan;

static void
skip_ws (Scan *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static gboolean
eat (Scan *s, char c)
{
  skip_ws (s);
  if (s->p < s->end && *s->p == c)
    {
      s->p++;
      return TRUE;
    }
  return FALSE;
}

/* 'text' or "text" (no escapes: numpy never writes any in these keys). */
static char *
scan_string (Scan *s)
{
  skip_ws (s);
  if (s->p >= s->end || (*s->p != '\'' && *s->p != '"'))
    return NULL;
  char q = *s->p++;
  const char *start = s->p;
  while (s->p < s->end && *s->p != q)
    s->p++;
  if (s->p >= s->end)
    return NULL;
  char *out = g_strndup (start, (gsize)(s->p - start));
  s->p++;
  return out;
}

static gboolean
scan_int (Scan *s, gint64 *v)
{
  skip_ws (s);
  const char *start = s->p;
  while (s->p < s->end && g_ascii_isdigit (*s->p))
    s->p++;
  if (s->p == start || s->p - start > 40)
    return FALSE;
  g_autofree char *num = g_strndup (start, (gsize)(s->p - start));
  if (!g_ascii_string_to_signed (num, 10, 0, G_MAXINT64, v, NULL))
    return FALSE;
  /* numpy may write 3L on Python 2. */
  if (s->p < s->end && *s->p == 'L')
    s->p++;
  return TRUE;
}

typedef struct
{
  BxDType dtype;
  gboolean swap;
} Descr;

static gboolean
parse_descr (const char *d, Descr *out)
{
  static const struct
  {
    const char *code;
    BxDType dtype;
  } codes[] = {
    { "f4", BX_DTYPE_F32 }, { "f8", BX_DTYPE_F64 }, { "f2", BX_DTYPE_F16 },
    { "i8", BX_DTYPE_I64 }, { "i4", BX_DTYPE_I32 }, { "i2", BX_DTYPE_I16 },
    { "i1", BX_DTYPE_I8 },  { "u1", BX_DTYPE_U8 },  { "b1", BX_DTYPE_BOOL },
  };
  if (strlen (d) != 3 || (d[0] != '<' && d[0] != '>' && d[0] != '|' && d[0] != '='))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
    if (strcmp (d + 1, codes[i].code) == 0)
      {
        out->dtype = codes[i].dtype;
        out->swap = d[0] == '>' && bx_dtype_size (out->dtype) > 1;
        /* One-byte types carry '|'; multi-byte need an explicit order. */
        if (bx_dtype_size (out->dtype) > 1 && d[0] == '|')
          return FALSE;
        return TRUE;
      }
  return FALSE;
}

BxTensor *
bx_npy_parse (GBytes *bytes, const char *display_name, const char *tensor_name, GError **error)
{
  gsize len;
  const guint8 *d = g_bytes_get_data (bytes, &len);
  const char *name = display_name ? display_name : "(npy)";
  if (len < 10 || memcmp (d, "\x93NUMPY", 6) != 0)
    {
      npy_fail (error, name, "not a .npy file (missing \\x93NUMPY magic)");
      return NULL;
    }
  guint major = d[6];
  gsize hlen, hstart;
  if (major == 1)
    {
      hlen = d[8] | (d[9] << 8);
      hstart = 10;
    }
  else if (major == 2 || major == 3)
    {
      if (len < 12)
        {
          npy_fail (error, name, "truncated header");
          return NULL;
        }
      hlen = (gsize)d[8] | ((gsize)d[9] << 8) | ((gsize)d[10] << 16) | ((gsize)d[11] << 24);
      hstart = 12;
    }
  else
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_UNSUPPORTED,
                   "%s: .npy format version %u.%u is not supported", name, major, d[7]);
      return NULL;
    }
  if (hlen > len - hstart)
    {
      npy_fail (error, name, "header of %zu bytes runs past the end of the %zu-byte file (truncated)", hlen,
                len);
      return NULL;
    }
  if (hlen > 1 << 20)
    {
      npy_fail (error, name, "header of %zu bytes is implausibly large", hlen);
      return NULL;
    }

  Scan s = { (const char *)d + hstart, (const char *)d + hstart + hlen };
  g_autofree char *descr = NULL;
  gboolean fortran = FALSE, have_fortran = FALSE, have_shape = FALSE;
  gint64 shape[BX_TENSOR_MAX_DIMS];
  guint ndim = 0;
  if (!eat (&s, '{'))
    {
      npy_fail (error, name, "header is not a dict literal");
      return NULL;
    }
  while (!eat (&s, '}'))
    {
      g_autofree char *key = scan_string (&s);
      if (key == NULL || !eat (&s, ':'))
        {
          npy_fail (error, name, "malformed header dict");
          return NULL;
        }
      if (strcmp (key, "descr") == 0 && descr == NULL)
        {
          descr = scan_string (&s);
          if (descr == NULL)
            {
              /* Structured dtypes are written as a list. */
              g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_UNSUPPORTED,
                           "%s: .npy: structured dtypes are not supported", name);
              return NULL;
            }
        }
      else if (strcmp (key, "fortran_order") == 0)
        {
          skip_ws (&s);
          if (s.end - s.p >= 4 && memcmp (s.p, "True", 4) == 0)
            fortran = TRUE, s.p += 4;
          else if (s.end - s.p >= 5 && memcmp (s.p, "False", 5) == 0)
            fortran = FALSE, s.p += 5;
          else
            {
              npy_fail (error, name, "fortran_order is neither True nor False");
              return NULL;
            }
          have_fortran = TRUE;
        }
      else if (strcmp (key, "shape") == 0)
        {
          if (!eat (&s, '('))
            {
              npy_fail (error, name, "shape is not a tuple");
              return NULL;
            }
          ndim = 0;
          while (!eat (&s, ')'))
            {
              gint64 v;
              if (ndim >= BX_TENSOR_MAX_DIMS)
                {
                  g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_UNSUPPORTED,
                               "%s: .npy: more than %d dimensions", name, BX_TENSOR_MAX_DIMS);
                  return NULL;
                }
              if (!scan_int (&s, &v))
                {
                  npy_fail (error, name, "shape entry is not an integer in [0, 2^63)");
                  return NULL;
                }
              shape[ndim++] = v;
              if (!eat (&s, ','))
                {
                  if (!eat (&s, ')'))
                    {
                      npy_fail (error, name, "malformed shape tuple");
                      return NULL;
                    }
                  break;
                }
            }
          have_shape = TRUE;
        }
      else
        {
          npy_fail (error, name, "unexpected header key '%s'", key);
          return NULL;
        }
      if (!eat (&s, ','))
        {
          if (!eat (&s, '}'))
            {
              npy_fail (error, name, "malformed header dict");
              return NULL;
            }
          break;
        }
    }
  if (descr == NULL || !have_fortran || !have_shape)
    {
      npy_fail (error, name, "header lacks descr, fortran_order or shape");
      return NULL;
    }
  Descr dt;
  if (!parse_descr (descr, &dt))
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_UNSUPPORTED,
                   "%s: .npy: dtype '%s' is not supported "
                   "(float16/32/64, int8/16/32/64, uint8, bool only)",
                   name, descr);
      return NULL;
    }
  guint64 numel = 1, nbytes;
  for (guint i = 0; i < ndim; i++)
    if (!g_uint64_checked_mul (&numel, numel, (guint64)shape[i]))
      {
        npy_fail (error, name, "shape overflows");
        return NULL;
      }
  gsize data_off = hstart + hlen;
  if (!g_uint64_checked_mul (&nbytes, numel, bx_dtype_size (dt.dtype)) || nbytes != len - data_off)
    {
      g_autofree char *ss = bx_shape_to_string (ndim, shape);
      npy_fail (error, name,
                "%s %s needs %" G_GUINT64_FORMAT " elements of %zu bytes but the file has %zu data bytes",
                descr, ss, numel, bx_dtype_size (dt.dtype), len - data_off);
      return NULL;
    }

  g_autoptr (GBytes) data = NULL;
  gsize es = bx_dtype_size (dt.dtype);
  /* With a zero dimension the other dimensions may be anything: no copy, no stride arithmetic. */
  if (numel == 0 || (!dt.swap && (!fortran || ndim < 2)))
    data = g_bytes_new_from_bytes (bytes, data_off, (gsize)nbytes);
  else
    {
      const guint8 *src = d + data_off;
      guint8 *dst = g_malloc (MAX (nbytes, 1));
      if (fortran && ndim >= 2)
        {
          /* Element with C index (i0..in-1) sits at Fortran offset Σ i_k·Π_{j<k} n_j. */
          gint64 fstride[BX_TENSOR_MAX_DIMS], idx[BX_TENSOR_MAX_DIMS] = { 0 };
          gint64 acc = 1;
          for (guint k = 0; k < ndim; k++)
            {
              fstride[k] = acc;
              acc *= shape[k];
            }
          gint64 off = 0;
          for (guint64 c = 0; c < numel; c++)
            {
              memcpy (dst + c * es, src + (gsize)off * es, es);
              for (int k = (int)ndim - 1; k >= 0; k--)
                {
                  idx[k]++;
                  off += fstride[k];
                  if (idx[k] < shape[k])
                    break;
                  off -= fstride[k] * idx[k];
                  idx[k] = 0;
                }
            }
        }
      else
        memcpy (dst, src, (gsize)nbytes);
      if (dt.swap)
        for (guint64 c = 0; c < numel; c++)
          for (gsize a = 0, b = es - 1; a < b; a++, b--)
            {
              guint8 t = dst[c * es + a];
              dst[c * es + a] = dst[c * es + b];
              dst[c * es + b] = t;
            }
      data = g_bytes_new_take (dst, (gsize)nbytes);
    }
  BxTensor *t = bx_tensor_new (tensor_name, dt.dtype, ndim, shape, data, error);
  if (t == NULL)
    g_prefix_error (error, "%s: ", name);
  return t;
}

BxTensor *
bx_npy_read (const char *path, GError **error)
{
  g_autoptr (GBytes) bytes = bx_io_map_file (path, error);
  if (bytes == NULL)
    return NULL;
  g_autofree char *base = g_path_get_basename (path);
  if (g_str_has_suffix (base, ".npy"))
    base[strlen (base) - 4] = '\0';
  return bx_npy_parse (bytes, path, base, error);
}

static const char *
npy_descr (BxDType dtype)
{
  switch (dtype)
    {
    case BX_DTYPE_F32:
      return "<f4";
    case BX_DTYPE_F64:
      return "<f8";
    case BX_DTYPE_F16:
      return "<f2";
    case BX_DTYPE_I64:
      return "<i8";
    case BX_DTYPE_I32:
      return "<i4";
    case BX_DTYPE_I16:
      return "<i2";
    case BX_DTYPE_I8:
      return "|i1";
    case BX_DTYPE_U8:
      return "|u1";
    case BX_DTYPE_BOOL:
      return "|b1";
    default:
      return NULL;
    }
}

/* The header bytes (magic … newline), 64-byte aligned. */
static GBytes *
npy_header (BxDType dtype, guint ndim, const gint64 *shape, guint64 *nbytes, GError **error)
{
  const char *descr = npy_descr (dtype);
  if (descr == NULL)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_UNSUPPORTED, ".npy has no dtype for %s",
                   bx_dtype_name (dtype));
      return NULL;
    }
  if (ndim > BX_TENSOR_MAX_DIMS)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_INVALID, ".npy: %u dimensions", ndim);
      return NULL;
    }
  guint64 numel = 1;
  GString *dict = g_string_new (NULL);
  g_string_append_printf (dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (guint i = 0; i < ndim; i++)
    {
      if (shape[i] < 0 || !g_uint64_checked_mul (&numel, numel, (guint64)shape[i]))
        {
          g_string_free (dict, TRUE);
          g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_INVALID, ".npy: invalid shape");
          return NULL;
        }
      g_string_append_printf (dict, "%" G_GINT64_FORMAT "%s", shape[i],
                              ndim == 1 || i + 1 < ndim ? ", " : "");
    }
  if (ndim == 1)
    g_string_truncate (dict, dict->len - 1);
  g_string_append (dict, "), }");
  gboolean v2 = dict->len + 10 + 1 > 65535;
  gsize pre = v2 ? 12 : 10;
  gsize total = (pre + dict->len + 1 + 63) / 64 * 64;
  while (dict->len + pre + 1 < total)
    g_string_append_c (dict, ' ');
  g_string_append_c (dict, '\n');
  gsize hlen = dict->len;
  GByteArray *out = g_byte_array_new ();
  g_byte_array_append (out, (const guint8 *)"\x93NUMPY", 6);
  guint8 ver[6]
      = { v2 ? 2 : 1, 0, (guint8)hlen, (guint8)(hlen >> 8), (guint8)(hlen >> 16), (guint8)(hlen >> 24) };
  g_byte_array_append (out, ver, v2 ? 6 : 4);
  g_byte_array_append (out, (const guint8 *)dict->str, (guint)dict->len);
  g_string_free (dict, TRUE);
  *nbytes = numel * bx_dtype_size (dtype);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
bx_npy_serialize (BxDType dtype, guint ndim, const gint64 *shape, const void *data, GError **error)
{
  guint64 nbytes;
  g_autoptr (GBytes) header = npy_header (dtype, ndim, shape, &nbytes, error);
  if (header == NULL)
    return NULL;
  GByteArray *out = g_byte_array_sized_new ((guint)(g_bytes_get_size (header) + nbytes));
  g_byte_array_append (out, g_bytes_get_data (header, NULL), (guint)g_bytes_get_size (header));
  if (nbytes)
    g_byte_array_append (out, data, (guint)nbytes);
  return g_byte_array_free_to_bytes (out);
}

gboolean
bx_npy_write (const char *path, BxDType dtype, guint ndim, const gint64 *shape, const void *data,
              GError **error)
{
  guint64 nbytes;
  g_autoptr (GBytes) header = npy_header (dtype, ndim, shape, &nbytes, error);
  if (header == NULL)
    return FALSE;
  const void *chunks[2] = { g_bytes_get_data (header, NULL), data };
  gsize lengths[2] = { g_bytes_get_size (header), (gsize)nbytes };
  return bx_io_write_atomic (path, chunks, lengths, 2, ".npy", error);
}

gboolean
bx_npy_write_float (const char *path, guint ndim, const gint64 *shape, const float *data, GError **error)
{
  return bx_npy_write (path, BX_DTYPE_F32, ndim, shape, data, error);
}

gboolean
bx_npy_write_tensor (const char *path, const BxTensor *tensor, GError **error)
{
  return bx_npy_write (path, tensor->dtype, tensor->ndim, tensor->shape,
                       g_bytes_get_data (tensor->data, NULL), error);
}

BxStateDict *
bx_npz_parse (GBytes *bytes, const char *display_name, GError **error)
{
  const char *name = display_name ? display_name : "(npz)";
  g_autoptr (BxZip) zip = bx_zip_open_bytes (bytes, name, error);
  if (zip == NULL)
    return NULL;
  g_autoptr (BxStateDict) sd = bx_state_dict_new ();
  bx_state_dict_set_format (sd, "npz");
  for (guint i = 0; i < bx_zip_get_n_entries (zip); i++)
    {
      const BxZipEntry *e = bx_zip_get_entry (zip, i);
      if (!g_str_has_suffix (e->name, ".npy"))
        {
          g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT, "%s: .npz member '%s' is not a .npy file",
                       name, e->name);
          return NULL;
        }
      g_autoptr (GBytes) member = bx_zip_read (zip, e, error);
      if (member == NULL)
        return NULL;
      g_autofree char *tname = g_strndup (e->name, strlen (e->name) - 4);
      g_autofree char *where = g_strdup_printf ("%s:%s", name, e->name);
      g_autoptr (BxTensor) t = bx_npy_parse (member, where, tname, error);
      if (t == NULL)
        return NULL;
      if (!bx_state_dict_add (sd, t, error))
        {
          g_prefix_error (error, "%s: ", name);
          return NULL;
        }
    }
  return g_steal_pointer (&sd);
}

BxStateDict *
bx_npz_read (const char *path, GError **error)
{
  g_autoptr (GBytes) bytes = bx_io_map_file (path, error);
  return bytes ? bx_npz_parse (bytes, path, error) : NULL;
}
