/* bx-window.h — window functions with scipy.signal.get_window semantics. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  BX_WINDOW_RECTANGULAR,
  BX_WINDOW_HAMMING,  /* 0.54 - 0.46 cos */
  BX_WINDOW_HANN,     /* 0.5 - 0.5 cos */
  BX_WINDOW_BLACKMAN, /* 0.42 - 0.5 cos + 0.08 cos 2 */
  BX_WINDOW_KAISER,   /* I0(beta sqrt(1 - r^2)) / I0(beta), uses `beta` */
} BxWindowType;

typedef struct {
  BxWindowType type;
  double beta; /* Kaiser shape parameter (scipy's resample_poly default is 5.0) */
} BxWindow;

/* Fills w[0..n) with the window. `symmetric` = TRUE gives scipy's sym=True
 * (filter design, what firwin uses); FALSE the periodic (DFT-even) form. */
gboolean bx_window_fill (const BxWindow *window, double *w, gsize n, gboolean symmetric, GError **error);

/* Modified Bessel function of the first kind, order 0 (for Kaiser windows). */
double bx_bessel_i0 (double x);

G_END_DECLS
