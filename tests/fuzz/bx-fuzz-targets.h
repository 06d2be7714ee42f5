/* bx-fuzz-targets.h — the fuzz entry points, shared by the libFuzzer
 * executables (-Dfuzzing=true, clang) and the regression replayer that every
 * build runs. Each returns 0; a bug shows up as a crash, a sanitizer report,
 * a leak or a hang. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Whole files through bx_checkpoint_load_bytes (zip → torch / npz, legacy torch, safetensors, npy). */
int bx_fuzz_torch (const guint8 *data, gsize size);
/* `data` as data.pkl of a torch archive with twelve 1 KiB storages data/0..11 (valid CRCs). */
int bx_fuzz_pickle (const guint8 *data, gsize size);
int bx_fuzz_safetensors (const guint8 *data, gsize size);
int bx_fuzz_npy (const guint8 *data, gsize size);

typedef int (*BxFuzzEntry) (const guint8 *data, gsize size);
/* "torch", "pickle", "safetensors", "npy" → entry, or NULL. */
BxFuzzEntry bx_fuzz_lookup (const char *target);

G_END_DECLS
