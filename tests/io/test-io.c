/* core/io against the fixtures of tests/reference/io_fixtures.py (PyTorch 1.13,
 * numpy, hand-written safetensors): every tensor's name, dtype, shape and the
 * SHA-256 of its bytes; the per-model key utilities; writers round-trip. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "bx-io-test-util.h"
#include "bx-test-data.h"
#include "io/bx-checkpoint.h"
#include "io/bx-npy.h"
#include "io/bx-pickle.h"
#include "io/bx-safetensors.h"
#include "io/bx-state-dict.h"
#include "io/bx-zip.h"

#define SENTINEL "/tmp/bx-io-fixture-was-executed"

static JsonObject *
expected_root (JsonParser **parser_out)
{
  g_autofree char *path = bx_test_fixture_path ("io/expected.json");
  JsonParser *parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  *parser_out = parser;
  return json_node_get_object (json_parser_get_root (parser));
}

static char *
sha256_hex (const void *data, gsize n)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, n);
}

static BxStateDict *
load_fixture (const char *name)
{
  g_autofree char *path = bx_test_fixture_path (name);
  g_autoptr (GError) error = NULL;
  BxStateDict *sd = bx_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (sd);
  return sd;
}

static GBytes *
fixture_bytes (const char *name)
{
  g_autofree char *path = bx_test_fixture_path (name);
  char *contents;
  gsize len;
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  return g_bytes_new_take (contents, len);
}

static gboolean
has_note (const BxStateDict *sd, const char *needle)
{
  for (guint i = 0; i < bx_state_dict_get_n_notes (sd); i++)
    if (strstr (bx_state_dict_get_note (sd, i), needle))
      return TRUE;
  return FALSE;
}

/* Every fixture: tensors in file order with the dtype, shape and bytes torch/numpy wrote. */
static void
test_expected_values (void)
{
  g_autoptr (JsonParser) parser = NULL;
  JsonObject *root = expected_root (&parser);
  g_autoptr (GList) files = json_object_get_members (root);
  guint n_files = 0, n_tensors = 0;
  for (GList *l = files; l; l = l->next)
    {
      const char *fname = l->data;
      JsonObject *fe = json_object_get_object_member (root, fname);
      g_autofree char *rel = g_strconcat ("io/", fname, NULL);
      g_autofree char *path = bx_test_fixture_path (rel);
      g_autoptr (BxStateDict) sd = load_fixture (rel);
      g_autoptr (GError) error = NULL;

      g_autofree char *sha = bx_checkpoint_sha256 (path, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (sha, ==, json_object_get_string_member (fe, "sha256"));

      JsonArray *tensors = json_object_get_array_member (fe, "tensors");
      if (bx_state_dict_size (sd) != json_array_get_length (tensors))
        g_error ("%s: %u tensors loaded, %u expected", fname, bx_state_dict_size (sd),
                 json_array_get_length (tensors));
      for (guint i = 0; i < json_array_get_length (tensors); i++)
        {
          JsonObject *te = json_array_get_object_element (tensors, i);
          const char *name = json_object_get_string_member (te, "name");
          const BxTensor *t = bx_state_dict_get_nth (sd, i);
          if (strcmp (t->name, name) != 0)
            g_error ("%s: tensor %u is '%s', expected '%s'", fname, i, t->name, name);
          g_assert_true (bx_state_dict_lookup (sd, name) == t);
          g_assert_cmpstr (bx_dtype_name (t->dtype), ==, json_object_get_string_member (te, "dtype"));
          JsonArray *shape = json_object_get_array_member (te, "shape");
          if (t->ndim != json_array_get_length (shape))
            g_error ("%s: tensor %s has %u dims, expected %u", fname, name, t->ndim,
                     json_array_get_length (shape));
          for (guint k = 0; k < t->ndim; k++)
            g_assert_cmpint (t->shape[k], ==, json_array_get_int_element (shape, k));
          gsize nbytes;
          const void *data = bx_tensor_get_data (t, &nbytes);
          g_autofree char *tsha = sha256_hex (data, nbytes);
          if (strcmp (tsha, json_object_get_string_member (te, "sha256")) != 0)
            g_error ("%s: tensor '%s' bytes differ from what torch/numpy wrote", fname, name);

          /* float32 view: sum and first values against the float64 reference. */
          gsize n;
          g_autofree float *f = bx_tensor_to_float (t, &n);
          g_assert_cmpuint (n, ==, t->numel);
          JsonNode *sum_node = json_object_get_member (te, "sum");
          if (!JSON_NODE_HOLDS_NULL (sum_node))
            {
              double ref = json_node_get_double (sum_node), sum = 0, mag = 0;
              for (gsize k = 0; k < n; k++)
                {
                  sum += f[k];
                  mag += fabs (f[k]);
                }
              /* int64 above 2^24 and float64 round when converted to float32. */
              g_assert_cmpfloat (fabs (sum - ref), <=, 1e-6 * MAX (mag, 1.0) + 1e-9 * fabs (ref));
            }
          JsonArray *first = json_object_get_array_member (te, "first");
          for (guint k = 0; k < json_array_get_length (first); k++)
            {
              JsonNode *v = json_array_get_element (first, k);
              if (JSON_NODE_HOLDS_NULL (v))
                continue;
              double ref = json_node_get_double (v);
              g_assert_cmpfloat (fabs (f[k] - ref), <=,
                                 1e-7 * fabs (ref) + (t->dtype == BX_DTYPE_I64 ? 1e-6 * fabs (ref) : 0));
            }
          n_tensors++;
        }
      if (json_object_has_member (fe, "metadata"))
        {
          JsonObject *meta = json_object_get_object_member (fe, "metadata");
          g_autoptr (GList) keys = json_object_get_members (meta);
          for (GList *k = keys; k; k = k->next)
            g_assert_cmpstr (bx_state_dict_get_metadata (sd, k->data), ==,
                             json_object_get_string_member (meta, k->data));
          g_autofree const char **all = bx_state_dict_get_metadata_keys (sd);
          g_assert_cmpuint (g_strv_length ((char **)all), ==, g_list_length (keys));
        }
      n_files++;
    }
  g_assert_cmpuint (n_files, >=, 20);
  g_test_message ("%u files, %u tensors checked", n_files, n_tensors);
}

static void
test_formats (void)
{
  static const struct
  {
    const char *file, *format;
  } cases[] = {
    { "io/labram_like.pt", "pytorch-zip" },
    { "io/legacy.pt", "pytorch-legacy" },
    { "io/small.safetensors", "safetensors" },
    { "io/stored.npz", "npz" },
    { "io/deflated.npz", "npz" },
    { "io/f4.npy", "npy" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (BxStateDict) sd = load_fixture (cases[i].file);
      g_assert_cmpstr (bx_state_dict_get_format (sd), ==, cases[i].format);
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (BxStateDict) none = bx_checkpoint_load ("/nonexistent/model.pt", &error);
  g_assert_null (none);
  g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_OPEN);
  g_assert_nonnull (strstr (error->message, "/nonexistent/model.pt"));
}

/* LaBraM: {'model': …} with `student.` keys; keep student.*, drop the rest. */
static void
test_labram_keys (void)
{
  g_autoptr (BxStateDict) file = load_fixture ("io/labram_like.pt");
  static const char *const paths[] = { "model", "model_state_dict", "state_dict", NULL };
  const char *chosen = NULL;
  g_autoptr (BxStateDict) model = bx_state_dict_select_first (file, paths, &chosen);
  g_assert_cmpstr (chosen, ==, "model");
  g_assert_true (bx_state_dict_has_prefix (model, "student."));
  g_autoptr (GError) error = NULL;
  g_autoptr (BxStateDict) sd = bx_state_dict_strip_prefix (model, "student.", BX_PREFIX_DROP_OTHERS, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bx_state_dict_size (sd), ==, 10);
  const BxTensor *t = bx_state_dict_lookup (sd, "time_embed");
  g_assert_nonnull (t);
  /* Data is shared, not copied. */
  g_assert_true (t->data == bx_state_dict_lookup (file, "model.student.time_embed")->data);
  g_assert_nonnull (bx_state_dict_lookup (sd, "lm_head.weight"));
  g_assert_true (bx_state_dict_lookup (sd, "lm_head.weight")->data
                 == bx_state_dict_lookup (file, "model.student.lm_head.weight")->data);
  g_assert_null (bx_state_dict_lookup (sd, "projection_head.0.weight"));

  /* The model's expected keys: time_embed rows are free (-1), one key missing, one shape wrong. */
  BxTensorSpec specs[] = {
    { "cls_token", 3, { 1, 1, 8 } },
    { "time_embed", 3, { 1, -1, 8 } },
    { "patch_embed.conv1.weight", 4, { 2, 1, 1, 3 } },
    { "blocks.0.attn.qkv.weight", 2, { 24, 8 } },
    { "blocks.0.attn.proj.weight", 2, { 8, 8 } },
    { "norm.weight", 1, { 9 } },
  };
  g_autoptr (BxStateDictCheck) check = bx_state_dict_check (sd, specs, G_N_ELEMENTS (specs));
  g_assert_false (bx_state_dict_check_ok (check));
  g_assert_cmpuint (check->n_matched, ==, 4);
  g_assert_cmpuint (check->missing->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (check->missing, 0), ==, "blocks.0.attn.proj.weight");
  g_assert_cmpuint (check->mismatched->len, ==, 1);
  g_assert_cmpuint (check->unexpected->len, ==, 5);
  g_autofree char *msg = bx_state_dict_check_format (check, "labram_like.pt", 3);
  g_test_message ("%s", msg);
  g_assert_nonnull (strstr (msg, "1 missing key: blocks.0.attn.proj.weight"));
  g_assert_nonnull (strstr (msg, "norm.weight: expected (9,), file has (8,)"));
  g_assert_nonnull (strstr (msg, "5 unexpected keys (ignored)"));
  g_assert_nonnull (strstr (msg, "(2 more)"));
  g_assert_false (bx_state_dict_check_strict (sd, specs, G_N_ELEMENTS (specs), "labram_like.pt", &error));
  g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "labram_like.pt"));
  g_clear_error (&error);
  g_assert_true (bx_state_dict_check_strict (sd, specs, 4, "ok", &error));
  g_assert_no_error (error);

  g_assert_nonnull (bx_state_dict_require (sd, "cls_token", 3, (gint64[]){ 1, 1, 8 }, &error));
  float cls[8], cls_ref[8];
  g_assert_true (bx_state_dict_copy_float (sd, "cls_token", 3, (gint64[]){ 1, 1, 8 }, cls, 8, &error));
  g_assert_true (
      bx_tensor_copy_float (bx_state_dict_lookup (file, "model.student.cls_token"), cls_ref, 8, &error));
  g_assert_cmpmem (cls, sizeof cls, cls_ref, sizeof cls_ref);
  g_assert_false (bx_state_dict_copy_float (sd, "cls_token", 3, (gint64[]){ 1, 1, 8 }, cls, 7, &error));
  g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (bx_state_dict_copy_float (sd, "no_such", -1, NULL, cls, 8, &error));
  g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (bx_state_dict_require (sd, "cls_token", 2, (gint64[]){ 1, 8 }, &error));
  g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_MISMATCH);
  g_clear_error (&error);
  g_assert_null (bx_state_dict_select (file, "nothing", &error));
  g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_NOT_FOUND);
}

/* HuBERT-ECG: model_state_dict + pickled config object + both weight-norm spellings. */
static void
test_hubert_keys (void)
{
  g_autoptr (BxStateDict) file = load_fixture ("io/hubert_like.pt");
  g_autoptr (GError) error = NULL;
  g_autoptr (BxStateDict) sd = bx_state_dict_select (file, "model_state_dict", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bx_state_dict_size (sd), ==, 10);
  g_assert_cmpuint (bx_state_dict_size (file), ==, 10);
  for (guint i = 0; i < bx_state_dict_get_n_notes (file); i++)
    g_test_message ("note: %s", bx_state_dict_get_note (file, i));
  g_assert_true (has_note (file, "model_config: inert object hubert_ecg.HuBERTECGConfig (not executed)"));
  g_assert_true (has_note (file, "args: inert object argparse.Namespace"));
  g_assert_true (has_note (file, "epoch = 19"));
  g_assert_true (has_note (file, "best_val_loss = 0.25"));
  g_assert_true (has_note (file, "name = 'hubert_ecg_small'"));
  g_assert_true (has_note (file, "hubert_ecg.HuBERTECGConfig, argparse.Namespace"));

  g_autoptr (BxStateDict) param
      = bx_state_dict_normalize_weight_norm (sd, BX_WEIGHT_NORM_PARAMETRIZATION, &error);
  g_assert_no_error (error);
  const BxTensor *g
      = bx_state_dict_lookup (param, "encoder.pos_conv_embed.conv.parametrizations.weight.original0");
  const BxTensor *v
      = bx_state_dict_lookup (param, "encoder.pos_conv_embed.conv.parametrizations.weight.original1");
  g_assert_nonnull (g);
  g_assert_nonnull (v);
  g_assert_true (bx_tensor_shape_equals (g, 3, (gint64[]){ 1, 1, 8 }));
  g_assert_true (bx_tensor_shape_equals (v, 3, (gint64[]){ 16, 4, 8 }));
  g_assert_null (bx_state_dict_lookup (param, "encoder.pos_conv_embed.conv.weight_g"));
  g_assert_nonnull (bx_state_dict_lookup (param, "encoder.other_conv.parametrizations.weight.original0"));

  g_autoptr (BxStateDict) legacy = bx_state_dict_normalize_weight_norm (sd, BX_WEIGHT_NORM_LEGACY, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bx_state_dict_lookup (legacy, "encoder.pos_conv_embed.conv.weight_g"));
  g_assert_true (bx_tensor_shape_equals (bx_state_dict_lookup (legacy, "encoder.other_conv.weight_v"), 3,
                                         (gint64[]){ 4, 2, 3 }));
  g_assert_null (bx_state_dict_lookup (legacy, "encoder.other_conv.parametrizations.weight.original1"));
  g_assert_cmpuint (bx_state_dict_size (legacy), ==, bx_state_dict_size (sd));
  /* Order is kept. */
  for (guint i = 0; i < bx_state_dict_size (sd); i++)
    g_assert_true (bx_state_dict_get_nth (sd, i)->data == bx_state_dict_get_nth (legacy, i)->data);
}

/* PaPaGei: bare dict, optional `module.` prefix, BatchNorm int64 counters. */
static void
test_papagei_keys (void)
{
  g_autoptr (BxStateDict) file = load_fixture ("io/papagei_like.pt");
  static const char *const paths[] = { "model", "model_state_dict", "state_dict", NULL };
  const char *chosen = "x";
  g_autoptr (BxStateDict) bare = bx_state_dict_select_first (file, paths, &chosen);
  g_assert_null (chosen);
  g_assert_true (bare == file);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxStateDict) sd = bx_state_dict_strip_prefix (bare, "module.", BX_PREFIX_KEEP_OTHERS, &error);
  g_assert_no_error (error);
  const BxTensor *nbt = bx_state_dict_lookup (sd, "first_block_bn.num_batches_tracked");
  g_assert_nonnull (nbt);
  g_assert_cmpint (nbt->dtype, ==, BX_DTYPE_I64);
  g_assert_cmpuint (nbt->ndim, ==, 0);
  gint64 count = 0;
  g_assert_true (bx_tensor_get_int64 (nbt, 0, &count));
  g_assert_cmpint (count, ==, 2); /* two forward passes in train mode */
  g_assert_false (bx_tensor_get_int64 (nbt, 1, &count));
  g_assert_false (bx_tensor_get_int64 (bx_state_dict_lookup (sd, "first_block_bn.running_var"), 0, &count));
  g_assert_nonnull (bx_state_dict_lookup (sd, "basicblock_list.0.conv1.conv.weight"));
  /* Stripping twice changes nothing; a clash is an error. */
  g_autoptr (BxStateDict) again = bx_state_dict_strip_prefix (sd, "module.", BX_PREFIX_KEEP_OTHERS, &error);
  g_assert_cmpuint (bx_state_dict_size (again), ==, bx_state_dict_size (sd));
  g_autoptr (BxStateDict) clash = bx_state_dict_new ();
  float one = 1;
  g_assert_true (bx_state_dict_add_float (clash, "a", 0, NULL, &one, &error));
  g_assert_true (bx_state_dict_add_float (clash, "module.a", 0, NULL, &one, &error));
  g_assert_false (bx_state_dict_add_float (clash, "a", 0, NULL, &one, &error));
  g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT);
  g_clear_error (&error);
  g_autoptr (BxStateDict) bad = bx_state_dict_strip_prefix (clash, "module.", BX_PREFIX_KEEP_OTHERS, &error);
  g_assert_null (bad);
  g_assert_nonnull (strstr (error->message, "duplicate tensor name 'a'"));
  g_assert_cmpuint (bx_state_dict_numel (sd), ==, 4 * 3 + 4 + 4 * 4 + 1 + 4 * 4 * 3);
}

/* Views: the exact values torch shows for each view of a shared storage. */
static void
test_views (void)
{
  g_autoptr (BxStateDict) sd = load_fixture ("io/views.pt");
  const BxTensor *base = bx_state_dict_lookup (sd, "base");
  const BxTensor *row = bx_state_dict_lookup (sd, "row");
  const BxTensor *col = bx_state_dict_lookup (sd, "col");
  const BxTensor *tr = bx_state_dict_lookup (sd, "transposed");
  const BxTensor *scalar = bx_state_dict_lookup (sd, "scalar");
  const BxTensor *expanded = bx_state_dict_lookup (sd, "expanded");
  g_autofree float *b = bx_tensor_to_float (base, NULL);
  g_autofree float *r = bx_tensor_to_float (row, NULL);
  g_autofree float *c = bx_tensor_to_float (col, NULL);
  g_autofree float *t = bx_tensor_to_float (tr, NULL);
  g_autofree float *s = bx_tensor_to_float (scalar, NULL);
  g_autofree float *e = bx_tensor_to_float (expanded, NULL);
  for (int i = 0; i < 24; i++)
    g_assert_cmpfloat (b[i], ==, 0.5f * i);
  for (int j = 0; j < 6; j++)
    g_assert_cmpfloat (r[j], ==, b[6 + j]);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (c[i], ==, b[6 * i + 2]);
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 4; j++)
      g_assert_cmpfloat (t[i * 4 + j], ==, b[j * 6 + i]);
  g_assert_cmpuint (scalar->ndim, ==, 0);
  g_assert_cmpfloat (s[0], ==, b[15]);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 3; j++)
      g_assert_cmpfloat (e[i * 3 + j], ==, (float)j);
  /* Contiguous views share the storage bytes; strided ones are copies. */
  const guint8 *bp = bx_tensor_get_data (base, NULL), *rp = bx_tensor_get_data (row, NULL);
  g_assert_true (rp == bp + 6 * 4);
  g_assert_cmpuint (bx_state_dict_lookup (sd, "empty")->numel, ==, 0);
}

static void
test_dtype_conversion (void)
{
  g_autoptr (BxStateDict) sd = load_fixture ("io/dtypes.pt");
  g_autofree float *h = bx_tensor_to_float (bx_state_dict_lookup (sd, "f16_special"), NULL);
  /* 6.1e-5 rounds to the largest subnormal half, 1023 · 2^-24. */
  const float want[]
      = { 0.0f,      -0.0f,          6.0975551605224609375e-05f, 5.9604644775390625e-08f, 65504.0f, INFINITY,
          -INFINITY, 0.333251953125f };
  for (int i = 0; i < 8; i++)
    g_assert_cmpfloat (h[i], ==, want[i]);
  g_assert_true (signbit (h[1]));
  gint64 v = 0;
  g_assert_true (bx_tensor_get_int64 (bx_state_dict_lookup (sd, "i64"), 2, &v));
  g_assert_cmpint (v, ==, G_GINT64_CONSTANT (1) << 40);
  g_assert_true (bx_tensor_get_int64 (bx_state_dict_lookup (sd, "num_batches_tracked"), 0, &v));
  g_assert_cmpint (v, ==, G_GINT64_CONSTANT (12345678901));
  g_assert_true (bx_tensor_get_int64 (bx_state_dict_lookup (sd, "u8"), 1, &v));
  g_assert_cmpint (v, ==, 200);
  g_assert_true (bx_tensor_get_int64 (bx_state_dict_lookup (sd, "i8"), 0, &v));
  g_assert_cmpint (v, ==, -7);
  g_autofree float *bo = bx_tensor_to_float (bx_state_dict_lookup (sd, "b"), NULL);
  g_assert_cmpfloat (bo[0], ==, 1.0f);
  g_assert_cmpfloat (bo[1], ==, 0.0f);
  float small[3];
  g_autoptr (GError) error = NULL;
  g_assert_false (bx_tensor_copy_float (bx_state_dict_lookup (sd, "u8"), small, 2, &error));
  g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_INVALID);

  BxDType dt;
  g_assert_true (bx_dtype_from_name ("torch.bfloat16", &dt) && dt == BX_DTYPE_BF16);
  g_assert_true (bx_dtype_from_name ("F16", &dt) && dt == BX_DTYPE_F16);
  g_assert_true (bx_dtype_from_name ("long", &dt) && dt == BX_DTYPE_I64);
  g_assert_false (bx_dtype_from_name ("complex64", &dt));
}

/* Hostile pickles: os.system / eval are recorded as inert objects, never run. */
static void
test_hostile (void)
{
  g_unlink (SENTINEL);
  g_autoptr (BxStateDict) sd = load_fixture ("io/hostile.pt");
  g_assert_false (g_file_test (SENTINEL, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (bx_state_dict_size (sd), ==, 1);
  g_assert_nonnull (bx_state_dict_lookup (sd, "model.weight"));
  for (guint i = 0; i < bx_state_dict_get_n_notes (sd); i++)
    g_test_message ("note: %s", bx_state_dict_get_note (sd, i));
  g_assert_true (has_note (sd, "shell: inert object posix.system (not executed)"));
  g_assert_true (has_note (sd, "evil: inert object __builtin__.eval (not executed)"));
  g_assert_true (has_note (sd, "never executed): posix.system, __builtin__.eval"));

  /* Protocol-0 text pickle: cos\nsystem\n(S'touch …'\ntR. → inert object at the root. */
  const char *p0 = "cos\nsystem\n(S'touch " SENTINEL "'\ntR.";
  g_autoptr (GError) error = NULL;
  g_autoptr (BxPickle) pk = bx_pickle_load ((const guint8 *)p0, strlen (p0), "p0", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pk->root->kind, ==, BX_PICKLE_OBJECT);
  g_assert_cmpstr (g_ptr_array_index (pk->foreign_globals, 0), ==, "os.system");
  g_autofree char *desc = bx_pickle_value_describe (pk->root);
  g_assert_cmpstr (desc, ==, "inert object os.system (not executed)");

  /* The same as a torch archive: refused as "not a state dict", nothing runs. */
  g_autoptr (GBytes) pkl = g_bytes_new_static (p0, strlen (p0));
  g_autoptr (GBytes) zip = bx_test_torch_zip (pkl, NULL, 0);
  g_autoptr (BxStateDict) none = bx_checkpoint_load_bytes (zip, "evil.pt", &error);
  g_assert_null (none);
  g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "evil.pt"));
  g_assert_nonnull (strstr (error->message, "os.system"));
  g_assert_false (g_file_test (SENTINEL, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  /* STACK_GLOBAL builtins.eval + NEWOBJ + BUILD inside a dict: inert, reported. */
  const guint8 p4[] = { 0x80, 4,    '}', 0x8c, 1,   'x', 0x8c, 8,    'b', 'u',  'i', 'l', 't', 'i', 'n',
                        's',  0x8c, 4,   'e',  'v', 'a', 'l',  0x93, ')', 0x81, 'N', 'b', 's', '.' };
  g_autoptr (GBytes) p4b = g_bytes_new_static (p4, sizeof p4);
  g_autoptr (GBytes) zip4 = bx_test_torch_zip (p4b, NULL, 0);
  g_autoptr (BxStateDict) sd4 = bx_checkpoint_load_bytes (zip4, "p4.pt", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bx_state_dict_size (sd4), ==, 0);
  g_assert_true (has_note (sd4, "x: inert object builtins.eval (not executed)"));
  g_assert_true (has_note (sd4, "never executed): builtins.eval"));
}

/* Truncation at every byte: an error naming the file, never a crash. */
static void
test_truncations (void)
{
  static const char *const files[]
      = { "io/views.pt",     "io/legacy.pt", "io/small.safetensors", "io/stored.npz",
          "io/deflated.npz", "io/f4.npy",    "io/hostile.pt",        "io/fortran.npy" };
  guint n_checked = 0;
  for (gsize f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autoptr (GBytes) whole = fixture_bytes (files[f]);
      gsize len = g_bytes_get_size (whole);
      for (gsize cut = 0; cut < len; cut++)
        {
          /* A fresh allocation of exactly `cut` bytes so ASan sees any overread. */
          g_autoptr (GBytes) part = g_bytes_new (g_bytes_get_data (whole, NULL), cut);
          g_autoptr (GError) error = NULL;
          g_autoptr (BxStateDict) sd = bx_checkpoint_load_bytes (part, "cut.bin", &error);
          if (sd != NULL)
            g_error ("%s cut to %zu of %zu bytes loaded without error", files[f], cut, len);
          g_assert_nonnull (error);
          g_assert_nonnull (strstr (error->message, "cut.bin"));
          n_checked++;
        }
    }
  g_test_message ("%u truncated files rejected", n_checked);
}

static void
load_any (GBytes *bytes)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BxStateDict) sd = bx_checkpoint_load_bytes (bytes, "flip.bin", &error);
  if (sd == NULL)
    {
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "flip.bin"));
      return;
    }
  g_assert_no_error (error);
  for (guint i = 0; i < bx_state_dict_size (sd); i++)
    {
      const BxTensor *t = bx_state_dict_get_nth (sd, i);
      g_autofree float *f = bx_tensor_to_float (t, NULL);
      g_assert_nonnull (f);
      g_assert_cmpuint (g_bytes_get_size (t->data), ==, t->numel * bx_dtype_size (t->dtype));
    }
}

/* Bit flips anywhere in whole files, and inside data.pkl of a re-built
 * archive (valid CRCs, so the flips reach the pickle machine). */
static void
test_bit_flips (void)
{
  static const char *const files[]
      = { "io/views.pt", "io/legacy.pt", "io/small.safetensors", "io/deflated.npz", "io/v3.npy" };
  guint n = 0;
  for (gsize f = 0; f < G_N_ELEMENTS (files); f++)
    {
      g_autoptr (GBytes) whole = fixture_bytes (files[f]);
      gsize len;
      const guint8 *d = g_bytes_get_data (whole, &len);
      for (gsize pos = 0; pos < len; pos++)
        for (int bit = 0; bit < 8; bit += 3)
          {
            guint8 *copy = g_memdup2 (d, len);
            copy[pos] ^= (guint8)(1u << bit);
            g_autoptr (GBytes) b = g_bytes_new_take (copy, len);
            load_any (b);
            n++;
          }
    }

  g_autoptr (GError) error = NULL;
  g_autofree char *path = bx_test_fixture_path ("io/views.pt");
  g_autoptr (BxZip) zip = bx_zip_open (path, &error);
  g_assert_no_error (error);
  g_autoptr (GBytes) pkl = bx_zip_read (zip, bx_zip_find (zip, "views/data.pkl"), &error);
  g_assert_no_error (error);
  g_autoptr (GPtrArray) storages = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  for (guint i = 0;; i++)
    {
      g_autofree char *name = g_strdup_printf ("views/data/%u", i);
      const BxZipEntry *e = bx_zip_find (zip, name);
      if (e == NULL)
        break;
      g_ptr_array_add (storages, bx_zip_read (zip, e, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (storages->len, >=, 3);
  gsize plen;
  const guint8 *pd = g_bytes_get_data (pkl, &plen);
  {
    g_autoptr (GBytes) rebuilt = bx_test_torch_zip (pkl, (GBytes *const *)storages->pdata, storages->len);
    g_autoptr (BxStateDict) sd = bx_checkpoint_load_bytes (rebuilt, "rebuilt", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (bx_state_dict_size (sd), ==, 11);
  }
  for (gsize pos = 0; pos < plen; pos++)
    for (int bit = 0; bit < 8; bit++)
      {
        guint8 *copy = g_memdup2 (pd, plen);
        copy[pos] ^= (guint8)(1u << bit);
        g_autoptr (GBytes) b = g_bytes_new_take (copy, plen);
        g_autoptr (GBytes) z = bx_test_torch_zip (b, (GBytes *const *)storages->pdata, storages->len);
        g_autoptr (GBytes) named = g_bytes_ref (z);
        load_any (named);
        n++;
      }
  g_test_message ("%u bit-flipped inputs handled", n);
}

static void
test_zip_limits (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *bomb = bx_test_fixture_path ("io/bomb.npz");
  g_autoptr (BxStateDict) sd = bx_checkpoint_load (bomb, &error);
  g_assert_null (sd);
  g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_LIMIT);
  g_assert_nonnull (strstr (error->message, "bomb.npz"));
  g_assert_nonnull (strstr (error->message, "zip bomb"));
  g_clear_error (&error);

  /* A deflated member that inflates beyond its declared size (lying directory). */
  guint8 *zeros = g_malloc0 (4096);
  g_autoptr (GBytes) zb = g_bytes_new_take (zeros, 4096);
  BxTestZipMember m = { "x.npy", zb, TRUE, FALSE };
  g_autoptr (GBytes) z = bx_test_zip_build (&m, 1);
  gsize zlen = g_bytes_get_size (z);
  guint8 *patched = g_memdup2 (g_bytes_get_data (z, NULL), zlen);
  /* Uncompressed size fields: local header +22, central entry +24. */
  patched[22] = 16, patched[23] = 0;
  gsize cd = 0;
  for (gsize p = 0; p + 4 <= zlen; p++)
    if (memcmp (patched + p, "PK\x01\x02", 4) == 0)
      cd = p;
  g_assert_cmpuint (cd, >, 0);
  patched[cd + 24] = 16, patched[cd + 25] = 0;
  g_autoptr (GBytes) pb = g_bytes_new_take (patched, zlen);
  g_autoptr (BxZip) zip = bx_zip_open_bytes (pb, "liar.zip", &error);
  g_assert_no_error (error);
  g_autoptr (GBytes) member = bx_zip_read (zip, bx_zip_get_entry (zip, 0), &error);
  g_assert_null (member);
  g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "inflates beyond its declared size"));
  g_clear_error (&error);

  /* Member-size limit. */
  BxZipLimits lim
      = { .max_member_size = 100, .max_ratio = 256, .ratio_free_size = 1 << 20, .max_entries = 10 };
  g_autoptr (BxZip) zip2 = bx_zip_open_bytes (z, "big.zip", &error);
  g_assert_no_error (error);
  bx_zip_set_limits (zip2, &lim);
  g_autoptr (GBytes) m2 = bx_zip_read (zip2, bx_zip_find (zip2, "x.npy"), &error);
  g_assert_null (m2);
  g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_LIMIT);
  g_clear_error (&error);

  /* Central directory says a different name than the local header. */
  guint8 *renamed = g_memdup2 (g_bytes_get_data (z, NULL), zlen);
  renamed[30] = 'y';
  g_autoptr (GBytes) rb = g_bytes_new_take (renamed, zlen);
  g_autoptr (BxZip) zip3 = bx_zip_open_bytes (rb, "renamed.zip", &error);
  g_assert_null (zip3);
  g_assert_nonnull (strstr (error->message, "central/local directory mismatch"));
  g_clear_error (&error);

  /* An .npz member that is not an .npy. */
  g_autoptr (GBytes) junk = g_bytes_new_static ("hello", 5);
  BxTestZipMember mj[2] = { { "a.npy", junk, FALSE, FALSE }, { "notes.txt", junk, FALSE, FALSE } };
  g_autoptr (GBytes) zj = bx_test_zip_build (mj, 2);
  g_autoptr (BxStateDict) sdj = bx_checkpoint_load_bytes (zj, "mixed.zip", &error);
  g_assert_null (sdj);
  g_assert_nonnull (strstr (error->message, "neither a PyTorch checkpoint"));
}

/* Members whose sizes and offsets live in zip64 extra fields (as torch writes them for > 4 GiB). */
static void
test_zip64_members (void)
{
  g_autoptr (GBytes) a = fixture_bytes ("io/f4.npy");
  g_autoptr (GBytes) b = fixture_bytes ("io/i8.npy");
  BxTestZipMember m[2] = { { "f4.npy", a, FALSE, TRUE }, { "i8.npy", b, TRUE, TRUE } };
  g_autoptr (GBytes) z = bx_test_zip_build (m, 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxStateDict) sd = bx_checkpoint_load_bytes (z, "zip64.npz", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (bx_state_dict_get_format (sd), ==, "npz");
  g_autoptr (BxTensor) f4 = bx_npy_parse (a, "f4.npy", "f4", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (bx_state_dict_lookup (sd, "f4")->data, f4->data));
  g_assert_cmpuint (bx_state_dict_lookup (sd, "i8")->numel, ==, 3);

  /* The zip64 field cut short: a clear error, not a read past the header. */
  gsize len = g_bytes_get_size (z);
  guint8 *bad = g_memdup2 (g_bytes_get_data (z, NULL), len);
  for (gsize p = 0; p + 4 <= len; p++)
    if (memcmp (bad + p, "PK\x01\x02", 4) == 0)
      {
        bad[p + 46 + 6 + 2] = 8; /* extra field claims 8 bytes: too short for two sizes */
        break;
      }
  g_autoptr (GBytes) bb = g_bytes_new_take (bad, len);
  g_autoptr (BxStateDict) none = bx_checkpoint_load_bytes (bb, "short64.npz", &error);
  g_assert_null (none);
  g_assert_nonnull (strstr (error->message, "short64.npz"));
  g_test_message ("%s", error->message);
}

static void
expect_pickle_error (const guint8 *p, gsize n, int code, const char *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BxPickle) pk = bx_pickle_load (p, n, "crafted.pkl", NULL, &error);
  g_assert_null (pk);
  g_assert_error (error, BX_IO_ERROR, code);
  if (strstr (error->message, needle) == NULL)
    g_error ("expected '%s' in: %s", needle, error->message);
  g_assert_nonnull (strstr (error->message, "crafted.pkl"));
}

/* Torch archive with one 4-element float storage and `pkl` as data.pkl. */
static BxStateDict *
load_with_storage (const guint8 *pkl, gsize n, GError **error)
{
  static const float four[4] = { 1, 2, 3, 4 };
  g_autoptr (GBytes) s0 = g_bytes_new_static (four, sizeof four);
  g_autoptr (GBytes) pb = g_bytes_new_static (pkl, n);
  g_autoptr (GBytes) z = bx_test_torch_zip (pb, &s0, 1);
  return bx_checkpoint_load_bytes (z, "crafted.pt", error);
}

static void
pk_raw (GByteArray *a, const char *bytes, guint n)
{
  g_byte_array_append (a, (const guint8 *)bytes, n);
}

/* BINUNICODE */
static void
pk_str (GByteArray *a, const char *s)
{
  guint32 n = (guint32)strlen (s);
  guint8 h[5] = { 'X', (guint8)n, (guint8)(n >> 8), 0, 0 };
  g_byte_array_append (a, h, 5);
  g_byte_array_append (a, (const guint8 *)s, n);
}

/* Huge declared sizes and limits. */
static void
test_huge_sizes (void)
{
  /* Strings claiming 4 GiB, memo index 2^32−1, unknown opcodes, no STOP. */
  const guint8 s1[] = { 0x80, 2, 'X', 0xff, 0xff, 0xff, 0xff, 'a' };
  expect_pickle_error (s1, sizeof s1, BX_IO_ERROR_FORMAT, "truncated");
  const guint8 s2[] = { 0x80, 2, 'N', 'r', 0xff, 0xff, 0xff, 0xff, '.' };
  expect_pickle_error (s2, sizeof s2, BX_IO_ERROR_LIMIT, "memo index");
  const guint8 s3[] = { 0x80, 2, 'h', 7, '.' };
  expect_pickle_error (s3, sizeof s3, BX_IO_ERROR_FORMAT, "memo slot 7 is empty");
  const guint8 s4[] = { 0x80, 2, 'N' };
  expect_pickle_error (s4, sizeof s4, BX_IO_ERROR_FORMAT, "without STOP");
  const guint8 s5[] = { 0x80, 2, 0xff, '.' };
  expect_pickle_error (s5, sizeof s5, BX_IO_ERROR_UNSUPPORTED, "unsupported");
  const guint8 s6[] = {
    0x80,
    2,
    '.',
  };
  expect_pickle_error (s6, sizeof s6, BX_IO_ERROR_FORMAT, "stack underflow");
  const guint8 s7[] = { 0x80, 9, 'N', '.' };
  expect_pickle_error (s7, sizeof s7, BX_IO_ERROR_UNSUPPORTED, "protocol 9");
  const guint8 s8[] = { 0x80, 4, 0x95, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 'N', '.' };
  expect_pickle_error (s8, sizeof s8, BX_IO_ERROR_FORMAT, "frame");

  /* Deep MARK nesting and a self-appending list (a cycle) stay bounded. */
  {
    gsize n = 300000;
    guint8 *deep = g_malloc (n + 1);
    memset (deep, '(', n);
    deep[n] = '.';
    expect_pickle_error (deep, n + 1, BX_IO_ERROR_LIMIT, "nested MARKs");
    g_free (deep);
  }
  {
    /* l = []; l.append(l); {'a': l} → cyclic reference note, no hang. */
    const guint8 cyc[] = { 0x80, 2, '}', 'X', 1, 0, 0, 0, 'a', ']', 'q', 0, 'h', 0, 'a', 's', '.' };
    g_autoptr (GError) error = NULL;
    g_autoptr (BxStateDict) sd = load_with_storage (cyc, sizeof cyc, &error);
    g_assert_no_error (error);
    g_assert_true (has_note (sd, "a.0: cyclic reference skipped"));
  }
  {
    /* A 2^20 × 2^20 stride-0 view (4 TiB as float32) of a 4-element storage must not be materialised. */
    GByteArray *a = g_byte_array_new ();
    pk_raw (a, "\x80\x02}", 3);
    pk_str (a, "t");
    pk_raw (a, "ctorch._utils\n_rebuild_tensor_v2\n((", 35);
    pk_str (a, "storage");
    pk_raw (a, "ctorch\nFloatStorage\n", 20);
    pk_str (a, "0");
    pk_str (a, "cpu");
    pk_raw (a, "K\x04tQK\x00", 6);
    pk_raw (a, "\x8a\x03\0\0\x10\x8a\x03\0\0\x10\x86", 11);
    guint stride_at = a->len;
    pk_raw (a, "K\x00K\x00\x86\x89NtRs.", 11);
    g_autoptr (GError) error = NULL;
    g_autoptr (BxStateDict) sd = load_with_storage (a->data, a->len, &error);
    g_assert_null (sd);
    g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_LIMIT);
    g_assert_nonnull (strstr (error->message, "tensor 't'"));
    /* The same view with stride (1, 1) runs out of its storage: a format error. */
    a->data[stride_at + 1] = 1;
    a->data[stride_at + 3] = 1;
    g_clear_error (&error);
    g_autoptr (BxStateDict) sd2 = load_with_storage (a->data, a->len, &error);
    g_assert_null (sd2);
    g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT);
    g_assert_nonnull (strstr (error->message, "does not fit in storage '0'"));
    /* A fitting (2, 2) view with strides (1, 1) of the same storage loads: values 1 2 / 2 3. */
    g_byte_array_set_size (a, 0);
    pk_raw (a, "\x80\x02}", 3);
    pk_str (a, "t");
    pk_raw (a, "ctorch._utils\n_rebuild_tensor_v2\n((", 35);
    pk_str (a, "storage");
    pk_raw (a, "ctorch\nFloatStorage\n", 20);
    pk_str (a, "0");
    pk_str (a, "cpu");
    pk_raw (a, "K\x04tQK\x00K\x02K\x02\x86K\x01K\x01\x86\x89NtRs.", 22);
    g_clear_error (&error);
    g_autoptr (BxStateDict) sd3 = load_with_storage (a->data, a->len, &error);
    g_assert_no_error (error);
    g_autofree float *v = bx_tensor_to_float (bx_state_dict_lookup (sd3, "t"), NULL);
    g_assert_cmpfloat (v[0], ==, 1);
    g_assert_cmpfloat (v[1], ==, 2);
    g_assert_cmpfloat (v[2], ==, 2);
    g_assert_cmpfloat (v[3], ==, 3);
    g_byte_array_unref (a);
  }

  /* safetensors: header length beyond the file, 10^12 × 10^12 shape, overlapping tensors, bad dtype. */
  static const struct
  {
    const char *json;
    const char *needle;
  } st[] = {
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],\"data_offsets\":[0,8]}}", "needs" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000000000,1000000000000],\"data_offsets\":[0,8]}}",
      "shape entry 1 is not a valid size" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1]"
      ","
      "\"data_offsets\":[4,8]}}",
      "overlap" },
    { "{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", "unsupported dtype" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", "not inside" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "shape entry 0" },
    { "{\"__metadata__\":{\"k\":1}}", "not a string" },
    { "{\"a\":[[[[[[[[[[[[1]]]]]]]]]]]]}", "nests deeper" },
    { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]", "not valid JSON" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (st); i++)
    {
      gsize jl = strlen (st[i].json);
      guint8 *buf = g_malloc0 (8 + jl + 8);
      buf[0] = (guint8)jl;
      memcpy (buf + 8, st[i].json, jl);
      g_autoptr (GBytes) b = g_bytes_new_take (buf, 8 + jl + 8);
      g_autoptr (GError) error = NULL;
      g_autoptr (BxStateDict) sd = bx_safetensors_parse (b, "crafted.safetensors", &error);
      g_assert_null (sd);
      if (strstr (error->message, st[i].needle) == NULL
          || strstr (error->message, "crafted.safetensors") == NULL)
        g_error ("case %zu: expected '%s' in: %s", i, st[i].needle, error->message);
    }
  {
    guint8 hdr[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}' };
    g_autoptr (GBytes) b = g_bytes_new_static (hdr, sizeof hdr);
    g_autoptr (GError) error = NULL;
    g_autoptr (BxStateDict) sd = bx_safetensors_parse (b, "huge.safetensors", &error);
    g_assert_null (sd);
    g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_LIMIT);
  }

  /* .npy: a shape of 10^18 elements, an object array, a structured dtype. */
  static const char *const npy[] = {
    "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000000000,), }",
    "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
    "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
    "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }",
  };
  for (gsize i = 0; i < G_N_ELEMENTS (npy); i++)
    {
      GByteArray *a = g_byte_array_new ();
      g_byte_array_append (a, (const guint8 *)"\x93NUMPY\x01\x00", 8);
      guint8 hl[2] = { (guint8)strlen (npy[i]), 0 };
      g_byte_array_append (a, hl, 2);
      g_byte_array_append (a, (const guint8 *)npy[i], (guint)strlen (npy[i]));
      g_byte_array_append (a, (const guint8 *)"\0\0\0\0", 4);
      g_autoptr (GBytes) b = g_byte_array_free_to_bytes (a);
      g_autoptr (GError) error = NULL;
      g_autoptr (BxTensor) t = bx_npy_parse (b, "crafted.npy", "x", &error);
      g_assert_null (t);
      g_assert_nonnull (strstr (error->message, "crafted.npy"));
      g_test_message ("npy case %zu: %s", i, error->message);
    }
}

static void
test_npy_roundtrip (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  const guint8 raw[64]
      = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x80, 0x3f, 0, 0, 0, 0, 0, 1 };
  for (int dt = 0; dt < BX_DTYPE_N; dt++)
    {
      if (dt == BX_DTYPE_BF16)
        continue; /* numpy has no bfloat16 */
      gint64 shape[3] = { 2, 1, 3 };
      for (guint ndim = 0; ndim <= 3; ndim++)
        {
          g_autofree char *path = g_strdup_printf ("%s/%s_%u.npy", dir, bx_dtype_name (dt), ndim);
          g_autoptr (GError) error = NULL;
          g_assert_true (bx_npy_write (path, dt, ndim, shape, raw, &error));
          g_assert_no_error (error);
          g_autoptr (BxTensor) t = bx_npy_read (path, &error);
          g_assert_no_error (error);
          g_assert_cmpint (t->dtype, ==, dt);
          g_assert_true (bx_tensor_shape_equals (t, ndim, shape));
          gsize n;
          const void *d = bx_tensor_get_data (t, &n);
          g_assert_cmpmem (d, n, raw, t->numel * bx_dtype_size (dt));
          /* numpy's rule: data starts 64-byte aligned. */
          gsize flen;
          g_autofree char *contents = NULL;
          g_assert_true (g_file_get_contents (path, &contents, &flen, NULL));
          g_assert_cmpuint ((flen - n) % 64, ==, 0);
          g_autoptr (BxStateDict) sd = bx_checkpoint_load (path, &error);
          g_assert_no_error (error);
          g_assert_cmpstr (bx_state_dict_get_nth (sd, 0)->name, ==, t->name);
        }
    }
  g_autoptr (GError) error = NULL;
  g_assert_false (bx_npy_write ("/nonexistent-dir/x.npy", BX_DTYPE_F32, 0, NULL, raw, &error));
  g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_WRITE);
  g_clear_error (&error);
  g_assert_false (bx_npy_write_float ("/tmp/x.npy", 1, (gint64[]){ -1 }, (const float *)raw, &error));
  g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_INVALID);
  g_clear_error (&error);

  /* Write the fixture f4.npy's tensor back and compare with numpy's bytes. */
  g_autofree char *f4 = bx_test_fixture_path ("io/f4.npy");
  g_autoptr (BxTensor) t = bx_npy_read (f4, &error);
  g_assert_no_error (error);
  g_autofree char *out = g_build_filename (dir, "f4.npy", NULL);
  g_assert_true (bx_npy_write_tensor (out, t, &error));
  g_autofree char *a = NULL, *b = NULL;
  gsize al, bl;
  g_assert_true (g_file_get_contents (f4, &a, &al, NULL));
  g_assert_true (g_file_get_contents (out, &b, &bl, NULL));
  g_assert_cmpmem (a, al, b, bl);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *entry;
  while ((entry = g_dir_read_name (d)))
    g_assert_false (g_str_has_prefix (entry, ".goutputstream"));
  bx_test_tmpdir_remove (dir);
}

static void
test_safetensors_roundtrip (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autoptr (BxStateDict) src = load_fixture ("io/small.safetensors");
  bx_state_dict_set_metadata (src, "bridge.rank", "8");
  g_autofree char *path = g_build_filename (dir, "out.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (bx_safetensors_write (path, src, &error));
  g_assert_no_error (error);
  g_autoptr (BxStateDict) back = bx_safetensors_read (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bx_state_dict_size (back), ==, bx_state_dict_size (src));
  for (guint i = 0; i < bx_state_dict_size (src); i++)
    {
      const BxTensor *a = bx_state_dict_get_nth (src, i), *b = bx_state_dict_get_nth (back, i);
      g_assert_cmpstr (a->name, ==, b->name);
      g_assert_cmpint (a->dtype, ==, b->dtype);
      g_assert_true (bx_tensor_shape_equals (b, a->ndim, a->shape));
      g_assert_true (g_bytes_equal (a->data, b->data));
    }
  g_assert_cmpstr (bx_state_dict_get_metadata (back, "bridge.rank"), ==, "8");
  g_assert_cmpstr (bx_state_dict_get_metadata (back, "note"), ==, "ünïcode ✓");
  /* Header padded so data starts 8-byte aligned. */
  g_autofree char *contents = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  guint64 hlen;
  memcpy (&hlen, contents, 8);
  g_assert_cmpuint (hlen % 8, ==, 0);

  /* A float state dict written and read back as floats. */
  g_autoptr (BxStateDict) sd = bx_state_dict_new ();
  float w[6] = { 1, -2, 3.5f, 1e-30f, -0.0f, 7 };
  g_assert_true (bx_state_dict_add_float (sd, "head.weight", 2, (gint64[]){ 2, 3 }, w, &error));
  g_assert_true (bx_safetensors_write (path, sd, &error));
  g_autoptr (BxStateDict) sd2 = bx_checkpoint_load (path, &error);
  g_assert_no_error (error);
  g_autofree float *f = bx_tensor_to_float (bx_state_dict_lookup (sd2, "head.weight"), NULL);
  g_assert_cmpmem (f, sizeof w, w, sizeof w);
  g_assert_false (bx_safetensors_write ("/nonexistent-dir/a.safetensors", sd, &error));
  g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_WRITE);
  bx_test_tmpdir_remove (dir);
}

static void
test_listing (void)
{
  const char *text = "cls_token\t(1, 1, 200)\ttorch.float32\n"
                     "first_block_bn.num_batches_tracked\t()\ttorch.int64\n"
                     "blocks.0.gamma_1\t(200,)\ttorch.float32\n";
  gsize n;
  char **strings = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree BxTensorSpec *specs = bx_tensor_spec_parse_listing (text, &n, &strings, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpstr (specs[0].name, ==, "cls_token");
  g_assert_cmpint (specs[0].ndim, ==, 3);
  g_assert_cmpint (specs[0].shape[2], ==, 200);
  g_assert_cmpint (specs[1].ndim, ==, 0);
  g_assert_cmpint (specs[2].ndim, ==, 1);
  g_strfreev (strings);
  g_autofree BxTensorSpec *bad = bx_tensor_spec_parse_listing ("x\t(1, a)\n", &n, &strings, &error);
  g_assert_null (bad);
  g_assert_error (error, BX_IO_ERROR, BX_IO_ERROR_FORMAT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/io/expected-values", test_expected_values);
  g_test_add_func ("/io/formats", test_formats);
  g_test_add_func ("/io/labram-keys", test_labram_keys);
  g_test_add_func ("/io/hubert-keys", test_hubert_keys);
  g_test_add_func ("/io/papagei-keys", test_papagei_keys);
  g_test_add_func ("/io/views", test_views);
  g_test_add_func ("/io/dtype-conversion", test_dtype_conversion);
  g_test_add_func ("/io/hostile", test_hostile);
  g_test_add_func ("/io/truncations", test_truncations);
  g_test_add_func ("/io/bit-flips", test_bit_flips);
  g_test_add_func ("/io/zip-limits", test_zip_limits);
  g_test_add_func ("/io/zip64-members", test_zip64_members);
  g_test_add_func ("/io/huge-sizes", test_huge_sizes);
  g_test_add_func ("/io/npy-roundtrip", test_npy_roundtrip);
  g_test_add_func ("/io/safetensors-roundtrip", test_safetensors_roundtrip);
  g_test_add_func ("/io/listing", test_listing);
  return g_test_run ();
}
