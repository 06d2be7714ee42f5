/* bx-small-gemm.c — register-tiled AVX2/FMA GEMMs for the per-head products
 * of attention.
 *
 * Each (batch, head) pair multiplies matrices with one small side: head_dim
 * (LaBraM 20, HuBERT-ECG 64) against the token count (LaBraM ISRUC 181). In
 * OpenBLAS such a product spends as much time packing its operands as
 * multiplying (the T × T probability matrix is packed for a T × 20 result),
 * so attention ran at 16–22 GFLOP/s where the block's linear layers reach
 * 65–70. Here the products read their operands in place: one side is
 * broadcast element by element, the other is loaded as rows of 8 floats,
 * and a tile of rows × 8-float column vectors is accumulated in registers.
 *
 * Every element of C is a sum over k in increasing order, so a result does
 * not depend on how the caller splits its work over threads. */
#include "bx-nn.h"
#include "bx-nn-private.h"

#if BX_NN_HAVE_SMALL_GEMM

#include <immintrin.h>

#define AVX2_FMA __attribute__ ((target ("avx2,fma")))
#define INLINE_TILE __attribute__ ((always_inline)) inline

gboolean
bx_nn_small_gemm_available (void)
{
  static int available = -1;

  if (available < 0)
    {
      __builtin_cpu_init ();
      available = __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
    }
  return available;
}

/* The first n (0 … 8) lanes set. */
AVX2_FMA static inline __m256i
lane_mask (int n)
{
  static const int32_t bits[16] = { -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0 };

  return _mm256_loadu_si256 ((const __m256i *) (bits + 8 - n));
}

/* One tile: mr rows × nv vectors of C (mr ≤ 6, nv ≤ 3, mr·nv ≤ 12 so the
 * accumulators stay in the 16 ymm registers).
 *   A element (r, k) at a[r·ars + k·aks]  (broadcast)
 *   B row k at b + k·ldb, nv·8 floats wide; the last vector is loaded under
 *     `tail` when masked_load (the row ends inside it)
 *   C (r, ·) at c + r·ldc: the first nc (≤ nv·8) columns are written,
 *     alpha·acc, plus the old value when accumulate. */
AVX2_FMA static INLINE_TILE void
tile (const int mr, const int nv, const gboolean masked_load, int K, float alpha, const float *a, size_t ars,
      size_t aks, const float *b, size_t ldb, float *c, size_t ldc, int nc, __m256i tail, gboolean accumulate)
{
  __m256 acc[6][3];

#pragma GCC unroll 6
  for (int r = 0; r < mr; r++)
#pragma GCC unroll 3
    for (int v = 0; v < nv; v++)
      acc[r][v] = _mm256_setzero_ps ();
  for (int k = 0; k < K; k++)
    {
      const float *bk = b + (size_t) k * ldb;
      const float *ak = a + (size_t) k * aks;
      __m256 bv[3];

#pragma GCC unroll 3
      for (int v = 0; v < nv; v++)
        bv[v] = masked_load && v == nv - 1 ? _mm256_maskload_ps (bk + 8 * v, tail) : _mm256_loadu_ps (bk + 8 * v);
#pragma GCC unroll 6
      for (int r = 0; r < mr; r++)
        {
          __m256 av = _mm256_broadcast_ss (ak + (size_t) r * ars);
#pragma GCC unroll 3
          for (int v = 0; v < nv; v++)
            acc[r][v] = _mm256_fmadd_ps (av, bv[v], acc[r][v]);
        }
    }

  __m256 va = _mm256_set1_ps (alpha);
#pragma GCC unroll 6
  for (int r = 0; r < mr; r++)
    {
      float *cr = c + (size_t) r * ldc;
#pragma GCC unroll 3
      for (int v = 0; v < nv; v++)
        {
          int cols = nc - 8 * v;
          __m256 y = _mm256_mul_ps (va, acc[r][v]);
          if (cols >= 8)
            {
              if (accumulate)
                y = _mm256_add_ps (_mm256_loadu_ps (cr + 8 * v), y);
              _mm256_storeu_ps (cr + 8 * v, y);
            }
          else if (cols > 0)
            {
              __m256i m = lane_mask (cols);
              if (accumulate)
                y = _mm256_add_ps (_mm256_maskload_ps (cr + 8 * v, m), y);
              _mm256_maskstore_ps (cr + 8 * v, m, y);
            }
        }
    }
}

/* Column block of width 8·nv (nc valid columns), rows in tiles of mr and a
 * one-row tail. */
#define ROWS(MR, NV, MASKED)                                                                                     \
  do                                                                                                             \
    {                                                                                                            \
      int i = 0;                                                                                                 \
      for (; i + (MR) <= M; i += (MR))                                                                           \
        tile ((MR), (NV), (MASKED), K, alpha, A + (size_t) i * ars, ars, aks, B + j, ldb, C + (size_t) i * ldc + j, \
              ldc, nc, tail, accumulate);                                                                        \
      for (; i < M; i++)                                                                                         \
        tile (1, (NV), (MASKED), K, alpha, A + (size_t) i * ars, ars, aks, B + j, ldb, C + (size_t) i * ldc + j, \
              ldc, nc, tail, accumulate);                                                                        \
    }                                                                                                            \
  while (0)

AVX2_FMA void
bx_nn_small_gemm (gboolean trans_a, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                  int ldb, gboolean accumulate, float *C, int ldc)
{
  size_t ars = trans_a ? 1 : (size_t) lda, aks = trans_a ? (size_t) lda : 1;

  for (int j = 0; j < N; j += 24)
    {
      int nc = MIN (24, N - j), nv = (nc + 7) / 8;
      gboolean masked = nc % 8 != 0;
      __m256i tail = lane_mask (nc - 8 * (nv - 1));

      if (nv == 3)
        {
          if (masked)
            ROWS (4, 3, TRUE);
          else
            ROWS (4, 3, FALSE);
        }
      else if (nv == 2)
        {
          if (masked)
            ROWS (6, 2, TRUE);
          else
            ROWS (6, 2, FALSE);
        }
      else
        {
          if (masked)
            ROWS (6, 1, TRUE);
          else
            ROWS (6, 1, FALSE);
        }
    }
}

AVX2_FMA void
bx_nn_small_gemm_nt (int M, int N, int K, float alpha, const float *A, int lda, const float *B, int ldb, float *C,
                     int ldc)
{
  /* Bᵀ is packed 16 columns at a time into a (K, 16) panel on the stack, zero
   * past the last column, so the tile loads it without masks. */
  float panel[BX_NN_SMALL_GEMM_MAX_K * 16] __attribute__ ((aligned (32)));
  const __m256i no_mask = lane_mask (8);

  g_return_if_fail (K <= BX_NN_SMALL_GEMM_MAX_K);
  for (int j0 = 0; j0 < N; j0 += 16)
    {
      int nc = MIN (16, N - j0), i = 0;
      float *Cj = C + j0;

      for (int k = 0; k < K; k++)
        {
          for (int cc = 0; cc < nc; cc++)
            panel[(size_t) k * 16 + cc] = B[(size_t) (j0 + cc) * ldb + k];
          for (int cc = nc; cc < 16; cc++)
            panel[(size_t) k * 16 + cc] = 0.0f;
        }
      for (; i + 6 <= M; i += 6)
        tile (6, 2, FALSE, K, alpha, A + (size_t) i * lda, lda, 1, panel, 16, Cj + (size_t) i * ldc, ldc, nc,
              no_mask, FALSE);
      for (; i < M; i++)
        tile (1, 2, FALSE, K, alpha, A + (size_t) i * lda, lda, 1, panel, 16, Cj + (size_t) i * ldc, ldc, nc,
              no_mask, FALSE);
    }
}

#endif /* BX_NN_HAVE_SMALL_GEMM */
