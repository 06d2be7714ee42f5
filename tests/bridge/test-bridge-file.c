/* Bridge files (bx-bridge-file.h) and the pair-feature cache (bx-feature-cache.h).
 *
 * Bridge file: a round trip keeps every tensor bit for bit and every metadata
 * field; truncated, garbled, foreign and inconsistent files are refused with
 * a message naming the problem; a bridge trained for another checkpoint hash
 * is refused unless the mismatch is allowed; a write that cannot complete
 * leaves nothing behind.
 * Feature cache: the second lookup of the same windows is answered from disk
 * (hit flag and process counters) with identical features; another
 * checkpoint hash, other windows or another head miss; a damaged entry is
 * recomputed.
 */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "bridge/bx-bridge-file.h"
#include "bridge/bx-feature-cache.h"
#include "bx-test-data.h"
#include "io/bx-checkpoint.h"

static void
fill_random (float *x, gsize n, GRand *rng)
{
  for (gsize i = 0; i < n; i++)
    x[i] = (float)g_rand_double_range (rng, -2.0, 2.0);
}

static BxBridgeFile *
make_file (void)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (7);
  BxBridgeFile *f = bx_bridge_file_new ();

  f->bridge = bx_proto_bridge_new_empty (12, 5, 3, 4, 7, BX_BRIDGE_LAYOUT_TRANSPOSE);
  fill_random (f->bridge->A, 3 * 12, rng);
  fill_random (f->bridge->B, 4 * 7 * 3, rng);
  fill_random (f->bridge->prototypes, 5 * 4, rng);
  f->head = bx_task_head_new (9, 3, 1);
  f->head->class_names = g_strsplit ("W,N1,\"N2\" ünïcode", ",", -1);
  f->old_model.family = g_strdup ("labram");
  f->old_model.checkpoint = g_strdup ("labram-base.pth");
  f->old_model.sha256 = g_strnfill (64, 'a');
  f->old_model.config_json = g_strdup ("{\"dim\": 200, \"depth\": 2}");
  f->new_model.family = g_strdup ("hubert-ecg");
  f->new_model.checkpoint = g_strdup ("hubert_ecg_small.pt");
  f->new_model.sha256 = g_strnfill (64, 'b');
  f->new_model.config_json = g_strdup ("{\"hidden\": 128}");
  f->input_layer = 1;
  f->output_layer = 0;
  f->window_seconds = 2.5;
  f->preprocessing_json = g_strdup ("{\"input\":\"npy\",\"old_prepared_shape\":[6,3,200]}");
  f->training_json = g_strdup ("{\"epochs\":3,\"final_loss\":0.25,\"loss_curve\":[0.5,0.3,0.25]}");
  f->search_json = g_strdup ("{\"probe_f1\":[0.5,0.75],\"cka\":[0.9,0.1]}");
  return f;
}

static char *
make_temp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("bx-bridge-file-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        remove_tree (p);
      else
        g_assert_cmpint (g_remove (p), ==, 0);
    }
  g_rmdir (dir);
}

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
test_round_trip (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "b.safetensors", NULL);
  g_autoptr (BxBridgeFile) f = make_file ();
  g_autoptr (BxBridgeFile) g = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (bx_bridge_file_write (path, f, &error));
  g_assert_no_error (error);
  g = bx_bridge_file_read (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (g);
  g_assert_cmpuint (g->bridge->d_new, ==, 12);
  g_assert_cmpuint (g->bridge->d_old, ==, 5);
  g_assert_cmpuint (g->bridge->rank, ==, 3);
  g_assert_cmpuint (g->bridge->n_prototypes, ==, 4);
  g_assert_cmpuint (g->bridge->n_tokens, ==, 7);
  g_assert_cmpint (g->bridge->layout, ==, BX_BRIDGE_LAYOUT_TRANSPOSE);
  g_assert_cmpmem (g->bridge->A, sizeof (float) * 36, f->bridge->A, sizeof (float) * 36);
  g_assert_cmpmem (g->bridge->B, sizeof (float) * 84, f->bridge->B, sizeof (float) * 84);
  g_assert_cmpmem (g->bridge->prototypes, sizeof (float) * 20, f->bridge->prototypes, sizeof (float) * 20);
  g_assert_cmpuint (g->head->n_classes, ==, 3);
  g_assert_cmpuint (g->head->n_features, ==, 9);
  g_assert_cmpmem (g->head->weight, sizeof (float) * 27, f->head->weight, sizeof (float) * 27);
  g_assert_cmpmem (g->head->bias, sizeof (float) * 3, f->head->bias, sizeof (float) * 3);
  g_assert_cmpstrv (g->head->class_names, f->head->class_names);
  g_assert_cmpstr (g->old_model.family, ==, "labram");
  g_assert_cmpstr (g->old_model.checkpoint, ==, "labram-base.pth");
  g_assert_cmpstr (g->old_model.sha256, ==, f->old_model.sha256);
  g_assert_cmpstr (g->old_model.config_json, ==, f->old_model.config_json);
  g_assert_cmpstr (g->new_model.family, ==, "hubert-ecg");
  g_assert_cmpstr (g->new_model.sha256, ==, f->new_model.sha256);
  g_assert_cmpint (g->input_layer, ==, 1);
  g_assert_cmpint (g->output_layer, ==, 0);
  g_assert_cmpfloat (g->window_seconds, ==, 2.5);
  g_assert_cmpstr (g->preprocessing_json, ==, f->preprocessing_json);
  g_assert_cmpstr (g->training_json, ==, f->training_json);
  g_assert_cmpstr (g->search_json, ==, f->search_json);
  remove_tree (dir);
}

static void
test_model_info (void)
{
  g_autofree char *ckpt = bx_test_fixture_path ("models/hubert/hubert_ecg_small.pt");
  g_autofree char *sha = NULL;
  BxBridgeModelInfo info = { 0 };
  g_autoptr (GError) error = NULL;

  g_assert_true (bx_bridge_model_info_set (&info, "hubert-ecg", ckpt, NULL, &error));
  g_assert_no_error (error);
  sha = bx_checkpoint_sha256 (ckpt, &error);
  g_assert_cmpstr (info.sha256, ==, sha);
  g_assert_cmpuint (strlen (info.sha256), ==, 64);
  g_assert_cmpstr (info.checkpoint, ==, "hubert_ecg_small.pt");
  g_assert_cmpstr (info.config_json, ==, "{}");
  bx_bridge_model_info_clear (&info);
  g_assert_false (bx_bridge_model_info_set (&info, "hubert-ecg", "/nonexistent/x.pt", NULL, &error));
  g_assert_nonnull (error);
}

/* Writes `f`, then replaces the file by `mangle` of its bytes and expects `code`
 * with `needle` in the message. */
static void
expect_refused (BxBridgeFile *f, void (*mangle) (GByteArray *bytes), int code, const char *needle)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "b.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxBridgeFile) g = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  GByteArray *bytes;

  g_assert_true (bx_bridge_file_write (path, f, &error));
  g_assert_true (g_file_get_contents (path, &contents, &len, &error));
  bytes = g_byte_array_new ();
  g_byte_array_append (bytes, (const guint8 *)contents, (guint)len);
  mangle (bytes);
  g_assert_true (g_file_set_contents (path, (const char *)bytes->data, bytes->len, &error));
  g_byte_array_unref (bytes);
  g = bx_bridge_file_read (path, &error);
  g_assert_null (g);
  g_assert_error (error, BX_BRIDGE_FILE_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, needle));
  g_assert_nonnull (strstr (error->message, path));
  remove_tree (dir);
}

static void
truncate_half (GByteArray *b)
{
  g_byte_array_set_size (b, b->len / 2);
}

static void
truncate_tail (GByteArray *b)
{
  g_byte_array_set_size (b, b->len - 4);
}

static void
garble_header (GByteArray *b)
{
  /* The JSON header starts at byte 8: break its first brace. */
  b->data[8] = 'X';
}

static void
replace_in (GByteArray *b, const char *from, const char *to)
{
  gsize lf = strlen (from);

  g_assert_cmpuint (lf, ==, strlen (to));
  for (guint i = 0; i + lf <= b->len; i++)
    if (memcmp (b->data + i, from, lf) == 0)
      {
        memcpy (b->data + i, to, lf);
        return;
      }
  g_assert_not_reached ();
}

static void
wrong_format (GByteArray *b)
{
  replace_in (b, "bioxbridge-bridge", "bioxbridge-bridgX");
}

static void
future_version (GByteArray *b)
{
  replace_in (b, "\"format_version\":\"1\"", "\"format_version\":\"9\"");
}

static void
bad_layout (GByteArray *b)
{
  replace_in (b, "\"transpose\"", "\"transpos_\"");
}

static void
bad_rank (GByteArray *b)
{
  /* rank 3 → 2: the tensors no longer fit the geometry. */
  replace_in (b, "\"rank\":\"3\"", "\"rank\":\"2\"");
}

static void
nan_weight (GByteArray *b)
{
  /* The last tensor written is head.bias: make its last float a NaN. */
  guint32 nan_bits = 0x7fc00000u;
  memcpy (b->data + b->len - 4, &nan_bits, 4);
}

static void
test_refused (void)
{
  g_autoptr (BxBridgeFile) f = make_file ();
  g_autoptr (GError) error = NULL;

  expect_refused (f, truncate_half, BX_BRIDGE_FILE_ERROR_FORMAT, "not a readable bridge file");
  expect_refused (f, truncate_tail, BX_BRIDGE_FILE_ERROR_FORMAT, "not a readable bridge file");
  expect_refused (f, garble_header, BX_BRIDGE_FILE_ERROR_FORMAT, "not a readable bridge file");
  expect_refused (f, wrong_format, BX_BRIDGE_FILE_ERROR_FORMAT, "not a bridge file");
  expect_refused (f, future_version, BX_BRIDGE_FILE_ERROR_VERSION, "format_version 9");
  expect_refused (f, bad_layout, BX_BRIDGE_FILE_ERROR_FORMAT, "layout");
  expect_refused (f, bad_rank, BX_BRIDGE_FILE_ERROR_FORMAT, "bridge.A");
  expect_refused (f, nan_weight, BX_BRIDGE_FILE_ERROR_FORMAT, "non-finite");

  g_assert_null (bx_bridge_file_read ("/nonexistent/bridge.safetensors", &error));
  g_assert_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT);
}

static void
test_checkpoint_mismatch (void)
{
  g_autoptr (BxBridgeFile) f = make_file ();
  g_autoptr (GError) error = NULL;
  g_autofree char *other = g_strnfill (64, 'c');
  g_autofree char *warning = NULL;

  /* Same hash and family: accepted without a warning. */
  g_assert_true (
      bx_bridge_file_check_model (f, TRUE, "labram", f->old_model.sha256, FALSE, &warning, &error));
  g_assert_no_error (error);
  g_assert_null (warning);
  /* Another checkpoint: refused, naming the file the bridge was trained with. */
  g_assert_false (bx_bridge_file_check_model (f, FALSE, "hubert-ecg", other, FALSE, &warning, &error));
  g_assert_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "hubert_ecg_small.pt"));
  g_assert_nonnull (strstr (error->message, "--allow-checkpoint-mismatch"));
  g_clear_error (&error);
  /* ... unless allowed: then only a warning. */
  g_assert_true (bx_bridge_file_check_model (f, FALSE, "hubert-ecg", other, TRUE, &warning, &error));
  g_assert_no_error (error);
  g_assert_nonnull (warning);
  g_assert_nonnull (strstr (warning, "cccccccccccc"));
  /* Another family is never allowed. */
  g_assert_false (bx_bridge_file_check_model (f, TRUE, "papagei", f->old_model.sha256, TRUE, NULL, &error));
  g_assert_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_MISMATCH);
}

static void
test_failed_write_leaves_nothing (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *ro = g_build_filename (dir, "ro", NULL);
  g_autofree char *in_ro = g_build_filename (ro, "b.safetensors", NULL);
  g_autofree char *blocker = g_build_filename (dir, "taken", NULL);
  g_autoptr (BxBridgeFile) f = make_file ();
  g_autoptr (GError) error = NULL;

  /* A read-only directory (root ignores the mode, so only check it as a user). */
  g_assert_cmpint (g_mkdir (ro, 0555), ==, 0);
  if (geteuid () != 0)
    {
      g_assert_false (bx_bridge_file_write (in_ro, f, &error));
      g_assert_nonnull (error);
      g_clear_error (&error);
      g_assert_cmpuint (count_entries (ro), ==, 0);
    }
  /* A target that is a directory: the final rename fails after the data was
   * written; the temporary must be gone and the directory untouched. */
  g_assert_cmpint (g_mkdir (blocker, 0755), ==, 0);
  g_assert_false (bx_bridge_file_write (blocker, f, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_true (g_file_test (blocker, G_FILE_TEST_IS_DIR));
  g_assert_cmpuint (count_entries (blocker), ==, 0);
  g_assert_cmpuint (count_entries (dir), ==, 2); /* ro, taken: no stray temporary */
  g_chmod (ro, 0755);
  remove_tree (dir);
}

/* ---- feature cache ---- */

typedef struct
{
  BxModel *old_model, *new_model;
  float *old_prep, *new_prep;
  gsize old_numel, new_numel;
  guint n;
  BxTaskHead *head;
} CacheFixture;

static BxModel *
load_prepared_model (BxModelFamily family, const char *relative, int raw_ndim, const gint64 *raw_shape,
                     guint n, GRand *rng, float **prep, gsize *numel)
{
  g_autofree char *path = bx_test_fixture_path (relative);
  g_autoptr (GError) error = NULL;
  BxModel *model = bx_model_load (family, path, &error);
  gsize raw_numel = 1;
  g_autofree float *raw = NULL;
  gint64 shape[8];
  int nd = 0;

  g_assert_no_error (error);
  for (int i = 0; i < raw_ndim; i++)
    raw_numel *= (gsize)raw_shape[i];
  raw = g_new (float, raw_numel *n);
  fill_random (raw, raw_numel * n, rng);
  *prep = bx_model_prepare (model, raw, (int)n, raw_ndim, raw_shape, &nd, shape, &error);
  g_assert_no_error (error);
  g_assert_true (bx_model_set_input_shape (model, nd, shape, &error));
  *numel = (gsize)bx_model_layer_numel (model, -1, TRUE);
  return model;
}

static void
test_feature_cache (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autoptr (GRand) rng = g_rand_new_with_seed (11);
  g_autoptr (GError) error = NULL;
  const gint64 eeg_shape[2] = { 6, 600 }, ecg_shape[2] = { 1, 400 };
  CacheFixture fx = { 0 };
  g_autofree char *old_sha = g_strnfill (64, '1');
  g_autofree char *new_sha = g_strnfill (64, '2');
  g_autofree char *other_sha = g_strnfill (64, '3');
  g_autoptr (BxPairFeatures) f1 = NULL;
  g_autoptr (BxPairFeatures) f2 = NULL;
  g_autoptr (BxPairFeatures) f3 = NULL;
  g_autoptr (BxPairFeatures) f4 = NULL;
  g_autofree char *key1 = NULL, *entry = NULL, *key_other = NULL;
  gboolean hit = TRUE;
  guint hits0 = bx_feature_cache_hits (), misses0 = bx_feature_cache_misses ();

  fx.n = 5;
  fx.old_model = load_prepared_model (BX_MODEL_FAMILY_LABRAM, "models/labram_pre/labram-base.pth", 2,
                                      eeg_shape, fx.n, rng, &fx.old_prep, &fx.old_numel);
  fx.new_model = load_prepared_model (BX_MODEL_FAMILY_HUBERT_ECG, "models/hubert/hubert_ecg_small.pt", 2,
                                      ecg_shape, fx.n, rng, &fx.new_prep, &fx.new_numel);
  fx.head = bx_task_head_new ((guint)bx_model_feature_dim (fx.old_model, 1, FALSE), 2, 3);
  {
    BxFeatureCacheKey key = { fx.old_prep, fx.old_numel, fx.new_prep, fx.new_numel, fx.n,
                              old_sha,     new_sha,      "npy",       fx.head,      TRUE };
    key1 = bx_feature_cache_key (&key);
    g_assert_cmpuint (strlen (key1), ==, 64);

    /* First lookup computes and stores. */
    f1 = bx_feature_cache_get (dir, &key, fx.old_model, fx.new_model, 4, &hit, NULL, &error);
    g_assert_no_error (error);
    g_assert_false (hit);
    g_assert_cmpuint (bx_feature_cache_misses (), ==, misses0 + 1);
    g_assert_cmpuint (bx_feature_cache_hits (), ==, hits0);
    entry = g_strdup_printf ("%s/%s.safetensors", dir, key1);
    g_assert_true (g_file_test (entry, G_FILE_TEST_IS_REGULAR));

    /* Second lookup reads the entry: equal features, bit for bit. */
    f2 = bx_feature_cache_get (dir, &key, fx.old_model, fx.new_model, 4, &hit, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (hit);
    g_assert_cmpuint (bx_feature_cache_hits (), ==, hits0 + 1);
    g_assert_cmpuint (f2->n, ==, f1->n);
    g_assert_cmpint (f2->n_new_layers, ==, f1->n_new_layers);
    g_assert_cmpint (f2->n_old_layers, ==, f1->n_old_layers);
    for (int i = 0; i < f1->n_new_layers; i++)
      {
        g_assert_cmpuint (f2->new_dim[i], ==, f1->new_dim[i]);
        g_assert_cmpmem (f2->new_pooled[i], sizeof (float) * f1->n * f1->new_dim[i], f1->new_pooled[i],
                         sizeof (float) * f1->n * f1->new_dim[i]);
      }
    for (int j = 0; j < f1->n_old_layers; j++)
      g_assert_cmpmem (f2->old_pooled_in[j], sizeof (float) * f1->n * f1->old_in_dim[j], f1->old_pooled_in[j],
                       sizeof (float) * f1->n * f1->old_in_dim[j]);
    g_assert_cmpuint (f2->target_numel, ==, f1->target_numel);
    g_assert_cmpmem (f2->targets, sizeof (float) * f1->n * f1->target_numel, f1->targets,
                     sizeof (float) * f1->n * f1->target_numel);
    g_assert_cmpmem (f2->pseudo_labels, sizeof (int) * f1->n, f1->pseudo_labels, sizeof (int) * f1->n);
    g_assert_cmpmem (f2->pseudo_confidence, sizeof (float) * f1->n, f1->pseudo_confidence,
                     sizeof (float) * f1->n);

    /* A changed checkpoint (hash) is another key: computed again. */
    key.old_sha256 = other_sha;
    key_other = bx_feature_cache_key (&key);
    g_assert_cmpstr (key_other, !=, key1);
    f3 = bx_feature_cache_get (dir, &key, fx.old_model, fx.new_model, 4, &hit, NULL, &error);
    g_assert_no_error (error);
    g_assert_false (hit);
    g_assert_cmpuint (bx_feature_cache_misses (), ==, misses0 + 2);
    key.old_sha256 = old_sha;

    /* Other windows, another head, another preprocessing: other keys. */
    float saved = fx.new_prep[3];
    fx.new_prep[3] = saved + 1.0f;
    g_autofree char *k_data = bx_feature_cache_key (&key);
    fx.new_prep[3] = saved;
    saved = fx.head->bias[0];
    fx.head->bias[0] = saved + 0.5f;
    g_autofree char *k_head = bx_feature_cache_key (&key);
    fx.head->bias[0] = saved;
    key.preprocessing = "npy-other";
    g_autofree char *k_prep = bx_feature_cache_key (&key);
    key.preprocessing = "npy";
    g_assert_cmpstr (k_data, !=, key1);
    g_assert_cmpstr (k_head, !=, key1);
    g_assert_cmpstr (k_prep, !=, key1);
    g_autofree char *k_same = bx_feature_cache_key (&key);
    g_assert_cmpstr (k_same, ==, key1);

    /* A damaged entry is ignored (with a message) and recomputed. */
    g_assert_true (g_file_set_contents (entry, "garbage", -1, &error));
    f4 = bx_feature_cache_get (dir, &key, fx.old_model, fx.new_model, 4, &hit, NULL, &error);
    g_assert_no_error (error);
    g_assert_false (hit);
    g_assert_cmpmem (f4->targets, sizeof (float) * f1->n * f1->target_numel, f1->targets,
                     sizeof (float) * f1->n * f1->target_numel);
  }
  bx_model_free (fx.old_model);
  bx_model_free (fx.new_model);
  g_free (fx.old_prep);
  g_free (fx.new_prep);
  bx_task_head_free (fx.head);
  remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bridge/file/round-trip", test_round_trip);
  g_test_add_func ("/bridge/file/model-info", test_model_info);
  g_test_add_func ("/bridge/file/refused", test_refused);
  g_test_add_func ("/bridge/file/checkpoint-mismatch", test_checkpoint_mismatch);
  g_test_add_func ("/bridge/file/failed-write-leaves-nothing", test_failed_write_leaves_nothing);
  g_test_add_func ("/bridge/feature-cache/hit-miss", test_feature_cache);
  return g_test_run ();
}
