/* bx-edf-header.c — parsing and validating the EDF/BDF header ourselves.
 *
 * EDFlib answers a bad file with one error code ("format errors"); a
 * technician needs to know which field of which signal is wrong, so every
 * field is checked here first and the message names the file, the field,
 * the signal (counted from 1, as EDFbrowser does) and the value.
 */
#include "bx-edf-header.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define MAIN_HEADER_BYTES 256
#define SIGNAL_HEADER_BYTES 256
/* EDFlib's own limit is 640; a larger count is a garbled field, not a recording. */
#define MAX_SIGNALS 4096
/* 1 GB per data record: far beyond any real file, keeps offsets from overflowing. */
#define MAX_RECORD_BYTES ((gint64)1 << 30)

typedef struct
{
  const char *name;
  const guint8 *bytes;
  BxEdfHeader *header;
} Parser;

static void warn (Parser *p, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
warn (Parser *p, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (p->header->warnings, g_strdup_vprintf (format, args));
  va_end (args);
}

/* A printable rendering of raw header bytes for messages. */
static char *
quote_raw (const guint8 *bytes, gsize len)
{
  GString *s = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    {
      if (bytes[i] >= 32 && bytes[i] < 127)
        g_string_append_c (s, (char)bytes[i]);
      else
        g_string_append_printf (s, "\\x%02X", bytes[i]);
    }
  return g_string_free (s, FALSE);
}

static char *
trimmed (const guint8 *bytes, gsize len)
{
  char *s = g_strndup ((const char *)bytes, len);

  return g_strstrip (s);
}

/* A numeric or date field: printable ASCII only. Returns the trimmed text or
 * NULL with an error naming `what`. */
static char *
ascii_field (Parser *p, gsize offset, gsize len, const char *what, GError **error)
{
  const guint8 *b = p->bytes + offset;

  for (gsize i = 0; i < len; i++)
    if (b[i] < 32 || b[i] > 126)
      {
        g_autofree char *raw = quote_raw (b, len);
        g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                     "%s: %s contains a non-ASCII byte 0x%02X at position %" G_GSIZE_FORMAT " ('%s')",
                     p->name, what, b[i], i + 1, raw);
        return NULL;
      }
  return trimmed (b, len);
}

/* A free-text field: the standard asks for printable ASCII, but Latin-1
 * names and stray NULs are common; convert and report instead of refusing. */
static char *
text_field (Parser *p, gsize offset, gsize len, const char *what)
{
  const guint8 *b = p->bytes + offset;
  g_autofree char *raw = g_strndup ((const char *)b, len);
  gboolean bad = FALSE;
  char *utf8;

  /* g_strndup stops at a NUL: pad the rest as spaces. */
  for (gsize i = 0; i < len; i++)
    if (b[i] < 32 || b[i] > 126)
      bad = TRUE;
  if (!bad)
    return g_strstrip (g_steal_pointer (&raw));

  g_free (raw);
  raw = g_malloc (len + 1);
  for (gsize i = 0; i < len; i++)
    raw[i] = (b[i] == 0 || b[i] < 32 || b[i] == 127) ? ' ' : (char)b[i];
  raw[len] = '\0';
  utf8 = g_convert (raw, (gssize)len, "UTF-8", "ISO-8859-1", NULL, NULL, NULL);
  if (utf8 == NULL)
    utf8 = g_strdup (raw);
  warn (p, "%s: %s is not plain ASCII; read as Latin-1: '%s'", p->name, what, g_strstrip (utf8));
  return utf8;
}

static gboolean
parse_int64 (const char *text, gint64 *out)
{
  char *end = NULL;
  gint64 v;

  if (*text == '\0')
    return FALSE;
  errno = 0;
  v = g_ascii_strtoll (text, &end, 10);
  if (errno != 0 || end == text || *end != '\0')
    return FALSE;
  *out = v;
  return TRUE;
}

static gboolean
parse_double (const char *text, double *out)
{
  char *end = NULL;
  double v;

  if (*text == '\0')
    return FALSE;
  /* EDF numbers are plain decimals; reject "nan", "inf", hex and exponents
   * that strtod would accept. */
  for (const char *c = text; *c != '\0'; c++)
    if (!g_ascii_isdigit (*c) && *c != '.' && *c != '-' && *c != '+' && *c != 'e' && *c != 'E')
      return FALSE;
  errno = 0;
  v = g_ascii_strtod (text, &end);
  if (errno != 0 || end == text || *end != '\0' || !isfinite (v))
    return FALSE;
  *out = v;
  return TRUE;
}

/* Integer field of the main header. */
static gboolean
main_int (Parser *p, gsize offset, gsize len, const char *what, gint64 *out, GError **error)
{
  g_autofree char *text = ascii_field (p, offset, len, what, error);

  if (text == NULL)
    return FALSE;
  if (!parse_int64 (text, out))
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT, "%s: %s is not an integer: '%s'",
                   p->name, what, text);
      return FALSE;
    }
  return TRUE;
}

static int
days_in_month (int year, int month)
{
  static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
    return 29;
  return days[month - 1];
}

/* "12.34.56" at `b` (8 bytes, all inside the 256-byte main header). */
static gboolean
looks_like_triplet (const guint8 *b)
{
  for (int i = 0; i < 8; i++)
    if ((i == 2 || i == 5) ? b[i] != '.' : !g_ascii_isdigit (b[i]))
      return FALSE;
  return TRUE;
}

/* "dd.mm.yy" or "hh.mm.ss": three two-digit numbers separated by dots. */
static gboolean
parse_triplet (Parser *p, gsize offset, const char *what, const char *layout, int v[3], GError **error)
{
  g_autofree char *text = ascii_field (p, offset, 8, what, error);

  if (text == NULL)
    return FALSE;
  if (strlen (text) == 8)
    {
      gboolean ok = TRUE;

      for (int i = 0; i < 8; i++)
        if (i == 2 || i == 5)
          ok = ok && (text[i] == '.' || text[i] == ':');
        else
          ok = ok && g_ascii_isdigit (text[i]);
      if (ok)
        {
          for (int i = 0; i < 3; i++)
            v[i] = (text[i * 3] - '0') * 10 + (text[i * 3 + 1] - '0');
          if (text[2] == ':' || text[5] == ':')
            warn (p, "%s: %s '%s' uses ':' instead of '.'", p->name, what, text);
          return TRUE;
        }
    }
  /* A text field before it one character short (or long) shifts every
   * later field: say so, it is the usual cause. */
  if (looks_like_triplet (p->bytes + offset - 1))
    g_set_error (
        error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
        "%s: %s is '%s', expected %s; the header looks shifted by one byte (a field before it is one "
        "character short)",
        p->name, what, text, layout);
  else if (looks_like_triplet (p->bytes + offset + 1))
    g_set_error (
        error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
        "%s: %s is '%s', expected %s; the header looks shifted by one byte (a field before it is one "
        "character too long)",
        p->name, what, text, layout);
  else
    g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT, "%s: %s is '%s', expected %s", p->name,
                 what, text, layout);
  return FALSE;
}

/* EDF+ recording field: "Startdate dd-MMM-yyyy ...": gives the 4-digit year
 * that the 2-digit header date cannot (files after 2084). */
static int
edfplus_year (const char *recording)
{
  static const char *const months[]
      = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC" };
  g_auto (GStrv) words = g_strsplit (recording, " ", 3);
  gint64 year;

  if (g_strv_length (words) < 2 || strcmp (words[0], "Startdate") != 0 || strlen (words[1]) != 11)
    return -1;
  if (words[1][2] != '-' || words[1][6] != '-')
    return -1;
  for (int m = 0; m < 12; m++)
    if (g_ascii_strncasecmp (words[1] + 3, months[m], 3) == 0 && parse_int64 (words[1] + 7, &year))
      return (int)year;
  return -1;
}

void
bx_edf_header_free (BxEdfHeader *header)
{
  if (header == NULL)
    return;
  for (int i = 0; header->signals != NULL && i < header->n_signals; i++)
    {
      g_free (header->signals[i].label);
      g_free (header->signals[i].transducer);
      g_free (header->signals[i].physical_dimension);
      g_free (header->signals[i].prefilter);
    }
  g_free (header->signals);
  g_free (header->name);
  g_free (header->patient);
  g_free (header->recording);
  g_clear_pointer (&header->warnings, g_ptr_array_unref);
  g_free (header);
}

/* One per-signal field of signal `i` (0-based), `width` bytes wide, whose
 * block starts `block` bytes into the signal headers. */
static gsize
signal_field_offset (const BxEdfHeader *h, gsize block, gsize width, int i)
{
  return MAIN_HEADER_BYTES + block * (gsize)h->n_signals + width * (gsize)i;
}

static gboolean
signal_number (Parser *p, int i, gsize block, gsize width, const char *what, gboolean integer, double *out,
               GError **error)
{
  BxEdfHeader *h = p->header;
  g_autofree char *field = g_strdup_printf ("signal %d ('%s'): %s", i + 1, h->signals[i].label, what);
  g_autofree char *text = ascii_field (p, signal_field_offset (h, block, width, i), width, field, error);
  gint64 iv;

  if (text == NULL)
    return FALSE;
  if (integer ? !parse_int64 (text, &iv) : !parse_double (text, out))
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT, "%s: %s is not %s: '%s'", p->name,
                   field, integer ? "an integer" : "a number", text);
      return FALSE;
    }
  if (integer)
    *out = (double)iv;
  return TRUE;
}

BxEdfHeader *
bx_edf_header_parse (const char *path, const guint8 *bytes, gsize size, GError **error)
{
  g_autoptr (BxEdfHeader) header = g_new0 (BxEdfHeader, 1);
  Parser parser = { 0 };
  Parser *p = &parser;
  g_autofree char *reserved = NULL;
  gint64 header_bytes, n_records, n_signals, data_bytes, records_present;
  g_autofree char *duration_text = NULL;
  int date[3], time[3];
  gint64 max_digital = 32767, min_digital = -32768;
  int n_annotation_signals = 0;
  gint64 offset = 0;

  header->name = g_path_get_basename (path);
  header->warnings = g_ptr_array_new_with_free_func (g_free);
  p->name = header->name;
  p->bytes = bytes;
  p->header = header;

  /* Version first: a file of another format is "not EDF", not "truncated". */
  if (size >= 8 && bytes[0] == 0xFF && memcmp (bytes + 1, "BIOSEMI", 7) == 0)
    header->is_bdf = TRUE;
  else if (size >= 8 && memcmp (bytes, "0       ", 8) == 0)
    header->is_bdf = FALSE;
  else
    {
      g_autofree char *raw = quote_raw (bytes, MIN (size, 8));
      g_set_error (
          error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
          "%s: version field is '%s' (expected '0' for EDF or 0xFF 'BIOSEMI' for BDF): not an EDF/BDF file",
          p->name, raw);
      return NULL;
    }
  if (size < MAIN_HEADER_BYTES)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_TRUNCATED,
                   "%s: file is %" G_GSIZE_FORMAT " bytes, shorter than the 256-byte main header", p->name,
                   size);
      return NULL;
    }
  header->sample_bytes = header->is_bdf ? 3 : 2;
  if (header->is_bdf)
    {
      max_digital = 8388607;
      min_digital = -8388608;
    }

  header->patient = text_field (p, 8, 80, "patient field");
  header->recording = text_field (p, 88, 80, "recording field");
  if (!parse_triplet (p, 168, "start date", "dd.mm.yy", date, error)
      || !parse_triplet (p, 176, "start time", "hh.mm.ss", time, error))
    return NULL;
  if (!main_int (p, 184, 8, "number of header bytes", &header_bytes, error))
    return NULL;
  reserved = ascii_field (p, 192, 44, "reserved field", error);
  if (reserved == NULL)
    return NULL;
  if (!main_int (p, 236, 8, "number of data records", &n_records, error))
    return NULL;
  duration_text = ascii_field (p, 244, 8, "data record duration", error);
  if (duration_text == NULL)
    return NULL;
  if (!parse_double (duration_text, &header->record_duration) || header->record_duration < 0)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                   "%s: data record duration is not a number of seconds >= 0: '%s'", p->name, duration_text);
      return NULL;
    }
  if (!main_int (p, 252, 4, "number of signals", &n_signals, error))
    return NULL;

  /* Date and time. */
  header->day = date[0];
  header->month = date[1];
  header->year = date[2] >= 85 ? 1900 + date[2] : 2000 + date[2];
  header->hour = time[0];
  header->minute = time[1];
  header->second = time[2];
  if (header->month < 1 || header->month > 12)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                   "%s: start date has month %d (expected 1-12)", p->name, header->month);
      return NULL;
    }
  if (header->day < 1 || header->day > days_in_month (header->year, header->month))
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                   "%s: start date has day %d, month %d has %d days", p->name, header->day, header->month,
                   days_in_month (header->year, header->month));
      return NULL;
    }
  if (header->hour > 23 || header->minute > 59 || header->second > 59)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                   "%s: start time %02d.%02d.%02d is not a time of day", p->name, header->hour,
                   header->minute, header->second);
      return NULL;
    }

  /* File type from the reserved field. */
  header->file_type = header->is_bdf ? BX_FILE_BDF : BX_FILE_EDF;
  if (g_str_has_prefix (reserved, "EDF+") || g_str_has_prefix (reserved, "BDF+"))
    {
      char kind = reserved[4];

      if (kind != 'C' && kind != 'D')
        {
          g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                       "%s: reserved field is '%s' (expected 'EDF+C', 'EDF+D', 'BDF+C' or 'BDF+D')", p->name,
                       reserved);
          return NULL;
        }
      if ((reserved[0] == 'B') != header->is_bdf)
        warn (p, "%s: reserved field says '%.5s' in a%s file", p->name, reserved,
              header->is_bdf ? " BDF" : "n EDF");
      header->is_plus = TRUE;
      if (header->is_bdf)
        header->file_type = kind == 'C' ? BX_FILE_BDFPLUS_C : BX_FILE_BDFPLUS_D;
      else
        header->file_type = kind == 'C' ? BX_FILE_EDFPLUS_C : BX_FILE_EDFPLUS_D;
    }
  if (header->is_plus)
    {
      int year = edfplus_year (header->recording);

      /* The 2-digit year only covers 1985-2084; EDF+ gives all 4 digits. */
      if (year >= 1985 && year % 100 == date[2])
        header->year = year;
    }

  /* Signal count and header size. */
  if (n_signals < 1 || n_signals > MAX_SIGNALS)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                   "%s: number of signals is %" G_GINT64_FORMAT " (expected 1-%d)", p->name, n_signals,
                   MAX_SIGNALS);
      return NULL;
    }
  header->n_signals = (int)n_signals;
  if (header_bytes != MAIN_HEADER_BYTES + SIGNAL_HEADER_BYTES * n_signals)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                   "%s: number of header bytes is %" G_GINT64_FORMAT ", but %" G_GINT64_FORMAT
                   " signals need 256 + 256 x %" G_GINT64_FORMAT " = %" G_GINT64_FORMAT,
                   p->name, header_bytes, n_signals, n_signals,
                   MAIN_HEADER_BYTES + SIGNAL_HEADER_BYTES * n_signals);
      return NULL;
    }
  header->header_bytes = header_bytes;
  if ((gint64)size < header_bytes)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_TRUNCATED,
                   "%s: file is %" G_GSIZE_FORMAT " bytes, but the header of %" G_GINT64_FORMAT
                   " signals needs %" G_GINT64_FORMAT " bytes: truncated in the signal headers",
                   p->name, size, n_signals, header_bytes);
      return NULL;
    }

  /* Per-signal fields. */
  header->signals = g_new0 (BxEdfSignal, header->n_signals);
  for (int i = 0; i < header->n_signals; i++)
    {
      BxEdfSignal *s = &header->signals[i];
      g_autofree char *what = g_strdup_printf ("signal %d label", i + 1);

      s->label = text_field (p, signal_field_offset (header, 0, 16, i), 16, what);
    }
  for (int i = 0; i < header->n_signals; i++)
    {
      BxEdfSignal *s = &header->signals[i];
      g_autofree char *t_what = g_strdup_printf ("signal %d ('%s') transducer", i + 1, s->label);
      g_autofree char *d_what = g_strdup_printf ("signal %d ('%s') physical dimension", i + 1, s->label);
      g_autofree char *f_what = g_strdup_printf ("signal %d ('%s') prefilter", i + 1, s->label);
      double pmin, pmax, dmin, dmax, spr;

      s->transducer = text_field (p, signal_field_offset (header, 16, 80, i), 80, t_what);
      s->physical_dimension = text_field (p, signal_field_offset (header, 96, 8, i), 8, d_what);
      s->prefilter = text_field (p, signal_field_offset (header, 136, 80, i), 80, f_what);
      s->is_annotation
          = header->is_plus
            && (strcmp (s->label, "EDF Annotations") == 0 || strcmp (s->label, "BDF Annotations") == 0);
      if (s->is_annotation)
        n_annotation_signals++;

      if (!signal_number (p, i, 216, 8, "number of samples per data record", TRUE, &spr, error))
        return NULL;
      if (spr < 1 || spr > 1e8)
        {
          g_set_error (
              error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
              "%s: signal %d ('%s'): number of samples per data record is %.0f (expected at least 1)",
              p->name, i + 1, s->label, spr);
          return NULL;
        }
      s->samples_per_record = (int)spr;
      s->offset_in_record = offset;
      offset += (gint64)s->samples_per_record * header->sample_bytes;
      if (offset > MAX_RECORD_BYTES)
        {
          g_set_error (
              error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
              "%s: data records would be larger than 1 GB (signal %d ('%s') has %d samples per record)",
              p->name, i + 1, s->label, s->samples_per_record);
          return NULL;
        }

      if (!signal_number (p, i, 104, 8, "physical minimum", FALSE, &pmin, error)
          || !signal_number (p, i, 112, 8, "physical maximum", FALSE, &pmax, error)
          || !signal_number (p, i, 120, 8, "digital minimum", TRUE, &dmin, error)
          || !signal_number (p, i, 128, 8, "digital maximum", TRUE, &dmax, error))
        return NULL;
      s->physical_min = pmin;
      s->physical_max = pmax;
      s->digital_min = (int)CLAMP (dmin, G_MININT, G_MAXINT);
      s->digital_max = (int)CLAMP (dmax, G_MININT, G_MAXINT);
      /* Annotation signals carry text, not samples: their ranges are unused. */
      if (s->is_annotation)
        continue;
      if (pmin == pmax)
        {
          g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                       "%s: signal %d ('%s'): physical minimum equals physical maximum (%g)", p->name, i + 1,
                       s->label, pmin);
          return NULL;
        }
      if (dmin >= dmax)
        {
          g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                       "%s: signal %d ('%s'): digital minimum (%.0f) is not below digital maximum (%.0f)",
                       p->name, i + 1, s->label, dmin, dmax);
          return NULL;
        }
      if (dmin < min_digital || dmax > max_digital)
        warn (p,
              "%s: signal %d ('%s'): digital range %.0f..%.0f exceeds the %d-bit samples of %s; "
              "samples are scaled with it as written",
              p->name, i + 1, s->label, dmin, dmax, header->is_bdf ? 24 : 16, header->is_bdf ? "BDF" : "EDF");
    }
  header->record_bytes = offset;

  if (header->is_plus && n_annotation_signals == 0)
    {
      warn (p, "%s: reserved field says %s but there is no '%s Annotations' signal; read as plain %s",
            p->name, header->is_bdf ? "BDF+" : "EDF+", header->is_bdf ? "BDF" : "EDF",
            header->is_bdf ? "BDF" : "EDF");
      header->is_plus = FALSE;
      header->file_type = header->is_bdf ? BX_FILE_BDF : BX_FILE_EDF;
    }
  if (header->record_duration == 0 && n_annotation_signals < header->n_signals)
    {
      for (int i = 0; i < header->n_signals; i++)
        if (!header->signals[i].is_annotation)
          {
            g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                         "%s: data record duration is 0, but signal %d ('%s') has samples (its rate would be "
                         "infinite)",
                         p->name, i + 1, header->signals[i].label);
            return NULL;
          }
    }

  /* Records against the file size. */
  data_bytes = (gint64)size - header_bytes;
  records_present = data_bytes / header->record_bytes;
  header->n_records_declared = n_records;
  if (n_records == -1)
    {
      warn (p,
            "%s: number of data records is -1 (recording not finalised); using the %" G_GINT64_FORMAT
            " complete records in the file",
            p->name, records_present);
      n_records = records_present;
      if (data_bytes % header->record_bytes != 0)
        warn (p, "%s: the last %" G_GINT64_FORMAT " bytes are a partial data record and are ignored", p->name,
              data_bytes % header->record_bytes);
    }
  else if (n_records < 0)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                   "%s: number of data records is %" G_GINT64_FORMAT
                   " (expected >= 0, or -1 while recording)",
                   p->name, n_records);
      return NULL;
    }
  else if (n_records > records_present)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_TRUNCATED,
                   "%s: file is %" G_GSIZE_FORMAT " bytes, but the header declares %" G_GINT64_FORMAT
                   " data records of %" G_GINT64_FORMAT " bytes (%" G_GINT64_FORMAT
                   " bytes in all): truncated in data record %" G_GINT64_FORMAT,
                   p->name, size, n_records, header->record_bytes,
                   header_bytes + n_records * header->record_bytes, records_present + 1);
      return NULL;
    }
  else if (data_bytes > n_records * header->record_bytes)
    warn (p, "%s: %" G_GINT64_FORMAT " bytes after data record %" G_GINT64_FORMAT " are ignored", p->name,
          data_bytes - n_records * header->record_bytes, n_records);
  header->n_records = n_records;

  return g_steal_pointer (&header);
}
