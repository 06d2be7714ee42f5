/* bench-windows — seconds to cut every eegmat recording (rest vs task) into
 * paired 5-s windows: LaBraM EEG (6 ch → 200 Hz) + HuBERT-ECG (→ 500 Hz,
 * FIR band-pass, → 100 Hz, z-score), per-window (ISRUC) and whole-recording
 * (WESAD) filtering, and each side alone. Single-threaded.
 *
 * Usage: bench-windows [FOLDER]   (default ../shared/data/eegmat or $BIOX_SHARED_DATA/eegmat) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib/gstdio.h>

#include "bridge/bx-windows.h"

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Returns CPU seconds (the machine is shared, so wall time mostly measures
 * the queue); *wall receives the wall-clock seconds. */
static double
run (const BxManifest *manifest, guint n_sides, BxPrepRecipe recipe0, gboolean per_window_filter, guint *n_windows,
     double *wall)
{
  double c0;
  BxWindowParams params;
  g_autoptr (GError) error = NULL;
  BxWindowSet *set;
  gint64 t0;

  bx_window_params_init (&params);
  params.window_seconds = 5;
  params.step_seconds = 5;
  params.n_sides = n_sides;
  params.recipe[0] = recipe0;
  params.modality[0] = recipe0 == BX_PREP_HUBERT_ECG ? BX_MODALITY_ECG : BX_MODALITY_EEG;
  params.per_window_filter = per_window_filter;
  t0 = g_get_monotonic_time ();
  c0 = cpu_seconds ();
  set = bx_windows_from_manifest (manifest, BX_ROLE_PAIR, &params, NULL, &error);
  if (set == NULL)
    {
      g_printerr ("bench-windows: %s\n", error->message);
      exit (1);
    }
  *n_windows = set->n_windows;
  bx_window_set_free (set);
  *wall = (g_get_monotonic_time () - t0) / 1e6;
  return cpu_seconds () - c0;
}

int
main (int argc, char **argv)
{
  const char *env = g_getenv ("BIOX_SHARED_DATA");
  g_autofree char *dir = argc > 1 ? g_strdup (argv[1])
                                  : g_build_filename (env ? env : "../shared/data", "eegmat", NULL);
  g_autoptr (GDir) d = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GString) text = g_string_new ("path\tsubject\trole\tlabels\tchannels\n");
  g_autofree char *tmp = NULL;
  g_autofree char *manifest_path = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BxManifest) manifest = NULL;
  const char *name;
  guint n;
  double s, w;

  d = g_dir_open (dir, 0, &error);
  if (d == NULL)
    {
      g_printerr ("bench-windows: %s\n", error->message);
      return 1;
    }
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, "_1.edf") || g_str_has_suffix (name, "_2.edf"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      const char *f = g_ptr_array_index (names, i);
      g_autofree char *path = g_build_filename (dir, f, NULL);
      g_autofree char *subject = g_strndup (f, strlen (f) - 6);

      g_string_append_printf (text, "%s\t%s\tpair\tlabel:%s\tauto\n", path, subject,
                              g_str_has_suffix (f, "_1.edf") ? "rest" : "task");
    }
  tmp = g_dir_make_tmp ("bench-windows-XXXXXX", &error);
  manifest_path = g_build_filename (tmp, "eegmat.tsv", NULL);
  if (!g_file_set_contents (manifest_path, text->str, -1, &error)
      || (manifest = bx_manifest_load (manifest_path, &error)) == NULL)
    {
      g_printerr ("bench-windows: %s\n", error->message);
      return 1;
    }
  g_remove (manifest_path);
  g_rmdir (tmp);

  printf ("eegmat: %u recordings in %s, 5-s windows\n", names->len, dir);
  s = run (manifest, 2, BX_PREP_LABRAM_EEG, TRUE, &n, &w);
  printf ("  EEG (LaBraM) + ECG (HuBERT, per-window filter): %5u windows, %6.3f s CPU (%5.0f windows/s), %6.3f s wall\n",
          n, s, n / s, w);
  s = run (manifest, 2, BX_PREP_LABRAM_EEG, FALSE, &n, &w);
  printf ("  EEG (LaBraM) + ECG (HuBERT, recording filter):  %5u windows, %6.3f s CPU (%5.0f windows/s), %6.3f s wall\n",
          n, s, n / s, w);
  s = run (manifest, 1, BX_PREP_LABRAM_EEG, TRUE, &n, &w);
  printf ("  EEG (LaBraM) alone:                             %5u windows, %6.3f s CPU, %6.3f s wall\n", n, s, w);
  s = run (manifest, 1, BX_PREP_HUBERT_ECG, TRUE, &n, &w);
  printf ("  ECG (HuBERT, per-window filter) alone:          %5u windows, %6.3f s CPU, %6.3f s wall\n", n, s, w);
  return 0;
}
