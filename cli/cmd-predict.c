/* cmd-predict.c — `bioxbridge-cli predict`: stage 5 on ONE input per call,
 * so GNU parallel and Slurm job arrays can fan out a cohort. The new modality
 * alone goes through new model → bridge → old layers → head; the labels and
 * per-window confidence are written as TSV, CSV or EDF+ (-o, by extension).
 * Input: one recording (EDF/BDF; cut into the bridge's windows with the new
 * model's preprocessing, channels by modality detection) or prepared
 * new-modality windows (WINDOWS.npy as the argument or --test-new-npy).
 */
#include "config.h"

#include <string.h>

#include "bridge/bx-run.h"
#include "bx-cli-util.h"

typedef gboolean (*BxPipelineStages) (BxRun *run, BxRunOptions *opt, char **args, GError **error);
int bx_cli_pipeline (int argc, char **argv, const char *parameter_string, const char *description,
                     guint option_sets, const GOptionEntry *extra, int min_args, int max_args,
                     BxPipelineStages stages);
int bx_cmd_predict (int argc, char **argv);

static gboolean
predict_stages (BxRun *run, BxRunOptions *opt, char **args, GError **error)
{
  const char *input = args[0];

  if (opt->bridge == NULL)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE, "predict needs --bridge FILE");
      return FALSE;
    }
  return bx_run_use_bridge (run, opt->bridge, error) && bx_run_predict (run, input, opt->output, error);
}

int
bx_cmd_predict (int argc, char **argv)
{
  return bx_cli_pipeline (
      argc, argv, "[RECORDING.edf | WINDOWS.npy]",
      "Predict labels and per-window confidence for one input of the new modality with a bridge "
      "file; -o writes them as .tsv, .csv or .edf.",
      BX_RUN_OPTS_MODELS | BX_RUN_OPTS_INPUTS | BX_RUN_OPTS_FEATURES | BX_RUN_OPTS_BRIDGE
          | BX_RUN_OPTS_OUTPUT,
      NULL, 0, 1, predict_stages);
}
