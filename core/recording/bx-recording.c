/* bx-recording.c — EDF/EDF+/BDF/BDF+ recordings: header, annotations,
 * segments and float32 sample reads.
 *
 * Opening: the whole file is mapped read-only (GMappedFile); the header is
 * validated by bx-edf-header.c, then the annotation signals of every data
 * record are parsed here (TALs, EDF+ spec §2.2.4): EDFlib neither reads
 * EDF+D files nor exposes each record's time-keeping onset, which is what
 * makes the segments of a discontinuous file. EDFlib then opens the file
 * too (header check and a second, independent reader); a file that our
 * validator accepts but EDFlib rejects (EDF+D, DREAMS' digital range) is
 * still read, with a warning that names EDFlib's reason.
 *
 * Reads decode whole runs of a channel straight from the mapping: no lock,
 * no syscall, safe from any thread. bx_recording_read_edflib() reads the same
 * samples through EDFlib (one handle per recording, seek+read under the
 * recording's lock); the benchmark compares both and a test checks that
 * they agree on every file.
 */
#include "bx-recording.h"

#include <edflib.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>

#include "bx-edf-header.h"

/* EDFlib's open/close touch a global table of files: serialise them. */
static GMutex edflib_lock;

struct _BxRecording
{
  gatomicrefcount ref_count;
  char *path;
  char *name; /* basename, for messages */
  BxEdfHeader *header;
  GMappedFile *mapping;
  const guint8 *bytes;

  GDateTime *start;
  double start_offset; /* seconds of the first record's time-keeping TAL (EDF+) */
  char *equipment;

  guint n_channels;
  BxChannel *channels;
  int *signal_of_channel; /* header signal index of each channel */

  BxAnnotationList *annotations;
  GArray *segments; /* BxSegment */
  GPtrArray *warnings;
  char **warning_strv;

  GMutex lock;        /* guards the EDFlib handle and its per-signal file positions */
  int edflib_handle;  /* -1: not open */
  char *edflib_error; /* why EDFlib refused the file, or NULL */
};

G_DEFINE_QUARK (bx - recording - error - quark, bx_recording_error)

GMutex *
bx_edflib_mutex (void)
{
  return &edflib_lock;
}

static void recording_warn (BxRecording *self, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
recording_warn (BxRecording *self, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (self->warnings, g_strdup_vprintf (format, args));
  va_end (args);
}

const char *
bx_edflib_error_string (int code)
{
  switch (code)
    {
    case EDFLIB_MALLOC_ERROR:
      return "out of memory";
    case EDFLIB_NO_SUCH_FILE_OR_DIRECTORY:
      return "cannot open the file";
    case EDFLIB_FILE_CONTAINS_FORMAT_ERRORS:
      return "the file does not follow the EDF(+)/BDF(+) specification";
    case EDFLIB_MAXFILES_REACHED:
      return "too many files are open in EDFlib";
    case EDFLIB_FILE_READ_ERROR:
      return "read error";
    case EDFLIB_FILE_ALREADY_OPENED:
      return "the file is already open in EDFlib";
    case EDFLIB_FILETYPE_ERROR:
      return "unknown file type";
    case EDFLIB_FILE_WRITE_ERROR:
      return "write error";
    case EDFLIB_NUMBER_OF_SIGNALS_INVALID:
      return "invalid number of signals";
    case EDFLIB_FILE_IS_DISCONTINUOUS:
      return "EDFlib cannot read discontinuous (EDF+D/BDF+D) files";
    case EDFLIB_INVALID_READ_ANNOTS_VALUE:
      return "invalid annotation mode";
    case EDFLIB_ARCH_ERROR:
      return "unsupported architecture";
    case EDFLIB_NO_SIGNALS:
      return "no signals";
    case EDFLIB_TOO_MANY_SIGNALS:
      return "too many signals";
    case EDFLIB_NO_SAMPLES_IN_RECORD:
      return "a signal has no samples per data record";
    case EDFLIB_DIGMIN_IS_DIGMAX:
      return "digital minimum equals digital maximum";
    case EDFLIB_DIGMAX_LOWER_THAN_DIGMIN:
      return "digital maximum is below digital minimum";
    case EDFLIB_PHYSMIN_IS_PHYSMAX:
      return "physical minimum equals physical maximum";
    case EDFLIB_DATARECORD_SIZE_TOO_BIG:
      return "data records are too large";
    default:
      return "unknown EDFlib error";
    }
}

/* Maps in the pages of [offset, offset + len) of the file in one system
 * call. Touching a large mapping page by page costs a fault per 4 KiB, which
 * dominates reading a whole night (and is worse in a VM). Best effort:
 * older kernels without MADV_POPULATE_READ just fault as before. */
static void
populate (const BxRecording *self, gint64 offset, gint64 len)
{
#ifdef MADV_POPULATE_READ
  gsize page = 4096;
  guintptr start = ((guintptr)(self->bytes + offset)) & ~(guintptr)(page - 1);
  guintptr end = (guintptr)(self->bytes + offset + len);

  if (len >= (gint64)(1 << 20))
    (void)madvise ((void *)start, end - start, MADV_POPULATE_READ);
#endif
}

/* ---- TAL parsing ---------------------------------------------------------- */

/* "+12.5" / "-0.25": EDF+ onsets and durations. */
static gboolean
parse_tal_number (const char *text, gsize len, gboolean need_sign, double *out)
{
  char buf[64];
  char *end = NULL;

  if (len == 0 || len >= sizeof buf)
    return FALSE;
  memcpy (buf, text, len);
  buf[len] = '\0';
  if (need_sign && buf[0] != '+' && buf[0] != '-')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit (buf[i]) && buf[i] != '.' && !(i == 0 && (buf[i] == '+' || buf[i] == '-')))
      return FALSE;
  *out = g_ascii_strtod (buf, &end);
  return end == buf + len && isfinite (*out);
}

/* "+12.5\x14" or "-3\x15": the start of a TAL. */
static gboolean
looks_like_onset (const guint8 *bytes, gsize len)
{
  gsize i = 1;

  if (len < 3 || (bytes[0] != '+' && bytes[0] != '-') || !g_ascii_isdigit (bytes[1]))
    return FALSE;
  while (i < len && (g_ascii_isdigit (bytes[i]) || bytes[i] == '.'))
    i++;
  return i < len && (bytes[i] == 0x14 || bytes[i] == 0x15);
}

static char *
annotation_text (BxRecording *self, const char *text, gsize len, gboolean *warned)
{
  if (g_utf8_validate (text, (gssize)len, NULL))
    return g_strndup (text, len);
  if (!*warned)
    recording_warn (self, "%s: an annotation is not valid UTF-8; read as Latin-1", self->name);
  *warned = TRUE;
  return g_convert (text, (gssize)len, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
}

/* Parses the TALs of one annotation signal of data record `record`.
 * `keeping` (may be NULL) receives the onset of the record's first TAL (the
 * time-keeping one) when `first_signal`. Returns FALSE on a malformed TAL,
 * with `error` naming the record. */
static gboolean
parse_tals (BxRecording *self, const guint8 *bytes, gsize len, gint64 record, gboolean first_signal,
            GArray *raw_annotations, double *keeping, gboolean *latin1_warned, gboolean *unterminated_warned,
            GError **error)
{
  gsize pos = 0;
  gboolean first_tal = TRUE;

  while (pos < len && bytes[pos] != 0)
    {
      const char *tal = (const char *)bytes + pos;
      gsize end = pos, onset_end, text_start;
      double onset, duration = -1;
      gboolean first_text = TRUE;

      /* A TAL ends with 0x14 0x00. */
      while (end < len && bytes[end] != 0)
        end++;
      if (end >= len)
        goto malformed;
      onset_end = pos;
      while (onset_end < end && bytes[onset_end] != 0x14 && bytes[onset_end] != 0x15)
        onset_end++;
      if (onset_end >= end || !parse_tal_number (tal, onset_end - pos, TRUE, &onset))
        goto malformed;
      text_start = onset_end + 1;
      if (bytes[onset_end] == 0x15)
        {
          gsize d_end = text_start;

          while (d_end < end && bytes[d_end] != 0x14)
            d_end++;
          if (d_end >= end
              || !parse_tal_number ((const char *)bytes + text_start, d_end - text_start, FALSE, &duration))
            goto malformed;
          text_start = d_end + 1;
        }
      if (bytes[end - 1] != 0x14)
        goto malformed;
      /* Texts, each ending with 0x14. */
      while (text_start < end)
        {
          gsize t_end = text_start;

          while (t_end < end && bytes[t_end] != 0x14)
            t_end++;
          if (first_signal && first_tal && first_text)
            {
              if (keeping != NULL)
                *keeping = onset;
              /* Nihon Kohden omits the 0 after the time-keeping TAL:
               * "+0\x14\x14+0.5\x14Event\x14". */
              if (t_end == text_start && t_end + 1 < end
                  && looks_like_onset (bytes + t_end + 1, end - t_end - 1))
                {
                  if (!*unterminated_warned)
                    recording_warn (self,
                                    "%s: data record %" G_GINT64_FORMAT
                                    ": time-keeping annotation is not ended by a 0 byte (read anyway)",
                                    self->name, record + 1);
                  *unterminated_warned = TRUE;
                  pos = t_end + 1;
                  first_tal = FALSE;
                  goto next_tal;
                }
              /* Some writers put an event text into the time-keeping TAL. */
              if (t_end > text_start)
                {
                  BxAnnotation a = { onset, duration,
                                     annotation_text (self, (const char *)bytes + text_start,
                                                      t_end - text_start, latin1_warned) };
                  g_array_append_val (raw_annotations, a);
                }
            }
          else if (t_end > text_start)
            {
              BxAnnotation a = { onset, duration,
                                 annotation_text (self, (const char *)bytes + text_start, t_end - text_start,
                                                  latin1_warned) };
              g_array_append_val (raw_annotations, a);
            }
          first_text = FALSE;
          text_start = t_end + 1;
        }
      first_tal = FALSE;
      pos = end + 1;
    next_tal:;
    }
  return TRUE;

malformed:
  {
    gsize show = 0;
    g_autofree char *text = NULL;
    g_autofree char *raw = NULL;

    while (pos + show < len && show < 40 && bytes[pos + show] != 0)
      show++;
    text = g_strndup ((const char *)bytes + pos, show);
    raw = g_strescape (text, NULL);
    g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                 "%s: data record %" G_GINT64_FORMAT ": malformed annotation (TAL) '%s'", self->name,
                 record + 1, raw);
    return FALSE;
  }
}

static void
raw_annotation_clear (gpointer data)
{
  g_free (((BxAnnotation *)data)->text);
}

/* Reads every record's annotation signals: annotations, and (EDF+) the
 * record onsets that define the segments. */
static gboolean
read_annotations_and_segments (BxRecording *self, GError **error)
{
  BxEdfHeader *h = self->header;
  g_autoptr (GArray) raw = g_array_new (FALSE, FALSE, sizeof (BxAnnotation));
  g_autofree double *onsets = NULL;
  gboolean latin1_warned = FALSE, unterminated_warned = FALSE;
  gboolean discontinuous = h->file_type == BX_FILE_EDFPLUS_D || h->file_type == BX_FILE_BDFPLUS_D;
  gint64 bad_tals = 0;
  int first_annotation_signal = -1;
  BxSegment segment = { 0, 0, h->n_records };
  gboolean warned_gap = FALSE;

  g_array_set_clear_func (raw, raw_annotation_clear);
  self->annotations = bx_annotation_list_new ();
  self->segments = g_array_new (FALSE, FALSE, sizeof (BxSegment));

  for (int s = 0; s < h->n_signals; s++)
    if (h->signals[s].is_annotation)
      {
        first_annotation_signal = s;
        break;
      }
  if (first_annotation_signal < 0 || h->n_records == 0)
    {
      if (h->n_records > 0 || h->n_signals > 0)
        g_array_append_val (self->segments, segment);
      return TRUE;
    }

  onsets = g_new (double, h->n_records);
  /* The annotation signals are spread over every record: the whole data
   * part is touched anyway. */
  populate (self, h->header_bytes, h->n_records * h->record_bytes);
  for (gint64 r = 0; r < h->n_records; r++)
    {
      const guint8 *record = self->bytes + h->header_bytes + r * h->record_bytes;

      onsets[r] = NAN;
      for (int s = first_annotation_signal; s < h->n_signals; s++)
        {
          const BxEdfSignal *sig = &h->signals[s];

          if (!sig->is_annotation)
            continue;
          g_autoptr (GError) tal_error = NULL;

          if (!parse_tals (self, record + sig->offset_in_record,
                           (gsize)sig->samples_per_record * h->sample_bytes, r, s == first_annotation_signal,
                           raw, &onsets[r], &latin1_warned, &unterminated_warned, &tal_error))
            {
              /* A discontinuous file needs every record's time-keeping
               * TAL; in a continuous one a garbled annotation costs only
               * that annotation, not the recording. */
              if (discontinuous && isnan (onsets[r]) && s == first_annotation_signal)
                {
                  g_propagate_error (error, g_steal_pointer (&tal_error));
                  return FALSE;
                }
              if (bad_tals++ < 3)
                recording_warn (self, "%s (the rest of this annotation signal in that record is ignored)",
                                tal_error->message);
            }
        }
      if (isnan (onsets[r]))
        {
          if (h->file_type == BX_FILE_EDFPLUS_D || h->file_type == BX_FILE_BDFPLUS_D)
            {
              g_set_error (
                  error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                  "%s: data record %" G_GINT64_FORMAT
                  " has no time-keeping annotation, so its place in the discontinuous recording is unknown",
                  self->name, r + 1);
              return FALSE;
            }
          /* Continuous: the record follows the previous one. */
          onsets[r] = r == 0 ? 0 : onsets[r - 1] + h->record_duration;
          if (!warned_gap)
            recording_warn (self, "%s: data record %" G_GINT64_FORMAT " has no time-keeping annotation",
                            self->name, r + 1);
          warned_gap = TRUE;
        }
    }

  if (bad_tals > 3)
    recording_warn (self, "%s: %" G_GINT64_FORMAT " malformed annotations (TALs) in all were ignored",
                    self->name, bad_tals);

  /* The first record's onset is the sub-second part of the start time
   * (EDF+ spec: onsets are relative to the header's start, whole seconds). */
  self->start_offset = onsets[0];
  segment.onset = 0;
  segment.first_record = 0;
  segment.n_records = 1;
  for (gint64 r = 1; r < h->n_records; r++)
    {
      double expected = onsets[r - 1] + h->record_duration;
      /* Onsets carry at most 100 ns resolution in practice; allow float noise. */
      gboolean contiguous = fabs (onsets[r] - expected) <= 1e-6 * MAX (1.0, fabs (expected));

      if (!contiguous && (h->file_type == BX_FILE_EDFPLUS_D || h->file_type == BX_FILE_BDFPLUS_D))
        {
          g_array_append_val (self->segments, segment);
          segment.onset = onsets[r] - self->start_offset;
          segment.first_record = r;
          segment.n_records = 1;
          continue;
        }
      if (!contiguous && !warned_gap)
        {
          recording_warn (self,
                          "%s: continuous (+C) file, but data record %" G_GINT64_FORMAT
                          " starts at %.7g s instead of %.7g s",
                          self->name, r + 1, onsets[r], expected);
          warned_gap = TRUE;
        }
      segment.n_records++;
    }
  g_array_append_val (self->segments, segment);

  for (guint i = 0; i < raw->len; i++)
    {
      BxAnnotation *a = &g_array_index (raw, BxAnnotation, i);

      bx_annotation_list_add (self->annotations, a->onset - self->start_offset, a->duration, a->text);
    }
  bx_annotation_list_sort (self->annotations);
  return TRUE;
}

/* ---- opening -------------------------------------------------------------- */

static void
build_start (BxRecording *self)
{
  BxEdfHeader *h = self->header;
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) whole
      = g_date_time_new (utc, h->year, h->month, h->day, h->hour, h->minute, h->second);
  /* Round to the microsecond that GDateTime can hold. */
  GTimeSpan offset_us = (GTimeSpan)llround (self->start_offset * 1e6);

  self->start = g_date_time_add (whole, offset_us);
}

/* EDF+ recording field: "Startdate dd-MMM-yyyy admincode technician equipment ...". */
static char *
edfplus_equipment (const char *recording)
{
  g_auto (GStrv) words = g_strsplit (recording, " ", 6);

  if (g_strv_length (words) >= 5 && strcmp (words[0], "Startdate") == 0 && strcmp (words[4], "X") != 0)
    return g_strdup (words[4]);
  return g_strdup ("");
}

/* Labels of a BioSemi-style ABC cap ("A1".."H32"): a file with many such
 * labels is a high-density EEG, so "C3" or "E1" there is an electrode of the
 * grid, not the 10-20 site or the EOG derivation. */
static gboolean
is_grid_label (const char *label)
{
  return g_ascii_isupper (label[0]) && g_ascii_isdigit (label[1])
         && (label[2] == '\0' || (g_ascii_isdigit (label[2]) && label[3] == '\0'));
}

static void
detect_modalities (BxRecording *self)
{
  guint grid = 0;

  for (guint c = 0; c < self->n_channels; c++)
    {
      BxChannel *ch = &self->channels[c];

      ch->modality = bx_modality_detect (ch->label, ch->transducer, ch->physical_dimension, ch->sample_rate,
                                         &ch->modality_confidence);
      if (is_grid_label (ch->label))
        grid++;
    }
  if (grid < 32)
    return;
  for (guint c = 0; c < self->n_channels; c++)
    if (is_grid_label (self->channels[c].label))
      {
        self->channels[c].modality = BX_MODALITY_EEG;
        self->channels[c].modality_confidence = 0.6;
      }
}

/* Opens (and closes) the file with EDFlib: a second opinion on the header.
 * Its refusal is reported, not fatal: our own checks passed. */
static void
check_with_edflib (BxRecording *self)
{
  struct edf_hdr_struct *hdr = g_new0 (struct edf_hdr_struct, 1);
  int rc;

  g_mutex_lock (&edflib_lock);
  rc = edfopen_file_readonly (self->path, hdr, EDFLIB_DO_NOT_READ_ANNOTATIONS);
  if (rc == 0)
    edfclose_file (hdr->handle);
  g_mutex_unlock (&edflib_lock);

  if (rc != 0)
    {
      self->edflib_error = g_strdup (bx_edflib_error_string (hdr->filetype));
      /* Too many open files is a limit of the process, not a defect of the file. */
      if (hdr->filetype != EDFLIB_MAXFILES_REACHED && hdr->filetype != EDFLIB_FILE_ALREADY_OPENED)
        recording_warn (self, "%s: EDFlib does not accept this file (%s); it is read by the built-in decoder",
                        self->name, self->edflib_error);
    }
  else if (hdr->edfsignals != (int)self->n_channels || hdr->datarecords_in_file != self->header->n_records)
    recording_warn (
        self, "%s: EDFlib sees %d signals and %lld records, the built-in reader %u and %" G_GINT64_FORMAT,
        self->name, hdr->edfsignals, hdr->datarecords_in_file, self->n_channels, self->header->n_records);
  g_free (hdr);
}

BxRecording *
bx_recording_open (const char *path, GError **error)
{
  g_autoptr (BxRecording) self = NULL;
  g_autoptr (GError) local_error = NULL;
  BxEdfHeader *h;
  guint c = 0;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_new0 (BxRecording, 1);
  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->lock);
  self->edflib_handle = -1;
  self->path = g_strdup (path);
  self->name = g_path_get_basename (path);
  self->warnings = g_ptr_array_new_with_free_func (g_free);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_NOT_FOUND,
                   "%s: is a folder, not a recording", path);
      return NULL;
    }
  self->mapping = g_mapped_file_new (path, FALSE, &local_error);
  if (self->mapping == NULL)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_NOT_FOUND, "%s: cannot open: %s", path,
                   local_error->message);
      return NULL;
    }
  self->bytes = (const guint8 *)g_mapped_file_get_contents (self->mapping);
  self->header = bx_edf_header_parse (path, self->bytes != NULL ? self->bytes : (const guint8 *)"",
                                      g_mapped_file_get_length (self->mapping), error);
  if (self->header == NULL)
    return NULL;
  h = self->header;
  for (guint i = 0; i < h->warnings->len; i++)
    g_ptr_array_add (self->warnings, g_strdup (g_ptr_array_index (h->warnings, i)));

  for (int s = 0; s < h->n_signals; s++)
    if (!h->signals[s].is_annotation)
      self->n_channels++;
  self->channels = g_new0 (BxChannel, MAX (self->n_channels, 1));
  self->signal_of_channel = g_new0 (int, MAX (self->n_channels, 1));
  for (int s = 0; s < h->n_signals; s++)
    {
      const BxEdfSignal *sig = &h->signals[s];
      BxChannel *ch;

      if (sig->is_annotation)
        continue;
      ch = &self->channels[c];
      self->signal_of_channel[c] = s;
      ch->label = g_strdup (sig->label);
      ch->transducer = g_strdup (sig->transducer);
      ch->physical_dimension = g_strdup (sig->physical_dimension);
      ch->prefilter = g_strdup (sig->prefilter);
      ch->samples_per_record = sig->samples_per_record;
      ch->sample_rate = h->record_duration > 0 ? sig->samples_per_record / h->record_duration : 0;
      ch->n_samples = h->n_records * sig->samples_per_record;
      ch->physical_min = sig->physical_min;
      ch->physical_max = sig->physical_max;
      ch->digital_min = sig->digital_min;
      ch->digital_max = sig->digital_max;
      c++;
    }
  detect_modalities (self);

  if (!read_annotations_and_segments (self, error))
    return NULL;
  build_start (self);
  self->equipment = h->is_plus ? edfplus_equipment (h->recording) : g_strdup ("");
  check_with_edflib (self);

  g_ptr_array_add (self->warnings, NULL);
  self->warning_strv = (char **)g_ptr_array_steal (self->warnings, NULL);
  g_clear_pointer (&self->warnings, g_ptr_array_unref);
  return g_steal_pointer (&self);
}

BxRecording *
bx_recording_ref (BxRecording *recording)
{
  g_return_val_if_fail (recording != NULL, NULL);
  g_atomic_ref_count_inc (&recording->ref_count);
  return recording;
}

void
bx_recording_unref (BxRecording *recording)
{
  if (recording == NULL || !g_atomic_ref_count_dec (&recording->ref_count))
    return;
  if (recording->edflib_handle >= 0)
    {
      g_mutex_lock (&edflib_lock);
      edfclose_file (recording->edflib_handle);
      g_mutex_unlock (&edflib_lock);
    }
  for (guint c = 0; recording->channels != NULL && c < recording->n_channels; c++)
    {
      g_free (recording->channels[c].label);
      g_free (recording->channels[c].transducer);
      g_free (recording->channels[c].physical_dimension);
      g_free (recording->channels[c].prefilter);
    }
  g_free (recording->channels);
  g_free (recording->signal_of_channel);
  g_clear_pointer (&recording->annotations, bx_annotation_list_free);
  g_clear_pointer (&recording->segments, g_array_unref);
  g_clear_pointer (&recording->warnings, g_ptr_array_unref);
  g_strfreev (recording->warning_strv);
  g_clear_pointer (&recording->start, g_date_time_unref);
  g_clear_pointer (&recording->header, bx_edf_header_free);
  g_clear_pointer (&recording->mapping, g_mapped_file_unref);
  g_mutex_clear (&recording->lock);
  g_free (recording->equipment);
  g_free (recording->edflib_error);
  g_free (recording->name);
  g_free (recording->path);
  g_free (recording);
}

/* ---- accessors ------------------------------------------------------------ */

const char *
bx_recording_get_path (const BxRecording *recording)
{
  return recording->path;
}

BxFileType
bx_recording_get_file_type (const BxRecording *recording)
{
  return recording->header->file_type;
}

GDateTime *
bx_recording_get_start (const BxRecording *recording)
{
  return recording->start;
}

double
bx_recording_get_duration (const BxRecording *recording)
{
  return (double)recording->header->n_records * recording->header->record_duration;
}

double
bx_recording_get_record_duration (const BxRecording *recording)
{
  return recording->header->record_duration;
}

gint64
bx_recording_get_n_records (const BxRecording *recording)
{
  return recording->header->n_records;
}

const char *
bx_recording_get_patient (const BxRecording *recording)
{
  return recording->header->patient;
}

const char *
bx_recording_get_recording_info (const BxRecording *recording)
{
  return recording->header->recording;
}

const char *
bx_recording_get_equipment (const BxRecording *recording)
{
  return recording->equipment;
}

guint
bx_recording_get_n_channels (const BxRecording *recording)
{
  return recording->n_channels;
}

const BxChannel *
bx_recording_get_channel (const BxRecording *recording, guint index)
{
  g_return_val_if_fail (index < recording->n_channels, NULL);
  return &recording->channels[index];
}

int
bx_recording_find_channel (const BxRecording *recording, const char *label)
{
  g_autofree char *wanted = NULL;

  if (label == NULL)
    return -1;
  wanted = g_strstrip (g_strdup (label));
  for (guint c = 0; c < recording->n_channels; c++)
    if (g_ascii_strcasecmp (recording->channels[c].label, wanted) == 0)
      return (int)c;
  return -1;
}

const BxAnnotationList *
bx_recording_get_annotations (const BxRecording *recording)
{
  return recording->annotations;
}

guint
bx_recording_get_n_segments (const BxRecording *recording)
{
  return recording->segments->len;
}

const BxSegment *
bx_recording_get_segment (const BxRecording *recording, guint index)
{
  g_return_val_if_fail (index < recording->segments->len, NULL);
  return &g_array_index (recording->segments, BxSegment, index);
}

const char *const *
bx_recording_get_warnings (const BxRecording *recording)
{
  return (const char *const *)recording->warning_strv;
}

const char *
bx_recording_get_edflib_error (const BxRecording *recording)
{
  return recording->edflib_error;
}

/* ---- reading -------------------------------------------------------------- */

static gboolean
check_range (BxRecording *self, guint channel, gint64 first, gint64 n, GError **error)
{
  if (channel >= self->n_channels)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_CHANNEL,
                   "%s: no channel %u (the recording has %u channels)", self->name, channel,
                   self->n_channels);
      return FALSE;
    }
  if (first < 0 || n < 0 || first > self->channels[channel].n_samples - n)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_RANGE,
                   "%s: channel '%s': samples %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
                   " are outside 0..%" G_GINT64_FORMAT,
                   self->name, self->channels[channel].label, first, first + n,
                   self->channels[channel].n_samples);
      return FALSE;
    }
  return TRUE;
}

/* value = physical_min + (digital - digital_min) * gain, folded into
 * gain * digital + offset (double, then rounded once to float). Digital
 * values outside [digital_min, digital_max] are clipped first, as EDFlib
 * and EDFbrowser do (the header says the ADC cannot produce them). */
static void
decode_run (const guint8 *restrict in, int sample_bytes, gint64 n, int dmin, int dmax, double gain,
            double offset, float *restrict out)
{
  if (sample_bytes == 2)
    for (gint64 i = 0; i < n; i++)
      {
        int d = (gint16)(guint16)(in[2 * i] | (in[2 * i + 1] << 8));
        d = d < dmin ? dmin : (d > dmax ? dmax : d);
        out[i] = (float)(gain * d + offset);
      }
  else
    for (gint64 i = 0; i < n; i++)
      {
        guint32 u = (guint32)in[3 * i] | ((guint32)in[3 * i + 1] << 8) | ((guint32)in[3 * i + 2] << 16);
        int d = (gint32)(u << 8) >> 8; /* sign-extend 24 bits */
        d = d < dmin ? dmin : (d > dmax ? dmax : d);
        out[i] = (float)(gain * d + offset);
      }
}

/* A whole night of one EDF channel: converting through a table of all 65536
 * 16-bit codes (built with the same double arithmetic, so the floats are
 * identical) is several times faster than the per-sample conversion. */
#define LUT_MIN_SAMPLES ((gint64)1 << 18)

gboolean
bx_recording_read (BxRecording *recording, guint channel, gint64 first, gint64 n, float *out, GError **error)
{
  const BxEdfHeader *h;
  const BxEdfSignal *sig;
  const BxChannel *ch;
  double gain, offset;
  gint64 spr, record, within, done = 0;
  g_autofree float *lut = NULL;

  g_return_val_if_fail (recording != NULL, FALSE);
  if (!check_range (recording, channel, first, n, error))
    return FALSE;
  h = recording->header;
  ch = &recording->channels[channel];
  sig = &h->signals[recording->signal_of_channel[channel]];
  gain = (ch->physical_max - ch->physical_min) / ((double)ch->digital_max - ch->digital_min);
  offset = ch->physical_min - gain * ch->digital_min;
  spr = sig->samples_per_record;
  record = first / spr;
  within = first % spr;
  if (n == 0)
    return TRUE;
  populate (recording, h->header_bytes + record * h->record_bytes,
            ((first + n - 1) / spr - record + 1) * h->record_bytes);
  if (h->sample_bytes == 2 && n >= LUT_MIN_SAMPLES)
    {
      lut = g_new (float, 65536);
      for (int code = -32768; code <= 32767; code++)
        {
          int d
              = code < ch->digital_min ? ch->digital_min : (code > ch->digital_max ? ch->digital_max : code);
          lut[(guint16)code] = (float)(gain * d + offset);
        }
    }
  while (done < n)
    {
      gint64 take = MIN (spr - within, n - done);
      const guint8 *in = recording->bytes + h->header_bytes + record * h->record_bytes + sig->offset_in_record
                         + within * h->sample_bytes;

      if (lut != NULL)
        {
          float *restrict o = out + done;

          for (gint64 i = 0; i < take; i++)
            o[i] = lut[(guint16)(in[2 * i] | (in[2 * i + 1] << 8))];
        }
      else
        decode_run (in, h->sample_bytes, take, ch->digital_min, ch->digital_max, gain, offset, out + done);
      done += take;
      record++;
      within = 0;
    }
  return TRUE;
}

gboolean
bx_recording_read_edflib (BxRecording *recording, guint channel, gint64 first, gint64 n, float *out,
                          GError **error)
{
  gboolean ok = TRUE;
  double buffer[4096];
  gint64 done = 0;

  g_return_val_if_fail (recording != NULL, FALSE);
  if (!check_range (recording, channel, first, n, error))
    return FALSE;

  g_mutex_lock (&recording->lock);
  if (recording->edflib_handle < 0)
    {
      struct edf_hdr_struct *hdr = g_new0 (struct edf_hdr_struct, 1);

      g_mutex_lock (&edflib_lock);
      if (edfopen_file_readonly (recording->path, hdr, EDFLIB_DO_NOT_READ_ANNOTATIONS) == 0)
        recording->edflib_handle = hdr->handle;
      g_mutex_unlock (&edflib_lock);
      if (recording->edflib_handle < 0)
        {
          g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_IO,
                       "%s: EDFlib cannot open the file: %s", recording->name,
                       bx_edflib_error_string (hdr->filetype));
          ok = FALSE;
        }
      g_free (hdr);
    }
  if (ok && edfseek (recording->edflib_handle, (int)channel, first, EDFSEEK_SET) != first)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_IO,
                   "%s: EDFlib cannot seek channel %u to sample %" G_GINT64_FORMAT, recording->name, channel,
                   first);
      ok = FALSE;
    }
  while (ok && done < n)
    {
      int want = (int)MIN ((gint64)G_N_ELEMENTS (buffer), n - done);
      int got = edfread_physical_samples (recording->edflib_handle, (int)channel, want, buffer);

      if (got != want)
        {
          g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_IO,
                       "%s: EDFlib read %d of %d samples of channel %u at sample %" G_GINT64_FORMAT,
                       recording->name, got, want, channel, first + done);
          ok = FALSE;
          break;
        }
      for (int i = 0; i < got; i++)
        out[done + i] = (float)buffer[i];
      done += got;
    }
  g_mutex_unlock (&recording->lock);
  return ok;
}

float *
bx_recording_read_seconds (BxRecording *recording, guint channel, double start_s, double length_s,
                           gint64 *out_n, GError **error)
{
  const BxChannel *ch;
  gint64 first, last;
  float *out;

  g_return_val_if_fail (recording != NULL, NULL);
  if (out_n != NULL)
    *out_n = 0;
  if (channel >= recording->n_channels)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_CHANNEL,
                   "%s: no channel %u (the recording has %u channels)", recording->name, channel,
                   recording->n_channels);
      return NULL;
    }
  ch = &recording->channels[channel];
  if (!isfinite (start_s) || !isfinite (length_s))
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_RANGE,
                   "%s: time range %g + %g s is not finite", recording->name, start_s, length_s);
      return NULL;
    }
  /* Clamp in double first: llround() of a value beyond gint64 is unspecified. */
  first = llround (CLAMP (start_s * ch->sample_rate, 0.0, (double)ch->n_samples));
  last = llround (
      CLAMP ((start_s + MAX (length_s, 0)) * ch->sample_rate, (double)first, (double)ch->n_samples));
  out = g_new (float, MAX (last - first, 1));
  if (!bx_recording_read (recording, channel, first, last - first, out, error))
    {
      g_free (out);
      return NULL;
    }
  if (out_n != NULL)
    *out_n = last - first;
  return out;
}

gboolean
bx_recording_read_in_unit (BxRecording *recording, guint channel, gint64 first, gint64 n, const char *unit,
                           float *out, GError **error)
{
  double factor = 1;

  g_return_val_if_fail (recording != NULL, FALSE);
  if (!check_range (recording, channel, first, n, error))
    return FALSE;
  if (!bx_unit_scale (recording->channels[channel].physical_dimension, unit, &factor))
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_CHANNEL,
                   "%s: channel '%s' is in '%s', which cannot be converted to '%s'", recording->name,
                   recording->channels[channel].label, recording->channels[channel].physical_dimension, unit);
      return FALSE;
    }
  if (!bx_recording_read (recording, channel, first, n, out, error))
    return FALSE;
  if (factor != 1)
    for (gint64 i = 0; i < n; i++)
      out[i] = (float)(out[i] * factor);
  return TRUE;
}

double
bx_recording_get_sample_time (const BxRecording *recording, guint channel, gint64 sample)
{
  const BxChannel *ch;
  gint64 record;
  guint lo = 0, hi;

  g_return_val_if_fail (recording != NULL && channel < recording->n_channels, 0);
  ch = &recording->channels[channel];
  record = sample / ch->samples_per_record;
  hi = recording->segments->len;
  /* Last segment whose first record is <= record. */
  while (hi - lo > 1)
    {
      guint mid = (lo + hi) / 2;

      if (g_array_index (recording->segments, BxSegment, mid).first_record <= record)
        lo = mid;
      else
        hi = mid;
    }
  {
    const BxSegment *s = &g_array_index (recording->segments, BxSegment, lo);

    return s->onset + (double)(record - s->first_record) * recording->header->record_duration
           + (double)(sample % ch->samples_per_record) / ch->sample_rate;
  }
}
