/* bx-builtin-models.c — locating the shipped compact encoders. */
#include "config.h"

#include "bridge/bx-builtin-models.h"

static char *
file_name (BxModality modality)
{
  g_autofree char *lower = g_ascii_strdown (bx_modality_to_string (modality), -1);

  return g_strdup_printf ("compact-%s.safetensors", lower);
}

/* Candidate folders in search order; NULL entries are skipped. */
static void
candidates (const char *out[3])
{
  out[0] = g_getenv ("BIOX_MODELS_DIR");
  out[1] = PKGDATADIR "/models";
#ifdef BIOX_SOURCE_MODELS_DIR
  out[2] = BIOX_SOURCE_MODELS_DIR;
#else
  out[2] = NULL;
#endif
}

char *
bx_builtin_model_path (BxModality modality)
{
  g_autofree char *name = file_name (modality);
  const char *dirs[3];

  candidates (dirs);
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = NULL;

      if (dirs[i] == NULL || dirs[i][0] == '\0')
        continue;
      path = g_build_filename (dirs[i], name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  return NULL;
}

char *
bx_builtin_models_dir (void)
{
  static const BxModality modalities[] = { BX_MODALITY_EEG, BX_MODALITY_ECG, BX_MODALITY_PPG, BX_MODALITY_EMG };

  for (guint i = 0; i < G_N_ELEMENTS (modalities); i++)
    {
      g_autofree char *path = bx_builtin_model_path (modalities[i]);

      if (path != NULL)
        return g_path_get_dirname (path);
    }
  return NULL;
}

gboolean
bx_builtin_model_is_builtin (const char *path)
{
  static const BxModality modalities[] = { BX_MODALITY_EEG, BX_MODALITY_ECG, BX_MODALITY_PPG, BX_MODALITY_EMG };

  for (guint i = 0; i < G_N_ELEMENTS (modalities); i++)
    {
      g_autofree char *builtin = bx_builtin_model_path (modalities[i]);

      if (builtin != NULL && g_strcmp0 (builtin, path) == 0)
        return TRUE;
    }
  return FALSE;
}
