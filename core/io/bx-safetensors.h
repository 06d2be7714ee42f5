/* bx-safetensors.h — the safetensors format (8-byte little-endian header
 * length N, N bytes of JSON, then raw little-endian tensor data).
 *
 * JSON: {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
 *        ..., "__metadata__": {"key": "value", ...}}; offsets are relative to
 * the first byte after the header. Reading checks the header length against
 * the file, the JSON (nesting depth, types), every dtype, that offsets lie in
 * the data area and do not overlap, and that end − begin = numel × dtype
 * size. `__metadata__` (string → string) goes to the dict's metadata.
 * Writing is atomic (temporary file + rename), tensors in dict order, header
 * padded with spaces to a multiple of 8 bytes.
 */
#pragma once

#include "bx-state-dict.h"

G_BEGIN_DECLS

BxStateDict *bx_safetensors_parse (GBytes *bytes, const char *display_name, GError **error);
BxStateDict *bx_safetensors_read (const char *path, GError **error);
/* Writes every tensor of `sd` and its metadata. */
gboolean bx_safetensors_write (const char *path, const BxStateDict *sd, GError **error);
/* "F32", "BF16", "I64", "BOOL", ... */
const char *bx_safetensors_dtype_name (BxDType dtype);

G_END_DECLS
