/* bx-conv.c — convolution along the last axis (im2col + sgemm), weight norm,
 * and the non-overlapping patch conv2d (gather + sgemm).
 *
 * Conv along the last axis, per batch item b and group g:
 *   col (Kc = C_in/g·K, N = rows·L_out): col[ci·K + k, r·L_out + t] = in[b, ci, r, t·s + k − pad_left]
 *   out[b, g-block] (C_out/g, N) = W_g (C_out/g, Kc) · col
 * which is exactly the (C_out, rows, L_out) layout of the output. The forward
 * runs in column tiles over the whole batch instead (bx-conv-fused.c); the
 * backward below works per item. */
#include "bx-nn.h"
#include "bx-nn-private.h"
#include "bx-conv-private.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

int
bx_conv1d_out_length (const BxConv1dShape *s)
{
  return bx_conv_dims (s).Lo;
}

void
bx_conv1d_same_padding (int in_length, int kernel, int stride, int *pad_left, int *pad_right)
{
  int out = (in_length + stride - 1) / stride;
  int p = MAX (0, (out - 1) * stride + kernel - in_length);
  *pad_left = p / 2;
  *pad_right = p - p / 2;
}

size_t
bx_conv1d_workspace_floats (const BxConv1dShape *s)
{
  BxConvDims d = bx_conv_dims (s);
  /* col and d_col of one item (backward), or the forward's column tiles */
  return MAX (2 * (size_t) d.Kc * d.N, bx_conv1d_fused_workspace_floats (&d));
}

typedef struct {
  float *col;
  const float *x;
  float *dx;
  const float *d_col;
  const BxConvDims *d;
} ColJob;

static void
im2col_range (void *p, size_t begin, size_t end, int thread)
{
  ColJob *j = p;
  const BxConvDims *d = j->d;
  for (size_t row = begin; row < end; row++)
    {
      int ci = row / d->K, k = row % d->K;
      int t0, t1;
      bx_conv_tap_range (d, k, &t0, &t1);
      for (int r = 0; r < d->rows; r++)
        {
          float *c = j->col + row * d->N + (size_t) r * d->Lo;
          /* input index of output t is t·s + k − pl, inside [0, L) for t in [t0, t1) */
          const float *xr = j->x + ((size_t) ci * d->rows + r) * d->L;
          ptrdiff_t off = k - d->pl;
          for (int t = 0; t < t0; t++)
            c[t] = 0.0f;
          if (d->s == 1 && t1 > t0)
            memcpy (c + t0, xr + (t0 + off), sizeof (float) * (t1 - t0));
          else
            for (int t = t0; t < t1; t++)
              c[t] = xr[(ptrdiff_t) t * d->s + off];
          for (int t = t1; t < d->Lo; t++)
            c[t] = 0.0f;
        }
    }
}

/* x: input channels of one group of one batch item, (cin_g, rows, L). */
static void
im2col (float *col, const float *x, const BxConvDims *d)
{
  ColJob j = { .col = col, .x = x, .d = d };
  bx_nn_parallel_for (d->Kc, MAX (1, 16384 / MAX (d->N, 1)), im2col_range, &j);
}

/* Split by input channel so that no two threads add into the same element. */
static void
col2im_range (void *p, size_t begin, size_t end, int thread)
{
  ColJob *j = p;
  const BxConvDims *d = j->d;
  for (size_t ci = begin; ci < end; ci++)
    for (int k = 0; k < d->K; k++)
      {
        int t0, t1;
        bx_conv_tap_range (d, k, &t0, &t1);
        size_t row = ci * d->K + k;
        for (int r = 0; r < d->rows; r++)
          {
            const float *c = j->d_col + row * d->N + (size_t) r * d->Lo;
            float *xr = j->dx + ((size_t) ci * d->rows + r) * d->L;
            ptrdiff_t off = k - d->pl;
            for (int t = t0; t < t1; t++)
              xr[(ptrdiff_t) t * d->s + off] += c[t];
          }
      }
}

static void
col2im_add (float *dx, const float *d_col, const BxConvDims *d)
{
  ColJob j = { .dx = dx, .d_col = d_col, .d = d };
  bx_nn_parallel_for (d->cin_g, MAX (1, 16384 / MAX (d->K * d->N, 1)), col2im_range, &j);
}

/* A 1-tap, stride-1, unpadded conv reads the input as its own col matrix. */
static gboolean
is_pointwise (const BxConvDims *d)
{
  return d->K == 1 && d->s == 1 && d->pl == 0 && d->pr == 0;
}

void
bx_conv1d_forward (float *out, const float *in, const float *weight, const float *bias, const BxConv1dShape *s,
                   float *workspace)
{
  bx_conv1d_forward_fused (out, in, weight, bias, s, NULL, workspace);
}

void
bx_conv1d_backward (float *d_in, float *d_weight, float *d_bias, const float *d_out, const float *in,
                    const float *weight, const BxConv1dShape *s, float *workspace)
{
  BxConvDims d = bx_conv_dims (s);
  g_return_if_fail (d.cin % d.G == 0 && d.cout % d.G == 0 && d.Lo > 0);
  size_t in_item = (size_t) d.cin * d.rows * d.L, out_item = (size_t) d.cout * d.N;
  float *col_buf = workspace, *dcol_buf = workspace + (size_t) d.Kc * d.N;
  gboolean pw = is_pointwise (&d);
  for (int b = 0; b < d.B; b++)
    for (int g = 0; g < d.G; g++)
      {
        const float *x = in + b * in_item + (size_t) g * d.cin_g * d.rows * d.L;
        const float *dy = d_out + b * out_item + (size_t) g * d.cout_g * d.N;
        const float *wg = weight + (size_t) g * d.cout_g * d.Kc;
        if (d_bias != NULL)
          for (int c = 0; c < d.cout_g; c++)
            {
              const float *dyc = dy + (size_t) c * d.N;
              float acc = 0.0f;
              for (int n = 0; n < d.N; n++)
                acc += dyc[n];
              d_bias[g * d.cout_g + c] += acc;
            }
        if (d_weight != NULL)
          {
            const float *col = x;
            if (!pw)
              {
                im2col (col_buf, x, &d);
                col = col_buf;
              }
            /* dW_g (cout_g, Kc) += dy (cout_g, N) · colᵀ */
            bx_nn_sgemm (CblasNoTrans, CblasTrans, d.cout_g, d.Kc, d.N, 1.0f, dy, d.N, col, d.N,
                         1.0f, d_weight + (size_t) g * d.cout_g * d.Kc, d.Kc);
          }
        if (d_in != NULL)
          {
            float *dx = d_in + b * in_item + (size_t) g * d.cin_g * d.rows * d.L;
            if (pw)
              {
                bx_nn_sgemm (CblasTrans, CblasNoTrans, d.Kc, d.N, d.cout_g, 1.0f, wg, d.Kc, dy,
                             d.N, 1.0f, dx, d.N);
              }
            else
              {
                /* d_col (Kc, N) = W_gᵀ · dy */
                bx_nn_sgemm (CblasTrans, CblasNoTrans, d.Kc, d.N, d.cout_g, 1.0f, wg, d.Kc, dy,
                             d.N, 0.0f, dcol_buf, d.N);
                col2im_add (dx, dcol_buf, &d);
              }
          }
      }
}

void
bx_weight_norm_forward (float *w, const float *g, const float *v, const int *shape, int n_dims, int dim)
{
  g_return_if_fail (dim >= 0 && dim < n_dims);
  size_t outer = 1, inner = 1;
  for (int i = 0; i < dim; i++)
    outer *= shape[i];
  for (int i = dim + 1; i < n_dims; i++)
    inner *= shape[i];
  int n = shape[dim];
  for (int j = 0; j < n; j++)
    {
      double sq = 0.0;
      for (size_t o = 0; o < outer; o++)
        {
          const float *vj = v + (o * n + j) * inner;
          for (size_t i = 0; i < inner; i++)
            sq += (double) vj[i] * vj[i];
        }
      float scale = (float) (g[j] / sqrt (sq));
      for (size_t o = 0; o < outer; o++)
        {
          const float *vj = v + (o * n + j) * inner;
          float *wj = w + (o * n + j) * inner;
          for (size_t i = 0; i < inner; i++)
            wj[i] = vj[i] * scale;
        }
    }
}

/* ------------------------------------------------------------------------ */

size_t
bx_patch_conv2d_workspace_floats (int in_channels, int height, int width, int patch_h, int patch_w)
{
  size_t P = (size_t) (height / patch_h) * (width / patch_w);
  /* col and d_col (backward) */
  return 2 * P * in_channels * patch_h * patch_w;
}

/* col (P, Kc): col[p, (c·ph + i)·pw + j] = x[c, gh·ph + i, gw·pw + j] */
static void
patch_gather (float *col, const float *x, int C, int H, int W, int ph, int pw)
{
  int gh_n = H / ph, gw_n = W / pw, Kc = C * ph * pw;
  for (int gh = 0; gh < gh_n; gh++)
    for (int gw = 0; gw < gw_n; gw++)
      {
        float *c = col + ((size_t) gh * gw_n + gw) * Kc;
        for (int ch = 0; ch < C; ch++)
          for (int i = 0; i < ph; i++)
            memcpy (c + (ch * ph + i) * pw, x + ((size_t) ch * H + gh * ph + i) * W + gw * pw, sizeof (float) * pw);
      }
}

void
bx_patch_conv2d_forward (float *out, const float *in, const float *weight, const float *bias, int batch,
                         int in_channels, int height, int width, int patch_h, int patch_w, int out_channels,
                         float *workspace)
{
  int P = (height / patch_h) * (width / patch_w), Kc = in_channels * patch_h * patch_w;
  for (int b = 0; b < batch; b++)
    {
      patch_gather (workspace, in + (size_t) b * in_channels * height * width, in_channels, height, width, patch_h,
                    patch_w);
      bx_linear_forward (out + (size_t) b * P * out_channels, workspace, weight, bias, P, Kc, out_channels);
    }
}

void
bx_patch_conv2d_backward (float *d_in, float *d_weight, float *d_bias, const float *d_out, const float *in,
                          const float *weight, int batch, int in_channels, int height, int width, int patch_h,
                          int patch_w, int out_channels, float *workspace)
{
  int gh_n = height / patch_h, gw_n = width / patch_w;
  int P = gh_n * gw_n, Kc = in_channels * patch_h * patch_w;
  float *col = workspace, *dcol = workspace + (size_t) P * Kc;
  for (int b = 0; b < batch; b++)
    {
      const float *dy = d_out + (size_t) b * P * out_channels;
      if (d_weight != NULL)
        patch_gather (col, in + (size_t) b * in_channels * height * width, in_channels, height, width, patch_h,
                      patch_w);
      if (d_in != NULL)
        memset (dcol, 0, sizeof (float) * P * Kc);
      bx_linear_backward (d_in != NULL ? dcol : NULL, d_weight, d_bias, dy, col, weight, P, Kc, out_channels);
      if (d_in != NULL)
        {
          float *dx = d_in + (size_t) b * in_channels * height * width;
          /* patches do not overlap: every input element gets at most one term */
          for (int gh = 0; gh < gh_n; gh++)
            for (int gw = 0; gw < gw_n; gw++)
              {
                const float *c = dcol + ((size_t) gh * gw_n + gw) * Kc;
                for (int ch = 0; ch < in_channels; ch++)
                  for (int i = 0; i < patch_h; i++)
                    {
                      float *xr = dx + ((size_t) ch * height + gh * patch_h + i) * width + gw * patch_w;
                      const float *cr = c + (ch * patch_h + i) * patch_w;
                      for (int j = 0; j < patch_w; j++)
                        xr[j] += cr[j];
                    }
              }
        }
    }
}
