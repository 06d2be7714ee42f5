/* cmd-train.c — `bioxbridge-cli train`: stage 4, the prototype bridge.
 * Positions from --input-layer/--output-layer or from the search; starts from
 * --init-bridge when given; writes the bridge file (-o, atomically).
 */
#include "config.h"

#include <string.h>

#include "bridge/bx-run.h"
#include "bx-cli-util.h"

typedef gboolean (*BxPipelineStages) (BxRun *run, BxRunOptions *opt, char **args, GError **error);
int bx_cli_pipeline (int argc, char **argv, const char *parameter_string, const char *description,
                     guint option_sets, const GOptionEntry *extra, int min_args, int max_args,
                     BxPipelineStages stages);
int bx_cmd_train (int argc, char **argv);

static gboolean
train_stages (BxRun *run, BxRunOptions *opt, char **args, GError **error)
{
  (void)args;
  if (opt->output == NULL)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE, "train needs -o BRIDGE.safetensors");
      return FALSE;
    }
  return bx_run_train (run, opt->output, error);
}

int
bx_cmd_train (int argc, char **argv)
{
  return bx_cli_pipeline (
      argc, argv, NULL,
      "Train the bridge (head, cached features and the position search run first as needed) and "
      "write the bridge file with -o.",
      BX_RUN_OPTS_MODELS | BX_RUN_OPTS_INPUTS | BX_RUN_OPTS_HEAD | BX_RUN_OPTS_FEATURES | BX_RUN_OPTS_TRAIN
          | BX_RUN_OPTS_BRIDGE | BX_RUN_OPTS_OUTPUT,
      NULL, 0, 0, train_stages);
}
