/* Manifest parsing: columns, roles, label sources, channel lists, errors. */
#include <string.h>

#include "bridge/bx-manifest.h"
#include "bx-test-data.h"

static BxManifest *
load_text (const char *dir, const char *text, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "run.tsv", NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return bx_manifest_load (path, error);
}

static void
test_parse (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (BxManifest) m = load_text (dir,
      "\xEF\xBB\xBF# eegmat, two subjects\r\n"
      "path\trole\tsubject\tlabels\tchannels\r\n"
      "S00_1.edf\ttrain,pair\tS00\tlabel:rest\tauto\r\n"
      "S00_2.edf\ttrain,pair\tS00\tlabel:task\tEEG=Fp1, Fp2;ECG=ECG ECG\r\n"
      "\r\n"
      "/data/night.edf\ttest\t\tfile:hyp/night.csv\t\n"
      "S01_1.edf\tPAIR\tS01\tannotations\t\n",
      &error);
  const BxManifestEntry *e;
  g_autoptr (GPtrArray) pairs = NULL;
  g_auto (GStrv) labels = NULL;
  g_autofree char *expected_path = g_build_filename (dir, "S00_1.edf", NULL);
  g_autofree char *expected_hyp = g_build_filename (dir, "hyp/night.csv", NULL);

  g_assert_no_error (error);
  g_assert_cmpuint (m->entries->len, ==, 4);

  e = g_ptr_array_index (m->entries, 0);
  g_assert_cmpstr (e->path, ==, expected_path);
  g_assert_cmpstr (e->subject, ==, "S00");
  g_assert_cmpuint (e->roles, ==, BX_ROLE_TRAIN | BX_ROLE_PAIR);
  g_assert_cmpint (e->label_source, ==, BX_LABEL_SOURCE_CONSTANT);
  g_assert_cmpstr (e->label_value, ==, "rest");
  g_assert_null (e->channels[BX_MODALITY_EEG]);
  g_assert_cmpuint (e->line, ==, 3);

  e = g_ptr_array_index (m->entries, 1);
  g_assert_cmpuint (g_strv_length (e->channels[BX_MODALITY_EEG]), ==, 2);
  g_assert_cmpstr (e->channels[BX_MODALITY_EEG][1], ==, "Fp2");
  g_assert_cmpstr (e->channels[BX_MODALITY_ECG][0], ==, "ECG ECG");

  e = g_ptr_array_index (m->entries, 2);
  g_assert_cmpstr (e->path, ==, "/data/night.edf");
  g_assert_cmpstr (e->subject, ==, "night.edf");  /* default: file name */
  g_assert_cmpint (e->label_source, ==, BX_LABEL_SOURCE_FILE);
  g_assert_cmpstr (e->label_value, ==, expected_hyp);

  e = g_ptr_array_index (m->entries, 3);
  g_assert_cmpuint (e->roles, ==, BX_ROLE_PAIR);
  g_assert_cmpint (e->label_source, ==, BX_LABEL_SOURCE_ANNOTATIONS);

  pairs = bx_manifest_select (m, BX_ROLE_PAIR);
  g_assert_cmpuint (pairs->len, ==, 3);
  labels = bx_manifest_constant_labels (m);
  g_assert_cmpuint (g_strv_length (labels), ==, 2);
  g_assert_cmpstr (labels[0], ==, "rest");
  g_assert_cmpstr (labels[1], ==, "task");
  bx_test_tmpdir_remove (dir);
}

static void
test_errors (void)
{
  struct { const char *text; const char *message_part; } cases[] = {
    { "path\trole\tcolour\n", "unknown column 'colour'" },
    { "path\tsubject\n", "needs the columns 'path' and 'role'" },
    { "path\trole\na.edf\tpair\textra\n", "line 2: 3 fields, but the header has 2" },
    { "path\trole\na.edf\tvalidate\n", "line 2, column 'role': unknown role 'validate'" },
    { "path\trole\tlabels\na.edf\tpair\thypnogram.csv\n", "column 'labels': 'hypnogram.csv'" },
    { "path\trole\tchannels\na.edf\tpair\tEEG:Fp1\n", "should be MODALITY=label" },
    { "path\trole\tchannels\na.edf\tpair\tMEG=X\n", "unknown modality 'MEG'" },
    { "# only a comment\npath\trole\n", "no recordings listed" },
  };
  g_autofree char *dir = bx_test_tmpdir_new ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (BxManifest) m = load_text (dir, cases[i].text, &error);

      g_assert_null (m);
      g_assert_error (error, BX_MANIFEST_ERROR, BX_MANIFEST_ERROR_PARSE);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, cases[i].message_part));
      g_assert_nonnull (strstr (error->message, "run.tsv"));
    }
  {
    g_autoptr (GError) error = NULL;
    g_assert_null (bx_manifest_load ("/nonexistent/run.tsv", &error));
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  }
  bx_test_tmpdir_remove (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bridge/manifest/parse", test_parse);
  g_test_add_func ("/bridge/manifest/errors", test_errors);
  return g_test_run ();
}
