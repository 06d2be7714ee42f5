/* bx-normalize.h — per-channel normalisation, in place, double-precision sums.
 *
 * Standard deviations are population std (ddof 0), as numpy's std and
 * scipy.stats.zscore use. A constant channel (std == 0) becomes all zeros,
 * BioX-Bridge's lead_std_divide(constant_lead_strategy='zero') rule (scipy's
 * zscore would give NaN there).
 */
#pragma once

#include <glib.h>

#include "bx-dsp-error.h"

G_BEGIN_DECLS

/* Mean and population standard deviation of x (n >= 1). */
gboolean bx_mean_std (const float *x, gsize n, double *mean, double *std, GError **error);

/* x -= mean(x). */
gboolean bx_remove_mean (float *x, gsize n, GError **error);

/* x = (x - mean) / std, zeros when std == 0 (scipy.stats.zscore, ddof 0). */
gboolean bx_zscore (float *x, gsize n, GError **error);

/* BioX-Bridge's lead_std_divide on channel-major data (n_channels rows of
 * n_samples): each row divided by its own std (taken about its mean; the
 * mean itself is not removed), constant rows -> 0. `std_out` (n_channels,
 * may be NULL) receives the stds. */
gboolean bx_lead_std_divide (float *x, gsize n_channels, gsize n_samples, double *std_out, GError **error);

/* Per-channel mean removal then lead_std_divide: what the reference does to
 * ECG / EMG ("mean/std normalisation"), i.e. a per-row z-score. */
gboolean bx_normalize_channels (float *x, gsize n_channels, gsize n_samples, GError **error);

G_END_DECLS
