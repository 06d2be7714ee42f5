/* bench-decode.c — how fast a full PSG night decodes to float32.
 *
 *   bench-decode [night.edf]
 *
 * Writes (once: an existing file is reused) an 8-h EDF+ night of 20 channels
 * at 256 Hz with plausible signals (EEG rhythms, EOG, EMG, ECG, PPG,
 * respiration, SpO2, position), then decodes every channel in full:
 *   1. bx_recording_read(): our decoder over the mapped data records;
 *   2. bx_recording_read_edflib(): EDFlib's edfseek + edfread_physical_samples.
 * Prints seconds, MB/s of file data and Msamples/s for each, one core. The
 * target is < 2 s for the whole night. */
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <time.h>

#include "recording/bx-edf-writer.h"

#define HOURS 8
#define RATE 256
#define N_CHANNELS 20

typedef struct
{
  const char *label;
  const char *unit;
  BxModality kind;
} Spec;

static const Spec specs[N_CHANNELS] = {
  { "EEG F3-M2", "uV", BX_MODALITY_EEG },  { "EEG F4-M1", "uV", BX_MODALITY_EEG },
  { "EEG C3-M2", "uV", BX_MODALITY_EEG },  { "EEG C4-M1", "uV", BX_MODALITY_EEG },
  { "EEG O1-M2", "uV", BX_MODALITY_EEG },  { "EEG O2-M1", "uV", BX_MODALITY_EEG },
  { "EEG Fpz-Cz", "uV", BX_MODALITY_EEG }, { "EEG Pz-Oz", "uV", BX_MODALITY_EEG },
  { "EOG E1-M2", "uV", BX_MODALITY_EOG },  { "EOG E2-M1", "uV", BX_MODALITY_EOG },
  { "EMG Chin", "uV", BX_MODALITY_EMG },   { "EMG Leg L", "uV", BX_MODALITY_EMG },
  { "EMG Leg R", "uV", BX_MODALITY_EMG },  { "ECG II", "mV", BX_MODALITY_ECG },
  { "Pleth", "", BX_MODALITY_PPG },        { "Flow", "", BX_MODALITY_RESP },
  { "Thor", "", BX_MODALITY_RESP },        { "Abdo", "", BX_MODALITY_RESP },
  { "SpO2", "%", BX_MODALITY_SPO2 },       { "Pos", "", BX_MODALITY_POSITION },
};

/* xorshift32 uniform noise in [-1, 1): cheap and deterministic. */
static inline float
noise (guint32 *state)
{
  guint32 x = *state;

  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return (float)((double)x / 2147483648.0 - 1.0);
}

static void
synthesise (const Spec *spec, int index, gint64 n, float *x)
{
  guint32 state = 2463534242u + (guint32)index * 7919u;
  double heart = 1.0; /* Hz */

  for (gint64 i = 0; i < n; i++)
    {
      double t = (double)i / RATE;
      /* A sleep-cycle-like slow modulation: deep sleep every ~90 min. */
      double depth = 0.5 + 0.5 * sin (2 * G_PI * t / 5400.0);
      double beat = fmod (t * heart, 1.0);

      switch (spec->kind)
        {
        case BX_MODALITY_EEG:
          x[i] = (float)(60 * depth * sin (2 * G_PI * 1.5 * t + index)
                         + 15 * (1 - depth) * sin (2 * G_PI * 10 * t) + 8 * noise (&state));
          break;
        case BX_MODALITY_EOG:
          x[i] = (float)(80 * sin (2 * G_PI * 0.3 * t + index) * (1 - depth) + 10 * noise (&state));
          break;
        case BX_MODALITY_EMG:
          x[i] = (float)((5 + 20 * (1 - depth)) * noise (&state));
          break;
        case BX_MODALITY_ECG:
          /* R peak as a narrow Gaussian, T wave as a wider one. */
          x[i] = (float)(1.2 * exp (-pow ((beat - 0.3) / 0.012, 2))
                         + 0.25 * exp (-pow ((beat - 0.6) / 0.05, 2)) - 0.1 + 0.02 * noise (&state));
          break;
        case BX_MODALITY_PPG:
          x[i] = (float)(exp (-pow ((fmod (beat + 0.8, 1.0) - 0.35) / 0.1, 2)) + 0.01 * noise (&state));
          break;
        case BX_MODALITY_RESP:
          x[i] = (float)(sin (2 * G_PI * 0.25 * t + index) + 0.05 * noise (&state));
          break;
        case BX_MODALITY_SPO2:
          x[i] = (float)(96 + 1.5 * sin (2 * G_PI * t / 600.0));
          break;
        default:
          x[i] = (float)((int)(t / 3600) % 4);
          break;
        }
    }
}

static gboolean
write_night (const char *path, GError **error)
{
  const gint64 n = (gint64)HOURS * 3600 * RATE;
  BxWriteChannel channels[N_CHANNELS];
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) start = g_date_time_new (utc, 2024, 3, 1, 22, 30, 0);
  g_autoptr (BxAnnotationList) stages = bx_annotation_list_new ();
  BxWriteHeader header
      = { BX_FILE_EDFPLUS_C, start, "BENCH", NULL, "decode benchmark", "bench-decode", NULL, 1 };
  gboolean ok;

  for (int e = 0; e < HOURS * 120; e++)
    bx_annotation_list_add (stages, e * 30.0, 30, "Sleep stage N2");
  for (int c = 0; c < N_CHANNELS; c++)
    {
      float *x = g_new (float, n);

      synthesise (&specs[c], c, n, x);
      channels[c] = (BxWriteChannel){ specs[c].label, NULL, specs[c].unit, NULL, RATE, 0, 0, x, n };
    }
  ok = bx_edf_write (path, &header, channels, N_CHANNELS, stages, error);
  for (int c = 0; c < N_CHANNELS; c++)
    g_free ((float *)channels[c].samples);
  return ok;
}

typedef gboolean (*ReadFunc) (BxRecording *, guint, gint64, gint64, float *, GError **);

static double
cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Opens the file and decodes every channel in full; returns wall-clock
 * seconds, and the CPU seconds of this process in `cpu` (the figure that
 * does not depend on how busy the machine is). */
static double
decode_all (const char *path, ReadFunc read, double *checksum, double *cpu, GError **error)
{
  gint64 t0 = g_get_monotonic_time ();
  double c0 = cpu_seconds ();
  g_autoptr (BxRecording) rec = bx_recording_open (path, error);
  g_autofree float *buffer = NULL;

  if (rec == NULL)
    return -1;
  *checksum = 0;
  for (guint c = 0; c < bx_recording_get_n_channels (rec); c++)
    {
      const BxChannel *ch = bx_recording_get_channel (rec, c);

      if (buffer == NULL)
        buffer = g_new (float, ch->n_samples);
      if (!read (rec, c, 0, ch->n_samples, buffer, error))
        return -1;
      /* Touch the result so the work cannot be skipped. */
      *checksum += buffer[0] + buffer[ch->n_samples / 2] + buffer[ch->n_samples - 1];
    }
  *cpu = cpu_seconds () - c0;
  return (g_get_monotonic_time () - t0) / 1e6;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  gboolean own_file = argc < 2;
  double data_mb, samples, checksum_direct = 0, checksum_edflib = 0;
  double direct_first, direct_best = G_MAXDOUBLE, edflib;
  double cpu_first = 0, cpu_best = G_MAXDOUBLE, cpu_edflib = 0, cpu;
  double load[3] = { 0, 0, 0 };
  GStatBuf st;

  if (own_file)
    {
      dir = g_dir_make_tmp ("bench-decode-XXXXXX", &error);
      if (dir == NULL)
        {
          g_printerr ("bench-decode: %s\n", error->message);
          return 1;
        }
      path = g_build_filename (dir, "night.edf", NULL);
    }
  else
    path = g_strdup (argv[1]);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      gint64 t0 = g_get_monotonic_time ();

      g_print ("writing %d h x %d channels x %d Hz EDF+ night to %s ...\n", HOURS, N_CHANNELS, RATE, path);
      if (!write_night (path, &error))
        {
          g_printerr ("bench-decode: %s\n", error->message);
          return 1;
        }
      g_print ("  written in %.2f s (synthesis + bx_edf_write)\n", (g_get_monotonic_time () - t0) / 1e6);
    }
  if (g_stat (path, &st) != 0)
    {
      g_printerr ("bench-decode: cannot stat %s\n", path);
      return 1;
    }
  data_mb = st.st_size / 1e6;
  samples = (double)HOURS * 3600 * RATE * N_CHANNELS;

  direct_first = decode_all (path, bx_recording_read, &checksum_direct, &cpu_first, &error);
  for (int i = 0; i < 3 && direct_first >= 0; i++)
    {
      direct_best = MIN (direct_best, decode_all (path, bx_recording_read, &checksum_direct, &cpu, &error));
      cpu_best = MIN (cpu_best, cpu);
    }
  if (direct_first < 0)
    {
      g_printerr ("bench-decode: %s\n", error->message);
      return 1;
    }
  edflib = decode_all (path, bx_recording_read_edflib, &checksum_edflib, &cpu_edflib, &error);
  if (edflib < 0)
    {
      g_printerr ("bench-decode: %s\n", error->message);
      return 1;
    }

  if (getloadavg (load, 3) < 0)
    load[0] = -1;
  g_print ("file: %.1f MB, %.0f samples (%d channels x %d h x %d Hz); load average %.1f\n", data_mb, samples,
           N_CHANNELS, HOURS, RATE, load[0]);
  g_print ("built-in decoder (bx_recording_read), open + all channels, one thread:\n");
  g_print ("  first run %.3f s (CPU %.3f s); best of 3 %.3f s (CPU %.3f s)\n", direct_first, cpu_first,
           direct_best, cpu_best);
  g_print ("  %.0f MB/s of file, %.0f Msamples/s (wall); %.0f MB/s, %.0f Msamples/s (CPU)\n",
           data_mb / direct_best, samples / direct_best / 1e6, data_mb / cpu_best, samples / cpu_best / 1e6);
  g_print ("EDFlib (bx_recording_read_edflib), open + all channels, one thread:\n");
  g_print ("  %.3f s (CPU %.3f s): %.0f MB/s of file, %.0f Msamples/s; built-in is %.1fx faster (CPU)\n",
           edflib, cpu_edflib, data_mb / edflib, samples / edflib / 1e6, cpu_edflib / cpu_best);
  g_print ("target < 2 s for the night: %s (wall %.2f s, CPU %.2f s)\n", direct_best < 2 ? "met" : "NOT met",
           direct_best, cpu_best);
  if (fabs (checksum_direct - checksum_edflib) > 1e-2 * MAX (1, fabs (checksum_direct)))
    {
      g_printerr ("bench-decode: decoders disagree (checksums %g vs %g)\n", checksum_direct, checksum_edflib);
      return 1;
    }

  if (own_file)
    {
      g_unlink (path);
      g_rmdir (dir);
    }
  return 0;
}
