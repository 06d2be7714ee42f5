/* test-model-cli.c — `bioxbridge-cli model run` and `model info` on the
 * golden fixtures: the dumped layer_NN.npy / pooled_last.npy must match the
 * torch reference (1e-4 × max|ref|), with and without --prepared; wrong
 * model → exit code 3. argv[1] = path of bioxbridge-cli. */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "bx-test-data.h"
#include "io/bx-npy.h"

static const char *cli_path;

static int
run_cli (const char *const *args, char **out)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer) cli_path);
  for (; *args != NULL; args++)
    g_ptr_array_add (argv, (gpointer) *args);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("stderr: %s", err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static void
compare_npy (const char *got_path, const char *ref_rel)
{
  g_autofree char *ref_path = bx_test_fixture_path (ref_rel);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxTensor) got = bx_npy_read (got_path, &error);
  g_autoptr (BxTensor) ref = NULL;
  g_autofree float *g = NULL, *r = NULL;
  double max_ref = 0, max_err = 0;

  g_assert_no_error (error);
  ref = bx_npy_read (ref_path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got->ndim, ==, ref->ndim);
  for (guint i = 0; i < got->ndim; i++)
    g_assert_cmpint (got->shape[i], ==, ref->shape[i]);
  g_assert_cmpint (got->dtype, ==, BX_DTYPE_F32);
  g = bx_tensor_to_float (got, NULL);
  r = bx_tensor_to_float (ref, NULL);
  for (guint64 i = 0; i < got->numel; i++)
    {
      max_ref = MAX (max_ref, fabs (r[i]));
      max_err = MAX (max_err, fabs ((double) g[i] - r[i]));
    }
  g_test_message ("%s: max err %.3g of max |ref| %.3g", ref_rel, max_err, max_ref);
  g_assert_cmpfloat (max_ref, >, 0);
  g_assert_cmpfloat (max_err, <=, 1e-4 * max_ref);
}

static void
check_run (const char *model, const char *case_dir, const char *ckpt, int n_layers, gboolean prepared)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *ckpt_rel = g_build_filename ("models", case_dir, ckpt, NULL);
  g_autofree char *ckpt_path = bx_test_fixture_path (ckpt_rel);
  g_autofree char *in_rel = g_build_filename ("models", case_dir, prepared ? "prepared_input.npy" : "raw_input.npy",
                                              NULL);
  g_autofree char *in_path = bx_test_fixture_path (in_rel);
  const char *args[] = { "model", "run", "--model", model, "--checkpoint", ckpt_path, "--input", in_path,
                         "--dump-dir", dir, "--threads", "1", "--batch-size", "2",
                         prepared ? "--prepared" : NULL, NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (run_cli (args, &out), ==, 0);
  for (int i = 0; i < n_layers; i++)
    {
      g_autofree char *name = g_strdup_printf ("layer_%02d.npy", i);
      g_autofree char *got = g_build_filename (dir, name, NULL);
      g_autofree char *ref = g_build_filename ("models", case_dir, name, NULL);
      compare_npy (got, ref);
    }
  {
    g_autofree char *got = g_build_filename (dir, "pooled_last.npy", NULL);
    g_autofree char *ref = g_build_filename ("models", case_dir, "pooled_last.npy", NULL);
    g_autofree char *extra = g_strdup_printf ("layer_%02d.npy", n_layers);
    g_autofree char *none = g_build_filename (dir, extra, NULL);
    compare_npy (got, ref);
    g_assert_false (g_file_test (none, G_FILE_TEST_EXISTS));
  }
  bx_test_tmpdir_remove (dir);
}

static void
test_run_labram_raw (void)
{
  /* 3 batches of ≤ 2: also exercises batching */
  check_run ("labram", "labram_pre", "labram-base.pth", 2, FALSE);
}

static void
test_run_labram_prepared (void)
{
  check_run ("labram", "labram_ft", "checkpoint-19.pth", 1, TRUE);
}

static void
test_run_papagei (void)
{
  check_run ("papagei", "papagei", "papagei_s.pt", 6, FALSE);
}

static void
test_run_hubert (void)
{
  check_run ("hubert-ecg", "hubert", "hubert_ecg_small.pt", 2, FALSE);
}

static void
test_info_and_errors (void)
{
  g_autofree char *ckpt = bx_test_fixture_path ("models/hubert/hubert_ecg_small.pt");
  g_autofree char *x = bx_test_fixture_path ("models/papagei/raw_input.npy");
  g_autofree char *dir = bx_test_tmpdir_new ();
  const char *info[] = { "model", "info", ckpt, "--json", NULL };
  const char *wrong[] = { "model", "run", "--model", "labram", "--checkpoint", ckpt, "--input", x, "--dump-dir", dir,
                          NULL };
  const char *shape[] = { "model", "run", "--model", "hubert-ecg", "--checkpoint", ckpt, "--input", x, "--dump-dir",
                          dir, "--prepared", NULL };
  const char *usage[] = { "model", "run", "--model", "labram", NULL };
  g_autofree char *out = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *o;

  g_assert_cmpint (run_cli (info, &out), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (o, "family"), ==, "hubert-ecg");
  g_assert_cmpint (json_object_get_int_member (o, "hook_layers"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "config"), "hidden"), ==, 128);
  /* 5 conv + GN 2 + projection LN 2 + linear 2 + pos conv 3 + encoder LN 2 + 2 layers × 16 */
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (o, "loaded")), ==, 48);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (o, "ignored")), ==, 4);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (o, "random_init")), ==, 0);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (wrong, &out), ==, 3);
  g_clear_pointer (&out, g_free);
  /* PaPaGei's (B, 1, 751) input is not a prepared HuBERT input (B, L) */
  g_assert_cmpint (run_cli (shape, &out), ==, 3);
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run_cli (usage, &out), ==, 2);
  bx_test_tmpdir_remove (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, ==, 2);
  cli_path = argv[1];
  g_test_add_func ("/model-cli/run/labram-raw", test_run_labram_raw);
  g_test_add_func ("/model-cli/run/labram-prepared", test_run_labram_prepared);
  g_test_add_func ("/model-cli/run/papagei", test_run_papagei);
  g_test_add_func ("/model-cli/run/hubert-ecg", test_run_hubert);
  g_test_add_func ("/model-cli/info-and-errors", test_info_and_errors);
  return g_test_run ();
}
