/* bx-state-dict.h — named tensors as read from model files.
 *
 * A BxStateDict is an ordered map name → BxTensor, the C counterpart of a
 * PyTorch state dict. Tensors keep the dtype they were stored with (float32,
 * float16, bfloat16, float64, int64, ...); the data is contiguous C order,
 * little-endian, and is converted to float32 only on request
 * (bx_tensor_to_float). int64 scalars such as BatchNorm's
 * `num_batches_tracked` stay int64 (bx_tensor_get_int64).
 *
 * Nested containers of a checkpoint (`{'model': {...}}`, HuBERT-ECG's
 * `{'model_state_dict': ..., 'model_config': <object>}`) are flattened with
 * dotted paths: `model.student.cls_token`. bx_state_dict_select() takes a
 * sub-dict back out; non-tensor leaves (epoch numbers, pickled config objects,
 * anything inert) are kept as human-readable "notes" for reports.
 *
 * All functions that read files report problems through BX_IO_ERROR with a
 * message naming the file, the entry and the offending value.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BX_IO_ERROR (bx_io_error_quark ())
GQuark bx_io_error_quark (void);

typedef enum
{
  BX_IO_ERROR_OPEN,        /* file cannot be opened / read / mapped */
  BX_IO_ERROR_FORMAT,      /* malformed or truncated content */
  BX_IO_ERROR_UNSUPPORTED, /* well-formed but a feature we do not read (big-endian, complex dtype, ...) */
  BX_IO_ERROR_LIMIT,       /* a safety limit was hit (size, depth, ratio) */
  BX_IO_ERROR_NOT_FOUND,   /* a requested key / member does not exist */
  BX_IO_ERROR_MISMATCH,    /* keys or shapes do not match what a model expects */
  BX_IO_ERROR_WRITE,       /* writing an output file failed */
  BX_IO_ERROR_INVALID,     /* caller passed inconsistent arguments */
} BxIoError;

typedef enum
{
  BX_DTYPE_F32,
  BX_DTYPE_F16,
  BX_DTYPE_BF16,
  BX_DTYPE_F64,
  BX_DTYPE_I64,
  BX_DTYPE_I32,
  BX_DTYPE_I16,
  BX_DTYPE_I8,
  BX_DTYPE_U8,
  BX_DTYPE_BOOL,
  BX_DTYPE_N
} BxDType;

/* Bytes per element. */
gsize bx_dtype_size (BxDType dtype);
/* Short names as PyTorch prints them without "torch.": "float32", "bfloat16", "int64", "bool". */
const char *bx_dtype_name (BxDType dtype);
/* Parses "float32", "torch.float32", "float", "half", "F32" (safetensors), ...; FALSE if unknown. */
gboolean bx_dtype_from_name (const char *name, BxDType *dtype);

#define BX_TENSOR_MAX_DIMS 8

typedef struct _BxTensor BxTensor;

/* Fields are read-only after construction. */
struct _BxTensor
{
  char *name;
  BxDType dtype;
  guint ndim; /* 0 for a scalar */
  gint64 shape[BX_TENSOR_MAX_DIMS];
  guint64 numel; /* product of shape (1 for a scalar) */
  GBytes *data;  /* numel × bx_dtype_size() bytes, C order, little-endian */
  /*< private >*/
  gint ref_count;
};

/* Takes a reference on `data`; fails if its size is not numel × dtype size,
 * ndim > BX_TENSOR_MAX_DIMS or a dimension is negative. */
BxTensor *bx_tensor_new (const char *name, BxDType dtype, guint ndim, const gint64 *shape, GBytes *data,
                         GError **error);
/* A float32 tensor holding a copy of `values` (numel of `shape` floats). */
BxTensor *bx_tensor_new_float (const char *name, guint ndim, const gint64 *shape, const float *values);
BxTensor *bx_tensor_ref (BxTensor *tensor);
void bx_tensor_unref (BxTensor *tensor);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxTensor, bx_tensor_unref)

/* Pointer to the raw stored bytes (may be unaligned for the dtype; copy with memcpy). */
const void *bx_tensor_get_data (const BxTensor *tensor, gsize *n_bytes);
/* Converts every element to float32 into `dst` (exactly tensor->numel floats).
 * Fails only if n_dst != numel. float64 → float32 rounds; int64 → float32 may round. */
gboolean bx_tensor_copy_float (const BxTensor *tensor, float *dst, gsize n_dst, GError **error);
/* Newly allocated float32 copy (g_free); `n_out` may be NULL. Never NULL for numel > 0. */
float *bx_tensor_to_float (const BxTensor *tensor, gsize *n_out);
/* Element `index` (flat, C order) of an integer or bool tensor as int64; FALSE for float dtypes or out of
 * range. */
gboolean bx_tensor_get_int64 (const BxTensor *tensor, guint64 index, gint64 *value);
/* "(512, 32, 128)" / "()" — g_free. */
char *bx_shape_to_string (guint ndim, const gint64 *shape);
gboolean bx_tensor_shape_equals (const BxTensor *tensor, guint ndim, const gint64 *shape);

typedef struct _BxStateDict BxStateDict;

BxStateDict *bx_state_dict_new (void);
BxStateDict *bx_state_dict_ref (BxStateDict *sd);
void bx_state_dict_unref (BxStateDict *sd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxStateDict, bx_state_dict_unref)

/* Appends `tensor` (a new reference is taken) under tensor->name; fails on a duplicate name. */
gboolean bx_state_dict_add (BxStateDict *sd, BxTensor *tensor, GError **error);
/* Convenience: copies `values` into a new float32 tensor. */
gboolean bx_state_dict_add_float (BxStateDict *sd, const char *name, guint ndim, const gint64 *shape,
                                  const float *values, GError **error);

guint bx_state_dict_size (const BxStateDict *sd);
/* Insertion order (the order of the file). */
const BxTensor *bx_state_dict_get_nth (const BxStateDict *sd, guint index);
const BxTensor *bx_state_dict_lookup (const BxStateDict *sd, const char *name);
/* Like lookup, but a missing name or a wrong shape is an error naming both (ndim < 0: any shape). */
const BxTensor *bx_state_dict_require (const BxStateDict *sd, const char *name, int ndim, const gint64 *shape,
                                       GError **error);
/* require() + bx_tensor_copy_float(): fills `dst` (numel of `shape` floats) from tensor `name`. */
gboolean bx_state_dict_copy_float (const BxStateDict *sd, const char *name, int ndim, const gint64 *shape,
                                   float *dst, gsize n_dst, GError **error);
/* Total number of elements over all tensors (the "parameter count" incl. buffers). */
guint64 bx_state_dict_numel (const BxStateDict *sd);

/* String → string metadata (safetensors `__metadata__`). Values are copied. */
void bx_state_dict_set_metadata (BxStateDict *sd, const char *key, const char *value);
const char *bx_state_dict_get_metadata (const BxStateDict *sd, const char *key);
/* Sorted NULL-terminated key list (g_free the array only, not the strings). */
const char **bx_state_dict_get_metadata_keys (const BxStateDict *sd);

/* Notes: non-tensor leaves and inert objects met while loading, e.g.
 * "epoch = 19", "model_config: inert object hubert_ecg.HuBERTECGConfig (not executed)". */
void bx_state_dict_add_note (BxStateDict *sd, const char *note);
guint bx_state_dict_get_n_notes (const BxStateDict *sd);
const char *bx_state_dict_get_note (const BxStateDict *sd, guint index);

/* What the file was: "pytorch-zip", "pytorch-legacy", "safetensors", "npz", "npy" (NULL if built in memory).
 */
const char *bx_state_dict_get_format (const BxStateDict *sd);
void bx_state_dict_set_format (BxStateDict *sd, const char *format);

/* --- key utilities: each returns a new dict sharing the tensor data --- */

typedef enum
{
  BX_PREFIX_KEEP_OTHERS, /* keys without the prefix are kept unchanged (PaPaGei's optional `module.`) */
  BX_PREFIX_DROP_OTHERS, /* only keys with the prefix are kept (LaBraM keeps `student.*`) */
} BxPrefixMode;

/* Renames "<prefix>rest" → "rest". `prefix` usually ends with '.'. A name
 * clash after stripping (both "a" and "module.a") is an error. */
BxStateDict *bx_state_dict_strip_prefix (const BxStateDict *sd, const char *prefix, BxPrefixMode mode,
                                         GError **error);
/* The sub-dict under `path` (dotted, e.g. "model" or "model_state_dict"): keys
 * "path.rest" become "rest". Error if nothing lives under `path`. */
BxStateDict *bx_state_dict_select (const BxStateDict *sd, const char *path, GError **error);
/* The first of `paths` (NULL-terminated) that has entries, e.g.
 * {"model", "model_state_dict", "state_dict", NULL}; if none has, a new
 * reference to `sd` itself (a bare state dict). `chosen` (may be NULL)
 * receives the path used or NULL. */
BxStateDict *bx_state_dict_select_first (const BxStateDict *sd, const char *const *paths,
                                         const char **chosen);
/* TRUE if any key starts with `prefix`. */
gboolean bx_state_dict_has_prefix (const BxStateDict *sd, const char *prefix);

typedef enum
{
  BX_WEIGHT_NORM_LEGACY,         /* X.weight_g / X.weight_v (torch.nn.utils.weight_norm) */
  BX_WEIGHT_NORM_PARAMETRIZATION /* X.parametrizations.weight.original0 / original1 (torch ≥ 2.1) */
} BxWeightNormStyle;

/* Renames weight-norm keys of either spelling into `style`; other keys unchanged. */
BxStateDict *bx_state_dict_normalize_weight_norm (const BxStateDict *sd, BxWeightNormStyle style,
                                                  GError **error);

/* --- checking against what a model expects --- */

typedef struct
{
  const char *name;
  int ndim;                         /* -1: any shape */
  gint64 shape[BX_TENSOR_MAX_DIMS]; /* a dimension of -1 matches any size */
} BxTensorSpec;

typedef struct
{
  GPtrArray *missing;    /* char*: expected names absent from the dict */
  GPtrArray *unexpected; /* char*: names in the dict that no spec asked for (ignored when loading) */
  GPtrArray *mismatched; /* char*: "name: expected (a, b), file has (c, d)" */
  guint n_matched;       /* expected names present with the right shape */
} BxStateDictCheck;

BxStateDictCheck *bx_state_dict_check (const BxStateDict *sd, const BxTensorSpec *expected, gsize n_expected);
void bx_state_dict_check_free (BxStateDictCheck *check);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxStateDictCheck, bx_state_dict_check_free)
/* TRUE if nothing is missing or mismatched (unexpected keys are allowed). */
gboolean bx_state_dict_check_ok (const BxStateDictCheck *check);
/* One multi-line message:
 *   <what>: 4 keys matched
 *     1 missing key: blocks.0.attn.proj.weight
 *     1 shape mismatch: norm.weight: expected (9,), file has (8,)
 *     5 unexpected keys (ignored): a, b, c, … (2 more)
 * Lists are cut after `max_list` names (0: no limit). g_free. */
char *bx_state_dict_check_format (const BxStateDictCheck *check, const char *what, guint max_list);
/* Checks and, if not ok, sets BX_IO_ERROR_MISMATCH with the formatted message. */
gboolean bx_state_dict_check_strict (const BxStateDict *sd, const BxTensorSpec *expected, gsize n_expected,
                                     const char *what, GError **error);

/* Parses a listing in the format of docs/checkpoints/state_dict_*.txt:
 * "name<TAB>(d0, d1, ...)<TAB>torch.float32" per line. Returns an array of
 * BxTensorSpec whose names point into `strings` (free both with g_free /
 * g_strfreev). */
BxTensorSpec *bx_tensor_spec_parse_listing (const char *text, gsize *n_specs, char ***strings,
                                            GError **error);

G_END_DECLS
