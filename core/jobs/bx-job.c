/* bx-job.c — progress reporting, cancellation and atomic files for jobs. */
#include "bx-job.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>

struct _BxJob {
  GCancellable *cancellable;
  GMainContext *context;     /* NULL: call func directly */
  BxJobProgressFunc func;
  gpointer user_data;
  double min_interval;
  char *stage;
  gint64 stage_start;        /* µs, monotonic */
  gint64 last_report;        /* µs, monotonic; 0 = never */
};

BxJob *
bx_job_new (GCancellable *cancellable, BxJobProgressFunc func, gpointer user_data)
{
  BxJob *job = g_new0 (BxJob, 1);

  job->cancellable = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();
  job->func = func;
  job->user_data = user_data;
  job->min_interval = 0.1;
  return job;
}

BxJob *
bx_job_new_for_context (GCancellable *cancellable, GMainContext *context, BxJobProgressFunc func,
                        gpointer user_data)
{
  BxJob *job = bx_job_new (cancellable, func, user_data);

  job->context = context != NULL ? g_main_context_ref (context) : NULL;
  return job;
}

void
bx_job_free (BxJob *job)
{
  if (job == NULL)
    return;
  g_clear_object (&job->cancellable);
  g_clear_pointer (&job->context, g_main_context_unref);
  g_free (job->stage);
  g_free (job);
}

void
bx_job_set_min_interval (BxJob *job, double seconds)
{
  job->min_interval = MAX (0.0, seconds);
}

GCancellable *
bx_job_get_cancellable (BxJob *job)
{
  return job->cancellable;
}

gboolean
bx_job_check (BxJob *job, GError **error)
{
  return !g_cancellable_set_error_if_cancelled (job->cancellable, error);
}

/* A report travelling to another main context owns its strings. */
typedef struct {
  BxJobProgress progress;
  char *stage, *detail;
  BxJobProgressFunc func;
  gpointer user_data;
} Report;

static gboolean
deliver_report (gpointer data)
{
  Report *r = data;

  r->func (&r->progress, r->user_data);
  return G_SOURCE_REMOVE;
}

static void
free_report (gpointer data)
{
  Report *r = data;

  g_free (r->stage);
  g_free (r->detail);
  g_free (r);
}

gboolean
bx_job_progress (BxJob *job, const char *stage, const char *detail, double fraction, double loss, GError **error)
{
  gint64 now = g_get_monotonic_time ();
  gboolean new_stage = g_strcmp0 (stage, job->stage) != 0;
  BxJobProgress progress;

  if (!bx_job_check (job, error))
    return FALSE;
  if (new_stage)
    {
      g_free (job->stage);
      job->stage = g_strdup (stage);
      job->stage_start = now;
      job->last_report = 0;
    }
  if (job->func == NULL)
    return TRUE;
  if (!new_stage && fraction < 1.0 && job->last_report != 0
      && (now - job->last_report) < (gint64) (job->min_interval * G_USEC_PER_SEC))
    return TRUE;
  job->last_report = now;

  fraction = CLAMP (fraction, 0.0, 1.0);
  progress.stage = stage;
  progress.detail = detail;
  progress.fraction = fraction;
  progress.loss = loss;
  progress.elapsed = (double) (now - job->stage_start) / G_USEC_PER_SEC;
  /* Linear extrapolation; unknown until there is something to extrapolate. */
  progress.eta = fraction > 0.0 && progress.elapsed > 0.0 ? progress.elapsed * (1.0 - fraction) / fraction : NAN;

  if (job->context == NULL)
    job->func (&progress, job->user_data);
  else
    {
      Report *r = g_new0 (Report, 1);
      r->progress = progress;
      r->stage = g_strdup (stage);
      r->detail = g_strdup (detail);
      r->progress.stage = r->stage;
      r->progress.detail = r->detail;
      r->func = job->func;
      r->user_data = job->user_data;
      g_main_context_invoke_full (job->context, G_PRIORITY_DEFAULT, deliver_report, r, free_report);
    }
  return TRUE;
}

char *
bx_job_temp_path (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *name = g_strdup_printf (".%s.%08x.part", base, g_random_int ());

  return g_build_filename (dir, name, NULL);
}

gboolean
bx_job_commit_file (const char *temp_path, const char *path, GError **error)
{
  if (g_rename (temp_path, path) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot move '%s' to '%s': %s", temp_path,
                   path, g_strerror (saved));
      g_unlink (temp_path);
      return FALSE;
    }
  return TRUE;
}

void
bx_job_abort_file (const char *temp_path)
{
  if (temp_path != NULL)
    g_unlink (temp_path);
}
