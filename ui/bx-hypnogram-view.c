/* bx-hypnogram-view.c — whole-night hypnogram strip. */
#include "config.h"

#include "bx-hypnogram-view.h"

#include <glib/gi18n.h>
#include <math.h>

#include "bx-overlay-track.h"
#include "bx-stage-style.h"

#define LABEL_WIDTH 132
#define RIGHT_MARGIN 8
#define TRACK_ROW 14
#define AXIS_HEIGHT 14

struct _BxHypnogramView
{
  GtkWidget parent_instance;

  double duration;
  GDateTime *start;
  const BxHypnogram *scoring;
  GListModel *tracks;
  double page_start, page_length;
  int epoch;
  double epoch_length;
};

G_DEFINE_FINAL_TYPE (BxHypnogramView, bx_hypnogram_view, GTK_TYPE_WIDGET)

enum {
  EPOCH_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static guint
n_visible_tracks (BxHypnogramView *self)
{
  guint n = 0;

  if (self->tracks == NULL)
    return 0;
  for (guint i = 0; i < g_list_model_get_n_items (self->tracks); i++)
    {
      g_autoptr (BxOverlayTrack) track = g_list_model_get_item (self->tracks, i);

      n += bx_overlay_track_get_visible (track);
    }
  return n;
}

/* Whether an N4 epoch of `h` lies in the strip's time span (a track may run
 * on past the end of the recording, where nothing is drawn). */
static gboolean
labels_use_n4 (const BxHypnogram *h, double duration)
{
  for (guint e = 0; h != NULL && e < h->n_epochs && h->start + e * h->epoch_length < duration; e++)
    if (h->stages[e] == BX_STAGE_N4)
      return TRUE;
  return FALSE;
}

/* W, R, N1, N2, N3, and N4 only when the scoring or a shown track holds it:
 * AASM has no N4, and an empty row would suggest a stage nobody scored; an
 * R&K scoring with S4 epochs (Sleep-EDF) gets the row. One pass over ~1000
 * epochs per track: cheap enough for every frame. */
guint
bx_hypnogram_view_get_n_rows (BxHypnogramView *self)
{
  gboolean n4 = labels_use_n4 (self->scoring, self->duration);

  if (self->tracks != NULL)
    for (guint i = 0; !n4 && i < g_list_model_get_n_items (self->tracks); i++)
      {
        g_autoptr (BxOverlayTrack) track = g_list_model_get_item (self->tracks, i);

        n4 = bx_overlay_track_get_visible (track)
             && labels_use_n4 (bx_overlay_track_get_labels (track), self->duration);
      }
  return n4 ? BX_STAGE_N_ROWS : BX_STAGE_N_ROWS - 1;
}

static void
set_source (cairo_t *cr, const GdkRGBA *c, double alpha)
{
  cairo_set_source_rgba (cr, c->red, c->green, c->blue, c->alpha * alpha);
}

static void
show_text (cairo_t *cr, PangoLayout *layout, const char *text, double x, double y, gboolean right)
{
  int tw, th;

  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &tw, &th);
  cairo_move_to (cr, right ? x - tw : x, y - th / 2.0);
  pango_cairo_show_layout (cr, layout);
}

static void
bx_hypnogram_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  BxHypnogramView *self = BX_HYPNOGRAM_VIEW (widget);
  double w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  double x0 = LABEL_WIDTH, x1 = w - RIGHT_MARGIN, plot_w = x1 - x0;
  guint n_tracks = n_visible_tracks (self);
  double y_plot0 = 4, y_plot1 = h - AXIS_HEIGHT - n_tracks * TRACK_ROW - 2;
  guint n_rows = bx_hypnogram_view_get_n_rows (self);
  double row_h = (y_plot1 - y_plot0) / n_rows;
  static const int rows[BX_STAGE_N_ROWS] = { BX_STAGE_WAKE, BX_STAGE_REM, BX_STAGE_N1, BX_STAGE_N2, BX_STAGE_N3,
                                             BX_STAGE_N4 };
  GdkRGBA fg;
  cairo_t *cr;
  g_autoptr (PangoLayout) layout = NULL;
  PangoFontDescription *font;

  if (self->duration <= 0 || plot_w < 10 || row_h < 2)
    return;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  layout = gtk_widget_create_pango_layout (widget, NULL);
  font = pango_font_description_from_string ("Sans 7.5");
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  cairo_set_line_width (cr, 1);

#define X(t) (x0 + (t) / self->duration * plot_w)

  /* Stage rows with their names. */
  for (guint r = 0; r < n_rows; r++)
    {
      double y = y_plot0 + (r + 0.5) * row_h;

      set_source (cr, &fg, 0.08);
      cairo_move_to (cr, x0, round (y) + 0.5);
      cairo_line_to (cr, x1, round (y) + 0.5);
      cairo_stroke (cr);
      set_source (cr, &fg, 0.7);
      show_text (cr, layout, bx_stage_short_name (rows[r]), x0 - 6, y, TRUE);
    }
  set_source (cr, &fg, 0.7);
  show_text (cr, layout, _("Hypnogram"), 10, y_plot0 + row_h, FALSE);

  /* Scoring step plot. */
  if (self->scoring != NULL)
    {
      const BxHypnogram *s = self->scoring;
      gboolean have_prev = FALSE;
      double prev_y = 0;

      cairo_set_line_width (cr, 1.5);
      set_source (cr, &fg, 0.85);
      for (guint e = 0; e < s->n_epochs; e++)
        {
          int row = bx_stage_get_row (s->stages[e]);   /* N4 only occurs when it has its row */
          double xa = X (s->start + e * s->epoch_length), xb = X (s->start + (e + 1) * s->epoch_length);
          double y;

          if (row < 0)
            {
              if (have_prev)
                cairo_stroke (cr);
              have_prev = FALSE;
              continue;
            }
          y = y_plot0 + (row + 0.5) * row_h;
          if (!have_prev)
            cairo_move_to (cr, xa, y);
          else if (y != prev_y)
            cairo_line_to (cr, xa, y);
          cairo_line_to (cr, MIN (xb, x1), y);
          prev_y = y;
          have_prev = TRUE;
        }
      if (have_prev)
        cairo_stroke (cr);
      /* REM as a thick red bar, as on paper. */
      for (guint e = 0; e < s->n_epochs; e++)
        if (s->stages[e] == BX_STAGE_REM)
          {
            GdkRGBA red;
            double xa = X (s->start + e * s->epoch_length), xb = X (s->start + (e + 1) * s->epoch_length);

            bx_stage_get_colour (BX_STAGE_REM, &red);
            set_source (cr, &red, 1);
            cairo_rectangle (cr, xa, y_plot0 + 1.5 * row_h - 2.5, MAX (1, xb - xa), 5);
            cairo_fill (cr);
          }
      cairo_set_line_width (cr, 1);
    }

  /* Overlay tracks: one row each, colour by label, opacity by confidence. */
  if (self->tracks != NULL)
    {
      double y = y_plot1 + 2;

      for (guint i = 0; i < g_list_model_get_n_items (self->tracks); i++)
        {
          g_autoptr (BxOverlayTrack) track = g_list_model_get_item (self->tracks, i);
          const BxHypnogram *lab;

          if (!bx_overlay_track_get_visible (track))
            continue;
          lab = bx_overlay_track_get_labels (track);
          for (guint e = 0; e < lab->n_epochs; e++)
            {
              GdkRGBA c;
              float conf = lab->confidence != NULL ? lab->confidence[e] : 1.0f;
              double xa = X (lab->start + e * lab->epoch_length), xb = X (lab->start + (e + 1) * lab->epoch_length);

              if (lab->stages[e] < 0)
                continue;
              bx_stage_get_colour (lab->stages[e], &c);
              set_source (cr, &c, 0.15 + 0.85 * conf);
              cairo_rectangle (cr, xa, y, MAX (0.5, MIN (xb, x1) - xa), TRACK_ROW - 2);
              cairo_fill (cr);
            }
          set_source (cr, &fg, 0.7);
          pango_layout_set_width (layout, (LABEL_WIDTH - 16) * PANGO_SCALE);
          pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
          show_text (cr, layout, bx_overlay_track_get_title (track), 10, y + TRACK_ROW / 2.0 - 1, FALSE);
          pango_layout_set_width (layout, -1);
          y += TRACK_ROW;
        }
    }

  /* Hour ticks in clock time; labels on every hour, or every 2nd, 3rd, ...
   * (on hours divisible by that) when hours are closer than 48 px. */
  {
    double first_tick = 0;
    static const int label_steps[] = { 1, 2, 3, 4, 6, 12, 24 };
    int label_step = 24;

    for (guint i = 0; i < G_N_ELEMENTS (label_steps); i++)
      if (label_steps[i] * 3600 / self->duration * plot_w >= 48)
        {
          label_step = label_steps[i];
          break;
        }

    if (self->start != NULL)
      {
        /* Seconds to the next full hour of the clock. */
        double into_hour = g_date_time_get_minute (self->start) * 60 + g_date_time_get_seconds (self->start);

        first_tick = into_hour > 0 ? 3600 - into_hour : 0;
      }
    for (double t = first_tick; t <= self->duration; t += 3600)
      {
        double x = round (X (t)) + 0.5;
        g_autofree char *label = NULL;

        set_source (cr, &fg, 0.25);
        cairo_move_to (cr, x, y_plot0);
        cairo_line_to (cr, x, h - AXIS_HEIGHT + 3);
        cairo_stroke (cr);
        if (self->start != NULL)
          {
            g_autoptr (GDateTime) dt = g_date_time_add_seconds (self->start, t);

            if (g_date_time_get_hour (dt) % label_step != 0)
              continue;
            label = g_date_time_format (dt, "%H:%M");
          }
        else if ((int) round (t / 3600) % label_step != 0)
          continue;
        else
          label = g_strdup_printf ("%.0f h", t / 3600);
        set_source (cr, &fg, 0.7);
        if (x + 30 < x1)
          show_text (cr, layout, label, x + 2, h - AXIS_HEIGHT / 2.0, FALSE);
      }
  }

  /* The page in view and the current epoch. */
  {
    GdkRGBA accent;
    double xa = X (self->page_start), xb = X (self->page_start + self->page_length);

    gdk_rgba_parse (&accent, "#3584e4");
    set_source (cr, &accent, 0.18);
    cairo_rectangle (cr, xa, 0, MAX (2, xb - xa), h - AXIS_HEIGHT);
    cairo_fill (cr);
    if (self->epoch >= 0)
      {
        double xe = X ((self->epoch + 0.5) * self->epoch_length);

        set_source (cr, &accent, 1);
        cairo_set_line_width (cr, 2);
        cairo_move_to (cr, xe, 0);
        cairo_line_to (cr, xe, h - AXIS_HEIGHT);
        cairo_stroke (cr);
      }
  }
#undef X
  cairo_destroy (cr);
}

static void
activate_at (BxHypnogramView *self, double x)
{
  double plot_w = gtk_widget_get_width (GTK_WIDGET (self)) - LABEL_WIDTH - RIGHT_MARGIN;
  double t;

  if (plot_w <= 0 || self->duration <= 0 || self->epoch_length <= 0)
    return;
  t = CLAMP ((x - LABEL_WIDTH) / plot_w, 0, 0.999999) * self->duration;
  g_signal_emit (self, signals[EPOCH_ACTIVATED], 0, (int) floor (t / self->epoch_length));
}

static void
on_drag_begin (GtkGestureDrag *gesture, double x, double y, gpointer user_data)
{
  activate_at (user_data, x);
}

static void
on_drag_update (GtkGestureDrag *gesture, double dx, double dy, gpointer user_data)
{
  double x, y;

  gtk_gesture_drag_get_start_point (gesture, &x, &y);
  activate_at (user_data, x + dx);
}

static void
bx_hypnogram_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                           int *natural, int *minimum_baseline, int *natural_baseline)
{
  BxHypnogramView *self = BX_HYPNOGRAM_VIEW (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = *natural = LABEL_WIDTH + 100;
  else
    *minimum = *natural = 84 + AXIS_HEIGHT + n_visible_tracks (self) * TRACK_ROW;
}

static void
on_tracks_changed (GListModel *model, guint position, guint removed, guint added, gpointer user_data)
{
  gtk_widget_queue_resize (GTK_WIDGET (user_data));
}

static void
bx_hypnogram_view_dispose (GObject *object)
{
  BxHypnogramView *self = BX_HYPNOGRAM_VIEW (object);

  if (self->tracks != NULL)
    g_signal_handlers_disconnect_by_data (self->tracks, self);
  g_clear_object (&self->tracks);
  g_clear_pointer (&self->start, g_date_time_unref);
  G_OBJECT_CLASS (bx_hypnogram_view_parent_class)->dispose (object);
}

static void
bx_hypnogram_view_class_init (BxHypnogramViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bx_hypnogram_view_dispose;
  widget_class->snapshot = bx_hypnogram_view_snapshot;
  widget_class->measure = bx_hypnogram_view_measure;

  signals[EPOCH_ACTIVATED] = g_signal_new ("epoch-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                           NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  gtk_widget_class_set_css_name (widget_class, "hypnogramview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
bx_hypnogram_view_init (BxHypnogramView *self)
{
  GtkGesture *drag = gtk_gesture_drag_new ();

  self->epoch = -1;
  self->epoch_length = 30;
  g_signal_connect (drag, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (on_drag_update), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Hypnogram of the whole recording"), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("Click to go to an epoch"), -1);
}

GtkWidget *
bx_hypnogram_view_new (void)
{
  return g_object_new (BX_TYPE_HYPNOGRAM_VIEW, NULL);
}

void
bx_hypnogram_view_set_duration (BxHypnogramView *self, double duration, GDateTime *start)
{
  self->duration = duration;
  g_clear_pointer (&self->start, g_date_time_unref);
  if (start != NULL)
    self->start = g_date_time_ref (start);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bx_hypnogram_view_set_scoring (BxHypnogramView *self, const BxHypnogram *scoring)
{
  self->scoring = scoring;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bx_hypnogram_view_set_overlay_tracks (BxHypnogramView *self, GListModel *tracks)
{
  if (self->tracks != NULL)
    g_signal_handlers_disconnect_by_data (self->tracks, self);
  g_set_object (&self->tracks, tracks);
  if (tracks != NULL)
    g_signal_connect_object (tracks, "items-changed", G_CALLBACK (on_tracks_changed), self, 0);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
bx_hypnogram_view_labels_changed (BxHypnogramView *self)
{
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
bx_hypnogram_view_set_position (BxHypnogramView *self, double page_start, double page_length, int epoch,
                                double epoch_length)
{
  g_autofree char *description = NULL;

  self->page_start = page_start;
  self->page_length = page_length;
  self->epoch = epoch;
  self->epoch_length = epoch_length;
  description = g_strdup_printf (_("Epoch %d of the whole recording; click to go to an epoch"), epoch + 1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
