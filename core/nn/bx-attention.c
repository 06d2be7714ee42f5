/* bx-attention.c — multi-head softmax attention, row softmax, qkv split.
 *
 * q, k, v are (B, T, H·dh): the head slice of batch b is a (T, dh) matrix with
 * leading dimension H·dh, so each (b, h) pair is three strided sgemm calls with
 * no transposes. Pairs are independent: they run in parallel (OpenMP) with
 * OpenBLAS held at one thread meanwhile, and write disjoint output slices, so
 * the result does not depend on the thread count. */
#include "bx-nn.h"
#include "bx-nn-private.h"

#include <cblas.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static void
softmax_row (float *y, const float *x, int n)
{
  float mx = x[0];
  for (int i = 1; i < n; i++)
    mx = x[i] > mx ? x[i] : mx;
  float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
  for (int i = 0; i < n; i++)
    {
      float e = bx_nn_exp (x[i] - mx);
      y[i] = e;
      sum += e;
    }
  float inv = 1.0f / sum;
  for (int i = 0; i < n; i++)
    y[i] *= inv;
}

void
bx_softmax_forward (float *out, const float *in, int n_rows, int n)
{
#pragma omp parallel for if ((size_t) n_rows * n >= 65536) schedule (static)
  for (int r = 0; r < n_rows; r++)
    softmax_row (out + (size_t) r * n, in + (size_t) r * n, n);
}

void
bx_softmax_backward (float *d_in, const float *d_out, const float *out, int n_rows, int n)
{
#pragma omp parallel for if ((size_t) n_rows * n >= 65536) schedule (static)
  for (int r = 0; r < n_rows; r++)
    {
      const float *y = out + (size_t) r * n, *g = d_out + (size_t) r * n;
      float *dx = d_in + (size_t) r * n;
      float dot = 0.0f;
      for (int i = 0; i < n; i++)
        dot += g[i] * y[i];
      for (int i = 0; i < n; i++)
        dx[i] += y[i] * (g[i] - dot);
    }
}

void
bx_split_qkv_forward (float *q, float *k, float *v, const float *qkv, int n_rows, int dim)
{
  for (int r = 0; r < n_rows; r++)
    {
      const float *src = qkv + (size_t) r * 3 * dim;
      memcpy (q + (size_t) r * dim, src, sizeof (float) * dim);
      memcpy (k + (size_t) r * dim, src + dim, sizeof (float) * dim);
      memcpy (v + (size_t) r * dim, src + 2 * dim, sizeof (float) * dim);
    }
}

void
bx_split_qkv_backward (float *d_qkv, const float *d_q, const float *d_k, const float *d_v, int n_rows, int dim)
{
  const float *parts[3] = { d_q, d_k, d_v };
  for (int r = 0; r < n_rows; r++)
    for (int p = 0; p < 3; p++)
      if (parts[p] != NULL)
        {
          float *dst = d_qkv + (size_t) r * 3 * dim + (size_t) p * dim;
          const float *src = parts[p] + (size_t) r * dim;
          for (int d = 0; d < dim; d++)
            dst[d] += src[d];
        }
}

size_t
bx_attention_workspace_floats (int n_tokens)
{
  return (size_t) bx_nn_get_threads () * n_tokens * n_tokens;
}

static int
thread_id (void)
{
#ifdef _OPENMP
  return omp_get_thread_num ();
#else
  return 0;
#endif
}

void
bx_attention_forward (float *out, float *probs, const float *q, const float *k, const float *v, int batch,
                      int n_tokens, int n_heads, int head_dim, float scale, float *workspace)
{
  int T = n_tokens, ld = n_heads * head_dim, nt = bx_nn_get_threads ();
  size_t TT = (size_t) T * T;
  if (nt > 1)
    bx_nn_blas_set_threads (1);
#pragma omp parallel for num_threads (nt) schedule (static)
  for (int bh = 0; bh < batch * n_heads; bh++)
    {
      int b = bh / n_heads, h = bh % n_heads;
      size_t off = (size_t) b * T * ld + (size_t) h * head_dim;
      float *P = probs != NULL ? probs + (size_t) bh * TT : workspace + (size_t) thread_id () * TT;
      /* S = scale · Q Kᵀ (T, T) */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, T, T, head_dim, scale, q + off, ld, k + off, ld, 0.0f,
                   P, T);
      for (int t = 0; t < T; t++)
        softmax_row (P + (size_t) t * T, P + (size_t) t * T, T);
      /* O = P V (T, dh) */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, T, head_dim, T, 1.0f, P, T, v + off, ld, 0.0f,
                   out + off, ld);
    }
  if (nt > 1)
    bx_nn_blas_set_threads (nt);
}

void
bx_attention_backward (float *d_q, float *d_k, float *d_v, const float *d_out, const float *probs, const float *q,
                       const float *k, const float *v, int batch, int n_tokens, int n_heads, int head_dim,
                       float scale, float *workspace)
{
  int T = n_tokens, ld = n_heads * head_dim, nt = bx_nn_get_threads ();
  size_t TT = (size_t) T * T;
  if (nt > 1)
    bx_nn_blas_set_threads (1);
#pragma omp parallel for num_threads (nt) schedule (static)
  for (int bh = 0; bh < batch * n_heads; bh++)
    {
      int b = bh / n_heads, h = bh % n_heads;
      size_t off = (size_t) b * T * ld + (size_t) h * head_dim;
      const float *P = probs + (size_t) bh * TT;
      float *dP = workspace + (size_t) thread_id () * TT;
      const float *dO = d_out + off;
      if (d_v != NULL)  /* dV += Pᵀ dO */
        cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, T, head_dim, T, 1.0f, P, T, dO, ld, 1.0f,
                     d_v + off, ld);
      if (d_q == NULL && d_k == NULL)
        continue;
      /* dP = dO Vᵀ, then dS = P ⊙ (dP − rowsum(dP ⊙ P)) in place */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, T, T, head_dim, 1.0f, dO, ld, v + off, ld, 0.0f, dP,
                   T);
      for (int t = 0; t < T; t++)
        {
          const float *p = P + (size_t) t * T;
          float *g = dP + (size_t) t * T;
          float dot = 0.0f;
          for (int j = 0; j < T; j++)
            dot += g[j] * p[j];
          for (int j = 0; j < T; j++)
            g[j] = p[j] * (g[j] - dot);
        }
      if (d_q != NULL)  /* dQ += scale · dS K */
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, T, head_dim, T, scale, dP, T, k + off, ld, 1.0f,
                     d_q + off, ld);
      if (d_k != NULL)  /* dK += scale · dSᵀ Q */
        cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, T, head_dim, T, scale, dP, T, q + off, ld, 1.0f,
                     d_k + off, ld);
    }
  if (nt > 1)
    bx_nn_blas_set_threads (nt);
}
