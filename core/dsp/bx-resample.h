/* bx-resample.h — changing the sampling rate of a float32 signal.
 *
 * Three resamplers, for three purposes:
 *  - linear interpolation exactly as BioX-Bridge's preprocessing does it
 *    (`resample_ecgfm` in dataset_preprocessing/make_*.py, spec §4): no
 *    anti-aliasing, used only to reproduce the reference pipelines;
 *  - FFT resampling with scipy.signal.resample semantics (periodic signal
 *    assumption; used for WESAD PPG and for label sequences);
 *  - polyphase resampling with a windowed-sinc anti-alias FIR, scipy's
 *    resample_poly: the one for general use (viewer, export, model input).
 */
#pragma once

#include <glib.h>

#include "bx-dsp-error.h"
#include "bx-window.h"

G_BEGIN_DECLS

/* ---- linear (reference preprocessing) -------------------------------------------------------- */

/* int(n_in * (f_out / f_in)), as the reference computes it. */
gsize bx_resample_linear_length (gsize n_in, double f_in, double f_out);

/* resample_ecgfm(x, f_in, f_out): n_out = bx_resample_linear_length(); input
 * sample i sits at output position i * (n_out - 1) / (n_in - 1) and the output
 * is evaluated at 0 .. n_out - 1 by linear interpolation. Equal rates return
 * a copy. Needs n_in >= 2 and n_out >= 2. Returns n_out floats (g_free). */
float *bx_resample_linear (const float *x, gsize n_in, double f_in, double f_out, gsize *n_out, GError **error);
/* The same mapping between caller buffers of any lengths n_in, n_out >= 2. */
gboolean bx_resample_linear_into (const float *x, gsize n_in, float *y, gsize n_out, GError **error);

/* ---- FFT (scipy.signal.resample) ------------------------------------------------------------- */

/* scipy.signal.resample(x, n_out) for real x: spectrum truncated or
 * zero-padded, the Nyquist bin of an even length split (upsampling) or
 * doubled (downsampling) as scipy does, scaled by n_out / n_in. Any lengths
 * (Bluestein for large prime factors). Returns n_out floats (g_free). */
float *bx_resample_fft (const float *x, gsize n_in, gsize n_out, GError **error);

/* np.round(scipy.signal.resample(labels, n_out)).astype(int): how the
 * reference carries per-sample labels to another rate (round half to even). */
int *bx_resample_labels (const int *labels, gsize n_in, gsize n_out, GError **error);

/* ---- polyphase (scipy.signal.resample_poly) -------------------------------------------------- */

typedef struct _BxPolyResampler BxPolyResampler;

/* Rational resampler by up / down (reduced by their gcd). The anti-alias
 * low-pass is firwin(2 * half_len + 1, 1 / max(up, down)) with half_len =
 * 10 * max(up, down) and `window` (NULL = Kaiser, beta 5, scipy's default),
 * scaled by up. up, down in 1 .. 100000. */
BxPolyResampler *bx_poly_resampler_new (guint up, guint down, const BxWindow *window, GError **error);
void bx_poly_resampler_free (BxPolyResampler *resampler);
/* ceil(n_in * up / down) */
gsize bx_poly_resampler_output_length (const BxPolyResampler *resampler, gsize n_in);
/* Reduced factors. */
void bx_poly_resampler_get_factors (const BxPolyResampler *resampler, guint *up, guint *down);
/* Resamples x (n_in, zero outside) into y (output_length floats), as
 * resample_poly(x, up, down, window, padtype='constant'). */
gboolean bx_poly_resampler_process (const BxPolyResampler *resampler, const float *x, gsize n_in, float *y,
                                    GError **error);

/* One-shot forms; return *n_out floats (g_free). */
float *bx_resample_poly (const float *x, gsize n_in, guint up, guint down, const BxWindow *window, gsize *n_out,
                         GError **error);
/* up / down from the rates (e.g. 256 -> 100 Hz: 25 / 64). Fails with
 * BX_DSP_ERROR_RATE when f_out / f_in has no rational form with terms <= 10000
 * (within 1e-9 relative). */
float *bx_resample_poly_rates (const float *x, gsize n_in, double f_in, double f_out, gsize *n_out, GError **error);
gboolean bx_rate_ratio (double f_in, double f_out, guint *up, guint *down, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxPolyResampler, bx_poly_resampler_free)

G_END_DECLS
