/* protoLRFC forward and backward against the plain-torch reference
 * (tests/reference/proto_bridge_fixtures.py), for both output layouts.
 * Tolerance: 1e-5 × max|reference| per tensor (float32 GEMM vs torch). */
#include <math.h>
#include <string.h>

#include "bridge/bx-proto-bridge.h"
#include "bx-test-data.h"

static float *
load_floats (const char *layout, const char *name, gsize *out_n)
{
  g_autofree char *rel = g_strdup_printf ("bridge/proto_%s_%s.txt", layout, name);

  return bx_test_load_fixture_floats (rel, out_n);
}

static void
assert_close (const float *got, const float *want, gsize n, const char *what)
{
  double max_ref = 0.0, max_err = 0.0;

  for (gsize i = 0; i < n; i++)
    {
      max_ref = MAX (max_ref, fabs (want[i]));
      max_err = MAX (max_err, fabs ((double) got[i] - want[i]));
    }
  g_test_message ("%s: max error %.3g (max |ref| %.3g)", what, max_err, max_ref);
  g_assert_cmpfloat (max_ref, >, 0.0);
  g_assert_cmpfloat (max_err, <=, 1e-5 * max_ref);
}

static void
test_layout (gconstpointer data)
{
  const char *layout = data;
  gsize n;
  g_autofree float *shape = load_floats (layout, "shape", &n);
  guint Bs = (guint) shape[0], d_new = (guint) shape[1], d_old = (guint) shape[2];
  guint r = (guint) shape[3], P = (guint) shape[4], T = (guint) shape[5];
  g_autoptr (BxProtoBridge) bridge = bx_proto_bridge_new_empty (
      d_new, d_old, r, P, T, g_str_equal (layout, "raw") ? BX_BRIDGE_LAYOUT_RAW : BX_BRIDGE_LAYOUT_TRANSPOSE);
  g_autoptr (BxProtoBridgeWork) work = bx_proto_bridge_work_new (bridge, Bs);
  g_autoptr (BxProtoBridgeGrads) grads = bx_proto_bridge_grads_new (bridge);
  g_autofree float *x = load_floats (layout, "x", &n);
  g_autofree float *A = load_floats (layout, "A", &n);
  g_autofree float *B = load_floats (layout, "B", &n);
  g_autofree float *proto = load_floats (layout, "prototypes", &n);
  g_autofree float *want_out = load_floats (layout, "out", &n);
  g_autofree float *dout = load_floats (layout, "dout", &n);
  g_autofree float *dA = load_floats (layout, "dA", &n);
  g_autofree float *dB = load_floats (layout, "dB", &n);
  g_autofree float *dproto = load_floats (layout, "dprototypes", &n);
  g_autofree float *out = g_new (float, (gsize) Bs * d_old * T);

  g_assert_cmpuint (bx_proto_bridge_n_params (bridge), ==, r * d_new + P * T * r + d_old * P);
  memcpy (bridge->A, A, sizeof (float) * r * d_new);
  memcpy (bridge->B, B, sizeof (float) * P * T * r);
  memcpy (bridge->prototypes, proto, sizeof (float) * d_old * P);

  bx_proto_bridge_forward (bridge, work, x, Bs, out);
  assert_close (out, want_out, (gsize) Bs * d_old * T, "out");

  bx_proto_bridge_grads_zero (bridge, grads);
  bx_proto_bridge_backward (bridge, work, x, dout, Bs, grads);
  assert_close (grads->A, dA, (gsize) r * d_new, "dA");
  assert_close (grads->B, dB, (gsize) P * T * r, "dB");
  assert_close (grads->prototypes, dproto, (gsize) d_old * P, "dprototypes");

  /* Gradients accumulate: a second backward doubles them. */
  bx_proto_bridge_backward (bridge, work, x, dout, Bs, grads);
  for (gsize i = 0; i < (gsize) r * d_new; i++)
    dA[i] *= 2.0f;
  assert_close (grads->A, dA, (gsize) r * d_new, "dA accumulated");
}

static void
test_param_counts (void)
{
  /* The spec's per-direction bridge sizes (§1.7). */
  struct { guint d_new, d_old, r, P, T; gsize expected; } cases[] = {
    { 512, 200, 32, 300, 181, 1813984 },  /* ISRUC EEG→ECG */
    { 200, 512, 4, 200, 46, 140000 },     /* ISRUC ECG→EEG */
    { 64, 512, 8, 150, 93, 188912 },      /* WESAD ECG→PPG */
    { 512, 128, 32, 50, 235, 398784 },    /* WESAD PPG→ECG */
    { 200, 768, 8, 50, 1680, 712000 },    /* FOG EMG→EEG */
    { 768, 200, 256, 200, 19, 1209408 },  /* FOG EEG→EMG */
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (BxProtoBridge) b = bx_proto_bridge_new_empty (cases[i].d_new, cases[i].d_old, cases[i].r, cases[i].P,
                                                               cases[i].T, BX_BRIDGE_LAYOUT_RAW);
      g_assert_cmpuint (bx_proto_bridge_n_params (b), ==, cases[i].expected);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/bridge/proto/raw", "raw", test_layout);
  g_test_add_data_func ("/bridge/proto/transpose", "transpose", test_layout);
  g_test_add_func ("/bridge/proto/param-counts", test_param_counts);
  return g_test_run ();
}
