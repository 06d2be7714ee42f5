/* bx-edf-header.h — private: the parsed and validated EDF/BDF header.
 *
 * Layout (all fields printable ASCII, left-aligned, space-padded):
 *   main header, 256 bytes: version 8, patient 80, recording 80, start date 8
 *   (dd.mm.yy), start time 8 (hh.mm.ss), header bytes 8, reserved 44
 *   ("EDF+C"/"EDF+D"/"BDF+C"/"BDF+D"), number of data records 8, record
 *   duration 8 (s), number of signals 4;
 *   then per field, all signals' values one after the other: label 16,
 *   transducer 80, physical dimension 8, physical min 8, physical max 8,
 *   digital min 8, digital max 8, prefilter 80, samples per record 8,
 *   reserved 32.
 * Data records follow: for each signal, samples_per_record little-endian
 * two's-complement integers of 2 (EDF) or 3 (BDF) bytes.
 */
#pragma once

#include <glib.h>

#include "bx-recording.h"

G_BEGIN_DECLS

typedef struct
{
  char *label; /* trimmed, UTF-8 (Latin-1 bytes converted) */
  char *transducer;
  char *physical_dimension;
  char *prefilter;
  double physical_min, physical_max;
  int digital_min, digital_max;
  int samples_per_record;
  gboolean is_annotation;  /* "EDF Annotations"/"BDF Annotations" in an EDF+/BDF+ file */
  gint64 offset_in_record; /* bytes from the start of a data record */
} BxEdfSignal;

typedef struct
{
  char *name; /* file name used in messages (basename) */
  BxFileType file_type;
  gboolean is_bdf;  /* 3-byte samples */
  gboolean is_plus; /* EDF+/BDF+: has annotation signals */
  int sample_bytes; /* 2 or 3 */
  char *patient;    /* trimmed, UTF-8 */
  char *recording;
  int year, month, day, hour, minute, second;
  gint64 header_bytes;
  gint64 n_records;          /* data records actually used (after leniency) */
  gint64 n_records_declared; /* as written in the header (-1 = unknown) */
  double record_duration;    /* seconds */
  int n_signals;             /* including annotation signals */
  BxEdfSignal *signals;
  gint64 record_bytes;
  GPtrArray *warnings; /* char *: defects that were tolerated */
} BxEdfHeader;

/* Parses and validates the header of the file `path`, whose whole content
 * (`size` bytes, usually a mapping) is `bytes`. Errors are
 * BX_RECORDING_ERROR_FORMAT or _TRUNCATED and name the file, the field (and
 * signal, counted from 1) and the offending value. Tolerated defects (a
 * record count of -1, bytes after the last record, a digital range beyond
 * 16/24 bits, non-ASCII text) are listed in `warnings`. */
BxEdfHeader *bx_edf_header_parse (const char *path, const guint8 *bytes, gsize size, GError **error);
void bx_edf_header_free (BxEdfHeader *header);

/* The mutex around EDFlib's open and close (not thread-safe: they share a
 * global table of files), for the reader and the writer alike. */
GMutex *bx_edflib_mutex (void);

/* A sentence for one of EDFlib's negative error codes. */
const char *bx_edflib_error_string (int code);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxEdfHeader, bx_edf_header_free)

G_END_DECLS
