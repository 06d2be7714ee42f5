/* bx-filter.h — FIR and IIR filter design and zero-phase filtering, with
 * scipy.signal semantics (firwin, butter, cheby1, iirnotch, lfilter,
 * lfilter_zi, filtfilt, sosfilt, sosfiltfilt).
 *
 * Frequencies are in Hz with an explicit sampling rate `fs` (scipy's `fs=`
 * argument). Coefficients are double; signals are float32 in and out, filtered
 * with double-precision states and intermediate buffers, so results match
 * scipy (which works in float64) to ~1e-7 relative.
 *
 * BioX-Bridge uses (BIOX_BRIDGE_SPEC.md §4):
 *   ECG: bx_firwin (151, {0.05, 47}, 2, FALSE, NULL, 500) then bx_filtfilt (odd padding, padlen 453);
 *   PPG: bx_cheby1 (4, 0.5, BX_BAND_BANDPASS, 0.5, 12, 125) then bx_filtfilt.
 * The viewer uses BxDisplayFilter (Butterworth sections + notch, zero phase).
 */
#pragma once

#include <glib.h>

#include "bx-dsp-error.h"
#include "bx-window.h"

G_BEGIN_DECLS

typedef enum {
  BX_BAND_LOWPASS,
  BX_BAND_HIGHPASS,
  BX_BAND_BANDPASS, /* f_low .. f_high */
  BX_BAND_BANDSTOP, /* f_low .. f_high */
} BxBandType;

/* scipy's filtfilt padtype: None, 'odd', 'even', 'constant'. */
typedef enum {
  BX_PAD_NONE,
  BX_PAD_ODD,
  BX_PAD_EVEN,
  BX_PAD_CONSTANT,
} BxPadType;

/* padlen argument meaning "scipy's default": 3 * max(len(a), len(b)) for
 * filtfilt; for sosfiltfilt 3 * (2 * n_sections + 1 - z), z = the smaller of
 * the counts of sections with b2 == 0 and with a2 == 0. */
#define BX_PADLEN_DEFAULT ((gssize) -1)

/* A transfer function b(z)/a(z); a[0] != 0 (it is not required to be 1). */
typedef struct {
  double *b;
  gsize n_b;
  double *a;
  gsize n_a;
} BxFilterCoeffs;

/* Second-order sections, scipy's sos layout: n_sections rows of
 * (b0, b1, b2, a0, a1, a2), row-major; the cascade is section 0 first. */
typedef struct {
  double *sections;
  gsize n_sections;
} BxSos;

/* ---- design ---------------------------------------------------------------------------------- */

/* scipy.signal.firwin (numtaps, cutoff, window=window, pass_zero=pass_zero,
 * scale=True, fs=fs): windowed-sinc FIR; `cutoff_hz` strictly increasing in
 * (0, fs/2); pass_zero TRUE = the band starting at 0 Hz passes (low-pass,
 * band-stop), FALSE = it is stopped (high-pass, band-pass). A filter that
 * passes Nyquist needs an odd number of taps. `window` NULL = Hamming.
 * Returns numtaps taps (g_free). */
double *bx_firwin (gsize numtaps, const double *cutoff_hz, gsize n_cutoff, gboolean pass_zero,
                   const BxWindow *window, double fs, GError **error);

/* firwin for the usual bands: f_high is ignored for low/high-pass. */
double *bx_fir_design (gsize numtaps, BxBandType band, double f_low, double f_high, const BxWindow *window,
                       double fs, GError **error);

/* scipy.signal.butter (order, Wn, btype, fs=fs) in 'ba' form. For low/high-pass
 * the cut-off is f_low and f_high is ignored. 1 <= order <= 24. */
BxFilterCoeffs *bx_butter (guint order, BxBandType band, double f_low, double f_high, double fs, GError **error);
/* scipy.signal.cheby1 (order, ripple_db, Wn, btype, fs=fs) in 'ba' form. */
BxFilterCoeffs *bx_cheby1 (guint order, double ripple_db, BxBandType band, double f_low, double f_high, double fs,
                           GError **error);
/* The same designs as second-order sections (scipy's output='sos', 'nearest'
 * pairing): numerically safe for high orders and narrow bands. */
BxSos *bx_butter_sos (guint order, BxBandType band, double f_low, double f_high, double fs, GError **error);
BxSos *bx_cheby1_sos (guint order, double ripple_db, BxBandType band, double f_low, double f_high, double fs,
                      GError **error);
/* scipy.signal.iirnotch (f0, Q, fs): second-order notch at f0 with -3 dB
 * bandwidth f0 / Q. */
BxFilterCoeffs *bx_iirnotch (double f0, double q, double fs, GError **error);

/* Copies b and a; checks they are finite, non-empty and a[0] != 0. */
BxFilterCoeffs *bx_filter_coeffs_new (const double *b, gsize n_b, const double *a, gsize n_a, GError **error);
/* FIR: a = {1}. */
BxFilterCoeffs *bx_filter_coeffs_new_fir (const double *taps, gsize n_taps, GError **error);
void bx_filter_coeffs_free (BxFilterCoeffs *coeffs);
/* A single section as BxSos (for a notch, or any biquad). */
BxSos *bx_sos_new (const double *sections, gsize n_sections, GError **error);
void bx_sos_free (BxSos *sos);

/* ---- filtering ------------------------------------------------------------------------------- */

/* Length of the state vector of lfilter: max(n_a, n_b) - 1. */
gsize bx_filter_coeffs_state_length (const BxFilterCoeffs *coeffs);

/* scipy.signal.lfilter_zi: the state (length bx_filter_coeffs_state_length)
 * of the step response's steady state. Fails (BX_DSP_ERROR_UNSTABLE) if
 * sum(a) == 0. */
gboolean bx_lfilter_zi (const BxFilterCoeffs *coeffs, double *zi, GError **error);

/* scipy.signal.lfilter (direct form II transposed). `zi` (state length, may be
 * NULL = rest) is the initial state and receives the final state, so a long
 * signal can be filtered in chunks. y may alias x. */
gboolean bx_lfilter (const BxFilterCoeffs *coeffs, const float *x, float *y, gsize n, double *zi, GError **error);

/* scipy.signal.filtfilt (b, a, x, padtype=pad, padlen=padlen, method='pad'):
 * forward-backward filtering, zero phase, squared magnitude response. Needs
 * n > padlen. y may alias x. */
gboolean bx_filtfilt (const BxFilterCoeffs *coeffs, const float *x, float *y, gsize n, BxPadType pad, gssize padlen,
                      GError **error);

/* scipy.signal.sosfilt_zi: n_sections * 2 values. */
gboolean bx_sosfilt_zi (const BxSos *sos, double *zi, GError **error);
/* scipy.signal.sosfilt; zi (n_sections * 2, may be NULL) in/out as for bx_lfilter. */
gboolean bx_sosfilt (const BxSos *sos, const float *x, float *y, gsize n, double *zi, GError **error);
/* scipy.signal.sosfiltfilt (sos, x, padtype=pad, padlen=padlen). */
gboolean bx_sosfiltfilt (const BxSos *sos, const float *x, float *y, gsize n, BxPadType pad, gssize padlen,
                         GError **error);

/* ---- display filters for the viewer ---------------------------------------------------------- */

/* High-pass, low-pass and notch for on-screen data, as second-order sections
 * applied zero-phase (forward-backward, so the magnitude response is squared:
 * -6 dB at each cut-off). Butterworth order 2 high-pass, order 4 low-pass,
 * iirnotch with Q = 30. */
typedef struct _BxDisplayFilter BxDisplayFilter;

/* Each frequency <= 0 switches that filter off. All on-frequencies must lie in
 * (0, fs/2), and a high-pass must be below the low-pass. */
BxDisplayFilter *bx_display_filter_new (double fs, double highpass_hz, double lowpass_hz, double notch_hz,
                                        GError **error);
void bx_display_filter_free (BxDisplayFilter *filter);
/* TRUE when no filter is on (apply copies). */
gboolean bx_display_filter_is_identity (const BxDisplayFilter *filter);
/* Samples of context to read on each side of the visible range so the edges
 * have settled (about 3 time constants of the slowest filter). */
gsize bx_display_filter_get_margin (const BxDisplayFilter *filter);
/* Zero-phase filtering of x[0..n) into y (may alias). Short buffers are
 * padded with as much odd extension as they have. */
gboolean bx_display_filter_apply (const BxDisplayFilter *filter, const float *x, float *y, gsize n, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxFilterCoeffs, bx_filter_coeffs_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxSos, bx_sos_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxDisplayFilter, bx_display_filter_free)

G_END_DECLS
