/* bx-loss-plot.h — the training loss curve, filled in live.
 *
 * Points (step, loss) are appended from progress updates on the main thread.
 * The curve is a polyline over the steps seen, the y axis fits [min, max] of
 * the finite losses with a small margin, and the last loss is printed. Non-
 * finite points are kept but not drawn (they break the line). Long runs stay
 * cheap: each pixel column draws at most four vertices (entry, min, max, exit).
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define BX_TYPE_LOSS_PLOT (bx_loss_plot_get_type ())
G_DECLARE_FINAL_TYPE (BxLossPlot, bx_loss_plot, BX, LOSS_PLOT, GtkWidget)

GtkWidget *bx_loss_plot_new (void);

void bx_loss_plot_clear (BxLossPlot *self);
/* Names what x counts in the header ("epoch 3.5"); NULL = "step". */
void bx_loss_plot_set_x_name (BxLossPlot *self, const char *name);
void bx_loss_plot_append (BxLossPlot *self, double step, double loss);
guint bx_loss_plot_get_n_points (BxLossPlot *self);

/* Vertices of the polyline the last snapshot drew (tests check the decimation). */
guint bx_loss_plot_get_n_drawn_vertices (BxLossPlot *self);

G_END_DECLS
