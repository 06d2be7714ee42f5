/* The pipeline commands of bioxbridge-cli end to end on the small fixture
 * models: old = LaBraM (depth 2, 6 EEG channels × 3 s), new = HuBERT-ECG
 * (2 layers, raw ECG (1, 300) at 100 Hz), 3-s windows.
 *
 * The data are generated here with a learnable structure: class 1 windows
 * carry a 10 Hz EEG rhythm and a 1.2 Hz ECG-like oscillation 4× stronger
 * than class 0 windows, under Gaussian noise. Checked: exit codes (0, 2 for
 * usage, 3 for bad input), that every output exists and parses (head and
 * bridge files through their readers, label files through
 * bx_label_track_read with per-window confidence, --json through
 * json-glib), the feature cache is hit on the second pass, training lowers
 * the loss, and SIGINT stops `run` quickly with exit code 1 and no files.
 */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include "bridge/bx-bridge-file.h"
#include "bx-test-data.h"
#include "io/bx-npy.h"
#include "models/bx-model.h"
#include "recording/bx-labels-io.h"

#ifndef BX_CLI_PATH
#error "BX_CLI_PATH must name the bioxbridge-cli binary"
#endif

#define N_TRAIN 24
#define N_PAIR 24
#define N_TEST 12
#define EEG_CH 6
#define EEG_LEN 600
#define ECG_LEN 300

typedef struct
{
  char *dir;
  char *old_ckpt, *new_ckpt;
} Fixture;

static void
write_set (const char *dir, const char *role, guint n, guint32 seed)
{
  g_autoptr (GRand) rng = g_rand_new_with_seed (seed);
  g_autofree float *eeg = g_new (float, (gsize)n *EEG_CH *EEG_LEN);
  g_autofree float *ecg = g_new (float, (gsize)n *ECG_LEN);
  g_autofree gint64 *y = g_new (gint64, n);
  g_autofree char *p_eeg = g_strdup_printf ("%s/%s_eeg.npy", dir, role);
  g_autofree char *p_ecg = g_strdup_printf ("%s/%s_ecg.npy", dir, role);
  g_autofree char *p_y = g_strdup_printf ("%s/%s_y.npy", dir, role);
  const gint64 s_eeg[3] = { n, EEG_CH, EEG_LEN }, s_ecg[3] = { n, 1, ECG_LEN }, s_y[1] = { n };
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      int cls = (int)(i % 2);
      double a_eeg = cls ? 40.0 : 10.0, a_ecg = cls ? 1.6 : 0.4;
      double phase = g_rand_double_range (rng, 0, 2 * G_PI);
      y[i] = cls;
      for (guint c = 0; c < EEG_CH; c++)
        for (guint t = 0; t < EEG_LEN; t++)
          eeg[((gsize)i * EEG_CH + c) * EEG_LEN + t]
              = (float)(a_eeg * sin (2 * G_PI * 10.0 * t / 200.0 + phase) + g_rand_double_range (rng, -8, 8));
      for (guint t = 0; t < ECG_LEN; t++)
        ecg[(gsize)i * ECG_LEN + t] = (float)(a_ecg * sin (2 * G_PI * 1.2 * t / 100.0 + phase)
                                              + g_rand_double_range (rng, -0.5, 0.5));
    }
  g_assert_true (bx_npy_write_float (p_eeg, 3, s_eeg, eeg, &error));
  g_assert_true (bx_npy_write_float (p_ecg, 3, s_ecg, ecg, &error));
  g_assert_true (bx_npy_write (p_y, BX_DTYPE_I64, 1, s_y, y, &error));
  g_assert_no_error (error);
}

static void
fixture_setup (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  (void)data;
  fx->dir = g_dir_make_tmp ("bx-pipeline-cli-XXXXXX", &error);
  g_assert_no_error (error);
  fx->old_ckpt = bx_test_fixture_path ("models/labram_pre/labram-base.pth");
  fx->new_ckpt = bx_test_fixture_path ("models/hubert/hubert_ecg_small.pt");
  write_set (fx->dir, "train", N_TRAIN, 1);
  write_set (fx->dir, "pair", N_PAIR, 2);
  write_set (fx->dir, "test", N_TEST, 3);
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
        g_remove (p);
    }
  g_rmdir (dir);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  (void)data;
  remove_tree (fx->dir);
  g_free (fx->dir);
  g_free (fx->old_ckpt);
  g_free (fx->new_ckpt);
}

static char *
in_dir (const Fixture *fx, const char *name)
{
  return g_build_filename (fx->dir, name, NULL);
}

/* Runs the CLI with the model and input options common to every stage plus
 * `extra` (NULL-terminated); returns the exit status and stdout. */
static int
run_cli (const Fixture *fx, char **out, const char *command, gboolean with_inputs, const char *const *extra)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *stdout_buf = NULL, *stderr_buf = NULL;

  g_ptr_array_add (argv, g_strdup (BX_CLI_PATH));
  g_ptr_array_add (argv, g_strdup (command));
  if (strcmp (command, "simulate") != 0)
    {
      g_ptr_array_add (argv, g_strdup ("--old-model=labram"));
      g_ptr_array_add (argv, g_strdup_printf ("--old-checkpoint=%s", fx->old_ckpt));
      g_ptr_array_add (argv, g_strdup ("--new-model=hubert-ecg"));
      g_ptr_array_add (argv, g_strdup_printf ("--new-checkpoint=%s", fx->new_ckpt));
      g_ptr_array_add (argv, g_strdup ("--threads=2"));
    }
  if (with_inputs)
    {
      const char *roles[][2] = {
        { "train-old-npy", "train_eeg.npy" }, { "train-labels", "train_y.npy" },
        { "pair-old-npy", "pair_eeg.npy" },   { "pair-new-npy", "pair_ecg.npy" },
        { "test-new-npy", "test_ecg.npy" },   { "test-labels", "test_y.npy" },
      };
      for (gsize i = 0; i < G_N_ELEMENTS (roles); i++)
        g_ptr_array_add (argv, g_strdup_printf ("--%s=%s/%s", roles[i][0], fx->dir, roles[i][1]));
      g_ptr_array_add (argv, g_strdup ("--classes=rest,task"));
      g_ptr_array_add (argv, g_strdup ("--window=3"));
      g_ptr_array_add (argv, g_strdup ("--head-epochs=30"));
      g_ptr_array_add (argv, g_strdup ("--head-lr=1e-2"));
    }
  for (gsize i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra[i]));
  g_ptr_array_add (argv, NULL);

  proc = g_subprocess_newv ((const char *const *)argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, &stdout_buf, &stderr_buf, &error));
  g_assert_no_error (error);
  g_test_message ("%s: stderr:\n%s", command, stderr_buf);
  g_assert_true (g_subprocess_get_if_exited (proc));
  if (out != NULL)
    *out = g_steal_pointer (&stdout_buf);
  return g_subprocess_get_exit_status (proc);
}

static JsonObject *
parse_json (JsonParser *parser, const char *text)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
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
check_label_file (const char *path, guint n_windows)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BxLabelTrack) track = bx_label_track_read (path, NULL, &error);
  double end = 0;

  g_assert_no_error (error);
  g_assert_nonnull (track);
  g_assert_cmpuint (bx_label_track_get_length (track), >=, 1);
  for (guint i = 0; i < bx_label_track_get_length (track); i++)
    {
      const BxLabelEvent *e = bx_label_track_get (track, i);
      g_assert_true (strcmp (e->label, "rest") == 0 || strcmp (e->label, "task") == 0);
      end = MAX (end, e->onset + e->duration);
      if (!g_str_has_suffix (path, ".edf"))
        {
          g_assert_true (isfinite (e->confidence));
          /* Two classes: the winning probability is at least one half. */
          g_assert_cmpfloat (e->confidence, >=, 0.5);
          g_assert_cmpfloat (e->confidence, <=, 1.0);
        }
    }
  if (!g_str_has_suffix (path, ".edf"))
    g_assert_cmpuint (bx_label_track_get_length (track), ==, n_windows);
  /* Windows of 3 s, one after the other. */
  g_assert_cmpfloat (fabs (end - 3.0 * n_windows), <, 1e-6);
}

static void
test_stages (Fixture *fx, gconstpointer data)
{
  g_autofree char *head = in_dir (fx, "head.safetensors");
  g_autofree char *cache = in_dir (fx, "cache");
  g_autofree char *bridge = in_dir (fx, "bridge.safetensors");
  g_autofree char *pred_tsv = in_dir (fx, "night.tsv");
  g_autofree char *pred_csv = in_dir (fx, "night.csv");
  g_autofree char *pred_edf = in_dir (fx, "night.edf");
  g_autofree char *test_ecg = in_dir (fx, "test_ecg.npy");
  g_autofree char *test_y = in_dir (fx, "test_y.npy");
  g_autofree char *garbage = in_dir (fx, "garbage.safetensors");
  g_autofree char *o_head = g_strdup_printf ("--output=%s", head);
  g_autofree char *a_head = g_strdup_printf ("--head=%s", head);
  g_autofree char *a_cache = g_strdup_printf ("--cache-dir=%s", cache);
  g_autofree char *a_bridge = g_strdup_printf ("--bridge=%s", bridge);
  g_autofree char *o_bridge = g_strdup_printf ("--output=%s", bridge);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxBridgeFile) file = NULL;
  char *out = NULL;

  (void)data;
  /* probe: the head learns the EEG classes. */
  {
    const char *extra[] = { o_head, "--json", "--quiet", NULL };
    g_autoptr (JsonParser) p = json_parser_new ();
    JsonObject *h;
    g_assert_cmpint (run_cli (fx, &out, "probe", TRUE, extra), ==, 0);
    h = json_object_get_object_member (parse_json (p, out), "head");
    g_clear_pointer (&out, g_free);
    g_assert_cmpint (json_object_get_int_member (h, "windows"), ==, N_TRAIN);
    g_assert_cmpint (json_object_get_int_member (h, "classes"), ==, 2);
    g_assert_cmpfloat (json_object_get_double_member (h, "final_loss"), <,
                       json_object_get_double_member (h, "first_loss"));
    g_assert_cmpfloat (json_object_get_double_member (h, "train_accuracy"), >=, 0.9);
    g_assert_true (g_file_test (head, G_FILE_TEST_IS_REGULAR));
  }
  /* features twice: computed, then from the cache. */
  for (int pass = 0; pass < 2; pass++)
    {
      const char *extra[] = { a_head, a_cache, "--json", NULL };
      g_autoptr (JsonParser) p = json_parser_new ();
      JsonObject *f;
      g_assert_cmpint (run_cli (fx, &out, "features", TRUE, extra), ==, 0);
      f = json_object_get_object_member (parse_json (p, out), "features");
      g_clear_pointer (&out, g_free);
      g_assert_cmpint (json_object_get_boolean_member (f, "cache_hit"), ==, pass == 1);
      g_assert_cmpint (json_object_get_int_member (f, "windows"), ==, N_PAIR);
      g_assert_cmpuint (count_entries (cache), ==, 1);
    }
  /* search: every score, chosen layers in range, features from the cache. */
  {
    const char *extra[] = { a_head, a_cache, "--json", NULL };
    g_autoptr (JsonParser) p = json_parser_new ();
    JsonObject *root, *s;
    g_assert_cmpint (run_cli (fx, &out, "search", TRUE, extra), ==, 0);
    root = parse_json (p, out);
    g_clear_pointer (&out, g_free);
    g_assert_true (
        json_object_get_boolean_member (json_object_get_object_member (root, "features"), "cache_hit"));
    s = json_object_get_object_member (root, "search");
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (s, "probe_f1")), ==, 2);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (s, "cka")), ==, 2);
    for (guint j = 0; j < 2; j++)
      {
        double cka = json_array_get_double_element (json_object_get_array_member (s, "cka"), j);
        g_assert_cmpfloat (cka, >=, 0.0);
        g_assert_cmpfloat (cka, <=, 1.0 + 1e-9);
      }
    g_assert_cmpint (json_object_get_int_member (s, "chosen_input_layer"), >=, 0);
    g_assert_cmpint (json_object_get_int_member (s, "chosen_input_layer"), <, 2);
    g_assert_cmpint (json_object_get_int_member (s, "chosen_output_layer"), >=, 0);
    g_assert_cmpint (json_object_get_int_member (s, "chosen_output_layer"), <, 2);
  }
  /* train lowers the loss and writes a valid bridge file. */
  {
    const char *extra[] = { a_head,       a_cache,     o_bridge,   "--input-layer=1", "--output-layer=1",
                            "--epochs=6", "--lr=1e-3", "--rank=4", "--prototypes=8",  "--json",
                            NULL };
    g_autoptr (JsonParser) p = json_parser_new ();
    JsonObject *t;
    JsonArray *curve;
    g_assert_cmpint (run_cli (fx, &out, "train", TRUE, extra), ==, 0);
    t = json_object_get_object_member (parse_json (p, out), "train");
    g_clear_pointer (&out, g_free);
    curve = json_object_get_array_member (t, "loss_curve");
    g_assert_cmpuint (json_array_get_length (curve), ==, 6);
    g_test_message ("train: loss %g -> %g, %.1f steps/s", json_array_get_double_element (curve, 0),
                    json_array_get_double_element (curve, 5),
                    json_object_get_double_member (t, "steps_per_second"));
    g_assert_cmpfloat (json_array_get_double_element (curve, 5), <, json_array_get_double_element (curve, 0));
    g_assert_cmpint (json_object_get_int_member (t, "steps"), ==, 6 * ((N_PAIR + 15) / 16));
    file = bx_bridge_file_read (bridge, &error);
    g_assert_no_error (error);
    g_assert_cmpint (file->input_layer, ==, 1);
    g_assert_cmpint (file->output_layer, ==, 1);
    g_assert_cmpuint (file->bridge->rank, ==, 4);
    g_assert_cmpuint (file->bridge->n_prototypes, ==, 8);
    g_assert_cmpstr (file->head->class_names[1], ==, "task");
    g_assert_cmpstr (file->old_model.family, ==, "labram");
    g_assert_cmpstr (file->new_model.checkpoint, ==, "hubert_ecg_small.pt");
    g_assert_cmpfloat (file->window_seconds, ==, 3.0);
  }
  /* train --init-bridge resumes: its first loss is the previous run's end level, below the fresh start. */
  {
    g_autofree char *a_init = g_strdup_printf ("--init-bridge=%s", bridge);
    g_autofree char *bridge2 = in_dir (fx, "bridge2.safetensors");
    g_autofree char *o_bridge2 = g_strdup_printf ("--output=%s", bridge2);
    const char *extra[]
        = { a_head,      a_cache,  o_bridge2, a_init, "--input-layer=1", "--output-layer=1", "--epochs=1",
            "--lr=1e-3", "--json", "--quiet", NULL };
    g_autoptr (JsonParser) p = json_parser_new ();
    g_autoptr (JsonParser) p0 = json_parser_new ();
    JsonObject *t, *t0;
    g_assert_cmpint (run_cli (fx, &out, "train", TRUE, extra), ==, 0);
    t = json_object_get_object_member (parse_json (p, out), "train");
    g_clear_pointer (&out, g_free);
    g_assert_true (json_parser_load_from_data (p0, file->training_json, -1, NULL));
    t0 = json_node_get_object (json_parser_get_root (p0));
    g_assert_cmpfloat (json_object_get_double_member (t, "first_loss"), <,
                       json_object_get_double_member (t0, "first_loss"));
    g_assert_true (g_file_test (bridge2, G_FILE_TEST_IS_REGULAR));
  }
  /* predict: one input per call, label files in three formats. */
  {
    const char *outputs[] = { pred_tsv, pred_csv, pred_edf };
    for (gsize k = 0; k < G_N_ELEMENTS (outputs); k++)
      {
        g_autofree char *o = g_strdup_printf ("--output=%s", outputs[k]);
        const char *extra[] = { a_bridge, o, "--quiet", test_ecg, NULL };
        g_assert_cmpint (run_cli (fx, NULL, "predict", FALSE, extra), ==, 0);
        check_label_file (outputs[k], N_TEST);
      }
  }
  /* predict on a recording: the simulated night's ECG cut into the bridge's
   * 3-s windows; one row per window on the 3-s grid. */
  {
    g_autofree char *night = in_dir (fx, "night.edf");
    g_autofree char *labels = in_dir (fx, "night-labels.tsv");
    g_autofree char *o_night = g_strdup_printf ("--output=%s", night);
    g_autofree char *o_labels = g_strdup_printf ("--output=%s", labels);
    const char *sim[] = { "--hours=0.02", o_night, NULL };
    const char *extra[] = { a_bridge, o_labels, "--json", "--quiet", night, NULL };
    g_autoptr (JsonParser) p = json_parser_new ();
    g_autoptr (BxLabelTrack) track = NULL;
    gint64 n_windows;
    g_assert_cmpint (run_cli (fx, NULL, "simulate", FALSE, sim), ==, 0);
    g_assert_cmpint (run_cli (fx, &out, "predict", FALSE, extra), ==, 0);
    n_windows = json_object_get_int_member (json_object_get_object_member (parse_json (p, out), "predict"),
                                            "windows");
    g_clear_pointer (&out, g_free);
    /* 72 s of recording hold at most 24 windows of 3 s. */
    g_assert_cmpint (n_windows, >=, 1);
    g_assert_cmpint (n_windows, <=, 24);
    track = bx_label_track_read (labels, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (bx_label_track_get_length (track), >=, n_windows);
    for (guint i = 0; i < bx_label_track_get_length (track); i++)
      {
        const BxLabelEvent *e = bx_label_track_get (track, i);
        g_assert_cmpfloat (fabs (e->onset - 3.0 * i), <, 1e-9);
        g_assert_cmpfloat (e->duration, ==, 3.0);
      }
  }
  /* evaluate: metrics and a confusion matrix over every test window. */
  {
    g_autofree char *a_x = g_strdup_printf ("--test-new-npy=%s", test_ecg);
    g_autofree char *a_y = g_strdup_printf ("--test-labels=%s", test_y);
    const char *extra[] = { a_bridge, a_x, a_y, "--json", "--quiet", NULL };
    g_autoptr (JsonParser) p = json_parser_new ();
    JsonObject *e;
    JsonArray *cm;
    gint64 total = 0;
    g_assert_cmpint (run_cli (fx, &out, "evaluate", FALSE, extra), ==, 0);
    e = json_object_get_object_member (parse_json (p, out), "evaluate");
    g_clear_pointer (&out, g_free);
    cm = json_object_get_array_member (e, "confusion");
    g_assert_cmpuint (json_array_get_length (cm), ==, 2);
    for (guint r = 0; r < 2; r++)
      for (guint c = 0; c < 2; c++)
        total += json_array_get_int_element (json_array_get_array_element (cm, r), c);
    g_assert_cmpint (total, ==, N_TEST);
    {
      gint64 diag = json_array_get_int_element (json_array_get_array_element (cm, 0), 0)
                    + json_array_get_int_element (json_array_get_array_element (cm, 1), 1);
      g_assert_cmpfloat (fabs (json_object_get_double_member (e, "accuracy") - (double)diag / N_TEST), <,
                         1e-12);
    }
    g_assert_true (json_object_has_member (e, "balanced_accuracy"));
    g_assert_true (json_object_has_member (e, "cohen_kappa"));
    g_assert_true (json_object_has_member (e, "f1_macro"));
    g_assert_true (json_object_has_member (e, "f1_weighted"));
  }
  /* Exit codes of wrong calls. */
  {
    const char *no_output[] = { a_head, a_cache, "--quiet", NULL };
    const char *bad_option[] = { "--no-such-option", NULL };
    const char *two_inputs[] = { a_bridge, test_ecg, test_ecg, NULL };
    g_autofree char *a_garbage = g_strdup_printf ("--bridge=%s", garbage);
    const char *bad_bridge[] = { a_garbage, test_ecg, "--quiet", NULL };
    g_autofree char *a_missing = g_strdup_printf ("--test-new-npy=%s/none.npy", fx->dir);
    const char *missing_input[] = { a_bridge, a_missing, "--quiet", NULL };
    g_assert_true (g_file_set_contents (garbage, "not a bridge", -1, NULL));
    g_assert_cmpint (run_cli (fx, NULL, "train", TRUE, no_output), ==, 2);
    g_assert_cmpint (run_cli (fx, NULL, "train", TRUE, bad_option), ==, 2);
    g_assert_cmpint (run_cli (fx, NULL, "predict", FALSE, two_inputs), ==, 2);
    g_assert_cmpint (run_cli (fx, NULL, "predict", FALSE, bad_bridge), ==, 3);
    g_assert_cmpint (run_cli (fx, NULL, "predict", FALSE, missing_input), ==, 3);
  }
}

/* A bridge used with another new-model checkpoint: refused (3) unless allowed. */
static void
test_checkpoint_mismatch (Fixture *fx, gconstpointer data)
{
  g_autofree char *bridge = in_dir (fx, "bridge.safetensors");
  g_autofree char *copy = in_dir (fx, "hubert-copy.pt");
  g_autofree char *test_ecg = in_dir (fx, "test_ecg.npy");
  g_autofree char *o_bridge = g_strdup_printf ("--output=%s", bridge);
  g_autofree char *a_bridge = g_strdup_printf ("--bridge=%s", bridge);
  g_autofree char *contents = NULL;
  gsize len = 0;
  char *saved;

  (void)data;
  {
    const char *extra[] = { o_bridge,           "--no-cache", "--input-layer=0",
                            "--output-layer=0", "--epochs=1", "--rank=2",
                            "--prototypes=4",   "--quiet",    NULL };
    g_assert_cmpint (run_cli (fx, NULL, "train", TRUE, extra), ==, 0);
  }
  /* Same weights, one more byte at the end of the zip: another SHA-256. */
  g_assert_true (g_file_get_contents (fx->new_ckpt, &contents, &len, NULL));
  contents = g_realloc (contents, len + 1);
  contents[len] = '\0';
  g_assert_true (g_file_set_contents (copy, contents, (gssize)len + 1, NULL));
  saved = fx->new_ckpt;
  fx->new_ckpt = copy;
  {
    const char *extra[] = { a_bridge, test_ecg, "--quiet", NULL };
    const char *allowed[] = { a_bridge, test_ecg, "--quiet", "--allow-checkpoint-mismatch", NULL };
    int refused = run_cli (fx, NULL, "predict", FALSE, extra);
    int accepted = run_cli (fx, NULL, "predict", FALSE, allowed);
    fx->new_ckpt = saved;
    g_assert_cmpint (refused, ==, 3);
    g_assert_cmpint (accepted, ==, 0);
  }
}

static void
test_run (Fixture *fx, gconstpointer data)
{
  g_autofree char *out_dir = in_dir (fx, "out");
  g_autofree char *a_out = g_strdup_printf ("--out-dir=%s", out_dir);
  g_autofree char *a_cache = g_strdup_printf ("--cache-dir=%s/cache", fx->dir);
  g_autofree char *summary = g_build_filename (out_dir, "summary.json", NULL);
  g_autofree char *bridge = g_build_filename (out_dir, "bridge.safetensors", NULL);
  g_autofree char *pred = g_build_filename (out_dir, "predictions.tsv", NULL);
  const char *extra[]
      = { a_out, a_cache, "--epochs=3", "--lr=1e-3", "--rank=4", "--prototypes=8", "--json", NULL };
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (JsonParser) p2 = json_parser_new ();
  g_autoptr (BxBridgeFile) file = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  JsonObject *root;
  char *out = NULL;

  (void)data;
  g_assert_cmpint (run_cli (fx, &out, "run", TRUE, extra), ==, 0);
  root = parse_json (p, out);
  g_free (out);
  for (const char *const *stage
       = (const char *const[]){ "head", "features", "search", "train", "predict", "evaluate", NULL };
       *stage != NULL; stage++)
    g_assert_true (json_object_has_member (root, *stage));
  g_assert_cmpuint (count_entries (out_dir), ==, 3);
  file = bx_bridge_file_read (bridge, &error);
  g_assert_no_error (error);
  g_assert_cmpint (
      file->input_layer, ==,
      json_object_get_int_member (json_object_get_object_member (root, "search"), "chosen_input_layer"));
  check_label_file (pred, N_TEST);
  g_assert_true (g_file_get_contents (summary, &text, NULL, &error));
  root = parse_json (p2, text);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "evaluate"), "windows"),
                   ==, N_TEST);
}

/* --prototype-init=randreal: with a zero learning rate the stored prototypes
 * are exactly the initial ones, and each must be one of the real inputs of
 * old layer l (here LaBraM layer 1: rows of 200 features), recomputed here
 * with the model API. */
static void
test_randreal (Fixture *fx, gconstpointer data)
{
  g_autofree char *bridge = in_dir (fx, "real.safetensors");
  g_autofree char *o_bridge = g_strdup_printf ("--output=%s", bridge);
  g_autofree char *pair = in_dir (fx, "pair_eeg.npy");
  const char *extra[]
      = { o_bridge,  "--no-cache", "--input-layer=1", "--output-layer=1",          "--epochs=1",
          "--lr=0",  "--rank=2",   "--prototypes=8",  "--prototype-init=randreal", "--json",
          "--quiet", NULL };
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BxBridgeFile) file = NULL;
  g_autoptr (BxModel) model = NULL;
  g_autoptr (BxModelContext) ctx = bx_model_context_new ();
  g_autoptr (BxTensor) raw = NULL;
  g_autofree float *x = NULL, *prep = NULL, *acts = NULL;
  gint64 shape[8];
  int nd = 0;
  gsize l_numel, n_vec;
  char *out = NULL;
  JsonObject *t;

  (void)data;
  g_assert_cmpint (run_cli (fx, &out, "train", TRUE, extra), ==, 0);
  t = json_object_get_object_member (parse_json (p, out), "train");
  g_free (out);
  g_assert_cmpstr (json_object_get_string_member (t, "prototype_init"), ==, "randreal");
  file = bx_bridge_file_read (bridge, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (file->bridge->d_old, ==, 200);

  model = bx_model_load (BX_MODEL_FAMILY_LABRAM, fx->old_ckpt, &error);
  g_assert_no_error (error);
  raw = bx_npy_read (pair, &error);
  g_assert_no_error (error);
  x = bx_tensor_to_float (raw, NULL);
  prep = bx_model_prepare (model, x, (int)raw->shape[0], (int)raw->ndim - 1, raw->shape + 1, &nd, shape,
                           &error);
  g_assert_no_error (error);
  g_assert_true (bx_model_set_input_shape (model, nd, shape, &error));
  l_numel = (gsize)bx_model_layer_numel (model, 1, TRUE);
  acts = g_new (float, N_PAIR *l_numel);
  g_assert_true (
      bx_model_forward (model, ctx, N_PAIR, BX_MODEL_FROM_PREPARED, 1, prep, acts, NULL, FALSE, &error));
  g_assert_no_error (error);
  n_vec = N_PAIR * l_numel / 200;
  for (guint p_i = 0; p_i < 8; p_i++)
    {
      double best = INFINITY, scale = 0;
      for (gsize v = 0; v < n_vec; v++)
        {
          double err = 0;
          for (guint d = 0; d < 200; d++)
            err = MAX (err, fabs ((double)file->bridge->prototypes[d * 8 + p_i] - acts[v * 200 + d]));
          best = MIN (best, err);
        }
      for (guint d = 0; d < 200; d++)
        scale = MAX (scale, fabs (file->bridge->prototypes[d * 8 + p_i]));
      g_assert_cmpfloat (scale, >, 0);
      g_assert_cmpfloat (best, <=, 1e-4 * scale);
    }
}

/* Recordings through a manifest: two simulated nights (train+pair, test),
 * 3-s windows, sleep/wake classes from the stage annotations. */
static void
test_manifest (Fixture *fx, gconstpointer data)
{
  g_autofree char *manifest = in_dir (fx, "run.tsv");
  g_autofree char *out_dir = in_dir (fx, "mout");
  g_autofree char *pred = g_build_filename (out_dir, "predictions.tsv", NULL);
  g_autofree char *a_manifest = g_strdup_printf ("--manifest=%s", manifest);
  g_autofree char *a_out = g_strdup_printf ("--out-dir=%s", out_dir);
  const char *extra[]
      = { a_manifest,         a_out,        "--window=3", "--stage-set=sleep-wake", "--input-layer=0",
          "--output-layer=0", "--epochs=2", "--rank=4",   "--prototypes=8",         "--no-cache",
          "--json",           "--quiet",    NULL };
  g_autoptr (JsonParser) p = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BxLabelTrack) track = NULL;
  JsonObject *root, *ev;
  JsonArray *cm;
  gint64 n_test, total = 0;
  char *out = NULL;

  (void)data;
  for (int night = 1; night <= 2; night++)
    {
      g_autofree char *o = g_strdup_printf ("--output=%s/night%d.edf", fx->dir, night);
      g_autofree char *seed = g_strdup_printf ("--seed=%d", night);
      const char *sim[] = { "--hours=0.02", seed, o, NULL };
      g_assert_cmpint (run_cli (fx, NULL, "simulate", FALSE, sim), ==, 0);
    }
  g_assert_true (g_file_set_contents (manifest,
                                      "path\tsubject\trole\tlabels\tchannels\n"
                                      "night1.edf\tS1\ttrain,pair\tannotations\tauto\n"
                                      "night2.edf\tS2\ttest\tannotations\tauto\n",
                                      -1, &error));
  /* Only --manifest, no tensors: every role comes from the recordings. */
  g_assert_cmpint (run_cli (fx, &out, "run", FALSE, extra), ==, 0);
  root = parse_json (p, out);
  g_free (out);
  {
    JsonArray *names
        = json_object_get_array_member (json_object_get_object_member (root, "head"), "class_names");
    g_assert_cmpuint (json_array_get_length (names), ==, 2);
    g_assert_cmpstr (json_array_get_string_element (names, 0), ==, "W");
    g_assert_cmpstr (json_array_get_string_element (names, 1), ==, "Sleep");
  }
  n_test = json_object_get_int_member (json_object_get_object_member (root, "predict"), "windows");
  g_assert_cmpint (n_test, >=, 1);
  g_assert_cmpint (n_test, <=, 24);
  ev = json_object_get_object_member (root, "evaluate");
  cm = json_object_get_array_member (ev, "confusion");
  for (guint r = 0; r < 2; r++)
    for (guint c = 0; c < 2; c++)
      total += json_array_get_int_element (json_array_get_array_element (cm, r), c);
  g_assert_cmpint (total + json_object_get_int_member (ev, "skipped"), ==, n_test);
  track = bx_label_track_read (pred, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bx_label_track_get_length (track), >=, n_test);
}

/* SIGINT during training: exit 1 within a short time, nothing left in --out-dir. */
static void
test_cancel (Fixture *fx, gconstpointer data)
{
  g_autofree char *out_dir = in_dir (fx, "out");
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GDataInputStream) err = NULL;
  g_autoptr (GError) error = NULL;
  gboolean training = FALSE;
  gint64 t_signal;
  double seconds;

  (void)data;
  g_ptr_array_add (argv, g_strdup (BX_CLI_PATH));
  g_ptr_array_add (argv, g_strdup ("run"));
  g_ptr_array_add (argv, g_strdup_printf ("--old-checkpoint=%s", fx->old_ckpt));
  g_ptr_array_add (argv, g_strdup_printf ("--new-checkpoint=%s", fx->new_ckpt));
  g_ptr_array_add (argv, g_strdup_printf ("--old-npy=%s/train_eeg.npy", fx->dir));
  g_ptr_array_add (argv, g_strdup_printf ("--labels=%s/train_y.npy", fx->dir));
  g_ptr_array_add (argv, g_strdup_printf ("--new-npy=%s/train_ecg.npy", fx->dir));
  g_ptr_array_add (argv, g_strdup_printf ("--out-dir=%s", out_dir));
  g_ptr_array_add (argv, g_strdup ("--no-cache"));
  g_ptr_array_add (argv, g_strdup ("--head-epochs=2"));
  g_ptr_array_add (argv, g_strdup ("--epochs=1000000"));
  g_ptr_array_add (argv, g_strdup ("--threads=1"));
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const char *const *)argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  err = g_data_input_stream_new (g_subprocess_get_stderr_pipe (proc));
  while (!training)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (err, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (line); /* the run must get to training */
      training = g_str_has_prefix (line, "train ");
    }
  g_assert_true (g_file_test (out_dir, G_FILE_TEST_IS_DIR));
  t_signal = g_get_monotonic_time ();
  g_subprocess_send_signal (proc, SIGINT);
  g_assert_true (g_subprocess_wait (proc, NULL, &error));
  seconds = (g_get_monotonic_time () - t_signal) / 1e6;
  g_test_message ("stopped %.3f s after SIGINT", seconds);
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 1);
  /* Generous for loaded machines and sanitizer builds; typically ~0.05 s. */
  g_assert_cmpfloat (seconds, <, 5.0);
  g_assert_false (g_file_test (out_dir, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/bridge/pipeline-cli/stages", Fixture, NULL, fixture_setup, test_stages, fixture_teardown);
  g_test_add ("/bridge/pipeline-cli/checkpoint-mismatch", Fixture, NULL, fixture_setup,
              test_checkpoint_mismatch, fixture_teardown);
  g_test_add ("/bridge/pipeline-cli/run", Fixture, NULL, fixture_setup, test_run, fixture_teardown);
  g_test_add ("/bridge/pipeline-cli/randreal", Fixture, NULL, fixture_setup, test_randreal, fixture_teardown);
  g_test_add ("/bridge/pipeline-cli/manifest", Fixture, NULL, fixture_setup, test_manifest, fixture_teardown);
  g_test_add ("/bridge/pipeline-cli/cancel", Fixture, NULL, fixture_setup, test_cancel, fixture_teardown);
  return g_test_run ();
}
