/* bx-tensor.c — shape bookkeeping. */
#include "bx-nn.h"

int64_t
bx_tensor_numel (const BxTensor *t)
{
  int64_t n = 1;
  for (int i = 0; i < t->n_dims; i++)
    n *= t->shape[i];
  return n;
}

BxTensor
bx_tensor_arena (BxArena *arena, int n_dims, const int64_t *shape)
{
  BxTensor t = { 0 };
  g_return_val_if_fail (n_dims >= 0 && n_dims <= BX_TENSOR_MAX_DIMS, t);
  t.n_dims = n_dims;
  for (int i = 0; i < n_dims; i++)
    t.shape[i] = shape[i];
  t.data = bx_arena_alloc_floats (arena, (size_t) bx_tensor_numel (&t));
  return t;
}
