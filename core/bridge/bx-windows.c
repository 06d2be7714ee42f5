/* bx-windows.c — recordings (or prepared .npy tensors) → model-ready windows.
 *
 * Per recording: pick the channels of each side, lay ONE grid of window onsets
 * (k · step seconds from the recording start, real time: EDF+D gaps count) over
 * it, drop the windows that leave a contiguous segment, read each channel
 * segment by segment (physical values, voltages in µV), drop windows with
 * non-finite or flat samples, run the side's recipe (bx-windows-prep.c) and
 * label every kept window with the majority rule of its label source.
 */
#include <math.h>
#include <string.h>

#include "bridge/bx-windows.h"
#include "bridge/bx-windows-private.h"
#include "io/bx-npy.h"
#include "recording/bx-hypnogram.h"
#include "recording/bx-labels-io.h"

#define MAX_REASONS_PER_RECORDING 4

G_DEFINE_QUARK (bx-windows-error-quark, bx_windows_error)

void
bx_window_params_init (BxWindowParams *params)
{
  memset (params, 0, sizeof *params);
  params->window_seconds = 30;
  params->step_seconds = 30;
  params->min_purity = 0.8;
  params->n_sides = 1;
  params->modality[0] = BX_MODALITY_EEG;
  params->recipe[0] = BX_PREP_LABRAM_EEG;
  params->modality[1] = BX_MODALITY_ECG;
  params->recipe[1] = BX_PREP_HUBERT_ECG;
  params->per_window_filter = TRUE;
  params->per_window_zscore = TRUE;
  params->rate[0] = params->rate[1] = 100;
  params->use_stage_set = FALSE;
  params->stage_set = BX_STAGE_SET_AASM;
}

void
bx_window_set_free (BxWindowSet *set)
{
  if (set == NULL)
    return;
  for (guint s = 0; s < 2; s++)
    {
      g_free (set->side[s].data);
      g_strfreev (set->side[s].channel_labels);
    }
  g_free (set->labels);
  g_strfreev (set->class_names);
  g_free (set->onsets);
  g_free (set->recording_index);
  if (set->recordings)
    g_ptr_array_unref (set->recordings);
  if (set->subjects)
    g_ptr_array_unref (set->subjects);
  if (set->skip_reasons)
    g_ptr_array_unref (set->skip_reasons);
  g_free (set);
}

/* ---- building a set ---- */

typedef struct {
  BxWindowSet *set;
  const BxWindowParams *params;
  GArray *labels;       /* int */
  GArray *onsets;       /* double */
  GArray *rec_index;    /* guint */
  GArray *data[2];      /* float */
  gboolean have_channels[2];
  BxLabelMap *map;      /* NULL = no labels */
  guint n_recordings;   /* to process (progress) */
} Builder;

static BxWindowSet *
window_set_new (void)
{
  BxWindowSet *set = g_new0 (BxWindowSet, 1);

  set->recordings = g_ptr_array_new_with_free_func (g_free);
  set->subjects = g_ptr_array_new_with_free_func (g_free);
  set->skip_reasons = g_ptr_array_new_with_free_func (g_free);
  return set;
}

static void
builder_init (Builder *b, const BxWindowParams *params)
{
  memset (b, 0, sizeof *b);
  b->params = params;
  b->set = window_set_new ();
  b->set->window_seconds = params->window_seconds;
  b->set->step_seconds = params->step_seconds;
  b->set->n_sides = params->n_sides;
  b->labels = g_array_new (FALSE, FALSE, sizeof (int));
  b->onsets = g_array_new (FALSE, FALSE, sizeof (double));
  b->rec_index = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint s = 0; s < params->n_sides; s++)
    {
      BxWindowSide *side = &b->set->side[s];
      gint64 n_target = (gint64) floor (params->window_seconds * bx_prep_side_rate (params->recipe[s], params->rate[s]) + 0.5);

      side->modality = params->modality[s];
      side->recipe = params->recipe[s];
      /* n_channels and the shape are fixed by the first recording. */
      side->raw_ndim = bx_prep_raw_shape (side->recipe, 1, n_target, side->raw_shape);
      b->data[s] = g_array_new (FALSE, FALSE, sizeof (float));
    }
}

static void
builder_clear (Builder *b)
{
  g_array_unref (b->labels);
  g_array_unref (b->onsets);
  g_array_unref (b->rec_index);
  for (guint s = 0; s < 2; s++)
    if (b->data[s])
      g_array_unref (b->data[s]);
  if (b->map)
    bx_label_map_free (b->map);
  bx_window_set_free (b->set);
}

static BxWindowSet *
builder_finish (Builder *b)
{
  BxWindowSet *set = b->set;

  set->n_windows = b->labels->len;
  set->labels = (int *) g_array_free (b->labels, FALSE);
  set->onsets = (double *) g_array_free (b->onsets, FALSE);
  set->recording_index = (guint *) g_array_free (b->rec_index, FALSE);
  for (guint s = 0; s < set->n_sides; s++)
    {
      set->side[s].data = (float *) g_array_free (b->data[s], FALSE);
      b->data[s] = NULL;
    }
  if (set->class_names == NULL)
    set->class_names = g_new0 (char *, 1);
  if (b->map)
    bx_label_map_free (b->map);
  b->set = NULL;
  return set;
}

/* ---- parameter checks ---- */

static gboolean
check_params (const BxWindowParams *p, GError **error)
{
  if (!(p->window_seconds > 0) || !isfinite (p->window_seconds) || !(p->step_seconds > 0)
      || !isfinite (p->step_seconds))
    {
      g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_SIGNAL,
                   "window_seconds %g and step_seconds %g must both be positive", p->window_seconds, p->step_seconds);
      return FALSE;
    }
  if (p->n_sides < 1 || p->n_sides > 2)
    {
      g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_SIGNAL, "n_sides is %u; 1 or 2 are possible",
                   p->n_sides);
      return FALSE;
    }
  for (guint s = 0; s < p->n_sides; s++)
    {
      double f = bx_prep_side_rate (p->recipe[s], p->rate[s]);
      double n = p->window_seconds * f;

      if (f <= 0)
        {
          g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_SIGNAL, "side %u: unknown recipe %d", s,
                       (int) p->recipe[s]);
          return FALSE;
        }
      if (fabs (n - floor (n + 0.5)) > 1e-6)
        {
          g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_SIGNAL,
                       "%s: a window of %g s is not a whole number of samples at %g Hz",
                       bx_prep_recipe_name (p->recipe[s]), p->window_seconds, f);
          return FALSE;
        }
      if (p->recipe[s] == BX_PREP_LABRAM_EEG && fabs (p->window_seconds - floor (p->window_seconds + 0.5)) > 1e-9)
        {
          g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_SIGNAL,
                       "LABRAM_EEG: LaBraM takes 1-s patches, so the window (%g s) must be whole seconds",
                       p->window_seconds);
          return FALSE;
        }
      if (p->recipe[s] == BX_PREP_NORMWEAR_EMG && n < 3)
        {
          g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_SIGNAL,
                       "NORMWEAR_EMG: a window of %g s has fewer than 3 samples at 130 Hz", p->window_seconds);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- channel choice ---- */

/* "EEG F3", "F3-A2", "F3_A2", "EEG F3-M2" all are electrode F3. */
static gboolean
electrode_matches (const char *label, const char *name)
{
  gsize n = strlen (name);

  while (*label == ' ')
    label++;
  if (g_ascii_strncasecmp (label, "EEG", 3) == 0 && (label[3] == ' ' || label[3] == '_' || label[3] == '-'))
    label += 4;
  while (*label == ' ')
    label++;
  if (g_ascii_strncasecmp (label, name, n) != 0)
    return FALSE;
  return label[n] == '\0' || strchr ("-_:/ ", label[n]) != NULL;
}

static char *
list_channels (BxRecording *rec)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < bx_recording_get_n_channels (rec); i++)
    {
      const BxChannel *c = bx_recording_get_channel (rec, i);

      g_string_append_printf (s, "%s'%s' (%s)", i ? ", " : "", c->label, bx_modality_to_string (c->modality));
    }
  return g_string_free (s, FALSE);
}

static gboolean
select_channels (BxRecording *rec, const char *path, BxModality modality, BxPrepRecipe recipe,
                 const char *const *explicit_labels, guint max_channels, GArray *out, GError **error)
{
  guint n = bx_recording_get_n_channels (rec);
  const char *why;
  double min_rate = bx_prep_min_rate (recipe, &why);

  if (max_channels == 0)
    max_channels = recipe == BX_PREP_LABRAM_EEG || (recipe == BX_PREP_COMPACT && modality == BX_MODALITY_EEG) ? 6
                   : recipe == BX_PREP_NORMWEAR_EMG                                                      ? 3
                                                                                                         : 1;

  if (explicit_labels != NULL && explicit_labels[0] != NULL)
    {
      for (guint i = 0; explicit_labels[i] != NULL; i++)
        {
          g_autofree char *want = g_strstrip (g_strdup (explicit_labels[i]));
          int idx;

          if (*want == '\0')
            continue;
          idx = bx_recording_find_channel (rec, want);
          if (idx < 0)
            {
              g_autofree char *have = list_channels (rec);

              g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_CHANNEL,
                           "%s: %s channel '%s' (from the manifest) is not in the file; it has %s", path,
                           bx_modality_to_string (modality), want, have);
              return FALSE;
            }
          g_array_append_val (out, idx);
        }
    }
  else if (recipe == BX_PREP_LABRAM_EEG || (recipe == BX_PREP_COMPACT && modality == BX_MODALITY_EEG))
    {
      static const char *const isruc[] = { "F3", "C3", "O1", "F4", "C4", "O2" };
      int found[G_N_ELEMENTS (isruc)];
      guint n_found = 0;

      for (guint e = 0; e < G_N_ELEMENTS (isruc); e++)
        {
          found[e] = -1;
          for (guint i = 0; i < n && found[e] < 0; i++)
            {
              const BxChannel *c = bx_recording_get_channel (rec, i);

              if ((c->modality == modality || c->modality == BX_MODALITY_OTHER)
                  && electrode_matches (c->label, isruc[e]))
                found[e] = (int) i;
            }
          n_found += found[e] >= 0;
        }
      if (n_found == G_N_ELEMENTS (isruc))
        for (guint e = 0; e < G_N_ELEMENTS (isruc) && out->len < max_channels; e++)
          g_array_append_val (out, found[e]);
      else
        for (guint i = 0; i < n && out->len < max_channels; i++)
          if (bx_recording_get_channel (rec, i)->modality == modality)
            {
              int idx = (int) i;

              g_array_append_val (out, idx);
            }
    }
  else if (max_channels == 1)
    {
      /* The most confidently detected channel of the modality (first on ties). */
      int best = -1;
      double best_conf = -1;

      for (guint i = 0; i < n; i++)
        {
          const BxChannel *c = bx_recording_get_channel (rec, i);

          if (c->modality == modality && c->modality_confidence > best_conf)
            {
              best = (int) i;
              best_conf = c->modality_confidence;
            }
        }
      if (best >= 0)
        g_array_append_val (out, best);
    }
  else
    for (guint i = 0; i < n && out->len < max_channels; i++)
      if (bx_recording_get_channel (rec, i)->modality == modality)
        {
          int idx = (int) i;

          g_array_append_val (out, idx);
        }

  if (out->len == 0)
    {
      g_autofree char *have = list_channels (rec);

      g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_CHANNEL,
                   "%s: no %s channel for %s (by modality detection); the file has %s", path,
                   bx_modality_to_string (modality), bx_prep_recipe_name (recipe), have);
      return FALSE;
    }
  for (guint i = 0; i < out->len; i++)
    {
      const BxChannel *c = bx_recording_get_channel (rec, (guint) g_array_index (out, int, i));

      if (c->sample_rate < min_rate)
        {
          g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_SIGNAL,
                       "%s: channel '%s' (%s) is sampled at %g Hz; %s", path, c->label,
                       bx_modality_to_string (modality), c->sample_rate, why);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- labels ---- */

/* The label track of a recording with only the events `map` knows (an EDF+
 * file carries "Lights off" and the like beside the stages). */
static BxLabelTrack *
known_events (const BxLabelTrack *track, const BxLabelMap *map)
{
  BxLabelTrack *known = bx_label_track_new (bx_label_track_get_source (track), bx_label_track_get_format (track));

  for (guint i = 0; i < bx_label_track_get_length (track); i++)
    {
      const BxLabelEvent *e = bx_label_track_get (track, i);
      int value;

      if (bx_label_map_lookup (map, e->label, &value))
        bx_label_track_add (known, e->onset, e->duration, e->label, e->confidence, e->line);
    }
  return known;
}

/* Hypnogram of class values on the recording's time axis, or NULL (no error)
 * for an unlabelled recording. `required` = the manifest asked for labels. */
static BxHypnogram *
recording_labels (BxRecording *rec, const char *path, BxLabelSource source, const char *value,
                  const BxLabelMap *map, double duration, gboolean required, GError **error)
{
  g_autoptr (BxLabelTrack) track = NULL;
  g_autoptr (BxLabelTrack) known = NULL;
  BxHypnogram *h;
  GError *local = NULL;

  if (source == BX_LABEL_SOURCE_NONE || map == NULL)
    return NULL;
  if (source == BX_LABEL_SOURCE_CONSTANT)
    {
      h = bx_labels_whole_recording (map, value, duration, 0, &local);
      if (h == NULL)
        {
          g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_LABELS, "%s: label '%s': %s", path, value,
                       local->message);
          g_error_free (local);
        }
      return h;
    }
  if (source == BX_LABEL_SOURCE_FILE)
    {
      track = bx_label_track_read (value, NULL, &local);
      if (track == NULL)
        {
          g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_LABELS, "%s: labels: %s", path, local->message);
          g_error_free (local);
          return NULL;
        }
      bx_label_track_align (track, bx_recording_get_start (rec));
      h = bx_label_track_to_hypnogram (track, map, 0, duration, &local);
    }
  else
    {
      track = bx_label_track_new_from_annotations (bx_recording_get_annotations (rec), path);
      known = known_events (track, map);
      if (bx_label_track_get_length (known) == 0)
        {
          if (required)
            g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_LABELS,
                         "%s: labels from annotations, but none of its %u annotations is a known label", path,
                         bx_label_track_get_length (track));
          return NULL;
        }
      h = bx_label_track_to_hypnogram (known, map, 0, duration, &local);
    }
  if (h == NULL)
    {
      g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_LABELS, "%s: labels: %s", path, local->message);
      g_error_free (local);
    }
  return h;
}

/* ---- one recording ---- */

void
bx_windows_scan_segment (float *x, gsize n, double scale, double fs, const char *channel_label, guint seg,
                         guint n_windows, const guint *win_seg, const double *win_offset, double window_s, char **bad)
{
  gsize n_native = (gsize) floor (window_s * fs + 0.5);
  double sum = 0;
  gsize n_finite = 0;
  float fill;

  for (gsize i = 0; i < n; i++)
    if (isfinite (x[i]))
      {
        x[i] = (float) (x[i] * scale);
        sum += x[i];
        n_finite++;
      }
  for (guint k = 0; k < n_windows; k++)
    {
      gsize start = (gsize) floor (win_offset[k] * fs + 0.5);
      gsize stop = MIN (start + n_native, n);
      gboolean finite = TRUE, flat = TRUE;

      if (bad[k] != NULL || win_seg[k] != seg || start >= stop)
        continue;
      for (gsize i = start; i < stop; i++)
        {
          if (!isfinite (x[i]))
            finite = FALSE;
          else if (x[i] != x[start])
            flat = FALSE;
        }
      if (!finite)
        bad[k] = g_strdup_printf ("non-finite samples in channel '%s'", channel_label);
      else if (flat)
        bad[k] = g_strdup_printf ("channel '%s' is flat", channel_label);
    }
  /* The dropped windows' samples become the mean of the finite ones, so
   * whole-recording filters and z-scores stay finite. */
  fill = n_finite ? (float) (sum / (double) n_finite) : 0.0f;
  if (n_finite < n)
    for (gsize i = 0; i < n; i++)
      if (!isfinite (x[i]))
        x[i] = fill;
}

typedef struct {
  double onset;     /* seconds, real time */
  double end;
  gint64 first_record;
  gint64 n_records;
} Segment;

static void
add_reason (Builder *b, const char *path, guint *n_reasons, guint *n_more, double onset, const char *reason)
{
  b->set->n_skipped++;
  if (*n_reasons < MAX_REASONS_PER_RECORDING)
    {
      g_ptr_array_add (b->set->skip_reasons, g_strdup_printf ("%s: window at %.3f s: %s", path, onset, reason));
      (*n_reasons)++;
    }
  else
    (*n_more)++;
}

static gboolean
progress (BxJob *job, const char *path, double fraction, GError **error)
{
  g_autofree char *base = NULL;

  if (job == NULL)
    return TRUE;
  base = g_path_get_basename (path);
  return bx_job_progress (job, "windows", base, CLAMP (fraction, 0, 1), NAN, error);
}

static gboolean
window_recording (Builder *b, BxRecording *rec, const char *subject, BxLabelSource label_source,
                  const char *label_value, gboolean labels_required, GStrv const *explicit_channels, guint rec_no,
                  BxJob *job, GError **error)
{
  const BxWindowParams *p = b->params;
  const char *path = bx_recording_get_path (rec);
  double rd = bx_recording_get_record_duration (rec);
  guint n_segs = bx_recording_get_n_segments (rec);
  double w = p->window_seconds;
  double end = 0;
  g_autofree Segment *segs = g_new0 (Segment, MAX (n_segs, 1));
  GArray *chans[2] = { NULL, NULL };
  g_autoptr (GArray) cand_onset = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) cand_seg = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr (GArray) cand_offset = g_array_new (FALSE, FALSE, sizeof (double));
  char **bad = NULL;
  float *cand_data[2] = { NULL, NULL };
  gsize numel[2] = { 0, 0 };
  g_autoptr (BxHypnogram) hyp = NULL;
  guint n_cand = 0, n_kept = 0, n_reasons = 0, n_more = 0, total_ch = 0, done_ch = 0;
  const char *first_reason = NULL;
  gboolean ok = FALSE;
  guint rec_index = b->set->recordings->len;

  for (guint s = 0; s < n_segs; s++)
    {
      const BxSegment *seg = bx_recording_get_segment (rec, s);

      segs[s].onset = seg->onset;
      segs[s].end = seg->onset + (double) seg->n_records * rd;
      segs[s].first_record = seg->first_record;
      segs[s].n_records = seg->n_records;
      end = MAX (end, segs[s].end);
    }

  /* Channels of each side. */
  for (guint s = 0; s < p->n_sides; s++)
    {
      BxWindowSide *side = &b->set->side[s];
      const char *const *explicit_labels = explicit_channels ? (const char *const *) explicit_channels[p->modality[s]]
                                                             : NULL;

      chans[s] = g_array_new (FALSE, FALSE, sizeof (int));
      if (!select_channels (rec, path, p->modality[s], p->recipe[s], explicit_labels, p->max_channels[s], chans[s],
                            error))
        goto out;
      if (!b->have_channels[s])
        {
          gint64 n_target = side->recipe == BX_PREP_NORMWEAR_EMG ? side->raw_shape[2] + 2 : side->raw_shape[1];

          side->n_channels = chans[s]->len;
          side->raw_ndim = bx_prep_raw_shape (side->recipe, side->n_channels, n_target, side->raw_shape);
          side->raw_numel = 1;
          for (int d = 0; d < side->raw_ndim; d++)
            side->raw_numel *= (gsize) side->raw_shape[d];
          side->channel_labels = g_new0 (char *, chans[s]->len + 1);
          for (guint i = 0; i < chans[s]->len; i++)
            side->channel_labels[i]
                = g_strdup (bx_recording_get_channel (rec, (guint) g_array_index (chans[s], int, i))->label);
          b->have_channels[s] = TRUE;
        }
      else if (chans[s]->len != side->n_channels)
        {
          g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_CHANNEL,
                       "%s: %u %s channel(s) selected for %s, but the first recording (%s) gave %u", path,
                       chans[s]->len, bx_modality_to_string (p->modality[s]), bx_prep_recipe_name (p->recipe[s]),
                       (const char *) g_ptr_array_index (b->set->recordings, 0), side->n_channels);
          goto out;
        }
      numel[s] = side->raw_numel;
      total_ch += chans[s]->len;
    }

  /* The grid, and which windows stay inside one segment. */
  for (guint k = 0;; k++)
    {
      double t = k * p->step_seconds;
      guint seg = G_MAXUINT;

      if (t >= end - 1e-9)
        break;
      for (guint s = 0; s < n_segs && seg == G_MAXUINT; s++)
        if (t >= segs[s].onset - 1e-6 && t + w <= segs[s].end + 1e-6)
          seg = s;
      g_array_append_val (cand_onset, t);
      g_array_append_val (cand_seg, seg);
      t = seg == G_MAXUINT ? 0 : MAX (0, t - segs[seg].onset);
      g_array_append_val (cand_offset, t);
    }
  n_cand = cand_onset->len;
  bad = g_new0 (char *, n_cand + 1);
  for (guint k = 0; k < n_cand; k++)
    if (g_array_index (cand_seg, guint, k) == G_MAXUINT)
      bad[k] = g_strdup (g_array_index (cand_onset, double, k) + w > end + 1e-6
                             ? "runs past the end of the recording"
                             : "crosses a gap of the EDF+D recording");

  /* Each channel: read by segment, mark bad windows, run the recipe. */
  for (guint s = 0; s < p->n_sides; s++)
    {
      cand_data[s] = g_try_new0 (float, (gsize) n_cand * numel[s]);
      if (cand_data[s] == NULL && n_cand > 0)
        {
          g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_SIGNAL,
                       "%s: cannot allocate %u windows of %" G_GSIZE_FORMAT " floats", path, n_cand, numel[s]);
          goto out;
        }
      for (guint c = 0; c < chans[s]->len; c++)
        {
          guint ch = (guint) g_array_index (chans[s], int, c);
          const BxChannel *info = bx_recording_get_channel (rec, ch);
          double fs = info->sample_rate;
          double scale = 1;
          float **seg_data = g_new0 (float *, MAX (n_segs, 1));
          gsize *seg_n = g_new0 (gsize, MAX (n_segs, 1));
          BxPrepChannel prep = { p->recipe[s], p->per_window_filter, p->per_window_zscore, fs, path, info->label,
                                 p->rate[s] };
          gboolean chan_ok = TRUE;

          if (!progress (job, path, (rec_no + (double) done_ch / MAX (total_ch, 1)) / MAX (b->n_recordings, 1),
                         error))
            chan_ok = FALSE;
          /* Voltages in µV (EEG for LaBraM; eegmat's ECG comes in mV or µV). */
          if (!bx_unit_scale (info->physical_dimension, "uV", &scale))
            scale = 1;
          for (guint g = 0; g < n_segs && chan_ok; g++)
            {
              gint64 first = segs[g].first_record * info->samples_per_record;
              gint64 n = MIN (segs[g].n_records * info->samples_per_record, info->n_samples - first);
              if (n <= 0)
                continue;
              seg_data[g] = g_new (float, n);
              seg_n[g] = (gsize) n;
              if (!bx_recording_read (rec, ch, first, n, seg_data[g], error))
                {
                  chan_ok = FALSE;
                  break;
                }
              bx_windows_scan_segment (seg_data[g], (gsize) n, scale, fs, info->label, g, n_cand,
                                       (const guint *) cand_seg->data, (const double *) cand_offset->data, w, bad);
            }
          if (chan_ok)
            chan_ok = bx_prep_channel (&prep, seg_data, seg_n, n_segs, n_cand, (const guint *) cand_seg->data,
                                       (const double *) cand_offset->data, w, bad, cand_data[s], numel[s], c,
                                       numel[s] / chans[s]->len, job, error);
          for (guint g = 0; g < n_segs; g++)
            g_free (seg_data[g]);
          g_free (seg_data);
          g_free (seg_n);
          if (!chan_ok)
            goto out;
          done_ch++;
        }
    }

  /* Labels. */
  {
    GError *label_error = NULL;

    hyp = recording_labels (rec, path, label_source, label_value, b->map, end, labels_required, &label_error);
    if (label_error != NULL)
      {
        g_propagate_error (error, label_error);
        goto out;
      }
  }

  for (guint k = 0; k < n_cand; k++)
    {
      double t = g_array_index (cand_onset, double, k);
      int label = -1;

      if (bad[k] != NULL)
        {
          if (first_reason == NULL)
            first_reason = bad[k];
          add_reason (b, path, &n_reasons, &n_more, t, bad[k]);
          continue;
        }
      if (hyp)
        label = bx_hypnogram_window_label (hyp, t, t + w, p->min_purity, NULL, NULL);
      g_array_append_val (b->labels, label);
      g_array_append_val (b->onsets, t);
      g_array_append_val (b->rec_index, rec_index);
      for (guint s = 0; s < p->n_sides; s++)
        g_array_append_vals (b->data[s], cand_data[s] + (gsize) k * numel[s], (guint) numel[s]);
      n_kept++;
    }
  if (n_more > 0)
    g_ptr_array_add (b->set->skip_reasons,
                     g_strdup_printf ("%s: %u more window(s) skipped", path, n_more));
  if (n_kept == 0)
    {
      if (n_cand == 0)
        g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_SIGNAL,
                     "%s: no usable window: %.3f s of recording are shorter than one %g s window", path, end, w);
      else
        g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_SIGNAL,
                     "%s: no usable window among %u (first reason: %s)", path, n_cand, first_reason);
      goto out;
    }
  g_ptr_array_add (b->set->recordings, g_strdup (path));
  g_ptr_array_add (b->set->subjects, g_strdup (subject));
  ok = progress (job, path, (rec_no + 1.0) / MAX (b->n_recordings, 1), error);

out:
  for (guint s = 0; s < 2; s++)
    {
      if (chans[s])
        g_array_unref (chans[s]);
      g_free (cand_data[s]);
    }
  /* bad[] has NULL holes: not a GStrv. */
  for (guint k = 0; bad != NULL && k < n_cand; k++)
    g_free (bad[k]);
  g_free (bad);
  return ok;
}

/* ---- entry points ---- */

BxWindowSet *
bx_windows_from_manifest (const BxManifest *manifest, guint roles, const BxWindowParams *params, BxJob *job,
                          GError **error)
{
  Builder b;
  g_autoptr (GPtrArray) entries = NULL;
  g_auto (GStrv) constants = NULL;
  gboolean any_labels = FALSE;

  if (!check_params (params, error))
    return NULL;
  entries = bx_manifest_select (manifest, roles);
  if (entries->len == 0)
    {
      g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_SIGNAL, "%s: no recording has the requested role(s)",
                   manifest->path);
      return NULL;
    }
  builder_init (&b, params);
  b.n_recordings = entries->len;

  /* Classes: a stage set, else the manifest's constant labels (in order of
   * first appearance over the whole manifest, so train and test agree), else
   * AASM stages for annotation / file labels. */
  constants = bx_manifest_constant_labels (manifest);
  for (guint i = 0; i < entries->len; i++)
    any_labels |= ((BxManifestEntry *) g_ptr_array_index (entries, i))->label_source != BX_LABEL_SOURCE_NONE;
  if (params->use_stage_set || (any_labels && (constants == NULL || constants[0] == NULL)))
    {
      BxStageSet set = params->use_stage_set ? (BxStageSet) params->stage_set : BX_STAGE_SET_AASM;
      guint n = bx_stage_set_n_classes (set);

      b.map = bx_label_map_new_stage_set (set);
      b.set->class_names = g_new0 (char *, n + 1);
      for (guint c = 0; c < n; c++)
        b.set->class_names[c] = g_strdup (bx_stage_set_class_name (set, c));
    }
  else if (any_labels)
    {
      b.map = bx_label_map_new_classes ((const char *const *) constants, g_strv_length (constants));
      b.set->class_names = g_strdupv (constants);
    }

  for (guint i = 0; i < entries->len; i++)
    {
      const BxManifestEntry *e = g_ptr_array_index (entries, i);
      g_autoptr (BxRecording) rec = bx_recording_open (e->path, error);

      if (rec == NULL
          || !window_recording (&b, rec, e->subject, e->label_source, e->label_value, TRUE, e->channels, i, job,
                                error))
        {
          builder_clear (&b);
          return NULL;
        }
    }
  return builder_finish (&b);
}

BxWindowSet *
bx_windows_from_recording (BxRecording *recording, const BxWindowParams *params, BxJob *job, GError **error)
{
  Builder b;
  BxStageSet set = params->use_stage_set ? (BxStageSet) params->stage_set : BX_STAGE_SET_AASM;
  guint n = bx_stage_set_n_classes (set);
  g_autofree char *subject = g_path_get_basename (bx_recording_get_path (recording));

  if (!check_params (params, error))
    return NULL;
  builder_init (&b, params);
  b.n_recordings = 1;
  b.map = bx_label_map_new_stage_set (set);
  b.set->class_names = g_new0 (char *, n + 1);
  for (guint c = 0; c < n; c++)
    b.set->class_names[c] = g_strdup (bx_stage_set_class_name (set, c));
  if (!window_recording (&b, recording, subject, BX_LABEL_SOURCE_ANNOTATIONS, NULL, FALSE, NULL, 0, job, error))
    {
      builder_clear (&b);
      return NULL;
    }
  return builder_finish (&b);
}

/* ---- prepared tensors ---- */

static gboolean
npy_side (const char *path, BxWindowSide *side, guint *n, GError **error)
{
  g_autoptr (BxTensor) t = NULL;
  g_autofree char *shape = NULL;
  GError *local = NULL;

  t = bx_npy_read (path, &local);
  if (t == NULL)
    {
      g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_NPY, "%s", local->message);
      g_error_free (local);
      return FALSE;
    }
  shape = bx_shape_to_string (t->ndim, t->shape);
  if (t->dtype != BX_DTYPE_F32 && t->dtype != BX_DTYPE_F64)
    {
      g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_NPY, "%s: dtype %s; float32 or float64 is needed", path,
                   bx_dtype_name (t->dtype));
      return FALSE;
    }
  if (t->ndim < 2 || t->ndim > 7 || t->shape[0] < 1)
    {
      g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_NPY,
                   "%s: shape %s; (N, raw dims…) with N ≥ 1 and 1 to 6 raw dims is needed", path, shape);
      return FALSE;
    }
  side->raw_ndim = (int) t->ndim - 1;
  side->raw_numel = 1;
  for (guint d = 1; d < t->ndim; d++)
    {
      side->raw_shape[d - 1] = t->shape[d];
      side->raw_numel *= (gsize) t->shape[d];
    }
  /* Guess the model from the layout (the files hold no modality):
   * (C, L, 65)-style 4-D → NormWear; (C > 1, L) → LaBraM; (1, L) or (L) →
   * PaPaGei when L is a multiple of 125 but not of 100 (60 s = 7500), else
   * HuBERT-ECG. */
  if (side->raw_ndim == 4)
    side->recipe = BX_PREP_NORMWEAR_EMG;
  else if (side->raw_ndim == 2 && side->raw_shape[0] > 1)
    side->recipe = BX_PREP_LABRAM_EEG;
  else
    {
      gint64 len = side->raw_shape[side->raw_ndim - 1];

      side->recipe = (len % 125 == 0 && len % 100 != 0) ? BX_PREP_PAPAGEI_PPG : BX_PREP_HUBERT_ECG;
    }
  side->modality = bx_prep_recipe_modality (side->recipe);
  side->n_channels = side->raw_ndim >= 2 ? (guint) side->raw_shape[0] : 1;
  side->channel_labels = g_new0 (char *, 1);
  side->data = bx_tensor_to_float (t, NULL);
  *n = (guint) t->shape[0];
  return TRUE;
}

static char *
full_shape (const BxWindowSide *side, guint n)
{
  gint64 shape[7];

  shape[0] = n;
  memcpy (shape + 1, side->raw_shape, (gsize) side->raw_ndim * sizeof (gint64));
  return bx_shape_to_string ((guint) side->raw_ndim + 1, shape);
}

BxWindowSet *
bx_windows_from_npy (const char *old_path, const char *new_path, const char *labels_path, GError **error)
{
  g_autoptr (BxWindowSet) set = window_set_new ();
  guint n_old = 0, n_new = 0;
  int max_label = -1;

  if (!npy_side (old_path, &set->side[0], &n_old, error))
    return NULL;
  set->n_sides = 1;
  if (new_path)
    {
      if (!npy_side (new_path, &set->side[1], &n_new, error))
        return NULL;
      set->n_sides = 2;
      if (n_new != n_old)
        {
          g_autofree char *a = full_shape (&set->side[0], n_old);
          g_autofree char *b = full_shape (&set->side[1], n_new);

          g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_NPY,
                       "%s has shape %s but %s has shape %s; the number of windows N (first dimension) must agree",
                       old_path, a, new_path, b);
          return NULL;
        }
    }
  set->n_windows = n_old;
  set->labels = g_new (int, n_old);
  for (guint i = 0; i < n_old; i++)
    set->labels[i] = -1;
  if (labels_path)
    {
      GError *local = NULL;
      g_autoptr (BxTensor) t = bx_npy_read (labels_path, &local);
      g_autofree char *shape = NULL;

      if (t == NULL)
        {
          g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_NPY, "%s", local->message);
          g_error_free (local);
          return NULL;
        }
      shape = bx_shape_to_string (t->ndim, t->shape);
      if (t->ndim != 1 || t->shape[0] != (gint64) n_old)
        {
          g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_NPY,
                       "%s: shape %s, but %s holds %u windows: labels must be (%u,)", labels_path, shape, old_path,
                       n_old, n_old);
          return NULL;
        }
      for (guint i = 0; i < n_old; i++)
        {
          gint64 v;

          if (!bx_tensor_get_int64 (t, i, &v))
            {
              g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_NPY,
                           "%s: dtype %s; integer labels (N,) are needed", labels_path, bx_dtype_name (t->dtype));
              return NULL;
            }
          if (v < -1 || v > 127)
            {
              g_set_error (error, BX_WINDOWS_ERROR, BX_WINDOWS_ERROR_NPY,
                           "%s: label %" G_GINT64_FORMAT " at index %u is outside -1 .. 127", labels_path, v, i);
              return NULL;
            }
          set->labels[i] = (int) v;
          max_label = MAX (max_label, (int) v);
        }
    }
  /* Classes are named by their index. */
  set->class_names = g_new0 (char *, max_label + 2);
  for (int c = 0; c <= max_label; c++)
    set->class_names[c] = g_strdup_printf ("%d", c);
  set->onsets = g_new0 (double, n_old);
  set->recording_index = g_new0 (guint, n_old);
  g_ptr_array_add (set->recordings, g_strdup (old_path));
  g_ptr_array_add (set->subjects, g_path_get_basename (old_path));
  return g_steal_pointer (&set);
}
