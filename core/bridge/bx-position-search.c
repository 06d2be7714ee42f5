/* bx-position-search.c — probe and CKA scores over all layers. */
#include "bx-position-search.h"

#include <math.h>

#include "bridge/bx-cka.h"
#include "bridge/bx-logreg.h"

void
bx_position_search_params_init (BxPositionSearchParams *params)
{
  params->n_folds = 5;
  params->C = 1.0;
  params->max_iter = 1000;
  params->tol = 1e-4;
}

void
bx_position_search_free (BxPositionSearch *search)
{
  if (search == NULL)
    return;
  g_free (search->probe_f1);
  g_free (search->cka);
  g_free (search);
}

int
bx_position_argmax (const double *scores, int n)
{
  double best = 0.0;
  int arg = -1;

  for (int i = 0; i < n; i++)
    if (scores[i] > best) /* NaN never wins */
      {
        best = scores[i];
        arg = i;
      }
  return arg;
}

static void
compute_cka (BxPositionSearch *s, const BxPairFeatures *f, int m)
{
  for (int j = 0; j < f->n_old_layers; j++)
    s->cka[j] = bx_linear_cka (f->new_pooled[m], f->old_pooled_in[j], f->n, f->new_dim[m], f->old_in_dim[j]);
  s->output_layer = bx_position_argmax (s->cka, f->n_old_layers);
}

gboolean
bx_position_search_set_input_layer (BxPositionSearch *s, const BxPairFeatures *f, int m, GError **error)
{
  if (m < 0 || m >= f->n_new_layers)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "input position %d is outside the new model's layers 0..%d",
                   m, f->n_new_layers - 1);
      return FALSE;
    }
  s->input_layer = m;
  compute_cka (s, f, m);
  return TRUE;
}

BxPositionSearch *
bx_position_search_run (const BxPairFeatures *f, const BxPositionSearchParams *params, BxJob *job, GError **error)
{
  g_autoptr (BxPositionSearch) s = g_new0 (BxPositionSearch, 1);

  s->n_new_layers = f->n_new_layers;
  s->n_old_layers = f->n_old_layers;
  s->probe_f1 = g_new (double, f->n_new_layers);
  s->cka = g_new (double, f->n_old_layers);
  for (int i = 0; i < f->n_new_layers; i++)
    {
      g_autoptr (GError) local = NULL;
      g_autofree char *detail = g_strdup_printf ("probe of layer %d of %d", i, f->n_new_layers);

      if (job != NULL && !bx_job_progress (job, "search", detail, (double) i / (f->n_new_layers + 1), NAN, error))
        return NULL;
      s->probe_f1[i] = bx_logreg_cv_f1_macro (f->new_pooled[i], f->pseudo_labels, f->n, f->new_dim[i],
                                              params->n_folds, params->C, params->max_iter, params->tol, NULL, &local);
      if (local != NULL)
        {
          g_set_error (error, local->domain, local->code, "input-position probe of new-model layer %d: %s", i,
                       local->message);
          return NULL;
        }
    }
  s->input_layer = bx_position_argmax (s->probe_f1, f->n_new_layers);
  if (s->input_layer < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "no new-model layer predicts the pseudo labels better than 0 macro-F1");
      return NULL;
    }
  if (job != NULL && !bx_job_progress (job, "search", "CKA", (double) f->n_new_layers / (f->n_new_layers + 1), NAN,
                                       error))
    return NULL;
  compute_cka (s, f, s->input_layer);
  if (job != NULL && !bx_job_progress (job, "search", NULL, 1.0, NAN, error))
    return NULL;
  return g_steal_pointer (&s);
}
