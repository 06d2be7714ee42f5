/* compact-demo-npy.c — writes EEG→ECG transfer windows of synthetic nights
 * (core/sim) as .npy for `bioxbridge-cli run` with the compact encoders
 * (the windowing module has no compact chain yet, so the demo goes through
 * .npy files). For each seed S in 1, 2: night<S>-eeg.npy (N, 6, 3000) µV and
 * night<S>-ecg.npy (N, 1, 3000) at 100 Hz, one 30-s epoch per window, and
 * night<S>-labels.npy (N,) int64 AASM classes W 0, N1 1, N2 2, N3 3, R 4.
 * Run: build/tests/bench/compact/compact-demo-npy OUT_DIR [HOURS] */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/bx-npy.h"
#include "recording/bx-modality.h"
#include "sim/bx-sim-night.h"

static gboolean
write_night (const char *dir, guint64 seed, double hours, GError **error)
{
  BxSimParams p;
  g_autoptr (BxSimNight) night = NULL;
  int eeg[8], n_eeg = 0, ecg = -1, S = 3000;
  g_autofree float *xe = NULL, *xc = NULL;
  g_autofree gint64 *lab = NULL;
  gsize n = 0;

  bx_sim_params_init (&p);
  p.seed = seed;
  p.hours = hours;
  p.eeg_rate = p.ecg_rate = p.emg_rate = 100;
  p.eog_rate = 50;
  p.ppg_rate = 50;
  p.n_threads = 1;
  night = bx_sim_night_generate (&p, NULL, error);
  if (night == NULL)
    return FALSE;
  for (guint i = 0; i < night->n_channels; i++)
    {
      const BxSimChannel *c = &night->channels[i];
      BxModality m
          = bx_modality_detect (c->label, c->transducer, c->physical_dimension, c->sample_rate, NULL);
      if (m == BX_MODALITY_EEG && n_eeg < 8)
        eeg[n_eeg++] = (int)i;
      else if (m == BX_MODALITY_ECG && ecg < 0)
        ecg = (int)i;
    }
  g_assert_true (n_eeg > 0 && ecg >= 0);
  xe = g_new (float, (gsize)night->n_epochs *n_eeg *S);
  xc = g_new (float, (gsize)night->n_epochs *S);
  lab = g_new (gint64, night->n_epochs);
  for (guint e = 0; e < night->n_epochs; e++)
    {
      int st = night->stages[e];
      gint64 cls = st == BX_STAGE_WAKE  ? 0
                   : st == BX_STAGE_N1  ? 1
                   : st == BX_STAGE_N2  ? 2
                   : st == BX_STAGE_REM ? 4
                                        : 3;
      if (st < 0 || st == BX_STAGE_MOVEMENT)
        continue;
      for (int c = 0; c < n_eeg; c++)
        memcpy (xe + (n * n_eeg + c) * S, night->channels[eeg[c]].samples + (gsize)e * S, S * sizeof (float));
      memcpy (xc + n * S, night->channels[ecg].samples + (gsize)e * S, S * sizeof (float));
      lab[n++] = cls;
    }
  {
    g_autofree char *pe = g_strdup_printf ("%s/night%" G_GUINT64_FORMAT "-eeg.npy", dir, seed);
    g_autofree char *pc = g_strdup_printf ("%s/night%" G_GUINT64_FORMAT "-ecg.npy", dir, seed);
    g_autofree char *pl = g_strdup_printf ("%s/night%" G_GUINT64_FORMAT "-labels.npy", dir, seed);
    gint64 se[3] = { (gint64)n, n_eeg, S }, sc[3] = { (gint64)n, 1, S }, sl[1] = { (gint64)n };
    if (!bx_npy_write_float (pe, 3, se, xe, error) || !bx_npy_write_float (pc, 3, sc, xc, error)
        || !bx_npy_write (pl, BX_DTYPE_I64, 1, sl, lab, error))
      return FALSE;
    printf ("%s: %zu windows, %d EEG channels\n", pe, n, n_eeg);
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  double hours = argc > 2 ? g_ascii_strtod (argv[2], NULL) : 3.0;

  if (argc < 2)
    {
      fprintf (stderr, "usage: %s OUT_DIR [HOURS]\n", argv[0]);
      return 2;
    }
  g_mkdir_with_parents (argv[1], 0755);
  for (guint64 seed = 1; seed <= 2; seed++)
    if (!write_night (argv[1], seed, hours, &error))
      {
        fprintf (stderr, "compact-demo-npy: %s\n", error->message);
        return 1;
      }
  return 0;
}
