/* Filter design against scipy 1.10 (tests/reference/dsp_fixtures.py) and the
 * spec's checkpoints. Tolerances:
 *   the 151-tap ECG FIR and the PPG Cheby1 b/a vs ../shared/docs/checkpoints: 1e-6 absolute (the brief's);
 *   firwin taps vs fixtures: 1e-12 relative to the largest tap;
 *   butter / cheby1 / iirnotch b, a and sos vs fixtures: 1e-12 relative to the largest coefficient
   (all measured at <= 1e-15: the same algorithms in the same order). */
#include <math.h>
#include <string.h>

#include "dsp/bx-dsp.h"
#include "bx-test-data.h"
#include "dsp-test-util.h"

static void
test_fir_checkpoint (void)
{
  const double edges[2] = { 0.05, 47.0 };
  g_autoptr (GError) error = NULL;
  g_autofree double *h = bx_firwin (151, edges, 2, FALSE, NULL, 500.0, &error);
  gsize n_fix, n_ref;
  g_autofree double *fix = dsp_load ("fir_bp151", &n_fix);
  double sum = 0.0;

  g_assert_no_error (error);
  g_assert_cmpuint (n_fix, ==, 151);
  g_assert_cmpfloat (dsp_rel_err_d (h, fix, 151), <, 1e-12);
  for (int i = 0; i < 151; i++)
    sum += h[i];
  /* Figures quoted in the spec: sum 0.98163, centre tap 0.187567. */
  g_assert_cmpfloat (fabs (sum - 0.98163), <, 5e-6);
  g_assert_cmpfloat (fabs (h[75] - 0.187567), <, 5e-7);
  /* Linear phase: symmetric taps. */
  for (int i = 0; i < 75; i++)
    g_assert_cmpfloat (fabs (h[i] - h[150 - i]), <, 1e-15);

  g_autofree double *ref = dsp_load_checkpoint ("fir151_bandpass_0.05_47Hz_fs500.txt", &n_ref);
  if (ref == NULL)
    return;
  g_assert_cmpuint (n_ref, ==, 151);
  g_test_message ("fir151 vs checkpoint: max abs error %.3g", dsp_abs_err_d (h, ref, 151));
  g_assert_cmpfloat (dsp_abs_err_d (h, ref, 151), <, 1e-6);
}

static void
test_cheby1_checkpoint (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BxFilterCoeffs) f = bx_cheby1 (4, 0.5, BX_BAND_BANDPASS, 0.5, 12.0, 125.0, &error);
  gsize nb, na;

  g_assert_no_error (error);
  g_assert_cmpuint (f->n_b, ==, 9);
  g_assert_cmpuint (f->n_a, ==, 9);
  g_autofree double *fb = dsp_load ("iir_cheby1_ppg_b", &nb);
  g_autofree double *fa = dsp_load ("iir_cheby1_ppg_a", &na);
  g_assert_cmpfloat (dsp_rel_err_d (f->b, fb, 9), <, 1e-9);
  g_assert_cmpfloat (dsp_rel_err_d (f->a, fa, 9), <, 1e-9);

  g_autofree double *rb = dsp_load_checkpoint ("cheby1_b.txt", &nb);
  if (rb == NULL)
    return;
  g_autofree double *ra = dsp_load_checkpoint ("cheby1_a.txt", &na);
  g_assert_nonnull (ra);
  g_assert_cmpuint (nb, ==, 9);
  g_assert_cmpuint (na, ==, 9);
  g_test_message ("cheby1 vs checkpoint: b %.3g, a %.3g max abs error", dsp_abs_err_d (f->b, rb, 9),
                  dsp_abs_err_d (f->a, ra, 9));
  g_assert_cmpfloat (dsp_abs_err_d (f->b, rb, 9), <, 1e-6);
  g_assert_cmpfloat (dsp_abs_err_d (f->a, ra, 9), <, 1e-6);
}

typedef struct {
  const char *name;
  gsize numtaps;
  double edges[3];
  gsize n_edges;
  gboolean pass_zero;
  BxWindow window;
  double fs;
} FirCase;

static const FirCase fir_cases[] = {
  { "lp31", 31, { 0.3 }, 1, TRUE, { BX_WINDOW_HAMMING, 0 }, 2.0 },
  { "lp30", 30, { 0.3 }, 1, TRUE, { BX_WINDOW_HAMMING, 0 }, 2.0 },
  { "hp41", 41, { 30.0 }, 1, FALSE, { BX_WINDOW_HAMMING, 0 }, 256.0 },
  { "bs61", 61, { 45.0, 55.0 }, 2, TRUE, { BX_WINDOW_HAMMING, 0 }, 256.0 },
  { "multi51", 51, { 0.2, 0.4, 0.6 }, 3, FALSE, { BX_WINDOW_HAMMING, 0 }, 2.0 },
  { "kaiser41", 41, { 0.25 }, 1, TRUE, { BX_WINDOW_KAISER, 5.0 }, 2.0 },
  { "hann21", 21, { 0.1, 0.5 }, 2, FALSE, { BX_WINDOW_HANN, 0 }, 2.0 },
  { "blackman25", 25, { 0.4 }, 1, TRUE, { BX_WINDOW_BLACKMAN, 0 }, 2.0 },
};

static void
test_fir_cases (void)
{
  for (gsize c = 0; c < G_N_ELEMENTS (fir_cases); c++)
    {
      const FirCase *fc = &fir_cases[c];
      g_autoptr (GError) error = NULL;
      g_autofree char *fname = g_strdup_printf ("fir_%s", fc->name);
      gsize n;
      g_autofree double *want = dsp_load (fname, &n);
      g_autofree double *h = bx_firwin (fc->numtaps, fc->edges, fc->n_edges, fc->pass_zero, &fc->window, fc->fs,
                                        &error);
      g_assert_no_error (error);
      g_assert_cmpuint (n, ==, fc->numtaps);
      double err = dsp_rel_err_d (h, want, n);
      g_test_message ("firwin %s: rel err %.3g", fc->name, err);
      g_assert_cmpfloat (err, <, 1e-12);
    }
  /* The band-type wrapper gives the same taps. */
  {
    g_autoptr (GError) error = NULL;
    gsize n;
    g_autofree double *want = dsp_load ("fir_bs61", &n);
    g_autofree double *h = bx_fir_design (61, BX_BAND_BANDSTOP, 45.0, 55.0, NULL, 256.0, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (dsp_rel_err_d (h, want, n), <, 1e-12);
  }
}

typedef enum {
  K_BUTTER,
  K_CHEBY1,
  K_NOTCH,
} Kind;

typedef struct {
  const char *name;
  Kind kind;
  guint order;
  double ripple;
  BxBandType band;
  double f1, f2, fs;
} IirCase;

static const IirCase iir_cases[] = {
  { "butter_lp4", K_BUTTER, 4, 0, BX_BAND_LOWPASS, 30.0, 0, 256.0 },
  { "butter_hp2", K_BUTTER, 2, 0, BX_BAND_HIGHPASS, 0.3, 0, 256.0 },
  { "butter_bp3", K_BUTTER, 3, 0, BX_BAND_BANDPASS, 0.5, 35.0, 200.0 },
  { "butter_bs2", K_BUTTER, 2, 0, BX_BAND_BANDSTOP, 45.0, 55.0, 500.0 },
  { "butter_lp5", K_BUTTER, 5, 0, BX_BAND_LOWPASS, 0.1, 0, 2.0 },
  { "butter_lp1", K_BUTTER, 1, 0, BX_BAND_LOWPASS, 0.2, 0, 2.0 },
  { "cheby1_lp3", K_CHEBY1, 3, 1.0, BX_BAND_LOWPASS, 40.0, 0, 250.0 },
  { "cheby1_hp4", K_CHEBY1, 4, 0.5, BX_BAND_HIGHPASS, 1.0, 0, 100.0 },
  { "cheby1_bs2", K_CHEBY1, 2, 0.5, BX_BAND_BANDSTOP, 0.2, 0.3, 2.0 },
  { "notch50", K_NOTCH, 0, 30.0, 0, 50.0, 0, 256.0 },
  { "notch60", K_NOTCH, 0, 10.0, 0, 60.0, 0, 500.0 },
};

static void
test_iir_cases (void)
{
  for (gsize c = 0; c < G_N_ELEMENTS (iir_cases); c++)
    {
      const IirCase *ic = &iir_cases[c];
      g_autoptr (GError) error = NULL;
      g_autoptr (BxFilterCoeffs) f = NULL;
      g_autofree char *nb_name = g_strdup_printf ("iir_%s_b", ic->name);
      g_autofree char *na_name = g_strdup_printf ("iir_%s_a", ic->name);
      gsize nb, na;
      g_autofree double *wb = dsp_load (nb_name, &nb);
      g_autofree double *wa = dsp_load (na_name, &na);

      if (ic->kind == K_BUTTER)
        f = bx_butter (ic->order, ic->band, ic->f1, ic->f2, ic->fs, &error);
      else if (ic->kind == K_CHEBY1)
        f = bx_cheby1 (ic->order, ic->ripple, ic->band, ic->f1, ic->f2, ic->fs, &error);
      else
        f = bx_iirnotch (ic->f1, ic->ripple, ic->fs, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (f->n_b, ==, nb);
      g_assert_cmpuint (f->n_a, ==, na);
      double eb = dsp_rel_err_d (f->b, wb, nb), ea = dsp_rel_err_d (f->a, wa, na);
      g_test_message ("%s: b rel err %.3g, a rel err %.3g", ic->name, eb, ea);
      g_assert_cmpfloat (eb, <, 1e-12);
      g_assert_cmpfloat (ea, <, 1e-12);
    }
}

static void
test_sos_cases (void)
{
  const IirCase sos_cases[] = {
    { "butter_bp4", K_BUTTER, 4, 0, BX_BAND_BANDPASS, 0.5, 40.0, 256.0 },
    { "butter_lp5", K_BUTTER, 5, 0, BX_BAND_LOWPASS, 0.1, 0, 2.0 },
    { "butter_hp3", K_BUTTER, 3, 0, BX_BAND_HIGHPASS, 0.5, 0, 128.0 },
    { "cheby1_bp4", K_CHEBY1, 4, 0.5, BX_BAND_BANDPASS, 0.5, 12.0, 125.0 },
  };
  for (gsize c = 0; c < G_N_ELEMENTS (sos_cases); c++)
    {
      const IirCase *ic = &sos_cases[c];
      g_autoptr (GError) error = NULL;
      g_autoptr (BxSos) sos = NULL;
      g_autofree char *name = g_strdup_printf ("sos_%s", ic->name);
      gsize n;
      g_autofree double *want = dsp_load (name, &n);

      if (ic->kind == K_BUTTER)
        sos = bx_butter_sos (ic->order, ic->band, ic->f1, ic->f2, ic->fs, &error);
      else
        sos = bx_cheby1_sos (ic->order, ic->ripple, ic->band, ic->f1, ic->f2, ic->fs, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (6 * sos->n_sections, ==, n);
      double err = dsp_rel_err_d (sos->sections, want, n);
      g_test_message ("sos %s: rel err %.3g", ic->name, err);
      g_assert_cmpfloat (err, <, 1e-12);
    }
}

static void
test_windows (void)
{
  g_autoptr (GError) error = NULL;
  double w[9], wp[8];
  const BxWindow hamming = { BX_WINDOW_HAMMING, 0 };
  const BxWindow kaiser = { BX_WINDOW_KAISER, 8.6 };

  /* I0 reference values (Abramowitz & Stegun table 9.8). */
  g_assert_cmpfloat (bx_bessel_i0 (0.0), ==, 1.0);
  g_assert_cmpfloat (fabs (bx_bessel_i0 (1.0) - 1.2660658777520082), <, 1e-15);
  g_assert_cmpfloat (fabs (bx_bessel_i0 (5.0) / 27.239871823604442 - 1.0), <, 1e-14);

  g_assert_true (bx_window_fill (&hamming, w, 9, TRUE, &error));
  g_assert_cmpfloat (fabs (w[0] - 0.08), <, 1e-15);
  g_assert_cmpfloat (fabs (w[4] - 1.0), <, 1e-15);
  g_assert_cmpfloat (fabs (w[8] - 0.08), <, 1e-15);
  /* Periodic form = symmetric of length n + 1 without its last point. */
  g_assert_true (bx_window_fill (&hamming, wp, 8, FALSE, &error));
  for (int i = 0; i < 8; i++)
    g_assert_cmpfloat (fabs (wp[i] - w[i]), <, 1e-15);

  g_assert_true (bx_window_fill (&kaiser, w, 9, TRUE, &error));
  g_assert_cmpfloat (fabs (w[4] - 1.0), <, 1e-15);
  g_assert_cmpfloat (fabs (w[0] - 1.0 / bx_bessel_i0 (8.6)), <, 1e-15);
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (fabs (w[i] - w[8 - i]), <, 1e-15);
  g_assert_no_error (error);
}

/* |H(e^{i 2 pi f / fs})| of b(z) / a(z). */
static double
gain_ba (const BxFilterCoeffs *c, double f, double fs)
{
  const double w = 2.0 * G_PI * f / fs;
  double nr = 0, ni = 0, dr = 0, di = 0;
  for (gsize k = 0; k < c->n_b; k++)
    nr += c->b[k] * cos (w * k), ni -= c->b[k] * sin (w * k);
  for (gsize k = 0; k < c->n_a; k++)
    dr += c->a[k] * cos (w * k), di -= c->a[k] * sin (w * k);
  return sqrt ((nr * nr + ni * ni) / (dr * dr + di * di));
}

static double
gain_sos (const BxSos *sos, double f, double fs)
{
  double g = 1.0;
  for (gsize s = 0; s < sos->n_sections; s++)
    {
      BxFilterCoeffs c = { sos->sections + 6 * s, 3, sos->sections + 6 * s + 3, 3 };
      g *= gain_ba (&c, f, fs);
    }
  return g;
}

/* Design properties independent of scipy: Butterworth is -3 dB at its
 * edges, Chebyshev-I is down by exactly the ripple there, the notch is 0 at
 * f0, and a high-order narrow band-pass keeps its shape as sections. */
static void
test_responses (void)
{
  g_autoptr (GError) error = NULL;
  const double fs = 256.0, r = 1.0 / sqrt (2.0);

  /* b, a only up to order 4: beyond that the polynomials are too ill-conditioned
   * for these bands (scipy's own order-8 band-pass misses the edge gain by 0.7);
   * that is what the sections are for (below). */
  for (guint order = 1; order <= 4; order++)
    {
      g_autoptr (BxFilterCoeffs) lp = bx_butter (order, BX_BAND_LOWPASS, 30.0, 0, fs, &error);
      g_autoptr (BxFilterCoeffs) hp = bx_butter (order, BX_BAND_HIGHPASS, 0.5, 0, fs, &error);
      g_autoptr (BxFilterCoeffs) bp = bx_butter (order, BX_BAND_BANDPASS, 8.0, 12.0, fs, &error);
      g_autoptr (BxFilterCoeffs) ch = bx_cheby1 (order, 1.0, BX_BAND_LOWPASS, 30.0, 0, fs, &error);
      g_assert_no_error (error);
      g_assert_cmpfloat (fabs (gain_ba (lp, 30.0, fs) - r), <, 1e-9);
      g_assert_cmpfloat (fabs (gain_ba (lp, 0.0, fs) - 1.0), <, 1e-9);
      g_assert_cmpfloat (fabs (gain_ba (hp, 0.5, fs) - r), <, 1e-7);
      g_assert_cmpfloat (fabs (gain_ba (hp, 128.0, fs) - 1.0), <, 1e-9);
      g_assert_cmpfloat (fabs (gain_ba (bp, 8.0, fs) - r), <, 1e-7);
      g_assert_cmpfloat (fabs (gain_ba (bp, 12.0, fs) - r), <, 1e-7);
      /* unit gain at the (pre-warped) geometric centre of the band */
      const double f0 = fs / G_PI * atan (sqrt (tan (G_PI * 8.0 / fs) * tan (G_PI * 12.0 / fs)));
      g_assert_cmpfloat (fabs (gain_ba (bp, f0, fs) - 1.0), <, 1e-7);
      g_assert_cmpfloat (fabs (gain_ba (ch, 30.0, fs) - pow (10.0, -1.0 / 20.0)), <, 1e-9);
    }
  {
    g_autoptr (BxFilterCoeffs) n = bx_iirnotch (50.0, 30.0, fs, &error);
    g_assert_cmpfloat (gain_ba (n, 50.0, fs), <, 1e-12);
    g_assert_cmpfloat (fabs (gain_ba (n, 10.0, fs) - 1.0), <, 1e-3);
    /* -3 dB bandwidth f0 / Q. */
    g_assert_cmpfloat (fabs (gain_ba (n, 50.0 + 50.0 / 30.0 / 2.0, fs) - r), <, 0.01);
  }
  {
    /* Order 10 band-pass 0.5-2 Hz at 256 Hz: the b, a polynomials lose the
     * shape in double precision, the sections keep it. */
    g_autoptr (BxSos) sos = bx_butter_sos (10, BX_BAND_BANDPASS, 0.5, 2.0, fs, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (sos->n_sections, ==, 10);
    g_assert_cmpfloat (fabs (gain_sos (sos, 0.5, fs) - r), <, 1e-6);
    g_assert_cmpfloat (fabs (gain_sos (sos, 2.0, fs) - r), <, 1e-6);
    g_assert_cmpfloat (gain_sos (sos, 10.0, fs), <, 1e-6);
  }
}

static void
expect_error (GError *error, int code, const char *fragment)
{
  g_assert_error (error, BX_DSP_ERROR, code);
  if (fragment != NULL && strstr (error->message, fragment) == NULL)
    g_error ("message '%s' lacks '%s'", error->message, fragment);
}

static void
test_design_errors (void)
{
  GError *error = NULL;
  const double edge_bad[2] = { 0.05, 260.0 };
  const double edge_rev[2] = { 40.0, 10.0 };
  const double edge_one = 30.0;

  g_assert_null (bx_firwin (151, edge_bad, 2, FALSE, NULL, 500.0, &error));
  expect_error (error, BX_DSP_ERROR_FREQUENCY, "260");
  g_clear_error (&error);
  g_assert_null (bx_firwin (151, edge_rev, 2, FALSE, NULL, 500.0, &error));
  expect_error (error, BX_DSP_ERROR_FREQUENCY, "increasing");
  g_clear_error (&error);
  g_assert_null (bx_firwin (40, &edge_one, 1, FALSE, NULL, 256.0, &error));
  expect_error (error, BX_DSP_ERROR_INVALID_ARGUMENT, "odd number of taps");
  g_clear_error (&error);
  g_assert_null (bx_firwin (31, &edge_one, 1, TRUE, NULL, 0.0, &error));
  expect_error (error, BX_DSP_ERROR_RATE, "fs");
  g_clear_error (&error);
  g_assert_null (bx_firwin (31, &edge_one, 1, TRUE, NULL, NAN, &error));
  expect_error (error, BX_DSP_ERROR_RATE, NULL);
  g_clear_error (&error);

  g_assert_null (bx_butter (4, BX_BAND_LOWPASS, 128.0, 0, 256.0, &error));
  expect_error (error, BX_DSP_ERROR_FREQUENCY, "128");
  g_clear_error (&error);
  g_assert_null (bx_butter (4, BX_BAND_HIGHPASS, 0.0, 0, 256.0, &error));
  expect_error (error, BX_DSP_ERROR_FREQUENCY, NULL);
  g_clear_error (&error);
  g_assert_null (bx_butter (4, BX_BAND_BANDPASS, 10.0, 5.0, 256.0, &error));
  expect_error (error, BX_DSP_ERROR_FREQUENCY, "increasing");
  g_clear_error (&error);
  g_assert_null (bx_butter (0, BX_BAND_LOWPASS, 10.0, 0, 256.0, &error));
  expect_error (error, BX_DSP_ERROR_INVALID_ARGUMENT, "order");
  g_clear_error (&error);
  g_assert_null (bx_cheby1 (4, 0.0, BX_BAND_LOWPASS, 10.0, 0, 256.0, &error));
  expect_error (error, BX_DSP_ERROR_INVALID_ARGUMENT, "ripple");
  g_clear_error (&error);
  g_assert_null (bx_cheby1_sos (4, 0.5, BX_BAND_BANDPASS, 0.5, 12.0, -125.0, &error));
  expect_error (error, BX_DSP_ERROR_RATE, NULL);
  g_clear_error (&error);
  g_assert_null (bx_iirnotch (50.0, 30.0, 100.0, &error));
  expect_error (error, BX_DSP_ERROR_FREQUENCY, "50");
  g_clear_error (&error);
  g_assert_null (bx_iirnotch (50.0, 0.0, 256.0, &error));
  expect_error (error, BX_DSP_ERROR_INVALID_ARGUMENT, "Q");
  g_clear_error (&error);
  {
    const double b[2] = { 1.0, NAN }, a[1] = { 1.0 };
    g_assert_null (bx_filter_coeffs_new (b, 2, a, 1, &error));
    expect_error (error, BX_DSP_ERROR_NOT_FINITE, "b[1]");
    g_clear_error (&error);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/dsp/design/fir151-checkpoint", test_fir_checkpoint);
  g_test_add_func ("/dsp/design/cheby1-checkpoint", test_cheby1_checkpoint);
  g_test_add_func ("/dsp/design/firwin", test_fir_cases);
  g_test_add_func ("/dsp/design/iir", test_iir_cases);
  g_test_add_func ("/dsp/design/sos", test_sos_cases);
  g_test_add_func ("/dsp/design/windows", test_windows);
  g_test_add_func ("/dsp/design/responses", test_responses);
  g_test_add_func ("/dsp/design/errors", test_design_errors);
  return g_test_run ();
}
