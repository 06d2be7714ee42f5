/* bx-transfer-session.h — one transfer run of the assistant: the bx-run
 * pipeline state, its session folder and the stage groups the panel runs
 * as worker-thread jobs (no GTK here, so tests drive it headless too).
 *
 *   search   models → task head → features of the paired windows → probe
 *            macro-F1 per new layer and CKA per old layer
 *   train    bridge at the chosen (m, l) → session bridge file → predict the
 *            target recording from its new modality alone
 *   apply    a saved bridge file → predict the target recording
 *
 * A session is used by one job at a time (the panel keeps its buttons
 * insensitive while one runs). Everything the jobs write goes into the
 * session folder atomically; a cancelled train leaves no bridge file.
 */
#pragma once

#include <glib.h>

#include "bridge/bx-run.h"
#include "bx-transfer-setup.h"
#include "jobs/bx-job.h"

G_BEGIN_DECLS

typedef struct _BxTransferSession BxTransferSession;

/* Creates the session folder (in the user's cache dir) and the pipeline
 * options from `setup` and the open recording's scoring. */
BxTransferSession *bx_transfer_session_new (const BxTransferSetup *setup, const BxHypnogram *scoring,
                                            GError **error);
/* For applying a bridge file: no setup needed; the models are found from the
 * file's metadata (see bx_transfer_session_apply). */
BxTransferSession *bx_transfer_session_new_empty (GError **error);
/* Removes the session folder and everything in it. */
void bx_transfer_session_free (BxTransferSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxTransferSession, bx_transfer_session_free)

const char *bx_transfer_session_get_dir (const BxTransferSession *session);
BxRun *bx_transfer_session_get_run (BxTransferSession *session);

/* Takes the bridge-training hyper-parameters of `setup` (changed after the
 * search; they do not affect the search). */
void bx_transfer_session_update_training (BxTransferSession *session, const BxTransferSetup *setup);

/* ---- stage groups (worker thread) ---- */

gboolean bx_transfer_session_search (BxTransferSession *session, BxJob *job, GError **error);
/* Trains at (m, l) (−1, −1 = the search's choice) and predicts `target`. */
gboolean bx_transfer_session_train (BxTransferSession *session, int input_layer, int output_layer,
                                    const char *target, BxJob *job, GError **error);
/* Reads `bridge_path`, finds both checkpoints among `candidates` (paths;
 * NULL-terminated; may be NULL), the built-in encoders and the bridge
 * file's folder by their SHA-256, and predicts `target`. */
gboolean bx_transfer_session_apply (BxTransferSession *session, const char *bridge_path,
                                    const char *const *candidates, const char *target, BxJob *job,
                                    GError **error);

/* ---- results (main thread, after a job) ---- */

/* The session's bridge file (after train), NULL before. */
const char *bx_transfer_session_get_bridge_path (const BxTransferSession *session);
/* The prediction of the target on the 30-s grid as stage codes (sleep
 * stage sets) or class indices, with confidence. NULL before. */
BxHypnogram *bx_transfer_session_get_prediction (BxTransferSession *session);
/* The stage set the classes stand for (FALSE when they are not sleep stages). */
gboolean bx_transfer_session_get_stage_set (BxTransferSession *session, BxStageSet *set);

/* Metrics of `prediction` against the technician's `scoring` (both stage
 * codes on the same grid) over the epochs both have; NULL when none is
 * scored. Classes are those of `set`. */
BxMetrics *bx_transfer_compare (const BxHypnogram *prediction, const BxHypnogram *scoring, BxStageSet set);

/* Copies the session bridge to `path` atomically. */
gboolean bx_transfer_session_save_bridge (BxTransferSession *session, const char *path, GError **error);

G_END_DECLS
