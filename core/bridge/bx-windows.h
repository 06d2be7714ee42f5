/* bx-windows.h — from recordings to model-ready windows (spec §4).
 *
 * A BxWindowSet holds N windows of one or two modalities cut on ONE time grid
 * (so the old- and new-modality windows of a paired recording are the same
 * seconds), each already preprocessed for its foundation model and laid out
 * as that model's *raw* input (what bx_model_prepare() takes: the layout of
 * the spec's data files), plus the label of every window.
 *
 * Preprocessing recipes (BxPrepRecipe), as the reference's make_*.py do them:
 *   LABRAM_EEG      EEG channels (µV) → linear resample to 200 Hz; no
 *                   normalisation (LaBraM's own prepare divides by 100)
 *                   → raw (n_channels, seconds·200)
 *   HUBERT_ECG      one ECG lead → linear to 500 Hz → 151-tap FIR band-pass
 *                   0.05–47 Hz with filtfilt (per window, ISRUC style, or over
 *                   the recording, WESAD style) → linear to 100 Hz → z-score
 *                   (per window or per recording) → raw (1, seconds·100)
 *   PAPAGEI_PPG     one PPG channel → FFT resample to 125 Hz → Cheby1 order 4,
 *                   0.5 dB, 0.5–12 Hz filtfilt → z-score over the recording
 *                   → raw (1, seconds·125)
 *   NORMWEAR_EMG    EMG channels → linear to 130 Hz → per-channel z-score
 *                   over the recording → per window the ricker CWT of
 *                   [x, Δx, Δ²x] → raw (n_channels, 3, seconds·130 − 2, 65)
 *   COMPACT         the compact encoders (bx-compact.h): EEG up to 6 channels
 *                   (F3, C3, O1, F4, C4, O2 when present, like LaBraM), other
 *                   modalities the best channel → polyphase resample to
 *                   params.rate (linear when the rate ratio is not rational)
 *                   per segment; no normalisation (the model z-scores each
 *                   channel) → raw (n_channels, seconds·rate)
 *
 * Labels per window: the majority label of the epochs it covers (from the
 * recording's label source: annotations, a label file, or one label for the
 * whole recording), kept only if its share is ≥ min_purity; windows with
 * unknown labels get -1 (still usable as unlabelled pair data).
 *
 * Windows are skipped (and counted, with the reason) when a channel is
 * missing, the signal is flat or has non-finite samples, or the window runs
 * over the end or into an EDF+D gap.
 *
 * Details of the implementation (bx-windows.c, bx-windows-prep.c):
 *  - Grid: onsets k · step_seconds from the recording start in real time (an
 *    EDF+D gap counts, so onsets match the labels' time axis), every onset
 *    before the end of the recording is a candidate; one that leaves its
 *    contiguous segment is skipped ("crosses a gap" / "runs past the end").
 *    Sample ranges are computed per channel (rates differ).
 *  - Units: every voltage channel is converted to µV (bx_unit_scale) before
 *    anything else; channels without a voltage unit are used as they are.
 *  - Non-finite samples: their windows are skipped; for the whole-recording
 *    steps they are replaced by the mean of the finite samples of the segment.
 *  - Whole-recording steps (LaBraM's and NormWear's linear resampling,
 *    PaPaGei's FFT resampling and band-pass, HuBERT when !per_window_filter)
 *    run per contiguous segment; "z-score over the recording" pools all
 *    segments. per_window_zscore applies to HUBERT_ECG only.
 *  - Minimum native rates: LaBraM 100 Hz, HuBERT 100 Hz, PaPaGei 25 Hz,
 *    NormWear 100 Hz (below: BX_WINDOWS_ERROR_SIGNAL saying what is needed).
 *  - Classes: use_stage_set → that set's class names; else the manifest's
 *    constant labels (label:NAME, order of first appearance in the whole
 *    manifest, also applied to annotation/file labels); else AASM. Only
 *    annotations the label map knows are used ("Lights off" is ignored);
 *    a manifest entry with `annotations` but none known is an error.
 *  - Progress: stage "windows", detail = file name; cancellation is checked
 *    per channel segment and every 64 windows.
 */
#pragma once

#include <glib.h>

#include "bridge/bx-manifest.h"
#include "jobs/bx-job.h"
#include "recording/bx-recording.h"

G_BEGIN_DECLS

#define BX_WINDOWS_ERROR (bx_windows_error_quark ())
GQuark bx_windows_error_quark (void);

typedef enum {
  BX_WINDOWS_ERROR_CHANNEL,     /* a required channel is missing: names file, modality and what was looked for */
  BX_WINDOWS_ERROR_LABELS,      /* a label source cannot be read or mapped */
  BX_WINDOWS_ERROR_SIGNAL,      /* NaN, wrong rate, too short */
  BX_WINDOWS_ERROR_NPY,         /* a prepared-tensor file has the wrong shape / dtype */
} BxWindowsError;

typedef enum {
  BX_PREP_LABRAM_EEG,
  BX_PREP_HUBERT_ECG,
  BX_PREP_PAPAGEI_PPG,
  BX_PREP_NORMWEAR_EMG,
  BX_PREP_COMPACT,              /* compact encoders: channels → polyphase (else linear) to params.rate, raw (C, s·rate) */
} BxPrepRecipe;

/* One side (old or new modality) of a window set. */
typedef struct {
  BxModality modality;
  BxPrepRecipe recipe;
  guint n_channels;             /* channels per window after selection */
  int raw_ndim;                 /* per-window raw dims (without N) */
  gint64 raw_shape[6];
  gsize raw_numel;              /* product of raw_shape */
  float *data;                  /* (n_windows, raw_numel) */
  char **channel_labels;        /* n_channels labels actually used (first recording) */
} BxWindowSide;

typedef struct {
  guint n_windows;
  double window_seconds;
  double step_seconds;
  guint n_sides;                /* 1 or 2 */
  BxWindowSide side[2];         /* [0] = old modality, [1] = new modality (when paired) */
  int *labels;                  /* n_windows class indices, -1 = unknown */
  GStrv class_names;            /* n_classes names */
  double *onsets;               /* n_windows, seconds from the recording start */
  guint *recording_index;       /* n_windows, index into `recordings` */
  GPtrArray *recordings;        /* char* paths */
  GPtrArray *subjects;          /* char* subject of each recording */
  guint n_skipped;              /* windows dropped; reasons in `skip_reasons` */
  GPtrArray *skip_reasons;      /* char*, at most a few per recording */
} BxWindowSet;

typedef struct {
  double window_seconds;        /* e.g. 30 (ISRUC), 3 (FOG), 5 (eegmat) */
  double step_seconds;          /* = window_seconds for non-overlapping */
  double min_purity;            /* 0.8 */
  /* Per side: modality, recipe and explicit channel labels (NULL = detect by
   * modality, e.g. LaBraM's 6 channels F3, C3, O1, F4, C4, O2 when present,
   * else every EEG channel up to `max_channels`). */
  BxModality modality[2];
  BxPrepRecipe recipe[2];
  guint n_sides;
  guint max_channels[2];        /* 0 = the recipe's default */
  gboolean per_window_filter;   /* HUBERT_ECG: ISRUC (TRUE) vs WESAD (FALSE) */
  gboolean per_window_zscore;
  double rate[2];               /* COMPACT: output rate per side (Hz), default 100 (EEG/ECG; PPG models take 50) */
  /* Classes: a stage set for hypnograms (AASM, R&K, sleep/wake) or the
   * manifest's constant label names. */
  gboolean use_stage_set;
  int stage_set;                /* BxStageSet when use_stage_set */
} BxWindowParams;

/* Defaults: 30-s windows, step 30 s, purity 0.8, one side LABRAM_EEG (side 1
 * preset to ECG / HUBERT_ECG), ISRUC-style per-window filter and z-score, no
 * stage set (AASM when annotations are used). */
void bx_window_params_init (BxWindowParams *params);

/* Cuts windows from every manifest entry whose roles include `roles`. */
BxWindowSet *bx_windows_from_manifest (const BxManifest *manifest, guint roles, const BxWindowParams *params,
                                       BxJob *job, GError **error);
/* The same from one recording (labels from its annotations if any, else unknown). */
BxWindowSet *bx_windows_from_recording (BxRecording *recording, const BxWindowParams *params, BxJob *job,
                                        GError **error);
/* Researchers' path: prepared tensors as .npy (N, raw dims…) per side plus
 * optional labels (N,) int. `new_path` may be NULL (one side). float32 or
 * float64; N must agree (errors name the files and their shapes); labels
 * -1 .. 127, class names "0" .. "max". The files hold no modality, so the
 * side's recipe is guessed from the layout: 4 raw dims → NORMWEAR_EMG,
 * (C > 1, L) → LABRAM_EEG, (1, L) or (L) → PAPAGEI_PPG when L is a multiple
 * of 125 but not of 100, else HUBERT_ECG. Onsets are 0. */
BxWindowSet *bx_windows_from_npy (const char *old_path, const char *new_path, const char *labels_path,
                                  GError **error);
void bx_window_set_free (BxWindowSet *set);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxWindowSet, bx_window_set_free)

G_END_DECLS
