/* bx-loss-plot.c — live training loss curve with per-column decimation. */
#include "config.h"

#include "bx-loss-plot.h"

#include "bx-chart-draw.h"

#include <glib/gi18n.h>
#include <math.h>

/* Layout in px: a header line (last step, last loss), the y labels on the
 * left (as wide as they need), the first and last step below. */
#define HEADER_H 18
#define RIGHT_W 8
#define AXIS_H 16

typedef struct
{
  double step, loss;
} Point;

/* One vertex of the drawn polyline; `move` starts a new piece (after a
 * non-finite point). */
typedef struct
{
  double x, y;
  gboolean move;
} Vertex;

struct _BxLossPlot
{
  GtkWidget parent_instance;

  GArray *points;     /* of Point, in the order appended */
  GArray *vertices;   /* of Vertex, rebuilt by each snapshot */
  char *x_name;       /* what x counts, for the header; NULL = "step" */
};

G_DEFINE_FINAL_TYPE (BxLossPlot, bx_loss_plot, GTK_TYPE_WIDGET)

/* `y` is the text's vertical centre; `align` 0 left, 0.5 centre, 1 right. */
static void
show_text (cairo_t *cr, PangoLayout *layout, const char *text, double x, double y, double align)
{
  int tw, th;

  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &tw, &th);
  cairo_move_to (cr, round (x - align * tw), round (y - th / 2.0));
  pango_cairo_show_layout (cr, layout);
}

static int
text_width (PangoLayout *layout, const char *text)
{
  int tw;

  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &tw, NULL);
  return tw;
}

static char *
format_loss (double loss)
{
  if (!isfinite (loss))
    return g_strdup (_("loss not finite"));
  if (loss != 0 && (fabs (loss) < 1e-3 || fabs (loss) >= 1e4))
    /* TRANSLATORS: the last training loss, very small or large */
    return g_strdup_printf (_("loss %.3e"), loss);
  /* TRANSLATORS: the last training loss */
  return g_strdup_printf (_("loss %.4f"), loss);
}

static void
update_accessible (BxLossPlot *self)
{
  g_autofree char *label = NULL;

  if (self->points->len == 0)
    label = g_strdup (_("Training loss, no steps yet"));
  else
    {
      const Point *last = &g_array_index (self->points, Point, self->points->len - 1);
      g_autofree char *loss = format_loss (last->loss);

      label = g_strdup_printf (_("Training loss, %u steps, %s"), self->points->len, loss);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

typedef struct
{
  double x0, x1, y0, y1;   /* plot area, px */
  double s0, s1;           /* step range */
  double lo, hi;           /* finite loss range of the data */
  double v0, v1;           /* loss range of the y axis (with margin) */
  guint n_finite;
} Scale;

static gboolean
point_finite (const Point *p)
{
  return isfinite (p->step) && isfinite (p->loss);
}

static void
find_ranges (BxLossPlot *self, Scale *sc)
{
  double margin;

  sc->s0 = sc->lo = INFINITY;
  sc->s1 = sc->hi = -INFINITY;
  sc->n_finite = 0;
  for (guint i = 0; i < self->points->len; i++)
    {
      const Point *p = &g_array_index (self->points, Point, i);

      if (!point_finite (p))
        continue;
      sc->s0 = MIN (sc->s0, p->step);
      sc->s1 = MAX (sc->s1, p->step);
      sc->lo = MIN (sc->lo, p->loss);
      sc->hi = MAX (sc->hi, p->loss);
      sc->n_finite++;
    }
  /* 8 % of the range above and below; a flat curve gets ±10 % of its value. */
  margin = sc->hi > sc->lo ? 0.08 * (sc->hi - sc->lo) : MAX (0.1 * fabs (sc->hi), 1e-3);
  sc->v0 = sc->lo - margin;
  sc->v1 = sc->hi + margin;
}

static double
x_of (const Scale *sc, double step)
{
  if (sc->s1 <= sc->s0)
    return (sc->x0 + sc->x1) / 2;
  return sc->x0 + (step - sc->s0) / (sc->s1 - sc->s0) * (sc->x1 - sc->x0);
}

static double
y_of (const Scale *sc, double loss)
{
  return sc->y1 - (loss - sc->v0) / (sc->v1 - sc->v0) * (sc->y1 - sc->y0);
}

static void
push_vertex (GArray *out, double x, double y, gboolean *pen_up)
{
  Vertex v = { x, y, *pen_up };

  if (!*pen_up && out->len > 0)
    {
      const Vertex *prev = &g_array_index (out, Vertex, out->len - 1);

      if (prev->x == x && prev->y == y)
        return;
    }
  g_array_append_val (out, v);
  *pen_up = FALSE;
}

/* The points falling into one pixel column, in px. */
typedef struct
{
  gboolean open;
  double col, first, last, ymin, ymax;
  guint count, at_min, at_max;   /* order of arrival within the column */
} Column;

static void
flush_column (Column *c, GArray *out, gboolean *pen_up)
{
  double cx = c->col + 0.5;

  if (!c->open)
    return;
  push_vertex (out, cx, c->first, pen_up);
  push_vertex (out, cx, c->at_min <= c->at_max ? c->ymin : c->ymax, pen_up);
  push_vertex (out, cx, c->at_min <= c->at_max ? c->ymax : c->ymin, pen_up);
  push_vertex (out, cx, c->last, pen_up);
  c->open = FALSE;
}

/* The polyline in px: points falling in the same pixel column become at most
 * four vertices at the column's centre (first, min and max in the order they
 * came, last), so the cost of drawing is bounded by the width, not by the
 * number of steps. */
static void
build_polyline (BxLossPlot *self, const Scale *sc, GArray *out)
{
  Column c = { 0 };
  gboolean pen_up = TRUE;

  g_array_set_size (out, 0);
  for (guint i = 0; i < self->points->len; i++)
    {
      const Point *p = &g_array_index (self->points, Point, i);
      double y;

      if (!point_finite (p))
        {
          flush_column (&c, out, &pen_up);
          pen_up = TRUE;
          continue;
        }
      y = y_of (sc, p->loss);
      if (c.open && floor (x_of (sc, p->step)) == c.col)
        {
          c.count++;
          if (y < c.ymin)
            c.ymin = y, c.at_min = c.count;
          if (y > c.ymax)
            c.ymax = y, c.at_max = c.count;
          c.last = y;
          continue;
        }
      flush_column (&c, out, &pen_up);
      c = (Column) { TRUE, floor (x_of (sc, p->step)), y, y, y, y, 0, 0, 0 };
    }
  flush_column (&c, out, &pen_up);
}

static gboolean
vertex_alone (GArray *vertices, guint i)
{
  return g_array_index (vertices, Vertex, i).move
         && (i + 1 == vertices->len || g_array_index (vertices, Vertex, i + 1).move);
}

static void
draw_polyline (cairo_t *cr, GArray *vertices)
{
  for (guint i = 0; i < vertices->len; i++)
    {
      const Vertex *v = &g_array_index (vertices, Vertex, i);

      if (v->move)
        cairo_move_to (cr, v->x, v->y);
      else
        cairo_line_to (cr, v->x, v->y);
    }
  cairo_stroke (cr);
  /* Isolated points (the first step, or one between non-finite ones) as dots. */
  for (guint i = 0; i < vertices->len; i++)
    if (vertex_alone (vertices, i))
      {
        const Vertex *v = &g_array_index (vertices, Vertex, i);

        cairo_new_sub_path (cr);
        cairo_arc (cr, v->x, v->y, 2, 0, 2 * G_PI);
      }
  cairo_fill (cr);
}

static void
bx_loss_plot_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  BxLossPlot *self = BX_LOSS_PLOT (widget);
  double w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  g_autoptr (PangoLayout) small = bx_chart_make_layout (widget, 0.75, FALSE);
  g_autoptr (PangoLayout) header = bx_chart_make_layout (widget, 0.85, FALSE);
  char lo_text[32], hi_text[32];
  GdkRGBA fg, accent;
  Scale sc = { 0 };
  cairo_t *cr;

  g_array_set_size (self->vertices, 0);
  if (w < 1 || h < 1)
    return;
  bx_chart_get_colors (widget, &fg, &accent);
  find_ranges (self, &sc);
  g_snprintf (lo_text, sizeof lo_text, "%.3g", sc.lo);
  g_snprintf (hi_text, sizeof hi_text, "%.3g", sc.hi);

  sc.x0 = 8;
  if (sc.n_finite > 0)
    sc.x0 = MAX (text_width (small, lo_text), text_width (small, hi_text)) + 10;
  sc.x1 = w - RIGHT_W;
  sc.y0 = HEADER_H + 4;
  sc.y1 = h - AXIS_H;

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  cairo_set_line_width (cr, 1);

  /* Header: the last step on the left, the last loss on the right. */
  if (self->points->len > 0)
    {
      const Point *last = &g_array_index (self->points, Point, self->points->len - 1);
      g_autofree char *loss = format_loss (last->loss);
      g_autofree char *step = self->x_name != NULL ? g_strdup_printf ("%s %.4g", self->x_name, last->step)
                                                   : g_strdup_printf (_("step %g"), last->step);

      bx_chart_set_source (cr, &fg, 0.65);
      show_text (cr, header, step, 4, HEADER_H / 2.0, 0);
      bx_chart_set_source (cr, isfinite (last->loss) ? &accent : &fg, 1);
      show_text (cr, header, loss, w - RIGHT_W, HEADER_H / 2.0, 1);
    }

  if (sc.x1 - sc.x0 < 4 || sc.y1 - sc.y0 < 4)
    {
      cairo_destroy (cr);
      return;
    }

  /* Axes: the baseline, and the data's min and max as labelled grid lines. */
  bx_chart_set_source (cr, &fg, 0.45);
  cairo_move_to (cr, sc.x0, round (sc.y1) + 0.5);
  cairo_line_to (cr, sc.x1, round (sc.y1) + 0.5);
  cairo_stroke (cr);
  if (sc.n_finite == 0)
    {
      bx_chart_set_source (cr, &fg, 0.55);
      show_text (cr, small, self->points->len == 0 ? _("No training steps yet") : _("No finite loss yet"),
                 (sc.x0 + sc.x1) / 2, (sc.y0 + sc.y1) / 2, 0.5);
      cairo_destroy (cr);
      return;
    }
  for (int t = 0; t < 2; t++)
    {
      double y = round (y_of (&sc, t == 0 ? sc.lo : sc.hi)) + 0.5;

      if (t == 1 && sc.hi == sc.lo)
        break;
      bx_chart_set_source (cr, &fg, 0.12);
      cairo_move_to (cr, sc.x0, y);
      cairo_line_to (cr, sc.x1, y);
      cairo_stroke (cr);
      bx_chart_set_source (cr, &fg, 0.65);
      show_text (cr, small, t == 0 ? lo_text : hi_text, sc.x0 - 5, y, 1);
    }
  {
    char s0[32], s1[32];

    g_snprintf (s0, sizeof s0, "%.3g", sc.s0);
    g_snprintf (s1, sizeof s1, "%.3g", sc.s1);
    bx_chart_set_source (cr, &fg, 0.65);
    show_text (cr, small, s0, sc.x0, sc.y1 + AXIS_H / 2.0 + 1, 0);
    if (sc.s1 > sc.s0 && text_width (small, s0) + text_width (small, s1) + 12 < sc.x1 - sc.x0)
      show_text (cr, small, s1, sc.x1, sc.y1 + AXIS_H / 2.0 + 1, 1);
  }

  /* The curve. */
  build_polyline (self, &sc, self->vertices);
  cairo_rectangle (cr, sc.x0, sc.y0 - 2, sc.x1 - sc.x0, sc.y1 - sc.y0 + 2);
  cairo_clip (cr);
  bx_chart_set_source (cr, &accent, 1);
  cairo_set_line_width (cr, 1.5);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  draw_polyline (cr, self->vertices);
  cairo_destroy (cr);
}

static void
bx_loss_plot_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum, int *natural,
                      int *minimum_baseline, int *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 120;
      *natural = 300;
    }
  else
    {
      *minimum = HEADER_H + AXIS_H + 40;
      *natural = 140;
    }
}

static void
bx_loss_plot_finalize (GObject *object)
{
  BxLossPlot *self = BX_LOSS_PLOT (object);

  g_array_unref (self->points);
  g_array_unref (self->vertices);
  g_free (self->x_name);
  G_OBJECT_CLASS (bx_loss_plot_parent_class)->finalize (object);
}

static void
bx_loss_plot_class_init (BxLossPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = bx_loss_plot_finalize;
  widget_class->snapshot = bx_loss_plot_snapshot;
  widget_class->measure = bx_loss_plot_measure;
  gtk_widget_class_set_css_name (widget_class, "lossplot");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
bx_loss_plot_init (BxLossPlot *self)
{
  self->points = g_array_new (FALSE, FALSE, sizeof (Point));
  self->vertices = g_array_new (FALSE, FALSE, sizeof (Vertex));
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  update_accessible (self);
}

GtkWidget *
bx_loss_plot_new (void)
{
  return g_object_new (BX_TYPE_LOSS_PLOT, NULL);
}

void
bx_loss_plot_set_x_name (BxLossPlot *self, const char *name)
{
  g_return_if_fail (BX_IS_LOSS_PLOT (self));
  g_free (self->x_name);
  self->x_name = g_strdup (name);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bx_loss_plot_clear (BxLossPlot *self)
{
  g_return_if_fail (BX_IS_LOSS_PLOT (self));
  g_array_set_size (self->points, 0);
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bx_loss_plot_append (BxLossPlot *self, double step, double loss)
{
  Point p = { step, loss };

  g_return_if_fail (BX_IS_LOSS_PLOT (self));
  g_array_append_val (self->points, p);
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
bx_loss_plot_get_n_points (BxLossPlot *self)
{
  g_return_val_if_fail (BX_IS_LOSS_PLOT (self), 0);
  return self->points->len;
}

guint
bx_loss_plot_get_n_drawn_vertices (BxLossPlot *self)
{
  g_return_val_if_fail (BX_IS_LOSS_PLOT (self), 0);
  return self->vertices->len;
}
