/* bx-cli-util.h — small helpers shared by the bioxbridge-cli subcommands. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Exit codes, documented in README.md ("CLI"). Scripts (GNU parallel, Slurm
 * arrays) rely on them, so never renumber. */
typedef enum {
  BX_EXIT_OK = 0,
  BX_EXIT_FAILURE = 1,      /* the work failed (I/O, numerical, cancelled) */
  BX_EXIT_USAGE = 2,        /* bad command line */
  BX_EXIT_BAD_INPUT = 3,    /* an input file is invalid (corrupt, wrong model, NaN ...) */
} BxExitCode;

/* A subcommand: argv[0] is the subcommand name. Returns a BxExitCode. */
typedef int (*BxCliCommandFunc) (int argc, char **argv);

typedef struct {
  const char *name;
  const char *summary;
  BxCliCommandFunc run;
} BxCliCommand;

/* Prints "bioxbridge-cli: <message>" to stderr and returns `code`. */
int bx_cli_fail (int code, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Prints an error from a GError and returns BX_EXIT_BAD_INPUT or
 * BX_EXIT_FAILURE depending on `bad_input`. Frees nothing. */
int bx_cli_fail_error (const GError *error, gboolean bad_input);

/* Parses options with GOptionContext; on failure prints the message and the
 * help and returns FALSE. `parameter_string` is e.g. "FILE". */
gboolean bx_cli_parse (GOptionContext *context, int *argc, char ***argv);

/* Sets OpenBLAS and our own thread count (0 = all cores). */
void bx_cli_set_threads (int n_threads);

G_END_DECLS
