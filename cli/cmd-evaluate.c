/* cmd-evaluate.c — `bioxbridge-cli evaluate`: stage 6. Predicts the test
 * windows of the new modality with a bridge file and prints accuracy,
 * balanced accuracy, Cohen's kappa, macro/weighted F1 and the confusion
 * matrix (scikit-learn semantics).
 */
#include "config.h"

#include <string.h>

#include "bridge/bx-run.h"
#include "bx-cli-util.h"

typedef gboolean (*BxPipelineStages) (BxRun *run, BxRunOptions *opt, char **args, GError **error);
int bx_cli_pipeline (int argc, char **argv, const char *parameter_string, const char *description,
                     guint option_sets, const GOptionEntry *extra, int min_args, int max_args,
                     BxPipelineStages stages);
int bx_cmd_evaluate (int argc, char **argv);

static gboolean
evaluate_stages (BxRun *run, BxRunOptions *opt, char **args, GError **error)
{
  (void)args;
  if (opt->bridge == NULL)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE, "evaluate needs --bridge FILE");
      return FALSE;
    }
  return bx_run_use_bridge (run, opt->bridge, error) && bx_run_predict (run, NULL, opt->output, error)
         && bx_run_evaluate (run, error);
}

int
bx_cmd_evaluate (int argc, char **argv)
{
  return bx_cli_pipeline (
      argc, argv, NULL, "Evaluate a bridge on labelled new-modality windows (--test-new-npy, --test-labels).",
      BX_RUN_OPTS_MODELS | BX_RUN_OPTS_INPUTS | BX_RUN_OPTS_FEATURES | BX_RUN_OPTS_BRIDGE
          | BX_RUN_OPTS_OUTPUT,
      NULL, 0, 0, evaluate_stages);
}
