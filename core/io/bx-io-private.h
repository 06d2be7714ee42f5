/* bx-io-private.h — helpers shared by the core/io writers. */
#pragma once

#include "bx-state-dict.h"

G_BEGIN_DECLS

/* Writes the `n` chunks to `path` atomically: a temporary file beside it is
 * renamed over `path` only when everything was written; on failure the
 * temporary is removed and an existing `path` is left untouched. `what`
 * names the format in the error ("safetensors", ".npy"). */
gboolean bx_io_write_atomic (const char *path, const void *const *chunks, const gsize *lengths, guint n,
                             const char *what, GError **error);

G_END_DECLS
