/* cmd-simulate.c — `bioxbridge-cli simulate`: write the synthetic PSG night. */
#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

#include "bx-cli-util.h"
#include "sim/bx-sim-night.h"

int bx_cmd_simulate (int argc, char **argv);

/* Generation runs in a worker thread so that Ctrl-C (SIGINT) or SIGTERM can
 * cancel it from the main loop; nothing is written then. */
typedef struct
{
  const BxSimParams *params;
  GCancellable *cancellable;
  BxSimNight *night;
  GError *error;
  gint done;
} SimulateJob;

static gpointer
simulate_thread (gpointer data)
{
  SimulateJob *job = data;

  job->night = bx_sim_night_generate (job->params, job->cancellable, &job->error);
  g_atomic_int_set (&job->done, 1);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
on_signal (gpointer data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
  return G_SOURCE_CONTINUE;
}

int
bx_cmd_simulate (int argc, char **argv)
{
  BxSimParams params;
  double hours, eeg_rate, eog_rate, emg_rate, ecg_rate, ppg_rate, resp_rate;
  gint64 seed;
  int threads = 0;
  gboolean quiet = FALSE;
  g_autofree char *output = NULL;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BxSimNight) night = NULL;
  guint count[BX_STAGE_N_CODES] = { 0 };
  gint64 t0, t1;

  bx_sim_params_init (&params);
  hours = params.hours;
  seed = (gint64)params.seed;
  eeg_rate = params.eeg_rate;
  eog_rate = params.eog_rate;
  emg_rate = params.emg_rate;
  ecg_rate = params.ecg_rate;
  ppg_rate = params.ppg_rate;
  resp_rate = params.resp_rate;
  {
    GOptionEntry entries[] = {
      { "hours", 'H', 0, G_OPTION_ARG_DOUBLE, &hours, "Length of the night (default 8)", "H" },
      { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Random seed: the sleeper and the night (default 1)",
        "S" },
      { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "EDF+ file to write (required)", "FILE" },
      { "eeg-rate", 0, 0, G_OPTION_ARG_DOUBLE, &eeg_rate, "EEG sampling rate in Hz (default 256)", "HZ" },
      { "eog-rate", 0, 0, G_OPTION_ARG_DOUBLE, &eog_rate, "EOG sampling rate in Hz (default 256)", "HZ" },
      { "emg-rate", 0, 0, G_OPTION_ARG_DOUBLE, &emg_rate, "Chin EMG sampling rate in Hz (default 256)",
        "HZ" },
      { "ecg-rate", 0, 0, G_OPTION_ARG_DOUBLE, &ecg_rate, "ECG sampling rate in Hz (default 256)", "HZ" },
      { "ppg-rate", 0, 0, G_OPTION_ARG_DOUBLE, &ppg_rate, "PPG sampling rate in Hz (default 128)", "HZ" },
      { "resp-rate", 0, 0, G_OPTION_ARG_DOUBLE, &resp_rate, "Respiration sampling rate in Hz (default 32)",
        "HZ" },
      { "threads", 'j', 0, G_OPTION_ARG_INT, &threads,
        "Worker threads (0 = all cores; output does not depend on it)", "N" },
      { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing on success", NULL },
      { NULL, 0, 0, 0, NULL, NULL, NULL },
    };

    context = g_option_context_new ("- write a synthetic PSG night as EDF+");
    g_option_context_set_summary (
        context, "Generates a deterministic, physiologically plausible night (EEG, EOG, chin EMG, ECG, PPG,\n"
                 "respiration, SpO2, position) with its true hypnogram as EDF+ stage annotations.");
    g_option_context_add_main_entries (context, entries, NULL);
    if (!bx_cli_parse (context, &argc, &argv))
      return BX_EXIT_USAGE;
  }
  if (argc > 1)
    return bx_cli_fail (BX_EXIT_USAGE, "simulate: unexpected argument '%s'", argv[1]);
  if (output == NULL)
    return bx_cli_fail (BX_EXIT_USAGE, "simulate: an output file is required (-o night.edf)");
  if (seed < 0)
    return bx_cli_fail (BX_EXIT_USAGE, "simulate: seed %" G_GINT64_FORMAT " is negative", seed);
  if (threads < 0)
    return bx_cli_fail (BX_EXIT_USAGE, "simulate: --threads %d is negative", threads);

  params.hours = hours;
  params.seed = (guint64)seed;
  params.eeg_rate = eeg_rate;
  params.eog_rate = eog_rate;
  params.emg_rate = emg_rate;
  params.ecg_rate = ecg_rate;
  params.ppg_rate = ppg_rate;
  params.resp_rate = resp_rate;
  params.n_threads = (guint)threads;
  if (!bx_sim_params_validate (&params, &error))
    return bx_cli_fail (BX_EXIT_USAGE, "simulate: %s", error->message);

  t0 = g_get_monotonic_time ();
  {
    g_autoptr (GCancellable) cancellable = g_cancellable_new ();
    SimulateJob job = { &params, cancellable, NULL, NULL, 0 };
    guint sigint = g_unix_signal_add (SIGINT, on_signal, cancellable);
    guint sigterm = g_unix_signal_add (SIGTERM, on_signal, cancellable);
    GThread *thread;

    if (!quiet)
      {
        /* Printed once Ctrl-C is handled (the CLI tests wait for it). */
        printf ("Generating %.2f h, seed %" G_GUINT64_FORMAT " (Ctrl-C cancels)...\n", params.hours,
                params.seed);
        fflush (stdout);
      }
    thread = g_thread_new ("simulate", simulate_thread, &job);

    while (!g_atomic_int_get (&job.done))
      g_main_context_iteration (NULL, TRUE);
    g_thread_join (thread);
    g_source_remove (sigint);
    g_source_remove (sigterm);
    night = job.night;
    if (night == NULL)
      {
        int code = bx_cli_fail (BX_EXIT_FAILURE, "simulate: %s; nothing written to %s", job.error->message,
                                output);
        g_error_free (job.error);
        return code;
      }
  }
  t1 = g_get_monotonic_time ();
  if (!bx_sim_night_save_edf (night, output, &error))
    return bx_cli_fail_error (error, FALSE);

  if (!quiet)
    {
      for (guint e = 0; e < night->n_epochs; e++)
        if (night->stages[e] >= 0 && night->stages[e] < BX_STAGE_N_CODES)
          count[night->stages[e]]++;
      printf ("Wrote %s: %.2f h, %u channels, seed %" G_GUINT64_FORMAT ", %u epochs of 30 s\n", output,
              night->duration / 3600.0, night->n_channels, params.seed, night->n_epochs);
      printf ("Stages: W %.1f%%, N1 %.1f%%, N2 %.1f%%, N3 %.1f%%, R %.1f%%; %u arousals, %u heart beats\n",
              100.0 * count[BX_STAGE_WAKE] / night->n_epochs, 100.0 * count[BX_STAGE_N1] / night->n_epochs,
              100.0 * count[BX_STAGE_N2] / night->n_epochs, 100.0 * count[BX_STAGE_N3] / night->n_epochs,
              100.0 * count[BX_STAGE_REM] / night->n_epochs, night->n_arousals, night->n_beats);
      printf ("Generated in %.2f s, written in %.2f s\n", (t1 - t0) / 1e6,
              (g_get_monotonic_time () - t1) / 1e6);
    }
  return BX_EXIT_OK;
}
