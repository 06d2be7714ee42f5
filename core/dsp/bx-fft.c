/* bx-fft.c — mixed-radix Cooley-Tukey FFT with a Bluestein fallback. */
#include "bx-fft.h"

#include <math.h>
#include <string.h>

#include "bx-dsp-private.h"

/* Largest prime handled by the generic O(p^2) butterfly; lengths with a larger
 * prime factor use Bluestein. */
#define MAX_DIRECT_PRIME 31
#define MAX_FACTORS 64

typedef struct {
  double re, im;
} Cplx;

struct _BxFft {
  gsize n;
  gboolean direct; /* all prime factors <= MAX_DIRECT_PRIME */
  gboolean ready;  /* complex-transform tables built */
  /* Cooley-Tukey plan (when direct). */
  guint n_factors;
  gsize factors[MAX_FACTORS];
  Cplx *twiddles; /* exp(-2 pi i k / n), k < n */
  Cplx *scratch;  /* n */
  Cplx *bfly;     /* MAX_DIRECT_PRIME, generic butterfly temporaries */
  /* Bluestein plan. */
  BxFft *bluestein; /* power-of-two plan of length m >= 2n - 1 */
  Cplx *chirp;      /* exp(-i pi k^2 / n), k < n */
  Cplx *chirp_fft;  /* FFT of the conjugate chirp, length m */
  Cplx *work;       /* length m */
  /* Real transforms of even n: a complex plan of n / 2 and exp(-2 pi i k / n),
   * k <= n / 2, made on first use. */
  BxFft *half;
  Cplx *real_twiddles;
};

static inline Cplx
cmul (Cplx a, Cplx b)
{
  return (Cplx){ a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re };
}

static gboolean
factorize (gsize n, gsize *factors, guint *n_factors)
{
  guint k = 0;

  /* Radix 4 first, then 2, then odd primes: keeps the generic butterfly for
   * the few odd factors. */
  while (n % 4 == 0)
    {
      factors[k++] = 4;
      n /= 4;
    }
  while (n % 2 == 0)
    {
      factors[k++] = 2;
      n /= 2;
    }
  for (gsize p = 3; n > 1 && p <= MAX_DIRECT_PRIME; p += 2)
    while (n % p == 0)
      {
        factors[k++] = p;
        n /= p;
      }
  *n_factors = k;
  return n == 1;
}

/* One Stockham autosort pass, decimation in frequency, radix p: the data are
 * s interleaved transforms of length n (element k of transform q at
 * x[q + s k]); each becomes p transforms of length n / p, written to y so that
 * the next pass (n / p, s p) needs no bit reversal and both arrays are read
 * and written in long contiguous runs:
 *   y[q + s (p k + r)] = W_n^{r k} sum_j x[q + s (k + j m)] W_p^{j r},  m = n / p. */
static void
stockham_pass (const BxFft *fft, const Cplx *restrict x, Cplx *restrict y, gsize n, gsize s, gsize p)
{
  const gsize m = n / p;
  const Cplx *tw = fft->twiddles; /* W_N^t = tw[t], N = n s */

  if (p == 2)
    {
      for (gsize k = 0; k < m; k++)
        {
          const Cplx w1 = tw[k * s];
          for (gsize q = 0; q < s; q++)
            {
              const Cplx a0 = x[q + s * k], a1 = x[q + s * (k + m)];
              y[q + s * (2 * k)] = (Cplx){ a0.re + a1.re, a0.im + a1.im };
              y[q + s * (2 * k + 1)] = cmul ((Cplx){ a0.re - a1.re, a0.im - a1.im }, w1);
            }
        }
    }
  else if (p == 4)
    {
      for (gsize k = 0; k < m; k++)
        {
          const Cplx w1 = tw[k * s], w2 = tw[2 * k * s], w3 = tw[3 * k * s];
          for (gsize q = 0; q < s; q++)
            {
              const Cplx a0 = x[q + s * k], a1 = x[q + s * (k + m)];
              const Cplx a2 = x[q + s * (k + 2 * m)], a3 = x[q + s * (k + 3 * m)];
              const Cplx s02 = { a0.re + a2.re, a0.im + a2.im }, d02 = { a0.re - a2.re, a0.im - a2.im };
              const Cplx s13 = { a1.re + a3.re, a1.im + a3.im }, d13 = { a1.re - a3.re, a1.im - a3.im };
              Cplx *out = y + q + s * (4 * k);
              /* W_4 = -i for the forward transform. */
              out[0] = (Cplx){ s02.re + s13.re, s02.im + s13.im };
              out[s] = cmul ((Cplx){ d02.re + d13.im, d02.im - d13.re }, w1);
              out[2 * s] = cmul ((Cplx){ s02.re - s13.re, s02.im - s13.im }, w2);
              out[3 * s] = cmul ((Cplx){ d02.re - d13.im, d02.im + d13.re }, w3);
            }
        }
    }
  else
    {
      Cplx *a = fft->bfly;
      const gsize wp = fft->n / p; /* W_p^t = tw[t wp] */
      for (gsize k = 0; k < m; k++)
        for (gsize q = 0; q < s; q++)
          {
            for (gsize j = 0; j < p; j++)
              a[j] = x[q + s * (k + j * m)];
            for (gsize r = 0; r < p; r++)
              {
                Cplx acc = a[0];
                gsize t = 0;
                for (gsize j = 1; j < p; j++)
                  {
                    t += r;
                    if (t >= p)
                      t -= p;
                    const Cplx v = cmul (a[j], tw[t * wp]);
                    acc.re += v.re;
                    acc.im += v.im;
                  }
                y[q + s * (p * k + r)] = r == 0 ? acc : cmul (acc, tw[r * k * s]);
              }
          }
    }
}

static void
fill_twiddles (Cplx *tw, gsize n)
{
  /* Each angle from k / n directly (no recurrence, so no error build-up);
   * the other quarters / half follow exactly by rotation when n allows. */
  const gsize direct = n % 4 == 0 ? n / 4 : n % 2 == 0 ? n / 2 : n;

  for (gsize k = 0; k < direct; k++)
    {
      const double angle = -2.0 * G_PI * (double) k / (double) n;
      tw[k] = (Cplx){ cos (angle), sin (angle) };
    }
  if (n % 4 == 0)
    for (gsize k = 0; k < direct; k++)
      {
        const Cplx w = tw[k];
        tw[k + n / 4] = (Cplx){ w.im, -w.re }; /* times W^(n/4) = -i */
        tw[k + n / 2] = (Cplx){ -w.re, -w.im };
        tw[k + 3 * n / 4] = (Cplx){ -w.im, w.re };
      }
  else if (n % 2 == 0)
    for (gsize k = 0; k < direct; k++)
      tw[k + n / 2] = (Cplx){ -tw[k].re, -tw[k].im };
}

BxFft *
bx_fft_new (gsize n, GError **error)
{
  BxFft *fft;

  if (n == 0)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "bx_fft_new: the FFT length must be >= 1");
      return NULL;
    }
  if (n > G_MAXSIZE / 64)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT,
                   "bx_fft_new: FFT length %" G_GSIZE_FORMAT " is too large", n);
      return NULL;
    }
  fft = g_new0 (BxFft, 1);
  fft->n = n;
  fft->direct = factorize (n, fft->factors, &fft->n_factors);
  return fft;
}

/* Tables and scratch of the complex transform, made on first use: a plan used
 * only for real transforms of even length never needs them. */
static void
ensure_complex (BxFft *fft)
{
  const gsize n = fft->n;

  if (fft->ready)
    return;
  fft->ready = TRUE;
  if (fft->direct)
    {
      fft->twiddles = g_new (Cplx, n);
      fft->scratch = g_new (Cplx, n);
      fft->bfly = g_new (Cplx, MAX_DIRECT_PRIME);
      fill_twiddles (fft->twiddles, n);
      return;
    }

  /* Bluestein: X[k] = w[k] sum_j (x[j] w[j]) conj(w[k - j]) with w[k] =
   * exp(-i pi k^2 / n), a circular convolution of length m (power of two,
   * m >= 2n - 1). */
  gsize m = 1;
  while (m < 2 * n - 1)
    m *= 2;
  fft->bluestein = bx_fft_new (m, NULL);
  fft->chirp = g_new (Cplx, n);
  fft->chirp_fft = g_new0 (Cplx, m);
  fft->work = g_new (Cplx, m);
  for (gsize k = 0; k < n; k++)
    {
      /* k^2 mod 2n keeps the angle small and exact for large k. */
      guint64 k2 = ((guint64) k * (guint64) k) % (2 * (guint64) n);
      double angle = -G_PI * (double) k2 / (double) n;
      fft->chirp[k] = (Cplx){ cos (angle), sin (angle) };
    }
  fft->chirp_fft[0] = (Cplx){ fft->chirp[0].re, -fft->chirp[0].im };
  for (gsize k = 1; k < n; k++)
    {
      Cplx c = { fft->chirp[k].re, -fft->chirp[k].im };
      fft->chirp_fft[k] = c;
      fft->chirp_fft[m - k] = c;
    }
  bx_fft_forward (fft->bluestein, (double *) fft->chirp_fft);
}

void
bx_fft_free (BxFft *fft)
{
  if (fft == NULL)
    return;
  g_free (fft->twiddles);
  g_free (fft->scratch);
  g_free (fft->bfly);
  bx_fft_free (fft->bluestein);
  g_free (fft->chirp);
  g_free (fft->chirp_fft);
  g_free (fft->work);
  bx_fft_free (fft->half);
  g_free (fft->real_twiddles);
  g_free (fft);
}

gsize
bx_fft_get_length (const BxFft *fft)
{
  return fft->n;
}

void
bx_fft_forward (BxFft *fft, double *data)
{
  Cplx *x = (Cplx *) data;
  const gsize n = fft->n;

  if (n == 1)
    return;
  ensure_complex (fft);
  if (fft->direct)
    {
      Cplx *src = x, *dst = fft->scratch;
      gsize len = n, stride = 1;
      for (guint f = 0; f < fft->n_factors; f++)
        {
          stockham_pass (fft, src, dst, len, stride, fft->factors[f]);
          len /= fft->factors[f];
          stride *= fft->factors[f];
          Cplx *t = src;
          src = dst;
          dst = t;
        }
      if (src != x)
        memcpy (x, src, n * sizeof (Cplx));
      return;
    }

  const gsize m = bx_fft_get_length (fft->bluestein);
  Cplx *w = fft->work;
  for (gsize k = 0; k < n; k++)
    w[k] = cmul (x[k], fft->chirp[k]);
  memset (w + n, 0, (m - n) * sizeof (Cplx));
  bx_fft_forward (fft->bluestein, (double *) w);
  for (gsize k = 0; k < m; k++)
    w[k] = cmul (w[k], fft->chirp_fft[k]);
  bx_fft_inverse (fft->bluestein, (double *) w);
  for (gsize k = 0; k < n; k++)
    x[k] = cmul (w[k], fft->chirp[k]);
}

void
bx_fft_inverse (BxFft *fft, double *data)
{
  const gsize n = fft->n;
  const double scale = 1.0 / (double) n;

  /* ifft(x) = conj(fft(conj(x))) / n */
  for (gsize k = 0; k < n; k++)
    data[2 * k + 1] = -data[2 * k + 1];
  bx_fft_forward (fft, data);
  for (gsize k = 0; k < n; k++)
    {
      data[2 * k] *= scale;
      data[2 * k + 1] *= -scale;
    }
}

/* Lazily builds the half-length plan for real transforms of even n. */
static BxFft *
half_plan (BxFft *fft)
{
  const gsize n = fft->n;

  if (fft->half == NULL)
    {
      fft->half = bx_fft_new (n / 2, NULL);
      Cplx *w = fft->real_twiddles = g_new (Cplx, n / 2 + 1);
      const gsize direct = n % 4 == 0 ? n / 4 : n / 2;
      for (gsize k = 0; k <= direct; k++)
        {
          const double angle = -2.0 * G_PI * (double) k / (double) n;
          w[k] = (Cplx){ cos (angle), sin (angle) };
        }
      /* W^(k + n/4) = -i W^k, exactly */
      for (gsize k = direct + 1; k <= n / 2; k++)
        w[k] = (Cplx){ w[k - direct].im, -w[k - direct].re };
    }
  return fft->half;
}

void
bx_fft_rfft (BxFft *fft, const double *x, double *spectrum)
{
  const gsize n = fft->n;

  if (n % 2 != 0)
    {
      g_autofree double *buf = g_new (double, 2 * n);
      for (gsize k = 0; k < n; k++)
        {
          buf[2 * k] = x[k];
          buf[2 * k + 1] = 0.0;
        }
      bx_fft_forward (fft, buf);
      memcpy (spectrum, buf, 2 * (n / 2 + 1) * sizeof (double));
      return;
    }

  /* Even n: the even and odd samples as the real and imaginary parts of one
   * complex signal of n / 2, transformed once and then separated:
   * X[k] = E[k] + W_n^k O[k], E = (Z[k] + conj Z[h-k]) / 2, O = (Z[k] - conj Z[h-k]) / 2i. */
  const gsize h = n / 2;
  BxFft *hp = half_plan (fft);
  const Cplx *w = fft->real_twiddles;
  g_autofree Cplx *z = g_new (Cplx, h);
  Cplx *out = (Cplx *) spectrum;

  memcpy (z, x, n * sizeof (double));
  bx_fft_forward (hp, (double *) z);
  for (gsize k = 0; k <= h; k++)
    {
      const Cplx zk = z[k % h], zr = z[(h - k) % h];
      const Cplx e = { 0.5 * (zk.re + zr.re), 0.5 * (zk.im - zr.im) };
      const Cplx o = { 0.5 * (zk.im + zr.im), -0.5 * (zk.re - zr.re) };
      const Cplx wo = cmul (w[k], o);
      out[k] = (Cplx){ e.re + wo.re, e.im + wo.im };
    }
}

void
bx_fft_irfft (BxFft *fft, const double *spectrum, double *x)
{
  const gsize n = fft->n;
  const gsize n_bins = n / 2 + 1;

  if (n % 2 != 0)
    {
      g_autofree double *buf = g_new (double, 2 * n);
      /* Hermitian extension; the real part of the inverse then equals irfft, and
       * the imaginary part of the DC bin drops out of it. */
      for (gsize k = 0; k < n_bins; k++)
        {
          buf[2 * k] = spectrum[2 * k];
          buf[2 * k + 1] = spectrum[2 * k + 1];
        }
      for (gsize k = n_bins; k < n; k++)
        {
          buf[2 * k] = spectrum[2 * (n - k)];
          buf[2 * k + 1] = -spectrum[2 * (n - k) + 1];
        }
      bx_fft_inverse (fft, buf);
      for (gsize k = 0; k < n; k++)
        x[k] = buf[2 * k];
      return;
    }

  /* Even n, the forward trick backwards: E[k] = (X[k] + conj X[h-k]) / 2,
   * O[k] = (X[k] - conj X[h-k]) / 2 W_n^-k, z = ifft_h(E + i O), x[2j] = Re z[j],
   * x[2j+1] = Im z[j]. numpy ignores the imaginary parts of X[0] and X[h]. */
  const gsize h = n / 2;
  BxFft *hp = half_plan (fft);
  const Cplx *w = fft->real_twiddles;
  const Cplx *in = (const Cplx *) spectrum;
  g_autofree Cplx *z = g_new (Cplx, h);

  for (gsize k = 0; k < h; k++)
    {
      Cplx a = in[k], b = in[h - k];
      if (k == 0)
        a.im = 0.0, b.im = 0.0;
      const Cplx e = { 0.5 * (a.re + b.re), 0.5 * (a.im - b.im) };
      const Cplx d = { 0.5 * (a.re - b.re), 0.5 * (a.im + b.im) };
      const Cplx o = cmul (d, (Cplx){ w[k].re, -w[k].im });
      z[k] = (Cplx){ e.re - o.im, e.im + o.re };
    }
  bx_fft_inverse (hp, (double *) z);
  memcpy (x, z, n * sizeof (double));
}
