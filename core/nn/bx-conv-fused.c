/* bx-conv-fused.c — conv1d forward in column tiles over the whole batch, with
 * an input affine + ReLU (pre-activation BatchNorm), an output affine +
 * activation (bias, BatchNorm, ReLU/GELU) and a residual add fused in.
 *
 * The columns of one group are j = b·N + n over batch item b and n = r·Lo + t
 * (row r, output position t), N = rows·Lo. A tile of NT columns is
 *   col (Kc, NT)       gathered from the input, input ops applied
 *   acc (cout_g, NT)   = W_g (cout_g, Kc) · col, one single-threaded sgemm
 * and the epilogue writes acc with the output ops into out (B, C_out, N)
 * while it is still in cache. Tiles run on the engine's threads: per-item
 * GEMMs with PaPaGei's 32–64 output channels were too short for the
 * row-split bx_nn_sgemm (one thread), and the late layers' 15-column items
 * are merged into wide tiles. Tiles do not depend on the thread count, so
 * neither does the result. */
#include "bx-nn.h"
#include "bx-nn-private.h"
#include "bx-conv-private.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

/* col + acc tile ≈ 1 MB (an L2 here), but at least 4·cout_g columns (128
 * to 1024): the GEMM packs W_g again for every tile, which cost 20 % of
 * HuBERT-ECG's 512-channel convs with 128-column tiles. */
#define TILE_FLOATS (256 * 1024)
#define TILE_MIN_COLS 128
#define TILE_MAX_MIN_COLS 1024
/* Thread slots in the workspace: more threads than this share nothing and
 * simply are not used by this op. */
#define MAX_SLOTS 4

/* Long items (N ≥ a tile) are cut into equal tiles inside each item and the
 * GEMM writes straight into the output rows (ldc N); short items are merged
 * into tiles across items, computed into acc and scattered by the epilogue. */
typedef struct {
  gboolean per_item;
  size_t cols;    /* B·N, columns of one group */
  size_t nt;      /* columns per tile */
  size_t per_b;   /* per_item: tiles per item */
  size_t n_tiles; /* per group */
} Tiling;

static size_t
equal_tiles (size_t cols, size_t want, size_t *n)
{
  *n = MAX ((size_t) 1, (cols + want - 1) / want);
  /* equal tiles (a short last tile would idle a thread), a multiple of 16 columns */
  size_t nt = MIN (cols, ((cols + *n - 1) / *n + 15) / 16 * 16);
  *n = (cols + nt - 1) / nt;
  return nt;
}

static Tiling
tiling (const BxConvDims *d)
{
  Tiling t = { 0 };
  size_t min_cols = CLAMP (4 * (size_t) d->cout_g, TILE_MIN_COLS, TILE_MAX_MIN_COLS);
  size_t want = MAX (min_cols, TILE_FLOATS / ((size_t) d->Kc + d->cout_g));
  t.cols = (size_t) d->B * d->N;
  /* at least MAX_SLOTS tiles when they can keep min_cols, so every thread gets work */
  if (t.cols / MAX_SLOTS >= min_cols)
    want = MIN (want, t.cols / MAX_SLOTS);
  t.per_item = (size_t) d->N >= want;
  if (t.per_item)
    {
      t.nt = equal_tiles (d->N, want, &t.per_b);
      t.n_tiles = (size_t) d->B * t.per_b;
    }
  else
    t.nt = equal_tiles (t.cols, want, &t.n_tiles);
  return t;
}

static size_t
slot_floats (const BxConvDims *d, const Tiling *t)
{
  return ((size_t) d->Kc + (t->per_item ? 0 : d->cout_g)) * t->nt;
}

size_t
bx_conv1d_fused_workspace_floats (const BxConvDims *d)
{
  Tiling t = tiling (d);
  return MAX_SLOTS * slot_floats (d, &t);
}

void
bx_batch_norm_eval_affine (float *scale, float *shift, const float *running_mean, const float *running_var,
                           const float *gamma, const float *beta, int channels, float eps)
{
  /* the same arithmetic as bx_batch_norm_eval_forward */
  for (int c = 0; c < channels; c++)
    {
      float rs = 1.0f / sqrtf (running_var[c] + eps);
      scale[c] = gamma != NULL ? gamma[c] * rs : rs;
      shift[c] = (beta != NULL ? beta[c] : 0.0f) - running_mean[c] * scale[c];
    }
}

typedef struct {
  float *out;
  const float *in, *weight, *bias;
  const BxConvDims *d;
  const BxConv1dFused *f;
  Tiling t;
  float *workspace;
  size_t slot;
  gboolean plain; /* no bias and no output op: an in-place epilogue would change nothing */
} FusedJob;

/* dst[i] = in_op(x[i·s]) for i < n */
static inline void
gather_run (float *dst, const float *x, int n, int s, float a, float c, gboolean affine, gboolean relu)
{
  if (s == 1 && !affine && !relu)
    memcpy (dst, x, sizeof (float) * n);
  else if (s == 1)
    for (int i = 0; i < n; i++)
      {
        float v = a * x[i] + c;
        dst[i] = relu ? (v > 0.0f ? v : 0.0f) : v;
      }
  else
    for (int i = 0; i < n; i++)
      {
        float v = affine ? a * x[(ptrdiff_t) i * s] + c : x[(ptrdiff_t) i * s];
        dst[i] = relu ? (v > 0.0f ? v : 0.0f) : v;
      }
}

/* col (Kc, nt) for columns [j0, j1) of group g */
static void
gather_tile (float *col, const FusedJob *j, int g, size_t j0, size_t j1)
{
  const BxConvDims *d = j->d;
  const BxConv1dFused *f = j->f;
  size_t nt = j->t.nt;
  gboolean relu = f != NULL && f->in_act == BX_CONV_ACT_RELU;
  gboolean affine = f != NULL && (f->in_scale != NULL || f->in_shift != NULL);

  for (int ci = 0; ci < d->cin_g; ci++)
    {
      int c = g * d->cin_g + ci;
      float a = affine && f->in_scale != NULL ? f->in_scale[c] : 1.0f;
      float sh = affine && f->in_shift != NULL ? f->in_shift[c] : 0.0f;
      for (int k = 0; k < d->K; k++)
        {
          float *dst = col + ((size_t) ci * d->K + k) * nt;
          int t0, t1;
          ptrdiff_t off = k - d->pl; /* input index of output t: t·s + off */
          bx_conv_tap_range (d, k, &t0, &t1);
          for (size_t jj = j0; jj < j1;)
            {
              size_t b = jj / d->N;
              int n = (int) (jj % d->N), r = n / d->Lo, t = n % d->Lo;
              int run = (int) MIN ((size_t) (d->Lo - t), j1 - jj);
              const float *xr = j->in + (((size_t) b * d->cin + c) * d->rows + r) * d->L;
              float *o = dst + (jj - j0);
              int lo = CLAMP (t0, t, t + run), hi = CLAMP (t1, lo, t + run);
              if (lo > t)
                memset (o, 0, sizeof (float) * (lo - t));
              if (hi > lo)
                gather_run (o + (lo - t), xr + (ptrdiff_t) lo * d->s + off, hi - lo, d->s, a, sh, affine, relu);
              if (t + run > hi)
                memset (o + (hi - t), 0, sizeof (float) * (t + run - hi));
              jj += run;
            }
        }
    }
}

/* One loop per activation: with the choice inside the loop GCC if-converts
 * it and evaluates the GELU for every element (measured: a quarter of
 * PaPaGei's forward). */
BX_NN_SIMD_CLONES static void
epilogue_run (float *dst, const float *acc, int n, float a, float c, BxConvAct act, const float *res,
              const float *pool, int pool_t0, int pool_len)
{
  if (act == BX_CONV_ACT_RELU)
    for (int i = 0; i < n; i++)
      {
        float v = a * acc[i] + c;
        dst[i] = v > 0.0f ? v : 0.0f;
      }
  else if (act == BX_CONV_ACT_GELU)
    for (int i = 0; i < n; i++)
      {
        float v = a * acc[i] + c;
        dst[i] = v * bx_nn_normal_cdf (v);
      }
  else
    for (int i = 0; i < n; i++)
      dst[i] = a * acc[i] + c;
  if (res != NULL)
    for (int i = 0; i < n; i++)
      dst[i] += res[i];
  if (pool != NULL)
    {
      /* pairs (2t, 2t+1) inside the residual row; a window that runs past its end has the zero pad */
      int full = MIN (n, MAX (0, pool_len / 2 - pool_t0));
      const float *p = pool + 2 * (size_t) pool_t0;
      for (int i = 0; i < full; i++)
        dst[i] += p[2 * i + 1] > p[2 * i] ? p[2 * i + 1] : p[2 * i];
      for (int i = full; i < n; i++)
        {
          int u = 2 * (pool_t0 + i);
          float x = u < pool_len ? pool[u] : 0.0f;
          dst[i] += x > 0.0f ? x : 0.0f;
        }
    }
}

/* acc (cout_g, lda): the tile's GEMM result; may be the output rows
 * themselves (per-item tiles), then the epilogue works in place and is
 * skipped when there is nothing to do. */
static void
epilogue_tile (const FusedJob *j, const float *acc, size_t lda, int g, size_t j0, size_t j1)
{
  const BxConvDims *d = j->d;
  const BxConv1dFused *f = j->f;
  BxConvAct act = f != NULL ? f->out_act : BX_CONV_ACT_NONE;

  for (int o = 0; o < d->cout_g; o++)
    {
      int oc = g * d->cout_g + o;
      float a = f != NULL && f->out_scale != NULL ? f->out_scale[oc] : 1.0f;
      float c = (j->bias != NULL ? j->bias[oc] : 0.0f) * a
                + (f != NULL && f->out_shift != NULL ? f->out_shift[oc] : 0.0f);
      int rc = f != NULL && f->residual != NULL ? oc - f->residual_offset : -1;
      gboolean has_res = rc >= 0 && rc < f->residual_channels;
      for (size_t jj = j0; jj < j1;)
        {
          size_t b = jj / d->N;
          int n = (int) (jj % d->N);
          int run = (int) MIN ((size_t) (d->N - n), j1 - jj);
          float *dst = j->out + ((size_t) b * d->cout + oc) * d->N + n;
          const float *res = NULL, *pool = NULL;
          if (has_res && f->residual_pool_length > 0)
            pool = f->residual + ((size_t) b * f->residual_channels + rc) * f->residual_pool_length;
          else if (has_res)
            res = f->residual + ((size_t) b * f->residual_channels + rc) * d->N + n;
          epilogue_run (dst, acc + (size_t) o * lda + (jj - j0), run, a, c, act, res, pool, n,
                        f != NULL ? f->residual_pool_length : 0);
          jj += run;
        }
    }
}

static void
fused_range (void *p, size_t begin, size_t end, int thread)
{
  FusedJob *j = p;
  const BxConvDims *d = j->d;
  const Tiling *t = &j->t;
  float *col = j->workspace + (size_t) thread * j->slot;

  for (size_t item = begin; item < end; item++)
    {
      int g = (int) (item / t->n_tiles);
      size_t tile = item % t->n_tiles, j0, j1;
      const float *w = j->weight + (size_t) g * d->cout_g * d->Kc;
      if (t->per_item)
        {
          size_t b = tile / t->per_b, n0 = (tile % t->per_b) * t->nt, n1 = MIN (n0 + t->nt, (size_t) d->N);
          float *y = j->out + ((size_t) b * d->cout + (size_t) g * d->cout_g) * d->N + n0;
          j0 = b * d->N + n0;
          j1 = b * d->N + n1;
          gather_tile (col, j, g, j0, j1);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, d->cout_g, (int) (j1 - j0), d->Kc, 1.0f, w, d->Kc,
                       col, (int) t->nt, 0.0f, y, d->N);
          if (!j->plain)
            epilogue_tile (j, y, d->N, g, j0, j1);
        }
      else
        {
          float *acc = col + (size_t) d->Kc * t->nt;
          j0 = tile * t->nt;
          j1 = MIN (j0 + t->nt, t->cols);
          gather_tile (col, j, g, j0, j1);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, d->cout_g, (int) (j1 - j0), d->Kc, 1.0f, w, d->Kc,
                       col, (int) t->nt, 0.0f, acc, (int) t->nt);
          epilogue_tile (j, acc, t->nt, g, j0, j1);
        }
    }
}

void
bx_conv1d_forward_fused (float *out, const float *in, const float *weight, const float *bias,
                         const BxConv1dShape *s, const BxConv1dFused *fused, float *workspace)
{
  BxConvDims d = bx_conv_dims (s);
  g_return_if_fail (d.cin % d.G == 0 && d.cout % d.G == 0 && d.Lo > 0);
  g_return_if_fail (fused == NULL || fused->in_act != BX_CONV_ACT_GELU);
  g_return_if_fail (fused == NULL || fused->residual == NULL || fused->residual_pool_length == 0 || d.rows == 1);
  FusedJob j = { .out = out, .in = in, .weight = weight, .bias = bias, .d = &d, .f = fused, .t = tiling (&d),
                 .workspace = workspace };
  j.slot = slot_floats (&d, &j.t);
  j.plain = bias == NULL && (fused == NULL || (fused->out_scale == NULL && fused->out_shift == NULL
                                               && fused->out_act == BX_CONV_ACT_NONE && fused->residual == NULL));
  /* the tiles' GEMMs run one per thread: OpenBLAS must not start its own */
  if (openblas_get_num_threads () != 1)
    openblas_set_num_threads (1);
  bx_nn_parallel_for_max ((size_t) d.G * j.t.n_tiles, 1, MAX_SLOTS, fused_range, &j);
}
