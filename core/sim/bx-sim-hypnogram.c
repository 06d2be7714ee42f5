/* bx-sim-hypnogram.c — the sleeper's traits and the sleep-stage sequence.
 *
 * The hypnogram is built cycle by cycle, as a sleep technician would describe
 * a healthy adult night: a sleep-onset latency in W (with drowsy N1
 * attempts), then NREM-REM cycles of ~90 min: N1 → N2 → N3 → N2 → REM. N3 is
 * long in the first cycle and fades out by the third; REM is short in the
 * first cycle and lengthens towards morning. Brief awakenings, N1 shifts and
 * N2 intrusions into N3 are then sprinkled over the epochs (more of them late
 * in the night), and the night ends with a final awakening.
 */
#include "bx-sim-private.h"
#include "bx-sim-night.h"

#include <math.h>

static double
clampd (double x, double lo, double hi)
{
  return x < lo ? lo : (x > hi ? hi : x);
}

void
bx_sim_subject_draw (guint64 seed, BxSimSubject *s)
{
  BxSimRng rng;

  bx_sim_rng_init (&rng, seed, BX_SIM_STREAM_SUBJECT);
  s->youth = bx_sim_rng_uniform (&rng);
  s->rem_scale = bx_sim_rng_range (&rng, 0.8, 1.2);
  s->sol_minutes = clampd (exp (log (12.0) + 0.5 * bx_sim_rng_normal (&rng)), 3.0, 40.0);
  s->eeg_scale = bx_sim_rng_range (&rng, 0.75, 1.3);
  s->delta_scale = (0.75 + 0.5 * s->youth) * bx_sim_rng_range (&rng, 0.9, 1.1);
  s->alpha_freq = clampd (10.0 + 0.7 * bx_sim_rng_normal (&rng), 8.5, 11.5);
  s->alpha_gain = bx_sim_rng_range (&rng, 0.55, 1.4);
  s->spindle_freq = bx_sim_rng_range (&rng, 12.0, 14.5);
  s->spindle_amp = bx_sim_rng_range (&rng, 22.0, 42.0);
  s->spindle_density = bx_sim_rng_range (&rng, 0.6, 1.4);
  s->kc_amp = bx_sim_rng_range (&rng, 80.0, 140.0);
  for (int i = 0; i < 6; i++)
    s->channel_gain[i] = bx_sim_rng_range (&rng, 0.9, 1.1);
  s->eog_gain = bx_sim_rng_range (&rng, 0.7, 1.3);
  s->emg_tone = bx_sim_rng_range (&rng, 10.0, 25.0);
  s->hr0 = clampd (60.0 + 6.0 * bx_sim_rng_normal (&rng), 48.0, 78.0);
  s->hr_stage_scale = bx_sim_rng_range (&rng, 0.6, 1.4);
  s->hrv_scale = (0.6 + 0.6 * s->youth) * bx_sim_rng_range (&rng, 0.8, 1.25);
  s->rsa_scale = (0.5 + 0.8 * s->youth) * bx_sim_rng_range (&rng, 0.8, 1.25);
  s->resp_rate0 = clampd (14.0 + 1.5 * bx_sim_rng_normal (&rng), 10.5, 18.0);
  s->tidal_volume = bx_sim_rng_range (&rng, 0.35, 0.6);
  s->ptt0 = bx_sim_rng_range (&rng, 0.20, 0.27);
  s->ecg_r = bx_sim_rng_range (&rng, 0.8, 1.8);
  s->ecg_p = s->ecg_r * bx_sim_rng_range (&rng, 0.08, 0.15);
  s->ecg_q = -s->ecg_r * bx_sim_rng_range (&rng, 0.05, 0.15);
  s->ecg_s = -s->ecg_r * bx_sim_rng_range (&rng, 0.1, 0.3);
  s->ecg_t = s->ecg_r * bx_sim_rng_range (&rng, 0.2, 0.35);
  s->ecg_qrs_width = bx_sim_rng_range (&rng, 0.85, 1.2);
  s->ppg_dicrotic = bx_sim_rng_range (&rng, 0.3, 0.5);
  s->spo2_base = bx_sim_rng_range (&rng, 95.0, 98.0);
  s->ecg_in_emg = bx_sim_rng_range (&rng, 0.5, 2.5);
  s->ecg_in_eeg = bx_sim_rng_range (&rng, 0.5, 2.5);
}

guint
bx_sim_n_epochs_for_hours (double hours)
{
  double n = floor (hours * 3600.0 / BX_SIM_EPOCH_LENGTH + 0.5);

  return n < 1.0 ? 1 : (guint)n;
}

typedef struct
{
  gint8 *stages;
  guint n, pos;
} StageWriter;

static void
emit (StageWriter *w, BxStage stage, double minutes)
{
  int epochs = (int)floor (minutes * 60.0 / BX_SIM_EPOCH_LENGTH + 0.5);

  for (int i = 0; i < epochs && w->pos < w->n; i++)
    w->stages[w->pos++] = (gint8)stage;
}

/* Overwrites `count` epochs from `at` with `stage`, staying inside the night. */
static guint
overwrite (gint8 *stages, guint n, guint at, BxStage stage, int count)
{
  for (int i = 0; i < count && at < n; i++, at++)
    stages[at] = (gint8)stage;
  return at;
}

gint8 *
bx_sim_stages_draw (guint64 seed, const BxSimSubject *subject, guint n_epochs)
{
  static const double n3_minutes[] = { 36.0, 20.0, 7.0 };
  static const double rem_minutes[] = { 10.0, 20.0, 27.0, 33.0, 36.0 };
  BxSimRng rng;
  StageWriter w = { g_new (gint8, n_epochs), n_epochs, 0 };
  gint8 *base;
  double sol = subject->sol_minutes;
  gboolean entered_via_n1 = TRUE;

  bx_sim_rng_init (&rng, seed, BX_SIM_STREAM_HYPNOGRAM);

  /* Sleep onset: awake, with a drowsy N1 attempt or two before the last stretch. */
  if (sol > 6.0 && bx_sim_rng_bernoulli (&rng, 0.6))
    {
      double first = sol * bx_sim_rng_range (&rng, 0.4, 0.75);
      emit (&w, BX_STAGE_WAKE, first);
      emit (&w, BX_STAGE_N1, bx_sim_rng_range (&rng, 0.5, 1.5));
      emit (&w, BX_STAGE_WAKE, sol - first);
    }
  else
    emit (&w, BX_STAGE_WAKE, sol);

  for (guint cycle = 0; w.pos < w.n; cycle++)
    {
      double length = clampd ((cycle == 0 ? 85.0 : 95.0) + 10.0 * bx_sim_rng_normal (&rng), 65.0, 120.0);
      double n1 = 0.0, n2a, n3 = 0.0, n2b, rem;

      if (cycle == 0)
        n1 = bx_sim_rng_range (&rng, 1.0, 7.0);
      else if (!entered_via_n1 && bx_sim_rng_bernoulli (&rng, 0.5))
        n1 = bx_sim_rng_range (&rng, 0.5, 3.0);
      n2a = cycle == 0 ? bx_sim_rng_range (&rng, 8.0, 18.0) : bx_sim_rng_range (&rng, 10.0, 25.0);
      if (cycle < G_N_ELEMENTS (n3_minutes))
        n3 = n3_minutes[cycle] * (0.35 + 1.3 * subject->youth) * bx_sim_rng_range (&rng, 0.6, 1.4);
      else if (bx_sim_rng_bernoulli (&rng, 0.2 * subject->youth))
        n3 = bx_sim_rng_range (&rng, 1.0, 5.0);
      n2b = bx_sim_rng_range (&rng, 3.0, 12.0);
      rem = rem_minutes[MIN (cycle, G_N_ELEMENTS (rem_minutes) - 1)] * subject->rem_scale
            * bx_sim_rng_range (&rng, 0.7, 1.3);
      /* The first REM period is sometimes skipped (a common finding). */
      if (cycle == 0 && bx_sim_rng_bernoulli (&rng, 0.1))
        rem = 0.0;
      if (n1 + n2a + n3 + n2b + rem < length)
        n2b += length - (n1 + n2a + n3 + n2b + rem);

      emit (&w, BX_STAGE_N1, n1);
      emit (&w, BX_STAGE_N2, n2a);
      emit (&w, BX_STAGE_N3, n3);
      emit (&w, BX_STAGE_N2, n2b);
      emit (&w, BX_STAGE_REM, rem);

      /* End of a cycle: often a brief awakening or a shift to N1. */
      entered_via_n1 = FALSE;
      if (rem > 0.0 && bx_sim_rng_bernoulli (&rng, 0.45))
        {
          emit (&w, BX_STAGE_WAKE, bx_sim_rng_range (&rng, 0.5, 2.5));
          emit (&w, BX_STAGE_N1, bx_sim_rng_range (&rng, 0.5, 2.0));
          entered_via_n1 = TRUE;
        }
      else if (bx_sim_rng_bernoulli (&rng, 0.4))
        {
          emit (&w, BX_STAGE_N1, bx_sim_rng_range (&rng, 0.5, 1.5));
          entered_via_n1 = TRUE;
        }
    }

  /* Fragmentation: brief awakenings (more towards morning), N1 shifts, N2
   * intrusions into N3. Decided on the cycle skeleton, written onto the
   * result, so an interruption never triggers another. */
  base = g_memdup2 (w.stages, n_epochs);
  for (guint i = 0; i < n_epochs; i++)
    {
      double late = 1.0 + 1.5 * (double)i / (double)n_epochs;
      double u = bx_sim_rng_uniform (&rng);

      switch (base[i])
        {
        case BX_STAGE_N2:
          if (u < 0.004 * late)
            {
              guint at = overwrite (w.stages, n_epochs, i, BX_STAGE_WAKE, bx_sim_rng_int (&rng, 1, 3));
              at = overwrite (w.stages, n_epochs, at, BX_STAGE_N1, bx_sim_rng_int (&rng, 1, 2));
              i = at;
            }
          else if (u < 0.004 * late + 0.008)
            i = overwrite (w.stages, n_epochs, i, BX_STAGE_N1, 1);
          break;
        case BX_STAGE_N3:
          if (u < 0.04)
            i = overwrite (w.stages, n_epochs, i, BX_STAGE_N2, bx_sim_rng_int (&rng, 1, 2));
          break;
        case BX_STAGE_REM:
          if (u < 0.004 * late)
            {
              guint at = overwrite (w.stages, n_epochs, i, BX_STAGE_WAKE, bx_sim_rng_int (&rng, 1, 2));
              i = overwrite (w.stages, n_epochs, at, BX_STAGE_N1, 1);
            }
          else if (u < 0.004 * late + 0.01)
            i = overwrite (w.stages, n_epochs, i, BX_STAGE_N1, 1);
          break;
        default:
          break;
        }
    }
  g_free (base);

  /* Final awakening before lights on, in nights long enough to have one. */
  if (n_epochs * BX_SIM_EPOCH_LENGTH >= 4.0 * 3600.0)
    {
      int final_epochs = (int)floor (bx_sim_rng_range (&rng, 1.0, 10.0) * 2.0) + 1;
      overwrite (w.stages, n_epochs, n_epochs - (guint)final_epochs, BX_STAGE_WAKE, final_epochs);
    }
  return w.stages;
}

gint8 *
bx_sim_stages_generate (guint64 seed, double hours, guint *n_epochs)
{
  BxSimSubject subject;
  guint n = bx_sim_n_epochs_for_hours (hours);

  bx_sim_subject_draw (seed, &subject);
  if (n_epochs != NULL)
    *n_epochs = n;
  return bx_sim_stages_draw (seed, &subject, n);
}
