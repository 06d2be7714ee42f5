/* bx-confusion-view.c — confusion matrix shaded by row-normalised fraction. */
#include "config.h"

#include "bx-confusion-view.h"

#include "bx-chart-draw.h"

#include <glib/gi18n.h>
#include <math.h>

/* Layout in px: the "predicted" title and the column names above the grid
 * (written upwards when they are wider than a cell), the rotated "true" title
 * and the row names on its left. Cells are square, between MIN_CELL and
 * MAX_CELL. */
#define TITLE_H 18
#define NAMES_H 16
#define AXIS_TITLE_W 16
#define NAME_GAP 6
#define PAD 4
#define MIN_CELL 18
#define MAX_CELL 64
#define MAX_NAME_W 96

struct _BxConfusionView
{
  GtkWidget parent_instance;

  guint n;
  guint *counts;   /* (n × n) row-major, rows = truth */
  char **names;    /* (n) */
};

G_DEFINE_FINAL_TYPE (BxConfusionView, bx_confusion_view, GTK_TYPE_WIDGET)

typedef struct
{
  double x0, y0;     /* the grid's top-left corner */
  double cell;       /* px per cell */
  double names_w;    /* the row names' column (the widest name, capped) */
  double names_h;    /* the band of column names above the grid */
  gboolean turned;   /* column names written upwards */
} Geometry;

/* Centred on (cx, cy), ellipsized to `max_w` px (-1: no limit); `align` 0
 * puts the left edge at cx - max_w / 2, 0.5 centres, 1 puts the right edge
 * at cx + max_w / 2. */
static void
show_text (cairo_t *cr, PangoLayout *layout, const char *text, double cx, double cy, double max_w, double align)
{
  int tw, th;

  pango_layout_set_text (layout, text, -1);
  pango_layout_set_width (layout, max_w > 0 ? (int) (max_w * PANGO_SCALE) : -1);
  pango_layout_set_ellipsize (layout, max_w > 0 ? PANGO_ELLIPSIZE_END : PANGO_ELLIPSIZE_NONE);
  pango_layout_get_pixel_size (layout, &tw, &th);
  if (max_w > 0)
    cx += (align - 0.5) * (max_w - tw);
  cairo_move_to (cr, round (cx - tw / 2.0), round (cy - th / 2.0));
  pango_cairo_show_layout (cr, layout);
}

static int
names_width (BxConfusionView *self, PangoLayout *layout)
{
  int widest = 0;

  for (guint i = 0; i < self->n; i++)
    {
      int tw;

      pango_layout_set_text (layout, self->names[i], -1);
      pango_layout_get_pixel_size (layout, &tw, NULL);
      widest = MAX (widest, tw);
    }
  return MIN (widest, MAX_NAME_W);
}

static double
left_width (double names_w)
{
  return AXIS_TITLE_W + names_w + NAME_GAP;
}

/* Square cells fitting width × height (height < 0: as the width allows). */
static double
cell_size (guint n, const Geometry *g, double width, double height)
{
  double by_w = (width - left_width (g->names_w) - PAD) / n;
  double by_h = height < 0 ? by_w : (height - TITLE_H - g->names_h - PAD) / n;

  return floor (MIN (MIN (by_w, by_h), MAX_CELL));
}

/* The cell size and the names' band for width × height; column names turn
 * upwards when they do not fit across a cell. */
static void
fit (guint n, double names_w, double width, double height, Geometry *g)
{
  g->names_w = names_w;
  g->names_h = NAMES_H;
  g->turned = FALSE;
  g->cell = cell_size (n, g, width, height);
  if (names_w > g->cell - 2)
    {
      g->turned = TRUE;
      g->names_h = names_w + 6;
      g->cell = cell_size (n, g, width, height);
    }
}

static gboolean
get_geometry (BxConfusionView *self, Geometry *g)
{
  GtkWidget *widget = GTK_WIDGET (self);
  g_autoptr (PangoLayout) layout = bx_chart_make_layout (widget, 0.8, FALSE);
  double w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  double block_w;

  if (self->n == 0)
    return FALSE;
  fit (self->n, names_width (self, layout), w, h, g);
  if (g->cell < 4)
    return FALSE;
  /* The block of names and grid is centred across the width. */
  block_w = left_width (g->names_w) + self->n * g->cell;
  g->x0 = round (MAX (0, (w - PAD - block_w) / 2)) + left_width (g->names_w);
  g->y0 = TITLE_H + g->names_h;
  return TRUE;
}

/* The counts' font: 0.85 of the theme's, smaller (down to half) until the
 * widest count fits a cell. */
static double
count_scale (BxConfusionView *self, GtkWidget *widget, double cell)
{
  g_autoptr (PangoLayout) layout = bx_chart_make_layout (widget, 0.85, FALSE);
  guint widest = 0;
  char text[16];
  int tw;

  for (guint i = 0; i < self->n * self->n; i++)
    widest = MAX (widest, self->counts[i]);
  g_snprintf (text, sizeof text, "%u", widest);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &tw, NULL);
  /* (4 px to spare: hinting widens small text by a pixel or two.) */
  return tw <= cell - 4 ? 0.85 : MAX (0.5, 0.85 * (cell - 6) / tw);
}

static void
bx_confusion_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  BxConfusionView *self = BX_CONFUSION_VIEW (widget);
  double w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  g_autoptr (PangoLayout) names = bx_chart_make_layout (widget, 0.8, FALSE);
  g_autoptr (PangoLayout) counts = NULL;
  g_autoptr (PangoLayout) titles = bx_chart_make_layout (widget, 0.8, TRUE);
  double grid_w;
  GdkRGBA fg, accent, white = { 1, 1, 1, 1 };
  Geometry g;
  cairo_t *cr;

  if (!get_geometry (self, &g))
    return;
  bx_chart_get_colors (widget, &fg, &accent);
  counts = bx_chart_make_layout (widget, count_scale (self, widget, g.cell), FALSE);
  grid_w = self->n * g.cell;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));

  /* Axis titles: "predicted" over the columns, "true" turned up the rows. */
  bx_chart_set_source (cr, &fg, 0.75);
  /* TRANSLATORS: axis title of a confusion matrix, over the predicted classes */
  show_text (cr, titles, _("predicted"), g.x0 + grid_w / 2, TITLE_H / 2.0 + 1, grid_w, 0.5);
  cairo_save (cr);
  cairo_translate (cr, g.x0 - left_width (g.names_w) + AXIS_TITLE_W / 2.0, g.y0 + grid_w / 2);
  cairo_rotate (cr, -G_PI / 2);
  /* TRANSLATORS: axis title of a confusion matrix, beside the true classes */
  show_text (cr, titles, _("true"), 0, 0, grid_w, 0.5);
  cairo_restore (cr);

  /* Class names. */
  bx_chart_set_source (cr, &fg, 0.75);
  for (guint i = 0; i < self->n; i++)
    {
      if (g.turned)
        {
          /* Upwards from just above the grid. */
          cairo_save (cr);
          cairo_translate (cr, g.x0 + (i + 0.5) * g.cell, g.y0 - 3);
          cairo_rotate (cr, -G_PI / 2);
          show_text (cr, names, self->names[i], g.names_w / 2, 0, g.names_w, 0);
          cairo_restore (cr);
        }
      else
        show_text (cr, names, self->names[i], g.x0 + (i + 0.5) * g.cell, TITLE_H + g.names_h / 2.0, g.cell - 2, 0.5);
      show_text (cr, names, self->names[i], g.x0 - NAME_GAP - g.names_w / 2, g.y0 + (i + 0.5) * g.cell, g.names_w,
                 1);
    }

  /* Cells: accent with the row fraction as alpha, and the count. */
  for (guint r = 0; r < self->n; r++)
    {
      guint64 row_sum = 0;

      for (guint c = 0; c < self->n; c++)
        row_sum += self->counts[r * self->n + c];
      for (guint c = 0; c < self->n; c++)
        {
          guint count = self->counts[r * self->n + c];
          double frac = row_sum > 0 ? (double) count / row_sum : 0;
          double x = g.x0 + c * g.cell, y = g.y0 + r * g.cell;
          char text[16];

          if (count > 0)
            {
              bx_chart_set_source (cr, &accent, 0.08 + 0.92 * frac);
              cairo_rectangle (cr, x, y, g.cell, g.cell);
              cairo_fill (cr);
            }
          g_snprintf (text, sizeof text, "%u", count);
          /* White on the dark half of the scale, the theme's colour on the light. */
          bx_chart_set_source (cr, frac > 0.5 ? &white : &fg, count > 0 ? 1 : 0.4);
          /* Never ellipsized: count_scale made it fit as far as it can. */
          show_text (cr, counts, text, x + g.cell / 2, y + g.cell / 2, -1, 0.5);
        }
    }

  /* Grid lines. */
  bx_chart_set_source (cr, &fg, 0.15);
  cairo_set_line_width (cr, 1);
  for (guint i = 0; i <= self->n; i++)
    {
      cairo_move_to (cr, g.x0 + i * g.cell + 0.5, g.y0);
      cairo_line_to (cr, g.x0 + i * g.cell + 0.5, g.y0 + grid_w);
      cairo_move_to (cr, g.x0, g.y0 + i * g.cell + 0.5);
      cairo_line_to (cr, g.x0 + grid_w, g.y0 + i * g.cell + 0.5);
    }
  cairo_stroke (cr);
  cairo_destroy (cr);
}

gboolean
bx_confusion_view_get_cell_rect (BxConfusionView *self, guint row, guint col, graphene_rect_t *rect)
{
  Geometry g;

  g_return_val_if_fail (BX_IS_CONFUSION_VIEW (self), FALSE);
  if (row >= self->n || col >= self->n || !get_geometry (self, &g))
    return FALSE;
  graphene_rect_init (rect, g.x0 + col * g.cell, g.y0 + row * g.cell, g.cell, g.cell);
  return TRUE;
}

static GtkSizeRequestMode
bx_confusion_view_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
bx_confusion_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum,
                           int *natural, int *minimum_baseline, int *natural_baseline)
{
  BxConfusionView *self = BX_CONFUSION_VIEW (widget);
  g_autoptr (PangoLayout) layout = bx_chart_make_layout (widget, 0.8, FALSE);
  double names_w = names_width (self, layout);
  guint n = MAX (self->n, 1);
  Geometry g;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = left_width (names_w) + n * MIN_CELL + PAD;
      *natural = MAX (*minimum, 300);
    }
  else
    {
      /* As tall as square cells across the given (or natural) width. */
      double min_names_h = names_w > MIN_CELL - 2 ? names_w + 6 : NAMES_H;

      fit (n, names_w, for_size >= 0 ? for_size : 300, -1, &g);
      *minimum = TITLE_H + min_names_h + n * MIN_CELL + PAD;
      *natural = MAX (*minimum, TITLE_H + g.names_h + n * g.cell + PAD);
    }
}

static void
bx_confusion_view_finalize (GObject *object)
{
  BxConfusionView *self = BX_CONFUSION_VIEW (object);

  g_free (self->counts);
  g_strfreev (self->names);
  G_OBJECT_CLASS (bx_confusion_view_parent_class)->finalize (object);
}

static void
bx_confusion_view_class_init (BxConfusionViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = bx_confusion_view_finalize;
  widget_class->snapshot = bx_confusion_view_snapshot;
  widget_class->measure = bx_confusion_view_measure;
  widget_class->get_request_mode = bx_confusion_view_get_request_mode;
  gtk_widget_class_set_css_name (widget_class, "confusionview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
update_accessible (BxConfusionView *self)
{
  g_autofree char *label = NULL;
  guint64 total = 0, diagonal = 0;

  for (guint r = 0; r < self->n; r++)
    for (guint c = 0; c < self->n; c++)
      {
        total += self->counts[r * self->n + c];
        diagonal += r == c ? self->counts[r * self->n + c] : 0;
      }
  if (total == 0)
    label = g_strdup_printf (_("Confusion matrix, %u classes, empty"), self->n);
  else
    {
      /* (The count goes in as text: xgettext cannot read G_GUINT64_FORMAT.) */
      g_autofree char *samples = g_strdup_printf ("%" G_GUINT64_FORMAT, total);

      label = g_strdup_printf (_("Confusion matrix, %u classes, %s samples, %.1f %% agree"), self->n, samples,
                               100.0 * diagonal / total);
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static void
bx_confusion_view_init (BxConfusionView *self)
{
  self->names = g_new0 (char *, 1);
  update_accessible (self);
}

GtkWidget *
bx_confusion_view_new (void)
{
  return g_object_new (BX_TYPE_CONFUSION_VIEW, NULL);
}

void
bx_confusion_view_set_matrix (BxConfusionView *self, const guint *counts, guint n_classes,
                              const char *const *class_names)
{
  g_return_if_fail (BX_IS_CONFUSION_VIEW (self));
  g_return_if_fail (counts != NULL || n_classes == 0);
  g_free (self->counts);
  g_strfreev (self->names);
  self->n = n_classes;
  self->counts = g_memdup2 (counts, (gsize) n_classes * n_classes * sizeof (guint));
  self->names = g_new0 (char *, n_classes + 1);
  for (guint i = 0; i < n_classes; i++)
    self->names[i] = class_names != NULL && class_names[i] != NULL ? g_strdup (class_names[i])
                                                                    : g_strdup_printf ("%u", i);
  update_accessible (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

guint
bx_confusion_view_get_n_classes (BxConfusionView *self)
{
  g_return_val_if_fail (BX_IS_CONFUSION_VIEW (self), 0);
  return self->n;
}
