/* test-ui.c — the viewer under Xvfb: templates, real recordings, keyboard scoring, screenshots. */
#include "config.h"

#include <adwaita.h>
#include <math.h>
#include <stdio.h>

#include "bx-application.h"
#include "bx-document.h"
#include "bx-extension.h"
#include "bx-hypnogram-view.h"
#include "bx-preferences-window.h"
#include "bx-recording-page.h"
#include "bx-signal-view.h"
#include "bx-test-data.h"
#include "bx-ui-test-util.h"
#include "bx-window.h"
#include "recording/bx-labels-io.h"
#include "sim/bx-sim-night.h"

static BxApplication *app;

static gboolean
overview_ready (gpointer data)
{
  return bx_signal_view_get_overview_ready (BX_SIGNAL_VIEW (data));
}

static BxWindow *
new_window (void)
{
  BxWindow *window = bx_window_new (GTK_APPLICATION (app));

  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  bx_ui_wait_for_window (GTK_WINDOW (window));
  return window;
}

static BxRecordingPage *
open_in (BxWindow *window, const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  BxRecordingPage *page = bx_window_open_file (window, file, &error);

  g_assert_no_error (error);
  g_assert_nonnull (page);
  g_assert_true (bx_ui_wait (overview_ready, bx_recording_page_get_signal_view (page), 60));
  bx_ui_spin (0.1);
  return page;
}

/* ---- every template widget is created ---- */

static void
test_templates (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *path = bx_ui_write_test_edf (dir, "tiny.edf", 2, 120, 100);
  BxWindow *window = new_window ();
  BxRecordingPage *page;
  BxPreferencesWindow *prefs;
  g_autoptr (GtkBuilder) builder = NULL;
  GObject *help;
  GtkWidget *about;

  g_assert_cmpuint (bx_window_get_n_pages (window), ==, 0);
  page = open_in (window, path);
  g_assert_cmpuint (bx_window_get_n_pages (window), ==, 1);
  g_assert_true (bx_window_get_current_page (window) == page);
  g_assert_nonnull (bx_recording_page_get_hypnogram_view (page));
  g_assert_cmpuint (bx_signal_view_get_n_traces (bx_recording_page_get_signal_view (page)), ==, 2);

  prefs = bx_preferences_window_new (GTK_WINDOW (window));
  bx_ui_wait_for_window (GTK_WINDOW (prefs));
  /* The compiled-in BioX-Bridge plugin is listed. */
  g_assert_cmpuint (bx_preferences_window_get_n_plugin_rows (prefs), >=, 1);
  g_free (bx_ui_screenshot (GTK_WIDGET (prefs), "preferences"));
  gtk_window_destroy (GTK_WINDOW (prefs));

  builder = gtk_builder_new_from_resource ("/org/bioxbridge/BioxBridge/gtk/help-overlay.ui");
  help = gtk_builder_get_object (builder, "help_overlay");
  g_assert_true (GTK_IS_SHORTCUTS_WINDOW (help));
  gtk_window_set_default_size (GTK_WINDOW (help), 1100, 720);
  bx_ui_wait_for_window (GTK_WINDOW (help));
  g_free (bx_ui_screenshot (GTK_WIDGET (help), "help-overlay"));
  gtk_window_destroy (GTK_WINDOW (help));

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  bx_ui_spin (0.2);
  about = NULL;
  for (GList *l = gtk_window_list_toplevels (); l != NULL; l = g_list_delete_link (l, l))
    if (ADW_IS_ABOUT_WINDOW (l->data))
      about = l->data;
  g_assert_nonnull (about);
  g_assert_cmpstr (adw_about_window_get_version (ADW_ABOUT_WINDOW (about)), ==, PACKAGE_VERSION);
  gtk_window_destroy (GTK_WINDOW (about));

  gtk_window_destroy (GTK_WINDOW (window));
  bx_ui_spin (0.1);
  bx_test_tmpdir_remove (dir);
}

/* ---- real recordings open and render ---- */

static void
check_renders (BxRecordingPage *page, const char *name, gboolean screenshot)
{
  GtkWidget *view = GTK_WIDGET (bx_recording_page_get_signal_view (page));
  g_autoptr (GdkTexture) texture = bx_ui_render (view);
  int w = gtk_widget_get_width (view), h = gtk_widget_get_height (view);
  double ink;

  g_assert_nonnull (texture);
  /* The plot area (right of the label column, under the ruler) holds traces. */
  ink = bx_ui_ink_fraction (texture, 140, 30, w - 150, h - 60);
  if (bx_recording_get_n_channels (bx_document_get_recording (bx_recording_page_get_document (page))) > 0)
    {
      if (ink < 0.003)
        g_error ("%s: the signal view drew almost nothing (%.4f of the plot area inked)", name, ink);
    }
  if (screenshot)
    {
      g_autofree char *shot = g_strdup_printf ("corpus-%s", name);

      g_free (bx_ui_screenshot (GTK_WIDGET (gtk_widget_get_root (view)), shot));
    }
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

/* "folder" or "folder#k/n": the k-th of n equal parts of the sorted files,
 * so one big folder becomes several tests of reasonable length. */
static void
test_corpus_folder (gconstpointer data)
{
  g_auto (GStrv) spec = g_strsplit ((const char *) data, "#", 2);
  const char *folder = spec[0];
  guint part = 0, n_parts = 1;
  g_autofree char *dir = NULL;
  g_autoptr (GDir) d = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  BxWindow *window;
  guint opened = 0;

  if (spec[1] != NULL)
    g_assert_cmpint (sscanf (spec[1], "%u/%u", &part, &n_parts), ==, 2);
  dir = bx_test_shared_data_path (folder);
  if (dir == NULL)
    return;
  d = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (d);
  for (const char *n; (n = g_dir_read_name (d)) != NULL;)
    {
      g_autofree char *lower = g_ascii_strdown (n, -1);

      if (g_str_has_suffix (lower, ".edf") || g_str_has_suffix (lower, ".bdf"))
        g_ptr_array_add (names, g_strdup (n));
    }
  g_ptr_array_sort (names, compare_names);
  g_assert_cmpuint (names->len, >, 0);
  {
    guint first = names->len * part / n_parts, last = names->len * (part + 1) / n_parts;

    g_ptr_array_remove_range (names, last, names->len - last);
    g_ptr_array_remove_range (names, 0, first);
  }

  window = new_window ();
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      BxRecordingPage *page = open_in (window, path);

      /* A multi-minute page exercises the pyramid path, the 30 s page the raw path. */
      check_renders (page, name, i < 3 || g_str_has_prefix (name, "excerpt") || g_str_has_prefix (name, "short_psg"));
      bx_recording_page_set_page_length (page, 300);
      bx_ui_spin (0.05);
      check_renders (page, name, FALSE);
      gtk_widget_activate_action (GTK_WIDGET (window), "win.close-tab", NULL);
      bx_ui_spin (0.05);
      opened++;
    }
  g_assert_cmpuint (opened, ==, names->len);
  g_assert_cmpuint (bx_window_get_n_pages (window), ==, 0);
  gtk_window_destroy (GTK_WINDOW (window));
  bx_ui_spin (0.1);
}

static void
test_invalid_files (void)
{
  g_autofree char *dir = bx_test_shared_data_path ("edf-corpus/invalid");
  const char *names[] = { "eyelink_not_european_data_format.edf", "header_one_byte_short.edf" };
  BxWindow *window;

  if (dir == NULL)
    return;
  window = new_window ();
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      g_autoptr (GFile) file = g_file_new_for_path (path);
      g_autoptr (GError) error = NULL;

      g_assert_null (bx_window_open_file (window, file, &error));
      g_assert_nonnull (error);
      g_test_message ("%s: %s", names[i], error->message);
    }
  g_assert_cmpuint (bx_window_get_n_pages (window), ==, 0);
  gtk_window_destroy (GTK_WINDOW (window));
  bx_ui_spin (0.1);
}

/* Opens `edf`, adds the hypnogram file `labels` as a label track and
 * returns the strip's stage rows before and after, and the track's N4 epochs. */
static void
rows_with_track (const char *edf, const char *labels, const char *shot, guint *before, guint *after,
                 guint *n_n4)
{
  BxWindow *window = new_window ();
  BxRecordingPage *page = open_in (window, edf);
  BxDocument *document = bx_recording_page_get_document (page);
  BxHypnogramView *hypnogram = BX_HYPNOGRAM_VIEW (bx_recording_page_get_hypnogram_view (page));
  g_autoptr (GError) error = NULL;
  g_autoptr (BxHypnogram) stages = NULL;
  g_autoptr (BxOverlayTrack) track = NULL;

  *before = bx_hypnogram_view_get_n_rows (hypnogram);
  if (labels != NULL)
    {
      stages = bx_labels_read_hypnogram (labels, NULL, NULL, 30, 0, &error);
      g_assert_no_error (error);
      *n_n4 = 0;
      for (guint e = 0; e < stages->n_epochs; e++)
        *n_n4 += stages->stages[e] == BX_STAGE_N4;
      track = bx_overlay_track_new ("R&K hypnogram", stages);
      bx_document_add_track (document, track);
      bx_ui_spin (0.1);
    }
  *after = bx_hypnogram_view_get_n_rows (hypnogram);
  g_free (bx_ui_screenshot (GTK_WIDGET (window), shot));
  gtk_window_destroy (GTK_WINDOW (window));
  bx_ui_spin (0.1);
}

/* R&K scorings on real files: the N4 row comes with the first S4 epoch in the
 * recording's span, not with R&K as such. Sleep-EDF's SC4001 hypnogram has S4
 * epochs; DREAMS excerpt 3 is scored S1-S3 only; on the 5-min Sleep-EDF
 * excerpt the whole night's hypnogram has its S4 epochs after the end. */
static void
test_rk_hypnograms (void)
{
  g_autofree char *dreams = bx_test_shared_data_path ("dreams");
  g_autofree char *sleep_edf = bx_test_shared_data_path ("edf-corpus/valid");
  guint before, after, n4 = 0;

  if (dreams == NULL || sleep_edf == NULL)
    return;
  {
    g_autofree char *hyp = g_build_filename (sleep_edf, "SC4001EC-Hypnogram.edf", NULL);

    rows_with_track (hyp, NULL, "rk-sleep-edf-scoring", &before, &after, &n4);
    g_assert_cmpuint (before, ==, 6);
  }
  {
    g_autofree char *edf = g_build_filename (dreams, "excerpt3.edf", NULL);
    g_autofree char *txt = g_build_filename (dreams, "Hypnogram_excerpt3.txt", NULL);

    rows_with_track (edf, txt, "rk-dreams-track", &before, &after, &n4);
    g_assert_cmpuint (n4, ==, 0);
    g_assert_cmpuint (before, ==, 5);
    g_assert_cmpuint (after, ==, 5);
  }
  {
    g_autofree char *edf = g_build_filename (sleep_edf, "short_psg.edf", NULL);
    g_autofree char *hyp = g_build_filename (sleep_edf, "SC4001EC-Hypnogram.edf", NULL);

    rows_with_track (edf, hyp, "rk-sleep-edf-excerpt-track", &before, &after, &n4);
    g_assert_cmpuint (n4, >, 0);
    g_assert_cmpuint (after, ==, 5);
  }
}

/* ---- keyboard scoring, navigation, undo, save and reload ---- */

static void
press (BxRecordingPage *page, guint keyval, GdkModifierType modifiers)
{
  GtkWidget *focus = GTK_WIDGET (bx_recording_page_get_signal_view (page));

  if (!bx_ui_press_key (focus, keyval, modifiers))
    g_error ("no shortcut for %s (modifiers %x)", gdk_keyval_name (keyval), modifiers);
}

static void
assert_stages (const BxHypnogram *h, const int *expected, guint n)
{
  for (guint e = 0; e < n; e++)
    if (h->stages[e] != expected[e])
      g_error ("epoch %u: stage %d, expected %d", e, h->stages[e], expected[e]);
}

static void
test_keyboard_scoring (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *path = bx_ui_write_test_edf (dir, "night.edf", 3, 600, 128);   /* 20 epochs */
  BxWindow *window = new_window ();
  BxRecordingPage *page = open_in (window, path);
  BxDocument *document = bx_recording_page_get_document (page);
  const int expected[] = { BX_STAGE_WAKE, BX_STAGE_N1, BX_STAGE_N2, BX_STAGE_N3, BX_STAGE_REM, BX_STAGE_N4,
                           BX_STAGE_WAKE };
  g_autofree char *tsv = g_build_filename (dir, "scoring.tsv", NULL);
  g_autofree char *csv = g_build_filename (dir, "scoring.csv", NULL);
  g_autofree char *edf = g_build_filename (dir, "scoring.edf", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (bx_document_get_n_epochs (document), ==, 20);
  bx_recording_page_set_page_length (page, 30);
  g_assert_cmpint (bx_recording_page_get_current_epoch (page), ==, 0);

  /* W 1 2 3 R 4 0 score epochs 0..6 and advance. */
  press (page, GDK_KEY_w, 0);
  press (page, GDK_KEY_1, 0);
  press (page, GDK_KEY_2, 0);
  press (page, GDK_KEY_3, 0);
  press (page, GDK_KEY_r, 0);
  press (page, GDK_KEY_4, 0);
  press (page, GDK_KEY_0, 0);
  g_assert_cmpint (bx_recording_page_get_current_epoch (page), ==, 7);
  assert_stages (bx_document_get_scoring (document), expected, 7);
  g_assert_true (bx_document_get_modified (document));
  g_free (bx_ui_screenshot (GTK_WIDGET (window), "scoring"));

  /* Undo goes back to the undone epoch, redo restores it. */
  press (page, GDK_KEY_z, GDK_CONTROL_MASK);
  g_assert_cmpint (bx_document_get_stage (document, 6), ==, BX_STAGE_UNKNOWN);
  g_assert_cmpint (bx_recording_page_get_current_epoch (page), ==, 6);
  press (page, GDK_KEY_z, GDK_CONTROL_MASK);
  g_assert_cmpint (bx_document_get_stage (document, 5), ==, BX_STAGE_UNKNOWN);
  press (page, GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK);
  g_assert_cmpint (bx_document_get_stage (document, 5), ==, BX_STAGE_N4);
  press (page, GDK_KEY_y, GDK_CONTROL_MASK);
  assert_stages (bx_document_get_scoring (document), expected, 7);
  g_assert_false (bx_document_can_redo (document));

  /* Navigation keys. */
  press (page, GDK_KEY_Home, 0);
  g_assert_cmpint (bx_recording_page_get_current_epoch (page), ==, 0);
  press (page, GDK_KEY_Right, 0);
  press (page, GDK_KEY_Right, 0);
  g_assert_cmpint (bx_recording_page_get_current_epoch (page), ==, 2);
  press (page, GDK_KEY_Left, 0);
  g_assert_cmpint (bx_recording_page_get_current_epoch (page), ==, 1);
  press (page, GDK_KEY_End, 0);
  g_assert_cmpint (bx_recording_page_get_current_epoch (page), ==, 19);
  bx_recording_page_set_page_length (page, 120);   /* 4 epochs a page */
  press (page, GDK_KEY_Home, 0);
  press (page, GDK_KEY_Page_Down, 0);
  g_assert_cmpint (bx_recording_page_get_current_epoch (page), ==, 4);
  g_assert_cmpfloat (bx_signal_view_get_start (bx_recording_page_get_signal_view (page)), ==, 120);
  press (page, GDK_KEY_Page_Up, 0);
  g_assert_cmpint (bx_recording_page_get_current_epoch (page), ==, 0);

  /* Go to: epoch number, elapsed time, clock time (recording starts 22:30:00). */
  g_assert_true (bx_recording_page_go_to (page, "12", &error));
  g_assert_cmpint (bx_recording_page_get_current_epoch (page), ==, 11);
  g_assert_true (bx_recording_page_go_to (page, "+0:01:35", &error));
  g_assert_cmpint (bx_recording_page_get_current_epoch (page), ==, 3);
  g_assert_true (bx_recording_page_go_to (page, "22:35:10", &error));
  g_assert_cmpint (bx_recording_page_get_current_epoch (page), ==, 10);
  g_assert_no_error (error);
  g_assert_false (bx_recording_page_go_to (page, "99", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (bx_recording_page_go_to (page, "later", &error));
  g_clear_error (&error);

  /* Save in every format and read back with the labels module. */
  g_assert_true (bx_document_save_scoring (document, tsv, &error));
  g_assert_no_error (error);
  g_assert_false (bx_document_get_modified (document));
  g_assert_true (bx_document_save_scoring (document, csv, &error));
  g_assert_true (bx_document_save_scoring (document, edf, &error));
  g_assert_no_error (error);
  {
    const char *paths[] = { tsv, csv, edf };

    for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
      {
        g_autoptr (BxHypnogram) back = bx_labels_read_hypnogram (paths[i], NULL, NULL, 30, 600, &error);

        g_assert_no_error (error);
        g_assert_nonnull (back);
        assert_stages (back, expected, 7);
        for (guint e = 7; e < back->n_epochs; e++)
          g_assert_cmpint (back->stages[e], ==, BX_STAGE_UNKNOWN);
      }
  }

  /* Autosave: a new document of the same file restores the scoring. */
  press (page, GDK_KEY_Home, 0);
  press (page, GDK_KEY_2, 0);   /* epoch 0: W -> N2, not saved */
  g_assert_true (bx_document_autosave_now (document, &error));
  g_assert_no_error (error);
  {
    g_autoptr (BxDocument) again = bx_document_new (bx_document_get_recording (document));

    g_assert_true (bx_document_get_restored (again));
    g_assert_cmpint (bx_document_get_stage (again, 0), ==, BX_STAGE_N2);
    g_assert_cmpint (bx_document_get_stage (again, 4), ==, BX_STAGE_REM);
    bx_document_set_autosave_enabled (again, FALSE);
  }

  gtk_window_destroy (GTK_WINDOW (window));
  bx_ui_spin (0.1);
  bx_test_tmpdir_remove (dir);
}

/* ---- derivations, filters, channel settings ---- */

static void
test_view_settings (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *path = bx_ui_write_test_edf (dir, "view.edf", 3, 300, 200);
  BxWindow *window = new_window ();
  BxRecordingPage *page = open_in (window, path);
  BxSignalView *view = bx_recording_page_get_signal_view (page);
  g_autoptr (GError) error = NULL;
  BxDisplayFilter filter = { 0.3, 35, 50 };
  GdkRGBA red = { 1, 0, 0, 1 }, got;

  g_assert_true (bx_signal_view_add_derivation (view, 0, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bx_signal_view_get_n_traces (view), ==, 4);
  g_assert_cmpstr (bx_signal_view_get_trace_label (view, 3), ==, "EEG C1−EEG C2");
  g_assert_false (bx_signal_view_add_derivation (view, 1, 1, &error));
  g_clear_error (&error);
  g_assert_true (bx_ui_wait (overview_ready, view, 30));

  bx_signal_view_move_trace (view, 3, 0);
  g_assert_cmpstr (bx_signal_view_get_trace_label (view, 0), ==, "EEG C1−EEG C2");
  {
    double before = bx_signal_view_get_trace_scale (view, 1);

    bx_signal_view_set_trace_gain (view, 1, 2.0);
    g_assert_cmpfloat_with_epsilon (bx_signal_view_get_trace_scale (view, 1), before / 2, before * 1e-9);
  }
  {
    /* 1-2-5 steps, also from a scale off the series (±80 µV after +/−). */
    double automatic = bx_signal_view_get_trace_scale (view, 1) * bx_signal_view_get_trace_gain (view, 1);
    const struct { int steps; double expected; } cases[] = { { 1, 50 }, { 1, 20 }, { 2, 5 }, { -3, 50 },
                                                             { -1, 100 }, { -1, 200 }, { -2, 1000 } };

    bx_signal_view_set_trace_gain (view, 1, automatic / 80);
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        bx_signal_view_step_scales (view, cases[i].steps);
        g_assert_cmpfloat_with_epsilon (bx_signal_view_get_trace_scale (view, 1), cases[i].expected, 1e-9);
      }
    bx_signal_view_set_trace_gain (view, 1, automatic / 80);
    bx_signal_view_step_scales (view, -1);
    g_assert_cmpfloat_with_epsilon (bx_signal_view_get_trace_scale (view, 1), 100, 1e-9);
  }
  bx_signal_view_set_trace_visible (view, 2, FALSE);
  bx_signal_view_set_trace_colour (view, 1, &red);
  bx_signal_view_get_trace_colour (view, 1, &got);
  g_assert_true (gdk_rgba_equal (&red, &got));
  bx_signal_view_set_filter (view, &filter);
  bx_ui_spin (0.1);
  g_free (bx_ui_screenshot (GTK_WIDGET (window), "derivation-filters"));
  {
    g_autoptr (GdkTexture) texture = bx_ui_render (GTK_WIDGET (view));

    g_assert_cmpfloat (bx_ui_ink_fraction (texture, 140, 30, 600, 400), >, 0.003);
  }
  gtk_window_destroy (GTK_WINDOW (window));
  bx_ui_spin (0.1);
  bx_test_tmpdir_remove (dir);
}

/* ---- the synthetic night: what a technician sees ---- */

static void
test_sim_night_screenshots (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "sim-night.edf", NULL);
  g_autoptr (GError) error = NULL;
  BxSimParams params;
  BxWindow *window;
  BxRecordingPage *page;
  BxDocument *document;
  guint scored = 0;

  bx_sim_params_init (&params);
  params.hours = 1.5;
  g_assert_true (bx_sim_night_write_edf (&params, path, NULL, &error));
  g_assert_no_error (error);

  window = new_window ();
  page = open_in (window, path);
  document = bx_recording_page_get_document (page);
  /* The night's stage annotations became the scoring. */
  for (guint e = 0; e < bx_document_get_n_epochs (document); e++)
    scored += bx_document_get_stage (document, e) >= 0;
  g_assert_cmpuint (scored, ==, bx_document_get_n_epochs (document));

  /* A prediction track: the true stages with confidence falling on stage changes. */
  {
    g_autoptr (BxHypnogram) truth = bx_sim_hypnogram_generate (params.seed, params.hours);
    g_autoptr (BxHypnogram) predicted = bx_hypnogram_copy (truth);
    g_autoptr (BxOverlayTrack) track = NULL;
    double accuracy, kappa;

    bx_hypnogram_ensure_confidence (predicted);
    for (guint e = 0; e < predicted->n_epochs; e++)
      {
        gboolean change = e > 0 && truth->stages[e] != truth->stages[e - 1];

        predicted->confidence[e] = change ? 0.45f : 0.92f;
        if (change && predicted->stages[e] >= 0)
          predicted->stages[e] = predicted->stages[e - 1];
      }
    track = bx_overlay_track_new ("Predicted from ECG", predicted);
    bx_document_add_track (document, track);
    g_assert_cmpuint (bx_document_agreement (document, track, &accuracy, &kappa), ==, predicted->n_epochs);
    g_assert_cmpfloat (accuracy, <, 1.0);
    g_assert_cmpfloat (accuracy, >, 0.5);
    g_assert_cmpfloat (kappa, <, accuracy);
  }

  bx_recording_page_set_page_length (page, 30);
  g_assert_true (bx_recording_page_go_to (page, "+0:40:00", &error));
  bx_ui_spin (0.2);
  g_free (bx_ui_screenshot (GTK_WIDGET (window), "sim-night-30s"));
  gtk_widget_activate_action (GTK_WIDGET (page), "page.next-low-confidence", NULL);
  g_assert_cmpfloat (bx_overlay_track_label_at (bx_recording_page_get_active_track (page),
                                                (bx_recording_page_get_current_epoch (page) + 0.5) * 30, NULL),
                     >=, -1);
  bx_recording_page_set_page_length (page, 0);
  bx_ui_spin (0.2);
  g_free (bx_ui_screenshot (GTK_WIDGET (window), "sim-night-whole"));
  bx_recording_page_set_page_length (page, 300);
  bx_ui_spin (0.2);
  g_free (bx_ui_screenshot (GTK_WIDGET (window), "sim-night-5min"));

  gtk_window_destroy (GTK_WINDOW (window));
  bx_ui_spin (0.1);
  bx_test_tmpdir_remove (dir);
}

/* ---- opening files: drag and drop, recent files, the file chooser ---- */

static gboolean
focus_in_signal_view (BxWindow *window, BxRecordingPage *page)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));
  GtkWidget *view = GTK_WIDGET (bx_recording_page_get_signal_view (page));

  return focus != NULL && (focus == view || gtk_widget_is_ancestor (focus, view));
}

static void
shoot_window (BxWindow *window, const char *name)
{
  bx_ui_spin (0.1);
  g_free (bx_ui_screenshot (GTK_WIDGET (window), name));
}

static GtkDropTarget *
find_drop_target (GtkWidget *widget)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller))
        return GTK_DROP_TARGET (controller);
    }
  return NULL;
}

/* Emits "drop" on the window's drop target as GTK does when files are
 * dropped (GdkFileList is what file managers offer). */
static gboolean
drop_files (BxWindow *window, GFile **files, guint n)
{
  GtkDropTarget *target = find_drop_target (GTK_WIDGET (window));
  GValue value = G_VALUE_INIT;
  gboolean handled = FALSE;
  gsize n_types = 0;
  const GType *types;

  g_assert_nonnull (target);
  types = gtk_drop_target_get_gtypes (target, &n_types);
  g_assert_cmpuint (n_types, ==, 1);
  g_assert_true (types[0] == GDK_TYPE_FILE_LIST);
  g_assert_true (gtk_drop_target_get_actions (target) & GDK_ACTION_COPY);
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_array (files, n));
  g_signal_emit_by_name (target, "drop", &value, 400.0, 300.0, &handled);
  g_value_unset (&value);
  bx_ui_spin (0.05);
  return handled;
}

static gboolean
is_recent (gpointer uri)
{
  GtkRecentInfo *info = gtk_recent_manager_lookup_item (gtk_recent_manager_get_default (), uri, NULL);

  if (info == NULL)
    return FALSE;
  gtk_recent_info_unref (info);
  return TRUE;
}

static const char *
current_path (BxWindow *window)
{
  BxRecordingPage *page = bx_window_get_current_page (window);

  if (page == NULL)
    return NULL;
  return bx_recording_get_path (bx_document_get_recording (bx_recording_page_get_document (page)));
}

static void
close_all_tabs (BxWindow *window)
{
  while (bx_window_get_n_pages (window) > 0)
    {
      gtk_widget_activate_action (GTK_WIDGET (window), "win.close-tab", NULL);
      bx_ui_spin (0.05);
    }
}

typedef struct {
  GtkListBox *list;
  guint n;
} RowCount;

static gboolean
has_rows (gpointer data)
{
  RowCount *rc = data;
  guint n = 0;

  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (rc->list)); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    n += GTK_IS_LIST_BOX_ROW (c);
  return n >= rc->n;
}

static GtkListBoxRow *
find_recent_row (GtkListBox *list, const char *title)
{
  for (GtkWidget *c = gtk_widget_get_first_child (GTK_WIDGET (list)); c != NULL;
       c = gtk_widget_get_next_sibling (c))
    if (ADW_IS_PREFERENCES_ROW (c)
        && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (c)), title) == 0)
      return GTK_LIST_BOX_ROW (c);
  return NULL;
}

static void
test_drop_and_recent (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *a = bx_ui_write_test_edf (dir, "a-night.edf", 2, 120, 100);
  g_autofree char *b = bx_ui_write_test_edf (dir, "b-night.edf", 3, 90, 100);
  g_autofree char *notes = g_build_filename (dir, "notes.txt", NULL);
  g_autoptr (GFile) fa = g_file_new_for_path (a);
  g_autoptr (GFile) fb = g_file_new_for_path (b);
  g_autoptr (GFile) fnotes = NULL;
  g_autofree char *uri_a = g_file_get_uri (fa);
  g_autofree char *uri_b = g_file_get_uri (fb);
  BxWindow *window;
  GtkListBox *recent_list;
  GtkStack *stack;
  BxRecordingPage *page;

  g_assert_true (g_file_set_contents (notes, "not a recording\n", -1, NULL));
  fnotes = g_file_new_for_path (notes);
  window = new_window ();
  stack = GTK_STACK (gtk_widget_get_template_child (GTK_WIDGET (window), BX_TYPE_WINDOW, "main_stack"));
  recent_list
    = GTK_LIST_BOX (gtk_widget_get_template_child (GTK_WIDGET (window), BX_TYPE_WINDOW, "recent_list"));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "empty");

  /* Two recordings dropped at once: two tabs, the last one shown. */
  {
    GFile *files[] = { fa, fb };

    g_assert_true (drop_files (window, files, 2));
  }
  g_assert_cmpuint (bx_window_get_n_pages (window), ==, 2);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "tabs");
  g_assert_cmpstr (current_path (window), ==, b);
  page = bx_window_get_current_page (window);
  g_assert_cmpuint (bx_signal_view_get_n_traces (bx_recording_page_get_signal_view (page)), ==, 3);
  /* The keys work on the dropped recording without a click into it. */
  bx_ui_spin (0.2);
  g_assert_true (focus_in_signal_view (window, bx_window_get_current_page (window)));
  /* Both went to the recent files. */
  /* Added asynchronously (GTK looks the MIME type up first). */
  g_assert_true (bx_ui_wait (is_recent, uri_a, 10));
  g_assert_true (bx_ui_wait (is_recent, uri_b, 10));

  /* Dropping an open recording again shows its tab instead of a second copy;
   * a file that is no recording opens nothing and is not remembered. */
  {
    GFile *files[] = { fa };

    g_assert_true (drop_files (window, files, 1));
    g_assert_cmpuint (bx_window_get_n_pages (window), ==, 2);
    g_assert_cmpstr (current_path (window), ==, a);
  }
  {
    GFile *files[] = { fnotes };
    g_autofree char *uri = g_file_get_uri (fnotes);

    drop_files (window, files, 1);
    g_assert_cmpuint (bx_window_get_n_pages (window), ==, 2);
    bx_ui_spin (0.3);
    g_assert_false (is_recent (uri));
  }

  /* With every tab closed, the start page lists both; activating a row opens it. */
  close_all_tabs (window);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "empty");
  {
    RowCount rc = { recent_list, 2 };

    g_assert_true (bx_ui_wait (has_rows, &rc, 10));
  }
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (recent_list)));
  g_assert_nonnull (find_recent_row (recent_list, "a-night.edf"));
  g_assert_null (find_recent_row (recent_list, "notes.txt"));
  shoot_window (window, "window-recent");
  g_signal_emit_by_name (recent_list, "row-activated", find_recent_row (recent_list, "b-night.edf"));
  bx_ui_spin (0.05);
  g_assert_cmpuint (bx_window_get_n_pages (window), ==, 1);
  g_assert_cmpstr (current_path (window), ==, b);
  bx_ui_spin (0.2);
  g_assert_true (focus_in_signal_view (window, bx_window_get_current_page (window)));

  gtk_window_destroy (GTK_WINDOW (window));
  bx_ui_spin (0.1);
  bx_test_tmpdir_remove (dir);
}

static gboolean
chooser_has_files (gpointer data)
{
  g_autoptr (GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (data));

  return files != NULL && g_list_model_get_n_items (files) > 0;
}

static gboolean
filter_accepts (GtkFilter *filter, const char *name, const char *content_type)
{
  g_autoptr (GFileInfo) info = g_file_info_new ();

  g_file_info_set_display_name (info, name);
  g_file_info_set_name (info, name);
  if (content_type != NULL)
    g_file_info_set_content_type (info, content_type);
  return gtk_filter_match (filter, info);
}

static void
test_file_chooser (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *path = bx_ui_write_test_edf (dir, "chosen.edf", 2, 60, 100);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  BxWindow *window = new_window ();
  GtkNativeDialog *dialog;

  /* Cancelled: nothing opens. */
  dialog = bx_window_choose_files (window);
  g_assert_true (GTK_IS_FILE_CHOOSER (dialog));
  g_assert_true (gtk_native_dialog_get_modal (dialog));
  g_assert_true (gtk_native_dialog_get_transient_for (dialog) == GTK_WINDOW (window));
  g_assert_true (gtk_file_chooser_get_select_multiple (GTK_FILE_CHOOSER (dialog)));
  {
    g_autoptr (GListModel) filters = gtk_file_chooser_get_filters (GTK_FILE_CHOOSER (dialog));
    g_autoptr (GtkFilter) filter = NULL;

    g_assert_cmpuint (g_list_model_get_n_items (filters), ==, 1);
    filter = g_list_model_get_item (filters, 0);
    /* Suffixes match in any case (Nihon Kohden writes .EDF). */
    g_assert_true (filter_accepts (filter, "night.edf", NULL));
    g_assert_true (filter_accepts (filter, "NIGHT.EDF", NULL));
    g_assert_true (filter_accepts (filter, "biosemi.bdf", NULL));
    g_assert_false (filter_accepts (filter, "notes.txt", "text/plain"));
  }
  g_signal_emit_by_name (dialog, "response", GTK_RESPONSE_CANCEL);
  bx_ui_spin (0.05);
  g_assert_cmpuint (bx_window_get_n_pages (window), ==, 0);

  /* A file chosen and accepted opens in a tab through the response handler. */
  dialog = bx_window_choose_files (window);
  g_assert_true (gtk_file_chooser_set_file (GTK_FILE_CHOOSER (dialog), file, NULL));
  g_assert_true (bx_ui_wait (chooser_has_files, dialog, 10));
  g_signal_emit_by_name (dialog, "response", GTK_RESPONSE_ACCEPT);
  bx_ui_spin (0.05);
  g_assert_cmpuint (bx_window_get_n_pages (window), ==, 1);
  g_assert_cmpstr (current_path (window), ==, path);
  bx_ui_spin (0.2);
  g_assert_true (focus_in_signal_view (window, bx_window_get_current_page (window)));

  gtk_window_destroy (GTK_WINDOW (window));
  bx_ui_spin (0.1);
  bx_test_tmpdir_remove (dir);
}

/* ---- a sleep technician's session on the demo night ---- */

static void
shoot (BxWindow *window, const char *name)
{
  bx_ui_spin (0.1);
  g_free (bx_ui_screenshot (GTK_WIDGET (window), name));
}

/* Every trace of the page just drawn is clipped (drawn flat) in at most
 * `max_share` of its columns. */
static void
assert_little_clipping (BxRecordingPage *page, const char *where, double max_share)
{
  BxSignalView *view = bx_recording_page_get_signal_view (page);

  g_autoptr (GdkTexture) texture = bx_ui_render (GTK_WIDGET (view));
  for (guint i = 0; i < bx_signal_view_get_n_traces (view); i++)
    {
      double clipped = bx_signal_view_get_trace_clipped (view, i);

      g_test_message ("%s: %s ±%g %s, %.2f%% clipped", where, bx_signal_view_get_trace_label (view, i),
                      bx_signal_view_get_trace_scale (view, i), bx_signal_view_get_trace_unit (view, i),
                      100 * clipped);
      if (clipped > max_share)
        g_error ("%s: %s is clipped in %.1f%% of the page at its default scale ±%g %s", where,
                 bx_signal_view_get_trace_label (view, i), 100 * clipped,
                 bx_signal_view_get_trace_scale (view, i), bx_signal_view_get_trace_unit (view, i));
    }
}

/* The demo night (or $BIOX_TECHNICIAN_EDF) paged, scored, zoomed and
 * filtered as a technician would, with screenshots at each step. */
static void
test_technician (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *path = NULL;
  const char *given = g_getenv ("BIOX_TECHNICIAN_EDF");
  g_autoptr (GError) error = NULL;
  BxWindow *window;
  BxRecordingPage *page;
  BxSignalView *view;
  BxHypnogramView *hypnogram;
  BxDocument *document;

  if (given != NULL)
    path = g_strdup (given);
  else
    {
      BxSimParams params;

      /* The demo's sleeper (seed 1) for its first two hours: W, N1-N3 and a REM period. */
      bx_sim_params_init (&params);
      params.hours = 2;
      path = g_build_filename (dir, "demo-night.edf", NULL);
      g_assert_true (bx_sim_night_write_edf (&params, path, NULL, &error));
      g_assert_no_error (error);
    }
  /* The window at its default size (1280 × 800), as the application opens it. */
  window = bx_window_new (GTK_APPLICATION (app));
  bx_ui_wait_for_window (GTK_WINDOW (window));
  page = open_in (window, path);
  view = bx_recording_page_get_signal_view (page);
  hypnogram = BX_HYPNOGRAM_VIEW (bx_recording_page_get_hypnogram_view (page));
  document = bx_recording_page_get_document (page);
  bx_recording_page_set_page_length (page, 30);
  shoot (window, "tech-01-open");
  /* Keys work right after opening, without a click into the traces. */
  g_assert_true (focus_in_signal_view (window, page));

  /* Default scales: wake (eye movements), N3 (slow waves), REM. */
  assert_little_clipping (page, "wake", 0.02);
  g_assert_true (bx_recording_page_go_to (page, "23:20", &error));
  g_assert_cmpint (bx_document_get_stage (document, bx_recording_page_get_current_epoch (page)), ==,
                   BX_STAGE_N3);
  shoot (window, "tech-02-n3");
  assert_little_clipping (page, "N3", 0.02);
  g_assert_true (bx_recording_page_go_to (page, "00:31", &error));
  g_assert_cmpint (bx_document_get_stage (document, bx_recording_page_get_current_epoch (page)), ==,
                   BX_STAGE_REM);
  shoot (window, "tech-03-rem");
  assert_little_clipping (page, "REM", 0.02);
  g_assert_no_error (error);

  /* An AASM scoring has no N4 row; an R&K "4" adds it, undo removes it. */
  g_assert_cmpuint (bx_hypnogram_view_get_n_rows (hypnogram), ==, 5);
  press (page, GDK_KEY_Home, 0);
  press (page, GDK_KEY_Page_Down, 0);
  press (page, GDK_KEY_Page_Down, 0);
  g_assert_cmpint (bx_recording_page_get_current_epoch (page), ==, 2);
  press (page, GDK_KEY_4, 0);
  g_assert_cmpuint (bx_hypnogram_view_get_n_rows (hypnogram), ==, 6);
  shoot (window, "tech-04-rk-stage-4");
  press (page, GDK_KEY_z, GDK_CONTROL_MASK);
  g_assert_cmpuint (bx_hypnogram_view_get_n_rows (hypnogram), ==, 5);
  press (page, GDK_KEY_2, 0);
  press (page, GDK_KEY_2, 0);
  g_assert_cmpint (bx_recording_page_get_current_epoch (page), ==, 4);
  g_assert_true (focus_in_signal_view (window, page));

  /* Amplitude in 1-2-5 steps: labels stay ±50 µV, not ±64 µV. */
  {
    double eeg = bx_signal_view_get_trace_scale (view, 0);

    bx_signal_view_step_scales (view, 1);
    g_assert_cmpfloat_with_epsilon (bx_signal_view_get_trace_scale (view, 0), eeg / 2, eeg * 1e-9);
    shoot (window, "tech-05-gain-up");
    bx_signal_view_step_scales (view, -1);
    g_assert_cmpfloat_with_epsilon (bx_signal_view_get_trace_scale (view, 0), eeg, eeg * 1e-9);
  }
  {
    BxDisplayFilter filter = { 0.3, 35, 50 };

    /* The corner above the labels says which filters are on, and only then. */
    for (int on = 1; on >= 0; on--)
      {
        g_autoptr (GdkTexture) texture = NULL;

        filter = on ? (BxDisplayFilter) { 0.3, 35, 50 } : (BxDisplayFilter) { 0, 0, 0 };
        bx_signal_view_set_filter (view, &filter);
        if (on)
          shoot (window, "tech-06-filters");
        texture = bx_ui_render (GTK_WIDGET (view));
        if (on)
          g_assert_cmpfloat (bx_ui_unlike_fraction (texture, 2, 12, 0, 0, 100, 23), >, 0.03);
        else
          g_assert_cmpfloat (bx_ui_unlike_fraction (texture, 2, 12, 0, 0, 100, 23), <, 0.001);
      }
  }
  bx_recording_page_set_page_length (page, 300);
  shoot (window, "tech-07-5min");
  {
    g_autoptr (GSettings) settings = g_settings_new (APP_ID);

    g_settings_set_string (settings, "style", "dark");
    bx_ui_spin (0.2);
    g_assert_true (adw_style_manager_get_dark (adw_style_manager_get_default ()));
    shoot (window, "tech-07b-5min-dark");
    g_settings_reset (settings, "style");
    bx_ui_spin (0.2);
  }
  bx_recording_page_set_page_length (page, 0);
  shoot (window, "tech-08-whole");
  /* The scoring band still shows the stages when an epoch is under a pixel wide. */
  {
    g_autoptr (GdkTexture) texture = bx_ui_render (GTK_WIDGET (view));
    int w = gtk_widget_get_width (GTK_WIDGET (view)), h = gtk_widget_get_height (GTK_WIDGET (view));

    /* Compared with the band's background left of the plot. */
    g_assert_cmpfloat (bx_ui_unlike_fraction (texture, 120, h - 9, 140, h - 14, w - 150, 10), >, 0.9);
  }

  gtk_window_destroy (GTK_WINDOW (window));
  bx_ui_spin (0.1);
  bx_test_tmpdir_remove (dir);
}

int
main (int argc, char *argv[])
{
  int status;

  bx_ui_test_isolate_user_dirs ();
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  app = bx_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_OPEN);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  /* Startup runs on register: plugins and actions are in place. */

  g_test_add_func ("/ui/templates", test_templates);
  g_test_add_func ("/ui/keyboard-scoring", test_keyboard_scoring);
  g_test_add_func ("/ui/view-settings", test_view_settings);
  g_test_add_func ("/ui/sim-night", test_sim_night_screenshots);
  g_test_add_func ("/ui/technician", test_technician);
  g_test_add_func ("/ui/window/drop-and-recent", test_drop_and_recent);
  g_test_add_func ("/ui/window/file-chooser", test_file_chooser);
  g_test_add_data_func ("/ui/corpus/edf-corpus", "edf-corpus/valid", test_corpus_folder);
  g_test_add_data_func ("/ui/corpus/dreams", "dreams", test_corpus_folder);
  g_test_add_func ("/ui/corpus/rk-hypnograms", test_rk_hypnograms);
  g_test_add_data_func ("/ui/corpus/eegmat-1", "eegmat#0/3", test_corpus_folder);
  g_test_add_data_func ("/ui/corpus/eegmat-2", "eegmat#1/3", test_corpus_folder);
  g_test_add_data_func ("/ui/corpus/eegmat-3", "eegmat#2/3", test_corpus_folder);
  g_test_add_func ("/ui/corpus/invalid", test_invalid_files);

  status = g_test_run ();
  g_object_unref (app);
  return status;
}
