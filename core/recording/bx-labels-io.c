/* bx-labels-io.c — label files (EDF+ annotations, DREAMS, CSV, TSV) to and from hypnograms. */
#include "bx-labels-io.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "bx-edf-writer.h"
#include "bx-recording.h"

/* Text label files are small (a night of 1 s epochs is < 3 MB); anything much
 * larger is not a label file and is refused before it is read into memory. */
#define MAX_TEXT_FILE_SIZE (256 * 1024 * 1024)

/* ------------------------------------------------------------------------ */
/* Label maps                                                               */
/* ------------------------------------------------------------------------ */

struct _BxLabelMap {
  BxLabelMapKind kind;
  BxStageSet set;
  GPtrArray *class_names;   /* char*, BX_LABEL_MAP_CLASSES */
  GPtrArray *alias_texts;   /* char* */
  GArray *alias_values;     /* int */
};

static BxLabelMap *
label_map_new (BxLabelMapKind kind)
{
  BxLabelMap *map = g_new0 (BxLabelMap, 1);

  map->kind = kind;
  map->class_names = g_ptr_array_new_with_free_func (g_free);
  map->alias_texts = g_ptr_array_new_with_free_func (g_free);
  map->alias_values = g_array_new (FALSE, FALSE, sizeof (int));
  return map;
}

BxLabelMap *
bx_label_map_new_stages (void)
{
  return label_map_new (BX_LABEL_MAP_STAGES);
}

BxLabelMap *
bx_label_map_new_stage_set (BxStageSet set)
{
  BxLabelMap *map = label_map_new (BX_LABEL_MAP_STAGE_SET);

  map->set = set;
  return map;
}

BxLabelMap *
bx_label_map_new_classes (const char *const *class_names, guint n_classes)
{
  BxLabelMap *map;

  g_return_val_if_fail (class_names != NULL || n_classes == 0, NULL);
  g_return_val_if_fail (n_classes <= 127, NULL);

  map = label_map_new (BX_LABEL_MAP_CLASSES);
  for (guint i = 0; i < n_classes; i++)
    g_ptr_array_add (map->class_names, g_strstrip (g_strdup (class_names[i])));
  return map;
}

void
bx_label_map_add_alias (BxLabelMap *map, const char *text, int value)
{
  g_return_if_fail (map != NULL && text != NULL);
  g_return_if_fail (value >= BX_STAGE_UNKNOWN && value <= 127);

  g_ptr_array_add (map->alias_texts, g_strstrip (g_strdup (text)));
  g_array_append_val (map->alias_values, value);
}

void
bx_label_map_free (BxLabelMap *map)
{
  if (map == NULL)
    return;
  g_ptr_array_unref (map->class_names);
  g_ptr_array_unref (map->alias_texts);
  g_array_unref (map->alias_values);
  g_free (map);
}

BxLabelMapKind
bx_label_map_get_kind (const BxLabelMap *map)
{
  g_return_val_if_fail (map != NULL, BX_LABEL_MAP_STAGES);
  return map->kind;
}

BxStageSet
bx_label_map_get_stage_set (const BxLabelMap *map)
{
  g_return_val_if_fail (map != NULL, BX_STAGE_SET_AASM);
  return map->set;
}

guint
bx_label_map_get_n_values (const BxLabelMap *map)
{
  if (map == NULL)
    return BX_STAGE_N_CODES;
  switch (map->kind)
    {
    case BX_LABEL_MAP_STAGES:
      return BX_STAGE_N_CODES;
    case BX_LABEL_MAP_STAGE_SET:
      return bx_stage_set_n_classes (map->set);
    case BX_LABEL_MAP_CLASSES:
      return map->class_names->len;
    default:
      g_return_val_if_reached (0);
    }
}

const char *
bx_label_map_get_name (const BxLabelMap *map, int value)
{
  if (map == NULL || map->kind == BX_LABEL_MAP_STAGES)
    return bx_stage_to_string ((BxStage) value);
  if (value < 0 || (guint) value >= bx_label_map_get_n_values (map))
    return "?";
  if (map->kind == BX_LABEL_MAP_STAGE_SET)
    return bx_stage_set_class_name (map->set, (guint) value);
  return g_ptr_array_index (map->class_names, value);
}

const char *
bx_label_map_get_annotation_text (const BxLabelMap *map, int value)
{
  if (map == NULL || map->kind == BX_LABEL_MAP_STAGES)
    return bx_stage_to_annotation_text ((BxStage) value);
  if (map->kind == BX_LABEL_MAP_STAGE_SET)
    {
      BxStage stage = bx_stage_set_class_stage (map->set, value);

      /* Sleep-EDF texts where the class is one stage, so EDFbrowser and MNE
       * users see the usual hypnogram texts; "Sleep" has no such text. */
      if (stage != BX_STAGE_UNKNOWN || value < 0 || (guint) value >= bx_label_map_get_n_values (map))
        return bx_stage_to_annotation_text (stage);
    }
  return bx_label_map_get_name (map, value);
}

gboolean
bx_label_map_lookup (const BxLabelMap *map, const char *text, int *out_value)
{
  g_autofree char *key = NULL;
  BxStage stage;

  g_return_val_if_fail (out_value != NULL, FALSE);
  if (text == NULL)
    return FALSE;

  key = g_strstrip (g_strdup (text));
  if (strcmp (key, "?") == 0 || g_ascii_strcasecmp (key, "n/a") == 0)
    {
      *out_value = BX_STAGE_UNKNOWN;
      return TRUE;
    }

  if (map != NULL)
    {
      for (guint i = 0; i < map->alias_texts->len; i++)
        if (g_ascii_strcasecmp (key, g_ptr_array_index (map->alias_texts, i)) == 0)
          {
            *out_value = g_array_index (map->alias_values, int, i);
            return TRUE;
          }
      if (map->kind == BX_LABEL_MAP_CLASSES)
        {
          for (guint i = 0; i < map->class_names->len; i++)
            if (g_ascii_strcasecmp (key, g_ptr_array_index (map->class_names, i)) == 0)
              {
                *out_value = (int) i;
                return TRUE;
              }
          return FALSE;
        }
      if (map->kind == BX_LABEL_MAP_STAGE_SET)
        for (guint i = 0; i < bx_stage_set_n_classes (map->set); i++)
          if (g_ascii_strcasecmp (key, bx_stage_set_class_name (map->set, i)) == 0)
            {
              *out_value = (int) i;
              return TRUE;
            }
    }

  if (!bx_stage_from_string (key, &stage))
    return FALSE;
  if (map != NULL && map->kind == BX_LABEL_MAP_STAGE_SET)
    *out_value = bx_stage_set_class (map->set, stage);
  else
    *out_value = stage;
  return TRUE;
}

/* "unknown stage" for stage maps, "unknown label" (with the known classes) otherwise. */
static char *
describe_unknown_label (const BxLabelMap *map, const char *label)
{
  GString *known;

  if (map == NULL || map->kind != BX_LABEL_MAP_CLASSES)
    return g_strdup_printf ("unknown stage '%s'", label);

  known = g_string_new (NULL);
  for (guint i = 0; i < map->class_names->len; i++)
    g_string_append_printf (known, "%s%s", i > 0 ? ", " : "", (const char *) g_ptr_array_index (map->class_names, i));
  for (guint i = 0; i < map->alias_texts->len; i++)
    g_string_append_printf (known, ", %s", (const char *) g_ptr_array_index (map->alias_texts, i));
  {
    char *message = g_strdup_printf ("unknown label '%s' (known: %s)", label, known->len > 0 ? known->str : "none");

    g_string_free (known, TRUE);
    return message;
  }
}

/* ------------------------------------------------------------------------ */
/* Label tracks                                                             */
/* ------------------------------------------------------------------------ */

struct _BxLabelTrack {
  char *source;
  BxLabelFormat format;
  GDateTime *start;
  GArray *events;  /* BxLabelEvent */
};

static void
label_event_clear (gpointer data)
{
  BxLabelEvent *event = data;

  g_free (event->label);
}

BxLabelTrack *
bx_label_track_new (const char *source, BxLabelFormat format)
{
  BxLabelTrack *track = g_new0 (BxLabelTrack, 1);

  track->source = g_strdup (source != NULL ? source : "labels");
  track->format = format;
  track->events = g_array_new (FALSE, FALSE, sizeof (BxLabelEvent));
  g_array_set_clear_func (track->events, label_event_clear);
  return track;
}

void
bx_label_track_free (BxLabelTrack *track)
{
  if (track == NULL)
    return;
  g_free (track->source);
  g_clear_pointer (&track->start, g_date_time_unref);
  g_array_unref (track->events);
  g_free (track);
}

void
bx_label_track_add (BxLabelTrack *track, double onset, double duration, const char *label, float confidence,
                    guint line)
{
  BxLabelEvent event;

  g_return_if_fail (track != NULL && label != NULL);

  event.onset = onset;
  event.duration = duration;
  event.label = g_strstrip (g_strdup (label));
  event.confidence = confidence;
  event.line = line;
  g_array_append_val (track->events, event);
}

guint
bx_label_track_get_length (const BxLabelTrack *track)
{
  g_return_val_if_fail (track != NULL, 0);
  return track->events->len;
}

const BxLabelEvent *
bx_label_track_get (const BxLabelTrack *track, guint index)
{
  g_return_val_if_fail (track != NULL && index < track->events->len, NULL);
  return &g_array_index (track->events, BxLabelEvent, index);
}

const char *
bx_label_track_get_source (const BxLabelTrack *track)
{
  g_return_val_if_fail (track != NULL, NULL);
  return track->source;
}

BxLabelFormat
bx_label_track_get_format (const BxLabelTrack *track)
{
  g_return_val_if_fail (track != NULL, BX_LABEL_FORMAT_AUTO);
  return track->format;
}

GDateTime *
bx_label_track_get_start (const BxLabelTrack *track)
{
  g_return_val_if_fail (track != NULL, NULL);
  return track->start;
}

void
bx_label_track_shift (BxLabelTrack *track, double offset)
{
  g_return_if_fail (track != NULL);
  for (guint i = 0; i < track->events->len; i++)
    g_array_index (track->events, BxLabelEvent, i).onset += offset;
}

double
bx_label_track_align (BxLabelTrack *track, GDateTime *recording_start)
{
  double offset;

  g_return_val_if_fail (track != NULL, 0.0);
  g_return_val_if_fail (recording_start != NULL, 0.0);

  if (track->start == NULL)
    return 0.0;
  offset = (double) g_date_time_difference (track->start, recording_start) / G_TIME_SPAN_SECOND;
  bx_label_track_shift (track, offset);
  g_date_time_unref (track->start);
  track->start = g_date_time_ref (recording_start);
  return offset;
}

gboolean
bx_label_track_has_confidence (const BxLabelTrack *track)
{
  g_return_val_if_fail (track != NULL, FALSE);
  for (guint i = 0; i < track->events->len; i++)
    if (!isnan (g_array_index (track->events, BxLabelEvent, i).confidence))
      return TRUE;
  return FALSE;
}

BxLabelTrack *
bx_label_track_new_from_annotations (const BxAnnotationList *annotations, const char *source)
{
  BxLabelTrack *track;
  guint n;

  g_return_val_if_fail (annotations != NULL, NULL);

  track = bx_label_track_new (source != NULL ? source : "annotations", BX_LABEL_FORMAT_EDF);
  n = bx_annotation_list_get_length (annotations);
  for (guint i = 0; i < n; i++)
    {
      const BxAnnotation *a = bx_annotation_list_get (annotations, i);

      /* EDF+ uses an empty or negative duration for "not applicable". */
      bx_label_track_add (track, a->onset, a->duration > 0 ? a->duration : 0.0, a->text != NULL ? a->text : "", NAN,
                          0);
    }
  return track;
}

/* ------------------------------------------------------------------------ */
/* Formats                                                                  */
/* ------------------------------------------------------------------------ */

static const struct {
  const char *name;
  BxLabelFormat format;
} format_names[] = {
  { "auto", BX_LABEL_FORMAT_AUTO }, { "edf", BX_LABEL_FORMAT_EDF },   { "edf+", BX_LABEL_FORMAT_EDF },
  { "bdf", BX_LABEL_FORMAT_EDF },   { "dreams", BX_LABEL_FORMAT_DREAMS }, { "csv", BX_LABEL_FORMAT_CSV },
  { "tsv", BX_LABEL_FORMAT_TSV },
};

gboolean
bx_label_format_from_string (const char *text, BxLabelFormat *out_format)
{
  g_return_val_if_fail (out_format != NULL, FALSE);
  if (text == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (format_names); i++)
    if (g_ascii_strcasecmp (text, format_names[i].name) == 0)
      {
        *out_format = format_names[i].format;
        return TRUE;
      }
  return FALSE;
}

const char *
bx_label_format_to_string (BxLabelFormat format)
{
  switch (format)
    {
    case BX_LABEL_FORMAT_AUTO:
      return "auto";
    case BX_LABEL_FORMAT_EDF:
      return "edf";
    case BX_LABEL_FORMAT_DREAMS:
      return "dreams";
    case BX_LABEL_FORMAT_CSV:
      return "csv";
    case BX_LABEL_FORMAT_TSV:
      return "tsv";
    default:
      g_return_val_if_reached ("?");
    }
}

static BxLabelFormat
format_from_extension (const char *path)
{
  const char *dot;

  if (path == NULL)
    return BX_LABEL_FORMAT_AUTO;
  dot = strrchr (path, '.');
  if (dot == NULL || strchr (dot, G_DIR_SEPARATOR) != NULL)
    return BX_LABEL_FORMAT_AUTO;
  dot++;
  if (g_ascii_strcasecmp (dot, "edf") == 0 || g_ascii_strcasecmp (dot, "bdf") == 0
      || g_ascii_strcasecmp (dot, "rec") == 0)
    return BX_LABEL_FORMAT_EDF;
  if (g_ascii_strcasecmp (dot, "csv") == 0)
    return BX_LABEL_FORMAT_CSV;
  if (g_ascii_strcasecmp (dot, "tsv") == 0)
    return BX_LABEL_FORMAT_TSV;
  return BX_LABEL_FORMAT_AUTO;
}

static gboolean
is_integer_text (const char *s, gsize n)
{
  gsize i = 0;

  if (n > 0 && (s[0] == '-' || s[0] == '+'))
    i = 1;
  if (i == n)
    return FALSE;
  for (; i < n; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

static BxLabelFormat
format_from_content (const char *head, gsize len)
{
  gsize pos = 0;

  if (head == NULL)
    return BX_LABEL_FORMAT_AUTO;
  /* EDF: version "0" and 7 blanks; BDF: 0xFF "BIOSEMI". */
  if (len >= 8 && memcmp (head, "0       ", 8) == 0)
    return BX_LABEL_FORMAT_EDF;
  if (len >= 8 && memcmp (head, "\xff" "BIOSEMI", 8) == 0)
    return BX_LABEL_FORMAT_EDF;
  if (len >= 3 && memcmp (head, "\xef\xbb\xbf", 3) == 0)
    pos = 3;

  /* First line that is neither blank nor a comment. */
  while (pos < len)
    {
      gsize end = pos, a, b;

      while (end < len && head[end] != '\n')
        end++;
      a = pos;
      b = end;
      while (a < b && g_ascii_isspace (head[a]))
        a++;
      while (b > a && g_ascii_isspace (head[b - 1]))
        b--;
      pos = end + 1;
      if (a == b || head[a] == '#')
        continue;
      if (head[a] == '[' && head[b - 1] == ']')
        return BX_LABEL_FORMAT_DREAMS;
      if (is_integer_text (head + a, b - a))
        return BX_LABEL_FORMAT_DREAMS;
      if (memchr (head + a, '\t', b - a) != NULL)
        return BX_LABEL_FORMAT_TSV;
      if (memchr (head + a, ',', b - a) != NULL)
        return BX_LABEL_FORMAT_CSV;
      return BX_LABEL_FORMAT_AUTO;
    }
  return BX_LABEL_FORMAT_AUTO;
}

BxLabelFormat
bx_label_format_guess (const char *path, const char *head, gsize head_len)
{
  BxLabelFormat format = format_from_extension (path);

  if (format != BX_LABEL_FORMAT_AUTO)
    return format;
  return format_from_content (head, head_len);
}

/* ------------------------------------------------------------------------ */
/* Text parsing                                                             */
/* ------------------------------------------------------------------------ */

typedef struct {
  const char *name;     /* for messages */
  const char *data;
  gsize length;
  gsize pos;
  guint line;           /* number of the line last returned (1-based) */
} LineReader;

static void
line_reader_init (LineReader *reader, const char *name, const char *data, gsize length)
{
  reader->name = name;
  reader->data = data;
  reader->length = length;
  reader->pos = 0;
  reader->line = 0;
  if (length >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    reader->pos = 3;
}

/* Next line that is not blank and not a '#' comment, without its line end
 * (LF, CRLF or a lone CR). Returns FALSE at the end. */
static gboolean
line_reader_next (LineReader *reader, const char **out_line, gsize *out_len)
{
  while (reader->pos < reader->length)
    {
      const char *start = reader->data + reader->pos;
      gsize n = 0, skip;
      gsize a = 0;

      while (reader->pos + n < reader->length && start[n] != '\n' && start[n] != '\r')
        n++;
      skip = n;
      if (reader->pos + skip < reader->length)
        {
          if (start[skip] == '\r' && reader->pos + skip + 1 < reader->length && start[skip + 1] == '\n')
            skip += 2;
          else
            skip += 1;
        }
      reader->pos += skip;
      reader->line++;

      while (a < n && (start[a] == ' ' || start[a] == '\t'))
        a++;
      if (a == n || start[a] == '#')
        continue;
      *out_line = start;
      *out_len = n;
      return TRUE;
    }
  return FALSE;
}

static void G_GNUC_PRINTF (4, 5)
set_line_error (GError **error, int code, const LineReader *reader, const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, BX_HYPNOGRAM_ERROR, code, "%s: line %u: %s", reader->name, reader->line, message);
}

/* A short, printable excerpt of a field for messages. */
static char *
quote_value (const char *value)
{
  g_autofree char *valid = g_utf8_make_valid (value, -1);

  if (g_utf8_strlen (valid, -1) > 40)
    {
      char *cut = g_utf8_substring (valid, 0, 40);
      char *out = g_strconcat (cut, "...", NULL);

      g_free (cut);
      return out;
    }
  return g_steal_pointer (&valid);
}

static gboolean
check_text (const char *name, const char *data, gsize length, GError **error)
{
  const char *end = NULL;

  if (!g_utf8_validate (data, (gssize) length, &end))
    {
      gsize offset = (gsize) (end - data);
      guint line = 1;

      for (gsize i = 0; i < offset; i++)
        if (data[i] == '\n')
          line++;
      g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_PARSE,
                   "%s: line %u: not UTF-8 text (byte 0x%02x at offset %" G_GSIZE_FORMAT ")", name, line,
                   (guint) (guchar) data[offset], offset);
      return FALSE;
    }
  return TRUE;
}

/* DREAMS R&K codes: 5=W 4=REM 3=S1 2=S2 1=S3 0=S4; anything else unscored. */
static const char *
dreams_code_label (gint64 code)
{
  switch (code)
    {
    case 5:
      return bx_stage_to_string (BX_STAGE_WAKE);
    case 4:
      return bx_stage_to_string (BX_STAGE_REM);
    case 3:
      return bx_stage_to_string (BX_STAGE_N1);
    case 2:
      return bx_stage_to_string (BX_STAGE_N2);
    case 1:
      return bx_stage_to_string (BX_STAGE_N3);
    case 0:
      return bx_stage_to_string (BX_STAGE_N4);
    default:
      return "?";
    }
}

static BxLabelTrack *
parse_dreams (const char *name, const char *data, gsize length, double epoch_length, GError **error)
{
  g_autoptr (BxLabelTrack) track = bx_label_track_new (name, BX_LABEL_FORMAT_DREAMS);
  LineReader reader;
  const char *line;
  gsize n;
  guint index = 0;
  gboolean first = TRUE;

  line_reader_init (&reader, name, data, length);
  while (line_reader_next (&reader, &line, &n))
    {
      g_autofree char *text = g_strstrip (g_strndup (line, n));
      gsize tn = strlen (text);
      gint64 code;
      char *end = NULL;

      if (first && tn >= 2 && text[0] == '[' && text[tn - 1] == ']')
        {
          first = FALSE;
          continue;
        }
      first = FALSE;
      errno = 0;
      code = g_ascii_strtoll (text, &end, 10);
      if (tn == 0 || !is_integer_text (text, tn) || errno != 0 || end != text + tn)
        {
          g_autofree char *shown = quote_value (text);

          set_line_error (error, BX_HYPNOGRAM_ERROR_PARSE, &reader,
                          "'%s' is not a DREAMS stage code (an integer: 5=W 4=REM 3=S1 2=S2 1=S3 0=S4)", shown);
          return NULL;
        }
      bx_label_track_add (track, index * epoch_length, epoch_length, dreams_code_label (code), NAN, reader.line);
      index++;
    }
  if (index == 0)
    {
      g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_EMPTY, "%s: no stage codes", name);
      return NULL;
    }
  return g_steal_pointer (&track);
}

/* Splits one CSV (RFC 4180, quoted fields on one line) or TSV line into
 * trimmed fields. */
static GPtrArray *
split_fields (const LineReader *reader, const char *line, gsize n, char separator, GError **error)
{
  g_autoptr (GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  gsize i = 0;

  for (;;)
    {
      GString *field = g_string_new (NULL);
      gsize a = i;

      while (a < n && line[a] == ' ')
        a++;
      if (separator == ',' && a < n && line[a] == '"')
        {
          gboolean closed = FALSE;

          i = a + 1;
          while (i < n)
            {
              if (line[i] == '"')
                {
                  if (i + 1 < n && line[i + 1] == '"')
                    {
                      g_string_append_c (field, '"');
                      i += 2;
                      continue;
                    }
                  closed = TRUE;
                  i++;
                  break;
                }
              g_string_append_c (field, line[i]);
              i++;
            }
          if (!closed)
            {
              set_line_error (error, BX_HYPNOGRAM_ERROR_PARSE, reader,
                              "unterminated quoted field (quoted fields cannot span lines)");
              g_string_free (field, TRUE);
              return NULL;
            }
          while (i < n && (line[i] == ' ' || line[i] == '\t'))
            i++;
          if (i < n && line[i] != separator)
            {
              set_line_error (error, BX_HYPNOGRAM_ERROR_PARSE, reader,
                              "unexpected '%c' after the closing quote of field %u", line[i], fields->len + 1);
              g_string_free (field, TRUE);
              return NULL;
            }
          g_ptr_array_add (fields, g_string_free (field, FALSE));
        }
      else
        {
          while (i < n && line[i] != separator)
            g_string_append_c (field, line[i++]);
          g_ptr_array_add (fields, g_strstrip (g_string_free (field, FALSE)));
        }
      if (i >= n)
        break;
      i++;  /* the separator */
    }
  return g_steal_pointer (&fields);
}

/* Column names compare case-insensitively with blanks and '-' read as '_',
 * so "Sleep Stage" finds sleep_stage. */
static gboolean
column_name_equal (const char *a, const char *b)
{
  for (;; a++, b++)
    {
      char ca = (*a == ' ' || *a == '-') ? '_' : g_ascii_tolower (*a);
      char cb = (*b == ' ' || *b == '-') ? '_' : g_ascii_tolower (*b);

      if (ca != cb)
        return FALSE;
      if (ca == '\0')
        return TRUE;
    }
}

static int
find_column (GPtrArray *header, const char *name)
{
  for (guint i = 0; i < header->len; i++)
    if (column_name_equal (g_ptr_array_index (header, i), name))
      return (int) i;
  return -1;
}

static gboolean
parse_number (const char *text, double *out)
{
  char *end = NULL;
  double v;

  if (*text == '\0')
    return FALSE;
  errno = 0;
  v = g_ascii_strtod (text, &end);
  if (errno != 0 || end == text || *end != '\0' || !isfinite (v))
    return FALSE;
  *out = v;
  return TRUE;
}

static const char *const default_label_columns[] = {
  "stage", "sleep_stage", "label", "trial_type", "description", "annotation", "value",
};

static BxLabelTrack *
parse_table (const char *name, const char *data, gsize length, BxLabelFormat format, const char *label_column,
             GError **error)
{
  g_autoptr (BxLabelTrack) track = bx_label_track_new (name, format);
  g_autoptr (GPtrArray) header = NULL;
  char separator = format == BX_LABEL_FORMAT_TSV ? '\t' : ',';
  const char *what = format == BX_LABEL_FORMAT_TSV ? "TSV" : "CSV";
  LineReader reader;
  const char *line;
  gsize n;
  int col_onset, col_duration, col_label = -1, col_confidence;

  line_reader_init (&reader, name, data, length);
  if (!line_reader_next (&reader, &line, &n))
    {
      g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_EMPTY,
                   "%s: empty %s file (expected a header row with onset, duration and a label column)", name, what);
      return NULL;
    }
  header = split_fields (&reader, line, n, separator, error);
  if (header == NULL)
    return NULL;

  col_onset = find_column (header, "onset");
  col_duration = find_column (header, "duration");
  col_confidence = find_column (header, "confidence");
  if (label_column != NULL)
    col_label = find_column (header, label_column);
  else
    for (gsize i = 0; i < G_N_ELEMENTS (default_label_columns) && col_label < 0; i++)
      col_label = find_column (header, default_label_columns[i]);

  if (col_onset < 0 || col_duration < 0 || col_label < 0)
    {
      g_autofree char *joined = NULL;
      g_autofree char *shown = NULL;
      const char *missing;

      g_ptr_array_add (header, NULL);
      joined = g_strjoinv (", ", (char **) header->pdata);
      shown = quote_value (joined);
      if (col_onset < 0)
        missing = "no 'onset' column";
      else if (col_duration < 0)
        missing = "no 'duration' column";
      else if (label_column != NULL)
        missing = "no label column";
      else
        missing = "no label column (stage, sleep_stage, label, trial_type, description, annotation or value)";
      if (label_column != NULL && col_onset >= 0 && col_duration >= 0)
        set_line_error (error, BX_HYPNOGRAM_ERROR_FORMAT, &reader, "no '%s' column in the %s header: %s",
                        label_column, what, shown);
      else
        set_line_error (error, BX_HYPNOGRAM_ERROR_FORMAT, &reader, "%s in the %s header: %s", missing, what, shown);
      return NULL;
    }

  while (line_reader_next (&reader, &line, &n))
    {
      g_autoptr (GPtrArray) fields = split_fields (&reader, line, n, separator, error);
      const char *text;
      double onset, duration = 0.0, confidence = NAN;

      if (fields == NULL)
        return NULL;
      if (fields->len != header->len)
        {
          set_line_error (error, BX_HYPNOGRAM_ERROR_PARSE, &reader, "%u fields, but the header has %u", fields->len,
                          header->len);
          return NULL;
        }

      text = g_ptr_array_index (fields, col_onset);
      if (!parse_number (text, &onset))
        {
          g_autofree char *shown = quote_value (text);

          set_line_error (error, BX_HYPNOGRAM_ERROR_PARSE, &reader, "onset '%s' is not a number", shown);
          return NULL;
        }

      text = g_ptr_array_index (fields, col_duration);
      if (g_ascii_strcasecmp (text, "n/a") != 0)
        {
          g_autofree char *shown = quote_value (text);

          if (!parse_number (text, &duration))
            {
              set_line_error (error, BX_HYPNOGRAM_ERROR_PARSE, &reader, "duration '%s' is not a number", shown);
              return NULL;
            }
          if (duration < 0)
            {
              set_line_error (error, BX_HYPNOGRAM_ERROR_PARSE, &reader, "negative duration '%s'", shown);
              return NULL;
            }
        }

      if (col_confidence >= 0)
        {
          text = g_ptr_array_index (fields, col_confidence);
          if (*text != '\0' && g_ascii_strcasecmp (text, "n/a") != 0)
            {
              g_autofree char *shown = quote_value (text);

              if (!parse_number (text, &confidence))
                {
                  set_line_error (error, BX_HYPNOGRAM_ERROR_PARSE, &reader, "confidence '%s' is not a number", shown);
                  return NULL;
                }
              if (confidence < 0 || confidence > 1)
                {
                  set_line_error (error, BX_HYPNOGRAM_ERROR_PARSE, &reader, "confidence '%s' is outside 0..1",
                                  shown);
                  return NULL;
                }
            }
        }

      text = g_ptr_array_index (fields, col_label);
      if (*text == '\0')
        {
          set_line_error (error, BX_HYPNOGRAM_ERROR_PARSE, &reader, "empty label in column '%s'",
                          (const char *) g_ptr_array_index (header, col_label));
          return NULL;
        }
      bx_label_track_add (track, onset, duration, text, (float) confidence, reader.line);
    }

  if (track->events->len == 0)
    {
      g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_EMPTY, "%s: the %s file has a header but no rows",
                   name, what);
      return NULL;
    }
  return g_steal_pointer (&track);
}

BxLabelTrack *
bx_label_track_parse (const char *name, const char *data, gsize length, const BxLabelReadOptions *options,
                      GError **error)
{
  BxLabelFormat format = options != NULL ? options->format : BX_LABEL_FORMAT_AUTO;
  double dreams_epoch = options != NULL && options->dreams_epoch_length > 0 ? options->dreams_epoch_length : 5.0;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (data == NULL)
    data = "";
  if (format == BX_LABEL_FORMAT_AUTO)
    format = bx_label_format_guess (name, data, MIN (length, 4096));
  if (format == BX_LABEL_FORMAT_EDF)
    {
      g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_FORMAT,
                   "%s: EDF+ label files must be read from a file (bx_label_track_read)", name);
      return NULL;
    }
  if (format == BX_LABEL_FORMAT_AUTO)
    {
      g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_FORMAT,
                   "%s: not a known label file format (EDF+, DREAMS text, CSV or TSV with an 'onset' column)", name);
      return NULL;
    }
  if (!check_text (name, data, length, error))
    return NULL;

  switch (format)
    {
    case BX_LABEL_FORMAT_DREAMS:
      return parse_dreams (name, data, length, dreams_epoch, error);
    case BX_LABEL_FORMAT_CSV:
    case BX_LABEL_FORMAT_TSV:
      return parse_table (name, data, length, format, options != NULL ? options->label_column : NULL, error);
    case BX_LABEL_FORMAT_AUTO:
    case BX_LABEL_FORMAT_EDF:
    default:
      g_return_val_if_reached (NULL);
    }
}

static BxLabelTrack *
read_edf (const char *path, GError **error)
{
  g_autoptr (BxRecording) recording = bx_recording_open (path, error);
  BxLabelTrack *track;
  GDateTime *start;

  if (recording == NULL)
    return NULL;
  track = bx_label_track_new_from_annotations (bx_recording_get_annotations (recording), path);
  start = bx_recording_get_start (recording);
  if (start != NULL)
    track->start = g_date_time_ref (start);
  return track;
}

BxLabelTrack *
bx_label_track_read (const char *path, const BxLabelReadOptions *options, GError **error)
{
  BxLabelReadOptions opts = { 0 };
  g_autofree char *contents = NULL;
  g_autoptr (GError) local_error = NULL;
  GStatBuf st;
  gsize length = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (options != NULL)
    opts = *options;
  if (opts.format == BX_LABEL_FORMAT_AUTO)
    opts.format = format_from_extension (path);
  if (opts.format == BX_LABEL_FORMAT_EDF)
    return read_edf (path, error);

  if (g_stat (path, &st) == 0 && st.st_size > MAX_TEXT_FILE_SIZE)
    {
      g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_FORMAT,
                   "%s: %" G_GINT64_FORMAT " bytes is too large for a text label file", path, (gint64) st.st_size);
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_IO, "%s: cannot read: %s", path,
                   local_error->message);
      return NULL;
    }
  if (opts.format == BX_LABEL_FORMAT_AUTO)
    opts.format = format_from_content (contents, MIN (length, 4096));
  if (opts.format == BX_LABEL_FORMAT_EDF)
    return read_edf (path, error);
  return bx_label_track_parse (path, contents, length, &opts, error);
}

/* ------------------------------------------------------------------------ */
/* Tracks onto an epoch grid                                                */
/* ------------------------------------------------------------------------ */

static gint64
gcd64 (gint64 a, gint64 b)
{
  a = a < 0 ? -a : a;
  b = b < 0 ? -b : b;
  while (b != 0)
    {
      gint64 t = a % b;

      a = b;
      b = t;
    }
  return a;
}

typedef struct {
  double onset, end;
  int value;
  float confidence;
} Interval;

/* Limits that keep a damaged or hostile label file from asking for gigabytes:
 * 10 million epochs is 115 days of 1 s epochs; the overlap limit bounds the
 * (epoch, interval) pairs of heavily overlapping labels. */
#define MAX_GRID_EPOCHS 10000000
#define MAX_GRID_OVERLAPS 50000000

/* Epoch range [i0, i1) an interval touches on a grid of n_epochs. */
static void
interval_epochs (const Interval *iv, double epoch_length, guint n_epochs, gint64 *i0, gint64 *i1)
{
  double first = floor (iv->onset / epoch_length);
  double last = ceil (iv->end / epoch_length);

  *i0 = (gint64) CLAMP (first, 0.0, (double) n_epochs);
  *i1 = (gint64) CLAMP (last, 0.0, (double) n_epochs);
}

/* Epoch values from intervals: each epoch takes the value covering most of
 * it; epochs covered less than half, or split evenly, stay unknown (with
 * confidence 0). The intervals touching each epoch are gathered first
 * (compressed rows: epoch i owns touching[row[i] .. row[i + 1])), so memory
 * grows with the epochs and overlaps, not with epochs × classes. Votes use
 * slot 0 for unknown and slot v + 1 for value v. */
static BxHypnogram *
intervals_to_grid (const char *source, const GArray *intervals, int max_value, double epoch_length, guint n_epochs,
                   gboolean with_confidence, GError **error)
{
  g_autoptr (BxHypnogram) hypnogram = NULL;
  gsize n_slots = (gsize) max_value + 2;
  g_autofree gsize *row = g_new0 (gsize, (gsize) n_epochs + 2);
  g_autofree guint *touching = NULL;
  g_autofree gsize *fill = NULL;
  g_autofree double *votes = g_new0 (double, n_slots);
  g_autofree double *weighted = g_new0 (double, n_slots);
  g_autofree double *confident = g_new0 (double, n_slots);
  gsize n_touching = 0;

  for (guint k = 0; k < intervals->len; k++)
    {
      gint64 i0, i1;

      interval_epochs (&g_array_index (intervals, Interval, k), epoch_length, n_epochs, &i0, &i1);
      for (gint64 i = i0; i < i1; i++)
        row[i + 1]++;
      n_touching += (gsize) (i1 - i0);
      if (n_touching > MAX_GRID_OVERLAPS)
        {
          g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_FORMAT,
                       "%s: the labels overlap too much (more than %d epoch-label pairs)", source,
                       MAX_GRID_OVERLAPS);
          return NULL;
        }
    }
  for (guint i = 0; i < n_epochs; i++)
    row[i + 1] += row[i];
  touching = g_new (guint, n_touching + 1);
  fill = g_memdup2 (row, sizeof (gsize) * ((gsize) n_epochs + 1));
  for (guint k = 0; k < intervals->len; k++)
    {
      gint64 i0, i1;

      interval_epochs (&g_array_index (intervals, Interval, k), epoch_length, n_epochs, &i0, &i1);
      for (gint64 i = i0; i < i1; i++)
        touching[fill[i]++] = k;
    }

  hypnogram = bx_hypnogram_new (0.0, epoch_length, n_epochs);
  if (with_confidence)
    bx_hypnogram_ensure_confidence (hypnogram);

  for (guint i = 0; i < n_epochs; i++)
    {
      double e0 = (double) i * epoch_length;
      double e1 = (double) (i + 1) * epoch_length;
      double covered = 0.0;
      gsize best = 0;
      gboolean tie = FALSE;

      if (row[i] == row[i + 1])
        continue;
      memset (votes, 0, sizeof (double) * n_slots);
      memset (weighted, 0, sizeof (double) * n_slots);
      memset (confident, 0, sizeof (double) * n_slots);
      for (gsize t = row[i]; t < row[i + 1]; t++)
        {
          const Interval *iv = &g_array_index (intervals, Interval, touching[t]);
          double overlap = MIN (iv->end, e1) - MAX (iv->onset, e0);
          gsize slot = iv->value < 0 ? 0 : (gsize) iv->value + 1;

          if (overlap <= 0)
            continue;
          votes[slot] += overlap;
          covered += overlap;
          if (!isnan (iv->confidence))
            {
              weighted[slot] += overlap * iv->confidence;
              confident[slot] += overlap;
            }
        }
      for (gsize s = 1; s < n_slots; s++)
        if (votes[s] > votes[best])
          best = s;
      for (gsize s = 0; s < n_slots; s++)
        if (s != best && fabs (votes[s] - votes[best]) <= 1e-9 * epoch_length)
          tie = TRUE;
      /* An epoch won by "?" events is unknown but keeps their confidence. */
      if (covered < 0.5 * epoch_length * (1 - 1e-9) || tie)
        continue;
      hypnogram->stages[i] = (gint8) (best - 1);
      if (with_confidence && confident[best] > 0)
        hypnogram->confidence[i] = (float) (weighted[best] / confident[best]);
    }
  return g_steal_pointer (&hypnogram);
}

static double
grid_size (double total_duration, double max_end, double epoch_length)
{
  double n;

  if (total_duration > 0)
    n = floor (total_duration / epoch_length + 1e-6);
  else
    n = ceil (max_end / epoch_length - 1e-6);
  return MAX (n, 0.0);
}

/* Shared by bx_label_track_to_hypnogram and bx_hypnogram_from_annotations.
 * Returns NULL with `error` set, or NULL without error when `allow_none` and
 * no event maps. */
static BxHypnogram *
track_to_hypnogram (const BxLabelTrack *track, const BxLabelMap *map, double epoch_length, double total_duration,
                    gboolean allow_none, GError **error)
{
  g_autoptr (GArray) intervals = g_array_new (FALSE, FALSE, sizeof (Interval));
  gboolean strict = track->format != BX_LABEL_FORMAT_EDF;
  gboolean with_confidence = FALSE;
  int max_value = -1;
  double max_end = 0.0;
  double n_epochs_needed;
  GArray *events = track->events;
  g_autoptr (GArray) mapped_values = g_array_new (FALSE, FALSE, sizeof (int));

  for (guint i = 0; i < events->len; i++)
    {
      const BxLabelEvent *e = &g_array_index (events, BxLabelEvent, i);
      int value;

      if (!bx_label_map_lookup (map, e->label, &value))
        {
          if (strict)
            {
              g_autofree char *shown = quote_value (e->label);
              g_autofree char *what = describe_unknown_label (map, shown);

              if (e->line > 0)
                g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_LABEL, "%s: line %u: %s", track->source,
                             e->line, what);
              else
                g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_LABEL, "%s: event %u: %s",
                             track->source, i + 1, what);
              return NULL;
            }
          value = G_MININT;
        }
      g_array_append_val (mapped_values, value);
    }

  /* Epoch length: the common grid of the onsets and durations (ms). */
  if (epoch_length <= 0)
    {
      gint64 g = 0;

      for (guint i = 0; i < events->len; i++)
        {
          const BxLabelEvent *e = &g_array_index (events, BxLabelEvent, i);

          if (g_array_index (mapped_values, int, i) == G_MININT)
            continue;
          g = gcd64 (g, (gint64) llround (e->onset * 1000.0));
          g = gcd64 (g, (gint64) llround (e->duration * 1000.0));
        }
      if (g < 100)
        {
          g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_FORMAT,
                       "%s: cannot infer an epoch length from the onsets and durations (common step %.3f s); "
                       "give the epoch length",
                       track->source, (double) g / 1000.0);
          return NULL;
        }
      epoch_length = (double) g / 1000.0;
    }

  for (guint i = 0; i < events->len; i++)
    {
      const BxLabelEvent *e = &g_array_index (events, BxLabelEvent, i);
      int value = g_array_index (mapped_values, int, i);
      Interval iv;

      if (value == G_MININT)
        continue;
      iv.onset = e->onset;
      iv.end = e->onset + (e->duration > 0 ? e->duration : epoch_length);
      iv.value = value;
      iv.confidence = e->confidence;
      if (!isnan (e->confidence))
        with_confidence = TRUE;
      max_value = MAX (max_value, value);
      max_end = MAX (max_end, iv.end);
      g_array_append_val (intervals, iv);
    }

  if (intervals->len == 0)
    {
      if (!allow_none)
        {
          if (map != NULL && map->kind == BX_LABEL_MAP_CLASSES)
            g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_EMPTY, "%s: no label of the known classes",
                         track->source);
          else
            g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_EMPTY, "%s: no sleep stage label",
                         track->source);
        }
      return NULL;
    }

  n_epochs_needed = grid_size (total_duration, max_end, epoch_length);
  if (!(n_epochs_needed <= MAX_GRID_EPOCHS))
    {
      g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_FORMAT,
                   "%s: %.0f epochs of %g s (labels up to %g s) exceed the limit of %d epochs", track->source,
                   n_epochs_needed, epoch_length, total_duration > 0 ? total_duration : max_end, MAX_GRID_EPOCHS);
      return NULL;
    }
  return intervals_to_grid (track->source, intervals, max_value, epoch_length, (guint) n_epochs_needed,
                            with_confidence, error);
}

BxHypnogram *
bx_label_track_to_hypnogram (const BxLabelTrack *track, const BxLabelMap *map, double epoch_length,
                             double total_duration, GError **error)
{
  g_return_val_if_fail (track != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  return track_to_hypnogram (track, map, epoch_length, total_duration, FALSE, error);
}

BxHypnogram *
bx_hypnogram_from_annotations (const BxAnnotationList *annotations, double epoch_length, double total_duration)
{
  g_autoptr (BxLabelTrack) track = NULL;

  g_return_val_if_fail (annotations != NULL, NULL);
  g_return_val_if_fail (epoch_length > 0, NULL);

  track = bx_label_track_new_from_annotations (annotations, "annotations");
  return track_to_hypnogram (track, NULL, epoch_length, total_duration, TRUE, NULL);
}

BxHypnogram *
bx_labels_read_hypnogram (const char *path, const BxLabelReadOptions *options, const BxLabelMap *map,
                          double epoch_length, double total_duration, GError **error)
{
  g_autoptr (BxLabelTrack) track = bx_label_track_read (path, options, error);

  if (track == NULL)
    return NULL;
  return bx_label_track_to_hypnogram (track, map, epoch_length, total_duration, error);
}

BxHypnogram *
bx_labels_whole_recording (const BxLabelMap *map, const char *label, double duration, double epoch_length,
                           GError **error)
{
  int value;
  double n;

  g_return_val_if_fail (label != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(duration > 0) || !isfinite (duration))
    {
      g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_PARSE,
                   "recording duration %g s: a whole-recording label needs a positive duration", duration);
      return NULL;
    }
  if (!bx_label_map_lookup (map, label, &value))
    {
      g_autofree char *shown = quote_value (label);
      g_autofree char *what = describe_unknown_label (map, shown);

      g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_LABEL, "whole-recording label: %s", what);
      return NULL;
    }
  if (epoch_length <= 0)
    return bx_hypnogram_new_filled (0.0, duration, 1, (gint8) value);
  n = ceil (duration / epoch_length - 1e-9);
  return bx_hypnogram_new_filled (0.0, epoch_length, (guint) MAX (n, 1.0), (gint8) value);
}

/* ------------------------------------------------------------------------ */
/* Writing                                                                  */
/* ------------------------------------------------------------------------ */

BxAnnotationList *
bx_labels_hypnogram_to_annotations (const BxHypnogram *hypnogram, const BxLabelMap *map)
{
  BxAnnotationList *list;
  guint i = 0;

  g_return_val_if_fail (hypnogram != NULL, NULL);

  list = bx_annotation_list_new ();
  while (i < hypnogram->n_epochs)
    {
      guint j = i + 1;

      while (j < hypnogram->n_epochs && hypnogram->stages[j] == hypnogram->stages[i])
        j++;
      bx_annotation_list_add (list, hypnogram->start + (double) i * hypnogram->epoch_length,
                              (double) (j - i) * hypnogram->epoch_length,
                              bx_label_map_get_annotation_text (map, hypnogram->stages[i]));
      i = j;
    }
  return list;
}

BxAnnotationList *
bx_hypnogram_to_annotations (const BxHypnogram *hypnogram)
{
  return bx_labels_hypnogram_to_annotations (hypnogram, NULL);
}

/* Seconds with up to 15 significant digits, so 0.1 * 3 prints as 0.3. */
static void
append_seconds (GString *out, double seconds)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (seconds == 0)
    seconds = 0;  /* no "-0" */
  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.15g", seconds));
}

/* The shortest decimal that reads back as the same float; "n/a" for NaN
 * (a model that produced no probability). */
static void
append_confidence (GString *out, float value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (value))
    {
      g_string_append (out, "n/a");
      return;
    }

  for (int digits = 1; digits <= 9; digits++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", digits);
      g_ascii_formatd (buf, sizeof buf, format, (double) value);
      if ((float) g_ascii_strtod (buf, NULL) == value)
        break;
    }
  g_string_append (out, buf);
}

static void
append_csv_field (GString *out, const char *text)
{
  gsize n = strlen (text);

  if (n > 0 && strpbrk (text, ",\"\r\n") == NULL && text[0] != ' ' && text[n - 1] != ' ' && text[0] != '#')
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      /* A line end inside a field cannot be read back: quoted fields stay on one line. */
      if (*p == '\r' || *p == '\n')
        g_string_append_c (out, ' ');
      else if (*p == '"')
        g_string_append (out, "\"\"");
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
append_tsv_field (GString *out, const char *text)
{
  /* BIDS TSV has no quoting: tabs and line ends become blanks. */
  for (const char *p = text; *p != '\0'; p++)
    g_string_append_c (out, (*p == '\t' || *p == '\r' || *p == '\n') ? ' ' : *p);
}

static char *
format_table (const BxHypnogram *hypnogram, const BxLabelWriteOptions *options, BxLabelFormat format)
{
  GString *out = g_string_new (NULL);
  gboolean tsv = format == BX_LABEL_FORMAT_TSV;
  const char *sep = tsv ? "\t" : ",";
  gboolean with_confidence = hypnogram->confidence != NULL && !options->omit_confidence;
  guint i = 0;

  g_string_append_printf (out, "onset%sduration%s%s", sep, sep, tsv ? "trial_type" : "label");
  if (with_confidence)
    g_string_append_printf (out, "%sconfidence", sep);
  g_string_append_c (out, '\n');

  while (i < hypnogram->n_epochs)
    {
      guint j = i + 1;
      const char *name = bx_label_map_get_name (options->map, hypnogram->stages[i]);

      if (options->merge_runs)
        while (j < hypnogram->n_epochs && hypnogram->stages[j] == hypnogram->stages[i])
          j++;
      append_seconds (out, hypnogram->start + (double) i * hypnogram->epoch_length);
      g_string_append (out, sep);
      append_seconds (out, (double) (j - i) * hypnogram->epoch_length);
      g_string_append (out, sep);
      if (tsv)
        append_tsv_field (out, name);
      else
        append_csv_field (out, name);
      if (with_confidence)
        {
          double sum = 0.0;

          for (guint k = i; k < j; k++)
            sum += hypnogram->confidence[k];
          g_string_append (out, sep);
          append_confidence (out, (float) (sum / (j - i)));
        }
      g_string_append_c (out, '\n');
      i = j;
    }
  return g_string_free (out, FALSE);
}

gboolean
bx_labels_write_hypnogram (const char *path, const BxHypnogram *hypnogram, const BxLabelWriteOptions *options,
                           GError **error)
{
  BxLabelWriteOptions opts = { 0 };
  BxLabelFormat format;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (hypnogram != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (options != NULL)
    opts = *options;
  format = opts.format != BX_LABEL_FORMAT_AUTO ? opts.format : format_from_extension (path);

  switch (format)
    {
    case BX_LABEL_FORMAT_CSV:
    case BX_LABEL_FORMAT_TSV:
      {
        g_autofree char *text = format_table (hypnogram, &opts, format);
        g_autoptr (GError) local_error = NULL;

        /* g_file_set_contents writes a temporary file beside `path` and renames it. */
        if (!g_file_set_contents (path, text, (gssize) strlen (text), &local_error))
          {
            g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_IO, "%s: cannot write: %s", path,
                         local_error->message);
            return FALSE;
          }
        return TRUE;
      }
    case BX_LABEL_FORMAT_EDF:
      {
        g_autoptr (BxAnnotationList) annotations = bx_labels_hypnogram_to_annotations (hypnogram, opts.map);
        const char *dot = strrchr (path, '.');
        BxWriteHeader header = { 0 };

        header.file_type = dot != NULL && g_ascii_strcasecmp (dot, ".bdf") == 0 ? BX_FILE_BDFPLUS_C
                                                                                 : BX_FILE_EDFPLUS_C;
        header.start = opts.start;
        header.patient_code = opts.patient_code;
        return bx_edf_write (path, &header, NULL, 0, annotations, error);
      }
    case BX_LABEL_FORMAT_DREAMS:
      g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_FORMAT,
                   "%s: writing DREAMS text hypnograms is not supported (use .csv, .tsv or .edf)", path);
      return FALSE;
    case BX_LABEL_FORMAT_AUTO:
    default:
      g_set_error (error, BX_HYPNOGRAM_ERROR, BX_HYPNOGRAM_ERROR_FORMAT,
                   "%s: cannot tell the label format from the file name (use .csv, .tsv or .edf)", path);
      return FALSE;
    }
}
