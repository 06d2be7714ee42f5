/* bx-elementwise.c — GELU, ReLU, add, layer-scale. */
#include "bx-nn.h"
#include "bx-nn-private.h"

#include <math.h>

/* Below this many elements per thread a pool job costs more than it saves. */
#define PAR_MIN 16384

typedef struct {
  float *out;
  const float *in, *d_out;
} GeluJob;

BX_NN_SIMD_CLONES static void
gelu_forward_range (void *p, size_t begin, size_t end, int thread)
{
  GeluJob *j = p;
  float *out = j->out;
  const float *in = j->in;  /* may equal out: element i only reads in[i] */
#pragma omp simd
  for (size_t i = begin; i < end; i++)
    out[i] = in[i] * bx_nn_normal_cdf (in[i]);
}

void
bx_gelu_forward (float *out, const float *in, size_t n)
{
  GeluJob j = { out, in, NULL };
  bx_nn_parallel_for (n, PAR_MIN, gelu_forward_range, &j);
}

BX_NN_SIMD_CLONES static void
gelu_backward_range (void *p, size_t begin, size_t end, int thread)
{
  /* d/dx x·Φ(x) = Φ(x) + x·φ(x) */
  const float inv_sqrt_2pi = 0.3989422804014327f;
  GeluJob *j = p;
  float *d_in = j->out;
  const float *in = j->in, *d_out = j->d_out;
#pragma omp simd
  for (size_t i = begin; i < end; i++)
    {
      float x = in[i];
      float cdf = bx_nn_normal_cdf (x);
      float pdf = inv_sqrt_2pi * bx_nn_exp (-0.5f * x * x);
      d_in[i] += d_out[i] * (cdf + x * pdf);
    }
}

void
bx_gelu_backward (float *d_in, const float *d_out, const float *in, size_t n)
{
  GeluJob j = { d_in, in, d_out };
  bx_nn_parallel_for (n, PAR_MIN, gelu_backward_range, &j);
}

BX_NN_SIMD_CLONES static void
gelu_backward_inplace_range (void *p, size_t begin, size_t end, int thread)
{
  const float inv_sqrt_2pi = 0.3989422804014327f;
  GeluJob *j = p;
  float *d = j->out;
  const float *in = j->in;
#pragma omp simd
  for (size_t i = begin; i < end; i++)
    {
      float x = in[i];
      float cdf = bx_nn_normal_cdf (x);
      float pdf = inv_sqrt_2pi * bx_nn_exp (-0.5f * x * x);
      d[i] *= cdf + x * pdf;
    }
}

void
bx_gelu_backward_inplace (float *d, const float *in, size_t n)
{
  GeluJob j = { d, in, NULL };
  bx_nn_parallel_for (n, PAR_MIN, gelu_backward_inplace_range, &j);
}

void
bx_relu_forward (float *out, const float *in, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

void
bx_relu_backward (float *d_in, const float *d_out, const float *in, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (in[i] > 0.0f)
      d_in[i] += d_out[i];
}

void
bx_add_forward (float *out, const float *a, const float *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = a[i] + b[i];
}

void
bx_add_backward (float *d_a, float *d_b, const float *d_out, size_t n)
{
  if (d_a != NULL)
    for (size_t i = 0; i < n; i++)
      d_a[i] += d_out[i];
  if (d_b != NULL)
    for (size_t i = 0; i < n; i++)
      d_b[i] += d_out[i];
}

void
bx_layer_scale_forward (float *out, const float *in, const float *gamma, int n_rows, int dim)
{
  for (int r = 0; r < n_rows; r++)
    {
      const float *x = in + (size_t) r * dim;
      float *y = out + (size_t) r * dim;
      for (int d = 0; d < dim; d++)
        y[d] = x[d] * gamma[d];
    }
}

void
bx_layer_scale_backward (float *d_in, float *d_gamma, const float *d_out, const float *in, const float *gamma,
                         int n_rows, int dim)
{
  for (int r = 0; r < n_rows; r++)
    {
      const float *g = d_out + (size_t) r * dim;
      const float *x = in + (size_t) r * dim;
      if (d_in != NULL)
        {
          float *dx = d_in + (size_t) r * dim;
          for (int d = 0; d < dim; d++)
            dx[d] += g[d] * gamma[d];
        }
      if (d_gamma != NULL)
        for (int d = 0; d < dim; d++)
          d_gamma[d] += g[d] * x[d];
    }
}

void
bx_dropout_forward (float *out, float *mask, const float *in, size_t n, float p, BxRng *rng)
{
  float keep = 1.0f / (1.0f - p);
  for (size_t i = 0; i < n; i++)
    {
      mask[i] = (p > 0.0f && bx_rng_uniform (rng) < p) ? 0.0f : keep;
      out[i] = in[i] * mask[i];
    }
}

void
bx_dropout_backward (float *d_in, const float *d_out, const float *mask, size_t n)
{
  for (size_t i = 0; i < n; i++)
    d_in[i] += d_out[i] * mask[i];
}
