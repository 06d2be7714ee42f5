/* bx-job.h — long-running work: progress, ETA, cancellation, atomic outputs.
 *
 * Every long stage of core (feature extraction, position search, bridge
 * training, whole-night inference) takes a BxJob*. It calls
 * bx_job_progress() from its loop; that call
 *   - returns FALSE with a G_IO_ERROR_CANCELLED error once the GCancellable is
 *     cancelled, so a stage stops within one loop iteration (keep iterations
 *     well under 100 ms), and
 *   - forwards a BxJobProgress (stage, fraction, loss, ETA) to the front end at
 *     most every `min_interval` (stage changes and completion always pass), so
 *     a tight loop can report every step without flooding a GUI.
 * The front end decides where the callback runs: directly in the worker (CLI)
 * or marshalled to a GMainContext (GUI) with g_main_context_invoke.
 *
 * Outputs are written atomically: write to bx_job_temp_path(), then
 * bx_job_commit_file() renames it over the final name; on failure or cancel
 * bx_job_abort_file() removes the temporary. Nothing half-written ever sits
 * under a final name.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  const char *stage;     /* "features", "search", "train", "predict", ... */
  const char *detail;    /* e.g. "layer 7 of 12" or NULL */
  double fraction;       /* of this stage, 0..1 */
  double loss;           /* NaN when not applicable */
  double elapsed;        /* seconds since the stage started */
  double eta;            /* seconds left in this stage, NaN while unknown */
} BxJobProgress;

typedef void (*BxJobProgressFunc) (const BxJobProgress *progress, gpointer user_data);

typedef struct _BxJob BxJob;

/* `func` is called in the calling (worker) thread. `cancellable` may be NULL. */
BxJob *bx_job_new (GCancellable *cancellable, BxJobProgressFunc func, gpointer user_data);
/* Like bx_job_new, but `func` runs in `context` (e.g. the GTK main context);
 * each report is a heap copy, so the worker never waits for the GUI. */
BxJob *bx_job_new_for_context (GCancellable *cancellable, GMainContext *context, BxJobProgressFunc func,
                               gpointer user_data);
void bx_job_free (BxJob *job);

/* Minimum time between forwarded reports; default 0.1 s. */
void bx_job_set_min_interval (BxJob *job, double seconds);
GCancellable *bx_job_get_cancellable (BxJob *job);

/* Reports progress of `stage`; a new stage name restarts the ETA clock.
 * Returns FALSE (and sets G_IO_ERROR_CANCELLED) if the job was cancelled. */
gboolean bx_job_progress (BxJob *job, const char *stage, const char *detail, double fraction, double loss,
                          GError **error);
/* Just the cancellation check. */
gboolean bx_job_check (BxJob *job, GError **error);

/* "<dir>/.<basename>.<random>.part" beside `path`. */
char *bx_job_temp_path (const char *path);
/* Renames `temp_path` onto `path` (atomic on one filesystem). */
gboolean bx_job_commit_file (const char *temp_path, const char *path, GError **error);
/* Removes `temp_path` if it exists; never fails. */
void bx_job_abort_file (const char *temp_path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxJob, bx_job_free)

G_END_DECLS
