/* bx-io-test-util.c — in-memory zip writer for tests (no zip64, no comment). */
#include "bx-io-test-util.h"

#include "io/bx-zip.h"

#include <gio/gio.h>
#include <string.h>

static void
put16 (GByteArray *a, guint v)
{
  guint8 b[2] = { (guint8)v, (guint8)(v >> 8) };
  g_byte_array_append (a, b, 2);
}

static void
put32 (GByteArray *a, guint32 v)
{
  guint8 b[4] = { (guint8)v, (guint8)(v >> 8), (guint8)(v >> 16), (guint8)(v >> 24) };
  g_byte_array_append (a, b, 4);
}

static GBytes *
deflate_raw (GBytes *in)
{
  g_autoptr (GZlibCompressor) z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_RAW, 6);
  g_autoptr (GInputStream) src = g_memory_input_stream_new_from_bytes (in);
  g_autoptr (GInputStream) conv = g_converter_input_stream_new (src, G_CONVERTER (z));
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_output_stream_splice (out, conv, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, NULL);
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
}

GBytes *
bx_test_zip_build (const BxTestZipMember *members, guint n)
{
  GByteArray *a = g_byte_array_new ();
  GByteArray *cd = g_byte_array_new ();
  for (guint i = 0; i < n; i++)
    {
      gsize usize;
      const void *udata = g_bytes_get_data (members[i].data, &usize);
      guint32 crc = bx_crc32_update (0, udata, usize);
      g_autoptr (GBytes) stored
          = members[i].deflate ? deflate_raw (members[i].data) : g_bytes_ref (members[i].data);
      gsize csize;
      const void *cdata = g_bytes_get_data (stored, &csize);
      guint32 offset = a->len;
      guint16 method = members[i].deflate ? 8 : 0;
      gsize nlen = strlen (members[i].name);
      gboolean z64 = members[i].zip64;
      put32 (a, 0x04034b50);
      put16 (a, 20);
      put16 (a, 0);
      put16 (a, method);
      put16 (a, 0);
      put16 (a, 0);
      put32 (a, crc);
      put32 (a, z64 ? 0xffffffffu : (guint32)csize);
      put32 (a, z64 ? 0xffffffffu : (guint32)usize);
      put16 (a, (guint)nlen);
      put16 (a, z64 ? 20 : 0);
      g_byte_array_append (a, (const guint8 *)members[i].name, (guint)nlen);
      if (z64)
        {
          put16 (a, 0x0001);
          put16 (a, 16);
          put32 (a, (guint32)usize);
          put32 (a, 0);
          put32 (a, (guint32)csize);
          put32 (a, 0);
        }
      if (csize)
        g_byte_array_append (a, cdata, (guint)csize);

      put32 (cd, 0x02014b50);
      put16 (cd, 20);
      put16 (cd, 20);
      put16 (cd, 0);
      put16 (cd, method);
      put16 (cd, 0);
      put16 (cd, 0);
      put32 (cd, crc);
      put32 (cd, z64 ? 0xffffffffu : (guint32)csize);
      put32 (cd, z64 ? 0xffffffffu : (guint32)usize);
      put16 (cd, (guint)nlen);
      put16 (cd, z64 ? 28 : 0);
      put16 (cd, 0);
      put16 (cd, 0);
      put16 (cd, 0);
      put32 (cd, 0);
      put32 (cd, z64 ? 0xffffffffu : offset);
      g_byte_array_append (cd, (const guint8 *)members[i].name, (guint)nlen);
      if (z64)
        {
          put16 (cd, 0x0001);
          put16 (cd, 24);
          put32 (cd, (guint32)usize);
          put32 (cd, 0);
          put32 (cd, (guint32)csize);
          put32 (cd, 0);
          put32 (cd, offset);
          put32 (cd, 0);
        }
    }
  guint32 cd_offset = a->len, cd_size = cd->len;
  g_byte_array_append (a, cd->data, cd->len);
  g_byte_array_unref (cd);
  put32 (a, 0x06054b50);
  put16 (a, 0);
  put16 (a, 0);
  put16 (a, n);
  put16 (a, n);
  put32 (a, cd_size);
  put32 (a, cd_offset);
  put16 (a, 0);
  return g_byte_array_free_to_bytes (a);
}

GBytes *
bx_test_torch_zip (GBytes *pickle, GBytes *const *storages, guint n_storages)
{
  g_autofree BxTestZipMember *m = g_new0 (BxTestZipMember, n_storages + 1);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  m[0] = (BxTestZipMember){ "archive/data.pkl", pickle, FALSE, FALSE };
  for (guint i = 0; i < n_storages; i++)
    {
      char *name = g_strdup_printf ("archive/data/%u", i);
      g_ptr_array_add (names, name);
      m[i + 1] = (BxTestZipMember){ name, storages[i], FALSE, FALSE };
    }
  return bx_test_zip_build (m, n_storages + 1);
}
