/* test-labels-io.c — text label files (DREAMS, CSV, TSV), label maps, annotation conversions,
 * write -> read round trips.
 *
 * Fixtures in tests/fixtures/labels come from tests/reference/labels_fixtures.py;
 * expected values for the small files are written out by hand below. */
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "bx-test-data.h"
#include "recording/bx-labels-io.h"

#define W BX_STAGE_WAKE
#define N1 BX_STAGE_N1
#define N2 BX_STAGE_N2
#define N3 BX_STAGE_N3
#define N4 BX_STAGE_N4
#define R BX_STAGE_REM
#define MT BX_STAGE_MOVEMENT
#define U BX_STAGE_UNKNOWN

/* Asserts that `error` is set, in `code` of the hypnogram domain, and that its
 * message contains every one of the NULL-terminated fragments. */
static void
assert_error_mentions (const GError *error, int code, ...)
{
  va_list args;
  const char *fragment;

  g_assert_nonnull (error);
  g_test_message ("error: %s", error->message);
  g_assert_error (error, BX_HYPNOGRAM_ERROR, code);
  va_start (args, code);
  while ((fragment = va_arg (args, const char *)) != NULL)
    if (strstr (error->message, fragment) == NULL)
      g_error ("error message '%s' does not mention '%s'", error->message, fragment);
  va_end (args);
}

static BxLabelTrack *
parse_string (const char *name, const char *text, BxLabelFormat format, GError **error)
{
  BxLabelReadOptions options = { .format = format };

  return bx_label_track_parse (name, text, strlen (text), &options, error);
}

static void
test_csv_edge_cases (void)
{
  g_autofree char *path = bx_test_fixture_path ("labels/edge.csv");
  g_autoptr (GError) error = NULL;
  g_autoptr (BxLabelTrack) track = bx_label_track_read (path, NULL, &error);
  g_autoptr (BxHypnogram) h = NULL;
  /* edge.csv (CRLF, BOM): line 1 comment, 2 blank, 3 header, rows on lines
   * 4, 5, 8, 9, 10 (6 blank, 7 comment). */
  static const struct {
    double onset, duration;
    const char *label;
    guint line;
  } expected[] = {
    { 0, 30, "W", 4 }, { 30, 60, "Sleep stage 1", 5 }, { 90, 30, "N2", 8 }, { 120, 30, "REM", 9 }, { 150, 30, "?", 10 },
  };
  static const int stages[] = { W, N1, N1, N2, R, U };

  g_assert_no_error (error);
  g_assert_cmpint (bx_label_track_get_format (track), ==, BX_LABEL_FORMAT_CSV);
  g_assert_cmpuint (bx_label_track_get_length (track), ==, G_N_ELEMENTS (expected));
  g_assert_false (bx_label_track_has_confidence (track));
  g_assert_null (bx_label_track_get_start (track));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      const BxLabelEvent *e = bx_label_track_get (track, i);

      g_assert_cmpfloat (e->onset, ==, expected[i].onset);
      g_assert_cmpfloat (e->duration, ==, expected[i].duration);
      g_assert_cmpstr (e->label, ==, expected[i].label);
      g_assert_cmpuint (e->line, ==, expected[i].line);
      g_assert_true (isnan (e->confidence));
    }

  /* Text formats carry no start date-time: aligning changes nothing. */
  {
    g_autoptr (GDateTime) t = g_date_time_new_utc (2020, 1, 1, 0, 0, 0);

    g_assert_cmpfloat (bx_label_track_align (track, t), ==, 0.0);
    g_assert_cmpfloat (bx_label_track_get (track, 1)->onset, ==, 30);
  }

  /* The epoch length is inferred (gcd of 0, 30, 60, 90, 120, 150 = 30). */
  h = bx_label_track_to_hypnogram (track, NULL, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (h->epoch_length, ==, 30);
  g_assert_cmpuint (h->n_epochs, ==, G_N_ELEMENTS (stages));
  for (guint i = 0; i < G_N_ELEMENTS (stages); i++)
    g_assert_cmpint (h->stages[i], ==, stages[i]);
}

static void
test_tsv_bids (void)
{
  g_autofree char *path = bx_test_fixture_path ("labels/events.tsv");
  g_autoptr (GError) error = NULL;
  g_autoptr (BxLabelTrack) track = bx_label_track_read (path, NULL, &error);
  g_autoptr (BxHypnogram) h = NULL;
  BxLabelReadOptions by_value = { .label_column = "value" };
  g_autoptr (BxLabelTrack) values = NULL;
  const BxLabelEvent *e;

  g_assert_no_error (error);
  g_assert_cmpint (bx_label_track_get_format (track), ==, BX_LABEL_FORMAT_TSV);
  g_assert_cmpuint (bx_label_track_get_length (track), ==, 4);
  g_assert_true (bx_label_track_has_confidence (track));
  /* trial_type, not value, is the label column by default. */
  g_assert_cmpstr (bx_label_track_get (track, 0)->label, ==, "W");
  g_assert_cmpfloat (bx_label_track_get (track, 0)->confidence, ==, 0.9f);
  g_assert_true (isnan (bx_label_track_get (track, 1)->confidence));
  e = bx_label_track_get (track, 2);
  g_assert_cmpfloat (e->duration, ==, 0);  /* n/a */
  g_assert_cmpfloat (e->confidence, ==, 0.25f);
  g_assert_cmpuint (bx_label_track_get (track, 3)->line, ==, 6);

  /* n/a duration = one epoch; confidence per epoch, 0 where none. */
  h = bx_label_track_to_hypnogram (track, NULL, 30, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (h->n_epochs, ==, 4);
  g_assert_cmpint (h->stages[0], ==, W);
  g_assert_cmpint (h->stages[1], ==, N1);
  g_assert_cmpint (h->stages[2], ==, N2);
  g_assert_cmpint (h->stages[3], ==, N3);
  g_assert_nonnull (h->confidence);
  g_assert_cmpfloat (h->confidence[0], ==, 0.9f);
  g_assert_cmpfloat (h->confidence[1], ==, 0.0f);
  g_assert_cmpfloat (h->confidence[2], ==, 0.25f);
  g_assert_cmpfloat (h->confidence[3], ==, 1.0f);

  /* Column names: case, blanks and '-' do not matter ("Sleep Stage" = sleep_stage). */
  {
    const char *text = "Onset,DURATION,Sleep Stage,Scorer-Note\n0,30,N3,x\n";
    g_autoptr (BxLabelTrack) t = parse_string ("s.csv", text, BX_LABEL_FORMAT_AUTO, &error);
    BxLabelReadOptions note = { .label_column = "scorer_note" };
    g_autoptr (BxLabelTrack) n = bx_label_track_parse ("s.csv", text, strlen (text), &note, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (bx_label_track_get (t, 0)->label, ==, "N3");
    g_assert_cmpstr (bx_label_track_get (n, 0)->label, ==, "x");
  }

  /* The label column can be chosen. */
  values = bx_label_track_read (path, &by_value, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (bx_label_track_get (values, 1)->label, ==, "3");
}

static void
test_dreams_small (void)
{
  g_autofree char *path = bx_test_fixture_path ("labels/dreams_small.txt");
  g_autoptr (GError) error = NULL;
  g_autoptr (BxLabelTrack) track = bx_label_track_read (path, NULL, &error);
  g_autoptr (BxHypnogram) h = NULL;
  g_autoptr (BxHypnogram) rk = NULL;
  /* 5 5 3 2 -1 1 0 4 = W W S1 S2 ? S3 S4 REM */
  static const int stages[] = { W, W, N1, N2, U, N3, N4, R };
  static const int rk_classes[] = { 0, 0, 1, 2, -1, 3, 4, 5 };
  g_autoptr (BxLabelMap) rk_map = bx_label_map_new_stage_set (BX_STAGE_SET_RK);
  BxLabelReadOptions ten = { .format = BX_LABEL_FORMAT_DREAMS, .dreams_epoch_length = 10 };
  g_autoptr (BxLabelTrack) track10 = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (bx_label_track_get_format (track), ==, BX_LABEL_FORMAT_DREAMS);
  g_assert_cmpuint (bx_label_track_get_length (track), ==, 8);
  g_assert_cmpuint (bx_label_track_get (track, 0)->line, ==, 2);
  g_assert_cmpfloat (bx_label_track_get (track, 7)->onset, ==, 35);
  g_assert_cmpfloat (bx_label_track_get (track, 7)->duration, ==, 5);
  h = bx_label_track_to_hypnogram (track, NULL, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (h->epoch_length, ==, 5);
  g_assert_cmpuint (h->n_epochs, ==, 8);
  for (guint i = 0; i < 8; i++)
    g_assert_cmpint (h->stages[i], ==, stages[i]);
  rk = bx_label_track_to_hypnogram (track, rk_map, 5, 0, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 8; i++)
    g_assert_cmpint (rk->stages[i], ==, rk_classes[i]);

  track10 = bx_label_track_read (path, &ten, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (bx_label_track_get (track10, 7)->onset, ==, 70);
}

static void
test_dreams_excerpt3 (void)
{
  g_autofree char *path = bx_test_shared_data_path ("dreams/Hypnogram_excerpt3.txt");
  g_autofree char *expected_path = bx_test_fixture_path ("labels/dreams_expected.txt");
  g_autofree char *expected = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (BxHypnogram) h = NULL;
  BxHypnogramSummary s;

  if (path == NULL)
    return;
  g_assert_true (g_file_get_contents (expected_path, &expected, NULL, NULL));
  lines = g_strsplit (expected, "\n", -1);

  h = bx_labels_read_hypnogram (path, NULL, NULL, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (h->epoch_length, ==, 5);
  bx_hypnogram_summarize (h, &s);
  for (guint l = 0; lines[l] != NULL; l++)
    {
      g_auto (GStrv) kv = g_strsplit (lines[l], " ", 2);
      BxStage stage;

      if (kv[0] == NULL || kv[1] == NULL)
        continue;
      if (strcmp (kv[0], "n_values") == 0)
        g_assert_cmpuint (h->n_epochs, ==, atoi (kv[1]));
      else if (g_str_has_prefix (kv[0], "count_"))
        {
          g_assert_true (bx_stage_from_string (kv[0] + 6, &stage));
          if (stage == U)
            g_assert_cmpuint (s.n_unknown, ==, atoi (kv[1]));
          else
            g_assert_cmpuint (s.n_stage[stage], ==, atoi (kv[1]));
        }
      else if (g_str_has_prefix (kv[0], "resample30"))
        {
          double purity = strcmp (kv[0], "resample30") == 0 ? 0.0 : 0.75;
          g_autoptr (BxHypnogram) r = bx_hypnogram_resample (h, 30, purity);
          g_auto (GStrv) names = g_strsplit (kv[1], " ", -1);

          g_assert_cmpuint (r->n_epochs, ==, g_strv_length (names));
          for (guint i = 0; i < r->n_epochs; i++)
            {
              g_assert_true (bx_stage_from_string (names[i], &stage));
              if (r->stages[i] != stage)
                g_error ("%s: epoch %u: %s, expected %s", kv[0], i, bx_stage_to_string (r->stages[i]), names[i]);
            }
        }
    }
  g_assert_cmpuint (h->n_epochs, ==, 360);
}

/* Error cases: every message names the file, the line (where there is one)
 * and the offending value. */
static void
test_parse_errors (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (BxHypnogram) h = NULL;
  g_autoptr (BxLabelTrack) track = NULL;
  g_autofree char *bad_stage = bx_test_fixture_path ("labels/bad_stage.csv");
  g_autofree char *bad_negative = bx_test_fixture_path ("labels/bad_negative.tsv");
  g_autofree char *bad_missing = bx_test_fixture_path ("labels/bad_missing_column.csv");
  g_autofree char *bad_quote = bx_test_fixture_path ("labels/bad_quote.csv");
  g_autofree char *bad_dreams = bx_test_fixture_path ("labels/bad_dreams.txt");

  /* Parsing succeeds, the label is caught when mapped. */
  track = bx_label_track_read (bad_stage, NULL, &error);
  g_assert_no_error (error);
  h = bx_label_track_to_hypnogram (track, NULL, 30, 0, &error);
  g_assert_null (h);
  assert_error_mentions (error, BX_HYPNOGRAM_ERROR_LABEL, "bad_stage.csv: line 14: unknown stage 'N5'", NULL);
  g_clear_error (&error);
  h = bx_labels_read_hypnogram (bad_stage, NULL, NULL, 30, 0, &error);
  g_assert_null (h);
  assert_error_mentions (error, BX_HYPNOGRAM_ERROR_LABEL, "line 14", "'N5'", NULL);
  g_clear_error (&error);
  g_clear_pointer (&track, bx_label_track_free);

#define EXPECT_READ_ERROR(path_, code_, ...)                                                                  \
  G_STMT_START                                                                                                \
  {                                                                                                           \
    g_autoptr (BxLabelTrack) t_ = bx_label_track_read (path_, NULL, &error);                                 \
    g_assert_null (t_);                                                                                       \
    assert_error_mentions (error, code_, __VA_ARGS__, NULL);                                                  \
    g_clear_error (&error);                                                                                   \
  }                                                                                                           \
  G_STMT_END

  EXPECT_READ_ERROR (bad_negative, BX_HYPNOGRAM_ERROR_PARSE, "bad_negative.tsv: line 3", "negative duration '-30'");
  EXPECT_READ_ERROR (bad_missing, BX_HYPNOGRAM_ERROR_FORMAT, "bad_missing_column.csv: line 1", "no 'duration' column",
                     "onset, label");
  EXPECT_READ_ERROR (bad_quote, BX_HYPNOGRAM_ERROR_PARSE, "bad_quote.csv: line 3", "unterminated");
  EXPECT_READ_ERROR (bad_dreams, BX_HYPNOGRAM_ERROR_PARSE, "bad_dreams.txt: line 4", "'x3'");
  EXPECT_READ_ERROR ("/nonexistent/labels/hyp.csv", BX_HYPNOGRAM_ERROR_IO, "/nonexistent/labels/hyp.csv");

#define EXPECT_PARSE_ERROR(name_, text_, format_, code_, ...)                                                 \
  G_STMT_START                                                                                                \
  {                                                                                                           \
    g_autoptr (BxLabelTrack) t_ = parse_string (name_, text_, format_, &error);                              \
    g_assert_null (t_);                                                                                       \
    assert_error_mentions (error, code_, __VA_ARGS__, NULL);                                                  \
    g_clear_error (&error);                                                                                   \
  }                                                                                                           \
  G_STMT_END

  EXPECT_PARSE_ERROR ("a.csv", "onset,duration,label\n0,30,W\n30,30\n", BX_LABEL_FORMAT_AUTO,
                      BX_HYPNOGRAM_ERROR_PARSE, "a.csv: line 3", "2 fields", "header has 3");
  EXPECT_PARSE_ERROR ("a.csv", "onset,duration,label\nzero,30,W\n", BX_LABEL_FORMAT_AUTO, BX_HYPNOGRAM_ERROR_PARSE,
                      "a.csv: line 2", "onset 'zero'");
  EXPECT_PARSE_ERROR ("a.csv", "onset,duration,label\n0,30s,W\n", BX_LABEL_FORMAT_AUTO, BX_HYPNOGRAM_ERROR_PARSE,
                      "line 2", "duration '30s'");
  EXPECT_PARSE_ERROR ("a.csv", "onset,duration,label\n0,nan,W\n", BX_LABEL_FORMAT_AUTO, BX_HYPNOGRAM_ERROR_PARSE,
                      "line 2", "duration 'nan'");
  EXPECT_PARSE_ERROR ("a.csv", "onset,duration,label,confidence\n0,30,W,1.5\n", BX_LABEL_FORMAT_AUTO,
                      BX_HYPNOGRAM_ERROR_PARSE, "line 2", "confidence '1.5'", "0..1");
  EXPECT_PARSE_ERROR ("a.csv", "onset,duration,label\n0,30,\"\"\n", BX_LABEL_FORMAT_AUTO, BX_HYPNOGRAM_ERROR_PARSE,
                      "line 2", "empty label");
  EXPECT_PARSE_ERROR ("a.csv", "onset,duration,label\n0,30,\"W\"x\n", BX_LABEL_FORMAT_AUTO, BX_HYPNOGRAM_ERROR_PARSE,
                      "line 2", "'x' after the closing quote");
  EXPECT_PARSE_ERROR ("a.csv", "onset,duration\n0,30\n", BX_LABEL_FORMAT_AUTO, BX_HYPNOGRAM_ERROR_FORMAT,
                      "a.csv: line 1", "no label column");
  EXPECT_PARSE_ERROR ("a.csv", "duration,label\n30,W\n", BX_LABEL_FORMAT_AUTO, BX_HYPNOGRAM_ERROR_FORMAT,
                      "no 'onset' column");
  EXPECT_PARSE_ERROR ("a.csv", "# only a comment\r\n\r\n", BX_LABEL_FORMAT_AUTO, BX_HYPNOGRAM_ERROR_EMPTY, "a.csv",
                      "empty");
  EXPECT_PARSE_ERROR ("a.csv", "onset,duration,label\n", BX_LABEL_FORMAT_AUTO, BX_HYPNOGRAM_ERROR_EMPTY, "a.csv",
                      "no rows");
  EXPECT_PARSE_ERROR ("a.tsv", "onset\tduration\tstage\n0\t30\tW\n30\t-0.5\tW\n", BX_LABEL_FORMAT_AUTO,
                      BX_HYPNOGRAM_ERROR_PARSE, "a.tsv: line 3", "negative duration '-0.5'");
  EXPECT_PARSE_ERROR ("a.csv", "onset,duration,label\n0,30,W\xff\n", BX_LABEL_FORMAT_AUTO, BX_HYPNOGRAM_ERROR_PARSE,
                      "a.csv: line 2", "not UTF-8");
  EXPECT_PARSE_ERROR ("hyp.txt", "[Hypnogram]\n5\n5.5\n", BX_LABEL_FORMAT_AUTO, BX_HYPNOGRAM_ERROR_PARSE,
                      "hyp.txt: line 3", "'5.5'");
  EXPECT_PARSE_ERROR ("hyp.txt", "[Hypnogram]\n\n", BX_LABEL_FORMAT_DREAMS, BX_HYPNOGRAM_ERROR_EMPTY, "hyp.txt");
  EXPECT_PARSE_ERROR ("notes.txt", "just some words\n", BX_LABEL_FORMAT_AUTO, BX_HYPNOGRAM_ERROR_FORMAT,
                      "notes.txt", "not a known label file format");
  EXPECT_PARSE_ERROR ("a.edf", "0       ", BX_LABEL_FORMAT_AUTO, BX_HYPNOGRAM_ERROR_FORMAT, "a.edf");

  /* Label-column override that does not exist. */
  {
    BxLabelReadOptions options = { .format = BX_LABEL_FORMAT_CSV, .label_column = "scorer2" };
    const char *text = "onset,duration,label\n0,30,W\n";
    g_autoptr (BxLabelTrack) t = bx_label_track_parse ("b.csv", text, strlen (text), &options, &error);

    g_assert_null (t);
    assert_error_mentions (error, BX_HYPNOGRAM_ERROR_FORMAT, "b.csv", "no 'scorer2' column", NULL);
    g_clear_error (&error);
  }

  /* Unknown class labels name the known classes. */
  {
    static const char *const classes[] = { "rest", "task" };
    g_autoptr (BxLabelMap) map = bx_label_map_new_classes (classes, 2);
    g_autoptr (BxLabelTrack) t = parse_string ("c.csv", "onset,duration,label\n0,60,rest\n60,60,sleepy\n",
                                               BX_LABEL_FORMAT_AUTO, &error);

    g_assert_no_error (error);
    h = bx_label_track_to_hypnogram (t, map, 1, 0, &error);
    g_assert_null (h);
    assert_error_mentions (error, BX_HYPNOGRAM_ERROR_LABEL, "c.csv: line 3", "unknown label 'sleepy'", "rest, task",
                           NULL);
    g_clear_error (&error);
  }

  /* Epoch length cannot be inferred from onsets on a 10 ms grid. */
  {
    g_autoptr (BxLabelTrack) t = parse_string ("d.csv", "onset,duration,label\n0.01,30,W\n", BX_LABEL_FORMAT_AUTO,
                                               &error);

    g_assert_no_error (error);
    h = bx_label_track_to_hypnogram (t, NULL, 0, 0, &error);
    g_assert_null (h);
    assert_error_mentions (error, BX_HYPNOGRAM_ERROR_FORMAT, "d.csv", "epoch length", NULL);
    g_clear_error (&error);
  }

  /* A label a million days away would need a grid of billions of epochs. */
  {
    g_autoptr (BxLabelTrack) t = parse_string ("f.csv", "onset,duration,label\n0,30,W\n1e11,30,N2\n",
                                               BX_LABEL_FORMAT_AUTO, &error);

    g_assert_no_error (error);
    h = bx_label_track_to_hypnogram (t, NULL, 30, 0, &error);
    g_assert_null (h);
    assert_error_mentions (error, BX_HYPNOGRAM_ERROR_FORMAT, "f.csv", "exceed the limit", NULL);
    g_clear_error (&error);
  }

  /* Text formats only hold labels: no stage at all is an error. */
  {
    static const char *const classes[] = { "rest", "task" };
    g_autoptr (BxLabelMap) map = bx_label_map_new_classes (classes, 2);
    g_autoptr (BxLabelTrack) t = bx_label_track_new ("e.edf", BX_LABEL_FORMAT_EDF);

    bx_label_track_add (t, 0, 10, "Lights off", NAN, 0);
    h = bx_label_track_to_hypnogram (t, NULL, 30, 0, &error);
    g_assert_null (h);
    assert_error_mentions (error, BX_HYPNOGRAM_ERROR_EMPTY, "e.edf", "no sleep stage", NULL);
    g_clear_error (&error);
    h = bx_label_track_to_hypnogram (t, map, 30, 0, &error);
    g_assert_null (h);
    assert_error_mentions (error, BX_HYPNOGRAM_ERROR_EMPTY, "e.edf", "no label", NULL);
    g_clear_error (&error);
  }
}

static void
test_format_guess (void)
{
  static const struct {
    const char *path;
    const char *head;
    BxLabelFormat format;
  } cases[] = {
    { "a.EDF", NULL, BX_LABEL_FORMAT_EDF },
    { "a.bdf", NULL, BX_LABEL_FORMAT_EDF },
    { "dir.csv/a.csv", NULL, BX_LABEL_FORMAT_CSV },
    { "a.TSV", "", BX_LABEL_FORMAT_TSV },
    { "a.txt", "0       X X X X", BX_LABEL_FORMAT_EDF },
    { "a", "\xff" "BIOSEMI", BX_LABEL_FORMAT_EDF },
    { "Hypnogram_excerpt3.txt", "[Hypnogram]\r\n3\r\n", BX_LABEL_FORMAT_DREAMS },
    { "a.txt", "\xef\xbb\xbf\r\n# x\n5\n5\n", BX_LABEL_FORMAT_DREAMS },
    { "a.txt", "-1\n", BX_LABEL_FORMAT_DREAMS },
    { "a.txt", "onset\tduration\tstage\n", BX_LABEL_FORMAT_TSV },
    { "a.txt", "onset,duration,stage\n", BX_LABEL_FORMAT_CSV },
    { "a.dir/b", "words only\n", BX_LABEL_FORMAT_AUTO },
    { "a.txt", "", BX_LABEL_FORMAT_AUTO },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (bx_label_format_guess (cases[i].path, cases[i].head, cases[i].head ? strlen (cases[i].head) : 0),
                     ==, cases[i].format);

  for (BxLabelFormat f = BX_LABEL_FORMAT_AUTO; f <= BX_LABEL_FORMAT_TSV; f++)
    {
      BxLabelFormat back;

      g_assert_true (bx_label_format_from_string (bx_label_format_to_string (f), &back));
      g_assert_cmpint (back, ==, f);
    }
  {
    BxLabelFormat f;

    g_assert_true (bx_label_format_from_string ("EDF+", &f));
    g_assert_cmpint (f, ==, BX_LABEL_FORMAT_EDF);
    g_assert_false (bx_label_format_from_string ("xml", &f));
  }
}

static void
test_label_maps (void)
{
  static const char *const classes[] = { "rest", " task " };
  g_autoptr (BxLabelMap) cls = bx_label_map_new_classes (classes, 2);
  g_autoptr (BxLabelMap) aasm = bx_label_map_new_stage_set (BX_STAGE_SET_AASM);
  g_autoptr (BxLabelMap) rk = bx_label_map_new_stage_set (BX_STAGE_SET_RK);
  g_autoptr (BxLabelMap) sw = bx_label_map_new_stage_set (BX_STAGE_SET_SLEEP_WAKE);
  g_autoptr (BxLabelMap) stages = bx_label_map_new_stages ();
  int v;

  bx_label_map_add_alias (cls, "mental arithmetic", 1);
  g_assert_cmpint (bx_label_map_get_kind (cls), ==, BX_LABEL_MAP_CLASSES);
  g_assert_cmpuint (bx_label_map_get_n_values (cls), ==, 2);
  g_assert_true (bx_label_map_lookup (cls, "REST", &v));
  g_assert_cmpint (v, ==, 0);
  g_assert_true (bx_label_map_lookup (cls, "task", &v));
  g_assert_cmpint (v, ==, 1);
  g_assert_true (bx_label_map_lookup (cls, " Mental Arithmetic ", &v));
  g_assert_cmpint (v, ==, 1);
  g_assert_true (bx_label_map_lookup (cls, "n/a", &v));
  g_assert_cmpint (v, ==, U);
  g_assert_true (bx_label_map_lookup (cls, "?", &v));
  g_assert_cmpint (v, ==, U);
  /* A class map does not read sleep stages. */
  g_assert_false (bx_label_map_lookup (cls, "W", &v));
  g_assert_false (bx_label_map_lookup (cls, "tasks", &v));
  g_assert_cmpstr (bx_label_map_get_name (cls, 1), ==, "task");
  g_assert_cmpstr (bx_label_map_get_name (cls, 2), ==, "?");
  g_assert_cmpstr (bx_label_map_get_name (cls, U), ==, "?");
  g_assert_cmpstr (bx_label_map_get_annotation_text (cls, 0), ==, "rest");

  /* Stage texts through a stage set: S4 -> AASM N3 (3), R&K S4 (4), Sleep (1). */
  g_assert_true (bx_label_map_lookup (aasm, "Sleep stage 4", &v));
  g_assert_cmpint (v, ==, 3);
  g_assert_true (bx_label_map_lookup (rk, "Sleep stage 4", &v));
  g_assert_cmpint (v, ==, 4);
  g_assert_true (bx_label_map_lookup (sw, "Sleep stage 4", &v));
  g_assert_cmpint (v, ==, 1);
  g_assert_true (bx_label_map_lookup (sw, "sleep", &v));
  g_assert_cmpint (v, ==, 1);
  g_assert_true (bx_label_map_lookup (rk, "S3", &v));
  g_assert_cmpint (v, ==, 3);
  g_assert_true (bx_label_map_lookup (aasm, "R", &v));
  g_assert_cmpint (v, ==, 4);
  /* Movement time has no class: unscored. */
  g_assert_true (bx_label_map_lookup (aasm, "Movement time", &v));
  g_assert_cmpint (v, ==, U);
  g_assert_false (bx_label_map_lookup (aasm, "N5", &v));
  g_assert_cmpstr (bx_label_map_get_name (rk, 4), ==, "S4");
  g_assert_cmpstr (bx_label_map_get_annotation_text (rk, 4), ==, "Sleep stage 4");
  g_assert_cmpstr (bx_label_map_get_annotation_text (aasm, 3), ==, "Sleep stage 3");
  g_assert_cmpstr (bx_label_map_get_annotation_text (sw, 1), ==, "Sleep");
  g_assert_cmpstr (bx_label_map_get_annotation_text (sw, 0), ==, "Sleep stage W");
  g_assert_cmpstr (bx_label_map_get_annotation_text (sw, U), ==, "Sleep stage ?");
  g_assert_cmpuint (bx_label_map_get_n_values (rk), ==, 6);

  g_assert_true (bx_label_map_lookup (stages, "Sleep stage 4", &v));
  g_assert_cmpint (v, ==, N4);
  g_assert_true (bx_label_map_lookup (NULL, "MT", &v));
  g_assert_cmpint (v, ==, MT);
  g_assert_cmpstr (bx_label_map_get_name (NULL, N4), ==, "N4");
  g_assert_cmpuint (bx_label_map_get_n_values (NULL), ==, BX_STAGE_N_CODES);

  /* An alias overrides the stage meaning (e.g. a lab's "M" = microarousal, unscored). */
  bx_label_map_add_alias (stages, "M", U);
  g_assert_true (bx_label_map_lookup (stages, "m", &v));
  g_assert_cmpint (v, ==, U);
}

static void
test_annotations (void)
{
  g_autoptr (BxAnnotationList) list = bx_annotation_list_new ();
  g_autoptr (BxAnnotationList) none = bx_annotation_list_new ();
  g_autoptr (BxHypnogram) h = NULL;
  g_autoptr (BxHypnogram) derived = NULL;
  g_autoptr (BxAnnotationList) back = NULL;
  /* Annotations (s):         W [0,90)  N2 [90,150)  lights [100)  R [150,165)+N1 [165,180)
   *                          "Sleep stage 3" instantaneous at 180 -> one epoch [180,210)
   *                          nothing in [210,240); "Sleep stage ?" [240,270); W [270,285)
   * 30 s epochs: 0-2 W, 3-4 N2, 5: R 15 / N1 15 tie -> ?, 6 N3, 7 uncovered -> ?,
   * 8 ?, 9 W covered 15 of 30 = half -> W. total 300 -> 10 epochs. */
  static const int expected[] = { W, W, W, N2, N2, U, N3, U, U, W };

  bx_annotation_list_add (list, 0, 90, "Sleep stage W");
  bx_annotation_list_add (list, 90, 60, "N2");
  bx_annotation_list_add (list, 100, 0, "Lights on");
  bx_annotation_list_add (list, 150, 15, "REM");
  bx_annotation_list_add (list, 165, 15, "Sleep stage 1");
  bx_annotation_list_add (list, 180, -1, "Sleep stage 3");
  bx_annotation_list_add (list, 240, 30, "Sleep stage ?");
  bx_annotation_list_add (list, 270, 15, "wake");
  bx_annotation_list_add (none, 0, 30, "Lights off");

  h = bx_hypnogram_from_annotations (list, 30, 300);
  g_assert_nonnull (h);
  g_assert_cmpfloat (h->start, ==, 0);
  g_assert_cmpuint (h->n_epochs, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < h->n_epochs; i++)
    g_assert_cmpint (h->stages[i], ==, expected[i]);
  g_assert_null (bx_hypnogram_from_annotations (none, 30, 300));

  /* Total 299: the partial last epoch is dropped; total 0: up to the last
   * stage annotation (285 s -> 10 epochs, the last half covered). */
  {
    g_autoptr (BxHypnogram) shorter = bx_hypnogram_from_annotations (list, 30, 299);
    g_autoptr (BxHypnogram) open = bx_hypnogram_from_annotations (list, 30, 0);

    g_assert_cmpuint (shorter->n_epochs, ==, 9);
    g_assert_cmpuint (open->n_epochs, ==, 10);
    g_assert_cmpint (open->stages[9], ==, W);
  }

  /* Runs -> annotations: W 0+90, N2 90+60, ? 150+30, N3 180+30, ? 210+60, W 270+30. */
  back = bx_hypnogram_to_annotations (h);
  {
    static const struct {
      double onset, duration;
      const char *text;
    } runs[] = {
      { 0, 90, "Sleep stage W" },   { 90, 60, "Sleep stage 2" },  { 150, 30, "Sleep stage ?" },
      { 180, 30, "Sleep stage 3" }, { 210, 60, "Sleep stage ?" }, { 270, 30, "Sleep stage W" },
    };

    g_assert_cmpuint (bx_annotation_list_get_length (back), ==, G_N_ELEMENTS (runs));
    for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
      {
        const BxAnnotation *a = bx_annotation_list_get (back, i);

        g_assert_cmpfloat (a->onset, ==, runs[i].onset);
        g_assert_cmpfloat (a->duration, ==, runs[i].duration);
        g_assert_cmpstr (a->text, ==, runs[i].text);
      }
  }
  /* ... and back again. */
  derived = bx_hypnogram_from_annotations (back, 30, 300);
  for (guint i = 0; i < h->n_epochs; i++)
    g_assert_cmpint (derived->stages[i], ==, h->stages[i]);

  /* Class names in annotations (eegmat-like rest/task). */
  {
    static const char *const classes[] = { "rest", "task" };
    g_autoptr (BxLabelMap) map = bx_label_map_new_classes (classes, 2);
    g_autoptr (BxAnnotationList) ev = bx_annotation_list_new ();
    g_autoptr (BxLabelTrack) track = NULL;
    g_autoptr (GError) error = NULL;
    g_autoptr (BxHypnogram) c = NULL;
    g_autoptr (BxAnnotationList) named = NULL;

    bx_annotation_list_add (ev, 0, 0, "Recording starts");
    bx_annotation_list_add (ev, 0, 4, "rest");
    bx_annotation_list_add (ev, 4, 2, "TASK");
    track = bx_label_track_new_from_annotations (ev, "eeg.edf");
    c = bx_label_track_to_hypnogram (track, map, 1, 6, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (c->n_epochs, ==, 6);
    for (guint i = 0; i < 6; i++)
      g_assert_cmpint (c->stages[i], ==, i < 4 ? 0 : 1);
    named = bx_labels_hypnogram_to_annotations (c, map);
    g_assert_cmpuint (bx_annotation_list_get_length (named), ==, 2);
    g_assert_cmpstr (bx_annotation_list_get (named, 1)->text, ==, "task");
    g_assert_cmpfloat (bx_annotation_list_get (named, 1)->onset, ==, 4);
    g_assert_cmpfloat (bx_annotation_list_get (named, 1)->duration, ==, 2);

    /* Shifting the track moves every onset. */
    bx_label_track_shift (track, 10);
    g_assert_cmpfloat (bx_label_track_get (track, 2)->onset, ==, 14);
  }
}

static void
test_whole_recording (void)
{
  static const char *const classes[] = { "rest", "task" };
  g_autoptr (BxLabelMap) map = bx_label_map_new_classes (classes, 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxHypnogram) one = bx_labels_whole_recording (map, "task", 62, 0, &error);
  g_autoptr (BxHypnogram) grid = NULL;
  g_autoptr (BxHypnogram) bad = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (one->n_epochs, ==, 1);
  g_assert_cmpfloat (one->epoch_length, ==, 62);
  g_assert_cmpint (one->stages[0], ==, 1);

  /* 182 s on a 5 s grid: 37 epochs (the partial last one kept). */
  grid = bx_labels_whole_recording (map, "Rest", 182, 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (grid->n_epochs, ==, 37);
  for (guint i = 0; i < grid->n_epochs; i++)
    g_assert_cmpint (grid->stages[i], ==, 0);

  bad = bx_labels_whole_recording (map, "sleep", 60, 0, &error);
  g_assert_null (bad);
  assert_error_mentions (error, BX_HYPNOGRAM_ERROR_LABEL, "'sleep'", "rest, task", NULL);
  g_clear_error (&error);
  bad = bx_labels_whole_recording (map, "rest", 0, 0, &error);
  g_assert_null (bad);
  assert_error_mentions (error, BX_HYPNOGRAM_ERROR_PARSE, "duration", NULL);
}

/* A hypnogram with every stage code, unknown epochs and awkward confidences. */
static BxHypnogram *
make_night (gboolean with_confidence)
{
  static const int stages[] = { W, W, N1, N2, N2, N3, N4, N4, R, R, MT, U, W, N2, U };
  BxHypnogram *h = bx_hypnogram_new (0, 30, G_N_ELEMENTS (stages));
  GRand *rand = g_rand_new_with_seed (7);

  for (guint i = 0; i < G_N_ELEMENTS (stages); i++)
    h->stages[i] = (gint8) stages[i];
  if (with_confidence)
    {
      bx_hypnogram_ensure_confidence (h);
      for (guint i = 0; i < h->n_epochs; i++)
        h->confidence[i] = (float) g_rand_double (rand);
      h->confidence[0] = 1.0f;
      h->confidence[1] = 0.0f;
      h->confidence[2] = 1.0f / 3.0f;
      h->confidence[3] = 1e-7f;
    }
  g_rand_free (rand);
  return h;
}

static void
assert_same_hypnogram (const BxHypnogram *a, const BxHypnogram *b, gboolean confidences)
{
  g_assert_cmpuint (a->n_epochs, ==, b->n_epochs);
  g_assert_cmpfloat (a->epoch_length, ==, b->epoch_length);
  g_assert_cmpfloat (a->start, ==, b->start);
  for (guint i = 0; i < a->n_epochs; i++)
    if (a->stages[i] != b->stages[i])
      g_error ("epoch %u: %d != %d", i, a->stages[i], b->stages[i]);
  if (confidences)
    {
      g_assert_nonnull (b->confidence);
      for (guint i = 0; i < a->n_epochs; i++)
        if (a->confidence[i] != b->confidence[i])
          g_error ("epoch %u: confidence %.9g != %.9g", i, a->confidence[i], b->confidence[i]);
    }
}

static void
test_round_trip_text (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autoptr (BxHypnogram) night = make_night (TRUE);
  g_autoptr (BxHypnogram) plain = make_night (FALSE);
  static const char *const names[] = { "night.csv", "night.tsv" };
  g_autoptr (GError) error = NULL;

  for (gsize k = 0; k < G_N_ELEMENTS (names); k++)
    {
      g_autofree char *path = g_build_filename (dir, names[k], NULL);
      g_autofree char *merged_path = g_strconcat (path, ".merged", NULL);
      BxLabelWriteOptions merged = { .format = k == 0 ? BX_LABEL_FORMAT_CSV : BX_LABEL_FORMAT_TSV,
                                     .merge_runs = TRUE };
      BxLabelReadOptions read_merged = { .format = merged.format };
      g_autoptr (BxLabelTrack) track = NULL;
      g_autoptr (BxHypnogram) back = NULL;
      g_autoptr (BxHypnogram) back_merged = NULL;

      /* Per epoch with confidences: stages and floats come back exactly. */
      g_assert_true (bx_labels_write_hypnogram (path, night, NULL, &error));
      g_assert_no_error (error);
      track = bx_label_track_read (path, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (bx_label_track_get_length (track), ==, night->n_epochs);
      g_assert_true (bx_label_track_has_confidence (track));
      back = bx_label_track_to_hypnogram (track, NULL, 30, night->n_epochs * 30.0, &error);
      g_assert_no_error (error);
      assert_same_hypnogram (night, back, TRUE);

      /* Merged runs without confidences: fewer rows, same epochs. W W | N1 |
       * N2 N2 | N3 | N4 N4 | R R | MT | ? | W | N2 | ? = 11 runs. */
      g_assert_true (bx_labels_write_hypnogram (merged_path, plain, &merged, &error));
      g_assert_no_error (error);
      g_clear_pointer (&track, bx_label_track_free);
      track = bx_label_track_read (merged_path, &read_merged, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (bx_label_track_get_length (track), ==, 11);
      g_assert_false (bx_label_track_has_confidence (track));
      back_merged = bx_label_track_to_hypnogram (track, NULL, 0, 0, &error);
      g_assert_no_error (error);
      assert_same_hypnogram (plain, back_merged, FALSE);
      g_assert_null (back_merged->confidence);
    }

  /* The exact CSV text of a small case, written out by hand. */
  {
    g_autoptr (BxHypnogram) h = bx_hypnogram_new (0, 30, 3);
    g_autofree char *path = g_build_filename (dir, "small.csv", NULL);
    g_autofree char *tsv_path = g_build_filename (dir, "small.tsv", NULL);
    g_autofree char *text = NULL;
    static const char *const classes[] = { "rest", "task, hard" };
    g_autoptr (BxLabelMap) map = bx_label_map_new_classes (classes, 2);
    BxLabelWriteOptions options = { .map = map };

    h->stages[0] = 0;
    h->stages[1] = 1;
    bx_hypnogram_ensure_confidence (h);
    h->confidence[0] = 0.5f;
    h->confidence[1] = 0.1f;
    g_assert_true (bx_labels_write_hypnogram (path, h, &options, &error));
    g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
    g_assert_cmpstr (text, ==,
                     "onset,duration,label,confidence\n"
                     "0,30,rest,0.5\n"
                     "30,30,\"task, hard\",0.1\n"
                     "60,30,?,0\n");
    g_clear_pointer (&text, g_free);

    /* A NaN confidence is written as n/a and reads back as "none" (0). */
    {
      g_autofree char *nan_path = g_build_filename (dir, "nan.csv", NULL);
      g_autoptr (BxHypnogram) back = NULL;

      h->confidence[1] = NAN;
      g_assert_true (bx_labels_write_hypnogram (nan_path, h, &options, &error));
      g_assert_true (g_file_get_contents (nan_path, &text, NULL, NULL));
      g_assert_nonnull (strstr (text, "30,30,\"task, hard\",n/a\n"));
      g_clear_pointer (&text, g_free);
      back = bx_labels_read_hypnogram (nan_path, NULL, map, 30, 90, &error);
      g_assert_no_error (error);
      g_assert_cmpint (back->stages[1], ==, 1);
      g_assert_cmpfloat (back->confidence[1], ==, 0.0f);
      g_assert_cmpfloat (back->confidence[0], ==, 0.5f);
      h->confidence[1] = 0.1f;
      g_assert_cmpint (g_remove (nan_path), ==, 0);
    }
    options.omit_confidence = TRUE;
    g_assert_true (bx_labels_write_hypnogram (tsv_path, h, &options, &error));
    g_assert_true (g_file_get_contents (tsv_path, &text, NULL, NULL));
    g_assert_cmpstr (text, ==,
                     "onset\tduration\ttrial_type\n"
                     "0\t30\trest\n"
                     "30\t30\ttask, hard\n"
                     "60\t30\t?\n");

    /* Class names read back through the same map. */
    {
      g_autoptr (BxHypnogram) back = bx_labels_read_hypnogram (path, NULL, map, 30, 90, &error);

      g_assert_no_error (error);
      assert_same_hypnogram (h, back, TRUE);
    }
  }

  /* Stage-set classes (sleep/wake): written as W/Sleep, read back as classes. */
  {
    g_autoptr (BxLabelMap) sw = bx_label_map_new_stage_set (BX_STAGE_SET_SLEEP_WAKE);
    g_autoptr (BxHypnogram) classes = bx_hypnogram_map_to_stage_set (night, BX_STAGE_SET_SLEEP_WAKE);
    g_autofree char *path = g_build_filename (dir, "sw.tsv", NULL);
    BxLabelWriteOptions options = { .map = sw };
    g_autoptr (BxHypnogram) back = NULL;

    g_assert_true (bx_labels_write_hypnogram (path, classes, &options, &error));
    back = bx_labels_read_hypnogram (path, NULL, sw, 30, classes->n_epochs * 30.0, &error);
    g_assert_no_error (error);
    assert_same_hypnogram (classes, back, TRUE);
  }

  /* Atomic writes: nothing but the target files in the folder. */
  {
    g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;
    guint n = 0;

    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_assert_false (strstr (name, ".csv.") != NULL && !g_str_has_suffix (name, ".merged"));
        g_assert_false (strstr (name, ".tsv.") != NULL && !g_str_has_suffix (name, ".merged"));
        n++;
      }
    g_assert_cmpuint (n, ==, 7);
  }

  /* Write errors name the file; unknown extensions are refused. */
  {
    g_autofree char *missing = g_build_filename (dir, "no-such-dir", "h.csv", NULL);
    g_autofree char *odd = g_build_filename (dir, "h.xml", NULL);
    g_autofree char *dreams = g_build_filename (dir, "h.txt", NULL);
    BxLabelWriteOptions as_dreams = { .format = BX_LABEL_FORMAT_DREAMS };

    g_assert_false (bx_labels_write_hypnogram (missing, night, NULL, &error));
    assert_error_mentions (error, BX_HYPNOGRAM_ERROR_IO, "no-such-dir", NULL);
    g_clear_error (&error);
    g_assert_false (bx_labels_write_hypnogram (odd, night, NULL, &error));
    assert_error_mentions (error, BX_HYPNOGRAM_ERROR_FORMAT, "h.xml", NULL);
    g_clear_error (&error);
    g_assert_false (bx_labels_write_hypnogram (dreams, night, &as_dreams, &error));
    assert_error_mentions (error, BX_HYPNOGRAM_ERROR_FORMAT, "DREAMS", NULL);
    g_clear_error (&error);
    g_assert_false (g_file_test (odd, G_FILE_TEST_EXISTS));
  }

  bx_test_tmpdir_remove (dir);
}

/* A larger random hypnogram: write -> read through every text format and
 * option, 1 s epochs of a 24 h day (86 400 epochs). */
static void
test_round_trip_long (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *path = g_build_filename (dir, "day.tsv", NULL);
  g_autoptr (BxHypnogram) h = bx_hypnogram_new (0, 1, 86400);
  g_autoptr (BxHypnogram) back = NULL;
  g_autoptr (GError) error = NULL;
  GRand *rand = g_rand_new_with_seed (42);
  int stage = W;

  bx_hypnogram_ensure_confidence (h);
  for (guint i = 0; i < h->n_epochs; i++)
    {
      if (g_rand_int_range (rand, 0, 40) == 0)
        stage = g_rand_int_range (rand, -1, BX_STAGE_N_CODES);
      h->stages[i] = (gint8) stage;
      h->confidence[i] = (float) g_rand_double (rand);
    }
  g_rand_free (rand);
  g_assert_true (bx_labels_write_hypnogram (path, h, NULL, &error));
  g_assert_no_error (error);
  back = bx_labels_read_hypnogram (path, NULL, NULL, 1, 86400, &error);
  g_assert_no_error (error);
  assert_same_hypnogram (h, back, TRUE);
  bx_test_tmpdir_remove (dir);
}

/* Robustness: thousands of randomly damaged copies of the fixtures (bytes
 * changed, removed, duplicated; separators, quotes and line ends inserted;
 * truncation) must each give either a track or an error, never both or
 * neither, and never a crash or a sanitizer report. */
static void
test_mutations (void)
{
  static const char *const fixtures[] = { "labels/edge.csv", "labels/events.tsv", "labels/dreams_small.txt",
                                          "labels/bad_stage.csv" };
  static const char inserts[] = { ',', '\t', '"', '\n', '\r', '#', '-', '.', '?', '\0', '\xff', 'e', '9' };
  static const BxLabelFormat formats[] = { BX_LABEL_FORMAT_AUTO, BX_LABEL_FORMAT_CSV, BX_LABEL_FORMAT_TSV,
                                           BX_LABEL_FORMAT_DREAMS };
  GRand *rand = g_rand_new_with_seed (20261125);
  guint n_ok = 0, n_error = 0;

  for (gsize f = 0; f < G_N_ELEMENTS (fixtures); f++)
    {
      g_autofree char *path = bx_test_fixture_path (fixtures[f]);
      g_autofree char *original = NULL;
      gsize length = 0;

      g_assert_true (g_file_get_contents (path, &original, &length, NULL));
      for (int iteration = 0; iteration < 1500; iteration++)
        {
          GArray *bytes = g_array_new (FALSE, FALSE, 1);
          int n_edits = g_rand_int_range (rand, 1, 5);
          BxLabelReadOptions options = { .format = formats[g_rand_int_range (rand, 0, G_N_ELEMENTS (formats))] };
          g_autoptr (GError) error = NULL;
          g_autoptr (BxLabelTrack) track = NULL;

          g_array_append_vals (bytes, original, (guint) length);
          for (int e = 0; e < n_edits && bytes->len > 0; e++)
            {
              guint at = (guint) g_rand_int_range (rand, 0, (gint32) bytes->len);
              char c = inserts[g_rand_int_range (rand, 0, G_N_ELEMENTS (inserts))];

              switch (g_rand_int_range (rand, 0, 5))
                {
                case 0:
                  bytes->data[at] = (char) g_rand_int_range (rand, 0, 256);
                  break;
                case 1:
                  g_array_remove_index (bytes, at);
                  break;
                case 2:
                  g_array_insert_val (bytes, at, c);
                  break;
                case 3:
                  g_array_set_size (bytes, at);
                  break;
                default:
                  {
                    char same = bytes->data[at];

                    g_array_insert_val (bytes, at, same);
                  }
                  break;
                }
            }
          track = bx_label_track_parse ("mutant.txt", bytes->data, bytes->len, &options, &error);
          g_assert_true ((track == NULL) != (error == NULL));
          if (track != NULL)
            {
              g_autoptr (BxHypnogram) h = bx_label_track_to_hypnogram (track, NULL, 30, 0, &error);

              g_assert_true ((h == NULL) != (error == NULL));
              n_ok++;
            }
          else
            {
              g_assert_nonnull (strstr (error->message, "mutant.txt"));
              n_error++;
            }
          g_array_unref (bytes);
        }
    }
  g_rand_free (rand);
  g_test_message ("%u parsed, %u rejected", n_ok, n_error);
  g_assert_cmpuint (n_ok, >, 0);
  g_assert_cmpuint (n_error, >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/labels/io/csv-edge-cases", test_csv_edge_cases);
  g_test_add_func ("/labels/io/tsv-bids", test_tsv_bids);
  g_test_add_func ("/labels/io/dreams-small", test_dreams_small);
  g_test_add_func ("/labels/io/dreams-excerpt3", test_dreams_excerpt3);
  g_test_add_func ("/labels/io/parse-errors", test_parse_errors);
  g_test_add_func ("/labels/io/format-guess", test_format_guess);
  g_test_add_func ("/labels/io/label-maps", test_label_maps);
  g_test_add_func ("/labels/io/annotations", test_annotations);
  g_test_add_func ("/labels/io/whole-recording", test_whole_recording);
  g_test_add_func ("/labels/io/round-trip-text", test_round_trip_text);
  g_test_add_func ("/labels/io/round-trip-long", test_round_trip_long);
  g_test_add_func ("/labels/io/mutations", test_mutations);
  return g_test_run ();
}
