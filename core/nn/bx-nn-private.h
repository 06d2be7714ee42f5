/* bx-nn-private.h — inline math shared by the engine's loops.
 *
 * exp and the normal CDF are written out so that the compiler vectorises the
 * softmax and GELU loops (libm's expf/erff are scalar calls): at LaBraM/HuBERT
 * sizes those loops otherwise cost as much as the GEMMs. */
#pragma once

#include <math.h>
#include <stdint.h>

/* Hot element-wise kernels get an x86-64-v3 (AVX2+FMA) clone beside the baseline
 * one, picked at load time (GCC ifunc); other compilers/targets get the
 * baseline only. Results differ between clones only by FMA rounding. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define BX_NN_SIMD_CLONES __attribute__ ((target_clones ("arch=x86-64-v3", "default")))
#else
#define BX_NN_SIMD_CLONES
#endif

/* e^x for x in float range; relative error ≈ 2e-7 (Cody–Waite reduction to
 * |r| ≤ ln2/2, degree-7 Taylor polynomial, exponent built from bits). */
static inline __attribute__ ((always_inline)) float
bx_nn_exp (float x)
{
  /* two plain selects (a nested ?: keeps GCC from if-converting the loop) */
  x = x > -87.0f ? x : -87.0f;
  x = x < 88.0f ? x : 88.0f;
  /* round(x / ln2) by the 1.5·2²³ trick (no floorf, which does not vectorise
   * on baseline x86-64) */
  float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = x - n * 0.693145751953125f - n * 1.428606765330187e-06f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  union { int32_t i; float f; } scale;
  scale.i = ((int32_t) n + 127) << 23;
  return p * scale.f;
}

/* Φ(x) = P(N(0,1) ≤ x) through erfc with the Chebyshev fit of Numerical
 * Recipes (§6.2, erfcc: fractional error < 1.2e-7 for all z ≥ 0), so Φ keeps
 * its relative accuracy deep in the left tail where GELU(x) = x·Φ(x) is tiny. */
static inline __attribute__ ((always_inline)) float
bx_nn_normal_cdf (float x)
{
  float z = fabsf (x) * 0.70710678118654752f;
  float t = 1.0f / (1.0f + 0.5f * z);
  float poly = -1.26551223f
               + t * (1.00002368f
                      + t * (0.37409196f
                             + t * (0.09678418f
                                    + t * (-0.18628806f
                                           + t * (0.27886807f
                                                  + t * (-1.13520398f
                                                         + t * (1.48851587f
                                                                + t * (-0.82215223f + t * 0.17087277f))))))));
  float erfc_z = t * bx_nn_exp (-z * z + poly);
  float half = 0.5f * erfc_z;  /* = Φ(−|x|) */
  return x < 0.0f ? half : 1.0f - half;
}

/* OpenBLAS's own thread count, without touching the engine setting. */
void bx_nn_blas_set_threads (int n_threads);

/* fn(ctx, begin, end, thread) over [0, n) split statically into at most
 * bx_nn_get_threads() contiguous ranges of ≥ min_per_thread items; thread is
 * 0 … threads−1 (for per-thread scratch). Runs serially when called from
 * inside a pool job or while another caller uses the pool. */
typedef void (*BxNnRangeFn) (void *ctx, size_t begin, size_t end, int thread);
void bx_nn_parallel_for (size_t n, size_t min_per_thread, BxNnRangeFn fn, void *ctx);
/* Same with at most max_threads threads (for per-thread scratch sized in advance). */
void bx_nn_parallel_for_max (size_t n, size_t min_per_thread, int max_threads, BxNnRangeFn fn, void *ctx);

/* Attention scratch is sized for this many threads whatever the thread count
 * is when it is queried, so changing the count later never overruns it. */
#define BX_NN_ATTENTION_MAX_THREADS 8
