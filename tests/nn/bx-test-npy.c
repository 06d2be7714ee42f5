/* bx-test-npy.c — see bx-test-npy.h. */
#include "bx-test-npy.h"
#include "bx-test-data.h"

#include <stdlib.h>
#include <string.h>

void
bx_test_array_free (BxTestArray *a)
{
  if (a == NULL)
    return;
  g_free (a->data);
  g_free (a);
}

BxTestArray *
bx_test_npy_load (const char *name)
{
  g_autofree char *rel = g_strdup_printf ("nn/%s.npy", name);
  g_autofree char *path = bx_test_fixture_path (rel);
  g_autofree char *contents = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  if (!g_file_get_contents (path, &contents, &len, &error))
    g_error ("fixture %s: %s", path, error->message);
  if (len < 10 || memcmp (contents, "\x93NUMPY", 6) != 0)
    g_error ("fixture %s: not a .npy file", path);
  guint major = (guchar) contents[6];
  gsize header_len, offset;
  if (major == 1)
    {
      header_len = (guchar) contents[8] | ((gsize) (guchar) contents[9] << 8);
      offset = 10;
    }
  else
    {
      if (len < 12)
        g_error ("fixture %s: truncated header", path);
      header_len = (guchar) contents[8] | ((gsize) (guchar) contents[9] << 8)
                   | ((gsize) (guchar) contents[10] << 16) | ((gsize) (guchar) contents[11] << 24);
      offset = 12;
    }
  if (offset + header_len > len)
    g_error ("fixture %s: header runs past the end", path);
  g_autofree char *header = g_strndup (contents + offset, header_len);
  if (strstr (header, "'<f4'") == NULL)
    g_error ("fixture %s: dtype is not '<f4' (header %s)", path, header);
  if (strstr (header, "'fortran_order': False") == NULL)
    g_error ("fixture %s: Fortran order is not supported", path);
  const char *sp = strstr (header, "'shape': (");
  if (sp == NULL)
    g_error ("fixture %s: no shape in header", path);
  sp += strlen ("'shape': (");
  BxTestArray *a = g_new0 (BxTestArray, 1);
  a->numel = 1;
  while (*sp != ')' && *sp != '\0')
    {
      char *end = NULL;
      guint64 v = g_ascii_strtoull (sp, &end, 10);
      if (end == sp)
        break;
      g_assert_cmpint (a->n_dims, <, 8);
      a->shape[a->n_dims++] = v;
      a->numel *= v;
      sp = end;
      while (*sp == ',' || *sp == ' ')
        sp++;
    }
  gsize data_off = offset + header_len;
  if (data_off + a->numel * 4 != len)
    g_error ("fixture %s: %zu data bytes for %zu floats", path, len - data_off, a->numel);
  a->data = g_new (float, MAX (a->numel, 1));
  memcpy (a->data, contents + data_off, a->numel * 4);
  return a;
}
