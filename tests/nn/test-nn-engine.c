/* test-nn-engine.c — arena behaviour, thread-count independence, RNG. */
#include "nn/bx-nn.h"

#include <math.h>
#include <string.h>

/* A small pre-LN transformer block forward (LaBraM-shaped, reduced), with
 * every activation taken from the arena. */
static void
block_forward (BxArena *arena, float *x, const float *w_qkv, const float *w_proj, const float *w_fc1,
               const float *w_fc2, const float *ln_g, int B, int T, int D, int H)
{
  int n = B * T, dh = D / H;
  float *h = bx_arena_alloc_floats (arena, (size_t) n * D);
  float *mean = bx_arena_alloc_floats (arena, n), *rstd = bx_arena_alloc_floats (arena, n);
  float *qkv = bx_arena_alloc_floats (arena, (size_t) n * 3 * D);
  float *q = bx_arena_alloc_floats (arena, (size_t) n * D), *k = bx_arena_alloc_floats (arena, (size_t) n * D);
  float *v = bx_arena_alloc_floats (arena, (size_t) n * D), *o = bx_arena_alloc_floats (arena, (size_t) n * D);
  float *probs = bx_arena_alloc_floats (arena, (size_t) B * H * T * T);
  float *ws = bx_arena_alloc_floats (arena, bx_attention_workspace_floats (T));
  float *m = bx_arena_alloc_floats (arena, (size_t) n * 4 * D);
  bx_layer_norm_forward (h, mean, rstd, x, ln_g, NULL, n, D, 1e-6f);
  bx_linear_forward (qkv, h, w_qkv, NULL, n, D, 3 * D);
  bx_split_qkv_forward (q, k, v, qkv, n, D);
  bx_attention_forward (o, probs, q, k, v, B, T, H, dh, 1.0f / sqrtf ((float) dh), ws);
  bx_linear_forward (h, o, w_proj, NULL, n, D, D);
  bx_add_forward (x, x, h, (size_t) n * D);
  BxArenaMark mark = bx_arena_mark (arena);
  float *h2 = bx_arena_alloc_floats (arena, (size_t) n * D);
  bx_layer_norm_forward (h2, NULL, NULL, x, ln_g, NULL, n, D, 1e-6f);
  bx_linear_forward (m, h2, w_fc1, NULL, n, D, 4 * D);
  bx_gelu_forward (m, m, (size_t) n * 4 * D);
  bx_linear_forward (h2, m, w_fc2, NULL, n, 4 * D, D);
  bx_add_forward (x, x, h2, (size_t) n * D);
  bx_arena_reset_to (arena, mark);
}

static void
test_arena_no_alloc_after_warmup (void)
{
  int B = 2, T = 9, D = 20, H = 2;
  BxRng rng;
  bx_rng_init (&rng, 7);
  g_autofree float *w_qkv = g_new (float, 3 * D * D), *w_proj = g_new (float, D * D);
  g_autofree float *w_fc1 = g_new (float, 4 * D * D), *w_fc2 = g_new (float, 4 * D * D), *ln = g_new (float, D);
  bx_init_linear (&rng, w_qkv, NULL, D, 3 * D);
  bx_init_linear (&rng, w_proj, NULL, D, D);
  bx_init_linear (&rng, w_fc1, NULL, D, 4 * D);
  bx_init_linear (&rng, w_fc2, NULL, 4 * D, D);
  for (int i = 0; i < D; i++)
    ln[i] = 1.0f;
  g_autofree float *x0 = g_new (float, B * T * D), *x = g_new (float, B * T * D), *first = g_new (float, B * T * D);
  bx_rng_fill_normal (&rng, x0, B * T * D, 0, 1);

  /* Start deliberately small so the warm-up pass needs several chunks. */
  g_autoptr (BxArena) arena = bx_arena_new (4096);
  memcpy (x, x0, sizeof (float) * B * T * D);
  for (int l = 0; l < 3; l++)
    block_forward (arena, x, w_qkv, w_proj, w_fc1, w_fc2, ln, B, T, D, H);
  memcpy (first, x, sizeof (float) * B * T * D);
  guint64 warm = bx_arena_n_system_allocs (arena);
  g_assert_cmpuint (warm, >, 1);
  size_t high = bx_arena_high_water_bytes (arena);
  g_assert_cmpuint (high, >=, (size_t) B * H * T * T * sizeof (float));  /* at least the stored probs */
  bx_arena_reset (arena);  /* coalesces: one more allocation, then none */
  guint64 after_reset = bx_arena_n_system_allocs (arena);
  g_assert_cmpuint (after_reset, ==, warm + 1);
  for (int pass = 0; pass < 3; pass++)
    {
      memcpy (x, x0, sizeof (float) * B * T * D);
      for (int l = 0; l < 3; l++)
        block_forward (arena, x, w_qkv, w_proj, w_fc1, w_fc2, ln, B, T, D, H);
      g_assert_cmpmem (x, sizeof (float) * B * T * D, first, sizeof (float) * B * T * D);
      bx_arena_reset (arena);
    }
  g_assert_cmpuint (bx_arena_n_system_allocs (arena), ==, after_reset);
  g_assert_cmpuint (bx_arena_high_water_bytes (arena), ==, high);
}

/* Rewind keeps the chunks: the same allocation sequence gets the same
 * addresses, with no system allocation, also across several chunks. */
static void
test_arena_rewind (void)
{
  g_autoptr (BxArena) arena = bx_arena_new (4096);
  const size_t sizes[] = { 1000, 300000, 5, 2000000, 70000, 9000000, 12 };
  void *first[G_N_ELEMENTS (sizes)];
  guint64 warm;

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    first[i] = bx_arena_alloc (arena, sizes[i]);
  warm = bx_arena_n_system_allocs (arena);
  g_assert_cmpuint (warm, >, 2);
  for (int pass = 0; pass < 3; pass++)
    {
      bx_arena_rewind (arena);
      g_assert_cmpuint (bx_arena_used_bytes (arena), ==, 0);
      for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
        g_assert_true (bx_arena_alloc (arena, sizes[i]) == first[i]);
    }
  g_assert_cmpuint (bx_arena_n_system_allocs (arena), ==, warm);
  /* a bigger sequence still fits: a chunk is appended */
  bx_arena_rewind (arena);
  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    bx_arena_alloc (arena, 2 * sizes[i]);
  g_assert_cmpuint (bx_arena_used_bytes (arena), >=, 2 * (1000 + 300000 + 2000000 + 70000 + 9000000));
}

static void
test_arena_marks (void)
{
  g_autoptr (BxArena) arena = bx_arena_new (1024);
  float *a = bx_arena_alloc_floats (arena, 10);
  g_assert_cmpuint ((guintptr) a % 64, ==, 0);
  BxArenaMark m = bx_arena_mark (arena);
  size_t used = bx_arena_used_bytes (arena);
  float *b = bx_arena_alloc_zeros (arena, 3);
  g_assert_cmpuint ((guintptr) b % 64, ==, 0);
  g_assert_cmpfloat (b[0] + b[1] + b[2], ==, 0.0f);
  g_assert_true (b >= a + 10);
  /* spill into a new chunk, then return to the mark */
  float *big = bx_arena_alloc_floats (arena, 100000);
  big[99999] = 1.0f;
  g_assert_cmpuint (bx_arena_used_bytes (arena), >=, used + 400000);
  bx_arena_reset_to (arena, m);
  g_assert_cmpuint (bx_arena_used_bytes (arena), ==, used);
  float *c = bx_arena_alloc_floats (arena, 3);
  g_assert_true (c == b);

  int64_t shape[3] = { 2, 3, 4 };
  BxTensor t = bx_tensor_arena (arena, 3, shape);
  g_assert_cmpint (bx_tensor_numel (&t), ==, 24);
  g_assert_nonnull (t.data);
}

/* Conv, attention, norms and GEMMs give bit-identical results at 1 and 2
 * threads (parallel loops split independent outputs). */
static void
test_thread_independence (void)
{
  BxRng rng;
  bx_rng_init (&rng, 99);
  int B = 3, T = 37, H = 4, dh = 16, D = H * dh, n = B * T * D;
  g_autofree float *q = g_new (float, n), *k = g_new (float, n), *v = g_new (float, n), *g = g_new (float, n);
  bx_rng_fill_normal (&rng, q, n, 0, 1);
  bx_rng_fill_normal (&rng, k, n, 0, 1);
  bx_rng_fill_normal (&rng, v, n, 0, 1);
  bx_rng_fill_normal (&rng, g, n, 0, 1);
  BxConv1dShape cs = { .batch = 2, .in_channels = 16, .out_channels = 32, .in_length = 301, .kernel = 3, .stride = 2,
                       .pad_left = 1, .pad_right = 1 };
  int lo = bx_conv1d_out_length (&cs);
  g_autofree float *cx = g_new (float, 2 * 16 * 301), *cw = g_new (float, 32 * 16 * 3), *cg = g_new (float, 2 * 32 * lo);
  bx_rng_fill_normal (&rng, cx, 2 * 16 * 301, 0, 1);
  bx_rng_fill_normal (&rng, cw, 32 * 16 * 3, 0, 1);
  bx_rng_fill_normal (&rng, cg, 2 * 32 * lo, 0, 1);

  float *results[2][6];
  for (int run = 0; run < 2; run++)
    {
      bx_nn_set_threads (run + 1);
      g_assert_cmpint (bx_nn_get_threads (), ==, run + 1);
      float *o = g_new (float, n), *p = g_new (float, B * H * T * T), *dq = g_new0 (float, n);
      float *dk = g_new0 (float, n), *dv = g_new0 (float, n);
      g_autofree float *ws = g_new (float, bx_attention_workspace_floats (T));
      bx_attention_forward (o, p, q, k, v, B, T, H, dh, 0.25f, ws);
      bx_attention_backward (dq, dk, dv, g, p, q, k, v, B, T, H, dh, 0.25f, ws);
      float *co = g_new (float, 2 * 32 * lo), *cdx = g_new0 (float, 2 * 16 * 301);
      g_autofree float *cws = g_new (float, bx_conv1d_workspace_floats (&cs));
      g_autofree float *cdw = g_new0 (float, 32 * 16 * 3);
      bx_conv1d_forward (co, cx, cw, NULL, &cs, cws);
      bx_conv1d_backward (cdx, cdw, NULL, cg, cx, cw, &cs, cws);
      bx_gelu_forward (co, co, 2 * 32 * lo);
      bx_layer_norm_forward (o, NULL, NULL, o, NULL, NULL, B * T, D, 1e-5f);
      float *r[6] = { o, dq, dk, dv, co, cdx };
      memcpy (results[run], r, sizeof r);
      g_free (p);
    }
  size_t sizes[6] = { n, n, n, n, 2 * 32 * lo, 2 * 16 * 301 };
  for (int i = 0; i < 6; i++)
    {
      g_assert_cmpmem (results[0][i], sizes[i] * 4, results[1][i], sizes[i] * 4);
      g_free (results[0][i]);
      g_free (results[1][i]);
    }
  bx_nn_set_threads (1);
}

/* bx_nn_sgemm: every transpose combination, with M split over threads (203
 * and 1000 rows: uneven parts and a row tail) and with M too small to split,
 * bit-identical at 1 and 2 threads and equal to a double-precision product. */
static void
test_sgemm_split (void)
{
  BxRng rng;
  bx_rng_init (&rng, 3);
  int shapes[3][3] = { { 203, 64, 300 }, { 1000, 37, 129 }, { 40, 333, 250 } };
  for (int si = 0; si < 3; si++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++)
        {
          int M = shapes[si][0], N = shapes[si][1], K = shapes[si][2];
          int lda = ta ? M : K, ldb = tb ? K : N;
          g_autofree float *A = g_new (float, M * K), *B = g_new (float, K * N);
          g_autofree float *C0 = g_new (float, M * N), *C1 = g_new (float, M * N), *C2 = g_new (float, M * N);
          bx_rng_fill_normal (&rng, A, M * K, 0, 1);
          bx_rng_fill_normal (&rng, B, K * N, 0, 1);
          bx_rng_fill_normal (&rng, C0, M * N, 0, 1);
          memcpy (C1, C0, sizeof (float) * M * N);
          memcpy (C2, C0, sizeof (float) * M * N);
          CBLAS_TRANSPOSE tra = ta ? CblasTrans : CblasNoTrans, trb = tb ? CblasTrans : CblasNoTrans;
          bx_nn_set_threads (1);
          bx_nn_sgemm (tra, trb, M, N, K, 0.5f, A, lda, B, ldb, 0.25f, C1, N);
          bx_nn_set_threads (2);
          bx_nn_sgemm (tra, trb, M, N, K, 0.5f, A, lda, B, ldb, 0.25f, C2, N);
          g_assert_cmpmem (C1, sizeof (float) * M * N, C2, sizeof (float) * M * N);
          for (int m = 0; m < M; m += 7)
            for (int n = 0; n < N; n += 5)
              {
                double acc = 0.0;
                for (int k = 0; k < K; k++)
                  acc += (double) (ta ? A[k * lda + m] : A[m * lda + k]) * (tb ? B[n * ldb + k] : B[k * ldb + n]);
                double want = 0.5 * acc + 0.25 * C0[m * N + n];
                g_assert_cmpfloat (fabs (C2[m * N + n] - want), <, 1e-4 * sqrt (K));
              }
        }
  bx_nn_set_threads (1);
}

static void
test_rng (void)
{
  BxRng a, b;
  bx_rng_init (&a, 42);
  bx_rng_init (&b, 42);
  for (int i = 0; i < 10; i++)
    g_assert_cmpuint (bx_rng_next_u64 (&a), ==, bx_rng_next_u64 (&b));
  bx_rng_init (&b, 43);
  g_assert_cmpuint (bx_rng_next_u64 (&a), !=, bx_rng_next_u64 (&b));

  int n = 200000;
  g_autofree float *x = g_new (float, n);
  bx_rng_fill_normal (&a, x, n, 1.5f, 2.0f);
  double s = 0, s2 = 0;
  for (int i = 0; i < n; i++)
    {
      s += x[i];
      s2 += (double) x[i] * x[i];
    }
  double mean = s / n, var = s2 / n - mean * mean;
  /* standard errors: 2/√n ≈ 0.0045 for the mean, ≈ 0.013 for the variance */
  g_assert_cmpfloat (fabs (mean - 1.5), <, 0.025);
  g_assert_cmpfloat (fabs (var - 4.0), <, 0.08);

  bx_rng_fill_uniform (&a, x, n, -3.0f, 5.0f);
  s = 0;
  for (int i = 0; i < n; i++)
    {
      g_assert_cmpfloat (x[i], >=, -3.0f);
      g_assert_cmpfloat (x[i], <, 5.0f);
      s += x[i];
    }
  g_assert_cmpfloat (fabs (s / n - 1.0), <, 0.05);

  bx_rng_fill_trunc_normal (&a, x, n, 0.0f, 0.02f, -0.02f, 0.02f);
  s2 = 0;
  for (int i = 0; i < n; i++)
    {
      g_assert_cmpfloat (fabsf (x[i]), <=, 0.02f);
      s2 += (double) x[i] * x[i];
    }
  /* N(0, σ²) truncated to ±σ has variance σ²·(1 − 2φ(1)/(2Φ(1)−1)) = 0.2911·σ² */
  g_assert_cmpfloat (fabs (s2 / n / (0.02 * 0.02) - 0.2911), <, 0.01);

  bx_rng_fill_kaiming_uniform (&a, x, n, 100);
  float mx = 0;
  for (int i = 0; i < n; i++)
    mx = MAX (mx, fabsf (x[i]));
  g_assert_cmpfloat (mx, <=, 0.1f);
  g_assert_cmpfloat (mx, >, 0.099f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/nn/engine/arena-no-alloc-after-warmup", test_arena_no_alloc_after_warmup);
  g_test_add_func ("/nn/engine/arena-marks", test_arena_marks);
  g_test_add_func ("/nn/engine/arena-rewind", test_arena_rewind);
  g_test_add_func ("/nn/engine/thread-independence", test_thread_independence);
  g_test_add_func ("/nn/engine/sgemm-split", test_sgemm_split);
  g_test_add_func ("/nn/engine/rng", test_rng);
  return g_test_run ();
}
