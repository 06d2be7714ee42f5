/* bx-sim-night.c — the synthetic PSG night: hidden state, then the signals.
 *
 * Generation runs in two passes.
 *
 * 1. The hidden state, single-threaded and cheap (per second of the night):
 *    stage weights (the hypnogram smoothed over a few seconds, so signals
 *    change around epoch boundaries the way real ones do), arousals, phasic
 *    REM, eyes open/closed in W, slow random modulation of every gain, the
 *    breath-by-breath respiration and the heart beats (an integral pulse
 *    frequency model whose rate follows stage, VLF/LF variability,
 *    respiratory sinus arrhythmia and arousals). From these, per-second
 *    "control" curves: EEG band amplitudes, event rates, EMG tone, PTT, ...
 *
 * 2. The waveforms, in three independent workers with their own random
 *    streams (EEG+EOG, EMG, cardio-respiratory), each walking its channels
 *    second by second with the control curves interpolated linearly. Then the
 *    cardiac artefact is added to the EMG and EEG (it is there in real
 *    mastoid-referenced recordings).
 *
 * Amplitudes are physical: µV for EEG/EOG/EMG, mV for ECG.
 */
#include "bx-sim-night.h"

#include <math.h>
#include <string.h>

#include "bx-sim-private.h"

G_DEFINE_QUARK (bx - sim - error - quark, bx_sim_error)

/* Model stages, in table order. */
enum
{
  S_W,
  S_N1,
  S_N2,
  S_N3,
  S_R,
  N_S
};

/* Per-second control curves. */
enum
{
  C_BG,    /* EEG 1/f background, µV std */
  C_DELTA, /* slow waves, µV std at the frontal maximum */
  C_THETA,
  C_ALPHA,
  C_BETA,
  C_ALPHA_REM, /* REM alpha bursts, 1-2 Hz slower than wake alpha */
  C_SPINDLE,   /* events per minute */
  C_KCOMPLEX,
  C_VERTEX,
  C_SAWTOOTH, /* trains per minute */
  C_SEM,      /* slow eye movement amplitude, µV */
  C_SACCADE,  /* saccades per second */
  C_BLINK,    /* blinks per minute */
  C_EMG,      /* chin EMG RMS, µV */
  C_TWITCH,   /* EMG twitches per second */
  C_MOVEMENT, /* body movements per minute */
  C_PTT,      /* R peak to pulse foot, s */
  C_PPG_AMP,  /* pulse amplitude factor (vasoconstriction lowers it) */
  C_SPO2,     /* % */
  C_NOISE,    /* muscle noise on ECG/PPG, 0..1 */
  N_C
};

/* Stage tables, columns W N1 N2 N3 R. The values follow the AASM manual's
 * stage descriptions and typical PSG textbook figures; subject traits and
 * slow random modulation are applied on top. */
static const double tab_bg[N_S] = { 7.0, 9.0, 11.0, 13.0, 8.0 };
static const double tab_delta[N_S] = { 4.0, 7.0, 15.0, 44.0, 6.0 };
static const double tab_theta[N_S] = { 3.0, 13.0, 9.0, 7.0, 8.0 };
static const double tab_alpha[N_S] = { 22.0, 5.0, 2.0, 1.5, 0.0 };
static const double tab_beta[N_S] = { 3.5, 1.5, 1.0, 0.7, 2.0 };
static const double tab_spindle[N_S] = { 0.0, 0.2, 4.5, 1.5, 0.0 };
static const double tab_kcomplex[N_S] = { 0.0, 0.1, 1.6, 0.6, 0.0 };
static const double tab_vertex[N_S] = { 0.0, 3.0, 0.6, 0.0, 0.0 };
static const double tab_sawtooth[N_S] = { 0.0, 0.0, 0.0, 0.0, 1.2 };
static const double tab_sem[N_S] = { 8.0, 70.0, 8.0, 0.0, 0.0 };
static const double tab_emg[N_S] = { 1.0, 0.62, 0.45, 0.36, 0.1 };     /* × subject tone */
static const double tab_hr[N_S] = { 9.0, 4.0, 0.0, -4.0, 4.5 };        /* bpm from N2 */
static const double tab_vlf[N_S] = { 4.0, 2.5, 1.6, 0.7, 4.0 };        /* bpm std */
static const double tab_lf[N_S] = { 3.5, 2.4, 1.6, 0.6, 4.0 };         /* bpm std, 0.1 Hz */
static const double tab_rsa[N_S] = { 2.0, 2.3, 2.6, 2.6, 1.8 };        /* bpm half amplitude */
static const double tab_resp_rate[N_S] = { 1.5, 0.5, 0.0, -0.8, 1.5 }; /* breaths/min from N2 */
static const double tab_resp_cv[N_S] = { 0.16, 0.13, 0.07, 0.035, 0.2 };
static const double tab_resp_amp[N_S] = { 1.1, 0.9, 0.95, 1.05, 0.8 };
static const double tab_resp_amp_cv[N_S] = { 0.2, 0.18, 0.08, 0.04, 0.25 };
static const double tab_ptt[N_S] = { -0.010, 0.0, 0.005, 0.012, -0.012 };
static const double tab_ppg_amp[N_S] = { 0.8, 0.9, 1.0, 1.1, 0.85 };
static const double tab_spo2[N_S] = { 0.3, 0.0, -0.2, 0.0, -0.6 };

/* EEG derivations, their region (0 frontal, 1 central, 2 occipital) and
 * hemisphere (0 left, 1 right). */
static const struct
{
  const char *label;
  int region;
} eeg_derivations[] = {
  { "EEG F3-M2", 0 }, { "EEG F4-M1", 0 }, { "EEG C3-M2", 1 },
  { "EEG C4-M1", 1 }, { "EEG O1-M2", 2 }, { "EEG O2-M1", 2 },
};
#define N_EEG 6

/* Topography of each generator: weight at frontal, central, occipital. */
static const double topo_delta[3] = { 1.0, 0.8, 0.55 };
static const double topo_theta[3] = { 0.8, 1.0, 0.7 };
static const double topo_alpha[3] = { 0.25, 0.5, 1.0 };
static const double topo_beta[3] = { 1.0, 0.9, 0.7 };
static const double topo_spindle[3] = { 0.6, 1.0, 0.45 };
static const double topo_kcomplex[3] = { 1.0, 0.85, 0.35 };
static const double topo_vertex[3] = { 0.6, 1.0, 0.35 };
static const double topo_sawtooth[3] = { 0.7, 1.0, 0.5 };

typedef struct
{
  double onset, duration, ti; /* s; ti = inspiratory time */
  double volume;              /* litres */
} Breath;

typedef struct
{
  const BxSimParams *params;
  BxSimSubject subject;
  BxSimNight *night;
  guint n_sec;
  /* Stage weights per second, n_sec + 1 values each. */
  float *weight[N_S];
  float *arousal;
  float *phasic;    /* phasic REM 0..1 */
  float *eyes_open; /* in W */
  float *ctl[N_C];
  Breath *breaths;
  guint n_breaths;
  double *beats;
  /* Body movements (W, arousals): EMG bursts, EEG/EOG artefacts, turns. */
  double *move_onsets, *move_durations;
  guint n_moves;
  guint n_beats;
  GCancellable *cancellable;
  gint cancelled;
  /* Channel indices in night->channels. */
  int ch_eeg, ch_eog, ch_emg, ch_ecg, ch_ppg, ch_flow, ch_thorax, ch_spo2, ch_position;
} Sim;

static double
clampd (double x, double lo, double hi)
{
  return x < lo ? lo : (x > hi ? hi : x);
}

static int
stage_index (gint8 stage)
{
  switch (stage)
    {
    case BX_STAGE_N1:
      return S_N1;
    case BX_STAGE_N2:
      return S_N2;
    case BX_STAGE_N3:
    case BX_STAGE_N4:
      return S_N3;
    case BX_STAGE_REM:
      return S_R;
    default:
      return S_W;
    }
}

/* Σ_s weight_s(t) · table[s] at second `sec`. */
static double
mix (const Sim *sim, guint sec, const double table[N_S])
{
  double v = 0.0;

  for (int s = 0; s < N_S; s++)
    v += sim->weight[s][sec] * table[s];
  return v;
}

/* A per-second curve at time t (s), linearly interpolated. */
static inline double
curve_at (const float *curve, guint n_sec, double t)
{
  double x = t < 0.0 ? 0.0 : t;
  guint i = (guint)x;

  if (i >= n_sec)
    return curve[n_sec];
  return curve[i] + (x - i) * (curve[i + 1] - curve[i]);
}

static gboolean
check_cancel (Sim *sim)
{
  if (g_atomic_int_get (&sim->cancelled))
    return TRUE;
  if (sim->cancellable != NULL && g_cancellable_is_cancelled (sim->cancellable))
    {
      g_atomic_int_set (&sim->cancelled, 1);
      return TRUE;
    }
  return FALSE;
}

/* ---------------------------------------------------------------------------
 * Small filters. All noise generators are normalised to unit variance so the
 * control curves are directly amplitudes (standard deviations).
 */

/* Second-order resonator y = a1 y1 + a2 y2 + g e, centre f, bandwidth bw (Hz). */
typedef struct
{
  double a1, a2, g, y1, y2;
} Resonator;

static void
resonator_init (Resonator *r, double f, double bw, double fs)
{
  double radius = exp (-G_PI * bw / fs);
  double w = 2.0 * G_PI * MIN (f, 0.45 * fs) / fs;
  double a1 = 2.0 * radius * cos (w), a2 = -radius * radius;
  /* Stationary variance of an AR(2) driven by unit white noise. */
  double var = (1.0 - a2) / ((1.0 + a2) * ((1.0 - a2) * (1.0 - a2) - a1 * a1));

  r->a1 = a1;
  r->a2 = a2;
  r->g = 1.0 / sqrt (var);
  r->y1 = r->y2 = 0.0;
}

static inline double
resonator_step (Resonator *r, double e)
{
  double y = r->a1 * r->y1 + r->a2 * r->y2 + r->g * e;

  r->y2 = r->y1;
  r->y1 = y;
  return y;
}

/* A bank of first-order low-passes fed by the same white noise, summed with
 * signed weights: y = Σ c_k b_k / (1 - a_k z⁻¹) e. With equal weights at
 * log-spaced corners it is a 1/f spectrum; with (+1, -1) a band-pass. */
#define BANK_MAX 4
typedef struct
{
  int n;
  double a[BANK_MAX], b[BANK_MAX], c[BANK_MAX], y[BANK_MAX];
} Bank;

static void
bank_init (Bank *bank, int n, const double *corners, const double *weights, double fs)
{
  double var = 0.0;

  bank->n = n;
  for (int k = 0; k < n; k++)
    {
      bank->a[k] = exp (-2.0 * G_PI * MIN (corners[k], 0.45 * fs) / fs);
      bank->b[k] = sqrt (1.0 - bank->a[k] * bank->a[k]);
      bank->c[k] = weights[k];
      bank->y[k] = 0.0;
    }
  /* E[y_j y_k] = c_j c_k b_j b_k / (1 - a_j a_k) for unit white input. */
  for (int j = 0; j < n; j++)
    for (int k = 0; k < n; k++)
      var += bank->c[j] * bank->c[k] * bank->b[j] * bank->b[k] / (1.0 - bank->a[j] * bank->a[k]);
  for (int k = 0; k < n; k++)
    bank->c[k] /= sqrt (var);
}

static inline double
bank_step (Bank *bank, double e)
{
  double y = 0.0;

  for (int k = 0; k < bank->n; k++)
    {
      bank->y[k] = bank->a[k] * bank->y[k] + bank->b[k] * e;
      y += bank->c[k] * bank->y[k];
    }
  return y;
}

/* Unit-variance AR(1) with time constant tau (s), stepped every dt (s). */
static inline double
ar1_step (double y, double tau, double dt, BxSimRng *rng)
{
  double a = exp (-dt / tau);

  return a * y + sqrt (1.0 - a * a) * bx_sim_rng_normal (rng);
}

static int
poisson (BxSimRng *rng, double lambda)
{
  double limit = exp (-lambda), p = 1.0;
  int k = -1;

  if (lambda <= 0.0)
    return 0;
  do
    {
      k++;
      p *= bx_sim_rng_uniform (rng);
    }
  while (p > limit && k < 64);
  return k;
}

/* Draws event times of a Poisson process whose rate (events per second) is
 * `curve[sec] * scale`, sorted. */
static GArray *
draw_events (Sim *sim, BxSimRng *rng, const float *curve, double scale)
{
  GArray *times = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint sec = 0; sec < sim->n_sec; sec++)
    {
      int k = poisson (rng, curve[sec] * scale);
      guint first = times->len;

      for (int i = 0; i < k; i++)
        {
          double t = sec + bx_sim_rng_uniform (rng);
          g_array_append_val (times, t);
        }
      /* Keep the order within the second. */
      if (k > 1)
        {
          double *d = &g_array_index (times, double, first);
          for (int i = 1; i < k; i++)
            for (int j = i; j > 0 && d[j] < d[j - 1]; j--)
              {
                double tmp = d[j];
                d[j] = d[j - 1];
                d[j - 1] = tmp;
              }
        }
    }
  return times;
}

/* ---------------------------------------------------------------------------
 * Pass 1: hidden state.
 */

static void
smooth_forward_backward (float *x, guint n, double tau)
{
  /* Zero-phase first-order smoothing at 1 s steps. */
  double a = exp (-1.0 / tau), y = x[0];

  for (guint i = 0; i < n; i++)
    x[i] = (float)(y = a * y + (1.0 - a) * x[i]);
  y = x[n - 1];
  for (guint i = n; i-- > 0;)
    x[i] = (float)(y = a * y + (1.0 - a) * x[i]);
}

static void
build_state (Sim *sim)
{
  BxSimNight *night = sim->night;
  const BxSimSubject *subj = &sim->subject;
  guint n = sim->n_sec + 1;
  BxSimRng rng, arng;
  GArray *ar_onset = g_array_new (FALSE, FALSE, sizeof (double));
  GArray *ar_dur = g_array_new (FALSE, FALSE, sizeof (double));
  gboolean phasic = FALSE, open = TRUE;
  /* Slow multiplicative modulation of the gains (log-normal, ~2-min time
   * constant): within a stage, amplitudes drift as they do in real nights. */
  double mod_delta = 0.0, mod_alpha = 0.0, mod_theta = 0.0, mod_spindle = 0.0, mod_emg = 0.0, mod_bg = 0.0;
  double spo2_noise = 0.0;
  g_autofree float *slow_n3 = NULL;

  for (int s = 0; s < N_S; s++)
    sim->weight[s] = g_new0 (float, n);
  sim->arousal = g_new0 (float, n);
  sim->phasic = g_new0 (float, n);
  sim->eyes_open = g_new0 (float, n);
  for (int c = 0; c < N_C; c++)
    sim->ctl[c] = g_new0 (float, n);

  /* The hypnogram is a scoring, not the physiology itself. Real state
   * changes do not wait for epoch boundaries (the scorer labels each epoch by
   * its majority), and N1 is a mixture of drowsy wake and light sleep (the
   * stage scorers agree on least). So each epoch's physiology is its stage
   * with N1 epochs partly mixed towards a neighbouring stage, and each stage
   * change happens up to 12 s before or after the epoch boundary. */
  {
    BxSimRng prng;
    g_autofree float *mixture = g_new0 (float, (gsize)night->n_epochs *N_S);
    g_autofree double *shift = g_new0 (double, night->n_epochs + 1);

    bx_sim_rng_init (&prng, night->params.seed, BX_SIM_STREAM_PHYSIOLOGY);
    for (guint e = 0; e < night->n_epochs; e++)
      {
        int s = stage_index (night->stages[e]);
        float *m = mixture + (gsize)e * N_S;

        m[s] = 1.0f;
        if (s == S_N1)
          {
            int prev = e > 0 ? stage_index (night->stages[e - 1]) : S_W;
            int next = e + 1 < night->n_epochs ? stage_index (night->stages[e + 1]) : S_W;
            int other = bx_sim_rng_bernoulli (&prng, 0.5) ? prev : next;
            float share = (float)bx_sim_rng_range (&prng, 0.0, 0.45);

            if (other == S_N1)
              other = bx_sim_rng_bernoulli (&prng, 0.5) ? S_W : S_N2;
            m[S_N1] -= share;
            m[other] += share;
          }
        if (e > 0 && night->stages[e] != night->stages[e - 1])
          shift[e] = bx_sim_rng_range (&prng, -12.0, 12.0);
      }
    for (guint sec = 0; sec < n; sec++)
      {
        guint epoch = MIN ((guint)(sec / BX_SIM_EPOCH_LENGTH), night->n_epochs - 1);
        double into = sec - epoch * BX_SIM_EPOCH_LENGTH;
        const float *m;

        /* A late change keeps the previous epoch's state into this one; an
         * early change brings the next epoch's state into this one. */
        if (epoch > 0 && shift[epoch] > 0.0 && into < shift[epoch])
          epoch--;
        else if (epoch + 1 < night->n_epochs && shift[epoch + 1] < 0.0
                 && into >= BX_SIM_EPOCH_LENGTH + shift[epoch + 1])
          epoch++;
        m = mixture + (gsize)epoch * N_S;
        for (int s = 0; s < N_S; s++)
          sim->weight[s][sec] = m[s];
      }
  }
  for (int s = 0; s < N_S; s++)
    smooth_forward_backward (sim->weight[s], n, 3.0);
  /* Slow-wave activity builds up and fades over tens of seconds around N3
   * rather than switching with the epoch: N2 next to N3 already has some. */
  slow_n3 = g_memdup2 (sim->weight[S_N3], n * sizeof (float));
  smooth_forward_backward (slow_n3, n, 15.0);

  /* Arousals: 3-15 s, frequent in N1/N2/REM, rare in N3 (AASM: ≥3 s shift to
   * alpha/theta/>16 Hz; in REM with a chin EMG increase). */
  bx_sim_rng_init (&arng, night->params.seed, BX_SIM_STREAM_AROUSAL);
  for (guint e = 0; e < night->n_epochs; e++)
    {
      static const double per_hour[N_S] = { 0.0, 18.0, 9.0, 2.0, 10.0 };
      double p = per_hour[stage_index (night->stages[e])] * BX_SIM_EPOCH_LENGTH / 3600.0;

      if (bx_sim_rng_bernoulli (&arng, p))
        {
          double onset = e * BX_SIM_EPOCH_LENGTH + bx_sim_rng_range (&arng, 0.0, BX_SIM_EPOCH_LENGTH - 3.0);
          double dur = bx_sim_rng_range (&arng, 3.0, 15.0);
          dur = MIN (dur, night->duration - onset);
          g_array_append_val (ar_onset, onset);
          g_array_append_val (ar_dur, dur);
          for (guint sec = (guint)onset; sec <= (guint)ceil (onset + dur) && sec < n; sec++)
            {
              /* 1-s ramps at both ends. */
              double in = clampd (sec - onset + 1.0, 0.0, 1.0);
              double out = clampd (onset + dur - sec + 1.0, 0.0, 1.0);
              sim->arousal[sec] = (float)MAX (sim->arousal[sec], MIN (in, out));
            }
        }
    }
  night->n_arousals = ar_onset->len;
  night->arousal_onsets = (double *)g_array_free (ar_onset, FALSE);
  night->arousal_durations = (double *)g_array_free (ar_dur, FALSE);

  /* Phasic REM (bursts of eye movements, twitches, sawtooth waves, heart-rate
   * surges) and eyes open/closed in W: two-state Markov chains per second. */
  bx_sim_rng_init (&rng, night->params.seed, BX_SIM_STREAM_CONTROL);
  for (guint sec = 0; sec < n; sec++)
    {
      phasic = phasic ? !bx_sim_rng_bernoulli (&rng, 1.0 / 10.0) : bx_sim_rng_bernoulli (&rng, 1.0 / 25.0);
      open = open ? !bx_sim_rng_bernoulli (&rng, 1.0 / 40.0) : bx_sim_rng_bernoulli (&rng, 1.0 / 70.0);
      sim->phasic[sec] = phasic ? sim->weight[S_R][sec] : 0.0f;
      sim->eyes_open[sec] = open ? sim->weight[S_W][sec] : 0.0f;
    }
  smooth_forward_backward (sim->phasic, n, 1.0);

  for (guint sec = 0; sec < n; sec++)
    {
      double a = sim->arousal[sec], ph = sim->phasic[sec], eo = sim->eyes_open[sec];
      double es = subj->eeg_scale;
      double wake = sim->weight[S_W][sec];

      mod_delta = ar1_step (mod_delta, 120.0, 1.0, &rng);
      mod_alpha = ar1_step (mod_alpha, 60.0, 1.0, &rng);
      mod_theta = ar1_step (mod_theta, 90.0, 1.0, &rng);
      mod_spindle = ar1_step (mod_spindle, 180.0, 1.0, &rng);
      mod_emg = ar1_step (mod_emg, 150.0, 1.0, &rng);
      mod_bg = ar1_step (mod_bg, 300.0, 1.0, &rng);
      spo2_noise = ar1_step (spo2_noise, 30.0, 1.0, &rng);

      sim->ctl[C_BG][sec] = (float)(es * mix (sim, sec, tab_bg) * exp (0.1 * mod_bg));
      sim->ctl[C_DELTA][sec]
          = (float)(es * subj->delta_scale
                    * (mix (sim, sec, tab_delta)
                       + (slow_n3[sec] - sim->weight[S_N3][sec]) * (tab_delta[S_N3] - tab_delta[S_N2]))
                    * exp (0.3 * mod_delta) * (1.0 - 0.6 * a));
      sim->ctl[C_THETA][sec] = (float)(es * (mix (sim, sec, tab_theta) + 6.0 * a) * exp (0.15 * mod_theta));
      /* Alpha blocks with the eyes open; arousals bring it back. */
      sim->ctl[C_ALPHA][sec]
          = (float)(es * subj->alpha_gain * (mix (sim, sec, tab_alpha) * (1.0 - 0.75 * eo) + 16.0 * a)
                    * exp (0.2 * mod_alpha));
      sim->ctl[C_ALPHA_REM][sec]
          = (float)(es * subj->alpha_gain * 3.0 * sim->weight[S_R][sec] * exp (0.2 * mod_alpha));
      sim->ctl[C_BETA][sec] = (float)(es * (mix (sim, sec, tab_beta) + 3.0 * a + 2.0 * eo));
      sim->ctl[C_SPINDLE][sec] = (float)(subj->spindle_density * mix (sim, sec, tab_spindle)
                                         * exp (0.4 * mod_spindle) * (1.0 - a) / 60.0);
      sim->ctl[C_KCOMPLEX][sec] = (float)(mix (sim, sec, tab_kcomplex) / 60.0);
      sim->ctl[C_VERTEX][sec] = (float)(mix (sim, sec, tab_vertex) / 60.0);
      sim->ctl[C_SAWTOOTH][sec] = (float)((mix (sim, sec, tab_sawtooth) + 3.0 * ph) / 60.0);
      /* Slow rolling eye movements belong to drowsiness with eyes closed. */
      sim->ctl[C_SEM][sec] = (float)(mix (sim, sec, tab_sem) * (1.0 - eo));
      sim->ctl[C_SACCADE][sec] = (float)(0.1 * sim->weight[S_R][sec] + 1.5 * ph + 0.6 * eo);
      sim->ctl[C_BLINK][sec] = (float)(18.0 * eo + 2.0 * (wake - eo) + 6.0 * a);
      sim->ctl[C_EMG][sec]
          = (float)(subj->emg_tone * (mix (sim, sec, tab_emg) + 0.8 * a) * exp (0.15 * mod_emg));
      sim->ctl[C_TWITCH][sec]
          = (float)(0.03 * sim->weight[S_R][sec] + 0.25 * ph + 0.01 * sim->weight[S_N2][sec]);
      sim->ctl[C_MOVEMENT][sec] = (float)((1.0 * wake + 2.0 * a) / 60.0);
      sim->ctl[C_PTT][sec] = (float)(subj->ptt0 + mix (sim, sec, tab_ptt) - 0.02 * a - 0.008 * ph);
      sim->ctl[C_PPG_AMP][sec] = (float)(mix (sim, sec, tab_ppg_amp) * (1.0 - 0.4 * a));
      sim->ctl[C_SPO2][sec] = (float)(subj->spo2_base + mix (sim, sec, tab_spo2) + 0.35 * spo2_noise);
      sim->ctl[C_NOISE][sec] = (float)MIN (1.0, 0.5 * wake + a);
    }

  /* Body movements, shared by the EMG, EEG/EOG and position renderers. */
  {
    BxSimRng mrng;
    GArray *onsets, *durations = g_array_new (FALSE, FALSE, sizeof (double));

    bx_sim_rng_init (&mrng, night->params.seed, BX_SIM_STREAM_MOVEMENT);
    onsets = draw_events (sim, &mrng, sim->ctl[C_MOVEMENT], 1.0);
    for (guint i = 0; i < onsets->len; i++)
      {
        double d = bx_sim_rng_range (&mrng, 1.0, 4.0);
        g_array_append_val (durations, d);
      }
    sim->n_moves = onsets->len;
    sim->move_onsets = (double *)g_array_free (onsets, FALSE);
    sim->move_durations = (double *)g_array_free (durations, FALSE);
  }
}

/* Breath by breath: rate and depth from the stage, breath-to-breath
 * variability small in N3 and large in REM/W, deep breaths at arousals and
 * occasional sighs in W/N1. */
static void
build_breaths (Sim *sim)
{
  const BxSimSubject *subj = &sim->subject;
  BxSimRng rng;
  GArray *breaths = g_array_new (FALSE, FALSE, sizeof (Breath));
  double t = 0.0, slow = 0.0;

  bx_sim_rng_init (&rng, sim->night->params.seed, BX_SIM_STREAM_BREATHS);
  t = -bx_sim_rng_range (&rng, 0.0, 4.0);
  while (t < sim->night->duration)
    {
      guint sec = (guint)clampd (t, 0.0, sim->n_sec);
      double rate = subj->resp_rate0 + mix (sim, sec, tab_resp_rate) + 2.0 * sim->phasic[sec];
      double cv = mix (sim, sec, tab_resp_cv);
      double amp_cv = mix (sim, sec, tab_resp_amp_cv);
      Breath b;

      /* Slow drift of the rate, itself stage-dependent (regular in N3). */
      slow = 0.9 * slow + sqrt (1.0 - 0.81) * bx_sim_rng_normal (&rng);
      rate *= 1.0 + 1.2 * cv * slow;
      b.onset = t;
      b.duration = clampd (60.0 / rate * exp (cv * bx_sim_rng_normal (&rng)), 1.5, 12.0);
      b.ti = b.duration * clampd (0.4 + 0.03 * bx_sim_rng_normal (&rng), 0.3, 0.5);
      b.volume = subj->tidal_volume * mix (sim, sec, tab_resp_amp) * exp (amp_cv * bx_sim_rng_normal (&rng))
                 * (1.0 + 0.8 * sim->arousal[sec]);
      if (bx_sim_rng_bernoulli (&rng, 0.01 * (sim->weight[S_W][sec] + sim->weight[S_N1][sec])))
        {
          b.volume *= 2.5;
          b.duration *= 1.5;
          b.ti *= 1.5;
        }
      g_array_append_val (breaths, b);
      t += b.duration;
    }
  sim->n_breaths = breaths->len;
  sim->breaths = (Breath *)g_array_free (breaths, FALSE);

  sim->night->breath_onsets = g_new (double, MAX (1, sim->n_breaths));
  sim->night->n_breaths = 0;
  for (guint i = 0; i < sim->n_breaths; i++)
    if (sim->breaths[i].onset >= 0.0)
      sim->night->breath_onsets[sim->night->n_breaths++] = sim->breaths[i].onset;
}

/* Expiratory flow shape on x in [0,1]: x/xp · e^(1 - x/xp), a quick peak then
 * an exponential-like fall. EXP_CDF is its integral normalised to 1 at x=1. */
#define EXP_XP 0.22
static double
exp_norm (void)
{
  return 1.0 - (1.0 + 1.0 / EXP_XP) * exp (-1.0 / EXP_XP);
}

static double
exp_cdf (double x)
{
  double u = x / EXP_XP;

  return (1.0 - (1.0 + u) * exp (-u)) / exp_norm ();
}

static double
exp_pdf (double x)
{
  double u = x / EXP_XP;

  return u * exp (-u) / (EXP_XP * exp_norm ());
}

/* Lung volume above end-expiration (litres) and flow (L/s) of one breath at
 * time tau after its onset: half a sine of flow during inspiration, a fast-
 * rising, slowly decaying outflow during expiration, ending at zero volume. */
static void
breath_eval (const Breath *b, double tau, double *volume, double *flow)
{
  double te = b->duration - b->ti;

  if (tau < b->ti)
    {
      *volume = 0.5 * b->volume * (1.0 - cos (G_PI * tau / b->ti));
      *flow = 0.5 * b->volume * G_PI / b->ti * sin (G_PI * tau / b->ti);
    }
  else
    {
      double x = clampd ((tau - b->ti) / te, 0.0, 1.0);
      *volume = b->volume * (1.0 - exp_cdf (x));
      *flow = -b->volume * exp_pdf (x) / te;
    }
}

/* Heart beats from an integral pulse-frequency model on a 1/64-s grid. */
static void
build_beats (Sim *sim)
{
  const BxSimSubject *subj = &sim->subject;
  const double dt = 1.0 / 64.0;
  BxSimRng rng;
  GArray *beats = g_array_new (FALSE, FALSE, sizeof (double));
  Resonator lf;
  double vlf = 0.0, phase, ar_hr = 0.0, night_len = sim->night->duration;
  guint breath = 0;
  gint64 n_steps = (gint64)ceil (night_len / dt);

  bx_sim_rng_init (&rng, sim->night->params.seed, BX_SIM_STREAM_BEATS);
  resonator_init (&lf, 0.1, 0.05, 1.0 / dt);
  phase = bx_sim_rng_uniform (&rng);
  for (gint64 k = 0; k < n_steps; k++)
    {
      double t = k * dt;
      guint sec = (guint)t;
      double x = t - sec;
      double w[N_S], rsa_phase = 0.0, depth = 1.0, hr, lf_val, rsa_amp = 0.0;
      const Breath *b;

      for (int s = 0; s < N_S; s++)
        w[s] = sim->weight[s][sec] + x * (sim->weight[s][MIN (sec + 1, sim->n_sec)] - sim->weight[s][sec]);
      if ((k & 63) == 0)
        vlf = ar1_step (vlf, 40.0, 1.0, &rng);
      /* The heart-rate response to an arousal lags it by a few seconds. */
      ar_hr += dt / 4.0 * (curve_at (sim->arousal, sim->n_sec, t - 1.0) - ar_hr);

      while (breath + 1 < sim->n_breaths && sim->breaths[breath + 1].onset <= t)
        breath++;
      b = &sim->breaths[breath];
      if (t >= b->onset && t < b->onset + b->duration)
        {
          double tau = t - b->onset;
          /* Inspiration maps to the first half-cycle: heart rate rises while
           * breathing in and falls while breathing out. */
          rsa_phase = tau < b->ti ? 0.5 * tau / b->ti : 0.5 + 0.5 * (tau - b->ti) / (b->duration - b->ti);
          depth = b->volume / subj->tidal_volume;
        }

      /* Heart rate falls by ~3 bpm over the night (circadian). */
      hr = subj->hr0 - 3.0 * (t / night_len - 0.5);
      lf_val = resonator_step (&lf, bx_sim_rng_fast_normal (&rng));
      for (int s = 0; s < N_S; s++)
        {
          hr += w[s] * tab_hr[s] * subj->hr_stage_scale;
          hr += w[s] * subj->hrv_scale * (tab_vlf[s] * vlf + tab_lf[s] * lf_val);
          rsa_amp += w[s] * tab_rsa[s];
        }
      hr += subj->rsa_scale * rsa_amp * MIN (depth, 2.0) * sin (2.0 * G_PI * rsa_phase);
      hr += 14.0 * ar_hr + 3.0 * curve_at (sim->phasic, sim->n_sec, t);
      hr = clampd (hr, 35.0, 150.0);

      phase += hr / 60.0 * dt;
      if (phase >= 1.0)
        {
          double tb = t + dt - (phase - 1.0) / (hr / 60.0);
          tb += 0.003 * bx_sim_rng_normal (&rng);
          if (beats->len > 0 && tb <= g_array_index (beats, double, beats->len - 1) + 0.25)
            tb = g_array_index (beats, double, beats->len - 1) + 0.25;
          if (tb >= 0.0 && tb < night_len)
            g_array_append_val (beats, tb);
          phase -= 1.0;
        }
    }
  sim->n_beats = beats->len;
  sim->beats = (double *)g_array_free (beats, FALSE);
}

/* ---------------------------------------------------------------------------
 * Pass 2: waveforms.
 */

static inline double
gauss (double x, double sigma)
{
  return exp (-0.5 * x * x / (sigma * sigma));
}

typedef double (*ShapeFunc) (double tau, const double *p);

/* Sleep spindle: p = amplitude, duration, frequency, phase, chirp (Hz/s).
 * Waxing-waning sin² envelope. */
static double
shape_spindle (double tau, const double *p)
{
  if (tau < 0.0 || tau > p[1])
    return 0.0;
  return p[0] * pow (sin (G_PI * tau / p[1]), 2.0)
         * cos (2.0 * G_PI * (p[2] * tau + 0.5 * p[4] * tau * tau) + p[3]);
}

/* K-complex: small positive onset, sharp negative wave, slower positive
 * component; total ≥ 0.5 s. p = amplitude of the negative peak, time scale. */
static double
shape_kcomplex (double tau, const double *p)
{
  double a = p[0], k = p[1];

  return 0.12 * a * gauss (tau - 0.05 * k, 0.04 * k) - a * gauss (tau - 0.28 * k, 0.085 * k)
         + 0.55 * a * gauss (tau - 0.78 * k, 0.19 * k);
}

/* Vertex sharp wave: p = amplitude. */
static double
shape_vertex (double tau, const double *p)
{
  return -p[0] * gauss (tau, 0.035) + 0.35 * p[0] * gauss (tau - 0.13, 0.05);
}

/* Sawtooth train: p = amplitude, frequency, number of waves. Triangular waves
 * with a slow rise and a sharp fall under a Hann envelope. */
static double
shape_sawtooth (double tau, const double *p)
{
  double len = p[2] / p[1], u, tri;

  if (tau < 0.0 || tau > len)
    return 0.0;
  u = fmod (tau * p[1], 1.0);
  tri = u < 0.75 ? u / 0.75 : 1.0 - (u - 0.75) / 0.25;
  return p[0] * (2.0 * tri - 1.0) * pow (sin (G_PI * tau / len), 2.0);
}

typedef struct
{
  Sim *sim;
  float *out[N_EEG];
  double gain[N_EEG];
  double fs;
  gint64 n;
} EegTarget;

static void
add_eeg_event (EegTarget *tg, double t0, double before, double after, ShapeFunc shape, const double *p,
               const double topo[3])
{
  gint64 first = (gint64)ceil ((t0 - before) * tg->fs), last = (gint64)floor ((t0 + after) * tg->fs);

  first = MAX (first, 0);
  last = MIN (last, tg->n - 1);
  for (gint64 i = first; i <= last; i++)
    {
      double v = shape (i / tg->fs - t0, p);
      for (int c = 0; c < N_EEG; c++)
        tg->out[c][i] += (float)(v * tg->gain[c] * topo[eeg_derivations[c].region]);
    }
}

static void
render_eeg (Sim *sim)
{
  const BxSimSubject *subj = &sim->subject;
  const double fs = sim->params->eeg_rate;
  const int per_sec = (int)fs;
  static const double bg_corners[4] = { 0.4, 1.5, 5.0, 18.0 };
  static const double bg_weights[4] = { 1.0, 1.0, 0.5, 0.1 };
  BxSimRng rng, erng;
  Resonator delta, theta, alpha, beta, alpha_rem;
  Bank bg[N_EEG];
  EegTarget tg = { .sim = sim, .fs = fs };
  GArray *times;

  bx_sim_rng_init (&rng, sim->night->params.seed, BX_SIM_STREAM_EEG);
  resonator_init (&delta, 0.9, 1.4, fs);
  resonator_init (&theta, 5.5, 2.5, fs);
  resonator_init (&alpha, subj->alpha_freq, 1.2, fs);
  resonator_init (&beta, 20.0, 8.0, fs);
  resonator_init (&alpha_rem, subj->alpha_freq - 1.5, 1.2, fs);
  for (int c = 0; c < N_EEG; c++)
    {
      bank_init (&bg[c], 4, bg_corners, bg_weights, fs);
      tg.out[c] = sim->night->channels[sim->ch_eeg + c].samples;
      tg.gain[c] = subj->channel_gain[c];
    }
  tg.n = sim->night->channels[sim->ch_eeg].n_samples;

  for (guint sec = 0; sec < sim->n_sec; sec++)
    {
      double c0[6], c1[6];
      gint64 base = (gint64)sec * per_sec;

      if (sec % 60 == 0 && check_cancel (sim))
        return;
      for (int k = 0; k < 6; k++)
        {
          c0[k] = sim->ctl[C_BG + k][sec];
          c1[k] = sim->ctl[C_BG + k][sec + 1];
        }
      for (int j = 0; j < per_sec; j++)
        {
          double x = j / fs, a[6], d, th, al, be;

          for (int k = 0; k < 6; k++)
            a[k] = c0[k] + x * (c1[k] - c0[k]);
          d = a[1] * resonator_step (&delta, bx_sim_rng_fast_normal (&rng));
          th = a[2] * resonator_step (&theta, bx_sim_rng_fast_normal (&rng));
          al = a[3] * resonator_step (&alpha, bx_sim_rng_fast_normal (&rng))
               + a[5] * resonator_step (&alpha_rem, bx_sim_rng_fast_normal (&rng));
          be = a[4] * resonator_step (&beta, bx_sim_rng_fast_normal (&rng));
          for (int c = 0; c < N_EEG; c++)
            {
              int r = eeg_derivations[c].region;
              double v = d * topo_delta[r] + th * topo_theta[r] + al * topo_alpha[r] + be * topo_beta[r]
                         + a[0] * bank_step (&bg[c], bx_sim_rng_fast_normal (&rng));
              tg.out[c][base + j] = (float)(v * tg.gain[c]);
            }
        }
    }

  /* Transient waveforms, each from the rate curve of its stage. */
  bx_sim_rng_init (&erng, sim->night->params.seed, BX_SIM_STREAM_EEG_EVENTS);
  for (int c = 0; c < N_EEG; c++)
    tg.gain[c] = subj->channel_gain[c] * subj->eeg_scale;

  times = draw_events (sim, &erng, sim->ctl[C_KCOMPLEX], 1.0);
  for (guint i = 0; i < times->len; i++)
    {
      double t0 = g_array_index (times, double, i);
      double p[5]
          = { subj->kc_amp * bx_sim_rng_range (&erng, 0.75, 1.3), bx_sim_rng_range (&erng, 0.85, 1.2) };
      add_eeg_event (&tg, t0, 0.2, 1.6, shape_kcomplex, p, topo_kcomplex);
      /* A K-complex is often followed by a spindle. */
      if (bx_sim_rng_bernoulli (&erng, 0.4))
        {
          double q[5]
              = { subj->spindle_amp * bx_sim_rng_range (&erng, 0.6, 1.2), bx_sim_rng_range (&erng, 0.5, 1.2),
                  subj->spindle_freq + 0.4 * bx_sim_rng_normal (&erng),
                  bx_sim_rng_range (&erng, 0.0, 2.0 * G_PI), bx_sim_rng_range (&erng, -0.6, 0.6) };
          add_eeg_event (&tg, t0 + 0.9 * p[1], 0.0, q[1], shape_spindle, q, topo_spindle);
        }
    }
  g_array_unref (times);
  if (check_cancel (sim))
    return;

  times = draw_events (sim, &erng, sim->ctl[C_SPINDLE], 1.0);
  for (guint i = 0; i < times->len; i++)
    {
      double p[5] = { subj->spindle_amp * bx_sim_rng_range (&erng, 0.6, 1.4),
                      clampd (1.0 + 0.35 * bx_sim_rng_normal (&erng), 0.5, 2.0),
                      subj->spindle_freq + 0.4 * bx_sim_rng_normal (&erng),
                      bx_sim_rng_range (&erng, 0.0, 2.0 * G_PI), bx_sim_rng_range (&erng, -0.6, 0.6) };
      add_eeg_event (&tg, g_array_index (times, double, i), 0.0, p[1], shape_spindle, p, topo_spindle);
    }
  g_array_unref (times);

  times = draw_events (sim, &erng, sim->ctl[C_VERTEX], 1.0);
  for (guint i = 0; i < times->len; i++)
    {
      double p[1] = { bx_sim_rng_range (&erng, 40.0, 90.0) };
      add_eeg_event (&tg, g_array_index (times, double, i), 0.15, 0.4, shape_vertex, p, topo_vertex);
    }
  g_array_unref (times);

  times = draw_events (sim, &erng, sim->ctl[C_SAWTOOTH], 1.0);
  for (guint i = 0; i < times->len; i++)
    {
      double p[3] = { bx_sim_rng_range (&erng, 18.0, 40.0), bx_sim_rng_range (&erng, 2.5, 4.5),
                      (double)bx_sim_rng_int (&erng, 3, 8) };
      add_eeg_event (&tg, g_array_index (times, double, i), 0.0, p[2] / p[1], shape_sawtooth, p,
                     topo_sawtooth);
    }
  g_array_unref (times);

  /* Body movements: a large slow swing (electrodes and cables moving) plus
   * scalp muscle activity, different on every derivation. */
  for (guint i = 0; i < sim->n_moves; i++)
    {
      double t0 = sim->move_onsets[i], dur = sim->move_durations[i];
      gint64 first = (gint64)ceil (t0 * fs), last = MIN (tg.n - 1, (gint64)floor ((t0 + dur) * fs));
      double swing[N_EEG], muscle[N_EEG], shift = bx_sim_rng_range (&erng, 0.3, 0.7);

      for (int c = 0; c < N_EEG; c++)
        {
          swing[c] = bx_sim_rng_range (&erng, -150.0, 150.0);
          muscle[c] = bx_sim_rng_range (&erng, 5.0, 25.0);
        }
      for (gint64 k = first; k <= last; k++)
        {
          double u = (k / fs - t0) / dur, env = sin (G_PI * u);
          for (int c = 0; c < N_EEG; c++)
            tg.out[c][k] += (float)(env
                                    * (swing[c] * sin (G_PI * u / shift)
                                       + muscle[c] * bx_sim_rng_fast_normal (&erng)));
        }
    }
}

/* EOG. Both electrodes see the corneo-retinal dipole with opposite sign
 * (E1 below the left outer canthus, E2 above the right one), so eye movements
 * and blinks are out of phase while frontal EEG (slow waves, K-complexes)
 * leaks into both in phase. The amplifier's 0.3-Hz high-pass turns a
 * saccade's step into a sharp deflection that decays. */
static void
render_eog (Sim *sim)
{
  const BxSimSubject *subj = &sim->subject;
  const double fs = sim->params->eog_rate;
  const int per_sec = (int)fs;
  BxSimChannel *e1 = &sim->night->channels[sim->ch_eog];
  BxSimChannel *e2 = &sim->night->channels[sim->ch_eog + 1];
  const BxSimChannel *f3 = &sim->night->channels[sim->ch_eeg];
  const BxSimChannel *f4 = &sim->night->channels[sim->ch_eeg + 1];
  float *eye = e2->samples; /* eye signal first, electrodes after */
  BxSimRng rng;
  Resonator sem;
  GArray *saccades, *blinks;
  guint next_saccade = 0;
  double pos = 0.0, from = 0.0, to = 0.0, t_move = -1.0, d_move = 0.1;
  double hp_a = 1.0 / (1.0 + 2.0 * G_PI * 0.3 / fs), hp_y = 0.0, hp_x = 0.0;

  bx_sim_rng_init (&rng, sim->night->params.seed, BX_SIM_STREAM_EOG);
  resonator_init (&sem, 0.3, 0.25, fs);
  saccades = draw_events (sim, &rng, sim->ctl[C_SACCADE], 1.0);
  blinks = draw_events (sim, &rng, sim->ctl[C_BLINK], 1.0 / 60.0);

  for (guint sec = 0; sec < sim->n_sec; sec++)
    {
      gint64 base = (gint64)sec * per_sec;
      double s0 = sim->ctl[C_SEM][sec], s1 = sim->ctl[C_SEM][sec + 1];

      if (sec % 60 == 0 && check_cancel (sim))
        goto out;
      for (int j = 0; j < per_sec; j++)
        {
          double t = sec + j / fs, x = j / fs;

          while (next_saccade < saccades->len && g_array_index (saccades, double, next_saccade) <= t)
            {
              /* Saccade to a new gaze direction, loosely centred; duration
               * grows with amplitude (main sequence). */
              from = pos;
              to = 0.35 * pos + 140.0 * subj->eog_gain * bx_sim_rng_normal (&rng);
              t_move = g_array_index (saccades, double, next_saccade);
              d_move = 0.04 + fabs (to - from) / 4000.0;
              next_saccade++;
            }
          if (t_move >= 0.0)
            {
              double u = clampd ((t - t_move) / d_move, 0.0, 1.0);
              pos = from + (to - from) * u * u * (3.0 - 2.0 * u);
            }
          eye[base + j] = (float)(pos
                                  + (s0 + x * (s1 - s0)) * subj->eog_gain
                                        * resonator_step (&sem, bx_sim_rng_fast_normal (&rng)));
        }
    }
  for (guint i = 0; i < blinks->len; i++)
    {
      double t0 = g_array_index (blinks, double, i),
             a = bx_sim_rng_range (&rng, 100.0, 250.0) * subj->eog_gain;
      gint64 first = MAX (0, (gint64)ceil ((t0 - 0.25) * fs)),
             last = MIN (e2->n_samples - 1, (gint64)((t0 + 0.5) * fs));

      for (gint64 k = first; k <= last; k++)
        {
          double tau = k / fs - t0;
          eye[k] += (float)(a * (tau < 0.0 ? gauss (tau, 0.05) : gauss (tau, 0.1)));
        }
    }

  for (gint64 k = 0; k < e2->n_samples; k++)
    {
      double t = k / fs;
      double fi = MIN (t * f3->sample_rate, (double)(f3->n_samples - 1));
      gint64 i0 = (gint64)fi;
      gint64 i1 = MIN (i0 + 1, f3->n_samples - 1);
      double fr = fi - i0;
      double frontal
          = 0.5
            * ((1.0 - fr) * (f3->samples[i0] + f4->samples[i0]) + fr * (f3->samples[i1] + f4->samples[i1]));
      double y;

      hp_y = hp_a * (hp_y + eye[k] - hp_x);
      hp_x = eye[k];
      y = hp_y;
      e1->samples[k] = (float)(-0.95 * y + 0.35 * frontal + 3.0 * bx_sim_rng_fast_normal (&rng));
      e2->samples[k] = (float)(1.05 * y + 0.35 * frontal + 3.0 * bx_sim_rng_fast_normal (&rng));
    }
out:
  g_array_unref (saccades);
  g_array_unref (blinks);
}

/* Chin EMG: band-limited noise scaled by the tone curve, plus twitches
 * (phasic REM) and body movements (W, arousals). */
static void
render_emg (Sim *sim)
{
  const double fs = sim->params->emg_rate;
  const int per_sec = (int)fs;
  BxSimChannel *ch = &sim->night->channels[sim->ch_emg];
  static const double corners[2] = { 90.0, 10.0 };
  static const double weights[2] = { 1.0, -1.0 };
  BxSimRng rng;
  Bank band, burst_band;
  GArray *events;

  bx_sim_rng_init (&rng, sim->night->params.seed, BX_SIM_STREAM_EMG);
  bank_init (&band, 2, corners, weights, fs);
  bank_init (&burst_band, 2, corners, weights, fs);
  for (guint sec = 0; sec < sim->n_sec; sec++)
    {
      gint64 base = (gint64)sec * per_sec;
      double a0 = sim->ctl[C_EMG][sec], a1 = sim->ctl[C_EMG][sec + 1];

      if (sec % 60 == 0 && check_cancel (sim))
        return;
      for (int j = 0; j < per_sec; j++)
        ch->samples[base + j]
            = (float)((a0 + (a1 - a0) * j / fs) * bank_step (&band, bx_sim_rng_fast_normal (&rng)));
    }

  for (int kind = 0; kind < 2; kind++)
    {
      guint n_events;

      events = kind == 0 ? draw_events (sim, &rng, sim->ctl[C_TWITCH], 1.0) : NULL;
      n_events = kind == 0 ? events->len : sim->n_moves;
      for (guint i = 0; i < n_events; i++)
        {
          double t0 = kind == 0 ? g_array_index (events, double, i) : sim->move_onsets[i];
          double dur = kind == 0 ? bx_sim_rng_range (&rng, 0.05, 0.25) : sim->move_durations[i];
          double amp = kind == 0 ? bx_sim_rng_range (&rng, 5.0, 15.0)
                                 : sim->subject.emg_tone * bx_sim_rng_range (&rng, 2.0, 6.0);
          gint64 first = (gint64)ceil (t0 * fs), last = MIN (ch->n_samples - 1, (gint64)((t0 + dur) * fs));

          for (gint64 k = first; k <= last; k++)
            {
              double env = sin (G_PI * (k / fs - t0) / dur);
              ch->samples[k] += (float)(amp * env * bank_step (&burst_band, bx_sim_rng_fast_normal (&rng)));
            }
        }
      if (events != NULL)
        g_array_unref (events);
    }
}

/* Lung volume (litres above end-expiration) at t; `cursor` walks the breaths
 * forward for callers that ask in time order. */
static double
volume_at (const Sim *sim, double t, guint *cursor)
{
  double v, f;

  if (*cursor >= sim->n_breaths)
    *cursor = 0;
  if (sim->breaths[*cursor].onset > t)
    *cursor = 0;
  while (*cursor + 1 < sim->n_breaths && sim->breaths[*cursor + 1].onset <= t)
    (*cursor)++;
  if (t < sim->breaths[*cursor].onset || t >= sim->breaths[*cursor].onset + sim->breaths[*cursor].duration)
    return 0.0;
  breath_eval (&sim->breaths[*cursor], t - sim->breaths[*cursor].onset, &v, &f);
  return v;
}

static void
render_resp (Sim *sim)
{
  const double fs = sim->params->resp_rate;
  BxSimChannel *flow = &sim->night->channels[sim->ch_flow];
  BxSimChannel *thorax = &sim->night->channels[sim->ch_thorax];
  BxSimRng rng;
  guint b = 0;
  double drift = 0.0, a = exp (-1.0 / (20.0 * fs));

  bx_sim_rng_init (&rng, sim->night->params.seed, BX_SIM_STREAM_RESP);
  for (gint64 k = 0; k < flow->n_samples; k++)
    {
      double t = k / fs, v = 0.0, f = 0.0;

      while (b + 1 < sim->n_breaths && sim->breaths[b + 1].onset <= t)
        b++;
      if (t >= sim->breaths[b].onset && t < sim->breaths[b].onset + sim->breaths[b].duration)
        breath_eval (&sim->breaths[b], t - sim->breaths[b].onset, &v, &f);
      drift = a * drift + sqrt (1.0 - a * a) * bx_sim_rng_fast_normal (&rng);
      flow->samples[k] = (float)(f + 0.01 * bx_sim_rng_fast_normal (&rng));
      thorax->samples[k] = (float)(v / sim->subject.tidal_volume - 0.5 + 0.15 * drift
                                   + 0.01 * bx_sim_rng_fast_normal (&rng));
    }
}

/* ECG: each beat is a sum of Gaussians (P, Q, R, S and a two-part T wave),
 * the T wave and PR interval stretching with the RR interval (QT ∝ √RR);
 * baseline wander and R-amplitude modulation follow breathing. */
static void
render_ecg (Sim *sim)
{
  const BxSimSubject *subj = &sim->subject;
  const double fs = sim->params->ecg_rate;
  BxSimChannel *ch = &sim->night->channels[sim->ch_ecg];
  BxSimRng rng;
  guint cursor = 0;
  double drift = 0.0, a = exp (-1.0 / (8.0 * fs)), w = subj->ecg_qrs_width;

  bx_sim_rng_init (&rng, sim->night->params.seed, BX_SIM_STREAM_ECG);
  for (gint64 k = 0; k < ch->n_samples; k++)
    {
      double t = k / fs;
      double noise = 0.006 + 0.03 * curve_at (sim->ctl[C_NOISE], sim->n_sec, t);

      if ((k % ((gint64)fs * 60)) == 0 && check_cancel (sim))
        return;
      drift = a * drift + sqrt (1.0 - a * a) * bx_sim_rng_fast_normal (&rng);
      ch->samples[k] = (float)(0.05 * (volume_at (sim, t, &cursor) / subj->tidal_volume - 0.5) + 0.04 * drift
                               + noise * bx_sim_rng_fast_normal (&rng));
    }
  cursor = 0;
  for (guint i = 0; i < sim->n_beats; i++)
    {
      double tr = sim->beats[i];
      double rr = i + 1 < sim->n_beats ? sim->beats[i + 1] - tr : (i > 0 ? tr - sim->beats[i - 1] : 1.0);
      double q = sqrt (clampd (rr, 0.4, 2.0));
      /* Electrical axis shifts with breathing: ±7 % QRS amplitude. */
      double m = 1.0 + 0.14 * (volume_at (sim, tr, &cursor) / subj->tidal_volume - 0.5);
      const double waves[6][3] = {
        /* amplitude mV, centre s (from R), width s */
        { subj->ecg_p, -0.16 * (0.75 + 0.25 * rr), 0.022 },
        { subj->ecg_q * m, -0.028 * w, 0.008 * w },
        { subj->ecg_r * m, 0.0, 0.009 * w },
        { subj->ecg_s * m, 0.03 * w, 0.01 * w },
        { 0.55 * subj->ecg_t, 0.22 * q, 0.055 * q },
        { 0.65 * subj->ecg_t, 0.29 * q, 0.04 * q },
      };

      for (int k = 0; k < 6; k++)
        {
          double c = tr + waves[k][1], s = waves[k][2];
          gint64 first = MAX (0, (gint64)ceil ((c - 4.0 * s) * fs));
          gint64 last = MIN (ch->n_samples - 1, (gint64)floor ((c + 4.0 * s) * fs));

          for (gint64 n = first; n <= last; n++)
            ch->samples[n] += (float)(waves[k][0] * gauss (n / fs - c, s));
        }
    }
}

/* PPG: a pulse one pulse-transit time after each R peak: a systolic wave with
 * a steep upstroke, a dicrotic notch and a smaller diastolic (reflected)
 * wave; amplitude falls with vasoconstriction (arousals, REM), baseline and
 * amplitude follow breathing. */
static void
render_ppg (Sim *sim)
{
  const BxSimSubject *subj = &sim->subject;
  const double fs = sim->params->ppg_rate;
  BxSimChannel *ch = &sim->night->channels[sim->ch_ppg];
  BxSimRng rng;
  guint cursor = 0;
  double drift = 0.0, a = exp (-1.0 / (15.0 * fs));

  bx_sim_rng_init (&rng, sim->night->params.seed, BX_SIM_STREAM_PPG);
  for (gint64 k = 0; k < ch->n_samples; k++)
    {
      double t = k / fs;
      double noise = 0.004 + 0.015 * curve_at (sim->ctl[C_NOISE], sim->n_sec, t);

      drift = a * drift + sqrt (1.0 - a * a) * bx_sim_rng_fast_normal (&rng);
      ch->samples[k] = (float)(-0.12 * (volume_at (sim, t, &cursor) / subj->tidal_volume - 0.5) + 0.06 * drift
                               + noise * bx_sim_rng_fast_normal (&rng));
    }
  cursor = 0;
  for (guint i = 0; i < sim->n_beats; i++)
    {
      double tr = sim->beats[i];
      double rr = i + 1 < sim->n_beats ? sim->beats[i + 1] - tr : (i > 0 ? tr - sim->beats[i - 1] : 1.0);
      double foot = tr + curve_at (sim->ctl[C_PTT], sim->n_sec, tr);
      double amp = curve_at (sim->ctl[C_PPG_AMP], sim->n_sec, tr)
                   * (1.0 + 0.12 * (volume_at (sim, tr, &cursor) / subj->tidal_volume - 0.5));
      double peak = foot + 0.13, dicrotic = peak + 0.23 * (0.8 + 0.2 * clampd (rr, 0.4, 2.0));
      double runoff = 0.3 * clampd (rr, 0.4, 2.0);
      gint64 first = MAX (0, (gint64)ceil ((foot - 0.1) * fs));
      gint64 last = MIN (ch->n_samples - 1, (gint64)floor ((dicrotic + 5.0 * runoff) * fs));

      /* Systolic wave (steep rise, slower fall), then the dicrotic wave and
       * the diastolic run-off decaying into the next pulse. */
      for (gint64 n = first; n <= last; n++)
        {
          double t = n / fs;
          double sys = t < peak ? gauss (t - peak, 0.05) : gauss (t - peak, 0.08);
          double dia = t < dicrotic ? gauss (t - dicrotic, 0.06) : exp (-(t - dicrotic) / runoff);
          ch->samples[n] += (float)(amp * (sys + subj->ppg_dicrotic * dia));
        }
    }
}

static void
render_spo2_position (Sim *sim)
{
  BxSimRng rng;

  if (sim->ch_spo2 >= 0)
    {
      BxSimChannel *ch = &sim->night->channels[sim->ch_spo2];
      bx_sim_rng_init (&rng, sim->night->params.seed, BX_SIM_STREAM_SPO2);
      for (gint64 k = 0; k < ch->n_samples; k++)
        ch->samples[k] = (float)MIN (100.0, curve_at (sim->ctl[C_SPO2], sim->n_sec, k / ch->sample_rate)
                                                + 0.15 * bx_sim_rng_normal (&rng));
    }
  if (sim->ch_position >= 0)
    {
      BxSimChannel *ch = &sim->night->channels[sim->ch_position];
      /* 1 supine, 2 left, 3 right, 4 prone. Turns happen with body
       * movements (while awake or at arousals). */
      static const int choices[] = { 1, 1, 2, 3, 2, 3, 4 };
      int position;
      guint move = 0;

      bx_sim_rng_init (&rng, sim->night->params.seed, BX_SIM_STREAM_POSITION);
      position = bx_sim_rng_bernoulli (&rng, 0.6) ? 1 : bx_sim_rng_int (&rng, 2, 3);
      for (gint64 k = 0; k < ch->n_samples; k++)
        {
          double t = k / ch->sample_rate;

          while (move < sim->n_moves && sim->move_onsets[move] + sim->move_durations[move] <= t)
            {
              if (bx_sim_rng_bernoulli (&rng, 0.35))
                {
                  int next = choices[bx_sim_rng_int (&rng, 0, G_N_ELEMENTS (choices) - 1)];
                  position = next == position ? (position % 3) + 1 : next;
                }
              move++;
            }
          ch->samples[k] = (float)position;
        }
    }
}

/* The amplifier's anti-aliasing / display low-pass (2nd-order Butterworth,
 * bilinear transform), as a PSG applies "LP:35Hz" to EEG and EOG. */
static double
lowpass_cutoff (double fs)
{
  return MIN (35.0, floor (0.4 * fs));
}

static void
lowpass_channel (BxSimChannel *ch)
{
  double fc = lowpass_cutoff (ch->sample_rate);
  double w0 = 2.0 * G_PI * fc / ch->sample_rate, alpha = sin (w0) / G_SQRT2; /* Q = 1/√2 */
  double cw = cos (w0), a0 = 1.0 + alpha;
  double b0 = (1.0 - cw) / 2.0 / a0, b1 = (1.0 - cw) / a0, b2 = b0, a1 = -2.0 * cw / a0,
         a2 = (1.0 - alpha) / a0;
  double x1 = ch->n_samples > 0 ? ch->samples[0] : 0.0, x2 = x1, y1 = x1, y2 = x1;

  for (gint64 k = 0; k < ch->n_samples; k++)
    {
      double x = ch->samples[k];
      double y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;

      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      ch->samples[k] = (float)y;
    }
}

/* The cardiac field reaches the mastoid references and the chin: a small
 * QRS-shaped spike at each R peak. */
static void
add_cardiac_artefact (Sim *sim, BxSimChannel *ch, double uv_per_mv)
{
  const BxSimSubject *subj = &sim->subject;
  const double fs = ch->sample_rate;

  for (guint i = 0; i < sim->n_beats; i++)
    {
      double tr = sim->beats[i] + 0.01;
      gint64 first = MAX (0, (gint64)ceil ((tr - 0.05) * fs));
      gint64 last = MIN (ch->n_samples - 1, (gint64)floor ((tr + 0.08) * fs));

      for (gint64 n = first; n <= last; n++)
        {
          double x = n / fs - tr;
          ch->samples[n]
              += (float)(uv_per_mv * (subj->ecg_r * gauss (x, 0.01) + subj->ecg_s * gauss (x - 0.03, 0.012)));
        }
    }
}

/* ---------------------------------------------------------------------------
 * Workers and the public entry points.
 */

typedef enum
{
  WORK_EEG_EOG,
  WORK_EMG,
  WORK_CARDIO,
  N_WORK
} Work;

typedef struct
{
  Sim *sim;
  Work work;
} WorkItem;

static void
run_work (Sim *sim, Work work)
{
  switch (work)
    {
    case WORK_EEG_EOG:
      render_eeg (sim);
      if (!check_cancel (sim))
        render_eog (sim);
      break;
    case WORK_EMG:
      render_emg (sim);
      break;
    case WORK_CARDIO:
      render_resp (sim);
      if (!check_cancel (sim))
        render_ecg (sim);
      if (!check_cancel (sim))
        render_ppg (sim);
      render_spo2_position (sim);
      break;
    case N_WORK:
    default:
      break;
    }
}

static gpointer
work_thread (gpointer data)
{
  WorkItem *item = data;

  run_work (item->sim, item->work);
  return NULL;
}

void
bx_sim_params_init (BxSimParams *params)
{
  memset (params, 0, sizeof *params);
  params->seed = 1;
  params->hours = 8.0;
  params->eeg_rate = params->eog_rate = params->emg_rate = params->ecg_rate = 256.0;
  params->ppg_rate = 128.0;
  params->resp_rate = 32.0;
  params->spo2_rate = 1.0;
  params->position_rate = 1.0;
  params->start_hour = 22.75;
  params->n_threads = 0;
}

static gboolean
check_rate (const char *name, double rate, double min_rate, gboolean optional, GError **error)
{
  if ((optional && rate == 0.0)
      || (isfinite (rate) && rate == floor (rate) && rate >= min_rate && rate <= 8192.0))
    return TRUE;
  g_set_error (error, BX_SIM_ERROR, BX_SIM_ERROR_PARAMS,
               "synthetic night: %s %g Hz is invalid (a whole number of Hz from %g to 8192%s)", name, rate,
               min_rate, optional ? ", or 0 for none" : "");
  return FALSE;
}

gboolean
bx_sim_params_validate (const BxSimParams *params, GError **error)
{
  if (!isfinite (params->hours) || params->hours <= 0.0 || params->hours > 24.0)
    {
      g_set_error (error, BX_SIM_ERROR, BX_SIM_ERROR_PARAMS,
                   "synthetic night: hours %g is invalid (more than 0, at most 24)", params->hours);
      return FALSE;
    }
  if (!isfinite (params->start_hour) || params->start_hour < 0.0 || params->start_hour >= 24.0)
    {
      g_set_error (error, BX_SIM_ERROR, BX_SIM_ERROR_PARAMS,
                   "synthetic night: start hour %g is invalid (0 to 24)", params->start_hour);
      return FALSE;
    }
  /* EEG needs 32 Hz for 16-Hz spindles; EMG is band-limited below 0.45 fs. */
  return check_rate ("EEG rate", params->eeg_rate, 32.0, FALSE, error)
         && check_rate ("EOG rate", params->eog_rate, 8.0, FALSE, error)
         && check_rate ("EMG rate", params->emg_rate, 32.0, FALSE, error)
         && check_rate ("ECG rate", params->ecg_rate, 32.0, FALSE, error)
         && check_rate ("PPG rate", params->ppg_rate, 16.0, FALSE, error)
         && check_rate ("respiration rate", params->resp_rate, 4.0, FALSE, error)
         && check_rate ("SpO2 rate", params->spo2_rate, 1.0, TRUE, error)
         && check_rate ("position rate", params->position_rate, 1.0, TRUE, error);
}

static int
add_channel (BxSimNight *night, GPtrArray *list, const char *label, const char *transducer, const char *unit,
             const char *prefilter, BxModality modality, double rate, double pmin, double pmax)
{
  BxSimChannel *ch = g_new0 (BxSimChannel, 1);

  ch->label = g_strdup (label);
  ch->transducer = g_strdup (transducer);
  ch->physical_dimension = g_strdup (unit);
  ch->prefilter = g_strdup (prefilter);
  ch->modality = modality;
  ch->sample_rate = rate;
  ch->physical_min = pmin;
  ch->physical_max = pmax;
  ch->n_samples = (gint64)(night->duration * rate);
  g_ptr_array_add (list, ch);
  return (int)list->len - 1;
}

static void
free_state (Sim *sim)
{
  for (int s = 0; s < N_S; s++)
    g_free (sim->weight[s]);
  for (int c = 0; c < N_C; c++)
    g_free (sim->ctl[c]);
  g_free (sim->arousal);
  g_free (sim->phasic);
  g_free (sim->eyes_open);
  g_free (sim->breaths);
  g_free (sim->beats);
  g_free (sim->move_onsets);
  g_free (sim->move_durations);
}

BxSimNight *
bx_sim_night_generate (const BxSimParams *params, GCancellable *cancellable, GError **error)
{
  g_autoptr (BxSimNight) night = NULL;
  g_autoptr (GPtrArray) list = g_ptr_array_new ();
  g_autofree char *emg_filter = NULL, *eeg_filter = NULL, *eog_filter = NULL;
  Sim sim = { 0 };
  WorkItem items[N_WORK];
  GThread *threads[N_WORK] = { NULL };
  guint n_threads;

  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!bx_sim_params_validate (params, error))
    return NULL;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  night = g_new0 (BxSimNight, 1);
  night->params = *params;
  bx_sim_subject_draw (params->seed, &sim.subject);
  night->n_epochs = bx_sim_n_epochs_for_hours (params->hours);
  night->duration = night->n_epochs * BX_SIM_EPOCH_LENGTH;
  night->stages = bx_sim_stages_draw (params->seed, &sim.subject, night->n_epochs);

  sim.params = &night->params;
  sim.night = night;
  sim.n_sec = (guint)night->duration;
  sim.cancellable = cancellable;

  eeg_filter = g_strdup_printf ("LP:%gHz", lowpass_cutoff (params->eeg_rate));
  eog_filter = g_strdup_printf ("HP:0.3Hz LP:%gHz", lowpass_cutoff (params->eog_rate));
  emg_filter = g_strdup_printf ("HP:10Hz LP:%gHz", MIN (90.0, floor (0.45 * params->emg_rate)));
  sim.ch_eeg = (int)list->len;
  for (int c = 0; c < N_EEG; c++)
    add_channel (night, list, eeg_derivations[c].label, "AgAgCl electrode", "uV", eeg_filter, BX_MODALITY_EEG,
                 params->eeg_rate, -500.0, 500.0);
  sim.ch_eog = add_channel (night, list, "EOG E1-M2", "AgAgCl electrode", "uV", eog_filter, BX_MODALITY_EOG,
                            params->eog_rate, -800.0, 800.0);
  add_channel (night, list, "EOG E2-M1", "AgAgCl electrode", "uV", eog_filter, BX_MODALITY_EOG,
               params->eog_rate, -800.0, 800.0);
  sim.ch_emg = add_channel (night, list, "EMG Chin", "AgAgCl electrode", "uV", emg_filter, BX_MODALITY_EMG,
                            params->emg_rate, -400.0, 400.0);
  sim.ch_ecg = add_channel (night, list, "ECG II", "AgAgCl electrode", "mV", "", BX_MODALITY_ECG,
                            params->ecg_rate, -5.0, 5.0);
  sim.ch_ppg = add_channel (night, list, "Pleth", "Pulse oximeter", "au", "", BX_MODALITY_PPG,
                            params->ppg_rate, -2.0, 3.0);
  sim.ch_flow = add_channel (night, list, "Resp Flow", "Nasal pressure", "L/s", "", BX_MODALITY_RESP,
                             params->resp_rate, -3.0, 3.0);
  sim.ch_thorax = add_channel (night, list, "Resp Thorax", "RIP belt", "au", "", BX_MODALITY_RESP,
                               params->resp_rate, -4.0, 6.0);
  sim.ch_spo2 = params->spo2_rate > 0.0 ? add_channel (night, list, "SpO2", "Pulse oximeter", "%", "",
                                                       BX_MODALITY_SPO2, params->spo2_rate, 0.0, 100.0)
                                        : -1;
  sim.ch_position = params->position_rate > 0.0
                        ? add_channel (night, list, "Position", "Position sensor", "", "",
                                       BX_MODALITY_POSITION, params->position_rate, 0.0, 5.0)
                        : -1;

  night->n_channels = list->len;
  night->channels = g_new0 (BxSimChannel, list->len);
  for (guint i = 0; i < list->len; i++)
    {
      BxSimChannel *ch = g_ptr_array_index (list, i);
      night->channels[i] = *ch;
      g_free (ch);
    }
  for (guint i = 0; i < night->n_channels; i++)
    {
      BxSimChannel *ch = &night->channels[i];
      ch->samples = g_try_new0 (float, (gsize)MAX (ch->n_samples, 1));
      if (ch->samples == NULL)
        {
          g_set_error (error, BX_SIM_ERROR, BX_SIM_ERROR_MEMORY,
                       "synthetic night: no memory for %" G_GINT64_FORMAT " samples of channel '%s'",
                       ch->n_samples, ch->label);
          return NULL;
        }
    }

  build_state (&sim);
  build_breaths (&sim);
  build_beats (&sim);

  /* Three independent workers; the calling thread runs the first. */
  n_threads = params->n_threads != 0 ? params->n_threads : g_get_num_processors ();
  for (int w = 0; w < N_WORK; w++)
    {
      items[w].sim = &sim;
      items[w].work = (Work)w;
    }
  for (int w = 1; w < N_WORK; w++)
    if ((guint)w < n_threads)
      threads[w] = g_thread_new ("bx-sim", work_thread, &items[w]);
  run_work (&sim, WORK_EEG_EOG);
  for (int w = 1; w < N_WORK; w++)
    {
      if (threads[w] != NULL)
        g_thread_join (threads[w]);
      else
        run_work (&sim, (Work)w);
    }
  /* Threads that started after a cancel did nothing; report it. */
  if (check_cancel (&sim))
    {
      free_state (&sim);
      g_cancellable_set_error_if_cancelled (cancellable, error);
      return NULL;
    }

  add_cardiac_artefact (&sim, &night->channels[sim.ch_emg], sim.subject.ecg_in_emg);
  for (int c = 0; c < N_EEG; c++)
    add_cardiac_artefact (&sim, &night->channels[sim.ch_eeg + c],
                          sim.subject.ecg_in_eeg * (eeg_derivations[c].region == 2 ? 0.6 : 1.0));
  for (int c = 0; c < N_EEG; c++)
    lowpass_channel (&night->channels[sim.ch_eeg + c]);
  lowpass_channel (&night->channels[sim.ch_eog]);
  lowpass_channel (&night->channels[sim.ch_eog + 1]);

  for (guint i = 0; i < night->n_channels; i++)
    {
      BxSimChannel *ch = &night->channels[i];
      float lo = (float)ch->physical_min, hi = (float)ch->physical_max;
      for (gint64 k = 0; k < ch->n_samples; k++)
        ch->samples[k] = ch->samples[k] < lo ? lo : (ch->samples[k] > hi ? hi : ch->samples[k]);
    }

  night->n_beats = sim.n_beats;
  night->r_peaks = sim.beats;
  sim.beats = NULL;
  free_state (&sim);
  return g_steal_pointer (&night);
}

void
bx_sim_night_free (BxSimNight *night)
{
  if (night == NULL)
    return;
  for (guint i = 0; i < night->n_channels; i++)
    {
      g_free (night->channels[i].label);
      g_free (night->channels[i].transducer);
      g_free (night->channels[i].physical_dimension);
      g_free (night->channels[i].prefilter);
      g_free (night->channels[i].samples);
    }
  g_free (night->channels);
  g_free (night->stages);
  g_free (night->r_peaks);
  g_free (night->breath_onsets);
  g_free (night->arousal_onsets);
  g_free (night->arousal_durations);
  g_free (night);
}

int
bx_sim_night_find_channel (const BxSimNight *night, const char *label)
{
  for (guint i = 0; i < night->n_channels; i++)
    if (g_ascii_strcasecmp (night->channels[i].label, label) == 0)
      return (int)i;
  return -1;
}

int
bx_sim_night_find_modality (const BxSimNight *night, BxModality modality)
{
  for (guint i = 0; i < night->n_channels; i++)
    if (night->channels[i].modality == modality)
      return (int)i;
  return -1;
}
