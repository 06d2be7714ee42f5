/* bx-resample.c — linear, FFT and polyphase resampling. */
#include "bx-resample.h"

#include <math.h>
#include <string.h>

#include "bx-dsp-private.h"
#include "bx-fft.h"
#include "bx-filter.h"

/* ---- linear ---------------------------------------------------------------------------------- */

gsize
bx_resample_linear_length (gsize n_in, double f_in, double f_out)
{
  double n = (double) n_in * (f_out / f_in);
  return n > 0.0 ? (gsize) n : 0;
}

gboolean
bx_resample_linear_into (const float *x, gsize n_in, float *y, gsize n_out, GError **error)
{
  if (!bx_dsp_check_signal (x, n_in, "bx_resample_linear", error))
    return FALSE;
  if (n_in < 2 || n_out < 2)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_TOO_SHORT,
                   "bx_resample_linear: linear interpolation needs at least 2 input and 2 output samples "
                   "(got %" G_GSIZE_FORMAT " -> %" G_GSIZE_FORMAT ")",
                   n_in, n_out);
      return FALSE;
    }
  /* Input sample i sits at output position i * step (numpy.linspace(0, n_out - 1, n_in)). */
  const double step = (double) (n_out - 1) / (double) (n_in - 1);
  const double inv = (double) (n_in - 1) / (double) (n_out - 1);
  for (gsize j = 0; j < n_out; j++)
    {
      gsize lo = (gsize) floor ((double) j * inv);
      if (lo > n_in - 2)
        lo = n_in - 2;
      /* interp1d: bracket j between nodes lo and lo + 1 with node positions as linspace makes them. */
      double x_lo = (double) lo * step;
      double x_hi = lo + 1 == n_in - 1 ? (double) (n_out - 1) : (double) (lo + 1) * step;
      if ((double) j > x_hi && lo + 2 < n_in)
        {
          lo++;
          x_lo = x_hi;
          x_hi = lo + 1 == n_in - 1 ? (double) (n_out - 1) : (double) (lo + 1) * step;
        }
      else if ((double) j < x_lo && lo > 0)
        {
          lo--;
          x_hi = x_lo;
          x_lo = (double) lo * step;
        }
      const double y_lo = x[lo], y_hi = x[lo + 1];
      const double slope = (y_hi - y_lo) / (x_hi - x_lo);
      y[j] = (float) (slope * ((double) j - x_lo) + y_lo);
    }
  return TRUE;
}

float *
bx_resample_linear (const float *x, gsize n_in, double f_in, double f_out, gsize *n_out, GError **error)
{
  g_autofree float *y = NULL;
  gsize n;

  if (!bx_dsp_check_rate (f_in, "bx_resample_linear", "f_in", error)
      || !bx_dsp_check_rate (f_out, "bx_resample_linear", "f_out", error)
      || !bx_dsp_check_signal (x, n_in, "bx_resample_linear", error))
    return NULL;
  if (f_in == f_out)
    {
      *n_out = n_in;
      return g_memdup2 (x, n_in * sizeof (float));
    }
  n = bx_resample_linear_length (n_in, f_in, f_out);
  y = g_new (float, MAX (n, 1));
  if (!bx_resample_linear_into (x, n_in, y, n, error))
    return NULL;
  *n_out = n;
  return g_steal_pointer (&y);
}

/* ---- FFT ------------------------------------------------------------------------------------- */

/* scipy.signal.resample on doubles; x (n_in) -> y (n_out). */
static gboolean
resample_fft_d (const double *x, gsize n_in, double *y, gsize n_out, GError **error)
{
  g_autoptr (BxFft) fwd = bx_fft_new (n_in, error);
  g_autoptr (BxFft) inv = NULL;
  g_autofree double *spec_in = NULL;
  g_autofree double *spec_out = NULL;

  if (fwd == NULL)
    return FALSE;
  inv = bx_fft_new (n_out, error);
  if (inv == NULL)
    return FALSE;
  spec_in = g_new (double, 2 * (n_in / 2 + 1));
  spec_out = g_new0 (double, 2 * (n_out / 2 + 1));
  bx_fft_rfft (fwd, x, spec_in);

  const gsize n = MIN (n_in, n_out);
  const gsize nyq = n / 2 + 1; /* bins [0, nyq) are copied, incl. Nyquist when n is even */
  memcpy (spec_out, spec_in, 2 * nyq * sizeof (double));
  if (n % 2 == 0)
    {
      /* The Nyquist bin of an even-length spectrum stands for +N/2 and -N/2
       * together: doubled when it becomes an ordinary bin of the shorter
       * output's Nyquist (downsampling), halved when the longer output gets
       * separate +N/2 and -N/2 bins (upsampling). */
      const double f = n_out < n_in ? 2.0 : n_in < n_out ? 0.5 : 1.0;
      spec_out[2 * (n / 2)] *= f;
      spec_out[2 * (n / 2) + 1] *= f;
    }
  bx_fft_irfft (inv, spec_out, y);
  const double scale = (double) n_out / (double) n_in;
  for (gsize i = 0; i < n_out; i++)
    y[i] *= scale;
  return TRUE;
}

static gboolean
check_fft_lengths (gsize n_in, gsize n_out, const char *func, GError **error)
{
  if (n_in == 0 || n_out == 0)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT,
                   "%s: lengths must be >= 1 (got %" G_GSIZE_FORMAT " -> %" G_GSIZE_FORMAT ")", func, n_in, n_out);
      return FALSE;
    }
  return TRUE;
}

float *
bx_resample_fft (const float *x, gsize n_in, gsize n_out, GError **error)
{
  g_autofree double *xd = NULL;
  g_autofree double *yd = NULL;
  float *y;

  if (!bx_dsp_check_signal (x, n_in, "bx_resample_fft", error)
      || !check_fft_lengths (n_in, n_out, "bx_resample_fft", error))
    return NULL;
  xd = g_new (double, n_in);
  yd = g_new (double, n_out);
  for (gsize i = 0; i < n_in; i++)
    xd[i] = x[i];
  if (!resample_fft_d (xd, n_in, yd, n_out, error))
    return NULL;
  y = g_new (float, n_out);
  for (gsize i = 0; i < n_out; i++)
    y[i] = (float) yd[i];
  return y;
}

int *
bx_resample_labels (const int *labels, gsize n_in, gsize n_out, GError **error)
{
  g_autofree double *xd = NULL;
  g_autofree double *yd = NULL;
  int *out;

  if (labels == NULL || !check_fft_lengths (n_in, n_out, "bx_resample_labels", error))
    {
      if (labels == NULL)
        g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "bx_resample_labels: no labels given");
      return NULL;
    }
  xd = g_new (double, n_in);
  yd = g_new (double, n_out);
  for (gsize i = 0; i < n_in; i++)
    xd[i] = labels[i];
  if (!resample_fft_d (xd, n_in, yd, n_out, error))
    return NULL;
  out = g_new (int, n_out);
  for (gsize i = 0; i < n_out; i++)
    out[i] = (int) nearbyint (yd[i]); /* numpy.round: half to even (default rounding mode) */
  return out;
}

/* ---- polyphase ------------------------------------------------------------------------------- */

struct _BxPolyResampler {
  guint up, down;
  gsize half_len;
  double *h; /* 2 * half_len + 1 taps, already multiplied by up */
  gsize n_h;
};

BxPolyResampler *
bx_poly_resampler_new (guint up, guint down, const BxWindow *window, GError **error)
{
  static const BxWindow kaiser = { BX_WINDOW_KAISER, 5.0 };
  BxPolyResampler *r;

  if (up < 1 || down < 1 || up > 100000 || down > 100000)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT,
                   "bx_poly_resampler_new: up and down must be in 1..100000, got %u / %u", up, down);
      return NULL;
    }
  guint a = up, b = down;
  while (b != 0)
    {
      guint t = a % b;
      a = b;
      b = t;
    }
  r = g_new0 (BxPolyResampler, 1);
  r->up = up / a;
  r->down = down / a;
  if (r->up == 1 && r->down == 1)
    return r;

  const guint max_rate = MAX (r->up, r->down);
  const double cutoff = 1.0 / max_rate; /* relative to Nyquist: firwin with fs = 2 */
  r->half_len = 10 * (gsize) max_rate;
  r->n_h = 2 * r->half_len + 1;
  r->h = bx_firwin (r->n_h, &cutoff, 1, TRUE, window != NULL ? window : &kaiser, 2.0, error);
  if (r->h == NULL)
    {
      bx_poly_resampler_free (r);
      return NULL;
    }
  for (gsize i = 0; i < r->n_h; i++)
    r->h[i] *= r->up;
  return r;
}

void
bx_poly_resampler_free (BxPolyResampler *resampler)
{
  if (resampler == NULL)
    return;
  g_free (resampler->h);
  g_free (resampler);
}

gsize
bx_poly_resampler_output_length (const BxPolyResampler *resampler, gsize n_in)
{
  const guint64 num = (guint64) n_in * resampler->up;
  return (gsize) (num / resampler->down + (num % resampler->down != 0));
}

void
bx_poly_resampler_get_factors (const BxPolyResampler *resampler, guint *up, guint *down)
{
  if (up != NULL)
    *up = resampler->up;
  if (down != NULL)
    *down = resampler->down;
}

gboolean
bx_poly_resampler_process (const BxPolyResampler *r, const float *x, gsize n_in, float *y, GError **error)
{
  const gsize n_out = bx_poly_resampler_output_length (r, n_in);

  if (!bx_dsp_check_signal (x, n_in, "bx_poly_resampler_process", error))
    return FALSE;
  if (r->h == NULL)
    {
      memmove (y, x, n_in * sizeof (float));
      return TRUE;
    }
  /* scipy pads the filter so that output m is centred on input m * down / up:
   * y[m] = sum_i x[i] h[m * down + half_len - i * up] over taps inside h. */
  const gsize up = r->up, n_h = r->n_h;
  for (gsize m = 0; m < n_out; m++)
    {
      const gsize c = m * r->down + r->half_len; /* position in the upsampled, delayed stream */
      gsize i = c / up;
      gsize k = c - i * up;
      double acc = 0.0;
      if (i >= n_in)
        {
          /* skip inputs beyond the end (zeros) */
          const gsize skip = i - (n_in - 1);
          i = n_in - 1;
          k += skip * up;
        }
      for (;;)
        {
          if (k >= n_h)
            break;
          acc += x[i] * r->h[k];
          if (i == 0)
            break;
          i--;
          k += up;
        }
      y[m] = (float) acc;
    }
  return TRUE;
}

float *
bx_resample_poly (const float *x, gsize n_in, guint up, guint down, const BxWindow *window, gsize *n_out,
                  GError **error)
{
  g_autoptr (BxPolyResampler) r = NULL;
  g_autofree float *y = NULL;
  gsize n;

  if (!bx_dsp_check_signal (x, n_in, "bx_resample_poly", error))
    return NULL;
  r = bx_poly_resampler_new (up, down, window, error);
  if (r == NULL)
    return NULL;
  n = bx_poly_resampler_output_length (r, n_in);
  y = g_new (float, n);
  if (!bx_poly_resampler_process (r, x, n_in, y, error))
    return NULL;
  *n_out = n;
  return g_steal_pointer (&y);
}

gboolean
bx_rate_ratio (double f_in, double f_out, guint *up, guint *down, GError **error)
{
  if (!bx_dsp_check_rate (f_in, "bx_rate_ratio", "f_in", error)
      || !bx_dsp_check_rate (f_out, "bx_rate_ratio", "f_out", error))
    return FALSE;
  /* Continued fraction of f_out / f_in; stop at the first convergent within
   * 1e-9 relative. */
  const double target = f_out / f_in;
  double v = target;
  guint64 p0 = 0, q0 = 1, p1 = 1, q1 = 0;
  for (int iter = 0; iter < 64; iter++)
    {
      const double a = floor (v);
      if (a > 1e9)
        break;
      const guint64 ai = (guint64) a;
      const guint64 p2 = ai * p1 + p0, q2 = ai * q1 + q0;
      if (p2 > 10000 || q2 > 10000)
        break;
      p0 = p1, q0 = q1, p1 = p2, q1 = q2;
      if (p1 > 0 && fabs ((double) p1 / (double) q1 - target) <= 1e-9 * target)
        {
          *up = (guint) p1;
          *down = (guint) q1;
          return TRUE;
        }
      const double frac = v - a;
      if (frac <= 0.0)
        break;
      v = 1.0 / frac;
    }
  g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_RATE,
               "bx_rate_ratio: %g Hz -> %g Hz has no rational ratio up/down with terms <= 10000; "
               "use FFT or linear resampling",
               f_in, f_out);
  return FALSE;
}

float *
bx_resample_poly_rates (const float *x, gsize n_in, double f_in, double f_out, gsize *n_out, GError **error)
{
  guint up, down;

  if (!bx_rate_ratio (f_in, f_out, &up, &down, error))
    return NULL;
  return bx_resample_poly (x, n_in, up, down, NULL, n_out, error);
}
