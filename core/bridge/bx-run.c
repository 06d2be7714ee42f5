/* bx-run.c — pipeline stages over one shared state (see bx-run.h). */
#include "bridge/bx-run.h"

#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bridge/bx-bridge-train.h"
#include "bridge/bx-feature-cache.h"
#include "bridge/bx-windows.h"
#include "io/bx-checkpoint.h"
#include "io/bx-npy.h"
#include "io/bx-safetensors.h"
#include "models/bx-compact.h"
#include "recording/bx-labels-io.h"
#include "recording/bx-recording.h"

/* clang-format off */
G_DEFINE_QUARK (bx-run-error-quark, bx_run_error)
/* clang-format on */

#define FORWARD_BATCH_DEFAULT 16

typedef struct
{
  BxModel *model;
  char *family; /* resolved family name */
  char *path;
  char *sha256;
  int prep_ndim; /* prepared per-sample shape, 0 while unset */
  gint64 prep_shape[8];
} RunModel;

struct _BxRun
{
  const BxRunOptions *opt;
  BxJob *job;
  RunModel old_m, new_m;
  BxTaskHead *head;
  GStrv class_names;
  BxPairFeatures *features;
  gboolean cache_hit;
  BxPositionSearch *search;
  BxBridgeFile *bridge;
  int m, l;
  int *pred_labels;
  float *pred_conf;
  double *pred_onsets;   /* seconds from the recording start */
  double pred_step;      /* seconds between window onsets */
  GDateTime *pred_start; /* recording start (EDF+ output), or NULL */
  int *test_labels;      /* from windows cut out of recordings, or NULL */
  guint n_pred;
  BxManifest *manifest;
  gboolean from_windows; /* inputs came from recordings */
  float *pair_old_prep;  /* prepared old-modality pair windows (randreal_P) */
  guint n_pair;
  BxMetrics *metrics;
  BxMetrics *oracle_metrics;
  JsonObject *summary;
};

void
bx_run_options_init (BxRunOptions *opt)
{
  memset (opt, 0, sizeof *opt);
  opt->threads = 0;
  opt->seed = 0;
  opt->head_epochs = 50;
  opt->head_lr = 5e-4;
  opt->batch_forward = FORWARD_BATCH_DEFAULT;
  opt->input_layer = -1;
  opt->output_layer = -1;
  opt->rank = 32;
  opt->prototypes = 64;
  opt->epochs = 50;
  opt->batch = 16;
  opt->lr = 1e-5;
}

void
bx_run_options_clear (BxRunOptions *opt)
{
  char **strings[] = {
    &opt->old_family,   &opt->old_checkpoint, &opt->new_family,     &opt->new_checkpoint, &opt->old_npy,
    &opt->new_npy,      &opt->labels,         &opt->train_old_npy,  &opt->train_labels,   &opt->pair_old_npy,
    &opt->pair_new_npy, &opt->test_new_npy,   &opt->test_labels,    &opt->classes,        &opt->head_in,
    &opt->head_out,     &opt->cache_dir,      &opt->prototype_init, &opt->init_bridge,    &opt->output,
    &opt->bridge,       &opt->manifest,       &opt->stage_set,      &opt->train_new_npy,
  };
  for (gsize i = 0; i < G_N_ELEMENTS (strings); i++)
    g_clear_pointer (strings[i], g_free);
}

BxRun *
bx_run_new (const BxRunOptions *options, BxJob *job)
{
  BxRun *run = g_new0 (BxRun, 1);

  run->opt = options;
  run->job = job;
  run->m = options->input_layer;
  run->l = options->output_layer;
  run->summary = json_object_new ();
  return run;
}

void
bx_run_set_job (BxRun *run, BxJob *job)
{
  run->job = job;
}

static void
run_model_clear (RunModel *rm)
{
  g_clear_pointer (&rm->model, bx_model_free);
  g_clear_pointer (&rm->family, g_free);
  g_clear_pointer (&rm->path, g_free);
  g_clear_pointer (&rm->sha256, g_free);
}

void
bx_run_free (BxRun *run)
{
  if (run == NULL)
    return;
  run_model_clear (&run->old_m);
  run_model_clear (&run->new_m);
  bx_task_head_free (run->head);
  g_strfreev (run->class_names);
  bx_pair_features_free (run->features);
  bx_position_search_free (run->search);
  bx_bridge_file_free (run->bridge);
  g_free (run->pred_labels);
  g_free (run->pred_conf);
  g_free (run->pred_onsets);
  g_free (run->test_labels);
  g_clear_pointer (&run->pred_start, g_date_time_unref);
  bx_manifest_free (run->manifest);
  g_free (run->pair_old_prep);
  bx_metrics_free (run->metrics);
  bx_metrics_free (run->oracle_metrics);
  json_object_unref (run->summary);
  g_free (run);
}

const BxPairFeatures *
bx_run_get_features (const BxRun *run)
{
  return run->features;
}

const BxPositionSearch *
bx_run_get_search (const BxRun *run)
{
  return run->search;
}

const BxMetrics *
bx_run_get_metrics (const BxRun *run)
{
  return run->metrics;
}

void
bx_run_get_positions (const BxRun *run, int *input_layer, int *output_layer)
{
  *input_layer = run->m;
  *output_layer = run->l;
}

gboolean
bx_run_set_positions (BxRun *run, int input_layer, int output_layer, GError **error)
{
  int n_new = run->features != NULL ? run->features->n_new_layers : bx_model_get_n_layers (run->new_m.model);
  int n_old = run->features != NULL ? run->features->n_old_layers : bx_model_get_n_layers (run->old_m.model);

  if (input_layer < 0 || input_layer >= n_new || output_layer < 0 || output_layer >= n_old)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE,
                   "layers m = %d, l = %d out of range (new model %d layers, old model %d)", input_layer,
                   output_layer, n_new, n_old);
      return FALSE;
    }
  if (run->search != NULL && run->features != NULL && input_layer != run->m
      && !bx_position_search_set_input_layer (run->search, run->features, input_layer, error))
    return FALSE;
  run->m = input_layer;
  run->l = output_layer;
  return TRUE;
}

const char *const *
bx_run_get_class_names (const BxRun *run)
{
  return (const char *const *)run->class_names;
}

const BxBridgeFile *
bx_run_get_bridge (const BxRun *run)
{
  return run->bridge;
}

gboolean
bx_run_get_cache_hit (const BxRun *run)
{
  return run->cache_hit;
}

static const char *
pick (const char *a, const char *b)
{
  return a != NULL ? a : b;
}

/* ---- models and inputs ---- */

static gboolean
load_one_model (RunModel *rm, const char *family_name, const char *path, const char *which, GError **error)
{
  BxModelFamily family = BX_MODEL_FAMILY_AUTO;

  if (path == NULL)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE, "--%s-checkpoint FILE is required", which);
      return FALSE;
    }
  if (family_name != NULL && !bx_model_family_from_name (family_name, &family))
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE,
                   "--%s-model '%s' is not one of labram, hubert-ecg, papagei, normwear, auto", which,
                   family_name);
      return FALSE;
    }
  if (rm->model != NULL && g_strcmp0 (rm->path, path) == 0)
    return TRUE;
  run_model_clear (rm);
  rm->model = bx_model_load (family, path, error);
  if (rm->model == NULL)
    return FALSE;
  rm->sha256 = bx_checkpoint_sha256 (path, error);
  if (rm->sha256 == NULL)
    return FALSE;
  rm->family = g_strdup (bx_model_family_name (bx_model_get_family (rm->model)));
  rm->path = g_strdup (path);
  return TRUE;
}

gboolean
bx_run_load_models (BxRun *run, gboolean need_old, gboolean need_new, GError **error)
{
  if (need_old && !load_one_model (&run->old_m, run->opt->old_family, run->opt->old_checkpoint, "old", error))
    return FALSE;
  if (need_new && !load_one_model (&run->new_m, run->opt->new_family, run->opt->new_checkpoint, "new", error))
    return FALSE;
  return TRUE;
}

/* Prepares raw windows (n, raw dims…) for `rm` and fixes or checks the
 * model's prepared input shape. `name` names the source in errors. Returns
 * (n, prepared numel) floats. */
static float *
prepare_raw (RunModel *rm, const float *raw, guint n, int raw_ndim, const gint64 *raw_shape, const char *name,
             GError **error)
{
  g_autoptr (GError) local = NULL;
  gint64 shape[8];
  int ndim = 0;
  float *prep;

  prep = bx_model_prepare (rm->model, raw, (int)n, raw_ndim, raw_shape, &ndim, shape, &local);
  if (prep == NULL)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT, "%s: not an input of the %s model: %s", name,
                   rm->family, local->message);
      return NULL;
    }
  if (rm->prep_ndim == 0)
    {
      if (!bx_model_set_input_shape (rm->model, ndim, shape, &local))
        {
          g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT, "%s: %s", name, local->message);
          return g_free (prep), NULL;
        }
      rm->prep_ndim = ndim;
      memcpy (rm->prep_shape, shape, sizeof (gint64) * (gsize)ndim);
    }
  else if (ndim != rm->prep_ndim || memcmp (shape, rm->prep_shape, sizeof (gint64) * (gsize)ndim) != 0)
    {
      g_autofree char *have = bx_shape_to_string ((guint)ndim, shape);
      g_autofree char *want = bx_shape_to_string ((guint)rm->prep_ndim, rm->prep_shape);
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT,
                   "%s: windows prepare to %s for the %s model, but earlier inputs (or the bridge) had %s",
                   name, have, rm->family, want);
      return g_free (prep), NULL;
    }
  return prep;
}

/* Reads a raw .npy (N, raw dims…) and prepares it for `rm`. */
static float *
load_prepared (RunModel *rm, const char *path, guint *n_out, GError **error)
{
  g_autoptr (BxTensor) t = NULL;
  g_autofree float *raw = NULL;
  float *prep;

  t = bx_npy_read (path, error);
  if (t == NULL)
    return NULL;
  if (t->ndim < 2 || t->shape[0] < 1)
    {
      g_autofree char *s = bx_shape_to_string (t->ndim, t->shape);
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT, "%s: shape %s, expected (N, model input dims…)",
                   path, s);
      return NULL;
    }
  raw = bx_tensor_to_float (t, NULL);
  for (guint64 i = 0; i < t->numel; i++)
    if (!isfinite (raw[i]))
      {
        g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT,
                     "%s: element %" G_GUINT64_FORMAT " is not finite", path, i);
        return NULL;
      }
  prep = prepare_raw (rm, raw, (guint)t->shape[0], (int)t->ndim - 1, t->shape + 1, path, error);
  if (prep != NULL)
    *n_out = (guint)t->shape[0];
  return prep;
}

/* Modality and preprocessing recipe of a model family (spec §4). */
static gboolean
family_recipe (const RunModel *rm, BxModality *modality, BxPrepRecipe *recipe, double *rate)
{
  const char *family = rm->family;
  BxCompactConfig cfg;

  if (rm->model != NULL && bx_compact_model_get_config (rm->model, &cfg))
    {
      /* The compact encoders take their modality at the rate they were
       * pretrained at (metadata "rate": 100 Hz EEG/ECG, 50 Hz PPG). */
      if (!bx_modality_from_string (cfg.modality, modality))
        return FALSE;
      *recipe = BX_PREP_COMPACT;
      *rate = cfg.rate;
    }
  else if (g_strcmp0 (family, "labram") == 0)
    *modality = BX_MODALITY_EEG, *recipe = BX_PREP_LABRAM_EEG;
  else if (g_strcmp0 (family, "hubert-ecg") == 0)
    *modality = BX_MODALITY_ECG, *recipe = BX_PREP_HUBERT_ECG;
  else if (g_strcmp0 (family, "papagei") == 0)
    *modality = BX_MODALITY_PPG, *recipe = BX_PREP_PAPAGEI_PPG;
  else if (g_strcmp0 (family, "normwear") == 0)
    *modality = BX_MODALITY_EMG, *recipe = BX_PREP_NORMWEAR_EMG;
  else
    return FALSE;
  return TRUE;
}

static double
window_seconds (const BxRun *run)
{
  if (run->opt->window_seconds > 0)
    return run->opt->window_seconds;
  if (run->bridge != NULL && run->bridge->window_seconds > 0)
    return run->bridge->window_seconds;
  return 30.0;
}

/* Windows of the manifest entries with `role` (or of `recording`), with the
 * old and/or new model's side, in that order. */
static BxWindowSet *
cut_windows (BxRun *run, guint role, gboolean old_side, gboolean new_side, BxRecording *recording,
             GError **error)
{
  const BxRunOptions *opt = run->opt;
  BxWindowParams params;
  BxWindowSet *set;
  guint k = 0;

  bx_window_params_init (&params);
  params.window_seconds = window_seconds (run);
  params.step_seconds = opt->step_seconds > 0 ? opt->step_seconds : params.window_seconds;
  if (old_side && family_recipe (&run->old_m, &params.modality[k], &params.recipe[k], &params.rate[k]))
    k++;
  if (new_side && family_recipe (&run->new_m, &params.modality[k], &params.recipe[k], &params.rate[k]))
    k++;
  params.n_sides = k;
  if (opt->stage_set != NULL)
    {
      BxStageSet stage_set;
      if (!bx_stage_set_from_string (opt->stage_set, &stage_set))
        {
          g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE,
                       "--stage-set '%s' is not aasm, rk or sleep-wake", opt->stage_set);
          return NULL;
        }
      params.use_stage_set = TRUE;
      params.stage_set = (int)stage_set;
    }
  if (recording != NULL)
    set = bx_windows_from_recording (recording, &params, run->job, error);
  else
    {
      if (run->manifest == NULL && (run->manifest = bx_manifest_load (opt->manifest, error)) == NULL)
        return NULL;
      set = bx_windows_from_manifest (run->manifest, role, &params, run->job, error);
    }
  if (set != NULL && set->n_windows == 0)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT, "%s: no usable %g-s window (%u skipped%s%s)",
                   recording != NULL ? "the recording" : opt->manifest, params.window_seconds, set->n_skipped,
                   set->skip_reasons != NULL && set->skip_reasons->len > 0 ? ": " : "",
                   set->skip_reasons != NULL && set->skip_reasons->len > 0
                       ? (const char *)g_ptr_array_index (set->skip_reasons, 0)
                       : "");
      bx_window_set_free (set);
      return NULL;
    }
  run->from_windows = TRUE;
  return set;
}

static float *
prepare_side (RunModel *rm, const BxWindowSet *set, guint side, const char *what, GError **error)
{
  return prepare_raw (rm, set->side[side].data, set->n_windows, set->side[side].raw_ndim,
                      set->side[side].raw_shape, what, error);
}

/* Labels (N,) of any integer or float dtype; -1 = unknown. */
static int *
load_labels (const char *path, guint n, guint *n_classes, GError **error)
{
  g_autoptr (BxTensor) t = bx_npy_read (path, error);
  g_autofree int *labels = NULL;
  g_autofree float *f = NULL;
  int max_label = -1;

  if (t == NULL)
    return NULL;
  if (t->ndim != 1 || t->shape[0] != n)
    {
      g_autofree char *s = bx_shape_to_string (t->ndim, t->shape);
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT, "%s: labels have shape %s, expected (%u,)", path,
                   s, n);
      return NULL;
    }
  f = bx_tensor_to_float (t, NULL);
  labels = g_new (int, n);
  for (guint i = 0; i < n; i++)
    {
      if (!isfinite (f[i]) || f[i] != floorf (f[i]) || f[i] < -1 || f[i] > 1000)
        {
          g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT,
                       "%s: label %u is %g (expected a class index 0..999, or -1 = unknown)", path, i, f[i]);
          return NULL;
        }
      labels[i] = (int)f[i];
      max_label = MAX (max_label, labels[i]);
    }
  *n_classes = (guint)MAX (max_label + 1, 2);
  return g_steal_pointer (&labels);
}

/* Class names from --classes, else the ones already known, else class0..C−1. */
static gboolean
settle_class_names (BxRun *run, guint n_classes, GError **error)
{
  if (run->class_names == NULL && run->opt->classes != NULL)
    {
      run->class_names = g_strsplit (run->opt->classes, ",", -1);
      for (char **c = run->class_names; *c != NULL; c++)
        g_strstrip (*c);
    }
  if (run->class_names != NULL)
    {
      if (g_strv_length (run->class_names) < n_classes)
        {
          g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT,
                       "the labels have %u classes but --classes names %u", n_classes,
                       g_strv_length (run->class_names));
          return FALSE;
        }
      return TRUE;
    }
  run->class_names = g_new0 (char *, n_classes + 1);
  for (guint c = 0; c < n_classes; c++)
    run->class_names[c] = g_strdup_printf ("class%u", c);
  return TRUE;
}

/* JSON has no NaN / infinity: such values (e.g. kappa of a one-class test set) become null. */
static void
json_set_number (JsonObject *o, const char *name, double v)
{
  if (isfinite (v))
    json_object_set_double_member (o, name, v);
  else
    json_object_set_null_member (o, name);
}

static JsonArray *
json_array_of_floats (const float *x, gsize n)
{
  JsonArray *a = json_array_sized_new ((guint)n);

  for (gsize i = 0; i < n; i++)
    {
      if (isfinite (x[i]))
        json_array_add_double_element (a, x[i]);
      else
        json_array_add_null_element (a);
    }
  return a;
}

static JsonArray *
json_array_of_doubles (const double *x, gsize n)
{
  JsonArray *a = json_array_sized_new ((guint)n);

  for (gsize i = 0; i < n; i++)
    {
      if (isfinite (x[i]))
        json_array_add_double_element (a, x[i]);
      else
        json_array_add_null_element (a);
    }
  return a;
}

static JsonArray *
json_array_of_strv (char **v)
{
  JsonArray *a = json_array_new ();

  for (; v != NULL && *v != NULL; v++)
    json_array_add_string_element (a, *v);
  return a;
}

static char *
json_object_text (JsonObject *o)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, o);
  return json_to_string (node, FALSE);
}

/* ---- stage 1: head ---- */

static gboolean
head_save (BxRun *run, const char *path, GError **error)
{
  g_autoptr (BxStateDict) sd = bx_state_dict_new ();
  g_autoptr (JsonArray) names = json_array_of_strv (run->head->class_names);
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  g_autofree char *names_text = NULL;
  gint64 ws[2] = { run->head->n_classes, run->head->n_features }, bs[1] = { run->head->n_classes };

  json_node_set_array (node, names);
  names_text = json_to_string (node, FALSE);
  if (!bx_state_dict_add_float (sd, "head.weight", 2, ws, run->head->weight, error)
      || !bx_state_dict_add_float (sd, "head.bias", 1, bs, run->head->bias, error))
    return FALSE;
  bx_state_dict_set_metadata (sd, "format", "bioxbridge-head");
  bx_state_dict_set_metadata (sd, "class_names", names_text);
  bx_state_dict_set_metadata (sd, "old_model.family", run->old_m.family);
  bx_state_dict_set_metadata (sd, "old_model.sha256", run->old_m.sha256);
  return bx_safetensors_write (path, sd, error);
}

static BxTaskHead *
head_load (BxRun *run, const char *path, GError **error)
{
  g_autoptr (BxStateDict) sd = bx_safetensors_read (path, error);
  g_autoptr (BxTaskHead) head = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  const BxTensor *w;
  const char *names, *sha;

  if (sd == NULL)
    return NULL;
  w = bx_state_dict_lookup (sd, "head.weight");
  if (w == NULL || w->ndim != 2 || w->shape[0] < 1 || w->shape[1] < 1)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT, "%s: no (classes, features) tensor 'head.weight'",
                   path);
      return NULL;
    }
  head = bx_task_head_new ((guint)w->shape[1], (guint)w->shape[0], 0);
  if (!bx_state_dict_copy_float (sd, "head.weight", 2, w->shape, head->weight, w->numel, error)
      || !bx_state_dict_copy_float (sd, "head.bias", 1, w->shape, head->bias, head->n_classes, error))
    return NULL;
  sha = bx_state_dict_get_metadata (sd, "old_model.sha256");
  if (sha != NULL && run->old_m.sha256 != NULL && strcmp (sha, run->old_m.sha256) != 0
      && !run->opt->allow_mismatch)
    {
      g_set_error (
          error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT,
          "%s: the head was trained on old model checkpoint sha256 %.12s…, not %s (sha256 %.12s…); use "
          "--allow-checkpoint-mismatch to use it anyway",
          path, sha, run->old_m.path, run->old_m.sha256);
      return NULL;
    }
  names = bx_state_dict_get_metadata (sd, "class_names");
  if (names != NULL && json_parser_load_from_data (parser, names, -1, NULL)
      && JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    {
      JsonArray *a = json_node_get_array (json_parser_get_root (parser));
      if (json_array_get_length (a) == head->n_classes)
        {
          head->class_names = g_new0 (char *, head->n_classes + 1);
          for (guint c = 0; c < head->n_classes; c++)
            head->class_names[c] = g_strdup (json_array_get_string_element (a, c));
        }
    }
  return g_steal_pointer (&head);
}

gboolean
bx_run_head (BxRun *run, GError **error)
{
  const BxRunOptions *opt = run->opt;
  JsonObject *o = json_object_new ();
  int L;

  json_object_set_object_member (run->summary, "head", o);
  if (!bx_run_load_models (run, TRUE, FALSE, error))
    return FALSE;
  L = bx_model_get_n_layers (run->old_m.model);
  g_clear_pointer (&run->head, bx_task_head_free);
  if (opt->head_in != NULL)
    {
      run->head = head_load (run, opt->head_in, error);
      if (run->head == NULL)
        return FALSE;
      /* Before any input the layer shapes are unknown; features check again. */
      if (run->old_m.prep_ndim > 0
          && run->head->n_features != (guint)bx_model_feature_dim (run->old_m.model, L - 1, FALSE))
        {
          g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT,
                       "%s: head takes %u features, the old model gives %d", opt->head_in,
                       run->head->n_features, bx_model_feature_dim (run->old_m.model, L - 1, FALSE));
          return FALSE;
        }
      json_object_set_string_member (o, "imported", opt->head_in);
      if (run->head->class_names != NULL && run->class_names == NULL && opt->classes == NULL)
        run->class_names = g_strdupv (run->head->class_names);
    }
  else
    {
      const char *x_path = pick (opt->train_old_npy, opt->old_npy);
      const char *y_path = pick (opt->train_labels, opt->labels);
      g_autofree float *prep = NULL;
      g_autofree float *pooled = NULL;
      g_autofree float *losses = NULL;
      g_autofree int *labels = NULL;
      g_autofree float **slots = NULL;
      BxTaskHeadParams params;
      guint n = 0, n_classes = 0, d;

      if (opt->manifest != NULL && x_path == NULL)
        {
          g_autoptr (BxWindowSet) set = cut_windows (run, BX_ROLE_TRAIN, TRUE, FALSE, NULL, error);
          if (set == NULL || (prep = prepare_side (&run->old_m, set, 0, "train windows", error)) == NULL)
            return FALSE;
          n = set->n_windows;
          labels = g_memdup2 (set->labels, sizeof (int) * n);
          n_classes = MAX (2u, set->class_names != NULL ? g_strv_length (set->class_names) : 0);
          if (run->class_names == NULL && opt->classes == NULL && set->class_names != NULL)
            run->class_names = g_strdupv (set->class_names);
          y_path = opt->manifest;
        }
      else if (x_path == NULL || y_path == NULL)
        {
          g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE,
                       "the task head needs --train-old-npy (or --old-npy) and --train-labels (or --labels), "
                       "--manifest with train recordings, or --head FILE");
          return FALSE;
        }
      else if ((prep = load_prepared (&run->old_m, x_path, &n, error)) == NULL
               || (labels = load_labels (y_path, n, &n_classes, error)) == NULL)
        return FALSE;
      if (!settle_class_names (run, n_classes, error))
        return FALSE;
      n_classes = MAX (n_classes, g_strv_length (run->class_names));
      d = (guint)bx_model_feature_dim (run->old_m.model, L - 1, FALSE);
      pooled = g_new (float, (gsize)n *d);
      slots = g_new0 (float *, L);
      slots[L - 1] = pooled;
      if (!bx_model_pooled_outputs (run->old_m.model, prep, n, (guint)opt->batch_forward, L - 1, slots,
                                    run->job, "head-features", error))
        return FALSE;
      /* Unknown labels (-1) carry no supervision: train on the others. */
      {
        guint k = 0;
        for (guint i = 0; i < n; i++)
          if (labels[i] >= 0)
            {
              memmove (pooled + (gsize)k * d, pooled + (gsize)i * d, sizeof (float) * d);
              labels[k++] = labels[i];
            }
        if (k == 0)
          {
            g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT, "%s: no labelled window", y_path);
            return FALSE;
          }
        n = k;
      }
      bx_task_head_params_init (&params);
      params.epochs = (guint)MAX (1, opt->head_epochs);
      params.learning_rate = (float)opt->head_lr;
      params.seed = (guint64)opt->seed;
      params.class_weights = BX_CLASS_WEIGHTS_INVERSE_COUNT;
      run->head = bx_task_head_new (d, n_classes, (guint64)opt->seed);
      losses = g_new0 (float, params.epochs);
      if (!bx_task_head_fit (run->head, pooled, labels, n, &params, losses, run->job, error))
        return FALSE;
      json_object_set_int_member (o, "windows", n);
      json_object_set_int_member (o, "epochs", params.epochs);
      json_set_number (o, "first_loss", losses[0]);
      json_set_number (o, "final_loss", losses[params.epochs - 1]);
      /* Training accuracy: a cheap check that the probe learned something. */
      {
        g_autofree int *pred = g_new (int, n);
        guint ok = 0;
        bx_task_head_predict (run->head, pooled, n, pred, NULL);
        for (guint i = 0; i < n; i++)
          ok += pred[i] == labels[i];
        json_set_number (o, "train_accuracy", (double)ok / n);
      }
    }
  if (run->head->class_names == NULL)
    {
      if (!settle_class_names (run, run->head->n_classes, error))
        return FALSE;
      run->head->class_names = g_new0 (char *, run->head->n_classes + 1);
      for (guint c = 0; c < run->head->n_classes; c++)
        run->head->class_names[c] = g_strdup (run->class_names[c]);
    }
  json_object_set_int_member (o, "classes", run->head->n_classes);
  json_object_set_int_member (o, "features", run->head->n_features);
  json_object_set_array_member (o, "class_names", json_array_of_strv (run->head->class_names));
  if (opt->head_out != NULL)
    {
      if (!bx_job_check (run->job, error) || !head_save (run, opt->head_out, error))
        return FALSE;
      json_object_set_string_member (o, "output", opt->head_out);
    }
  return TRUE;
}

/* ---- stage 2: features ---- */

static char *
preprocessing_json (const BxRun *run)
{
  g_autoptr (JsonObject) o = json_object_new ();
  RunModel const *sides[2] = { &run->old_m, &run->new_m };
  const char *names[2] = { "old_prepared_shape", "new_prepared_shape" };

  json_object_set_string_member (o, "input", run->from_windows ? "recordings" : "npy");
  if (run->from_windows)
    {
      json_set_number (o, "window_seconds", window_seconds (run));
      json_set_number (o, "step_seconds",
                       run->opt->step_seconds > 0 ? run->opt->step_seconds : window_seconds (run));
      json_object_set_string_member (o, "old_recipe", run->old_m.family);
      json_object_set_string_member (o, "new_recipe", run->new_m.family);
    }
  for (int s = 0; s < 2; s++)
    {
      JsonArray *a = json_array_new ();
      for (int i = 0; i < sides[s]->prep_ndim; i++)
        json_array_add_int_element (a, sides[s]->prep_shape[i]);
      json_object_set_array_member (o, names[s], a);
    }
  return json_object_text (o);
}

gboolean
bx_run_features (BxRun *run, gboolean keep_targets, GError **error)
{
  const BxRunOptions *opt = run->opt;
  const char *old_path = pick (opt->pair_old_npy, opt->old_npy);
  const char *new_path = pick (opt->pair_new_npy, opt->new_npy);
  g_autofree float *old_prep = NULL, *new_prep = NULL;
  g_autofree char *prep_text = NULL;
  JsonObject *o = json_object_new ();
  guint n_old = 0, n_new = 0;

  json_object_set_object_member (run->summary, "features", o);
  if (run->head == NULL && !bx_run_head (run, error))
    return FALSE;
  if (!bx_run_load_models (run, TRUE, TRUE, error))
    return FALSE;
  if (opt->manifest != NULL && (old_path == NULL || new_path == NULL))
    {
      g_autoptr (BxWindowSet) set = cut_windows (run, BX_ROLE_PAIR, TRUE, TRUE, NULL, error);
      if (set == NULL || set->n_sides != 2
          || (old_prep = prepare_side (&run->old_m, set, 0, "pair windows", error)) == NULL
          || (new_prep = prepare_side (&run->new_m, set, 1, "pair windows", error)) == NULL)
        return FALSE;
      n_old = n_new = set->n_windows;
      old_path = new_path = opt->manifest;
    }
  else if (old_path == NULL || new_path == NULL)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE,
                   "paired windows need --pair-old-npy and --pair-new-npy (or --old-npy and --new-npy, or "
                   "--manifest)");
      return FALSE;
    }
  else if ((old_prep = load_prepared (&run->old_m, old_path, &n_old, error)) == NULL
           || (new_prep = load_prepared (&run->new_m, new_path, &n_new, error)) == NULL)
    return FALSE;
  if (n_old != n_new)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT,
                   "%s has %u windows but %s has %u: pairs must match", old_path, n_old, new_path, n_new);
      return FALSE;
    }
  prep_text = preprocessing_json (run);
  g_clear_pointer (&run->features, bx_pair_features_free);
  /* Kept only for 'randreal' prototypes: (N, old input numel) can be large. */
  g_clear_pointer (&run->pair_old_prep, g_free);
  if (g_strcmp0 (opt->prototype_init, "randreal") == 0)
    run->pair_old_prep = g_memdup2 (old_prep, sizeof (float) * n_old
                                                  * (gsize)bx_model_layer_numel (run->old_m.model, -1, TRUE));
  run->n_pair = n_old;
  if (opt->no_cache)
    {
      run->features
          = bx_pair_features_compute (run->old_m.model, run->new_m.model, run->head, old_prep, new_prep,
                                      n_old, (guint)opt->batch_forward, keep_targets, run->job, error);
      run->cache_hit = FALSE;
    }
  else
    {
      BxFeatureCacheKey key = {
        .old_prepared = old_prep,
        .old_numel = (gsize)bx_model_layer_numel (run->old_m.model, -1, TRUE),
        .new_prepared = new_prep,
        .new_numel = (gsize)bx_model_layer_numel (run->new_m.model, -1, TRUE),
        .n = n_old,
        .old_sha256 = run->old_m.sha256,
        .new_sha256 = run->new_m.sha256,
        .preprocessing = prep_text,
        .head = run->head,
        .keep_targets = keep_targets,
      };
      g_autofree char *k = bx_feature_cache_key (&key);
      run->features = bx_feature_cache_get (opt->cache_dir, &key, run->old_m.model, run->new_m.model,
                                            (guint)opt->batch_forward, &run->cache_hit, run->job, error);
      json_object_set_string_member (o, "cache_key", k);
    }
  if (run->features == NULL)
    return FALSE;
  json_object_set_int_member (o, "windows", run->features->n);
  json_object_set_boolean_member (o, "cache_hit", run->cache_hit);
  json_object_set_int_member (o, "new_layers", run->features->n_new_layers);
  json_object_set_int_member (o, "old_layers", run->features->n_old_layers);
  {
    g_autofree guint *counts = g_new0 (guint, run->features->n_classes);
    JsonArray *a = json_array_new ();
    for (guint i = 0; i < run->features->n; i++)
      counts[run->features->pseudo_labels[i]]++;
    for (guint c = 0; c < run->features->n_classes; c++)
      json_array_add_int_element (a, counts[c]);
    json_object_set_array_member (o, "pseudo_label_counts", a);
  }
  return TRUE;
}

/* ---- stage 3: search ---- */

static JsonObject *
search_object (const BxPositionSearch *s)
{
  JsonObject *o = json_object_new ();

  json_object_set_array_member (o, "probe_f1", json_array_of_doubles (s->probe_f1, (gsize)s->n_new_layers));
  json_object_set_array_member (o, "cka", json_array_of_doubles (s->cka, (gsize)s->n_old_layers));
  json_object_set_int_member (o, "input_layer", s->input_layer);
  json_object_set_int_member (o, "output_layer", s->output_layer);
  return o;
}

gboolean
bx_run_search (BxRun *run, GError **error)
{
  BxPositionSearchParams params;
  JsonObject *o;

  if (run->features == NULL && !bx_run_features (run, TRUE, error))
    return FALSE;
  bx_position_search_params_init (&params);
  g_clear_pointer (&run->search, bx_position_search_free);
  run->search = bx_position_search_run (run->features, &params, run->job, error);
  if (run->search == NULL)
    return FALSE;
  if (run->opt->input_layer >= 0)
    {
      if (run->opt->input_layer >= run->search->n_new_layers)
        {
          g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE,
                       "--input-layer %d: the new model has %d layers", run->opt->input_layer,
                       run->search->n_new_layers);
          return FALSE;
        }
      if (!bx_position_search_set_input_layer (run->search, run->features, run->opt->input_layer, error))
        return FALSE;
    }
  run->m = run->opt->input_layer >= 0 ? run->opt->input_layer : run->search->input_layer;
  run->l = run->opt->output_layer >= 0 ? run->opt->output_layer : run->search->output_layer;
  if (run->m < 0 || run->l < 0)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT,
                   "the position search found no usable layer (every score was 0); give --input-layer and "
                   "--output-layer");
      return FALSE;
    }
  o = search_object (run->search);
  json_object_set_int_member (o, "chosen_input_layer", run->m);
  json_object_set_int_member (o, "chosen_output_layer", run->l);
  json_object_set_object_member (run->summary, "search", o);
  return TRUE;
}

/* ---- stage 4: train ---- */

static gboolean
fill_model_info (BxBridgeModelInfo *info, const RunModel *rm)
{
  bx_bridge_model_info_clear (info);
  info->family = g_strdup (rm->family);
  info->checkpoint = g_path_get_basename (rm->path);
  info->sha256 = g_strdup (rm->sha256);
  info->config_json = g_strdup_printf ("{%s}", bx_model_get_config_json (rm->model));
  return TRUE;
}

/* 'randreal_P': prototypes drawn from real inputs of old layer l — the
 * feature-axis vectors of up to 64 pair windows (LaBraM/HuBERT/NormWear keep
 * the feature last; PaPaGei's (C, L) is transposed to L vectors of C). */
static gboolean
init_real_prototypes (BxRun *run, BxProtoBridge *bridge, GError **error)
{
  BxModel *old = run->old_m.model;
  g_autoptr (BxModelContext) ctx = bx_model_context_new ();
  gsize in_numel = (gsize)bx_model_layer_numel (old, -1, TRUE);
  gsize l_numel = (gsize)bx_model_layer_numel (old, run->l, TRUE);
  guint n = MIN (run->n_pair, 64u), batch = (guint)MAX (1, run->opt->batch_forward);
  gsize per = l_numel / bridge->d_old;
  g_autofree float *acts = g_new (float, (gsize)n *l_numel);
  g_autofree float *vectors = NULL;

  if (run->pair_old_prep == NULL || n == 0)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE, "'randreal' prototypes need the paired windows");
      return FALSE;
    }
  for (guint start = 0; start < n; start += batch)
    {
      guint b = MIN (batch, n - start);
      if (!bx_job_check (run->job, error)
          || !bx_model_forward (old, ctx, (int)b, BX_MODEL_FROM_PREPARED, run->l,
                                run->pair_old_prep + (gsize)start * in_numel, acts + (gsize)start * l_numel,
                                NULL, FALSE, error))
        return FALSE;
    }
  if (g_strcmp0 (run->old_m.family, "papagei") == 0)
    {
      vectors = g_new (float, (gsize)n *l_numel);
      for (guint i = 0; i < n; i++)
        for (gsize t = 0; t < per; t++)
          for (guint d = 0; d < bridge->d_old; d++)
            vectors[((gsize)i * per + t) * bridge->d_old + d] = acts[(gsize)i * l_numel + (gsize)d * per + t];
    }
  return bx_proto_bridge_init_real (bridge, vectors != NULL ? vectors : acts, (gsize)n * per,
                                    (guint64)run->opt->seed, error);
}

gboolean
bx_run_train (BxRun *run, const char *path, GError **error)
{
  const BxRunOptions *opt = run->opt;
  g_autoptr (BxBridgeFile) file = bx_bridge_file_new ();
  g_autoptr (JsonObject) training = json_object_new ();
  g_autofree float *epoch_losses = NULL, *step_losses = NULL;
  BxBridgeTrainParams params;
  BxBridgeLayout layout;
  guint d_old, T, d_new, n_steps;
  gint64 t0;
  double seconds;

  if (run->features == NULL || run->features->targets == NULL)
    {
      if (!bx_run_features (run, TRUE, error))
        return FALSE;
    }
  if ((run->m < 0 || run->l < 0) && !bx_run_search (run, error))
    return FALSE;
  if (run->m >= run->features->n_new_layers || run->l >= run->features->n_old_layers)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE,
                   "layers m = %d, l = %d out of range (new model %d layers, old model %d)", run->m, run->l,
                   run->features->n_new_layers, run->features->n_old_layers);
      return FALSE;
    }
  bx_bridge_geometry (run->old_m.model, run->l, &d_old, &T, &layout);
  d_new = run->features->new_dim[run->m];
  if (opt->init_bridge != NULL)
    {
      g_autoptr (BxBridgeFile) init = bx_bridge_file_read (opt->init_bridge, error);
      BxProtoBridge *b;
      if (init == NULL
          || !bx_bridge_file_check_model (init, TRUE, run->old_m.family, run->old_m.sha256,
                                          opt->allow_mismatch, NULL, error)
          || !bx_bridge_file_check_model (init, FALSE, run->new_m.family, run->new_m.sha256,
                                          opt->allow_mismatch, NULL, error))
        return FALSE;
      b = init->bridge;
      if (init->input_layer != run->m || init->output_layer != run->l || b->d_new != d_new
          || b->d_old != d_old || b->n_tokens != T || b->layout != layout)
        {
          g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_MISMATCH,
                       "%s: bridge at m = %d, l = %d (d_new %u, d_old %u, T %u) does not fit m = %d, l = %d "
                       "(d_new %u, "
                       "d_old %u, T %u)",
                       opt->init_bridge, init->input_layer, init->output_layer, b->d_new, b->d_old,
                       b->n_tokens, run->m, run->l, d_new, d_old, T);
          return FALSE;
        }
      file->bridge = g_steal_pointer (&init->bridge);
    }
  else
    {
      if (opt->prototype_init != NULL && g_strcmp0 (opt->prototype_init, "rand") != 0
          && g_strcmp0 (opt->prototype_init, "randreal") != 0)
        {
          g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE,
                       "--prototype-init '%s': expected 'rand' (N(0, 1)) or 'randreal' (real layer-l inputs)",
                       opt->prototype_init);
          return FALSE;
        }
      if (opt->rank < 1 || opt->prototypes < 1)
        {
          g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE, "--rank and --prototypes must be at least 1");
          return FALSE;
        }
      file->bridge = bx_proto_bridge_new (d_new, d_old, (guint)opt->rank, (guint)opt->prototypes, T, layout,
                                          (guint64)opt->seed);
      if (g_strcmp0 (opt->prototype_init, "randreal") == 0
          && !init_real_prototypes (run, file->bridge, error))
        return FALSE;
    }
  bx_bridge_train_params_init (&params);
  params.epochs = (guint)MAX (1, opt->epochs);
  params.batch_size = (guint)MAX (1, opt->batch);
  params.learning_rate = (float)opt->lr;
  params.seed = (guint64)opt->seed;
  n_steps = params.epochs * ((run->features->n + params.batch_size - 1) / params.batch_size);
  epoch_losses = g_new0 (float, params.epochs);
  step_losses = g_new0 (float, n_steps);
  t0 = g_get_monotonic_time ();
  if (!bx_bridge_train (run->old_m.model, run->l, file->bridge, run->features->new_pooled[run->m],
                        run->features->targets, run->features->n, &params, epoch_losses, step_losses,
                        run->job, error))
    return FALSE;
  seconds = (g_get_monotonic_time () - t0) / 1e6;

  json_object_set_int_member (training, "epochs", params.epochs);
  json_object_set_int_member (training, "batch_size", params.batch_size);
  json_set_number (training, "learning_rate", params.learning_rate);
  json_object_set_int_member (training, "seed", (gint64)params.seed);
  json_object_set_int_member (training, "windows", run->features->n);
  json_object_set_int_member (training, "steps", n_steps);
  json_set_number (training, "first_loss", step_losses[0]);
  json_set_number (training, "final_loss", epoch_losses[params.epochs - 1]);
  json_set_number (training, "first_epoch_loss", epoch_losses[0]);
  json_object_set_array_member (training, "loss_curve", json_array_of_floats (epoch_losses, params.epochs));
  json_set_number (training, "seconds", seconds);
  json_set_number (training, "steps_per_second", seconds > 0 ? n_steps / seconds : 0.0);
  json_object_set_string_member (training, "prototype_init",
                                 opt->init_bridge != NULL                           ? "bridge-file"
                                 : g_strcmp0 (opt->prototype_init, "randreal") == 0 ? "randreal"
                                                                                    : "rand");
  if (opt->init_bridge != NULL)
    json_object_set_string_member (training, "init_bridge", opt->init_bridge);

  file->head = run->head; /* borrowed until the end of this function */
  fill_model_info (&file->old_model, &run->old_m);
  fill_model_info (&file->new_model, &run->new_m);
  file->input_layer = run->m;
  file->output_layer = run->l;
  file->window_seconds = opt->window_seconds > 0 ? opt->window_seconds
                         : run->from_windows     ? window_seconds (run)
                                                 : 0;
  file->preprocessing_json = preprocessing_json (run);
  file->training_json = json_object_text (training);
  if (run->search != NULL)
    {
      g_autoptr (JsonObject) so = search_object (run->search);
      file->search_json = json_object_text (so);
    }
  else
    file->search_json = g_strdup ("null");

  if (path != NULL)
    {
      gboolean ok = bx_job_check (run->job, error) && bx_bridge_file_write (path, file, error);
      if (!ok)
        {
          file->head = NULL;
          return FALSE;
        }
      json_object_set_string_member (training, "output", path);
    }
  json_object_set_int_member (training, "input_layer", run->m);
  json_object_set_int_member (training, "output_layer", run->l);
  json_object_set_int_member (training, "rank", file->bridge->rank);
  json_object_set_int_member (training, "prototypes", file->bridge->n_prototypes);
  json_object_set_int_member (training, "tokens", file->bridge->n_tokens);
  json_object_set_int_member (training, "parameters", (gint64)bx_proto_bridge_n_params (file->bridge));
  json_object_set_object_member (run->summary, "train", json_object_ref (training));

  /* Keep the trained bridge for predict: the head stays owned by the run. */
  file->head = bx_task_head_new (run->head->n_features, run->head->n_classes, 0);
  memcpy (file->head->weight, run->head->weight,
          sizeof (float) * run->head->n_features * run->head->n_classes);
  memcpy (file->head->bias, run->head->bias, sizeof (float) * run->head->n_classes);
  file->head->class_names = g_strdupv (run->head->class_names);
  g_clear_pointer (&run->bridge, bx_bridge_file_free);
  run->bridge = g_steal_pointer (&file);
  return TRUE;
}

/* ---- using a bridge file ---- */

static gboolean
shape_from_json (const char *json, const char *member, RunModel *rm, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *o;
  JsonArray *a;
  gint64 shape[8];
  guint nd;

  if (!json_parser_load_from_data (parser, json, -1, error))
    return FALSE;
  o = JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))
          ? json_node_get_object (json_parser_get_root (parser))
          : NULL;
  a = o != NULL && json_object_has_member (o, member) ? json_object_get_array_member (o, member) : NULL;
  nd = a != NULL ? json_array_get_length (a) : 0;
  if (nd == 0 || nd > 6)
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT,
                   "bridge metadata 'preprocessing' has no usable '%s'", member);
      return FALSE;
    }
  for (guint i = 0; i < nd; i++)
    shape[i] = json_array_get_int_element (a, i);
  if (!bx_model_set_input_shape (rm->model, (int)nd, shape, error))
    return FALSE;
  rm->prep_ndim = (int)nd;
  memcpy (rm->prep_shape, shape, sizeof (gint64) * nd);
  return TRUE;
}

gboolean
bx_run_use_bridge (BxRun *run, const char *path, GError **error)
{
  g_autoptr (BxBridgeFile) file = bx_bridge_file_read (path, error);
  g_autofree char *warn_old = NULL, *warn_new = NULL;
  JsonObject *o = json_object_new ();
  BxBridgeLayout layout;
  guint d_old, T;

  json_object_set_object_member (run->summary, "bridge", o);
  if (file == NULL || !bx_run_load_models (run, TRUE, TRUE, error))
    return FALSE;
  if (!bx_bridge_file_check_model (file, TRUE, run->old_m.family, run->old_m.sha256, run->opt->allow_mismatch,
                                   &warn_old, error)
      || !bx_bridge_file_check_model (file, FALSE, run->new_m.family, run->new_m.sha256,
                                      run->opt->allow_mismatch, &warn_new, error))
    return FALSE;
  if (warn_old != NULL)
    g_printerr ("bioxbridge-cli: warning: %s\n", warn_old);
  if (warn_new != NULL)
    g_printerr ("bioxbridge-cli: warning: %s\n", warn_new);
  if (!shape_from_json (file->preprocessing_json, "old_prepared_shape", &run->old_m, error)
      || !shape_from_json (file->preprocessing_json, "new_prepared_shape", &run->new_m, error))
    return FALSE;
  if (file->input_layer >= bx_model_get_n_layers (run->new_m.model)
      || file->output_layer >= bx_model_get_n_layers (run->old_m.model))
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_MISMATCH,
                   "%s: layers m = %d, l = %d do not exist in the given models", path, file->input_layer,
                   file->output_layer);
      return FALSE;
    }
  bx_bridge_geometry (run->old_m.model, file->output_layer, &d_old, &T, &layout);
  if (d_old != file->bridge->d_old || T != file->bridge->n_tokens || layout != file->bridge->layout
      || file->bridge->d_new != (guint)bx_model_feature_dim (run->new_m.model, file->input_layer, FALSE)
      || file->head->n_features
             != (guint)bx_model_feature_dim (run->old_m.model, bx_model_get_n_layers (run->old_m.model) - 1,
                                             FALSE))
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_MISMATCH,
                   "%s: the bridge's shapes do not fit the given models at m = %d, l = %d", path,
                   file->input_layer, file->output_layer);
      return FALSE;
    }
  run->m = file->input_layer;
  run->l = file->output_layer;
  g_clear_pointer (&run->head, bx_task_head_free);
  run->head = bx_task_head_new (file->head->n_features, file->head->n_classes, 0);
  memcpy (run->head->weight, file->head->weight,
          sizeof (float) * file->head->n_features * file->head->n_classes);
  memcpy (run->head->bias, file->head->bias, sizeof (float) * file->head->n_classes);
  run->head->class_names = g_strdupv (file->head->class_names);
  g_strfreev (run->class_names);
  run->class_names = g_strdupv (file->head->class_names);
  json_object_set_string_member (o, "path", path);
  json_object_set_int_member (o, "input_layer", run->m);
  json_object_set_int_member (o, "output_layer", run->l);
  json_object_set_boolean_member (o, "checkpoint_mismatch", warn_old != NULL || warn_new != NULL);
  g_clear_pointer (&run->bridge, bx_bridge_file_free);
  run->bridge = g_steal_pointer (&file);
  return TRUE;
}

/* ---- stage 5: predict ---- */

BxHypnogram *
bx_run_get_prediction (const BxRun *run)
{
  double step = run->pred_step > 0 ? run->pred_step : 1.0;
  BxHypnogram *hyp;
  guint n_epochs = 0;

  if (run->pred_labels == NULL)
    return NULL;
  /* Windows on the grid k · step; skipped windows stay unscored epochs. */
  for (guint i = 0; i < run->n_pred; i++)
    n_epochs = MAX (n_epochs, (guint)lround (run->pred_onsets[i] / step) + 1);
  hyp = bx_hypnogram_new (0.0, step, n_epochs);
  bx_hypnogram_ensure_confidence (hyp);
  for (guint e = 0; e < n_epochs; e++)
    hyp->confidence[e] = NAN;
  for (guint i = 0; i < run->n_pred; i++)
    {
      guint e = (guint)lround (run->pred_onsets[i] / step);
      hyp->stages[e] = (gint8)run->pred_labels[i];
      hyp->confidence[e] = run->pred_conf[i];
    }
  return hyp;
}

static gboolean
write_labels (BxRun *run, const char *path, GError **error)
{
  g_autoptr (BxHypnogram) hyp = bx_run_get_prediction (run);
  g_autoptr (BxLabelMap) map
      = bx_label_map_new_classes ((const char *const *)run->head->class_names, run->head->n_classes);
  BxLabelWriteOptions wopt = { 0 };

  wopt.format = BX_LABEL_FORMAT_AUTO;
  wopt.map = map;
  wopt.start = run->pred_start;
  return bx_labels_write_hypnogram (path, hyp, &wopt, error);
}

gboolean
bx_run_predict (BxRun *run, const char *input, const char *labels_out, GError **error)
{
  const char *path = input != NULL ? input : pick (run->opt->test_new_npy, run->opt->new_npy);
  g_autofree float *prep = NULL, *probs = NULL;
  g_autoptr (BxWindowSet) set = NULL;
  JsonObject *o = json_object_new ();
  guint n = 0, C;

  json_object_set_object_member (run->summary, "predict", o);
  if (run->bridge == NULL)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE,
                   "predict needs a bridge (--bridge FILE or a trained one)");
      return FALSE;
    }
  g_clear_pointer (&run->test_labels, g_free);
  g_clear_pointer (&run->pred_start, g_date_time_unref);
  if (path != NULL && !g_str_has_suffix (path, ".npy"))
    {
      /* One recording: cut like the training data, new modality only. */
      g_autoptr (BxRecording) rec = bx_recording_open (path, error);
      if (rec == NULL || (set = cut_windows (run, 0, FALSE, TRUE, rec, error)) == NULL)
        return FALSE;
      if (bx_recording_get_start (rec) != NULL)
        run->pred_start = g_date_time_ref (bx_recording_get_start (rec));
    }
  else if (path == NULL && run->opt->manifest != NULL)
    {
      if ((set = cut_windows (run, BX_ROLE_TEST, FALSE, TRUE, NULL, error)) == NULL)
        return FALSE;
      path = run->opt->manifest;
    }
  else if (path == NULL)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE,
                   "predict needs new-modality windows (--test-new-npy, a recording, or --manifest with test "
                   "entries)");
      return FALSE;
    }
  g_free (run->pred_onsets);
  if (set != NULL)
    {
      if ((prep = prepare_side (&run->new_m, set, 0, path, error)) == NULL)
        return FALSE;
      n = set->n_windows;
      run->pred_onsets = g_memdup2 (set->onsets, sizeof (double) * n);
      run->pred_step = set->step_seconds;
      run->test_labels = g_memdup2 (set->labels, sizeof (int) * n);
    }
  else
    {
      if ((prep = load_prepared (&run->new_m, path, &n, error)) == NULL)
        return FALSE;
      /* Prepared windows carry no time: consecutive windows of --window seconds. */
      run->pred_step
          = window_seconds (run) > 0 && (run->opt->window_seconds > 0 || run->bridge->window_seconds > 0)
                ? window_seconds (run)
                : 1.0;
      run->pred_onsets = g_new (double, n);
      for (guint i = 0; i < n; i++)
        run->pred_onsets[i] = i * run->pred_step;
    }
  C = run->head->n_classes;
  g_free (run->pred_labels);
  g_free (run->pred_conf);
  run->pred_labels = g_new (int, n);
  run->pred_conf = g_new (float, n);
  run->n_pred = n;
  probs = g_new (float, (gsize)n *C);
  if (!bx_bridge_predict (run->new_m.model, run->m, run->bridge->bridge, run->old_m.model, run->l, run->head,
                          prep, n, (guint)run->opt->batch_forward, run->pred_labels, probs, run->job, error))
    return FALSE;
  for (guint i = 0; i < n; i++)
    run->pred_conf[i] = probs[(gsize)i * C + (guint)run->pred_labels[i]];
  json_object_set_string_member (o, "input", path);
  json_object_set_int_member (o, "windows", n);
  {
    g_autofree guint *counts = g_new0 (guint, C);
    JsonArray *a = json_array_new ();
    double mean_conf = 0;
    for (guint i = 0; i < n; i++)
      counts[run->pred_labels[i]]++, mean_conf += run->pred_conf[i];
    for (guint c = 0; c < C; c++)
      json_array_add_int_element (a, counts[c]);
    json_object_set_array_member (o, "label_counts", a);
    json_set_number (o, "mean_confidence", mean_conf / n);
  }
  if (labels_out != NULL)
    {
      if (!bx_job_check (run->job, error) || !write_labels (run, labels_out, error))
        return FALSE;
      json_object_set_string_member (o, "output", labels_out);
    }
  return TRUE;
}

/* ---- stage 6: evaluate ---- */

gboolean
bx_run_evaluate (BxRun *run, GError **error)
{
  const char *path = pick (run->opt->test_labels, run->opt->labels);
  g_autofree int *truth = NULL;
  JsonObject *o;
  JsonArray *cm;
  gsize skipped = 0;
  guint n_classes = 0, C;

  if (run->pred_labels == NULL && !bx_run_predict (run, NULL, NULL, error))
    return FALSE;
  if (run->test_labels != NULL)
    truth = g_memdup2 (run->test_labels, sizeof (int) * run->n_pred), path = run->opt->manifest;
  else if (path == NULL)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE, "evaluate needs --test-labels (or --labels)");
      return FALSE;
    }
  else if ((truth = load_labels (path, run->n_pred, &n_classes, error)) == NULL)
    return FALSE;
  C = run->head->n_classes;
  g_clear_pointer (&run->metrics, bx_metrics_free);
  run->metrics = bx_metrics_compute (truth, run->pred_labels, run->n_pred, C, &skipped);
  if (run->metrics == NULL)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT, "%s: no window has a label in 0..%u", path,
                   C - 1);
      return FALSE;
    }
  o = json_object_new ();
  json_object_set_int_member (o, "windows", run->metrics->n_samples);
  json_object_set_int_member (o, "skipped", (gint64)skipped);
  json_set_number (o, "accuracy", run->metrics->accuracy);
  json_set_number (o, "balanced_accuracy", run->metrics->balanced_accuracy);
  json_set_number (o, "cohen_kappa", run->metrics->cohen_kappa);
  json_set_number (o, "f1_macro", run->metrics->f1_macro);
  json_set_number (o, "f1_weighted", run->metrics->f1_weighted);
  json_object_set_array_member (o, "f1_per_class", json_array_of_doubles (run->metrics->f1_per_class, C));
  json_object_set_array_member (o, "class_names", json_array_of_strv (run->head->class_names));
  cm = json_array_new ();
  for (guint r = 0; r < C; r++)
    {
      JsonArray *row = json_array_new ();
      for (guint c = 0; c < C; c++)
        json_array_add_int_element (row, run->metrics->confusion[r * C + c]);
      json_array_add_array_element (cm, row);
    }
  json_object_set_array_member (o, "confusion", cm);
  json_object_set_object_member (run->summary, "evaluate", o);
  return TRUE;
}

/* ---- oracle ---- */

/* Prepared new-modality windows and labels of `role` (manifest) or of two .npy files. */
static float *
new_side_windows (BxRun *run, guint role, const char *npy, const char *labels_path, guint *n, int **labels,
                  GError **error)
{
  guint n_classes = 0;
  float *prep;

  if (run->opt->manifest != NULL && npy == NULL)
    {
      g_autoptr (BxWindowSet) set = cut_windows (run, role, FALSE, TRUE, NULL, error);
      if (set == NULL || (prep = prepare_side (&run->new_m, set, 0, run->opt->manifest, error)) == NULL)
        return NULL;
      *n = set->n_windows;
      *labels = g_memdup2 (set->labels, sizeof (int) * set->n_windows);
      return prep;
    }
  if (npy == NULL || labels_path == NULL)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_USAGE,
                   "the oracle needs --manifest (train and test recordings), or --train-new-npy with "
                   "--train-labels and --test-new-npy with --test-labels");
      return NULL;
    }
  if ((prep = load_prepared (&run->new_m, npy, n, error)) == NULL)
    return NULL;
  if ((*labels = load_labels (labels_path, *n, &n_classes, error)) == NULL)
    {
      g_free (prep);
      return NULL;
    }
  return prep;
}

/* Pooled last-layer features of the new model (n, d); windows labelled -1 dropped. */
static float *
new_pooled (BxRun *run, const float *prep, guint *n, int *labels, guint *d, GError **error)
{
  int L = bx_model_get_n_layers (run->new_m.model);
  g_autofree float **slots = g_new0 (float *, L);
  float *pooled;
  guint k = 0;

  *d = (guint)bx_model_feature_dim (run->new_m.model, L - 1, FALSE);
  pooled = g_new (float, (gsize)MAX (*n, 1) * *d);
  slots[L - 1] = pooled;
  if (!bx_model_pooled_outputs (run->new_m.model, prep, *n, (guint)run->opt->batch_forward, L - 1, slots, run->job,
                                "oracle-features", error))
    {
      g_free (pooled);
      return NULL;
    }
  for (guint i = 0; i < *n; i++)
    if (labels[i] >= 0)
      {
        memmove (pooled + (gsize)k * *d, pooled + (gsize)i * *d, sizeof (float) * *d);
        labels[k++] = labels[i];
      }
  *n = k;
  return pooled;
}

gboolean
bx_run_oracle (BxRun *run, GError **error)
{
  const BxRunOptions *opt = run->opt;
  g_autofree float *train_prep = NULL, *test_prep = NULL, *train_x = NULL, *test_x = NULL;
  g_autofree int *train_y = NULL, *test_y = NULL, *pred = NULL;
  g_autofree float *losses = NULL;
  g_autoptr (BxTaskHead) head = NULL;
  BxTaskHeadParams params;
  guint n_train = 0, n_test = 0, d = 0, C;
  JsonObject *o;

  if (!bx_run_load_models (run, FALSE, TRUE, error))
    return FALSE;
  if ((train_prep = new_side_windows (run, BX_ROLE_TRAIN, opt->train_new_npy, pick (opt->train_labels, opt->labels),
                                      &n_train, &train_y, error))
          == NULL
      || (train_x = new_pooled (run, train_prep, &n_train, train_y, &d, error)) == NULL)
    return FALSE;
  g_clear_pointer (&train_prep, g_free);
  if ((test_prep = new_side_windows (run, BX_ROLE_TEST, opt->test_new_npy, pick (opt->test_labels, opt->labels),
                                     &n_test, &test_y, error))
          == NULL
      || (test_x = new_pooled (run, test_prep, &n_test, test_y, &d, error)) == NULL)
    return FALSE;
  if (n_train == 0 || n_test == 0)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT, "oracle: %u labelled train and %u test windows",
                   n_train, n_test);
      return FALSE;
    }
  /* As many classes as the transfer's head, so the metrics compare. */
  C = run->head != NULL ? run->head->n_classes : 0;
  for (guint i = 0; i < n_train; i++)
    C = MAX (C, (guint)train_y[i] + 1);
  C = MAX (C, 2u);
  bx_task_head_params_init (&params);
  params.epochs = (guint)MAX (1, opt->head_epochs);
  params.learning_rate = (float)opt->head_lr;
  params.seed = (guint64)opt->seed;
  params.class_weights = BX_CLASS_WEIGHTS_INVERSE_COUNT;
  head = bx_task_head_new (d, C, (guint64)opt->seed);
  losses = g_new0 (float, params.epochs);
  if (!bx_task_head_fit (head, train_x, train_y, n_train, &params, losses, run->job, error))
    return FALSE;
  pred = g_new (int, n_test);
  bx_task_head_predict (head, test_x, n_test, pred, NULL);
  g_clear_pointer (&run->oracle_metrics, bx_metrics_free);
  run->oracle_metrics = bx_metrics_compute (test_y, pred, n_test, C, NULL);
  if (run->oracle_metrics == NULL)
    {
      g_set_error (error, BX_RUN_ERROR, BX_RUN_ERROR_INPUT, "oracle: no test window has a label in 0..%u", C - 1);
      return FALSE;
    }
  o = json_object_new ();
  json_object_set_int_member (o, "train_windows", n_train);
  json_object_set_int_member (o, "test_windows", n_test);
  json_set_number (o, "accuracy", run->oracle_metrics->accuracy);
  json_set_number (o, "balanced_accuracy", run->oracle_metrics->balanced_accuracy);
  json_set_number (o, "cohen_kappa", run->oracle_metrics->cohen_kappa);
  json_set_number (o, "f1_macro", run->oracle_metrics->f1_macro);
  json_object_set_object_member (run->summary, "oracle", o);
  return TRUE;
}

const BxMetrics *
bx_run_get_oracle_metrics (const BxRun *run)
{
  return run->oracle_metrics;
}

/* ---- summaries ---- */

char *
bx_run_summary_json (const BxRun *run)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (JsonGenerator) gen = json_generator_new ();

  json_node_set_object (node, run->summary);
  json_generator_set_root (gen, node);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

void
bx_run_print_summary (const BxRun *run, FILE *out)
{
  if (run->features != NULL)
    fprintf (out, "features: %u paired windows (%s)\n", run->features->n,
             run->cache_hit ? "from cache" : "computed");
  if (run->search != NULL)
    {
      const BxPositionSearch *s = run->search;
      fprintf (out, "position search\n  new layer  probe macro-F1\n");
      for (int i = 0; i < s->n_new_layers; i++)
        fprintf (out, "  %9d  %.4f%s\n", i, s->probe_f1[i], i == run->m ? "  <- m" : "");
      fprintf (out, "  old layer  CKA\n");
      for (int j = 0; j < s->n_old_layers; j++)
        fprintf (out, "  %9d  %.6f%s\n", j, s->cka[j], j == run->l ? "  <- l" : "");
      fprintf (out, "input layer m = %d, output layer l = %d\n", run->m, run->l);
    }
  if (json_object_has_member (run->summary, "train"))
    {
      JsonObject *t = json_object_get_object_member (run->summary, "train");
      fprintf (out, "train: %" G_GINT64_FORMAT " steps, loss %.6f -> %.6f, %.1f steps/s\n",
               json_object_get_int_member (t, "steps"),
               json_object_get_double_member_with_default (t, "first_loss", NAN),
               json_object_get_double_member_with_default (t, "final_loss", NAN),
               json_object_get_double_member_with_default (t, "steps_per_second", NAN));
    }
  if (run->metrics != NULL)
    {
      const BxMetrics *mt = run->metrics;
      guint C = mt->n_classes;
      fprintf (
          out,
          "accuracy           %.4f\nbalanced accuracy  %.4f\nCohen's kappa      %.4f\nmacro F1           "
          "%.4f\nweighted F1        %.4f\nconfusion (rows = true, columns = predicted)\n",
          mt->accuracy, mt->balanced_accuracy, mt->cohen_kappa, mt->f1_macro, mt->f1_weighted);
      fprintf (out, "  %10s", "");
      for (guint c = 0; c < C; c++)
        fprintf (out, " %8.8s", run->head->class_names[c]);
      fprintf (out, "\n");
      for (guint r = 0; r < C; r++)
        {
          fprintf (out, "  %10.10s", run->head->class_names[r]);
          for (guint c = 0; c < C; c++)
            fprintf (out, " %8u", mt->confusion[r * C + c]);
          fprintf (out, "\n");
        }
    }
  if (run->oracle_metrics != NULL)
    fprintf (out,
             "oracle (head trained with labels on the new modality): balanced accuracy %.4f, macro F1 %.4f, "
             "kappa %.4f\n",
             run->oracle_metrics->balanced_accuracy, run->oracle_metrics->f1_macro,
             run->oracle_metrics->cohen_kappa);
}

/* ---- front-end helpers ---- */

void
bx_run_add_options (GOptionContext *context, BxRunOptions *opt, guint which)
{
  const GOptionEntry common[] = {
    { "threads", 0, 0, G_OPTION_ARG_INT, &opt->threads, "Worker threads (0 = all cores)", "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &opt->seed, "Random seed (default 0)", "S" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt->json, "Print a JSON summary on stdout", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &opt->quiet, "No progress on stderr", NULL },
    { NULL },
  };
  const GOptionEntry models[] = {
    { "old-model", 0, 0, G_OPTION_ARG_STRING, &opt->old_family,
      "Old-modality model family (labram, hubert-ecg, papagei, normwear, auto)", "FAMILY" },
    { "old-checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &opt->old_checkpoint, "Old-modality model checkpoint",
      "FILE" },
    { "new-model", 0, 0, G_OPTION_ARG_STRING, &opt->new_family, "New-modality model family", "FAMILY" },
    { "new-checkpoint", 0, 0, G_OPTION_ARG_FILENAME, &opt->new_checkpoint, "New-modality model checkpoint",
      "FILE" },
    { NULL },
  };
  const GOptionEntry inputs[] = {
    { "old-npy", 0, 0, G_OPTION_ARG_FILENAME, &opt->old_npy,
      "Old-modality windows (N, ...) for every role not given", "X.npy" },
    { "new-npy", 0, 0, G_OPTION_ARG_FILENAME, &opt->new_npy,
      "New-modality windows (N, ...) for every role not given", "Y.npy" },
    { "labels", 0, 0, G_OPTION_ARG_FILENAME, &opt->labels, "Labels (N,) for every role not given", "L.npy" },
    { "train-old-npy", 0, 0, G_OPTION_ARG_FILENAME, &opt->train_old_npy,
      "Head training windows (old modality)", "X.npy" },
    { "train-labels", 0, 0, G_OPTION_ARG_FILENAME, &opt->train_labels, "Head training labels", "L.npy" },
    { "pair-old-npy", 0, 0, G_OPTION_ARG_FILENAME, &opt->pair_old_npy, "Paired windows, old modality",
      "X.npy" },
    { "pair-new-npy", 0, 0, G_OPTION_ARG_FILENAME, &opt->pair_new_npy, "Paired windows, new modality",
      "Y.npy" },
    { "test-new-npy", 0, 0, G_OPTION_ARG_FILENAME, &opt->test_new_npy, "Test windows, new modality",
      "Y.npy" },
    { "test-labels", 0, 0, G_OPTION_ARG_FILENAME, &opt->test_labels, "Test labels", "L.npy" },
    { "train-new-npy", 0, 0, G_OPTION_ARG_FILENAME, &opt->train_new_npy,
      "Labelled new-modality windows for the oracle head (with --train-labels)", "Y.npy" },
    { "classes", 0, 0, G_OPTION_ARG_STRING, &opt->classes, "Class names in label order, comma separated",
      "A,B,..." },
    { "window", 0, 0, G_OPTION_ARG_DOUBLE, &opt->window_seconds,
      "Seconds per window (default 30, or the bridge's)", "SECONDS" },
    { "manifest", 0, 0, G_OPTION_ARG_FILENAME, &opt->manifest,
      "Recordings manifest (TSV: path, subject, role, labels, channels)", "FILE" },
    { "step", 0, 0, G_OPTION_ARG_DOUBLE, &opt->step_seconds,
      "Seconds between window onsets (default: the window)", "SECONDS" },
    { "stage-set", 0, 0, G_OPTION_ARG_STRING, &opt->stage_set, "Sleep classes: aasm, rk or sleep-wake",
      "SET" },
    { NULL },
  };
  const GOptionEntry head[] = {
    { "head", 0, 0, G_OPTION_ARG_FILENAME, &opt->head_in, "Import a task head instead of training one",
      "FILE" },
    { "head-out", 0, 0, G_OPTION_ARG_FILENAME, &opt->head_out, "Save the task head (safetensors)", "FILE" },
    { "head-epochs", 0, 0, G_OPTION_ARG_INT, &opt->head_epochs, "Task-head epochs (default 50)", "E" },
    { "head-lr", 0, 0, G_OPTION_ARG_DOUBLE, &opt->head_lr, "Task-head learning rate (default 5e-4)", "LR" },
    { NULL },
  };
  const GOptionEntry features[] = {
    { "cache-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt->cache_dir,
      "Feature cache (default $XDG_CACHE_HOME/bioxbridge/features)", "DIR" },
    { "no-cache", 0, 0, G_OPTION_ARG_NONE, &opt->no_cache, "Neither read nor write the feature cache", NULL },
    { "forward-batch", 0, 0, G_OPTION_ARG_INT, &opt->batch_forward, "Windows per model forward (default 16)",
      "N" },
    { NULL },
  };
  const GOptionEntry train[] = {
    { "input-layer", 'm', 0, G_OPTION_ARG_INT, &opt->input_layer,
      "New-model layer m (default: from the search)", "M" },
    { "output-layer", 'l', 0, G_OPTION_ARG_INT, &opt->output_layer,
      "Old-model layer l (default: from the search)", "L" },
    { "rank", 'r', 0, G_OPTION_ARG_INT, &opt->rank, "Bridge rank r (default 32)", "R" },
    { "prototypes", 'P', 0, G_OPTION_ARG_INT, &opt->prototypes, "Prototypes P (default 64)", "P" },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &opt->epochs, "Bridge epochs (default 50)", "E" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &opt->lr, "Bridge learning rate (default 1e-5)", "LR" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &opt->batch, "Bridge batch size (default 16)", "N" },
    { "prototype-init", 0, 0, G_OPTION_ARG_STRING, &opt->prototype_init,
      "Prototype init: rand (default) or randreal", "INIT" },
    { "init-bridge", 0, 0, G_OPTION_ARG_FILENAME, &opt->init_bridge, "Start from this bridge file", "FILE" },
    { NULL },
  };
  const GOptionEntry bridge[] = {
    { "bridge", 0, 0, G_OPTION_ARG_FILENAME, &opt->bridge, "Bridge file", "FILE" },
    { "allow-checkpoint-mismatch", 0, 0, G_OPTION_ARG_NONE, &opt->allow_mismatch,
      "Use a bridge/head trained with other checkpoints (warning only)", NULL },
    { NULL },
  };
  const GOptionEntry output[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &opt->output, "Output file", "FILE" },
    { NULL },
  };
  struct
  {
    guint bit;
    const GOptionEntry *entries;
  } sets[] = {
    { BX_RUN_OPTS_COMMON, common }, { BX_RUN_OPTS_MODELS, models },     { BX_RUN_OPTS_INPUTS, inputs },
    { BX_RUN_OPTS_HEAD, head },     { BX_RUN_OPTS_FEATURES, features }, { BX_RUN_OPTS_TRAIN, train },
    { BX_RUN_OPTS_BRIDGE, bridge }, { BX_RUN_OPTS_OUTPUT, output },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (sets); i++)
    if (which & sets[i].bit)
      g_option_context_add_main_entries (context, sets[i].entries, NULL);
}

typedef struct
{
  BxRunWorkerFunc func;
  gpointer data;
  int result;
  GCancellable *cancellable;
  gint done; /* atomic */
} Worker;

static gpointer
worker_thread (gpointer user_data)
{
  Worker *w = user_data;

  w->result = w->func (w->data);
  /* The main thread re-checks `done` after every iteration of the default
   * context; the wakeup makes the iteration it may be blocked in return. A
   * flag cannot be lost the way a quit sent before the loop runs can. */
  g_atomic_int_set (&w->done, 1);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
on_signal (gpointer user_data)
{
  Worker *w = user_data;
  g_printerr ("bioxbridge-cli: interrupted, stopping\n");
  g_cancellable_cancel (w->cancellable);
  return G_SOURCE_CONTINUE;
}

int
bx_run_in_worker (GCancellable *cancellable, BxRunWorkerFunc func, gpointer data)
{
  Worker w = { func, data, 1, cancellable, 0 };
  guint s_int = g_unix_signal_add (SIGINT, on_signal, &w);
  guint s_term = g_unix_signal_add (SIGTERM, on_signal, &w);
  GThread *thread = g_thread_new ("bx-run", worker_thread, &w);

  /* Signals are dispatched here, in the main thread, while the worker runs. */
  while (!g_atomic_int_get (&w.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  g_source_remove (s_int);
  g_source_remove (s_term);
  return w.result;
}

void
bx_run_print_progress (const BxJobProgress *p, gpointer user_data)
{
  /* Reports come from the one worker thread. Without a terminal (logs, Slurm)
   * a line per 10 % of a stage is enough. */
  static int tty = -1;
  static char last_stage[64];
  static int last_decile = -1;
  int decile = (int)floor (10.0 * p->fraction);
  GString *line;

  (void)user_data;
  if (tty == -1)
    tty = isatty (2);
  if (!tty)
    {
      if (strcmp (last_stage, p->stage) == 0 && decile == last_decile)
        return;
      g_strlcpy (last_stage, p->stage, sizeof last_stage);
      last_decile = decile;
    }
  line = g_string_new (NULL);
  g_string_append_printf (line, "%-14s %3.0f%%", p->stage, 100.0 * p->fraction);
  if (p->detail != NULL)
    g_string_append_printf (line, "  %s", p->detail);
  if (isfinite (p->loss))
    g_string_append_printf (line, "  loss %.6f", p->loss);
  if (isfinite (p->eta) && p->fraction < 1.0)
    g_string_append_printf (line, "  ETA %.0f s", p->eta);
  if (tty)
    fprintf (stderr, "\r\033[K%s%s", line->str, p->fraction >= 1.0 ? "\n" : "");
  else
    fprintf (stderr, "%s\n", line->str);
  fflush (stderr);
  g_string_free (line, TRUE);
}
