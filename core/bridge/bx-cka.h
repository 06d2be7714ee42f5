/* bx-cka.h — linear centred kernel alignment (CKA) between two sets of
 * features of the same N samples; the output-position criterion of
 * BioX-Bridge (spec §1.3).
 *
 * The reference computes cka(gram_linear(X), gram_linear(Y)) with the biased
 * HSIC, which needs two N × N Gram matrices (19k² doubles ≈ 2.9 GB each for
 * ISRUC). The feature-space form used here is identical:
 *   Xc, Yc = column-centred X (N × p), Y (N × q)
 *   CKA = ‖Ycᵀ Xc‖²_F / (‖Xcᵀ Xc‖_F · ‖Ycᵀ Yc‖_F)
 * and costs O(N·(p² + q² + pq)) time and O(p² + q² + pq) memory.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* X: n × p, Y: n × q, float32 row-major. Computed in double. Returns NaN if
 * either side is constant (zero variance) or n < 2. */
double bx_linear_cka (const float *X, const float *Y, gsize n, guint p, guint q);

G_END_DECLS
