/* bx-pickle.h — a restricted, non-executing pickle reader for PyTorch files.
 *
 * A small stack machine for the pickle opcodes of protocols 0–5 that
 * `torch.save` and ordinary Python containers produce. It never imports or
 * calls anything: a GLOBAL only names a (module, name) pair. REDUCE / NEWOBJ /
 * BUILD on a few known names produce data —
 *   collections.OrderedDict              → an (ordered) dict
 *   torch._utils._rebuild_tensor(_v2)    → a tensor view (storage, offset, size, stride)
 *   torch._utils._rebuild_parameter(_with_state), torch._tensor._rebuild_from_type_v2
 *                                        → the wrapped tensor
 *   torch.Size                           → a tuple
 * — and on every other name produce an inert BX_PICKLE_OBJECT that only
 * records the callable, its arguments and its state (HuBERT-ECG's pickled
 * config class, argparse.Namespace, numpy scalars, or a hostile os.system).
 * Such names are listed in `foreign_globals` so a loader can report them.
 * Persistent ids ('storage', torch.<T>Storage, key, location, numel) become
 * storage references resolved by the caller.
 *
 * Limits bound the work: input size, stack depth, memo size, string length,
 * container count and total allocation. All values live in one arena freed
 * with the BxPickle, so cyclic structures cannot leak.
 */
#pragma once

#include "bx-state-dict.h"

G_BEGIN_DECLS

typedef enum
{
  BX_PICKLE_NONE,
  BX_PICKLE_BOOL,
  BX_PICKLE_INT,
  BX_PICKLE_BIGINT, /* integer wider than 64 bits: raw little-endian two's complement in str */
  BX_PICKLE_FLOAT,
  BX_PICKLE_STRING,
  BX_PICKLE_BYTES,
  BX_PICKLE_TUPLE,
  BX_PICKLE_LIST,
  BX_PICKLE_DICT, /* items: key0, value0, key1, value1, ... in insertion order */
  BX_PICKLE_SET,
  BX_PICKLE_GLOBAL,  /* a name, never resolved */
  BX_PICKLE_OBJECT,  /* inert result of REDUCE/NEWOBJ/INST/OBJ on a foreign global */
  BX_PICKLE_STORAGE, /* persistent id of a torch storage */
  BX_PICKLE_TENSOR,  /* view into a storage */
  BX_PICKLE_MARK     /* internal */
} BxPickleKind;

typedef struct _BxPickleValue BxPickleValue;

struct _BxPickleValue
{
  BxPickleKind kind;
  union
  {
    gboolean b;
    gint64 i;
    double f;
    struct
    {
      char *data; /* NUL-terminated copy; len excludes the NUL */
      gsize len;
    } str;
    GPtrArray *items; /* TUPLE, LIST, SET, DICT (BxPickleValue*) */
    struct
    {
      char *module;
      char *name;
    } global;
    struct
    {
      BxPickleValue *callable; /* a GLOBAL or whatever was on the stack */
      BxPickleValue *args;
      BxPickleValue *state; /* from BUILD, or NULL */
    } object;
    struct
    {
      char *type_name; /* "FloatStorage", ... */
      gboolean dtype_known;
      BxDType dtype;
      char *key; /* archive member data/<key> */
      gint64 numel;
    } storage;
    struct
    {
      BxPickleValue *storage; /* a BX_PICKLE_STORAGE */
      gint64 offset;          /* elements */
      guint ndim;
      gint64 shape[BX_TENSOR_MAX_DIMS];
      gint64 stride[BX_TENSOR_MAX_DIMS];
    } tensor;
  };
};

typedef struct
{
  gsize max_input;  /* [512 MiB] */
  guint max_stack;  /* [100000] values on the stack */
  guint max_memo;   /* [1000000] memo slots */
  gsize max_string; /* [64 MiB] bytes in one string */
  gsize max_alloc;  /* [1 GiB] total bytes allocated for values */
} BxPickleLimits;

typedef struct
{
  BxPickleValue *root;        /* what STOP returned */
  GPtrArray *foreign_globals; /* char* "module.name" of inert objects created (unique, in order) */
  gsize consumed;             /* bytes up to and including STOP */
  /*< private >*/
  gpointer arena;
} BxPickle;

/* Runs the pickle in `data` up to its STOP. Trailing bytes are allowed (a
 * legacy torch file is several pickles in a row; see `consumed`). `limits`
 * may be NULL for the defaults. */
BxPickle *bx_pickle_load (const guint8 *data, gsize len, const char *display_name,
                          const BxPickleLimits *limits, GError **error);
void bx_pickle_free (BxPickle *pickle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxPickle, bx_pickle_free)

/* Every value the machine created (BxPickleValue*), e.g. to find all storages. */
const GPtrArray *bx_pickle_get_values (const BxPickle *pickle);

/* A short description for reports: "inert object hubert_ecg.HuBERTECGConfig", "19", "'cpu'", "list[3]".
 * g_free. */
char *bx_pickle_value_describe (const BxPickleValue *value);

G_END_DECLS
