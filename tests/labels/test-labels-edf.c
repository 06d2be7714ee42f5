/* test-labels-edf.c — label files in EDF+: Sleep-EDF hypnograms, the DREAMS hypnogram channel, and
 * hypnograms written as annotation-only EDF+ files and read back (through EDFlib and through a small
 * TAL parser written here from the EDF+ specification, so the file is checked independently of the
 * reader that also wrote it). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <edflib.h>

#include "bx-test-data.h"
#include "recording/bx-labels-io.h"
#include "recording/bx-recording.h"

#define W BX_STAGE_WAKE
#define N1 BX_STAGE_N1
#define N2 BX_STAGE_N2
#define N3 BX_STAGE_N3
#define N4 BX_STAGE_N4
#define R BX_STAGE_REM
#define MT BX_STAGE_MOVEMENT
#define U BX_STAGE_UNKNOWN

/* "key value" lines of a fixture. */
static GHashTable *
read_key_values (const char *relative)
{
  g_autofree char *path = bx_test_fixture_path (relative);
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) kv = g_strsplit (lines[i], " ", 2);

      if (kv[0] != NULL && kv[1] != NULL)
        g_hash_table_insert (table, g_strdup (kv[0]), g_strdup (kv[1]));
    }
  return table;
}

static double
expected_value (GHashTable *table, const char *key)
{
  const char *v = g_hash_table_lookup (table, key);

  if (v == NULL)
    g_error ("fixture has no '%s'", key);
  return g_ascii_strtod (v, NULL);
}

static void
test_sleep_edf_hypnogram (void)
{
  g_autofree char *path = bx_test_shared_data_path ("edf-corpus/valid/SC4001EC-Hypnogram.edf");
  g_autoptr (GHashTable) expected = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BxLabelTrack) track = NULL;
  g_autoptr (BxHypnogram) h = NULL;
  g_autoptr (BxHypnogram) from_annotations = NULL;
  g_autoptr (BxRecording) recording = NULL;
  g_autoptr (GDateTime) start_expected = NULL;
  BxHypnogramSummary s;
  guint n_stage_events = 0;

  if (path == NULL)
    return;
  expected = read_key_values ("labels/sc4001ec_expected.txt");

  track = bx_label_track_read (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bx_label_track_get_format (track), ==, BX_LABEL_FORMAT_EDF);
  for (guint i = 0; i < bx_label_track_get_length (track); i++)
    {
      BxStage stage;

      if (bx_stage_from_string (bx_label_track_get (track, i)->label, &stage))
        n_stage_events++;
    }
  g_assert_cmpuint (n_stage_events, ==, (guint) expected_value (expected, "n_stage_annotations"));
  /* Header start: 24.04.89 16.13.00. */
  start_expected = g_date_time_new_utc (1989, 4, 24, 16, 13, 0);
  g_assert_nonnull (bx_label_track_get_start (track));
  g_assert_cmpint (g_date_time_to_unix (bx_label_track_get_start (track)), ==, g_date_time_to_unix (start_expected));

  /* Epoch length inferred (30 s) and the grid up to the last annotation. */
  h = bx_label_track_to_hypnogram (track, NULL, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (h->epoch_length, ==, 30);
  g_assert_cmpuint (h->n_epochs, ==, (guint) expected_value (expected, "n_epochs"));
  g_assert_cmpfloat (bx_hypnogram_get_end (h), ==, expected_value (expected, "end_seconds"));

  bx_hypnogram_summarize (h, &s);
  g_assert_cmpuint (s.n_unknown, ==, (guint) expected_value (expected, "n_unknown"));
  for (int st = 0; st < BX_STAGE_N_CODES; st++)
    {
      g_autofree char *key = g_strdup_printf ("epochs_%s", bx_stage_to_string (st));

      g_assert_cmpuint (s.n_stage[st], ==, (guint) expected_value (expected, key));
    }
  g_assert_cmpfloat (s.time_in_bed, ==, expected_value (expected, "time_in_bed"));
  g_assert_cmpfloat (s.total_sleep_time, ==, expected_value (expected, "total_sleep_time"));
  g_assert_cmpfloat (s.sleep_period_time, ==, expected_value (expected, "sleep_period_time"));
  g_assert_cmpfloat_with_epsilon (s.sleep_efficiency, expected_value (expected, "sleep_efficiency"), 1e-12);
  g_assert_cmpfloat (s.sleep_onset_latency, ==, expected_value (expected, "sleep_onset_latency"));
  g_assert_cmpfloat (s.rem_latency, ==, expected_value (expected, "rem_latency"));
  g_assert_cmpfloat (s.waso, ==, expected_value (expected, "waso"));
  g_assert_cmpuint (s.n_awakenings, ==, (guint) expected_value (expected, "n_awakenings"));

  /* The API the CLI uses gives the same epochs. */
  recording = bx_recording_open (path, &error);
  g_assert_no_error (error);
  from_annotations = bx_hypnogram_from_annotations (bx_recording_get_annotations (recording), 30, 0);
  g_assert_nonnull (from_annotations);
  g_assert_cmpuint (from_annotations->n_epochs, ==, h->n_epochs);
  g_assert_cmpmem (from_annotations->stages, h->n_epochs, h->stages, h->n_epochs);

  /* AASM classes: S3 + S4 epochs become N3. */
  {
    g_autoptr (BxLabelMap) aasm = bx_label_map_new_stage_set (BX_STAGE_SET_AASM);
    g_autoptr (BxHypnogram) classes = bx_label_track_to_hypnogram (track, aasm, 30, 0, &error);
    guint n3 = 0;

    g_assert_no_error (error);
    for (guint i = 0; i < classes->n_epochs; i++)
      n3 += classes->stages[i] == 3;
    g_assert_cmpuint (n3, ==, (guint) (expected_value (expected, "epochs_N3") + expected_value (expected, "epochs_N4")));
  }
}

/* DREAMS R&K codes, as documented with the database. */
static int
dreams_stage (int code)
{
  switch (code)
    {
    case 5:
      return W;
    case 4:
      return R;
    case 3:
      return N1;
    case 2:
      return N2;
    case 1:
      return N3;
    case 0:
      return N4;
    default:
      return U;
    }
}

static void
test_dreams_text_matches_channel (void)
{
  g_autofree char *edf = bx_test_shared_data_path ("dreams/excerpt3.edf");
  g_autofree char *txt = bx_test_shared_data_path ("dreams/Hypnogram_excerpt3.txt");
  g_autoptr (GError) error = NULL;
  g_autoptr (BxRecording) recording = NULL;
  g_autoptr (BxHypnogram) h = NULL;
  g_autofree float *samples = NULL;
  const BxChannel *channel;
  int index;
  guint n_compared = 0;

  if (edf == NULL || txt == NULL)
    return;
  recording = bx_recording_open (edf, &error);
  g_assert_no_error (error);
  index = bx_recording_find_channel (recording, "hypnogram");
  g_assert_cmpint (index, >=, 0);
  channel = bx_recording_get_channel (recording, (guint) index);
  g_assert_cmpfloat (channel->sample_rate, ==, 1.0);

  h = bx_labels_read_hypnogram (txt, NULL, NULL, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (h->epoch_length, ==, 5);
  /* One text value per 5 samples of the 1 Hz channel. */
  g_assert_cmpint (channel->n_samples, ==, (gint64) h->n_epochs * 5);

  samples = g_new (float, channel->n_samples);
  g_assert_true (bx_recording_read (recording, (guint) index, 0, channel->n_samples, samples, &error));
  g_assert_no_error (error);
  for (gint64 k = 0; k < channel->n_samples; k++)
    {
      int code = (int) lround (samples[k]);

      g_assert_cmpfloat_with_epsilon (samples[k], code, 1e-3);
      if (dreams_stage (code) != h->stages[k / 5])
        g_error ("second %" G_GINT64_FORMAT ": channel code %d (%s), text file %s", k, code,
                 bx_stage_to_string (dreams_stage (code)), bx_stage_to_string (h->stages[k / 5]));
      n_compared++;
    }
  g_assert_cmpuint (n_compared, ==, 1800);
}

/* ---- An EDF+ annotation reader written from the specification ---- */

typedef struct {
  double onset, duration;  /* duration < 0: absent */
  char *text;
} Tal;

static void
tal_clear (gpointer p)
{
  g_free (((Tal *) p)->text);
}

static int
header_int (const char *header, gsize offset, gsize width)
{
  g_autofree char *field = g_strndup (header + offset, width);

  return atoi (g_strstrip (field));
}

/* Parses every TAL of every "EDF Annotations" signal (EDF+ spec 2.2). Checks:
 * 'EDF+C' in the reserved field, each record starts with a time-keeping TAL
 * ("+t" 0x14 0x14), onsets carry a sign, texts end with 0x14, TALs end with 0. */
static GArray *
parse_tals (const char *path, guint *out_n_signals, guint *out_n_records)
{
  g_autofree char *data = NULL;
  gsize length = 0;
  GArray *tals = g_array_new (FALSE, FALSE, sizeof (Tal));
  int ns, n_records, header_bytes;
  g_autofree int *samples = NULL;
  gsize record_bytes = 0;
  gsize pos;

  g_array_set_clear_func (tals, tal_clear);
  g_assert_true (g_file_get_contents (path, &data, &length, NULL));
  g_assert_cmpuint (length, >=, 256);
  g_assert_true (memcmp (data, "0       ", 8) == 0);
  g_assert_true (memcmp (data + 192, "EDF+C", 5) == 0);
  header_bytes = header_int (data, 184, 8);
  n_records = header_int (data, 236, 8);
  ns = header_int (data, 252, 4);
  g_assert_cmpint (header_bytes, ==, 256 * (ns + 1));
  g_assert_cmpint (ns, >=, 1);
  g_assert_cmpint (n_records, >=, 1);
  samples = g_new (int, ns);
  for (int i = 0; i < ns; i++)
    {
      samples[i] = header_int (data, 256 + (gsize) ns * 216 + (gsize) i * 8, 8);
      record_bytes += 2 * (gsize) samples[i];
    }
  g_assert_cmpuint (length, ==, (gsize) header_bytes + (gsize) n_records * record_bytes);

  pos = (gsize) header_bytes;
  for (int r = 0; r < n_records; r++)
    for (int i = 0; i < ns; i++)
      {
        g_autofree char *label = g_strndup (data + 256 + 16 * i, 16);
        const char *p = data + pos;
        const char *end = p + 2 * samples[i];
        gboolean first = TRUE;

        pos += 2 * (gsize) samples[i];
        if (strcmp (g_strstrip (label), "EDF Annotations") != 0)
          continue;
        while (p < end && *p != '\0')
          {
            const char *tal_end = memchr (p, '\0', (gsize) (end - p));
            const char *q;
            char *num_end;
            double onset, duration = -1;

            g_assert_nonnull (tal_end);
            g_assert_true (*p == '+' || *p == '-');
            onset = g_ascii_strtod (p, &num_end);
            q = num_end;
            if (*q == 0x15)
              {
                duration = g_ascii_strtod (q + 1, &num_end);
                g_assert_true (num_end > q + 1);
                q = num_end;
              }
            g_assert_cmpint (*q, ==, 0x14);
            q++;
            if (first)
              {
                /* Time-keeping TAL: an empty first annotation. */
                g_assert_cmpint (*q, ==, 0x14);
                g_assert_cmpfloat (duration, <, 0);
                q++;
                first = FALSE;
              }
            while (q < tal_end)
              {
                const char *text_end = memchr (q, 0x14, (gsize) (tal_end - q));
                Tal tal;

                g_assert_nonnull (text_end);
                tal.onset = onset;
                tal.duration = duration;
                tal.text = g_strndup (q, (gsize) (text_end - q));
                g_assert_true (g_utf8_validate (tal.text, -1, NULL));
                g_array_append_val (tals, tal);
                q = text_end + 1;
              }
            p = tal_end + 1;
          }
        /* The rest of the signal is zero padding. */
        for (; p < end; p++)
          g_assert_cmpint (*p, ==, '\0');
      }
  *out_n_signals = (guint) ns;
  *out_n_records = (guint) n_records;
  return tals;
}

static BxHypnogram *
make_night (void)
{
  static const int stages[] = { W, W, W, N1, N2, N2, N2, N3, N4, N4, N3, R, R, R, MT, W, N2, N2, U, U, W };
  BxHypnogram *h = bx_hypnogram_new (0, 30, G_N_ELEMENTS (stages));

  for (guint i = 0; i < G_N_ELEMENTS (stages); i++)
    h->stages[i] = (gint8) stages[i];
  return h;
}

static void
test_edf_round_trip (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "night-Hypnogram.edf", NULL);
  g_autoptr (BxHypnogram) night = make_night ();
  g_autoptr (GDateTime) start = g_date_time_new_utc (2024, 3, 9, 22, 47, 12);
  BxLabelWriteOptions options = { .start = start, .patient_code = "P-17" };
  g_autoptr (GError) error = NULL;
  g_autoptr (BxRecording) recording = NULL;
  g_autoptr (BxHypnogram) back = NULL;
  g_autoptr (BxAnnotationList) runs = bx_hypnogram_to_annotations (night);
  g_autoptr (GArray) tals = NULL;
  guint n_signals, n_records;
  const BxAnnotationList *annotations;

  g_assert_true (bx_labels_write_hypnogram (path, night, &options, &error));
  g_assert_no_error (error);

  /* Through the spec-level parser: one annotation signal, every run. */
  tals = parse_tals (path, &n_signals, &n_records);
  g_assert_cmpuint (n_signals, ==, 1);
  g_assert_cmpuint (tals->len, ==, bx_annotation_list_get_length (runs));
  for (guint i = 0; i < tals->len; i++)
    {
      const Tal *t = &g_array_index (tals, Tal, i);
      const BxAnnotation *a = bx_annotation_list_get (runs, i);

      g_assert_cmpfloat_with_epsilon (t->onset, a->onset, 1e-4);
      g_assert_cmpfloat_with_epsilon (t->duration, a->duration, 1e-4);
      g_assert_cmpstr (t->text, ==, a->text);
    }
  g_test_message ("%u TALs in %u data records", tals->len, n_records);

  /* Through EDFlib's own reader (the parser lineage EDFbrowser uses): the
   * test is single-threaded, so no lock around open/close is needed. */
  {
    struct edf_hdr_struct hdr;

    g_assert_cmpint (edfopen_file_readonly (path, &hdr, EDFLIB_READ_ALL_ANNOTATIONS), ==, 0);
    g_assert_cmpint (hdr.filetype, ==, EDFLIB_FILETYPE_EDFPLUS);
    g_assert_cmpint (hdr.edfsignals, ==, 0);
    g_assert_cmpint (hdr.annotations_in_file, ==, bx_annotation_list_get_length (runs));
    for (int i = 0; i < (int) hdr.annotations_in_file; i++)
      {
        struct edf_annotation_struct a;
        const BxAnnotation *expected = bx_annotation_list_get (runs, (guint) i);

        g_assert_cmpint (edf_get_annotation (hdr.handle, i, &a), ==, 0);
        g_assert_cmpfloat_with_epsilon ((double) a.onset / EDFLIB_TIME_DIMENSION, expected->onset, 1e-6);
        g_assert_cmpfloat_with_epsilon (g_ascii_strtod (a.duration, NULL), expected->duration, 1e-6);
        g_assert_cmpstr (a.annotation, ==, expected->text);
      }
    edfclose_file (hdr.handle);
  }

  /* Through our reader. */
  recording = bx_recording_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bx_recording_get_file_type (recording), ==, BX_FILE_EDFPLUS_C);
  g_assert_cmpuint (bx_recording_get_n_channels (recording), ==, 0);
  g_assert_cmpint (g_date_time_to_unix (bx_recording_get_start (recording)), ==, g_date_time_to_unix (start));
  annotations = bx_recording_get_annotations (recording);
  g_assert_cmpuint (bx_annotation_list_get_length (annotations), ==, bx_annotation_list_get_length (runs));

  back = bx_labels_read_hypnogram (path, NULL, NULL, 30, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->n_epochs, ==, night->n_epochs);
  g_assert_cmpmem (back->stages, back->n_epochs, night->stages, night->n_epochs);

  /* Aligned to a recording that started 60.5 s earlier, every onset moves by
   * +60.5 s; aligning again to the same start changes nothing. */
  {
    g_autoptr (BxLabelTrack) track = bx_label_track_read (path, NULL, &error);
    g_autoptr (GDateTime) earlier = g_date_time_add (start, -60500000);

    g_assert_no_error (error);
    g_assert_cmpfloat (bx_label_track_get (track, 1)->onset, ==, 90);
    g_assert_cmpfloat (bx_label_track_align (track, earlier), ==, 60.5);
    g_assert_cmpfloat (bx_label_track_get (track, 1)->onset, ==, 150.5);
    g_assert_cmpfloat (bx_label_track_align (track, earlier), ==, 0.0);
    g_assert_cmpfloat (bx_label_track_get (track, 0)->onset, ==, 60.5);
  }

  /* Classes of a non-sleep task, and AASM classes, through EDF+ too. */
  {
    static const char *const names[] = { "rest", "task" };
    g_autoptr (BxLabelMap) classes = bx_label_map_new_classes (names, 2);
    g_autoptr (BxLabelMap) aasm = bx_label_map_new_stage_set (BX_STAGE_SET_AASM);
    g_autoptr (BxHypnogram) task = bx_hypnogram_new (0, 2, 31);
    g_autoptr (BxHypnogram) aasm_night = bx_hypnogram_map_to_stage_set (night, BX_STAGE_SET_AASM);
    g_autofree char *task_path = g_build_filename (dir, "task.edf", NULL);
    g_autofree char *aasm_path = g_build_filename (dir, "aasm.edf", NULL);
    BxLabelWriteOptions task_options = { .map = classes };
    BxLabelWriteOptions aasm_options = { .map = aasm };
    g_autoptr (BxHypnogram) task_back = NULL;
    g_autoptr (BxHypnogram) aasm_back = NULL;

    for (guint i = 0; i < task->n_epochs; i++)
      task->stages[i] = (gint8) (i < 20 ? 0 : 1);
    g_assert_true (bx_labels_write_hypnogram (task_path, task, &task_options, &error));
    g_assert_no_error (error);
    task_back = bx_labels_read_hypnogram (task_path, NULL, classes, 2, 62, &error);
    g_assert_no_error (error);
    g_assert_cmpmem (task_back->stages, task_back->n_epochs, task->stages, task->n_epochs);

    g_assert_true (bx_labels_write_hypnogram (aasm_path, aasm_night, &aasm_options, &error));
    g_assert_no_error (error);
    aasm_back = bx_labels_read_hypnogram (aasm_path, NULL, aasm, 30, 0, &error);
    g_assert_no_error (error);
    g_assert_cmpmem (aasm_back->stages, aasm_back->n_epochs, aasm_night->stages, aasm_night->n_epochs);
  }

  /* Only the written files remain (no temporary names). */
  {
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    guint n = 0;

    while (g_dir_read_name (d) != NULL)
      n++;
    g_assert_cmpuint (n, ==, 3);
  }

  /* A folder that does not exist: error naming the file, no file. */
  {
    g_autofree char *missing = g_build_filename (dir, "none", "h.edf", NULL);

    g_assert_false (bx_labels_write_hypnogram (missing, night, NULL, &error));
    g_assert_nonnull (error);
    g_test_message ("error: %s", error->message);
    g_assert_nonnull (strstr (error->message, "h.edf"));
    g_clear_error (&error);
  }
  bx_test_tmpdir_remove (dir);
}

/* A whole day of 30 s epochs with a stage change almost every epoch: about
 * two thousand annotations in one file must survive the trip. */
static void
test_edf_round_trip_long (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "day.edf", NULL);
  g_autoptr (BxHypnogram) h = bx_hypnogram_new (0, 30, 2880);
  g_autoptr (BxHypnogram) back = NULL;
  g_autoptr (BxAnnotationList) runs = NULL;
  g_autoptr (GArray) tals = NULL;
  g_autoptr (GError) error = NULL;
  GRand *rand = g_rand_new_with_seed (99);
  guint n_signals, n_records;

  for (guint i = 0; i < h->n_epochs; i++)
    h->stages[i] = (gint8) g_rand_int_range (rand, -1, BX_STAGE_N_CODES);
  g_rand_free (rand);
  runs = bx_hypnogram_to_annotations (h);
  g_assert_cmpuint (bx_annotation_list_get_length (runs), >, 2000);

  g_assert_true (bx_labels_write_hypnogram (path, h, NULL, &error));
  g_assert_no_error (error);
  tals = parse_tals (path, &n_signals, &n_records);
  g_assert_cmpuint (tals->len, ==, bx_annotation_list_get_length (runs));
  back = bx_labels_read_hypnogram (path, NULL, NULL, 30, 86400, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (back->stages, back->n_epochs, h->stages, h->n_epochs);
  g_test_message ("%u annotations in %u data records", tals->len, n_records);
  bx_test_tmpdir_remove (dir);
}

static void
test_edf_read_errors (void)
{
  g_autofree char *invalid = bx_test_shared_data_path ("edf-corpus/invalid");
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) d = NULL;
  const char *name;

  if (invalid == NULL)
    return;
  d = g_dir_open (invalid, 0, NULL);
  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (invalid, name, NULL);
      g_autoptr (BxLabelTrack) track = bx_label_track_read (path, NULL, &error);

      g_assert_null (track);
      g_assert_nonnull (error);
      g_test_message ("%s: %s", name, error->message);
      g_assert_nonnull (strstr (error->message, name));
      g_clear_error (&error);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/labels/edf/sleep-edf-hypnogram", test_sleep_edf_hypnogram);
  g_test_add_func ("/labels/edf/dreams-text-matches-channel", test_dreams_text_matches_channel);
  g_test_add_func ("/labels/edf/round-trip", test_edf_round_trip);
  g_test_add_func ("/labels/edf/round-trip-long", test_edf_round_trip_long);
  g_test_add_func ("/labels/edf/read-errors", test_edf_read_errors);
  return g_test_run ();
}
