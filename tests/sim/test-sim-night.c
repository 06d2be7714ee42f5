/* test-sim-night.c — the synthetic PSG night: determinism, parameters,
 * cancellation and the physiology every modality must carry by stage.
 *
 * The thresholds are physiological expectations (AASM stage definitions, PSG
 * textbook figures), not values read off this generator's output. */
#include <math.h>
#include <string.h>

#include "sim/bx-sim-night.h"
#include "bx-test-data.h"

/* A full 8-h night at reduced rates, generated once for the statistics tests. */
static BxSimNight *shared_night;

static void
reduced_params (BxSimParams *p, guint64 seed, double hours)
{
  bx_sim_params_init (p);
  p->seed = seed;
  p->hours = hours;
  p->eeg_rate = p->eog_rate = p->emg_rate = p->ecg_rate = 100.0;
  p->ppg_rate = 50.0;
  p->resp_rate = 10.0;
}

static const BxSimNight *
get_night (void)
{
  if (shared_night == NULL)
    {
      BxSimParams p;
      g_autoptr (GError) error = NULL;

      reduced_params (&p, 11, 8.0);
      shared_night = bx_sim_night_generate (&p, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (shared_night);
    }
  return shared_night;
}

static const BxSimChannel *
channel (const BxSimNight *night, const char *label)
{
  int i = bx_sim_night_find_channel (night, label);

  g_assert_cmpint (i, >=, 0);
  return &night->channels[i];
}

static int
stage_slot (gint8 stage)
{
  switch (stage)
    {
    case BX_STAGE_WAKE:
      return 0;
    case BX_STAGE_N1:
      return 1;
    case BX_STAGE_N2:
      return 2;
    case BX_STAGE_N3:
      return 3;
    case BX_STAGE_REM:
      return 4;
    default:
      g_assert_not_reached ();
    }
  return -1;
}

/* Only epochs whose neighbours have the same stage, so transitions (where the
 * model blends the two stages) do not blur the comparison. */
static gboolean
inner_epoch (const BxSimNight *night, guint e)
{
  return e > 0 && e + 1 < night->n_epochs && night->stages[e - 1] == night->stages[e]
         && night->stages[e + 1] == night->stages[e];
}

/* Power of x[0..n) in [lo, hi) Hz by direct DFT on a 1/8-Hz grid (slow but
 * simple and exact enough for ratios). */
static double
band_power (const float *x, gint64 n, double fs, double lo, double hi)
{
  double mean = 0.0, power = 0.0;

  for (gint64 i = 0; i < n; i++)
    mean += x[i];
  mean /= n;
  for (double f = lo; f < hi; f += 0.125)
    {
      double re = 0.0, im = 0.0, w = 2.0 * G_PI * f / fs;
      for (gint64 i = 0; i < n; i++)
        {
          re += (x[i] - mean) * cos (w * i);
          im += (x[i] - mean) * sin (w * i);
        }
      power += (re * re + im * im) / ((double)n * n);
    }
  return power;
}

typedef double (*EpochFeature) (const BxSimNight *night, const BxSimChannel *ch, guint epoch);

/* Mean of a feature over (up to `max_per_stage`, evenly spread) inner epochs
 * of each stage. */
static void
stage_means (const BxSimNight *night, const BxSimChannel *ch, EpochFeature feature, guint max_per_stage,
             double out[5])
{
  guint count[5] = { 0 }, total[5] = { 0 };

  for (guint e = 0; e < night->n_epochs; e++)
    if (inner_epoch (night, e))
      total[stage_slot (night->stages[e])]++;
  for (int s = 0; s < 5; s++)
    out[s] = 0.0;
  {
    guint seen[5] = { 0 };
    for (guint e = 0; e < night->n_epochs; e++)
      {
        int s;
        if (!inner_epoch (night, e))
          continue;
        s = stage_slot (night->stages[e]);
        seen[s]++;
        /* Take every k-th epoch so the sample spans the whole night. */
        if (total[s] > max_per_stage
            && (seen[s] * max_per_stage) / total[s] == ((seen[s] - 1) * max_per_stage) / total[s])
          continue;
        out[s] += feature (night, ch, e);
        count[s]++;
      }
  }
  for (int s = 0; s < 5; s++)
    {
      g_assert_cmpuint (count[s], >, 0);
      out[s] /= count[s];
    }
  g_test_message ("per stage W N1 N2 N3 R: %.3g %.3g %.3g %.3g %.3g", out[0], out[1], out[2], out[3], out[4]);
}

static const float *
epoch_samples (const BxSimChannel *ch, guint epoch, gint64 *n)
{
  *n = (gint64)(BX_SIM_EPOCH_LENGTH * ch->sample_rate);
  return ch->samples + (gint64)epoch * *n;
}

static double
feature_delta (const BxSimNight *night, const BxSimChannel *ch, guint e)
{
  gint64 n;
  const float *x = epoch_samples (ch, e, &n);
  return band_power (x, n, ch->sample_rate, 0.5, 2.0);
}

static double
feature_alpha (const BxSimNight *night, const BxSimChannel *ch, guint e)
{
  gint64 n;
  const float *x = epoch_samples (ch, e, &n);
  return band_power (x, n, ch->sample_rate, 8.0, 12.0);
}

static double
feature_sigma (const BxSimNight *night, const BxSimChannel *ch, guint e)
{
  gint64 n;
  const float *x = epoch_samples (ch, e, &n);
  return band_power (x, n, ch->sample_rate, 12.0, 15.0);
}

static double
feature_rms (const BxSimNight *night, const BxSimChannel *ch, guint e)
{
  gint64 n;
  const float *x = epoch_samples (ch, e, &n);
  double s = 0.0;

  for (gint64 i = 0; i < n; i++)
    s += (double)x[i] * x[i];
  return sqrt (s / n);
}

/* Mean heart rate (bpm) from the R peaks inside the epoch. */
static double
feature_hr (const BxSimNight *night, const BxSimChannel *ch, guint e)
{
  double t0 = e * BX_SIM_EPOCH_LENGTH, t1 = t0 + BX_SIM_EPOCH_LENGTH, sum = 0.0;
  int n = 0;

  for (guint i = 1; i < night->n_beats; i++)
    if (night->r_peaks[i] >= t0 && night->r_peaks[i] < t1)
      {
        sum += night->r_peaks[i] - night->r_peaks[i - 1];
        n++;
      }
  g_assert_cmpint (n, >, 10);
  return 60.0 / (sum / n);
}

/* Standard deviation of RR intervals within the epoch (ms). */
static double
feature_sdnn (const BxSimNight *night, const BxSimChannel *ch, guint e)
{
  double t0 = e * BX_SIM_EPOCH_LENGTH, t1 = t0 + BX_SIM_EPOCH_LENGTH, s = 0.0, s2 = 0.0;
  int n = 0;

  for (guint i = 1; i < night->n_beats; i++)
    if (night->r_peaks[i] >= t0 && night->r_peaks[i] < t1)
      {
        double rr = 1000.0 * (night->r_peaks[i] - night->r_peaks[i - 1]);
        s += rr;
        s2 += rr * rr;
        n++;
      }
  return sqrt (MAX (0.0, s2 / n - (s / n) * (s / n)));
}

/* Coefficient of variation of breath durations starting in the epoch and the
 * two around it (to have enough breaths). */
static double
feature_breath_cv (const BxSimNight *night, const BxSimChannel *ch, guint e)
{
  double t0 = (e - 1.0) * BX_SIM_EPOCH_LENGTH, t1 = (e + 2.0) * BX_SIM_EPOCH_LENGTH, s = 0.0, s2 = 0.0;
  int n = 0;

  for (guint i = 0; i + 1 < night->n_breaths; i++)
    if (night->breath_onsets[i] >= t0 && night->breath_onsets[i] < t1)
      {
        double d = night->breath_onsets[i + 1] - night->breath_onsets[i];
        s += d;
        s2 += d * d;
        n++;
      }
  g_assert_cmpint (n, >, 5);
  return sqrt (MAX (0.0, s2 / n - (s / n) * (s / n))) / (s / n);
}

/* Pearson correlation of E1 and E2 within the epoch. */
static double
feature_eog_correlation (const BxSimNight *night, const BxSimChannel *ch, guint e)
{
  const BxSimChannel *e1 = channel (night, "EOG E1-M2"), *e2 = channel (night, "EOG E2-M1");
  gint64 n;
  const float *x = epoch_samples (e1, e, &n), *y = epoch_samples (e2, e, &n);
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;

  for (gint64 i = 0; i < n; i++)
    {
      sx += x[i];
      sy += y[i];
      sxx += (double)x[i] * x[i];
      syy += (double)y[i] * y[i];
      sxy += (double)x[i] * y[i];
    }
  return (sxy - sx * sy / n) / sqrt ((sxx - sx * sx / n) * (syy - sy * sy / n));
}

static void
test_determinism (void)
{
  BxSimParams p;
  g_autoptr (GError) error = NULL;
  g_autoptr (BxSimNight) a = NULL, b = NULL, c = NULL;

  reduced_params (&p, 42, 0.5);
  p.n_threads = 1;
  a = bx_sim_night_generate (&p, NULL, &error);
  g_assert_no_error (error);
  /* Same seed, different thread count: bit-identical. */
  p.n_threads = 3;
  b = bx_sim_night_generate (&p, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->n_channels, ==, b->n_channels);
  g_assert_cmpuint (a->n_epochs, ==, 60);
  g_assert_cmpmem (a->stages, a->n_epochs, b->stages, b->n_epochs);
  g_assert_cmpmem (a->r_peaks, a->n_beats * sizeof (double), b->r_peaks, b->n_beats * sizeof (double));
  for (guint i = 0; i < a->n_channels; i++)
    {
      g_assert_cmpstr (a->channels[i].label, ==, b->channels[i].label);
      g_assert_cmpint (a->channels[i].n_samples, ==, (gint64)(1800 * a->channels[i].sample_rate));
      g_assert_cmpmem (a->channels[i].samples, a->channels[i].n_samples * sizeof (float),
                       b->channels[i].samples, b->channels[i].n_samples * sizeof (float));
    }

  /* Another seed: another sleeper and other samples in every channel. */
  p.seed = 43;
  c = bx_sim_night_generate (&p, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < a->n_channels; i++)
    {
      const BxSimChannel *ca = &a->channels[i], *cc = &c->channels[i];
      gint64 same = 0;
      g_assert_cmpint (ca->n_samples, ==, cc->n_samples);
      for (gint64 k = 0; k < ca->n_samples; k++)
        same += ca->samples[k] == cc->samples[k];
      /* Position is piecewise constant and may agree; all others differ almost everywhere. */
      if (ca->modality != BX_MODALITY_POSITION)
        g_assert_cmpint (same, <, ca->n_samples / 20);
    }
  g_assert_true (a->n_beats != c->n_beats
                 || memcmp (a->r_peaks, c->r_peaks, a->n_beats * sizeof (double)) != 0);
}

static void
test_hypnogram_only_matches (void)
{
  BxSimParams p;
  g_autoptr (GError) error = NULL;
  g_autoptr (BxSimNight) night = NULL;
  g_autofree gint8 *stages = NULL;
  guint n = 0;

  reduced_params (&p, 5, 1.0);
  p.spo2_rate = 0.0;
  p.position_rate = 0.0;
  night = bx_sim_night_generate (&p, NULL, &error);
  g_assert_no_error (error);
  stages = bx_sim_stages_generate (5, 1.0, &n);
  g_assert_cmpuint (n, ==, night->n_epochs);
  g_assert_cmpmem (stages, n, night->stages, night->n_epochs);
  /* Optional channels left out. */
  g_assert_cmpint (bx_sim_night_find_modality (night, BX_MODALITY_SPO2), ==, -1);
  g_assert_cmpint (bx_sim_night_find_modality (night, BX_MODALITY_POSITION), ==, -1);
  g_assert_cmpuint (night->n_channels, ==, 13);
}

static void
test_channels (void)
{
  const BxSimNight *night = get_night ();
  static const struct
  {
    const char *label;
    BxModality modality;
    const char *unit;
    double rate;
  } expected[] = {
    { "EEG F3-M2", BX_MODALITY_EEG, "uV", 100 },   { "EEG F4-M1", BX_MODALITY_EEG, "uV", 100 },
    { "EEG C3-M2", BX_MODALITY_EEG, "uV", 100 },   { "EEG C4-M1", BX_MODALITY_EEG, "uV", 100 },
    { "EEG O1-M2", BX_MODALITY_EEG, "uV", 100 },   { "EEG O2-M1", BX_MODALITY_EEG, "uV", 100 },
    { "EOG E1-M2", BX_MODALITY_EOG, "uV", 100 },   { "EOG E2-M1", BX_MODALITY_EOG, "uV", 100 },
    { "EMG Chin", BX_MODALITY_EMG, "uV", 100 },    { "ECG II", BX_MODALITY_ECG, "mV", 100 },
    { "Pleth", BX_MODALITY_PPG, "au", 50 },        { "Resp Flow", BX_MODALITY_RESP, "L/s", 10 },
    { "Resp Thorax", BX_MODALITY_RESP, "au", 10 }, { "SpO2", BX_MODALITY_SPO2, "%", 1 },
    { "Position", BX_MODALITY_POSITION, "", 1 },
  };

  g_assert_cmpuint (night->n_channels, ==, G_N_ELEMENTS (expected));
  g_assert_cmpfloat (night->duration, ==, 8 * 3600.0);
  g_assert_cmpuint (night->n_epochs, ==, 960);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      const BxSimChannel *ch = &night->channels[i];
      g_assert_cmpstr (ch->label, ==, expected[i].label);
      g_assert_cmpint (strlen (ch->label), <=, 16);
      g_assert_cmpint (ch->modality, ==, expected[i].modality);
      g_assert_cmpstr (ch->physical_dimension, ==, expected[i].unit);
      g_assert_cmpfloat (ch->sample_rate, ==, expected[i].rate);
      g_assert_cmpint (ch->n_samples, ==, (gint64)(night->duration * expected[i].rate));
      for (gint64 k = 0; k < ch->n_samples; k++)
        {
          g_assert_true (isfinite (ch->samples[k]));
          g_assert_true (ch->samples[k] >= ch->physical_min && ch->samples[k] <= ch->physical_max);
        }
    }
}

static void
test_params_invalid (void)
{
  BxSimParams p;
  g_autoptr (GError) error = NULL;
  BxSimNight *night;

  bx_sim_params_init (&p);
  p.hours = 0.0;
  night = bx_sim_night_generate (&p, NULL, &error);
  g_assert_null (night);
  g_assert_error (error, BX_SIM_ERROR, BX_SIM_ERROR_PARAMS);
  g_assert_nonnull (strstr (error->message, "hours"));
  g_clear_error (&error);

  bx_sim_params_init (&p);
  p.eeg_rate = 100.5;
  g_assert_false (bx_sim_params_validate (&p, &error));
  g_assert_error (error, BX_SIM_ERROR, BX_SIM_ERROR_PARAMS);
  g_assert_nonnull (strstr (error->message, "EEG rate"));
  g_assert_nonnull (strstr (error->message, "100.5"));
  g_clear_error (&error);

  bx_sim_params_init (&p);
  p.ppg_rate = 0.0;
  g_assert_false (bx_sim_params_validate (&p, &error));
  g_assert_nonnull (strstr (error->message, "PPG rate"));
  g_clear_error (&error);

  bx_sim_params_init (&p);
  p.resp_rate = NAN;
  g_assert_false (bx_sim_params_validate (&p, &error));
  g_clear_error (&error);

  /* SpO2 and position may be switched off, the others not. */
  bx_sim_params_init (&p);
  p.spo2_rate = 0.0;
  p.position_rate = 0.0;
  g_assert_true (bx_sim_params_validate (&p, &error));
  g_assert_no_error (error);
}

static gpointer
cancel_soon (gpointer data)
{
  g_usleep (30 * 1000);
  g_cancellable_cancel (G_CANCELLABLE (data));
  return NULL;
}

static void
test_cancel (void)
{
  BxSimParams p;
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  BxSimNight *night;
  GThread *thread;
  gint64 t0;

  bx_sim_params_init (&p);
  g_cancellable_cancel (cancellable);
  night = bx_sim_night_generate (&p, cancellable, &error);
  g_assert_null (night);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* Cancelled while the workers run (a full default night takes seconds). */
  g_cancellable_reset (cancellable);
  thread = g_thread_new ("cancel", cancel_soon, cancellable);
  t0 = g_get_monotonic_time ();
  night = bx_sim_night_generate (&p, cancellable, &error);
  g_thread_join (thread);
  g_assert_null (night);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_test_message ("cancelled after %.3f s", (g_get_monotonic_time () - t0) / 1e6);
}

/* Hypnogram statistics over many sleepers (stages only: fast). */
static void
test_hypnogram_physiology (void)
{
  const guint n_seeds = 30;
  double sum_pct[5] = { 0 };

  for (guint64 seed = 1; seed <= n_seeds; seed++)
    {
      guint n = 0, count[5] = { 0 }, n3_first_third = 0, first_sleep = G_MAXUINT, first_rem = G_MAXUINT;
      g_autofree gint8 *st = bx_sim_stages_generate (seed, 8.0, &n);
      guint rem_first_half = 0, rem_second_half = 0, rem_episodes = 0, last_rem = 0;

      g_assert_cmpuint (n, ==, 960);
      for (guint e = 0; e < n; e++)
        {
          int s = stage_slot (st[e]);
          count[s]++;
          if (s == 3 && e < n / 3)
            n3_first_third++;
          if (s != 0 && first_sleep == G_MAXUINT)
            first_sleep = e;
          if (s == 4)
            {
              if (first_rem == G_MAXUINT)
                first_rem = e;
              /* A new REM episode: more than 30 min after the previous REM epoch. */
              if (rem_episodes == 0 || e - last_rem > 60)
                rem_episodes++;
              last_rem = e;
              if (e < n / 2)
                rem_first_half++;
              else
                rem_second_half++;
            }
        }
      for (int s = 0; s < 5; s++)
        sum_pct[s] += 100.0 * count[s] / n;
      g_test_message ("seed %" G_GUINT64_FORMAT
                      ": W %u N1 %u N2 %u N3 %u R %u epochs, onset %u, first REM %u, %u REM episodes",
                      seed, count[0], count[1], count[2], count[3], count[4], first_sleep, first_rem,
                      rem_episodes);

      /* Starts awake, sleeps within 45 min (latency), ends awake. */
      g_assert_cmpint (st[0], ==, BX_STAGE_WAKE);
      g_assert_cmpint (st[n - 1], ==, BX_STAGE_WAKE);
      g_assert_cmpuint (first_sleep, <=, 90);
      /* REM: 12-35 % of the night, 3-6 episodes (~90-min cycles), the first
       * 45-180 min after sleep onset, more REM in the second half. */
      g_assert_cmpfloat (100.0 * count[4] / n, >=, 12.0);
      g_assert_cmpfloat (100.0 * count[4] / n, <=, 35.0);
      g_assert_cmpuint (rem_episodes, >=, 3);
      g_assert_cmpuint (rem_episodes, <=, 6);
      g_assert_cmpuint (first_rem - first_sleep, >=, 90);
      g_assert_cmpuint (first_rem - first_sleep, <=, 360);
      g_assert_cmpuint (rem_second_half, >, rem_first_half);
      /* N3 exists and is mostly in the first third of the night. */
      g_assert_cmpuint (count[3], >, 0);
      g_assert_cmpfloat ((double)n3_first_third / count[3], >, 0.6);
      /* N2 is the largest stage; W and N1 are small in a healthy night. */
      g_assert_cmpuint (count[2], >, count[4]);
      g_assert_cmpuint (count[2], >, count[3]);
      g_assert_cmpfloat (100.0 * count[1] / n, <, 12.0);
      g_assert_cmpfloat (100.0 * count[0] / n, <, 25.0);
    }
  for (int s = 0; s < 5; s++)
    sum_pct[s] /= n_seeds;
  g_test_message ("mean %% W %.1f N1 %.1f N2 %.1f N3 %.1f R %.1f", sum_pct[0], sum_pct[1], sum_pct[2],
                  sum_pct[3], sum_pct[4]);
  /* Healthy-adult averages: N1 2-8 %, N2 45-60 %, N3 10-25 %, REM 18-27 %. */
  g_assert_cmpfloat (sum_pct[1], >=, 2.0);
  g_assert_cmpfloat (sum_pct[1], <=, 8.0);
  g_assert_cmpfloat (sum_pct[2], >=, 45.0);
  g_assert_cmpfloat (sum_pct[2], <=, 62.0);
  g_assert_cmpfloat (sum_pct[3], >=, 10.0);
  g_assert_cmpfloat (sum_pct[3], <=, 25.0);
  g_assert_cmpfloat (sum_pct[4], >=, 18.0);
  g_assert_cmpfloat (sum_pct[4], <=, 27.0);
}

static void
test_eeg_by_stage (void)
{
  const BxSimNight *night = get_night ();
  double delta[5], alpha_o[5], alpha_f[5], sigma[5];

  stage_means (night, channel (night, "EEG F4-M1"), feature_delta, 12, delta);
  /* N3 is slow-wave sleep: delta far above W and REM, and above N2. */
  g_assert_cmpfloat (delta[3], >, 5.0 * delta[0]);
  g_assert_cmpfloat (delta[3], >, 5.0 * delta[4]);
  g_assert_cmpfloat (delta[3], >, 2.0 * delta[2]);
  g_assert_cmpfloat (delta[2], >, delta[0]);

  stage_means (night, channel (night, "EEG O2-M1"), feature_alpha, 12, alpha_o);
  stage_means (night, channel (night, "EEG F4-M1"), feature_alpha, 12, alpha_f);
  /* Alpha is a wake rhythm, occipital-dominant. */
  for (int s = 1; s < 5; s++)
    g_assert_cmpfloat (alpha_o[0], >, alpha_o[s]);
  g_assert_cmpfloat (alpha_o[0], >, 1.5 * alpha_f[0]);

  /* Spindles (12-15 Hz) in N2, none in REM or W. */
  stage_means (night, channel (night, "EEG C4-M1"), feature_sigma, 12, sigma);
  g_assert_cmpfloat (sigma[2], >, 1.5 * sigma[4]);
  g_assert_cmpfloat (sigma[2], >, sigma[0]);
}

static void
test_n3_amplitude (void)
{
  const BxSimNight *night = get_night ();
  const BxSimChannel *f4 = channel (night, "EEG F4-M1");
  guint n3 = 0, slow_wave = 0;

  /* AASM N3: ≥ 20 % of the epoch in 0.5-2 Hz waves of > 75 µV peak-to-peak
   * (frontal). Check the peak-to-peak of each 1-s window of the raw signal. */
  for (guint e = 0; e < night->n_epochs; e++)
    {
      gint64 n, per = (gint64)f4->sample_rate;
      const float *x;
      guint big = 0;

      if (!inner_epoch (night, e) || night->stages[e] != BX_STAGE_N3)
        continue;
      x = epoch_samples (f4, e, &n);
      for (gint64 w = 0; w + per <= n; w += per)
        {
          float lo = x[w], hi = x[w];
          for (gint64 i = w; i < w + per; i++)
            {
              lo = MIN (lo, x[i]);
              hi = MAX (hi, x[i]);
            }
          big += hi - lo > 75.0f;
        }
      n3++;
      slow_wave += big >= 6;
    }
  g_assert_cmpuint (n3, >, 10);
  g_assert_cmpfloat ((double)slow_wave / n3, >, 0.8);
}

static void
test_emg_by_stage (void)
{
  const BxSimNight *night = get_night ();
  double rms[5];

  stage_means (night, channel (night, "EMG Chin"), feature_rms, 40, rms);
  /* Tone falls through NREM; atonia in REM. */
  for (int s = 0; s < 4; s++)
    g_assert_cmpfloat (rms[4], <, 0.6 * rms[s]);
  g_assert_cmpfloat (rms[0], >, rms[2]);
  g_assert_cmpfloat (rms[2], >, rms[3]);
}

static void
test_cardiac_by_stage (void)
{
  const BxSimNight *night = get_night ();
  double hr[5], sdnn[5];

  stage_means (night, NULL, feature_hr, 1000, hr);
  /* Heart rate lowest in N3, higher in REM and highest awake. */
  g_assert_cmpfloat (hr[3], <, hr[0] - 4.0);
  g_assert_cmpfloat (hr[3], <, hr[4]);
  g_assert_cmpfloat (hr[2], <, hr[0]);
  g_assert_cmpfloat (hr[0], >, 40.0);
  g_assert_cmpfloat (hr[0], <, 100.0);
  stage_means (night, NULL, feature_sdnn, 1000, sdnn);
  /* More regular in N3 than in REM and W. */
  g_assert_cmpfloat (sdnn[3], <, sdnn[4]);
  g_assert_cmpfloat (sdnn[3], <, sdnn[0]);
}

static void
test_ecg_ppg_waveforms (void)
{
  const BxSimNight *night = get_night ();
  const BxSimChannel *ecg = channel (night, "ECG II"), *ppg = channel (night, "Pleth");
  guint at_peak = 0, n_checked = 0;
  double delay_sum = 0.0;

  /* Every R peak is the ECG's maximum within ±0.2 s (largest wave of the
   * beat), and the PPG pulse peaks 0.25-0.5 s later. */
  for (guint i = 1; i + 1 < night->n_beats; i += 7)
    {
      gint64 r = (gint64)floor (night->r_peaks[i] * ecg->sample_rate + 0.5), best = r;
      gint64 lo = r - (gint64)(0.2 * ecg->sample_rate), hi = r + (gint64)(0.2 * ecg->sample_rate);
      gint64 p0 = (gint64)((night->r_peaks[i] + 0.15) * ppg->sample_rate);
      gint64 p1 = (gint64)((night->r_peaks[i] + 0.55) * ppg->sample_rate), pbest = p0;

      if (lo < 0 || hi >= ecg->n_samples || p1 >= ppg->n_samples)
        continue;
      for (gint64 k = lo; k <= hi; k++)
        if (ecg->samples[k] > ecg->samples[best])
          best = k;
      at_peak += labs ((long)(best - r)) <= 1;
      for (gint64 k = p0; k <= p1; k++)
        if (ppg->samples[k] > ppg->samples[pbest])
          pbest = k;
      delay_sum += pbest / ppg->sample_rate - night->r_peaks[i];
      n_checked++;
    }
  g_assert_cmpuint (n_checked, >, 3000);
  g_assert_cmpfloat ((double)at_peak / n_checked, >, 0.98);
  g_test_message ("mean R-to-PPG-peak delay %.3f s", delay_sum / n_checked);
  g_assert_cmpfloat (delay_sum / n_checked, >, 0.28);
  g_assert_cmpfloat (delay_sum / n_checked, <, 0.45);
}

static void
test_respiration (void)
{
  const BxSimNight *night = get_night ();
  double cv[5], rsa_in = 0.0, rsa_out = 0.0;
  guint n_in = 0, n_out = 0, b = 0;

  stage_means (night, NULL, feature_breath_cv, 1000, cv);
  /* Breathing most regular in N3, irregular in REM and W. */
  g_assert_cmpfloat (cv[3], <, 0.6 * cv[4]);
  g_assert_cmpfloat (cv[3], <, 0.6 * cv[0]);
  g_assert_cmpfloat (night->n_breaths / (night->duration / 60.0), >, 9.0);
  g_assert_cmpfloat (night->n_breaths / (night->duration / 60.0), <, 22.0);

  /* Respiratory sinus arrhythmia: RR shorter in early breath (inspiration)
   * than late (expiration). */
  for (guint i = 1; i < night->n_beats; i++)
    {
      double t = night->r_peaks[i], rr = t - night->r_peaks[i - 1], phase;
      while (b + 1 < night->n_breaths && night->breath_onsets[b + 1] <= t)
        b++;
      if (b + 1 >= night->n_breaths || t < night->breath_onsets[b])
        continue;
      phase = (t - night->breath_onsets[b]) / (night->breath_onsets[b + 1] - night->breath_onsets[b]);
      if (phase > 0.15 && phase < 0.45)
        rsa_in += rr, n_in++;
      else if (phase > 0.65 && phase < 0.95)
        rsa_out += rr, n_out++;
    }
  g_test_message ("RR inspiration %.4f s, expiration %.4f s", rsa_in / n_in, rsa_out / n_out);
  g_assert_cmpfloat (rsa_in / n_in, <, rsa_out / n_out - 0.01);
}

static void
test_eog (void)
{
  const BxSimNight *night = get_night ();
  double corr[5];

  stage_means (night, NULL, feature_eog_correlation, 20, corr);
  /* Eye movements are out of phase on E1/E2 (REM, W); in N3 the in-phase
   * frontal EEG leak dominates. */
  g_assert_cmpfloat (corr[4], <, -0.3);
  g_assert_cmpfloat (corr[0], <, -0.3);
  g_assert_cmpfloat (corr[1], <, -0.3);
  g_assert_cmpfloat (corr[3], >, 0.3);
}

static void
test_subjects_differ (void)
{
  double hr[4];

  /* The seed is the sleeper: mean heart rates over a short night differ. */
  for (guint64 seed = 1; seed <= 4; seed++)
    {
      BxSimParams p;
      g_autoptr (GError) error = NULL;
      g_autoptr (BxSimNight) night = NULL;

      reduced_params (&p, seed, 0.25);
      p.eeg_rate = p.eog_rate = p.emg_rate = 64.0;
      night = bx_sim_night_generate (&p, NULL, &error);
      g_assert_no_error (error);
      hr[seed - 1] = 60.0 * night->n_beats / night->duration;
    }
  g_test_message ("mean HR %.1f %.1f %.1f %.1f", hr[0], hr[1], hr[2], hr[3]);
  {
    double lo = MIN (MIN (hr[0], hr[1]), MIN (hr[2], hr[3])),
           hi = MAX (MAX (hr[0], hr[1]), MAX (hr[2], hr[3]));
    g_assert_cmpfloat (hi - lo, >, 3.0);
  }
}

int
main (int argc, char **argv)
{
  int result;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/determinism", test_determinism);
  g_test_add_func ("/sim/hypnogram-only", test_hypnogram_only_matches);
  g_test_add_func ("/sim/params-invalid", test_params_invalid);
  g_test_add_func ("/sim/cancel", test_cancel);
  g_test_add_func ("/sim/hypnogram-physiology", test_hypnogram_physiology);
  g_test_add_func ("/sim/channels", test_channels);
  g_test_add_func ("/sim/eeg-by-stage", test_eeg_by_stage);
  g_test_add_func ("/sim/n3-amplitude", test_n3_amplitude);
  g_test_add_func ("/sim/emg-by-stage", test_emg_by_stage);
  g_test_add_func ("/sim/cardiac-by-stage", test_cardiac_by_stage);
  g_test_add_func ("/sim/ecg-ppg-waveforms", test_ecg_ppg_waveforms);
  g_test_add_func ("/sim/respiration", test_respiration);
  g_test_add_func ("/sim/eog", test_eog);
  g_test_add_func ("/sim/subjects-differ", test_subjects_differ);
  result = g_test_run ();
  bx_sim_night_free (shared_night);
  return result;
}
