/* bench-models.c — forward throughput of the four foundation models at full
 * size, and input-gradient backward through LaBraM blocks 2–11 and
 * HuBERT-ECG layers 0–7, beside PyTorch on the same checkpoints and inputs in
 * the same run (tests/bench/models/torch_models.py writes them and times
 * torch first), with achieved GFLOP/s next to a plain sgemm peak.
 *
 * Usage: bench-models [--threads 2] [--batch 16] [--only labram,hubert-ecg,papagei,normwear]
 *                     [--python /usr/bin/python3] [--keep DIR]
 */
#include "config.h"

#include <cblas.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "io/bx-npy.h"
#include "models/bx-model.h"

static double
now (void)
{
  return (double) g_get_monotonic_time () / 1e6;
}

/* GEMM-dominated FLOPs of one forward sample, from the hook shapes: every
 * model here has MLP ratio 4. Stems: LaBraM's is negligible; HuBERT's conv
 * extractor and positional conv, NormWear's patch embed and PaPaGei's convs
 * are counted from the published configurations. */
static double
forward_gflop (BxModel *m, BxModelFamily f)
{
  gint64 s[6];
  int L = bx_model_get_n_layers (m);
  double fl = 0;

  if (f == BX_MODEL_FAMILY_PAPAGEI)
    {
      for (int i = 0; i < L; i++)
        {
          gint64 in[6], out[6];
          bx_model_layer_shape (m, i, TRUE, in);
          bx_model_layer_shape (m, i, FALSE, out);
          fl += 2.0 * out[0] * in[0] * 3 * out[1] + 2.0 * out[0] * out[0] * 3 * out[1];
        }
      bx_model_layer_shape (m, 0, TRUE, s);
      fl += 2.0 * s[0] * 3 * s[1];
      return fl / 1e9;
    }
  {
    int nd = bx_model_layer_shape (m, 0, TRUE, s);
    double D = (double) s[nd - 1], T = (double) s[nd - 2], seqs = nd == 3 ? (double) s[0] : 1.0;
    double F = 4 * D;
    fl = L * seqs * (2.0 * T * (4 * D * D + 2 * D * F) + 4.0 * T * T * D);
    if (f == BX_MODEL_FAMILY_NORMWEAR)
      fl += seqs * 2.0 * (T - 1) * D * 3 * 45 + (L + 1) / 2 * (2.0 * seqs * (4 * D * D + 2 * D * F));
    if (f == BX_MODEL_FAMILY_HUBERT_ECG)
      {
        /* 512-channel conv extractor on 6000 samples and k128/16-group pos conv */
        static const double len[5] = { 1498, 748, 373, 186, 93 }, k[5] = { 10, 3, 3, 2, 2 };
        for (int i = 0; i < 5; i++)
          fl += 2.0 * 512 * (i == 0 ? 1 : 512) * k[i] * len[i];
        fl += 2.0 * T * D * (D / 16) * 128 + 2.0 * T * 512 * D;
      }
  }
  return fl / 1e9;
}

static double
backward_gflop (BxModel *m, int from)
{
  gint64 s[6];
  int L = bx_model_get_n_layers (m), nd = bx_model_layer_shape (m, 0, TRUE, s);
  double D = (double) s[nd - 1], T = (double) s[nd - 2], F = 4 * D;
  double lin = 2.0 * T * (4 * D * D + 2 * D * F), att = 4.0 * T * T * D;

  return (L - from) * (lin + 2 * att) / 1e9; /* dX only: one GEMM per linear, two per attention product */
}

/* OpenBLAS on `threads` threads: bx_model_set_threads pins it to one (the
 * engine splits GEMMs itself), which had made this a one-thread peak beside
 * two-thread model figures. The engine's next GEMM pins it back. */
static double
sgemm_peak (int threads)
{
  const int n = 1024;
  float *a = g_new (float, (gsize) n * n), *b = g_new (float, (gsize) n * n), *c = g_new (float, (gsize) n * n);
  double best = 1e30;

  openblas_set_num_threads (threads);
  for (gsize i = 0; i < (gsize) n * n; i++)
    a[i] = b[i] = (float) ((i % 7) * 0.1);
  for (int r = 0; r < 5; r++)
    {
      double t0 = now ();
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
      best = MIN (best, now () - t0);
    }
  g_free (a);
  g_free (b);
  g_free (c);
  openblas_set_num_threads (1);
  return 2.0 * n * n * n / best / 1e9;
}

/* The PyTorch side runs as a server so torch and C runs alternate. */
typedef struct {
  GPid pid;
  FILE *to, *from;
} TorchServer;

static gboolean
torch_request (TorchServer *ts, const char *model, const char *what, double *a, double *b)
{
  char line[256];

  fprintf (ts->to, "%s %s\n", model, what);
  fflush (ts->to);
  if (fgets (line, sizeof line, ts->from) == NULL)
    return FALSE;
  return sscanf (line, "%lf %lf", a, b) >= 1;
}

typedef struct {
  const char *name;
  BxModelFamily family;
  int back_from; /* -1: no backward */
} Case;

int
main (int argc, char **argv)
{
  int threads = 2, batch = 16;
  g_autofree char *only = g_strdup ("labram,hubert-ecg,papagei,normwear");
  g_autofree char *python = g_strdup ("/usr/bin/python3");
  g_autofree char *keep = NULL;
  GOptionEntry entries[] = {
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Threads for both sides (default 2)", "N" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, "Batch size (default 16)", "N" },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only, "Comma-separated models", "LIST" },
    { "python", 0, 0, G_OPTION_ARG_FILENAME, &python, "Python with torch (default /usr/bin/python3)", "PATH" },
    { "keep", 0, 0, G_OPTION_ARG_FILENAME, &keep, "Use/keep checkpoints and inputs in DIR", "DIR" },
    { NULL },
  };
  static const Case cases[] = {
    { "labram", BX_MODEL_FAMILY_LABRAM, 2 },
    { "hubert-ecg", BX_MODEL_FAMILY_HUBERT_ECG, 0 },
    { "papagei", BX_MODEL_FAMILY_PAPAGEI, -1 },
    { "normwear", BX_MODEL_FAMILY_NORMWEAR, -1 },
  };
  g_autoptr (GOptionContext) octx = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *script = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *torch_json = NULL;
  JsonObject *tmodels;
  const char *root = g_getenv ("BIOX_SOURCE_ROOT") ? g_getenv ("BIOX_SOURCE_ROOT") : BIOX_BENCH_SOURCE_ROOT;
  double peak;
  TorchServer ts = { 0 };

  g_option_context_add_main_entries (octx, entries, NULL);
  if (!g_option_context_parse (octx, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  dir = keep ? g_strdup (keep) : g_dir_make_tmp ("bench-models-XXXXXX", NULL);
  script = g_build_filename (root, "tests", "bench", "models", "torch_models.py", NULL);
  {
    g_autofree char *t = g_strdup_printf ("%d", threads), *b = g_strdup_printf ("%d", batch);
    const char *pargv[] = { python, script, "--out", dir, "--threads", t, "--batch", b, "--only", only, NULL };
    int in_fd, out_fd;
    char line[64];
    printf ("PyTorch side: %s (checkpoints and inputs in %s)\n", script, dir);
    fflush (stdout);
    if (!g_spawn_async_with_pipes (NULL, (char **) pargv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &ts.pid,
                                   &in_fd, &out_fd, NULL, &error))
      {
        g_printerr ("PyTorch side failed: %s\n", error->message);
        return 1;
      }
    ts.to = fdopen (in_fd, "w");
    ts.from = fdopen (out_fd, "r");
    if (fgets (line, sizeof line, ts.from) == NULL || strncmp (line, "ready", 5) != 0)
      {
        g_printerr ("PyTorch side did not start\n");
        return 1;
      }
  }
  torch_json = g_build_filename (dir, "torch.json", NULL);
  if (!json_parser_load_from_file (parser, torch_json, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  tmodels = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "models");

  bx_model_set_threads (threads);
  peak = sgemm_peak (threads);
  printf ("threads %d, batch %d; sgemm 1024³ peak %.1f GFLOP/s (OpenBLAS, %d threads)\n\n", threads, batch, peak,
          threads);
  printf ("%-11s %-9s %12s %12s %8s %10s\n", "model", "pass", "C samples/s", "torch s/s", "C/torch", "C GFLOP/s");

  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      const Case *k = &cases[c];
      JsonObject *t;
      g_autoptr (BxModel) model = NULL;
      g_autoptr (BxModelContext) ctx = bx_model_context_new ();
      g_autoptr (BxTensor) x = NULL;
      g_autofree char *ckpt = NULL, *input = NULL;
      g_autofree float *raw = NULL, *prep = NULL, *out = NULL;
      gint64 ps[8];
      int pn, L, reps = 0;
      double best = 1e30, best_torch = 1e30, t_start, gf;
      BxModelLoadOptions opt = { 0 };

      if (!json_object_has_member (tmodels, k->name))
        continue;
      t = json_object_get_object_member (tmodels, k->name);
      ckpt = g_build_filename (dir, json_object_get_string_member (t, "checkpoint"), NULL);
      input = g_build_filename (dir, json_object_get_string_member (t, "input"), NULL);
      if (k->family == BX_MODEL_FAMILY_LABRAM)
        opt.labram_time_rows = 30;
      model = bx_model_load_with_options (k->family, ckpt, &opt, &error);
      x = model ? bx_npy_read (input, &error) : NULL;
      if (x == NULL)
        {
          g_printerr ("%s: %s\n", k->name, error->message);
          return 1;
        }
      raw = bx_tensor_to_float (x, NULL);
      prep = bx_model_prepare (model, raw, batch, (int) x->ndim - 1, x->shape + 1, &pn, ps, &error);
      if (prep == NULL || !bx_model_set_input_shape (model, pn, ps, &error))
        {
          g_printerr ("%s: %s\n", k->name, error->message);
          return 1;
        }
      L = bx_model_get_n_layers (model);
      out = g_new (float, (gsize) bx_model_layer_numel (model, L - 1, FALSE) * batch);
      /* alternate torch and C; best of each (NormWear: one of each, ~1 min per batch) */
      t_start = now ();
      while (reps < 3 || (now () - t_start < 20.0 && reps < 8))
        {
          double t0, tt = NAN, unused;
          if (!torch_request (&ts, k->name, "forward", &tt, &unused))
            return 1;
          best_torch = MIN (best_torch, tt);
          t0 = now ();
          bx_model_forward (model, ctx, batch, BX_MODEL_FROM_PREPARED, L, prep, out, NULL, FALSE, &error);
          best = MIN (best, now () - t0);
          reps++;
          if (k->family == BX_MODEL_FAMILY_NORMWEAR)
            break;
        }
      gf = forward_gflop (model, k->family) * batch;
      {
        double ts_ = best_torch;
        printf ("%-11s %-9s %12.2f %12.2f %7.2f× %10.1f\n", k->name, "forward", batch / best, batch / ts_,
                ts_ / best, gf / best);
        fflush (stdout);
      }
      if (k->back_from >= 0)
        {
          gsize n_in = (gsize) bx_model_layer_numel (model, k->back_from, TRUE) * batch;
          gsize n_out = (gsize) bx_model_layer_numel (model, L - 1, FALSE) * batch;
          g_autofree float *h = g_new (float, n_in), *seed = g_new (float, n_out), *dh = g_new (float, n_in);
          double tf = 1e30, tb = 1e30, tft = 1e30, tbt = 1e30;
          bx_model_forward (model, ctx, batch, BX_MODEL_FROM_PREPARED, k->back_from, prep, h, NULL, FALSE, &error);
          bx_model_test_grad_seed (seed, n_out);
          for (int r = 0; r < 5; r++)
            {
              double t0, t1, a = NAN, b = NAN;
              if (!torch_request (&ts, k->name, "train", &a, &b))
                return 1;
              if (r > 0)
                {
                  tft = MIN (tft, a);
                  tbt = MIN (tbt, b);
                }
              t0 = now ();
              bx_model_forward (model, ctx, batch, k->back_from, L, h, NULL, NULL, TRUE, &error);
              t1 = now ();
              bx_model_backward (model, ctx, seed, dh, &error);
              if (r > 0) /* first = warm-up of the arena */
                {
                  tf = MIN (tf, t1 - t0);
                  tb = MIN (tb, now () - t1);
                }
            }
          gf = backward_gflop (model, k->back_from) * batch;
          printf ("%-11s %-9s %12.2f %12.2f %7.2f×  (layers %d–%d, forward with saving)\n", k->name, "fwd-train",
                  batch / tf, batch / tft, tft / tf, k->back_from, L - 1);
          printf ("%-11s %-9s %12.2f %12.2f %7.2f× %10.1f\n", k->name, "backward", batch / tb, batch / tbt, tbt / tb,
                  gf / tb);
          printf ("%-11s %-9s %12.2f %12.2f %7.2f×\n", k->name, "fwd+bwd", batch / (tf + tb), batch / (tft + tbt),
                  (tft + tbt) / (tf + tb));
          fflush (stdout);
        }
      g_printerr ("%s: context high water %.0f MB\n", k->name, bx_model_context_high_water (ctx) / 1e6);
    }
  fclose (ts.to); /* EOF ends the server */
  fclose (ts.from);
  g_spawn_close_pid (ts.pid);
  if (keep == NULL)
    {
      g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
      const char *name;
      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *p = g_build_filename (dir, name, NULL);
          g_remove (p);
        }
      g_rmdir (dir);
    }
  return 0;
}
