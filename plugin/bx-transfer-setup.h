/* bx-transfer-setup.h — what the user chose in the transfer assistant, as
 * plain data (no GTK), and how it becomes a bx-run pipeline.
 *
 * The open recording is always recordings[0]; it is the target whose
 * hypnogram the bridge predicts from the new modality alone, and by default
 * also the labelled (train) and paired (pair) data. Other recordings can be
 * added with their own roles. The technician's scoring of the open
 * recording (which may exist only in the viewer, unsaved) is written into
 * the session folder as a TSV label file, so the manifest never depends on
 * what is in the EDF file.
 *
 * Hyper-parameter defaults come from the spec's per-direction table (§1.7)
 * for the published models, and from the compact encoders' tuned values
 * (docs/METHOD.md) for the built-in ones.
 */
#pragma once

#include <glib.h>

#include "bridge/bx-manifest.h"
#include "bridge/bx-run.h"
#include "models/bx-model.h"
#include "recording/bx-hypnogram.h"
#include "recording/bx-recording.h"

G_BEGIN_DECLS

typedef struct
{
  char *path;   /* absolute */
  guint roles;  /* BxRole: BX_ROLE_TRAIN | BX_ROLE_PAIR */
  char *labels; /* manifest "labels" value: "annotations", "file:PATH", "none" */
} BxTransferRecording;

/* One side of the bridge: the old (labelled) or new (unlabelled) modality. */
typedef struct
{
  BxModality modality;
  char *channels;   /* comma-separated channel labels; NULL or "" = automatic */
  char *checkpoint; /* an imported checkpoint file, or NULL = the built-in encoder */
  BxModelFamily family; /* of `checkpoint` (validated on import); COMPACT when built in */
} BxTransferSide;

typedef struct
{
  GPtrArray *recordings; /* BxTransferRecording*; [0] is the open recording */
  BxTransferSide old_side, new_side;
  char *head_path;       /* imported task head (safetensors), or NULL = train from labels */
  BxStageSet stage_set;
  double window_seconds; /* 30: one prediction per scoring epoch */
  /* bridge training */
  int epochs, rank, prototypes, batch;
  double lr;
  gint64 seed;
  gboolean real_prototypes; /* randreal_P instead of rand_P */
  /* task head */
  int head_epochs;
  double head_lr;
  int threads; /* 0 = all cores */
} BxTransferSetup;

BxTransferSetup *bx_transfer_setup_new (void);
void bx_transfer_setup_free (BxTransferSetup *setup);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxTransferSetup, bx_transfer_setup_free)

/* Sets recordings[0] = `recording` (roles train + pair) and picks the old
 * and new modalities by modality detection: EEG → ECG when both are there,
 * else the two most confidently detected of EEG, ECG, PPG, EMG. FALSE (and
 * the sides untouched) when the recording lacks two of them. */
gboolean bx_transfer_setup_set_recording (BxTransferSetup *setup, BxRecording *recording);

/* Adds another recording (roles as given); FALSE if it is already listed. */
gboolean bx_transfer_setup_add_recording (BxTransferSetup *setup, const char *path, guint roles);

/* Resets the hyper-parameters to the defaults for the chosen models. */
void bx_transfer_setup_apply_defaults (BxTransferSetup *setup);

/* Checks an imported checkpoint before it is used: reads it with the
 * restricted reader and builds the model (nothing in it is executed).
 * Returns the family and a one-line description ("LaBraM-base: dim 200 …,
 * 5.8 M parameters"); the error names the file and what is wrong. */
gboolean bx_transfer_validate_checkpoint (const char *path, BxModelFamily *family, char **description,
                                          GError **error);

/* The model file of a side: its checkpoint, or the built-in encoder of its
 * modality (error when none is shipped for it). g_free. */
char *bx_transfer_side_model_path (const BxTransferSide *side, GError **error);

/* Writes the manifest (and the open recording's scoring as labels.tsv when
 * `scoring` has any scored epoch) into `session_dir`, and fills `opt` for
 * the bx-run stages. `opt` must be initialised (bx_run_options_init); the
 * caller clears it. */
gboolean bx_transfer_setup_to_options (const BxTransferSetup *setup, const BxHypnogram *scoring,
                                       const char *session_dir, BxRunOptions *opt, GError **error);

G_END_DECLS
