/* bx-transfer-panel.h — the BioX-Bridge transfer assistant, a sidebar page of
 * one open recording.
 *
 * Setup (recordings and roles, modalities and channels, models, task head,
 * hyper-parameters) → "Find positions" (worker job: head, features, search;
 * bar charts of probe macro-F1 per new layer and CKA per old layer, the
 * chosen positions marked and overridable by a click) → "Train and predict"
 * (worker job: bridge training with a live loss curve, then the open
 * recording's hypnogram predicted from the new modality alone) → the
 * prediction as an overlay track, metrics and confusion matrix against the
 * technician's scoring, accept / reject epoch by epoch, export, save the
 * bridge; or "Apply bridge file…" to predict with a saved bridge.
 *
 * Everything is reachable as "plugin.*" actions (see bx-biox-plugin.c), so
 * menus, keyboard shortcuts and tests drive the same code as the buttons.
 */
#pragma once

#include <gtk/gtk.h>

#include "bx-extension.h"
#include "bx-transfer-setup.h"

G_BEGIN_DECLS

#define BX_TYPE_TRANSFER_PANEL (bx_transfer_panel_get_type ())
G_DECLARE_FINAL_TYPE (BxTransferPanel, bx_transfer_panel, BX, TRANSFER_PANEL, GtkWidget)

typedef enum
{
  BX_TRANSFER_STATE_SETUP,     /* nothing run yet (or the setup changed) */
  BX_TRANSFER_STATE_RUNNING,   /* a job is running */
  BX_TRANSFER_STATE_SEARCHED,  /* positions found; ready to train */
  BX_TRANSFER_STATE_PREDICTED, /* a prediction is on the recording */
} BxTransferState;

BxTransferPanel *bx_transfer_panel_new (BxViewHost *host);

/* Cuts the panel from its host (the recording is closing): cancels a running
 * job and removes the overlay track. */
void bx_transfer_panel_detach (BxTransferPanel *self);

BxTransferState bx_transfer_panel_get_state (BxTransferPanel *self);
/* The setup the next "Find positions" uses (owned by the panel; edits show on the next rebuild). */
BxTransferSetup *bx_transfer_panel_get_setup (BxTransferPanel *self);
/* The last job's error message, or NULL after a success. */
const char *bx_transfer_panel_get_last_error (BxTransferPanel *self);
/* The overlay track of the current prediction (NULL before). */
BxOverlayTrack *bx_transfer_panel_get_track (BxTransferPanel *self);
/* Metrics against the technician's scoring (NULL when nothing is scored or predicted). */
const BxMetrics *bx_transfer_panel_get_metrics (BxTransferPanel *self);

/* The actions (also bound to the panel's buttons). A NULL or empty path
 * asks with a file chooser. */
void bx_transfer_panel_search (BxTransferPanel *self);
void bx_transfer_panel_train (BxTransferPanel *self);
void bx_transfer_panel_cancel (BxTransferPanel *self);
/* Find positions, then train and predict with the search's choice. */
void bx_transfer_panel_run_all (BxTransferPanel *self);
/* The built-in demo: `training_night` (another synthetic night) trains the
 * head and the bridge, the open night is predicted from its ECG alone. */
void bx_transfer_panel_run_demo (BxTransferPanel *self, const char *training_night);
void bx_transfer_panel_apply_bridge (BxTransferPanel *self, const char *path);
gboolean bx_transfer_panel_save_bridge (BxTransferPanel *self, const char *path, GError **error);
gboolean bx_transfer_panel_export (BxTransferPanel *self, const char *path, GError **error);
/* Copies the predicted stage of the current epoch into the scoring and moves on. */
void bx_transfer_panel_accept_epoch (BxTransferPanel *self);
/* Drops the prediction of the current epoch (it stays unscored) and moves on. */
void bx_transfer_panel_reject_epoch (BxTransferPanel *self);
/* Scores every unscored epoch whose prediction has confidence ≥ threshold; returns how many. */
guint bx_transfer_panel_accept_confident (BxTransferPanel *self, double threshold);

/* Asks for a file name and saves the bridge (TRUE) or exports the predictions. */
void bx_transfer_panel_ask_save (BxTransferPanel *self, gboolean bridge);
/* Called by the plugin once the panel's actions are in the host's map. */
void bx_transfer_panel_actions_ready (BxTransferPanel *self);

/* Refreshes the widgets from the setup after it was edited in code. */
void bx_transfer_panel_load_setup (BxTransferPanel *self);
/* Training reports (loss points) received by the running or last training. */
guint bx_transfer_panel_get_n_loss_reports (BxTransferPanel *self);
/* The current session's folder (manifest, scoring, bridge), NULL before a run. */
const char *bx_transfer_panel_get_session_dir (BxTransferPanel *self);

/* The positions "Train and predict" will use (override of the search). */
void bx_transfer_panel_set_positions (BxTransferPanel *self, int input_layer, int output_layer);
void bx_transfer_panel_get_positions (BxTransferPanel *self, int *input_layer, int *output_layer);

G_END_DECLS
