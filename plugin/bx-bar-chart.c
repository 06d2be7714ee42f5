/* bx-bar-chart.c — per-layer bar chart with a marked and a suggested bar. */
#include "config.h"

#include "bx-bar-chart.h"

#include "bx-chart-draw.h"

#include <glib/gi18n.h>
#include <math.h>

/* Layout in px: a header line (title, marked value), room for the marker
 * above the tallest bar, the y labels on the left and the x labels below. */
#define HEADER_H 18
#define MARKER_H 9
#define LEFT_W 30
#define RIGHT_W 6
#define AXIS_H 17

struct _BxBarChart
{
  GtkWidget parent_instance;

  char *title;
  double *values;   /* (n) in [0, 1] or NaN */
  guint n;
  int marked, suggested;   /* -1 = none */
};

G_DEFINE_FINAL_TYPE (BxBarChart, bx_bar_chart, GTK_TYPE_WIDGET)

enum {
  BAR_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef enum {
  ALIGN_LEFT,
  ALIGN_CENTER,
  ALIGN_RIGHT,
} Align;

/* `y` is the text's vertical centre. */
static void
show_text (cairo_t *cr, PangoLayout *layout, const char *text, double x, double y, Align align)
{
  int tw, th;

  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &tw, &th);
  cairo_move_to (cr, round (align == ALIGN_RIGHT ? x - tw : align == ALIGN_CENTER ? x - tw / 2.0 : x),
                 round (y - th / 2.0));
  pango_cairo_show_layout (cr, layout);
}

typedef struct
{
  double x0, x1, y0, y1;   /* plot area */
  double slot;             /* px per bar */
} Geometry;

static gboolean
get_geometry (BxBarChart *self, Geometry *g)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self)), h = gtk_widget_get_height (GTK_WIDGET (self));

  g->x0 = LEFT_W;
  g->x1 = w - RIGHT_W;
  g->y0 = HEADER_H + MARKER_H;
  g->y1 = h - AXIS_H;
  g->slot = self->n > 0 ? (g->x1 - g->x0) / self->n : 0;
  return self->n > 0 && g->x1 - g->x0 >= self->n && g->y1 - g->y0 >= 4;
}

/* The bar's left and right edge, whole pixels; a gap between bars when
 * there is room for one. */
static void
bar_span (const Geometry *g, guint i, double *xa, double *xb)
{
  double gap = g->slot >= 4 ? MAX (1, g->slot * 0.25) : 0;

  *xa = round (g->x0 + i * g->slot + gap / 2);
  *xb = round (g->x0 + (i + 1) * g->slot - gap / 2);
  if (*xb <= *xa)
    *xb = *xa + 1;
}

static double
bar_top (const Geometry *g, double v)
{
  return round (g->y1 - CLAMP (v, 0, 1) * (g->y1 - g->y0));
}

/* "layer 7: 0.550" for a bar; NULL for none. */
static char *
bar_text (BxBarChart *self, int index)
{
  double v;

  if (index < 0 || (guint) index >= self->n)
    return NULL;
  v = self->values[index];
  if (isnan (v))
    /* TRANSLATORS: a layer of an encoder whose score was not computed */
    return g_strdup_printf (_("layer %d: not computed"), index);
  /* TRANSLATORS: a layer of an encoder and its score in [0, 1] */
  return g_strdup_printf (_("layer %d: %.3f"), index, v);
}

static void
update_accessible (BxBarChart *self)
{
  g_autofree char *value = bar_text (self, self->marked);
  const char *title = self->title != NULL ? self->title : _("Bar chart");
  g_autofree char *label = NULL;

  if (value != NULL)
    label = g_strdup_printf (_("%s, %u layers, marked %s"), title, self->n, value);
  else
    label = g_strdup_printf (_("%s, %u layers, none marked"), title, self->n);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static void
draw_header (BxBarChart *self, cairo_t *cr, const GdkRGBA *fg, const GdkRGBA *accent, double w)
{
  g_autoptr (PangoLayout) layout = bx_chart_make_layout (GTK_WIDGET (self), 0.85, TRUE);
  g_autofree char *value = bar_text (self, self->marked);
  int value_w = 0, tw, th;

  if (value != NULL)
    {
      pango_layout_set_text (layout, value, -1);
      pango_layout_get_pixel_size (layout, &value_w, &th);
      bx_chart_set_source (cr, accent, 1);
      cairo_move_to (cr, w - RIGHT_W - value_w, (HEADER_H - th) / 2.0);
      pango_cairo_show_layout (cr, layout);
    }
  if (self->title == NULL)
    return;
  pango_layout_set_text (layout, self->title, -1);
  pango_layout_set_width (layout, (int) (MAX (1, w - RIGHT_W - 4 - value_w - 12) * PANGO_SCALE));
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_get_pixel_size (layout, &tw, &th);
  bx_chart_set_source (cr, fg, 0.9);
  cairo_move_to (cr, 4, (HEADER_H - th) / 2.0);
  pango_cairo_show_layout (cr, layout);
}

/* The smallest of 1, 2, 5, 10, 20, 50, ... bars that spans `min_px`. */
static guint
label_step (double slot, double min_px)
{
  static const guint mult[] = { 1, 2, 5 };

  for (guint decade = 1; decade <= 100000000; decade *= 10)
    for (guint k = 0; k < G_N_ELEMENTS (mult); k++)
      if ((double) mult[k] * decade * slot >= min_px)
        return mult[k] * decade;
  return G_MAXUINT;
}

static void
draw_axes (BxBarChart *self, cairo_t *cr, const Geometry *g, const GdkRGBA *fg)
{
  g_autoptr (PangoLayout) layout = bx_chart_make_layout (GTK_WIDGET (self), 0.75, FALSE);
  static const double ticks[] = { 0, 0.5, 1 };
  int label_w;
  guint step;

  /* Grid lines at 0, 0.5 and 1 with their labels. */
  cairo_set_line_width (cr, 1);
  for (guint t = 0; t < G_N_ELEMENTS (ticks); t++)
    {
      double y = bar_top (g, ticks[t]) + 0.5;
      char text[8];

      bx_chart_set_source (cr, fg, ticks[t] == 0 ? 0.45 : 0.12);
      cairo_move_to (cr, g->x0, y);
      cairo_line_to (cr, g->x1, y);
      cairo_stroke (cr);
      g_snprintf (text, sizeof text, "%g", ticks[t]);
      bx_chart_set_source (cr, fg, 0.65);
      show_text (cr, layout, text, g->x0 - 5, y, ALIGN_RIGHT);
    }

  /* Layer indices: every `step`-th, the step (1, 2, 5, 10, 20, ...) that
   * leaves room for the widest label. */
  {
    char widest[16];

    g_snprintf (widest, sizeof widest, "%u", self->n - 1);
    pango_layout_set_text (layout, widest, -1);
    pango_layout_get_pixel_size (layout, &label_w, NULL);
  }
  step = label_step (g->slot, label_w + 6);
  bx_chart_set_source (cr, fg, 0.65);
  for (guint i = 0; i < self->n; i += step)
    {
      char text[16];

      g_snprintf (text, sizeof text, "%u", i);
      show_text (cr, layout, text, g->x0 + (i + 0.5) * g->slot, g->y1 + AXIS_H / 2.0 + 1,
                          ALIGN_CENTER);
    }
}

static void
bx_bar_chart_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  BxBarChart *self = BX_BAR_CHART (widget);
  double w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  GdkRGBA fg, accent;
  Geometry g;
  cairo_t *cr;

  if (w < 1 || h < 1)
    return;
  bx_chart_get_colors (widget, &fg, &accent);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  draw_header (self, cr, &fg, &accent, w);
  if (!get_geometry (self, &g))
    {
      cairo_destroy (cr);
      return;
    }
  draw_axes (self, cr, &g, &fg);

  for (guint i = 0; i < self->n; i++)
    {
      double v = self->values[i], xa, xb;
      gboolean marked = (int) i == self->marked;

      bar_span (&g, i, &xa, &xb);
      if (isnan (v))
        {
          /* Not computed: a faint empty column. */
          bx_chart_set_source (cr, marked ? &accent : &fg, marked ? 0.25 : 0.06);
          cairo_rectangle (cr, xa, g.y0, xb - xa, g.y1 - g.y0);
          cairo_fill (cr);
          continue;
        }
      bx_chart_set_source (cr, marked ? &accent : &fg, marked ? 1 : 0.35);
      cairo_rectangle (cr, xa, bar_top (&g, v), xb - xa, g.y1 - bar_top (&g, v));
      cairo_fill (cr);
    }

  /* The search's choice: an accent outline (over the marked bar's fill when
   * they agree, so the outline is what tells an override). */
  if (self->suggested >= 0 && (guint) self->suggested < self->n)
    {
      double v = self->values[self->suggested], xa, xb;
      double top = isnan (v) ? g.y0 : bar_top (&g, v);

      bar_span (&g, self->suggested, &xa, &xb);
      cairo_set_line_width (cr, 1.5);
      bx_chart_set_source (cr, &accent, 1);
      if (self->suggested == self->marked)
        bx_chart_set_source (cr, &fg, 0.8);
      cairo_rectangle (cr, xa - 1.25, top - 1.25, xb - xa + 2.5, g.y1 - top + 1.25);
      cairo_stroke (cr);
    }

  /* The marker: a small triangle pointing down at the marked bar. */
  if (self->marked >= 0 && (guint) self->marked < self->n)
    {
      double v = self->values[self->marked];
      double cx = g.x0 + (self->marked + 0.5) * g.slot, tip = (isnan (v) ? g.y0 : bar_top (&g, v)) - 3;
      double half = CLAMP (g.slot / 2, 3, 5);

      bx_chart_set_source (cr, &accent, 1);
      cairo_move_to (cr, cx - half, tip - MARKER_H + 3);
      cairo_line_to (cr, cx + half, tip - MARKER_H + 3);
      cairo_line_to (cr, cx, tip);
      cairo_close_path (cr);
      cairo_fill (cr);
    }

  if (gtk_widget_has_visible_focus (widget))
    {
      /* Keyboard focus: a thin accent frame round the whole chart. */
      bx_chart_set_source (cr, &accent, 0.7);
      cairo_set_line_width (cr, 2);
      cairo_rectangle (cr, 1, 1, w - 2, h - 2);
      cairo_stroke (cr);
    }
  cairo_destroy (cr);
}

int
bx_bar_chart_index_at_x (BxBarChart *self, double x)
{
  Geometry g;

  g_return_val_if_fail (BX_IS_BAR_CHART (self), -1);
  if (!get_geometry (self, &g) || x < g.x0 || x >= g.x1)
    return -1;
  return MIN ((int) floor ((x - g.x0) / g.slot), (int) self->n - 1);
}

double
bx_bar_chart_get_bar_center (BxBarChart *self, guint index)
{
  Geometry g;

  g_return_val_if_fail (BX_IS_BAR_CHART (self), NAN);
  if (!get_geometry (self, &g) || index >= self->n)
    return NAN;
  return g.x0 + (index + 0.5) * g.slot;
}

static void
on_pressed (GtkGestureClick *gesture, int n_press, double x, double y, gpointer user_data)
{
  BxBarChart *self = user_data;
  int index = bx_bar_chart_index_at_x (self, x);

  if (index < 0)
    return;
  if (gtk_widget_get_focusable (GTK_WIDGET (self)))
    gtk_widget_grab_focus (GTK_WIDGET (self));
  bx_bar_chart_set_marked (self, index);
  g_signal_emit (self, signals[BAR_ACTIVATED], 0, index);
}

/* Key bindings. args "i": a step (move) or a target, -1 = the last (jump). */
static gboolean
mark_key (BxBarChart *self, int target)
{
  if (self->n == 0)
    return FALSE;   /* let the key travel on */
  target = CLAMP (target, 0, (int) self->n - 1);
  if (target != self->marked)
    {
      bx_bar_chart_set_marked (self, target);
      g_signal_emit (self, signals[BAR_ACTIVATED], 0, target);
    }
  return TRUE;
}

static gboolean
move_mark (GtkWidget *widget, GVariant *args, gpointer user_data)
{
  BxBarChart *self = BX_BAR_CHART (widget);
  int from = self->marked;

  /* With nothing marked the first press marks the search's choice. */
  if (from < 0)
    return mark_key (self, self->suggested >= 0 ? self->suggested : 0);
  return mark_key (self, from + g_variant_get_int32 (args));
}

static gboolean
jump_mark (GtkWidget *widget, GVariant *args, gpointer user_data)
{
  BxBarChart *self = BX_BAR_CHART (widget);
  int target = g_variant_get_int32 (args);

  return mark_key (self, target < 0 ? (int) self->n - 1 : target);
}

static gboolean
bx_bar_chart_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip)
{
  BxBarChart *self = BX_BAR_CHART (widget);
  int index = keyboard ? self->marked : bx_bar_chart_index_at_x (self, x);
  g_autofree char *text = bar_text (self, index);

  if (text == NULL)
    return FALSE;
  if (index == self->suggested)
    {
      /* TRANSLATORS: tooltip of the bar the position search chose */
      g_autofree char *suggested = g_strdup_printf (_("%s (the search's choice)"), text);

      gtk_tooltip_set_text (tooltip, suggested);
    }
  else
    gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
bx_bar_chart_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum, int *natural,
                      int *minimum_baseline, int *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = LEFT_W + RIGHT_W + 80;
      *natural = 300;
    }
  else
    {
      *minimum = HEADER_H + MARKER_H + AXIS_H + 40;
      *natural = 140;
    }
}

static void
bx_bar_chart_state_flags_changed (GtkWidget *widget, GtkStateFlags previous)
{
  /* The focus ring is drawn here, not by CSS. */
  gtk_widget_queue_draw (widget);
  GTK_WIDGET_CLASS (bx_bar_chart_parent_class)->state_flags_changed (widget, previous);
}

static void
bx_bar_chart_finalize (GObject *object)
{
  BxBarChart *self = BX_BAR_CHART (object);

  g_free (self->title);
  g_free (self->values);
  G_OBJECT_CLASS (bx_bar_chart_parent_class)->finalize (object);
}

static void
bx_bar_chart_class_init (BxBarChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = bx_bar_chart_finalize;
  widget_class->snapshot = bx_bar_chart_snapshot;
  widget_class->measure = bx_bar_chart_measure;
  widget_class->state_flags_changed = bx_bar_chart_state_flags_changed;
  widget_class->query_tooltip = bx_bar_chart_query_tooltip;

  /**
   * BxBarChart::bar-activated:
   * @index: the bar the user marked
   *
   * The user clicked a bar or moved the mark with the keyboard.
   */
  signals[BAR_ACTIVATED] = g_signal_new ("bar-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                         NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);

  gtk_widget_class_add_binding (widget_class, GDK_KEY_Left, 0, move_mark, "i", -1);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_KP_Left, 0, move_mark, "i", -1);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Right, 0, move_mark, "i", 1);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_KP_Right, 0, move_mark, "i", 1);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Home, 0, jump_mark, "i", 0);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_End, 0, jump_mark, "i", -1);

  gtk_widget_class_set_css_name (widget_class, "barchart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
bx_bar_chart_init (BxBarChart *self)
{
  GtkGesture *click = gtk_gesture_click_new ();

  self->marked = self->suggested = -1;
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("Click a bar or use the arrow keys to choose a layer"), -1);
  update_accessible (self);
}

GtkWidget *
bx_bar_chart_new (void)
{
  return g_object_new (BX_TYPE_BAR_CHART, NULL);
}

void
bx_bar_chart_set_title (BxBarChart *self, const char *title)
{
  g_return_if_fail (BX_IS_BAR_CHART (self));
  g_free (self->title);
  self->title = g_strdup (title);
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bx_bar_chart_set_values (BxBarChart *self, const double *values, guint n)
{
  g_return_if_fail (BX_IS_BAR_CHART (self));
  g_return_if_fail (values != NULL || n == 0);
  g_free (self->values);
  self->values = g_memdup2 (values, n * sizeof (double));
  self->n = n;
  if (self->marked >= (int) n)
    self->marked = -1;
  if (self->suggested >= (int) n)
    self->suggested = -1;
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bx_bar_chart_set_marked (BxBarChart *self, int index)
{
  g_return_if_fail (BX_IS_BAR_CHART (self));
  g_return_if_fail (index >= -1 && index < (int) self->n);
  if (self->marked == index)
    return;
  self->marked = index;
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int
bx_bar_chart_get_marked (BxBarChart *self)
{
  g_return_val_if_fail (BX_IS_BAR_CHART (self), -1);
  return self->marked;
}

void
bx_bar_chart_set_suggested (BxBarChart *self, int index)
{
  g_return_if_fail (BX_IS_BAR_CHART (self));
  g_return_if_fail (index >= -1 && index < (int) self->n);
  self->suggested = index;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int
bx_bar_chart_get_suggested (BxBarChart *self)
{
  g_return_val_if_fail (BX_IS_BAR_CHART (self), -1);
  return self->suggested;
}
