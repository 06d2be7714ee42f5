/* bx-nn-threads.c — one thread count for OpenBLAS and the engine's loops, and
 * the engine's own worker pool.
 *
 * The pool blocks on a condition variable between jobs instead of spinning:
 * with 2 cores an OpenMP runtime that spins after each parallel region takes a
 * core away from the next OpenBLAS GEMM (measured: ~20 % of the nn
 * benchmark's CPU samples in libgomp's spin loop). Ranges are split statically, so a result never
 * depends on which thread ran which part. */
#include "bx-nn.h"
#include "bx-nn-private.h"

#include <cblas.h>

#define MAX_THREADS 64

/* 0 until set: then OpenBLAS's own default (OPENBLAS_NUM_THREADS or cores). */
static int nn_threads = 0;

typedef struct {
  BxNnRangeFn fn;
  void *ctx;
  size_t n;
  int n_threads;
} PoolJob;

static GMutex pool_lock;        /* guards everything below */
static GCond pool_work;
static GCond pool_done;
static GMutex pool_call_lock;   /* one job at a time; a second caller runs serially */
static GThread *pool_workers[MAX_THREADS];
static int pool_n_workers;
static guint64 pool_start_generation[MAX_THREADS];  /* generation before the worker's first job */
static guint64 pool_generation;
static PoolJob pool_job;
static int pool_pending;
static GPrivate pool_in_worker;  /* set on pool workers, and on a caller while it runs its part */

static void
run_range (const PoolJob *job, int t)
{
  size_t begin = job->n * (size_t) t / job->n_threads, end = job->n * (size_t) (t + 1) / job->n_threads;
  if (begin < end)
    job->fn (job->ctx, begin, end, t);
}

static gpointer
pool_worker (gpointer data)
{
  int index = GPOINTER_TO_INT (data);  /* thread number index + 1 in a job */
  g_private_set (&pool_in_worker, GINT_TO_POINTER (1));
  g_mutex_lock (&pool_lock);
  guint64 seen = pool_start_generation[index];
  for (;;)
    {
      while (pool_generation == seen)
        g_cond_wait (&pool_work, &pool_lock);
      seen = pool_generation;
      PoolJob job = pool_job;
      if (index + 1 >= job.n_threads)
        continue;
      g_mutex_unlock (&pool_lock);
      run_range (&job, index + 1);
      g_mutex_lock (&pool_lock);
      if (--pool_pending == 0)
        g_cond_signal (&pool_done);
    }
  return NULL;
}

void
bx_nn_parallel_for (size_t n, size_t min_per_thread, BxNnRangeFn fn, void *ctx)
{
  bx_nn_parallel_for_max (n, min_per_thread, MAX_THREADS, fn, ctx);
}

void
bx_nn_parallel_for_max (size_t n, size_t min_per_thread, int max_threads, BxNnRangeFn fn, void *ctx)
{
  int nt = MIN (bx_nn_get_threads (), MAX (max_threads, 1));
  if (min_per_thread < 1)
    min_per_thread = 1;
  if ((size_t) nt > n / min_per_thread)
    nt = (int) MAX ((size_t) 1, n / min_per_thread);
  nt = MIN (nt, MAX_THREADS);
  PoolJob job = { fn, ctx, n, nt };
  if (nt <= 1 || g_private_get (&pool_in_worker) != NULL || !g_mutex_trylock (&pool_call_lock))
    {
      job.n_threads = 1;
      run_range (&job, 0);
      return;
    }
  g_mutex_lock (&pool_lock);
  while (pool_n_workers < nt - 1)
    {
      pool_start_generation[pool_n_workers] = pool_generation;
      pool_workers[pool_n_workers] = g_thread_new ("bx-nn", pool_worker, GINT_TO_POINTER (pool_n_workers));
      pool_n_workers++;
    }
  pool_job = job;
  pool_pending = nt - 1;
  pool_generation++;
  g_cond_broadcast (&pool_work);
  g_mutex_unlock (&pool_lock);

  g_private_set (&pool_in_worker, GINT_TO_POINTER (1));
  run_range (&job, 0);
  g_private_set (&pool_in_worker, NULL);

  g_mutex_lock (&pool_lock);
  while (pool_pending > 0)
    g_cond_wait (&pool_done, &pool_lock);
  g_mutex_unlock (&pool_lock);
  g_mutex_unlock (&pool_call_lock);
}

void
bx_nn_set_threads (int n_threads)
{
  if (n_threads < 1)
    n_threads = 1;
  nn_threads = MIN (n_threads, MAX_THREADS);
  /* GEMMs are split over the engine's pool (bx_nn_sgemm); OpenBLAS's own
   * workers stay idle so that nothing spins beside the pool. */
  openblas_set_num_threads (1);
}

typedef struct {
  CBLAS_TRANSPOSE ta, tb;
  int M, N, K;
  float alpha, beta;
  const float *A, *B;
  int lda, ldb, ldc;
  float *C;
} GemmJob;

/* Rows are handed out in blocks of GEMM_BLOCK (a multiple of every sgemm
 * micro-kernel's M unroll), so each row meets the same kernel as in a single
 * call and the result is bit-identical. Splitting columns is not: OpenBLAS's
 * N-tail kernels sum in another order (measured: 6 % of elements differ). */
#define GEMM_BLOCK 48

static void
gemm_range (void *p, size_t begin, size_t end, int thread)
{
  GemmJob *j = p;
  int lo = (int) begin * GEMM_BLOCK, hi = MIN ((int) end * GEMM_BLOCK, j->M);
  const float *A = j->ta == CblasNoTrans ? j->A + (size_t) lo * j->lda : j->A + lo;
  cblas_sgemm (CblasRowMajor, j->ta, j->tb, hi - lo, j->N, j->K, j->alpha, A, j->lda, j->B, j->ldb, j->beta,
               j->C + (size_t) lo * j->ldc, j->ldc);
}

void
bx_nn_sgemm (CBLAS_TRANSPOSE trans_a, CBLAS_TRANSPOSE trans_b, int M, int N, int K, float alpha, const float *A,
             int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
  /* Someone else (a front end) may have raised OpenBLAS's thread count: the
   * parts below must each run on one thread. */
  if (openblas_get_num_threads () != 1)
    openblas_set_num_threads (1);
  double flops = 2.0 * M * N * K;
  int nt = bx_nn_get_threads ();
  if (nt <= 1 || flops < 4e6 || M < 2 * GEMM_BLOCK)
    {
      cblas_sgemm (CblasRowMajor, trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      return;
    }
  GemmJob j = { trans_a, trans_b, M, N, K, alpha, beta, A, B, lda, ldb, ldc, C };
  size_t blocks = (size_t) (M + GEMM_BLOCK - 1) / GEMM_BLOCK;
  bx_nn_parallel_for (blocks, 1, gemm_range, &j);
}

int
bx_nn_get_threads (void)
{
  /* Until set: OpenBLAS's default (OPENBLAS_NUM_THREADS or the cores), read
   * once — bx_nn_sgemm pins OpenBLAS itself to 1 thread afterwards. */
  if (nn_threads == 0)
    nn_threads = CLAMP (openblas_get_num_threads (), 1, MAX_THREADS);
  return nn_threads;
}

void
bx_nn_blas_set_threads (int n_threads)
{
  openblas_set_num_threads (n_threads);
}
