/* test-charts.c — the plugin's chart widgets: bar chart (marking by click and
 * keys), loss plot (20 000 points, decimation keeps spikes), confusion view.
 * Screenshots go to <build>/tests/ui/screenshots/charts-*.png. */
#include "config.h"

#include <adwaita.h>
#include <math.h>

#include "bx-bar-chart.h"
#include "bx-confusion-view.h"
#include "bx-loss-plot.h"
#include "bx-ui-test-util.h"

/* A window holding just `child` at width × height, at the window's origin:
 * screenshots and pixels come from the window (the chart over the theme's
 * background) in the chart's coordinates. */
static GtkWindow *
show_alone (GtkWidget *child, int width, int height)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  graphene_rect_t bounds;

  gtk_window_set_decorated (window, FALSE);
  gtk_window_set_default_size (window, width, height);
  gtk_window_set_child (window, child);
  bx_ui_wait_for_window (window);
  g_assert_true (gtk_widget_compute_bounds (child, GTK_WIDGET (window), &bounds));
  g_assert_cmpfloat (bounds.origin.x, ==, 0);
  g_assert_cmpfloat (bounds.origin.y, ==, 0);
  return window;
}

static char *
screenshot (GtkWindow *window, const char *name)
{
  return bx_ui_screenshot (GTK_WIDGET (window), name);
}

static GdkTexture *
render (GtkWindow *window)
{
  return bx_ui_render (GTK_WIDGET (window));
}

/* The pixel at (x, y) as 0..255 red, green, blue. */
static void
pixel_at (GdkTexture *texture, int x, int y, int rgb[3])
{
  int tw = gdk_texture_get_width (texture), th = gdk_texture_get_height (texture);
  gsize stride = (gsize) tw * 4;
  g_autofree guchar *pixels = g_malloc (stride * th);
  guint32 p;

  g_assert_true (x >= 0 && x < tw && y >= 0 && y < th);
  gdk_texture_download (texture, pixels, stride);
  p = *(guint32 *) (pixels + y * stride + x * 4);   /* CAIRO_FORMAT_ARGB32, premultiplied */
  rgb[0] = (p >> 16) & 0xff;
  rgb[1] = (p >> 8) & 0xff;
  rgb[2] = p & 0xff;
}

/* Clearly the accent blue (#3584e4 at some alpha over a light background). */
static gboolean
is_bluish (const int rgb[3])
{
  return rgb[2] > rgb[0] + 40;
}

/* ---- BxBarChart ---- */

typedef struct
{
  int count, last;
} Activations;

static void
on_bar_activated (BxBarChart *chart, int index, gpointer user_data)
{
  Activations *a = user_data;

  a->count++;
  a->last = index;
}

/* What the click gesture would get from a button press at (x, y). */
static void
click_at (GtkWidget *widget, double x, double y)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_CLICK (controller))
        {
          g_signal_emit_by_name (controller, "pressed", 1, x, y);
          return;
        }
    }
  g_assert_not_reached ();
}

static void
test_bar_chart_marking (void)
{
  GtkWidget *widget = bx_bar_chart_new ();
  BxBarChart *chart = BX_BAR_CHART (widget);
  double values[13];
  Activations act = { 0, -1 };
  static const int clicked[] = { 0, 5, 12 };
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  GtkWindow *window;
  double slot;
  int rgb[3], h;

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    values[i] = 0.2 + 0.05 * i;
  values[3] = NAN;
  bx_bar_chart_set_title (chart, "Position score (CKA)");
  bx_bar_chart_set_values (chart, values, G_N_ELEMENTS (values));
  bx_bar_chart_set_suggested (chart, 9);
  g_signal_connect (chart, "bar-activated", G_CALLBACK (on_bar_activated), &act);
  window = show_alone (widget, 320, 150);
  g_assert_cmpint (gtk_widget_get_width (widget), ==, 320);
  h = gtk_widget_get_height (widget);
  g_assert_cmpint (bx_bar_chart_get_marked (chart), ==, -1);

  /* Clicks anywhere across a bar's slot mark it and tell the listener. */
  slot = bx_bar_chart_get_bar_center (chart, 1) - bx_bar_chart_get_bar_center (chart, 0);
  g_assert_cmpfloat (slot, >, 10);
  for (guint k = 0; k < G_N_ELEMENTS (clicked); k++)
    {
      double x = bx_bar_chart_get_bar_center (chart, clicked[k]);

      g_assert_cmpint (bx_bar_chart_index_at_x (chart, x - 0.45 * slot), ==, clicked[k]);
      g_assert_cmpint (bx_bar_chart_index_at_x (chart, x + 0.45 * slot), ==, clicked[k]);
      click_at (widget, x, h / 2.0);
      g_assert_cmpint (bx_bar_chart_get_marked (chart), ==, clicked[k]);
      g_assert_cmpint (act.count, ==, (int) k + 1);
      g_assert_cmpint (act.last, ==, clicked[k]);
    }
  /* Tooltips name the bar under the pointer, none outside the plot. */
  {
    GtkTooltip *tooltip = g_object_new (GTK_TYPE_TOOLTIP, NULL);
    gboolean shown = FALSE;

    g_signal_emit_by_name (widget, "query-tooltip", (int) bx_bar_chart_get_bar_center (chart, 9), h / 2, FALSE,
                           tooltip, &shown);
    g_assert_true (shown);
    g_signal_emit_by_name (widget, "query-tooltip", 2, h / 2, FALSE, tooltip, &shown);
    g_assert_false (shown);
    g_object_unref (tooltip);
  }

  /* Outside the plot (the y labels, the right margin): nothing. */
  g_assert_cmpint (bx_bar_chart_index_at_x (chart, 2), ==, -1);
  g_assert_cmpint (bx_bar_chart_index_at_x (chart, 319), ==, -1);
  click_at (widget, 2, h / 2.0);
  g_assert_cmpint (bx_bar_chart_get_marked (chart), ==, 12);
  g_assert_cmpint (act.count, ==, 3);
  /* A not-computed layer can be chosen too. */
  click_at (widget, bx_bar_chart_get_bar_center (chart, 3), h / 2.0);
  g_assert_cmpint (bx_bar_chart_get_marked (chart), ==, 3);
  g_assert_cmpint (act.count, ==, 4);

  /* The program's set_marked does not look like a user's choice. */
  bx_bar_chart_set_marked (chart, 5);
  g_assert_cmpint (act.count, ==, 4);

  /* Keys: Left/Right step, Home/End jump, the ends hold. */
  g_assert_true (gtk_widget_get_focusable (widget));
  g_assert_true (bx_ui_press_key (widget, GDK_KEY_Right, 0));
  g_assert_cmpint (bx_bar_chart_get_marked (chart), ==, 6);
  g_assert_cmpint (act.count, ==, 5);
  g_assert_cmpint (act.last, ==, 6);
  g_assert_true (bx_ui_press_key (widget, GDK_KEY_Left, 0));
  g_assert_true (bx_ui_press_key (widget, GDK_KEY_Left, 0));
  g_assert_cmpint (bx_bar_chart_get_marked (chart), ==, 4);
  g_assert_cmpint (act.last, ==, 4);
  g_assert_true (bx_ui_press_key (widget, GDK_KEY_Home, 0));
  g_assert_cmpint (bx_bar_chart_get_marked (chart), ==, 0);
  g_assert_cmpint (act.count, ==, 8);
  g_assert_true (bx_ui_press_key (widget, GDK_KEY_Left, 0));
  g_assert_cmpint (bx_bar_chart_get_marked (chart), ==, 0);
  g_assert_cmpint (act.count, ==, 8);
  g_assert_true (bx_ui_press_key (widget, GDK_KEY_End, 0));
  g_assert_cmpint (bx_bar_chart_get_marked (chart), ==, 12);
  g_assert_true (bx_ui_press_key (widget, GDK_KEY_Right, 0));
  g_assert_cmpint (bx_bar_chart_get_marked (chart), ==, 12);
  g_assert_cmpint (act.count, ==, 9);
  /* Nothing marked: the first arrow marks the search's choice. */
  bx_bar_chart_set_marked (chart, -1);
  g_assert_true (bx_ui_press_key (widget, GDK_KEY_Right, 0));
  g_assert_cmpint (bx_bar_chart_get_marked (chart), ==, 9);
  g_assert_cmpint (act.last, ==, 9);

  /* The accessible label follows the title and the marked value. */
  bx_bar_chart_set_marked (chart, 7);
  gtk_test_accessible_assert_role (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_ROLE_IMG);
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Position score (CKA), 13 layers, marked layer 7: 0.550");

  /* Marked 7 (an override of the suggested 9): the marked bar is accent blue
   * near its foot, an ordinary bar is grey, the empty slot of layer 3 is
   * background half-way up. */
  path = screenshot (window, "charts-bar-chart");
  texture = render (window);
  pixel_at (texture, (int) bx_bar_chart_get_bar_center (chart, 7), h - 20, rgb);
  g_assert_true (is_bluish (rgb));
  pixel_at (texture, (int) bx_bar_chart_get_bar_center (chart, 5), h - 20, rgb);
  g_assert_false (is_bluish (rgb));
  g_assert_cmpint (abs (rgb[0] - rgb[2]), <, 20);
  pixel_at (texture, (int) bx_bar_chart_get_bar_center (chart, 2), h - 20, rgb);
  g_assert_cmpint (rgb[0], <, 200);   /* a bar */
  pixel_at (texture, (int) bx_bar_chart_get_bar_center (chart, 3), h - 20, rgb);
  g_assert_cmpint (rgb[0], >, 200);   /* an empty slot */
  /* The suggested bar's outline: blue just outside its left edge at mid-bar. */
  {
    gboolean outlined = FALSE;
    int cx = (int) bx_bar_chart_get_bar_center (chart, 9);

    for (int x = cx - (int) slot / 2; x < cx; x++)
      {
        pixel_at (texture, x, h - 25, rgb);
        outlined |= is_bluish (rgb);
      }
    g_assert_true (outlined);
  }

  /* The same in the dark style: the theme's light foreground. */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  bx_ui_spin (0.2);
  g_free (screenshot (window, "charts-bar-chart-dark"));
  g_clear_object (&texture);
  texture = render (window);
  pixel_at (texture, (int) bx_bar_chart_get_bar_center (chart, 5), h - 20, rgb);
  g_assert_cmpint (rgb[0], >, 70);   /* a light grey bar on the dark background */
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  bx_ui_spin (0.2);

  /* Keyboard focus shows as an accent frame round the chart. */
  gtk_window_set_focus_visible (window, TRUE);
  gtk_widget_grab_focus (widget);
  bx_ui_spin (0.1);
  g_free (screenshot (window, "charts-bar-chart-focus"));
  g_clear_object (&texture);
  texture = render (window);
  pixel_at (texture, 1, h / 2, rgb);
  g_assert_cmpint (gtk_widget_has_visible_focus (widget), ==, is_bluish (rgb));
  g_test_message ("focus ring %s", gtk_widget_has_visible_focus (widget) ? "drawn" : "not tested (no active window)");

  /* The natural size asked for: about 300 × 140. */
  {
    int min, nat;

    gtk_widget_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
    g_assert_cmpint (nat, ==, 300);
    g_assert_cmpint (min, <=, 150);
    gtk_widget_measure (widget, GTK_ORIENTATION_VERTICAL, -1, &min, &nat, NULL, NULL);
    g_assert_cmpint (nat, ==, 140);
    g_assert_true (gtk_widget_get_hexpand (widget));
  }

  gtk_window_destroy (window);
}

static void
test_bar_chart_edge_cases (void)
{
  GtkWidget *widget = bx_bar_chart_new ();
  BxBarChart *chart = BX_BAR_CHART (widget);
  double many[64], odd[4] = { -0.5, 1.5, NAN, INFINITY };
  double all_nan[8];
  GtkWindow *window = show_alone (widget, 300, 140);
  g_autoptr (GdkTexture) texture = NULL;

  /* Nothing, then one bar, then only NaN: renders, nothing to click. */
  texture = render (window);
  g_assert_nonnull (texture);
  g_assert_cmpint (bx_bar_chart_index_at_x (chart, 150), ==, -1);
  bx_ui_press_key (widget, GDK_KEY_Right, 0);   /* declined: travels on to the window's focus keys */
  g_assert_cmpint (bx_bar_chart_get_marked (chart), ==, -1);
  g_clear_object (&texture);

  bx_bar_chart_set_values (chart, odd, 1);
  g_assert_cmpint (bx_bar_chart_index_at_x (chart, 150), ==, 0);
  g_assert_true (bx_ui_press_key (widget, GDK_KEY_Right, 0));
  g_assert_cmpint (bx_bar_chart_get_marked (chart), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (all_nan); i++)
    all_nan[i] = NAN;
  bx_bar_chart_set_values (chart, all_nan, G_N_ELEMENTS (all_nan));
  bx_bar_chart_set_marked (chart, 7);
  bx_bar_chart_set_suggested (chart, 2);
  g_free (screenshot (window, "charts-bar-chart-nan"));

  /* Out-of-range values are clamped when drawn. */
  bx_bar_chart_set_values (chart, odd, G_N_ELEMENTS (odd));
  g_assert_cmpint (bx_bar_chart_get_marked (chart), ==, -1);   /* 7 is gone */
  g_assert_cmpint (bx_bar_chart_get_suggested (chart), ==, 2);
  bx_bar_chart_set_marked (chart, 1);
  texture = render (window);
  g_assert_nonnull (texture);
  g_clear_object (&texture);

  /* 64 layers in 300 px: thinned labels, every bar still clickable. */
  for (guint i = 0; i < G_N_ELEMENTS (many); i++)
    many[i] = 0.5 + 0.45 * sin (i / 6.0);
  bx_bar_chart_set_title (chart, "A long title for a chart of sixty-four layers of a large encoder");
  bx_bar_chart_set_values (chart, many, G_N_ELEMENTS (many));
  bx_bar_chart_set_suggested (chart, 40);
  bx_bar_chart_set_marked (chart, 40);
  for (guint i = 0; i < G_N_ELEMENTS (many); i++)
    g_assert_cmpint (bx_bar_chart_index_at_x (chart, bx_bar_chart_get_bar_center (chart, i)), ==, (int) i);
  g_free (screenshot (window, "charts-bar-chart-64"));

  gtk_window_destroy (window);
}

/* ---- BxLossPlot ---- */

static void
test_loss_plot (void)
{
  GtkWidget *widget = bx_loss_plot_new ();
  BxLossPlot *plot = BX_LOSS_PLOT (widget);
  GtkWindow *window = show_alone (widget, 300, 140);
  g_autoptr (GdkTexture) texture = NULL;
  const guint n = 20000, spike = 12000;
  gint64 t0;
  double snapshot_ms, render_ms;
  int width = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  gboolean spike_drawn = FALSE;

  /* 0 points, 1 point, NaN between finite ones: renders. */
  g_free (screenshot (window, "charts-loss-plot-empty"));
  g_assert_cmpuint (bx_loss_plot_get_n_drawn_vertices (plot), ==, 0);
  bx_loss_plot_append (plot, 0, 2.3);
  texture = render (window);
  g_assert_cmpuint (bx_loss_plot_get_n_drawn_vertices (plot), ==, 1);
  g_clear_object (&texture);
  bx_loss_plot_append (plot, 1, NAN);
  bx_loss_plot_append (plot, 2, 2.1);
  bx_loss_plot_append (plot, 3, INFINITY);
  texture = render (window);
  g_assert_cmpuint (bx_loss_plot_get_n_drawn_vertices (plot), ==, 2);   /* two isolated points */
  g_clear_object (&texture);
  bx_loss_plot_clear (plot);
  g_assert_cmpuint (bx_loss_plot_get_n_points (plot), ==, 0);
  bx_loss_plot_append (plot, 0, NAN);
  g_free (screenshot (window, "charts-loss-plot-nan"));
  g_assert_cmpuint (bx_loss_plot_get_n_drawn_vertices (plot), ==, 0);
  bx_loss_plot_clear (plot);

  /* A short run, fewer points than pixels: a plain polyline. */
  for (guint i = 0; i < 40; i++)
    bx_loss_plot_append (plot, 25.0 * i, 0.4 + 1.3 * exp (-(double) i / 8) + 0.05 * sin (i * 1.3));
  g_free (screenshot (window, "charts-loss-plot-short"));
  g_assert_cmpuint (bx_loss_plot_get_n_drawn_vertices (plot), ==, 40);
  bx_loss_plot_clear (plot);

  /* A 20 000-step run: a decaying noisy loss with one spike. */
  for (guint i = 0; i < n; i++)
    {
      double loss = 0.3 + 1.9 * exp (-(double) i / 2500) + 0.04 * sin (i * 0.7) * sin (i * 0.013);

      bx_loss_plot_append (plot, i, i == spike ? 3.0 : loss);
    }
  g_assert_cmpuint (bx_loss_plot_get_n_points (plot), ==, n);

  {
    GtkSnapshot *snapshot = gtk_snapshot_new ();
    GskRenderNode *node;

    /* The widget's own snapshot (the paintable would reuse GTK's cached node). */
    bx_ui_spin (0.05);
    t0 = g_get_monotonic_time ();
    GTK_WIDGET_GET_CLASS (widget)->snapshot (widget, snapshot);
    node = gtk_snapshot_free_to_node (snapshot);
    snapshot_ms = (g_get_monotonic_time () - t0) / 1000.0;
    g_assert_nonnull (node);
    t0 = g_get_monotonic_time ();
    texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)), node,
                                           &GRAPHENE_RECT_INIT (0, 0, width, h));
    render_ms = (g_get_monotonic_time () - t0) / 1000.0;
    gsk_render_node_unref (node);
  }
  g_test_message ("loss plot, %u points, %d px wide: snapshot %.2f ms, render %.2f ms, %u vertices drawn", n, width,
                  snapshot_ms, render_ms, bx_loss_plot_get_n_drawn_vertices (plot));
  /* Decimated: at most four vertices per pixel column, not one per step. */
  g_assert_cmpuint (bx_loss_plot_get_n_drawn_vertices (plot), <=, 4 * (guint) width);
  g_assert_cmpuint (bx_loss_plot_get_n_drawn_vertices (plot), >=, 100);
  /* Generous: a 4-vertex-per-column path is a few ms even under the sanitizers. */
  g_assert_cmpfloat (snapshot_ms + render_ms, <, 250);

  /* The spike survives decimation: blue ink in its column near the plot's top. */
  {
    int x_spike = 0;
    int rgb[3];

    /* The plot spans the width minus the y labels; find the spike's column
     * as the one whose top rows have blue in them. */
    for (int x = 0; x < width && !spike_drawn; x++)
      for (int y = 20; y < 34 && !spike_drawn; y++)
        {
          pixel_at (texture, x, y, rgb);
          if (is_bluish (rgb) && x > width / 2)
            spike_drawn = TRUE, x_spike = x;
        }
    g_assert_true (spike_drawn);
    /* steps 0..19999 across the plot: 12 000 is about 60 % of the way. */
    g_assert_cmpint (x_spike, >, width * 0.5);
    g_assert_cmpint (x_spike, <, width * 0.75);
  }
  g_free (screenshot (window, "charts-loss-plot"));
  gtk_test_accessible_assert_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       "Training loss, 20000 steps, loss 0.3105");

  gtk_window_destroy (window);
}

/* ---- BxConfusionView ---- */

static void
test_confusion_view (void)
{
  static const char *const names[] = { "Wake", "N1", "N2", "N3", "REM" };
  /* Rows = truth: a typical sleep-staging result (N1 poor, N3 good). */
  static const guint counts[25] = {
    412, 31, 12, 0, 9,
    40, 58, 61, 0, 27,
    15, 22, 903, 48, 18,
    1, 0, 66, 301, 0,
    9, 19, 25, 0, 388,
  };
  guint twelve[144] = { 0 };
  GtkWidget *widget = bx_confusion_view_new ();
  BxConfusionView *view = BX_CONFUSION_VIEW (widget);
  GtkWindow *window;
  g_autoptr (GdkTexture) texture = NULL;
  graphene_rect_t diag, empty, last;
  int rgb_diag[3], rgb_empty[3], rgb_weak[3];

  bx_confusion_view_set_matrix (view, counts, 5, names);
  window = show_alone (widget, 300, 280);
  g_assert_cmpuint (bx_confusion_view_get_n_classes (view), ==, 5);

  /* Readable at 5 × 5 in 300 px: cells of 36 px or more, all inside. */
  g_assert_true (bx_confusion_view_get_cell_rect (view, 0, 0, &diag));
  g_assert_true (bx_confusion_view_get_cell_rect (view, 0, 3, &empty));
  g_assert_true (bx_confusion_view_get_cell_rect (view, 4, 4, &last));
  g_assert_false (bx_confusion_view_get_cell_rect (view, 5, 0, &last));
  g_assert_true (bx_confusion_view_get_cell_rect (view, 4, 4, &last));
  g_assert_cmpfloat (diag.size.width, >=, 36);
  g_assert_cmpfloat (diag.origin.x, >=, 40);   /* room for the row names */
  g_assert_cmpfloat (last.origin.x + last.size.width, <=, gtk_widget_get_width (widget));
  g_assert_cmpfloat (last.origin.y + last.size.height, <=, gtk_widget_get_height (widget));

  /* Shading by row fraction: Wake→Wake (412/464) dark blue, Wake→N3 (0)
   * background, N1→N1 (58/186) a light blue. Sampled at the cell's corner,
   * clear of the count. */
  g_free (screenshot (window, "charts-confusion"));
  texture = render (window);
  pixel_at (texture, diag.origin.x + 4, diag.origin.y + 4, rgb_diag);
  pixel_at (texture, empty.origin.x + 4, empty.origin.y + 4, rgb_empty);
  g_assert_true (bx_confusion_view_get_cell_rect (view, 1, 1, &diag));
  pixel_at (texture, diag.origin.x + 4, diag.origin.y + 4, rgb_weak);
  g_assert_true (is_bluish (rgb_diag));
  g_assert_false (is_bluish (rgb_empty));
  g_assert_true (is_bluish (rgb_weak));
  g_assert_cmpint (rgb_diag[0], <, rgb_weak[0] - 60);   /* darker */
  g_assert_cmpint (rgb_weak[0], <, rgb_empty[0] - 30);
  {
    /* (Through a variable: the macro pastes its argument into a format string.) */
    const char *label = "Confusion matrix, 5 classes, 2465 samples, 83.7 % agree";

    gtk_test_accessible_assert_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, label);
  }

  /* No names, 2 classes; a class never seen (an all-zero row); 12 classes
   * with long names in 300 px; none: all render. */
  bx_confusion_view_set_matrix (view, (const guint[]) { 5, 1, 0, 0 }, 2, NULL);
  g_free (screenshot (window, "charts-confusion-2"));
  for (guint i = 0; i < 12; i++)
    twelve[i * 12 + i] = 10 * i, twelve[i * 12 + (i + 1) % 12] = 3;
  bx_confusion_view_set_matrix (view, twelve, 12,
                                (const char *const[]) { "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta",
                                                        "theta", "iota", "kappa", "lambda", "a very long class name" });
  g_free (screenshot (window, "charts-confusion-12"));
  bx_confusion_view_set_matrix (view, NULL, 0, NULL);
  g_clear_object (&texture);
  texture = render (window);
  g_assert_nonnull (texture);
  g_assert_false (bx_confusion_view_get_cell_rect (view, 0, 0, &diag));

  gtk_window_destroy (window);
}

int
main (int argc, char *argv[])
{
  /* Own isolation: GLib 2.74 leaks in G_TEST_OPTION_ISOLATE_DIRS, which LeakSanitizer reports. */
  bx_ui_test_isolate_user_dirs ();
  g_test_init (&argc, &argv, NULL);
  /* The in-process test backend keeps the accessible properties to check
   * (the UI tests' environment says "none"). */
  g_setenv ("GTK_A11Y", "test", TRUE);
  gtk_init ();
  adw_init ();
  g_test_add_func ("/charts/bar-chart/marking", test_bar_chart_marking);
  g_test_add_func ("/charts/bar-chart/edge-cases", test_bar_chart_edge_cases);
  g_test_add_func ("/charts/loss-plot", test_loss_plot);
  g_test_add_func ("/charts/confusion-view", test_confusion_view);
  return g_test_run ();
}
