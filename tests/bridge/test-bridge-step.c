/* Bridge training steps against the reference algorithm in torch
 * (tests/reference/bridge_step_fixtures.py), which forwards both foundation
 * models fully at every step and injects the bridge output with a
 * forward_pre_hook. Here the features and targets come from one cached pass
 * (bx_pair_features_compute) and each step runs only bridge → old layers
 * l..L−1 → loss → backward.
 *
 * Tolerances (reference in float64, ours in float32):
 *   cached features and targets      1e-4 × max|ref|
 *   loss of each of the 5 Adam steps 1e-4 relative (the bound)
 *   ∂loss/∂B at step 0                1e-4 relative, as ‖Δ‖₂ / ‖ref‖₂
 *   A and B after 5 steps            1e-3 × max|ref| (Adam divides by √v, so
 *                                    elements with |g| near float32 noise move
 *                                    by ±lr regardless; this bounds them)
 */
#include <math.h>
#include <string.h>

#include "bridge/bx-bridge-train.h"
#include "bridge/bx-pair-features.h"
#include "bx-test-data.h"
#include "io/bx-npy.h"

typedef struct {
  float *data;
  gsize n;
  gint64 shape[8];
  int ndim;
} Array;

static void
array_load (Array *a, const char *relative)
{
  g_autofree char *path = bx_test_fixture_path (relative);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxTensor) t = bx_npy_read (path, &error);

  g_assert_no_error (error);
  a->ndim = (int) t->ndim;
  for (int i = 0; i < a->ndim; i++)
    a->shape[i] = t->shape[i];
  a->data = bx_tensor_to_float (t, &a->n);
}

static double
max_abs (const float *x, gsize n)
{
  double m = 0.0;
  for (gsize i = 0; i < n; i++)
    m = MAX (m, fabs (x[i]));
  return m;
}

static void
assert_close_max (const char *what, const float *got, const float *want, gsize n, double tol)
{
  double ref = max_abs (want, n), err = 0.0;

  for (gsize i = 0; i < n; i++)
    err = MAX (err, fabs ((double) got[i] - want[i]));
  g_test_message ("%s: max error %.3g, max |ref| %.3g", what, err, ref);
  g_assert_cmpfloat (ref, >, 0.0);
  g_assert_cmpfloat (err, <=, tol * ref);
}

static BxModel *
load_model (BxModelFamily family, const char *relative, const Array *raw, float **prepared)
{
  g_autofree char *path = bx_test_fixture_path (relative);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxModel) model = bx_model_load (family, path, &error);
  gint64 prep_shape[8];
  int prep_ndim = 0;

  g_assert_no_error (error);
  *prepared = bx_model_prepare (model, raw->data, (int) raw->shape[0], raw->ndim - 1, raw->shape + 1, &prep_ndim,
                                prep_shape, &error);
  g_assert_no_error (error);
  g_assert_true (bx_model_set_input_shape (model, prep_ndim, prep_shape, &error));
  return g_steal_pointer (&model);
}

typedef struct {
  const char *name;
  BxModelFamily old_family, new_family;
  const char *old_checkpoint, *new_checkpoint;
  const char *old_raw, *new_raw;
  int m, l;
  guint r, P;
  BxBridgeLayout layout;
} Direction;

static void
test_direction (gconstpointer data)
{
  const Direction *dir = data;
  Array old_raw, new_raw, want_features, want_targets, want_losses, want_gradB, A0, P0, A5, B5;
  g_autofree float *old_prep = NULL, *new_prep = NULL;
  g_autoptr (BxModel) old_model = NULL;
  g_autoptr (BxModel) new_model = NULL;
  g_autoptr (BxTaskHead) head = NULL;
  g_autoptr (BxPairFeatures) features = NULL;
  g_autoptr (BxProtoBridge) bridge = NULL;
  g_autoptr (BxProtoBridgeWork) work = NULL;
  g_autoptr (BxProtoBridgeGrads) grads = NULL;
  g_autoptr (BxBridgeOptimizer) adam = NULL;
  g_autoptr (BxModelContext) ctx = bx_model_context_new ();
  g_autoptr (GError) error = NULL;
  guint d_old, T, n;
  BxBridgeLayout layout;
  g_autofree char *f_feat = g_strdup_printf ("bridge/step_%s_features.npy", dir->name);
  g_autofree char *f_targ = g_strdup_printf ("bridge/step_%s_targets.npy", dir->name);
  g_autofree char *f_loss = g_strdup_printf ("bridge/step_%s_losses.npy", dir->name);
  g_autofree char *f_grad = g_strdup_printf ("bridge/step_%s_gradB0.npy", dir->name);
  g_autofree char *f_a0 = g_strdup_printf ("bridge/step_%s_A0.npy", dir->name);
  g_autofree char *f_p0 = g_strdup_printf ("bridge/step_%s_prototypes0.npy", dir->name);
  g_autofree char *f_a5 = g_strdup_printf ("bridge/step_%s_A5.npy", dir->name);
  g_autofree char *f_b5 = g_strdup_printf ("bridge/step_%s_B5.npy", dir->name);
  g_autofree float *xb = NULL, *tb = NULL;

  array_load (&old_raw, dir->old_raw);
  array_load (&new_raw, dir->new_raw);
  array_load (&want_features, f_feat);
  array_load (&want_targets, f_targ);
  array_load (&want_losses, f_loss);
  array_load (&want_gradB, f_grad);
  array_load (&A0, f_a0);
  array_load (&P0, f_p0);
  array_load (&A5, f_a5);
  array_load (&B5, f_b5);
  n = (guint) old_raw.shape[0];

  old_model = load_model (dir->old_family, dir->old_checkpoint, &old_raw, &old_prep);
  new_model = load_model (dir->new_family, dir->new_checkpoint, &new_raw, &new_prep);
  head = bx_task_head_new ((guint) bx_model_feature_dim (old_model, bx_model_get_n_layers (old_model) - 1, FALSE), 2,
                           5);

  /* One cached pass of both models. */
  features = bx_pair_features_compute (old_model, new_model, head, old_prep, new_prep, n, 3, TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (features->new_dim[dir->m] * n, ==, want_features.n);
  assert_close_max ("pooled new features", features->new_pooled[dir->m], want_features.data, want_features.n, 1e-4);
  g_assert_cmpuint (features->target_numel * n, ==, want_targets.n);
  assert_close_max ("old last-layer targets", features->targets, want_targets.data, want_targets.n, 1e-4);

  bx_bridge_geometry (old_model, dir->l, &d_old, &T, &layout);
  g_assert_cmpint (layout, ==, dir->layout);
  bridge = bx_proto_bridge_new_empty (features->new_dim[dir->m], d_old, dir->r, dir->P, T, layout);
  g_assert_cmpuint (A0.n, ==, (gsize) dir->r * bridge->d_new);
  g_assert_cmpuint (P0.n, ==, (gsize) d_old * dir->P);
  memcpy (bridge->A, A0.data, sizeof (float) * A0.n);
  memcpy (bridge->prototypes, P0.data, sizeof (float) * P0.n);
  work = bx_proto_bridge_work_new (bridge, 4);
  grads = bx_proto_bridge_grads_new (bridge);
  adam = bx_bridge_optimizer_new (bridge, 1e-3f);
  xb = g_new (float, 4 * bridge->d_new);
  tb = g_new (float, 4 * features->target_numel);

  for (guint k = 0; k < 5; k++)
    {
      float loss;

      for (guint j = 0; j < 4; j++)
        {
          guint idx = (3 * k + j) % n;
          memcpy (xb + j * bridge->d_new, features->new_pooled[dir->m] + (gsize) idx * bridge->d_new,
                  sizeof (float) * bridge->d_new);
          memcpy (tb + j * features->target_numel, features->targets + idx * features->target_numel,
                  sizeof (float) * features->target_numel);
        }
      g_assert_true (bx_bridge_step (old_model, ctx, dir->l, bridge, work, grads, adam, xb, tb, 4, &loss, &error));
      g_assert_no_error (error);
      g_test_message ("step %u: loss %.7f (torch %.7f)", k, loss, want_losses.data[k]);
      g_assert_cmpfloat (fabs (loss - want_losses.data[k]), <=, 1e-4 * fabs (want_losses.data[k]));
      if (k == 0)
        {
          double diff = 0.0, norm = 0.0;
          g_assert_cmpuint (want_gradB.n, ==, (gsize) dir->P * T * dir->r);
          for (gsize i = 0; i < want_gradB.n; i++)
            {
              diff += ((double) grads->B[i] - want_gradB.data[i]) * ((double) grads->B[i] - want_gradB.data[i]);
              norm += (double) want_gradB.data[i] * want_gradB.data[i];
            }
          g_test_message ("dL/dB at step 0: relative error %.3g", sqrt (diff / norm));
          g_assert_cmpfloat (norm, >, 0.0);
          g_assert_cmpfloat (sqrt (diff / norm), <=, 1e-4);
          /* B = 0 at step 0, so A and the prototypes get no gradient. */
          g_assert_cmpfloat (max_abs (grads->A, (gsize) dir->r * bridge->d_new), ==, 0.0);
          g_assert_cmpfloat (max_abs (grads->prototypes, (gsize) d_old * dir->P), ==, 0.0);
        }
    }
  assert_close_max ("A after 5 steps", bridge->A, A5.data, A5.n, 1e-3);
  assert_close_max ("B after 5 steps", bridge->B, B5.data, B5.n, 1e-3);

  g_free (old_raw.data), g_free (new_raw.data), g_free (want_features.data), g_free (want_targets.data);
  g_free (want_losses.data), g_free (want_gradB.data), g_free (A0.data), g_free (P0.data), g_free (A5.data);
  g_free (B5.data);
}

static const Direction ecg2eeg = {
  "ecg2eeg_raw", BX_MODEL_FAMILY_LABRAM, BX_MODEL_FAMILY_HUBERT_ECG, "models/labram_pre/labram-base.pth",
  "models/hubert/hubert_ecg_small.pt", "bridge/step_raw_eeg.npy", "bridge/step_raw_ecg.npy", 1, 1, 4, 8,
  BX_BRIDGE_LAYOUT_RAW,
};
static const Direction eeg2ecg = {
  "eeg2ecg_tr", BX_MODEL_FAMILY_HUBERT_ECG, BX_MODEL_FAMILY_LABRAM, "models/hubert/hubert_ecg_small.pt",
  "models/labram_pre/labram-base.pth", "bridge/step_raw_ecg.npy", "bridge/step_raw_eeg.npy", 0, 0, 4, 6,
  BX_BRIDGE_LAYOUT_TRANSPOSE,
};

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/bridge/step/ecg2eeg-labram-raw", &ecg2eeg, test_direction);
  g_test_add_data_func ("/bridge/step/eeg2ecg-hubert-transposed", &eeg2ecg, test_direction);
  return g_test_run ();
}
