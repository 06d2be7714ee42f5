/* bx-npy.h — numpy .npy arrays and .npz archives.
 *
 * Reads format versions 1.0, 2.0 and 3.0; dtypes <f4 <f8 <f2 <i8 <i4 <i2 |i1
 * |u1 |b1 (big-endian '>' variants are byte-swapped); C and Fortran order
 * (Fortran arrays are transposed into C order); 0-d arrays (ndim 0). Object
 * arrays ('|O', pickled) are refused: nothing is unpickled.
 * Writes version 1.0 (2.0 when the header needs it), C order, little-endian,
 * atomically (temporary file + rename).
 */
#pragma once

#include "bx-state-dict.h"

G_BEGIN_DECLS

/* Parses a whole .npy image. `display_name` names the file (or archive
 * member) in errors; the tensor is named `tensor_name` (may be NULL → ""). */
BxTensor *bx_npy_parse (GBytes *bytes, const char *display_name, const char *tensor_name, GError **error);
/* Reads `path`; the tensor is named after the file's basename without ".npy". */
BxTensor *bx_npy_read (const char *path, GError **error);

gboolean bx_npy_write (const char *path, BxDType dtype, guint ndim, const gint64 *shape, const void *data,
                       GError **error);
gboolean bx_npy_write_float (const char *path, guint ndim, const gint64 *shape, const float *data,
                             GError **error);
gboolean bx_npy_write_tensor (const char *path, const BxTensor *tensor, GError **error);
/* The .npy image of an array, e.g. to put into an archive. */
GBytes *bx_npy_serialize (BxDType dtype, guint ndim, const gint64 *shape, const void *data, GError **error);

/* An .npz (zip of .npy): one tensor per member, named after the member
 * without ".npy", in archive order. Format "npz". */
BxStateDict *bx_npz_read (const char *path, GError **error);
BxStateDict *bx_npz_parse (GBytes *bytes, const char *display_name, GError **error);

G_END_DECLS
