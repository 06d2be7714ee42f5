/* bioxbridge-cli — headless front end over libbiox-core.
 *
 * One recording per call where it matters (predict), so GNU parallel and
 * Slurm job arrays can fan out a cohort. Each subcommand lives in
 * cmd-<name>.c and is listed in `commands` below.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "bx-cli-util.h"

/* Subcommands, one per cmd-<name>.c. Keep one declaration and one table row
 * per line. */
/* BX-CLI-DECLARATIONS */
int bx_cmd_demo (int argc, char **argv);
int bx_cmd_pretrain (int argc, char **argv);
int bx_cmd_probe (int argc, char **argv);
int bx_cmd_features (int argc, char **argv);
int bx_cmd_search (int argc, char **argv);
int bx_cmd_train (int argc, char **argv);
int bx_cmd_predict (int argc, char **argv);
int bx_cmd_evaluate (int argc, char **argv);
int bx_cmd_run (int argc, char **argv);
int bx_cmd_info (int argc, char **argv);
int bx_cmd_simulate (int argc, char **argv);
int bx_cmd_model (int argc, char **argv);

static const BxCliCommand commands[] = {
  /* BX-CLI-TABLE */
  { "demo", "Simulate two nights and run EEG -> ECG transfer with the built-in compact encoders", bx_cmd_demo },
  { "pretrain", "Pretrain a compact encoder (masked-patch reconstruction)", bx_cmd_pretrain },
  { "probe", "Train or import the task head on the old modality", bx_cmd_probe },
  { "features", "Compute and cache the pair features of both models", bx_cmd_features },
  { "search", "Score every layer and choose the bridge positions m and l", bx_cmd_search },
  { "train", "Train the bridge and write the bridge file", bx_cmd_train },
  { "predict", "Predict labels with a bridge for one input of the new modality", bx_cmd_predict },
  { "evaluate", "Evaluate a bridge on labelled new-modality windows", bx_cmd_evaluate },
  { "run", "All stages: head, features, search, train, predict, evaluate", bx_cmd_run },
  { "info", "Show a recording's header, channels, annotations and hypnogram", bx_cmd_info },
  { "simulate", "Write the synthetic PSG night (demo data) as EDF+", bx_cmd_simulate },
  { "model", "Inspect a checkpoint or run a foundation model on .npy input", bx_cmd_model },
  { NULL, NULL, NULL },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage: bioxbridge-cli COMMAND [OPTIONS...]\n\n"
                "BioX Bridge %s: biosignal recordings and cross-modal transfer, headless.\n\n"
                "Commands:\n",
           PACKAGE_VERSION);
  for (const BxCliCommand *c = commands; c->name != NULL; c++)
    fprintf (out, "  %-10s %s\n", c->name, c->summary);
  fprintf (out, "  %-10s %s\n", "version", "Print the version");
  fprintf (out, "\nRun 'bioxbridge-cli COMMAND --help' for a command's options.\n"
                "Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid input file.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  /* Numbers in files and JSON are always C-locale. */
  setlocale (LC_NUMERIC, "C");
  g_set_prgname ("bioxbridge-cli");

  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      print_usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? BX_EXIT_USAGE : BX_EXIT_OK;
    }
  if (strcmp (argv[1], "version") == 0 || strcmp (argv[1], "--version") == 0)
    {
      printf ("bioxbridge-cli %s\n", PACKAGE_VERSION);
      return BX_EXIT_OK;
    }
  for (const BxCliCommand *c = commands; c->name != NULL; c++)
    if (strcmp (argv[1], c->name) == 0)
      return c->run (argc - 1, argv + 1);

  g_printerr ("bioxbridge-cli: unknown command '%s'\n", argv[1]);
  print_usage (stderr);
  return BX_EXIT_USAGE;
}
