/* test-sim-edf.c — the synthetic night written as EDF+ and read back through
 * the recording layer: channels, samples within quantisation, modality
 * detection, stage annotations → the true hypnogram, arousals. */
#include <math.h>
#include <string.h>

#include "bx-test-data.h"
#include "recording/bx-labels-io.h"
#include "recording/bx-recording.h"
#include "sim/bx-sim-night.h"

static void
test_round_trip (void)
{
  BxSimParams params;
  g_autoptr (GError) error = NULL;
  g_autoptr (BxSimNight) night = NULL;
  g_autoptr (BxRecording) recording = NULL;
  g_autoptr (BxHypnogram) truth = NULL;
  g_autoptr (BxHypnogram) read_back = NULL;
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "night.edf", NULL);
  g_autoptr (GDateTime) start = NULL;
  const BxAnnotationList *annotations;
  guint n_arousal = 0;

  bx_sim_params_init (&params);
  params.seed = 9;
  params.hours = 1.0;
  params.eeg_rate = params.eog_rate = params.emg_rate = params.ecg_rate = 128.0;
  params.ppg_rate = 64.0;
  params.resp_rate = 16.0;
  night = bx_sim_night_generate (&params, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (bx_sim_night_save_edf (night, path, &error));
  g_assert_no_error (error);

  recording = bx_recording_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bx_recording_get_file_type (recording), ==, BX_FILE_EDFPLUS_C);
  g_assert_cmpfloat_with_epsilon (bx_recording_get_duration (recording), 3600.0, 1e-9);
  start = g_date_time_new_utc (2024, 1, 1, 22, 45, 0.0);
  g_assert_cmpint (g_date_time_compare (bx_recording_get_start (recording), start), ==, 0);
  g_assert_cmpuint (bx_recording_get_n_channels (recording), ==, night->n_channels);
  g_assert_cmpuint (bx_recording_get_n_segments (recording), ==, 1);

  for (guint i = 0; i < night->n_channels; i++)
    {
      const BxSimChannel *sc = &night->channels[i];
      const BxChannel *ch = bx_recording_get_channel (recording, i);
      /* 16-bit EDF: one step of the digital range in physical units. */
      double step = (sc->physical_max - sc->physical_min) / 65535.0;
      g_autofree float *samples = g_new (float, sc->n_samples);
      double worst = 0.0;

      g_assert_cmpstr (ch->label, ==, sc->label);
      g_assert_cmpstr (ch->physical_dimension, ==, sc->physical_dimension);
      g_assert_cmpfloat (ch->sample_rate, ==, sc->sample_rate);
      g_assert_cmpint (ch->n_samples, ==, sc->n_samples);
      g_assert_cmpfloat_with_epsilon (ch->physical_min, sc->physical_min, 1e-6);
      g_assert_cmpfloat_with_epsilon (ch->physical_max, sc->physical_max, 1e-6);
      /* The reader's modality detection recognises each generated channel. */
      if (ch->modality != sc->modality)
        g_error ("channel '%s' detected as %s, is %s", sc->label, bx_modality_to_string (ch->modality),
                 bx_modality_to_string (sc->modality));

      g_assert_true (bx_recording_read (recording, i, 0, sc->n_samples, samples, &error));
      g_assert_no_error (error);
      for (gint64 k = 0; k < sc->n_samples; k++)
        worst = MAX (worst, fabs ((double)samples[k] - sc->samples[k]));
      g_test_message ("%s: max |read - generated| = %.3g (step %.3g)", sc->label, worst, step);
      g_assert_cmpfloat (worst, <=,
                         0.5 * step + 1e-6 * MAX (fabs (sc->physical_min), fabs (sc->physical_max)));
    }

  annotations = bx_recording_get_annotations (recording);
  g_assert_nonnull (annotations);
  for (guint i = 0; i < bx_annotation_list_get_length (annotations); i++)
    n_arousal += strcmp (bx_annotation_list_get (annotations, i)->text, "Arousal") == 0;
  g_assert_cmpuint (n_arousal, ==, night->n_arousals);

  truth = bx_sim_night_get_hypnogram (night);
  read_back = bx_hypnogram_from_annotations (annotations, BX_SIM_EPOCH_LENGTH,
                                             bx_recording_get_duration (recording));
  g_assert_nonnull (read_back);
  g_assert_cmpuint (read_back->n_epochs, ==, night->n_epochs);
  g_assert_cmpmem (read_back->stages, read_back->n_epochs, night->stages, night->n_epochs);
  g_assert_cmpmem (truth->stages, truth->n_epochs, night->stages, night->n_epochs);

  g_clear_pointer (&recording, bx_recording_unref);
  bx_test_tmpdir_remove (dir);
}

static void
test_hypnogram_generate (void)
{
  g_autoptr (BxHypnogram) h = bx_sim_hypnogram_generate (4, 8.0);
  guint n = 0;
  g_autofree gint8 *stages = bx_sim_stages_generate (4, 8.0, &n);

  g_assert_cmpuint (h->n_epochs, ==, 960);
  g_assert_cmpfloat (h->epoch_length, ==, 30.0);
  g_assert_cmpfloat (h->start, ==, 0.0);
  g_assert_null (h->confidence);
  g_assert_cmpmem (h->stages, h->n_epochs, stages, n);
}

static void
test_write_errors (void)
{
  BxSimParams params;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *bad = g_build_filename (dir, "missing-folder", "night.edf", NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *ok_path = g_build_filename (dir, "cancelled.edf", NULL);

  bx_sim_params_init (&params);
  params.hours = 0.05;
  params.eeg_rate = params.eog_rate = params.emg_rate = params.ecg_rate = 64.0;
  g_assert_false (bx_sim_night_write_edf (&params, bad, NULL, &error));
  g_assert_error (error, BX_SIM_ERROR, BX_SIM_ERROR_WRITE);
  g_assert_nonnull (strstr (error->message, "night.edf"));
  g_clear_error (&error);

  /* Cancelled: no file, not even a partial one. */
  g_cancellable_cancel (cancellable);
  g_assert_false (bx_sim_night_write_edf (&params, ok_path, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (g_file_test (ok_path, G_FILE_TEST_EXISTS));
  bx_test_tmpdir_remove (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sim/edf-round-trip", test_round_trip);
  g_test_add_func ("/sim/hypnogram-generate", test_hypnogram_generate);
  g_test_add_func ("/sim/write-errors", test_write_errors);
  return g_test_run ();
}
