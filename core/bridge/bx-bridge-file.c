/* bx-bridge-file.c — bridge + task head as safetensors with JSON metadata. */
#include "bridge/bx-bridge-file.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "io/bx-checkpoint.h"
#include "io/bx-safetensors.h"

/* clang-format off */
G_DEFINE_QUARK (bx-bridge-file-error-quark, bx_bridge_file_error)
/* clang-format on */

const char *
bx_bridge_layout_name (BxBridgeLayout layout)
{
  return layout == BX_BRIDGE_LAYOUT_TRANSPOSE ? "transpose" : "raw";
}

gboolean
bx_bridge_layout_from_name (const char *name, BxBridgeLayout *layout)
{
  if (g_strcmp0 (name, "raw") == 0)
    *layout = BX_BRIDGE_LAYOUT_RAW;
  else if (g_strcmp0 (name, "transpose") == 0)
    *layout = BX_BRIDGE_LAYOUT_TRANSPOSE;
  else
    return FALSE;
  return TRUE;
}

BxBridgeFile *
bx_bridge_file_new (void)
{
  BxBridgeFile *file = g_new0 (BxBridgeFile, 1);

  file->input_layer = -1;
  file->output_layer = -1;
  return file;
}

void
bx_bridge_model_info_clear (BxBridgeModelInfo *info)
{
  g_clear_pointer (&info->family, g_free);
  g_clear_pointer (&info->checkpoint, g_free);
  g_clear_pointer (&info->sha256, g_free);
  g_clear_pointer (&info->config_json, g_free);
}

void
bx_bridge_file_free (BxBridgeFile *file)
{
  if (file == NULL)
    return;
  g_clear_pointer (&file->bridge, bx_proto_bridge_free);
  g_clear_pointer (&file->head, bx_task_head_free);
  bx_bridge_model_info_clear (&file->old_model);
  bx_bridge_model_info_clear (&file->new_model);
  g_free (file->preprocessing_json);
  g_free (file->training_json);
  g_free (file->search_json);
  g_free (file);
}

gboolean
bx_bridge_model_info_set (BxBridgeModelInfo *info, const char *family, const char *checkpoint_path,
                          const char *config_json, GError **error)
{
  g_autofree char *sha = bx_checkpoint_sha256 (checkpoint_path, error);

  if (sha == NULL)
    return FALSE;
  bx_bridge_model_info_clear (info);
  info->family = g_strdup (family);
  info->checkpoint = g_path_get_basename (checkpoint_path);
  info->sha256 = g_steal_pointer (&sha);
  info->config_json = config_json != NULL && *config_json != '\0' ? g_strdup (config_json) : g_strdup ("{}");
  return TRUE;
}

/* ---- writing ---- */

static char *
class_names_json (const BxTaskHead *head)
{
  g_autoptr (JsonBuilder) b = json_builder_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_array (b);
  for (guint c = 0; c < head->n_classes; c++)
    {
      if (head->class_names != NULL && c < g_strv_length (head->class_names))
        json_builder_add_string_value (b, head->class_names[c]);
      else
        {
          g_autofree char *name = g_strdup_printf ("class%u", c);
          json_builder_add_string_value (b, name);
        }
    }
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static void
set_uint (BxStateDict *sd, const char *key, guint64 value)
{
  char buf[32];

  g_snprintf (buf, sizeof buf, "%" G_GUINT64_FORMAT, value);
  bx_state_dict_set_metadata (sd, key, buf);
}

static void
set_model (BxStateDict *sd, const char *prefix, const BxBridgeModelInfo *info)
{
  struct
  {
    const char *suffix, *value;
  } fields[] = {
    { "family", info->family },
    { "checkpoint", info->checkpoint },
    { "sha256", info->sha256 },
    { "config", info->config_json != NULL ? info->config_json : "{}" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autofree char *key = g_strdup_printf ("%s.%s", prefix, fields[i].suffix);
      bx_state_dict_set_metadata (sd, key, fields[i].value != NULL ? fields[i].value : "");
    }
}

gboolean
bx_bridge_file_write (const char *path, const BxBridgeFile *file, GError **error)
{
  const BxProtoBridge *br = file->bridge;
  const BxTaskHead *head = file->head;
  g_autoptr (BxStateDict) sd = bx_state_dict_new ();
  g_autofree char *classes = NULL;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  gint64 shape_a[2], shape_b[2], shape_p[2], shape_w[2], shape_bias[1];

  g_return_val_if_fail (br != NULL && head != NULL, FALSE);
  shape_a[0] = br->rank, shape_a[1] = br->d_new;
  shape_b[0] = (gint64)br->n_prototypes * br->n_tokens, shape_b[1] = br->rank;
  shape_p[0] = br->d_old, shape_p[1] = br->n_prototypes;
  shape_w[0] = head->n_classes, shape_w[1] = head->n_features;
  shape_bias[0] = head->n_classes;
  if (!bx_state_dict_add_float (sd, "bridge.A", 2, shape_a, br->A, error)
      || !bx_state_dict_add_float (sd, "bridge.B", 2, shape_b, br->B, error)
      || !bx_state_dict_add_float (sd, "bridge.prototypes", 2, shape_p, br->prototypes, error)
      || !bx_state_dict_add_float (sd, "head.weight", 2, shape_w, head->weight, error)
      || !bx_state_dict_add_float (sd, "head.bias", 1, shape_bias, head->bias, error))
    return FALSE;

  bx_state_dict_set_metadata (sd, "format", BX_BRIDGE_FILE_FORMAT);
  set_uint (sd, "format_version", BX_BRIDGE_FILE_VERSION);
  set_model (sd, "old_model", &file->old_model);
  set_model (sd, "new_model", &file->new_model);
  set_uint (sd, "input_layer", (guint64)MAX (file->input_layer, 0));
  set_uint (sd, "output_layer", (guint64)MAX (file->output_layer, 0));
  set_uint (sd, "d_new", br->d_new);
  set_uint (sd, "d_old", br->d_old);
  set_uint (sd, "rank", br->rank);
  set_uint (sd, "prototypes", br->n_prototypes);
  set_uint (sd, "tokens", br->n_tokens);
  bx_state_dict_set_metadata (sd, "layout", bx_bridge_layout_name (br->layout));
  bx_state_dict_set_metadata (sd, "preprocessing",
                              file->preprocessing_json != NULL ? file->preprocessing_json : "{}");
  bx_state_dict_set_metadata (sd, "window_seconds", g_ascii_dtostr (buf, sizeof buf, file->window_seconds));
  classes = class_names_json (head);
  bx_state_dict_set_metadata (sd, "class_names", classes);
  bx_state_dict_set_metadata (sd, "training", file->training_json != NULL ? file->training_json : "{}");
  bx_state_dict_set_metadata (sd, "position_search", file->search_json != NULL ? file->search_json : "null");
  return bx_safetensors_write (path, sd, error);
}

/* ---- reading ---- */

static const char *
require_meta (const BxStateDict *sd, const char *path, const char *key, GError **error)
{
  const char *v = bx_state_dict_get_metadata (sd, key);

  if (v == NULL)
    g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT,
                 "%s: bridge file metadata has no '%s'", path, key);
  return v;
}

static gboolean
require_uint (const BxStateDict *sd, const char *path, const char *key, guint max, guint *out, GError **error)
{
  const char *v = require_meta (sd, path, key, error);
  guint64 value = 0;

  if (v == NULL)
    return FALSE;
  if (!g_ascii_string_to_unsigned (v, 10, 0, max, &value, NULL))
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT,
                   "%s: metadata '%s' = '%s' is not an integer in 0..%u", path, key, v, max);
      return FALSE;
    }
  *out = (guint)value;
  return TRUE;
}

static gboolean
require_json (const BxStateDict *sd, const char *path, const char *key, JsonNodeType type, char **out,
              JsonNode **node_out, GError **error)
{
  const char *v = require_meta (sd, path, key, error);
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) local = NULL;
  JsonNode *root;

  if (v == NULL)
    return FALSE;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, v, -1, &local))
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT,
                   "%s: metadata '%s' is not JSON: %s", path, key, local->message);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || (JSON_NODE_TYPE (root) != type && JSON_NODE_TYPE (root) != JSON_NODE_NULL))
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT,
                   "%s: metadata '%s' = '%.60s' is not a JSON %s", path, key, v,
                   type == JSON_NODE_ARRAY ? "array" : "object");
      return FALSE;
    }
  if (out != NULL)
    *out = g_strdup (v);
  if (node_out != NULL)
    *node_out = json_node_copy (root);
  return TRUE;
}

static gboolean
read_model (const BxStateDict *sd, const char *path, const char *prefix, BxBridgeModelInfo *info,
            GError **error)
{
  g_autofree char *k_family = g_strdup_printf ("%s.family", prefix);
  g_autofree char *k_ckpt = g_strdup_printf ("%s.checkpoint", prefix);
  g_autofree char *k_sha = g_strdup_printf ("%s.sha256", prefix);
  g_autofree char *k_config = g_strdup_printf ("%s.config", prefix);
  const char *family, *ckpt, *sha;

  if ((family = require_meta (sd, path, k_family, error)) == NULL
      || (ckpt = require_meta (sd, path, k_ckpt, error)) == NULL
      || (sha = require_meta (sd, path, k_sha, error)) == NULL)
    return FALSE;
  if (strlen (sha) != 64 || strspn (sha, "0123456789abcdef") != 64)
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT,
                   "%s: metadata '%s' = '%.80s' is not a lower-case hex SHA-256", path, k_sha, sha);
      return FALSE;
    }
  info->family = g_strdup (family);
  info->checkpoint = g_strdup (ckpt);
  info->sha256 = g_strdup (sha);
  return require_json (sd, path, k_config, JSON_NODE_OBJECT, &info->config_json, NULL, error);
}

/* Copies tensor `name` of exactly (d0[, d1]) floats and checks every value is finite. */
static gboolean
read_tensor (const BxStateDict *sd, const char *path, const char *name, int ndim, gint64 d0, gint64 d1,
             float *dst, GError **error)
{
  gint64 shape[2] = { d0, d1 };
  gsize n = (gsize)d0 * (ndim == 2 ? (gsize)d1 : 1);
  g_autoptr (GError) local = NULL;

  if (!bx_state_dict_copy_float (sd, name, ndim, shape, dst, n, &local))
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT, "%s: %s", path, local->message);
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    if (!isfinite (dst[i]))
      {
        g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT,
                     "%s: tensor '%s' has a non-finite value at index %" G_GSIZE_FORMAT, path, name, i);
        return FALSE;
      }
  return TRUE;
}

BxBridgeFile *
bx_bridge_file_read (const char *path, GError **error)
{
  g_autoptr (BxStateDict) sd = NULL;
  g_autoptr (BxBridgeFile) file = bx_bridge_file_new ();
  g_autoptr (GError) local = NULL;
  g_autoptr (JsonNode) classes = NULL;
  const BxTensor *w;
  const char *format, *layout_name, *window;
  guint version, m, l, d_new, d_old, rank, P, T, n_classes, n_features;
  BxBridgeLayout layout;
  char *end = NULL;

  sd = bx_safetensors_read (path, &local);
  if (sd == NULL)
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT,
                   "%s is not a readable bridge file: %s", path, local->message);
      return NULL;
    }
  format = bx_state_dict_get_metadata (sd, "format");
  if (g_strcmp0 (format, BX_BRIDGE_FILE_FORMAT) != 0)
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT,
                   "%s: not a bridge file (metadata 'format' is '%s', expected '%s')", path,
                   format != NULL ? format : "(missing)", BX_BRIDGE_FILE_FORMAT);
      return NULL;
    }
  if (!require_uint (sd, path, "format_version", G_MAXUINT, &version, error))
    return NULL;
  if (version > BX_BRIDGE_FILE_VERSION || version == 0)
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_VERSION,
                   "%s: bridge file format_version %u is not supported (this build reads up to %d)", path,
                   version, BX_BRIDGE_FILE_VERSION);
      return NULL;
    }
  if (!read_model (sd, path, "old_model", &file->old_model, error)
      || !read_model (sd, path, "new_model", &file->new_model, error)
      || !require_uint (sd, path, "input_layer", 1024, &m, error)
      || !require_uint (sd, path, "output_layer", 1024, &l, error)
      || !require_uint (sd, path, "d_new", 1 << 20, &d_new, error)
      || !require_uint (sd, path, "d_old", 1 << 20, &d_old, error)
      || !require_uint (sd, path, "rank", 1 << 16, &rank, error)
      || !require_uint (sd, path, "prototypes", 1 << 16, &P, error)
      || !require_uint (sd, path, "tokens", 1 << 20, &T, error)
      || (layout_name = require_meta (sd, path, "layout", error)) == NULL
      || (window = require_meta (sd, path, "window_seconds", error)) == NULL
      || !require_json (sd, path, "preprocessing", JSON_NODE_OBJECT, &file->preprocessing_json, NULL, error)
      || !require_json (sd, path, "training", JSON_NODE_OBJECT, &file->training_json, NULL, error)
      || !require_json (sd, path, "position_search", JSON_NODE_OBJECT, &file->search_json, NULL, error)
      || !require_json (sd, path, "class_names", JSON_NODE_ARRAY, NULL, &classes, error))
    return NULL;
  if (!bx_bridge_layout_from_name (layout_name, &layout))
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT,
                   "%s: metadata 'layout' = '%s' (expected 'raw' or 'transpose')", path, layout_name);
      return NULL;
    }
  file->window_seconds = g_ascii_strtod (window, &end);
  if (end == window || *end != '\0' || !isfinite (file->window_seconds) || file->window_seconds < 0)
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT,
                   "%s: metadata 'window_seconds' = '%s' is not a non-negative number", path, window);
      return NULL;
    }
  if (d_new == 0 || d_old == 0 || rank == 0 || P == 0 || T == 0)
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT,
                   "%s: bridge geometry d_new %u, d_old %u, rank %u, prototypes %u, tokens %u has a zero",
                   path, d_new, d_old, rank, P, T);
      return NULL;
    }
  file->input_layer = (int)m;
  file->output_layer = (int)l;

  /* Head: C and D come from head.weight, then everything must agree. */
  w = bx_state_dict_lookup (sd, "head.weight");
  if (w == NULL || w->ndim != 2 || w->shape[0] < 1 || w->shape[1] < 1 || w->shape[0] > 4096)
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT,
                   "%s: tensor 'head.weight' is missing or not a (classes, features) matrix", path);
      return NULL;
    }
  n_classes = (guint)w->shape[0];
  n_features = (guint)w->shape[1];
  if (json_array_get_length (json_node_get_array (classes)) != n_classes)
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT,
                   "%s: metadata 'class_names' has %u names but head.weight has %u classes", path,
                   json_array_get_length (json_node_get_array (classes)), n_classes);
      return NULL;
    }
  file->head = bx_task_head_new (n_features, n_classes, 0);
  file->head->class_names = g_new0 (char *, n_classes + 1);
  for (guint c = 0; c < n_classes; c++)
    {
      JsonNode *e = json_array_get_element (json_node_get_array (classes), c);
      if (JSON_NODE_TYPE (e) != JSON_NODE_VALUE || json_node_get_value_type (e) != G_TYPE_STRING)
        {
          g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_FORMAT,
                       "%s: metadata 'class_names' element %u is not a string", path, c);
          return NULL;
        }
      file->head->class_names[c] = g_strdup (json_node_get_string (e));
    }
  file->bridge = bx_proto_bridge_new_empty (d_new, d_old, rank, P, T, layout);
  if (!read_tensor (sd, path, "bridge.A", 2, rank, d_new, file->bridge->A, error)
      || !read_tensor (sd, path, "bridge.B", 2, (gint64)P * T, rank, file->bridge->B, error)
      || !read_tensor (sd, path, "bridge.prototypes", 2, d_old, P, file->bridge->prototypes, error)
      || !read_tensor (sd, path, "head.weight", 2, n_classes, n_features, file->head->weight, error)
      || !read_tensor (sd, path, "head.bias", 1, n_classes, 1, file->head->bias, error))
    return NULL;
  return g_steal_pointer (&file);
}

gboolean
bx_bridge_file_check_model (const BxBridgeFile *file, gboolean is_old, const char *family, const char *sha256,
                            gboolean allow_mismatch, char **warning, GError **error)
{
  const BxBridgeModelInfo *info = is_old ? &file->old_model : &file->new_model;
  const char *role = is_old ? "old" : "new";
  g_autofree char *msg = NULL;

  if (family != NULL && g_strcmp0 (family, info->family) != 0)
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_MISMATCH,
                   "the bridge was trained with a %s %s model, not %s", info->family, role, family);
      return FALSE;
    }
  if (sha256 == NULL || g_strcmp0 (sha256, info->sha256) == 0)
    return TRUE;
  msg = g_strdup_printf ("the bridge was trained with %s model checkpoint %s (sha256 %.12s…), but the given "
                         "checkpoint has sha256 %.12s…",
                         role, info->checkpoint, info->sha256, sha256);
  if (!allow_mismatch)
    {
      g_set_error (error, BX_BRIDGE_FILE_ERROR, BX_BRIDGE_FILE_ERROR_MISMATCH,
                   "%s (use --allow-checkpoint-mismatch to use it anyway)", msg);
      return FALSE;
    }
  if (warning != NULL)
    *warning = g_steal_pointer (&msg);
  return TRUE;
}
