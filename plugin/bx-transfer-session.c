/* bx-transfer-session.c — the assistant's pipeline state and its worker-thread stage groups. */
#include "config.h"

#include "bx-transfer-session.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <glib/gstdio.h>

#include "bridge/bx-bridge-file.h"
#include "bridge/bx-builtin-models.h"
#include "io/bx-checkpoint.h"

struct _BxTransferSession
{
  char *dir;
  BxRunOptions opt;
  BxRun *run;
  char *bridge_path; /* after a successful train */
  gboolean have_prediction;
};

static char *
make_session_dir (GError **error)
{
  g_autofree char *parent = g_build_filename (g_get_user_cache_dir (), "bioxbridge", "sessions", NULL);
  g_autofree char *templ = NULL;

  if (g_mkdir_with_parents (parent, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), _("Cannot create %s: %s"), parent,
                   g_strerror (saved));
      return NULL;
    }
  templ = g_build_filename (parent, "transfer-XXXXXX", NULL);
  if (g_mkdtemp (templ) == NULL)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), _("Cannot create %s: %s"), templ,
                   g_strerror (saved));
      return NULL;
    }
  return g_steal_pointer (&templ);
}

BxTransferSession *
bx_transfer_session_new_empty (GError **error)
{
  BxTransferSession *s;
  char *dir = make_session_dir (error);

  if (dir == NULL)
    return NULL;
  s = g_new0 (BxTransferSession, 1);
  s->dir = dir;
  bx_run_options_init (&s->opt);
  return s;
}

BxTransferSession *
bx_transfer_session_new (const BxTransferSetup *setup, const BxHypnogram *scoring, GError **error)
{
  g_autoptr (BxTransferSession) s = bx_transfer_session_new_empty (error);

  if (s == NULL || !bx_transfer_setup_to_options (setup, scoring, s->dir, &s->opt, error))
    return NULL;
  s->run = bx_run_new (&s->opt, NULL);
  return g_steal_pointer (&s);
}

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  /* The session folder holds only flat files we wrote (manifest, scoring, bridge). */
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_remove (path);
    }
  g_rmdir (dir);
}

void
bx_transfer_session_free (BxTransferSession *session)
{
  if (session == NULL)
    return;
  g_clear_pointer (&session->run, bx_run_free);
  bx_run_options_clear (&session->opt);
  if (session->dir != NULL)
    remove_tree (session->dir);
  g_free (session->dir);
  g_free (session->bridge_path);
  g_free (session);
}

const char *
bx_transfer_session_get_dir (const BxTransferSession *session)
{
  return session->dir;
}

BxRun *
bx_transfer_session_get_run (BxTransferSession *session)
{
  return session->run;
}

const char *
bx_transfer_session_get_bridge_path (const BxTransferSession *session)
{
  return session->bridge_path;
}

void
bx_transfer_session_update_training (BxTransferSession *s, const BxTransferSetup *setup)
{
  s->opt.epochs = setup->epochs;
  s->opt.lr = setup->lr;
  s->opt.rank = setup->rank;
  s->opt.prototypes = setup->prototypes;
  s->opt.batch = setup->batch;
  s->opt.seed = setup->seed;
  g_free (s->opt.prototype_init);
  s->opt.prototype_init = g_strdup (setup->real_prototypes ? "randreal" : "rand");
}

gboolean
bx_transfer_session_search (BxTransferSession *s, BxJob *job, GError **error)
{
  gboolean ok;

  bx_run_set_job (s->run, job);
  ok = bx_run_load_models (s->run, TRUE, TRUE, error) && bx_run_head (s->run, error)
       && bx_run_features (s->run, TRUE, error) && bx_run_search (s->run, error);
  bx_run_set_job (s->run, NULL);
  return ok;
}

gboolean
bx_transfer_session_train (BxTransferSession *s, int input_layer, int output_layer, const char *target, BxJob *job,
                           GError **error)
{
  g_autofree char *path = g_build_filename (s->dir, "bridge.safetensors", NULL);
  gboolean ok;

  bx_run_set_job (s->run, job);
  g_clear_pointer (&s->bridge_path, g_free);
  s->have_prediction = FALSE;
  ok = (input_layer < 0 || bx_run_set_positions (s->run, input_layer, output_layer, error))
       && bx_run_train (s->run, path, error) && bx_run_predict (s->run, target, NULL, error);
  bx_run_set_job (s->run, NULL);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR) && ok)
    s->bridge_path = g_steal_pointer (&path);
  s->have_prediction = ok;
  return ok;
}

/* Finds the checkpoint a bridge was trained with: same SHA-256. */
static char *
find_checkpoint (const BxBridgeModelInfo *info, const char *const *candidates, const char *bridge_path,
                 GError **error)
{
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  static const BxModality modalities[] = { BX_MODALITY_EEG, BX_MODALITY_ECG, BX_MODALITY_PPG, BX_MODALITY_EMG };
  g_autofree char *bridge_dir = g_path_get_dirname (bridge_path);

  for (const char *const *c = candidates; c != NULL && *c != NULL; c++)
    g_ptr_array_add (paths, g_strdup (*c));
  for (guint i = 0; i < G_N_ELEMENTS (modalities); i++)
    {
      char *p = bx_builtin_model_path (modalities[i]);
      if (p != NULL)
        g_ptr_array_add (paths, p);
    }
  g_ptr_array_add (paths, g_build_filename (bridge_dir, info->checkpoint, NULL));
  for (guint i = 0; i < paths->len; i++)
    {
      const char *p = g_ptr_array_index (paths, i);
      g_autofree char *sha = NULL;

      if (!g_file_test (p, G_FILE_TEST_IS_REGULAR) || (sha = bx_checkpoint_sha256 (p, NULL)) == NULL)
        continue;
      if (g_ascii_strcasecmp (sha, info->sha256) == 0)
        return g_strdup (p);
    }
  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
               _("%s: the %s checkpoint '%s' (SHA-256 %.12s…) it was trained with is not among the built-in "
                 "models, the imported ones or the bridge file's folder; import it under Models first"),
               bridge_path, info->family, info->checkpoint, info->sha256);
  return NULL;
}

/* The sleep stage set whose class names the head has, if any. */
static gboolean
stage_set_of_classes (const char *const *names, BxStageSet *out)
{
  static const BxStageSet sets[] = { BX_STAGE_SET_AASM, BX_STAGE_SET_RK, BX_STAGE_SET_SLEEP_WAKE };

  if (names == NULL)
    return FALSE;
  for (guint s = 0; s < G_N_ELEMENTS (sets); s++)
    {
      guint n = bx_stage_set_n_classes (sets[s]), i;

      if (g_strv_length ((char **)names) != n)
        continue;
      for (i = 0; i < n; i++)
        if (g_strcmp0 (names[i], bx_stage_set_class_name (sets[s], i)) != 0)
          break;
      if (i == n)
        {
          *out = sets[s];
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
bx_transfer_session_apply (BxTransferSession *s, const char *bridge_path, const char *const *candidates,
                           const char *target, BxJob *job, GError **error)
{
  g_autoptr (BxBridgeFile) file = bx_bridge_file_read (bridge_path, error);
  BxStageSet set;
  gboolean ok;

  if (file == NULL)
    return FALSE;
  g_clear_pointer (&s->run, bx_run_free);
  bx_run_options_clear (&s->opt);
  bx_run_options_init (&s->opt);
  s->opt.quiet = TRUE;
  s->opt.old_family = g_strdup (file->old_model.family);
  s->opt.new_family = g_strdup (file->new_model.family);
  if ((s->opt.old_checkpoint = find_checkpoint (&file->old_model, candidates, bridge_path, error)) == NULL
      || (s->opt.new_checkpoint = find_checkpoint (&file->new_model, candidates, bridge_path, error)) == NULL)
    return FALSE;
  s->opt.window_seconds = file->window_seconds;
  if (stage_set_of_classes ((const char *const *)file->head->class_names, &set))
    s->opt.stage_set = g_strdup (bx_stage_set_to_string (set));
  s->run = bx_run_new (&s->opt, job);
  s->have_prediction = FALSE;
  ok = bx_run_use_bridge (s->run, bridge_path, error) && bx_run_predict (s->run, target, NULL, error);
  bx_run_set_job (s->run, NULL);
  s->have_prediction = ok;
  return ok;
}

gboolean
bx_transfer_session_get_stage_set (BxTransferSession *s, BxStageSet *set)
{
  return s->run != NULL && stage_set_of_classes (bx_run_get_class_names (s->run), set);
}

BxHypnogram *
bx_transfer_session_get_prediction (BxTransferSession *s)
{
  g_autoptr (BxHypnogram) classes = NULL;
  BxStageSet set;

  if (s->run == NULL || !s->have_prediction || (classes = bx_run_get_prediction (s->run)) == NULL)
    return NULL;
  if (!bx_transfer_session_get_stage_set (s, &set))
    return g_steal_pointer (&classes);
  return bx_hypnogram_stages_from_classes (classes, set);
}

BxMetrics *
bx_transfer_compare (const BxHypnogram *prediction, const BxHypnogram *scoring, BxStageSet set)
{
  guint n = MIN (prediction->n_epochs, scoring->n_epochs);
  g_autofree int *truth = g_new (int, MAX (n, 1)), *pred = g_new (int, MAX (n, 1));

  /* Both on the 30-s grid from the recording start (the windows are cut on it). */
  for (guint e = 0; e < n; e++)
    {
      truth[e] = bx_stage_set_class (set, (BxStage)scoring->stages[e]);
      pred[e] = bx_stage_set_class (set, (BxStage)prediction->stages[e]);
    }
  return bx_metrics_compute (truth, pred, n, bx_stage_set_n_classes (set), NULL);
}

gboolean
bx_transfer_session_save_bridge (BxTransferSession *s, const char *path, GError **error)
{
  g_autofree char *tmp = NULL;
  g_autoptr (GFile) src = NULL, dst = NULL;

  if (s->bridge_path == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("No bridge has been trained yet"));
      return FALSE;
    }
  tmp = bx_job_temp_path (path);
  src = g_file_new_for_path (s->bridge_path);
  dst = g_file_new_for_path (tmp);
  if (!g_file_copy (src, dst, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, error)
      || !bx_job_commit_file (tmp, path, error))
    {
      bx_job_abort_file (tmp);
      return FALSE;
    }
  return TRUE;
}
