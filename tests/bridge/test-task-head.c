/* Stage-1 task head against torch (tests/reference/task_head_fixtures.py):
 * the same initial weights trained full-batch with class-weighted CE and Adam
 * must give the same loss curve (1e-4 relative) and final weights
 * (1e-4 × max|W|). */
#include <math.h>
#include <string.h>

#include "bridge/bx-task-head.h"
#include "bx-test-data.h"

static void
test_matches_torch (void)
{
  gsize n;
  g_autofree double *shape = bx_test_load_fixture_doubles ("bridge/head_shape.txt", &n);
  g_autofree double *lr = bx_test_load_fixture_doubles ("bridge/head_lr.txt", &n);
  g_autofree float *X = bx_test_load_fixture_floats ("bridge/head_X.txt", &n);
  g_autofree int *y = bx_test_load_fixture_ints ("bridge/head_y.txt", &n);
  g_autofree float *W0 = bx_test_load_fixture_floats ("bridge/head_W0.txt", &n);
  g_autofree float *b0 = bx_test_load_fixture_floats ("bridge/head_b0.txt", &n);
  g_autofree float *want_losses = bx_test_load_fixture_floats ("bridge/head_losses.txt", &n);
  g_autofree float *want_W = bx_test_load_fixture_floats ("bridge/head_W.txt", &n);
  g_autofree float *want_b = bx_test_load_fixture_floats ("bridge/head_b.txt", &n);
  guint N = (guint) shape[0], D = (guint) shape[1], C = (guint) shape[2], epochs = (guint) shape[3];
  g_autoptr (BxTaskHead) head = bx_task_head_new (D, C, 1);
  g_autofree float *losses = g_new (float, epochs);
  g_autofree int *pred = g_new (int, N);
  g_autofree float *conf = g_new (float, N);
  g_autoptr (GError) error = NULL;
  BxTaskHeadParams params;
  double max_w = 0.0, err_w = 0.0;
  guint correct = 0;

  memcpy (head->weight, W0, sizeof (float) * C * D);
  memcpy (head->bias, b0, sizeof (float) * C);
  bx_task_head_params_init (&params);
  params.epochs = epochs;
  params.batch_size = N;  /* full batch: batch order cannot matter */
  params.learning_rate = (float) lr[0];
  params.class_weights = BX_CLASS_WEIGHTS_INVERSE_COUNT;
  g_assert_true (bx_task_head_fit (head, X, y, N, &params, losses, NULL, &error));
  g_assert_no_error (error);

  for (guint e = 0; e < epochs; e++)
    g_assert_cmpfloat (fabs (losses[e] - want_losses[e]), <=, 1e-4 * fabs (want_losses[e]) + 1e-6);
  for (guint i = 0; i < C * D; i++)
    {
      max_w = MAX (max_w, fabs (want_W[i]));
      err_w = MAX (err_w, fabs (head->weight[i] - want_W[i]));
    }
  for (guint c = 0; c < C; c++)
    err_w = MAX (err_w, fabs (head->bias[c] - want_b[c]));
  g_test_message ("final loss %.6g (torch %.6g), max weight error %.3g of %.3g", losses[epochs - 1],
                  want_losses[epochs - 1], err_w, max_w);
  g_assert_cmpfloat (err_w, <=, 1e-4 * max_w);

  bx_task_head_predict (head, X, N, pred, conf);
  for (guint i = 0; i < N; i++)
    {
      correct += pred[i] == y[i];
      g_assert_cmpfloat (conf[i], >=, 1.0 / C);
      g_assert_cmpfloat (conf[i], <=, 1.0);
    }
  g_assert_cmpuint (correct, >=, (guint) (0.9 * N));
}

static void
test_bad_input (void)
{
  float X[4 * 2] = { 0, 1, 1, 0, 0.5f, 0.5f, 1, 1 };
  int y[4] = { 0, 1, 2, 1 };
  g_autoptr (BxTaskHead) head = bx_task_head_new (2, 2, 3);
  g_autoptr (GError) error = NULL;
  BxTaskHeadParams params;

  bx_task_head_params_init (&params);
  params.epochs = 2;
  g_assert_false (bx_task_head_fit (head, X, y, 4, &params, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "window 2 is 2"));
  g_clear_error (&error);
  y[2] = 0;
  X[3] = NAN;
  g_assert_false (bx_task_head_fit (head, X, y, 4, &params, NULL, NULL, &error));
  g_assert_nonnull (strstr (error->message, "not finite"));
}

static void
test_cancel (void)
{
  float X[8] = { 0, 1, 1, 0, 0.5f, 0.5f, 1, 1 };
  int y[4] = { 0, 1, 0, 1 };
  g_autoptr (BxTaskHead) head = bx_task_head_new (2, 2, 3);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (BxJob) job = bx_job_new (cancellable, NULL, NULL);
  g_autoptr (GError) error = NULL;
  BxTaskHeadParams params;
  float before = head->weight[0];

  bx_task_head_params_init (&params);
  g_cancellable_cancel (cancellable);
  g_assert_false (bx_task_head_fit (head, X, y, 4, &params, NULL, job, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* A cancelled fit leaves the head as it was. */
  g_assert_cmpfloat (head->weight[0], ==, before);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bridge/task-head/matches-torch", test_matches_torch);
  g_test_add_func ("/bridge/task-head/bad-input", test_bad_input);
  g_test_add_func ("/bridge/task-head/cancel", test_cancel);
  return g_test_run ();
}
