/* bx-bar-chart.h — one bar per layer, a value in [0, 1] each (e.g. the
 * position search's score per layer of an encoder).
 *
 * A NaN value means "not computed" and leaves the slot empty. One bar can be
 * marked (the chosen position: accent colour, a marker above it and its value
 * in the header) and one suggested (the search's choice: outlined), so a
 * user's override shows as marked != suggested. Clicking a bar, or Left/Right
 * (Home/End) with the keyboard focus, marks it and emits "bar-activated".
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define BX_TYPE_BAR_CHART (bx_bar_chart_get_type ())
G_DECLARE_FINAL_TYPE (BxBarChart, bx_bar_chart, BX, BAR_CHART, GtkWidget)

GtkWidget *bx_bar_chart_new (void);

void bx_bar_chart_set_title (BxBarChart *self, const char *title);
/* Copies `n` values; NaN = not computed. Keeps the marks that are still < n. */
void bx_bar_chart_set_values (BxBarChart *self, const double *values, guint n);
/* -1 = none. Does not emit "bar-activated" (only the user's choices do). */
void bx_bar_chart_set_marked (BxBarChart *self, int index);
int bx_bar_chart_get_marked (BxBarChart *self);
void bx_bar_chart_set_suggested (BxBarChart *self, int index);
int bx_bar_chart_get_suggested (BxBarChart *self);

/* Geometry at the current allocation, in widget coordinates (for tests and
 * tooltips): the bar under x (-1 outside the plot), and a bar's centre x. */
int bx_bar_chart_index_at_x (BxBarChart *self, double x);
double bx_bar_chart_get_bar_center (BxBarChart *self, guint index);

G_END_DECLS
