/* bx-chart-draw.h — drawing helpers the plugin's chart widgets share
 * (bar chart, loss plot, confusion matrix): theme colours, cairo source with
 * extra alpha, and Pango layouts in a scaled theme font. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The theme's foreground colour and the accent colour (#3584e4). */
void bx_chart_get_colors (GtkWidget *widget, GdkRGBA *fg, GdkRGBA *accent);
/* `c` with its alpha multiplied by `alpha`. */
void bx_chart_set_source (cairo_t *cr, const GdkRGBA *c, double alpha);
/* A layout in the widget's font scaled by `scale`, bold if asked. */
PangoLayout *bx_chart_make_layout (GtkWidget *widget, double scale, gboolean bold);

G_END_DECLS
