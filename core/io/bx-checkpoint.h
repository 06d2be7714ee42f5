/* bx-checkpoint.h — open any supported model file by its content.
 *
 *   PyTorch ≥ 1.6 zip archives   (`torch.save` default)           "pytorch-zip"
 *   PyTorch legacy (pre-1.6) files (magic-number pickle stream)   "pytorch-legacy"
 *   safetensors                                                  "safetensors"
 *   numpy .npz / .npy                                            "npz" / "npy"
 *
 * PyTorch files are read with the restricted pickle reader (bx-pickle.h):
 * nothing in them is executed. Containers are flattened into dotted names
 * (`model.student.blocks.0.norm1.weight`); use bx_state_dict_select() /
 * bx_state_dict_select_first() to get at the model's own dict. Non-tensor
 * entries and inert objects (pickled config classes, and any global a hostile
 * file names, such as os.system) are listed as notes of the dict.
 *
 * Tensor views are materialised as contiguous tensors: views sharing a
 * storage, storage offsets and non-contiguous strides are all resolved, with
 * bounds checked against the storage. Storages must be little-endian (the
 * archive's `byteorder` record, if present, must say "little").
 */
#pragma once

#include "bx-state-dict.h"

G_BEGIN_DECLS

typedef enum
{
  BX_CHECKPOINT_UNKNOWN,
  BX_CHECKPOINT_PYTORCH_ZIP,
  BX_CHECKPOINT_PYTORCH_LEGACY,
  BX_CHECKPOINT_SAFETENSORS,
  BX_CHECKPOINT_NPZ,
  BX_CHECKPOINT_NPY,
} BxCheckpointFormat;

/* Guesses the format from the first bytes (≥ 16 recommended). A zip is
 * reported as PYTORCH_ZIP; bx_checkpoint_load() tells torch archives and
 * npz apart by their members. */
BxCheckpointFormat bx_checkpoint_detect (const guint8 *head, gsize len);
const char *bx_checkpoint_format_name (BxCheckpointFormat format);

BxStateDict *bx_checkpoint_load (const char *path, GError **error);
BxStateDict *bx_checkpoint_load_bytes (GBytes *bytes, const char *display_name, GError **error);

/* PyTorch files only. */
BxStateDict *bx_torch_load_bytes (GBytes *bytes, const char *display_name, GError **error);

/* Lower-case hex SHA-256 of the whole file (for cache keys and bridge metadata). g_free. */
char *bx_checkpoint_sha256 (const char *path, GError **error);

/* Maps `path` read-only (an empty file gives empty bytes). */
GBytes *bx_io_map_file (const char *path, GError **error);

G_END_DECLS
