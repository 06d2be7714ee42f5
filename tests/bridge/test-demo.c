/* `bioxbridge-cli demo` end to end: two simulated 1-h nights, EEG → ECG with
 * the committed compact encoders (3 bridge epochs, to stay short under
 * ASan). Checks the exit code, that every output exists and parses, that the
 * predicted hypnogram has one row per 30-s epoch of night 2, and that the
 * metrics (balanced accuracy, chance) are reported on stdout and in
 * summary.json; a bad --hours is a usage error. */
#include <json-glib/json-glib.h>
#include <string.h>

#include "bx-test-data.h"

static int
run_demo (const char *const *args, char **out)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *err = NULL;

  g_ptr_array_add (argv, (gpointer)BX_CLI_PATH);
  g_ptr_array_add (argv, (gpointer) "demo");
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const char *const *)argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, out, &err, &error));
  g_assert_no_error (error);
  if (g_subprocess_get_exit_status (proc) != 0)
    g_test_message ("stderr: %s", err);
  return g_subprocess_get_exit_status (proc);
}

static void
test_demo (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *out_dir = g_build_filename (dir, "demo", NULL);
  g_autofree char *a_out = g_strdup_printf ("--out-dir=%s", out_dir);
  const char *args[] = { "--hours=1", "--epochs=3", "--threads=2", "--quiet", a_out, NULL };
  g_autofree char *out = NULL, *tsv = NULL, *tsv_text = NULL, *summary = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  JsonObject *root, *ev, *demo;
  guint n_rows = 0;
  double ba, chance;
  const char *names[] = { "night1.edf", "night2.edf", "demo.tsv", "bridge.safetensors" };

  g_assert_cmpint (run_demo (args, &out), ==, 0);
  g_assert_nonnull (strstr (out, "balanced accuracy"));
  g_assert_nonnull (strstr (out, "chance"));
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *p = g_build_filename (out_dir, names[i], NULL);

      g_assert_true (g_file_test (p, G_FILE_TEST_IS_REGULAR));
    }

  /* Predicted hypnogram: a header, then one row per scored 30-s epoch of the
   * 1-h night 2 (120 epochs; the synthetic stages are all scored). */
  tsv = g_build_filename (out_dir, "predicted-hypnogram.tsv", NULL);
  g_assert_true (g_file_get_contents (tsv, &tsv_text, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (tsv_text, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++)
    if (lines[i][0] != '\0' && lines[i][0] != '#')
      {
        g_auto (GStrv) cols = g_strsplit (lines[i], "\t", -1);

        g_assert_cmpuint (g_strv_length (cols), >=, 3);
        n_rows++;
      }
  g_assert_cmpuint (n_rows, ==, 120);

  summary = g_build_filename (out_dir, "summary.json", NULL);
  g_assert_true (json_parser_load_from_file (parser, summary, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (json_object_has_member (root, "evaluate"));
  ev = json_object_get_object_member (root, "evaluate");
  ba = json_object_get_double_member (ev, "balanced_accuracy");
  g_assert_cmpfloat (ba, >=, 0);
  g_assert_cmpfloat (ba, <=, 1);
  demo = json_object_get_object_member (root, "demo");
  g_assert_nonnull (demo);
  /* Chance = 1 / (stages present in night 2): 2 .. 5 AASM stages. */
  chance = json_object_get_double_member (demo, "chance_balanced_accuracy");
  g_assert_cmpfloat (chance, >=, 0.2 - 1e-9);
  g_assert_cmpfloat (chance, <=, 0.5 + 1e-9);
  g_test_message ("1-h demo, 3 epochs: balanced accuracy %.3f (chance %.3f)", ba, chance);

  bx_test_tmpdir_remove (dir);
}

static void
test_usage (void)
{
  const char *args[] = { "--hours=0", NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (run_demo (args, &out), ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bridge/demo/run", test_demo);
  g_test_add_func ("/bridge/demo/usage", test_usage);
  return g_test_run ();
}
