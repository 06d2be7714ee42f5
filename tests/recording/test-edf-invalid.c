/* test-edf-invalid.c — bad input fails cleanly: every file of
 * edf-corpus/invalid, and truncated and garbled copies of valid files made
 * here in a temporary folder. Each failure is a GError that names the file
 * and the field; tolerated defects open with a warning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bx-test-data.h"
#include "recording/bx-recording.h"

/* Plain write: g_file_set_contents() fsyncs, far too slow for hundreds of copies. */
static void
write_file (const char *path, const char *bytes, gsize len)
{
  FILE *file = fopen (path, "wb");

  g_assert_nonnull (file);
  g_assert_cmpuint (fwrite (bytes, 1, len, file), ==, len);
  g_assert_cmpint (fclose (file), ==, 0);
}

typedef struct
{
  char *dir;
  char *bytes; /* the valid source file */
  gsize len;
  int n_signals;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  const char *source = data;
  g_autofree char *path = bx_test_shared_data_path (source);
  g_autoptr (GError) error = NULL;

  f->dir = bx_test_tmpdir_new ();
  if (path == NULL)
    return;
  g_assert_true (g_file_get_contents (path, &f->bytes, &f->len, &error));
  f->n_signals = atoi (f->bytes + 252);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  bx_test_tmpdir_remove (f->dir);
  g_free (f->dir);
  g_free (f->bytes);
}

/* Writes `len` bytes of `bytes` as `name` and opens it: it must fail with
 * `code` and a message naming the file and containing `expect`. */
static void
assert_refused (Fixture *f, const char *name, const char *bytes, gsize len, int code, const char *expect)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxRecording) rec = NULL;

  write_file (path, bytes, len);
  rec = bx_recording_open (path, &error);
  if (rec != NULL)
    g_error ("%s: opened although it should fail with '%s'", name, expect);
  g_assert_error (error, BX_RECORDING_ERROR, code);
  if (strstr (error->message, name) == NULL || strstr (error->message, expect) == NULL)
    g_error ("%s: message '%s' should name the file and contain '%s'", name, error->message, expect);
  g_test_message ("%s", error->message);
}

/* A copy of the source with `value` written (space-padded) into the field
 * of `width` bytes at `offset`. */
static char *
patched (Fixture *f, gsize offset, gsize width, const char *value)
{
  char *copy = g_memdup2 (f->bytes, f->len);

  memset (copy + offset, ' ', width);
  memcpy (copy + offset, value, MIN (strlen (value), width));
  return copy;
}

/* Byte offset of signal i's (0-based) field in the signal headers. */
static gsize
signal_field (Fixture *f, gsize block, gsize width, int i)
{
  return 256 + block * (gsize)f->n_signals + width * (gsize)i;
}

static void
test_corpus_invalid (void)
{
  g_autofree char *dir = bx_test_shared_data_path ("edf-corpus/invalid");
  g_autoptr (GDir) listing = NULL;
  const char *name;
  guint n = 0;

  if (dir == NULL)
    return;
  listing = g_dir_open (dir, 0, NULL);
  g_assert_nonnull (listing);
  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (BxRecording) rec = bx_recording_open (path, &error);

      g_assert_null (rec);
      g_assert_nonnull (error);
      g_assert_true (error->domain == BX_RECORDING_ERROR);
      g_assert_nonnull (strstr (error->message, name));
      g_test_message ("%s", error->message);
      if (strcmp (name, "header_one_byte_short.edf") == 0)
        g_assert_nonnull (strstr (error->message, "shifted by one byte"));
      else if (strcmp (name, "eyelink_not_european_data_format.edf") == 0)
        g_assert_nonnull (strstr (error->message, "not an EDF/BDF file"));
      n++;
    }
  g_assert_cmpuint (n, >=, 2);
}

static void
test_not_found (void)
{
  g_autofree char *dir = bx_test_tmpdir_new ();
  g_autofree char *missing = g_build_filename (dir, "missing.edf", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty.edf", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_null (bx_recording_open (missing, &error));
  g_assert_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "missing.edf"));
  g_clear_error (&error);
  g_assert_null (bx_recording_open (dir, &error));
  g_assert_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  g_assert_null (bx_recording_open (empty, &error));
  g_assert_error (error, BX_RECORDING_ERROR, BX_RECORDING_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "empty.edf"));
  bx_test_tmpdir_remove (dir);
}

static void
test_truncated (Fixture *f, gconstpointer data)
{
  gsize header_bytes, record_bytes = 0;
  g_autofree char *message = NULL;

  if (f->bytes == NULL)
    return;
  header_bytes = 256 * ((gsize)f->n_signals + 1);
  for (int i = 0; i < f->n_signals; i++)
    record_bytes += (gsize)atoi (f->bytes + signal_field (f, 216, 8, i))
                    * (data != NULL && strstr (data, ".bdf") ? 3 : 2);

  assert_refused (f, "cut-main.edf", f->bytes, 100, BX_RECORDING_ERROR_TRUNCATED, "256-byte main header");
  assert_refused (f, "cut-signals.edf", f->bytes, 256 + 50, BX_RECORDING_ERROR_TRUNCATED, "signal headers");
  message = g_strdup_printf ("data record 3");
  assert_refused (f, "cut-record.edf", f->bytes, header_bytes + 2 * record_bytes + record_bytes / 2,
                  BX_RECORDING_ERROR_TRUNCATED, message);
  assert_refused (f, "one-short.edf", f->bytes, f->len - 1, BX_RECORDING_ERROR_TRUNCATED, "truncated");

  /* Every cut inside the headers, and a sweep through the data, fails
   * cleanly (this is where a reader without its own checks would crash). */
  for (gsize cut = 0; cut < f->len; cut += cut < header_bytes ? 11 : 16411)
    {
      g_autofree char *path = g_build_filename (f->dir, "sweep.edf", NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (BxRecording) rec = NULL;

      write_file (path, f->bytes, cut);
      rec = bx_recording_open (path, &error);
      g_assert_null (rec);
      g_assert_nonnull (error);
      g_assert_nonnull (strstr (error->message, "sweep.edf"));
    }
}

static void
test_garbled (Fixture *f, gconstpointer data)
{
  static const struct
  {
    gsize offset, width;
    const char *value;
    int code;
    const char *expect;
  } main_fields[] = {
    { 0, 8, "1", BX_RECORDING_ERROR_FORMAT, "version field is '1       '" },
    { 168, 8, "32.01.85", BX_RECORDING_ERROR_FORMAT, "day 32" },
    { 168, 8, "01.13.85", BX_RECORDING_ERROR_FORMAT, "month 13" },
    { 168, 8, "1a.01.85", BX_RECORDING_ERROR_FORMAT, "start date is '1a.01.85'" },
    { 176, 8, "25.00.00", BX_RECORDING_ERROR_FORMAT, "start time 25.00.00" },
    { 184, 8, "1234", BX_RECORDING_ERROR_FORMAT, "number of header bytes is 1234" },
    { 192, 44, "EDF+X", BX_RECORDING_ERROR_FORMAT, "reserved field is 'EDF+X'" },
    { 236, 8, "abc", BX_RECORDING_ERROR_FORMAT, "number of data records is not an integer: 'abc'" },
    { 236, 8, "-5", BX_RECORDING_ERROR_FORMAT, "number of data records is -5" },
    { 236, 8, "99999999", BX_RECORDING_ERROR_TRUNCATED, "declares 99999999 data records" },
    { 244, 8, "x", BX_RECORDING_ERROR_FORMAT, "data record duration is not a number of seconds >= 0: 'x'" },
    { 244, 8, "-1", BX_RECORDING_ERROR_FORMAT, "data record duration" },
    { 244, 8, "0", BX_RECORDING_ERROR_FORMAT, "data record duration is 0" },
    { 252, 4, "0", BX_RECORDING_ERROR_FORMAT, "number of signals is 0" },
    { 252, 4, "9999", BX_RECORDING_ERROR_FORMAT, "number of signals is 9999" },
    { 252, 4, "x", BX_RECORDING_ERROR_FORMAT, "number of signals is not an integer" },
  };
  g_autofree char *non_ascii = NULL;

  if (f->bytes == NULL)
    return;
  for (gsize k = 0; k < G_N_ELEMENTS (main_fields); k++)
    {
      g_autofree char *copy = patched (f, main_fields[k].offset, main_fields[k].width, main_fields[k].value);
      g_autofree char *name = g_strdup_printf ("garbled-main-%" G_GSIZE_FORMAT ".edf", k);

      assert_refused (f, name, copy, f->len, main_fields[k].code, main_fields[k].expect);
    }

  non_ascii = patched (f, 236, 8, "10");
  non_ascii[238] = '\x01';
  assert_refused (f, "non-ascii.edf", non_ascii, f->len, BX_RECORDING_ERROR_FORMAT,
                  "number of data records contains a non-ASCII byte 0x01");

  /* Signal fields of signal 3 (counted from 1). */
  {
    g_autofree char *label = g_strstrip (g_strndup (f->bytes + signal_field (f, 0, 16, 2), 16));
    struct
    {
      gsize block, width;
      const char *value;
      const char *expect; /* after "signal 3 ('<label>'): " */
    } fields[] = {
      { 104, 8, "7", NULL },   /* physical min = max = 7, see below */
      { 120, 8, "100", NULL }, /* digital min = max */
      { 216, 8, "0", "number of samples per data record is 0" },
      { 216, 8, "12x", "number of samples per data record is not an integer: '12x'" },
      { 104, 8, "nan", "physical minimum is not a number: 'nan'" },
      { 112, 8, "1e999", "physical maximum is not a number: '1e999'" },
      { 128, 8, "1.5", "digital maximum is not an integer: '1.5'" },
    };

    for (gsize k = 0; k < G_N_ELEMENTS (fields); k++)
      {
        g_autofree char *copy = patched (f, signal_field (f, fields[k].block, fields[k].width, 2),
                                         fields[k].width, fields[k].value);
        g_autofree char *name = g_strdup_printf ("garbled-signal-%" G_GSIZE_FORMAT ".edf", k);
        g_autofree char *expect = NULL;

        if (k == 0)
          {
            memcpy (copy + signal_field (f, 112, 8, 2), "7       ", 8);
            expect = g_strdup_printf ("signal 3 ('%s'): physical minimum equals physical maximum (7)", label);
          }
        else if (k == 1)
          {
            memcpy (copy + signal_field (f, 128, 8, 2), "100     ", 8);
            expect = g_strdup_printf (
                "signal 3 ('%s'): digital minimum (100) is not below digital maximum (100)", label);
          }
        else
          expect = g_strdup_printf ("signal 3 ('%s'): %s", label, fields[k].expect);
        assert_refused (f, name, copy, f->len, BX_RECORDING_ERROR_FORMAT, expect);
      }
  }
}

/* Common defects that are read, but reported. */
static void
test_tolerated (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "lenient.edf", NULL);
  g_autoptr (BxRecording) reference = NULL;
  g_autoptr (GError) error = NULL;
  gint64 n_records;

  if (f->bytes == NULL)
    return;
  write_file (path, f->bytes, f->len);
  reference = bx_recording_open (path, &error);
  g_assert_no_error (error);
  n_records = bx_recording_get_n_records (reference);

  /* Record count -1 (a recorder that never finished) plus half a record. */
  {
    g_autofree char *copy = patched (f, 236, 8, "-1");
    g_autofree char *longer = g_malloc (f->len + 100);
    g_autoptr (BxRecording) rec = NULL;
    const char *const *warnings;

    memcpy (longer, copy, f->len);
    memset (longer + f->len, 0, 100);
    write_file (path, longer, f->len + 100);
    rec = bx_recording_open (path, &error);
    g_assert_no_error (error);
    g_assert_cmpint (bx_recording_get_n_records (rec), ==, n_records);
    warnings = bx_recording_get_warnings (rec);
    g_assert_nonnull (warnings[0]);
    g_assert_nonnull (strstr (warnings[0], "number of data records is -1"));
    g_assert_nonnull (warnings[1]);
    g_assert_nonnull (strstr (warnings[1], "partial data record"));
  }
  /* Bytes after the last declared record. */
  {
    g_autofree char *longer = g_malloc0 (f->len + 10);
    g_autoptr (BxRecording) rec = NULL;

    memcpy (longer, f->bytes, f->len);
    write_file (path, longer, f->len + 10);
    rec = bx_recording_open (path, &error);
    g_assert_no_error (error);
    g_assert_cmpint (bx_recording_get_n_records (rec), ==, n_records);
    g_assert_nonnull (strstr (bx_recording_get_warnings (rec)[0], "10 bytes after data record"));
  }
  /* Latin-1 in the patient field. */
  {
    g_autofree char *copy = g_memdup2 (f->bytes, f->len);
    g_autoptr (BxRecording) rec = NULL;

    memcpy (copy + 8, "X M 01-JAN-1970 J\xf6rg_M\xfcller ", 28);
    write_file (path, copy, f->len);
    rec = bx_recording_open (path, &error);
    g_assert_no_error (error);
    g_assert_nonnull (strstr (bx_recording_get_patient (rec), "J\xc3\xb6rg_M\xc3\xbcller"));
    g_assert_nonnull (strstr (bx_recording_get_warnings (rec)[0], "patient field"));
  }
}

/* A malformed TAL in an EDF+ file names the data record. */
static void
test_bad_tal (Fixture *f, gconstpointer data)
{
  gsize header_bytes, record_bytes = 0, annotation_offset = 0;
  g_autofree char *copy = NULL;
  int annotation_signal = -1;

  if (f->bytes == NULL)
    return;
  header_bytes = 256 * ((gsize)f->n_signals + 1);
  for (int i = 0; i < f->n_signals; i++)
    {
      gsize bytes = (gsize)atoi (f->bytes + signal_field (f, 216, 8, i)) * 2;

      if (strncmp (f->bytes + signal_field (f, 0, 16, i), "EDF Annotations", 15) == 0
          && annotation_signal < 0)
        {
          annotation_signal = i;
          annotation_offset = record_bytes;
        }
      record_bytes += bytes;
    }
  g_assert_cmpint (annotation_signal, >=, 0);
  copy = g_memdup2 (f->bytes, f->len);
  /* Record 2's time-keeping TAL loses its sign: "+1" -> "x1". */
  g_assert_cmpint (copy[header_bytes + record_bytes + annotation_offset], ==, '+');
  copy[header_bytes + record_bytes + annotation_offset] = 'x';
  /* EDF+C: the record is taken to follow the previous one; reported. */
  {
    g_autofree char *path = g_build_filename (f->dir, "bad-tal-c.edf", NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (BxRecording) rec = NULL;

    write_file (path, copy, f->len);
    rec = bx_recording_open (path, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (bx_recording_get_n_segments (rec), ==, 1);
    g_assert_nonnull (bx_recording_get_warnings (rec)[0]);
    g_assert_nonnull (strstr (bx_recording_get_warnings (rec)[0],
                              "bad-tal-c.edf: data record 2: malformed annotation (TAL) 'x1"));
  }
  /* EDF+D: without that onset the record cannot be placed: refused. */
  g_assert_cmpint (memcmp (copy + 192, "EDF+C", 5), ==, 0);
  copy[196] = 'D';
  assert_refused (f, "bad-tal-d.edf", copy, f->len, BX_RECORDING_ERROR_FORMAT,
                  "data record 2: malformed annotation (TAL) 'x1");
}

/* Random byte changes in the headers and the first records' annotations:
 * whatever happens, no crash (ASan watches), and a refusal names the file;
 * what opens can be read in full. */
static void
test_mutations (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "mutant.edf", NULL);
  GRand *rand = g_rand_new_with_seed (20240229);
  gsize span;
  guint opened = 0, refused = 0;
  static const char interesting[] = { '\0', ' ', '-', '+', '.', '0', '9', 'x', '\x14', '\x15', '\xff' };

  if (f->bytes == NULL)
    return;
  span = MIN (f->len, 256 * ((gsize)f->n_signals + 1) + 4096);
  for (int k = 0; k < 150; k++)
    {
      g_autofree char *copy = g_memdup2 (f->bytes, f->len);
      g_autoptr (GError) error = NULL;
      g_autoptr (BxRecording) rec = NULL;
      int changes = g_rand_int_range (rand, 1, 4);

      for (int j = 0; j < changes; j++)
        copy[g_rand_int_range (rand, 0, (gint32)span)]
            = interesting[g_rand_int_range (rand, 0, (gint32)G_N_ELEMENTS (interesting))];
      write_file (path, copy, f->len);
      rec = bx_recording_open (path, &error);
      if (rec == NULL)
        {
          g_assert_nonnull (error);
          g_assert_nonnull (strstr (error->message, "mutant.edf"));
          refused++;
          continue;
        }
      g_assert_no_error (error);
      opened++;
      for (guint c = 0; c < bx_recording_get_n_channels (rec); c++)
        {
          const BxChannel *ch = bx_recording_get_channel (rec, c);
          g_autofree float *samples = g_new (float, MAX (ch->n_samples, 1));

          g_assert_true (bx_recording_read (rec, c, 0, ch->n_samples, samples, &error));
        }
    }
  g_rand_free (rand);
  g_test_message ("%u mutants opened, %u refused", opened, refused);
  /* Both outcomes occur: some bytes are in free text, some in numbers. */
  g_assert_cmpuint (opened, >, 0);
  g_assert_cmpuint (refused, >, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/recording/invalid/corpus", test_corpus_invalid);
  g_test_add_func ("/recording/invalid/not-found", test_not_found);
  g_test_add ("/recording/invalid/truncated-edf", Fixture, "edf-corpus/valid/short_psg.edf", fixture_setup,
              test_truncated, fixture_teardown);
  g_test_add ("/recording/invalid/truncated-bdf", Fixture, "edf-corpus/valid/short_psg.bdf", fixture_setup,
              test_truncated, fixture_teardown);
  g_test_add ("/recording/invalid/truncated-edfplus", Fixture, "edf-corpus/valid/test_utf8_annotations.edf",
              fixture_setup, test_truncated, fixture_teardown);
  g_test_add ("/recording/invalid/garbled-edf", Fixture, "edf-corpus/valid/short_psg.edf", fixture_setup,
              test_garbled, fixture_teardown);
  g_test_add ("/recording/invalid/garbled-bdf", Fixture, "edf-corpus/valid/short_psg.bdf", fixture_setup,
              test_garbled, fixture_teardown);
  g_test_add ("/recording/invalid/tolerated", Fixture, "edf-corpus/valid/short_psg.edf", fixture_setup,
              test_tolerated, fixture_teardown);
  g_test_add ("/recording/invalid/bad-tal", Fixture, "edf-corpus/valid/test_utf8_annotations.edf",
              fixture_setup, test_bad_tal, fixture_teardown);
  g_test_add ("/recording/invalid/mutations", Fixture, "edf-corpus/valid/test_utf8_annotations.edf",
              fixture_setup, test_mutations, fixture_teardown);
  return g_test_run ();
}
