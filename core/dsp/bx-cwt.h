/* bx-cwt.h — Ricker (Mexican hat) continuous wavelet transform, exactly as
 * scipy 1.10's signal.cwt(x, signal.ricker, widths) (removed in scipy 1.15),
 * and BioX-Bridge's spec_cwt for NormWear input (spec §4.3).
 */
#pragma once

#include <glib.h>

#include "bx-dsp-error.h"

G_BEGIN_DECLS

/* spec_cwt uses widths numpy.arange(0.1, 65) = 0.1, 1.1, ..., 64.1. */
#define BX_SPEC_CWT_N_WIDTHS 65

/* Number of points of ricker(points, a): ceil(points) (numpy.arange(0, points)). */
gsize bx_ricker_length (double points);
/* scipy.signal.ricker(points, a): 2 / (sqrt(3a) pi^(1/4)) (1 - t^2/a^2)
 * exp(-t^2 / (2a^2)) at t = k - (points - 1) / 2, k < ceil(points).
 * `out` holds bx_ricker_length(points) values. */
void bx_ricker (double points, double a, double *out);

/* signal.cwt(x, ricker, widths): for width a, N = min(10 a, n) points of
 * ricker(N, a), output row = convolve(x, reversed wavelet, 'same').
 * out: n_widths rows of n (row-major). Widths must be > 0. */
gboolean bx_cwt_ricker (const float *x, gsize n, const double *widths, gsize n_widths, float *out, GError **error);

/* spec_cwt of one channel x (n >= 3 samples, e.g. 390): with d1 = diff(x),
 * d2 = diff(d1), the CWTs (widths 0.1 .. 64.1) of x[2:], d1[1:], d2, each
 * transposed. out: (3, n - 2, 65) row-major = 3 * (n - 2) * 65 floats. */
gboolean bx_spec_cwt (const float *x, gsize n, float *out, GError **error);

G_END_DECLS
