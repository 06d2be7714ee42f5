/* bx-fuzz-targets.c — fuzz entry points over core/io (see the header). */
#include "bx-fuzz-targets.h"

#include "bx-io-test-util.h"
#include "io/bx-checkpoint.h"
#include "io/bx-npy.h"
#include "io/bx-safetensors.h"

#include <string.h>

/* Touches every loaded byte and runs the key utilities, so a bad slice or a
 * wrong numel shows up under ASan here rather than in a model loader. */
static void
exercise (BxStateDict *sd)
{
  if (sd == NULL)
    return;
  for (guint i = 0; i < bx_state_dict_size (sd); i++)
    {
      const BxTensor *t = bx_state_dict_get_nth (sd, i);
      g_assert (g_bytes_get_size (t->data) == t->numel * bx_dtype_size (t->dtype));
      g_assert (bx_state_dict_lookup (sd, t->name) == t);
      if (t->numel <= (1u << 22))
        {
          g_autofree float *f = bx_tensor_to_float (t, NULL);
          gint64 v;
          g_assert (f != NULL);
          bx_tensor_get_int64 (t, 0, &v);
        }
    }
  static const char *const paths[] = { "model", "model_state_dict", "state_dict", NULL };
  g_autoptr (BxStateDict) sub = bx_state_dict_select_first (sd, paths, NULL);
  g_autoptr (BxStateDict) stripped = bx_state_dict_strip_prefix (sub, "module.", BX_PREFIX_KEEP_OTHERS, NULL);
  g_autoptr (BxStateDict) wn = bx_state_dict_normalize_weight_norm (sd, BX_WEIGHT_NORM_PARAMETRIZATION, NULL);
  BxTensorSpec spec = { "weight", 2, { 2, -1 } };
  g_autoptr (BxStateDictCheck) check = bx_state_dict_check (sd, &spec, 1);
  g_autofree char *msg = bx_state_dict_check_format (check, "fuzz", 4);
  g_assert (msg != NULL && stripped != NULL && wn != NULL);
  for (guint i = 0; i < bx_state_dict_get_n_notes (sd); i++)
    g_assert (bx_state_dict_get_note (sd, i) != NULL);
}

static void
check_error (BxStateDict *sd, GError *error)
{
  /* Exactly one of result and error, and the error is ours. */
  g_assert ((sd == NULL) == (error != NULL));
  if (error)
    g_assert (error->domain == BX_IO_ERROR && error->message[0] != '\0');
}

int
bx_fuzz_torch (const guint8 *data, gsize size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxStateDict) sd = bx_checkpoint_load_bytes (bytes, "fuzz", &error);
  check_error (sd, error);
  exercise (sd);
  return 0;
}

int
bx_fuzz_pickle (const guint8 *data, gsize size)
{
  enum
  {
    N_STORAGES = 12,
    STORAGE_BYTES = 1024
  };
  static guint8 pattern[STORAGE_BYTES];
  for (int i = 0; i < STORAGE_BYTES; i++)
    pattern[i] = (guint8)(i * 37 + 11);
  g_autoptr (GBytes) pkl = g_bytes_new (data, size);
  GBytes *storages[N_STORAGES];
  for (int i = 0; i < N_STORAGES; i++)
    storages[i] = g_bytes_new_static (pattern, sizeof pattern);
  g_autoptr (GBytes) zip = bx_test_torch_zip (pkl, storages, N_STORAGES);
  for (int i = 0; i < N_STORAGES; i++)
    g_bytes_unref (storages[i]);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxStateDict) sd = bx_torch_load_bytes (zip, "fuzz", &error);
  check_error (sd, error);
  exercise (sd);
  return 0;
}

int
bx_fuzz_safetensors (const guint8 *data, gsize size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxStateDict) sd = bx_safetensors_parse (bytes, "fuzz", &error);
  check_error (sd, error);
  exercise (sd);
  return 0;
}

int
bx_fuzz_npy (const guint8 *data, gsize size)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxTensor) t = bx_npy_parse (bytes, "fuzz", "x", &error);
  g_assert ((t == NULL) == (error != NULL));
  if (t)
    {
      g_autoptr (BxStateDict) sd = bx_state_dict_new ();
      g_assert (bx_state_dict_add (sd, t, NULL));
      exercise (sd);
      /* What we read, we can write back byte for byte. */
      g_autoptr (GBytes) again
          = bx_npy_serialize (t->dtype, t->ndim, t->shape, g_bytes_get_data (t->data, NULL), NULL);
      g_autoptr (GError) e2 = NULL;
      g_autoptr (BxTensor) t2 = bx_npy_parse (again, "fuzz-rewrite", "x", &e2);
      g_assert (t2 != NULL && g_bytes_equal (t->data, t2->data));
    }
  return 0;
}

BxFuzzEntry
bx_fuzz_lookup (const char *target)
{
  static const struct
  {
    const char *name;
    BxFuzzEntry entry;
  } table[] = {
    { "torch", bx_fuzz_torch },
    { "pickle", bx_fuzz_pickle },
    { "safetensors", bx_fuzz_safetensors },
    { "npy", bx_fuzz_npy },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    if (strcmp (table[i].name, target) == 0)
      return table[i].entry;
  return NULL;
}
