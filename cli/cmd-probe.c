/* cmd-probe.c — `bioxbridge-cli probe`: stage 1, the old modality's task head.
 *
 * Trains the linear probe on the pooled last-layer feature of the old model
 * (weighted cross-entropy, Adam) from --train-old-npy/--train-labels, or
 * imports one with --head, and saves it (safetensors: head.weight (C, D),
 * head.bias (C), metadata class_names and the old checkpoint's SHA-256) to -o.
 */
#include "config.h"

#include <string.h>

#include "bridge/bx-run.h"
#include "bx-cli-util.h"

typedef gboolean (*BxPipelineStages) (BxRun *run, BxRunOptions *opt, char **args, GError **error);
int bx_cli_pipeline (int argc, char **argv, const char *parameter_string, const char *description,
                     guint option_sets, const GOptionEntry *extra, int min_args, int max_args,
                     BxPipelineStages stages);
int bx_cmd_probe (int argc, char **argv);

static gboolean
probe_stages (BxRun *run, BxRunOptions *opt, char **args, GError **error)
{
  (void)args;
  if (opt->output != NULL && opt->head_out == NULL)
    opt->head_out = g_strdup (opt->output);
  return bx_run_head (run, error);
}

int
bx_cmd_probe (int argc, char **argv)
{
  return bx_cli_pipeline (
      argc, argv, NULL,
      "Train (or import with --head) the task head on the old modality and save it with -o.",
      BX_RUN_OPTS_MODELS | BX_RUN_OPTS_INPUTS | BX_RUN_OPTS_HEAD | BX_RUN_OPTS_OUTPUT, NULL, 0, 0,
      probe_stages);
}
