/* bx-test-npy.h — a minimal .npy reader for the nn tests (little-endian
 * float32, C order only); the product's reader lives in core/io. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  float *data;
  int n_dims;
  gsize shape[8];
  gsize numel;
} BxTestArray;

/* Loads tests/fixtures/nn/<name>.npy; a missing or malformed file fails the test. */
BxTestArray *bx_test_npy_load (const char *name);
void bx_test_array_free (BxTestArray *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxTestArray, bx_test_array_free)

G_END_DECLS
