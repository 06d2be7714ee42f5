/* Position-search maths and metrics against scikit-learn / numpy fixtures
 * (tests/reference/bridge_fixtures.py). Tolerances:
 *   metrics 1e-12 (exact rational arithmetic in both);
 *   StratifiedKFold folds: identical;
 *   cross-validated macro-F1: mean within 0.01 (the tolerance), and
 *     each fold within 0.02 (our L-BFGS takes other steps than scipy's
 *     L-BFGS-B, so a sample near the boundary may flip);
 *   CKA: 1e-6 absolute against the Gram-form reference. */
#include <math.h>
#include <string.h>

#include "bridge/bx-cka.h"
#include "bridge/bx-logreg.h"
#include "bridge/bx-metrics.h"
#include "bx-test-data.h"

static void
test_metrics (gconstpointer data)
{
  const char *name = data;
  g_autofree char *f_true = g_strdup_printf ("bridge/metrics_%s_true.txt", name);
  g_autofree char *f_pred = g_strdup_printf ("bridge/metrics_%s_pred.txt", name);
  g_autofree char *f_exp = g_strdup_printf ("bridge/metrics_%s_expected.txt", name);
  gsize n, n2, n_exp, skipped;
  g_autofree int *y_true = bx_test_load_fixture_ints (f_true, &n);
  g_autofree int *y_pred = bx_test_load_fixture_ints (f_pred, &n2);
  g_autofree double *expected = bx_test_load_fixture_doubles (f_exp, &n_exp);
  g_autoptr (BxMetrics) m = NULL;
  guint k = 0;

  g_assert_cmpuint (n, ==, n2);
  g_assert_cmpuint (n_exp, ==, 5);
  for (gsize i = 0; i < n; i++)
    k = MAX (k, (guint) MAX (y_true[i], y_pred[i]) + 1);
  m = bx_metrics_compute (y_true, y_pred, n, k, &skipped);
  g_assert_nonnull (m);
  g_assert_cmpuint (skipped, ==, 0);
  g_assert_cmpfloat_with_epsilon (m->accuracy, expected[0], 1e-12);
  g_assert_cmpfloat_with_epsilon (m->balanced_accuracy, expected[1], 1e-12);
  g_assert_cmpfloat_with_epsilon (m->cohen_kappa, expected[2], 1e-12);
  g_assert_cmpfloat_with_epsilon (m->f1_macro, expected[3], 1e-12);
  g_assert_cmpfloat_with_epsilon (m->f1_weighted, expected[4], 1e-12);
}

static void
test_metrics_skip_unscored (void)
{
  const int y_true[] = { 0, 1, -1, 1, 0, 2 };
  const int y_pred[] = { 0, 1, 1, 0, 0, 2 };
  gsize skipped;
  g_autoptr (BxMetrics) m = bx_metrics_compute (y_true, y_pred, 6, 3, &skipped);

  g_assert_cmpuint (skipped, ==, 1);
  g_assert_cmpuint (m->n_samples, ==, 5);
  g_assert_cmpfloat_with_epsilon (m->accuracy, 4.0 / 5.0, 1e-12);
  g_assert_cmpuint (m->confusion[1 * 3 + 0], ==, 1);  /* true 1 predicted 0 */
  g_assert_null (bx_metrics_compute (y_true + 2, y_pred + 2, 1, 3, NULL));
}

static void
load_case (const char *name, double **X, int **y, gsize *n, guint *p)
{
  g_autofree char *fx = g_strdup_printf ("bridge/logreg_%s_X.txt", name);
  g_autofree char *fy = g_strdup_printf ("bridge/logreg_%s_y.txt", name);
  g_autofree char *fs = g_strdup_printf ("bridge/logreg_%s_shape.txt", name);
  gsize nx, ny, ns;
  g_autofree double *shape = bx_test_load_fixture_doubles (fs, &ns);

  *X = bx_test_load_fixture_doubles (fx, &nx);
  *y = bx_test_load_fixture_ints (fy, &ny);
  *n = (gsize) shape[0];
  *p = (guint) shape[1];
  g_assert_cmpuint (nx, ==, *n * *p);
  g_assert_cmpuint (ny, ==, *n);
}

static void
test_kfold (gconstpointer data)
{
  const char *name = data;
  g_autofree double *X = NULL;
  g_autofree int *y = NULL;
  g_autofree char *ff = g_strdup_printf ("bridge/logreg_%s_folds.txt", name);
  gsize n, nf;
  guint p;
  g_autofree int *expected = bx_test_load_fixture_ints (ff, &nf);
  g_autofree int *folds = NULL;
  g_autoptr (GError) error = NULL;

  load_case (name, &X, &y, &n, &p);
  folds = g_new (int, n);
  g_assert_true (bx_stratified_kfold (y, n, 5, folds, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpint (folds[i], ==, expected[i]);
}

static void
test_logreg_cv (gconstpointer data)
{
  const char *name = data;
  g_autofree double *X = NULL;
  g_autofree int *y = NULL;
  g_autofree float *Xf = NULL;
  g_autofree char *fc = g_strdup_printf ("bridge/logreg_%s_cv.txt", name);
  gsize n, nc;
  guint p;
  g_autofree double *expected = bx_test_load_fixture_doubles (fc, &nc);
  double folds[5], mean;
  g_autoptr (GError) error = NULL;

  load_case (name, &X, &y, &n, &p);
  Xf = g_new (float, n * p);
  for (gsize i = 0; i < n * p; i++)
    Xf[i] = (float) X[i];
  mean = bx_logreg_cv_f1_macro (Xf, y, n, p, 5, 1.0, 1000, 1e-4, folds, &error);
  g_assert_no_error (error);
  g_test_message ("%s: C mean macro-F1 %.6f, sklearn %.6f", name, mean, expected[5]);
  for (int f = 0; f < 5; f++)
    g_assert_cmpfloat_with_epsilon (folds[f], expected[f], 0.02);
  g_assert_cmpfloat_with_epsilon (mean, expected[5], 0.01);
}

static void
test_logreg_separable_and_errors (void)
{
  /* Two well-separated classes: training accuracy must be perfect and the fit
   * must converge; a NaN feature and a single class are clear errors. */
  double X[40 * 2];
  int y[40], pred[40];
  g_autoptr (GError) error = NULL;
  g_autoptr (BxLogReg) model = NULL;

  for (int i = 0; i < 40; i++)
    {
      y[i] = i % 2 ? 7 : 3;
      X[2 * i] = (y[i] == 7 ? 2.0 : -2.0) + 0.1 * ((i * 37) % 11 - 5);
      X[2 * i + 1] = 0.05 * ((i * 13) % 7);
    }
  model = bx_logreg_fit (X, y, 40, 2, 1.0, 1000, 1e-4, &error);
  g_assert_no_error (error);
  g_assert_true (model->converged);
  g_assert_cmpuint (model->n_classes, ==, 2);
  bx_logreg_predict (model, X, 40, pred);
  for (int i = 0; i < 40; i++)
    g_assert_cmpint (pred[i], ==, y[i]);

  X[5] = NAN;
  g_assert_null (bx_logreg_fit (X, y, 40, 2, 1.0, 1000, 1e-4, &error));
  g_assert_error (error, BX_LOGREG_ERROR, BX_LOGREG_ERROR_INPUT);
  g_assert_nonnull (strstr (error->message, "not finite"));
  g_clear_error (&error);

  X[5] = 0.0;
  for (int i = 0; i < 40; i++)
    y[i] = 1;
  g_assert_null (bx_logreg_fit (X, y, 40, 2, 1.0, 1000, 1e-4, &error));
  g_assert_error (error, BX_LOGREG_ERROR, BX_LOGREG_ERROR_INPUT);
}

static void
test_cka (void)
{
  gsize nx, ny, ns, ne;
  g_autofree double *X = bx_test_load_fixture_doubles ("bridge/cka_X.txt", &nx);
  g_autofree double *Y = bx_test_load_fixture_doubles ("bridge/cka_Y.txt", &ny);
  g_autofree double *shape = bx_test_load_fixture_doubles ("bridge/cka_shape.txt", &ns);
  g_autofree double *expected = bx_test_load_fixture_doubles ("bridge/cka_expected.txt", &ne);
  gsize n = (gsize) shape[0];
  guint p = (guint) shape[1], q = (guint) shape[2];
  g_autofree float *Xf = g_new (float, nx);
  g_autofree float *Yf = g_new (float, ny);
  g_autofree float *constant = g_new0 (float, n * q);
  double cka, self;

  g_assert_cmpuint (nx, ==, n * p);
  g_assert_cmpuint (ny, ==, n * q);
  for (gsize i = 0; i < nx; i++)
    Xf[i] = (float) X[i];
  for (gsize i = 0; i < ny; i++)
    Yf[i] = (float) Y[i];
  cka = bx_linear_cka (Xf, Yf, n, p, q);
  self = bx_linear_cka (Xf, Xf, n, p, p);
  g_test_message ("CKA %.10f (numpy %.10f)", cka, expected[0]);
  g_assert_cmpfloat_with_epsilon (cka, expected[0], 1e-6);
  g_assert_cmpfloat_with_epsilon (self, expected[1], 1e-6);
  g_assert_cmpfloat (cka, >, 0.05);
  g_assert_cmpfloat (cka, <, 0.95);
  g_assert_true (isnan (bx_linear_cka (Xf, constant, n, p, q)));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/bridge/metrics/binary", "binary", test_metrics);
  g_test_add_data_func ("/bridge/metrics/five", "five", test_metrics);
  g_test_add_data_func ("/bridge/metrics/absent-class", "absent", test_metrics);
  g_test_add_func ("/bridge/metrics/skip-unscored", test_metrics_skip_unscored);
  g_test_add_data_func ("/bridge/kfold/binary", "binary", test_kfold);
  g_test_add_data_func ("/bridge/kfold/three", "three", test_kfold);
  g_test_add_data_func ("/bridge/kfold/five", "five", test_kfold);
  g_test_add_data_func ("/bridge/logreg-cv/binary", "binary", test_logreg_cv);
  g_test_add_data_func ("/bridge/logreg-cv/three", "three", test_logreg_cv);
  g_test_add_data_func ("/bridge/logreg-cv/five", "five", test_logreg_cv);
  g_test_add_func ("/bridge/logreg/separable-and-errors", test_logreg_separable_and_errors);
  g_test_add_func ("/bridge/cka", test_cka);
  return g_test_run ();
}
