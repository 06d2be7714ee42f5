/* bench-viewer.c — how fast the signal view draws a whole night.
 *
 * Writes (once, cached) a 20-channel, 8-hour, 256 Hz EDF+ (~295 MB) with
 * bx_edf_write, then measures under X (run with xvfb-run, GSK_RENDERER=cairo):
 *   - open-to-first-frame: bx_window_open_file() until the signal view of the
 *     first 30 s page has been snapshotted and rendered to a texture;
 *   - time until the overview pyramid of all channels is built;
 *   - median frame time (snapshot + render) at whole-night zoom and at a 30 s
 *     page, both for a repaint and for a page turn (new samples each frame).
 * Targets (issue 5): < 8 ms per frame, < 1 s to first frame.
 *
 *   xvfb-run -a env GSK_RENDERER=cairo GDK_BACKEND=x11 GSETTINGS_SCHEMA_DIR=<build>/data \
 *     GSETTINGS_BACKEND=memory <build>/tests/bench/viewer/bench-viewer [--dir DIR] [--frames N]
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <time.h>
#include <math.h>

#include "bx-application.h"
#include "bx-recording-page.h"
#include "bx-signal-view.h"
#include "bx-ui-test-util.h"
#include "bx-window.h"
#include "recording/bx-edf-writer.h"

#define N_CHANNELS 20
#define HOURS 8.0
#define RATE 256.0

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

/* CPU time of this thread: the machine may be shared, wall time then
 * includes waiting for a core. */
static double
cpu_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double last_cpu;
static double last_snapshot_cpu;   /* of which building the render node */

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static char *
ensure_night (const char *dir)
{
  char *path = g_build_filename (dir, "bench-20ch-8h-256Hz.edf", NULL);
  gint64 n = (gint64) (HOURS * 3600 * RATE);
  BxWriteChannel channels[N_CHANNELS] = { 0 };
  float *samples[N_CHANNELS];
  char labels[N_CHANNELS][17];
  g_autoptr (GDateTime) start = g_date_time_new_utc (2024, 1, 1, 22, 45, 0);
  BxWriteHeader header = { 0 };
  g_autoptr (GError) error = NULL;
  guint32 seed = 1;
  double t0;

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return path;
  g_print ("writing %s (%d channels × %.0f h × %.0f Hz) …\n", path, N_CHANNELS, HOURS, RATE);
  t0 = now ();
  for (int c = 0; c < N_CHANNELS; c++)
    {
      double f = 1.5 + c * 0.7;

      samples[c] = g_new (float, n);
      for (gint64 i = 0; i < n; i++)
        {
          double t = i / RATE;

          seed = seed * 1664525u + 1013904223u;   /* LCG noise: cheap, deterministic */
          samples[c][i] = (float) (30 * sin (2 * G_PI * f * t) + 15 * sin (2 * G_PI * 0.05 * t)
                                   + 10 * ((seed >> 8) / 16777216.0 - 0.5));
        }
      g_snprintf (labels[c], sizeof labels[c], "EEG Ch%02d", c + 1);
      channels[c].label = labels[c];
      channels[c].physical_dimension = "uV";
      channels[c].sample_rate = RATE;
      channels[c].physical_min = -200;
      channels[c].physical_max = 200;
      channels[c].samples = samples[c];
      channels[c].n_samples = n;
    }
  header.file_type = BX_FILE_EDFPLUS_C;
  header.start = start;
  header.record_duration = 1;
  if (!bx_edf_write (path, &header, channels, N_CHANNELS, NULL, &error))
    g_error ("cannot write %s: %s", path, error->message);
  for (int c = 0; c < N_CHANNELS; c++)
    g_free (samples[c]);
  g_print ("  written in %.1f s\n", now () - t0);
  return path;
}

static double
render_once (GtkWidget *view)
{
  double t0 = now ();
  g_autoptr (GdkTexture) texture = bx_ui_render (view);

  g_assert_nonnull (texture);
  return now () - t0;
}

/* Snapshot + render only, without the main-loop spin bx_ui_render does first. */
static double
frame (GtkWidget *view, GskRenderer *renderer)
{
  int w = gtk_widget_get_width (view), h = gtk_widget_get_height (view);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  GskRenderNode *node;
  GdkTexture *texture;
  double t0 = now (), c0 = cpu_now ();

  GTK_WIDGET_GET_CLASS (view)->snapshot (view, snapshot);
  node = gtk_snapshot_free_to_node (snapshot);
  last_snapshot_cpu = cpu_now () - c0;
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  gsk_render_node_unref (node);
  g_object_unref (texture);
  last_cpu = cpu_now () - c0;
  return now () - t0;
}

static double median_cpu;

static double
median_frame (BxRecordingPage *page, double page_length, gboolean turn, int n_frames)
{
  g_autoptr (GArray) cpu = g_array_new (FALSE, FALSE, sizeof (double));
  BxSignalView *view = bx_recording_page_get_signal_view (page);
  GskRenderer *renderer = gtk_native_get_renderer (gtk_widget_get_native (GTK_WIDGET (view)));
  g_autoptr (GArray) times = g_array_new (FALSE, FALSE, sizeof (double));

  bx_recording_page_set_page_length (page, page_length);
  bx_recording_page_set_current_epoch (page, 100);
  bx_ui_spin (0.05);
  frame (GTK_WIDGET (view), renderer);   /* warm caches */
  for (int i = 0; i < n_frames; i++)
    {
      double t;

      if (turn)
        bx_recording_page_turn_pages (page, 1);
      t = frame (GTK_WIDGET (view), renderer);
      g_array_append_val (times, t);
      g_array_append_val (cpu, last_cpu);
    }
  g_array_sort (times, compare_double);
  g_array_sort (cpu, compare_double);
  median_cpu = g_array_index (cpu, double, cpu->len / 2);
  return g_array_index (times, double, times->len / 2);
}

static gboolean
overview_ready (gpointer data)
{
  return bx_signal_view_get_overview_ready (BX_SIGNAL_VIEW (data));
}

int
main (int argc, char *argv[])
{
  g_autofree char *dir = NULL;
  int n_frames = 31;
  double profile_page = -1;
  GOptionEntry entries[] = {
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Folder for the generated EDF (default: the user cache)", "DIR" },
    { "frames", 0, 0, G_OPTION_ARG_INT, &n_frames, "Frames per measurement (default 31)", "N" },
    { "profile", 0, 0, G_OPTION_ARG_DOUBLE, &profile_page, "Only repaint pages of this length (for perf)", "SECONDS" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("— signal view benchmark");
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr (BxApplication) app = NULL;
  g_autoptr (GFile) file = NULL;
  BxWindow *window;
  BxRecordingPage *page;
  GtkWidget *view;
  double t0, first_frame, overview, sizes, open_only;
  struct stat st;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);
  if (dir == NULL)
    dir = g_build_filename (g_get_user_cache_dir (), "bioxbridge", "bench", NULL);
  g_mkdir_with_parents (dir, 0755);
  path = ensure_night (dir);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  sizes = st.st_size / 1e6;

  gtk_init ();
  adw_init ();
  app = bx_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  window = bx_window_new (GTK_APPLICATION (app));
  gtk_window_set_default_size (GTK_WINDOW (window), 1600, 1000);
  bx_ui_wait_for_window (GTK_WINDOW (window));

  /* The recording module's share: bx_recording_open() alone (EDFlib reads the
   * header and scans the annotation signal of every data record). */
  {
    g_autoptr (BxRecording) rec = NULL;

    t0 = now ();
    rec = bx_recording_open (path, &error);
    g_assert_no_error (error);
    open_only = now () - t0;
  }

  /* Open to first frame: header, document, page, first 30 s page read and drawn. */
  file = g_file_new_for_path (path);
  t0 = now ();
  page = bx_window_open_file (window, file, &error);
  g_assert_no_error (error);
  view = GTK_WIDGET (bx_recording_page_get_signal_view (page));
  render_once (view);
  first_frame = now () - t0;
  g_assert_true (bx_ui_wait (overview_ready, view, 300));
  overview = now () - t0;

  if (profile_page >= 0)
    {
      g_print ("profiling: %d repaints of %.0f s pages\n", n_frames, profile_page);
      median_frame (page, profile_page, FALSE, n_frames);
      g_print ("median CPU %.2f ms (last frame: %.2f ms building the node)\n", 1e3 * median_cpu,
               1e3 * last_snapshot_cpu);
      gtk_window_destroy (GTK_WINDOW (window));
      return 0;
    }
  g_print ("recording: %s (%.0f MB, %d channels × %.0f h × %.0f Hz), view %d × %d px\n", path, sizes, N_CHANNELS,
           HOURS, RATE, gtk_widget_get_width (view), gtk_widget_get_height (view));
  g_print ("open to first frame (30 s page):        %7.1f ms   (target < 1000 ms)\n", 1e3 * first_frame);
  g_print ("  of which bx_recording_open() alone:    %7.1f ms\n", 1e3 * open_only);
  g_print ("overview pyramid of all channels ready: %7.1f ms   (%u worker threads)\n", 1e3 * overview,
           g_get_num_processors ());
  {
    static const struct {
      const char *what;
      double length;
      gboolean turn;
    } cases[] = {
      { "whole night, repaint ", 0, FALSE },
      { "whole night, + scroll", 0, TRUE },
      { "30 s page, repaint   ", 30, FALSE },
      { "30 s page, page turn ", 30, TRUE },
      { "5 min page, page turn", 300, TRUE },
    };

    g_print ("median frame time (snapshot + cairo render), target < 8 ms:\n");
    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        double wall = median_frame (page, cases[i].length, cases[i].turn, n_frames);

        g_print ("  %s  wall %7.2f ms   CPU %7.2f ms\n", cases[i].what, 1e3 * wall, 1e3 * median_cpu);
      }
    g_print ("(page turn = the next page each frame, reading its samples; load average on this machine: see uptime)\n");
  }
  g_free (bx_ui_screenshot (GTK_WIDGET (window), "bench-30s"));
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
