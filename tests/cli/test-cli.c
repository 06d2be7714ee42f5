/* test-cli.c — runs the built bioxbridge-cli on files: `simulate` then `info`
 * (text and JSON) on the synthetic night, on invalid and truncated files,
 * and on the shared real recordings; checks exit codes and output. */
#include <json-glib/json-glib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bx-test-data.h"
#include "sim/bx-sim-night.h"

#ifndef BX_CLI_PATH
#error "BX_CLI_PATH must name the built bioxbridge-cli"
#endif

typedef struct
{
  int status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Runs the CLI with a NULL-terminated argument list; returns its exit code. */
static int
run_cli (Run *run, ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  va_list ap;
  const char *arg;
  int wait_status = 0;

  g_ptr_array_add (args, (gpointer)BX_CLI_PATH);
  va_start (ap, run);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (gpointer)arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  memset (run, 0, sizeof *run);
  g_assert_true (g_spawn_sync (NULL, (char **)args->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &run->out,
                               &run->err, &wait_status, &error));
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  run->status = WEXITSTATUS (wait_status);
  return run->status;
}

/* One simulated night shared by the tests (0.5 h, reduced rates). */
static char *tmpdir;
static char *night_path;
static const guint64 night_seed = 3;

static const char *
get_night_path (void)
{
  if (night_path == NULL)
    {
      g_auto (Run) run;

      tmpdir = bx_test_tmpdir_new ();
      night_path = g_build_filename (tmpdir, "night.edf", NULL);
      run_cli (&run, "simulate", "--hours", "0.5", "--seed", "3", "--eeg-rate", "128", "--eog-rate", "128",
               "--emg-rate", "128", "--ecg-rate", "128", "--ppg-rate", "64", "--resp-rate", "16", "-o",
               night_path, NULL);
      g_test_message ("simulate: %s%s", run.out, run.err);
      g_assert_cmpint (run.status, ==, 0);
      g_assert_true (g_file_test (night_path, G_FILE_TEST_IS_REGULAR));
      g_assert_nonnull (strstr (run.out, "Wrote"));
    }
  return night_path;
}

static void
test_simulate_deterministic (void)
{
  const char *first = get_night_path ();
  g_autofree char *second = g_build_filename (tmpdir, "again.edf", NULL);
  g_autofree char *other = g_build_filename (tmpdir, "other.edf", NULL);
  g_autofree char *a = NULL, *b = NULL, *c = NULL;
  gsize la = 0, lb = 0, lc = 0;
  g_auto (Run) run;
  g_auto (Run) run_other;

  /* Same seed and rates, one worker thread instead of all: the same bytes. */
  g_assert_cmpint (run_cli (&run, "simulate", "-q", "--threads", "1", "--hours", "0.5", "--seed", "3",
                            "--eeg-rate", "128", "--eog-rate", "128", "--emg-rate", "128", "--ecg-rate",
                            "128", "--ppg-rate", "64", "--resp-rate", "16", "-o", second, NULL),
                   ==, 0);
  g_assert_cmpstr (run.out, ==, "");
  g_assert_true (g_file_get_contents (first, &a, &la, NULL));
  g_assert_true (g_file_get_contents (second, &b, &lb, NULL));
  g_assert_cmpmem (a, la, b, lb);
  /* Another seed: another file of the same size. */
  g_assert_cmpint (run_cli (&run_other, "simulate", "-q", "--hours", "0.5", "--seed", "4", "--eeg-rate",
                            "128", "--eog-rate", "128", "--emg-rate", "128", "--ecg-rate", "128",
                            "--ppg-rate", "64", "--resp-rate", "16", "-o", other, NULL),
                   ==, 0);
  g_assert_true (g_file_get_contents (other, &c, &lc, NULL));
  g_assert_cmpuint (lc, ==, la);
  g_assert_true (memcmp (a, c, la) != 0);
}

static void
test_simulate_cancel (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "cancelled.edf", NULL);
  g_autofree char *part = g_strconcat (path, ".part", NULL);
  const char *args[] = { BX_CLI_PATH, "simulate", "--hours", "8", "-o", path, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) err = g_string_new (NULL);
  GPid pid;
  int out_fd, err_fd, status = 0;
  char c, buf[256];
  gssize n;

  g_assert_true (g_spawn_async_with_pipes (NULL, (char **)args, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                           &pid, NULL, &out_fd, &err_fd, &error));
  g_assert_no_error (error);
  /* Wait for "Generating ..." (the signal handlers are in place), then
   * interrupt a full default night long before it can be finished. */
  while ((n = read (out_fd, &c, 1)) == 1 && c != '\n')
    ;
  g_assert_cmpint (n, ==, 1);
  g_assert_cmpint (kill (pid, SIGINT), ==, 0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  while ((n = read (err_fd, buf, sizeof buf)) > 0)
    g_string_append_len (err, buf, n);
  close (out_fd);
  close (err_fd);
  g_spawn_close_pid (pid);
  g_test_message ("simulate interrupted: %s", err->str);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  g_assert_nonnull (strstr (err->str, "cancelled"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  bx_test_tmpdir_remove (dir);
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

static void
test_simulate_info_text (void)
{
  const char *path = get_night_path ();
  g_auto (Run) run;

  g_assert_cmpint (run_cli (&run, "info", path, NULL), ==, 0);
  g_assert_cmpstr (run.err, ==, "");
  g_assert_nonnull (strstr (run.out, "EDF+C"));
  g_assert_nonnull (strstr (run.out, "2024-01-01 22:45:00"));
  g_assert_nonnull (strstr (run.out, "EEG C4-M1"));
  g_assert_nonnull (strstr (run.out, "ECG II"));
  g_assert_nonnull (strstr (run.out, "Sleep stage W"));
  g_assert_nonnull (strstr (run.out, "60 epochs of 30 s"));
  g_assert_nonnull (strstr (run.out, "(continuous file)"));
}

static void
test_simulate_info_json (void)
{
  const char *path = get_night_path ();
  g_auto (Run) run;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (BxSimNight) night = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree gint8 *stages = NULL;
  JsonObject *root, *hyp, *epochs;
  JsonArray *channels;
  BxSimParams params;
  guint n = 0, count[BX_STAGE_N_CODES] = { 0 };

  g_assert_cmpint (run_cli (&run, "info", "--json", path, NULL), ==, 0);
  root = parse_json (parser, run.out);
  g_assert_cmpstr (json_object_get_string_member (root, "type"), ==, "EDF+C");
  g_assert_cmpfloat (json_object_get_double_member (root, "duration"), ==, 1800.0);
  g_assert_cmpint (json_object_get_int_member (root, "n_records"), ==, 1800);

  /* The same channels as the generator makes, with the detected modality
   * matching what each channel really is. */
  bx_sim_params_init (&params);
  params.seed = night_seed;
  params.hours = 0.25;
  params.eeg_rate = params.eog_rate = params.emg_rate = params.ecg_rate = 64;
  night = bx_sim_night_generate (&params, NULL, &error);
  g_assert_no_error (error);
  channels = json_object_get_array_member (root, "channels");
  g_assert_cmpuint (json_array_get_length (channels), ==, night->n_channels);
  for (guint i = 0; i < night->n_channels; i++)
    {
      JsonObject *ch = json_array_get_object_element (channels, i);
      g_assert_cmpstr (json_object_get_string_member (ch, "label"), ==, night->channels[i].label);
      g_assert_cmpstr (json_object_get_string_member (ch, "unit"), ==, night->channels[i].physical_dimension);
      g_assert_cmpstr (json_object_get_string_member (ch, "modality"), ==,
                       bx_modality_to_string (night->channels[i].modality));
    }
  g_assert_cmpfloat (
      json_object_get_double_member (json_array_get_object_element (channels, 3), "sample_rate"), ==, 128.0);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (channels, 3), "n_samples"), ==,
                   1800 * 128);
  g_assert_cmpfloat (
      json_object_get_double_member (json_array_get_object_element (channels, 10), "sample_rate"), ==, 64.0);

  /* Hypnogram summary: the stage counts of the generator's own hypnogram for
   * this seed and length. */
  stages = bx_sim_stages_generate (night_seed, 0.5, &n);
  for (guint e = 0; e < n; e++)
    count[stages[e]]++;
  hyp = json_object_get_object_member (root, "hypnogram");
  g_assert_nonnull (hyp);
  g_assert_cmpint (json_object_get_int_member (hyp, "n_epochs"), ==, n);
  g_assert_cmpint (json_object_get_int_member (hyp, "n_unscored"), ==, 0);
  epochs = json_object_get_object_member (hyp, "epochs");
  g_assert_cmpint (json_object_get_int_member (epochs, "W"), ==, count[BX_STAGE_WAKE]);
  g_assert_cmpint (json_object_get_int_member (epochs, "N1"), ==, count[BX_STAGE_N1]);
  g_assert_cmpint (json_object_get_int_member (epochs, "N2"), ==, count[BX_STAGE_N2]);
  g_assert_cmpint (json_object_get_int_member (epochs, "N3"), ==, count[BX_STAGE_N3]);
  g_assert_cmpint (json_object_get_int_member (epochs, "R"), ==, count[BX_STAGE_REM]);

  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (root, "annotations"), "count"),
                   >, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "segments")), ==, 1);
  g_assert_false (json_object_get_boolean_member (root, "discontinuous"));
}

static void
write_file (const char *path, const char *data, gsize len)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (path, data, (gssize)len, &error));
  g_assert_no_error (error);
}

static void
expect_bad_input (const char *path)
{
  g_auto (Run) run;
  g_autofree char *base = g_path_get_basename (path);

  run_cli (&run, "info", path, NULL);
  g_test_message ("info %s -> %d: %s", base, run.status, run.err);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_cmpstr (run.out, ==, "");
  g_assert_nonnull (strstr (run.err, base));
}

static void
test_info_invalid (void)
{
  const char *night = get_night_path ();
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autofree char *garbage = g_build_filename (tmpdir, "garbage.edf", NULL);
  g_autofree char *empty = g_build_filename (tmpdir, "empty.edf", NULL);
  g_autofree char *header_cut = g_build_filename (tmpdir, "header-cut.edf", NULL);
  g_autofree char *data_cut = g_build_filename (tmpdir, "data-cut.edf", NULL);
  g_autofree char *missing = g_build_filename (tmpdir, "does-not-exist.edf", NULL);

  g_assert_true (g_file_get_contents (night, &contents, &len, NULL));
  write_file (garbage, "this is not a European Data Format file, just some text\n", 56);
  write_file (empty, "", 0);
  /* Cut inside the signal headers, and inside the data records. */
  write_file (header_cut, contents, 700);
  write_file (data_cut, contents, len - 5000);

  expect_bad_input (garbage);
  expect_bad_input (empty);
  expect_bad_input (header_cut);
  expect_bad_input (data_cut);
  expect_bad_input (missing);
}

/* A minimal EDF+D file written byte by byte: one 10-Hz signal and the
 * annotation signal, three 1-s data records starting at 0, 1 and 5 s, so the
 * file has two segments and a 3-s gap. */
static void
write_edf_plus_d (const char *path)
{
  static const double onsets[3] = { 0.0, 1.0, 5.0 };
  g_autoptr (GString) f = g_string_new (NULL);

#define FIELD(text, width) g_string_append_printf (f, "%-*s", (int)(width), (text))
  FIELD ("0", 8);
  FIELD ("X X X X", 80);
  FIELD ("Startdate 01-JAN-2024 X X X", 80);
  FIELD ("01.01.24", 8);
  FIELD ("00.00.00", 8);
  FIELD ("768", 8);
  FIELD ("EDF+D", 44);
  FIELD ("3", 8);
  FIELD ("1", 8);
  FIELD ("2", 4);
  FIELD ("EEG Fz", 16);
  FIELD ("EDF Annotations", 16);
  FIELD ("AgAgCl electrode", 80);
  FIELD ("", 80);
  FIELD ("uV", 8);
  FIELD ("", 8);
  FIELD ("-100", 8);
  FIELD ("-1", 8);
  FIELD ("100", 8);
  FIELD ("1", 8);
  FIELD ("-32768", 8);
  FIELD ("-32768", 8);
  FIELD ("32767", 8);
  FIELD ("32767", 8);
  FIELD ("", 80);
  FIELD ("", 80);
  FIELD ("10", 8);
  FIELD ("30", 8);
  FIELD ("", 32);
  FIELD ("", 32);
#undef FIELD
  g_assert_cmpuint (f->len, ==, 768);
  for (int r = 0; r < 3; r++)
    {
      char tal[60] = { 0 };

      for (int i = 0; i < 10; i++)
        {
          gint16 v = (gint16)(1000 * (r + 1) + i);
          g_string_append_len (f, (const char *)&v, 2); /* little-endian host */
        }
      g_snprintf (tal, sizeof tal, "+%g\x14\x14", onsets[r]);
      g_string_append_len (f, tal, sizeof tal);
    }
  write_file (path, f->str, f->len);
}

static void
test_info_discontinuous (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "gaps.edf", NULL);
  g_auto (Run) text;
  g_auto (Run) json;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonArray *segments;

  write_edf_plus_d (path);
  g_assert_cmpint (run_cli (&text, "info", path, NULL), ==, 0);
  g_test_message ("%s", text.out);
  g_assert_nonnull (strstr (text.out, "EDF+D"));
  g_assert_nonnull (strstr (text.out, "Segments:    2 (discontinuous file, gaps below)"));
  g_assert_nonnull (strstr (text.out, "gap before 3.000 s"));

  g_assert_cmpint (run_cli (&json, "info", "--json", path, NULL), ==, 0);
  root = parse_json (parser, json.out);
  g_assert_true (json_object_get_boolean_member (root, "discontinuous"));
  segments = json_object_get_array_member (root, "segments");
  g_assert_cmpuint (json_array_get_length (segments), ==, 2);
  g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (segments, 0), "duration"),
                     ==, 2.0);
  g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (segments, 1), "onset"), ==,
                     5.0);
  g_assert_cmpfloat (
      json_object_get_double_member (json_array_get_object_element (segments, 1), "gap_before"), ==, 3.0);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (segments, 1), "first_record"),
                   ==, 2);
  bx_test_tmpdir_remove (dir);
}

static void
test_info_shared_invalid (void)
{
  g_autofree char *dir = bx_test_shared_data_path ("edf-corpus/invalid");
  g_autoptr (GDir) d = NULL;
  const char *name;
  guint n = 0;

  if (dir == NULL)
    return;
  d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      expect_bad_input (path);
      n++;
    }
  g_assert_cmpuint (n, >, 0);
}

static void
test_info_shared_valid (void)
{
  g_autofree char *dir = bx_test_shared_data_path ("edf-corpus/valid");
  g_autoptr (GDir) d = NULL;
  const char *name;
  guint n = 0;

  if (dir == NULL)
    return;
  d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *lower = g_ascii_strdown (name, -1);
      g_auto (Run) run;
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonObject *root;

      if (!g_str_has_suffix (lower, ".edf") && !g_str_has_suffix (lower, ".bdf"))
        continue;
      run_cli (&run, "info", "--json", path, NULL);
      g_test_message ("info %s -> %d %s", name, run.status, run.err);
      g_assert_cmpint (run.status, ==, 0);
      root = parse_json (parser, run.out);
      g_assert_true (json_object_has_member (root, "channels"));
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (root, "segments")), >=, 1);
      n++;
    }
  g_assert_cmpuint (n, >, 0);
}

static void
test_usage_errors (void)
{
  g_auto (Run) a;
  g_auto (Run) b;
  g_auto (Run) c;
  g_auto (Run) d;
  g_auto (Run) e;
  g_auto (Run) f;
  g_autofree char *bad_dir
      = g_build_filename (g_get_tmp_dir (), "bx-no-such-dir-for-cli-test", "x.edf", NULL);

  get_night_path ();
  /* info without a file, with two files, with an unknown option. */
  g_assert_cmpint (run_cli (&a, "info", NULL), ==, 2);
  g_assert_nonnull (strstr (a.err, "FILE"));
  g_assert_cmpint (run_cli (&b, "info", night_path, night_path, NULL), ==, 2);
  g_assert_cmpint (run_cli (&c, "info", "--no-such-option", night_path, NULL), ==, 2);
  /* simulate without -o, with a bad length; an unwritable output is a failure (1). */
  g_assert_cmpint (run_cli (&d, "simulate", "--hours", "1", NULL), ==, 2);
  g_assert_cmpint (run_cli (&e, "simulate", "--hours", "-2", "-o", "x.edf", NULL), ==, 2);
  g_assert_nonnull (strstr (e.err, "hours"));
  g_assert_cmpint (run_cli (&f, "simulate", "--hours", "0.01", "-o", bad_dir, NULL), ==, 1);
  g_assert_nonnull (strstr (f.err, "x.edf"));
}

int
main (int argc, char **argv)
{
  int result;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/simulate-info-text", test_simulate_info_text);
  g_test_add_func ("/cli/simulate-deterministic", test_simulate_deterministic);
  g_test_add_func ("/cli/simulate-cancel", test_simulate_cancel);
  g_test_add_func ("/cli/simulate-info-json", test_simulate_info_json);
  g_test_add_func ("/cli/info-invalid", test_info_invalid);
  g_test_add_func ("/cli/info-discontinuous", test_info_discontinuous);
  g_test_add_func ("/cli/info-shared-invalid", test_info_shared_invalid);
  g_test_add_func ("/cli/info-shared-valid", test_info_shared_valid);
  g_test_add_func ("/cli/usage-errors", test_usage_errors);
  result = g_test_run ();
  if (tmpdir != NULL)
    bx_test_tmpdir_remove (tmpdir);
  g_free (tmpdir);
  g_free (night_path);
  return result;
}
