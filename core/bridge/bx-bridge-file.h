/* bx-bridge-file.h — a trained bridge on disk.
 *
 * A safetensors file (float32, C order) with five tensors
 *   bridge.A           (r, d_new)
 *   bridge.B           (P·T, r)
 *   bridge.prototypes  (d_old, P)
 *   head.weight        (C, D)      the old modality's task head
 *   head.bias          (C)
 * and string metadata (`__metadata__`; values that are structured are JSON text):
 *   format                 "bioxbridge-bridge"
 *   format_version         "1"
 *   old_model.family       "labram" | "hubert-ecg" | "papagei" | "normwear"
 *   old_model.checkpoint   file name (basename) of the checkpoint
 *   old_model.sha256       lower-case hex SHA-256 of the checkpoint file
 *   old_model.config       JSON object (bx_model_get_config_json)
 *   new_model.*            the same for the new modality's model
 *   input_layer            m (new FM layer whose pooled output feeds the bridge)
 *   output_layer           l (old FM layer whose input the bridge replaces)
 *   d_new, d_old, rank, prototypes, tokens   the bridge geometry (r, P, T)
 *   layout                 "raw" | "transpose" (bx_bridge_layout)
 *   preprocessing          JSON object: recipes of both sides, sample rates …
 *   window_seconds         window length the bridge was trained on
 *   class_names            JSON array of C strings
 *   training               JSON object: epochs, batch_size, learning_rate,
 *                          seed, steps, first_loss, final_loss, loss_curve
 *                          (per-epoch means), seconds
 *   position_search        JSON object: probe_f1 and cka arrays, m, l (or "null")
 *
 * Reading validates the format, every required key, the tensor shapes
 * against the geometry, the class names against the head and that every
 * parameter is finite; errors name the file, the key and the value.
 * Writing is atomic (temporary file + rename): a failed or cancelled write
 * never leaves a file under the final name.
 */
#pragma once

#include <glib.h>

#include "bridge/bx-proto-bridge.h"
#include "bridge/bx-task-head.h"

G_BEGIN_DECLS

#define BX_BRIDGE_FILE_ERROR (bx_bridge_file_error_quark ())
GQuark bx_bridge_file_error_quark (void);

typedef enum
{
  BX_BRIDGE_FILE_ERROR_FORMAT,   /* not a bridge file, missing/invalid key or tensor */
  BX_BRIDGE_FILE_ERROR_VERSION,  /* written by a newer format version */
  BX_BRIDGE_FILE_ERROR_MISMATCH, /* the file does not belong to the models / data in use */
} BxBridgeFileError;

#define BX_BRIDGE_FILE_FORMAT "bioxbridge-bridge"
#define BX_BRIDGE_FILE_VERSION 1

typedef struct
{
  char *family;      /* bx_model_family_name() */
  char *checkpoint;  /* basename */
  char *sha256;      /* 64 hex digits */
  char *config_json; /* JSON object text, "{}" if unknown */
} BxBridgeModelInfo;

typedef struct
{
  BxProtoBridge *bridge;
  BxTaskHead *head; /* class names live in head->class_names */
  BxBridgeModelInfo old_model;
  BxBridgeModelInfo new_model;
  int input_layer;          /* m */
  int output_layer;         /* l */
  char *preprocessing_json; /* JSON object text */
  double window_seconds;
  char *training_json; /* JSON object text */
  char *search_json;   /* JSON object text or "null" */
} BxBridgeFile;

BxBridgeFile *bx_bridge_file_new (void);
void bx_bridge_file_free (BxBridgeFile *file);

/* Fills `info` from a checkpoint path (basename + SHA-256 of the file) and the
 * loaded model (family, configuration). */
gboolean bx_bridge_model_info_set (BxBridgeModelInfo *info, const char *family, const char *checkpoint_path,
                                   const char *config_json, GError **error);
void bx_bridge_model_info_clear (BxBridgeModelInfo *info);

gboolean bx_bridge_file_write (const char *path, const BxBridgeFile *file, GError **error);
BxBridgeFile *bx_bridge_file_read (const char *path, GError **error);

/* Checks that the file was trained with the checkpoint whose hash is
 * `sha256` for the old (is_old) or new model, and that the family matches.
 * A hash mismatch is an error naming both hashes and file names unless
 * `allow_mismatch`, in which case it only returns TRUE and sets *warning
 * (may be NULL; g_free) to the same text. A family mismatch is always an error. */
gboolean bx_bridge_file_check_model (const BxBridgeFile *file, gboolean is_old, const char *family,
                                     const char *sha256, gboolean allow_mismatch, char **warning,
                                     GError **error);

/* "raw" / "transpose" and back. */
const char *bx_bridge_layout_name (BxBridgeLayout layout);
gboolean bx_bridge_layout_from_name (const char *name, BxBridgeLayout *layout);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxBridgeFile, bx_bridge_file_free)

G_END_DECLS
