/* bx-conv-private.h — conv1d dimensions shared by bx-conv.c (im2col per batch
 * item, backward) and bx-conv-fused.c (column tiles over the batch, forward). */
#pragma once

#include "bx-nn.h"

typedef struct {
  int B, cin, cout, rows, L, K, s, pl, pr, G, Lo, cin_g, cout_g, Kc, N;
} BxConvDims;

static inline BxConvDims
bx_conv_dims (const BxConv1dShape *sh)
{
  BxConvDims d;
  d.B = sh->batch;
  d.cin = sh->in_channels;
  d.cout = sh->out_channels;
  d.rows = sh->rows > 0 ? sh->rows : 1;
  d.L = sh->in_length;
  d.K = sh->kernel;
  d.s = sh->stride > 0 ? sh->stride : 1;
  d.pl = sh->pad_left;
  d.pr = sh->pad_right;
  d.G = sh->groups > 0 ? sh->groups : 1;
  d.Lo = (d.L + d.pl + d.pr - d.K) / d.s + 1;
  d.cin_g = d.cin / d.G;
  d.cout_g = d.cout / d.G;
  d.Kc = d.cin_g * d.K;
  d.N = d.rows * d.Lo;
  return d;
}

/* Output positions t whose input index t·s + k − pl of tap k lies in [0, L):
 * exactly [*t0, *t1). */
static inline void
bx_conv_tap_range (const BxConvDims *d, int k, int *t0, int *t1)
{
  int off = k - d->pl;
  int lo = off >= 0 ? 0 : (-off + d->s - 1) / d->s;
  int hi = (d->L - 1 - off) >= 0 ? (d->L - 1 - off) / d->s + 1 : 0;
  *t0 = MIN (lo, d->Lo);
  *t1 = MAX (*t0, MIN (hi, d->Lo));
}

/* Floats of the fused forward's scratch (all its thread slots). */
size_t bx_conv1d_fused_workspace_floats (const BxConvDims *d);
