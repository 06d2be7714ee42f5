/* bx-recording.h — a biosignal recording opened from EDF/EDF+/BDF/BDF+.
 *
 * The header is validated field by field and the data records are decoded
 * from a read-only mapping of the file (EDFlib 1.23 cannot read EDF+D files
 * nor files with common defects such as DREAMS' digital ranges); EDFlib also
 * opens every file as a second check, and bx_recording_read_edflib() reads
 * through it. EDFlib's open and close are not thread-safe, so they are
 * serialised by one global mutex; each BxRecording has its own EDFlib handle
 * (opened on first use) and its own lock around seek+read. bx_recording_read()
 * needs no lock at all, so reads from several threads (the viewer's pyramid
 * builder, the GUI, a bridge job) are safe.
 *
 * Samples are returned as float32 in the channel's physical unit as written in
 * the file (µV, mV, ...); bx_unit_scale() converts between voltage units.
 */
#pragma once

#include <glib.h>

#include "bx-annotation.h"
#include "bx-modality.h"

G_BEGIN_DECLS

#define BX_RECORDING_ERROR (bx_recording_error_quark ())
GQuark bx_recording_error_quark (void);

typedef enum {
  BX_RECORDING_ERROR_NOT_FOUND,     /* cannot open the file at all */
  BX_RECORDING_ERROR_FORMAT,        /* not EDF/BDF, or a header field is invalid */
  BX_RECORDING_ERROR_TRUNCATED,     /* file shorter than its header says */
  BX_RECORDING_ERROR_CHANNEL,       /* bad channel index or label */
  BX_RECORDING_ERROR_RANGE,         /* sample range outside the channel */
  BX_RECORDING_ERROR_IO,            /* read or write failed */
} BxRecordingError;

typedef enum {
  BX_FILE_EDF,       /* plain EDF (1985) */
  BX_FILE_EDFPLUS_C, /* EDF+ continuous */
  BX_FILE_EDFPLUS_D, /* EDF+ discontinuous */
  BX_FILE_BDF,
  BX_FILE_BDFPLUS_C,
  BX_FILE_BDFPLUS_D,
} BxFileType;

typedef struct {
  char *label;               /* trimmed, UTF-8 */
  char *transducer;
  char *physical_dimension;  /* unit as in the file: "uV", "mV", "UV", "%" ... */
  char *prefilter;
  double sample_rate;        /* Hz */
  gint64 n_samples;          /* samples in the whole file */
  int samples_per_record;
  double physical_min, physical_max;
  int digital_min, digital_max;
  BxModality modality;       /* from bx_modality_detect() */
  double modality_confidence;
} BxChannel;

/* A stretch of contiguous data in an EDF+D/BDF+D file: data records
 * [first_record, first_record + n_records) start at `onset` seconds. A
 * continuous file has exactly one segment with onset 0. */
typedef struct {
  double onset;
  gint64 first_record;
  gint64 n_records;
} BxSegment;

typedef struct _BxRecording BxRecording;

/* Opens `path` read-only. All header fields are validated; on failure the
 * GError names the file, the field and the offending value. */
BxRecording *bx_recording_open (const char *path, GError **error);
BxRecording *bx_recording_ref (BxRecording *recording);
void bx_recording_unref (BxRecording *recording);

const char *bx_recording_get_path (const BxRecording *recording);
BxFileType bx_recording_get_file_type (const BxRecording *recording);
/* Start of recording (UTC-less wall clock stored as UTC); sub-second part
 * included (microsecond resolution): EDF+ keeps it in the first data record's
 * time-keeping annotation. Owned by the recording. */
GDateTime *bx_recording_get_start (const BxRecording *recording);
double bx_recording_get_duration (const BxRecording *recording);  /* seconds of data */
double bx_recording_get_record_duration (const BxRecording *recording);
gint64 bx_recording_get_n_records (const BxRecording *recording);
const char *bx_recording_get_patient (const BxRecording *recording);
const char *bx_recording_get_recording_info (const BxRecording *recording);
const char *bx_recording_get_equipment (const BxRecording *recording);  /* EDF+ only, else "" */

guint bx_recording_get_n_channels (const BxRecording *recording);  /* signal channels only */
const BxChannel *bx_recording_get_channel (const BxRecording *recording, guint index);
/* Index of the channel whose label equals `label` (case-insensitive, trimmed), or -1. */
int bx_recording_find_channel (const BxRecording *recording, const char *label);

/* All annotations of the file (EDF+ TALs, UTF-8), sorted by onset (seconds
 * from bx_recording_get_start(), so a sub-second start is already taken
 * off). Time-keeping TALs are not included. Empty for plain EDF/BDF. An
 * annotation without duration has duration -1. */
const BxAnnotationList *bx_recording_get_annotations (const BxRecording *recording);

/* Defects of the file that were tolerated rather than refused (a record
 * count of -1, bytes after the last record, a digital range wider than the
 * sample size, Latin-1 header text, EDFlib refusing a file we can read...),
 * one message each naming the file and the field. NULL-terminated; empty
 * for a clean file. */
const char *const *bx_recording_get_warnings (const BxRecording *recording);
/* Why EDFlib refused the file (it cannot read EDF+D, for one), or NULL. */
const char *bx_recording_get_edflib_error (const BxRecording *recording);

/* Contiguous stretches (one for continuous files). Segment onsets are in
 * seconds from the start (bx_recording_get_start()), so gaps show as
 * onset[i+1] > onset[i] + n_records[i] * record_duration. */
guint bx_recording_get_n_segments (const BxRecording *recording);
const BxSegment *bx_recording_get_segment (const BxRecording *recording, guint index);

/* Reads samples [first, first + n) of channel `channel` as float32 physical
 * values into `out` (n floats). Thread-safe. Fails with RANGE if the range
 * leaves the channel. Digital values outside the header's digital range are
 * clipped to it first, as EDFlib does. About 150-200 Msamples/s for whole
 * channels (tests/bench/decode). */
gboolean bx_recording_read (BxRecording *recording, guint channel, gint64 first, gint64 n, float *out,
                            GError **error);
/* The same samples read through EDFlib (edfseek + edfread_physical_samples
 * under the recording's lock; the EDFlib handle is opened on first use).
 * Slower than bx_recording_read(), which decodes the data records itself;
 * kept as an independent reference for tests and the benchmark. Fails with
 * IO for files EDFlib does not read (EDF+D, see
 * bx_recording_get_edflib_error()), and while the same file is open in
 * EDFlib elsewhere in the process (EDFlib opens a path only once). */
gboolean bx_recording_read_edflib (BxRecording *recording, guint channel, gint64 first, gint64 n, float *out,
                                   GError **error);
/* Convenience: the samples between `start_s` and `start_s + length_s` seconds
 * of data (sample index / rate; in an EDF+D file gaps are not counted),
 * clamped to the channel; returns a new array (g_free) and its length. */
float *bx_recording_read_seconds (BxRecording *recording, guint channel, double start_s, double length_s,
                                  gint64 *out_n, GError **error);

/* Like bx_recording_read(), converted to the voltage unit `unit` ("uV",
 * "mV", "V"...: eegmat writes ECG in mV, DREAMS EEG in "UV"). Fails with
 * CHANNEL when the channel's unit is not a voltage. */
gboolean bx_recording_read_in_unit (BxRecording *recording, guint channel, gint64 first, gint64 n, const char *unit,
                                    float *out, GError **error);

/* Time of sample `sample` of `channel` in seconds from the start, gaps of an
 * EDF+D file included (segment onset + offset within the segment). */
double bx_recording_get_sample_time (const BxRecording *recording, guint channel, gint64 sample);

/* Factor that converts values in `from_unit` to `to_unit` for voltages
 * ("V","mV","uV","µV","nV", case-insensitive: DREAMS writes "UV"/"MV").
 * Returns FALSE if either is not a voltage unit. */
gboolean bx_unit_scale (const char *from_unit, const char *to_unit, double *factor);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxRecording, bx_recording_unref)

G_END_DECLS
