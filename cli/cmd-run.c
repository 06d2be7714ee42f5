/* cmd-run.c — `bioxbridge-cli run`: every BioX-Bridge stage in one call
 * (head → features → search → train → predict → evaluate), writing the
 * bridge, the predictions and a JSON run summary into --out-dir.
 *
 * This file also holds the runner the other pipeline commands (probe,
 * features, search, train, predict, evaluate) share: option parsing, threads,
 * the worker thread with SIGINT/SIGTERM → cancel, progress on stderr, exit
 * codes from the error domain, and the text / --json summary on stdout.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "bridge/bx-run.h"
#include "bx-cli-util.h"
#include "io/bx-state-dict.h"
#include "models/bx-model.h"

/* Shared with cmd-probe.c … cmd-evaluate.c. `stages` runs in the worker
 * thread; `args` are the positional arguments after the options. */
typedef gboolean (*BxPipelineStages) (BxRun *run, BxRunOptions *opt, char **args, GError **error);
int bx_cli_pipeline (int argc, char **argv, const char *parameter_string, const char *description,
                     guint option_sets, const GOptionEntry *extra, int min_args, int max_args,
                     BxPipelineStages stages);
int bx_cmd_run (int argc, char **argv);

typedef struct
{
  BxRun *run;
  BxRunOptions *opt;
  char **args;
  BxPipelineStages stages;
  GError *error;
} PipelineWork;

static int
pipeline_worker (gpointer data)
{
  PipelineWork *w = data;
  return w->stages (w->run, w->opt, w->args, &w->error) ? BX_EXIT_OK : BX_EXIT_FAILURE;
}

static int
exit_code_for (const GError *error)
{
  if (error->domain == BX_RUN_ERROR && error->code == BX_RUN_ERROR_USAGE)
    return BX_EXIT_USAGE;
  if (error->domain == BX_RUN_ERROR || error->domain == BX_BRIDGE_FILE_ERROR || error->domain == BX_IO_ERROR
      || error->domain == BX_MODEL_ERROR)
    return BX_EXIT_BAD_INPUT;
  return BX_EXIT_FAILURE;
}

int
bx_cli_pipeline (int argc, char **argv, const char *parameter_string, const char *description,
                 guint option_sets, const GOptionEntry *extra, int min_args, int max_args,
                 BxPipelineStages stages)
{
  BxRunOptions opt;
  g_autoptr (GOptionContext) context = g_option_context_new (parameter_string);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (BxJob) job = NULL;
  g_autoptr (BxRun) run = NULL;
  PipelineWork work = { 0 };
  int n_threads, code;

  bx_run_options_init (&opt);
  g_option_context_set_summary (context, description);
  bx_run_add_options (context, &opt, option_sets | BX_RUN_OPTS_COMMON);
  if (extra != NULL)
    g_option_context_add_main_entries (context, extra, NULL);
  if (!bx_cli_parse (context, &argc, &argv))
    {
      bx_run_options_clear (&opt);
      return BX_EXIT_USAGE;
    }
  if (argc - 1 < min_args || argc - 1 > max_args)
    {
      bx_run_options_clear (&opt);
      return bx_cli_fail (BX_EXIT_USAGE, "%s: expected %s%s (try --help)", argv[0],
                          max_args == 0 ? "no arguments" : parameter_string,
                          argc - 1 > max_args ? " only" : "");
    }
  n_threads = opt.threads > 0 ? opt.threads : (int)g_get_num_processors ();
  bx_cli_set_threads (n_threads);
  bx_model_set_threads (n_threads);

  job = bx_job_new (cancellable, opt.quiet ? NULL : bx_run_print_progress, NULL);
  run = bx_run_new (&opt, job);
  work.run = run;
  work.opt = &opt;
  work.args = argv + 1;
  work.stages = stages;
  code = bx_run_in_worker (cancellable, pipeline_worker, &work);
  if (code != BX_EXIT_OK)
    {
      if (work.error != NULL && g_error_matches (work.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        code = bx_cli_fail (BX_EXIT_FAILURE, "cancelled; no output was written");
      else if (work.error != NULL)
        code = bx_cli_fail (exit_code_for (work.error), "%s", work.error->message);
      else
        code = bx_cli_fail (BX_EXIT_FAILURE, "failed");
      g_clear_error (&work.error);
    }
  else if (opt.json)
    {
      g_autofree char *text = bx_run_summary_json (run);
      printf ("%s\n", text);
    }
  else
    bx_run_print_summary (run, stdout);
  bx_run_options_clear (&opt);
  return code;
}

/* ---- run ---- */

static char *run_out_dir;
static gboolean run_oracle;

static gboolean
remove_if_exists (const char *path)
{
  return g_remove (path) == 0;
}

static gboolean
run_stages (BxRun *run, BxRunOptions *opt, char **args, GError **error)
{
  g_autofree char *bridge = NULL, *predictions = NULL, *summary = NULL, *summary_tmp = NULL, *text = NULL;
  gboolean created_dir = FALSE, ok;
  const char *test_labels = opt->test_labels != NULL ? opt->test_labels : opt->labels;

  (void)args;
  opt->oracle = run_oracle;
  if (run_out_dir == NULL)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE, "run needs --out-dir DIR");
      return FALSE;
    }
  if (!g_file_test (run_out_dir, G_FILE_TEST_IS_DIR))
    {
      if (g_mkdir_with_parents (run_out_dir, 0755) != 0)
        {
          int e = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "cannot create %s: %s", run_out_dir,
                       g_strerror (e));
          return FALSE;
        }
      created_dir = TRUE;
    }
  bridge = g_build_filename (run_out_dir, "bridge.safetensors", NULL);
  predictions = g_build_filename (run_out_dir, "predictions.tsv", NULL);
  summary = g_build_filename (run_out_dir, "summary.json", NULL);

  /* Both positions given: no search (it needs ≥ 2 pseudo-label classes). */
  ok = bx_run_head (run, error) && bx_run_features (run, TRUE, error)
       && ((opt->input_layer >= 0 && opt->output_layer >= 0) || bx_run_search (run, error))
       && bx_run_train (run, bridge, error);
  if (ok && (opt->test_new_npy != NULL || opt->new_npy != NULL || opt->manifest != NULL))
    ok = bx_run_predict (run, NULL, predictions, error)
         && ((test_labels == NULL && opt->manifest == NULL) || bx_run_evaluate (run, error));
  if (ok && opt->oracle)
    ok = bx_run_oracle (run, error);
  if (ok)
    {
      text = bx_run_summary_json (run);
      summary_tmp = bx_job_temp_path (summary);
      ok = g_file_set_contents (summary_tmp, text, -1, error)
           && bx_job_commit_file (summary_tmp, summary, error);
      if (!ok)
        bx_job_abort_file (summary_tmp);
    }
  if (!ok)
    {
      /* A run that did not finish leaves nothing behind, not even the complete
       * files of its earlier stages: a half-run directory is easy to mistake
       * for a result. */
      remove_if_exists (bridge);
      remove_if_exists (predictions);
      if (created_dir)
        g_rmdir (run_out_dir);
    }
  return ok;
}

int
bx_cmd_run (int argc, char **argv)
{
  const GOptionEntry extra[] = {
    { "out-dir", 0, 0, G_OPTION_ARG_FILENAME, &run_out_dir,
      "Directory for bridge.safetensors, predictions.tsv and summary.json", "DIR" },
    { "oracle", 0, 0, G_OPTION_ARG_NONE, &run_oracle,
      "Also evaluate an oracle: a head trained with the train labels on the new modality itself", NULL },
    { NULL },
  };
  int code = bx_cli_pipeline (
      argc, argv, NULL,
      "Run every stage: train the task head on the old modality, compute (cached) pair "
      "features, search the bridge positions, train the bridge, predict the test windows of "
      "the new modality and evaluate them. Writes bridge.safetensors, predictions.tsv and "
      "summary.json into --out-dir.",
      BX_RUN_OPTS_MODELS | BX_RUN_OPTS_INPUTS | BX_RUN_OPTS_HEAD | BX_RUN_OPTS_FEATURES | BX_RUN_OPTS_TRAIN,
      extra, 0, 0, run_stages);
  g_clear_pointer (&run_out_dir, g_free);
  return code;
}
