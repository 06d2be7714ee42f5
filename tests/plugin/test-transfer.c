/* test-transfer.c — the BioX-Bridge transfer assistant end to end, under Xvfb.
 *
 * On short synthetic nights (core/sim, 1 h = 120 epochs, stage annotations =
 * the "technician's scoring"), with the built-in compact EEG and ECG encoders:
 *   setup     modality detection, manifest + scoring written for bx-run
 *   flow      Find positions → override m → train 2 epochs → prediction track,
 *             metrics, accept / reject epochs, export, save the bridge
 *   cancel    cancel during training: app responsive, no bridge file written,
 *             the searched positions kept
 *   apply     the saved bridge applied to another night in another tab
 * Screenshots of each step go to <build>/tests/ui/screenshots/transfer-*.png.
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "bx-application.h"
#include "bx-document.h"
#include "bx-extension.h"
#include "bx-recording-page.h"
#include "bx-test-data.h"
#include "bx-transfer-panel.h"
#include "bx-transfer-session.h"
#include "bx-ui-test-util.h"
#include "bx-window.h"
#include "recording/bx-labels-io.h"
#include "sim/bx-sim-night.h"

typedef struct
{
  BxApplication *app;
  char *dir;
  char *night_a, *night_b; /* seeds 3 and 4 */
  char *bridge;            /* saved by /transfer/flow, applied by /transfer/apply */
} Fixture;

static Fixture fx;

static char *
write_night (guint64 seed)
{
  BxSimParams p;
  g_autofree char *name = g_strdup_printf ("night-%" G_GUINT64_FORMAT ".edf", seed);
  char *path = g_build_filename (fx.dir, name, NULL);
  g_autoptr (GError) error = NULL;

  bx_sim_params_init (&p);
  p.seed = seed;
  p.hours = 1;
  g_assert_true (bx_sim_night_write_edf (&p, path, NULL, &error));
  g_assert_no_error (error);
  return path;
}

static gboolean
overview_ready (gpointer data)
{
  return bx_signal_view_get_overview_ready (BX_SIGNAL_VIEW (data));
}

static BxTransferPanel *
find_panel (GtkWidget *widget)
{
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    {
      BxTransferPanel *p = BX_IS_TRANSFER_PANEL (c) ? BX_TRANSFER_PANEL (c) : find_panel (c);
      if (p != NULL)
        return p;
    }
  return NULL;
}

/* Opens `path` in `window` and shows the BioX-Bridge sidebar page. */
static BxTransferPanel *
open_with_panel (BxWindow *window, const char *path, BxRecordingPage **out_page)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  BxRecordingPage *page = bx_window_open_file (window, file, &error);
  BxTransferPanel *panel;

  g_assert_no_error (error);
  g_assert_true (bx_ui_wait (overview_ready, bx_recording_page_get_signal_view (page), 30));
  panel = find_panel (GTK_WIDGET (page));
  g_assert_nonnull (panel);
  for (GtkWidget *w = GTK_WIDGET (panel); w != NULL; w = gtk_widget_get_parent (w))
    if (ADW_IS_VIEW_STACK (w))
      {
        adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (w), "biox-bridge");
        break;
      }
  *out_page = page;
  return panel;
}

typedef struct
{
  gboolean done, ok;
} JobWait;

static void
on_finished (BxTransferPanel *panel, gboolean ok, JobWait *w)
{
  w->done = TRUE;
  w->ok = ok;
}

static gboolean
job_done (gpointer data)
{
  return ((JobWait *)data)->done;
}

/* Activates a panel action and waits for its job to end; returns whether it succeeded. */
static gboolean
run_action (BxRecordingPage *page, BxTransferPanel *panel, const char *action, GVariant *arg, double timeout)
{
  JobWait w = { FALSE, FALSE };
  gulong id = g_signal_connect (panel, "job-finished", G_CALLBACK (on_finished), &w);

  gtk_widget_activate_action_variant (GTK_WIDGET (page), action, arg);
  g_assert_true (bx_ui_wait (job_done, &w, timeout));
  g_signal_handler_disconnect (panel, id);
  return w.ok;
}

static void
test_setup (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BxRecording) rec = bx_recording_open (fx.night_a, &error);
  g_autoptr (BxTransferSetup) setup = bx_transfer_setup_new ();
  g_autofree char *session = bx_test_tmpdir_new ();
  g_autofree char *manifest = NULL, *scoring_file = NULL;
  g_autoptr (BxHypnogram) scoring = bx_hypnogram_new_filled (0, 30, 120, BX_STAGE_N2);
  BxRunOptions opt;

  g_assert_no_error (error);
  g_assert_true (bx_transfer_setup_set_recording (setup, rec));
  g_assert_cmpint (setup->old_side.modality, ==, BX_MODALITY_EEG);
  g_assert_cmpint (setup->new_side.modality, ==, BX_MODALITY_ECG);
  g_assert_cmpuint (setup->recordings->len, ==, 1);
  /* Adding the same file twice is refused. */
  g_assert_false (bx_transfer_setup_add_recording (setup, fx.night_a, BX_ROLE_PAIR));

  bx_run_options_init (&opt);
  setup->new_side.channels = g_strdup ("ECG");
  g_assert_true (bx_transfer_setup_to_options (setup, scoring, session, &opt, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (opt.manifest, &manifest, NULL, NULL));
  /* The viewer's scoring becomes the label file; the explicit channel list goes into the manifest. */
  g_assert_nonnull (strstr (manifest, "train,pair\tfile:"));
  g_assert_nonnull (strstr (manifest, "\tECG=ECG\n"));
  scoring_file = g_build_filename (session, "scoring.tsv", NULL);
  g_assert_true (g_file_test (scoring_file, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpstr (opt.stage_set, ==, "aasm");
  g_assert_nonnull (opt.old_checkpoint);
  bx_run_options_clear (&opt);

  /* Same modality on both sides: refused, naming it. */
  setup->new_side.modality = BX_MODALITY_EEG;
  bx_run_options_init (&opt);
  g_assert_false (bx_transfer_setup_to_options (setup, scoring, session, &opt, &error));
  g_assert_nonnull (strstr (error->message, "EEG"));
  g_clear_error (&error);
  bx_run_options_clear (&opt);

  /* No paired recording: refused. */
  setup->new_side.modality = BX_MODALITY_ECG;
  ((BxTransferRecording *)g_ptr_array_index (setup->recordings, 0))->roles = BX_ROLE_TRAIN;
  bx_run_options_init (&opt);
  g_assert_false (bx_transfer_setup_to_options (setup, scoring, session, &opt, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  bx_run_options_clear (&opt);
  bx_test_tmpdir_remove (session);
}

static void
test_flow (void)
{
  BxWindow *window = bx_window_new (GTK_APPLICATION (fx.app));
  BxRecordingPage *page;
  BxTransferPanel *panel;
  BxDocument *document;
  const BxMetrics *metrics;
  const BxHypnogram *pred;
  int m, l;
  g_autofree char *export_path = g_build_filename (fx.dir, "predicted.tsv", NULL);
  g_autoptr (BxHypnogram) back = NULL;
  g_autoptr (GError) error = NULL;
  int predicted5;

  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  bx_ui_wait_for_window (GTK_WINDOW (window));
  panel = open_with_panel (window, fx.night_a, &page);
  document = bx_recording_page_get_document (page);
  g_assert_cmpint (bx_transfer_panel_get_state (panel), ==, BX_TRANSFER_STATE_SETUP);
  bx_ui_spin (0.2);
  g_free (bx_ui_screenshot (GTK_WIDGET (window), "transfer-0-setup"));

  /* Training is disabled until positions are found. */
  g_assert_false (g_action_group_get_action_enabled (
      G_ACTION_GROUP (bx_view_host_get_action_map (BX_VIEW_HOST (page))), "transfer-train"));

  g_assert_true (run_action (page, panel, "plugin.transfer-search", NULL, 600));
  g_assert_cmpint (bx_transfer_panel_get_state (panel), ==, BX_TRANSFER_STATE_SEARCHED);
  bx_transfer_panel_get_positions (panel, &m, &l);
  g_assert_cmpint (m, >=, 0);
  g_assert_cmpint (l, >=, 0);
  bx_ui_spin (0.2);
  g_free (bx_ui_screenshot (GTK_WIDGET (window), "transfer-1-positions"));

  /* The user overrides the input position (as a click on another bar does). */
  bx_transfer_panel_set_positions (panel, m == 0 ? 1 : 0, l);
  bx_transfer_panel_get_setup (panel)->epochs = 2;
  bx_transfer_panel_load_setup (panel);
  g_assert_true (run_action (page, panel, "plugin.transfer-train", NULL, 600));
  g_assert_cmpint (bx_transfer_panel_get_state (panel), ==, BX_TRANSFER_STATE_PREDICTED);

  /* The prediction is an overlay track of the recording, on its 30-s grid, with confidence. */
  g_assert_nonnull (bx_transfer_panel_get_track (panel));
  g_assert_cmpuint (g_list_model_get_n_items (bx_document_get_tracks (document)), ==, 1);
  pred = bx_overlay_track_get_labels (bx_transfer_panel_get_track (panel));
  g_assert_cmpuint (pred->n_epochs, ==, 120);
  g_assert_nonnull (pred->confidence);
  for (guint e = 0; e < pred->n_epochs; e++)
    {
      g_assert_cmpint (pred->stages[e], >=, BX_STAGE_WAKE);
      g_assert_cmpint (pred->stages[e], <=, BX_STAGE_REM);
      g_assert_true (pred->confidence[e] > 0 && pred->confidence[e] <= 1);
    }
  metrics = bx_transfer_panel_get_metrics (panel);
  g_assert_nonnull (metrics);
  g_assert_cmpuint (metrics->n_samples, ==, 120);
  g_assert_true (metrics->balanced_accuracy >= 0 && metrics->balanced_accuracy <= 1);
  bx_ui_spin (0.3);
  g_free (bx_ui_screenshot (GTK_WIDGET (window), "transfer-2-predicted"));

  /* Accept: the predicted stage of the current epoch enters the scoring (undoably) and the view moves on. */
  predicted5 = pred->stages[5];
  bx_document_set_stage (document, 5, BX_STAGE_UNKNOWN);
  bx_recording_page_set_current_epoch (page, 5);
  gtk_widget_activate_action (GTK_WIDGET (page), "plugin.transfer-accept-epoch", NULL);
  g_assert_cmpint (bx_document_get_stage (document, 5), ==, predicted5);
  g_assert_cmpint (bx_recording_page_get_current_epoch (page), ==, 6);
  g_assert_true (bx_document_can_undo (document));
  /* Reject: epoch 6's prediction disappears from the track; the scoring is untouched. */
  {
    int scored6 = bx_document_get_stage (document, 6);
    gtk_widget_activate_action (GTK_WIDGET (page), "plugin.transfer-reject-epoch", NULL);
    g_assert_cmpint (bx_overlay_track_get_labels (bx_transfer_panel_get_track (panel))->stages[6], ==,
                     BX_STAGE_UNKNOWN);
    g_assert_cmpint (bx_document_get_stage (document, 6), ==, scored6);
  }
  /* Accept all confident: only unscored epochs are filled. (The track's labels
   * were replaced by the reject: fetch them again.) */
  pred = bx_overlay_track_get_labels (bx_transfer_panel_get_track (panel));
  bx_document_set_stage (document, 10, BX_STAGE_UNKNOWN);
  gtk_widget_activate_action_variant (GTK_WIDGET (page), "plugin.transfer-accept-confident",
                                      g_variant_new_double (0.0));
  g_assert_cmpint (bx_document_get_stage (document, 10), ==, pred->stages[10]);

  /* Export (TSV with confidence) reads back with the same length. */
  gtk_widget_activate_action_variant (GTK_WIDGET (page), "plugin.transfer-export", g_variant_new_string (export_path));
  back = bx_labels_read_hypnogram (export_path, NULL, NULL, 30, 3600, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->n_epochs, ==, 120);
  g_assert_cmpint (back->stages[0], ==, pred->stages[0]);

  /* Save the bridge for /transfer/apply. */
  gtk_widget_activate_action_variant (GTK_WIDGET (page), "plugin.transfer-save-bridge",
                                      g_variant_new_string (fx.bridge));
  g_assert_true (g_file_test (fx.bridge, G_FILE_TEST_IS_REGULAR));

  bx_document_set_autosave_enabled (document, FALSE);
  gtk_window_destroy (GTK_WINDOW (window));
  bx_ui_spin (0.2);
}

static gboolean
training_started (gpointer data)
{
  return bx_transfer_panel_get_n_loss_reports (BX_TRANSFER_PANEL (data)) > 0;
}

static void
test_cancel (void)
{
  BxWindow *window = bx_window_new (GTK_APPLICATION (fx.app));
  BxRecordingPage *page;
  BxTransferPanel *panel;
  JobWait w = { FALSE, FALSE };
  int m, l, m2, l2;
  gint64 t0;
  g_autofree char *session_dir = NULL;

  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  bx_ui_wait_for_window (GTK_WINDOW (window));
  panel = open_with_panel (window, fx.night_a, &page);
  g_assert_true (run_action (page, panel, "plugin.transfer-search", NULL, 600));
  bx_transfer_panel_get_positions (panel, &m, &l);

  /* Long enough to still run when we cancel. */
  bx_transfer_panel_get_setup (panel)->epochs = 1000;
  bx_transfer_panel_load_setup (panel);
  g_signal_connect (panel, "job-finished", G_CALLBACK (on_finished), &w);
  gtk_widget_activate_action (GTK_WIDGET (page), "plugin.transfer-train", NULL);
  g_assert_cmpint (bx_transfer_panel_get_state (panel), ==, BX_TRANSFER_STATE_RUNNING);
  g_assert_true (bx_ui_wait (training_started, panel, 600));
  bx_ui_spin (0.5);
  g_free (bx_ui_screenshot (GTK_WIDGET (window), "transfer-3-training"));
  g_assert_false (w.done);

  t0 = g_get_monotonic_time ();
  gtk_widget_activate_action (GTK_WIDGET (page), "plugin.transfer-cancel", NULL);
  g_assert_true (bx_ui_wait (job_done, &w, 30));
  /* Stops within a training step or two, not after the 1000 epochs. */
  g_assert_cmpfloat ((g_get_monotonic_time () - t0) / 1e6, <, 10);
  g_assert_false (w.ok);
  g_assert_nonnull (strstr (bx_transfer_panel_get_last_error (panel), "Cancelled"));
  /* Back to "searched": the positions survive, no bridge, no prediction. */
  g_assert_cmpint (bx_transfer_panel_get_state (panel), ==, BX_TRANSFER_STATE_SEARCHED);
  bx_transfer_panel_get_positions (panel, &m2, &l2);
  g_assert_cmpint (m2, ==, m);
  g_assert_cmpint (l2, ==, l);
  g_assert_null (bx_transfer_panel_get_track (panel));
  session_dir = g_strdup (bx_transfer_panel_get_session_dir (panel));
  {
    g_autoptr (GDir) d = g_dir_open (session_dir, 0, NULL);
    const char *name;
    g_assert_nonnull (d);
    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_assert_false (g_str_has_suffix (name, ".safetensors"));
        g_assert_false (g_str_has_suffix (name, ".part"));
      }
  }
  /* The app stays responsive: it draws, and the next job can start. */
  bx_ui_spin (0.3);
  g_free (bx_ui_screenshot (GTK_WIDGET (window), "transfer-4-cancelled"));
  g_assert_true (g_action_group_get_action_enabled (
      G_ACTION_GROUP (bx_view_host_get_action_map (BX_VIEW_HOST (page))), "transfer-train"));

  bx_document_set_autosave_enabled (bx_recording_page_get_document (page), FALSE);
  gtk_window_destroy (GTK_WINDOW (window));
  bx_ui_spin (0.2);
  /* Closing removes the session folder. */
  g_assert_false (g_file_test (session_dir, G_FILE_TEST_EXISTS));
}

static void
test_apply (void)
{
  BxWindow *window = bx_window_new (GTK_APPLICATION (fx.app));
  BxRecordingPage *page;
  BxTransferPanel *panel;
  const BxHypnogram *pred;

  if (!g_file_test (fx.bridge, G_FILE_TEST_IS_REGULAR))
    {
      g_test_skip ("needs the bridge saved by /transfer/flow");
      return;
    }
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  bx_ui_wait_for_window (GTK_WINDOW (window));
  panel = open_with_panel (window, fx.night_b, &page);
  g_assert_true (run_action (page, panel, "plugin.transfer-apply-bridge", g_variant_new_string (fx.bridge), 600));
  g_assert_cmpint (bx_transfer_panel_get_state (panel), ==, BX_TRANSFER_STATE_PREDICTED);
  pred = bx_overlay_track_get_labels (bx_transfer_panel_get_track (panel));
  g_assert_cmpuint (pred->n_epochs, ==, 120);
  g_assert_nonnull (bx_transfer_panel_get_metrics (panel));
  bx_ui_spin (0.3);
  g_free (bx_ui_screenshot (GTK_WIDGET (window), "transfer-5-applied"));

  /* A file that is not a bridge: a clear error, no prediction. */
  {
    g_assert_false (run_action (page, panel, "plugin.transfer-apply-bridge", g_variant_new_string (fx.night_a), 60));
    g_assert_nonnull (strstr (bx_transfer_panel_get_last_error (panel), "night-3.edf"));
  }
  bx_document_set_autosave_enabled (bx_recording_page_get_document (page), FALSE);
  gtk_window_destroy (GTK_WINDOW (window));
  bx_ui_spin (0.2);
}

int
main (int argc, char *argv[])
{
  int status;

  bx_ui_test_isolate_user_dirs ();
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  fx.app = bx_application_new ();
  g_application_set_flags (G_APPLICATION (fx.app), G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_OPEN);
  /* Startup (plugins, actions) runs on register. */
  g_assert_true (g_application_register (G_APPLICATION (fx.app), NULL, NULL));
  fx.dir = bx_test_tmpdir_new ();
  fx.night_a = write_night (3);
  fx.night_b = write_night (4);
  fx.bridge = g_build_filename (fx.dir, "saved-bridge.safetensors", NULL);

  g_test_add_func ("/transfer/setup", test_setup);
  g_test_add_func ("/transfer/flow", test_flow);
  g_test_add_func ("/transfer/cancel", test_cancel);
  g_test_add_func ("/transfer/apply", test_apply);
  status = g_test_run ();

  bx_test_tmpdir_remove (fx.dir);
  g_free (fx.dir);
  g_free (fx.night_a);
  g_free (fx.night_b);
  g_free (fx.bridge);
  g_object_unref (fx.app);
  return status;
}
