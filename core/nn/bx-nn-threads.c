/* bx-nn-threads.c — one thread count for OpenBLAS and the engine's loops. */
#include "bx-nn.h"

#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int nn_threads = 1;

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
  return nn_threads;
}
