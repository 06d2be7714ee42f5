/* cmd-model.c — `bioxbridge-cli model`: inspect a foundation-model checkpoint
 * or run a model on a batch of .npy input, dumping every hook layer.
 *
 *   model info CHECKPOINT [--family F] [--json]
 *   model run --model labram|hubert-ecg|papagei|normwear --checkpoint FILE
 *             --input X.npy [--prepared] --dump-dir DIR [--batch-size N] [--threads N] [--heads N]
 *
 * `run` contract (README "Foundation models"): X holds a batch of raw model
 * inputs exactly as the spec's data files hold them, first axis = batch
 * (LaBraM (B, channels, seconds·200) µV; HuBERT-ECG (B, 1, L); PaPaGei
 * (B, 1, L); NormWear (B, channels, 3, 388, 65) CWT); --prepared means X is
 * already the model input (after LaBraM's ÷100 + reshape). DIR receives
 * layer_NN.npy = output of hook module NN ((B, per-sample hook shape),
 * float32) and pooled_last.npy = (B, feature) mean of the last hook output
 * over every other axis (the linear probe's input).
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bx-cli-util.h"
#include "io/bx-npy.h"
#include "models/bx-model.h"

int bx_cmd_model (int argc, char **argv);

static void
add_strv (JsonBuilder *b, const char *name, const char *const *v)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (; *v != NULL; v++)
    json_builder_add_string_value (b, *v);
  json_builder_end_array (b);
}

static guint
strv_len (const char *const *v)
{
  guint n = 0;

  while (v[n] != NULL)
    n++;
  return n;
}

static void
print_list (const char *title, const char *const *v, guint max)
{
  guint n = strv_len (v);

  printf ("%s (%u)%s", title, n, n ? ":" : "\n");
  for (guint i = 0; i < n && i < max; i++)
    printf ("%s%s", i ? ", " : " ", v[i]);
  if (n > max)
    printf (", … (%u more)", n - max);
  if (n)
    printf ("\n");
}

static int
model_info (int argc, char **argv)
{
  g_autofree char *family_name = NULL;
  gboolean json = FALSE;
  int heads = 0;
  GOptionEntry entries[] = {
    { "family", 'f', 0, G_OPTION_ARG_STRING, &family_name, "Expected family (default: detect)", "NAME" },
    { "heads", 0, 0, G_OPTION_ARG_INT, &heads, "Attention heads where shapes do not tell (default hidden/64)", "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("CHECKPOINT");
  g_autoptr (GError) error = NULL;
  g_autoptr (BxModel) model = NULL;
  BxModelFamily family = BX_MODEL_FAMILY_AUTO;
  BxModelLoadOptions opt = { 0 };

  g_option_context_set_summary (context, "Detected family and configuration, parameter count, keys loaded / "
                                         "ignored / missing of a foundation-model checkpoint.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!bx_cli_parse (context, &argc, &argv))
    return BX_EXIT_USAGE;
  if (argc != 2)
    return bx_cli_fail (BX_EXIT_USAGE, "model info takes one CHECKPOINT");
  if (family_name != NULL && !bx_model_family_from_name (family_name, &family))
    return bx_cli_fail (BX_EXIT_USAGE, "unknown family '%s' (labram, hubert-ecg, papagei, normwear)", family_name);
  opt.num_heads = heads;
  model = bx_model_load_with_options (family, argv[1], &opt, &error);
  if (model == NULL)
    return bx_cli_fail_error (error, TRUE);

  if (json)
    {
      g_autoptr (JsonBuilder) b = json_builder_new ();
      g_autoptr (JsonGenerator) gen = json_generator_new ();
      g_autofree char *cfg = g_strdup_printf ("{%s}", bx_model_get_config_json (model));
      g_autoptr (JsonNode) cfg_node = json_from_string (cfg, NULL);
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "checkpoint");
      json_builder_add_string_value (b, argv[1]);
      json_builder_set_member_name (b, "family");
      json_builder_add_string_value (b, bx_model_family_name (bx_model_get_family (model)));
      json_builder_set_member_name (b, "description");
      json_builder_add_string_value (b, bx_model_get_config (model));
      json_builder_set_member_name (b, "config");
      json_builder_add_value (b, cfg_node ? json_node_copy (cfg_node) : json_node_new (JSON_NODE_NULL));
      json_builder_set_member_name (b, "layout");
      json_builder_add_string_value (b, bx_model_get_layout (model));
      json_builder_set_member_name (b, "hook_layers");
      json_builder_add_int_value (b, bx_model_get_n_layers (model));
      json_builder_set_member_name (b, "parameters");
      json_builder_add_int_value (b, (gint64) bx_model_get_n_params (model));
      json_builder_set_member_name (b, "file_elements");
      json_builder_add_int_value (b, (gint64) bx_model_get_n_file_params (model));
      add_strv (b, "loaded", bx_model_get_loaded_keys (model));
      add_strv (b, "ignored", bx_model_get_ignored_keys (model));
      add_strv (b, "random_init", bx_model_get_random_keys (model));
      add_strv (b, "warnings", bx_model_get_warnings (model));
      add_strv (b, "notes", bx_model_get_notes (model));
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      json_generator_set_pretty (gen, TRUE);
      text = json_generator_to_data (gen, NULL);
      printf ("%s\n", text);
      return BX_EXIT_OK;
    }

  printf ("checkpoint: %s\n", argv[1]);
  printf ("family: %s\n", bx_model_family_name (bx_model_get_family (model)));
  printf ("configuration: %s\n", bx_model_get_config (model));
  printf ("layout: %s\n", bx_model_get_layout (model));
  printf ("hook layers: %d\n", bx_model_get_n_layers (model));
  printf ("parameters used: %" G_GUINT64_FORMAT " (file holds %" G_GUINT64_FORMAT " elements)\n",
          bx_model_get_n_params (model), bx_model_get_n_file_params (model));
  print_list ("keys loaded", bx_model_get_loaded_keys (model), 8);
  print_list ("keys ignored", bx_model_get_ignored_keys (model), 40);
  print_list ("keys missing (random init)", bx_model_get_random_keys (model), 40);
  for (const char *const *w = bx_model_get_warnings (model); *w != NULL; w++)
    printf ("warning: %s\n", *w);
  for (const char *const *n = bx_model_get_notes (model); *n != NULL; n++)
    printf ("note: %s\n", *n);
  return BX_EXIT_OK;
}

static gboolean
write_npy (const char *dir, const char *name, int batch, int ndim, const gint64 *shape, const float *data,
           GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  gint64 full[8];

  full[0] = batch;
  for (int i = 0; i < ndim; i++)
    full[i + 1] = shape[i];
  return bx_npy_write_float (path, (guint) ndim + 1, full, data, error);
}

static int
model_run (int argc, char **argv)
{
  g_autofree char *family_name = NULL, *checkpoint = NULL, *input = NULL, *dump_dir = NULL;
  gboolean prepared = FALSE;
  int batch_size = 16, threads = 0, heads = 0;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING, &family_name, "labram, hubert-ecg, papagei or normwear", "NAME" },
    { "checkpoint", 'c', 0, G_OPTION_ARG_FILENAME, &checkpoint, "Checkpoint file", "FILE" },
    { "input", 'i', 0, G_OPTION_ARG_FILENAME, &input, "Batch of raw inputs (.npy, first axis = batch)", "X.npy" },
    { "prepared", 0, 0, G_OPTION_ARG_NONE, &prepared, "The input is already prepared (skip ÷100/reshape etc.)",
      NULL },
    { "dump-dir", 'o', 0, G_OPTION_ARG_FILENAME, &dump_dir, "Where layer_NN.npy and pooled_last.npy go", "DIR" },
    { "batch-size", 'b', 0, G_OPTION_ARG_INT, &batch_size, "Samples per forward (default 16)", "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, "Threads (default: all cores)", "N" },
    { "heads", 0, 0, G_OPTION_ARG_INT, &heads, "Attention heads where shapes do not tell (default hidden/64)", "N" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (BxModel) model = NULL;
  g_autoptr (BxTensor) x = NULL;
  g_autoptr (BxModelContext) ctx = NULL;
  g_autofree float *raw = NULL, *prep = NULL, *pooled = NULL;
  float **layers = NULL;
  BxModelFamily family;
  BxModelLoadOptions opt = { 0 };
  gint64 prep_shape[8];
  int prep_ndim, batch, L, F, rc = BX_EXIT_OK;
  gsize per_sample_in;

  g_option_context_set_summary (context, "Runs a foundation model on a batch and writes layer_NN.npy (output of "
                                         "hook module NN) and pooled_last.npy (the linear probe's feature).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!bx_cli_parse (context, &argc, &argv))
    return BX_EXIT_USAGE;
  if (argc != 1 || family_name == NULL || checkpoint == NULL || input == NULL || dump_dir == NULL)
    return bx_cli_fail (BX_EXIT_USAGE, "model run needs --model, --checkpoint, --input and --dump-dir");
  if (!bx_model_family_from_name (family_name, &family) || family == BX_MODEL_FAMILY_AUTO)
    return bx_cli_fail (BX_EXIT_USAGE, "unknown model '%s' (labram, hubert-ecg, papagei, normwear)", family_name);
  if (batch_size < 1)
    return bx_cli_fail (BX_EXIT_USAGE, "--batch-size must be ≥ 1");
  bx_cli_set_threads (threads);
  bx_model_set_threads (threads > 0 ? threads : (int) g_get_num_processors ());

  x = bx_npy_read (input, &error);
  if (x == NULL)
    return bx_cli_fail_error (error, TRUE);
  if (x->ndim < 2)
    return bx_cli_fail (BX_EXIT_BAD_INPUT, "%s: expected a batch (first axis) of inputs, got %u dims", input,
                        x->ndim);
  raw = bx_tensor_to_float (x, NULL);
  batch = (int) x->shape[0];
  for (gsize i = 0; i < x->numel; i++)
    if (!isfinite (raw[i]))
      return bx_cli_fail (BX_EXIT_BAD_INPUT, "%s: element %zu is not finite", input, i);

  /* LaBraM builds its time_embed for the input's seconds (spec §1.6-4) */
  if (family == BX_MODEL_FAMILY_LABRAM && x->ndim >= 3)
    opt.labram_time_rows = (int) (prepared ? x->shape[2] : x->shape[2] / 200);
  opt.num_heads = heads;
  model = bx_model_load_with_options (family, checkpoint, &opt, &error);
  if (model == NULL)
    return bx_cli_fail_error (error, TRUE);
  for (const char *const *w = bx_model_get_warnings (model); *w != NULL; w++)
    g_printerr ("bioxbridge-cli: warning: %s\n", *w);

  if (prepared)
    {
      prep_ndim = (int) x->ndim - 1;
      for (int i = 0; i < prep_ndim; i++)
        prep_shape[i] = x->shape[i + 1];
      prep = g_steal_pointer (&raw);
    }
  else
    {
      prep = bx_model_prepare (model, raw, batch, (int) x->ndim - 1, x->shape + 1, &prep_ndim, prep_shape, &error);
      if (prep == NULL)
        return bx_cli_fail (BX_EXIT_BAD_INPUT, "%s: %s", input, error->message);
    }
  if (!bx_model_set_input_shape (model, prep_ndim, prep_shape, &error))
    return bx_cli_fail (BX_EXIT_BAD_INPUT, "%s: %s", input, error->message);
  if (g_mkdir_with_parents (dump_dir, 0755) != 0)
    return bx_cli_fail (BX_EXIT_FAILURE, "cannot create %s: %s", dump_dir, g_strerror (errno));

  L = bx_model_get_n_layers (model);
  F = bx_model_feature_dim (model, L - 1, FALSE);
  per_sample_in = (gsize) bx_model_layer_numel (model, -1, TRUE);
  layers = g_new0 (float *, L);
  for (int i = 0; i < L; i++)
    layers[i] = g_try_new (float, (gsize) bx_model_layer_numel (model, i, FALSE) * batch);
  for (int i = 0; i < L; i++)
    if (layers[i] == NULL)
      {
        rc = bx_cli_fail (BX_EXIT_FAILURE, "not enough memory for %d × layer %d activations", batch, i);
        goto out;
      }
  ctx = bx_model_context_new ();
  for (int b0 = 0; b0 < batch; b0 += batch_size)
    {
      int nb = MIN (batch_size, batch - b0);
      float *caps[64];
      for (int i = 0; i < L && i < 64; i++)
        caps[i] = layers[i] + (gsize) bx_model_layer_numel (model, i, FALSE) * b0;
      if (!bx_model_forward (model, ctx, nb, BX_MODEL_FROM_PREPARED, L, prep + per_sample_in * b0, NULL, caps, FALSE,
                             &error))
        {
          rc = bx_cli_fail_error (error, FALSE);
          goto out;
        }
    }
  for (int i = 0; i < L; i++)
    {
      gint64 shape[8];
      int nd = bx_model_layer_shape (model, i, FALSE, shape);
      g_autofree char *name = g_strdup_printf ("layer_%02d.npy", i);
      if (!write_npy (dump_dir, name, batch, nd, shape, layers[i], &error))
        {
          rc = bx_cli_fail_error (error, FALSE);
          goto out;
        }
    }
  pooled = g_new (float, (gsize) F * batch);
  bx_model_pool (model, L - 1, FALSE, layers[L - 1], batch, pooled, NULL);
  {
    gint64 fshape[1] = { F };
    if (!write_npy (dump_dir, "pooled_last.npy", batch, 1, fshape, pooled, &error))
      rc = bx_cli_fail_error (error, FALSE);
  }
  if (rc == BX_EXIT_OK)
    printf ("%s: %d samples, %d hook layers written to %s\n", bx_model_family_name (family), batch, L, dump_dir);
out:
  for (int i = 0; i < L; i++)
    g_free (layers[i]);
  g_free (layers);
  return rc;
}

int
bx_cmd_model (int argc, char **argv)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      FILE *out = argc < 2 ? stderr : stdout;
      fprintf (out, "Usage: bioxbridge-cli model info CHECKPOINT [--family F] [--json]\n"
                    "       bioxbridge-cli model run --model labram|hubert-ecg|papagei|normwear --checkpoint FILE\n"
                    "                                --input X.npy [--prepared] --dump-dir DIR [--batch-size N]\n"
                    "                                [--threads N]\n");
      return argc < 2 ? BX_EXIT_USAGE : BX_EXIT_OK;
    }
  if (strcmp (argv[1], "info") == 0)
    return model_info (argc - 1, argv + 1);
  if (strcmp (argv[1], "run") == 0)
    return model_run (argc - 1, argv + 1);
  return bx_cli_fail (BX_EXIT_USAGE, "unknown 'model' action '%s' (info, run)", argv[1]);
}
