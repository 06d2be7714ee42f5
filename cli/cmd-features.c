/* cmd-features.c — `bioxbridge-cli features`: stage 2, one forward of both
 * frozen models over the paired windows (pooled output of every new-model
 * layer, pooled input of every old-model layer, old last-layer targets,
 * pseudo labels), stored in the feature cache (--cache-dir) for search and
 * train to reuse.
 */
#include "config.h"

#include <string.h>

#include "bridge/bx-run.h"
#include "bx-cli-util.h"

typedef gboolean (*BxPipelineStages) (BxRun *run, BxRunOptions *opt, char **args, GError **error);
int bx_cli_pipeline (int argc, char **argv, const char *parameter_string, const char *description,
                     guint option_sets, const GOptionEntry *extra, int min_args, int max_args,
                     BxPipelineStages stages);
int bx_cmd_features (int argc, char **argv);

static gboolean
features_stages (BxRun *run, BxRunOptions *opt, char **args, GError **error)
{
  (void)opt, (void)args;
  return bx_run_features (run, TRUE, error);
}

int
bx_cmd_features (int argc, char **argv)
{
  return bx_cli_pipeline (
      argc, argv, NULL,
      "Compute the pair features of both models (and the pseudo labels of the task head) and "
      "store them in the feature cache.",
      BX_RUN_OPTS_MODELS | BX_RUN_OPTS_INPUTS | BX_RUN_OPTS_HEAD | BX_RUN_OPTS_FEATURES, NULL, 0, 0,
      features_stages);
}
