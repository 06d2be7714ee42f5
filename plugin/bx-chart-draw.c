/* bx-chart-draw.c — drawing helpers shared by the chart widgets. */
#include "config.h"

#include "bx-chart-draw.h"

void
bx_chart_get_colors (GtkWidget *widget, GdkRGBA *fg, GdkRGBA *accent)
{
  /* gtk_widget_get_color is GTK 4.10; 4.8 has only the style context. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  gdk_rgba_parse (accent, "#3584e4");
}

void
bx_chart_set_source (cairo_t *cr, const GdkRGBA *c, double alpha)
{
  cairo_set_source_rgba (cr, c->red, c->green, c->blue, c->alpha * alpha);
}

PangoLayout *
bx_chart_make_layout (GtkWidget *widget, double scale, gboolean bold)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, NULL);
  PangoFontDescription *font
      = pango_font_description_copy (pango_context_get_font_description (pango_layout_get_context (layout)));

  pango_font_description_set_size (font, (int)(pango_font_description_get_size (font) * scale));
  if (bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  return layout;
}
