/* bx-attention.c — multi-head softmax attention, row softmax, qkv split.
 *
 * q, k, v are (B, T, H·dh): the head slice of batch b is a (T, dh) matrix with
 * leading dimension H·dh, so each (b, h) pair is a few strided sgemm calls
 * with no copies. Pairs are independent: they run in parallel (engine pool),
 * each sgemm on one thread, and write disjoint output slices, so the result
 * does not depend on the thread count.
 *
 * Hand-written AVX2 register-tiled kernels for these products (no packing)
 * were tried: in the training step they were 1.7× slower than single-threaded
 * OpenBLAS, whose packed copies of the strided head slices stay in cache. */
#include "bx-nn.h"
#include "bx-nn-private.h"

#include <cblas.h>
#include <string.h>

BX_NN_SIMD_CLONES static void
softmax_row (float *y, const float *x, int n)
{
  float mx = x[0];
#pragma omp simd reduction(max : mx)
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
  for (int r = 0; r < n_rows; r++)
    softmax_row (out + (size_t) r * n, in + (size_t) r * n, n);
}

void
bx_softmax_backward (float *d_in, const float *d_out, const float *out, int n_rows, int n)
{
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

void
bx_join_qkv (float *qkv, const float *q, const float *k, const float *v, int n_rows, int dim)
{
  for (int r = 0; r < n_rows; r++)
    {
      float *dst = qkv + (size_t) r * 3 * dim;
      memcpy (dst, q + (size_t) r * dim, sizeof (float) * dim);
      memcpy (dst + dim, k + (size_t) r * dim, sizeof (float) * dim);
      memcpy (dst + 2 * dim, v + (size_t) r * dim, sizeof (float) * dim);
    }
}

/* dS = P ⊙ (dP − Σ dP ⊙ P) for one row, in place over dP. */
BX_NN_SIMD_CLONES static void
softmax_grad_row (float *g, const float *p, int n)
{
  float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
  for (int i = 0; i < n; i++)
    dot += g[i] * p[i];
#pragma omp simd
  for (int i = 0; i < n; i++)
    g[i] = p[i] * (g[i] - dot);
}

size_t
bx_attention_workspace_floats (int n_tokens)
{
  return (size_t) BX_NN_ATTENTION_MAX_THREADS * n_tokens * n_tokens;
}

typedef struct {
  float *out, *d_q, *d_k, *d_v;
  const float *probs_in, *d_out;
  float *probs;
  const float *q, *k, *v;
  int n_heads, T, head_dim;
  float scale;
  float *workspace;
} AttnJob;

static void
attention_forward_range (void *p, size_t begin, size_t end, int thread)
{
  AttnJob *j = p;
  int T = j->T, ld = j->n_heads * j->head_dim, dh = j->head_dim;
  size_t TT = (size_t) T * T;
  for (size_t bh = begin; bh < end; bh++)
    {
      size_t b = bh / j->n_heads, h = bh % j->n_heads;
      size_t off = b * T * ld + h * dh;
      float *P = j->probs != NULL ? j->probs + bh * TT : j->workspace + (size_t) thread * TT;
      /* S = scale · Q Kᵀ (T, T) */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, T, T, dh, j->scale, j->q + off, ld, j->k + off, ld, 0.0f,
                   P, T);
      for (int t = 0; t < T; t++)
        softmax_row (P + (size_t) t * T, P + (size_t) t * T, T);
      /* O = P V (T, dh) */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dh, T, 1.0f, P, T, j->v + off, ld, 0.0f,
                   j->out + off, ld);
    }
}

void
bx_attention_forward (float *out, float *probs, const float *q, const float *k, const float *v, int batch,
                      int n_tokens, int n_heads, int head_dim, float scale, float *workspace)
{
  AttnJob j = { .out = out, .probs = probs, .q = q, .k = k, .v = v, .n_heads = n_heads, .T = n_tokens,
                .head_dim = head_dim, .scale = scale, .workspace = workspace };
  bx_nn_blas_set_threads (1);
  bx_nn_parallel_for_max ((size_t) batch * n_heads, 1, BX_NN_ATTENTION_MAX_THREADS, attention_forward_range, &j);
}

static void
attention_backward_range (void *p, size_t begin, size_t end, int thread)
{
  AttnJob *j = p;
  int T = j->T, ld = j->n_heads * j->head_dim, dh = j->head_dim;
  size_t TT = (size_t) T * T;
  float *dP = j->workspace + (size_t) thread * TT;
  for (size_t bh = begin; bh < end; bh++)
    {
      size_t b = bh / j->n_heads, h = bh % j->n_heads;
      size_t off = b * T * ld + h * dh;
      const float *P = j->probs_in + bh * TT;
      const float *dO = j->d_out + off;
      if (j->d_v != NULL)  /* dV += Pᵀ dO */
        cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, T, dh, T, 1.0f, P, T, dO, ld, 1.0f, j->d_v + off, ld);
      if (j->d_q == NULL && j->d_k == NULL)
        continue;
      /* dP = dO Vᵀ, then dS = P ⊙ (dP − rowsum(dP ⊙ P)) in place */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, T, T, dh, 1.0f, dO, ld, j->v + off, ld, 0.0f, dP, T);
      for (int t = 0; t < T; t++)
        softmax_grad_row (dP + (size_t) t * T, P + (size_t) t * T, T);
      if (j->d_q != NULL)  /* dQ += scale · dS K */
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, T, dh, T, j->scale, dP, T, j->k + off, ld, 1.0f,
                     j->d_q + off, ld);
      if (j->d_k != NULL)  /* dK += scale · dSᵀ Q */
        cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, T, dh, T, j->scale, dP, T, j->q + off, ld, 1.0f,
                     j->d_k + off, ld);
    }
}

void
bx_attention_backward (float *d_q, float *d_k, float *d_v, const float *d_out, const float *probs, const float *q,
                       const float *k, const float *v, int batch, int n_tokens, int n_heads, int head_dim,
                       float scale, float *workspace)
{
  AttnJob j = { .d_q = d_q, .d_k = d_k, .d_v = d_v, .d_out = d_out, .probs_in = probs, .q = q, .k = k, .v = v,
                .n_heads = n_heads, .T = n_tokens, .head_dim = head_dim, .scale = scale, .workspace = workspace };
  bx_nn_blas_set_threads (1);
  bx_nn_parallel_for_max ((size_t) batch * n_heads, 1, BX_NN_ATTENTION_MAX_THREADS, attention_backward_range, &j);
}
