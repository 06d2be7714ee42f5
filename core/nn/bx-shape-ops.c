/* bx-shape-ops.c — max-pool with zero pad, channel pad, mean pooling,
 * transpose and permute. */
#include "bx-nn.h"

#include <string.h>

void
bx_maxpool2_forward (float *out, const float *in, int rows, int length)
{
  int lo = (length + 1) / 2;
  for (int r = 0; r < rows; r++)
    {
      const float *x = in + (size_t) r * length;
      float *y = out + (size_t) r * lo;
      for (int t = 0; t < length / 2; t++)
        y[t] = x[2 * t + 1] > x[2 * t] ? x[2 * t + 1] : x[2 * t];
      if (length % 2)  /* window (x_last, 0) */
        y[lo - 1] = x[length - 1] >= 0.0f ? x[length - 1] : 0.0f;
    }
}

void
bx_maxpool2_backward (float *d_in, const float *d_out, const float *in, int rows, int length)
{
  int lo = (length + 1) / 2;
  for (int r = 0; r < rows; r++)
    {
      const float *x = in + (size_t) r * length;
      const float *g = d_out + (size_t) r * lo;
      float *dx = d_in + (size_t) r * length;
      for (int t = 0; t < length / 2; t++)
        dx[x[2 * t + 1] > x[2 * t] ? 2 * t + 1 : 2 * t] += g[t];
      if (length % 2 && x[length - 1] >= 0.0f)
        dx[length - 1] += g[lo - 1];
    }
}

void
bx_channel_pad_forward (float *out, const float *in, int batch, int c_in, int c_out, int length)
{
  int front = (c_out - c_in) / 2, back = c_out - c_in - front;
  for (int b = 0; b < batch; b++)
    {
      float *y = out + (size_t) b * c_out * length;
      memset (y, 0, sizeof (float) * front * length);
      memcpy (y + (size_t) front * length, in + (size_t) b * c_in * length, sizeof (float) * c_in * length);
      memset (y + (size_t) (front + c_in) * length, 0, sizeof (float) * back * length);
    }
}

void
bx_channel_pad_backward (float *d_in, const float *d_out, int batch, int c_in, int c_out, int length)
{
  int front = (c_out - c_in) / 2;
  size_t n = (size_t) c_in * length;
  for (int b = 0; b < batch; b++)
    {
      const float *g = d_out + ((size_t) b * c_out + front) * length;
      float *dx = d_in + (size_t) b * n;
      for (size_t i = 0; i < n; i++)
        dx[i] += g[i];
    }
}

void
bx_mean_pool_forward (float *out, const float *in, int n_outer, int n_axis, int n_inner, int axis_begin,
                      int axis_end)
{
  float inv = 1.0f / (float) (axis_end - axis_begin);
  for (int o = 0; o < n_outer; o++)
    {
      float *y = out + (size_t) o * n_inner;
      memset (y, 0, sizeof (float) * n_inner);
      for (int a = axis_begin; a < axis_end; a++)
        {
          const float *x = in + ((size_t) o * n_axis + a) * n_inner;
          for (int i = 0; i < n_inner; i++)
            y[i] += x[i];
        }
      for (int i = 0; i < n_inner; i++)
        y[i] *= inv;
    }
}

void
bx_mean_pool_backward (float *d_in, const float *d_out, int n_outer, int n_axis, int n_inner, int axis_begin,
                       int axis_end)
{
  float inv = 1.0f / (float) (axis_end - axis_begin);
  for (int o = 0; o < n_outer; o++)
    {
      const float *g = d_out + (size_t) o * n_inner;
      for (int a = axis_begin; a < axis_end; a++)
        {
          float *dx = d_in + ((size_t) o * n_axis + a) * n_inner;
          for (int i = 0; i < n_inner; i++)
            dx[i] += g[i] * inv;
        }
    }
}

/* Blocked so that both sides stream through cache lines. */
#define TILE 32

void
bx_transpose_forward (float *out, const float *in, int batch, int rows, int cols)
{
  for (int b = 0; b < batch; b++)
    {
      const float *x = in + (size_t) b * rows * cols;
      float *y = out + (size_t) b * rows * cols;
      for (int r0 = 0; r0 < rows; r0 += TILE)
        for (int c0 = 0; c0 < cols; c0 += TILE)
          for (int r = r0; r < MIN (r0 + TILE, rows); r++)
            for (int c = c0; c < MIN (c0 + TILE, cols); c++)
              y[(size_t) c * rows + r] = x[(size_t) r * cols + c];
    }
}

void
bx_transpose_backward (float *d_in, const float *d_out, int batch, int rows, int cols)
{
  for (int b = 0; b < batch; b++)
    {
      const float *g = d_out + (size_t) b * rows * cols;
      float *dx = d_in + (size_t) b * rows * cols;
      for (int r0 = 0; r0 < rows; r0 += TILE)
        for (int c0 = 0; c0 < cols; c0 += TILE)
          for (int r = r0; r < MIN (r0 + TILE, rows); r++)
            for (int c = c0; c < MIN (c0 + TILE, cols); c++)
              dx[(size_t) r * cols + c] += g[(size_t) c * rows + r];
    }
}

/* Walks the output in order; in_stride[a] is the input stride of output axis a. */
static void
permute_apply (float *out, const float *in, const int *shape, const int *perm, int n_dims, gboolean backward)
{
  size_t in_strides[BX_TENSOR_MAX_DIMS], stride = 1;
  int out_shape[BX_TENSOR_MAX_DIMS], idx[BX_TENSOR_MAX_DIMS] = { 0 };
  size_t strides[BX_TENSOR_MAX_DIMS];
  g_return_if_fail (n_dims >= 1 && n_dims <= BX_TENSOR_MAX_DIMS);
  for (int a = n_dims - 1; a >= 0; a--)
    {
      in_strides[a] = stride;
      stride *= shape[a];
    }
  size_t total = stride;
  for (int a = 0; a < n_dims; a++)
    {
      out_shape[a] = shape[perm[a]];
      strides[a] = in_strides[perm[a]];
    }
  size_t j = 0;
  for (size_t i = 0; i < total; i++)
    {
      if (backward)
        out[j] += in[i];  /* out = d_in (input layout), in = d_out (output order) */
      else
        out[i] = in[j];
      for (int a = n_dims - 1; a >= 0; a--)
        {
          idx[a]++;
          j += strides[a];
          if (idx[a] < out_shape[a])
            break;
          j -= strides[a] * out_shape[a];
          idx[a] = 0;
        }
    }
}

void
bx_permute_forward (float *out, const float *in, const int *shape, const int *perm, int n_dims)
{
  permute_apply (out, in, shape, perm, n_dims, FALSE);
}

void
bx_permute_backward (float *d_in, const float *d_out, const int *shape, const int *perm, int n_dims)
{
  permute_apply (d_in, d_out, shape, perm, n_dims, TRUE);
}
