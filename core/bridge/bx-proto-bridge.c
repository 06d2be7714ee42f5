/* bx-proto-bridge.c — protoLRFC forward/backward with three GEMMs each way. */
#include "bx-proto-bridge.h"

#include <cblas.h>
#include <string.h>

#include "nn/bx-nn.h"

gsize
bx_proto_bridge_n_params (const BxProtoBridge *b)
{
  return (gsize) b->rank * b->d_new + (gsize) b->n_prototypes * b->n_tokens * b->rank
         + (gsize) b->d_old * b->n_prototypes;
}

static BxProtoBridge *
bridge_alloc (guint d_new, guint d_old, guint rank, guint n_prototypes, guint n_tokens, BxBridgeLayout layout)
{
  BxProtoBridge *b = g_new0 (BxProtoBridge, 1);

  b->d_new = d_new;
  b->d_old = d_old;
  b->rank = rank;
  b->n_prototypes = n_prototypes;
  b->n_tokens = n_tokens;
  b->layout = layout;
  b->A = g_new0 (float, (gsize) rank * d_new);
  b->B = g_new0 (float, (gsize) n_prototypes * n_tokens * rank);
  b->prototypes = g_new0 (float, (gsize) d_old * n_prototypes);
  return b;
}

void
bx_proto_bridge_free (BxProtoBridge *bridge)
{
  if (bridge == NULL)
    return;
  g_free (bridge->A);
  g_free (bridge->B);
  g_free (bridge->prototypes);
  g_free (bridge);
}

BxProtoBridgeWork *
bx_proto_bridge_work_new (const BxProtoBridge *b, guint batch)
{
  BxProtoBridgeWork *w = g_new0 (BxProtoBridgeWork, 1);
  gsize pt = (gsize) b->n_prototypes * b->n_tokens, dt = (gsize) b->d_old * b->n_tokens;

  w->capacity = batch;
  w->h = g_new (float, (gsize) batch * b->rank);
  w->dh = g_new (float, (gsize) batch * b->rank);
  w->w = g_new (float, batch * pt);
  w->dw = g_new (float, batch * pt);
  w->y = g_new (float, batch * dt);
  w->tmp = g_new (float, batch * dt);
  return w;
}

void
bx_proto_bridge_work_free (BxProtoBridgeWork *work)
{
  if (work == NULL)
    return;
  g_free (work->h);
  g_free (work->dh);
  g_free (work->w);
  g_free (work->dw);
  g_free (work->y);
  g_free (work->tmp);
  g_free (work);
}

BxProtoBridgeGrads *
bx_proto_bridge_grads_new (const BxProtoBridge *b)
{
  BxProtoBridgeGrads *g = g_new0 (BxProtoBridgeGrads, 1);

  g->A = g_new0 (float, (gsize) b->rank * b->d_new);
  g->B = g_new0 (float, (gsize) b->n_prototypes * b->n_tokens * b->rank);
  g->prototypes = g_new0 (float, (gsize) b->d_old * b->n_prototypes);
  return g;
}

void
bx_proto_bridge_grads_zero (const BxProtoBridge *b, BxProtoBridgeGrads *g)
{
  memset (g->A, 0, sizeof (float) * b->rank * b->d_new);
  memset (g->B, 0, sizeof (float) * b->n_prototypes * b->n_tokens * b->rank);
  memset (g->prototypes, 0, sizeof (float) * b->d_old * b->n_prototypes);
}

void
bx_proto_bridge_grads_free (BxProtoBridgeGrads *grads)
{
  if (grads == NULL)
    return;
  g_free (grads->A);
  g_free (grads->B);
  g_free (grads->prototypes);
  g_free (grads);
}

/* (rows × cols) → (cols × rows) for each of `batch` matrices. */
static void
transpose_batch (const float *restrict in, float *restrict out, guint batch, guint rows, guint cols)
{
  for (guint b = 0; b < batch; b++)
    {
      const float *src = in + (gsize) b * rows * cols;
      float *dst = out + (gsize) b * rows * cols;
      for (guint r = 0; r < rows; r++)
        for (guint c = 0; c < cols; c++)
          dst[(gsize) c * rows + r] = src[(gsize) r * cols + c];
    }
}

void
bx_proto_bridge_forward (const BxProtoBridge *br, BxProtoBridgeWork *work, const float *x, guint batch, float *out)
{
  const int r = (int) br->rank, P = (int) br->n_prototypes, T = (int) br->n_tokens;
  const int d_old = (int) br->d_old, d_new = (int) br->d_new;
  float *y = br->layout == BX_BRIDGE_LAYOUT_RAW ? out : work->y;

  g_return_if_fail (batch <= work->capacity);

  /* h = x Aᵀ : (batch, r) */
  bx_nn_sgemm (CblasNoTrans, CblasTrans, (int) batch, r, d_new, 1.0f, x, d_new, br->A, d_new, 0.0f,
               work->h, r);
  /* w = h Bᵀ : (batch, P·T) */
  bx_nn_sgemm (CblasNoTrans, CblasTrans, (int) batch, P * T, r, 1.0f, work->h, r, br->B, r, 0.0f,
               work->w, P * T);
  /* y[b] = prototypes (d_old × P) · w[b] (P × T) */
  for (guint b = 0; b < batch; b++)
    bx_nn_sgemm (CblasNoTrans, CblasNoTrans, d_old, T, P, 1.0f, br->prototypes, P,
                 work->w + (gsize) b * P * T, T, 0.0f, y + (gsize) b * d_old * T, T);
  if (br->layout == BX_BRIDGE_LAYOUT_TRANSPOSE)
    transpose_batch (work->y, out, batch, (guint) d_old, (guint) T);
}

void
bx_proto_bridge_backward (const BxProtoBridge *br, BxProtoBridgeWork *work, const float *x, const float *d_out,
                          guint batch, BxProtoBridgeGrads *grads)
{
  const int r = (int) br->rank, P = (int) br->n_prototypes, T = (int) br->n_tokens;
  const int d_old = (int) br->d_old, d_new = (int) br->d_new;
  const float *dy = d_out;

  g_return_if_fail (batch <= work->capacity);

  if (br->layout == BX_BRIDGE_LAYOUT_TRANSPOSE)
    {
      /* d_out is (T, d_old) per sample; bring it back to (d_old, T). */
      transpose_batch (d_out, work->tmp, batch, (guint) T, (guint) d_old);
      dy = work->tmp;
    }
  for (guint b = 0; b < batch; b++)
    {
      const float *dyb = dy + (gsize) b * d_old * T;
      /* dw[b] = prototypesᵀ · dy[b] : (P × T) */
      bx_nn_sgemm (CblasTrans, CblasNoTrans, P, T, d_old, 1.0f, br->prototypes, P, dyb, T, 0.0f,
                   work->dw + (gsize) b * P * T, T);
      /* dprototypes += dy[b] · w[b]ᵀ : (d_old × P) */
      bx_nn_sgemm (CblasNoTrans, CblasTrans, d_old, P, T, 1.0f, dyb, T, work->w + (gsize) b * P * T,
                   T, 1.0f, grads->prototypes, P);
    }
  /* dB += dwᵀ h : (P·T × r) */
  bx_nn_sgemm (CblasTrans, CblasNoTrans, P * T, r, (int) batch, 1.0f, work->dw, P * T, work->h, r,
               1.0f, grads->B, r);
  /* dh = dw B : (batch × r) */
  bx_nn_sgemm (CblasNoTrans, CblasNoTrans, (int) batch, r, P * T, 1.0f, work->dw, P * T, br->B, r,
               0.0f, work->dh, r);
  /* dA += dhᵀ x : (r × d_new) */
  bx_nn_sgemm (CblasTrans, CblasNoTrans, r, d_new, (int) batch, 1.0f, work->dh, r, x, d_new, 1.0f,
               grads->A, d_new);
}

BxProtoBridge *
bx_proto_bridge_new_empty (guint d_new, guint d_old, guint rank, guint n_prototypes, guint n_tokens,
                           BxBridgeLayout layout)
{
  return bridge_alloc (d_new, d_old, rank, n_prototypes, n_tokens, layout);
}

BxProtoBridge *
bx_proto_bridge_new (guint d_new, guint d_old, guint rank, guint n_prototypes, guint n_tokens, BxBridgeLayout layout,
                     guint64 seed)
{
  BxProtoBridge *b = bridge_alloc (d_new, d_old, rank, n_prototypes, n_tokens, layout);
  BxRng rng;

  /* A: kaiming_uniform_(a=√5) = U(−1/√d_new, 1/√d_new); B stays 0 so the
   * bridge starts as the zero map (LoRA-style); prototypes: 'rand_P' N(0,1). */
  bx_rng_init (&rng, seed);
  bx_rng_fill_kaiming_uniform (&rng, b->A, (size_t) rank * d_new, (int) d_new);
  bx_rng_fill_normal (&rng, b->prototypes, (size_t) d_old * n_prototypes, 0.0f, 1.0f);
  return b;
}

gboolean
bx_proto_bridge_init_real (BxProtoBridge *bridge, const float *vectors, gsize n_vectors, guint64 seed,
                           GError **error)
{
  g_autofree gsize *order = NULL;
  BxRng rng;

  if (n_vectors < bridge->n_prototypes)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "'randreal' prototypes need at least %u real layer-input vectors, only %" G_GSIZE_FORMAT
                   " are available", bridge->n_prototypes, n_vectors);
      return FALSE;
    }
  /* Seeded Fisher–Yates over the vector indices (the reference shuffles the
   * whole matrix with numpy and takes the first P rows). */
  order = g_new (gsize, n_vectors);
  for (gsize i = 0; i < n_vectors; i++)
    order[i] = i;
  bx_rng_init (&rng, seed);
  for (gsize i = n_vectors - 1; i > 0; i--)
    {
      gsize j = (gsize) (bx_rng_next_u64 (&rng) % (i + 1));
      gsize t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  /* prototypes is (d_old, P): column p is vector order[p]. */
  for (guint p = 0; p < bridge->n_prototypes; p++)
    for (guint d = 0; d < bridge->d_old; d++)
      bridge->prototypes[(gsize) d * bridge->n_prototypes + p] = vectors[order[p] * bridge->d_old + d];
  return TRUE;
}
