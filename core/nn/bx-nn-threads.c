/* bx-nn-threads.c — one thread count for OpenBLAS and the engine's loops. */
#include "bx-nn.h"
#include "bx-nn-private.h"

#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* 0 until set: then OpenBLAS's own default (OPENBLAS_NUM_THREADS or cores). */
static int nn_threads = 0;

void
bx_nn_set_threads (int n_threads)
{
  if (n_threads < 1)
    n_threads = 1;
  nn_threads = n_threads;
  openblas_set_num_threads (n_threads);
#ifdef _OPENMP
  omp_set_num_threads (n_threads);
#endif
}

int
bx_nn_get_threads (void)
{
  if (nn_threads == 0)
    return MAX (1, openblas_get_num_threads ());
  return nn_threads;
}

void
bx_nn_blas_set_threads (int n_threads)
{
  openblas_set_num_threads (n_threads);
}
