/* bx-hypnogram.h — sleep stages (or any per-epoch labels) on a fixed epoch grid.
 *
 * A hypnogram holds one label per epoch (usually 30 s) from `start` seconds
 * after the recording start, plus an optional confidence per epoch (predicted
 * labels). Label values are stage codes (BxStage) when the set is a sleep
 * stage set, or class indices 0..n_labels-1 for other tasks (e.g. eegmat
 * rest = 0, task = 1); BX_STAGE_UNKNOWN (-1) marks unscored epochs.
 */
#pragma once

#include <glib.h>

#include "bx-annotation.h"

G_BEGIN_DECLS

#define BX_HYPNOGRAM_ERROR (bx_hypnogram_error_quark ())
GQuark bx_hypnogram_error_quark (void);

typedef enum {
  BX_HYPNOGRAM_ERROR_PARSE,   /* a line/field could not be parsed: message names file, line, value */
  BX_HYPNOGRAM_ERROR_LABEL,   /* unknown stage/label string */
  BX_HYPNOGRAM_ERROR_IO,
  BX_HYPNOGRAM_ERROR_FORMAT,  /* the file's format could not be recognised, or a required column is missing */
  BX_HYPNOGRAM_ERROR_EMPTY,   /* the file holds no usable label */
} BxHypnogramError;

/* Stage codes. R&K S3 and S4 both exist so no information is lost; AASM
 * merges them into N3. */
typedef enum {
  BX_STAGE_UNKNOWN = -1,
  BX_STAGE_WAKE = 0,
  BX_STAGE_N1 = 1,
  BX_STAGE_N2 = 2,
  BX_STAGE_N3 = 3,   /* AASM N3 or R&K S3 */
  BX_STAGE_N4 = 4,   /* R&K S4 only */
  BX_STAGE_REM = 5,
  BX_STAGE_MOVEMENT = 6,
} BxStage;

/* Number of known stage codes (W .. MT); arrays indexed by BxStage have this length. */
#define BX_STAGE_N_CODES 7

typedef enum {
  BX_STAGE_SET_AASM,        /* W, N1, N2, N3, R          -> classes 0..4 */
  BX_STAGE_SET_RK,          /* W, S1, S2, S3, S4, R      -> classes 0..5 */
  BX_STAGE_SET_SLEEP_WAKE,  /* W, Sleep                  -> classes 0..1 */
} BxStageSet;

typedef struct {
  double start;          /* seconds from the recording start of epoch 0 */
  double epoch_length;   /* seconds, usually 30 */
  guint n_epochs;
  gint8 *stages;         /* n_epochs BxStage codes */
  float *confidence;     /* n_epochs values in [0,1], or NULL */
} BxHypnogram;

BxHypnogram *bx_hypnogram_new (double start, double epoch_length, guint n_epochs);
void bx_hypnogram_free (BxHypnogram *hypnogram);
BxHypnogram *bx_hypnogram_copy (const BxHypnogram *hypnogram);

/* Stage names: "W", "N1", "N2", "N3", "N4", "R", "MT", "?". */
const char *bx_stage_to_string (BxStage stage);
/* Parses W/1/2/3/4/R/?/M, "Sleep stage W", "Sleep stage 1".."4", "Sleep stage R",
 * "Sleep stage ?", "Movement time", AASM "N1".."N3", "REM", "Wake" (case-insensitive). */
gboolean bx_stage_from_string (const char *text, BxStage *out_stage);

/* Class index of a stage in a stage set (-1 if it has none, e.g. unknown or MT). */
int bx_stage_set_class (BxStageSet set, BxStage stage);
guint bx_stage_set_n_classes (BxStageSet set);
const char *bx_stage_set_class_name (BxStageSet set, guint class_index);

/* ---- Stage texts, stage-set conversions, resampling and sleep statistics ---- */

/* EDF+ annotation text of a stage in the Sleep-EDF / EDFbrowser convention:
 * "Sleep stage W", "Sleep stage 1" .. "Sleep stage 4", "Sleep stage R",
 * "Movement time", "Sleep stage ?". */
const char *bx_stage_to_annotation_text (BxStage stage);

/* The stage a class of `set` stands for: AASM 3 -> N3, R&K 4 -> N4; sleep/wake
 * class 1 ("Sleep") stands for no single stage and gives BX_STAGE_UNKNOWN, as
 * does a class index out of range. */
BxStage bx_stage_set_class_stage (BxStageSet set, int class_index);

/* "aasm", "rk" (also "r&k"), "sleep-wake" (also "sleepwake", "sw"), case-insensitive. */
gboolean bx_stage_set_from_string (const char *text, BxStageSet *out_set);
const char *bx_stage_set_to_string (BxStageSet set);

/* A hypnogram of `n_epochs` epochs all holding `value` (e.g. one label for the
 * whole recording: eegmat rest = 0). */
BxHypnogram *bx_hypnogram_new_filled (double start, double epoch_length, guint n_epochs, gint8 value);
/* Allocates hypnogram->confidence (all 0) if it is NULL. */
void bx_hypnogram_ensure_confidence (BxHypnogram *hypnogram);
/* End of the last epoch, seconds from the recording start. */
double bx_hypnogram_get_end (const BxHypnogram *hypnogram);

/* Stage codes -> class indices of `set` (unknown, MT and stages without a class
 * become BX_STAGE_UNKNOWN = -1). Confidences are copied. */
BxHypnogram *bx_hypnogram_map_to_stage_set (const BxHypnogram *stages, BxStageSet set);
/* Class indices of `set` -> stage codes (sleep/wake "Sleep" -> unknown). */
BxHypnogram *bx_hypnogram_stages_from_classes (const BxHypnogram *classes, BxStageSet set);

/* Majority label of the time window [t0, t1) seconds: every value (unknown
 * included) votes with the seconds it covers; time outside the hypnogram votes
 * for unknown. Returns the winning value, or BX_STAGE_UNKNOWN when two values
 * tie for the most time or the winner covers less than `min_purity` (0..1) of
 * the window. `out_purity` (may be NULL) receives the winner's share of the
 * window; `out_confidence` (may be NULL) the time-weighted mean confidence of
 * the winner's epochs (0 without confidences). */
int bx_hypnogram_window_label (const BxHypnogram *hypnogram, double t0, double t1, double min_purity,
                               double *out_purity, float *out_confidence);

/* The hypnogram on a grid of `epoch_length` seconds from the same start,
 * covering at least the same time span (a last new epoch that runs past the end
 * sees the missing time as unknown), each new epoch labelled by
 * bx_hypnogram_window_label() with `min_purity`. */
BxHypnogram *bx_hypnogram_resample (const BxHypnogram *hypnogram, double epoch_length, double min_purity);

/* Sleep statistics of a stage-code hypnogram (AASM-style definitions, computed
 * from the epochs; no lights-off/on markers are known, so "time in bed" is the
 * span from the first to the last scored epoch):
 *   scored epoch = any epoch that is not unknown; sleep epoch = N1, N2, N3, N4 or R.
 * All times in seconds. */
typedef struct {
  double epoch_length;
  guint n_epochs;
  guint n_unknown;                    /* epochs without a stage */
  guint n_stage[BX_STAGE_N_CODES];    /* epochs per stage code W, N1, N2, N3, N4, R, MT */
  double time_in_bed;                 /* first scored epoch .. end of the last scored epoch (TIB) */
  double total_sleep_time;            /* epochs of N1..N4 and R (TST) */
  double sleep_period_time;           /* sleep onset .. end of the last sleep epoch (SPT) */
  double sleep_efficiency;            /* TST / TIB, 0..1 (0 when TIB is 0) */
  double sleep_onset_latency;         /* first scored epoch .. first sleep epoch; -1 without sleep */
  double rem_latency;                 /* sleep onset .. first R epoch; -1 without R */
  double waso;                        /* W epochs between sleep onset and the end of the last sleep epoch */
  guint n_awakenings;                 /* runs of W epochs inside the sleep period */
} BxHypnogramSummary;

void bx_hypnogram_summarize (const BxHypnogram *hypnogram, BxHypnogramSummary *out_summary);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxHypnogram, bx_hypnogram_free)

G_END_DECLS
