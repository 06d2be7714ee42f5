/* bench-nn.c — engine throughput on model-sized shapes, beside PyTorch.
 *
 * Measures in one run: plain sgemm peak (1024³ at 1 and 2 threads), then a
 * LaBraM block (B 16, T 181, d 200, 10 heads with per-head q/k LayerNorm,
 * layer-scale, MLP 800) and a HuBERT-ECG layer (B 16, T 93 and 46, d 512,
 * 8 heads, FFN 2048, post-LN): forward (inference) and forward+backward
 * (activations saved, dX only — the old-FM role in bridge training). Then runs
 * tests/bench/nn/torch_ops.py (same shapes, same math, same thread count) as a
 * subprocess and prints the ratio torch time / engine time.
 *
 * Usage: bench-nn [--threads N] [--no-torch] [--python PATH]
 */
#include "nn/bx-nn.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static double
now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

/* Fastest of `reps` timed calls after one warm-up call: the machine is shared,
 * and the minimum is the figure least disturbed by other load. */
typedef void (*BenchFn) (void *ctx);

static double
time_best (BenchFn fn, void *ctx, int reps)
{
  double t[64];
  fn (ctx);
  reps = CLAMP (reps, 1, 64);
  for (int r = 0; r < reps; r++)
    {
      double t0 = now_s ();
      fn (ctx);
      t[r] = now_s () - t0;
    }
  for (int i = 1; i < reps; i++)  /* insertion sort */
    for (int j = i; j > 0 && t[j] < t[j - 1]; j--)
      {
        double s = t[j];
        t[j] = t[j - 1];
        t[j - 1] = s;
      }
  return t[0];
}

static float *
randn (BxRng *rng, size_t n, float std)
{
  float *x = g_new (float, n);
  bx_rng_fill_normal (rng, x, n, 0.0f, std);
  return x;
}

/* ---- sgemm peak --------------------------------------------------------- */

typedef struct {
  int n;
  float *a, *b, *c;
} GemmCtx;

static void
gemm_run (void *p)
{
  GemmCtx *g = p;
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, g->n, g->n, g->n, 1.0f, g->a, g->n, g->b, g->n, 0.0f, g->c,
               g->n);
}

static void
engine_gemm_run (void *p)
{
  GemmCtx *g = p;
  bx_nn_sgemm (CblasNoTrans, CblasNoTrans, g->n, g->n, g->n, 1.0f, g->a, g->n, g->b, g->n, 0.0f, g->c, g->n);
}

/* ---- LaBraM block --------------------------------------------------------- */

typedef struct {
  int B, T, D, H, F;
  float *w_qkv, *w_proj, *b_proj, *w_fc1, *b_fc1, *w_fc2, *b_fc2;
  float *ln1_g, *ln1_b, *ln2_g, *ln2_b, *qn_g, *qn_b, *kn_g, *kn_b, *gamma1, *gamma2;
  float *x, *dy;
  BxArena *arena;
  /* saved activations (forward with save) */
  float *h, *m1, *r1, *qkv, *q, *k, *v, *qn, *kn, *mq, *rq, *mk, *rk, *probs, *o, *a, *x1, *h2, *m2, *r2, *f1,
      *g1, *f2, *y, *ws;
} Labram;

static void
labram_alloc (Labram *L)
{
  int n = L->B * L->T, D = L->D, H = L->H;
  BxArena *A = L->arena;
  bx_arena_reset (A);
  L->h = bx_arena_alloc_floats (A, (size_t) n * D);
  L->m1 = bx_arena_alloc_floats (A, n);
  L->r1 = bx_arena_alloc_floats (A, n);
  L->qkv = bx_arena_alloc_floats (A, (size_t) n * 3 * D);
  L->q = bx_arena_alloc_floats (A, (size_t) n * D);
  L->k = bx_arena_alloc_floats (A, (size_t) n * D);
  L->v = bx_arena_alloc_floats (A, (size_t) n * D);
  L->qn = bx_arena_alloc_floats (A, (size_t) n * D);
  L->kn = bx_arena_alloc_floats (A, (size_t) n * D);
  L->mq = bx_arena_alloc_floats (A, (size_t) n * H);
  L->rq = bx_arena_alloc_floats (A, (size_t) n * H);
  L->mk = bx_arena_alloc_floats (A, (size_t) n * H);
  L->rk = bx_arena_alloc_floats (A, (size_t) n * H);
  L->probs = bx_arena_alloc_floats (A, (size_t) L->B * H * L->T * L->T);
  L->o = bx_arena_alloc_floats (A, (size_t) n * D);
  L->a = bx_arena_alloc_floats (A, (size_t) n * D);
  L->x1 = bx_arena_alloc_floats (A, (size_t) n * D);
  L->h2 = bx_arena_alloc_floats (A, (size_t) n * D);
  L->m2 = bx_arena_alloc_floats (A, n);
  L->r2 = bx_arena_alloc_floats (A, n);
  L->f1 = bx_arena_alloc_floats (A, (size_t) n * L->F);
  L->g1 = bx_arena_alloc_floats (A, (size_t) n * L->F);
  L->f2 = bx_arena_alloc_floats (A, (size_t) n * D);
  L->y = bx_arena_alloc_floats (A, (size_t) n * D);
  L->ws = bx_arena_alloc_floats (A, bx_attention_workspace_floats (L->T));
}

static void
labram_forward (Labram *L, gboolean save)
{
  int n = L->B * L->T, D = L->D, H = L->H, dh = D / H;
  bx_layer_norm_forward (L->h, L->m1, L->r1, L->x, L->ln1_g, L->ln1_b, n, D, 1e-6f);
  bx_linear_forward (L->qkv, L->h, L->w_qkv, NULL, n, D, 3 * D);
  bx_split_qkv_forward (L->q, L->k, L->v, L->qkv, n, D);
  bx_layer_norm_forward (L->qn, L->mq, L->rq, L->q, L->qn_g, L->qn_b, n * H, dh, 1e-6f);
  bx_layer_norm_forward (L->kn, L->mk, L->rk, L->k, L->kn_g, L->kn_b, n * H, dh, 1e-6f);
  bx_attention_forward (L->o, save ? L->probs : NULL, L->qn, L->kn, L->v, L->B, L->T, H, dh, 1.0f / sqrtf ((float) dh),
                        L->ws);
  bx_linear_forward (L->a, L->o, L->w_proj, L->b_proj, n, D, D);
  bx_layer_scale_forward (L->a, L->a, L->gamma1, n, D);
  bx_add_forward (L->x1, L->x, L->a, (size_t) n * D);
  bx_layer_norm_forward (L->h2, L->m2, L->r2, L->x1, L->ln2_g, L->ln2_b, n, D, 1e-6f);
  bx_linear_forward (L->f1, L->h2, L->w_fc1, L->b_fc1, n, D, L->F);
  bx_gelu_forward (L->g1, L->f1, (size_t) n * L->F);
  bx_linear_forward (L->f2, L->g1, L->w_fc2, L->b_fc2, n, L->F, D);
  bx_layer_scale_forward (L->f2, L->f2, L->gamma2, n, D);
  bx_add_forward (L->y, L->x1, L->f2, (size_t) n * D);
}

/* dX only. Scratch for gradients comes from the arena above the mark. */
static void
labram_backward (Labram *L, float *dx)
{
  int n = L->B * L->T, D = L->D, H = L->H, dh = D / H;
  BxArena *A = L->arena;
  BxArenaMark mark = bx_arena_mark (A);
  size_t nD = (size_t) n * D;
  float *dx1 = bx_arena_alloc_floats (A, nD), *t1 = bx_arena_alloc_zeros (A, nD);
  float *dg = bx_arena_alloc_zeros (A, (size_t) n * L->F), *df = bx_arena_alloc_zeros (A, (size_t) n * L->F);
  memcpy (dx1, L->dy, nD * sizeof (float));
  bx_layer_scale_backward (t1, NULL, L->dy, NULL, L->gamma2, n, D);  /* d f2 */
  bx_linear_backward (dg, NULL, NULL, t1, L->g1, L->w_fc2, n, L->F, D);
  bx_gelu_backward (df, dg, L->f1, (size_t) n * L->F);
  float *dh2 = bx_arena_alloc_zeros (A, nD);
  bx_linear_backward (dh2, NULL, NULL, df, L->h2, L->w_fc1, n, D, L->F);
  bx_layer_norm_backward (dx1, NULL, NULL, dh2, L->x1, L->m2, L->r2, L->ln2_g, n, D);
  float *da = bx_arena_alloc_zeros (A, nD), *dO = bx_arena_alloc_zeros (A, nD);
  bx_layer_scale_backward (da, NULL, dx1, NULL, L->gamma1, n, D);
  bx_linear_backward (dO, NULL, NULL, da, L->o, L->w_proj, n, D, D);
  float *dqn = bx_arena_alloc_zeros (A, nD), *dkn = bx_arena_alloc_zeros (A, nD), *dv = bx_arena_alloc_zeros (A, nD);
  bx_attention_backward (dqn, dkn, dv, dO, L->probs, L->qn, L->kn, L->v, L->B, L->T, H, dh, 1.0f / sqrtf ((float) dh),
                         L->ws);
  float *dq = bx_arena_alloc_zeros (A, nD), *dk = bx_arena_alloc_zeros (A, nD);
  bx_layer_norm_backward (dq, NULL, NULL, dqn, L->q, L->mq, L->rq, L->qn_g, n * H, dh);
  bx_layer_norm_backward (dk, NULL, NULL, dkn, L->k, L->mk, L->rk, L->kn_g, n * H, dh);
  float *dqkv = bx_arena_alloc_zeros (A, 3 * nD), *dhid = bx_arena_alloc_zeros (A, nD);
  bx_split_qkv_backward (dqkv, dq, dk, dv, n, D);
  bx_linear_backward (dhid, NULL, NULL, dqkv, L->h, L->w_qkv, n, D, 3 * D);
  memcpy (dx, dx1, nD * sizeof (float));
  bx_layer_norm_backward (dx, NULL, NULL, dhid, L->x, L->m1, L->r1, L->ln1_g, n, D);
  bx_arena_reset_to (A, mark);
}

static float *labram_dx;

static void
labram_fwd_run (void *p)
{
  labram_forward (p, FALSE);
}

static void
labram_fwdbwd_run (void *p)
{
  labram_forward (p, TRUE);
  labram_backward (p, labram_dx);
}

static void
labram_init (Labram *L, BxRng *rng, int B, int T)
{
  int D = 200;
  *L = (Labram) { .B = B, .T = T, .D = D, .H = 10, .F = 800 };
  L->w_qkv = randn (rng, 3 * D * D, 0.05f);
  L->w_proj = randn (rng, D * D, 0.05f);
  L->b_proj = randn (rng, D, 0.02f);
  L->w_fc1 = randn (rng, L->F * D, 0.05f);
  L->b_fc1 = randn (rng, L->F, 0.02f);
  L->w_fc2 = randn (rng, L->F * D, 0.05f);
  L->b_fc2 = randn (rng, D, 0.02f);
  float **ones[] = { &L->ln1_g, &L->ln2_g, &L->qn_g, &L->kn_g };
  float **zeros[] = { &L->ln1_b, &L->ln2_b, &L->qn_b, &L->kn_b };
  for (int i = 0; i < 4; i++)
    {
      int len = i >= 2 ? D / L->H : D;
      *ones[i] = randn (rng, len, 0.1f);
      for (int j = 0; j < len; j++)
        (*ones[i])[j] += 1.0f;
      *zeros[i] = randn (rng, len, 0.1f);
    }
  L->gamma1 = randn (rng, D, 0.1f);
  L->gamma2 = randn (rng, D, 0.1f);
  L->x = randn (rng, (size_t) B * T * D, 1.0f);
  L->dy = randn (rng, (size_t) B * T * D, 1.0f);
  L->arena = bx_arena_new (0);
  labram_alloc (L);
}

static void
labram_clear (Labram *L)
{
  float *bufs[] = { L->w_qkv, L->w_proj, L->b_proj, L->w_fc1, L->b_fc1, L->w_fc2, L->b_fc2, L->ln1_g, L->ln1_b, L->ln2_g,
                    L->ln2_b, L->qn_g, L->qn_b, L->kn_g, L->kn_b, L->gamma1, L->gamma2, L->x, L->dy };
  for (guint i = 0; i < G_N_ELEMENTS (bufs); i++)
    g_free (bufs[i]);
  bx_arena_free (L->arena);
}

/* ---- HuBERT-ECG encoder layer (post-LN) ----------------------------------- */

typedef struct {
  int B, T, D, H, F;
  float *w_qkv, *b_qkv, *w_o, *b_o, *w_1, *b_1, *w_2, *b_2, *ln_g, *ln_b, *fln_g, *fln_b;
  float *x, *dy;
  BxArena *arena;
  float *qkv, *q, *k, *v, *probs, *o, *a, *s1, *h1, *m1, *r1, *f1, *g1, *f2, *s2, *y, *m2, *r2, *ws;
} Hubert;

static void
hubert_alloc (Hubert *L)
{
  int n = L->B * L->T, D = L->D;
  BxArena *A = L->arena;
  size_t nD = (size_t) n * D;
  bx_arena_reset (A);
  L->qkv = bx_arena_alloc_floats (A, 3 * nD);
  L->q = bx_arena_alloc_floats (A, nD);
  L->k = bx_arena_alloc_floats (A, nD);
  L->v = bx_arena_alloc_floats (A, nD);
  L->probs = bx_arena_alloc_floats (A, (size_t) L->B * L->H * L->T * L->T);
  L->o = bx_arena_alloc_floats (A, nD);
  L->a = bx_arena_alloc_floats (A, nD);
  L->s1 = bx_arena_alloc_floats (A, nD);
  L->h1 = bx_arena_alloc_floats (A, nD);
  L->m1 = bx_arena_alloc_floats (A, n);
  L->r1 = bx_arena_alloc_floats (A, n);
  L->f1 = bx_arena_alloc_floats (A, (size_t) n * L->F);
  L->g1 = bx_arena_alloc_floats (A, (size_t) n * L->F);
  L->f2 = bx_arena_alloc_floats (A, nD);
  L->s2 = bx_arena_alloc_floats (A, nD);
  L->y = bx_arena_alloc_floats (A, nD);
  L->m2 = bx_arena_alloc_floats (A, n);
  L->r2 = bx_arena_alloc_floats (A, n);
  L->ws = bx_arena_alloc_floats (A, bx_attention_workspace_floats (L->T));
}

/* q, k, v projections fused into one (3D, D) GEMM (the three checkpoint
 * weights stacked); the 64^-0.5 query scaling goes into the attention scale. */
static void
hubert_forward (Hubert *L, gboolean save)
{
  int n = L->B * L->T, D = L->D, H = L->H, dh = D / H;
  size_t nD = (size_t) n * D;
  bx_linear_forward (L->qkv, L->x, L->w_qkv, L->b_qkv, n, D, 3 * D);
  bx_split_qkv_forward (L->q, L->k, L->v, L->qkv, n, D);
  bx_attention_forward (L->o, save ? L->probs : NULL, L->q, L->k, L->v, L->B, L->T, H, dh, 1.0f / sqrtf ((float) dh),
                        L->ws);
  bx_linear_forward (L->a, L->o, L->w_o, L->b_o, n, D, D);
  bx_add_forward (L->s1, L->x, L->a, nD);
  bx_layer_norm_forward (L->h1, L->m1, L->r1, L->s1, L->ln_g, L->ln_b, n, D, 1e-5f);
  bx_linear_forward (L->f1, L->h1, L->w_1, L->b_1, n, D, L->F);
  bx_gelu_forward (L->g1, L->f1, (size_t) n * L->F);
  bx_linear_forward (L->f2, L->g1, L->w_2, L->b_2, n, L->F, D);
  bx_add_forward (L->s2, L->h1, L->f2, nD);
  bx_layer_norm_forward (L->y, L->m2, L->r2, L->s2, L->fln_g, L->fln_b, n, D, 1e-5f);
}

static void
hubert_backward (Hubert *L, float *dx)
{
  int n = L->B * L->T, D = L->D, H = L->H, dh = D / H;
  size_t nD = (size_t) n * D;
  BxArena *A = L->arena;
  BxArenaMark mark = bx_arena_mark (A);
  float *ds2 = bx_arena_alloc_zeros (A, nD);
  bx_layer_norm_backward (ds2, NULL, NULL, L->dy, L->s2, L->m2, L->r2, L->fln_g, n, D);
  float *dh1 = bx_arena_alloc_floats (A, nD);
  memcpy (dh1, ds2, nD * sizeof (float));
  float *dg = bx_arena_alloc_zeros (A, (size_t) n * L->F), *df = bx_arena_alloc_zeros (A, (size_t) n * L->F);
  bx_linear_backward (dg, NULL, NULL, ds2, L->g1, L->w_2, n, L->F, D);
  bx_gelu_backward (df, dg, L->f1, (size_t) n * L->F);
  bx_linear_backward (dh1, NULL, NULL, df, L->h1, L->w_1, n, D, L->F);
  float *ds1 = bx_arena_alloc_zeros (A, nD);
  bx_layer_norm_backward (ds1, NULL, NULL, dh1, L->s1, L->m1, L->r1, L->ln_g, n, D);
  float *dO = bx_arena_alloc_zeros (A, nD);
  bx_linear_backward (dO, NULL, NULL, ds1, L->o, L->w_o, n, D, D);
  float *dq = bx_arena_alloc_zeros (A, nD), *dk = bx_arena_alloc_zeros (A, nD), *dv = bx_arena_alloc_zeros (A, nD);
  bx_attention_backward (dq, dk, dv, dO, L->probs, L->q, L->k, L->v, L->B, L->T, H, dh, 1.0f / sqrtf ((float) dh),
                         L->ws);
  float *dqkv = bx_arena_alloc_zeros (A, 3 * nD);
  bx_split_qkv_backward (dqkv, dq, dk, dv, n, D);
  memcpy (dx, ds1, nD * sizeof (float));
  bx_linear_backward (dx, NULL, NULL, dqkv, L->x, L->w_qkv, n, D, 3 * D);
  bx_arena_reset_to (A, mark);
}

static float *hubert_dx;

static void
hubert_fwd_run (void *p)
{
  hubert_forward (p, FALSE);
}

static void
hubert_fwdbwd_run (void *p)
{
  hubert_forward (p, TRUE);
  hubert_backward (p, hubert_dx);
}

static void
hubert_init (Hubert *L, BxRng *rng, int B, int T)
{
  int D = 512;
  *L = (Hubert) { .B = B, .T = T, .D = D, .H = 8, .F = 2048 };
  L->w_qkv = randn (rng, 3 * D * D, 0.03f);
  L->b_qkv = randn (rng, 3 * D, 0.02f);
  L->w_o = randn (rng, D * D, 0.03f);
  L->b_o = randn (rng, D, 0.02f);
  L->w_1 = randn (rng, L->F * D, 0.03f);
  L->b_1 = randn (rng, L->F, 0.02f);
  L->w_2 = randn (rng, L->F * D, 0.03f);
  L->b_2 = randn (rng, D, 0.02f);
  L->ln_g = randn (rng, D, 0.1f);
  L->fln_g = randn (rng, D, 0.1f);
  for (int j = 0; j < D; j++)
    {
      L->ln_g[j] += 1.0f;
      L->fln_g[j] += 1.0f;
    }
  L->ln_b = randn (rng, D, 0.1f);
  L->fln_b = randn (rng, D, 0.1f);
  L->x = randn (rng, (size_t) B * T * D, 1.0f);
  L->dy = randn (rng, (size_t) B * T * D, 1.0f);
  L->arena = bx_arena_new (0);
  hubert_alloc (L);
}

static void
hubert_clear (Hubert *L)
{
  float *bufs[] = { L->w_qkv, L->b_qkv, L->w_o, L->b_o, L->w_1, L->b_1, L->w_2, L->b_2, L->ln_g, L->ln_b,
                    L->fln_g, L->fln_b, L->x, L->dy };
  for (guint i = 0; i < G_N_ELEMENTS (bufs); i++)
    g_free (bufs[i]);
  bx_arena_free (L->arena);
}

/* ---- driver --------------------------------------------------------------- */

static double
transformer_gflop (int B, int T, int D, int F, gboolean backward)
{
  double tokens = (double) B * T;
  double lin = tokens * 2.0 * D * (3.0 * D + D + 2.0 * F);  /* qkv, out, fc1, fc2 */
  double att = (double) B * 4.0 * T * T * D;                 /* QKᵀ and PV over all heads */
  return (backward ? (lin + att) + (lin + 2 * att) : lin + att) / 1e9;  /* fwd + bwd (dX only) */
}

/* The PyTorch side as a server process (torch_ops.py --serve): one line per
 * timed run, so engine and torch runs can alternate. */
typedef struct {
  GPid pid;
  FILE *to, *from;
} TorchServer;

static gboolean
torch_server_start (TorchServer *ts, const char *python, int threads)
{
  const char *root = g_getenv ("BIOX_SOURCE_ROOT") ? g_getenv ("BIOX_SOURCE_ROOT") : BIOX_BENCH_SOURCE_ROOT;
  g_autofree char *script = g_build_filename (root, "tests", "bench", "nn", "torch_ops.py", NULL);
  g_autofree char *threads_s = g_strdup_printf ("%d", threads);
  const char *argv[] = { python, script, "--threads", threads_s, "--serve", NULL };
  int in_fd, out_fd;
  g_autoptr (GError) error = NULL;
  if (!g_file_test (script, G_FILE_TEST_EXISTS))
    {
      g_printerr ("torch_ops.py not found at %s (set BIOX_SOURCE_ROOT to the source tree)\n", script);
      return FALSE;
    }
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &ts->pid, &in_fd,
                                 &out_fd, NULL, &error))
    {
      g_printerr ("cannot start %s: %s\n", python, error->message);
      return FALSE;
    }
  ts->to = fdopen (in_fd, "w");
  ts->from = fdopen (out_fd, "r");
  char line[256];
  if (fgets (line, sizeof line, ts->from) == NULL || strncmp (line, "ready", 5) != 0)
    {
      g_printerr ("PyTorch server did not start (is torch installed for %s?)\n", python);
      return FALSE;
    }
  return TRUE;
}

static double
torch_server_time (TorchServer *ts, const char *name)
{
  char line[256], got[128];
  double s = NAN;
  fprintf (ts->to, "%s\n", name);
  fflush (ts->to);
  if (fgets (line, sizeof line, ts->from) == NULL || sscanf (line, "%127s %lf", got, &s) != 2)
    return NAN;
  return s;
}

static void
torch_server_stop (TorchServer *ts)
{
  if (ts->to != NULL)
    fclose (ts->to);  /* EOF ends the server loop */
  if (ts->from != NULL)
    fclose (ts->from);
  if (ts->pid != 0)
    {
      int status;
      waitpid (ts->pid, &status, 0);
      g_spawn_close_pid (ts->pid);
    }
}

typedef struct {
  const char *name;
  BenchFn fn;
  void *ctx;
  double gflop;
  int reps;
} BenchOp;

/* OpenBLAS workers spin (sched_yield) for ~0.1 s after their last GEMM before
 * they sleep; pausing between engine and torch runs keeps one side's idle
 * spinning out of the other side's timing. */
#define SWITCH_PAUSE_US 150000

int
main (int argc, char **argv)
{
  int threads = 2;
  gboolean no_torch = FALSE;
  g_autofree char *only = NULL;
  g_autofree char *python = g_strdup ("/usr/bin/python3");
  GOptionEntry entries[] = {
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "threads for the model-shaped runs (default 2)", "N" },
    { "no-torch", 0, 0, G_OPTION_ARG_NONE, &no_torch, "do not run the PyTorch comparison", NULL },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only, "run only 'labram' or 'hubert' (for profiling)", "MODEL" },
    { "python", 0, 0, G_OPTION_ARG_FILENAME, &python, "python with torch (default /usr/bin/python3)", "PATH" },
    { NULL },
  };
  g_autoptr (GOptionContext) octx = g_option_context_new ("— core/nn throughput beside PyTorch");
  g_option_context_add_main_entries (octx, entries, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  BxRng rng;
  bx_rng_init (&rng, 1);

  /* sgemm peak: OpenBLAS alone at 1 and 2 threads, and the engine's split
   * (bx_nn_sgemm, OpenBLAS single-threaded per part) at 2 threads. */
  GemmCtx g = { 1024, randn (&rng, 1024 * 1024, 1), randn (&rng, 1024 * 1024, 1), g_new (float, 1024 * 1024) };
  double peak[3] = { 0 };
  double flop = 2.0 * 1024 * 1024 * 1024 / 1e9;
  for (int t = 1; t <= 2; t++)
    {
      openblas_set_num_threads (t);
      peak[t] = flop / time_best (gemm_run, &g, 7);
      printf ("sgemm 1024^3, OpenBLAS %d thread%s: %.1f GFLOP/s\n", t, t > 1 ? "s" : "", peak[t]);
    }
  bx_nn_set_threads (2);
  double engine_peak = flop / time_best (engine_gemm_run, &g, 7);
  printf ("sgemm 1024^3, bx_nn_sgemm 2 threads: %.1f GFLOP/s\n", engine_peak);
  peak[2] = MAX (peak[2], engine_peak);
  g_free (g.a);
  g_free (g.b);
  g_free (g.c);

  bx_nn_set_threads (threads);
  Labram lab;
  Hubert hub[2];
  BenchOp ops[6];
  int n_ops = 0;
  gboolean want_labram = only == NULL || strcmp (only, "labram") == 0;
  gboolean want_hubert = only == NULL || strcmp (only, "hubert") == 0;
  if (want_labram)
    {
      labram_init (&lab, &rng, 16, 181);
      labram_dx = g_new (float, (size_t) 16 * 181 * 200);
      ops[n_ops++] = (BenchOp) { "labram_block_fwd", labram_fwd_run, &lab, transformer_gflop (16, 181, 200, 800, FALSE), 9 };
      ops[n_ops++] = (BenchOp) { "labram_block_fwdbwd", labram_fwdbwd_run, &lab,
                                 transformer_gflop (16, 181, 200, 800, TRUE), 7 };
    }
  if (want_hubert)
    {
      hubert_dx = g_new (float, (size_t) 16 * 93 * 512);
      for (int ti = 0; ti < 2; ti++)
        {
          int T = ti == 0 ? 93 : 46;
          hubert_init (&hub[ti], &rng, 16, T);
          ops[n_ops++] = (BenchOp) { ti == 0 ? "hubert_layer_T93_fwd" : "hubert_layer_T46_fwd", hubert_fwd_run, &hub[ti],
                                     transformer_gflop (16, T, 512, 2048, FALSE), 9 };
          ops[n_ops++] = (BenchOp) { ti == 0 ? "hubert_layer_T93_fwdbwd" : "hubert_layer_T46_fwdbwd", hubert_fwdbwd_run,
                                     &hub[ti], transformer_gflop (16, T, 512, 2048, TRUE), 7 };
        }
    }

  TorchServer ts = { 0 };
  gboolean have_torch = !no_torch && torch_server_start (&ts, python, threads);
  double engine_s[6], torch_s[6];
  for (int i = 0; i < n_ops; i++)
    {
      ops[i].fn (ops[i].ctx);  /* warm-up: arenas reach their size */
      engine_s[i] = torch_s[i] = INFINITY;
      for (int r = 0; r < ops[i].reps; r++)
        {
          if (have_torch)
            g_usleep (SWITCH_PAUSE_US);
          double t0 = now_s ();
          ops[i].fn (ops[i].ctx);
          engine_s[i] = MIN (engine_s[i], now_s () - t0);
          if (have_torch)
            {
              g_usleep (SWITCH_PAUSE_US);
              double t = torch_server_time (&ts, ops[i].name);
              if (!isnan (t))
                torch_s[i] = MIN (torch_s[i], t);
            }
        }
    }
  if (have_torch)
    torch_server_stop (&ts);

  printf ("\n%d thread%s, batch 16, fastest of 7-9 alternating runs; GFLOP/s counts GEMM + attention flops "
          "(fwdbwd = forward saving activations + backward to dX)\n",
          threads, threads > 1 ? "s" : "");
  printf ("%-26s %10s %9s %7s %10s %9s %8s\n", "op", "engine ms", "GFLOP/s", "%peak", "torch ms", "GFLOP/s",
          "speedup");
  for (int i = 0; i < n_ops; i++)
    {
      double gf = ops[i].gflop / engine_s[i];
      printf ("%-26s %10.2f %9.1f %6.0f%%", ops[i].name, engine_s[i] * 1e3, gf, 100.0 * gf / peak[MIN (threads, 2)]);
      if (have_torch && isfinite (torch_s[i]))
        printf (" %10.2f %9.1f %7.2fx\n", torch_s[i] * 1e3, ops[i].gflop / torch_s[i], torch_s[i] / engine_s[i]);
      else
        printf (" %10s\n", "-");
    }
  if (want_labram)
    {
      g_free (labram_dx);
      labram_clear (&lab);
    }
  if (want_hubert)
    {
      g_free (hubert_dx);
      hubert_clear (&hub[0]);
      hubert_clear (&hub[1]);
    }
  return 0;
}
