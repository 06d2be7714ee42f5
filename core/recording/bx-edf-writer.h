/* bx-edf-writer.h — writing EDF+/BDF+ recordings (signals + annotations).
 *
 * Writes go to "<path>.part" in the same folder, then rename onto `path`, so a
 * failed or cancelled write never leaves a half-written file under the name.
 */
#pragma once

#include <glib.h>

#include "bx-annotation.h"
#include "bx-recording.h"

G_BEGIN_DECLS

typedef struct {
  const char *label;               /* at most 16 characters */
  const char *transducer;          /* may be NULL */
  const char *physical_dimension;  /* e.g. "uV" */
  const char *prefilter;           /* may be NULL */
  double sample_rate;              /* Hz; sample_rate × record_duration must be an integer */
  /* Physical range mapped onto the full digital range (16-bit EDF, 24-bit
   * BDF). If both are 0 the range is taken from the data (with a margin). */
  double physical_min, physical_max;
  const float *samples;            /* n_samples values in the physical unit */
  gint64 n_samples;                /* padded with the last value to whole records */
} BxWriteChannel;

typedef struct {
  BxFileType file_type;            /* BX_FILE_EDFPLUS_C or BX_FILE_BDFPLUS_C */
  GDateTime *start;                /* NULL = 2000-01-01 00:00:00; sub-second part is kept */
  const char *patient_code;        /* may be NULL: "X" */
  const char *patient_name;
  const char *recording_additional;
  const char *equipment;
  const char *technician;
  double record_duration;          /* seconds; 0 = 1 s */
} BxWriteHeader;

/* Writes a recording with `n_channels` signals and the annotations (may be
 * NULL) as an EDF+/BDF+ file. An annotation-only file (n_channels = 0) is
 * allowed, as Sleep-EDF hypnograms are. */
gboolean bx_edf_write (const char *path, const BxWriteHeader *header, const BxWriteChannel *channels,
                       guint n_channels, const BxAnnotationList *annotations, GError **error);

G_END_DECLS
