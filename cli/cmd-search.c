/* cmd-search.c — `bioxbridge-cli search`: stage 3, where to attach the
 * bridge. Prints the probe macro-F1 of every new-model layer and the CKA of
 * every old-model layer and the chosen m and l (--json: all scores).
 */
#include "config.h"

#include <string.h>

#include "bridge/bx-run.h"
#include "bx-cli-util.h"

typedef gboolean (*BxPipelineStages) (BxRun *run, BxRunOptions *opt, char **args, GError **error);
int bx_cli_pipeline (int argc, char **argv, const char *parameter_string, const char *description,
                     guint option_sets, const GOptionEntry *extra, int min_args, int max_args,
                     BxPipelineStages stages);
int bx_cmd_search (int argc, char **argv);

static gboolean
search_stages (BxRun *run, BxRunOptions *opt, char **args, GError **error)
{
  (void)opt, (void)args;
  return bx_run_search (run, error);
}

int
bx_cmd_search (int argc, char **argv)
{
  return bx_cli_pipeline (
      argc, argv, NULL,
      "Score every layer (probe CV macro-F1 on the new model, linear CKA on the old model) and "
      "choose the bridge positions m and l.",
      BX_RUN_OPTS_MODELS | BX_RUN_OPTS_INPUTS | BX_RUN_OPTS_HEAD | BX_RUN_OPTS_FEATURES | BX_RUN_OPTS_TRAIN,
      NULL, 0, 0, search_stages);
}
