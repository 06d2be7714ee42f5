/* Job progress, cancellation latency and atomic files. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "bx-test-data.h"
#include "jobs/bx-job.h"

typedef struct {
  guint n_reports;
  double last_fraction;
  double last_eta;
  char *last_stage;
  GThread *thread;   /* thread the callback ran in */
} Seen;

static void
record (const BxJobProgress *p, gpointer user_data)
{
  Seen *seen = user_data;

  seen->n_reports++;
  seen->last_fraction = p->fraction;
  seen->last_eta = p->eta;
  g_free (seen->last_stage);
  seen->last_stage = g_strdup (p->stage);
  seen->thread = g_thread_self ();
}

static void
test_rate_limit (void)
{
  Seen seen = { 0 };
  g_autoptr (BxJob) job = bx_job_new (NULL, record, &seen);
  g_autoptr (GError) error = NULL;

  bx_job_set_min_interval (job, 10.0);
  /* 1000 steps in well under 10 s: the first report, the last (fraction 1)
   * and the first of a new stage pass; everything else is held back. */
  for (int i = 1; i <= 1000; i++)
    g_assert_true (bx_job_progress (job, "train", NULL, i / 1000.0, 0.5, &error));
  g_assert_cmpuint (seen.n_reports, ==, 2);
  g_assert_cmpfloat (seen.last_fraction, ==, 1.0);
  g_assert_cmpfloat (seen.last_eta, ==, 0.0);
  g_assert_true (bx_job_progress (job, "predict", NULL, 0.0, NAN, &error));
  g_assert_cmpuint (seen.n_reports, ==, 3);
  g_assert_cmpstr (seen.last_stage, ==, "predict");
  g_assert_true (isnan (seen.last_eta));  /* nothing to extrapolate at 0 % */
  g_free (seen.last_stage);
}

typedef struct {
  BxJob *job;
  gint64 cancelled_at;
  gint64 stopped_at;
  GError *error;
} Worker;

static gpointer
worker_loop (gpointer data)
{
  Worker *w = data;

  /* Iterations of ~1 ms, as a training step on a small batch would be. */
  for (int i = 0; i < 100000; i++)
    {
      g_usleep (1000);
      if (!bx_job_progress (w->job, "train", NULL, i / 100000.0, 0.0, &w->error))
        break;
    }
  w->stopped_at = g_get_monotonic_time ();
  return NULL;
}

static void
test_cancel_latency (void)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Worker w = { 0 };
  GThread *thread;
  double latency_ms;

  w.job = bx_job_new (cancellable, NULL, NULL);
  thread = g_thread_new ("worker", worker_loop, &w);
  g_usleep (50000);
  w.cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  g_thread_join (thread);
  latency_ms = (w.stopped_at - w.cancelled_at) / 1000.0;
  g_test_message ("stopped %.1f ms after cancel", latency_ms);
  g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpfloat (latency_ms, <, 100.0);
  g_clear_error (&w.error);
  bx_job_free (w.job);
}

static gpointer
report_from_thread (gpointer data)
{
  BxJob *job = data;

  bx_job_progress (job, "features", "layer 3 of 12", 0.25, NAN, NULL);
  return NULL;
}

static void
test_main_context_delivery (void)
{
  Seen seen = { 0 };
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (BxJob) job = NULL;
  GThread *thread;

  g_main_context_push_thread_default (context);
  job = bx_job_new_for_context (NULL, context, record, &seen);
  thread = g_thread_new ("worker", report_from_thread, job);
  g_thread_join (thread);
  g_assert_cmpuint (seen.n_reports, ==, 0);  /* not delivered until the context runs */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_assert_cmpuint (seen.n_reports, ==, 1);
  g_assert_true (seen.thread == g_thread_self ());
  g_assert_cmpstr (seen.last_stage, ==, "features");
  g_main_context_pop_thread_default (context);
  g_free (seen.last_stage);
}

static void
test_atomic_files (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *final = g_build_filename (dir, "bridge.safetensors", NULL);
  g_autofree char *tmp = bx_job_temp_path (final);
  g_autofree char *tmp2 = bx_job_temp_path (final);
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp_dir = g_path_get_dirname (tmp);

  g_assert_cmpstr (tmp_dir, ==, dir);
  g_assert_cmpstr (tmp, !=, tmp2);
  g_assert_true (g_file_set_contents (final, "old", -1, NULL));

  /* Abort: the final file keeps its old content, the temporary is gone. */
  g_assert_true (g_file_set_contents (tmp, "half", -1, NULL));
  bx_job_abort_file (tmp);
  g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents (final, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "old");
  g_clear_pointer (&contents, g_free);

  /* Commit replaces it. */
  g_assert_true (g_file_set_contents (tmp2, "new", -1, NULL));
  g_assert_true (bx_job_commit_file (tmp2, final, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (final, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "new");

  /* A commit that cannot happen reports the names. */
  g_assert_false (bx_job_commit_file (tmp, final, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "bridge.safetensors"));
  bx_test_tmpdir_remove (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/jobs/rate-limit", test_rate_limit);
  g_test_add_func ("/jobs/cancel-latency", test_cancel_latency);
  g_test_add_func ("/jobs/main-context", test_main_context_delivery);
  g_test_add_func ("/jobs/atomic-files", test_atomic_files);
  return g_test_run ();
}
