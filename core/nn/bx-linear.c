/* bx-linear.c — Linear layer through cblas_sgemm. */
#include "bx-nn.h"

#include <cblas.h>
#include <string.h>

void
bx_linear_forward (float *out, const float *in, const float *weight, const float *bias, int n_rows,
                   int in_features, int out_features)
{
  float beta = 0.0f;
  if (bias != NULL)
    {
      for (int r = 0; r < n_rows; r++)
        memcpy (out + (size_t) r * out_features, bias, sizeof (float) * out_features);
      beta = 1.0f;
    }
  /* out (n, out) = in (n, in) · weightᵀ, weight (out, in) */
  bx_nn_sgemm (CblasNoTrans, CblasTrans, n_rows, out_features, in_features, 1.0f, in,
               in_features, weight, in_features, beta, out, out_features);
}

void
bx_linear_backward (float *d_in, float *d_weight, float *d_bias, const float *d_out, const float *in,
                    const float *weight, int n_rows, int in_features, int out_features)
{
  if (d_in != NULL)
    bx_nn_sgemm (CblasNoTrans, CblasNoTrans, n_rows, in_features, out_features, 1.0f, d_out,
                 out_features, weight, in_features, 1.0f, d_in, in_features);
  if (d_weight != NULL)
    bx_nn_sgemm (CblasTrans, CblasNoTrans, out_features, in_features, n_rows, 1.0f, d_out,
                 out_features, in, in_features, 1.0f, d_weight, in_features);
  if (d_bias != NULL)
    for (int r = 0; r < n_rows; r++)
      {
        const float *g = d_out + (size_t) r * out_features;
        for (int o = 0; o < out_features; o++)
          d_bias[o] += g[o];
      }
}

void
bx_linear_input_grad (float *d_in, const float *d_out, const float *weight, int n_rows, int in_features,
                      int out_features)
{
  bx_nn_sgemm (CblasNoTrans, CblasNoTrans, n_rows, in_features, out_features, 1.0f, d_out, out_features, weight,
               in_features, 0.0f, d_in, in_features);
}
