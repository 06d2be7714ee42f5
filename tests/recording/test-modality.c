/* test-modality.c — bx_modality_detect() on label/transducer/unit cases and
 * on every channel of real files, and the voltage unit helper.
 *
 * The expected modalities of the real files are what the labels mean
 * (DATA.md, the PSG systems' documentation): they were written down by
 * reading the headers, not by running the detector. */
#include <string.h>

#include "bx-test-data.h"
#include "recording/bx-recording.h"

#define EEG BX_MODALITY_EEG
#define EOG BX_MODALITY_EOG
#define EMG BX_MODALITY_EMG
#define ECG BX_MODALITY_ECG
#define PPG BX_MODALITY_PPG
#define RESP BX_MODALITY_RESP
#define SPO2 BX_MODALITY_SPO2
#define POS BX_MODALITY_POSITION
#define OTH BX_MODALITY_OTHER

static void
test_cases (void)
{
  static const struct
  {
    const char *label, *transducer, *unit;
    double rate;
    BxModality expected;
    double min_confidence, max_confidence;
  } cases[] = {
    { "EEG Fpz-Cz", "Ag-AgCl electrodes", "uV", 100, EEG, 0.9, 1 },
    { "C3-M2", NULL, "uV", 256, EEG, 0.7, 0.9 },
    { "Fp1", NULL, "uV", 512, EEG, 0.7, 0.9 },
    { "O2-A1", "", "UV", 50, EEG, 0.7, 0.9 },
    { "EEG T7-Ref", NULL, "uV", 200, EEG, 0.9, 1 },
    { "E1-M2", NULL, "uV", 256, EOG, 0.7, 1 },
    { "LOC", NULL, "uV", 256, EOG, 0.8, 1 },
    { "ROC-A1", NULL, "uV", 256, EOG, 0.8, 1 },
    { "EOG horizontal", NULL, "uV", 100, EOG, 0.9, 1 },
    { "Chin", NULL, "uV", 256, EMG, 0.8, 1 },
    { "Chin1-Chin2", NULL, "uV", 256, EMG, 0.8, 1 },
    { "EMG submental", NULL, "uV", 100, EMG, 0.9, 1 },
    { "Leg/L", NULL, "uV", 256, EMG, 0.7, 1 },
    { "ECG", NULL, "mV", 256, ECG, 0.9, 1 },
    { "EKG II", NULL, "mV", 256, ECG, 0.9, 1 },
    { "ECG ECG1", NULL, "uV", 200, ECG, 0.9, 1 },
    { "Pleth", NULL, "", 64, PPG, 0.9, 1 },
    { "PPG", NULL, "a.u.", 64, PPG, 0.9, 1 },
    { "BVP", NULL, "", 64, PPG, 0.8, 1 },
    { "PULSE", NULL, "-", 50, PPG, 0.6, 0.9 },
    { "pulse", NULL, "uV", 200, OTH, 0, 0.5 }, /* a test generator's square pulse */
    { "PR", NULL, "BPM", 1, OTH, 0.7, 1 },
    { "Pulse Rate", NULL, "bpm", 1, OTH, 0.7, 1 },
    { "SaO2", NULL, "%", 1, SPO2, 0.9, 1 },
    { "SpO2", NULL, "%", 1, SPO2, 0.9, 1 },
    { "Flow", NULL, "", 32, RESP, 0.8, 1 },
    { "Airflow", NULL, "", 32, RESP, 0.8, 1 },
    { "Nasal Pressure", NULL, "cmH2O", 32, RESP, 0.8, 1 },
    { "Thor", NULL, "", 32, RESP, 0.8, 1 },
    { "Abdo", NULL, "", 32, RESP, 0.8, 1 },
    { "Belt Thorax", NULL, "", 32, RESP, 0.8, 1 },
    { "Resp oro-nasal", "Oral-nasal thermistors", "", 1, RESP, 0.8, 1 },
    { "Sensor 4", "Oral-nasal thermistors", "", 1, RESP, 0.5, 0.7 }, /* transducer only */
    { "Pos", NULL, "", 1, POS, 0.8, 1 },
    { "Body position", NULL, "", 1, POS, 0.6, 1 },
    { "Temp rectal", NULL, "DegC", 1, OTH, 0.7, 1 },
    { "Event marker", NULL, "", 1, OTH, 0.7, 1 },
    { "Channel 7", NULL, "%", 1, SPO2, 0.2, 0.5 }, /* only the unit hints */
    { "Channel 7", NULL, "uV", 256, OTH, 0, 0.3 },
    { NULL, NULL, NULL, 0, OTH, 0, 0.3 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      double confidence = -1;
      BxModality m = bx_modality_detect (cases[i].label, cases[i].transducer, cases[i].unit, cases[i].rate,
                                         &confidence);

      if (m != cases[i].expected || confidence < cases[i].min_confidence
          || confidence > cases[i].max_confidence)
        g_error ("'%s': detected %s (%.2f), expected %s in [%.2f, %.2f]", cases[i].label,
                 bx_modality_to_string (m), confidence, bx_modality_to_string (cases[i].expected),
                 cases[i].min_confidence, cases[i].max_confidence);
    }
}

static void
test_names (void)
{
  BxModality m;

  for (int i = 0; i < BX_N_MODALITIES; i++)
    {
      g_autofree char *lower = g_ascii_strdown (bx_modality_to_string ((BxModality)i), -1);

      g_assert_true (bx_modality_from_string (lower, &m));
      g_assert_cmpint (m, ==, i);
    }
  g_assert_true (bx_modality_from_string ("Pleth", &m));
  g_assert_cmpint (m, ==, BX_MODALITY_PPG);
  g_assert_false (bx_modality_from_string ("EEG2", &m));
  g_assert_cmpstr (bx_modality_to_string (BX_MODALITY_SPO2), ==, "SPO2");
}

static void
test_units (void)
{
  double f = 0;

  g_assert_true (bx_unit_scale ("uV", "mV", &f));
  g_assert_cmpfloat (f, ==, 0.001);
  g_assert_true (bx_unit_scale ("MV", "UV", &f)); /* DREAMS spelling */
  g_assert_cmpfloat (f, ==, 1000);
  g_assert_true (bx_unit_scale ("\xc2\xb5V", "V", &f));
  g_assert_cmpfloat (f, ==, 1e-6);
  g_assert_true (bx_unit_scale (" V ", "nV", &f));
  g_assert_cmpfloat (f, ==, 1e9);
  g_assert_true (bx_unit_scale ("mV", "mV", &f));
  g_assert_cmpfloat (f, ==, 1);
  g_assert_false (bx_unit_scale ("%", "uV", &f));
  g_assert_false (bx_unit_scale ("uV", "BPM", &f));
  g_assert_false (bx_unit_scale (NULL, "uV", &f));
}

/* Every channel of a real file against a list written by hand. */
static void
check_file (const char *relative, const BxModality *expected, guint n)
{
  g_autofree char *path = bx_test_shared_data_path (relative);
  g_autoptr (BxRecording) rec = NULL;
  g_autoptr (GError) error = NULL;

  if (path == NULL)
    return;
  rec = bx_recording_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bx_recording_get_n_channels (rec), ==, n);
  for (guint c = 0; c < n; c++)
    {
      const BxChannel *ch = bx_recording_get_channel (rec, c);

      if (ch->modality != expected[c])
        g_error ("%s: channel %u '%s' detected as %s, expected %s", relative, c, ch->label,
                 bx_modality_to_string (ch->modality), bx_modality_to_string (expected[c]));
      g_assert_cmpfloat (ch->modality_confidence, >, 0);
      g_assert_cmpfloat (ch->modality_confidence, <=, 1);
    }
}

static void
test_real_files (void)
{
  /* DREAMS excerpt3 (DATA.md): O1-A1, chin EMG, ECG, nasal flow, abdominal and
   * thoracic belts, C3-A1, FP1-A1, two EOG, position, phono, SaO2, pulse
   * rate, pleth, then hypnogram and event channels. */
  static const BxModality dreams[] = { EEG, EMG, ECG,  RESP, RESP, RESP, EEG, EEG, EOG, EOG,
                                       POS, OTH, SPO2, OTH,  PPG,  OTH,  OTH, OTH, OTH, OTH };
  /* Sleep-EDF: Fpz-Cz, Pz-Oz, EOG horizontal, oro-nasal respiration,
   * submental EMG, rectal temperature, event marker. */
  static const BxModality sleep_edf[] = { EEG, EEG, EOG, RESP, EMG, OTH, OTH };
  /* OpenBCI: EMG, EOG, A1, A2, C3, C4, Trigger, ECG, F3 Fz F4 P3 Pz P4 O1 O2, accelerometer x3. */
  static const BxModality openbci[]
      = { EMG, EOG, EEG, EEG, EEG, EEG, OTH, ECG, EEG, EEG, EEG, EEG, EEG, EEG, EEG, EEG, OTH, OTH, OTH };
  /* EDFbrowser's generator: square wave, ramp, pulse, ECG, noise, sines. */
  static const BxModality utf8[] = { OTH, OTH, OTH, ECG, OTH, OTH, OTH, OTH, OTH, OTH, OTH };
  BxModality eegmat[21], nk[42], nk_d[25], reduced[139];

  /* eegmat: 19 EEG (10-20) + A2-A1, then ECG. */
  for (int i = 0; i < 20; i++)
    eegmat[i] = EEG;
  eegmat[20] = ECG;

  /* Nihon Kohden chtypes: "EEG *" x19 (0-18), POL E (ground), POL PG1/PG2
   * (nasopharyngeal electrodes), EEG A1/A2, POL T1/T2 (anterior temporal
   * electrodes), ECG1/2, EEG F9/T9/P9/F10/T10/P10, SaO2 X9/X10, DC inputs,
   * $A1/$A2 (system channels). */
  for (int i = 0; i < 42; i++)
    nk[i] = EEG;
  nk[19] = OTH;
  nk[26] = nk[27] = ECG;
  nk[34] = nk[35] = SPO2;
  for (int i = 36; i < 42; i++)
    nk[i] = OTH;

  /* Nihon Kohden EDF+D: "EEG *-Ref" x19, POL E, EEG A2/A1, POL X1, $A2, $A1. */
  for (int i = 0; i < 25; i++)
    nk_d[i] = EEG;
  nk_d[19] = nk_d[22] = nk_d[23] = nk_d[24] = OTH;

  /* 128-electrode ABC cap A1..I8 (so C3 and E1 are grid electrodes, not 10-20
   * or EOG), then ergometer left/right and the status channel. */
  for (int i = 0; i < 139; i++)
    reduced[i] = i < 136 ? EEG : OTH;

  check_file ("dreams/excerpt3.edf", dreams, G_N_ELEMENTS (dreams));
  check_file ("edf-corpus/valid/short_psg.edf", sleep_edf, G_N_ELEMENTS (sleep_edf));
  check_file ("edf-corpus/valid/short_psg.bdf", sleep_edf, G_N_ELEMENTS (sleep_edf));
  check_file ("edf-corpus/valid/multiple_annotation_chans.bdf", openbci, G_N_ELEMENTS (openbci));
  check_file ("edf-corpus/valid/test_utf8_annotations.edf", utf8, G_N_ELEMENTS (utf8));
  check_file ("eegmat/Subject00_1.edf", eegmat, 21);
  check_file ("eegmat/Subject17_2.edf", eegmat, 21);
  check_file ("edf-corpus/valid/chtypes_edf.edf", nk, 42);
  check_file ("edf-corpus/valid/MB0400FU.EDF", nk_d, 25);
  check_file ("edf-corpus/valid/test_reduced.edf", reduced, 139);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/recording/modality/cases", test_cases);
  g_test_add_func ("/recording/modality/names", test_names);
  g_test_add_func ("/recording/modality/units", test_units);
  g_test_add_func ("/recording/modality/real-files", test_real_files);
  return g_test_run ();
}
