/* bx-pyramid.c — min/max decimation pyramid built on worker threads. */
#include "bx-pyramid.h"

#include <math.h>
#include <string.h>

#define MAX_LEVELS 24
#define N_QUANTILES 5
/* Samples read per call: large enough that EDFlib's per-call overhead
 * vanishes, small enough to check for cancel every few ms. */
#define READ_CHUNK (BX_PYRAMID_BASE_BIN * 8192)

struct _BxPyramid
{
  gint64 n_samples;
  guint n_levels;
  gint64 n_bins[MAX_LEVELS];
  float *minmax[MAX_LEVELS];   /* n_bins[k] × {min, max} */
  double mean;
  double typical_amplitude;
  /* Quantiles of |bin extreme - mean| at amplitude_q[i] (ascending), for
   * scales that must hold rarer excursions than the 98th percentile. */
  double amplitude_quantile[N_QUANTILES];
};

static const double amplitude_q[N_QUANTILES] = { 0.9, 0.98, 0.99, 0.995, 0.999 };

void
bx_pyramid_free (BxPyramid *pyramid)
{
  if (pyramid == NULL)
    return;
  for (guint k = 0; k < pyramid->n_levels; k++)
    g_free (pyramid->minmax[k]);
  g_free (pyramid);
}

gboolean
bx_trace_source_read (BxRecording *recording, const BxTraceSource *source, gint64 first, gint64 n, float *out,
                      GError **error)
{
  g_autofree float *minus = NULL;

  if (!bx_recording_read (recording, source->channel, first, n, out, error))
    return FALSE;
  if (source->minus_channel < 0)
    return TRUE;
  minus = g_new (float, n);
  if (!bx_recording_read (recording, (guint) source->minus_channel, first, n, minus, error))
    return FALSE;
  for (gint64 i = 0; i < n; i++)
    out[i] -= minus[i];
  return TRUE;
}

static int
compare_float (gconstpointer a, gconstpointer b)
{
  float x = *(const float *) a, y = *(const float *) b;

  return (x > y) - (x < y);
}

static void
compute_typical_amplitude (BxPyramid *p)
{
  /* Percentiles of the level-0 extremes, sampled at most 20000 bins evenly. */
  gint64 n = p->n_bins[0];
  gint64 step = MAX (1, n / 10000);
  g_autoptr (GArray) dev = g_array_new (FALSE, FALSE, sizeof (float));

  for (gint64 i = 0; i < n; i += step)
    {
      float lo = (float) (p->minmax[0][2 * i] - p->mean);
      float hi = (float) (p->minmax[0][2 * i + 1] - p->mean);
      float a = fabsf (lo), b = fabsf (hi);

      g_array_append_val (dev, a);
      g_array_append_val (dev, b);
    }
  if (dev->len == 0)
    {
      p->typical_amplitude = 1.0;
      for (guint i = 0; i < N_QUANTILES; i++)
        p->amplitude_quantile[i] = 1.0;
      return;
    }
  g_array_sort (dev, compare_float);
  for (guint i = 0; i < N_QUANTILES; i++)
    {
      double v = g_array_index (dev, float, (guint) (amplitude_q[i] * (dev->len - 1)));

      p->amplitude_quantile[i] = v > 0 && isfinite (v) ? v : 1.0;
    }
  p->typical_amplitude = bx_pyramid_get_amplitude_quantile (p, 0.98);
}

BxPyramid *
bx_pyramid_build (BxRecording *recording, const BxTraceSource *source, GCancellable *cancellable,
                  GError **error)
{
  const BxChannel *ch = bx_recording_get_channel (recording, source->channel);
  g_autoptr (BxPyramid) p = g_new0 (BxPyramid, 1);
  g_autofree float *buf = NULL;
  double sum = 0;
  gint64 n;

  g_return_val_if_fail (ch != NULL, NULL);

  n = ch->n_samples;
  if (source->minus_channel >= 0)
    {
      const BxChannel *minus = bx_recording_get_channel (recording, (guint) source->minus_channel);

      g_return_val_if_fail (minus != NULL, NULL);
      n = MIN (n, minus->n_samples);
    }
  p->n_samples = n;
  p->n_bins[0] = (n + BX_PYRAMID_BASE_BIN - 1) / BX_PYRAMID_BASE_BIN;
  p->minmax[0] = g_new (float, 2 * MAX (p->n_bins[0], 1));
  p->n_levels = 1;

  buf = g_new (float, READ_CHUNK);
  for (gint64 first = 0; first < n; first += READ_CHUNK)
    {
      gint64 len = MIN (READ_CHUNK, n - first);

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      if (!bx_trace_source_read (recording, source, first, len, buf, error))
        return NULL;
      for (gint64 j = 0; j < len; j += BX_PYRAMID_BASE_BIN)
        {
          gint64 end = MIN (len, j + BX_PYRAMID_BASE_BIN);
          float lo = buf[j], hi = buf[j];
          double s = 0;

          for (gint64 i = j; i < end; i++)
            {
              lo = MIN (lo, buf[i]);
              hi = MAX (hi, buf[i]);
              s += buf[i];
            }
          sum += s;
          p->minmax[0][2 * ((first + j) / BX_PYRAMID_BASE_BIN)] = lo;
          p->minmax[0][2 * ((first + j) / BX_PYRAMID_BASE_BIN) + 1] = hi;
        }
    }
  p->mean = n > 0 ? sum / (double) n : 0.0;

  while (p->n_levels < MAX_LEVELS && p->n_bins[p->n_levels - 1] > 1)
    {
      guint k = p->n_levels;
      const float *src = p->minmax[k - 1];
      gint64 nb = (p->n_bins[k - 1] + 1) / 2;
      float *dst = g_new (float, 2 * nb);

      for (gint64 b = 0; b < nb; b++)
        {
          gint64 i0 = 2 * b, i1 = MIN (2 * b + 1, p->n_bins[k - 1] - 1);

          dst[2 * b] = MIN (src[2 * i0], src[2 * i1]);
          dst[2 * b + 1] = MAX (src[2 * i0 + 1], src[2 * i1 + 1]);
        }
      p->minmax[k] = dst;
      p->n_bins[k] = nb;
      p->n_levels++;
    }
  compute_typical_amplitude (p);
  return g_steal_pointer (&p);
}

gint64
bx_pyramid_get_n_samples (const BxPyramid *pyramid)
{
  return pyramid->n_samples;
}

double
bx_pyramid_get_mean (const BxPyramid *pyramid)
{
  return pyramid->mean;
}

double
bx_pyramid_get_typical_amplitude (const BxPyramid *pyramid)
{
  return pyramid->typical_amplitude;
}

double
bx_pyramid_get_amplitude_quantile (const BxPyramid *pyramid, double q)
{
  guint i = 0;

  /* The nearest stored quantile at or above q (the largest if q is above all). */
  while (i + 1 < N_QUANTILES && amplitude_q[i] < q - 1e-9)
    i++;
  return pyramid->amplitude_quantile[i];
}

gboolean
bx_pyramid_min_max (const BxPyramid *p, gint64 first, gint64 last, float *out_min, float *out_max)
{
  gint64 span, bin, b0, b1;
  guint k = 0;
  float lo, hi;

  first = MAX (first, 0);
  last = MIN (last, p->n_samples);
  if (last <= first || p->n_samples == 0)
    return FALSE;
  span = last - first;
  while (k + 1 < p->n_levels && ((gint64) BX_PYRAMID_BASE_BIN << (k + 1)) <= span)
    k++;
  bin = (gint64) BX_PYRAMID_BASE_BIN << k;
  b0 = first / bin;
  b1 = MIN ((last - 1) / bin, p->n_bins[k] - 1);
  lo = p->minmax[k][2 * b0];
  hi = p->minmax[k][2 * b0 + 1];
  for (gint64 b = b0 + 1; b <= b1; b++)
    {
      lo = MIN (lo, p->minmax[k][2 * b]);
      hi = MAX (hi, p->minmax[k][2 * b + 1]);
    }
  *out_min = lo;
  *out_max = hi;
  return TRUE;
}

/* ---- asynchronous building ---- */

static char build_tag;

typedef struct {
  gatomicrefcount ref;
  BxRecording *recording;
  BxTraceSource *sources;
  guint n_sources;
  guint index_base;
  guint next;                 /* atomic: next source to build */
  GCancellable *cancellable;
  GMainContext *context;
  BxPyramidReadyFunc ready;
  gpointer ready_data;
  GMutex lock;
  GError *error;              /* first error, under lock */
} BuildState;

static BuildState *
build_state_ref (BuildState *s)
{
  g_atomic_ref_count_inc (&s->ref);
  return s;
}

static void
build_state_unref (BuildState *s)
{
  if (!g_atomic_ref_count_dec (&s->ref))
    return;
  bx_recording_unref (s->recording);
  g_free (s->sources);
  g_clear_object (&s->cancellable);
  g_main_context_unref (s->context);
  g_clear_error (&s->error);
  g_mutex_clear (&s->lock);
  g_free (s);
}

typedef struct {
  BuildState *state;
  guint index;
  BxPyramid *pyramid;
} ReadyMessage;

static gboolean
deliver_ready (gpointer data)
{
  ReadyMessage *msg = data;

  /* Cancel happens in the main context too, so this check is race-free: a
   * cancelled builder's owner may be gone already. */
  if (!g_cancellable_is_cancelled (msg->state->cancellable))
    msg->state->ready (msg->index, g_steal_pointer (&msg->pyramid), msg->state->ready_data);
  return G_SOURCE_REMOVE;
}

static void
ready_message_free (gpointer data)
{
  ReadyMessage *msg = data;

  bx_pyramid_free (msg->pyramid);
  build_state_unref (msg->state);
  g_free (msg);
}

static gpointer
build_worker (gpointer data)
{
  BuildState *s = data;

  for (;;)
    {
      guint i = (guint) g_atomic_int_add ((int *) &s->next, 1);
      g_autoptr (GError) error = NULL;
      BxPyramid *p;

      if (i >= s->n_sources || g_cancellable_is_cancelled (s->cancellable))
        break;
      p = bx_pyramid_build (s->recording, &s->sources[i], s->cancellable, &error);
      if (p == NULL)
        {
          g_mutex_lock (&s->lock);
          if (s->error == NULL)
            s->error = g_steal_pointer (&error);
          g_mutex_unlock (&s->lock);
          continue;
        }
      if (s->ready != NULL)
        {
          ReadyMessage *msg = g_new0 (ReadyMessage, 1);

          msg->state = build_state_ref (s);
          msg->index = s->index_base + i;
          msg->pyramid = p;
          g_main_context_invoke_full (s->context, G_PRIORITY_DEFAULT_IDLE, deliver_ready, msg, ready_message_free);
        }
      else
        bx_pyramid_free (p);
    }
  build_state_unref (s);
  return NULL;
}

static gpointer
build_coordinator (gpointer data)
{
  GTask *task = data;
  BuildState *s = g_task_get_task_data (task);
  guint n_threads = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (task), "n-threads"));
  GThread *threads[64];

  n_threads = CLAMP (n_threads, 1, G_N_ELEMENTS (threads));
  n_threads = MIN (n_threads, MAX (s->n_sources, 1));
  for (guint t = 0; t < n_threads; t++)
    threads[t] = g_thread_new ("bx-pyramid", build_worker, build_state_ref (s));
  for (guint t = 0; t < n_threads; t++)
    g_thread_join (threads[t]);

  if (s->error != NULL)
    g_task_return_error (task, g_steal_pointer (&s->error));
  else if (!g_task_return_error_if_cancelled (task))
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  return NULL;
}

void
bx_pyramid_build_async (BxRecording *recording, const BxTraceSource *sources, guint n_sources, guint index_base,
                        guint n_threads,
                        GCancellable *cancellable, BxPyramidReadyFunc ready, gpointer ready_data,
                        GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  BuildState *s = g_new0 (BuildState, 1);
  GThread *thread;

  g_task_set_source_tag (task, &build_tag);
  g_atomic_ref_count_init (&s->ref);
  s->recording = bx_recording_ref (recording);
  s->sources = g_memdup2 (sources, sizeof (BxTraceSource) * n_sources);
  s->n_sources = n_sources;
  s->index_base = index_base;
  s->cancellable = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();
  s->context = g_main_context_ref_thread_default ();
  s->ready = ready;
  s->ready_data = ready_data;
  g_mutex_init (&s->lock);
  g_task_set_task_data (task, s, (GDestroyNotify) build_state_unref);
  if (n_threads == 0)
    n_threads = g_get_num_processors ();
  g_object_set_data (G_OBJECT (task), "n-threads", GUINT_TO_POINTER (n_threads));

  thread = g_thread_new ("bx-pyramid-main", build_coordinator, task);
  g_thread_unref (thread);
}

gboolean
bx_pyramid_build_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
