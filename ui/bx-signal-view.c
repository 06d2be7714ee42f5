/* bx-signal-view.c — stacked multi-channel traces drawn with GtkSnapshot + cairo. */
#include "config.h"

#include "bx-signal-view.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "bx-overlay-track.h"
#include "bx-stage-style.h"

#define LABEL_WIDTH 132
#define RULER_HEIGHT 24
#define BAND_HEIGHT 18
#define RIGHT_MARGIN 8
/* Above this many samples per trace in view, columns come from the pyramid
 * (unfiltered); below, raw samples are read, filtered and cached. 256 Hz ×
 * 4 min: reading it for 20 traces takes a few ms. */
#define RAW_MAX_SAMPLES (1 << 16)
/* On pages up to OVERFLOW_MAX_PAGE seconds an electrophysiological trace
 * (EEG, EOG, EMG, ECG) may run this share of its slot height past the slot's
 * edges (over its neighbours, as pens do on paper) before it is drawn flat: a
 * K-complex or a slow wave of twice the row's scale stays readable instead of
 * clipped. Longer pages draw envelopes, which would bury the neighbours, and
 * slow channels (SpO2, temperature, position) read best inside their row. */
#define OVERFLOW 0.5
#define OVERFLOW_MAX_PAGE 120

typedef struct {
  guint id;                  /* creation order: index of the pyramid build */
  BxTraceSource source;
  char *label;
  char *unit;                /* for display: "µV", "mV", "%", ... */
  double sample_rate;
  gint64 n_samples;
  BxModality modality;
  gboolean filterable;       /* electrophysiology; SpO2, position etc. are never filtered */
  double gain;
  double offset;
  gboolean visible;
  gboolean has_colour;
  GdkRGBA colour;
  BxPyramid *pyramid;
  double auto_scale;         /* unit from centre line to slot edge at gain 1 (a 1-2-5 value) */
  double typical;            /* robust amplitude from the pyramid (see trace_quantile), 0 until built */
  double baseline;
  /* Raw cache: samples [raw_first, raw_first + raw_n), display-filtered. */
  float *raw;
  gint64 raw_first;
  gint64 raw_n;
  /* Last frame: plot columns drawn, and those where the trace ran past the
   * band it may use (flattened). */
  guint n_columns;
  guint n_clipped;
} Trace;

struct _BxSignalView
{
  GtkWidget parent_instance;

  BxRecording *recording;
  GDateTime *recording_start;
  double duration;
  GPtrArray *traces;          /* Trace*, display order */
  guint n_created;
  guint n_pyramids;
  GCancellable *cancellable;
  guint n_threads;
  guint build_source;         /* idle that starts the pyramid build */

  double start;
  double length;
  int current_epoch;
  double epoch_length;

  const BxHypnogram *scoring;
  GListModel *tracks;
  const BxAnnotationList *annotations;
  BxDisplayFilter filter;
  gboolean has_palette;
  GdkRGBA palette[BX_N_MODALITIES];
};

G_DEFINE_FINAL_TYPE (BxSignalView, bx_signal_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_START,
  PROP_PAGE_LENGTH,
  PROP_OVERVIEW_READY,
  N_PROPS
};

enum {
  TRACES_CHANGED,
  EPOCH_CLICKED,
  SCROLL_PAGES,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
trace_free (gpointer data)
{
  Trace *t = data;

  g_free (t->label);
  g_free (t->unit);
  g_free (t->raw);
  bx_pyramid_free (t->pyramid);
  g_free (t);
}

static void
trace_drop_raw (Trace *t)
{
  g_clear_pointer (&t->raw, g_free);
  t->raw_n = 0;
}

/* EDF files spell micro-volts many ways ("uV", "UV" in DREAMS); show one. */
static char *
display_unit (const char *unit)
{
  if (unit == NULL || *unit == '\0' || g_str_equal (unit, "-"))
    return g_strdup ("");
  if (g_ascii_strcasecmp (unit, "uV") == 0 || g_strcmp0 (unit, "µV") == 0)
    return g_strdup ("µV");
  if (g_ascii_strcasecmp (unit, "mV") == 0)
    return g_strdup ("mV");
  if (g_ascii_strcasecmp (unit, "V") == 0)
    return g_strdup ("V");
  if (g_ascii_strcasecmp (unit, "degC") == 0 || g_ascii_strcasecmp (unit, "C") == 0)
    return g_strdup ("°C");
  return g_strdup (unit);
}

static gboolean
modality_is_filterable (BxModality m)
{
  return m == BX_MODALITY_EEG || m == BX_MODALITY_EOG || m == BX_MODALITY_EMG || m == BX_MODALITY_ECG;
}

static Trace *
get_trace (BxSignalView *self, guint index)
{
  g_return_val_if_fail (index < self->traces->len, NULL);
  return g_ptr_array_index (self->traces, index);
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static Trace *
find_trace_by_id (BxSignalView *self, guint id)
{
  for (guint i = 0; i < self->traces->len; i++)
    {
      Trace *t = g_ptr_array_index (self->traces, i);

      if (t->id == id)
        return t;
    }
  return NULL;
}

static void
update_accessible (BxSignalView *self)
{
  g_autofree char *description = NULL;
  guint n_visible = 0;

  for (guint i = 0; i < self->traces->len; i++)
    n_visible += ((Trace *) g_ptr_array_index (self->traces, i))->visible;
  description = g_strdup_printf (_("%u channels shown, %.0f s from %.0f s after the start"), n_visible,
                                 self->length, self->start);
  {
    g_autofree char *filters = bx_display_filter_describe (&self->filter);

    if (filters != NULL)
      {
        /* Translators: accessible description of the traces, then the display filters in use */
        char *with_filters = g_strdup_printf (_("%s; display filters: %s"), description, filters);

        g_free (description);
        description = with_filters;
      }
  }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
}

/* The 1-2-5 value at or above `x`: scales a technician can read (±50 µV, not ±47.3 µV). */
static double
nice_ceil (double x)
{
  double p, m;

  if (!(x > 0) || !isfinite (x))
    return 1;
  p = pow (10, floor (log10 (x)));
  m = x / p;
  if (m <= 1.0 + 1e-9)
    return p;
  if (m <= 2.0 + 1e-9)
    return 2 * p;
  if (m <= 5.0 + 1e-9)
    return 5 * p;
  return 10 * p;
}

/* Which share of the bin extremes the scale is chosen from. EOG is quiet
 * most of the night and matters for its eye movements (REM, wake), which a
 * 98th percentile cuts off: its scale holds 99.5% of the extremes. */
static double
trace_quantile (const Trace *t)
{
  return t->modality == BX_MODALITY_EOG ? 0.995 : 0.98;
}

/* Smallest default scale of a trace: SpO2 around its mean at ±1 % would show
 * sensor noise as desaturations, and a 3–4 % dip is what a technician scores;
 * likewise a pulse rate at ±1 bpm. */
static double
trace_min_scale (const Trace *t)
{
  if (t->modality == BX_MODALITY_SPO2 && g_strcmp0 (t->unit, "%") == 0)
    return 5;
  if (g_ascii_strcasecmp (t->unit, "bpm") == 0)
    return 10;
  return 0;
}

/* Channels of one kind share one scale, so amplitudes compare across them
 * (all EEG at ±50 µV, say); the scale is the median of their typical
 * amplitudes. Other channels are scaled on their own. */
static void
update_auto_scales (BxSignalView *self)
{
  for (guint i = 0; i < self->traces->len; i++)
    {
      Trace *t = g_ptr_array_index (self->traces, i);
      g_autoptr (GArray) group = NULL;
      gboolean shared = t->modality == BX_MODALITY_EEG || t->modality == BX_MODALITY_EOG;

      if (t->typical <= 0)
        continue;
      if (!shared)
        {
          t->auto_scale = nice_ceil (MAX (t->typical, trace_min_scale (t)));
          continue;
        }
      group = g_array_new (FALSE, FALSE, sizeof (double));
      for (guint j = 0; j < self->traces->len; j++)
        {
          Trace *u = g_ptr_array_index (self->traces, j);

          if (u->typical > 0 && u->modality == t->modality && g_strcmp0 (u->unit, t->unit) == 0)
            g_array_append_val (group, u->typical);
        }
      g_array_sort (group, compare_double);
      t->auto_scale = nice_ceil (g_array_index (group, double, group->len / 2));
    }
}

static void
on_pyramid_ready (guint id, BxPyramid *pyramid, gpointer user_data)
{
  BxSignalView *self = user_data;
  Trace *t = find_trace_by_id (self, id);

  if (t == NULL)
    {
      bx_pyramid_free (pyramid);
      return;
    }
  g_clear_pointer (&t->pyramid, bx_pyramid_free);
  t->pyramid = pyramid;
  t->typical = bx_pyramid_get_amplitude_quantile (pyramid, trace_quantile (t));
  t->baseline = bx_pyramid_get_mean (pyramid);
  update_auto_scales (self);
  self->n_pyramids++;
  if (self->n_pyramids == self->traces->len)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OVERVIEW_READY]);
  g_signal_emit (self, signals[TRACES_CHANGED], 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_build_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;

  if (!bx_pyramid_build_finish (result, &error) && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("Could not build the overview of the recording: %s", error->message);
}

static Trace *
add_trace (BxSignalView *self, const BxTraceSource *source, const char *label)
{
  const BxChannel *ch = bx_recording_get_channel (self->recording, source->channel);
  Trace *t = g_new0 (Trace, 1);

  t->id = self->n_created++;
  t->source = *source;
  t->label = g_strdup (label != NULL ? label : ch->label);
  t->unit = display_unit (ch->physical_dimension);
  t->sample_rate = ch->sample_rate;
  t->n_samples = ch->n_samples;
  if (source->minus_channel >= 0)
    t->n_samples = MIN (t->n_samples, bx_recording_get_channel (self->recording, (guint) source->minus_channel)->n_samples);
  t->modality = ch->modality;
  t->filterable = modality_is_filterable (ch->modality);
  t->gain = 1.0;
  t->visible = TRUE;
  /* Until the pyramid says better: the channel's declared range. */
  t->auto_scale = nice_ceil (fabs (ch->physical_max - ch->physical_min) / 2);
  t->baseline = source->minus_channel >= 0 ? 0 : (ch->physical_max + ch->physical_min) / 2;
  g_ptr_array_add (self->traces, t);
  return t;
}

static gboolean
start_build (gpointer user_data)
{
  BxSignalView *self = user_data;
  guint n = bx_recording_get_n_channels (self->recording);
  g_autofree BxTraceSource *sources = g_new0 (BxTraceSource, MAX (n, 1));

  self->build_source = 0;
  for (guint i = 0; i < n; i++)
    {
      sources[i].channel = i;
      sources[i].minus_channel = -1;
    }
  bx_pyramid_build_async (self->recording, sources, n, 0, self->n_threads, self->cancellable, on_pyramid_ready, self,
                          on_build_done, NULL);
  return G_SOURCE_REMOVE;
}

void
bx_signal_view_set_recording (BxSignalView *self, BxRecording *recording, guint n_threads)
{
  g_autofree BxTraceSource *sources = NULL;
  guint n;

  g_return_if_fail (BX_IS_SIGNAL_VIEW (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_ptr_array_set_size (self->traces, 0);
  g_clear_pointer (&self->recording, bx_recording_unref);
  g_clear_pointer (&self->recording_start, g_date_time_unref);
  self->n_created = 0;
  self->n_pyramids = 0;
  self->n_threads = n_threads;
  if (recording == NULL)
    {
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return;
    }

  self->recording = bx_recording_ref (recording);
  self->recording_start = g_date_time_ref (bx_recording_get_start (recording));
  self->duration = bx_recording_get_duration (recording);
  n = bx_recording_get_n_channels (recording);
  sources = g_new0 (BxTraceSource, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      sources[i].channel = i;
      sources[i].minus_channel = -1;
      add_trace (self, &sources[i], NULL);
    }
  self->cancellable = g_cancellable_new ();
  /* The overview is built once the first page is on screen: on a busy machine
   * the worker threads would otherwise delay the first frame. */
  g_clear_handle_id (&self->build_source, g_source_remove);
  if (n > 0)
    self->build_source = g_idle_add_full (G_PRIORITY_LOW, start_build, self, NULL);
  g_signal_emit (self, signals[TRACES_CHANGED], 0);
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

BxRecording *
bx_signal_view_get_recording (BxSignalView *self)
{
  g_return_val_if_fail (BX_IS_SIGNAL_VIEW (self), NULL);
  return self->recording;
}

gboolean
bx_signal_view_get_overview_ready (BxSignalView *self)
{
  g_return_val_if_fail (BX_IS_SIGNAL_VIEW (self), FALSE);
  return self->recording != NULL && self->n_pyramids == self->traces->len;
}

void
bx_signal_view_set_window (BxSignalView *self, double start, double length)
{
  g_return_if_fail (BX_IS_SIGNAL_VIEW (self));
  g_return_if_fail (length > 0);

  if (self->start == start && self->length == length)
    return;
  g_object_freeze_notify (G_OBJECT (self));
  if (self->start != start)
    {
      self->start = start;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_START]);
    }
  if (self->length != length)
    {
      self->length = length;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAGE_LENGTH]);
    }
  g_object_thaw_notify (G_OBJECT (self));
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
bx_signal_view_get_start (BxSignalView *self)
{
  return self->start;
}

double
bx_signal_view_get_page_length (BxSignalView *self)
{
  return self->length;
}

void
bx_signal_view_set_current_epoch (BxSignalView *self, int epoch, double epoch_length)
{
  g_return_if_fail (BX_IS_SIGNAL_VIEW (self));

  self->current_epoch = epoch;
  self->epoch_length = epoch_length > 0 ? epoch_length : 30;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bx_signal_view_set_scoring (BxSignalView *self, const BxHypnogram *scoring)
{
  self->scoring = scoring;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_tracks_changed (GListModel *model, guint position, guint removed, guint added, gpointer user_data)
{
  gtk_widget_queue_draw (GTK_WIDGET (user_data));
}

void
bx_signal_view_set_overlay_tracks (BxSignalView *self, GListModel *tracks)
{
  g_return_if_fail (BX_IS_SIGNAL_VIEW (self));

  if (self->tracks != NULL)
    g_signal_handlers_disconnect_by_data (self->tracks, self);
  g_set_object (&self->tracks, tracks);
  if (tracks != NULL)
    g_signal_connect_object (tracks, "items-changed", G_CALLBACK (on_tracks_changed), self, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bx_signal_view_set_annotations (BxSignalView *self, const BxAnnotationList *annotations)
{
  self->annotations = annotations;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bx_signal_view_labels_changed (BxSignalView *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bx_signal_view_set_filter (BxSignalView *self, const BxDisplayFilter *filter)
{
  g_return_if_fail (BX_IS_SIGNAL_VIEW (self));

  self->filter = *filter;
  for (guint i = 0; i < self->traces->len; i++)
    trace_drop_raw (g_ptr_array_index (self->traces, i));
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

const BxDisplayFilter *
bx_signal_view_get_filter (BxSignalView *self)
{
  return &self->filter;
}

void
bx_signal_view_set_palette (BxSignalView *self, const GdkRGBA *modality_colours)
{
  self->has_palette = modality_colours != NULL;
  if (modality_colours != NULL)
    memcpy (self->palette, modality_colours, sizeof self->palette);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
bx_signal_view_get_n_traces (BxSignalView *self)
{
  return self->traces->len;
}

const char *
bx_signal_view_get_trace_label (BxSignalView *self, guint index)
{
  return get_trace (self, index)->label;
}

const char *
bx_signal_view_get_trace_unit (BxSignalView *self, guint index)
{
  return get_trace (self, index)->unit;
}

double
bx_signal_view_get_trace_gain (BxSignalView *self, guint index)
{
  return get_trace (self, index)->gain;
}

void
bx_signal_view_set_trace_gain (BxSignalView *self, guint index, double gain)
{
  g_return_if_fail (gain > 0);
  get_trace (self, index)->gain = gain;
  g_signal_emit (self, signals[TRACES_CHANGED], 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bx_signal_view_set_trace_offset (BxSignalView *self, guint index, double offset)
{
  get_trace (self, index)->offset = offset;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
bx_signal_view_get_trace_offset (BxSignalView *self, guint index)
{
  return get_trace (self, index)->offset;
}

gboolean
bx_signal_view_get_trace_visible (BxSignalView *self, guint index)
{
  return get_trace (self, index)->visible;
}

void
bx_signal_view_set_trace_visible (BxSignalView *self, guint index, gboolean visible)
{
  get_trace (self, index)->visible = !!visible;
  update_accessible (self);
  g_signal_emit (self, signals[TRACES_CHANGED], 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bx_signal_view_set_trace_colour (BxSignalView *self, guint index, const GdkRGBA *colour)
{
  Trace *t = get_trace (self, index);

  t->has_colour = colour != NULL;
  if (colour != NULL)
    t->colour = *colour;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
trace_colour (BxSignalView *self, const Trace *t, const GdkRGBA *fg, GdkRGBA *out)
{
  if (t->has_colour)
    *out = t->colour;
  else if (self->has_palette && t->modality < BX_N_MODALITIES)
    {
      *out = self->palette[t->modality];
      /* On a dark background the palette's dark greys (position, other) all
       * but vanish, while its saturated colours stand out: bring dark, nearly
       * grey palette colours halfway to the text colour. A colour the user
       * picked for one trace is kept as is. */
      double hi = MAX (out->red, MAX (out->green, out->blue));
      double lo = MIN (out->red, MIN (out->green, out->blue));

      if (0.3 * fg->red + 0.59 * fg->green + 0.11 * fg->blue > 0.5 && hi < 0.5 && hi - lo < 0.15)
        {
          out->red = (out->red + fg->red) / 2;
          out->green = (out->green + fg->green) / 2;
          out->blue = (out->blue + fg->blue) / 2;
        }
    }
  else
    *out = *fg;
}

void
bx_signal_view_get_trace_colour (BxSignalView *self, guint index, GdkRGBA *out)
{
  GdkRGBA fg = { 0, 0, 0, 1 };

  trace_colour (self, get_trace (self, index), &fg, out);
}

void
bx_signal_view_move_trace (BxSignalView *self, guint from, guint to)
{
  Trace *t;

  g_return_if_fail (from < self->traces->len && to < self->traces->len);
  if (from == to)
    return;
  t = g_ptr_array_steal_index (self->traces, from);
  g_ptr_array_insert (self->traces, (int) to, t);
  g_signal_emit (self, signals[TRACES_CHANGED], 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
bx_signal_view_add_derivation (BxSignalView *self, guint channel_a, guint channel_b, GError **error)
{
  const BxChannel *a, *b;
  BxTraceSource source = { channel_a, (int) channel_b };
  g_autofree char *label = NULL;
  double factor = 1;
  Trace *t;

  g_return_val_if_fail (self->recording != NULL, FALSE);
  a = bx_recording_get_channel (self->recording, channel_a);
  b = bx_recording_get_channel (self->recording, channel_b);
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (channel_a == channel_b)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("A derivation needs two different channels"));
      return FALSE;
    }
  if (a->sample_rate != b->sample_rate)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Cannot derive “%s − %s”: sampled at %g Hz and %g Hz"), a->label, b->label, a->sample_rate,
                   b->sample_rate);
      return FALSE;
    }
  if (!bx_unit_scale (a->physical_dimension, b->physical_dimension, &factor) || fabs (factor - 1) > 1e-9)
    {
      if (g_strcmp0 (a->physical_dimension, b->physical_dimension) != 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("Cannot derive “%s − %s”: units “%s” and “%s” differ"), a->label, b->label,
                       a->physical_dimension, b->physical_dimension);
          return FALSE;
        }
    }

  label = g_strdup_printf ("%s−%s", a->label, b->label);
  t = add_trace (self, &source, label);
  bx_pyramid_build_async (self->recording, &source, 1, t->id, 1, self->cancellable, on_pyramid_ready, self,
                          on_build_done, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OVERVIEW_READY]);
  g_signal_emit (self, signals[TRACES_CHANGED], 0);
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return TRUE;
}

double
bx_signal_view_get_trace_scale (BxSignalView *self, guint index)
{
  Trace *t = get_trace (self, index);

  return t->auto_scale / t->gain;
}

/* The 1-2-5 value `steps` places from `x` (which need not be one): down for
 * positive steps. */
static double
nice_step (double x, int steps)
{
  double v = nice_ceil (x);

  if (steps < 0 && v > x * (1 + 1e-9))
    steps++;   /* x lay between two values: the one above is the first step up */
  for (; steps > 0; steps--)
    {
      double p = pow (10, floor (log10 (v) + 1e-9)), m = v / p;

      v = m < 1.5 ? p / 2 : m < 3 ? p : 2 * p;
    }
  for (; steps < 0; steps++)
    {
      double p = pow (10, floor (log10 (v) + 1e-9)), m = v / p;

      v = m < 1.5 ? 2 * p : m < 3 ? 5 * p : 10 * p;
    }
  return v;
}

void
bx_signal_view_step_scales (BxSignalView *self, int steps)
{
  g_return_if_fail (BX_IS_SIGNAL_VIEW (self));

  for (guint i = 0; i < self->traces->len; i++)
    {
      Trace *t = g_ptr_array_index (self->traces, i);

      t->gain = t->auto_scale / nice_step (t->auto_scale / t->gain, steps);
    }
  g_signal_emit (self, signals[TRACES_CHANGED], 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
bx_signal_view_get_trace_clipped (BxSignalView *self, guint index)
{
  Trace *t = get_trace (self, index);

  return t->n_columns > 0 ? (double) t->n_clipped / t->n_columns : 0;
}

/* ---- drawing ---- */

/* Makes sure samples [first, last) of `t` are in its raw cache, with enough
 * margin for the display filter to settle. Returns FALSE on read errors. */
static gboolean
ensure_raw (BxSignalView *self, Trace *t, gint64 first, gint64 last)
{
  gboolean filtered = t->filterable && bx_display_filter_is_active (&self->filter);
  gint64 margin = filtered ? bx_display_filter_margin (&self->filter, t->sample_rate, 1 << 16) : 0;
  gint64 span = last - first;
  gint64 want_first, want_last;
  g_autoptr (GError) error = NULL;

  first = MAX (0, first);
  last = MIN (t->n_samples, last);
  if (last <= first)
    return FALSE;
  if (t->raw != NULL && MAX (0, first - margin) >= t->raw_first
      && MIN (t->n_samples, last + margin) <= t->raw_first + t->raw_n)
    return TRUE;

  /* Read a page on each side as well so paging back and forth stays cheap. */
  want_first = MAX (0, first - span - margin);
  want_last = MIN (t->n_samples, last + span + margin);
  trace_drop_raw (t);
  t->raw = g_new (float, want_last - want_first);
  if (!bx_trace_source_read (self->recording, &t->source, want_first, want_last - want_first, t->raw, &error))
    {
      g_warning ("Could not read “%s”: %s", t->label, error->message);
      trace_drop_raw (t);
      return FALSE;
    }
  t->raw_first = want_first;
  t->raw_n = want_last - want_first;
  if (filtered)
    bx_display_filter_run (&self->filter, t->sample_rate, t->raw, (gsize) t->raw_n);
  return TRUE;
}

/* Direct access to the pixels of the image surface behind `cr`, so the
 * column boxes (thousands per frame) are written as spans of pixels instead
 * of going through cairo's path machinery, which dominates the frame time. */
typedef struct {
  guint32 *data;
  int stride;          /* in pixels */
  int width, height;
  double ox, oy;       /* device = user × scale + offset */
  double sx, sy;
  guint32 pixel;       /* opaque colour, premultiplied ARGB32 */
} PixelTarget;

static gboolean
pixel_target_init (PixelTarget *pt, cairo_t *cr, const GdkRGBA *c)
{
  cairo_surface_t *surface = cairo_get_target (cr);
  double x0 = 0, y0 = 0, x1 = 1, y1 = 1;
  double ux = 1, uy = 0, vx = 0, vy = 1;

  if (cairo_surface_get_type (surface) != CAIRO_SURFACE_TYPE_IMAGE
      || cairo_image_surface_get_format (surface) != CAIRO_FORMAT_ARGB32 || c->alpha < 1)
    return FALSE;
  /* Only axis-aligned scales and translations. */
  cairo_user_to_device_distance (cr, &ux, &uy);
  cairo_user_to_device_distance (cr, &vx, &vy);
  if (uy != 0 || vx != 0 || ux <= 0 || vy <= 0)
    return FALSE;
  cairo_user_to_device (cr, &x0, &y0);
  cairo_user_to_device (cr, &x1, &y1);
  pt->sx = x1 - x0;
  pt->sy = y1 - y0;
  pt->ox = x0;
  pt->oy = y0;
  cairo_surface_flush (surface);
  pt->data = (guint32 *) cairo_image_surface_get_data (surface);
  pt->stride = cairo_image_surface_get_stride (surface) / 4;
  pt->width = cairo_image_surface_get_width (surface);
  pt->height = cairo_image_surface_get_height (surface);
  pt->pixel = 0xff000000u | ((guint32) (c->red * 255 + 0.5) << 16) | ((guint32) (c->green * 255 + 0.5) << 8)
              | (guint32) (c->blue * 255 + 0.5);
  return pt->data != NULL;
}

static inline void
pixel_target_box (const PixelTarget *pt, double x, double top, double bottom)
{
  int dx0 = (int) floor (x * pt->sx + pt->ox), dx1 = (int) floor ((x + 1) * pt->sx + pt->ox);
  int dy0 = (int) floor (top * pt->sy + pt->oy), dy1 = (int) ceil (bottom * pt->sy + pt->oy);

  dx0 = MAX (dx0, 0);
  dx1 = MIN (dx1, pt->width);
  dy0 = MAX (dy0, 0);
  dy1 = MIN (dy1, pt->height);
  for (int y = dy0; y < dy1; y++)
    for (int xx = dx0; xx < dx1; xx++)
      pt->data[(gsize) y * pt->stride + xx] = pt->pixel;
}

/* Draws `t` in its slot [y_top, y_top + slot_h), letting it run over its
 * neighbours up to [lim_top, lim_bottom). Returns FALSE when the trace cannot
 * be drawn yet (no overview for a long page). */
static gboolean
draw_trace (BxSignalView *self, cairo_t *cr, Trace *t, const GdkRGBA *colour, double x0, double plot_w,
            double y_top, double slot_h, double lim_top, double lim_bottom)
{
  double yc = y_top + slot_h / 2;
  double baseline = t->baseline;
  double k;
  double sr = t->sample_rate;
  double s_first = self->start * sr, s_last = (self->start + self->length) * sr;
  double spp = (s_last - s_first) / plot_w;   /* samples per pixel column */
  gboolean use_raw;
  gboolean filtered = t->filterable && bx_display_filter_is_active (&self->filter);

  t->n_columns = t->n_clipped = 0;
  if (sr <= 0 || t->n_samples == 0)
    return TRUE;
  /* A high-pass removes the offset: draw around zero then. */
  if (filtered && self->filter.highpass_hz > 0)
    baseline = 0;
  k = (slot_h / 2) / (t->auto_scale / t->gain);
  use_raw = (s_last - s_first) <= RAW_MAX_SAMPLES || t->pyramid == NULL;
  if (use_raw && (s_last - s_first) > 4 * RAW_MAX_SAMPLES)
    return FALSE;   /* overview still being built: the caller says so */
  if (use_raw && !ensure_raw (self, t, (gint64) floor (s_first) - 1, (gint64) ceil (s_last) + 2))
    return TRUE;
  if (!use_raw)
    baseline = t->baseline;   /* the pyramid is unfiltered */
  else if (!(filtered && self->filter.highpass_hz > 0))
    {
      /* Without a high-pass, centre the trace on this page's mean: slow drifts
       * (EOG, DC-coupled amplifiers) would otherwise push it out of its row. */
      gint64 i0 = MAX (t->raw_first, (gint64) floor (s_first));
      gint64 i1 = MIN (t->raw_first + t->raw_n, (gint64) ceil (s_last));
      double sum = 0;

      for (gint64 i = i0; i < i1; i++)
        sum += t->raw[i - t->raw_first];
      if (i1 > i0)
        baseline = sum / (double) (i1 - i0);
    }

#define Y(v) (yc - ((v) - baseline + t->offset) * k)

  if (use_raw && spp < 1.5)
    {
      /* Fewer samples than pixels: a polyline through the samples. */
      gint64 i0 = MAX (t->raw_first, (gint64) floor (s_first));
      gint64 i1 = MIN (t->raw_first + t->raw_n - 1, (gint64) ceil (s_last));

      for (gint64 i = i0; i <= i1; i++)
        {
          double x = x0 + ((double) i - s_first) / spp;
          double y = Y (t->raw[i - t->raw_first]);

          t->n_columns++;
          t->n_clipped += y < lim_top || y > lim_bottom;
          if (i == i0)
            cairo_move_to (cr, x, y);
          else
            cairo_line_to (cr, x, y);
        }
    }
  else
    {
      /* One pixel-aligned box per column (cairo fills boxes far faster than it
       * strokes a zig-zag path), stretched to meet the neighbouring column so
       * steep slopes stay connected. */
      int n_cols = (int) ceil (plot_w);
      gboolean have_prev = FALSE;
      double prev_top = 0, prev_bottom = 0;
      PixelTarget pt = { 0 };
      gboolean direct = pixel_target_init (&pt, cr, colour);

      for (int px = 0; px < n_cols; px++)
        {
          gint64 a = (gint64) floor (s_first + px * spp);
          gint64 b = (gint64) floor (s_first + (px + 1) * spp) + 1;   /* overlap one sample: no gaps */
          float lo, hi;
          double top, bottom;

          if (b <= 0 || a >= t->n_samples)
            {
              have_prev = FALSE;
              continue;
            }
          if (use_raw)
            {
              gint64 j0 = MAX (a, t->raw_first), j1 = MIN (b, t->raw_first + t->raw_n);

              if (j1 <= j0)
                continue;
              lo = hi = t->raw[j0 - t->raw_first];
              for (gint64 j = j0 + 1; j < j1; j++)
                {
                  float v = t->raw[j - t->raw_first];

                  lo = MIN (lo, v);
                  hi = MAX (hi, v);
                }
            }
          else if (!bx_pyramid_min_max (t->pyramid, a, b, &lo, &hi))
            continue;
          /* Stretches beyond the band are drawn flat along its edge: clip
           * the values first, then join the columns. */
          t->n_columns++;
          t->n_clipped += Y (hi) < lim_top || Y (lo) > lim_bottom;
          top = CLAMP (floor (Y (hi)), ceil (lim_top), floor (lim_bottom) - 1);
          bottom = CLAMP (ceil (Y (lo)), ceil (lim_top) + 1, floor (lim_bottom));
          if (have_prev)
            {
              if (prev_bottom < top)
                top = prev_bottom;
              if (prev_top > bottom)
                bottom = prev_top;
            }
          if (bottom - top < 1)
            bottom = top + 1;
          if (bottom > top)
            {
              if (direct)
                pixel_target_box (&pt, floor (x0) + px, top, bottom);
              else
                cairo_rectangle (cr, floor (x0) + px, top, 1, bottom - top);
            }
          prev_top = top;
          prev_bottom = bottom;
          have_prev = TRUE;
        }
      if (direct)
        cairo_surface_mark_dirty (cairo_get_target (cr));
      else
        cairo_fill (cr);
      return TRUE;
    }
#undef Y
  cairo_stroke (cr);
  return TRUE;
}

static const double tick_steps[] = { 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400 };

static void
set_source (cairo_t *cr, const GdkRGBA *c, double alpha)
{
  cairo_set_source_rgba (cr, c->red, c->green, c->blue, c->alpha * alpha);
}

static void
draw_text (cairo_t *cr, PangoLayout *layout, const char *text, double x, double y, double max_w, gboolean centre)
{
  int w, h;

  pango_layout_set_text (layout, text, -1);
  pango_layout_set_width (layout, max_w > 0 ? (int) (max_w * PANGO_SCALE) : -1);
  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, centre ? x - w / 2.0 : x, y - h / 2.0);
  pango_cairo_show_layout (cr, layout);
}

/* An annotation's text, placed while its mark is drawn under the traces and
 * drawn once they are on the page so no trace hides it. */
typedef struct {
  double x, y, max_w;
  const char *text;   /* owned by the annotation list */
} NoteText;

static void
bx_signal_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  BxSignalView *self = BX_SIGNAL_VIEW (widget);
  double w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  double x0 = LABEL_WIDTH, x1 = w - RIGHT_MARGIN, plot_w = x1 - x0;
  g_autoptr (GPtrArray) bands = g_ptr_array_new ();   /* BxOverlayTrack*, visible */
  g_autoptr (GArray) notes = g_array_new (FALSE, FALSE, sizeof (NoteText));   /* drawn over the traces */
  gboolean have_scoring = self->scoring != NULL;
  guint n_visible = 0, row;
  gboolean waiting_for_overview = FALSE;
  double y0 = RULER_HEIGHT, y1, slot_h;
  GdkRGBA fg, grid;
  gboolean dark;
  cairo_t *cr;
  g_autoptr (PangoLayout) layout = NULL;
  PangoFontDescription *font;
  double px_per_s;
  double epoch_len = self->epoch_length > 0 ? self->epoch_length : 30;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  dark = (0.3 * fg.red + 0.59 * fg.green + 0.11 * fg.blue) > 0.5;
  grid = fg;

  if (plot_w < 20 || h < RULER_HEIGHT + 20)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  layout = gtk_widget_create_pango_layout (widget, NULL);
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);

  if (self->recording == NULL || self->length <= 0)
    {
      cairo_destroy (cr);
      return;
    }

  if (self->tracks != NULL)
    for (guint i = 0; i < g_list_model_get_n_items (self->tracks); i++)
      {
        g_autoptr (BxOverlayTrack) track = g_list_model_get_item (self->tracks, i);

        if (bx_overlay_track_get_visible (track))
          g_ptr_array_add (bands, track);   /* the model keeps it alive */
      }
  y1 = h - BAND_HEIGHT * (bands->len + (have_scoring ? 1 : 0));
  for (guint i = 0; i < self->traces->len; i++)
    n_visible += ((Trace *) g_ptr_array_index (self->traces, i))->visible;
  slot_h = n_visible > 0 ? (y1 - y0) / n_visible : 0;
  px_per_s = plot_w / self->length;

#define X(t) (x0 + ((t) - self->start) * px_per_s)

  /* Predicted labels shaded under the traces, opacity = confidence. */
  if (bands->len > 0)
    {
      BxOverlayTrack *track = g_ptr_array_index (bands, 0);
      const BxHypnogram *lab = bx_overlay_track_get_labels (track);
      double e0 = floor ((self->start - lab->start) / lab->epoch_length);
      double e1 = ceil ((self->start + self->length - lab->start) / lab->epoch_length);

      for (double e = MAX (e0, 0); e < MIN (e1, lab->n_epochs); e++)
        {
          int stage = lab->stages[(guint) e];
          float conf = lab->confidence != NULL ? lab->confidence[(guint) e] : 1.0f;
          double ta = lab->start + e * lab->epoch_length;
          double xa = MAX (x0, X (ta)), xb = MIN (x1, X (ta + lab->epoch_length));
          GdkRGBA c;

          if (stage < 0 || xb <= xa)
            continue;
          bx_stage_get_colour (stage, &c);
          set_source (cr, &c, (dark ? 0.22 : 0.14) * conf);
          cairo_rectangle (cr, xa, y0, xb - xa, y1 - y0);
          cairo_fill (cr);
        }
    }

  /* Current epoch on pages longer than one epoch. */
  if (self->current_epoch >= 0 && self->length > epoch_len * 1.01)
    {
      double xa = MAX (x0, X (self->current_epoch * epoch_len));
      double xb = MIN (x1, X ((self->current_epoch + 1) * epoch_len));

      if (xb > xa)
        {
          GdkRGBA accent;

          gdk_rgba_parse (&accent, "#3584e4");
          set_source (cr, &accent, 0.10);
          cairo_rectangle (cr, xa, 0, xb - xa, y1);
          cairo_fill (cr);
          set_source (cr, &accent, 0.8);
          cairo_rectangle (cr, xa, 0, xb - xa, 3);
          cairo_fill (cr);
        }
    }

  /* Alternate slot backgrounds help the eye follow a channel across the page. */
  row = 0;
  for (guint i = 0; i < self->traces->len; i++)
    {
      Trace *t = g_ptr_array_index (self->traces, i);

      if (!t->visible)
        continue;
      if (row % 2 == 1)
        {
          set_source (cr, &fg, 0.035);
          cairo_rectangle (cr, 0, y0 + row * slot_h, w, slot_h);
          cairo_fill (cr);
        }
      row++;
    }

  /* Epoch grid and time ruler. */
  cairo_set_line_width (cr, 1);
  if (epoch_len * px_per_s >= 6)
    {
      double e0 = ceil (self->start / epoch_len);

      set_source (cr, &grid, 0.22);
      for (double e = e0; e * epoch_len <= self->start + self->length; e++)
        {
          double x = round (X (e * epoch_len)) + 0.5;

          cairo_move_to (cr, x, y0);
          cairo_line_to (cr, x, y1);
        }
      cairo_stroke (cr);
    }
  {
    double step = tick_steps[G_N_ELEMENTS (tick_steps) - 1];
    double t0;

    for (guint i = 0; i < G_N_ELEMENTS (tick_steps); i++)
      if (tick_steps[i] * px_per_s >= 90)
        {
          step = tick_steps[i];
          break;
        }
    /* Ticks fall on round clock times (23:00, 23:30, not 22:45 + k × 30 min
     * after a 22:45 start), also when the start has a sub-second part: `off`
     * is the recording start's time of day, and every step divides a day. */
    {
      double off = 0;

      if (self->recording_start != NULL)
        off = g_date_time_get_hour (self->recording_start) * 3600.0
              + g_date_time_get_minute (self->recording_start) * 60.0
              + g_date_time_get_seconds (self->recording_start);
      t0 = ceil ((self->start + off) / step - 1e-9) * step - off;
    }
    set_source (cr, &grid, 0.10);
    for (double t = t0; t <= self->start + self->length + 1e-9; t += step)
      {
        double x = round (X (t)) + 0.5;

        cairo_move_to (cr, x, y0);
        cairo_line_to (cr, x, y1);
      }
    cairo_stroke (cr);

    font = pango_font_description_from_string ("Sans 8");
    pango_layout_set_font_description (layout, font);
    set_source (cr, &fg, 0.8);
    for (double t = t0; t <= self->start + self->length + 1e-9; t += step)
      {
        double x = X (t);
        g_autofree char *label = NULL;
        g_autoptr (GDateTime) dt = NULL;

        if (self->recording_start != NULL)
          {
            dt = g_date_time_add (self->recording_start, (GTimeSpan) llround (t * G_TIME_SPAN_SECOND));
            if (step < 1)
              label = g_strdup_printf ("%02d:%02d:%04.1f", g_date_time_get_hour (dt), g_date_time_get_minute (dt),
                                       g_date_time_get_seconds (dt));
            else
              label = g_date_time_format (dt, step >= 60 ? "%H:%M" : "%H:%M:%S");
          }
        else
          label = g_strdup_printf ("%.1f", t);
        if (x > x1 - 20)
          continue;
        cairo_move_to (cr, round (x) + 0.5, y0 - 5);
        cairo_line_to (cr, round (x) + 0.5, y0);
        cairo_stroke (cr);
        /* A label centred on the plot's left edge would run into the corner
         * above the channel labels: start it at the tick instead. */
        if (x < x0 + 40)
          draw_text (cr, layout, label, x + 3, RULER_HEIGHT / 2.0 - 2, 0, FALSE);
        else
          draw_text (cr, layout, label, x, RULER_HEIGHT / 2.0 - 2, 0, TRUE);
      }
    pango_font_description_free (font);
  }
  set_source (cr, &grid, 0.35);
  cairo_move_to (cr, 0, y0 - 0.5);
  cairo_line_to (cr, w, y0 - 0.5);
  cairo_stroke (cr);

  /* Display filters change what a technician measures: say so above the
   * labels while any is on (up to two lines in the ruler's corner). */
  {
    g_autofree char *filters = bx_display_filter_describe (&self->filter);

    if (filters != NULL)
      {
        GdkRGBA mark;
        int tw, th;

        gdk_rgba_parse (&mark, dark ? "#ffa348" : "#c64600");
        font = pango_font_description_from_string ("Sans Bold 7");
        pango_layout_set_font_description (layout, font);
        pango_font_description_free (font);
        pango_layout_set_text (layout, filters, -1);
        pango_layout_set_width (layout, (LABEL_WIDTH - 12) * PANGO_SCALE);
        pango_layout_set_height (layout, -2);
        pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
        pango_layout_get_pixel_size (layout, &tw, &th);
        set_source (cr, &mark, 1);
        cairo_move_to (cr, 8, MAX (0, (RULER_HEIGHT - th) / 2.0));
        pango_cairo_show_layout (cr, layout);
        pango_layout_set_height (layout, -1);
      }
  }

  /* Annotation marks (stage annotations are shown by the scoring band). */
  if (self->annotations != NULL)
    {
      guint n = bx_annotation_list_get_length (self->annotations);
      guint drawn = 0, on_page = 0;
      gboolean texts;
      static const double dashes[] = { 3, 3 };
      GdkRGBA mark;

      gdk_rgba_parse (&mark, dark ? "#ffa348" : "#c64600");
      font = pango_font_description_from_string ("Sans 8");
      pango_layout_set_font_description (layout, font);
      pango_font_description_free (font);
      /* Texts only while they can be told apart (about one per 80 px): on a
       * whole night, 50 arousal labels would be a smear over the first rows. */
      for (guint i = 0; i < n; i++)
        {
          const BxAnnotation *a = bx_annotation_list_get (self->annotations, i);
          BxStage stage;

          on_page += a->onset >= self->start && a->onset <= self->start + self->length
                     && !bx_stage_from_string (a->text, &stage);
        }
      texts = on_page <= MAX (3, plot_w / 80);
      for (guint i = 0; i < n && drawn < 200; i++)
        {
          const BxAnnotation *a = bx_annotation_list_get (self->annotations, i);
          BxStage stage;
          double x;

          if (a->onset + MAX (a->duration, 0) < self->start || a->onset > self->start + self->length)
            continue;
          if (bx_stage_from_string (a->text, &stage))
            continue;
          x = X (a->onset);
          if (a->duration > 0)
            {
              set_source (cr, &mark, 0.08);
              cairo_rectangle (cr, MAX (x0, x), y0, MIN (x1, X (a->onset + a->duration)) - MAX (x0, x), y1 - y0);
              cairo_fill (cr);
            }
          if (x < x0 || x > x1)
            continue;
          set_source (cr, &mark, 0.9);
          cairo_set_dash (cr, dashes, 2, 0);
          cairo_move_to (cr, round (x) + 0.5, y0);
          cairo_line_to (cr, round (x) + 0.5, y1);
          cairo_stroke (cr);
          cairo_set_dash (cr, NULL, 0, 0);
          if (texts)
            {
              NoteText note = { x + 3, y0 + 8 + 13 * (drawn % 3), MIN (160, x1 - x - 4), a->text };

              g_array_append_val (notes, note);
            }
          drawn++;
        }
    }

  /* Traces, each clipped to its slot. The cairo_t of a cairo node records
   * into a recording surface, so column boxes drawn on `cr` would be stored as
   * thousands of rectangles and rasterised again by the renderer (perf: most
   * of a 30 s frame went to replaying them). Boxes are therefore written as
   * pixel spans into an image surface covering the plot, which is painted
   * once; the polylines of zoomed-in pages still go to `cr`. */
  {
    cairo_surface_t *boxes = NULL;
    cairo_t *bcr = NULL;
    int scale = gtk_widget_get_scale_factor (widget);
    double bx = floor (x0), by = floor (y0);
    double bw = ceil (x0 + plot_w) - bx + 1, bh = ceil (y1) - by + 1;

    cairo_set_line_width (cr, 1.0);
    cairo_set_line_join (cr, CAIRO_LINE_JOIN_BEVEL);
    row = 0;
    for (guint i = 0; i < self->traces->len; i++)
      {
        Trace *t = g_ptr_array_index (self->traces, i);
        double y_top = y0 + row * slot_h;
        double overflow = t->filterable && self->length <= OVERFLOW_MAX_PAGE ? OVERFLOW * slot_h : 0;
        double lim_top = MAX (y0, y_top - overflow);
        double lim_bottom = MIN (y1, y_top + slot_h + overflow);
        gboolean polyline = t->sample_rate * self->length < 1.5 * plot_w;
        cairo_t *dst = cr;
        GdkRGBA c;

        if (!t->visible)
          continue;
        trace_colour (self, t, &fg, &c);
        if (!polyline)
          {
            if (boxes == NULL)
              {
                boxes = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) ceil (bw * scale),
                                                    (int) ceil (bh * scale));
                cairo_surface_set_device_scale (boxes, scale, scale);
                bcr = cairo_create (boxes);
                cairo_translate (bcr, -bx, -by);
              }
            dst = bcr;
          }
        cairo_save (dst);
        /* Column boxes stay inside the band by construction; only the polyline
         * of a zoomed-in page needs clipping (clipping costs cairo a mask). */
        if (polyline)
          {
            cairo_rectangle (dst, x0, lim_top, plot_w, lim_bottom - lim_top);
            cairo_clip (dst);
          }
        cairo_new_path (dst);
        set_source (dst, &c, 1.0);
        if (!draw_trace (self, dst, t, &c, x0, plot_w, y_top, slot_h, lim_top, lim_bottom))
          waiting_for_overview = TRUE;
        cairo_new_path (dst);
        cairo_restore (dst);
        row++;
      }
    if (boxes != NULL)
      {
        cairo_destroy (bcr);
        cairo_surface_flush (boxes);
        cairo_save (cr);
        cairo_set_source_surface (cr, boxes, bx, by);
        cairo_rectangle (cr, bx, by, bw, bh);
        cairo_fill (cr);
        cairo_restore (cr);
        cairo_surface_destroy (boxes);
      }
  }

  /* Label column. */
  set_source (cr, &fg, 0.05);
  cairo_rectangle (cr, 0, y0, x0, y1 - y0);
  cairo_fill (cr);
  set_source (cr, &grid, 0.3);
  cairo_move_to (cr, x0 - 0.5, y0);
  cairo_line_to (cr, x0 - 0.5, y1);
  cairo_stroke (cr);
  row = 0;
  {
    PangoFontDescription *bold = pango_font_description_from_string ("Sans Bold 9");
    PangoFontDescription *small = pango_font_description_from_string ("Sans 7.5");
    gboolean two_lines = slot_h >= 26;

    for (guint i = 0; i < self->traces->len; i++)
      {
        Trace *t = g_ptr_array_index (self->traces, i);
        double yc = y0 + (row + 0.5) * slot_h;
        g_autofree char *scale = NULL;
        double amp = t->auto_scale / t->gain;
        GdkRGBA c;

        if (!t->visible)
          continue;
        trace_colour (self, t, &fg, &c);
        set_source (cr, &c, 1);
        cairo_rectangle (cr, 0, y0 + row * slot_h + 2, 4, MAX (1, slot_h - 4));
        cairo_fill (cr);

        pango_layout_set_font_description (layout, bold);
        set_source (cr, &fg, 1);
        draw_text (cr, layout, t->label, 10, two_lines ? yc - 6 : yc, x0 - 14, FALSE);
        if (two_lines)
          {
            /* "2000", not "%g"'s "2e+03"; "0.05" for small ones. */
            gboolean whole = amp >= 1 && amp < 1e7 && amp == round (amp);
            g_autofree char *number = whole ? g_strdup_printf ("%.0f", amp) : g_strdup_printf ("%.3g", amp);

            /* Translators: amplitude from the channel's centre line to the edge of its row, e.g. "±50 µV" */
            scale = t->unit[0] != '\0' ? g_strdup_printf (_("±%s %s"), number, t->unit)
                                        : g_strdup_printf ("±%s", number);
            pango_layout_set_font_description (layout, small);
            set_source (cr, &fg, 0.65);
            draw_text (cr, layout, scale, 10, yc + 7, x0 - 14, FALSE);
          }
        if (row > 0)
          {
            set_source (cr, &grid, 0.12);
            cairo_move_to (cr, 0, round (y0 + row * slot_h) + 0.5);
            cairo_line_to (cr, w, round (y0 + row * slot_h) + 0.5);
            cairo_stroke (cr);
          }
        row++;
      }
    pango_font_description_free (bold);
    pango_font_description_free (small);
  }

  /* Annotation texts on a backing of the view's colour, over the traces. */
  if (notes->len > 0)
    {
      GdkRGBA mark;

      gdk_rgba_parse (&mark, dark ? "#ffa348" : "#c64600");
      font = pango_font_description_from_string ("Sans 8");
      pango_layout_set_font_description (layout, font);
      pango_font_description_free (font);
      for (guint i = 0; i < notes->len; i++)
        {
          const NoteText *note = &g_array_index (notes, NoteText, i);
          int tw, th;

          if (note->max_w < 8)
            continue;
          pango_layout_set_text (layout, note->text, -1);
          pango_layout_set_width (layout, (int) (note->max_w * PANGO_SCALE));
          pango_layout_get_pixel_size (layout, &tw, &th);
          if (dark)
            cairo_set_source_rgba (cr, 0.14, 0.14, 0.14, 0.85);
          else
            cairo_set_source_rgba (cr, 1, 1, 1, 0.85);
          cairo_rectangle (cr, note->x - 2, note->y - th / 2.0, tw + 4, th);
          cairo_fill (cr);
          set_source (cr, &mark, 1);
          draw_text (cr, layout, note->text, note->x, note->y, note->max_w, FALSE);
        }
    }

  /* Overview not built yet and the page too long to read raw. */
  if (waiting_for_overview)
    {
      font = pango_font_description_from_string ("Sans 11");
      pango_layout_set_font_description (layout, font);
      pango_font_description_free (font);
      set_source (cr, &fg, 0.6);
      draw_text (cr, layout, _("Building the overview…"), x0 + plot_w / 2, (y0 + y1) / 2, 0, TRUE);
    }

  /* Label bands: the scoring, then each visible overlay track. */
  {
    double yb = y1;
    PangoFontDescription *band_font = pango_font_description_from_string ("Sans Bold 8");
    guint n_bands = bands->len + (have_scoring ? 1 : 0);

    for (guint b = 0; b < n_bands; b++, yb += BAND_HEIGHT)
      {
        const BxHypnogram *lab;
        const char *title;
        double e0, e1;

        if (have_scoring && b == 0)
          {
            lab = self->scoring;
            title = _("Scoring");
          }
        else
          {
            BxOverlayTrack *track = g_ptr_array_index (bands, b - (have_scoring ? 1 : 0));

            lab = bx_overlay_track_get_labels (track);
            title = bx_overlay_track_get_title (track);
          }
        set_source (cr, &fg, 0.06);
        cairo_rectangle (cr, 0, yb, w, BAND_HEIGHT);
        cairo_fill (cr);
        set_source (cr, &grid, 0.3);
        cairo_move_to (cr, 0, yb + 0.5);
        cairo_line_to (cr, w, yb + 0.5);
        cairo_stroke (cr);
        font = pango_font_description_from_string ("Sans 8");
        pango_layout_set_font_description (layout, font);
        pango_font_description_free (font);
        set_source (cr, &fg, 0.8);
        draw_text (cr, layout, title, 10, yb + BAND_HEIGHT / 2.0, x0 - 14, FALSE);

        pango_layout_set_font_description (layout, band_font);
        e0 = floor ((self->start - lab->start) / lab->epoch_length);
        e1 = ceil ((self->start + self->length - lab->start) / lab->epoch_length);
        /* Epochs narrower than 12 px (long pages) are drawn as runs of one
         * stage and about one confidence, without the gap between epochs and
         * with the run's mean confidence: the band would otherwise vanish
         * under a pixel per epoch, or turn to stripes above. */
        for (double e = MAX (e0, 0); e < MIN (e1, lab->n_epochs);)
          {
            int stage = lab->stages[(guint) e];
            gboolean narrow = lab->epoch_length * px_per_s < 12;
            double run = 1, conf = lab->confidence != NULL ? lab->confidence[(guint) e] : 1.0;
            double ta = lab->start + e * lab->epoch_length;
            double xa, xb;
            GdkRGBA c;

            while (narrow && e + run < MIN (e1, lab->n_epochs) && lab->stages[(guint) (e + run)] == stage
                   && (lab->confidence == NULL
                       || fabs (lab->confidence[(guint) (e + run)] - lab->confidence[(guint) e]) < 0.1))
              {
                conf += lab->confidence != NULL ? lab->confidence[(guint) (e + run)] : 1.0;
                run++;
              }
            conf /= run;
            e += run;
            xa = MAX (x0, X (ta));
            xb = MIN (x1, X (ta + run * lab->epoch_length));
            if (stage < 0 || xb - xa < (narrow ? 0.5 : 1))
              continue;
            bx_stage_get_colour (stage, &c);
            set_source (cr, &c, 0.25 + 0.75 * conf);
            if (narrow)
              cairo_rectangle (cr, xa, yb + 2, xb - xa, BAND_HEIGHT - 3);
            else
              cairo_rectangle (cr, xa + 0.5, yb + 2, xb - xa - 1, BAND_HEIGHT - 3);
            cairo_fill (cr);
            if (xb - xa >= 18)
              {
                g_autofree char *text = NULL;

                if (lab->confidence != NULL && xb - xa >= 64)
                  text = g_strdup_printf ("%s %.0f%%", bx_stage_short_name (stage), 100.0 * conf);
                else
                  text = g_strdup (bx_stage_short_name (stage));
                cairo_set_source_rgba (cr, 1, 1, 1, 0.95);
                draw_text (cr, layout, text, (xa + xb) / 2, yb + BAND_HEIGHT / 2.0 + 0.5, 0, TRUE);
              }
          }
      }
    pango_font_description_free (band_font);
  }
#undef X
  cairo_destroy (cr);
}

static void
on_click_pressed (GtkGestureClick *gesture, int n_press, double x, double y, gpointer user_data)
{
  BxSignalView *self = user_data;
  double w = gtk_widget_get_width (GTK_WIDGET (self));
  double plot_w = w - LABEL_WIDTH - RIGHT_MARGIN;
  double epoch_len = self->epoch_length > 0 ? self->epoch_length : 30;
  double t;

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (self->recording == NULL || x < LABEL_WIDTH || plot_w <= 0)
    return;
  t = self->start + (x - LABEL_WIDTH) / plot_w * self->length;
  if (t < 0 || t >= self->duration)
    return;
  g_signal_emit (self, signals[EPOCH_CLICKED], 0, (int) floor (t / epoch_len));
}

static gboolean
on_scroll (GtkEventControllerScroll *controller, double dx, double dy, gpointer user_data)
{
  BxSignalView *self = user_data;
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));

  if (self->recording == NULL || dy == 0)
    return FALSE;
  if (state & GDK_CONTROL_MASK)
    {
      /* Ctrl+wheel scales every trace, as in EDFbrowser. */
      bx_signal_view_step_scales (self, dy < 0 ? 1 : -1);
      return TRUE;
    }
  g_signal_emit (self, signals[SCROLL_PAGES], 0, dy > 0 ? 1 : -1);
  return TRUE;
}

static void
bx_signal_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum, int *natural,
                        int *minimum_baseline, int *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = LABEL_WIDTH + 120;
      *natural = 900;
    }
  else
    {
      *minimum = RULER_HEIGHT + 120;
      *natural = 600;
    }
}

static void
bx_signal_view_dispose (GObject *object)
{
  BxSignalView *self = BX_SIGNAL_VIEW (object);

  g_clear_handle_id (&self->build_source, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->tracks != NULL)
    g_signal_handlers_disconnect_by_data (self->tracks, self);
  g_clear_object (&self->tracks);
  G_OBJECT_CLASS (bx_signal_view_parent_class)->dispose (object);
}

static void
bx_signal_view_finalize (GObject *object)
{
  BxSignalView *self = BX_SIGNAL_VIEW (object);

  g_clear_pointer (&self->traces, g_ptr_array_unref);
  g_clear_pointer (&self->recording, bx_recording_unref);
  g_clear_pointer (&self->recording_start, g_date_time_unref);
  G_OBJECT_CLASS (bx_signal_view_parent_class)->finalize (object);
}

static void
bx_signal_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  BxSignalView *self = BX_SIGNAL_VIEW (object);

  switch (prop_id)
    {
    case PROP_START:
      g_value_set_double (value, self->start);
      break;
    case PROP_PAGE_LENGTH:
      g_value_set_double (value, self->length);
      break;
    case PROP_OVERVIEW_READY:
      g_value_set_boolean (value, bx_signal_view_get_overview_ready (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bx_signal_view_class_init (BxSignalViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bx_signal_view_dispose;
  object_class->finalize = bx_signal_view_finalize;
  object_class->get_property = bx_signal_view_get_property;
  widget_class->snapshot = bx_signal_view_snapshot;
  widget_class->measure = bx_signal_view_measure;

  properties[PROP_START] = g_param_spec_double ("start", NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAGE_LENGTH] = g_param_spec_double ("page-length", NULL, NULL, 0, G_MAXDOUBLE, 30,
                                                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_OVERVIEW_READY] = g_param_spec_boolean ("overview-ready", NULL, NULL, FALSE,
                                                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[TRACES_CHANGED] = g_signal_new ("traces-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                          NULL, NULL, G_TYPE_NONE, 0);
  signals[EPOCH_CLICKED] = g_signal_new ("epoch-clicked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                         NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[SCROLL_PAGES] = g_signal_new ("scroll-pages", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                        NULL, G_TYPE_NONE, 1, G_TYPE_INT);

  gtk_widget_class_set_css_name (widget_class, "signalview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
bx_signal_view_init (BxSignalView *self)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkEventController *scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL
                                                                | GTK_EVENT_CONTROLLER_SCROLL_DISCRETE);

  self->traces = g_ptr_array_new_with_free_func (trace_free);
  self->length = 30;
  self->epoch_length = 30;
  self->current_epoch = -1;
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self), "view");

  g_signal_connect (click, "pressed", G_CALLBACK (on_click_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Signal traces"), -1);
}

GtkWidget *
bx_signal_view_new (void)
{
  return g_object_new (BX_TYPE_SIGNAL_VIEW, NULL);
}
