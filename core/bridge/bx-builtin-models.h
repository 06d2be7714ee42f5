/* bx-builtin-models.h — where the shipped compact encoders live.
 *
 * The compact encoders (data/models/compact-<modality>.safetensors, issue 7)
 * are looked for in $BIOX_MODELS_DIR, then PKGDATADIR/models (installed,
 * also inside the Flatpak), then the source tree's data/models (running
 * from a build directory). Front ends offer them as "built-in" models.
 */
#pragma once

#include <glib.h>

#include "recording/bx-modality.h"

G_BEGIN_DECLS

/* The file of the built-in encoder for `modality` (EEG, ECG, PPG, EMG), or
 * NULL when none is shipped or found. g_free. */
char *bx_builtin_model_path (BxModality modality);

/* The first folder that holds at least one built-in encoder, or NULL. g_free. */
char *bx_builtin_models_dir (void);

/* TRUE if `path` is one of the built-in encoder files (same file name in a
 * built-in folder); used to show "Built-in EEG encoder" instead of a path. */
gboolean bx_builtin_model_is_builtin (const char *path);

G_END_DECLS
