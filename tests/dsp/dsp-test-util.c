/* dsp-test-util.c — a minimal .npy reader and error measures. */
#include "dsp-test-util.h"

#include <math.h>
#include <string.h>

#include "bx-test-data.h"

double *
dsp_load (const char *name, gsize *n)
{
  g_autofree char *rel = g_strdup_printf ("dsp/%s.npy", name);
  g_autofree char *path = bx_test_fixture_path (rel);
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  /* magic, version 1.0, little-endian header length, header dict */
  g_assert_cmpuint (len, >=, 10);
  g_assert_true (memcmp (data, "\x93NUMPY", 6) == 0);
  g_assert_cmpint (data[6], ==, 1);
  const gsize hlen = (guint8) data[8] | ((gsize) (guint8) data[9] << 8);
  g_assert_cmpuint (len, >=, 10 + hlen);
  g_autofree char *header = g_strndup (data + 10, hlen);
  g_assert_nonnull (strstr (header, "'descr': '<f8'"));
  g_assert_nonnull (strstr (header, "'fortran_order': False"));
  const char *shape = strstr (header, "'shape': (");
  g_assert_nonnull (shape);
  const gsize count = g_ascii_strtoull (shape + strlen ("'shape': ("), NULL, 10);
  g_assert_cmpuint (len, ==, 10 + hlen + 8 * count);
  double *out = g_new (double, MAX (count, 1));
  memcpy (out, data + 10 + hlen, 8 * count);
  *n = count;
  return out;
}

float *
dsp_load_f (const char *name, gsize *n)
{
  g_autofree double *d = dsp_load (name, n);
  float *f = g_new (float, MAX (*n, 1));
  for (gsize i = 0; i < *n; i++)
    {
      f[i] = (float) d[i];
      g_assert_cmpfloat ((double) f[i], ==, d[i]); /* inputs are float32-exact */
    }
  return f;
}

int *
dsp_load_i (const char *name, gsize *n)
{
  g_autofree double *d = dsp_load (name, n);
  int *v = g_new (int, MAX (*n, 1));
  for (gsize i = 0; i < *n; i++)
    {
      v[i] = (int) d[i];
      g_assert_cmpfloat ((double) v[i], ==, d[i]);
    }
  return v;
}

double *
dsp_load_checkpoint (const char *name, gsize *n)
{
  const char *src = g_getenv ("BIOX_SOURCE_ROOT");
  const char *shared = g_getenv ("BIOX_SHARED_DATA");
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  GArray *values;

  /* The checkpoints live in shared/docs, beside shared/data. */
  if (shared != NULL && *shared != '\0')
    dir = g_build_filename (shared, "..", "docs", "checkpoints", NULL);
  else
    dir = g_build_filename (src != NULL ? src : ".", "..", "shared", "docs", "checkpoints", NULL);
  path = g_build_filename (dir, name, NULL);
  if (!g_file_get_contents (path, &text, NULL, NULL))
    {
      g_autofree char *msg = g_strdup_printf ("SKIPPED: checkpoint %s not found (shared docs absent)", path);
      g_printerr ("%s\n", msg);
      g_test_skip (msg);
      return NULL;
    }
  lines = g_strsplit (text, "\n", -1);
  values = g_array_new (FALSE, FALSE, sizeof (double));
  for (char **l = lines; *l != NULL; l++)
    {
      g_strstrip (*l);
      if (**l == '\0')
        continue;
      double v = g_ascii_strtod (*l, NULL);
      g_array_append_val (values, v);
    }
  *n = values->len;
  return (double *) (void *) g_array_free (values, FALSE);
}

double
dsp_rel_err_f (const float *got, const double *want, gsize n)
{
  double err = 0.0, scale = 0.0;
  for (gsize i = 0; i < n; i++)
    {
      const double d = fabs ((double) got[i] - want[i]);
      if (isnan (d))
        return INFINITY; /* a NaN result must fail every tolerance */
      err = fmax (err, d);
      scale = fmax (scale, fabs (want[i]));
    }
  return scale > 0.0 ? err / scale : err;
}

double
dsp_rel_err_d (const double *got, const double *want, gsize n)
{
  double err = 0.0, scale = 0.0;
  for (gsize i = 0; i < n; i++)
    {
      const double d = fabs (got[i] - want[i]);
      if (isnan (d))
        return INFINITY;
      err = fmax (err, d);
      scale = fmax (scale, fabs (want[i]));
    }
  return scale > 0.0 ? err / scale : err;
}

double
dsp_abs_err_d (const double *got, const double *want, gsize n)
{
  double err = 0.0;
  for (gsize i = 0; i < n; i++)
    {
      const double d = fabs (got[i] - want[i]);
      if (isnan (d))
        return INFINITY;
      err = fmax (err, d);
    }
  return err;
}
