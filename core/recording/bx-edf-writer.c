/* bx-edf-writer.c — EDF+C/BDF+C files with signals and annotations.
 *
 * Signals go through EDFlib. We quantise ourselves (edf_blockwrite_digital_
 * samples) against a physical range whose 8-character header text is exact,
 * so a reader that scales with the header values gets every sample back
 * within half a digital step: EDFlib would quantise with the double it was
 * given but store that value cut to 8 characters.
 *
 * EDFlib stores at most one annotation per data record and annotation
 * signal, at most 40 bytes of text (we cut long texts at a UTF-8 character
 * boundary) and no negative onsets; enough annotation signals are declared
 * for all annotations to fit.
 *
 * Annotation-only files (no signals) are written here, as Sleep-EDF's
 * hypnograms are: one data record of duration 0 whose single annotation
 * signal holds every TAL. EDFlib would instead write one 1-s record per
 * annotation, giving the file a duration it does not have.
 */
#include "bx-edf-writer.h"

#include <edflib.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bx-edf-header.h"

/* EDFlib's limits (edflib.c): 40 bytes of annotation text, 64 annotation signals. */
#define EDFLIB_ANNOTATION_TEXT_MAX 40
#define EDFLIB_ANNOTATION_SIGNALS_MAX 64

/* The value nearest `v` on the outward side (down for a minimum, up for a
 * maximum) whose decimal text fits the 8-character EDF field. */
static double
fit_edf_number (double v, gboolean round_up, char text[9])
{
  for (int decimals = 7; decimals >= 0; decimals--)
    {
      double scale = pow (10.0, decimals);
      double scaled = v * scale;
      /* Tolerate float noise so that 0.1 stays 0.1, not 0.1000001. */
      double r = (round_up ? ceil (scaled - 1e-6) : floor (scaled + 1e-6)) / scale;
      char buf[64];
      char format[8];

      /* Locale-independent: EDF numbers always use '.'. */
      g_snprintf (format, sizeof format, "%%.%df", decimals);
      g_ascii_formatd (buf, sizeof buf, format, r);
      /* Drop trailing zeros: "100.0000" -> "100". */
      if (strchr (buf, '.') != NULL)
        {
          char *end = buf + strlen (buf) - 1;

          while (*end == '0')
            *end-- = '\0';
          if (*end == '.')
            *end = '\0';
        }
      if (strcmp (buf, "-0") == 0)
        strcpy (buf, "0");
      if (strlen (buf) <= 8)
        {
          if (text != NULL)
            strcpy (text, buf);
          return g_ascii_strtod (buf, NULL);
        }
    }
  if (text != NULL)
    g_snprintf (text, 9, "%s", round_up ? "99999999" : "-9999999");
  return round_up ? 99999999.0 : -9999999.0;
}

static gboolean
printable_ascii (const char *s, gsize max_len)
{
  if (s == NULL)
    return TRUE;
  if (strlen (s) > max_len)
    return FALSE;
  for (; *s != '\0'; s++)
    if ((guchar)*s < 32 || (guchar)*s > 126)
      return FALSE;
  return TRUE;
}

/* An EDF+ header subfield: no spaces (they separate subfields), ASCII. */
static char *
subfield (const char *value)
{
  char *s;

  if (value == NULL || *value == '\0')
    return g_strdup ("X");
  s = g_str_to_ascii (value, "C");
  for (char *c = s; *c != '\0'; c++)
    if (*c == ' ' || (guchar)*c < 32 || (guchar)*c > 126)
      *c = '_';
  return s;
}

/* Cuts `text` to at most `max` bytes without splitting a UTF-8 character. */
static char *
utf8_cut (const char *text, gsize max)
{
  const char *end = text;

  if (!g_utf8_validate (text, -1, NULL))
    return g_str_to_ascii (text, "C");
  while (*end != '\0')
    {
      const char *next = g_utf8_next_char (end);

      if ((gsize)(next - text) > max)
        break;
      end = next;
    }
  return g_strndup (text, (gsize)(end - text));
}

/* "+12.5", "-0.25": up to 7 decimals, no trailing zeros. */
static void
format_tal_seconds (GString *out, double seconds, gboolean sign)
{
  char buf[64];
  char *end;

  g_ascii_formatd (buf, sizeof buf, "%.7f", seconds);
  if (sign && buf[0] != '-')
    g_string_append_c (out, '+');
  end = buf + strlen (buf) - 1;
  while (*end == '0')
    *end-- = '\0';
  if (*end == '.')
    *end = '\0';
  g_string_append (out, buf);
}

typedef struct
{
  BxFileType type;
  gboolean bdf;
  double record_duration;
  int year, month, day, hour, minute, second;
  int subsecond_100ns;
} Plan;

static gboolean
plan_header (const char *path, const BxWriteHeader *header, Plan *plan, GError **error)
{
  g_autofree char *name = g_path_get_basename (path);
  BxFileType type = header != NULL ? header->file_type : BX_FILE_EDFPLUS_C;

  switch (type)
    {
    case BX_FILE_EDF:
    case BX_FILE_EDFPLUS_C:
      plan->type = BX_FILE_EDFPLUS_C;
      plan->bdf = FALSE;
      break;
    case BX_FILE_BDF:
    case BX_FILE_BDFPLUS_C:
      plan->type = BX_FILE_BDFPLUS_C;
      plan->bdf = TRUE;
      break;
    case BX_FILE_EDFPLUS_D:
    case BX_FILE_BDFPLUS_D:
    default:
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                   "%s: only continuous EDF+ (EDF+C) and BDF+ (BDF+C) files can be written", name);
      return FALSE;
    }
  plan->record_duration = header != NULL && header->record_duration > 0 ? header->record_duration : 1.0;
  if (plan->record_duration < 0.001 || plan->record_duration > 60
      || fabs (plan->record_duration * 1e5 - round (plan->record_duration * 1e5)) > 1e-6)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                   "%s: data record duration %g s is not a multiple of 10 us between 0.001 and 60 s", name,
                   plan->record_duration);
      return FALSE;
    }
  if (header != NULL && header->start != NULL)
    {
      GDateTime *s = header->start;

      plan->year = g_date_time_get_year (s);
      plan->month = g_date_time_get_month (s);
      plan->day = g_date_time_get_day_of_month (s);
      plan->hour = g_date_time_get_hour (s);
      plan->minute = g_date_time_get_minute (s);
      plan->second = g_date_time_get_second (s);
      plan->subsecond_100ns = g_date_time_get_microsecond (s) * 10;
    }
  else
    {
      plan->year = 2000;
      plan->month = plan->day = 1;
      plan->hour = plan->minute = plan->second = 0;
      plan->subsecond_100ns = 0;
    }
  if (plan->year < 1985 || plan->year > 2084)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT,
                   "%s: start year %d cannot be stored in EDF (1985-2084)", name, plan->year);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_annotations (const char *name, const BxAnnotationList *annotations, GError **error)
{
  guint n = annotations != NULL ? bx_annotation_list_get_length (annotations) : 0;

  for (guint i = 0; i < n; i++)
    {
      const BxAnnotation *a = bx_annotation_list_get (annotations, i);

      if (!isfinite (a->onset) || a->onset < 0 || !isfinite (a->duration))
        {
          g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_RANGE,
                       "%s: annotation %u ('%s') has onset %g s and duration %g s; onsets must be >= 0", name,
                       i + 1, a->text, a->onset, a->duration);
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- annotation-only files ------------------------------------------------ */

static void
put_field (GString *h, const char *value, gsize width)
{
  gsize len = MIN (strlen (value), width);

  g_string_append_len (h, value, (gssize)len);
  for (gsize i = len; i < width; i++)
    g_string_append_c (h, ' ');
}

static gboolean
write_bytes_atomically (const char *path, const char *part, const char *bytes, gsize len, GError **error)
{
  FILE *f = g_fopen (part, "wb");
  gboolean ok;

  if (f == NULL)
    {
      int saved = errno;
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_IO, "%s: cannot create: %s", part,
                   g_strerror (saved));
      return FALSE;
    }
  ok = fwrite (bytes, 1, len, f) == len;
  ok = (fclose (f) == 0) && ok;
  if (!ok)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_IO, "%s: write failed", part);
      g_unlink (part);
      return FALSE;
    }
  if (g_rename (part, path) != 0)
    {
      int saved = errno;
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_IO, "%s: cannot rename to %s: %s", part,
                   path, g_strerror (saved));
      g_unlink (part);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_annotation_only (const char *path, const char *part, const BxWriteHeader *header, const Plan *plan,
                       const BxAnnotationList *annotations, GError **error)
{
  static const char *const months[]
      = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC" };
  g_autoptr (GString) tals = g_string_new (NULL);
  g_autoptr (GString) h = g_string_new (NULL);
  double sub = plan->subsecond_100ns / 1e7;
  guint n = annotations != NULL ? bx_annotation_list_get_length (annotations) : 0;
  g_autofree char *code = subfield (header != NULL ? header->patient_code : NULL);
  g_autofree char *pname = subfield (header != NULL ? header->patient_name : NULL);
  g_autofree char *tech = subfield (header != NULL ? header->technician : NULL);
  g_autofree char *equip = subfield (header != NULL ? header->equipment : NULL);
  g_autofree char *additional = NULL;
  g_autofree char *patient = NULL;
  g_autofree char *recording = NULL;
  char buf[64];
  gsize spr;
  int sample_bytes = plan->bdf ? 3 : 2;

  additional = header != NULL && header->recording_additional != NULL
                   ? g_str_to_ascii (header->recording_additional, "C")
                   : g_strdup ("");
  /* Time-keeping TAL of the only record: the sub-second start. */
  format_tal_seconds (tals, sub, TRUE);
  g_string_append (tals, "\x14\x14");
  g_string_append_c (tals, '\0');
  for (guint i = 0; i < n; i++)
    {
      const BxAnnotation *a = bx_annotation_list_get (annotations, i);

      format_tal_seconds (tals, a->onset + sub, TRUE);
      if (a->duration > 0)
        {
          g_string_append_c (tals, '\x15');
          format_tal_seconds (tals, a->duration, FALSE);
        }
      g_string_append_c (tals, '\x14');
      /* 0x14 and 0x15 separate TAL parts and 0 ends it: never inside a text. */
      for (const char *c = a->text; *c != '\0'; c++)
        g_string_append_c (tals, (*c == '\x14' || *c == '\x15') ? ' ' : *c);
      g_string_append_c (tals, '\x14');
      g_string_append_c (tals, '\0');
    }
  spr = (tals->len + (gsize)sample_bytes - 1) / (gsize)sample_bytes;
  if (spr > 99999999)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_RANGE,
                   "%s: %u annotations are too many for one file", path, n);
      return FALSE;
    }
  while (tals->len < spr * (gsize)sample_bytes)
    g_string_append_c (tals, '\0');

  patient = g_strdup_printf ("%s X X %s", code, pname);
  recording = g_strdup_printf ("Startdate %02d-%s-%04d X %s %s %s", plan->day, months[plan->month - 1],
                               plan->year, tech, equip, additional);
  if (plan->bdf)
    {
      g_string_append_c (h, '\xff');
      put_field (h, "BIOSEMI", 7);
    }
  else
    put_field (h, "0", 8);
  put_field (h, patient, 80);
  put_field (h, recording, 80);
  g_snprintf (buf, sizeof buf, "%02d.%02d.%02d", plan->day, plan->month, plan->year % 100);
  put_field (h, buf, 8);
  g_snprintf (buf, sizeof buf, "%02d.%02d.%02d", plan->hour, plan->minute, plan->second);
  put_field (h, buf, 8);
  put_field (h, "512", 8);
  put_field (h, plan->bdf ? "BDF+C" : "EDF+C", 44);
  put_field (h, "1", 8);
  put_field (h, "0", 8);
  put_field (h, "1", 4);
  put_field (h, plan->bdf ? "BDF Annotations" : "EDF Annotations", 16);
  put_field (h, "", 80);
  put_field (h, "", 8);
  put_field (h, "-1", 8);
  put_field (h, "1", 8);
  put_field (h, plan->bdf ? "-8388608" : "-32768", 8);
  put_field (h, plan->bdf ? "8388607" : "32767", 8);
  put_field (h, "", 80);
  g_snprintf (buf, sizeof buf, "%" G_GSIZE_FORMAT, spr);
  put_field (h, buf, 8);
  put_field (h, "", 32);
  g_assert (h->len == 512);
  g_string_append_len (h, tals->str, (gssize)tals->len);
  return write_bytes_atomically (path, part, h->str, h->len, error);
}

/* ---- signals through EDFlib ----------------------------------------------- */

typedef struct
{
  int samples_per_record;
  double physical_min, physical_max;
  int digital_min, digital_max;
  double to_digital;             /* digital steps per physical unit */
  char min_text[9], max_text[9]; /* the exact header text of the range */
} ChannelPlan;

static gboolean
plan_channel (const char *name, const Plan *plan, const BxWriteChannel *ch, guint index, ChannelPlan *cp,
              GError **error)
{
  double spr = ch->sample_rate * plan->record_duration;
  const char *label = ch->label != NULL ? ch->label : "";
  double lo = ch->physical_min, hi = ch->physical_max;

  if (*label == '\0' || !printable_ascii (label, 16))
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_CHANNEL,
                   "%s: channel %u: label '%s' must be 1-16 printable ASCII characters", name, index + 1,
                   label);
      return FALSE;
    }
  if (!printable_ascii (ch->physical_dimension, 8) || !printable_ascii (ch->transducer, 80)
      || !printable_ascii (ch->prefilter, 80))
    {
      g_set_error (
          error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_CHANNEL,
          "%s: channel '%s': unit (8), transducer (80) and prefilter (80) must be printable ASCII of at most "
          "that many characters",
          name, label);
      return FALSE;
    }
  if (!(ch->sample_rate > 0) || fabs (spr - round (spr)) > 1e-6 * MAX (1.0, spr) || round (spr) < 1
      || round (spr) > 1e7)
    {
      g_set_error (
          error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_CHANNEL,
          "%s: channel '%s': sample rate %g Hz x data record duration %g s = %g samples per record, not a "
          "whole number >= 1",
          name, label, ch->sample_rate, plan->record_duration, spr);
      return FALSE;
    }
  cp->samples_per_record = (int)round (spr);
  if (ch->n_samples < 0 || (ch->n_samples > 0 && ch->samples == NULL))
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_CHANNEL,
                   "%s: channel '%s': no samples given", name, label);
      return FALSE;
    }
  for (gint64 i = 0; i < ch->n_samples; i++)
    if (!isfinite (ch->samples[i]))
      {
        g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_CHANNEL,
                     "%s: channel '%s': sample %" G_GINT64_FORMAT " is not finite (%g)", name, label, i,
                     ch->samples[i]);
        return FALSE;
      }
  if (lo == 0 && hi == 0)
    {
      /* From the data, with 1% headroom so that a later edit of the same
       * scale rarely clips. */
      float mn = ch->n_samples > 0 ? ch->samples[0] : 0, mx = mn;
      double margin;

      for (gint64 i = 1; i < ch->n_samples; i++)
        {
          mn = MIN (mn, ch->samples[i]);
          mx = MAX (mx, ch->samples[i]);
        }
      margin = (mx > mn) ? 0.01 * ((double)mx - mn) : MAX (1.0, fabs (mx) * 0.01);
      lo = mn - margin;
      hi = mx + margin;
    }
  if (!isfinite (lo) || !isfinite (hi) || lo == hi)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_CHANNEL,
                   "%s: channel '%s': physical range %g..%g is empty", name, label, lo, hi);
      return FALSE;
    }
  /* An inverted range (min > max, XLTEK does it) is kept: round each end outward
   * on its own side. */
  cp->physical_min = fit_edf_number (lo, lo > hi, cp->min_text);
  cp->physical_max = fit_edf_number (hi, hi > lo, cp->max_text);
  if (cp->physical_min == cp->physical_max || fabs (cp->physical_min) >= 1e8
      || fabs (cp->physical_max) >= 1e8)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_CHANNEL,
                   "%s: channel '%s': physical range %g..%g cannot be written in 8 characters", name, label,
                   lo, hi);
      return FALSE;
    }
  cp->digital_min = plan->bdf ? -8388608 : -32768;
  cp->digital_max = plan->bdf ? 8388607 : 32767;
  cp->to_digital = ((double)cp->digital_max - cp->digital_min) / (cp->physical_max - cp->physical_min);
  return TRUE;
}

/* EDFlib prints the physical range into the header with its own
 * formatting, which may cut a digit (-242.124 becomes "-242.123") and then
 * disagree with the range we quantised with: write our exact text over
 * those fields. EDFlib puts the annotation signals after ours. */
static gboolean
rewrite_ranges (const char *part, const ChannelPlan *cps, const BxWriteChannel *channels, guint n_channels,
                GError **error)
{
  FILE *f = g_fopen (part, "r+b");
  char head[256];
  gboolean ok = f != NULL && fread (head, 1, 256, f) == 256;
  long n_signals = ok ? strtol (head + 252, NULL, 10) : 0;

  for (guint c = 0; ok && c < n_channels; c++)
    {
      char label[17] = { 0 };
      char field[8];

      /* Same layout as we expect: signal c carries our label. */
      ok = fseek (f, 256 + 16 * (long)c, SEEK_SET) == 0 && fread (label, 1, 16, f) == 16
           && strncmp (label, channels[c].label, strlen (channels[c].label)) == 0;
      memset (field, ' ', 8);
      memcpy (field, cps[c].min_text, strlen (cps[c].min_text));
      ok = ok && fseek (f, 256 + 104 * n_signals + 8 * (long)c, SEEK_SET) == 0
           && fwrite (field, 1, 8, f) == 8;
      memset (field, ' ', 8);
      memcpy (field, cps[c].max_text, strlen (cps[c].max_text));
      ok = ok && fseek (f, 256 + 112 * n_signals + 8 * (long)c, SEEK_SET) == 0
           && fwrite (field, 1, 8, f) == 8;
    }
  if (f != NULL && fclose (f) != 0)
    ok = FALSE;
  if (!ok)
    g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_IO, "%s: cannot finish the signal headers",
                 part);
  return ok;
}

static int
edflib_fail (const char *name, const char *what, GError **error)
{
  g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_IO, "%s: EDFlib refused %s", name, what);
  return FALSE;
}

static gboolean
write_signals (const char *name, const char *part, const BxWriteHeader *header, const Plan *plan,
               const BxWriteChannel *channels, guint n_channels, const BxAnnotationList *annotations,
               GError **error)
{
  g_autofree ChannelPlan *cps = g_new0 (ChannelPlan, n_channels);
  g_autofree int *record = NULL;
  gint64 n_records = 1, record_samples = 0;
  guint n_annotations = annotations != NULL ? bx_annotation_list_get_length (annotations) : 0;
  gint64 annotation_signals;
  int handle;
  gboolean ok = TRUE;
  GMutex *lock = bx_edflib_mutex ();

  for (guint c = 0; c < n_channels; c++)
    {
      if (!plan_channel (name, plan, &channels[c], c, &cps[c], error))
        return FALSE;
      n_records = MAX (n_records,
                       (channels[c].n_samples + cps[c].samples_per_record - 1) / cps[c].samples_per_record);
      record_samples += cps[c].samples_per_record;
    }
  annotation_signals = MAX (1, ((gint64)n_annotations + n_records - 1) / n_records);
  if (annotation_signals > EDFLIB_ANNOTATION_SIGNALS_MAX)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_RANGE,
                   "%s: %u annotations do not fit in %" G_GINT64_FORMAT
                   " data records (EDFlib stores at most %d per record)",
                   name, n_annotations, n_records, EDFLIB_ANNOTATION_SIGNALS_MAX);
      return FALSE;
    }

  g_mutex_lock (lock);
  handle = edfopen_file_writeonly (part, plan->bdf ? EDFLIB_FILETYPE_BDFPLUS : EDFLIB_FILETYPE_EDFPLUS,
                                   (int)n_channels);
  g_mutex_unlock (lock);
  if (handle < 0)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_IO, "%s: cannot create: %s", part,
                   bx_edflib_error_string (handle));
      return FALSE;
    }

  if (edf_set_datarecord_duration (handle, (int)llround (plan->record_duration * 1e5)) != 0)
    ok = edflib_fail (name, "the data record duration", error);
  if (ok && edf_set_number_of_annotation_signals (handle, (int)annotation_signals) != 0)
    ok = edflib_fail (name, "the number of annotation signals", error);
  if (ok
      && (edf_set_startdatetime (handle, plan->year, plan->month, plan->day, plan->hour, plan->minute,
                                 plan->second)
              != 0
          || edf_set_subsecond_starttime (handle, plan->subsecond_100ns) != 0))
    ok = edflib_fail (name, "the start date and time", error);
  if (ok && header != NULL)
    {
      g_autofree char *code = subfield (header->patient_code);
      g_autofree char *pname = header->patient_name != NULL ? subfield (header->patient_name) : NULL;
      g_autofree char *tech = header->technician != NULL ? subfield (header->technician) : NULL;
      g_autofree char *equip = header->equipment != NULL ? subfield (header->equipment) : NULL;
      g_autofree char *additional
          = header->recording_additional != NULL ? g_str_to_ascii (header->recording_additional, "C") : NULL;

      if (edf_set_patientcode (handle, code) != 0
          || (pname != NULL && edf_set_patientname (handle, pname) != 0)
          || (tech != NULL && edf_set_technician (handle, tech) != 0)
          || (equip != NULL && edf_set_equipment (handle, equip) != 0)
          || (additional != NULL && edf_set_recording_additional (handle, additional) != 0))
        ok = edflib_fail (name, "the patient/recording fields", error);
    }
  for (guint c = 0; ok && c < n_channels; c++)
    {
      const BxWriteChannel *ch = &channels[c];

      if (edf_set_samplefrequency (handle, (int)c, cps[c].samples_per_record) != 0
          || edf_set_physical_maximum (handle, (int)c, cps[c].physical_max) != 0
          || edf_set_physical_minimum (handle, (int)c, cps[c].physical_min) != 0
          || edf_set_digital_maximum (handle, (int)c, cps[c].digital_max) != 0
          || edf_set_digital_minimum (handle, (int)c, cps[c].digital_min) != 0
          || edf_set_label (handle, (int)c, ch->label) != 0
          || edf_set_physical_dimension (handle, (int)c,
                                         ch->physical_dimension != NULL ? ch->physical_dimension : "")
                 != 0
          || (ch->transducer != NULL && edf_set_transducer (handle, (int)c, ch->transducer) != 0)
          || (ch->prefilter != NULL && edf_set_prefilter (handle, (int)c, ch->prefilter) != 0))
        {
          g_autofree char *what = g_strdup_printf ("the header of channel '%s'", ch->label);
          ok = edflib_fail (name, what, error);
        }
    }

  /* One data record at a time: [channel 0 samples][channel 1 samples]... */
  record = g_new (int, MAX (record_samples, 1));
  for (gint64 r = 0; ok && r < n_records; r++)
    {
      int *out = record;

      for (guint c = 0; c < n_channels; c++)
        {
          const BxWriteChannel *ch = &channels[c];
          const ChannelPlan *cp = &cps[c];
          float last = ch->n_samples > 0 ? ch->samples[ch->n_samples - 1] : 0.0f;

          for (int k = 0; k < cp->samples_per_record; k++)
            {
              gint64 i = r * cp->samples_per_record + k;
              double x = i < ch->n_samples ? ch->samples[i] : last;
              double d = round ((x - cp->physical_min) * cp->to_digital + cp->digital_min);

              *out++ = (int)CLAMP (d, cp->digital_min, cp->digital_max);
            }
        }
      if (edf_blockwrite_digital_samples (handle, record) != 0)
        {
          g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_IO,
                       "%s: writing data record %" G_GINT64_FORMAT " failed (disk full?)", part, r + 1);
          ok = FALSE;
        }
    }

  for (guint i = 0; ok && i < n_annotations; i++)
    {
      const BxAnnotation *a = bx_annotation_list_get (annotations, i);
      g_autofree char *text = utf8_cut (a->text, EDFLIB_ANNOTATION_TEXT_MAX);
      /* EDFlib wants onsets and durations in units of 100 us. */
      long long onset = llround (a->onset * 1e4);
      long long duration = a->duration > 0 ? llround (a->duration * 1e4) : -1;

      if (edfwrite_annotation_utf8 (handle, onset, duration, text) != 0)
        {
          g_autofree char *what = g_strdup_printf ("annotation %u ('%s')", i + 1, a->text);
          ok = edflib_fail (name, what, error);
        }
    }

  g_mutex_lock (lock);
  if (edfclose_file (handle) != 0 && ok)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_IO, "%s: finishing the file failed", part);
      ok = FALSE;
    }
  g_mutex_unlock (lock);
  return ok && rewrite_ranges (part, cps, channels, n_channels, error);
}

gboolean
bx_edf_write (const char *path, const BxWriteHeader *header, const BxWriteChannel *channels, guint n_channels,
              const BxAnnotationList *annotations, GError **error)
{
  g_autofree char *name = NULL;
  g_autofree char *part = NULL;
  Plan plan = { 0 };

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (n_channels == 0 || channels != NULL, FALSE);
  name = g_path_get_basename (path);
  part = g_strconcat (path, ".part", NULL);

  if (!plan_header (path, header, &plan, error) || !check_annotations (name, annotations, error))
    return FALSE;
  if (n_channels > EDFLIB_MAXSIGNALS)
    {
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_CHANNEL,
                   "%s: %u channels (EDFlib writes at most %d)", name, n_channels, EDFLIB_MAXSIGNALS);
      return FALSE;
    }
  g_unlink (part);
  if (n_channels == 0)
    return write_annotation_only (path, part, header, &plan, annotations, error);

  if (!write_signals (name, part, header, &plan, channels, n_channels, annotations, error))
    {
      g_unlink (part);
      return FALSE;
    }
  if (g_rename (part, path) != 0)
    {
      int saved = errno;
      g_set_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_IO, "%s: cannot rename to %s: %s", part,
                   path, g_strerror (saved));
      g_unlink (part);
      return FALSE;
    }
  return TRUE;
}
