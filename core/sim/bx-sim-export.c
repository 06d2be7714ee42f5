/* bx-sim-export.c — the synthetic night as recording-layer objects: the true
 * hypnogram as a BxHypnogram and the whole night as an EDF+ file. */
#include "bx-sim-night.h"

#include <math.h>
#include <string.h>

#include "bx-sim-private.h"
#include "recording/bx-edf-writer.h"
#include "recording/bx-labels-io.h"

static BxHypnogram *
hypnogram_from_stages (const gint8 *stages, guint n_epochs)
{
  BxHypnogram *hypnogram = bx_hypnogram_new (0.0, BX_SIM_EPOCH_LENGTH, n_epochs);

  memcpy (hypnogram->stages, stages, n_epochs);
  return hypnogram;
}

BxHypnogram *
bx_sim_night_get_hypnogram (const BxSimNight *night)
{
  g_return_val_if_fail (night != NULL, NULL);
  return hypnogram_from_stages (night->stages, night->n_epochs);
}

BxHypnogram *
bx_sim_hypnogram_generate (guint64 seed, double hours)
{
  guint n = 0;
  g_autofree gint8 *stages = bx_sim_stages_generate (seed, hours, &n);

  return hypnogram_from_stages (stages, n);
}

gboolean
bx_sim_night_save_edf (const BxSimNight *night, const char *path, GError **error)
{
  g_autofree BxWriteChannel *channels = NULL;
  g_autoptr (BxHypnogram) hypnogram = NULL;
  g_autoptr (BxAnnotationList) annotations = NULL;
  g_autoptr (GDateTime) midnight = NULL, start = NULL;
  g_autofree char *patient_code = NULL, *recording = NULL;
  BxWriteHeader header = { 0 };
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (night != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  channels = g_new0 (BxWriteChannel, night->n_channels);
  for (guint i = 0; i < night->n_channels; i++)
    {
      const BxSimChannel *ch = &night->channels[i];

      channels[i].label = ch->label;
      channels[i].transducer = ch->transducer;
      channels[i].physical_dimension = ch->physical_dimension;
      channels[i].prefilter = ch->prefilter[0] != '\0' ? ch->prefilter : NULL;
      channels[i].sample_rate = ch->sample_rate;
      channels[i].physical_min = ch->physical_min;
      channels[i].physical_max = ch->physical_max;
      channels[i].samples = ch->samples;
      channels[i].n_samples = ch->n_samples;
    }

  /* Stage annotations "Sleep stage W" ... (one per run), then arousals. */
  hypnogram = bx_sim_night_get_hypnogram (night);
  annotations = bx_hypnogram_to_annotations (hypnogram);
  for (guint i = 0; i < night->n_arousals; i++)
    bx_annotation_list_add (annotations, night->arousal_onsets[i], night->arousal_durations[i], "Arousal");
  bx_annotation_list_sort (annotations);

  /* Lights off on 2024-01-01 at start_hour (microseconds kept: EDF+ stores
   * the sub-second part of the start in an annotation). */
  midnight = g_date_time_new_utc (2024, 1, 1, 0, 0, 0.0);
  start = g_date_time_add (midnight,
                           (GTimeSpan)floor (night->params.start_hour * 3600.0 * G_TIME_SPAN_SECOND + 0.5));
  patient_code = g_strdup_printf ("SIM-%" G_GUINT64_FORMAT, night->params.seed);
  recording = g_strdup_printf ("sim-seed-%" G_GUINT64_FORMAT, night->params.seed);
  header.file_type = BX_FILE_EDFPLUS_C;
  header.start = start;
  header.patient_code = patient_code;
  header.patient_name = "Synthetic sleeper";
  header.recording_additional = recording;
  header.equipment = "BioX Bridge simulator";
  header.technician = NULL;
  header.record_duration = 1.0;

  if (!bx_edf_write (path, &header, channels, night->n_channels, annotations, &local_error))
    {
      g_set_error (error, BX_SIM_ERROR, BX_SIM_ERROR_WRITE, "cannot write the synthetic night: %s",
                   local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
bx_sim_night_write_edf (const BxSimParams *params, const char *path, GCancellable *cancellable,
                        GError **error)
{
  g_autoptr (BxSimNight) night = NULL;

  g_return_val_if_fail (params != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  night = bx_sim_night_generate (params, cancellable, error);
  if (night == NULL)
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  return bx_sim_night_save_edf (night, path, error);
}
