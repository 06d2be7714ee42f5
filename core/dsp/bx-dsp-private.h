/* bx-dsp-private.h — helpers shared by the core/dsp sources; not public API. */
#pragma once

#include <glib.h>

#include "bx-dsp-error.h"

G_BEGIN_DECLS

/* FALSE + BX_DSP_ERROR_NOT_FINITE naming `func`, `what` and the first bad index. */
gboolean bx_dsp_check_finite_f (const float *x, gsize n, const char *func, const char *what, GError **error);
gboolean bx_dsp_check_finite_d (const double *x, gsize n, const char *func, const char *what, GError **error);
/* FALSE + BX_DSP_ERROR_INVALID_ARGUMENT when n == 0 or x == NULL. */
gboolean bx_dsp_check_signal (const float *x, gsize n, const char *func, GError **error);
/* FALSE + BX_DSP_ERROR_RATE unless 0 < fs < inf. */
gboolean bx_dsp_check_rate (double fs, const char *func, const char *what, GError **error);

G_END_DECLS
