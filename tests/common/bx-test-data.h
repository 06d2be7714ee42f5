/* bx-test-data.h — where test inputs live.
 *
 * Real recordings are in ../shared/data beside the source tree, or wherever
 * $BIOX_SHARED_DATA points. They are never committed to the project. A test
 * that needs them calls bx_test_shared_data_path(); when the folder is absent
 * it skips *loudly*: g_test_skip() and a line on stderr, never a silent pass.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Returns the absolute path of `relative` inside the shared data folder, or
 * NULL after calling g_test_skip() (with the reason also printed to stderr)
 * when the folder or the file is missing. */
char *bx_test_shared_data_path (const char *relative);

/* Path of a committed fixture: tests/fixtures/<relative>. Never NULL: a
 * missing fixture is a test failure, not a skip. */
char *bx_test_fixture_path (const char *relative);

/* Numbers of a committed plain-text fixture (whitespace-separated, as the
 * tests/reference/ scripts write them with %.9g/%.17g). */
double *bx_test_load_fixture_doubles (const char *relative, gsize *out_n);
float *bx_test_load_fixture_floats (const char *relative, gsize *out_n);
int *bx_test_load_fixture_ints (const char *relative, gsize *out_n);

/* A fresh temporary directory, removed with bx_test_tmpdir_remove(). */
char *bx_test_tmpdir_new (void);
void bx_test_tmpdir_remove (const char *path);

G_END_DECLS
