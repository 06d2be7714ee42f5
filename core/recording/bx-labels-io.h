/* bx-labels-io.h — label files in and out: hypnograms, scorings, predictions.
 *
 * Reading is two steps, so that every consumer (CLI `info`, the bridge
 * pipeline's label sources, the viewer's scoring) shares one parser:
 *
 *   1. a file is read into a BxLabelTrack: the labelled intervals exactly as the
 *      file states them (onset, duration, text, optional confidence) plus the
 *      source line of each, so later errors can still name file and line;
 *   2. the track is put on an epoch grid as a BxHypnogram through a BxLabelMap,
 *      which says what the texts mean: sleep stage codes, the classes of a stage
 *      set (AASM, R&K, sleep/wake), or arbitrary class names (rest/task ...).
 *
 * Formats (BxLabelFormat, detected from the extension and the content unless
 * given):
 *   EDF     EDF+/BDF+ annotations, also annotation-only files such as Sleep-EDF
 *           "*-Hypnogram.edf"; annotations whose text the map does not know
 *           (lights off, arousals ...) are ignored.
 *   DREAMS  an optional "[Hypnogram]" line, then one R&K code per line for
 *           consecutive epochs of 5 s: 5=W 4=REM 3=S1 2=S2 1=S3 0=S4, any other
 *           integer = unscored.
 *   CSV     RFC 4180: a header row, then rows; columns onset and duration
 *           (seconds) and a label column (see BxLabelReadOptions), optional
 *           confidence (0..1). Fields may be quoted ("a ""b"", c").
 *   TSV     BIDS events.tsv style: tab-separated, same columns, no quoting,
 *           "n/a" for a missing duration or confidence.
 * Text formats accept a UTF-8 BOM, CRLF line ends, blank lines and comment
 * lines starting with '#'. In text formats every label must be known to the
 * map: "hyp.csv: line 14: unknown stage 'N5'". Durations must not be negative;
 * a zero or "n/a" duration means "one epoch".
 *
 * The texts "?" and "n/a" are "unscored" (BX_STAGE_UNKNOWN) in every map.
 *
 * Writing (CSV, TSV, EDF+): one row per epoch, or one per run of equal labels;
 * all writes go to a temporary name in the same folder and are renamed onto
 * the target, so a failed write never leaves a partial file.
 */
#pragma once

#include <glib.h>

#include "bx-annotation.h"
#include "bx-hypnogram.h"

G_BEGIN_DECLS

/* ---- Stage annotations <-> hypnogram ---- */

/* Builds a hypnogram on a grid of `epoch_length` seconds from time 0 covering
 * `total_duration` seconds (a partial last epoch is dropped; if
 * `total_duration` <= 0 the grid ends with the last stage annotation) from
 * stage annotations: EDF+ "Sleep stage W/1/2/3/4/R/?", "Movement time", AASM
 * "N1"/"N2"/"N3"/"REM"/"W"/"Wake" ... (see bx_stage_from_string). Annotations
 * whose text is not a stage are ignored; an annotation longer than one epoch
 * fills every epoch it covers; one with duration <= 0 counts as one epoch
 * long. Each epoch takes the stage covering most of it; epochs covered less
 * than half, or split evenly between two stages, stay unknown.
 * Returns NULL (no error) if there is no stage annotation at all. */
BxHypnogram *bx_hypnogram_from_annotations (const BxAnnotationList *annotations, double epoch_length,
                                            double total_duration);

/* One annotation per run of equal stages (unscored runs included), texts
 * "Sleep stage W" ... (Sleep-EDF / EDFbrowser convention,
 * bx_stage_to_annotation_text). */
BxAnnotationList *bx_hypnogram_to_annotations (const BxHypnogram *hypnogram);

/* ---- Label maps: what label texts mean ---- */

typedef enum {
  BX_LABEL_MAP_STAGES,     /* values are BxStage codes (nothing merged) */
  BX_LABEL_MAP_STAGE_SET,  /* values are class indices of a BxStageSet */
  BX_LABEL_MAP_CLASSES,    /* values are indices into a list of class names */
} BxLabelMapKind;

typedef struct _BxLabelMap BxLabelMap;

/* Texts parsed with bx_stage_from_string; values are stage codes. */
BxLabelMap *bx_label_map_new_stages (void);
/* Stage texts mapped into `set` (e.g. "Sleep stage 4" -> AASM class 3 "N3");
 * the set's class names ("W", "N1", "Sleep" ...) are accepted too. MT maps to
 * unknown. */
BxLabelMap *bx_label_map_new_stage_set (BxStageSet set);
/* Arbitrary classes for non-sleep tasks, e.g. {"rest", "task"}: the value of a
 * text is the index of the class name it equals (case-insensitive). At most
 * 127 classes. */
BxLabelMap *bx_label_map_new_classes (const char *const *class_names, guint n_classes);
/* Adds another text for a value (e.g. "mental arithmetic" -> task), checked
 * before the class names and stage texts. `value` may be BX_STAGE_UNKNOWN. */
void bx_label_map_add_alias (BxLabelMap *map, const char *text, int value);
void bx_label_map_free (BxLabelMap *map);

BxLabelMapKind bx_label_map_get_kind (const BxLabelMap *map);
/* The stage set of a BX_LABEL_MAP_STAGE_SET map. */
BxStageSet bx_label_map_get_stage_set (const BxLabelMap *map);
/* Number of values 0..n-1 (7 stage codes for a stages map). */
guint bx_label_map_get_n_values (const BxLabelMap *map);
/* Name written to CSV/TSV for a value: stage short name ("W", "N1", ...,
 * "R", "MT"), class name, or "?" for unknown/out of range. */
const char *bx_label_map_get_name (const BxLabelMap *map, int value);
/* Text written to EDF+ for a value: stages and stage-set classes that stand for
 * a stage use the Sleep-EDF texts ("Sleep stage 3"), others their name. */
const char *bx_label_map_get_annotation_text (const BxLabelMap *map, int value);
/* Value of a label text; FALSE if the map does not know it. */
gboolean bx_label_map_lookup (const BxLabelMap *map, const char *text, int *out_value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxLabelMap, bx_label_map_free)

/* ---- Label tracks: a label file as read ---- */

typedef enum {
  BX_LABEL_FORMAT_AUTO,
  BX_LABEL_FORMAT_EDF,
  BX_LABEL_FORMAT_DREAMS,
  BX_LABEL_FORMAT_CSV,
  BX_LABEL_FORMAT_TSV,
} BxLabelFormat;

/* "auto", "edf" (also "edf+", "bdf"), "dreams", "csv", "tsv", case-insensitive. */
gboolean bx_label_format_from_string (const char *text, BxLabelFormat *out_format);
const char *bx_label_format_to_string (BxLabelFormat format);
/* Format from the file name's extension (.edf/.bdf/.rec, .csv, .tsv), else from
 * the first bytes of the content (`head`, may be NULL): an EDF/BDF header, a
 * "[Hypnogram]" line or bare integers (DREAMS), tabs (TSV), commas (CSV).
 * BX_LABEL_FORMAT_AUTO if nothing fits. */
BxLabelFormat bx_label_format_guess (const char *path, const char *head, gsize head_len);

typedef struct {
  double onset;       /* seconds from the start of the file's recording */
  double duration;    /* seconds; 0 = unknown (one epoch when put on a grid) */
  char *label;        /* UTF-8, trimmed */
  float confidence;   /* 0..1, or NAN when the file has none */
  guint line;         /* 1-based source line (text formats); 0 for EDF+ */
} BxLabelEvent;

typedef struct _BxLabelTrack BxLabelTrack;

/* An empty track; `source` names it in messages (a file name, "annotations"). */
BxLabelTrack *bx_label_track_new (const char *source, BxLabelFormat format);
void bx_label_track_free (BxLabelTrack *track);
void bx_label_track_add (BxLabelTrack *track, double onset, double duration, const char *label, float confidence,
                         guint line);
guint bx_label_track_get_length (const BxLabelTrack *track);
const BxLabelEvent *bx_label_track_get (const BxLabelTrack *track, guint index);
const char *bx_label_track_get_source (const BxLabelTrack *track);
BxLabelFormat bx_label_track_get_format (const BxLabelTrack *track);
/* Start date-time of the EDF+ file the track came from (NULL for text formats):
 * onsets are relative to it. */
GDateTime *bx_label_track_get_start (const BxLabelTrack *track);
/* Adds `offset` seconds to every onset, e.g. to align a hypnogram file whose
 * start differs from its recording's. */
void bx_label_track_shift (BxLabelTrack *track, double offset);
/* Makes the onsets relative to `recording_start` (the start of the recording
 * the labels belong to) when the track came from an EDF+ file with its own
 * start, e.g. a hypnogram file that begins a minute after its PSG. Returns the
 * offset added (seconds, microsecond resolution); 0 for text formats. */
double bx_label_track_align (BxLabelTrack *track, GDateTime *recording_start);
/* TRUE if any event has a confidence. */
gboolean bx_label_track_has_confidence (const BxLabelTrack *track);

/* Annotations of a recording as a track (format EDF, source `source`). */
BxLabelTrack *bx_label_track_new_from_annotations (const BxAnnotationList *annotations, const char *source);

typedef struct {
  BxLabelFormat format;        /* BX_LABEL_FORMAT_AUTO = guess */
  /* CSV/TSV: name of the label column; NULL = the first present of "stage",
   * "sleep_stage", "label", "trial_type", "description", "annotation", "value".
   * Column names match case-insensitively with blanks and '-' read as '_'. */
  const char *label_column;
  double dreams_epoch_length;  /* DREAMS: seconds per line; 0 = 5 */
} BxLabelReadOptions;

/* Reads a label file (options may be NULL: auto-detect). Errors name the file,
 * the line and the value. EDF+ files are opened with bx_recording_open(). */
BxLabelTrack *bx_label_track_read (const char *path, const BxLabelReadOptions *options, GError **error);
/* Parses a text-format label file already in memory (`name` is used in
 * messages; format AUTO guesses from name and content; EDF is not accepted). */
BxLabelTrack *bx_label_track_parse (const char *name, const char *data, gsize length,
                                    const BxLabelReadOptions *options, GError **error);

/* Puts a track on an epoch grid from time 0 (`map` NULL = stage codes).
 * `epoch_length` <= 0 infers it: the greatest common divisor of the onsets
 * and durations (1 ms resolution), e.g. 30 for Sleep-EDF, 5 for DREAMS; it must
 * come out at least 0.1 s. `total_duration` as in
 * bx_hypnogram_from_annotations. Epochs take the value covering most of them
 * (ties and epochs covered less than half stay unknown); confidence is the
 * time-weighted mean of the winning events' confidences when the track has any.
 * Errors: a text-format label unknown to the map (naming file, line, value);
 * no usable label at all (BX_HYPNOGRAM_ERROR_EMPTY). */
BxHypnogram *bx_label_track_to_hypnogram (const BxLabelTrack *track, const BxLabelMap *map, double epoch_length,
                                          double total_duration, GError **error);

/* Convenience: bx_label_track_read() then bx_label_track_to_hypnogram(). */
BxHypnogram *bx_labels_read_hypnogram (const char *path, const BxLabelReadOptions *options, const BxLabelMap *map,
                                       double epoch_length, double total_duration, GError **error);

/* "One label for the whole recording": every epoch of a grid of `epoch_length`
 * seconds over `duration` seconds (partial last epoch kept) holds the value of
 * `label` in `map`; `epoch_length` <= 0 makes a single epoch of `duration`.
 * Fails if the map does not know the label or duration <= 0. */
BxHypnogram *bx_labels_whole_recording (const BxLabelMap *map, const char *label, double duration,
                                        double epoch_length, GError **error);

/* ---- Writing ---- */

typedef struct {
  BxLabelFormat format;        /* AUTO = from the extension; other extensions are an error */
  const BxLabelMap *map;       /* names of the values; NULL = stage codes */
  /* CSV/TSV: one row per run of equal labels instead of one per epoch; the
   * row's confidence is then the mean over the run. EDF+ always merges runs. */
  gboolean merge_runs;
  /* CSV/TSV: the confidence column is written whenever
   * hypnogram->confidence is set, unless this is TRUE. */
  gboolean omit_confidence;
  /* EDF+: start date-time of the recording the labels belong to, so that
   * onsets line up (NULL = 2000-01-01 00:00:00), and the patient code (NULL). */
  GDateTime *start;
  const char *patient_code;
} BxLabelWriteOptions;

/* Writes `hypnogram` as a label file (options NULL = defaults). CSV columns:
 * onset,duration,label[,confidence]; TSV: onset, duration, trial_type
 * [, confidence] (BIDS). Unscored epochs are written as "?" rows (CSV/TSV) or
 * "Sleep stage ?"/"?" annotations (EDF+) so the file keeps the full length.
 * Confidences are written with the fewest digits that read back as the same
 * float. */
gboolean bx_labels_write_hypnogram (const char *path, const BxHypnogram *hypnogram, const BxLabelWriteOptions *options,
                                    GError **error);

/* Annotations (one per run of equal values, texts from the map; NULL map =
 * stage codes, as bx_hypnogram_to_annotations). */
BxAnnotationList *bx_labels_hypnogram_to_annotations (const BxHypnogram *hypnogram, const BxLabelMap *map);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxLabelTrack, bx_label_track_free)

G_END_DECLS
