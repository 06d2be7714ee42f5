/* bench-training — bridge training speed against the reference algorithm.
 *
 *   bench-training [--direction eeg2ecg|ecg2eeg] [--steps K] [--threads T]
 *                  [--batch B] [--windows N] [--dir DIR] [--skip-torch]
 *                  [--repeat R]
 *
 * 1. Runs tests/bench/training/torch_reference.py (Debian python3-torch): it
 *    writes full-size random-weight LaBraM-base (ISRUC, 6 ch × 30 s) and
 *    HuBERT-ECG small checkpoints into DIR and times K training steps done the
 *    reference way (both FMs forwarded every step, injection by re-running the
 *    whole old FM) at T threads.
 * 2. Loads the same checkpoints here, computes the cached pair features of N
 *    windows once (timed), then times K steps of bridge → old layers l..L−1 →
 *    cosine loss → backward → Adam.
 * 3. Prints both rates and the ratios: per step, and per step with the
 *    one-time feature pass amortised over one epoch of N windows. The timed
 *    call's step times are printed one by one (the first step of a call is
 *    where its buffers are set up); --repeat R times R more calls after it
 *    (they do not enter the ratio; for profiling and noise).
 * 4. Times the position search (probe CV on every new-FM layer + CKA on every
 *    old-FM layer) over 1,000 windows of features with the real layer widths.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-glib/json-glib.h>

#include "bridge/bx-bridge-train.h"
#include "bridge/bx-pair-features.h"
#include "bridge/bx-position-search.h"
#include "jobs/bx-job.h"
#include "nn/bx-nn.h"

#ifndef BENCH_SOURCE_DIR
#error "BENCH_SOURCE_DIR must be defined"
#endif

typedef struct {
  const char *name;
  BxModelFamily old_family, new_family;
  const char *old_file, *new_file;
  int l, m;
  guint r, P;
} Direction;

static const Direction directions[] = {
  { "eeg2ecg", BX_MODEL_FAMILY_LABRAM, BX_MODEL_FAMILY_HUBERT_ECG, "labram_isruc.pth", "hubert_ecg_small.pt", 2, 7,
    32, 300 },
  { "ecg2eeg", BX_MODEL_FAMILY_HUBERT_ECG, BX_MODEL_FAMILY_LABRAM, "hubert_ecg_small.pt", "labram_isruc.pth", 0, 11,
    4, 200 },
};

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

/* Random raw inputs in the spec's data layout: EEG (6, 6000) µV, ECG (1, 3000) z-scored. */
static float *
raw_inputs (BxModelFamily family, guint n, BxRng *rng, int *ndim, gint64 *shape)
{
  gsize per = family == BX_MODEL_FAMILY_LABRAM ? 6 * 6000 : 3000;
  float *x = g_new (float, n * per);

  bx_rng_fill_normal (rng, x, n * per, 0.0f, family == BX_MODEL_FAMILY_LABRAM ? 40.0f : 1.0f);
  if (family == BX_MODEL_FAMILY_LABRAM)
    {
      *ndim = 2;
      shape[0] = 6;
      shape[1] = 6000;
    }
  else
    {
      *ndim = 2;
      shape[0] = 1;
      shape[1] = 3000;
    }
  return x;
}

/* Wall-clock time of every step of a bx_bridge_train call, from its job's
 * progress reports (min interval 0, so every step reports). */
typedef struct {
  double t_prev, cpu_prev;
  GArray *dt, *dcpu;
} StepClock;

/* CPU seconds of the whole process (all threads): with a loaded machine the
 * wall time of a step varies by 2×, its CPU time much less. */
static double
cpu_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
step_clock_start (StepClock *c)
{
  c->t_prev = now ();
  c->cpu_prev = cpu_now ();
}

static void
step_clock_tick (const BxJobProgress *progress, gpointer user_data)
{
  StepClock *c = user_data;
  double t = now (), cpu = cpu_now ();

  g_array_append_val (c->dt, (double){ t - c->t_prev });
  g_array_append_val (c->dcpu, (double){ cpu - c->cpu_prev });
  c->t_prev = t;
  c->cpu_prev = cpu;
}

static void
print_steps (const StepClock *c)
{
  printf ("  per step, wall (s):");
  for (guint i = 0; i < c->dt->len; i++)
    printf (" %.3f", g_array_index (c->dt, double, i));
  printf ("   CPU, all threads (s):");
  for (guint i = 0; i < c->dcpu->len; i++)
    printf (" %.3f", g_array_index (c->dcpu, double, i));
  printf ("\n");
}

static BxModel *
load (BxModelFamily family, const char *dir, const char *file, guint n, BxRng *rng, float **prepared)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxModel) model = bx_model_load (family, path, &error);
  g_autofree float *raw = NULL;
  gint64 raw_shape[4], prep_shape[8];
  int raw_ndim, prep_ndim;

  if (model == NULL)
    g_error ("%s", error->message);
  raw = raw_inputs (family, n, rng, &raw_ndim, raw_shape);
  *prepared = bx_model_prepare (model, raw, (int) n, raw_ndim, raw_shape, &prep_ndim, prep_shape, &error);
  if (*prepared == NULL || !bx_model_set_input_shape (model, prep_ndim, prep_shape, &error))
    g_error ("%s", error->message);
  return g_steal_pointer (&model);
}

static double
torch_steps_per_s (const char *dir, const Direction *d, int steps, int threads, int batch)
{
  g_autofree char *script = g_build_filename (BENCH_SOURCE_DIR, "torch_reference.py", NULL);
  g_autofree char *s_steps = g_strdup_printf ("%d", steps);
  g_autofree char *s_threads = g_strdup_printf ("%d", threads);
  g_autofree char *s_batch = g_strdup_printf ("%d", batch);
  const char *argv[] = { "/usr/bin/python3", script, "--out", dir, "--direction", d->name, "--steps", s_steps,
                         "--threads", s_threads, "--batch", s_batch, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    g_error ("torch reference failed: %s\n%s", error->message, err != NULL ? err : "");
  if (!json_parser_load_from_data (parser, out, -1, &error))
    g_error ("torch reference printed no JSON: %s", out);
  printf ("torch reference: %s", out);
  return json_object_get_double_member (json_node_get_object (json_parser_get_root (parser)), "steps_per_s");
}

static void
bench_search (guint n)
{
  /* Features with the widths of the eeg2ecg direction: new = HuBERT-ECG
   * (8 layers × 512), old = LaBraM (12 layer inputs × 200), two classes whose
   * means differ a little in every layer (the probe has work to do). */
  BxPairFeatures f = { 0 };
  BxPositionSearchParams params;
  g_autoptr (BxPositionSearch) search = NULL;
  g_autoptr (GError) error = NULL;
  BxRng rng;
  double t0;

  bx_rng_init (&rng, 7);
  f.n = n;
  f.n_classes = 2;
  f.n_new_layers = 8;
  f.n_old_layers = 12;
  f.new_dim = g_new (guint, 8);
  f.new_pooled = g_new0 (float *, 8);
  f.old_in_dim = g_new (guint, 12);
  f.old_pooled_in = g_new0 (float *, 12);
  f.pseudo_labels = g_new (int, n);
  for (guint i = 0; i < n; i++)
    f.pseudo_labels[i] = bx_rng_uniform (&rng) < 0.3 ? 0 : 1;
  for (int i = 0; i < 8; i++)
    {
      f.new_dim[i] = 512;
      f.new_pooled[i] = g_new (float, (gsize) n * 512);
      bx_rng_fill_normal (&rng, f.new_pooled[i], (gsize) n * 512, 0.0f, 1.0f);
      for (guint k = 0; k < n; k++)
        for (guint j = 0; j < 512; j += 8)
          f.new_pooled[i][(gsize) k * 512 + j] += 0.05f * (i + 1) * f.pseudo_labels[k];
    }
  for (int j = 0; j < 12; j++)
    {
      f.old_in_dim[j] = 200;
      f.old_pooled_in[j] = g_new (float, (gsize) n * 200);
      bx_rng_fill_normal (&rng, f.old_pooled_in[j], (gsize) n * 200, 0.0f, 1.0f);
    }
  bx_position_search_params_init (&params);
  t0 = now ();
  search = bx_position_search_run (&f, &params, NULL, &error);
  if (search == NULL)
    g_error ("%s", error->message);
  printf ("position search over %u windows (8 new layers × 512, 12 old layers × 200): %.2f s (target < 60 s), "
          "m = %d, l = %d\n", n, now () - t0, search->input_layer, search->output_layer);
  for (int i = 0; i < 8; i++)
    g_free (f.new_pooled[i]);
  for (int j = 0; j < 12; j++)
    g_free (f.old_pooled_in[j]);
  g_free (f.new_pooled), g_free (f.old_pooled_in), g_free (f.new_dim), g_free (f.old_in_dim);
  g_free (f.pseudo_labels);
}

int
main (int argc, char **argv)
{
  g_autofree char *direction = g_strdup ("eeg2ecg");
  g_autofree char *dir = NULL;
  int steps = 5, threads = 2, batch = 16, windows = 64, search_windows = 1000, repeat = 0;
  gboolean skip_torch = FALSE;
  GOptionEntry entries[] = {
    { "direction", 0, 0, G_OPTION_ARG_STRING, &direction, "eeg2ecg or ecg2eeg", "D" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "training steps to time", "K" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "threads (both sides)", "T" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "batch size", "B" },
    { "windows", 0, 0, G_OPTION_ARG_INT, &windows, "windows in the cached feature pass", "N" },
    { "search-windows", 0, 0, G_OPTION_ARG_INT, &search_windows, "windows for the position-search timing", "N" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "folder for the generated checkpoints", "DIR" },
    { "skip-torch", 0, 0, G_OPTION_ARG_NONE, &skip_torch, "do not run the PyTorch side", NULL },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &repeat, "time this many more training calls after the first", "R" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("— bridge training speed vs the reference");
  g_autoptr (GError) error = NULL;
  const Direction *d = NULL;
  g_autoptr (BxModel) old_model = NULL;
  g_autoptr (BxModel) new_model = NULL;
  g_autoptr (BxTaskHead) head = NULL;
  g_autoptr (BxPairFeatures) features = NULL;
  g_autoptr (BxProtoBridge) bridge = NULL;
  g_autofree float *old_prep = NULL, *new_prep = NULL;
  double torch_rate = NAN, t0, t_features, t_steps = NAN, c_rate, amortised, amortised50;
  guint d_old, T;
  BxBridgeLayout layout;
  BxRng rng;
  float loss = 0.0f;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);
  for (guint i = 0; i < G_N_ELEMENTS (directions); i++)
    if (g_str_equal (direction, directions[i].name))
      d = &directions[i];
  if (d == NULL)
    g_error ("unknown direction %s", direction);
  if (dir == NULL)
    dir = g_build_filename (g_get_tmp_dir (), "bioxbridge-bench-training", NULL);

  printf ("bench-training: %s, batch %d, %d threads, %d timed steps\n", d->name, batch, threads, steps);
  if (!skip_torch)
    torch_rate = torch_steps_per_s (dir, d, steps, threads, batch);

  bx_nn_set_threads (threads);
  bx_rng_init (&rng, 1);
  old_model = load (d->old_family, dir, d->old_file, (guint) windows, &rng, &old_prep);
  new_model = load (d->new_family, dir, d->new_file, (guint) windows, &rng, &new_prep);
  head = bx_task_head_new ((guint) bx_model_feature_dim (old_model, bx_model_get_n_layers (old_model) - 1, FALSE), 2,
                           3);

  t0 = now ();
  features = bx_pair_features_compute (old_model, new_model, head, old_prep, new_prep, (guint) windows, (guint) batch,
                                       TRUE, NULL, &error);
  if (features == NULL)
    g_error ("%s", error->message);
  t_features = now () - t0;
  printf ("C cached feature pass: %d windows in %.2f s (%.3f s per window, both models, all layers)\n", windows,
          t_features, t_features / windows);

  bx_bridge_geometry (old_model, d->l, &d_old, &T, &layout);
  bridge = bx_proto_bridge_new (features->new_dim[d->m], d_old, d->r, d->P, T, layout, 0);
  /* Non-zero B so every GEMM of the backward does real work. */
  bx_rng_fill_normal (&rng, bridge->B, (gsize) d->P * T * d->r, 0.0f, 0.01f);
  printf ("bridge: d_new %u, d_old %u, T %u, r %u, P %u, %zu parameters\n", bridge->d_new, d_old, T, d->r, d->P,
          (size_t) bx_proto_bridge_n_params (bridge));

  /* The production loop (bx_bridge_train: batch gathering, persistent
   * buffers, Adam): one warm-up epoch over one batch, then `steps` timed
   * steps as whole epochs over the first steps·batch cached windows. */
  {
    BxBridgeTrainParams tp;
    guint n_timed = (guint) MIN (windows, steps * batch);

    bx_bridge_train_params_init (&tp);
    tp.batch_size = (guint) batch;
    tp.epochs = 1;
    tp.learning_rate = 1e-5f;
    if (!bx_bridge_train (old_model, d->l, bridge, features->new_pooled[d->m], features->targets, (guint) batch, &tp,
                          NULL, NULL, NULL, &error))
      g_error ("%s", error->message);
    steps = (int) ((n_timed + batch - 1) / batch);
    for (int call = 0; call <= repeat; call++)
      {
        StepClock clock = { 0, 0, g_array_new (FALSE, FALSE, sizeof (double)),
                            g_array_new (FALSE, FALSE, sizeof (double)) };
        g_autoptr (BxJob) job = bx_job_new (NULL, step_clock_tick, &clock);
        double t;

        bx_job_set_min_interval (job, 0.0);
        step_clock_start (&clock);
        t0 = clock.t_prev;
        if (!bx_bridge_train (old_model, d->l, bridge, features->new_pooled[d->m], features->targets, n_timed, &tp,
                              &loss, NULL, job, &error))
          g_error ("%s", error->message);
        t = now () - t0;
        if (call == 0)
          t_steps = t;
        else
          printf ("C bridge training call %d of %d more: %.3f steps/s\n", call, repeat, steps / t);
        print_steps (&clock);
        g_array_unref (clock.dt);
        g_array_unref (clock.dcpu);
      }
  }
  c_rate = steps / t_steps;
  /* One epoch over the N windows costs N/batch steps plus one feature pass. */
  amortised = ((double) windows / batch) / ((double) windows / batch / c_rate + t_features);
  printf ("C bridge step (cached): %.3f steps/s (%.3f s per step), loss %.4f\n", c_rate, 1.0 / c_rate, loss);
  printf ("C with the feature pass amortised over one epoch of %d windows: %.3f steps/s\n", windows, amortised);
  /* The features are computed once for the whole run; the spec trains 50
   * epochs (ISRUC), so that is what a real run amortises over. */
  amortised50 = (50.0 * windows / batch) / (50.0 * windows / batch / c_rate + t_features);
  printf ("C with the feature pass amortised over a 50-epoch run: %.3f steps/s\n", amortised50);
  if (!skip_torch)
    {
      printf ("PyTorch reference way: %.3f steps/s\n", torch_rate);
      printf ("ratio (cached steps): %.1fx   amortised over 1 epoch: %.1fx   over 50 epochs: %.1fx   (target >= 10x)\n",
              c_rate / torch_rate, amortised / torch_rate, amortised50 / torch_rate);
    }
  bench_search ((guint) search_windows);
  return 0;
}
