/* bx-proto-bridge.h — the prototype / low-rank bridge ("protoLRFC") of
 * BioX-Bridge (spec §1.4), forward and backward.
 *
 *   x          (Bs, d_new)     pooled output of new-FM layer m
 *   A          (r, d_new)      low-rank down-projection
 *   B          (P·T, r)        up-projection to prototype weights, zero at init
 *   prototypes (d_old, P)      prototype vectors in the old FM's layer-l space
 *
 *   h = x Aᵀ                (Bs, r)
 *   w = h Bᵀ                (Bs, P·T), viewed (Bs, P, T): flat index p·T + t
 *   y[b] = prototypes · w[b] (Bs, d_old, T)
 *
 * The (d_old, T) output is then laid out as the old FM's layer-l input
 * (bx_bridge_layout): LaBraM takes a raw reshape (the same memory read as
 * (T_tokens, 200) — it scrambles feature and token, and must be kept bit-exact
 * to reuse trained bridges); HuBERT-ECG and NormWear take the transpose
 * (T, d_old); PaPaGei takes (C, L) = (d_old, T) as it is.
 *
 * Parameters: r·d_new + P·T·r + d_old·P, no bias, no nonlinearity.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  BX_BRIDGE_LAYOUT_RAW,        /* (d_old, T) memory used as is (LaBraM reshape, PaPaGei (C, L)) */
  BX_BRIDGE_LAYOUT_TRANSPOSE,  /* (T, d_old): HuBERT-ECG permute(0,2,1), NormWear permute + view */
} BxBridgeLayout;

typedef enum {
  BX_PROTOTYPE_INIT_RANDN,     /* 'rand_P': i.i.d. N(0, 1) (all released scripts) */
  BX_PROTOTYPE_INIT_REAL,      /* 'randreal_P': P real old-FM layer-l input vectors, shuffled */
} BxPrototypeInit;

typedef struct {
  guint d_new, d_old, rank, n_prototypes, n_tokens;
  BxBridgeLayout layout;
  float *A;           /* rank × d_new */
  float *B;           /* (n_prototypes·n_tokens) × rank */
  float *prototypes;  /* d_old × n_prototypes */
} BxProtoBridge;

/* Gradients of the three parameter tensors, same shapes. */
typedef struct {
  float *A, *B, *prototypes;
} BxProtoBridgeGrads;

/* Scratch for one batch: h (Bs × r), w (Bs × P·T), y (Bs × d_old·T) and a
 * transpose buffer. Reused across steps so the training loop never allocates. */
typedef struct {
  guint capacity;     /* batch size it was made for */
  float *h, *w, *y, *dw, *dh, *tmp;
} BxProtoBridgeWork;

/* New bridge. A ~ U(−1/√d_new, 1/√d_new) (PyTorch kaiming_uniform_(a=√5)),
 * B = 0, prototypes ~ N(0,1) — from the seeded stream `seed`. */
BxProtoBridge *bx_proto_bridge_new (guint d_new, guint d_old, guint rank, guint n_prototypes, guint n_tokens,
                                    BxBridgeLayout layout, guint64 seed);
/* A bridge whose parameters are all zero, to be filled from a bridge file. */
BxProtoBridge *bx_proto_bridge_new_empty (guint d_new, guint d_old, guint rank, guint n_prototypes, guint n_tokens,
                                          BxBridgeLayout layout);
void bx_proto_bridge_free (BxProtoBridge *bridge);
gsize bx_proto_bridge_n_params (const BxProtoBridge *bridge);

/* 'randreal_P': fills the prototypes from `n_vectors` real vectors of
 * dimension d_old (the old FM's layer-l inputs, one per token), picking P of
 * them in a seeded random order. Fails if n_vectors < P. */
gboolean bx_proto_bridge_init_real (BxProtoBridge *bridge, const float *vectors, gsize n_vectors, guint64 seed,
                                    GError **error);

BxProtoBridgeWork *bx_proto_bridge_work_new (const BxProtoBridge *bridge, guint batch);
void bx_proto_bridge_work_free (BxProtoBridgeWork *work);

BxProtoBridgeGrads *bx_proto_bridge_grads_new (const BxProtoBridge *bridge);
void bx_proto_bridge_grads_zero (const BxProtoBridge *bridge, BxProtoBridgeGrads *grads);
void bx_proto_bridge_grads_free (BxProtoBridgeGrads *grads);

/* x: (batch, d_new). Writes the old FM's layer-l input, already laid out,
 * into `out` (batch × d_old·T floats). Keeps h and w in `work` for backward. */
void bx_proto_bridge_forward (const BxProtoBridge *bridge, BxProtoBridgeWork *work, const float *x, guint batch,
                              float *out);

/* d_out: gradient w.r.t. `out` of the last forward (same layout). Accumulates
 * into `grads` (zero it first). `x` must be the forward's input. */
void bx_proto_bridge_backward (const BxProtoBridge *bridge, BxProtoBridgeWork *work, const float *x,
                               const float *d_out, guint batch, BxProtoBridgeGrads *grads);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxProtoBridge, bx_proto_bridge_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxProtoBridgeWork, bx_proto_bridge_work_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxProtoBridgeGrads, bx_proto_bridge_grads_free)

G_END_DECLS
