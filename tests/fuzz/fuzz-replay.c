/* Replays every committed fuzz input of tests/fuzz/regressions/<target>/
 * through the same entry points the fuzzers use, so every build (and the
 * ASan build) re-checks past findings. A regression crashes, trips a
 * sanitizer or fails an assertion. */
#include "bx-fuzz-targets.h"

#include <gio/gio.h>

static void
replay_target (gconstpointer data)
{
  const char *dir = data;
  g_autofree char *target = g_path_get_basename (dir);
  BxFuzzEntry entry = bx_fuzz_lookup (target);
  g_assert_nonnull (entry);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  const char *name;
  guint n = 0;
  while ((name = g_dir_read_name (d)))
    {
      if (name[0] == '.')
        continue;
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize len;
      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      /* A private heap copy of exactly `len` bytes, so overreads are caught. */
      g_autofree guint8 *copy = g_memdup2 (contents, len);
      entry (copy, len);
      n++;
    }
  g_test_message ("%s: %u inputs replayed", target, n);
  g_assert_cmpuint (n, >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  const char *root = argc > 1 ? argv[1] : "tests/fuzz/regressions";
  static const char *const targets[] = { "torch", "pickle", "safetensors", "npy" };
  for (gsize i = 0; i < G_N_ELEMENTS (targets); i++)
    {
      char *dir = g_build_filename (root, targets[i], NULL);
      char *path = g_strdup_printf ("/fuzz-regressions/%s", targets[i]);
      g_test_add_data_func_full (path, dir, replay_target, g_free);
      g_free (path);
    }
  return g_test_run ();
}
