/* bx-test-data.c — locating shared recordings and committed fixtures. */
#include "bx-test-data.h"

#include <glib/gstdio.h>

static char *
shared_data_root (void)
{
  const char *env = g_getenv ("BIOX_SHARED_DATA");
  const char *src = g_getenv ("BIOX_SOURCE_ROOT");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (src != NULL)
    return g_build_filename (src, "..", "shared", "data", NULL);
  return g_build_filename ("..", "shared", "data", NULL);
}

char *
bx_test_shared_data_path (const char *relative)
{
  g_autofree char *root = shared_data_root ();
  g_autofree char *path = g_build_filename (root, relative, NULL);
  g_autofree char *reason = NULL;

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&path);

  reason = g_strdup_printf ("SKIPPED: real data '%s' not found (shared data folder: %s). "
                            "Set BIOX_SHARED_DATA to the folder of ../shared/data to run this test.",
                            relative, root);
  g_printerr ("%s\n", reason);
  g_test_skip (reason);
  return NULL;
}

char *
bx_test_fixture_path (const char *relative)
{
  const char *src = g_getenv ("BIOX_SOURCE_ROOT");
  g_autofree char *path = g_build_filename (src != NULL ? src : ".", "tests", "fixtures", relative, NULL);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    g_error ("committed fixture missing: %s", path);
  return g_steal_pointer (&path);
}

double *
bx_test_load_fixture_doubles (const char *relative, gsize *out_n)
{
  g_autofree char *path = bx_test_fixture_path (relative);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) tokens = NULL;
  GArray *values = g_array_new (FALSE, FALSE, sizeof (double));

  if (!g_file_get_contents (path, &text, NULL, &error))
    g_error ("cannot read fixture %s: %s", path, error->message);
  tokens = g_strsplit_set (text, " \t\r\n", -1);
  for (char **t = tokens; *t != NULL; t++)
    if (**t != '\0')
      {
        char *end = NULL;
        double v = g_ascii_strtod (*t, &end);
        if (end == NULL || *end != '\0')
          g_error ("fixture %s: '%s' is not a number", path, *t);
        g_array_append_val (values, v);
      }
  *out_n = values->len;
  return (double *) g_array_free (values, FALSE);
}

float *
bx_test_load_fixture_floats (const char *relative, gsize *out_n)
{
  g_autofree double *d = bx_test_load_fixture_doubles (relative, out_n);
  float *out = g_new (float, MAX (*out_n, 1));

  for (gsize i = 0; i < *out_n; i++)
    out[i] = (float) d[i];
  return out;
}

int *
bx_test_load_fixture_ints (const char *relative, gsize *out_n)
{
  g_autofree double *d = bx_test_load_fixture_doubles (relative, out_n);
  int *out = g_new (int, MAX (*out_n, 1));

  for (gsize i = 0; i < *out_n; i++)
    out[i] = (int) d[i];
  return out;
}

char *
bx_test_tmpdir_new (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("biox-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_recursive (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_recursive (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

void
bx_test_tmpdir_remove (const char *path)
{
  if (path != NULL)
    remove_recursive (path);
}
