/* bx-document.h — an open recording with everything the user adds to it.
 *
 * Holds the BxRecording, the technician's scoring on the 30 s epoch grid with
 * undo/redo, the annotations (the file's plus any added), and the overlay
 * label tracks. Every scoring change is autosaved (debounced, atomically) to
 * $XDG_DATA_HOME/bioxbridge/autosave/<hash>-<name>.tsv, and restored from
 * there when the same file is opened again, so no scoring is ever lost.
 * No widgets here: the page and the plugins share this model.
 */
#pragma once

#include <gio/gio.h>

#include "bx-overlay-track.h"
#include "recording/bx-annotation.h"
#include "recording/bx-hypnogram.h"
#include "recording/bx-recording.h"

G_BEGIN_DECLS

#define BX_DOCUMENT_EPOCH_LENGTH 30.0

#define BX_TYPE_DOCUMENT (bx_document_get_type ())
G_DECLARE_FINAL_TYPE (BxDocument, bx_document, BX, DOCUMENT, GObject)

/* Takes a reference on `recording`. Restores the autosaved scoring if there
 * is one, else takes the stages from the recording's annotations. */
BxDocument *bx_document_new (BxRecording *recording);

BxRecording *bx_document_get_recording (BxDocument *self);
/* Display name: the file's base name. */
const char *bx_document_get_title (BxDocument *self);
/* Seconds covered: the data, or the annotations of an annotation-only file. */
double bx_document_get_duration (BxDocument *self);
guint bx_document_get_n_epochs (BxDocument *self);

const BxHypnogram *bx_document_get_scoring (BxDocument *self);
int bx_document_get_stage (BxDocument *self, guint epoch);
/* Sets one epoch's stage (BX_STAGE_UNKNOWN clears it) as one undoable step. */
void bx_document_set_stage (BxDocument *self, guint epoch, int stage);
gboolean bx_document_can_undo (BxDocument *self);
gboolean bx_document_can_redo (BxDocument *self);
/* Return the epoch that changed, or -1 if there was nothing to undo/redo. */
int bx_document_undo (BxDocument *self);
int bx_document_redo (BxDocument *self);
/* TRUE after changes not yet saved with bx_document_save_scoring(). */
gboolean bx_document_get_modified (BxDocument *self);
/* TRUE if the scoring came from an autosave rather than from the file. */
gboolean bx_document_get_restored (BxDocument *self);

/* Saves the scoring; the format comes from the extension (.edf → EDF+
 * annotation file, .csv, .tsv). */
gboolean bx_document_save_scoring (BxDocument *self, const char *path, GError **error);
/* Writes the autosave file now (normally 1 s after the last change). */
gboolean bx_document_autosave_now (BxDocument *self, GError **error);
char *bx_document_get_autosave_path (BxDocument *self);
void bx_document_set_autosave_enabled (BxDocument *self, gboolean enabled);

/* Annotations: the recording's, then any added. A GListModel of BxAnnotationObject too. */
const BxAnnotationList *bx_document_get_annotations (BxDocument *self);
GListModel *bx_document_get_annotation_model (BxDocument *self);
void bx_document_add_annotation (BxDocument *self, double onset, double duration, const char *text);

/* Overlay tracks: a GListModel of BxOverlayTrack. */
GListModel *bx_document_get_tracks (BxDocument *self);
void bx_document_add_track (BxDocument *self, BxOverlayTrack *track);
void bx_document_remove_track (BxDocument *self, BxOverlayTrack *track);
/* Reads a label file (EDF+, CSV, TSV, DREAMS) as a new track. */
BxOverlayTrack *bx_document_load_track (BxDocument *self, const char *path, GError **error);

/* First epoch after `from` whose label in `track` has a confidence below
 * `threshold`, wrapping around; -1 if none. */
int bx_document_next_low_confidence (BxDocument *self, BxOverlayTrack *track, int from, double threshold);
/* Agreement of `track` with the scoring over epochs where both have a stage:
 * fraction of equal epochs and Cohen's kappa; returns the number compared. */
guint bx_document_agreement (BxDocument *self, BxOverlayTrack *track, double *out_accuracy, double *out_kappa);

/* Signals: "scoring-changed" (int epoch, -1 = all), "annotations-changed". */

G_END_DECLS
