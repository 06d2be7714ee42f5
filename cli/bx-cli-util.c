/* bx-cli-util.c — shared helpers for the CLI subcommands. */
#include "bx-cli-util.h"

#include <stdio.h>

/* Declared by OpenBLAS's cblas.h; repeated here so this file does not need
 * the BLAS headers. */
extern void openblas_set_num_threads (int num_threads);

int
bx_cli_fail (int code, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("bioxbridge-cli: %s\n", message);
  return code;
}

int
bx_cli_fail_error (const GError *error, gboolean bad_input)
{
  return bx_cli_fail (bad_input ? BX_EXIT_BAD_INPUT : BX_EXIT_FAILURE, "%s",
                      error != NULL ? error->message : "unknown error");
}

gboolean
bx_cli_parse (GOptionContext *context, int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("bioxbridge-cli: %s\n", error->message);
      g_printerr ("Try '%s --help'.\n", (*argv)[0]);
      return FALSE;
    }
  return TRUE;
}

void
bx_cli_set_threads (int n_threads)
{
  if (n_threads <= 0)
    n_threads = (int) g_get_num_processors ();
  openblas_set_num_threads (n_threads);
}
