/* bx-display-filter.c — zero-phase biquad display filters. */
#include "bx-display-filter.h"

#include <glib/gi18n.h>
#include <math.h>

typedef struct {
  double b0, b1, b2, a1, a2;   /* a0 normalised to 1 */
} Biquad;

/* Audio-EQ-cookbook (RBJ) designs via the bilinear transform with
 * pre-warping; Q = 1/√2 gives a 2nd-order Butterworth response. */
static Biquad
design (int kind, double f0, double fs, double q)
{
  double w0 = 2 * G_PI * f0 / fs;
  double c = cos (w0), alpha = sin (w0) / (2 * q);
  double a0 = 1 + alpha;
  Biquad s = { 0 };

  switch (kind)
    {
    case 0:   /* high-pass */
      s.b0 = (1 + c) / 2;
      s.b1 = -(1 + c);
      s.b2 = (1 + c) / 2;
      break;
    case 1:   /* low-pass */
      s.b0 = (1 - c) / 2;
      s.b1 = 1 - c;
      s.b2 = (1 - c) / 2;
      break;
    default:  /* notch */
      s.b0 = 1;
      s.b1 = -2 * c;
      s.b2 = 1;
      break;
    }
  s.a1 = -2 * c;
  s.a2 = 1 - alpha;
  s.b0 /= a0;
  s.b1 /= a0;
  s.b2 /= a0;
  s.a1 /= a0;
  s.a2 /= a0;
  return s;
}

/* Transposed direct form II, starting from the steady state for the first
 * sample so a DC offset does not ring at the window's edge. */
static void
run (const Biquad *s, float *x, gsize n, gboolean backwards)
{
  double z1, z2, x0;
  double dc_gain;

  if (n == 0)
    return;
  x0 = backwards ? x[n - 1] : x[0];
  dc_gain = (s->b0 + s->b1 + s->b2) / (1 + s->a1 + s->a2);
  /* Steady state for a constant input x0 with output y0 = dc_gain × x0. */
  z2 = s->b2 * x0 - s->a2 * dc_gain * x0;
  z1 = s->b1 * x0 - s->a1 * dc_gain * x0 + z2;
  for (gsize k = 0; k < n; k++)
    {
      gsize i = backwards ? n - 1 - k : k;
      double in = x[i];
      double out = s->b0 * in + z1;

      z1 = s->b1 * in - s->a1 * out + z2;
      z2 = s->b2 * in - s->a2 * out;
      x[i] = (float) out;
    }
}

gboolean
bx_display_filter_is_active (const BxDisplayFilter *filter)
{
  return filter != NULL && (filter->highpass_hz > 0 || filter->lowpass_hz > 0 || filter->notch_hz > 0);
}

void
bx_display_filter_run (const BxDisplayFilter *filter, double sample_rate, float *samples, gsize n)
{
  double nyquist = sample_rate / 2;
  Biquad sections[3];
  guint n_sections = 0;

  if (!bx_display_filter_is_active (filter) || sample_rate <= 0)
    return;
  if (filter->highpass_hz > 0 && filter->highpass_hz < nyquist * 0.95)
    sections[n_sections++] = design (0, filter->highpass_hz, sample_rate, G_SQRT2 / 2);
  if (filter->lowpass_hz > 0 && filter->lowpass_hz < nyquist * 0.95)
    sections[n_sections++] = design (1, filter->lowpass_hz, sample_rate, G_SQRT2 / 2);
  if (filter->notch_hz > 0 && filter->notch_hz < nyquist * 0.95)
    sections[n_sections++] = design (2, filter->notch_hz, sample_rate, 10.0);
  for (guint i = 0; i < n_sections; i++)
    {
      run (&sections[i], samples, n, FALSE);
      run (&sections[i], samples, n, TRUE);
    }
}

gint64
bx_display_filter_margin (const BxDisplayFilter *filter, double sample_rate, gint64 max)
{
  double f = 0;

  if (!bx_display_filter_is_active (filter))
    return 0;
  if (filter->highpass_hz > 0)
    f = filter->highpass_hz;
  else if (filter->notch_hz > 0)
    f = filter->notch_hz / 10;
  else
    f = filter->lowpass_hz;
  return MIN (max, (gint64) ceil (3.0 * sample_rate / (2 * G_PI * f)) + 16);
}

char *
bx_display_filter_describe (const BxDisplayFilter *filter)
{
  GString *s;

  if (!bx_display_filter_is_active (filter))
    return NULL;
  s = g_string_new (NULL);
  if (filter->highpass_hz > 0)
    /* Translators: high-pass filter cut-off */
    g_string_append_printf (s, _("HP %g Hz"), filter->highpass_hz);
  if (filter->lowpass_hz > 0)
    {
      if (s->len > 0)
        g_string_append (s, " · ");
      /* Translators: low-pass filter cut-off */
      g_string_append_printf (s, _("LP %g Hz"), filter->lowpass_hz);
    }
  if (filter->notch_hz > 0)
    {
      if (s->len > 0)
        g_string_append (s, " · ");
      g_string_append_printf (s, _("Notch %g Hz"), filter->notch_hz);
    }
  return g_string_free (s, FALSE);
}
