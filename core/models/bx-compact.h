/* bx-compact.h — the project's own compact biosignal encoders (issue 7), one
 * architecture for every modality, behind BxModel (family "compact"), plus
 * the whole-model training pass used by masked-patch pretraining.
 *
 * Architecture (per sample; C channels, S = N·P samples at `rate` Hz,
 * P = patch samples, D = dim, T = 1 + C·N tokens):
 *   prepared x (C, S): each channel z-scored over the window (bx_model_prepare)
 *   patches   (C·N, P)   channel-major: token 1 + c·N + n holds x[c, n·P … n·P+P−1]
 *   e = patches · W_pᵀ + b_p            (C·N, D)    patch_embed.weight (D, P), .bias (D)
 *   (pretraining only: masked rows of e are replaced by mask_token (D))
 *   tok[0] = cls_token (D); tok[1 + c·N + n] = e + channel_embed[c] + time_embed[n]
 *            channel_embed (max_channels, D), time_embed (max_patches, D)
 *   depth × pre-LN block (hook layer i = blocks[i], output (T, D)):
 *     x1 = x + proj(MHA(LN1(x)·W_qkvᵀ + b_qkv)),  y = x1 + fc2(GELU(fc1(LN2(x1))))
 *     heads H, head dim D/H, MLP 4·D, LayerNorm eps 1e-5, exact GELU
 *   pooled feature = mean over all T tokens (CLS included), like LaBraM.
 * Pretraining head: pred = h_L[1:] · W_decᵀ + b_dec (C·N, K), decoder.weight
 * (K, D); K = P for masked-sample reconstruction, K = bands for spectral
 * targets (BxCompactObjective).
 *
 * Checkpoints are safetensors whose __metadata__ holds "format" =
 * "bioxbridge-compact", "modality", "rate", "patch", "dim", "depth",
 * "heads" (tensor shapes give max_channels and max_patches).
 */
#pragma once

#include <glib.h>

#include "bx-model.h"

G_BEGIN_DECLS

typedef struct
{
  char modality[8]; /* "eeg", "ecg", "ppg", "emg" */
  int rate;         /* Hz of the prepared input */
  int patch;        /* samples per patch */
  int dim, depth, heads;
  int max_channels, max_patches;
} BxCompactConfig;

/* Project defaults per modality: EEG/ECG/EMG 100 Hz, PPG 50 Hz, 0.5-s
 * patches, dim 64, depth 4, heads 4, 32 channels, 64 patches (32 s). FALSE
 * if unknown. */
gboolean bx_compact_config_default (const char *modality, BxCompactConfig *cfg);

/* A compact model with deterministic random weights (trunc-normal 0.02 for
 * linear weights and embeddings, zero biases, unit LayerNorms). */
BxModel *bx_compact_model_new (const BxCompactConfig *cfg, guint64 seed, GError **error);
/* The configuration of a compact model (FALSE for other families). */
gboolean bx_compact_model_get_config (const BxModel *model, BxCompactConfig *cfg);

/* In place: each (sample, channel) row of `n` samples → (x − mean) / (std + 1e-6). */
void bx_compact_normalize (float *x, gsize rows, gsize n);

/* ---- whole-model training (weight gradients) ---- */

typedef struct _BxCompactTrainer BxCompactTrainer;

/* What the pretraining head predicts from the last block's patch tokens.
 *   SAMPLES: each masked patch's P samples z-scored over the patch; loss =
 *     MSE over masked patches (1.0 ≈ predicting zeros); decoder (P, D).
 *   SPECTRUM: for every patch (masked ones from their context, visible ones
 *     from themselves), the log power in `n_bands` log-spaced bands from
 *     0.5 Hz to Nyquist of a Hann periodogram over `target_seconds` of the
 *     channel centred on the patch (clipped to the window), each band
 *     standardised over the batch; loss = MSE over every patch and band
 *     (1.0 ≈ predicting the batch mean); decoder (n_bands, D). Frequency
 *     content is what sleep / mental-state labels depend on, so this trains
 *     the tokens (and their mean, the pooled feature) to carry it, like
 *     LaBraM's tokenizer predicting each patch's Fourier amplitude. */
typedef enum
{
  BX_COMPACT_OBJECTIVE_SAMPLES,
  BX_COMPACT_OBJECTIVE_SPECTRUM,
} BxCompactObjectiveKind;

typedef struct
{
  BxCompactObjectiveKind kind;
  double target_seconds; /* SPECTRUM: periodogram length, s (≥ 2 patches) */
  int n_bands;           /* SPECTRUM: 1 … 64 */
} BxCompactObjective;

/* Holds the gradients, the pretraining head (mask_token, decoder, own
 * deterministic init from `seed`) and AdamW moments for every parameter.
 * `model` must outlive the trainer; the trainer updates its weights.
 * bx_compact_trainer_new uses the SAMPLES objective. */
BxCompactTrainer *bx_compact_trainer_new (BxModel *model, guint64 seed);
/* NULL with an error when the objective does not fit the model (too many
 * bands for the frequency resolution of target_seconds at the model rate). */
BxCompactTrainer *bx_compact_trainer_new_objective (BxModel *model, guint64 seed,
                                                    const BxCompactObjective *obj, GError **error);
/* A one-line description of the objective (g_free), for file metadata. */
char *bx_compact_objective_describe (const BxCompactObjective *obj);
/* SPECTRUM targets (B·C·N, n_bands) of prepared windows (B, C, S) before the
 * per-band standardisation: log(mean periodogram power in the band + 1e-3),
 * where unit-variance white noise has power 1. FALSE with an error when
 * the objective does not fit (rate, patch, S). */
gboolean bx_compact_spectrum_targets (const BxCompactObjective *obj, int rate, int patch, int batch,
                                      int n_channels, int n_samples, const float *prepared, float *out,
                                      GError **error);
void bx_compact_trainer_free (BxCompactTrainer *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxCompactTrainer, bx_compact_trainer_free)

/* Encoder forward on prepared input (batch, C, S) keeping what backward
 * needs; mask (batch, C·N) or NULL: 1 = replace that patch by mask_token.
 * Returns the last block's output (batch, T, D), owned by the trainer. */
const float *bx_compact_trainer_forward (BxCompactTrainer *t, int batch, int n_channels, int n_samples,
                                         const float *prepared, const guint8 *mask, GError **error);
/* Accumulates every encoder parameter's gradient (and mask_token's) from
 * d_last (batch, T, D) of the preceding forward. */
void bx_compact_trainer_backward (BxCompactTrainer *t, const float *d_last);
void bx_compact_trainer_zero_grad (BxCompactTrainer *t);
/* Gradient of a parameter by name (model keys, "mask_token", "decoder.weight"…), NULL if unknown. */
const float *bx_compact_trainer_grad (const BxCompactTrainer *t, const char *name, gsize *numel);

/* One pretraining step: draws a mask of round(ratio · C·N) patches per
 * sample from the trainer's RNG (at least 1 when ratio > 0; SPECTRUM allows
 * ratio 0), forward, the objective's loss, backward and (when `update`) one
 * AdamW step. Returns the loss (see BxCompactObjective). */
float bx_compact_pretrain_step (BxCompactTrainer *t, int batch, int n_channels, int n_samples,
                                const float *prepared, double mask_ratio, float lr, float weight_decay,
                                gboolean update, GError **error);
/* Same loss without gradients or RNG draws from the trainer (own RNG from `seed`). */
float bx_compact_pretrain_eval (BxCompactTrainer *t, int batch, int n_channels, int n_samples,
                                const float *prepared, double mask_ratio, guint64 seed, GError **error);
gint64 bx_compact_trainer_get_step (const BxCompactTrainer *t);

/* ---- files (bx-compact-io.c) ---- */

/* Writes the encoder (and, with `with_state`, the pretraining head, AdamW
 * moments, step and RNG state for resuming) as safetensors, atomically.
 * extra_metadata: NULL or NULL-terminated key, value, key, value… */
gboolean bx_compact_save (BxModel *model, BxCompactTrainer *t, gboolean with_state, const char *path,
                          const char *const *extra_metadata, GError **error);
/* Restores the head, moments, step and RNG saved with_state into `t` (whose
 * model was loaded from the same file). */
gboolean bx_compact_trainer_resume (BxCompactTrainer *t, const char *path, GError **error);
/* A metadata value of a safetensors file (g_free), NULL if absent. */
char *bx_compact_file_metadata (const char *path, const char *key, GError **error);

/* ---- training data (bx-compact-data.c) ---- */

/* One recording's channels of a modality at the model rate: x (n_channels, n). */
typedef struct
{
  char *source; /* file path or "synthetic night seed S" */
  int n_channels;
  gsize n;
  float *x;
} BxCompactSignal;

void bx_compact_signal_free (BxCompactSignal *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxCompactSignal, bx_compact_signal_free)

/* Channels of `modality` in an EDF/BDF file (labels NULL: every channel
 * detected as that modality; else exactly those labels, in that order), or
 * the matching columns of a CSV (ECG: "ECG"/"II", PPG: "PPG"/"PLETH"; rate
 * from a "Time" column or "<N>hz" in the name), resampled to `rate`. NULL
 * with an error naming the file when nothing matches. */
BxCompactSignal *bx_compact_signal_read (const char *path, const char *modality, int rate,
                                         const char *const *labels, GError **error);
/* Appends the signals of every file under `path` (a file, a directory
 * searched recursively for .edf/.bdf/.csv, or a text manifest of paths, one
 * a line) whose base name matches none of the `exclude` globs. Files without
 * that modality are skipped (with a line in `log` when non-NULL). */
gboolean bx_compact_collect (const char *path, const char *modality, int rate, const char *const *exclude,
                             GPtrArray *signals, GString *log, GError **error);
/* A synthetic night (bx-sim-night.h) of `hours`, its channels of `modality` at `rate`. */
BxCompactSignal *bx_compact_signal_synthetic (const char *modality, int rate, double hours, guint64 seed,
                                              GError **error);
/* `batch` random windows (n_channels, n_samples) from the signals (picked
 * in proportion to their length; channels drawn from the window's
 * recording, with repetition when it has fewer), z-scored per channel. */
void bx_compact_sample_windows (GPtrArray *signals, GRand *rand, int batch, int n_channels, int n_samples,
                                float *out);

G_END_DECLS
