/* bx-dsp-error.h — the error domain of core/dsp.
 *
 * Every fallible dsp function takes a GError ** and reports bad input (NaN or
 * infinite samples, empty signals, non-positive rates, band edges outside
 * (0, Nyquist), signals shorter than a filter's padding) with a message that
 * names the function, the argument and the offending value.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BX_DSP_ERROR (bx_dsp_error_quark ())
GQuark bx_dsp_error_quark (void);

typedef enum {
  BX_DSP_ERROR_INVALID_ARGUMENT, /* a length, order, factor or option is out of range */
  BX_DSP_ERROR_NOT_FINITE,       /* a sample or coefficient is NaN or infinite */
  BX_DSP_ERROR_RATE,             /* a sampling rate is <= 0 or not finite, or rates have no usable ratio */
  BX_DSP_ERROR_FREQUENCY,        /* a band edge / cut-off is outside (0, fs/2) or edges are not increasing */
  BX_DSP_ERROR_TOO_SHORT,        /* the signal is too short for the operation (e.g. filtfilt padding) */
  BX_DSP_ERROR_UNSTABLE,         /* a filter has a pole on the unit circle at z = 1 (no steady state) */
} BxDspError;

G_END_DECLS
