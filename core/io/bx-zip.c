/* bx-zip.c — read-only zip reader with bounds checks on every field.
 *
 * Layout (APPNOTE 6.3): members [local header 30 B + name + extra, data],
 * central directory [46 B + name + extra + comment per member], optional
 * zip64 end record (56 B) + locator (20 B), end record (22 B + comment).
 * PyTorch writes the zip64 records on every archive.
 */
#include "bx-zip.h"
#include "bx-checkpoint.h"

#include <gio/gio.h>
#include <string.h>

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_EOCD64_LOC 0x07064b50u

struct _BxZip
{
  GBytes *bytes;
  const guint8 *data;
  gsize size;
  char *display_name;
  GPtrArray *entries;  /* BxZipEntry* */
  GHashTable *by_name; /* name → BxZipEntry* */
  BxZipLimits limits;
  guint64 cd_offset;
};

static guint16
rd16 (const guint8 *p)
{
  return (guint16)(p[0] | (p[1] << 8));
}

static guint32
rd32 (const guint8 *p)
{
  return (guint32)p[0] | ((guint32)p[1] << 8) | ((guint32)p[2] << 16) | ((guint32)p[3] << 24);
}

static guint64
rd64 (const guint8 *p)
{
  return (guint64)rd32 (p) | ((guint64)rd32 (p + 4) << 32);
}

/* Slice-by-8 tables: crc_tables[k][b] is the CRC of byte b followed by k zero bytes. */
static guint32 crc_tables[8][256];

static gpointer
crc_table_init (gpointer unused)
{
  for (guint32 n = 0; n < 256; n++)
    {
      guint32 c = n;
      for (int k = 0; k < 8; k++)
        c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      crc_tables[0][n] = c;
    }
  for (guint32 n = 0; n < 256; n++)
    for (int k = 1; k < 8; k++)
      crc_tables[k][n] = crc_tables[0][crc_tables[k - 1][n] & 0xff] ^ (crc_tables[k - 1][n] >> 8);
  return NULL;
}

guint32
bx_crc32_update (guint32 crc, const void *data, gsize len)
{
  static GOnce once = G_ONCE_INIT;
  g_once (&once, crc_table_init, NULL);
  const guint8 *p = data;
  crc = ~crc;
  /* Eight bytes per step: checkpoints hold hundreds of MB of stored tensors. */
  while (len >= 8)
    {
      guint32 lo
          = crc ^ ((guint32)p[0] | ((guint32)p[1] << 8) | ((guint32)p[2] << 16) | ((guint32)p[3] << 24));
      guint32 hi = (guint32)p[4] | ((guint32)p[5] << 8) | ((guint32)p[6] << 16) | ((guint32)p[7] << 24);
      crc = crc_tables[7][lo & 0xff] ^ crc_tables[6][(lo >> 8) & 0xff] ^ crc_tables[5][(lo >> 16) & 0xff]
            ^ crc_tables[4][lo >> 24] ^ crc_tables[3][hi & 0xff] ^ crc_tables[2][(hi >> 8) & 0xff]
            ^ crc_tables[1][(hi >> 16) & 0xff] ^ crc_tables[0][hi >> 24];
      p += 8;
      len -= 8;
    }
  while (len--)
    crc = crc_tables[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

static void
entry_free (BxZipEntry *e)
{
  g_free (e->name);
  g_free (e);
}

void
bx_zip_free (BxZip *zip)
{
  if (zip == NULL)
    return;
  g_clear_pointer (&zip->by_name, g_hash_table_unref);
  g_clear_pointer (&zip->entries, g_ptr_array_unref);
  g_bytes_unref (zip->bytes);
  g_free (zip->display_name);
  g_free (zip);
}

static gboolean fail (BxZip *zip, GError **error, BxIoError code, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail (BxZip *zip, GError **error, BxIoError code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, BX_IO_ERROR, code, "%s: zip archive: %s", zip->display_name, msg);
  return FALSE;
}

/* Applies a zip64 extended-information extra field (id 0x0001) to the
 * fields that were saturated (0xffffffff) in the fixed header, in the
 * order the format defines. */
static gboolean
apply_zip64_extra (BxZip *zip, const guint8 *extra, gsize extra_len, guint64 *usize, guint64 *csize,
                   guint64 *offset, const char *name, GError **error)
{
  gsize pos = 0;
  while (pos + 4 <= extra_len)
    {
      guint16 id = rd16 (extra + pos), len = rd16 (extra + pos + 2);
      if (pos + 4 + len > extra_len)
        return fail (zip, error, BX_IO_ERROR_FORMAT, "member '%s': extra field overruns its header", name);
      if (id == 0x0001)
        {
          const guint8 *f = extra + pos + 4;
          gsize used = 0;
          guint64 *fields[3] = { usize, csize, offset };
          for (int i = 0; i < 3; i++)
            {
              if (fields[i] == NULL || *fields[i] != 0xffffffffu)
                continue;
              if (used + 8 > len)
                return fail (zip, error, BX_IO_ERROR_FORMAT, "member '%s': zip64 extra field too short",
                             name);
              *fields[i] = rd64 (f + used);
              used += 8;
            }
        }
      pos += 4 + (gsize)len;
    }
  return TRUE;
}

static int
compare_entry_offset (gconstpointer a, gconstpointer b)
{
  const BxZipEntry *ea = *(BxZipEntry *const *)a, *eb = *(BxZipEntry *const *)b;
  return ea->local_header_offset < eb->local_header_offset   ? -1
         : ea->local_header_offset > eb->local_header_offset ? 1
                                                             : 0;
}

static gboolean
parse_directory (BxZip *zip, GError **error)
{
  const guint8 *d = zip->data;
  gsize size = zip->size;
  if (size < 22)
    return fail (zip, error, BX_IO_ERROR_FORMAT,
                 "file is %zu bytes, too short for an end-of-directory record", size);
  /* The end record sits within the last 22 + 65535 (comment) bytes. */
  gsize eocd = G_MAXSIZE;
  gsize lowest = size > 22 + 65535 ? size - 22 - 65535 : 0;
  for (gsize p = size - 22 + 1; p-- > lowest;)
    if (rd32 (d + p) == SIG_EOCD && p + 22 + rd16 (d + p + 20) <= size)
      {
        eocd = p;
        break;
      }
  if (eocd == G_MAXSIZE)
    return fail (zip, error, BX_IO_ERROR_FORMAT, "no end-of-central-directory record (truncated file?)");
  guint64 n_entries = rd16 (d + eocd + 10);
  guint64 cd_size = rd32 (d + eocd + 12);
  guint64 cd_offset = rd32 (d + eocd + 16);
  if (rd16 (d + eocd + 4) != 0 || rd16 (d + eocd + 6) != 0)
    return fail (zip, error, BX_IO_ERROR_UNSUPPORTED, "multi-disk archives are not supported");
  if (eocd >= 20 && rd32 (d + eocd - 20) == SIG_EOCD64_LOC)
    {
      guint64 rec = rd64 (d + eocd - 20 + 8);
      if (rec > eocd - 20 || eocd - 20 - rec < 56 || rd32 (d + rec) != SIG_EOCD64)
        return fail (zip, error, BX_IO_ERROR_FORMAT,
                     "zip64 end record at offset %" G_GUINT64_FORMAT " is invalid", rec);
      n_entries = rd64 (d + rec + 32);
      cd_size = rd64 (d + rec + 40);
      cd_offset = rd64 (d + rec + 48);
    }
  if (cd_offset > size || cd_size > size - cd_offset || cd_offset + cd_size > eocd)
    return fail (zip, error, BX_IO_ERROR_FORMAT,
                 "central directory (offset %" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                 " bytes) lies outside the file of %zu bytes",
                 cd_offset, cd_size, size);
  if (n_entries > zip->limits.max_entries)
    return fail (zip, error, BX_IO_ERROR_LIMIT, "%" G_GUINT64_FORMAT " entries exceed the limit of %u",
                 n_entries, zip->limits.max_entries);
  /* Each central entry is at least 46 bytes. */
  if (n_entries * 46 > cd_size)
    return fail (zip, error, BX_IO_ERROR_FORMAT,
                 "%" G_GUINT64_FORMAT " entries cannot fit in a %" G_GUINT64_FORMAT "-byte central directory",
                 n_entries, cd_size);
  zip->cd_offset = cd_offset;

  gsize pos = cd_offset, end = cd_offset + cd_size;
  for (guint64 i = 0; i < n_entries; i++)
    {
      if (end - pos < 46 || rd32 (d + pos) != SIG_CENTRAL)
        return fail (zip, error, BX_IO_ERROR_FORMAT,
                     "central directory entry %" G_GUINT64_FORMAT " at offset %zu is damaged", i, pos);
      guint16 flags = rd16 (d + pos + 8), method = rd16 (d + pos + 10);
      guint32 crc = rd32 (d + pos + 16);
      guint64 csize = rd32 (d + pos + 20), usize = rd32 (d + pos + 24);
      gsize name_len = rd16 (d + pos + 28), extra_len = rd16 (d + pos + 30),
            comment_len = rd16 (d + pos + 32);
      guint64 local = rd32 (d + pos + 42);
      if (46 + name_len + extra_len + comment_len > end - pos)
        return fail (zip, error, BX_IO_ERROR_FORMAT,
                     "central directory entry %" G_GUINT64_FORMAT " overruns the directory", i);
      g_autofree char *name = g_strndup ((const char *)d + pos + 46, name_len);
      if (strlen (name) != name_len || name_len == 0)
        return fail (zip, error, BX_IO_ERROR_FORMAT,
                     "central directory entry %" G_GUINT64_FORMAT " has an empty or NUL-containing name", i);
      if (!apply_zip64_extra (zip, d + pos + 46 + name_len, extra_len, &usize, &csize, &local, name, error))
        return FALSE;
      if (flags & 0x1)
        return fail (zip, error, BX_IO_ERROR_UNSUPPORTED, "member '%s' is encrypted", name);
      if (method != 0 && method != 8)
        return fail (zip, error, BX_IO_ERROR_UNSUPPORTED,
                     "member '%s' uses compression method %u "
                     "(only stored and deflated are supported)",
                     name, method);
      if (method == 0 && csize != usize)
        return fail (zip, error, BX_IO_ERROR_FORMAT,
                     "stored member '%s' has compressed size %" G_GUINT64_FORMAT " ≠ size %" G_GUINT64_FORMAT,
                     name, csize, usize);

      /* Local header: must agree with the central entry. */
      if (local > cd_offset || cd_offset - local < 30 || rd32 (d + local) != SIG_LOCAL)
        return fail (zip, error, BX_IO_ERROR_FORMAT,
                     "member '%s': no local header at offset %" G_GUINT64_FORMAT, name, local);
      gsize lname = rd16 (d + local + 26), lextra = rd16 (d + local + 28);
      guint16 lmethod = rd16 (d + local + 8);
      guint64 data_off = local + 30 + lname + lextra;
      if (data_off > cd_offset)
        return fail (zip, error, BX_IO_ERROR_FORMAT, "member '%s': local header overruns the archive", name);
      if (lname != name_len || memcmp (d + local + 30, name, name_len) != 0)
        return fail (zip, error, BX_IO_ERROR_FORMAT,
                     "member '%s': local header names a different file (central/local directory mismatch)",
                     name);
      if (lmethod != method)
        return fail (zip, error, BX_IO_ERROR_FORMAT,
                     "member '%s': local header says method %u, central directory says %u", name, lmethod,
                     method);
      if (!(rd16 (d + local + 6) & 0x8))
        {
          guint64 lcsize = rd32 (d + local + 18), lusize = rd32 (d + local + 22),
                  lcrc = rd32 (d + local + 14);
          if (!apply_zip64_extra (zip, d + local + 30 + lname, lextra, &lusize, &lcsize, NULL, name, error))
            return FALSE;
          if (lcsize != csize || lusize != usize || lcrc != crc)
            return fail (zip, error, BX_IO_ERROR_FORMAT,
                         "member '%s': local header sizes/CRC (%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                         ") disagree with the central directory (%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                         ")",
                         name, lcsize, lusize, csize, usize);
        }
      if (csize > cd_offset - data_off)
        return fail (zip, error, BX_IO_ERROR_FORMAT,
                     "member '%s': %" G_GUINT64_FORMAT " bytes of data at offset %" G_GUINT64_FORMAT
                     " run past the central directory (truncated?)",
                     name, csize, data_off);
      if (g_hash_table_contains (zip->by_name, name))
        return fail (zip, error, BX_IO_ERROR_FORMAT, "member '%s' appears twice", name);

      BxZipEntry *e = g_new0 (BxZipEntry, 1);
      e->name = g_steal_pointer (&name);
      e->method = method;
      e->flags = flags;
      e->crc32 = crc;
      e->compressed_size = csize;
      e->uncompressed_size = usize;
      e->local_header_offset = local;
      e->data_offset = data_off;
      g_ptr_array_add (zip->entries, e);
      g_hash_table_insert (zip->by_name, e->name, e);
      pos += 46 + name_len + extra_len + comment_len;
    }

  /* Members must not share bytes (overlapping members are a zip-bomb trick). */
  g_autoptr (GPtrArray) sorted = g_ptr_array_copy (zip->entries, NULL, NULL);
  g_ptr_array_set_free_func (sorted, NULL); /* the copy inherits the entries' free func */
  g_ptr_array_sort (sorted, compare_entry_offset);
  for (guint i = 1; i < sorted->len; i++)
    {
      const BxZipEntry *a = g_ptr_array_index (sorted, i - 1), *b = g_ptr_array_index (sorted, i);
      if (a->data_offset + a->compressed_size > b->local_header_offset)
        return fail (zip, error, BX_IO_ERROR_FORMAT, "members '%s' and '%s' overlap", a->name, b->name);
    }
  return TRUE;
}

BxZip *
bx_zip_open_bytes (GBytes *bytes, const char *display_name, GError **error)
{
  BxZip *zip = g_new0 (BxZip, 1);
  zip->bytes = g_bytes_ref (bytes);
  zip->data = g_bytes_get_data (bytes, &zip->size);
  zip->display_name = g_strdup (display_name ? display_name : "(memory)");
  zip->entries = g_ptr_array_new_with_free_func ((GDestroyNotify)entry_free);
  zip->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  zip->limits = (BxZipLimits){
    .max_member_size = G_GUINT64_CONSTANT (4) << 30,
    .max_ratio = 256,
    .ratio_free_size = 1 << 20,
    .max_entries = 65536,
  };
  if (!parse_directory (zip, error))
    {
      bx_zip_free (zip);
      return NULL;
    }
  return zip;
}

BxZip *
bx_zip_open (const char *path, GError **error)
{
  g_autoptr (GBytes) bytes = bx_io_map_file (path, error);
  return bytes ? bx_zip_open_bytes (bytes, path, error) : NULL;
}

void
bx_zip_set_limits (BxZip *zip, const BxZipLimits *limits)
{
  zip->limits = *limits;
}

const char *
bx_zip_get_display_name (const BxZip *zip)
{
  return zip->display_name;
}

guint
bx_zip_get_n_entries (const BxZip *zip)
{
  return zip->entries->len;
}

const BxZipEntry *
bx_zip_get_entry (const BxZip *zip, guint index)
{
  return index < zip->entries->len ? g_ptr_array_index (zip->entries, index) : NULL;
}

const BxZipEntry *
bx_zip_find (const BxZip *zip, const char *name)
{
  return g_hash_table_lookup (zip->by_name, name);
}

static GBytes *
inflate_member (BxZip *zip, const BxZipEntry *e, GError **error)
{
  g_autoptr (GZlibDecompressor) z = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW);
  gsize out_size = (gsize)e->uncompressed_size;
  guint8 *out = g_try_malloc (out_size + 1);
  if (out == NULL)
    {
      fail (zip, error, BX_IO_ERROR_LIMIT, "member '%s': cannot allocate %zu bytes to inflate it", e->name,
            out_size);
      return NULL;
    }
  const guint8 *in = zip->data + e->data_offset;
  gsize in_left = (gsize)e->compressed_size, out_pos = 0;
  gboolean finished = FALSE;
  while (!finished)
    {
      gsize nread = 0, nwritten = 0;
      g_autoptr (GError) zerr = NULL;
      /* One spare byte of room detects a member that inflates beyond its declared size. */
      GConverterResult r
          = g_converter_convert (G_CONVERTER (z), in, in_left, out + out_pos, out_size + 1 - out_pos,
                                 G_CONVERTER_INPUT_AT_END, &nread, &nwritten, &zerr);
      if (r == G_CONVERTER_ERROR)
        {
          g_free (out);
          fail (zip, error, BX_IO_ERROR_FORMAT, "member '%s': corrupt deflate data: %s", e->name,
                zerr->message);
          return NULL;
        }
      in += nread;
      in_left -= nread;
      out_pos += nwritten;
      if (out_pos > out_size)
        {
          g_free (out);
          fail (zip, error, BX_IO_ERROR_FORMAT, "member '%s' inflates beyond its declared size of %zu bytes",
                e->name, out_size);
          return NULL;
        }
      if (r == G_CONVERTER_FINISHED)
        finished = TRUE;
      else if (nread == 0 && nwritten == 0)
        {
          g_free (out);
          fail (zip, error, BX_IO_ERROR_FORMAT, "member '%s': deflate stream is truncated", e->name);
          return NULL;
        }
    }
  if (out_pos != out_size)
    {
      g_free (out);
      fail (zip, error, BX_IO_ERROR_FORMAT, "member '%s' inflates to %zu bytes, the directory says %zu",
            e->name, out_pos, out_size);
      return NULL;
    }
  return g_bytes_new_take (out, out_size);
}

GBytes *
bx_zip_read (BxZip *zip, const BxZipEntry *e, GError **error)
{
  if (e->uncompressed_size > zip->limits.max_member_size)
    {
      fail (zip, error, BX_IO_ERROR_LIMIT,
            "member '%s' declares %" G_GUINT64_FORMAT " bytes, more than the limit of %" G_GUINT64_FORMAT,
            e->name, e->uncompressed_size, zip->limits.max_member_size);
      return NULL;
    }
  GBytes *out;
  if (e->method == 0)
    out = g_bytes_new_from_bytes (zip->bytes, (gsize)e->data_offset, (gsize)e->uncompressed_size);
  else
    {
      if (e->uncompressed_size > zip->limits.ratio_free_size
          && (double)e->uncompressed_size > zip->limits.max_ratio * (double)MAX (e->compressed_size, 1))
        {
          fail (zip, error, BX_IO_ERROR_LIMIT,
                "member '%s' would inflate %" G_GUINT64_FORMAT " bytes to %" G_GUINT64_FORMAT
                " (ratio above the limit of %.0f: zip bomb?)",
                e->name, e->compressed_size, e->uncompressed_size, zip->limits.max_ratio);
          return NULL;
        }
      out = inflate_member (zip, e, error);
      if (out == NULL)
        return NULL;
    }
  gsize n;
  const void *p = g_bytes_get_data (out, &n);
  guint32 crc = bx_crc32_update (0, p, n);
  if (crc != e->crc32)
    {
      g_bytes_unref (out);
      fail (zip, error, BX_IO_ERROR_FORMAT,
            "member '%s': CRC-32 %08x does not match the directory's %08x "
            "(damaged file)",
            e->name, crc, e->crc32);
      return NULL;
    }
  return out;
}
