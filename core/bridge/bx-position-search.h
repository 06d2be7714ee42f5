/* bx-position-search.h — where to attach the bridge (spec §1.3).
 *
 * Input position m (new FM): for every layer i, the mean macro-F1 of a
 * logistic-regression probe (C = 1, L-BFGS, 1000 iterations, stratified
 * 5-fold) that predicts the old model's pseudo labels from the pooled output
 * of layer i; m = the first layer with the highest score.
 * Output position l (old FM): for every layer j, the linear CKA between the
 * pooled new features at m and the pooled input of old layer j; l = the first
 * layer with the highest CKA. (The reference initialises the best score at 0
 * and compares with a strict '>', so ties go to the lower layer and a layer
 * that scores exactly 0 can never win.)
 */
#pragma once

#include "bridge/bx-pair-features.h"

G_BEGIN_DECLS

typedef struct {
  int n_new_layers, n_old_layers;
  double *probe_f1;      /* n_new_layers mean CV macro-F1; NaN where the probe could not run */
  double *cka;           /* n_old_layers */
  int input_layer;       /* m, or -1 if every score was 0 */
  int output_layer;      /* l, or -1 */
} BxPositionSearch;

typedef struct {
  guint n_folds;         /* 5 */
  double C;              /* 1.0 */
  int max_iter;          /* 1000 */
  double tol;            /* 1e-4 */
} BxPositionSearchParams;

void bx_position_search_params_init (BxPositionSearchParams *params);

/* Scores every layer. Stage "search" on `job`. A probe that cannot run on a
 * layer (e.g. a single pseudo-label class) is an error naming the layer. */
BxPositionSearch *bx_position_search_run (const BxPairFeatures *features, const BxPositionSearchParams *params,
                                          BxJob *job, GError **error);
/* Recomputes the CKA column for another input layer (when the user overrides m). */
gboolean bx_position_search_set_input_layer (BxPositionSearch *search, const BxPairFeatures *features, int m,
                                             GError **error);
void bx_position_search_free (BxPositionSearch *search);

/* argmax with the reference's rule: best starts at 0, strictly greater wins. */
int bx_position_argmax (const double *scores, int n);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxPositionSearch, bx_position_search_free)

G_END_DECLS
