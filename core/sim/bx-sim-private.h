/* bx-sim-private.h — pieces of the synthetic night shared between its files. */
#pragma once

#include <glib.h>

#include "bx-sim-rng.h"

G_BEGIN_DECLS

/* Independent random streams, one per part of the model. */
enum
{
  BX_SIM_STREAM_SUBJECT = 1,
  BX_SIM_STREAM_HYPNOGRAM,
  BX_SIM_STREAM_CONTROL,
  BX_SIM_STREAM_AROUSAL,
  BX_SIM_STREAM_BREATHS,
  BX_SIM_STREAM_BEATS,
  BX_SIM_STREAM_EEG,
  BX_SIM_STREAM_EEG_EVENTS,
  BX_SIM_STREAM_EOG,
  BX_SIM_STREAM_EMG,
  BX_SIM_STREAM_ECG,
  BX_SIM_STREAM_PPG,
  BX_SIM_STREAM_RESP,
  BX_SIM_STREAM_SPO2,
  BX_SIM_STREAM_POSITION,
  BX_SIM_STREAM_MOVEMENT,
  BX_SIM_STREAM_PHYSIOLOGY,
};

/* Traits of one sleeper, drawn from the seed. */
typedef struct
{
  double youth;       /* 0 (older) .. 1 (young adult): amount of N3, delta amplitude, HRV */
  double rem_scale;   /* REM episode length factor */
  double sol_minutes; /* sleep-onset latency */
  double eeg_scale;   /* overall EEG amplitude (skull, electrodes) */
  double delta_scale;
  double alpha_freq, alpha_gain;
  double spindle_freq, spindle_amp, spindle_density;
  double kc_amp;
  double channel_gain[6]; /* per EEG derivation: F3 F4 C3 C4 O1 O2 */
  double eog_gain;
  double emg_tone;       /* chin EMG RMS in quiet wake, µV */
  double hr0;            /* heart rate in N2, bpm */
  double hr_stage_scale; /* how strongly heart rate follows the stage */
  double hrv_scale;
  double rsa_scale;
  double resp_rate0;                        /* breaths per minute in N2 */
  double tidal_volume;                      /* litres */
  double ptt0;                              /* R peak to pulse foot, seconds */
  double ecg_p, ecg_q, ecg_r, ecg_s, ecg_t; /* wave amplitudes, mV */
  double ecg_qrs_width;                     /* factor on the Q, R, S widths */
  double ppg_dicrotic;                      /* dicrotic wave height relative to the systolic peak */
  double spo2_base;
  double ecg_in_emg; /* cardiac artefact in chin EMG, µV per mV */
  double ecg_in_eeg;
} BxSimSubject;

void bx_sim_subject_draw (guint64 seed, BxSimSubject *subject);

/* The hypnogram of the cycle model for `subject`, n_epochs 30-s epochs. */
gint8 *bx_sim_stages_draw (guint64 seed, const BxSimSubject *subject, guint n_epochs);

guint bx_sim_n_epochs_for_hours (double hours);

G_END_DECLS
