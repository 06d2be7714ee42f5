/* bx-logreg.h — L2-regularised logistic regression and stratified k-fold CV,
 * with scikit-learn 1.2's semantics (LogisticRegression(C=1, lbfgs,
 * max_iter=1000, tol=1e-4), StratifiedKFold(5, shuffle=False),
 * cross_val_score(scoring='f1_macro')).
 *
 * This is the input-position probe of BioX-Bridge (spec §1.3): for every layer
 * of the new foundation model, how well do its pooled features predict the
 * old model's pseudo labels?
 *
 * Objective (sklearn ≥1.1, summed, not averaged):
 *   binary:      Σ_i log(1 + exp(−s_i (w·x_i + b))) + ½/C ‖w‖²       s_i = ±1
 *   multinomial: −Σ_i log softmax(W x_i + b)[y_i] + ½/C ‖W‖²_F      W: K × p
 * The intercept is not penalised. Minimised with L-BFGS (memory 10, strong
 * Wolfe line search); stops when max|∇| ≤ tol, when the relative decrease of
 * the objective falls below 2.2e-9 (scipy's L-BFGS-B factr default), or after
 * max_iter iterations. All arithmetic in double.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BX_LOGREG_ERROR (bx_logreg_error_quark ())
GQuark bx_logreg_error_quark (void);

typedef enum {
  BX_LOGREG_ERROR_INPUT,     /* NaN/inf features, a label out of range, too few samples */
} BxLogRegError;

typedef struct {
  guint n_features;
  guint n_classes;        /* classes present in the training labels */
  int *classes;           /* n_classes original label values, ascending */
  guint n_rows;           /* 1 for a binary problem (sklearn fits one vector), else n_classes */
  double *coef;           /* n_rows × n_features */
  double *intercept;      /* n_rows */
  int n_iter;
  gboolean converged;
  double objective;
} BxLogReg;

/* Fits on X (n × p, row-major) and labels y (values ≥ 0; which values occur
 * defines the classes). C > 0 is the inverse regularisation strength. */
BxLogReg *bx_logreg_fit (const double *X, const int *y, gsize n, guint p, double C, int max_iter, double tol,
                         GError **error);
void bx_logreg_predict (const BxLogReg *model, const double *X, gsize n, int *out_labels);
void bx_logreg_free (BxLogReg *model);

/* sklearn StratifiedKFold(n_splits, shuffle=False).split: fills
 * test_fold[i] ∈ [0, n_splits) for every sample. Fails (like sklearn) when
 * n_splits exceeds the size of every class. */
gboolean bx_stratified_kfold (const int *y, gsize n, guint n_splits, int *test_fold, GError **error);

/* Mean macro-F1 of cross_val_score(LogisticRegression(C, max_iter, tol), X, y,
 * cv=StratifiedKFold(n_splits)). `fold_scores` (n_splits values) may be NULL.
 * Returns -1 with `error` set on failure. X is float32 (n × p) as features are
 * stored; it is converted to double internally. */
double bx_logreg_cv_f1_macro (const float *X, const int *y, gsize n, guint p, guint n_splits, double C,
                              int max_iter, double tol, double *fold_scores, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BxLogReg, bx_logreg_free)

G_END_DECLS
