/* bx-edf-writer.h — writing EDF+/BDF+ recordings (signals + annotations).
 *
 * Writes go to "<path>.part" in the same folder, then rename onto `path`, so a
 * failed or cancelled write never leaves a half-written file under the name.
 *
 * Signals are written through EDFlib; the physical range is rounded outward
 * to a value whose 8-character header text is exact, and samples are
 * quantised against it, so reading back gives every sample within half a
 * digital step ((max - min) / (65535 or 16777215) / 2). Samples outside a
 * range given by the caller are clipped to it.
 *
 * Annotations: onsets in seconds from the start, >= 0, stored with 100 us
 * resolution; EDFlib keeps at most 40 bytes of text per annotation (longer
 * texts are cut at a UTF-8 character boundary). A file with signals holds at
 * most 64 annotations per data record.
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
  BxFileType file_type;            /* BX_FILE_EDFPLUS_C or BX_FILE_BDFPLUS_C (EDF/BDF mean the
                                    * same; the discontinuous types are refused) */
  GDateTime *start;                /* NULL = 2000-01-01 00:00:00; sub-second part is kept */
  const char *patient_code;        /* may be NULL: "X" */
  const char *patient_name;
  const char *recording_additional;
  const char *equipment;
  const char *technician;
  double record_duration;          /* seconds, a multiple of 10 us in 0.001..60; 0 = 1 s */
} BxWriteHeader;

/* Writes a recording with `n_channels` signals and the annotations (may be
 * NULL) as an EDF+/BDF+ file. An annotation-only file (n_channels = 0) is
 * allowed and written as Sleep-EDF hypnograms are: one data record of
 * duration 0 holding all annotations (no length limit on their text).
 * Errors (BX_RECORDING_ERROR) name the file and the channel or annotation. */
gboolean bx_edf_write (const char *path, const BxWriteHeader *header, const BxWriteChannel *channels,
                       guint n_channels, const BxAnnotationList *annotations, GError **error);

G_END_DECLS
