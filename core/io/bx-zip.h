/* bx-zip.h — a read-only zip archive reader for untrusted files.
 *
 * Used for PyTorch ≥ 1.6 `torch.save` archives (`<archive>/data.pkl` +
 * `<archive>/data/<key>` storages, stored uncompressed and 64-byte aligned)
 * and numpy `.npz` files (stored or deflated `.npy` members).
 *
 * Every offset and size from the file is checked against the file before use:
 * the end-of-central-directory record (plain and zip64), each central entry,
 * its local header (name, method and sizes must agree), member data ranges
 * (inside the file, before the central directory, not overlapping another
 * member). Deflated members are inflated with GLib's GZlibDecompressor (raw
 * deflate) and must inflate to exactly the declared size within a ratio
 * limit (zip-bomb guard); CRC-32 is verified for every member read.
 */
#pragma once

#include "bx-state-dict.h"

G_BEGIN_DECLS

typedef struct
{
  char *name;
  guint16 method; /* 0 stored, 8 deflated */
  guint16 flags;
  guint32 crc32;
  guint64 compressed_size;
  guint64 uncompressed_size;
  guint64 local_header_offset;
  guint64 data_offset; /* first byte of the member's (compressed) data */
} BxZipEntry;

typedef struct _BxZip BxZip;

/* Limits applied to every member read (defaults in brackets). */
typedef struct
{
  guint64 max_member_size; /* [4 GiB] uncompressed bytes of one member */
  double max_ratio;        /* [256] uncompressed / compressed for deflated members ... */
  guint64 ratio_free_size; /* [1 MiB] ... unless the member is at most this big */
  guint max_entries;       /* [65536] entries in the central directory */
} BxZipLimits;

/* `display_name` names the file in error messages. Takes a reference on `bytes`. */
BxZip *bx_zip_open_bytes (GBytes *bytes, const char *display_name, GError **error);
/* Maps the file read-only. */
BxZip *bx_zip_open (const char *path, GError **error);
void bx_zip_free (BxZip *zip);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxZip, bx_zip_free)

void bx_zip_set_limits (BxZip *zip, const BxZipLimits *limits);
const char *bx_zip_get_display_name (const BxZip *zip);
guint bx_zip_get_n_entries (const BxZip *zip);
const BxZipEntry *bx_zip_get_entry (const BxZip *zip, guint index);
const BxZipEntry *bx_zip_find (const BxZip *zip, const char *name);
/* The member's uncompressed bytes: a zero-copy slice of the archive for
 * stored members, an inflated buffer otherwise. CRC-32 checked. */
GBytes *bx_zip_read (BxZip *zip, const BxZipEntry *entry, GError **error);

/* CRC-32 (IEEE 802.3, as zip uses). `crc` starts at 0. */
guint32 bx_crc32_update (guint32 crc, const void *data, gsize len);

G_END_DECLS
