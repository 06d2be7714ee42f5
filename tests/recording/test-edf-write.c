/* test-edf-write.c — bx_edf_write() round trips: what is written is read
 * back within half a quantisation step, with its header and annotations;
 * annotation-only files; EDF+D segments; refusals leave nothing behind. */
#include <edflib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "bx-test-data.h"
#include "recording/bx-edf-writer.h"

typedef struct
{
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = bx_test_tmpdir_new ();
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  bx_test_tmpdir_remove (f->dir);
  g_free (f->dir);
}

/* Deterministic test signals in physical units. */
static float *
make_signal (gint64 n, double rate, double amplitude, double frequency, guint seed)
{
  float *x = g_new (float, n);
  GRand *rand = g_rand_new_with_seed (seed);

  for (gint64 i = 0; i < n; i++)
    x[i] = (float)(amplitude * sin (2 * G_PI * frequency * i / rate)
                   + 0.1 * amplitude * g_rand_double_range (rand, -1, 1));
  g_rand_free (rand);
  return x;
}

/* Max |read - written| must stay within half a digital step of the range
 * the file declares (plus float rounding of the value). */
static void
assert_within_quantisation (BxRecording *rec, guint c, const float *written, gint64 n)
{
  const BxChannel *ch = bx_recording_get_channel (rec, c);
  g_autofree float *back = g_new (float, ch->n_samples);
  g_autoptr (GError) error = NULL;
  double step = fabs (ch->physical_max - ch->physical_min) / ((double)ch->digital_max - ch->digital_min);
  double scale = MAX (fabs (ch->physical_min), fabs (ch->physical_max));
  double tolerance = step / 2 + 4 * FLT_EPSILON * scale;
  double worst = 0;

  g_assert_cmpint (ch->n_samples, >=, n);
  g_assert_true (bx_recording_read (rec, c, 0, ch->n_samples, back, &error));
  g_assert_no_error (error);
  for (gint64 i = 0; i < n; i++)
    worst = MAX (worst, fabs ((double)back[i] - written[i]));
  g_assert_cmpfloat (worst, <=, tolerance);
  /* Padding to whole records repeats the last value. */
  for (gint64 i = n; i < ch->n_samples; i++)
    g_assert_cmpfloat (fabs ((double)back[i] - written[n - 1]), <=, tolerance);
}

static void
round_trip (Fixture *f, BxFileType type, double record_duration)
{
  g_autofree char *path
      = g_build_filename (f->dir, type == BX_FILE_BDFPLUS_C ? "night.bdf" : "night.edf", NULL);
  g_autofree char *part = g_strconcat (path, ".part", NULL);
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) start = g_date_time_new (utc, 2023, 7, 14, 23, 5, 7.25);
  g_autoptr (BxAnnotationList) annotations = bx_annotation_list_new ();
  g_autoptr (BxRecording) rec = NULL;
  g_autoptr (GError) error = NULL;
  const gint64 n_eeg = 256 * 10 + 17, n_ecg = 256 * 10, n_resp = 32 * 9 + 5;
  g_autofree float *eeg = make_signal (n_eeg, 256, 80, 10, 1);
  g_autofree float *ecg = make_signal (n_ecg, 256, 1.2, 1.1, 2);
  g_autofree float *resp = make_signal (n_resp, 32, 300, 0.25, 3);
  BxWriteChannel channels[3] = {
    { "EEG Fpz-Cz", "AgAgCl electrode", "uV", "HP:0.3Hz LP:35Hz", 256, 0, 0, eeg, n_eeg },
    { "ECG", NULL, "mV", NULL, 256, -5, 5, ecg, n_ecg },
    { "Resp nasal", "thermistor", "uV", NULL, 32, 0, 0, resp, n_resp },
  };
  BxWriteHeader header = { type,          start,           "MCH-0234567", "Haagse_Harry",
                           "PSG night 1", "BioX test rig", "J. Doe",      record_duration };
  const char *long_text
      = "Arousal \xc3\xa9v\xc3\xa9nement tr\xc3\xa8s long qui d\xc3\xa9passe quarante octets";
  const BxAnnotationList *back;
  const BxChannel *ch;

  bx_annotation_list_add (annotations, 1.5, 30, "Sleep stage N2");
  bx_annotation_list_add (annotations, 0.0001, -1, "Lights off \xe2\x80\x94 \xe4\xbb\xb0\xe5\x8d\xa7");
  bx_annotation_list_add (annotations, 7.25, 0.5, long_text);

  g_assert_true (bx_edf_write (path, &header, channels, 3, annotations, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));

  rec = bx_recording_open (path, &error);
  g_assert_no_error (error);
  g_assert_null (bx_recording_get_warnings (rec)[0]);
  g_assert_null (bx_recording_get_edflib_error (rec));
  g_assert_cmpint (bx_recording_get_file_type (rec), ==, type);
  g_assert_cmpfloat (bx_recording_get_record_duration (rec), ==, record_duration);
  /* EEG has the most records: ceil(2577 / (256 x d)). */
  g_assert_cmpint (bx_recording_get_n_records (rec), ==, (gint64)ceil (n_eeg / (256 * record_duration)));
  g_assert_true (g_date_time_equal (bx_recording_get_start (rec), start));
  g_assert_nonnull (strstr (bx_recording_get_patient (rec), "MCH-0234567"));
  g_assert_nonnull (strstr (bx_recording_get_patient (rec), "Haagse_Harry"));
  g_assert_cmpstr (bx_recording_get_equipment (rec), ==, "BioX_test_rig");
  g_assert_cmpuint (bx_recording_get_n_channels (rec), ==, 3);
  g_assert_cmpuint (bx_recording_get_n_segments (rec), ==, 1);

  ch = bx_recording_get_channel (rec, 0);
  g_assert_cmpstr (ch->label, ==, "EEG Fpz-Cz");
  g_assert_cmpstr (ch->transducer, ==, "AgAgCl electrode");
  g_assert_cmpstr (ch->physical_dimension, ==, "uV");
  g_assert_cmpstr (ch->prefilter, ==, "HP:0.3Hz LP:35Hz");
  g_assert_cmpfloat (ch->sample_rate, ==, 256);
  g_assert_cmpint (ch->modality, ==, BX_MODALITY_EEG);
  g_assert_cmpint (ch->digital_max, ==, type == BX_FILE_BDFPLUS_C ? 8388607 : 32767);
  ch = bx_recording_get_channel (rec, 1);
  g_assert_cmpfloat (ch->physical_min, ==, -5);
  g_assert_cmpfloat (ch->physical_max, ==, 5);
  g_assert_cmpfloat (bx_recording_get_channel (rec, 2)->sample_rate, ==, 32);

  {
    float mv[10], uv[10];

    /* ECG is in mV: µV values are 1000 times larger; EEG is already µV. */
    g_assert_true (bx_recording_read (rec, 1, 100, 10, mv, &error));
    g_assert_true (bx_recording_read_in_unit (rec, 1, 100, 10, "uV", uv, &error));
    for (int i = 0; i < 10; i++)
      g_assert_cmpfloat_with_epsilon (uv[i], mv[i] * 1000.0, 1e-3);
    g_assert_true (bx_recording_read_in_unit (rec, 0, 100, 10, "UV", uv, &error));
    g_assert_true (bx_recording_read (rec, 0, 100, 10, mv, &error));
    g_assert_cmpmem (uv, sizeof uv, mv, sizeof mv);
    /* The respiration channel is written in "uV" here too; a non-voltage
     * unit is refused. */
    g_assert_false (bx_recording_read_in_unit (rec, 1, 0, 10, "%", uv, &error));
    g_assert_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_CHANNEL);
    g_assert_nonnull (strstr (error->message, "'ECG'"));
    g_clear_error (&error);
  }
  assert_within_quantisation (rec, 0, eeg, n_eeg);
  assert_within_quantisation (rec, 1, ecg, n_ecg);
  assert_within_quantisation (rec, 2, resp, n_resp);

  back = bx_recording_get_annotations (rec);
  g_assert_cmpuint (bx_annotation_list_get_length (back), ==, 3);
  /* Sorted by onset; EDFlib stores onsets in 100 us units. */
  g_assert_cmpstr (bx_annotation_list_get (back, 0)->text, ==,
                   "Lights off \xe2\x80\x94 \xe4\xbb\xb0\xe5\x8d\xa7");
  g_assert_cmpfloat_with_epsilon (bx_annotation_list_get (back, 0)->onset, 0.0001, 1e-9);
  g_assert_cmpfloat (bx_annotation_list_get (back, 0)->duration, <, 0);
  g_assert_cmpstr (bx_annotation_list_get (back, 1)->text, ==, "Sleep stage N2");
  g_assert_cmpfloat_with_epsilon (bx_annotation_list_get (back, 1)->onset, 1.5, 1e-9);
  g_assert_cmpfloat_with_epsilon (bx_annotation_list_get (back, 1)->duration, 30, 1e-9);
  /* EDFlib keeps 40 bytes: cut at a character boundary, still UTF-8. */
  g_assert_true (g_utf8_validate (bx_annotation_list_get (back, 2)->text, -1, NULL));
  g_assert_cmpuint (strlen (bx_annotation_list_get (back, 2)->text), <=, 40);
  g_assert_true (g_str_has_prefix (long_text, bx_annotation_list_get (back, 2)->text));
  g_assert_cmpuint (strlen (bx_annotation_list_get (back, 2)->text), >=, 38);
}

static void
test_round_trip_edf (Fixture *f, gconstpointer data)
{
  round_trip (f, BX_FILE_EDFPLUS_C, 1.0);
}

static void
test_round_trip_bdf (Fixture *f, gconstpointer data)
{
  round_trip (f, BX_FILE_BDFPLUS_C, 1.0);
}

static void
test_round_trip_short_records (Fixture *f, gconstpointer data)
{
  round_trip (f, BX_FILE_EDFPLUS_C, 0.25);
}

/* A given range that is inverted (as XLTEK writes) and one whose ends do
 * not fit in 8 characters: both still round-trip within a step. */
static void
test_ranges (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "ranges.edf", NULL);
  g_autofree float *x = make_signal (1000, 100, 0.0011, 3, 4);
  BxWriteChannel channels[2] = {
    { "Inverted", NULL, "uV", NULL, 100, 3000, -3000, NULL, 1000 },
    { "Tiny", NULL, "V", NULL, 100, -0.0013333333, 0.0013333333, x, 1000 },
  };
  g_autofree float *y = make_signal (1000, 100, 2500, 1, 5);
  g_autoptr (BxRecording) rec = NULL;
  g_autoptr (GError) error = NULL;

  channels[0].samples = y;
  g_assert_true (bx_edf_write (path, NULL, channels, 2, NULL, &error));
  g_assert_no_error (error);
  rec = bx_recording_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (bx_recording_get_channel (rec, 0)->physical_min, ==, 3000);
  g_assert_cmpfloat (bx_recording_get_channel (rec, 0)->physical_max, ==, -3000);
  /* Widened outward to fit 8 characters: covers the requested range. */
  g_assert_cmpfloat (bx_recording_get_channel (rec, 1)->physical_min, <=, -0.0013333333);
  g_assert_cmpfloat (bx_recording_get_channel (rec, 1)->physical_max, >=, 0.0013333333);
  assert_within_quantisation (rec, 0, y, 1000);
  assert_within_quantisation (rec, 1, x, 1000);
  /* Default start: 2000-01-01 00:00:00. */
  g_assert_cmpint (g_date_time_get_year (bx_recording_get_start (rec)), ==, 2000);
}

/* A channel long enough for the whole-channel fast path (a code table):
 * the same floats as short reads, within quantisation of what was written. */
static void
test_long_channel (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "long.edf", NULL);
  const gint64 n = 400000;
  g_autofree float *x = make_signal (n, 1000, 200, 7, 9);
  g_autofree float *whole = g_new (float, n);
  g_autofree float *pieces = g_new (float, n);
  BxWriteChannel channel = { "EEG Cz-M1", NULL, "uV", NULL, 1000, 0, 0, x, n };
  g_autoptr (BxRecording) rec = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (bx_edf_write (path, NULL, &channel, 1, NULL, &error));
  rec = bx_recording_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (bx_recording_read (rec, 0, 0, n, whole, &error));
  for (gint64 i = 0; i < n; i += 777)
    g_assert_true (bx_recording_read (rec, 0, i, MIN (777, n - i), pieces + i, &error));
  g_assert_cmpmem (whole, n * sizeof (float), pieces, n * sizeof (float));
  assert_within_quantisation (rec, 0, x, n);
}

/* Ranges from the data over ten decades of amplitude and offsets: the 8-
 * character header text must always describe the range we quantised with. */
static void
test_many_ranges (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "decades.bdf", NULL);
  BxWriteChannel channels[24];
  float *x[24];
  GRand *rand = g_rand_new_with_seed (42);
  g_autoptr (BxRecording) rec = NULL;
  g_autoptr (GError) error = NULL;
  BxWriteHeader header = { BX_FILE_EDFPLUS_C, NULL, NULL, NULL, NULL, NULL, NULL, 1 };

  for (int k = 0; k < 2; k++)
    {
      header.file_type = k == 0 ? BX_FILE_EDFPLUS_C : BX_FILE_BDFPLUS_C;
      for (int c = 0; c < 24; c++)
        {
          double amplitude = pow (10, g_rand_double_range (rand, -4, 5));
          double shift = g_rand_double_range (rand, -3, 3) * amplitude;
          char *label = g_strdup_printf ("ch%d", c);

          x[c] = make_signal (200, 100, amplitude, 2, (guint)c);
          for (int i = 0; i < 200; i++)
            x[c][i] += (float)shift;
          channels[c] = (BxWriteChannel){ label, NULL, "uV", NULL, 100, 0, 0, x[c], 200 };
        }
      g_assert_true (bx_edf_write (path, &header, channels, 24, NULL, &error));
      g_assert_no_error (error);
      rec = bx_recording_open (path, &error);
      g_assert_no_error (error);
      for (int c = 0; c < 24; c++)
        {
          assert_within_quantisation (rec, (guint)c, x[c], 200);
          g_free (x[c]);
          g_free ((char *)channels[c].label);
        }
      g_clear_pointer (&rec, bx_recording_unref);
    }
  g_rand_free (rand);
}

static void
annotation_only (Fixture *f, BxFileType type)
{
  g_autofree char *path = g_build_filename (f->dir, type == BX_FILE_BDFPLUS_C ? "hyp.bdf" : "hyp.edf", NULL);
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) start = g_date_time_new (utc, 1989, 4, 24, 16, 13, 0.5);
  g_autoptr (BxAnnotationList) stages = bx_annotation_list_new ();
  g_autoptr (BxRecording) rec = NULL;
  g_autoptr (GError) error = NULL;
  BxWriteHeader header = { type, start, "SC4001", NULL, NULL, NULL, NULL, 0 };
  static const char *const names[] = { "Sleep stage W", "Sleep stage 1", "Sleep stage 2",
                                       "Sleep stage 3", "Sleep stage R", "Sleep stage ?" };
  struct edf_hdr_struct *hdr = g_new0 (struct edf_hdr_struct, 1);

  /* An 8-h night of 30-s epochs: far more annotations than EDFlib's one per record. */
  for (int i = 0; i < 960; i++)
    bx_annotation_list_add (stages, i * 30.0, 30, names[(i / 7) % 6]);
  g_assert_true (bx_edf_write (path, &header, NULL, 0, stages, &error));
  g_assert_no_error (error);

  rec = bx_recording_open (path, &error);
  g_assert_no_error (error);
  g_assert_null (bx_recording_get_warnings (rec)[0]);
  g_assert_cmpint (bx_recording_get_file_type (rec), ==, type);
  g_assert_cmpuint (bx_recording_get_n_channels (rec), ==, 0);
  g_assert_cmpfloat (bx_recording_get_record_duration (rec), ==, 0);
  g_assert_true (g_date_time_equal (bx_recording_get_start (rec), start));
  g_assert_cmpuint (bx_annotation_list_get_length (bx_recording_get_annotations (rec)), ==, 960);
  for (guint i = 0; i < 960; i++)
    {
      const BxAnnotation *a = bx_annotation_list_get (bx_recording_get_annotations (rec), i);

      g_assert_cmpfloat_with_epsilon (a->onset, i * 30.0, 1e-9);
      g_assert_cmpfloat (a->duration, ==, 30);
      g_assert_cmpstr (a->text, ==, names[(i / 7) % 6]);
    }

  /* EDFlib (as EDFbrowser) reads it too: same count, onsets, sub-second start. */
  g_assert_cmpint (edfopen_file_readonly (path, hdr, EDFLIB_READ_ALL_ANNOTATIONS), ==, 0);
  g_assert_cmpint (hdr->annotations_in_file, ==, 960);
  g_assert_cmpint (hdr->starttime_subsecond, ==, 5000000);
  {
    struct edf_annotation_struct a;
    g_assert_cmpint (edf_get_annotation (hdr->handle, 959, &a), ==, 0);
    g_assert_cmpint (a.onset, ==, 959 * 30 * 10000000LL);
    g_assert_cmpstr (a.annotation, ==, names[(959 / 7) % 6]);
  }
  edfclose_file (hdr->handle);
  g_free (hdr);
}

static void
test_annotation_only_edf (Fixture *f, gconstpointer data)
{
  annotation_only (f, BX_FILE_EDFPLUS_C);
}

static void
test_annotation_only_bdf (Fixture *f, gconstpointer data)
{
  annotation_only (f, BX_FILE_BDFPLUS_C);
}

/* More annotations than records: enough annotation signals are declared. */
static void
test_many_annotations (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "many.edf", NULL);
  g_autofree float *x = make_signal (1000, 100, 50, 5, 6);
  BxWriteChannel channel = { "EEG C3-M2", NULL, "uV", NULL, 100, 0, 0, x, 1000 };
  g_autoptr (BxAnnotationList) annotations = bx_annotation_list_new ();
  g_autoptr (BxRecording) rec = NULL;
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < 200; i++)
    bx_annotation_list_add (annotations, i * 0.05, -1, "spike");
  g_assert_true (bx_edf_write (path, NULL, &channel, 1, annotations, &error));
  g_assert_no_error (error);
  rec = bx_recording_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bx_annotation_list_get_length (bx_recording_get_annotations (rec)), ==, 200);
  g_assert_cmpfloat_with_epsilon (bx_annotation_list_get (bx_recording_get_annotations (rec), 199)->onset,
                                  9.95, 1e-9);
}

static char *
find_bytes (char *haystack, gsize len, const char *needle, gsize n)
{
  for (gsize i = 0; i + n <= len; i++)
    if (memcmp (haystack + i, needle, n) == 0)
      return haystack + i;
  return NULL;
}

/* An EDF+D file made from one of ours by editing two time-keeping TALs:
 * records 3 and 4 move 5 s later, so there are two segments. */
static void
test_discontinuous (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "gap.edf", NULL);
  g_autofree float *x = make_signal (400, 100, 50, 5, 7);
  BxWriteChannel channel = { "EEG O1-M2", NULL, "uV", NULL, 100, 0, 0, x, 400 };
  g_autoptr (BxRecording) rec = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *bytes = NULL;
  gsize len;
  char *p;
  const BxSegment *s;
  float got[400];

  g_assert_true (bx_edf_write (path, NULL, &channel, 1, NULL, &error));
  g_assert_true (g_file_get_contents (path, &bytes, &len, &error));
  p = g_strstr_len (bytes, (gssize)len, "EDF+C");
  g_assert_nonnull (p);
  p[4] = 'D';
  p = find_bytes (bytes, len, "+2\x14\x14", 4);
  g_assert_nonnull (p);
  p[1] = '7';
  p = find_bytes (bytes, len, "+3\x14\x14", 4);
  g_assert_nonnull (p);
  p[1] = '8';
  g_assert_true (g_file_set_contents (path, bytes, (gssize)len, &error));

  rec = bx_recording_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bx_recording_get_file_type (rec), ==, BX_FILE_EDFPLUS_D);
  g_assert_cmpuint (bx_recording_get_n_segments (rec), ==, 2);
  s = bx_recording_get_segment (rec, 0);
  g_assert_cmpfloat (s->onset, ==, 0);
  g_assert_cmpint (s->first_record, ==, 0);
  g_assert_cmpint (s->n_records, ==, 2);
  s = bx_recording_get_segment (rec, 1);
  g_assert_cmpfloat (s->onset, ==, 7);
  g_assert_cmpint (s->first_record, ==, 2);
  g_assert_cmpint (s->n_records, ==, 2);
  /* 4 s of data, and EDFlib's refusal is reported, not fatal. */
  g_assert_cmpfloat (bx_recording_get_duration (rec), ==, 4);
  g_assert_nonnull (bx_recording_get_edflib_error (rec));
  g_assert_true (bx_recording_read (rec, 0, 0, 400, got, &error));
  g_assert_cmpfloat (fabs (got[399] - x[399]), <, 0.1);
  /* Sample times follow the segments: sample 199 at 1.99 s, 200 at 7 s. */
  g_assert_cmpfloat_with_epsilon (bx_recording_get_sample_time (rec, 0, 199), 1.99, 1e-9);
  g_assert_cmpfloat_with_epsilon (bx_recording_get_sample_time (rec, 0, 200), 7.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (bx_recording_get_sample_time (rec, 0, 399), 8.99, 1e-9);
  g_assert_false (bx_recording_read_edflib (rec, 0, 0, 10, got, &error));
  g_assert_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_IO);
  g_clear_error (&error);
  g_clear_pointer (&rec, bx_recording_unref);

  /* The same jump in a file that claims to be continuous: one segment (the
   * header is believed) and a warning that names the record. */
  p = g_strstr_len (bytes, (gssize)len, "EDF+D");
  p[4] = 'C';
  g_assert_true (g_file_set_contents (path, bytes, (gssize)len, &error));
  rec = bx_recording_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bx_recording_get_n_segments (rec), ==, 1);
  g_assert_nonnull (bx_recording_get_warnings (rec)[0]);
  g_assert_nonnull (
      strstr (bx_recording_get_warnings (rec)[0], "data record 3 starts at 7 s instead of 2 s"));

  /* A discontinuous file without time-keeping in a record cannot place it. */
  g_clear_pointer (&rec, bx_recording_unref);
  p[4] = 'D';
  p = find_bytes (bytes, len, "+8\x14\x14", 4);
  g_assert_nonnull (p);
  p[0] = '\0';
  g_assert_true (g_file_set_contents (path, bytes, (gssize)len, &error));
  rec = bx_recording_open (path, &error);
  g_assert_null (rec);
  g_assert_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "data record 4 has no time-keeping annotation"));
}

/* Refusals name the file and the problem, and leave no file behind; an
 * existing file is replaced only by a complete new one. */
static void
test_refusals (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "keep.edf", NULL);
  g_autofree char *part = g_strconcat (path, ".part", NULL);
  g_autofree float *x = make_signal (500, 100, 50, 5, 8);
  BxWriteChannel good = { "EEG Cz", NULL, "uV", NULL, 100, 0, 0, x, 500 };
  BxWriteChannel bad;
  BxWriteHeader header = { 0 };
  g_autoptr (BxAnnotationList) negative = bx_annotation_list_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gsize before_len, after_len;
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GDateTime) old = g_date_time_new (utc, 1970, 1, 1, 0, 0, 0);

  g_assert_true (bx_edf_write (path, NULL, &good, 1, NULL, &error));
  g_assert_true (g_file_get_contents (path, &before, &before_len, NULL));

  bad = good;
  bad.label = "A label much longer than sixteen";
  g_assert_false (bx_edf_write (path, NULL, &bad, 1, NULL, &error));
  g_assert_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_CHANNEL);
  g_assert_nonnull (strstr (error->message, "keep.edf"));
  g_assert_nonnull (strstr (error->message, "label"));
  g_clear_error (&error);

  bad = good;
  bad.sample_rate = 250.5;
  g_assert_false (bx_edf_write (path, NULL, &bad, 1, NULL, &error));
  g_assert_nonnull (strstr (error->message, "250.5"));
  g_clear_error (&error);

  bad = good;
  bad.samples = g_new (float, 500);
  memcpy ((float *)bad.samples, x, 500 * sizeof (float));
  ((float *)bad.samples)[123] = NAN;
  g_assert_false (bx_edf_write (path, NULL, &bad, 1, NULL, &error));
  g_assert_nonnull (strstr (error->message, "sample 123"));
  g_clear_error (&error);
  g_free ((float *)bad.samples);

  bx_annotation_list_add (negative, -2, 1, "before the start");
  g_assert_false (bx_edf_write (path, NULL, &good, 1, negative, &error));
  g_assert_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_RANGE);
  g_assert_nonnull (strstr (error->message, "before the start"));
  g_clear_error (&error);

  header.file_type = BX_FILE_EDFPLUS_D;
  g_assert_false (bx_edf_write (path, &header, &good, 1, NULL, &error));
  g_assert_nonnull (strstr (error->message, "EDF+C"));
  g_clear_error (&error);

  header.file_type = BX_FILE_EDFPLUS_C;
  header.start = old;
  g_assert_false (bx_edf_write (path, &header, &good, 1, NULL, &error));
  g_assert_nonnull (strstr (error->message, "1970"));
  g_clear_error (&error);

  header.start = NULL;
  header.record_duration = 0.123456789;
  g_assert_false (bx_edf_write (path, &header, &good, 1, NULL, &error));
  g_assert_nonnull (strstr (error->message, "record duration"));
  g_clear_error (&error);

  /* Nothing half-written, the earlier file untouched. */
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents (path, &after, &after_len, NULL));
  g_assert_cmpmem (before, before_len, after, after_len);

  /* A folder that does not exist: IO error naming the .part file. */
  {
    g_autofree char *nowhere = g_build_filename (f->dir, "no", "such", "dir.edf", NULL);
    g_assert_false (bx_edf_write (nowhere, NULL, &good, 1, NULL, &error));
    g_assert_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_IO);
    g_assert_nonnull (strstr (error->message, "dir.edf"));
    g_clear_error (&error);
    g_assert_false (bx_edf_write (nowhere, NULL, NULL, 0, NULL, &error));
    g_assert_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_IO);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/recording/write/round-trip-edf", Fixture, NULL, fixture_setup, test_round_trip_edf,
              fixture_teardown);
  g_test_add ("/recording/write/round-trip-bdf", Fixture, NULL, fixture_setup, test_round_trip_bdf,
              fixture_teardown);
  g_test_add ("/recording/write/round-trip-short-records", Fixture, NULL, fixture_setup,
              test_round_trip_short_records, fixture_teardown);
  g_test_add ("/recording/write/long-channel", Fixture, NULL, fixture_setup, test_long_channel,
              fixture_teardown);
  g_test_add ("/recording/write/many-ranges", Fixture, NULL, fixture_setup, test_many_ranges,
              fixture_teardown);
  g_test_add ("/recording/write/ranges", Fixture, NULL, fixture_setup, test_ranges, fixture_teardown);
  g_test_add ("/recording/write/annotation-only-edf", Fixture, NULL, fixture_setup, test_annotation_only_edf,
              fixture_teardown);
  g_test_add ("/recording/write/annotation-only-bdf", Fixture, NULL, fixture_setup, test_annotation_only_bdf,
              fixture_teardown);
  g_test_add ("/recording/write/many-annotations", Fixture, NULL, fixture_setup, test_many_annotations,
              fixture_teardown);
  g_test_add ("/recording/write/discontinuous", Fixture, NULL, fixture_setup, test_discontinuous,
              fixture_teardown);
  g_test_add ("/recording/write/refusals", Fixture, NULL, fixture_setup, test_refusals, fixture_teardown);
  return g_test_run ();
}
