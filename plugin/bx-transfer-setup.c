/* bx-transfer-setup.c — the transfer assistant's choices → manifest + bx-run options. */
#include "config.h"

#include "bx-transfer-setup.h"

#include <glib/gi18n.h>
#include <math.h>

#include "bridge/bx-builtin-models.h"
#include "jobs/bx-job.h"
#include "recording/bx-labels-io.h"

static void
recording_free (gpointer data)
{
  BxTransferRecording *r = data;

  g_free (r->path);
  g_free (r->labels);
  g_free (r);
}

static void
side_clear (BxTransferSide *side)
{
  g_clear_pointer (&side->channels, g_free);
  g_clear_pointer (&side->checkpoint, g_free);
}

BxTransferSetup *
bx_transfer_setup_new (void)
{
  BxTransferSetup *s = g_new0 (BxTransferSetup, 1);

  s->recordings = g_ptr_array_new_with_free_func (recording_free);
  s->old_side.modality = BX_MODALITY_EEG;
  s->old_side.family = BX_MODEL_FAMILY_COMPACT;
  s->new_side.modality = BX_MODALITY_ECG;
  s->new_side.family = BX_MODEL_FAMILY_COMPACT;
  s->stage_set = BX_STAGE_SET_AASM;
  s->window_seconds = 30;
  s->seed = 1;
  bx_transfer_setup_apply_defaults (s);
  return s;
}

void
bx_transfer_setup_free (BxTransferSetup *setup)
{
  if (setup == NULL)
    return;
  g_ptr_array_unref (setup->recordings);
  side_clear (&setup->old_side);
  side_clear (&setup->new_side);
  g_free (setup->head_path);
  g_free (setup);
}

static BxTransferRecording *
recording_new (const char *path, guint roles, const char *labels)
{
  BxTransferRecording *r = g_new0 (BxTransferRecording, 1);

  r->path = g_canonicalize_filename (path, NULL);
  r->roles = roles;
  r->labels = g_strdup (labels);
  return r;
}

/* The modalities a bridge can use: those with a foundation model. */
static const BxModality bridge_modalities[] = { BX_MODALITY_EEG, BX_MODALITY_ECG, BX_MODALITY_PPG, BX_MODALITY_EMG };

gboolean
bx_transfer_setup_set_recording (BxTransferSetup *setup, BxRecording *recording)
{
  double best[BX_N_MODALITIES] = { 0 };
  BxModality first = BX_N_MODALITIES, second = BX_N_MODALITIES;

  if (setup->recordings->len > 0)
    g_ptr_array_remove_index (setup->recordings, 0);
  g_ptr_array_insert (setup->recordings, 0,
                      recording_new (bx_recording_get_path (recording), BX_ROLE_TRAIN | BX_ROLE_PAIR, "annotations"));

  for (guint c = 0; c < bx_recording_get_n_channels (recording); c++)
    {
      const BxChannel *ch = bx_recording_get_channel (recording, c);

      best[ch->modality] = MAX (best[ch->modality], ch->modality_confidence);
    }
  /* Sleep staging is the product's main task: EEG (old, labelled by the
   * technician's scoring) → ECG (new) whenever the night has both. */
  if (best[BX_MODALITY_EEG] > 0 && best[BX_MODALITY_ECG] > 0)
    first = BX_MODALITY_EEG, second = BX_MODALITY_ECG;
  else
    for (guint i = 0; i < G_N_ELEMENTS (bridge_modalities); i++)
      {
        BxModality m = bridge_modalities[i];

        if (best[m] <= 0)
          continue;
        if (first == BX_N_MODALITIES || best[m] > best[first])
          second = first, first = m;
        else if (second == BX_N_MODALITIES || best[m] > best[second])
          second = m;
      }
  if (first == BX_N_MODALITIES || second == BX_N_MODALITIES)
    return FALSE;
  setup->old_side.modality = first;
  setup->new_side.modality = second;
  return TRUE;
}

gboolean
bx_transfer_setup_add_recording (BxTransferSetup *setup, const char *path, guint roles)
{
  g_autofree char *canonical = g_canonicalize_filename (path, NULL);

  for (guint i = 0; i < setup->recordings->len; i++)
    if (g_str_equal (((BxTransferRecording *)g_ptr_array_index (setup->recordings, i))->path, canonical))
      return FALSE;
  g_ptr_array_add (setup->recordings, recording_new (canonical, roles, "annotations"));
  return TRUE;
}

/* Spec §1.7, stage 4 (bridge) and stage 1 (head), by (old family, new family). */
typedef struct
{
  BxModelFamily old_family, new_family;
  int rank, prototypes, epochs;
  double lr, head_lr;
  int head_epochs;
} DirectionDefaults;

static const DirectionDefaults direction_defaults[] = {
  { BX_MODEL_FAMILY_LABRAM, BX_MODEL_FAMILY_HUBERT_ECG, 32, 300, 50, 1e-5, 5e-4, 50 },
  { BX_MODEL_FAMILY_HUBERT_ECG, BX_MODEL_FAMILY_LABRAM, 4, 200, 50, 1e-4, 1e-4, 50 },
  { BX_MODEL_FAMILY_HUBERT_ECG, BX_MODEL_FAMILY_PAPAGEI, 8, 150, 100, 1e-6, 1e-5, 50 },
  { BX_MODEL_FAMILY_PAPAGEI, BX_MODEL_FAMILY_HUBERT_ECG, 32, 50, 50, 1e-4, 1e-4, 50 },
  { BX_MODEL_FAMILY_NORMWEAR, BX_MODEL_FAMILY_LABRAM, 8, 50, 100, 1e-4, 1e-4, 100 },
  { BX_MODEL_FAMILY_LABRAM, BX_MODEL_FAMILY_NORMWEAR, 256, 200, 100, 1e-5, 1e-2, 500 },
};

void
bx_transfer_setup_apply_defaults (BxTransferSetup *setup)
{
  /* The compact encoders (64-dim tokens) learn at a much larger step than the
   * published models' 1e-5: with 1e-5 the demo bridge stays at chance
   * (data/models/README.md); 20 epochs of 1e-3 is what the demo uses. */
  setup->rank = 32;
  setup->prototypes = 64;
  setup->epochs = 20;
  setup->lr = 1e-3;
  /* The spec's head schedule (50 epochs of 5e-4) assumes ISRUC's ~19,000
   * windows (15,000 Adam steps); one night has ~1,000 windows, so the head
   * gets the same order of steps from more epochs at a larger rate. On the
   * demo nights this lifts the EEG head's training accuracy from 0.40 to 0.70. */
  setup->head_lr = 5e-3;
  setup->head_epochs = 1000;
  setup->batch = 16;
  for (guint i = 0; i < G_N_ELEMENTS (direction_defaults); i++)
    {
      const DirectionDefaults *d = &direction_defaults[i];

      if (d->old_family == setup->old_side.family && d->new_family == setup->new_side.family)
        {
          setup->rank = d->rank;
          setup->prototypes = d->prototypes;
          setup->epochs = d->epochs;
          setup->lr = d->lr;
          setup->head_lr = d->head_lr;
          setup->head_epochs = d->head_epochs;
        }
    }
}

gboolean
bx_transfer_validate_checkpoint (const char *path, BxModelFamily *family, char **description, GError **error)
{
  g_autoptr (BxModel) model = bx_model_load (BX_MODEL_FAMILY_AUTO, path, error);
  guint64 n;

  if (model == NULL)
    return FALSE;
  n = bx_model_get_n_params (model);
  *family = bx_model_get_family (model);
  /* Translators: model configuration, then millions of parameters */
  *description = g_strdup_printf (_("%s, %.1f M parameters"), bx_model_get_config (model), n / 1e6);
  return TRUE;
}

char *
bx_transfer_side_model_path (const BxTransferSide *side, GError **error)
{
  char *path;

  if (side->checkpoint != NULL)
    return g_strdup (side->checkpoint);
  path = bx_builtin_model_path (side->modality);
  if (path == NULL)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                 _("No built-in %s encoder is installed; import a checkpoint for the %s side"),
                 bx_modality_to_string (side->modality), bx_modality_to_string (side->modality));
  return path;
}

/* Manifest "channels" cell of one side: "EEG=C3-A2,C4-A1", or NULL for automatic. */
static gboolean
append_channels (GString *cell, const BxTransferSide *side, GError **error)
{
  g_auto (GStrv) labels = NULL;
  gboolean any = FALSE;

  if (side->channels == NULL || side->channels[0] == '\0')
    return TRUE;
  if (strpbrk (side->channels, "\t\n;=") != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Channel list '%s' of %s contains a tab, line break, ';' or '='"), side->channels,
                   bx_modality_to_string (side->modality));
      return FALSE;
    }
  labels = g_strsplit (side->channels, ",", -1);
  if (cell->len > 0)
    g_string_append_c (cell, ';');
  g_string_append_printf (cell, "%s=", bx_modality_to_string (side->modality));
  for (char **l = labels; *l != NULL; l++)
    {
      g_strstrip (*l);
      if (**l == '\0')
        continue;
      g_string_append_printf (cell, "%s%s", any ? "," : "", *l);
      any = TRUE;
    }
  return TRUE;
}

static gboolean
scoring_has_epochs (const BxHypnogram *scoring)
{
  if (scoring == NULL)
    return FALSE;
  for (guint e = 0; e < scoring->n_epochs; e++)
    if (scoring->stages[e] != BX_STAGE_UNKNOWN)
      return TRUE;
  return FALSE;
}

gboolean
bx_transfer_setup_to_options (const BxTransferSetup *setup, const BxHypnogram *scoring, const char *session_dir,
                              BxRunOptions *opt, GError **error)
{
  g_autoptr (GString) manifest = g_string_new ("path\tsubject\trole\tlabels\tchannels\n");
  g_autoptr (GString) channels = g_string_new (NULL);
  g_autofree char *manifest_path = g_build_filename (session_dir, "manifest.tsv", NULL);
  g_autofree char *labels_path = g_build_filename (session_dir, "scoring.tsv", NULL);
  g_autofree char *tmp = NULL;
  gboolean any_train = FALSE, any_pair = FALSE;

  if (setup->recordings->len == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("No recording chosen"));
      return FALSE;
    }
  if (setup->old_side.modality == setup->new_side.modality)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("The old and the new modality are both %s; choose two different ones"),
                   bx_modality_to_string (setup->old_side.modality));
      return FALSE;
    }
  if (!append_channels (channels, &setup->old_side, error) || !append_channels (channels, &setup->new_side, error))
    return FALSE;

  /* The open recording's labels: the technician's scoring as the viewer holds it. */
  if (scoring_has_epochs (scoring))
    {
      BxLabelWriteOptions wopt = { 0 };

      wopt.format = BX_LABEL_FORMAT_AUTO;
      if (!bx_labels_write_hypnogram (labels_path, scoring, &wopt, error))
        return FALSE;
    }
  else
    g_clear_pointer (&labels_path, g_free);

  for (guint i = 0; i < setup->recordings->len; i++)
    {
      const BxTransferRecording *r = g_ptr_array_index (setup->recordings, i);
      g_autoptr (GString) roles = g_string_new (NULL);
      g_autofree char *labels = NULL, *subject = NULL;

      if (r->roles & BX_ROLE_TRAIN)
        g_string_append (roles, "train");
      if (r->roles & BX_ROLE_PAIR)
        g_string_append (roles, roles->len > 0 ? ",pair" : "pair");
      if (roles->len == 0)
        continue;
      any_train |= (r->roles & BX_ROLE_TRAIN) != 0;
      any_pair |= (r->roles & BX_ROLE_PAIR) != 0;
      if (strpbrk (r->path, "\t\n") != NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       _("%s: a file name with a tab or line break cannot go into a manifest"), r->path);
          return FALSE;
        }
      labels = i == 0 && labels_path != NULL ? g_strconcat ("file:", labels_path, NULL) : g_strdup (r->labels);
      subject = g_strdup_printf ("rec%u", i);
      g_string_append_printf (manifest, "%s\t%s\t%s\t%s\t%s\n", r->path, subject, roles->str, labels,
                              channels->len > 0 ? channels->str : "auto");
    }
  if (!any_train && setup->head_path == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("No recording is marked for training the task head, and no head is imported"));
      return FALSE;
    }
  if (!any_pair)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("No recording is marked as paired data (both modalities) for the bridge"));
      return FALSE;
    }

  tmp = bx_job_temp_path (manifest_path);
  if (!g_file_set_contents (tmp, manifest->str, (gssize)manifest->len, error)
      || !bx_job_commit_file (tmp, manifest_path, error))
    {
      bx_job_abort_file (tmp);
      return FALSE;
    }

  opt->threads = setup->threads;
  opt->seed = setup->seed;
  opt->quiet = TRUE;
  opt->old_family = g_strdup (bx_model_family_name (setup->old_side.family));
  opt->new_family = g_strdup (bx_model_family_name (setup->new_side.family));
  if ((opt->old_checkpoint = bx_transfer_side_model_path (&setup->old_side, error)) == NULL
      || (opt->new_checkpoint = bx_transfer_side_model_path (&setup->new_side, error)) == NULL)
    return FALSE;
  opt->manifest = g_steal_pointer (&manifest_path);
  opt->window_seconds = setup->window_seconds;
  opt->stage_set = g_strdup (bx_stage_set_to_string (setup->stage_set));
  opt->no_cache = TRUE; /* the session folder is temporary: nothing to reuse */
  opt->head_in = g_strdup (setup->head_path);
  opt->head_epochs = setup->head_epochs;
  opt->head_lr = setup->head_lr;
  opt->rank = setup->rank;
  opt->prototypes = setup->prototypes;
  opt->epochs = setup->epochs;
  opt->batch = setup->batch;
  opt->lr = setup->lr;
  opt->prototype_init = g_strdup (setup->real_prototypes ? "randreal" : "rand");
  return TRUE;
}
