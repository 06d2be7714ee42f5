/* bx-filter.c — lfilter, filtfilt, second-order sections and the viewer's
 * display filters, with scipy.signal semantics. All arithmetic is double. */
#include "bx-filter.h"

#include <math.h>
#include <string.h>

#include "bx-dsp-private.h"

/* Normalised (a[0] = 1), zero-padded copy of a transfer function: k + 1
 * coefficients each, k = max(n_a, n_b) - 1 = the state length. */
typedef struct {
  double *b;
  double *a;
  gsize k;
  gboolean fir; /* a[1..k] all zero */
} Normalized;

static void
normalized_init (Normalized *nf, const BxFilterCoeffs *coeffs)
{
  const gsize len = MAX (coeffs->n_a, coeffs->n_b);
  const double a0 = coeffs->a[0];

  nf->k = len - 1;
  nf->b = g_new0 (double, len);
  nf->a = g_new0 (double, len);
  for (gsize i = 0; i < coeffs->n_b; i++)
    nf->b[i] = coeffs->b[i] / a0;
  for (gsize i = 0; i < coeffs->n_a; i++)
    nf->a[i] = coeffs->a[i] / a0;
  nf->fir = TRUE;
  for (gsize i = 1; i < len; i++)
    if (nf->a[i] != 0.0)
      nf->fir = FALSE;
}

static void
normalized_clear (Normalized *nf)
{
  g_clear_pointer (&nf->b, g_free);
  g_clear_pointer (&nf->a, g_free);
}

static gboolean
check_coeffs (const BxFilterCoeffs *coeffs, const char *func, GError **error)
{
  if (coeffs == NULL || coeffs->n_a == 0 || coeffs->n_b == 0 || coeffs->a[0] == 0.0)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT,
                   "%s: filter coefficients are missing or a[0] is 0", func);
      return FALSE;
    }
  return bx_dsp_check_finite_d (coeffs->b, coeffs->n_b, func, "b", error)
         && bx_dsp_check_finite_d (coeffs->a, coeffs->n_a, func, "a", error);
}

gsize
bx_filter_coeffs_state_length (const BxFilterCoeffs *coeffs)
{
  return MAX (coeffs->n_a, coeffs->n_b) - 1;
}

/* Steady state of the step response (scipy's lfilter_zi solves the same
 * linear system): with G = sum(b) / sum(a) the DC gain,
 * zi[i] = sum_{j > i} (b[j] - a[j] G). */
static gboolean
normalized_zi (const Normalized *nf, double *zi, const char *func, GError **error)
{
  double sum_a = 0.0, sum_b = 0.0;

  for (gsize i = 0; i <= nf->k; i++)
    {
      sum_a += nf->a[i];
      sum_b += nf->b[i];
    }
  if (sum_a == 0.0)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_UNSTABLE,
                   "%s: the filter has a pole at z = 1 (sum of a is 0), it has no steady state", func);
      return FALSE;
    }
  const double gain = sum_b / sum_a;
  double acc = 0.0;
  for (gsize i = nf->k; i > 0; i--)
    {
      acc += nf->b[i] - nf->a[i] * gain;
      zi[i - 1] = acc;
    }
  return TRUE;
}

gboolean
bx_lfilter_zi (const BxFilterCoeffs *coeffs, double *zi, GError **error)
{
  Normalized nf;
  gboolean ok;

  if (!check_coeffs (coeffs, "bx_lfilter_zi", error))
    return FALSE;
  normalized_init (&nf, coeffs);
  ok = normalized_zi (&nf, zi, "bx_lfilter_zi", error);
  normalized_clear (&nf);
  return ok;
}

/* Direct form II transposed, in place on x[0..n); z (k values) in/out. */
static void
lfilter_df2t (const Normalized *nf, double *x, gsize n, double *z)
{
  const gsize k = nf->k;
  const double *b = nf->b, *a = nf->a;

  if (k == 0)
    {
      for (gsize i = 0; i < n; i++)
        x[i] *= b[0];
      return;
    }
  for (gsize i = 0; i < n; i++)
    {
      const double xi = x[i];
      const double yi = b[0] * xi + z[0];
      for (gsize j = 0; j + 1 < k; j++)
        z[j] = b[j + 1] * xi - a[j + 1] * yi + z[j + 1];
      z[k - 1] = b[k] * xi - a[k] * yi;
      x[i] = yi;
    }
}

/* FIR with initial state z (final state not needed): y[i] = sum_j b[j] x[i-j]
 * + z[i] for i < k. Computed from the end so it can run in place. */
static void
fir_inplace (const Normalized *nf, double *x, gsize n, const double *z)
{
  const gsize k = nf->k;
  const double *b = nf->b;
  gsize i = n;

  /* Outputs with the full history, four at a time for instruction-level parallelism. */
  while (i >= k + 4)
    {
      i -= 4;
      double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
      const double *xp = x + i;
      for (gsize j = 0; j <= k; j++)
        {
          const double bj = b[j];
          s0 += bj * xp[0 - (gssize) j];
          s1 += bj * xp[1 - (gssize) j];
          s2 += bj * xp[2 - (gssize) j];
          s3 += bj * xp[3 - (gssize) j];
        }
      x[i] = s0;
      x[i + 1] = s1;
      x[i + 2] = s2;
      x[i + 3] = s3;
    }
  while (i > 0)
    {
      i--;
      double s = 0.0;
      const gsize jmax = MIN (i, k);
      for (gsize j = 0; j <= jmax; j++)
        s += b[j] * x[i - j];
      if (i < k && z != NULL)
        s += z[i];
      x[i] = s;
    }
}

gboolean
bx_lfilter (const BxFilterCoeffs *coeffs, const float *x, float *y, gsize n, double *zi, GError **error)
{
  Normalized nf;
  g_autofree double *buf = NULL;
  g_autofree double *z = NULL;

  if (!check_coeffs (coeffs, "bx_lfilter", error) || !bx_dsp_check_signal (x, n, "bx_lfilter", error))
    return FALSE;
  normalized_init (&nf, coeffs);
  buf = g_new (double, n);
  for (gsize i = 0; i < n; i++)
    buf[i] = x[i];
  z = g_new0 (double, nf.k + 1);
  if (zi != NULL)
    memcpy (z, zi, nf.k * sizeof (double));
  lfilter_df2t (&nf, buf, n, z);
  if (zi != NULL)
    memcpy (zi, z, nf.k * sizeof (double));
  for (gsize i = 0; i < n; i++)
    y[i] = (float) buf[i];
  normalized_clear (&nf);
  return TRUE;
}

static void
reverse (double *x, gsize n)
{
  for (gsize i = 0, j = n - 1; i < j; i++, j--)
    {
      double t = x[i];
      x[i] = x[j];
      x[j] = t;
    }
}

/* scipy's _validate_pad: the edge length, or FALSE if the signal is too short. */
static gboolean
resolve_padlen (const char *func, gsize n, BxPadType pad, gssize padlen, gsize default_padlen, gsize *edge,
                GError **error)
{
  if ((int) pad < BX_PAD_NONE || (int) pad > BX_PAD_CONSTANT)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "%s: unknown pad type %d", func, (int) pad);
      return FALSE;
    }
  if (padlen < 0 && padlen != BX_PADLEN_DEFAULT)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "%s: padlen must be >= 0, got %" G_GSSIZE_FORMAT,
                   func, padlen);
      return FALSE;
    }
  *edge = pad == BX_PAD_NONE ? 0 : padlen == BX_PADLEN_DEFAULT ? default_padlen : (gsize) padlen;
  if (n <= *edge)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_TOO_SHORT,
                   "%s: the signal has %" G_GSIZE_FORMAT " samples; it must be longer than the padding of %"
                   G_GSIZE_FORMAT " samples",
                   func, n, *edge);
      return FALSE;
    }
  return TRUE;
}

/* Builds the padded signal [left extension | x | right extension] in double. */
static double *
extend (const float *x, gsize n, BxPadType pad, gsize edge)
{
  double *ext = g_new (double, n + 2 * edge);

  for (gsize i = 0; i < n; i++)
    ext[edge + i] = x[i];
  for (gsize i = 1; i <= edge; i++)
    {
      const double left = x[i], right = x[n - 1 - i];
      double l, r;
      switch (pad)
        {
        case BX_PAD_ODD:
          l = 2.0 * (double) x[0] - left;
          r = 2.0 * (double) x[n - 1] - right;
          break;
        case BX_PAD_EVEN:
          l = left;
          r = right;
          break;
        case BX_PAD_CONSTANT:
        case BX_PAD_NONE:
        default:
          l = x[0];
          r = x[n - 1];
          break;
        }
      ext[edge - i] = l;
      ext[edge + n - 1 + i] = r;
    }
  return ext;
}

gboolean
bx_filtfilt (const BxFilterCoeffs *coeffs, const float *x, float *y, gsize n, BxPadType pad, gssize padlen,
             GError **error)
{
  Normalized nf;
  gsize edge;
  g_autofree double *zi = NULL;
  g_autofree double *z = NULL;
  g_autofree double *ext = NULL;

  if (!check_coeffs (coeffs, "bx_filtfilt", error) || !bx_dsp_check_signal (x, n, "bx_filtfilt", error))
    return FALSE;
  if (!resolve_padlen ("bx_filtfilt", n, pad, padlen, 3 * MAX (coeffs->n_a, coeffs->n_b), &edge, error))
    return FALSE;
  normalized_init (&nf, coeffs);
  zi = g_new0 (double, nf.k + 1);
  z = g_new0 (double, nf.k + 1);
  if (!normalized_zi (&nf, zi, "bx_filtfilt", error))
    {
      normalized_clear (&nf);
      return FALSE;
    }
  const gsize len = n + 2 * edge;
  ext = extend (x, n, pad, edge);

  for (int pass = 0; pass < 2; pass++)
    {
      /* Initial state = steady state for the first (extended) sample. */
      const double x0 = ext[0];
      for (gsize i = 0; i < nf.k; i++)
        z[i] = zi[i] * x0;
      if (nf.fir)
        fir_inplace (&nf, ext, len, z);
      else
        lfilter_df2t (&nf, ext, len, z);
      reverse (ext, len);
    }
  for (gsize i = 0; i < n; i++)
    y[i] = (float) ext[edge + i];
  normalized_clear (&nf);
  return TRUE;
}

/* ---- second-order sections ------------------------------------------------------------------- */

static gboolean
check_sos (const BxSos *sos, const char *func, GError **error)
{
  if (sos == NULL || sos->n_sections == 0 || sos->sections == NULL)
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "%s: no filter sections", func);
      return FALSE;
    }
  for (gsize s = 0; s < sos->n_sections; s++)
    if (sos->sections[6 * s + 3] == 0.0)
      {
        g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_INVALID_ARGUMENT, "%s: section %" G_GSIZE_FORMAT " has a0 = 0",
                     func, s);
        return FALSE;
      }
  return bx_dsp_check_finite_d (sos->sections, 6 * sos->n_sections, func, "sos", error);
}

/* One biquad (normalised by a0) over the whole buffer, in place; z[2] in/out. */
static void
biquad_inplace (const double *sec, double *x, gsize n, double *z)
{
  const double a0 = sec[3];
  const double b0 = sec[0] / a0, b1 = sec[1] / a0, b2 = sec[2] / a0;
  const double a1 = sec[4] / a0, a2 = sec[5] / a0;
  double z0 = z[0], z1 = z[1];

  for (gsize i = 0; i < n; i++)
    {
      const double xi = x[i];
      const double yi = b0 * xi + z0;
      z0 = b1 * xi - a1 * yi + z1;
      z1 = b2 * xi - a2 * yi;
      x[i] = yi;
    }
  z[0] = z0;
  z[1] = z1;
}

gboolean
bx_sosfilt_zi (const BxSos *sos, double *zi, GError **error)
{
  double scale = 1.0;

  if (!check_sos (sos, "bx_sosfilt_zi", error))
    return FALSE;
  for (gsize s = 0; s < sos->n_sections; s++)
    {
      const double *sec = sos->sections + 6 * s;
      g_autoptr (BxFilterCoeffs) c = bx_filter_coeffs_new (sec, 3, sec + 3, 3, error);
      if (c == NULL || !bx_lfilter_zi (c, zi + 2 * s, error))
        return FALSE;
      zi[2 * s] *= scale;
      zi[2 * s + 1] *= scale;
      /* Later sections see the DC output of the earlier ones. */
      scale *= (sec[0] + sec[1] + sec[2]) / (sec[3] + sec[4] + sec[5]);
    }
  return TRUE;
}

gboolean
bx_sosfilt (const BxSos *sos, const float *x, float *y, gsize n, double *zi, GError **error)
{
  g_autofree double *buf = NULL;
  g_autofree double *z = NULL;

  if (!check_sos (sos, "bx_sosfilt", error) || !bx_dsp_check_signal (x, n, "bx_sosfilt", error))
    return FALSE;
  buf = g_new (double, n);
  for (gsize i = 0; i < n; i++)
    buf[i] = x[i];
  z = g_new0 (double, 2 * sos->n_sections);
  if (zi != NULL)
    memcpy (z, zi, 2 * sos->n_sections * sizeof (double));
  for (gsize s = 0; s < sos->n_sections; s++)
    biquad_inplace (sos->sections + 6 * s, buf, n, z + 2 * s);
  if (zi != NULL)
    memcpy (zi, z, 2 * sos->n_sections * sizeof (double));
  for (gsize i = 0; i < n; i++)
    y[i] = (float) buf[i];
  return TRUE;
}

static gsize
sos_default_padlen (const BxSos *sos)
{
  gsize zeros_b = 0, zeros_a = 0;
  for (gsize s = 0; s < sos->n_sections; s++)
    {
      zeros_b += sos->sections[6 * s + 2] == 0.0;
      zeros_a += sos->sections[6 * s + 5] == 0.0;
    }
  return 3 * (2 * sos->n_sections + 1 - MIN (zeros_b, zeros_a));
}

static gboolean
sosfiltfilt_edge (const BxSos *sos, const float *x, float *y, gsize n, BxPadType pad, gsize edge, GError **error)
{
  const gsize ns = sos->n_sections;
  const gsize len = n + 2 * edge;
  g_autofree double *zi = g_new (double, 2 * ns);
  g_autofree double *z = g_new (double, 2 * ns);
  g_autofree double *ext = NULL;

  if (!bx_sosfilt_zi (sos, zi, error))
    return FALSE;
  ext = extend (x, n, pad, edge);
  for (int pass = 0; pass < 2; pass++)
    {
      const double x0 = ext[0];
      for (gsize i = 0; i < 2 * ns; i++)
        z[i] = zi[i] * x0;
      for (gsize s = 0; s < ns; s++)
        biquad_inplace (sos->sections + 6 * s, ext, len, z + 2 * s);
      reverse (ext, len);
    }
  for (gsize i = 0; i < n; i++)
    y[i] = (float) ext[edge + i];
  return TRUE;
}

gboolean
bx_sosfiltfilt (const BxSos *sos, const float *x, float *y, gsize n, BxPadType pad, gssize padlen, GError **error)
{
  gsize edge;

  if (!check_sos (sos, "bx_sosfiltfilt", error) || !bx_dsp_check_signal (x, n, "bx_sosfiltfilt", error))
    return FALSE;
  if (!resolve_padlen ("bx_sosfiltfilt", n, pad, padlen, sos_default_padlen (sos), &edge, error))
    return FALSE;
  return sosfiltfilt_edge (sos, x, y, n, pad, edge, error);
}

/* ---- display filters ------------------------------------------------------------------------- */

struct _BxDisplayFilter {
  double fs;
  BxSos *sos; /* NULL = identity */
  gsize margin;
};

#define DISPLAY_HIGHPASS_ORDER 2
#define DISPLAY_LOWPASS_ORDER 4
#define DISPLAY_NOTCH_Q 30.0

static void
append_sections (GArray *all, const double *sections, gsize n_sections)
{
  g_array_append_vals (all, sections, 6 * n_sections);
}

BxDisplayFilter *
bx_display_filter_new (double fs, double highpass_hz, double lowpass_hz, double notch_hz, GError **error)
{
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (double));
  double settle_s = 0.0;
  BxDisplayFilter *filter;

  if (!bx_dsp_check_rate (fs, "bx_display_filter_new", "fs", error))
    return NULL;
  if (!isfinite (highpass_hz) || !isfinite (lowpass_hz) || !isfinite (notch_hz))
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_NOT_FINITE,
                   "bx_display_filter_new: filter frequencies must be finite (high-pass %g, low-pass %g, notch %g Hz)",
                   highpass_hz, lowpass_hz, notch_hz);
      return NULL;
    }
  if (highpass_hz > 0.0 && lowpass_hz > 0.0 && !(highpass_hz < lowpass_hz))
    {
      g_set_error (error, BX_DSP_ERROR, BX_DSP_ERROR_FREQUENCY,
                   "bx_display_filter_new: high-pass %g Hz must be below the low-pass %g Hz", highpass_hz, lowpass_hz);
      return NULL;
    }
  if (highpass_hz > 0.0)
    {
      g_autoptr (BxSos) s = bx_butter_sos (DISPLAY_HIGHPASS_ORDER, BX_BAND_HIGHPASS, highpass_hz, 0.0, fs, error);
      if (s == NULL)
        return NULL;
      append_sections (all, s->sections, s->n_sections);
      settle_s = MAX (settle_s, 4.0 / (2.0 * G_PI * highpass_hz));
    }
  if (lowpass_hz > 0.0)
    {
      g_autoptr (BxSos) s = bx_butter_sos (DISPLAY_LOWPASS_ORDER, BX_BAND_LOWPASS, lowpass_hz, 0.0, fs, error);
      if (s == NULL)
        return NULL;
      append_sections (all, s->sections, s->n_sections);
      settle_s = MAX (settle_s, 4.0 / (2.0 * G_PI * lowpass_hz));
    }
  if (notch_hz > 0.0)
    {
      g_autoptr (BxFilterCoeffs) c = bx_iirnotch (notch_hz, DISPLAY_NOTCH_Q, fs, error);
      if (c == NULL)
        return NULL;
      const double sec[6] = { c->b[0], c->b[1], c->b[2], c->a[0], c->a[1], c->a[2] };
      append_sections (all, sec, 1);
      /* -3 dB bandwidth f0/Q: envelope time constant Q / (pi f0). */
      settle_s = MAX (settle_s, 4.0 * DISPLAY_NOTCH_Q / (G_PI * notch_hz));
    }
  filter = g_new0 (BxDisplayFilter, 1);
  filter->fs = fs;
  filter->margin = (gsize) ceil (settle_s * fs);
  if (all->len > 0)
    {
      filter->sos = bx_sos_new ((const double *) (void *) all->data, all->len / 6, error);
      if (filter->sos == NULL)
        {
          bx_display_filter_free (filter);
          return NULL;
        }
    }
  return filter;
}

void
bx_display_filter_free (BxDisplayFilter *filter)
{
  if (filter == NULL)
    return;
  bx_sos_free (filter->sos);
  g_free (filter);
}

gboolean
bx_display_filter_is_identity (const BxDisplayFilter *filter)
{
  return filter->sos == NULL;
}

gsize
bx_display_filter_get_margin (const BxDisplayFilter *filter)
{
  return filter->margin;
}

gboolean
bx_display_filter_apply (const BxDisplayFilter *filter, const float *x, float *y, gsize n, GError **error)
{
  if (!bx_dsp_check_signal (x, n, "bx_display_filter_apply", error))
    return FALSE;
  if (filter->sos == NULL)
    {
      if (y != x)
        memmove (y, x, n * sizeof (float));
      return TRUE;
    }
  /* Screen buffers can be short: use as much odd padding as they allow. */
  const gsize edge = MIN (sos_default_padlen (filter->sos), n - 1);
  return sosfiltfilt_edge (filter->sos, x, y, n, edge > 0 ? BX_PAD_ODD : BX_PAD_NONE, edge, error);
}
