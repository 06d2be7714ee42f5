/* bx-run.h — the BioX-Bridge pipeline as stages over one shared state, for
 * the CLI (`probe`, `features`, `search`, `train`, `predict`, `evaluate`,
 * `run`) and any other front end.
 *
 *   head      train the old modality's linear probe (or import one)
 *   features  one cached pass of both frozen models over the paired windows
 *   search    probe CV macro-F1 per new layer and CKA per old layer → m, l
 *   train     the prototype bridge at (m, l) → bridge file
 *   predict   new modality only → labels + per-window confidence
 *   evaluate  metrics of predictions against labels
 *
 * Every stage reports to a BxJob and stops within one loop iteration of a
 * cancel; every file is written atomically. Stages record what they did in a
 * JSON summary (bx_run_summary_json) for `--json` and run summaries.
 *
 * Inputs are prepared tensors as .npy files, one array per modality and role
 * (the layout bx_model_prepare takes, e.g. LaBraM (N, channels, seconds·200)
 * µV, HuBERT-ECG (N, 1, seconds·100)) with int labels (N,).
 */
#pragma once

#include <gio/gio.h>
#include <stdio.h>

#include "bridge/bx-bridge-file.h"
#include "bridge/bx-metrics.h"
#include "bridge/bx-pair-features.h"
#include "bridge/bx-position-search.h"
#include "jobs/bx-job.h"
#include "recording/bx-hypnogram.h"

G_BEGIN_DECLS

#define BX_RUN_ERROR (bx_run_error_quark ())
GQuark bx_run_error_quark (void);

typedef enum
{
  BX_RUN_ERROR_USAGE, /* an option is missing or inconsistent */
  BX_RUN_ERROR_INPUT, /* an input file does not fit (shape, labels, model) */
} BxRunError;

/* Everything the stages read; strings are owned by the caller (the option parser). */
typedef struct
{
  int threads;
  gint64 seed;
  gboolean json, quiet;

  char *old_family, *old_checkpoint, *new_family, *new_checkpoint;

  /* Prepared tensors. The role-less ones apply to every role not given. */
  char *old_npy, *new_npy, *labels;
  char *train_old_npy, *train_labels; /* head training (old modality + labels) */
  char *pair_old_npy, *pair_new_npy;  /* paired, unlabelled */
  char *test_new_npy, *test_labels;   /* evaluation (new modality + labels) */
  char *train_new_npy;                /* oracle head training (new modality + train labels) */
  char *classes;                      /* "rest,task": class names, comma separated */
  double window_seconds;              /* recorded in the bridge file and label outputs */

  /* Recordings instead of tensors: a manifest (roles train/pair/test) cut
   * into windows of window_seconds (default 30) every step_seconds
   * (default = window) with each model's preprocessing recipe (spec §4). */
  char *manifest;
  double step_seconds;
  char *stage_set; /* "aasm" | "rk" | "sleep-wake" */

  /* head */
  char *head_in, *head_out;
  int head_epochs;
  double head_lr;

  /* features */
  char *cache_dir;
  gboolean no_cache;
  int batch_forward; /* windows per model forward */

  /* search / train */
  int input_layer, output_layer; /* -1 = from the search */
  int rank, prototypes, epochs, batch;
  double lr;
  char *prototype_init; /* "rand" (default) or "randreal" */
  char *init_bridge;
  char *output;

  /* predict / evaluate */
  char *bridge;
  gboolean allow_mismatch;
  gboolean oracle; /* also evaluate an oracle head trained with labels on the new modality */
} BxRunOptions;

void bx_run_options_init (BxRunOptions *opt);
/* Frees the strings (as set by GOptionContext). */
void bx_run_options_clear (BxRunOptions *opt);

typedef struct _BxRun BxRun;

BxRun *bx_run_new (const BxRunOptions *options, BxJob *job);
void bx_run_free (BxRun *run);
/* Reports of later stages go to `job` (a GUI runs each stage group as its own job). */
void bx_run_set_job (BxRun *run, BxJob *job);

/* Loads the checkpoints named in the options (SHA-256 as well). */
gboolean bx_run_load_models (BxRun *run, gboolean need_old, gboolean need_new, GError **error);

gboolean bx_run_head (BxRun *run, GError **error);
gboolean bx_run_features (BxRun *run, gboolean keep_targets, GError **error);
gboolean bx_run_search (BxRun *run, GError **error);
/* Trains the bridge; writes it to `path` when non-NULL. */
gboolean bx_run_train (BxRun *run, const char *path, GError **error);
/* Reads a bridge file and checks it against the loaded models. Loads the
 * models named in the file's metadata only through the options. */
gboolean bx_run_use_bridge (BxRun *run, const char *path, GError **error);
/* Predicts the new-modality windows of `input` (NULL: the test set; a .npy
 * of prepared windows or a recording, cut like the bridge's training data).
 * Labels written to `labels_out` (.tsv/.csv/.edf; NULL = none), one row per
 * window on the window grid, with its confidence. */
gboolean bx_run_predict (BxRun *run, const char *input, const char *labels_out, GError **error);
/* Metrics of the last prediction against the test labels. */
gboolean bx_run_evaluate (BxRun *run, GError **error);
/* The upper reference of the paper's tables: a linear head on the NEW
 * model's pooled last layer, trained with the train role's labels on the new
 * modality (which BioX-Bridge never sees), evaluated on the test windows.
 * Same head training as stage 1. Manifest mode, or --train-new-npy with
 * --train-labels and --test-new-npy with --test-labels. */
gboolean bx_run_oracle (BxRun *run, GError **error);
const BxMetrics *bx_run_get_oracle_metrics (const BxRun *run);

const BxPairFeatures *bx_run_get_features (const BxRun *run);
const BxPositionSearch *bx_run_get_search (const BxRun *run);
const BxMetrics *bx_run_get_metrics (const BxRun *run);
gboolean bx_run_get_cache_hit (const BxRun *run);

/* The positions the next bx_run_train uses (m, l; -1 before the search or a bridge). */
void bx_run_get_positions (const BxRun *run, int *input_layer, int *output_layer);
/* Overrides the searched positions before bx_run_train (a front end lets the
 * user pick other layers). Changing m recomputes the CKA column of the
 * search for the new m, as the reference would have. */
gboolean bx_run_set_positions (BxRun *run, int input_layer, int output_layer, GError **error);
/* The task's class names (after the head or a bridge), NULL-terminated; NULL before. */
const char *const *bx_run_get_class_names (const BxRun *run);
/* The last prediction on its window grid (epoch_length = the window step,
 * epoch k = the window starting at k·step s): class indices with their
 * confidence, BX_STAGE_UNKNOWN where no window could be cut (e.g. a gap).
 * NULL before bx_run_predict. Free with bx_hypnogram_free. */
BxHypnogram *bx_run_get_prediction (const BxRun *run);
/* The bridge trained or read last (NULL before). Owned by the run. */
const BxBridgeFile *bx_run_get_bridge (const BxRun *run);

/* The summary of every stage run so far, as a JSON object text. g_free. */
char *bx_run_summary_json (const BxRun *run);
/* Human-readable lines of the same (search table, metrics, confusion matrix). */
void bx_run_print_summary (const BxRun *run, FILE *out);

/* ---- front-end helpers ---- */

/* Option groups; `which` is a mask of the option sets a command accepts. */
typedef enum
{
  BX_RUN_OPTS_COMMON = 1 << 0, /* --threads --seed --json --quiet */
  BX_RUN_OPTS_MODELS = 1 << 1, /* --old-model ... --new-checkpoint */
  BX_RUN_OPTS_INPUTS
  = 1 << 2, /* --old-npy ... --test-labels --classes --window --manifest --step --stage-set */
  BX_RUN_OPTS_HEAD = 1 << 3,     /* --head --head-out --head-epochs --head-lr */
  BX_RUN_OPTS_FEATURES = 1 << 4, /* --cache-dir --no-cache --forward-batch */
  BX_RUN_OPTS_TRAIN = 1 << 5,    /* --input-layer ... --init-bridge */
  BX_RUN_OPTS_BRIDGE = 1 << 6,   /* --bridge --allow-checkpoint-mismatch */
  BX_RUN_OPTS_OUTPUT = 1 << 7,   /* -o */
} BxRunOptionSet;

void bx_run_add_options (GOptionContext *context, BxRunOptions *opt, guint which);

/* Runs `func` in a worker thread while the calling thread waits in a main
 * loop that turns SIGINT/SIGTERM into a cancel of `cancellable`. Returns
 * what `func` returned. */
typedef int (*BxRunWorkerFunc) (gpointer data);
int bx_run_in_worker (GCancellable *cancellable, BxRunWorkerFunc func, gpointer data);

/* A progress printer for stderr: "train  42%  loss 0.1234  ETA 12 s". */
void bx_run_print_progress (const BxJobProgress *progress, gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxRun, bx_run_free)

G_END_DECLS
