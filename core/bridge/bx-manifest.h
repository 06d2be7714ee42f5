/* bx-manifest.h — which recordings a BioX-Bridge run uses, and how.
 *
 * A manifest is a tab-separated file with a header row. Columns (any order;
 * `path` and `role` are required, unknown columns are an error so typos are
 * not silently ignored; lines starting with '#' are comments):
 *
 *   path      recording file, relative to the manifest's folder or absolute
 *   subject   subject id (splits are by subject); default: the file name
 *   role      train  — labelled old-modality data for the task head
 *             pair   — paired old+new recordings, labels unused (search, bridge training)
 *             test   — evaluation (only the new modality is used for prediction)
 *             (several roles may be given separated by ',')
 *   labels    annotations      stage/label annotations inside the recording
 *             file:PATH        a label file (EDF+ annotations, CSV, TSV, DREAMS text)
 *             label:NAME       one label for the whole recording (e.g. label:rest)
 *             none or empty    unlabelled
 *   channels  auto             pick channels by modality detection
 *             EEG=Fp1,F3;ECG=ECG ECG   explicit labels per modality
 *
 * Example (eegmat, rest vs mental arithmetic):
 *   path                 subject  role        labels      channels
 *   Subject00_1.edf      S00      train,pair  label:rest  auto
 *   Subject00_2.edf      S00      train,pair  label:task  auto
 */
#pragma once

#include <glib.h>

#include "recording/bx-modality.h"

G_BEGIN_DECLS

#define BX_MANIFEST_ERROR (bx_manifest_error_quark ())
GQuark bx_manifest_error_quark (void);

typedef enum {
  BX_MANIFEST_ERROR_IO,
  BX_MANIFEST_ERROR_PARSE,   /* message: "<file>: line N, column 'x': ..." */
} BxManifestError;

typedef enum {
  BX_ROLE_TRAIN = 1 << 0,
  BX_ROLE_PAIR = 1 << 1,
  BX_ROLE_TEST = 1 << 2,
} BxRole;

typedef enum {
  BX_LABEL_SOURCE_NONE,
  BX_LABEL_SOURCE_ANNOTATIONS,
  BX_LABEL_SOURCE_FILE,
  BX_LABEL_SOURCE_CONSTANT,
} BxLabelSource;

typedef struct {
  char *path;                 /* absolute */
  char *subject;
  guint roles;                /* BxRole flags */
  BxLabelSource label_source;
  char *label_value;          /* FILE: absolute path; CONSTANT: the label name */
  /* Explicit channel labels per modality; NULL entries = automatic. */
  GStrv channels[BX_N_MODALITIES];
  guint line;                 /* line number in the manifest, for messages */
} BxManifestEntry;

typedef struct {
  char *path;
  GPtrArray *entries;         /* BxManifestEntry* */
} BxManifest;

BxManifest *bx_manifest_load (const char *path, GError **error);
void bx_manifest_free (BxManifest *manifest);
/* Entries having every role in `roles`, in manifest order (borrowed pointers). */
GPtrArray *bx_manifest_select (const BxManifest *manifest, guint roles);
/* Distinct constant label names in order of first appearance: the class list
 * of a "one label per recording" task. */
GStrv bx_manifest_constant_labels (const BxManifest *manifest);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxManifest, bx_manifest_free)

G_END_DECLS
