/* dsp-test-util.h — fixture loading and comparisons for the core/dsp tests. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads tests/fixtures/dsp/<name>.npy (1-D little-endian float64). */
double *dsp_load (const char *name, gsize *n);
/* The same, rounded to float32 (fixture inputs are float32-exact). */
float *dsp_load_f (const char *name, gsize *n);
int *dsp_load_i (const char *name, gsize *n);

/* Reads a text checkpoint from ../shared/docs/checkpoints (one number a line);
 * NULL after g_test_skip() when the shared docs are absent. */
double *dsp_load_checkpoint (const char *name, gsize *n);

/* max |got - want| / max |want|: the error relative to the signal's scale. */
double dsp_rel_err_f (const float *got, const double *want, gsize n);
double dsp_rel_err_d (const double *got, const double *want, gsize n);
/* max |got - want| */
double dsp_abs_err_d (const double *got, const double *want, gsize n);

G_END_DECLS
