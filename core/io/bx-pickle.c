/* bx-pickle.c — the restricted pickle machine (see bx-pickle.h).
 *
 * Nothing here imports, looks up or calls Python code: a GLOBAL opcode just
 * yields a (module, name) value and REDUCE/NEWOBJ/BUILD turn it into data.
 * Every read is bounds-checked; every allocation is counted against the
 * limits; all values live in one arena (`Arena.values`) so the memo, the
 * stack and cyclic containers can reference values freely.
 */
#include "bx-pickle.h"

#include <string.h>

typedef struct
{
  GPtrArray *values; /* every BxPickleValue allocated, freed together */
} Arena;

typedef struct
{
  const guint8 *data;
  gsize len;
  gsize pos;
  const char *display_name;
  BxPickleLimits limits;
  Arena *arena;
  gsize allocated;
  GPtrArray *stack;   /* BxPickleValue* (borrowed from the arena) */
  GArray *marks;      /* guint stack heights */
  GPtrArray *memo;    /* BxPickleValue* or NULL */
  GPtrArray *foreign; /* char* */
  GHashTable *foreign_set;
  gsize op_pos; /* offset of the opcode being executed, for messages */
  guint8 op;
} Vm;

static void
value_free (BxPickleValue *v)
{
  switch (v->kind)
    {
    case BX_PICKLE_STRING:
    case BX_PICKLE_BYTES:
    case BX_PICKLE_BIGINT:
      g_free (v->str.data);
      break;
    case BX_PICKLE_TUPLE:
    case BX_PICKLE_LIST:
    case BX_PICKLE_DICT:
    case BX_PICKLE_SET:
      g_ptr_array_unref (v->items);
      break;
    case BX_PICKLE_GLOBAL:
      g_free (v->global.module);
      g_free (v->global.name);
      break;
    case BX_PICKLE_STORAGE:
      g_free (v->storage.type_name);
      g_free (v->storage.key);
      break;
    default:
      break;
    }
  g_free (v);
}

static void
arena_free (Arena *arena)
{
  if (arena)
    {
      g_ptr_array_unref (arena->values);
      g_free (arena);
    }
}

static gboolean vm_fail (Vm *vm, GError **error, BxIoError code, const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static gboolean
vm_fail (Vm *vm, GError **error, BxIoError code, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, BX_IO_ERROR, code, "%s: pickle opcode 0x%02x at byte %zu: %s", vm->display_name, vm->op,
               vm->op_pos, msg);
  return FALSE;
}

static gboolean
vm_account (Vm *vm, gsize bytes, GError **error)
{
  if (bytes > vm->limits.max_alloc || vm->allocated > vm->limits.max_alloc - bytes)
    return vm_fail (vm, error, BX_IO_ERROR_LIMIT, "values need more than the limit of %zu bytes",
                    vm->limits.max_alloc);
  vm->allocated += bytes;
  return TRUE;
}

static BxPickleValue *
vm_new (Vm *vm, BxPickleKind kind, GError **error)
{
  if (!vm_account (vm, sizeof (BxPickleValue) + 16, error))
    return NULL;
  BxPickleValue *v = g_new0 (BxPickleValue, 1);
  v->kind = kind;
  if (kind == BX_PICKLE_TUPLE || kind == BX_PICKLE_LIST || kind == BX_PICKLE_DICT || kind == BX_PICKLE_SET)
    v->items = g_ptr_array_new ();
  g_ptr_array_add (vm->arena->values, v);
  return v;
}

static BxPickleValue *
vm_new_string (Vm *vm, BxPickleKind kind, const guint8 *p, gsize n, GError **error)
{
  if (n > vm->limits.max_string)
    {
      vm_fail (vm, error, BX_IO_ERROR_LIMIT, "string of %zu bytes exceeds the limit of %zu", n,
               vm->limits.max_string);
      return NULL;
    }
  if (!vm_account (vm, n, error))
    return NULL;
  BxPickleValue *v = vm_new (vm, kind, error);
  if (v == NULL)
    return NULL;
  v->str.data = g_malloc (n + 1);
  if (n)
    memcpy (v->str.data, p, n);
  v->str.data[n] = '\0';
  v->str.len = n;
  return v;
}

static gboolean
vm_add_item (Vm *vm, BxPickleValue *container, BxPickleValue *item, GError **error)
{
  if (!vm_account (vm, sizeof (gpointer), error))
    return FALSE;
  g_ptr_array_add (container->items, item);
  return TRUE;
}

static gboolean
vm_push (Vm *vm, BxPickleValue *v, GError **error)
{
  if (v == NULL)
    return FALSE;
  if (vm->stack->len >= vm->limits.max_stack)
    return vm_fail (vm, error, BX_IO_ERROR_LIMIT, "stack deeper than %u values", vm->limits.max_stack);
  g_ptr_array_add (vm->stack, v);
  return TRUE;
}

static BxPickleValue *
vm_pop (Vm *vm, GError **error)
{
  guint floor = vm->marks->len ? g_array_index (vm->marks, guint, vm->marks->len - 1) : 0;
  if (vm->stack->len <= floor)
    {
      vm_fail (vm, error, BX_IO_ERROR_FORMAT, "stack underflow");
      return NULL;
    }
  return g_ptr_array_steal_index (vm->stack, vm->stack->len - 1);
}

static BxPickleValue *
vm_top (Vm *vm, GError **error)
{
  guint floor = vm->marks->len ? g_array_index (vm->marks, guint, vm->marks->len - 1) : 0;
  if (vm->stack->len <= floor)
    {
      vm_fail (vm, error, BX_IO_ERROR_FORMAT, "stack underflow");
      return NULL;
    }
  return g_ptr_array_index (vm->stack, vm->stack->len - 1);
}

/* Pops the topmost mark; returns the stack height it recorded, or -1. */
static gint64
vm_pop_mark (Vm *vm, GError **error)
{
  if (vm->marks->len == 0)
    {
      vm_fail (vm, error, BX_IO_ERROR_FORMAT, "no MARK on the stack");
      return -1;
    }
  guint h = g_array_index (vm->marks, guint, vm->marks->len - 1);
  g_array_set_size (vm->marks, vm->marks->len - 1);
  return h;
}

static const guint8 *
vm_read (Vm *vm, gsize n, GError **error)
{
  if (n > vm->len - vm->pos)
    {
      vm_fail (vm, error, BX_IO_ERROR_FORMAT,
               "needs %zu more bytes but the pickle ends after %zu (truncated)", n, vm->len - vm->pos);
      return NULL;
    }
  const guint8 *p = vm->data + vm->pos;
  vm->pos += n;
  return p;
}

/* A newline-terminated argument of the text opcodes (protocol 0). */
static char *
vm_read_line (Vm *vm, GError **error)
{
  const guint8 *start = vm->data + vm->pos;
  const guint8 *nl = memchr (start, '\n', vm->len - vm->pos);
  if (nl == NULL)
    {
      vm_fail (vm, error, BX_IO_ERROR_FORMAT, "unterminated text argument (truncated)");
      return NULL;
    }
  gsize n = (gsize)(nl - start);
  if (n > vm->limits.max_string)
    {
      vm_fail (vm, error, BX_IO_ERROR_LIMIT, "text argument of %zu bytes", n);
      return NULL;
    }
  vm->pos += n + 1;
  return g_strndup ((const char *)start, n);
}

static guint64
rd_le (const guint8 *p, int n)
{
  guint64 v = 0;
  for (int i = n - 1; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

static gboolean
is_global (const BxPickleValue *v, const char *module, const char *name)
{
  return v && v->kind == BX_PICKLE_GLOBAL && strcmp (v->global.module, module) == 0
         && strcmp (v->global.name, name) == 0;
}

static const struct
{
  const char *name;
  BxDType dtype;
} storage_types[] = {
  { "FloatStorage", BX_DTYPE_F32 },  { "HalfStorage", BX_DTYPE_F16 }, { "BFloat16Storage", BX_DTYPE_BF16 },
  { "DoubleStorage", BX_DTYPE_F64 }, { "LongStorage", BX_DTYPE_I64 }, { "IntStorage", BX_DTYPE_I32 },
  { "ShortStorage", BX_DTYPE_I16 },  { "CharStorage", BX_DTYPE_I8 },  { "ByteStorage", BX_DTYPE_U8 },
  { "BoolStorage", BX_DTYPE_BOOL },
};

/* Names torch.save itself emits; anything else is "foreign" and reported. */
static gboolean
is_torch_global (const char *module, const char *name)
{
  static const char *const plain[] = {
    "collections.OrderedDict",
    "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
    "torch._tensor._rebuild_from_type_v2",
    "torch.Size",
    "torch.Tensor",
    "torch.nn.parameter.Parameter",
    "torch.device",
    "torch.storage.UntypedStorage",
    "torch.storage._load_from_bytes",
  };
  g_autofree char *full = g_strconcat (module, ".", name, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (plain); i++)
    if (strcmp (full, plain[i]) == 0)
      return TRUE;
  if (strcmp (module, "torch") == 0)
    {
      BxDType dt;
      if (g_str_has_suffix (name, "Storage") || bx_dtype_from_name (name, &dt)
          || strcmp (name, "bfloat16") == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
op_global (Vm *vm, char *module, char *name, GError **error)
{
  BxPickleValue *v = vm_new (vm, BX_PICKLE_GLOBAL, error);
  if (v == NULL)
    {
      g_free (module);
      g_free (name);
      return FALSE;
    }
  v->global.module = module;
  v->global.name = name;
  if (!is_torch_global (module, name))
    {
      char *full = g_strconcat (module, ".", name, NULL);
      if (g_hash_table_add (vm->foreign_set, full))
        g_ptr_array_add (vm->foreign, g_strdup (full));
    }
  return vm_push (vm, v, error);
}

static gboolean
int_list (const BxPickleValue *v, gint64 *out, guint *n)
{
  if (v == NULL || (v->kind != BX_PICKLE_TUPLE && v->kind != BX_PICKLE_LIST)
      || v->items->len > BX_TENSOR_MAX_DIMS)
    return FALSE;
  for (guint i = 0; i < v->items->len; i++)
    {
      const BxPickleValue *e = g_ptr_array_index (v->items, i);
      if (e->kind != BX_PICKLE_INT)
        return FALSE;
      out[i] = e->i;
    }
  *n = v->items->len;
  return TRUE;
}

/* _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) */
static BxPickleValue *
rebuild_tensor (Vm *vm, const BxPickleValue *args, GError **error)
{
  if (args->kind != BX_PICKLE_TUPLE || args->items->len < 4)
    {
      vm_fail (vm, error, BX_IO_ERROR_FORMAT,
               "_rebuild_tensor arguments are not a tuple of at least 4 items");
      return NULL;
    }
  BxPickleValue *storage = g_ptr_array_index (args->items, 0);
  BxPickleValue *offset = g_ptr_array_index (args->items, 1);
  gint64 shape[BX_TENSOR_MAX_DIMS], stride[BX_TENSOR_MAX_DIMS];
  guint nshape = 0, nstride = 0;
  if (storage->kind != BX_PICKLE_STORAGE || offset->kind != BX_PICKLE_INT
      || !int_list (g_ptr_array_index (args->items, 2), shape, &nshape)
      || !int_list (g_ptr_array_index (args->items, 3), stride, &nstride) || nshape != nstride)
    {
      vm_fail (vm, error, BX_IO_ERROR_FORMAT,
               "_rebuild_tensor arguments must be (storage, int offset, size tuple, stride tuple of the same "
               "length ≤ %d)",
               BX_TENSOR_MAX_DIMS);
      return NULL;
    }
  BxPickleValue *t = vm_new (vm, BX_PICKLE_TENSOR, error);
  if (t == NULL)
    return NULL;
  t->tensor.storage = storage;
  t->tensor.offset = offset->i;
  t->tensor.ndim = nshape;
  if (nshape)
    {
      memcpy (t->tensor.shape, shape, nshape * sizeof *shape);
      memcpy (t->tensor.stride, stride, nshape * sizeof *stride);
    }
  return t;
}

static BxPickleValue *
make_object (Vm *vm, BxPickleValue *callable, BxPickleValue *args, GError **error)
{
  BxPickleValue *o = vm_new (vm, BX_PICKLE_OBJECT, error);
  if (o)
    {
      o->object.callable = callable;
      o->object.args = args;
    }
  return o;
}

static BxPickleValue *
arg0 (const BxPickleValue *args)
{
  if (args && args->kind == BX_PICKLE_TUPLE && args->items->len >= 1)
    return g_ptr_array_index (args->items, 0);
  return NULL;
}

/* REDUCE: callable(*args), for the few callables torch.save emits; anything else is inert. */
static BxPickleValue *
reduce (Vm *vm, BxPickleValue *callable, BxPickleValue *args, GError **error)
{
  if (is_global (callable, "collections", "OrderedDict"))
    {
      BxPickleValue *d = vm_new (vm, BX_PICKLE_DICT, error);
      BxPickleValue *items = arg0 (args);
      if (d && items && (items->kind == BX_PICKLE_LIST || items->kind == BX_PICKLE_TUPLE))
        for (guint i = 0; i < items->items->len; i++)
          {
            BxPickleValue *pair = g_ptr_array_index (items->items, i);
            if (pair->kind != BX_PICKLE_TUPLE || pair->items->len != 2)
              continue;
            if (!vm_add_item (vm, d, g_ptr_array_index (pair->items, 0), error)
                || !vm_add_item (vm, d, g_ptr_array_index (pair->items, 1), error))
              return NULL;
          }
      return d;
    }
  if (is_global (callable, "torch._utils", "_rebuild_tensor_v2")
      || is_global (callable, "torch._utils", "_rebuild_tensor"))
    return rebuild_tensor (vm, args, error);
  if (is_global (callable, "torch._utils", "_rebuild_parameter")
      || is_global (callable, "torch._utils", "_rebuild_parameter_with_state"))
    {
      BxPickleValue *t = arg0 (args);
      if (t == NULL || t->kind != BX_PICKLE_TENSOR)
        {
          vm_fail (vm, error, BX_IO_ERROR_FORMAT, "_rebuild_parameter expects a tensor as first argument");
          return NULL;
        }
      return t;
    }
  if (is_global (callable, "torch._tensor", "_rebuild_from_type_v2"))
    {
      /* (func, type, args, state): only func = _rebuild_tensor_v2 is data. */
      if (args->kind == BX_PICKLE_TUPLE && args->items->len >= 3)
        {
          BxPickleValue *func = g_ptr_array_index (args->items, 0);
          BxPickleValue *inner = g_ptr_array_index (args->items, 2);
          if (is_global (func, "torch._utils", "_rebuild_tensor_v2") && inner->kind == BX_PICKLE_TUPLE)
            return rebuild_tensor (vm, inner, error);
        }
      return make_object (vm, callable, args, error);
    }
  if (is_global (callable, "torch", "Size"))
    {
      BxPickleValue *dims = arg0 (args);
      if (dims && dims->kind == BX_PICKLE_TUPLE)
        return dims;
    }
  return make_object (vm, callable, args, error);
}

static gboolean
op_persid (Vm *vm, BxPickleValue *pid, GError **error)
{
  /* ('storage', torch.FloatStorage, key, location, numel[, view metadata]) */
  if (pid->kind != BX_PICKLE_TUPLE || pid->items->len < 5)
    return vm_fail (vm, error, BX_IO_ERROR_UNSUPPORTED,
                    "persistent id is not a ('storage', type, key, location, numel) tuple");
  BxPickleValue *tag = g_ptr_array_index (pid->items, 0);
  BxPickleValue *type = g_ptr_array_index (pid->items, 1);
  BxPickleValue *key = g_ptr_array_index (pid->items, 2);
  BxPickleValue *numel = g_ptr_array_index (pid->items, 4);
  if (tag->kind != BX_PICKLE_STRING || strcmp (tag->str.data, "storage") != 0
      || type->kind != BX_PICKLE_GLOBAL || (key->kind != BX_PICKLE_STRING && key->kind != BX_PICKLE_INT)
      || numel->kind != BX_PICKLE_INT || numel->i < 0)
    return vm_fail (vm, error, BX_IO_ERROR_UNSUPPORTED,
                    "persistent id is not a ('storage', type, key, location, numel) tuple");
  /* Legacy files may name a view into a larger storage; we do not resolve those. */
  if (pid->items->len >= 6 && ((BxPickleValue *)g_ptr_array_index (pid->items, 5))->kind != BX_PICKLE_NONE)
    return vm_fail (vm, error, BX_IO_ERROR_UNSUPPORTED,
                    "storage '%s' is a view into another storage "
                    "(legacy format), which is not supported",
                    key->kind == BX_PICKLE_STRING ? key->str.data : "?");
  BxPickleValue *s = vm_new (vm, BX_PICKLE_STORAGE, error);
  if (s == NULL)
    return FALSE;
  s->storage.type_name = g_strdup_printf ("%s.%s", type->global.module, type->global.name);
  if (strcmp (type->global.module, "torch") == 0)
    for (gsize i = 0; i < G_N_ELEMENTS (storage_types); i++)
      if (strcmp (type->global.name, storage_types[i].name) == 0)
        {
          s->storage.dtype_known = TRUE;
          s->storage.dtype = storage_types[i].dtype;
        }
  s->storage.key = key->kind == BX_PICKLE_STRING ? g_strdup (key->str.data)
                                                 : g_strdup_printf ("%" G_GINT64_FORMAT, key->i);
  s->storage.numel = numel->i;
  return vm_push (vm, s, error);
}

static gboolean
memo_put (Vm *vm, guint64 index, GError **error)
{
  BxPickleValue *top = vm_top (vm, error);
  if (top == NULL)
    return FALSE;
  if (index >= vm->limits.max_memo)
    return vm_fail (vm, error, BX_IO_ERROR_LIMIT, "memo index %" G_GUINT64_FORMAT " exceeds the limit of %u",
                    index, vm->limits.max_memo);
  if (index >= vm->memo->len)
    {
      if (!vm_account (vm, (index + 1 - vm->memo->len) * sizeof (gpointer), error))
        return FALSE;
      g_ptr_array_set_size (vm->memo, (guint)index + 1);
    }
  g_ptr_array_index (vm->memo, index) = top;
  return TRUE;
}

static gboolean
memo_get (Vm *vm, guint64 index, GError **error)
{
  if (index >= vm->memo->len || g_ptr_array_index (vm->memo, index) == NULL)
    return vm_fail (vm, error, BX_IO_ERROR_FORMAT, "memo slot %" G_GUINT64_FORMAT " is empty", index);
  return vm_push (vm, g_ptr_array_index (vm->memo, index), error);
}

/* Moves stack[from..] into a new container of `kind`. */
static BxPickleValue *
collect (Vm *vm, BxPickleKind kind, guint from, GError **error)
{
  BxPickleValue *c = vm_new (vm, kind, error);
  if (c == NULL)
    return NULL;
  for (guint i = from; i < vm->stack->len; i++)
    if (!vm_add_item (vm, c, g_ptr_array_index (vm->stack, i), error))
      return NULL;
  g_ptr_array_set_size (vm->stack, from);
  return c;
}

static gboolean
add_pairs (Vm *vm, BxPickleValue *target, guint from, GError **error)
{
  guint n = vm->stack->len - from;
  if (n % 2)
    return vm_fail (vm, error, BX_IO_ERROR_FORMAT, "odd number of items (%u) for dict keys and values", n);
  /* Custom mapping classes (inert objects) swallow their items. */
  if (target->kind == BX_PICKLE_DICT)
    for (guint i = from; i < vm->stack->len; i++)
      if (!vm_add_item (vm, target, g_ptr_array_index (vm->stack, i), error))
        return FALSE;
  g_ptr_array_set_size (vm->stack, from);
  return TRUE;
}

static gboolean
check_container (Vm *vm, BxPickleValue *target, BxPickleKind want, GError **error)
{
  if (target->kind == want || target->kind == BX_PICKLE_OBJECT)
    return TRUE;
  return vm_fail (vm, error, BX_IO_ERROR_FORMAT, "target is not a %s",
                  want == BX_PICKLE_DICT   ? "dict"
                  : want == BX_PICKLE_LIST ? "list"
                                           : "set");
}

static gboolean
push_int (Vm *vm, gint64 v, GError **error)
{
  BxPickleValue *x = vm_new (vm, BX_PICKLE_INT, error);
  if (x == NULL)
    return FALSE;
  x->i = v;
  return vm_push (vm, x, error);
}

static gboolean
push_long (Vm *vm, const guint8 *p, gsize n, GError **error)
{
  if (n <= 8)
    {
      guint64 u = n ? rd_le (p, (int)n) : 0;
      if (n && n < 8 && (p[n - 1] & 0x80))
        u |= ~G_GUINT64_CONSTANT (0) << (8 * n);
      return push_int (vm, (gint64)u, error);
    }
  return vm_push (vm, vm_new_string (vm, BX_PICKLE_BIGINT, p, n, error), error);
}

static gboolean
vm_run (Vm *vm, BxPickleValue **root, GError **error)
{
  const guint8 *p;
  for (;;)
    {
      vm->op_pos = vm->pos;
      if (vm->pos >= vm->len)
        return vm_fail (vm, error, BX_IO_ERROR_FORMAT, "pickle ends without STOP (truncated)");
      vm->op = vm->data[vm->pos++];
      switch (vm->op)
        {
        case 0x80: /* PROTO */
          if (!(p = vm_read (vm, 1, error)))
            return FALSE;
          if (p[0] > 5)
            return vm_fail (vm, error, BX_IO_ERROR_UNSUPPORTED, "pickle protocol %u (at most 5 supported)",
                            p[0]);
          break;
        case 0x95: /* FRAME: a length hint only */
          if (!(p = vm_read (vm, 8, error)))
            return FALSE;
          if (rd_le (p, 8) > vm->len - vm->pos)
            return vm_fail (vm, error, BX_IO_ERROR_FORMAT,
                            "frame of %" G_GUINT64_FORMAT " bytes runs past the end", rd_le (p, 8));
          break;
        case '.': /* STOP */
          {
            BxPickleValue *v = vm_pop (vm, error);
            if (v == NULL)
              return FALSE;
            *root = v;
            return TRUE;
          }
        case '}': /* EMPTY_DICT */
          if (!vm_push (vm, vm_new (vm, BX_PICKLE_DICT, error), error))
            return FALSE;
          break;
        case ']': /* EMPTY_LIST */
          if (!vm_push (vm, vm_new (vm, BX_PICKLE_LIST, error), error))
            return FALSE;
          break;
        case ')': /* EMPTY_TUPLE */
          if (!vm_push (vm, vm_new (vm, BX_PICKLE_TUPLE, error), error))
            return FALSE;
          break;
        case 0x8f: /* EMPTY_SET */
          if (!vm_push (vm, vm_new (vm, BX_PICKLE_SET, error), error))
            return FALSE;
          break;
        case '(': /* MARK */
          {
            guint h = vm->stack->len;
            if (vm->marks->len >= vm->limits.max_stack)
              return vm_fail (vm, error, BX_IO_ERROR_LIMIT, "more than %u nested MARKs",
                              vm->limits.max_stack);
            g_array_append_val (vm->marks, h);
            break;
          }
        case '0': /* POP */
          if (vm->marks->len && g_array_index (vm->marks, guint, vm->marks->len - 1) == vm->stack->len)
            g_array_set_size (vm->marks, vm->marks->len - 1);
          else if (!vm_pop (vm, error))
            return FALSE;
          break;
        case '1': /* POP_MARK */
          {
            gint64 h = vm_pop_mark (vm, error);
            if (h < 0)
              return FALSE;
            g_ptr_array_set_size (vm->stack, (guint)h);
            break;
          }
        case '2': /* DUP */
          {
            BxPickleValue *v = vm_top (vm, error);
            if (v == NULL || !vm_push (vm, v, error))
              return FALSE;
            break;
          }
        case 'X': /* BINUNICODE */
        case 'T': /* BINSTRING */
        case 'B': /* BINBYTES */
          {
            if (!(p = vm_read (vm, 4, error)))
              return FALSE;
            gsize n = (gsize)rd_le (p, 4);
            if (!(p = vm_read (vm, n, error)))
              return FALSE;
            if (!vm_push (vm,
                          vm_new_string (vm, vm->op == 'B' ? BX_PICKLE_BYTES : BX_PICKLE_STRING, p, n, error),
                          error))
              return FALSE;
            break;
          }
        case 0x8c: /* SHORT_BINUNICODE */
        case 'U':  /* SHORT_BINSTRING */
        case 'C':  /* SHORT_BINBYTES */
          {
            if (!(p = vm_read (vm, 1, error)))
              return FALSE;
            gsize n = p[0];
            if (!(p = vm_read (vm, n, error)))
              return FALSE;
            if (!vm_push (vm,
                          vm_new_string (vm, vm->op == 'C' ? BX_PICKLE_BYTES : BX_PICKLE_STRING, p, n, error),
                          error))
              return FALSE;
            break;
          }
        case 0x8d: /* BINUNICODE8 */
        case 0x8e: /* BINBYTES8 */
        case 0x96: /* BYTEARRAY8 */
          {
            if (!(p = vm_read (vm, 8, error)))
              return FALSE;
            guint64 n = rd_le (p, 8);
            if (n > vm->len - vm->pos)
              return vm_fail (vm, error, BX_IO_ERROR_FORMAT,
                              "string of %" G_GUINT64_FORMAT " bytes runs past the end (truncated)", n);
            p = vm_read (vm, (gsize)n, error);
            if (!vm_push (vm,
                          vm_new_string (vm, vm->op == 0x8d ? BX_PICKLE_STRING : BX_PICKLE_BYTES, p, (gsize)n,
                                         error),
                          error))
              return FALSE;
            break;
          }
        case 'J': /* BININT */
          if (!(p = vm_read (vm, 4, error)) || !push_int (vm, (gint32)(guint32)rd_le (p, 4), error))
            return FALSE;
          break;
        case 'K': /* BININT1 */
          if (!(p = vm_read (vm, 1, error)) || !push_int (vm, p[0], error))
            return FALSE;
          break;
        case 'M': /* BININT2 */
          if (!(p = vm_read (vm, 2, error)) || !push_int (vm, (gint64)rd_le (p, 2), error))
            return FALSE;
          break;
        case 0x8a: /* LONG1 */
          {
            if (!(p = vm_read (vm, 1, error)))
              return FALSE;
            gsize n = p[0];
            if (!(p = vm_read (vm, n, error)) || !push_long (vm, p, n, error))
              return FALSE;
            break;
          }
        case 0x8b: /* LONG4 */
          {
            if (!(p = vm_read (vm, 4, error)))
              return FALSE;
            gint32 n = (gint32)(guint32)rd_le (p, 4);
            if (n < 0)
              return vm_fail (vm, error, BX_IO_ERROR_FORMAT, "negative LONG4 length %d", n);
            if (!(p = vm_read (vm, (gsize)n, error)) || !push_long (vm, p, (gsize)n, error))
              return FALSE;
            break;
          }
        case 'G': /* BINFLOAT: big-endian double */
          {
            if (!(p = vm_read (vm, 8, error)))
              return FALSE;
            guint64 bits = 0;
            for (int i = 0; i < 8; i++)
              bits = (bits << 8) | p[i];
            BxPickleValue *v = vm_new (vm, BX_PICKLE_FLOAT, error);
            if (v == NULL)
              return FALSE;
            memcpy (&v->f, &bits, 8);
            if (!vm_push (vm, v, error))
              return FALSE;
            break;
          }
        case 0x88: /* NEWTRUE */
        case 0x89: /* NEWFALSE */
          {
            BxPickleValue *v = vm_new (vm, BX_PICKLE_BOOL, error);
            if (v == NULL)
              return FALSE;
            v->b = vm->op == 0x88;
            if (!vm_push (vm, v, error))
              return FALSE;
            break;
          }
        case 'N': /* NONE */
          if (!vm_push (vm, vm_new (vm, BX_PICKLE_NONE, error), error))
            return FALSE;
          break;
        case 'I': /* INT (text; "01"/"00" are True/False in protocol 0) */
        case 'L': /* LONG (text) */
          {
            g_autofree char *line = vm_read_line (vm, error);
            if (line == NULL)
              return FALSE;
            if (vm->op == 'L' && g_str_has_suffix (line, "L"))
              line[strlen (line) - 1] = '\0';
            gint64 v;
            if (!g_ascii_string_to_signed (line, 10, G_MININT64, G_MAXINT64, &v, NULL))
              return vm_fail (vm, error, BX_IO_ERROR_FORMAT, "bad integer literal");
            if (!push_int (vm, v, error))
              return FALSE;
            break;
          }
        case 'F': /* FLOAT (text) */
          {
            g_autofree char *line = vm_read_line (vm, error);
            if (line == NULL)
              return FALSE;
            BxPickleValue *v = vm_new (vm, BX_PICKLE_FLOAT, error);
            if (v == NULL)
              return FALSE;
            v->f = g_ascii_strtod (line, NULL);
            if (!vm_push (vm, v, error))
              return FALSE;
            break;
          }
        case 'S': /* STRING (quoted text, escapes kept verbatim: the value is inert) */
        case 'V': /* UNICODE (raw-unicode-escape text) */
          {
            g_autofree char *line = vm_read_line (vm, error);
            if (line == NULL)
              return FALSE;
            gsize n = strlen (line);
            const char *s = line;
            if (vm->op == 'S' && n >= 2 && (s[0] == '\'' || s[0] == '"') && s[n - 1] == s[0])
              {
                s++;
                n -= 2;
              }
            if (!vm_push (vm, vm_new_string (vm, BX_PICKLE_STRING, (const guint8 *)s, n, error), error))
              return FALSE;
            break;
          }
        case 0x85: /* TUPLE1 */
        case 0x86: /* TUPLE2 */
        case 0x87: /* TUPLE3 */
          {
            guint n = vm->op - 0x84;
            guint floor = vm->marks->len ? g_array_index (vm->marks, guint, vm->marks->len - 1) : 0;
            if (vm->stack->len < floor + n)
              return vm_fail (vm, error, BX_IO_ERROR_FORMAT, "stack underflow");
            if (!vm_push (vm, collect (vm, BX_PICKLE_TUPLE, vm->stack->len - n, error), error))
              return FALSE;
            break;
          }
        case 't':  /* TUPLE */
        case 'l':  /* LIST */
        case 0x91: /* FROZENSET */
          {
            gint64 h = vm_pop_mark (vm, error);
            if (h < 0)
              return FALSE;
            BxPickleKind kind = vm->op == 't'   ? BX_PICKLE_TUPLE
                                : vm->op == 'l' ? BX_PICKLE_LIST
                                                : BX_PICKLE_SET;
            if (!vm_push (vm, collect (vm, kind, (guint)h, error), error))
              return FALSE;
            break;
          }
        case 'd': /* DICT */
          {
            gint64 h = vm_pop_mark (vm, error);
            if (h < 0)
              return FALSE;
            BxPickleValue *d = vm_new (vm, BX_PICKLE_DICT, error);
            if (d == NULL || !add_pairs (vm, d, (guint)h, error) || !vm_push (vm, d, error))
              return FALSE;
            break;
          }
        case 's': /* SETITEM */
          {
            BxPickleValue *val = vm_pop (vm, error), *key = val ? vm_pop (vm, error) : NULL;
            BxPickleValue *d = key ? vm_top (vm, error) : NULL;
            if (d == NULL || !check_container (vm, d, BX_PICKLE_DICT, error))
              return FALSE;
            if (d->kind == BX_PICKLE_DICT
                && (!vm_add_item (vm, d, key, error) || !vm_add_item (vm, d, val, error)))
              return FALSE;
            break;
          }
        case 'u': /* SETITEMS */
          {
            gint64 h = vm_pop_mark (vm, error);
            if (h < 0)
              return FALSE;
            if (h == 0)
              return vm_fail (vm, error, BX_IO_ERROR_FORMAT, "SETITEMS without a target dict");
            BxPickleValue *d = g_ptr_array_index (vm->stack, h - 1);
            if (!check_container (vm, d, BX_PICKLE_DICT, error) || !add_pairs (vm, d, (guint)h, error))
              return FALSE;
            break;
          }
        case 'a': /* APPEND */
          {
            BxPickleValue *val = vm_pop (vm, error), *l = val ? vm_top (vm, error) : NULL;
            if (l == NULL || !check_container (vm, l, BX_PICKLE_LIST, error))
              return FALSE;
            if (l->kind == BX_PICKLE_LIST && !vm_add_item (vm, l, val, error))
              return FALSE;
            break;
          }
        case 'e':  /* APPENDS */
        case 0x90: /* ADDITEMS */
          {
            gint64 h = vm_pop_mark (vm, error);
            if (h < 0)
              return FALSE;
            if (h == 0)
              return vm_fail (vm, error, BX_IO_ERROR_FORMAT, "APPENDS/ADDITEMS without a target");
            BxPickleValue *l = g_ptr_array_index (vm->stack, h - 1);
            BxPickleKind want = vm->op == 'e' ? BX_PICKLE_LIST : BX_PICKLE_SET;
            if (!check_container (vm, l, want, error))
              return FALSE;
            if (l->kind == want)
              for (guint i = (guint)h; i < vm->stack->len; i++)
                if (!vm_add_item (vm, l, g_ptr_array_index (vm->stack, i), error))
                  return FALSE;
            g_ptr_array_set_size (vm->stack, (guint)h);
            break;
          }
        case 'q': /* BINPUT */
          if (!(p = vm_read (vm, 1, error)) || !memo_put (vm, p[0], error))
            return FALSE;
          break;
        case 'r': /* LONG_BINPUT */
          if (!(p = vm_read (vm, 4, error)) || !memo_put (vm, rd_le (p, 4), error))
            return FALSE;
          break;
        case 0x94: /* MEMOIZE */
          if (!memo_put (vm, vm->memo->len, error))
            return FALSE;
          break;
        case 'p': /* PUT (text) */
        case 'g': /* GET (text) */
          {
            g_autofree char *line = vm_read_line (vm, error);
            guint64 idx;
            if (line == NULL)
              return FALSE;
            if (!g_ascii_string_to_unsigned (line, 10, 0, G_MAXUINT32, &idx, NULL))
              return vm_fail (vm, error, BX_IO_ERROR_FORMAT, "bad memo index");
            if (!(vm->op == 'p' ? memo_put (vm, idx, error) : memo_get (vm, idx, error)))
              return FALSE;
            break;
          }
        case 'h': /* BINGET */
          if (!(p = vm_read (vm, 1, error)) || !memo_get (vm, p[0], error))
            return FALSE;
          break;
        case 'j': /* LONG_BINGET */
          if (!(p = vm_read (vm, 4, error)) || !memo_get (vm, rd_le (p, 4), error))
            return FALSE;
          break;
        case 'c': /* GLOBAL "module\nname\n" */
          {
            char *module = vm_read_line (vm, error);
            if (module == NULL)
              return FALSE;
            char *name = vm_read_line (vm, error);
            if (name == NULL)
              {
                g_free (module);
                return FALSE;
              }
            if (!op_global (vm, module, name, error))
              return FALSE;
            break;
          }
        case 0x93: /* STACK_GLOBAL */
          {
            BxPickleValue *name = vm_pop (vm, error), *module = name ? vm_pop (vm, error) : NULL;
            if (module == NULL)
              return FALSE;
            if (module->kind != BX_PICKLE_STRING || name->kind != BX_PICKLE_STRING)
              return vm_fail (vm, error, BX_IO_ERROR_FORMAT, "STACK_GLOBAL needs two strings");
            if (!op_global (vm, g_strdup (module->str.data), g_strdup (name->str.data), error))
              return FALSE;
            break;
          }
        case 'R': /* REDUCE */
          {
            BxPickleValue *args = vm_pop (vm, error), *callable = args ? vm_pop (vm, error) : NULL;
            if (callable == NULL)
              return FALSE;
            if (args->kind != BX_PICKLE_TUPLE)
              return vm_fail (vm, error, BX_IO_ERROR_FORMAT, "REDUCE arguments are not a tuple");
            if (!vm_push (vm, reduce (vm, callable, args, error), error))
              return FALSE;
            break;
          }
        case 0x81: /* NEWOBJ: cls.__new__(cls, *args) */
        case 0x92: /* NEWOBJ_EX: (cls, args, kwargs) */
          {
            if (vm->op == 0x92 && !vm_pop (vm, error))
              return FALSE;
            BxPickleValue *args = vm_pop (vm, error), *cls = args ? vm_pop (vm, error) : NULL;
            if (cls == NULL)
              return FALSE;
            BxPickleValue *v = is_global (cls, "collections", "OrderedDict")
                                   ? vm_new (vm, BX_PICKLE_DICT, error)
                                   : make_object (vm, cls, args, error);
            if (!vm_push (vm, v, error))
              return FALSE;
            break;
          }
        case 'i': /* INST "module\nname\n", args from MARK */
          {
            g_autofree char *module = vm_read_line (vm, error);
            if (module == NULL)
              return FALSE;
            g_autofree char *name = vm_read_line (vm, error);
            if (name == NULL)
              return FALSE;
            gint64 h = vm_pop_mark (vm, error);
            if (h < 0)
              return FALSE;
            BxPickleValue *args = collect (vm, BX_PICKLE_TUPLE, (guint)h, error);
            if (args == NULL || !op_global (vm, g_steal_pointer (&module), g_steal_pointer (&name), error))
              return FALSE;
            BxPickleValue *cls = vm_pop (vm, error);
            if (cls == NULL || !vm_push (vm, make_object (vm, cls, args, error), error))
              return FALSE;
            break;
          }
        case 'o': /* OBJ: MARK cls args... */
          {
            gint64 h = vm_pop_mark (vm, error);
            if (h < 0)
              return FALSE;
            if ((guint)h >= vm->stack->len)
              return vm_fail (vm, error, BX_IO_ERROR_FORMAT, "OBJ without a class");
            BxPickleValue *cls = g_ptr_array_index (vm->stack, h);
            BxPickleValue *args = collect (vm, BX_PICKLE_TUPLE, (guint)h + 1, error);
            if (args == NULL)
              return FALSE;
            g_ptr_array_set_size (vm->stack, (guint)h);
            if (!vm_push (vm, make_object (vm, cls, args, error), error))
              return FALSE;
            break;
          }
        case 'b': /* BUILD: obj.__setstate__(state) — recorded, never run */
          {
            BxPickleValue *state = vm_pop (vm, error), *obj = state ? vm_top (vm, error) : NULL;
            if (obj == NULL)
              return FALSE;
            if (obj->kind == BX_PICKLE_OBJECT)
              obj->object.state = state;
            break;
          }
        case 'Q': /* BINPERSID */
          {
            BxPickleValue *pid = vm_pop (vm, error);
            if (pid == NULL || !op_persid (vm, pid, error))
              return FALSE;
            break;
          }
        default:
          return vm_fail (vm, error, BX_IO_ERROR_UNSUPPORTED,
                          "unsupported or invalid opcode (not used by PyTorch state dicts)");
        }
    }
}

BxPickle *
bx_pickle_load (const guint8 *data, gsize len, const char *display_name, const BxPickleLimits *limits,
                GError **error)
{
  Vm vm = { 0 };
  vm.data = data;
  vm.len = len;
  vm.display_name = display_name ? display_name : "(pickle)";
  vm.limits = limits ? *limits
                     : (BxPickleLimits){
                         .max_input = (gsize)512 << 20,
                         .max_stack = 100000,
                         .max_memo = 1000000,
                         .max_string = (gsize)64 << 20,
                         .max_alloc = (gsize)1 << 30,
                       };
  if (len > vm.limits.max_input)
    {
      g_set_error (error, BX_IO_ERROR, BX_IO_ERROR_LIMIT, "%s: pickle of %zu bytes exceeds the limit of %zu",
                   vm.display_name, len, vm.limits.max_input);
      return NULL;
    }
  Arena *arena = g_new0 (Arena, 1);
  arena->values = g_ptr_array_new_with_free_func ((GDestroyNotify)value_free);
  vm.arena = arena;
  vm.stack = g_ptr_array_new ();
  vm.marks = g_array_new (FALSE, FALSE, sizeof (guint));
  vm.memo = g_ptr_array_new ();
  vm.foreign = g_ptr_array_new_with_free_func (g_free);
  vm.foreign_set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  BxPickleValue *root = NULL;
  gboolean ok = vm_run (&vm, &root, error);

  g_ptr_array_unref (vm.stack);
  g_array_unref (vm.marks);
  g_ptr_array_unref (vm.memo);
  g_hash_table_unref (vm.foreign_set);
  if (!ok)
    {
      g_ptr_array_unref (vm.foreign);
      arena_free (arena);
      return NULL;
    }
  BxPickle *pickle = g_new0 (BxPickle, 1);
  pickle->root = root;
  pickle->foreign_globals = vm.foreign;
  pickle->consumed = vm.pos;
  pickle->arena = arena;
  return pickle;
}

void
bx_pickle_free (BxPickle *pickle)
{
  if (pickle == NULL)
    return;
  g_ptr_array_unref (pickle->foreign_globals);
  arena_free (pickle->arena);
  g_free (pickle);
}

const GPtrArray *
bx_pickle_get_values (const BxPickle *pickle)
{
  return ((Arena *)pickle->arena)->values;
}

char *
bx_pickle_value_describe (const BxPickleValue *v)
{
  switch (v->kind)
    {
    case BX_PICKLE_NONE:
      return g_strdup ("None");
    case BX_PICKLE_BOOL:
      return g_strdup (v->b ? "True" : "False");
    case BX_PICKLE_INT:
      return g_strdup_printf ("%" G_GINT64_FORMAT, v->i);
    case BX_PICKLE_BIGINT:
      return g_strdup_printf ("<%zu-byte integer>", v->str.len);
    case BX_PICKLE_FLOAT:
      return g_strdup_printf ("%.17g", v->f);
    case BX_PICKLE_STRING:
      {
        /* Printable, bounded, valid UTF-8 for reports. */
        gsize n = MIN (v->str.len, 60);
        g_autofree char *valid = g_utf8_make_valid (v->str.data, (gssize)n);
        g_autofree char *esc = g_strescape (valid, "");
        return g_strdup_printf ("'%s'%s", esc, v->str.len > n ? "…" : "");
      }
    case BX_PICKLE_BYTES:
      return g_strdup_printf ("<%zu bytes>", v->str.len);
    case BX_PICKLE_TUPLE:
      return g_strdup_printf ("tuple[%u]", v->items->len);
    case BX_PICKLE_LIST:
      return g_strdup_printf ("list[%u]", v->items->len);
    case BX_PICKLE_DICT:
      return g_strdup_printf ("dict[%u]", v->items->len / 2);
    case BX_PICKLE_SET:
      return g_strdup_printf ("set[%u]", v->items->len);
    case BX_PICKLE_GLOBAL:
      return g_strdup_printf ("global %s.%s", v->global.module, v->global.name);
    case BX_PICKLE_OBJECT:
      {
        const BxPickleValue *c = v->object.callable;
        if (c && c->kind == BX_PICKLE_GLOBAL)
          return g_strdup_printf ("inert object %s.%s (not executed)", c->global.module, c->global.name);
        return g_strdup ("inert object (not executed)");
      }
    case BX_PICKLE_STORAGE:
      return g_strdup_printf ("storage %s '%s'", v->storage.type_name, v->storage.key);
    case BX_PICKLE_TENSOR:
      return g_strdup ("tensor");
    case BX_PICKLE_MARK:
    default:
      return g_strdup ("?");
    }
}
