/* bx-iir.c — IIR design as scipy.signal.iirfilter does it: analog prototype
 * (zeros, poles, gain) -> frequency transform at pre-warped edges -> bilinear
 * transform -> transfer function or second-order sections. */
#include "bx-filter.h"

#include <complex.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bx-dsp-private.h"

#define MAX_ORDER 24
#define MAX_ROOTS (2 * MAX_ORDER + 2)

typedef struct {
  double complex z[MAX_ROOTS];
  gsize nz;
  double complex p[MAX_ROOTS];
  gsize np;
  double k;
} Zpk;

typedef enum {
  PROTO_BUTTER,
  PROTO_CHEBY1,
} Prototype;

/* ---- transfer-function containers ------------------------------------------------------------ */

BxFilterCoeffs *
bx_filter_coeffs_new (const double *b, gsize n_b, const double *a, gsize n_a, GError **error)
{
  BxFilterCoeffs *coeffs;

  if (b == NULL || a == NULL || n_b == 0 || n_a == 0)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT,
                   "bx_filter_coeffs_new: b and a need at least one coefficient each");
      return NULL;
    }
  if (!bx_dsp_check_finite_d (b, n_b, "bx_filter_coeffs_new", "b", error)
      || !bx_dsp_check_finite_d (a, n_a, "bx_filter_coeffs_new", "a", error))
    return NULL;
  if (a[0] == 0.0)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "bx_filter_coeffs_new: a[0] must not be 0");
      return NULL;
    }
  coeffs = g_new0 (BxFilterCoeffs, 1);
  coeffs->b = g_memdup2 (b, n_b * sizeof (double));
  coeffs->n_b = n_b;
  coeffs->a = g_memdup2 (a, n_a * sizeof (double));
  coeffs->n_a = n_a;
  return coeffs;
}

BxFilterCoeffs *
bx_filter_coeffs_new_fir (const double *taps, gsize n_taps, GError **error)
{
  static const double one = 1.0;
  return bx_filter_coeffs_new (taps, n_taps, &one, 1, error);
}

void
bx_filter_coeffs_free (BxFilterCoeffs *coeffs)
{
  if (coeffs == NULL)
    return;
  g_free (coeffs->b);
  g_free (coeffs->a);
  g_free (coeffs);
}

BxSos *
bx_sos_new (const double *sections, gsize n_sections, GError **error)
{
  BxSos *sos;

  if (sections == NULL || n_sections == 0)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "bx_sos_new: no sections given");
      return NULL;
    }
  if (!bx_dsp_check_finite_d (sections, 6 * n_sections, "bx_sos_new", "sections", error))
    return NULL;
  for (gsize s = 0; s < n_sections; s++)
    if (sections[6 * s + 3] == 0.0)
      {
        g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT,
                     "bx_sos_new: section %" G_GSIZE_FORMAT " has a0 = 0", s);
        return NULL;
      }
  sos = g_new0 (BxSos, 1);
  sos->sections = g_memdup2 (sections, 6 * n_sections * sizeof (double));
  sos->n_sections = n_sections;
  return sos;
}

void
bx_sos_free (BxSos *sos)
{
  if (sos == NULL)
    return;
  g_free (sos->sections);
  g_free (sos);
}

/* ---- design ---------------------------------------------------------------------------------- */

static const char *
band_name (BxBandType band)
{
  switch (band)
    {
    case BX_BAND_LOWPASS:
      return "low-pass";
    case BX_BAND_HIGHPASS:
      return "high-pass";
    case BX_BAND_BANDPASS:
      return "band-pass";
    case BX_BAND_BANDSTOP:
      return "band-stop";
    default:
      return "?";
    }
}

static gboolean
check_edges (const char *func, BxBandType band, double f_low, double f_high, double fs, double wn[2],
             GError **error)
{
  const gboolean two = band == BX_BAND_BANDPASS || band == BX_BAND_BANDSTOP;
  const double nyq = 0.5 * fs;

  if (!bx_dsp_check_rate (fs, func, "fs", error))
    return FALSE;
  if ((int) band < BX_BAND_LOWPASS || (int) band > BX_BAND_BANDSTOP)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "%s: unknown band type %d", func, (int) band);
      return FALSE;
    }
  for (int i = 0; i < (two ? 2 : 1); i++)
    {
      double f = i == 0 ? f_low : f_high;
      if (!(f > 0.0 && f < nyq))
        {
          g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_FREQUENCY,
                       "%s: %s edge %g Hz is outside (0, %g Hz) for a sampling rate of %g Hz", func, band_name (band),
                       f, nyq, fs);
          return FALSE;
        }
    }
  if (two && !(f_low < f_high))
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_FREQUENCY,
                   "%s: %s edges must be increasing, got %g Hz .. %g Hz", func, band_name (band), f_low, f_high);
      return FALSE;
    }
  wn[0] = 2.0 * f_low / fs;
  wn[1] = two ? 2.0 * f_high / fs : 0.0;
  return TRUE;
}

static double complex
prod_neg (const double complex *r, gsize n)
{
  double complex acc = 1.0;
  for (gsize i = 0; i < n; i++)
    acc *= -r[i];
  return acc;
}

static gboolean
design_zpk (const char *func, Prototype proto, guint order, double ripple_db, BxBandType band, double f_low,
            double f_high, double fs, Zpk *out, GError **error)
{
  double wn[2];
  Zpk f = { .nz = 0, .np = order, .k = 1.0 };

  if (order < 1 || order > MAX_ORDER)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "%s: order must be in 1..%d, got %u", func,
                   MAX_ORDER, order);
      return FALSE;
    }
  if (proto == PROTO_CHEBY1 && !(ripple_db > 0.0 && isfinite (ripple_db)))
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT,
                   "%s: pass-band ripple must be > 0 dB, got %g dB", func, ripple_db);
      return FALSE;
    }
  if (!check_edges (func, band, f_low, f_high, fs, wn, error))
    return FALSE;

  /* Analog low-pass prototype with cut-off 1 rad/s; poles at m = -N+1, -N+3, ..., N-1. */
  const double n = order;
  if (proto == PROTO_BUTTER)
    {
      for (guint i = 0; i < order; i++)
        {
          double m = -n + 1.0 + 2.0 * i;
          f.p[i] = -cexp (I * G_PI * m / (2.0 * n));
        }
      f.k = 1.0;
    }
  else
    {
      const double eps = sqrt (pow (10.0, 0.1 * ripple_db) - 1.0);
      const double mu = asinh (1.0 / eps) / n;
      for (guint i = 0; i < order; i++)
        {
          double m = -n + 1.0 + 2.0 * i;
          f.p[i] = -csinh (mu + I * (G_PI * m / (2.0 * n)));
        }
      f.k = creal (prod_neg (f.p, f.np));
      if (order % 2 == 0)
        f.k /= sqrt (1.0 + eps * eps);
    }

  /* Pre-warp the edges for the bilinear transform (scipy designs at fs = 2). */
  const double fs2 = 4.0;
  double warped[2] = { 2.0 * 2.0 * tan (G_PI * wn[0] / 2.0), 2.0 * 2.0 * tan (G_PI * wn[1] / 2.0) };
  const gsize degree = f.np - f.nz;
  Zpk t = { .nz = 0, .np = 0 };

  switch (band)
    {
    case BX_BAND_LOWPASS:
      for (gsize i = 0; i < f.nz; i++)
        t.z[t.nz++] = warped[0] * f.z[i];
      for (gsize i = 0; i < f.np; i++)
        t.p[t.np++] = warped[0] * f.p[i];
      t.k = f.k * pow (warped[0], (double) degree);
      break;
    case BX_BAND_HIGHPASS:
      for (gsize i = 0; i < f.nz; i++)
        t.z[t.nz++] = warped[0] / f.z[i];
      for (gsize i = 0; i < f.np; i++)
        t.p[t.np++] = warped[0] / f.p[i];
      for (gsize i = 0; i < degree; i++)
        t.z[t.nz++] = 0.0;
      t.k = f.k * creal (prod_neg (f.z, f.nz) / prod_neg (f.p, f.np));
      break;
    case BX_BAND_BANDPASS:
    case BX_BAND_BANDSTOP:
      {
        const double bw = warped[1] - warped[0];
        const double wo = sqrt (warped[0] * warped[1]);
        const gboolean pass = band == BX_BAND_BANDPASS;
        double complex lz[MAX_ROOTS], lp[MAX_ROOTS];

        for (gsize i = 0; i < f.nz; i++)
          lz[i] = pass ? f.z[i] * bw / 2.0 : bw / 2.0 / f.z[i];
        for (gsize i = 0; i < f.np; i++)
          lp[i] = pass ? f.p[i] * bw / 2.0 : bw / 2.0 / f.p[i];
        for (gsize i = 0; i < f.nz; i++)
          t.z[t.nz++] = lz[i] + csqrt (lz[i] * lz[i] - wo * wo);
        for (gsize i = 0; i < f.nz; i++)
          t.z[t.nz++] = lz[i] - csqrt (lz[i] * lz[i] - wo * wo);
        for (gsize i = 0; i < f.np; i++)
          t.p[t.np++] = lp[i] + csqrt (lp[i] * lp[i] - wo * wo);
        for (gsize i = 0; i < f.np; i++)
          t.p[t.np++] = lp[i] - csqrt (lp[i] * lp[i] - wo * wo);
        if (pass)
          {
            for (gsize i = 0; i < degree; i++)
              t.z[t.nz++] = 0.0;
            t.k = f.k * pow (bw, (double) degree);
          }
        else
          {
            for (gsize i = 0; i < degree; i++)
              t.z[t.nz++] = I * wo;
            for (gsize i = 0; i < degree; i++)
              t.z[t.nz++] = -I * wo;
            t.k = f.k * creal (prod_neg (f.z, f.nz) / prod_neg (f.p, f.np));
          }
      }
      break;
    default:
      g_assert_not_reached ();
    }

  /* Bilinear transform s -> z with fs = 2; zeros at infinity go to z = -1. */
  {
    const gsize deg = t.np - t.nz;
    double complex num = 1.0, den = 1.0;
    out->nz = 0;
    out->np = 0;
    for (gsize i = 0; i < t.nz; i++)
      {
        out->z[out->nz++] = (fs2 + t.z[i]) / (fs2 - t.z[i]);
        num *= fs2 - t.z[i];
      }
    for (gsize i = 0; i < t.np; i++)
      {
        out->p[out->np++] = (fs2 + t.p[i]) / (fs2 - t.p[i]);
        den *= fs2 - t.p[i];
      }
    for (gsize i = 0; i < deg; i++)
      out->z[out->nz++] = -1.0;
    out->k = t.k * creal (num / den);
  }
  return TRUE;
}

/* numpy.poly: coefficients of prod (x - r_i), highest power first; n + 1 values. */
static void
poly_from_roots (const double complex *roots, gsize n, double complex *c)
{
  c[0] = 1.0;
  for (gsize i = 1; i <= n; i++)
    c[i] = 0.0;
  for (gsize i = 0; i < n; i++)
    for (gsize j = i + 1; j > 0; j--)
      c[j] -= roots[i] * c[j - 1];
}

static BxFilterCoeffs *
zpk_to_coeffs (const Zpk *f)
{
  double complex cb[MAX_ROOTS + 1], ca[MAX_ROOTS + 1];
  BxFilterCoeffs *coeffs = g_new0 (BxFilterCoeffs, 1);

  poly_from_roots (f->z, f->nz, cb);
  poly_from_roots (f->p, f->np, ca);
  coeffs->n_b = f->nz + 1;
  coeffs->n_a = f->np + 1;
  coeffs->b = g_new (double, coeffs->n_b);
  coeffs->a = g_new (double, coeffs->n_a);
  /* Roots come in conjugate pairs, so the polynomials are real. */
  for (gsize i = 0; i < coeffs->n_b; i++)
    coeffs->b[i] = f->k * creal (cb[i]);
  for (gsize i = 0; i < coeffs->n_a; i++)
    coeffs->a[i] = creal (ca[i]);
  return coeffs;
}

/* ---- zpk -> second-order sections (scipy.signal.zpk2sos, pairing='nearest') ------------------ */

/* One entry per real root or per conjugate pair (stored with imag > 0). */
typedef struct {
  double complex r[MAX_ROOTS];
  gsize n;
} RootList;

static gboolean
is_real (double complex r)
{
  return cimag (r) == 0.0;
}

static int
cmp_root (const void *pa, const void *pb)
{
  const double complex a = *(const double complex *) pa, b = *(const double complex *) pb;
  if (creal (a) != creal (b))
    return creal (a) < creal (b) ? -1 : 1;
  if (fabs (cimag (a)) != fabs (cimag (b)))
    return fabs (cimag (a)) < fabs (cimag (b)) ? -1 : 1;
  return 0;
}

/* scipy's _cplxreal: complex representatives (imag > 0) first, sorted, then
 * the real roots, sorted. */
static void
split_complex_real (const double complex *roots, gsize n, RootList *out)
{
  const double tol = 100.0 * DBL_EPSILON;
  double complex cplx[MAX_ROOTS], real[MAX_ROOTS];
  gsize nc = 0, nr = 0;

  for (gsize i = 0; i < n; i++)
    {
      if (fabs (cimag (roots[i])) <= tol * cabs (roots[i]))
        real[nr++] = creal (roots[i]);
      else if (cimag (roots[i]) > 0.0)
        cplx[nc++] = roots[i];
    }
  qsort (cplx, nc, sizeof (double complex), cmp_root);
  qsort (real, nr, sizeof (double complex), cmp_root);
  out->n = 0;
  for (gsize i = 0; i < nc; i++)
    out->r[out->n++] = cplx[i];
  for (gsize i = 0; i < nr; i++)
    out->r[out->n++] = real[i];
}

static double complex
take (RootList *list, gsize idx)
{
  double complex r = list->r[idx];
  memmove (list->r + idx, list->r + idx + 1, (list->n - idx - 1) * sizeof (double complex));
  list->n--;
  return r;
}

static gsize
count_real (const RootList *list)
{
  gsize c = 0;
  for (gsize i = 0; i < list->n; i++)
    c += is_real (list->r[i]);
  return c;
}

/* Index of the pole closest to the unit circle (among real ones if only_real). */
static gssize
idx_worst (const RootList *list, gboolean only_real)
{
  gssize best = -1;
  double best_d = INFINITY;
  for (gsize i = 0; i < list->n; i++)
    {
      if (only_real && !is_real (list->r[i]))
        continue;
      double d = fabs (1.0 - cabs (list->r[i]));
      if (d < best_d)
        best_d = d, best = (gssize) i;
    }
  return best;
}

typedef enum {
  WHICH_ANY,
  WHICH_REAL,
  WHICH_COMPLEX,
} Which;

static gssize
idx_nearest (const RootList *list, double complex to, Which which)
{
  gssize best = -1;
  double best_d = INFINITY;
  for (gsize i = 0; i < list->n; i++)
    {
      if ((which == WHICH_REAL && !is_real (list->r[i])) || (which == WHICH_COMPLEX && is_real (list->r[i])))
        continue;
      double d = cabs (list->r[i] - to);
      if (d < best_d)
        best_d = d, best = (gssize) i;
    }
  return best;
}

/* Fills one section from up to two zeros and two poles; coefficients are
 * right-aligned as scipy's _single_zpksos does (a single zero gives b0 = 0). */
static void
single_section (double *sec, const double complex *z, gsize nz, const double complex *p, gsize np)
{
  double complex cb[3], ca[3];

  poly_from_roots (z, nz, cb);
  poly_from_roots (p, np, ca);
  for (int i = 0; i < 6; i++)
    sec[i] = 0.0;
  for (gsize i = 0; i <= nz; i++)
    sec[3 - (nz + 1) + i] = creal (cb[i]);
  for (gsize i = 0; i <= np; i++)
    sec[6 - (np + 1) + i] = creal (ca[i]);
}

static BxSos *
zpk_to_sos (const Zpk *f)
{
  double complex z_all[MAX_ROOTS + 2], p_all[MAX_ROOTS + 2];
  gsize nz = f->nz, np = f->np;
  RootList z, p;
  BxSos *sos = g_new0 (BxSos, 1);

  if (nz == 0 && np == 0)
    {
      sos->n_sections = 1;
      sos->sections = g_new0 (double, 6);
      sos->sections[0] = f->k;
      sos->sections[3] = 1.0;
      return sos;
    }
  memcpy (z_all, f->z, nz * sizeof (double complex));
  memcpy (p_all, f->p, np * sizeof (double complex));
  while (np < nz)
    p_all[np++] = 0.0;
  while (nz < np)
    z_all[nz++] = 0.0;
  const gsize n_sections = (np + 1) / 2;
  if (np % 2 == 1)
    {
      p_all[np++] = 0.0;
      z_all[nz++] = 0.0;
    }
  split_complex_real (z_all, nz, &z);
  split_complex_real (p_all, np, &p);

  sos->n_sections = n_sections;
  sos->sections = g_new0 (double, 6 * n_sections);
  for (gssize si = (gssize) n_sections - 1; si >= 0; si--)
    {
      double *sec = sos->sections + 6 * si;
      double complex p1 = take (&p, (gsize) idx_worst (&p, FALSE));

      if (is_real (p1) && count_real (&p) == 0)
        {
          double complex zz[2] = { take (&z, (gsize) idx_nearest (&z, p1, WHICH_REAL)), 0.0 };
          double complex pp[2] = { p1, 0.0 };
          single_section (sec, zz, 2, pp, 2);
        }
      else if (p.n + 1 == z.n && !is_real (p1) && count_real (&p) == 1 && count_real (&z) == 1)
        {
          double complex z1 = take (&z, (gsize) idx_nearest (&z, p1, WHICH_COMPLEX));
          double complex zz[2] = { z1, conj (z1) };
          double complex pp[2] = { p1, conj (p1) };
          single_section (sec, zz, 2, pp, 2);
        }
      else
        {
          double complex p2;
          if (is_real (p1))
            p2 = take (&p, (gsize) idx_worst (&p, TRUE));
          else
            p2 = conj (p1);
          double complex pp[2] = { p1, p2 };
          if (z.n > 0)
            {
              double complex z1 = take (&z, (gsize) idx_nearest (&z, p1, WHICH_ANY));
              if (!is_real (z1))
                {
                  double complex zz[2] = { z1, conj (z1) };
                  single_section (sec, zz, 2, pp, 2);
                }
              else if (z.n > 0)
                {
                  double complex zz[2] = { z1, take (&z, (gsize) idx_nearest (&z, p1, WHICH_REAL)) };
                  single_section (sec, zz, 2, pp, 2);
                }
              else
                single_section (sec, &z1, 1, pp, 2);
            }
          else
            single_section (sec, NULL, 0, pp, 2);
        }
    }
  for (int i = 0; i < 3; i++)
    sos->sections[i] *= f->k;
  return sos;
}

/* ---- public design functions ----------------------------------------------------------------- */

BxFilterCoeffs *
bx_butter (guint order, BxBandType band, double f_low, double f_high, double fs, GError **error)
{
  Zpk f;
  if (!design_zpk ("bx_butter", PROTO_BUTTER, order, 0.0, band, f_low, f_high, fs, &f, error))
    return NULL;
  return zpk_to_coeffs (&f);
}

BxFilterCoeffs *
bx_cheby1 (guint order, double ripple_db, BxBandType band, double f_low, double f_high, double fs, GError **error)
{
  Zpk f;
  if (!design_zpk ("bx_cheby1", PROTO_CHEBY1, order, ripple_db, band, f_low, f_high, fs, &f, error))
    return NULL;
  return zpk_to_coeffs (&f);
}

BxSos *
bx_butter_sos (guint order, BxBandType band, double f_low, double f_high, double fs, GError **error)
{
  Zpk f;
  if (!design_zpk ("bx_butter_sos", PROTO_BUTTER, order, 0.0, band, f_low, f_high, fs, &f, error))
    return NULL;
  return zpk_to_sos (&f);
}

BxSos *
bx_cheby1_sos (guint order, double ripple_db, BxBandType band, double f_low, double f_high, double fs,
               GError **error)
{
  Zpk f;
  if (!design_zpk ("bx_cheby1_sos", PROTO_CHEBY1, order, ripple_db, band, f_low, f_high, fs, &f, error))
    return NULL;
  return zpk_to_sos (&f);
}

BxFilterCoeffs *
bx_iirnotch (double f0, double q, double fs, GError **error)
{
  double b[3], a[3];

  if (!bx_dsp_check_rate (fs, "bx_iirnotch", "fs", error))
    return NULL;
  if (!(f0 > 0.0 && f0 < 0.5 * fs))
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_FREQUENCY,
                   "bx_iirnotch: notch frequency %g Hz is outside (0, %g Hz) for a sampling rate of %g Hz", f0,
                   0.5 * fs, fs);
      return NULL;
    }
  if (!(q > 0.0 && isfinite (q)))
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT,
                   "bx_iirnotch: quality factor Q must be > 0, got %g", q);
      return NULL;
    }
  const double w0 = 2.0 * f0 / fs;
  const double bw = w0 / q * G_PI;
  const double gb = 1.0 / sqrt (2.0);
  const double beta = sqrt (1.0 - gb * gb) / gb * tan (bw / 2.0);
  const double gain = 1.0 / (1.0 + beta);
  const double c = cos (w0 * G_PI);
  b[0] = gain;
  b[1] = gain * -2.0 * c;
  b[2] = gain;
  a[0] = 1.0;
  a[1] = -2.0 * gain * c;
  a[2] = 2.0 * gain - 1.0;
  return bx_filter_coeffs_new (b, 3, a, 3, error);
}
