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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxHypnogram, bx_hypnogram_free)

G_END_DECLS
