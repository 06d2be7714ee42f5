/* bx-modality.h — what kind of signal a channel carries. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  BX_MODALITY_EEG,
  BX_MODALITY_EOG,
  BX_MODALITY_EMG,
  BX_MODALITY_ECG,
  BX_MODALITY_PPG,       /* photoplethysmogram / pleth / pulse wave */
  BX_MODALITY_RESP,      /* airflow, belts, nasal pressure */
  BX_MODALITY_SPO2,
  BX_MODALITY_POSITION,
  BX_MODALITY_OTHER,
  BX_N_MODALITIES
} BxModality;

/* "EEG", "EOG", ... — stable identifiers used in files, JSON and the CLI. */
const char *bx_modality_to_string (BxModality modality);
/* Case-insensitive inverse of bx_modality_to_string(); also accepts
 * "pleth". Returns FALSE for an unknown name. */
gboolean bx_modality_from_string (const char *name, BxModality *out_modality);

/* Guesses the modality of a channel from its EDF label, transducer and
 * physical dimension (any may be NULL) and its sampling rate (Hz, 0 if
 * unknown). `confidence` (0..1) says how sure: 0.9+ when the label names the
 * modality outright ("ECG", "EEG Fpz-Cz"), lower when only the unit or an
 * electrode name hints at it:
 *   0.95  type keyword first ("EEG ...", "ECG ECG1", "EMG submental", "SaO2")
 *   0.7-0.9  other keywords (LOC/ROC/E1/E2 = EOG, Chin/Leg = EMG, Flow/Thor/
 *         Abdo/Belt/Nasal = RESP, Pleth/PPG/BVP = PPG, Pos = POSITION;
 *         "PR"/"HR"/"Temp"/"Event"/"Status" = OTHER); "Pulse" is PPG only
 *         when its unit is not a voltage
 *   0.8   10-20/10-10 electrode names only ("Fp1", "O1-A1"): EEG
 *   0.55  an electrode name among unknown words ("POL T1")
 *   0.6   the transducer alone ("Oral-nasal thermistors": RESP)
 *   0.35  the unit alone ("%" at <= 32 Hz: SPO2)
 *   0.2   nothing recognised: OTHER
 * bx_recording_open() also treats a file with 32 or more "A1".."H32"-style
 * labels as a high-density EEG cap (so its "C3" or "E1" is EEG, 0.6). */
BxModality bx_modality_detect (const char *label, const char *transducer, const char *physical_dimension,
                               double sample_rate, double *confidence);

G_END_DECLS
