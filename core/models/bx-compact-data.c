/* bx-compact-data.c — training and evaluation signals for the compact
 * encoders: recordings (EDF/BDF through core/recording, CSV columns) and
 * synthetic nights, resampled with core/dsp's polyphase resampler. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bx-compact.h"
#include "dsp/bx-resample.h"
#include "recording/bx-modality.h"
#include "recording/bx-recording.h"
#include "sim/bx-sim-night.h"

void
bx_compact_signal_free (BxCompactSignal *s)
{
  if (s == NULL)
    return;
  g_free (s->source);
  g_free (s->x);
  g_free (s);
}

static gboolean
modality_of (const char *name, BxModality *m)
{
  return bx_modality_from_string (name, m);
}

/* Builds a signal from per-channel arrays at `rates`, resampled to `rate`, cut to the shortest. */
static BxCompactSignal *
signal_build (const char *source, GPtrArray *chans, GArray *lens, GArray *rates, int rate, GError **error)
{
  BxCompactSignal *s = g_new0 (BxCompactSignal, 1);
  GPtrArray *res = g_ptr_array_new_with_free_func (g_free);
  gsize n = G_MAXSIZE;

  for (guint i = 0; i < chans->len; i++)
    {
      gsize n_out = 0;
      float *y = bx_resample_poly_rates (chans->pdata[i], g_array_index (lens, gsize, i),
                                         g_array_index (rates, double, i), rate, &n_out, error);
      if (y == NULL)
        {
          g_ptr_array_unref (res);
          bx_compact_signal_free (s);
          return NULL;
        }
      g_ptr_array_add (res, y);
      n = MIN (n, n_out);
    }
  s->source = g_strdup (source);
  s->n_channels = (int)res->len;
  s->n = n;
  s->x = g_new (float, (gsize)s->n_channels *n);
  for (guint i = 0; i < res->len; i++)
    {
      float *y = res->pdata[i];
      for (gsize j = 0; j < n; j++)
        s->x[(gsize)i * n + j] = isfinite (y[j]) ? y[j] : 0.0f;
    }
  g_ptr_array_unref (res);
  return s;
}

static gboolean
csv_column_matches (const char *modality, const char *col)
{
  g_autofree char *t = g_strstrip (g_strdup (col));
  g_autofree char *c = g_ascii_strdown (t, -1);

  if (g_ascii_strcasecmp (modality, "ecg") == 0)
    return strcmp (c, "ecg") == 0 || strcmp (c, "ii") == 0;
  if (g_ascii_strcasecmp (modality, "ppg") == 0)
    return strcmp (c, "ppg") == 0 || strcmp (c, "pleth") == 0;
  return strcmp (c, modality) == 0;
}

static BxCompactSignal *
read_csv (const char *path, const char *modality, int rate, GError **error)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_auto (GStrv) head = NULL;
  g_autofree char *base = g_ascii_strdown (path, -1);
  int time_col = -1, n_cols;
  GArray *cols = g_array_new (FALSE, FALSE, sizeof (int));
  GPtrArray *chans = g_ptr_array_new_with_free_func (g_free);
  GArray *lens = g_array_new (FALSE, FALSE, sizeof (gsize)),
         *rates = g_array_new (FALSE, FALSE, sizeof (double));
  double fs = 0.0, t0 = NAN, t1 = NAN;
  gsize n_rows = 0;
  BxCompactSignal *s = NULL;

  if (!g_file_get_contents (path, &text, NULL, error))
    goto out;
  lines = g_strsplit (text, "\n", -1);
  head = g_strsplit (lines[0] ? lines[0] : "", ",", -1);
  n_cols = (int)g_strv_length (head);
  for (int c = 0; c < n_cols; c++)
    {
      if (g_str_has_prefix (g_strstrip (head[c]), "Time"))
        time_col = c;
      else if (csv_column_matches (modality, head[c]))
        g_array_append_val (cols, c);
    }
  if (cols->len == 0)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT, "%s: no %s column in the CSV header", path,
                   modality);
      goto out;
    }
  for (guint k = 0; k < cols->len; k++)
    g_ptr_array_add (chans, g_new0 (float, g_strv_length (lines)));
  for (gsize r = 1; lines[r] != NULL; r++)
    {
      g_auto (GStrv) f = g_strsplit (lines[r], ",", -1);
      if ((int)g_strv_length (f) < n_cols)
        continue;
      if (time_col >= 0 && n_rows == 0)
        t0 = g_ascii_strtod (f[time_col], NULL);
      if (time_col >= 0 && n_rows == 1)
        t1 = g_ascii_strtod (f[time_col], NULL);
      for (guint k = 0; k < cols->len; k++)
        ((float *)chans->pdata[k])[n_rows] = (float)g_ascii_strtod (f[g_array_index (cols, int, k)], NULL);
      n_rows++;
    }
  if (time_col >= 0 && isfinite (t1 - t0) && t1 > t0)
    fs = round (1.0 / (t1 - t0));
  else
    {
      const char *hz = strstr (base, "hz");
      const char *p = hz;
      while (p != NULL && p > base && g_ascii_isdigit (p[-1]))
        p--;
      if (hz != NULL && p < hz)
        fs = g_ascii_strtod (p, NULL);
    }
  if (fs <= 0.0 || n_rows < 2)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT,
                   "%s: cannot tell the sample rate (no Time column and no <N>hz in the name) or no rows",
                   path);
      goto out;
    }
  for (guint k = 0; k < cols->len; k++)
    {
      g_array_append_val (lens, n_rows);
      g_array_append_val (rates, fs);
    }
  s = signal_build (path, chans, lens, rates, rate, error);
out:
  g_array_unref (cols);
  g_ptr_array_unref (chans);
  g_array_unref (lens);
  g_array_unref (rates);
  return s;
}

BxCompactSignal *
bx_compact_signal_read (const char *path, const char *modality, int rate, const char *const *labels,
                        GError **error)
{
  g_autoptr (BxRecording) rec = NULL;
  GPtrArray *chans;
  GArray *lens, *rates;
  BxModality want;
  BxCompactSignal *s;

  if (!modality_of (modality, &want))
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT, "unknown modality '%s'", modality);
      return NULL;
    }
  if (g_str_has_suffix (path, ".csv") || g_str_has_suffix (path, ".CSV"))
    return read_csv (path, modality, rate, error);
  rec = bx_recording_open (path, error);
  if (rec == NULL)
    return NULL;
  chans = g_ptr_array_new_with_free_func (g_free);
  lens = g_array_new (FALSE, FALSE, sizeof (gsize));
  rates = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint i = 0; labels != NULL ? labels[i] != NULL : i < bx_recording_get_n_channels (rec); i++)
    {
      int idx = labels != NULL ? bx_recording_find_channel (rec, labels[i]) : (int)i;
      const BxChannel *ch;
      float *x;
      gsize n;
      if (idx < 0)
        {
          g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT, "%s: no channel labelled '%s'", path,
                       labels[i]);
          goto fail;
        }
      ch = bx_recording_get_channel (rec, (guint)idx);
      if (labels == NULL && ch->modality != want)
        continue;
      n = (gsize)ch->n_samples;
      x = g_new (float, MAX (n, 1));
      if (!bx_recording_read (rec, (guint)idx, 0, (gint64)n, x, error))
        {
          g_free (x);
          goto fail;
        }
      g_ptr_array_add (chans, x);
      g_array_append_val (lens, n);
      g_array_append_val (rates, ch->sample_rate);
    }
  if (chans->len == 0)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT, "%s: no %s channel", path, modality);
      goto fail;
    }
  s = signal_build (path, chans, lens, rates, rate, error);
  g_ptr_array_unref (chans);
  g_array_unref (lens);
  g_array_unref (rates);
  return s;
fail:
  g_ptr_array_unref (chans);
  g_array_unref (lens);
  g_array_unref (rates);
  return NULL;
}

static gboolean
excluded (const char *path, const char *const *exclude)
{
  g_autofree char *base = g_path_get_basename (path);

  for (int i = 0; exclude != NULL && exclude[i] != NULL; i++)
    if (g_pattern_match_simple (exclude[i], base))
      return TRUE;
  return FALSE;
}

static gboolean
is_data_file (const char *name)
{
  g_autofree char *l = g_ascii_strdown (name, -1);

  return g_str_has_suffix (l, ".edf") || g_str_has_suffix (l, ".bdf") || g_str_has_suffix (l, ".csv");
}

static int
cmp_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *)a, *(char *const *)b);
}

static void
list_files (const char *dir, GPtrArray *out)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *n;

  while (d != NULL && (n = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (n));
  /* sorted, so a run does not depend on the directory order */
  g_ptr_array_sort (names, cmp_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *p = g_build_filename (dir, names->pdata[i], NULL);
      if (g_file_test (p, G_FILE_TEST_IS_DIR))
        list_files (p, out);
      else if (is_data_file (p))
        g_ptr_array_add (out, g_steal_pointer (&p));
    }
  g_ptr_array_unref (names);
}

gboolean
bx_compact_collect (const char *path, const char *modality, int rate, const char *const *exclude,
                    GPtrArray *signals, GString *log, GError **error)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    list_files (path, files);
  else if (is_data_file (path))
    g_ptr_array_add (files, g_strdup (path));
  else
    {
      g_autofree char *text = NULL;
      g_auto (GStrv) lines = NULL;
      g_autofree char *dir = g_path_get_dirname (path);
      if (!g_file_get_contents (path, &text, NULL, error))
        return FALSE;
      lines = g_strsplit (text, "\n", -1);
      for (int i = 0; lines[i] != NULL; i++)
        {
          char *l = g_strstrip (lines[i]);
          if (*l == '\0' || *l == '#')
            continue;
          g_ptr_array_add (files, g_path_is_absolute (l) ? g_strdup (l) : g_build_filename (dir, l, NULL));
        }
    }
  for (guint i = 0; i < files->len; i++)
    {
      const char *f = files->pdata[i];
      g_autoptr (GError) e = NULL;
      BxCompactSignal *s;
      if (excluded (f, exclude))
        continue;
      s = bx_compact_signal_read (f, modality, rate, NULL, &e);
      if (s == NULL)
        {
          if (log != NULL)
            g_string_append_printf (log, "skipped %s\n", e->message);
          continue;
        }
      if (log != NULL)
        g_string_append_printf (log, "%s: %d channel(s), %.0f s\n", f, s->n_channels, (double)s->n / rate);
      g_ptr_array_add (signals, s);
    }
  return TRUE;
}

BxCompactSignal *
bx_compact_signal_synthetic (const char *modality, int rate, double hours, guint64 seed, GError **error)
{
  BxSimParams p;
  g_autoptr (BxSimNight) night = NULL;
  BxModality want;
  GPtrArray *chans;
  GArray *lens, *rates;
  BxCompactSignal *s;
  g_autofree char *source
      = g_strdup_printf ("synthetic night seed %" G_GUINT64_FORMAT ", %.2f h", seed, hours);

  if (!modality_of (modality, &want))
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT, "unknown modality '%s'", modality);
      return NULL;
    }
  bx_sim_params_init (&p);
  p.seed = seed;
  p.hours = hours;
  p.eeg_rate = p.emg_rate = p.ecg_rate = 100;
  p.eog_rate = 50;
  p.ppg_rate = 50;
  p.n_threads = 1;
  night = bx_sim_night_generate (&p, NULL, error);
  if (night == NULL)
    return NULL;
  chans = g_ptr_array_new ();
  lens = g_array_new (FALSE, FALSE, sizeof (gsize));
  rates = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint i = 0; i < night->n_channels; i++)
    {
      const BxSimChannel *c = &night->channels[i];
      BxModality m
          = bx_modality_detect (c->label, c->transducer, c->physical_dimension, c->sample_rate, NULL);
      gsize n = (gsize)c->n_samples;
      if (m != want)
        continue;
      g_ptr_array_add (chans, c->samples);
      g_array_append_val (lens, n);
      g_array_append_val (rates, c->sample_rate);
    }
  if (chans->len == 0)
    {
      g_set_error (error, BX_MODEL_ERROR, BX_MODEL_ERROR_INPUT, "%s has no %s channel", source, modality);
      s = NULL;
    }
  else
    s = signal_build (source, chans, lens, rates, rate, error);
  g_ptr_array_unref (chans);
  g_array_unref (lens);
  g_array_unref (rates);
  return s;
}

void
bx_compact_sample_windows (GPtrArray *signals, GRand *rand, int batch, int n_channels, int n_samples,
                           float *out)
{
  double total = 0.0;

  for (guint i = 0; i < signals->len; i++)
    {
      const BxCompactSignal *s = signals->pdata[i];
      if (s->n >= (gsize)n_samples)
        total += (double)(s->n - (gsize)n_samples + 1);
    }
  g_return_if_fail (total > 0.0);
  for (int b = 0; b < batch; b++)
    {
      double u = g_rand_double (rand) * total;
      const BxCompactSignal *s = NULL;
      gsize off;
      for (guint i = 0; i < signals->len; i++)
        {
          const BxCompactSignal *si = signals->pdata[i];
          double w = si->n >= (gsize)n_samples ? (double)(si->n - (gsize)n_samples + 1) : 0.0;
          s = si->n >= (gsize)n_samples ? si : s;
          if (u < w)
            break;
          u -= w;
        }
      off = (gsize)g_rand_int_range (rand, 0, (gint32)(s->n - (gsize)n_samples + 1));
      for (int c = 0; c < n_channels; c++)
        {
          int src = s->n_channels >= n_channels ? c : g_rand_int_range (rand, 0, s->n_channels);
          float *dst = out + ((gsize)b * n_channels + c) * n_samples;
          if (s->n_channels > n_channels)
            src = g_rand_int_range (rand, 0, s->n_channels);
          memcpy (dst, s->x + (gsize)src * s->n + off, sizeof (float) * n_samples);
        }
    }
  bx_compact_normalize (out, (gsize)batch * n_channels, (gsize)n_samples);
}
