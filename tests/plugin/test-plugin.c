/* test-plugin.c — an external GIO module loads from $BIOX_PLUGIN_PATH and adds an overlay track. */
#include "config.h"

#include <adwaita.h>

#include "bx-application.h"
#include "bx-document.h"
#include "bx-extension.h"
#include "bx-recording-page.h"
#include "bx-test-data.h"
#include "bx-ui-test-util.h"
#include "bx-window.h"

static gboolean
overview_ready (gpointer data)
{
  return bx_signal_view_get_overview_ready (BX_SIGNAL_VIEW (data));
}

static void
test_module_loads (void)
{
  GPtrArray *plugins;
  const BxPluginInfo *example = NULL;
  gboolean have_builtin = FALSE;

  bx_application_load_plugins ();
  plugins = bx_extension_get_plugins ();
  for (guint i = 0; i < plugins->len; i++)
    {
      const BxPluginInfo *info = g_ptr_array_index (plugins, i);

      if (g_str_equal (info->id, "example-track"))
        example = info;
      if (g_str_equal (info->id, "biox-bridge"))
        have_builtin = TRUE;
    }
  g_assert_nonnull (example);
  g_assert_true (have_builtin);
  /* Loaded from a file, not compiled in. */
  g_assert_true (g_str_has_suffix (example->origin, G_MODULE_SUFFIX));
  g_assert_true (g_type_is_a (example->type, BX_TYPE_VIEW_EXTENSION));
  g_assert_nonnull (g_io_extension_point_get_extension_by_name (g_io_extension_point_lookup (BX_VIEW_EXTENSION_POINT),
                                                                "example-track"));
}

static void
test_module_adds_track (gconstpointer data)
{
  BxApplication *app = (BxApplication *) data;
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *path = bx_ui_write_test_edf (dir, "plugin.edf", 2, 1200, 100);   /* 40 epochs */
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  BxWindow *window = bx_window_new (GTK_APPLICATION (app));
  BxRecordingPage *page;
  BxDocument *document;
  GListModel *tracks;
  g_autoptr (BxOverlayTrack) track = NULL;
  const BxHypnogram *labels;
  guint n_annotations;

  gtk_window_set_default_size (GTK_WINDOW (window), 1200, 800);
  bx_ui_wait_for_window (GTK_WINDOW (window));
  page = bx_window_open_file (window, file, &error);
  g_assert_no_error (error);
  g_assert_true (bx_ui_wait (overview_ready, bx_recording_page_get_signal_view (page), 30));
  document = bx_recording_page_get_document (page);

  tracks = bx_document_get_tracks (document);
  g_assert_cmpuint (g_list_model_get_n_items (tracks), ==, 1);
  track = g_list_model_get_item (tracks, 0);
  g_assert_cmpstr (bx_overlay_track_get_title (track), ==, "Example plugin track");
  labels = bx_overlay_track_get_labels (track);
  g_assert_cmpuint (labels->n_epochs, ==, 40);
  g_assert_cmpint (labels->stages[15], ==, BX_STAGE_N2);
  g_assert_true (bx_recording_page_get_active_track (page) == track);

  /* Next low-confidence epoch (threshold 0.6 by default): from epoch 0 (0.30) the next
   * below 0.6 is epoch 1 (0.37); from epoch 4 (0.58) it is epoch 10 (0.30 of the next run). */
  g_assert_cmpint (bx_document_next_low_confidence (document, track, 0, 0.6), ==, 1);
  g_assert_cmpint (bx_document_next_low_confidence (document, track, 4, 0.6), ==, 10);
  bx_recording_page_set_current_epoch (page, 4);
  gtk_widget_activate_action (GTK_WIDGET (page), "page.next-low-confidence", NULL);
  g_assert_cmpint (bx_recording_page_get_current_epoch (page), ==, 10);

  /* Agreement against a scoring of W everywhere scored: epochs 0..9 agree, 10..19 do not. */
  for (guint e = 0; e < 20; e++)
    bx_document_set_stage (document, e, BX_STAGE_WAKE);
  {
    double accuracy, kappa;

    g_assert_cmpuint (bx_document_agreement (document, track, &accuracy, &kappa), ==, 20);
    g_assert_cmpfloat_with_epsilon (accuracy, 0.5, 1e-12);
    /* po = 0.5; pe = P(W)·P'(W) = 1 × 0.5 = 0.5 → kappa 0. */
    g_assert_cmpfloat_with_epsilon (kappa, 0.0, 1e-12);
  }

  /* The plugin's action reaches the host. */
  n_annotations = g_list_model_get_n_items (bx_document_get_annotation_model (document));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "plugin.example-mark", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (bx_document_get_annotation_model (document)), ==, n_annotations + 1);

  bx_recording_page_set_page_length (page, 300);
  bx_ui_spin (0.2);
  g_free (bx_ui_screenshot (GTK_WIDGET (window), "plugin-track"));

  /* Closing the recording deactivates the extension, which removes its track. */
  g_object_ref (document);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.close-tab", NULL);
  bx_ui_spin (0.1);
  g_assert_cmpuint (g_list_model_get_n_items (tracks), ==, 0);
  bx_document_set_autosave_enabled (document, FALSE);
  g_object_unref (document);
  gtk_window_destroy (GTK_WINDOW (window));
  bx_ui_spin (0.1);
  bx_test_tmpdir_remove (dir);
}

int
main (int argc, char *argv[])
{
  g_autoptr (BxApplication) app = NULL;

  bx_ui_test_isolate_user_dirs ();
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  app = bx_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_OPEN);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));

  g_test_add_func ("/plugin/module-loads", test_module_loads);
  g_test_add_data_func ("/plugin/module-adds-track", app, test_module_adds_track);
  return g_test_run ();
}
