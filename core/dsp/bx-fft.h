/* bx-fft.h — complex and real FFTs of any length, in double precision.
 *
 * Lengths whose prime factors are all <= 31 use a mixed-radix Cooley-Tukey
 * transform (radix 4 and 2 specialised, other primes through a generic
 * butterfly); any other length goes through Bluestein's chirp-z algorithm on
 * a power-of-two transform. Results match numpy.fft / scipy.fft to rounding.
 *
 * Data layout: `n` complex values as interleaved (re, im) doubles, 2·n doubles.
 * A plan owns scratch memory: use one plan per thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BxFft BxFft;

/* A plan for transforms of length n >= 1. */
BxFft *bx_fft_new (gsize n, GError **error);
void bx_fft_free (BxFft *fft);
gsize bx_fft_get_length (const BxFft *fft);

/* In place, unnormalised: X[k] = sum_j x[j] exp(-2 pi i j k / n). */
void bx_fft_forward (BxFft *fft, double *data);
/* In place, normalised like numpy.fft.ifft: x[j] = 1/n sum_k X[k] exp(+2 pi i j k / n). */
void bx_fft_inverse (BxFft *fft, double *data);

/* numpy.fft.rfft: x (n reals) -> spectrum (n/2 + 1 complex, interleaved). */
void bx_fft_rfft (BxFft *fft, const double *x, double *spectrum);
/* numpy.fft.irfft(spectrum, n): spectrum (n/2 + 1 complex) -> x (n reals). The
 * imaginary parts of bin 0 and (for even n) bin n/2 are ignored, as numpy does. */
void bx_fft_irfft (BxFft *fft, const double *spectrum, double *x);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxFft, bx_fft_free)

G_END_DECLS
