/* cmd-info.c — `bioxbridge-cli info FILE [--json]`: what a recording holds.
 *
 * Header (type, start with sub-second part, duration, data records), channels
 * (label, detected modality and confidence, rate, samples, unit, physical
 * range, prefilter), annotations (count and the first few), the hypnogram
 * summary when stage annotations exist, and the EDF+D segments and gaps. The
 * text and the JSON output carry the same facts.
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bx-cli-util.h"
#include "recording/bx-labels-io.h"
#include "recording/bx-recording.h"

int bx_cmd_info (int argc, char **argv);

/* Annotations listed in full before "...". */
#define INFO_FIRST_ANNOTATIONS 10
#define INFO_EPOCH_LENGTH 30.0

static const char *
file_type_name (BxFileType type)
{
  switch (type)
    {
    case BX_FILE_EDF:
      return "EDF";
    case BX_FILE_EDFPLUS_C:
      return "EDF+C";
    case BX_FILE_EDFPLUS_D:
      return "EDF+D";
    case BX_FILE_BDF:
      return "BDF";
    case BX_FILE_BDFPLUS_C:
      return "BDF+C";
    case BX_FILE_BDFPLUS_D:
      return "BDF+D";
    default:
      return "unknown";
    }
}

static char *
format_start (GDateTime *start)
{
  if (start == NULL)
    return g_strdup ("unknown");
  return g_date_time_format (start, "%Y-%m-%d %H:%M:%S.%f");
}

static char *
format_hms (double seconds)
{
  gint64 s = (gint64)floor (seconds + 0.5);

  return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d:%02d", s / 3600, (int)(s / 60 % 60), (int)(s % 60));
}

/* Stage codes that a summary lists, in hypnogram order. */
static const BxStage summary_stages[]
    = { BX_STAGE_WAKE, BX_STAGE_N1, BX_STAGE_N2, BX_STAGE_N3, BX_STAGE_N4, BX_STAGE_REM, BX_STAGE_MOVEMENT };

static void
print_text (BxRecording *recording, const BxHypnogram *hypnogram)
{
  const BxAnnotationList *annotations = bx_recording_get_annotations (recording);
  guint n_annotations = annotations != NULL ? bx_annotation_list_get_length (annotations) : 0;
  guint n_channels = bx_recording_get_n_channels (recording);
  guint n_segments = bx_recording_get_n_segments (recording);
  double duration = bx_recording_get_duration (recording);
  g_autofree char *start = format_start (bx_recording_get_start (recording));
  g_autofree char *hms = format_hms (duration);

  printf ("File:        %s\n", bx_recording_get_path (recording));
  printf ("Type:        %s\n", file_type_name (bx_recording_get_file_type (recording)));
  printf ("Start:       %s\n", start);
  printf ("Duration:    %.3f s (%s), %" G_GINT64_FORMAT " data records of %g s\n", duration, hms,
          bx_recording_get_n_records (recording), bx_recording_get_record_duration (recording));
  printf ("Patient:     %s\n",
          bx_recording_get_patient (recording) ? bx_recording_get_patient (recording) : "");
  printf ("Recording:   %s\n",
          bx_recording_get_recording_info (recording) ? bx_recording_get_recording_info (recording) : "");
  printf ("Equipment:   %s\n",
          bx_recording_get_equipment (recording) ? bx_recording_get_equipment (recording) : "");

  printf ("Channels:    %u\n", n_channels);
  printf ("  %3s  %-16s  %-8s %5s  %9s  %11s  %-6s  %-25s  %s\n", "#", "Label", "Modality", "Conf",
          "Rate(Hz)", "Samples", "Unit", "Physical range", "Prefilter");
  for (guint i = 0; i < n_channels; i++)
    {
      const BxChannel *ch = bx_recording_get_channel (recording, i);
      g_autofree char *range = g_strdup_printf ("%g .. %g", ch->physical_min, ch->physical_max);

      printf ("  %3u  %-16s  %-8s %5.2f  %9g  %11" G_GINT64_FORMAT "  %-6s  %-25s  %s\n", i, ch->label,
              bx_modality_to_string (ch->modality), ch->modality_confidence, ch->sample_rate, ch->n_samples,
              ch->physical_dimension ? ch->physical_dimension : "", range,
              ch->prefilter ? ch->prefilter : "");
    }

  printf ("Annotations: %u\n", n_annotations);
  for (guint i = 0; i < n_annotations && i < INFO_FIRST_ANNOTATIONS; i++)
    {
      const BxAnnotation *a = bx_annotation_list_get (annotations, i);
      g_autofree char *length
          = a->duration > 0.0 ? g_strdup_printf ("%10.3f s", a->duration) : g_strdup ("         -  ");

      printf ("  %+12.3f s  %s  %s\n", a->onset, length, a->text);
    }
  if (n_annotations > INFO_FIRST_ANNOTATIONS)
    printf ("  ... %u more\n", n_annotations - INFO_FIRST_ANNOTATIONS);

  if (hypnogram != NULL)
    {
      BxHypnogramSummary s;

      bx_hypnogram_summarize (hypnogram, &s);
      printf ("Hypnogram:   %u epochs of %g s from the stage annotations (%u unscored)\n", s.n_epochs,
              s.epoch_length, s.n_unknown);
      for (guint k = 0; k < G_N_ELEMENTS (summary_stages); k++)
        {
          BxStage st = summary_stages[k];
          guint n = s.n_stage[st];
          if (n == 0 && (st == BX_STAGE_N4 || st == BX_STAGE_MOVEMENT))
            continue;
          printf ("  %-3s %6u epochs  %7.1f min  %5.1f %%\n", bx_stage_to_string (st), n,
                  n * s.epoch_length / 60.0, s.n_epochs > 0 ? 100.0 * n / s.n_epochs : 0.0);
        }
      {
        g_autofree char *sol = s.sleep_onset_latency < 0
                                   ? g_strdup ("none")
                                   : g_strdup_printf ("%.1f min", s.sleep_onset_latency / 60.0);
        g_autofree char *rem
            = s.rem_latency < 0 ? g_strdup ("none") : g_strdup_printf ("%.1f min", s.rem_latency / 60.0);
        printf (
            "  Total sleep time %.1f min, sleep efficiency %.1f %%, sleep onset latency %s, REM latency %s,\n"
            "  WASO %.1f min, %u awakenings\n",
            s.total_sleep_time / 60.0, 100.0 * s.sleep_efficiency, sol, rem, s.waso / 60.0, s.n_awakenings);
      }
    }
  else
    printf ("Hypnogram:   none (no stage annotations)\n");

  {
    BxFileType type = bx_recording_get_file_type (recording);
    gboolean discontinuous = type == BX_FILE_EDFPLUS_D || type == BX_FILE_BDFPLUS_D;

    printf ("Segments:    %u%s\n", n_segments,
            !discontinuous
                ? " (continuous file)"
                : (n_segments > 1 ? " (discontinuous file, gaps below)" : " (discontinuous file, no gaps)"));
    if (!discontinuous)
      return;
  }
  {
    double record = bx_recording_get_record_duration (recording), prev_end = 0.0;

    for (guint i = 0; i < n_segments; i++)
      {
        const BxSegment *seg = bx_recording_get_segment (recording, i);
        double length = seg->n_records * record;

        printf ("  %3u  onset %12.3f s  length %12.3f s  records %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT
                "  gap before %.3f s\n",
                i, seg->onset, length, seg->first_record, seg->first_record + seg->n_records - 1,
                i == 0 ? 0.0 : seg->onset - prev_end);
        prev_end = seg->onset + length;
      }
  }
}

static void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_double (JsonBuilder *b, const char *name, double value)
{
  json_builder_set_member_name (b, name);
  if (isfinite (value))
    json_builder_add_double_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static JsonNode *
build_json (BxRecording *recording, const BxHypnogram *hypnogram)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  const BxAnnotationList *annotations = bx_recording_get_annotations (recording);
  guint n_annotations = annotations != NULL ? bx_annotation_list_get_length (annotations) : 0;
  g_autofree char *start = format_start (bx_recording_get_start (recording));
  double record = bx_recording_get_record_duration (recording), prev_end = 0.0;

  json_builder_begin_object (b);
  add_string (b, "file", bx_recording_get_path (recording));
  add_string (b, "type", file_type_name (bx_recording_get_file_type (recording)));
  add_string (b, "start", start);
  add_double (b, "duration", bx_recording_get_duration (recording));
  add_int (b, "n_records", bx_recording_get_n_records (recording));
  add_double (b, "record_duration", record);
  json_builder_set_member_name (b, "discontinuous");
  json_builder_add_boolean_value (b, bx_recording_get_file_type (recording) == BX_FILE_EDFPLUS_D
                                         || bx_recording_get_file_type (recording) == BX_FILE_BDFPLUS_D);
  add_string (b, "patient", bx_recording_get_patient (recording));
  add_string (b, "recording", bx_recording_get_recording_info (recording));
  add_string (b, "equipment", bx_recording_get_equipment (recording));

  json_builder_set_member_name (b, "channels");
  json_builder_begin_array (b);
  for (guint i = 0; i < bx_recording_get_n_channels (recording); i++)
    {
      const BxChannel *ch = bx_recording_get_channel (recording, i);

      json_builder_begin_object (b);
      add_int (b, "index", i);
      add_string (b, "label", ch->label);
      add_string (b, "transducer", ch->transducer);
      add_string (b, "modality", bx_modality_to_string (ch->modality));
      add_double (b, "modality_confidence", ch->modality_confidence);
      add_double (b, "sample_rate", ch->sample_rate);
      add_int (b, "n_samples", ch->n_samples);
      add_string (b, "unit", ch->physical_dimension);
      add_double (b, "physical_min", ch->physical_min);
      add_double (b, "physical_max", ch->physical_max);
      add_int (b, "digital_min", ch->digital_min);
      add_int (b, "digital_max", ch->digital_max);
      add_string (b, "prefilter", ch->prefilter);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  json_builder_set_member_name (b, "annotations");
  json_builder_begin_object (b);
  add_int (b, "count", n_annotations);
  json_builder_set_member_name (b, "first");
  json_builder_begin_array (b);
  for (guint i = 0; i < n_annotations && i < INFO_FIRST_ANNOTATIONS; i++)
    {
      const BxAnnotation *a = bx_annotation_list_get (annotations, i);
      json_builder_begin_object (b);
      add_double (b, "onset", a->onset);
      add_double (b, "duration", a->duration);
      add_string (b, "text", a->text);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "hypnogram");
  if (hypnogram != NULL)
    {
      BxHypnogramSummary s;

      bx_hypnogram_summarize (hypnogram, &s);
      json_builder_begin_object (b);
      add_int (b, "n_epochs", s.n_epochs);
      add_double (b, "epoch_length", s.epoch_length);
      add_int (b, "n_unscored", s.n_unknown);
      json_builder_set_member_name (b, "epochs");
      json_builder_begin_object (b);
      for (guint k = 0; k < G_N_ELEMENTS (summary_stages); k++)
        add_int (b, bx_stage_to_string (summary_stages[k]), s.n_stage[summary_stages[k]]);
      json_builder_end_object (b);
      add_double (b, "time_in_bed", s.time_in_bed);
      add_double (b, "total_sleep_time", s.total_sleep_time);
      add_double (b, "sleep_period_time", s.sleep_period_time);
      add_double (b, "sleep_efficiency", s.sleep_efficiency);
      add_double (b, "sleep_onset_latency", s.sleep_onset_latency);
      add_double (b, "rem_latency", s.rem_latency);
      add_double (b, "waso", s.waso);
      add_int (b, "n_awakenings", s.n_awakenings);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);

  json_builder_set_member_name (b, "segments");
  json_builder_begin_array (b);
  for (guint i = 0; i < bx_recording_get_n_segments (recording); i++)
    {
      const BxSegment *seg = bx_recording_get_segment (recording, i);
      double length = seg->n_records * record;

      json_builder_begin_object (b);
      add_double (b, "onset", seg->onset);
      add_double (b, "duration", length);
      add_int (b, "first_record", seg->first_record);
      add_int (b, "n_records", seg->n_records);
      add_double (b, "gap_before", i == 0 ? 0.0 : seg->onset - prev_end);
      json_builder_end_object (b);
      prev_end = seg->onset + length;
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

int
bx_cmd_info (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON instead of text", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("FILE - show what a recording holds");
  g_autoptr (GError) error = NULL;
  g_autoptr (BxRecording) recording = NULL;
  g_autoptr (BxHypnogram) hypnogram = NULL;
  const char *path;

  g_option_context_set_summary (context,
                                "Header, channels (with the detected modality), annotations, hypnogram\n"
                                "summary and EDF+D segments of an EDF/EDF+/BDF/BDF+ file.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!bx_cli_parse (context, &argc, &argv))
    return BX_EXIT_USAGE;
  if (argc != 2)
    return bx_cli_fail (BX_EXIT_USAGE, "info: expected exactly one FILE (try 'bioxbridge-cli info --help')");
  path = argv[1];

  recording = bx_recording_open (path, &error);
  if (recording == NULL)
    {
      /* The recording layer names the file (by its base name); make sure. */
      g_autofree char *base = g_path_get_basename (path);
      if (strstr (error->message, base) == NULL)
        return bx_cli_fail (BX_EXIT_BAD_INPUT, "%s: %s", path, error->message);
      return bx_cli_fail_error (error, TRUE);
    }

  if (bx_recording_get_annotations (recording) != NULL)
    hypnogram = bx_hypnogram_from_annotations (bx_recording_get_annotations (recording), INFO_EPOCH_LENGTH,
                                               bx_recording_get_duration (recording));

  if (json)
    {
      g_autoptr (JsonNode) root = build_json (recording, hypnogram);
      g_autoptr (JsonGenerator) generator = json_generator_new ();
      g_autofree char *text = NULL;

      json_generator_set_root (generator, root);
      json_generator_set_pretty (generator, TRUE);
      text = json_generator_to_data (generator, NULL);
      printf ("%s\n", text);
    }
  else
    print_text (recording, hypnogram);
  return BX_EXIT_OK;
}
