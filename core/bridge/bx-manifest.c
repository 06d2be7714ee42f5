/* bx-manifest.c — parsing of run manifests (TSV). */
#include "bx-manifest.h"

#include <string.h>

G_DEFINE_QUARK (bx-manifest-error-quark, bx_manifest_error)

enum { COL_PATH, COL_SUBJECT, COL_ROLE, COL_LABELS, COL_CHANNELS, N_COLS };
static const char *const column_names[N_COLS] = { "path", "subject", "role", "labels", "channels" };

static void
entry_free (gpointer data)
{
  BxManifestEntry *e = data;

  g_free (e->path);
  g_free (e->subject);
  g_free (e->label_value);
  for (int m = 0; m < BX_N_MODALITIES; m++)
    g_strfreev (e->channels[m]);
  g_free (e);
}

void
bx_manifest_free (BxManifest *manifest)
{
  if (manifest == NULL)
    return;
  g_free (manifest->path);
  g_ptr_array_unref (manifest->entries);
  g_free (manifest);
}

static gboolean
is_blank (const char *line)
{
  for (; *line != '\0'; line++)
    if (!g_ascii_isspace (*line))
      return FALSE;
  return TRUE;
}

static char *
resolve (const char *dir, const char *path)
{
  return g_path_is_absolute (path) ? g_strdup (path) : g_build_filename (dir, path, NULL);
}

#define PARSE_ERROR(...) \
  g_set_error (error, BX_MANIFEST_ERROR, BX_MANIFEST_ERROR_PARSE, __VA_ARGS__)

static gboolean
parse_roles (const char *file, guint line, const char *text, guint *roles, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);

  *roles = 0;
  for (char **p = parts; *p != NULL; p++)
    {
      g_autofree char *r = g_ascii_strdown (g_strstrip (*p), -1);
      if (g_str_equal (r, "train"))
        *roles |= BX_ROLE_TRAIN;
      else if (g_str_equal (r, "pair"))
        *roles |= BX_ROLE_PAIR;
      else if (g_str_equal (r, "test"))
        *roles |= BX_ROLE_TEST;
      else
        {
          PARSE_ERROR ("%s: line %u, column 'role': unknown role '%s' (expected train, pair or test)", file, line, r);
          return FALSE;
        }
    }
  if (*roles == 0)
    {
      PARSE_ERROR ("%s: line %u, column 'role': empty", file, line);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_labels (const char *file, const char *dir, guint line, const char *text, BxManifestEntry *e, GError **error)
{
  if (*text == '\0' || g_ascii_strcasecmp (text, "none") == 0)
    e->label_source = BX_LABEL_SOURCE_NONE;
  else if (g_ascii_strcasecmp (text, "annotations") == 0)
    e->label_source = BX_LABEL_SOURCE_ANNOTATIONS;
  else if (g_str_has_prefix (text, "file:") && text[5] != '\0')
    {
      e->label_source = BX_LABEL_SOURCE_FILE;
      e->label_value = resolve (dir, text + 5);
    }
  else if (g_str_has_prefix (text, "label:") && text[6] != '\0')
    {
      e->label_source = BX_LABEL_SOURCE_CONSTANT;
      e->label_value = g_strdup (text + 6);
    }
  else
    {
      PARSE_ERROR ("%s: line %u, column 'labels': '%s' is not one of annotations, file:PATH, label:NAME, none", file,
                   line, text);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_channels (const char *file, guint line, const char *text, BxManifestEntry *e, GError **error)
{
  g_auto (GStrv) groups = NULL;

  if (*text == '\0' || g_ascii_strcasecmp (text, "auto") == 0)
    return TRUE;
  groups = g_strsplit (text, ";", -1);
  for (char **g = groups; *g != NULL; g++)
    {
      char *eq = strchr (*g, '=');
      BxModality modality;
      g_autofree char *name = NULL;

      if (g_strstrip (*g)[0] == '\0')
        continue;
      if (eq == NULL)
        {
          PARSE_ERROR ("%s: line %u, column 'channels': '%s' should be MODALITY=label,label", file, line, *g);
          return FALSE;
        }
      name = g_strndup (*g, eq - *g);
      if (!bx_modality_from_string (g_strstrip (name), &modality))
        {
          PARSE_ERROR ("%s: line %u, column 'channels': unknown modality '%s'", file, line, name);
          return FALSE;
        }
      g_strfreev (e->channels[modality]);
      e->channels[modality] = g_strsplit (eq + 1, ",", -1);
      for (char **c = e->channels[modality]; *c != NULL; c++)
        g_strstrip (*c);
    }
  return TRUE;
}

BxManifest *
bx_manifest_load (const char *path, GError **error)
{
  g_autoptr (BxManifest) manifest = g_new0 (BxManifest, 1);
  g_autofree char *text = NULL;
  g_autofree char *dir = NULL;
  g_auto (GStrv) lines = NULL;
  int column_of[N_COLS];
  gboolean have_header = FALSE;
  guint n_header = 0;

  manifest->path = g_strdup (path);
  manifest->entries = g_ptr_array_new_with_free_func (entry_free);
  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, BX_MANIFEST_ERROR, BX_MANIFEST_ERROR_PARSE, "%s: not UTF-8 text", path);
      return NULL;
    }
  dir = g_path_get_dirname (path);
  lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint line = i + 1;
      char *l = lines[i];
      g_auto (GStrv) fields = NULL;
      g_autoptr (GPtrArray) unused = NULL;
      BxManifestEntry *e;
      guint n_fields;

      if (i == 0 && g_str_has_prefix (l, "\xEF\xBB\xBF"))
        l += 3; /* BOM */
      /* Drop the CR of CRLF files, but not trailing tabs: they delimit empty
       * last fields. */
      if (*l != '\0' && l[strlen (l) - 1] == '\r')
        l[strlen (l) - 1] = '\0';
      if (is_blank (l) || *l == '#')
        continue;
      fields = g_strsplit (l, "\t", -1);
      n_fields = g_strv_length (fields);
      for (guint f = 0; f < n_fields; f++)
        g_strstrip (fields[f]);

      if (!have_header)
        {
          for (int c = 0; c < N_COLS; c++)
            column_of[c] = -1;
          for (guint f = 0; f < n_fields; f++)
            {
              int c;
              for (c = 0; c < N_COLS; c++)
                if (g_ascii_strcasecmp (fields[f], column_names[c]) == 0)
                  break;
              if (c == N_COLS)
                {
                  PARSE_ERROR ("%s: line %u: unknown column '%s' (known: path, subject, role, labels, channels)", path,
                               line, fields[f]);
                  return NULL;
                }
              column_of[c] = (int) f;
            }
          if (column_of[COL_PATH] < 0 || column_of[COL_ROLE] < 0)
            {
              PARSE_ERROR ("%s: line %u: the header needs the columns 'path' and 'role'", path, line);
              return NULL;
            }
          n_header = n_fields;
          have_header = TRUE;
          continue;
        }

      if (n_fields != n_header)
        {
          PARSE_ERROR ("%s: line %u: %u fields, but the header has %u (fields are separated by tabs)", path, line,
                       n_fields, n_header);
          return NULL;
        }
      e = g_new0 (BxManifestEntry, 1);
      e->line = line;
      g_ptr_array_add (manifest->entries, e);
      if (fields[column_of[COL_PATH]][0] == '\0')
        {
          PARSE_ERROR ("%s: line %u, column 'path': empty", path, line);
          return NULL;
        }
      e->path = resolve (dir, fields[column_of[COL_PATH]]);
      if (column_of[COL_SUBJECT] >= 0 && fields[column_of[COL_SUBJECT]][0] != '\0')
        e->subject = g_strdup (fields[column_of[COL_SUBJECT]]);
      else
        e->subject = g_path_get_basename (e->path);
      if (!parse_roles (path, line, fields[column_of[COL_ROLE]], &e->roles, error))
        return NULL;
      if (column_of[COL_LABELS] >= 0
          && !parse_labels (path, dir, line, fields[column_of[COL_LABELS]], e, error))
        return NULL;
      if (column_of[COL_CHANNELS] >= 0 && !parse_channels (path, line, fields[column_of[COL_CHANNELS]], e, error))
        return NULL;
    }
  if (manifest->entries->len == 0)
    {
      g_set_error (error, BX_MANIFEST_ERROR, BX_MANIFEST_ERROR_PARSE, "%s: no recordings listed", path);
      return NULL;
    }
  return g_steal_pointer (&manifest);
}

GPtrArray *
bx_manifest_select (const BxManifest *manifest, guint roles)
{
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; i < manifest->entries->len; i++)
    {
      BxManifestEntry *e = g_ptr_array_index (manifest->entries, i);
      if ((e->roles & roles) == roles)
        g_ptr_array_add (out, e);
    }
  return out;
}

GStrv
bx_manifest_constant_labels (const BxManifest *manifest)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < manifest->entries->len; i++)
    {
      BxManifestEntry *e = g_ptr_array_index (manifest->entries, i);
      if (e->label_source == BX_LABEL_SOURCE_CONSTANT && g_hash_table_add (seen, e->label_value))
        g_strv_builder_add (builder, e->label_value);
    }
  return g_strv_builder_end (builder);
}
