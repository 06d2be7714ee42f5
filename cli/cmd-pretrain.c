/* cmd-pretrain.c — `bioxbridge-cli pretrain`: self-supervised pretraining of
 * a compact encoder (core/models/bx-compact.h) on recordings and synthetic
 * nights, by masked-patch sample reconstruction (--objective samples) or
 * per-patch log band-power prediction (--objective spectrum). Every epoch writes a resumable checkpoint
 * (<output>.ckpt, atomically); the end writes the encoder alone to -o. */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "bx-cli-util.h"
#include "models/bx-compact.h"

int bx_cmd_pretrain (int argc, char **argv);

int
bx_cmd_pretrain (int argc, char **argv)
{
  g_autofree char *modality = NULL, *output = NULL, *resume = NULL, *objective = NULL, *objective_text = NULL;
  g_auto (GStrv) data = NULL, exclude = NULL;
  int epochs = 10, steps = 50, batch = 16, channels = 0, seconds = 0, threads = 1, warmup = 200;
  double lr = 5e-4, wd = 0.05, mask_ratio = 0.5, synth_hours = 1.0, target_s = 2.0;
  int bands = 16;
  BxCompactObjective obj = { .kind = BX_COMPACT_OBJECTIVE_SAMPLES };
  gint64 seed = 1;
  gboolean quiet = FALSE;
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) signals = g_ptr_array_new_with_free_func ((GDestroyNotify)bx_compact_signal_free);
  g_autoptr (GString) log = g_string_new (NULL);
  g_autoptr (BxModel) model = NULL;
  g_autoptr (BxCompactTrainer) trainer = NULL;
  g_autoptr (GRand) rand = NULL;
  g_autofree float *win = NULL, *eval = NULL;
  g_autofree char *ckpt = NULL;
  BxCompactConfig cfg;
  int n_samples, eval_batch = 64, first_epoch = 0;
  double total_s = 0.0, total_samples = 0.0;
  gint64 t_start = g_get_monotonic_time ();
  float eval_loss = NAN;

  {
    GOptionEntry entries[] = {
      { "modality", 'm', 0, G_OPTION_ARG_STRING, &modality, "eeg, ecg, ppg or emg", "M" },
      { "data", 'd', 0, G_OPTION_ARG_FILENAME_ARRAY, &data,
        "Recording, directory (recursive: .edf .bdf .csv) or manifest; repeatable", "PATH" },
      { "exclude", 0, 0, G_OPTION_ARG_STRING_ARRAY, &exclude,
        "Skip files whose name matches GLOB; repeatable", "GLOB" },
      { "synthetic-hours", 0, 0, G_OPTION_ARG_DOUBLE, &synth_hours,
        "Hours of synthetic night added (default 1, 0 = none)", "H" },
      { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Encoder file to write (.safetensors)", "FILE" },
      { "resume", 0, 0, G_OPTION_ARG_FILENAME, &resume, "Continue from a checkpoint (<output>.ckpt)",
        "FILE" },
      { "epochs", 0, 0, G_OPTION_ARG_INT, &epochs, "Epochs (default 10)", "N" },
      { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "Steps per epoch (default 50)", "N" },
      { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Windows per step (default 16)", "N" },
      { "channels", 0, 0, G_OPTION_ARG_INT, &channels, "Channels per window (default EEG 4, else 1)", "N" },
      { "seconds", 0, 0, G_OPTION_ARG_INT, &seconds, "Window length (default EEG 4, else 10)", "S" },
      { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, "AdamW learning rate (default 5e-4)", "LR" },
      { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, "Linear learning-rate warm-up steps (default 200)", "N" },
      { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &wd, "AdamW weight decay (default 0.05)", "WD" },
      { "mask-ratio", 0, 0, G_OPTION_ARG_DOUBLE, &mask_ratio,
        "Fraction of patches masked (default 0.5; spectrum allows 0)", "R" },
      { "objective", 0, 0, G_OPTION_ARG_STRING, &objective,
        "samples (masked-patch reconstruction, default) or spectrum (log band powers of every patch)",
        "OBJ" },
      { "target-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &target_s,
        "spectrum: periodogram length centred on each patch (default 2)", "S" },
      { "bands", 0, 0, G_OPTION_ARG_INT, &bands, "spectrum: log-spaced bands 0.5 Hz-Nyquist (default 16)",
        "N" },
      { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "Seed of init, masks and windows (default 1)", "S" },
      { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Engine threads (default 1)", "T" },
      { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Only errors", NULL },
      { NULL }
    };
    context = g_option_context_new ("— masked-patch pretraining of a compact encoder");
    g_option_context_add_main_entries (context, entries, NULL);
    if (!bx_cli_parse (context, &argc, &argv))
      return BX_EXIT_USAGE;
  }
  if (argc > 1)
    return bx_cli_fail (BX_EXIT_USAGE, "pretrain: unexpected argument '%s'", argv[1]);
  if (modality == NULL || !bx_compact_config_default (modality, &cfg))
    return bx_cli_fail (BX_EXIT_USAGE, "pretrain: --modality must be eeg, ecg, ppg or emg (got %s)",
                        modality ? modality : "nothing");
  if (output == NULL)
    return bx_cli_fail (BX_EXIT_USAGE, "pretrain: an output file is required (-o model.safetensors)");
  if (objective == NULL || g_strcmp0 (objective, "samples") == 0)
    obj.kind = BX_COMPACT_OBJECTIVE_SAMPLES;
  else if (g_strcmp0 (objective, "spectrum") == 0)
    {
      obj.kind = BX_COMPACT_OBJECTIVE_SPECTRUM;
      obj.target_seconds = target_s;
      obj.n_bands = bands;
    }
  else
    return bx_cli_fail (BX_EXIT_USAGE, "pretrain: --objective must be samples or spectrum (got %s)",
                        objective);
  objective_text = bx_compact_objective_describe (&obj);
  /* only the spectral objective has a target for unmasked patches */
  if (mask_ratio <= 0.0 && obj.kind == BX_COMPACT_OBJECTIVE_SAMPLES)
    return bx_cli_fail (BX_EXIT_USAGE, "pretrain: --mask-ratio must be > 0 with --objective samples");
  if (epochs < 1 || steps < 1 || batch < 1 || warmup < 1 || mask_ratio < 0.0 || mask_ratio >= 1.0 || lr <= 0.0
      || seed < 0 || synth_hours < 0.0)
    return bx_cli_fail (BX_EXIT_USAGE, "pretrain: need --epochs, --steps, --batch, --warmup ≥ 1, 0 ≤ "
                                       "--mask-ratio < 1, --lr > 0, --seed ≥ 0, "
                                       "--synthetic-hours ≥ 0");
  if (channels == 0)
    channels = g_strcmp0 (cfg.modality, "eeg") == 0 ? 4 : 1;
  if (seconds == 0)
    seconds = g_strcmp0 (cfg.modality, "eeg") == 0 ? 4 : 10;
  n_samples = seconds * cfg.rate;
  if (channels < 1 || channels > cfg.max_channels || n_samples % cfg.patch != 0
      || n_samples / cfg.patch > cfg.max_patches)
    return bx_cli_fail (BX_EXIT_USAGE,
                        "pretrain: %d channels × %d s does not fit (≤ %d channels, ≤ %d patches of %d)",
                        channels, seconds, cfg.max_channels, cfg.max_patches, cfg.patch);
  bx_cli_set_threads (threads);

  for (int i = 0; data != NULL && data[i] != NULL; i++)
    if (!bx_compact_collect (data[i], cfg.modality, cfg.rate, (const char *const *)exclude, signals, log,
                             &error))
      return bx_cli_fail_error (error, TRUE);
  if (synth_hours > 0.0)
    {
      BxCompactSignal *s
          = bx_compact_signal_synthetic (cfg.modality, cfg.rate, synth_hours, (guint64)seed, &error);
      if (s == NULL)
        return bx_cli_fail_error (error, FALSE);
      g_string_append_printf (log, "%s: %d channel(s), %.0f s\n", s->source, s->n_channels,
                              (double)s->n / cfg.rate);
      g_ptr_array_add (signals, s);
    }
  for (guint i = 0; i < signals->len; i++)
    {
      const BxCompactSignal *s = signals->pdata[i];
      if (s->n >= (gsize)n_samples)
        total_samples += (double)s->n;
    }
  if (!quiet)
    fputs (log->str, stdout);
  if (total_samples == 0.0)
    return bx_cli_fail (BX_EXIT_BAD_INPUT, "pretrain: no %s signal of at least %d s in the data",
                        cfg.modality, seconds);
  if (!quiet)
    printf ("data: %u recording(s), %.1f h of %s at %d Hz\n", signals->len, total_samples / cfg.rate / 3600.0,
            cfg.modality, cfg.rate);

  if (resume != NULL)
    {
      model = bx_model_load (BX_MODEL_FAMILY_COMPACT, resume, &error);
      if (model == NULL)
        return bx_cli_fail_error (error, TRUE);
      {
        BxCompactConfig rc;
        bx_compact_model_get_config (model, &rc);
        if (g_strcmp0 (rc.modality, cfg.modality) != 0)
          return bx_cli_fail (BX_EXIT_BAD_INPUT, "pretrain: %s is a %s model, not %s", resume, rc.modality,
                              cfg.modality);
        cfg = rc;
      }
      trainer = bx_compact_trainer_new_objective (model, (guint64)seed, &obj, &error);
      if (trainer == NULL)
        return bx_cli_fail_error (error, FALSE);
      if (!bx_compact_trainer_resume (trainer, resume, &error))
        return bx_cli_fail_error (error, TRUE);
      first_epoch = (int)(bx_compact_trainer_get_step (trainer) / steps);
      if (!quiet)
        printf ("resumed %s at step %" G_GINT64_FORMAT " (epoch %d)\n", resume,
                bx_compact_trainer_get_step (trainer), first_epoch);
    }
  else
    {
      model = bx_compact_model_new (&cfg, (guint64)seed, &error);
      if (model == NULL)
        return bx_cli_fail_error (error, FALSE);
      trainer = bx_compact_trainer_new_objective (model, (guint64)seed, &obj, &error);
      if (trainer == NULL)
        return bx_cli_fail_error (error, FALSE);
    }
  if (!quiet)
    printf ("model: %s, %" G_GUINT64_FORMAT " parameters\n", bx_model_get_config (model),
            bx_model_get_n_params (model));

  /* a fixed evaluation set of windows (its own seed), the same every epoch and across resumes */
  eval = g_new (float, (gsize)eval_batch *channels *n_samples);
  rand = g_rand_new_with_seed ((guint32)(seed ^ 0x5eed));
  bx_compact_sample_windows (signals, rand, eval_batch, channels, n_samples, eval);
  g_rand_free (g_steal_pointer (&rand));
  /* the window stream depends only on the seed and the step, so a resume continues it */
  win = g_new (float, (gsize)batch *channels *n_samples);
  ckpt = g_strconcat (output, ".ckpt", NULL);
  for (int epoch = first_epoch; epoch < epochs; epoch++)
    {
      double sum = 0.0;
      gint64 t0 = g_get_monotonic_time ();
      for (int s = 0; s < steps; s++)
        {
          gint64 step = bx_compact_trainer_get_step (trainer);
          float loss;
          rand = g_rand_new_with_seed ((guint32)((guint64)seed * 1000003u + (guint64)step));
          bx_compact_sample_windows (signals, rand, batch, channels, n_samples, win);
          g_rand_free (g_steal_pointer (&rand));
          /* linear warm-up over the first `warmup` steps, then constant */
          double lr_t = lr * MIN (1.0, (double)(step + 1) / warmup);
          loss = bx_compact_pretrain_step (trainer, batch, channels, n_samples, win, mask_ratio, (float)lr_t,
                                           (float)wd, TRUE, &error);
          if (isnan (loss))
            return bx_cli_fail_error (error, FALSE);
          sum += loss;
        }
      eval_loss
          = bx_compact_pretrain_eval (trainer, eval_batch, channels, n_samples, eval, mask_ratio, 7, &error);
      total_s += (double)(g_get_monotonic_time () - t0) / 1e6;
      {
        g_autofree char *ep = g_strdup_printf ("%d", epoch + 1);
        g_autofree char *el = g_strdup_printf ("%.6f", eval_loss);
        const char *meta[] = { "epoch", ep, "eval_loss", el, "objective", objective_text, NULL };
        if (!bx_compact_save (model, trainer, TRUE, ckpt, meta, &error))
          return bx_cli_fail_error (error, FALSE);
      }
      if (!quiet)
        printf ("epoch %d/%d: train loss %.4f, eval loss %.4f (fixed %d windows), %.1f s\n", epoch + 1,
                epochs, sum / steps, eval_loss, eval_batch, (double)(g_get_monotonic_time () - t0) / 1e6);
      fflush (stdout);
    }
  {
    g_autofree char *ep = g_strdup_printf ("%d", epochs);
    g_autofree char *el = g_strdup_printf ("%.6f", eval_loss);
    g_autofree char *win_s = g_strdup_printf ("%d x %d s", channels, seconds);
    g_autofree char *st = g_strdup_printf ("%" G_GINT64_FORMAT, bx_compact_trainer_get_step (trainer));
    g_autofree char *mr = g_strdup_printf ("%g", mask_ratio);
    const char *meta[]
        = { "epochs", ep,          "eval_loss",    el,           "window", win_s, "pretrain_steps",
            st,       "objective", objective_text, "mask_ratio", mr,       NULL };
    if (!bx_compact_save (model, trainer, FALSE, output, meta, &error))
      return bx_cli_fail_error (error, FALSE);
  }
  if (!quiet)
    printf ("wrote %s (checkpoint %s); %.1f s training, %.1f s total\n", output, ckpt, total_s,
            (double)(g_get_monotonic_time () - t_start) / 1e6);
  return BX_EXIT_OK;
}
