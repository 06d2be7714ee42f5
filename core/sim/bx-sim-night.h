/* bx-sim-night.h — a synthetic polysomnography night (the built-in demo data).
 *
 * A deterministic generator of a physiologically plausible night: a hypnogram
 * drawn from a sleep-cycle model (30-s epochs, ~90-min cycles, N3 early, REM
 * episodes lengthening towards morning, brief awakenings) and the signals a
 * PSG records, all driven by the same hidden state so that every modality
 * carries stage information:
 *
 *   EEG  F3-M2 F4-M1 C3-M2 C4-M1 O1-M2 O2-M1  µV  1/f background; alpha (W),
 *        theta + vertex waves (N1), spindles + K-complexes (N2), delta (N3),
 *        theta + sawtooth waves (REM), arousals
 *   EOG  E1-M2 E2-M1                          µV  blinks/saccades (W), slow
 *        rolling (N1), rapid eye movements in bursts (REM), opposite phase
 *   EMG  chin                                 µV  tone falling through NREM,
 *        atonia with twitches in REM
 *   ECG  lead II                              mV  sum-of-Gaussians PQRST;
 *        heart rate, LF/VLF variability and respiratory sinus arrhythmia by stage
 *   Pleth (PPG)                               au  pulses one pulse transit time
 *        after each R peak, dicrotic notch, respiratory modulation
 *   Resp flow (L/s) and thorax (au)               breath by breath; slow and
 *        regular in N3, faster and irregular in REM/W
 *   SpO2 (%), body position (1 supine, 2 left, 3 right, 4 prone)
 *
 * The stored hypnogram is the scoring of the night, as a technician would
 * give it; the physiology underneath changes up to 12 s before or after an
 * epoch boundary, N1 epochs are partly mixed with a neighbouring stage and
 * slow-wave activity builds up around N3, so even the EEG does not classify
 * every epoch perfectly (as in real recordings).
 *
 * Subject-level traits (heart rate, alpha frequency, spindle density, amount
 * of N3, pulse transit time, ...) are drawn from the seed, so different seeds
 * are different sleepers. The output depends only on the parameters, never on
 * the number of threads.
 */
#pragma once

#include <gio/gio.h>

#include "recording/bx-hypnogram.h"
#include "recording/bx-modality.h"

G_BEGIN_DECLS

#define BX_SIM_ERROR (bx_sim_error_quark ())
GQuark bx_sim_error_quark (void);

typedef enum
{
  BX_SIM_ERROR_PARAMS, /* a parameter is out of range; the message names it and its value */
  BX_SIM_ERROR_MEMORY, /* the night does not fit in memory */
  BX_SIM_ERROR_WRITE,  /* writing the EDF+ file failed */
} BxSimError;

/* Scoring epoch of the true hypnogram, seconds. */
#define BX_SIM_EPOCH_LENGTH 30.0

typedef struct
{
  guint64 seed;
  double hours; /* length of the night; rounded to whole 30-s epochs (at least one) */
  /* Sampling rates in Hz: whole numbers, because the EDF+ data records last 1 s. */
  double eeg_rate, eog_rate, emg_rate, ecg_rate, ppg_rate, resp_rate;
  double spo2_rate;     /* 0 = no SpO2 channel */
  double position_rate; /* 0 = no body-position channel */
  double start_hour;    /* clock time of lights off, hours after midnight of 2024-01-01 (e.g. 22.75) */
  guint n_threads;      /* 0 = one per processor (at most 3 are used); the output does not depend on it */
} BxSimParams;

/* Defaults: seed 1, 8 h, EEG/EOG/EMG/ECG 256 Hz, PPG 128 Hz, respiration
 * 32 Hz, SpO2 and position 1 Hz, lights off at 22:45. */
void bx_sim_params_init (BxSimParams *params);

/* Checks every field; the error names the field and its value. */
gboolean bx_sim_params_validate (const BxSimParams *params, GError **error);

typedef struct
{
  char *label; /* EDF+ style, e.g. "EEG C4-M1" (at most 16 characters) */
  char *transducer;
  char *physical_dimension;          /* "uV", "mV", "L/s", "au", "%", "" */
  char *prefilter;                   /* filters actually applied by the model, or "" */
  BxModality modality;               /* what the channel is (ground truth, not detected) */
  double sample_rate;                /* Hz */
  double physical_min, physical_max; /* samples lie inside; the EDF+ range */
  gint64 n_samples;
  float *samples; /* physical units */
} BxSimChannel;

typedef struct
{
  BxSimParams params;
  double duration; /* seconds = n_epochs × 30 */
  guint n_channels;
  BxSimChannel *channels;

  /* True hypnogram: one BxStage per 30-s epoch from t = 0 (W, N1, N2, N3, R). */
  guint n_epochs;
  gint8 *stages;

  /* Ground-truth events (seconds from the start), for tests and evaluation. */
  guint n_beats;
  double *r_peaks; /* R-peak times */
  guint n_breaths;
  double *breath_onsets; /* inspiration onsets */
  guint n_arousals;
  double *arousal_onsets;
  double *arousal_durations;
} BxSimNight;

/* Generates the night in memory. Cancellable (checked every minute of signal
 * per worker); fails with G_IO_ERROR_CANCELLED when cancelled. */
BxSimNight *bx_sim_night_generate (const BxSimParams *params, GCancellable *cancellable, GError **error);
void bx_sim_night_free (BxSimNight *night);

/* Index of the channel with this label (case-insensitive), or -1. */
int bx_sim_night_find_channel (const BxSimNight *night, const char *label);
/* Index of the first channel of a modality, or -1. */
int bx_sim_night_find_modality (const BxSimNight *night, BxModality modality);

/* The true hypnogram as a BxHypnogram (start 0, 30-s epochs). */
BxHypnogram *bx_sim_night_get_hypnogram (const BxSimNight *night);

/* Only the hypnogram that bx_sim_night_generate() would draw for this seed
 * and length (much faster than generating the signals). */
gint8 *bx_sim_stages_generate (guint64 seed, double hours, guint *n_epochs);
BxHypnogram *bx_sim_hypnogram_generate (guint64 seed, double hours);

/* Writes a generated night as EDF+C: one signal per channel, 1-s data
 * records, the true hypnogram as stage annotations ("Sleep stage W", ...) and
 * the arousals as "Arousal" annotations. */
gboolean bx_sim_night_save_edf (const BxSimNight *night, const char *path, GError **error);

/* Generates and writes in one go (the CLI `simulate` and the demo). */
gboolean bx_sim_night_write_edf (const BxSimParams *params, const char *path, GCancellable *cancellable,
                                 GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxSimNight, bx_sim_night_free)

G_END_DECLS
