/* bx-norm.c — LayerNorm, GroupNorm, BatchNorm (eval).
 *
 * Statistics are accumulated in double: rows are short (20 … 768) but
 * GroupNorm blocks reach 10⁵ elements (HuBERT conv0: 1498 samples per channel,
 * LaBraM: 2·N·A·25), where a float sum drifts from PyTorch's. */
#include "bx-nn.h"
#include "bx-nn-private.h"

#include <math.h>

/* Mean and 1/sqrt(biased variance + eps) of n contiguous values (two-pass;
 * the double sums run in SIMD lanes: LaBraM's per-head q/k norm is 58,000
 * rows of 20 per block, where a scalar double loop was 3 % of a training step). */
static void
block_stats (const float *x, size_t n, float eps, float *mean_out, float *rstd_out)
{
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (size_t i = 0; i < n; i++)
    sum += x[i];
  double mean = sum / (double) n;
  double var = 0.0;
#pragma omp simd reduction(+ : var)
  for (size_t i = 0; i < n; i++)
    {
      double d = x[i] - mean;
      var += d * d;
    }
  var /= (double) n;
  *mean_out = (float) mean;
  *rstd_out = (float) (1.0 / sqrt (var + eps));
}

typedef struct {
  float *out, *mean, *rstd, *d_in;
  const float *in, *gamma, *beta, *d_out, *cmean, *crstd;
  int dim, channels, spatial, groups;
  float eps;
} NormJob;

BX_NN_SIMD_CLONES static void
layer_norm_forward_range (void *p, size_t begin, size_t end, int thread)
{
  NormJob *j = p;
  int dim = j->dim;
  for (size_t r = begin; r < end; r++)
    {
      const float *x = j->in + r * dim;
      float *y = j->out + r * dim;
      float mu, rs;
      block_stats (x, dim, j->eps, &mu, &rs);
      if (j->gamma != NULL && j->beta != NULL)
        for (int d = 0; d < dim; d++)
          y[d] = (x[d] - mu) * rs * j->gamma[d] + j->beta[d];
      else
        for (int d = 0; d < dim; d++)
          {
            float v = (x[d] - mu) * rs;
            if (j->gamma != NULL)
              v *= j->gamma[d];
            if (j->beta != NULL)
              v += j->beta[d];
            y[d] = v;
          }
      if (j->mean != NULL)
        j->mean[r] = mu;
      if (j->rstd != NULL)
        j->rstd[r] = rs;
    }
}

void
bx_layer_norm_forward (float *out, float *mean, float *rstd, const float *in, const float *gamma,
                       const float *beta, int n_rows, int dim, float eps)
{
  NormJob j = { .out = out, .mean = mean, .rstd = rstd, .in = in, .gamma = gamma, .beta = beta, .dim = dim,
                .eps = eps };
  bx_nn_parallel_for (n_rows, MAX (1, 16384 / MAX (dim, 1)), layer_norm_forward_range, &j);
}

static void
layer_norm_backward_range (void *p, size_t begin, size_t end, int thread)
{
  NormJob *j = p;
  int dim = j->dim;
  const float *gamma = j->gamma;
  for (size_t r = begin; r < end; r++)
    {
      const float *x = j->in + r * dim;
      const float *g = j->d_out + r * dim;
      float *dx = j->d_in + r * dim;
      float mu = j->cmean[r], rs = j->crstd[r];
      /* d_in = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂)), dx̂ = d_out ⊙ γ */
      double s1 = 0.0, s2 = 0.0;
      for (int d = 0; d < dim; d++)
        {
          float dxh = gamma != NULL ? g[d] * gamma[d] : g[d];
          float xh = (x[d] - mu) * rs;
          s1 += dxh;
          s2 += dxh * xh;
        }
      float m1 = (float) (s1 / dim), m2 = (float) (s2 / dim);
      for (int d = 0; d < dim; d++)
        {
          float dxh = gamma != NULL ? g[d] * gamma[d] : g[d];
          float xh = (x[d] - mu) * rs;
          dx[d] += rs * (dxh - m1 - xh * m2);
        }
    }
}

void
bx_layer_norm_backward (float *d_in, float *d_gamma, float *d_beta, const float *d_out, const float *in,
                        const float *mean, const float *rstd, const float *gamma, int n_rows, int dim)
{
  if (d_in != NULL)
    {
      NormJob j = { .d_in = d_in, .in = in, .gamma = gamma, .d_out = d_out, .cmean = mean, .crstd = rstd,
                    .dim = dim };
      bx_nn_parallel_for (n_rows, MAX (1, 8192 / MAX (dim, 1)), layer_norm_backward_range, &j);
    }
  if (d_gamma != NULL || d_beta != NULL)
    for (int r = 0; r < n_rows; r++)
      {
        const float *x = in + (size_t) r * dim;
        const float *g = d_out + (size_t) r * dim;
        float mu = mean[r], rs = rstd[r];
        for (int d = 0; d < dim; d++)
          {
            if (d_gamma != NULL)
              d_gamma[d] += g[d] * (x[d] - mu) * rs;
            if (d_beta != NULL)
              d_beta[d] += g[d];
          }
      }
}

static void
group_norm_forward_range (void *p, size_t begin, size_t end, int thread)
{
  NormJob *j = p;
  int cpg = j->channels / j->groups, spatial = j->spatial;
  size_t block = (size_t) cpg * spatial;
  for (size_t bg = begin; bg < end; bg++)
    {
      int gi = bg % j->groups;
      const float *x = j->in + bg * block;
      float *y = j->out + bg * block;
      float mu, rs;
      block_stats (x, block, j->eps, &mu, &rs);
      for (int c = 0; c < cpg; c++)
        {
          int ch = gi * cpg + c;
          float scale = j->gamma != NULL ? j->gamma[ch] * rs : rs;
          float shift = (j->beta != NULL ? j->beta[ch] : 0.0f) - mu * scale;
          const float *xc = x + (size_t) c * spatial;
          float *yc = y + (size_t) c * spatial;
          for (int t = 0; t < spatial; t++)
            yc[t] = xc[t] * scale + shift;
        }
      if (j->mean != NULL)
        j->mean[bg] = mu;
      if (j->rstd != NULL)
        j->rstd[bg] = rs;
    }
}

void
bx_group_norm_forward (float *out, float *mean, float *rstd, const float *in, const float *gamma,
                       const float *beta, int batch, int channels, int spatial, int groups, float eps)
{
  g_return_if_fail (groups > 0 && channels % groups == 0);
  NormJob j = { .out = out, .mean = mean, .rstd = rstd, .in = in, .gamma = gamma, .beta = beta,
                .channels = channels, .spatial = spatial, .groups = groups, .eps = eps };
  size_t block = (size_t) (channels / groups) * spatial;
  bx_nn_parallel_for ((size_t) batch * groups, MAX ((size_t) 1, 16384 / MAX (block, (size_t) 1)),
                      group_norm_forward_range, &j);
}

static void
group_norm_backward_range (void *p, size_t begin, size_t end, int thread)
{
  NormJob *j = p;
  int cpg = j->channels / j->groups, spatial = j->spatial;
  size_t block = (size_t) cpg * spatial;
  for (size_t bg = begin; bg < end; bg++)
    {
      int gi = bg % j->groups;
      const float *x = j->in + bg * block;
      const float *g = j->d_out + bg * block;
      float *dx = j->d_in + bg * block;
      float mu = j->cmean[bg], rs = j->crstd[bg];
      double s1 = 0.0, s2 = 0.0;
      for (int c = 0; c < cpg; c++)
        {
          float gm = j->gamma != NULL ? j->gamma[gi * cpg + c] : 1.0f;
          for (int t = 0; t < spatial; t++)
            {
              size_t i = (size_t) c * spatial + t;
              float dxh = g[i] * gm;
              s1 += dxh;
              s2 += dxh * (x[i] - mu) * rs;
            }
        }
      float m1 = (float) (s1 / (double) block), m2 = (float) (s2 / (double) block);
      for (int c = 0; c < cpg; c++)
        {
          float gm = j->gamma != NULL ? j->gamma[gi * cpg + c] : 1.0f;
          for (int t = 0; t < spatial; t++)
            {
              size_t i = (size_t) c * spatial + t;
              float xh = (x[i] - mu) * rs;
              dx[i] += rs * (g[i] * gm - m1 - xh * m2);
            }
        }
    }
}

void
bx_group_norm_backward (float *d_in, float *d_gamma, float *d_beta, const float *d_out, const float *in,
                        const float *mean, const float *rstd, const float *gamma, int batch, int channels,
                        int spatial, int groups)
{
  g_return_if_fail (groups > 0 && channels % groups == 0);
  int cpg = channels / groups;
  size_t block = (size_t) cpg * spatial;
  if (d_in != NULL)
    {
      NormJob j = { .d_in = d_in, .in = in, .gamma = gamma, .d_out = d_out, .cmean = mean, .crstd = rstd,
                    .channels = channels, .spatial = spatial, .groups = groups };
      bx_nn_parallel_for ((size_t) batch * groups, MAX ((size_t) 1, 8192 / MAX (block, (size_t) 1)),
                          group_norm_backward_range, &j);
    }
  if (d_gamma != NULL || d_beta != NULL)
    for (int c = 0; c < channels; c++)
      {
        double sg = 0.0, sb = 0.0;
        for (int b = 0; b < batch; b++)
          {
            size_t bg = (size_t) b * groups + c / cpg;
            const float *x = in + ((size_t) b * channels + c) * spatial;
            const float *g = d_out + ((size_t) b * channels + c) * spatial;
            float mu = mean[bg], rs = rstd[bg];
            for (int s = 0; s < spatial; s++)
              {
                sg += g[s] * (x[s] - mu) * rs;
                sb += g[s];
              }
          }
        if (d_gamma != NULL)
          d_gamma[c] += (float) sg;
        if (d_beta != NULL)
          d_beta[c] += (float) sb;
      }
}

void
bx_batch_norm_eval_forward (float *out, const float *in, const float *running_mean, const float *running_var,
                            const float *gamma, const float *beta, int batch, int channels, int length,
                            float eps)
{
  for (int bc = 0; bc < batch * channels; bc++)
    {
      int c = bc % channels;
      float rs = 1.0f / sqrtf (running_var[c] + eps);
      float scale = gamma != NULL ? gamma[c] * rs : rs;
      float shift = (beta != NULL ? beta[c] : 0.0f) - running_mean[c] * scale;
      const float *x = in + (size_t) bc * length;
      float *y = out + (size_t) bc * length;
      for (int t = 0; t < length; t++)
        y[t] = x[t] * scale + shift;
    }
}

void
bx_batch_norm_eval_backward (float *d_in, float *d_gamma, float *d_beta, const float *d_out, const float *in,
                             const float *running_mean, const float *running_var, const float *gamma, int batch,
                             int channels, int length, float eps)
{
  if (d_in != NULL)
    {
      for (int bc = 0; bc < batch * channels; bc++)
        {
          int c = bc % channels;
          float scale = (gamma != NULL ? gamma[c] : 1.0f) / sqrtf (running_var[c] + eps);
          const float *g = d_out + (size_t) bc * length;
          float *dx = d_in + (size_t) bc * length;
          for (int t = 0; t < length; t++)
            dx[t] += g[t] * scale;
        }
    }
  if (d_gamma != NULL || d_beta != NULL)
    for (int c = 0; c < channels; c++)
      {
        float rs = 1.0f / sqrtf (running_var[c] + eps);
        double sg = 0.0, sb = 0.0;
        for (int b = 0; b < batch; b++)
          {
            const float *x = in + ((size_t) b * channels + c) * length;
            const float *g = d_out + ((size_t) b * channels + c) * length;
            for (int t = 0; t < length; t++)
              {
                sg += g[t] * (x[t] - running_mean[c]) * rs;
                sb += g[t];
              }
          }
        if (d_gamma != NULL)
          d_gamma[c] += (float) sg;
        if (d_beta != NULL)
          d_beta[c] += (float) sb;
      }
}

void
bx_batch_norm_train_forward (float *out, float *mean, float *rstd, const float *in, float *running_mean,
                             float *running_var, const float *gamma, const float *beta, int batch, int channels,
                             int length, float eps, float momentum)
{
  size_t count = (size_t) batch * length;
  for (int c = 0; c < channels; c++)
    {
      double sum = 0.0;
      for (int b = 0; b < batch; b++)
        {
          const float *x = in + ((size_t) b * channels + c) * length;
          for (int t = 0; t < length; t++)
            sum += x[t];
        }
      double mu = sum / (double) count, ss = 0.0;
      for (int b = 0; b < batch; b++)
        {
          const float *x = in + ((size_t) b * channels + c) * length;
          for (int t = 0; t < length; t++)
            ss += (x[t] - mu) * (x[t] - mu);
        }
      double var = ss / (double) count;
      float rs = (float) (1.0 / sqrt (var + eps));
      mean[c] = (float) mu;
      rstd[c] = rs;
      if (running_mean != NULL)
        running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * (float) mu;
      if (running_var != NULL)
        running_var[c] = (1.0f - momentum) * running_var[c]
                         + momentum * (float) (count > 1 ? ss / (double) (count - 1) : var);
      float scale = gamma != NULL ? gamma[c] * rs : rs;
      float shift = (beta != NULL ? beta[c] : 0.0f) - (float) mu * scale;
      for (int b = 0; b < batch; b++)
        {
          const float *x = in + ((size_t) b * channels + c) * length;
          float *y = out + ((size_t) b * channels + c) * length;
          for (int t = 0; t < length; t++)
            y[t] = x[t] * scale + shift;
        }
    }
}

void
bx_batch_norm_train_backward (float *d_in, float *d_gamma, float *d_beta, const float *d_out, const float *in,
                              const float *mean, const float *rstd, const float *gamma, int batch, int channels,
                              int length)
{
  double count = (double) batch * length;
  for (int c = 0; c < channels; c++)
    {
      float mu = mean[c], rs = rstd[c], gm = gamma != NULL ? gamma[c] : 1.0f;
      double sg = 0.0, sgx = 0.0;  /* Σ d_out, Σ d_out·x̂ */
      for (int b = 0; b < batch; b++)
        {
          const float *x = in + ((size_t) b * channels + c) * length;
          const float *g = d_out + ((size_t) b * channels + c) * length;
          for (int t = 0; t < length; t++)
            {
              sg += g[t];
              sgx += g[t] * (x[t] - mu) * rs;
            }
        }
      if (d_gamma != NULL)
        d_gamma[c] += (float) sgx;
      if (d_beta != NULL)
        d_beta[c] += (float) sg;
      if (d_in == NULL)
        continue;
      /* d_in = γ·rstd · (d_out − mean(d_out) − x̂ · mean(d_out ⊙ x̂)) */
      float m1 = (float) (sg / count), m2 = (float) (sgx / count), k = gm * rs;
      for (int b = 0; b < batch; b++)
        {
          const float *x = in + ((size_t) b * channels + c) * length;
          const float *g = d_out + ((size_t) b * channels + c) * length;
          float *dx = d_in + ((size_t) b * channels + c) * length;
          for (int t = 0; t < length; t++)
            dx[t] += k * (g[t] - m1 - (x[t] - mu) * rs * m2);
        }
    }
}
