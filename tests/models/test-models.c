/* test-models.c — the four foundation models against the plain-torch
 * reference (tests/reference/models/models_fixtures.py): every hook layer
 * within 1e-4 × max|reference|, the pooled feature likewise, and input
 * gradients at the fixture's layers within 1e-3 relative (to the max);
 * checkpoint errors (wrong family, truncated file, missing key, wrong shape)
 * and the LaBraM time_embed quirk (spec §1.6-4). */
#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "bx-test-data.h"
#include "io/bx-checkpoint.h"
#include "io/bx-npy.h"
#include "io/bx-safetensors.h"
#include "models/bx-model.h"

typedef struct {
  gint64 shape[8];
  int ndim;
  gsize n;
  float *data;
} Array;

static void
array_clear (Array *a)
{
  g_clear_pointer (&a->data, g_free);
}

static gboolean
array_read (Array *a, const char *case_dir, const char *name)
{
  g_autofree char *rel = g_build_filename ("models", case_dir, name, NULL);
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BxTensor) t = NULL;

  path = g_build_filename (g_getenv ("BIOX_SOURCE_ROOT"), "tests", "fixtures", rel, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return FALSE;
  t = bx_npy_read (path, &error);
  g_assert_no_error (error);
  a->ndim = (int) t->ndim;
  for (int i = 0; i < a->ndim; i++)
    a->shape[i] = t->shape[i];
  a->data = bx_tensor_to_float (t, &a->n);
  return TRUE;
}

/* max |c − r| ≤ tol · max |r| */
static void
assert_close (const char *what, const float *c, const float *r, gsize n, double tol)
{
  double max_ref = 0.0, max_err = 0.0;
  gsize worst = 0;

  for (gsize i = 0; i < n; i++)
    {
      double e = fabs ((double) c[i] - (double) r[i]);
      g_assert_true (isfinite (c[i]));
      max_ref = MAX (max_ref, fabs ((double) r[i]));
      if (e > max_err)
        max_err = e, worst = i;
    }
  g_test_message ("%s: max err %.3g, max |ref| %.3g, ratio %.3g", what, max_err, max_ref,
                  max_ref > 0 ? max_err / max_ref : max_err);
  if (max_err > tol * max_ref)
    g_error ("%s: element %zu is %.8g, reference %.8g (max err %.3g > %.1g × max|ref| %.3g)", what, worst,
             c[worst], r[worst], max_err, tol, max_ref);
  g_assert_cmpfloat (max_ref, >, 0.0);
}

static JsonObject *
read_meta (const char *case_dir, JsonParser *parser)
{
  g_autofree char *rel = g_build_filename ("models", case_dir, "meta.json", NULL);
  g_autofree char *path = bx_test_fixture_path (rel);
  g_autoptr (GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_golden (gconstpointer data)
{
  const char *case_dir = data;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *meta = read_meta (case_dir, parser);
  const char *family_name = json_object_get_string_member (meta, "family");
  g_autofree char *rel = g_build_filename ("models", case_dir, json_object_get_string_member (meta, "checkpoint"), NULL);
  g_autofree char *ckpt = bx_test_fixture_path (rel);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxModel) model = NULL;
  g_autoptr (BxModelContext) ctx = bx_model_context_new ();
  BxModelFamily family;
  BxModelLoadOptions opt = { 0 };
  Array raw = { 0 }, ref = { 0 };
  g_autofree float *prep = NULL;
  gint64 prep_shape[6];
  int prep_ndim = 0, L, batch;
  float **caps;
  gsize n_in0;

  g_assert_true (bx_model_family_from_name (family_name, &family));
  if (json_object_has_member (meta, "heads"))
    opt.num_heads = (int) json_object_get_int_member (meta, "heads");
  model = bx_model_load_with_options (family, ckpt, &opt, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bx_model_get_family (model), ==, family);
  L = bx_model_get_n_layers (model);
  g_assert_cmpint (L, ==, json_object_get_int_member (meta, "n_layers"));
  batch = (int) json_object_get_int_member (meta, "batch");
  g_assert_null (bx_model_get_random_keys (model)[0]);

  g_assert_true (array_read (&raw, case_dir, "raw_input.npy"));
  prep = bx_model_prepare (model, raw.data, batch, raw.ndim - 1, raw.shape + 1, &prep_ndim, prep_shape, &error);
  g_assert_no_error (error);
  if (array_read (&ref, case_dir, "prepared_input.npy"))
    {
      g_assert_cmpint (ref.ndim, ==, prep_ndim + 1);
      for (int i = 0; i < prep_ndim; i++)
        g_assert_cmpint (ref.shape[i + 1], ==, prep_shape[i]);
      assert_close ("prepared input", prep, ref.data, ref.n, 1e-6);
      array_clear (&ref);
    }
  bx_model_set_input_shape (model, prep_ndim, prep_shape, &error);
  g_assert_no_error (error);

  /* stem alone, then the whole model with every hook captured */
  g_assert_true (array_read (&ref, case_dir, "embed.npy"));
  n_in0 = (gsize) bx_model_layer_numel (model, 0, TRUE);
  g_assert_cmpuint (n_in0 * batch, ==, ref.n);
  {
    g_autofree float *embed = g_new (float, ref.n);
    bx_model_forward (model, ctx, batch, BX_MODEL_FROM_PREPARED, 0, prep, embed, NULL, FALSE, &error);
    g_assert_no_error (error);
    assert_close ("embed (input of layer 0)", embed, ref.data, ref.n, 1e-4);
  }
  array_clear (&ref);

  caps = g_new0 (float *, L);
  for (int i = 0; i < L; i++)
    caps[i] = g_new (float, (gsize) bx_model_layer_numel (model, i, FALSE) * batch);
  bx_model_forward (model, ctx, batch, BX_MODEL_FROM_PREPARED, L, prep, NULL, caps, FALSE, &error);
  g_assert_no_error (error);
  for (int i = 0; i < L; i++)
    {
      g_autofree char *name = g_strdup_printf ("layer_%02d.npy", i);
      g_autofree char *what = g_strdup_printf ("%s layer %d output", case_dir, i);
      g_assert_true (array_read (&ref, case_dir, name));
      g_assert_cmpuint ((gsize) bx_model_layer_numel (model, i, FALSE) * batch, ==, ref.n);
      assert_close (what, caps[i], ref.data, ref.n, 1e-4);
      array_clear (&ref);
    }
  {
    int F = bx_model_feature_dim (model, L - 1, FALSE);
    g_autofree float *pooled = g_new (float, (gsize) F * batch);
    g_assert_true (array_read (&ref, case_dir, "pooled_last.npy"));
    g_assert_cmpuint ((gsize) F * batch, ==, ref.n);
    bx_model_pool (model, L - 1, FALSE, caps[L - 1], batch, pooled, &error);
    g_assert_no_error (error);
    assert_close ("pooled last layer", pooled, ref.data, ref.n, 1e-4);
    array_clear (&ref);
  }

  /* input gradients: forward from layer l on the reference input of layer l */
  {
    JsonArray *gl = json_object_get_array_member (meta, "grad_layers");
    gsize n_last = (gsize) bx_model_layer_numel (model, L - 1, FALSE) * batch;
    g_autofree float *seed = g_new (float, n_last);
    bx_model_test_grad_seed (seed, n_last);
    for (guint j = 0; j < json_array_get_length (gl); j++)
      {
        int l = (int) json_array_get_int_element (gl, j);
        Array in = { 0 }, grad = { 0 };
        g_autofree char *in_name = l == 0 ? g_strdup ("embed.npy") : g_strdup_printf ("layer_%02d.npy", l - 1);
        g_autofree char *g_name = g_strdup_printf ("grad_in_%02d.npy", l);
        g_autofree char *what = g_strdup_printf ("%s dL/d input of layer %d", case_dir, l);
        g_autofree float *d_in = NULL;
        g_assert_true (array_read (&in, case_dir, in_name));
        g_assert_true (array_read (&grad, case_dir, g_name));
        d_in = g_new (float, grad.n);
        bx_model_forward (model, ctx, batch, l, L, in.data, NULL, NULL, TRUE, &error);
        g_assert_no_error (error);
        bx_model_backward (model, ctx, seed, d_in, &error);
        g_assert_no_error (error);
        assert_close (what, d_in, grad.data, grad.n, 1e-3);
        array_clear (&in);
        array_clear (&grad);
      }
  }
  for (int i = 0; i < L; i++)
    g_free (caps[i]);
  g_free (caps);
  array_clear (&raw);
}

static gboolean
strv_has (const char *const *v, const char *s)
{
  for (; *v != NULL; v++)
    if (strcmp (*v, s) == 0)
      return TRUE;
  return FALSE;
}

static void
test_labram_keys_and_quirk (void)
{
  g_autofree char *ckpt = bx_test_fixture_path ("models/labram_pre/labram-base.pth");
  g_autoptr (GError) error = NULL;
  g_autoptr (BxModel) plain = bx_model_load (BX_MODEL_FAMILY_AUTO, ckpt, &error);
  BxModelLoadOptions opt = { .labram_time_rows = 30 };
  g_autoptr (BxModel) q1 = NULL;
  g_autoptr (BxModel) q2 = NULL;
  g_autoptr (BxModelContext) ctx = bx_model_context_new ();
  const gint64 shape[3] = { 6, 30, 200 };
  gsize n_in = 6 * 30 * 200, n_out;
  g_autofree float *x = g_new (float, n_in);
  g_autofree float *y1 = NULL, *y2 = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (bx_model_get_family (plain), ==, BX_MODEL_FAMILY_LABRAM);
  /* MEM pretraining keys that the encoder does not use are reported, not loaded */
  {
    static const char *const dropped[]
        = { "student.mask_token", "student.pos_embed", "student.norm.weight", "student.lm_head.weight",
              "lm_head.weight", "projection_head.0.weight" };
    for (gsize i = 0; i < G_N_ELEMENTS (dropped); i++)
      g_assert_true (strv_has (bx_model_get_ignored_keys (plain), dropped[i]));
  }
  g_assert_true (strv_has (bx_model_get_loaded_keys (plain), "time_embed"));
  {
    /* stage-1 fine-tuned layout: the probe's fc_norm and head are not part of the hooked backbone */
    g_autofree char *ft_path = bx_test_fixture_path ("models/labram_ft/checkpoint-19.pth");
    g_autoptr (BxModel) ft = bx_model_load (BX_MODEL_FAMILY_LABRAM, ft_path, &error);
    g_assert_no_error (error);
    g_assert_true (strv_has (bx_model_get_ignored_keys (ft), "fc_norm.weight"));
    g_assert_true (strv_has (bx_model_get_ignored_keys (ft), "head.weight"));
    g_assert_cmpuint (g_strv_length ((char **) bx_model_get_ignored_keys (ft)), ==, 4);
    g_assert_null (bx_model_get_warnings (ft)[0]);
  }
  g_assert_null (bx_model_get_warnings (plain)[0]);
  g_assert_nonnull (strstr (bx_model_get_layout (plain), "student."));

  /* 30-s model from a 16-row checkpoint: time_embed random + warning, deterministic */
  q1 = bx_model_load_with_options (BX_MODEL_FAMILY_LABRAM, ckpt, &opt, &error);
  g_assert_no_error (error);
  q2 = bx_model_load_with_options (BX_MODEL_FAMILY_LABRAM, ckpt, &opt, &error);
  g_assert_no_error (error);
  g_assert_true (strv_has (bx_model_get_random_keys (q1), "time_embed"));
  g_assert_nonnull (bx_model_get_warnings (q1)[0]);
  g_assert_nonnull (strstr (bx_model_get_warnings (q1)[0], "(1, 16, 200)"));
  /* a 30-s input is refused by the 16-row model, accepted by the 30-row one */
  g_assert_false (bx_model_set_input_shape (plain, 3, shape, &error));
  g_assert_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT);
  g_clear_error (&error);
  g_assert_true (bx_model_set_input_shape (q1, 3, shape, &error));
  g_assert_true (bx_model_set_input_shape (q2, 3, shape, &error));
  for (gsize i = 0; i < n_in; i++)
    x[i] = (float) sin (0.01 * i);
  n_out = (gsize) bx_model_layer_numel (q1, 1, FALSE);
  g_assert_cmpuint (n_out, ==, 181 * 200);
  y1 = g_new (float, n_out);
  y2 = g_new (float, n_out);
  g_assert_true (bx_model_forward (q1, ctx, 1, BX_MODEL_FROM_PREPARED, 2, x, y1, NULL, FALSE, &error));
  g_assert_true (bx_model_forward (q2, ctx, 1, BX_MODEL_FROM_PREPARED, 2, x, y2, NULL, FALSE, &error));
  g_assert_cmpmem (y1, n_out * sizeof (float), y2, n_out * sizeof (float));
}

#ifdef BX_MODELS_HAVE_HUBERT_ECG
/* The same HuBERT-ECG weights as safetensors with a `module.` prefix and the
 * torch ≥ 2.1 weight-norm names (parametrizations.weight.original0/1) load to
 * the same model: the last layer matches the reference. */
static void
test_hubert_renamed_safetensors (void)
{
  g_autofree char *ckpt = bx_test_fixture_path ("models/hubert/hubert_ecg_small.pt");
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *st = g_build_filename (dir, "hubert.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxStateDict) file = bx_checkpoint_load (ckpt, &error);
  g_autoptr (BxStateDict) sd = NULL;
  g_autoptr (BxStateDict) renamed = bx_state_dict_new ();
  g_autoptr (BxModel) model = NULL;
  g_autoptr (BxModelContext) ctx = bx_model_context_new ();
  Array raw = { 0 }, ref = { 0 };
  const gint64 shape[1] = { 3000 };
  g_autofree float *out = NULL;

  g_assert_no_error (error);
  sd = bx_state_dict_select (file, "model_state_dict", &error);
  g_assert_no_error (error);
  for (guint i = 0; i < bx_state_dict_size (sd); i++)
    {
      const BxTensor *t = bx_state_dict_get_nth (sd, i);
      g_autofree char *name = NULL;
      g_autoptr (BxTensor) copy = NULL;
      if (g_str_has_suffix (t->name, ".weight_g") || g_str_has_suffix (t->name, ".weight_v"))
        {
          g_autofree char *base = g_strndup (t->name, strlen (t->name) - strlen (".weight_g"));
          name = g_strdup_printf ("module.%s.parametrizations.weight.original%d", base,
                                  g_str_has_suffix (t->name, "_v") ? 1 : 0);
        }
      else
        name = g_strconcat ("module.", t->name, NULL);
      copy = bx_tensor_new (name, t->dtype, t->ndim, t->shape, t->data, &error);
      g_assert_no_error (error);
      bx_state_dict_add (renamed, copy, &error);
      g_assert_no_error (error);
    }
  bx_safetensors_write (st, renamed, &error);
  g_assert_no_error (error);
  model = bx_model_load (BX_MODEL_FAMILY_AUTO, st, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bx_model_get_family (model), ==, BX_MODEL_FAMILY_HUBERT_ECG);
  g_assert_nonnull (strstr (bx_model_get_layout (model), "module."));
  g_assert_true (bx_model_set_input_shape (model, 1, shape, &error));
  g_assert_true (array_read (&raw, "hubert", "raw_input.npy"));
  g_assert_true (array_read (&ref, "hubert", "layer_01.npy"));
  out = g_new (float, ref.n);
  g_assert_true (bx_model_forward (model, ctx, 2, BX_MODEL_FROM_PREPARED, 2, raw.data, out, NULL, FALSE, &error));
  assert_close ("hubert from renamed safetensors, layer 1", out, ref.data, ref.n, 1e-4);
  array_clear (&raw);
  array_clear (&ref);
  g_unlink (st);
  bx_test_tmpdir_remove (dir);
}
#endif

#ifdef BX_MODELS_HAVE_PAPAGEI
static void
expect_load_error (const char *path, BxModelFamily family, int code, const char *const *needles)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BxModel) model = bx_model_load (family, path, &error);

  g_assert_null (model);
  g_assert_error (error, BX_MODEL_ERROR, code);
  g_test_message ("error: %s", error->message);
  for (; needles != NULL && *needles != NULL; needles++)
    if (strstr (error->message, *needles) == NULL)
      g_error ("error message lacks '%s': %s", *needles, error->message);
}

static void
test_bad_checkpoints (void)
{
  g_autofree char *tiny = bx_test_fixture_path ("models/papagei_tiny.pt");
  g_autofree char *missing = bx_test_fixture_path ("models/papagei_missing_key.pt");
  g_autofree char *shape = bx_test_fixture_path ("models/papagei_wrong_shape.pt");
  g_autofree char *labram = bx_test_fixture_path ("models/labram_pre/labram-base.pth");
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *cut = g_build_filename (dir, "truncated.pth", NULL);
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;

  {
    g_autoptr (BxModel) ok = bx_model_load (BX_MODEL_FAMILY_PAPAGEI, tiny, &error);
    g_assert_no_error (error);
    g_assert_cmpint (bx_model_get_n_layers (ok), ==, 2);
    g_assert_true (strv_has (bx_model_get_ignored_keys (ok), "dense.weight"));
    g_assert_true (strv_has (bx_model_get_ignored_keys (ok), "basicblock_list.0.bn1.weight"));
  }
  expect_load_error (tiny, BX_MODEL_FAMILY_LABRAM, BX_MODEL_ERROR_FAMILY,
                     (const char *const[]){ "papagei_tiny.pt", "papagei", "labram", NULL });
  expect_load_error (missing, BX_MODEL_FAMILY_AUTO, BX_MODEL_ERROR_KEYS,
                     (const char *const[]){ "papagei_missing_key.pt", "basicblock_list.1.conv2.conv.weight", NULL });
  expect_load_error (shape, BX_MODEL_FAMILY_PAPAGEI, BX_MODEL_ERROR_KEYS,
                     (const char *const[]){ "basicblock_list.0.conv1.conv.weight", "(32, 32, 3)", "(32, 32, 5)",
                                            NULL });
  g_file_get_contents (labram, &contents, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (cut, contents, (gssize) (len / 2), &error);
  g_assert_no_error (error);
  expect_load_error (cut, BX_MODEL_FAMILY_AUTO, BX_MODEL_ERROR_FAMILY, (const char *const[]){ "truncated.pth", NULL });
  g_unlink (cut);
  bx_test_tmpdir_remove (dir);
}
#endif

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#ifdef BX_MODELS_HAVE_LABRAM
  g_test_add_data_func ("/models/labram/golden-pretrain-fog", "labram_pre", test_golden);
  g_test_add_data_func ("/models/labram/golden-finetune-isruc", "labram_ft", test_golden);
  g_test_add_func ("/models/labram/keys-and-time-embed-quirk", test_labram_keys_and_quirk);
#endif
#ifdef BX_MODELS_HAVE_HUBERT_ECG
  g_test_add_data_func ("/models/hubert-ecg/golden", "hubert", test_golden);
  g_test_add_func ("/models/hubert-ecg/renamed-safetensors", test_hubert_renamed_safetensors);
#endif
#ifdef BX_MODELS_HAVE_PAPAGEI
  g_test_add_data_func ("/models/papagei/golden", "papagei", test_golden);
  g_test_add_func ("/models/checkpoint-errors", test_bad_checkpoints);
#endif
#ifdef BX_MODELS_HAVE_NORMWEAR
  g_test_add_data_func ("/models/normwear/golden", "normwear", test_golden);
#endif
  return g_test_run ();
}
