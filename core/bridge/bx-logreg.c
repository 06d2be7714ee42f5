/* bx-logreg.c — logistic regression (binary / multinomial) by L-BFGS, and
 * stratified k-fold cross-validation, following scikit-learn 1.2. */
#include "bx-logreg.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "bx-metrics.h"

G_DEFINE_QUARK (bx-logreg-error-quark, bx_logreg_error)

#define LBFGS_MEMORY 10
#define LINE_SEARCH_MAX 40
#define WOLFE_C1 1e-4
#define WOLFE_C2 0.9
/* scipy L-BFGS-B: factr 1e7 × machine epsilon. */
#define REL_REDUCTION_TOL 2.220446049250313e-09

typedef struct {
  const double *X;   /* n × p */
  gsize n;
  guint p;
  guint rows;        /* 1 (binary) or K */
  const int *target; /* compact class index per sample, 0..K-1 */
  double alpha;      /* 1/C */
  double *scores;    /* n × rows scratch */
} Problem;

/* log(1 + exp(x)) without overflow. */
static inline double
softplus (double x)
{
  return x > 0 ? x + log1p (exp (-x)) : log1p (exp (x));
}

/* Objective and gradient at w (rows × (p+1), bias last in each row). */
static double
objective (Problem *pr, const double *w, double *grad)
{
  const guint p = pr->p, stride = p + 1, rows = pr->rows;
  double loss = 0.0;

  cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) pr->n, (int) rows, (int) p, 1.0, pr->X, (int) p, w,
               (int) stride, 0.0, pr->scores, (int) rows);

  for (gsize i = 0; i < pr->n; i++)
    {
      double *s = pr->scores + i * rows;

      if (rows == 1)
        {
          /* y ∈ {0,1}: loss = softplus(z) − y z; dloss/dz = σ(z) − y. */
          double z = s[0] + w[p];
          double y = pr->target[i] == 1 ? 1.0 : 0.0;
          loss += softplus (z) - y * z;
          s[0] = 1.0 / (1.0 + exp (-z)) - y;
        }
      else
        {
          double max = -INFINITY, sum = 0.0;
          for (guint k = 0; k < rows; k++)
            {
              s[k] += w[k * stride + p];
              max = MAX (max, s[k]);
            }
          for (guint k = 0; k < rows; k++)
            sum += exp (s[k] - max);
          loss += max + log (sum) - s[pr->target[i]];
          for (guint k = 0; k < rows; k++)
            s[k] = exp (s[k] - max) / sum - (k == (guint) pr->target[i] ? 1.0 : 0.0);
        }
    }

  /* grad[:, :p] = dSᵀ X + α W ; grad[:, p] = Σ_i dS. */
  cblas_dgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) rows, (int) p, (int) pr->n, 1.0, pr->scores,
               (int) rows, pr->X, (int) p, 0.0, grad, (int) stride);
  for (guint k = 0; k < rows; k++)
    {
      double bias_grad = 0.0;
      for (gsize i = 0; i < pr->n; i++)
        bias_grad += pr->scores[i * rows + k];
      grad[k * stride + p] = bias_grad;
      for (guint j = 0; j < p; j++)
        {
          double wj = w[k * stride + j];
          loss += 0.5 * pr->alpha * wj * wj;
          grad[k * stride + j] += pr->alpha * wj;
        }
    }
  return loss;
}

static double
dot (const double *a, const double *b, gsize n)
{
  return cblas_ddot ((int) n, a, 1, b, 1);
}

static double
max_abs (const double *a, gsize n)
{
  double m = 0.0;
  for (gsize i = 0; i < n; i++)
    m = MAX (m, fabs (a[i]));
  return m;
}

typedef struct {
  Problem *pr;
  const double *x0, *d;
  double *x, *g;
  gsize dim;
  double f0, dg0;
} LineSearch;

/* Evaluates φ(a) = f(x0 + a d) and φ'(a); leaves x, g at that point. */
static double
phi (LineSearch *ls, double a, double *dphi)
{
  double f;

  for (gsize i = 0; i < ls->dim; i++)
    ls->x[i] = ls->x0[i] + a * ls->d[i];
  f = objective (ls->pr, ls->x, ls->g);
  *dphi = dot (ls->g, ls->d, ls->dim);
  return f;
}

/* Minimiser of the cubic through (a,fa,da), (b,fb,db), safeguarded to the
 * middle 80 % of the interval (Nocedal & Wright eq. 3.59). */
static double
interpolate (double a, double fa, double da, double b, double fb, double db)
{
  double lo = MIN (a, b), hi = MAX (a, b), width = hi - lo;
  double d1 = da + db - 3.0 * (fa - fb) / (a - b);
  double disc = d1 * d1 - da * db;
  double t;

  if (disc >= 0.0)
    {
      double d2 = copysign (sqrt (disc), b - a);
      t = b - (b - a) * (db + d2 - d1) / (db - da + 2.0 * d2);
    }
  else
    t = 0.5 * (a + b);
  if (!isfinite (t) || t < lo + 0.1 * width || t > hi - 0.1 * width)
    t = 0.5 * (a + b);
  return t;
}

/* Strong-Wolfe line search (Nocedal & Wright algorithms 3.5 and 3.6).
 * Returns the accepted f, or NAN when no acceptable step was found. */
static double
line_search (LineSearch *ls, double step)
{
  double a_prev = 0.0, f_prev = ls->f0, d_prev = ls->dg0;
  double lo, f_lo, d_lo, hi, f_hi, d_hi;

  for (int it = 0; it < LINE_SEARCH_MAX; it++)
    {
      double da, fa = phi (ls, step, &da);

      if (!isfinite (fa) || fa > ls->f0 + WOLFE_C1 * step * ls->dg0 || (it > 0 && fa >= f_prev))
        {
          lo = a_prev, f_lo = f_prev, d_lo = d_prev;
          hi = step, f_hi = fa, d_hi = da;
          goto zoom;
        }
      if (fabs (da) <= -WOLFE_C2 * ls->dg0)
        return fa;
      if (da >= 0.0)
        {
          lo = step, f_lo = fa, d_lo = da;
          hi = a_prev, f_hi = f_prev, d_hi = d_prev;
          goto zoom;
        }
      a_prev = step, f_prev = fa, d_prev = da;
      step *= 2.0;
    }
  return NAN;

zoom:
  for (int it = 0; it < LINE_SEARCH_MAX; it++)
    {
      double a, fa, da;

      if (!isfinite (f_hi))
        a = 0.5 * (lo + hi);
      else
        a = interpolate (lo, f_lo, d_lo, hi, f_hi, d_hi);
      fa = phi (ls, a, &da);
      if (!isfinite (fa) || fa > ls->f0 + WOLFE_C1 * a * ls->dg0 || fa >= f_lo)
        {
          hi = a, f_hi = fa, d_hi = da;
        }
      else
        {
          if (fabs (da) <= -WOLFE_C2 * ls->dg0)
            return fa;
          if (da * (hi - lo) >= 0.0)
            {
              hi = lo, f_hi = f_lo, d_hi = d_lo;
            }
          lo = a, f_lo = fa, d_lo = da;
        }
      if (fabs (hi - lo) < 1e-16 * MAX (1.0, fabs (lo)))
        break;
    }
  /* Accept the best sufficient-decrease point seen, if any. */
  if (lo > 0.0 && f_lo < ls->f0)
    {
      double d;
      return phi (ls, lo, &d);
    }
  return NAN;
}

/* Minimises the objective from w (in/out). Returns iterations done. */
static int
lbfgs (Problem *pr, double *w, gsize dim, int max_iter, double tol, gboolean *converged, double *f_out)
{
  g_autofree double *g = g_new (double, dim);
  g_autofree double *d = g_new (double, dim);
  g_autofree double *x_new = g_new (double, dim);
  g_autofree double *g_new = g_new (double, dim);
  g_autofree double *S = g_new (double, LBFGS_MEMORY * dim);
  g_autofree double *Y = g_new (double, LBFGS_MEMORY * dim);
  double rho[LBFGS_MEMORY], alpha[LBFGS_MEMORY];
  int n_pairs = 0, head = 0, iter = 0;
  double f = objective (pr, w, g);

  *converged = FALSE;
  if (max_abs (g, dim) <= tol)
    {
      *converged = TRUE;
      *f_out = f;
      return 0;
    }

  for (iter = 0; iter < max_iter; iter++)
    {
      double gamma = 1.0, step, f_new;
      LineSearch ls;

      /* Two-loop recursion: d = −H g. */
      memcpy (d, g, dim * sizeof (double));
      for (int k = 0; k < n_pairs; k++)
        {
          int idx = (head - 1 - k + LBFGS_MEMORY) % LBFGS_MEMORY;
          alpha[idx] = rho[idx] * dot (S + idx * dim, d, dim);
          cblas_daxpy ((int) dim, -alpha[idx], Y + idx * dim, 1, d, 1);
        }
      if (n_pairs > 0)
        {
          int last = (head - 1 + LBFGS_MEMORY) % LBFGS_MEMORY;
          gamma = dot (S + last * dim, Y + last * dim, dim) / dot (Y + last * dim, Y + last * dim, dim);
        }
      cblas_dscal ((int) dim, gamma, d, 1);
      for (int k = n_pairs - 1; k >= 0; k--)
        {
          int idx = (head - 1 - k + LBFGS_MEMORY) % LBFGS_MEMORY;
          double beta = rho[idx] * dot (Y + idx * dim, d, dim);
          cblas_daxpy ((int) dim, alpha[idx] - beta, S + idx * dim, 1, d, 1);
        }
      cblas_dscal ((int) dim, -1.0, d, 1);

      ls = (LineSearch){ pr, w, d, x_new, g_new, dim, f, dot (g, d, dim) };
      if (ls.dg0 >= 0.0)
        {
          /* Not a descent direction (lost curvature): restart from −g. */
          n_pairs = 0;
          for (gsize i = 0; i < dim; i++)
            d[i] = -g[i];
          ls.dg0 = dot (g, d, dim);
        }
      step = iter == 0 ? MIN (1.0, 1.0 / sqrt (dot (d, d, dim))) : 1.0;
      f_new = line_search (&ls, step);
      if (isnan (f_new))
        break; /* cannot decrease further: report what we have */

      /* Curvature pair. */
      {
        double *s = S + head * dim, *y = Y + head * dim, sy;
        for (gsize i = 0; i < dim; i++)
          {
            s[i] = x_new[i] - w[i];
            y[i] = g_new[i] - g[i];
          }
        sy = dot (s, y, dim);
        if (sy > 2.2e-16 * dot (y, y, dim))
          {
            rho[head] = 1.0 / sy;
            head = (head + 1) % LBFGS_MEMORY;
            n_pairs = MIN (n_pairs + 1, LBFGS_MEMORY);
          }
      }

      {
        double reduction = (f - f_new) / MAX (MAX (fabs (f), fabs (f_new)), 1.0);
        memcpy (w, x_new, dim * sizeof (double));
        memcpy (g, g_new, dim * sizeof (double));
        f = f_new;
        if (max_abs (g, dim) <= tol || reduction <= REL_REDUCTION_TOL)
          {
            *converged = TRUE;
            iter++;
            break;
          }
      }
    }
  *f_out = f;
  return iter;
}

static gboolean
check_input (const double *X, const int *y, gsize n, guint p, GError **error)
{
  for (gsize i = 0; i < n; i++)
    {
      if (y[i] < 0)
        {
          g_set_error (error, BX_LOGREG_ERROR, BX_LOGREG_ERROR_INPUT, "label of sample %" G_GSIZE_FORMAT
                       " is negative (%d)", i, y[i]);
          return FALSE;
        }
      for (guint j = 0; j < p; j++)
        if (!isfinite (X[i * p + j]))
          {
            g_set_error (error, BX_LOGREG_ERROR, BX_LOGREG_ERROR_INPUT,
                         "feature %u of sample %" G_GSIZE_FORMAT " is not finite (%g)", j, i, X[i * p + j]);
            return FALSE;
          }
    }
  return TRUE;
}

static int
compare_int (gconstpointer a, gconstpointer b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

BxLogReg *
bx_logreg_fit (const double *X, const int *y, gsize n, guint p, double C, int max_iter, double tol, GError **error)
{
  g_autoptr (BxLogReg) model = NULL;
  g_autofree int *sorted = NULL;
  g_autofree int *target = NULL;
  g_autofree double *w = NULL;
  g_autofree double *scores = NULL;
  Problem pr;
  guint k = 0;
  gsize dim;

  if (n < 2 || p == 0 || !(C > 0.0))
    {
      g_set_error (error, BX_LOGREG_ERROR, BX_LOGREG_ERROR_INPUT,
                   "logistic regression needs ≥ 2 samples, ≥ 1 feature and C > 0 (got %" G_GSIZE_FORMAT
                   " samples, %u features, C = %g)", n, p, C);
      return NULL;
    }
  if (!check_input (X, y, n, p, error))
    return NULL;

  sorted = g_memdup2 (y, n * sizeof (int));
  qsort (sorted, n, sizeof (int), compare_int);
  model = g_new0 (BxLogReg, 1);
  model->classes = g_new (int, n);
  for (gsize i = 0; i < n; i++)
    if (i == 0 || sorted[i] != sorted[i - 1])
      model->classes[k++] = sorted[i];
  if (k < 2)
    {
      g_set_error (error, BX_LOGREG_ERROR, BX_LOGREG_ERROR_INPUT,
                   "logistic regression needs ≥ 2 classes in the training labels (all %" G_GSIZE_FORMAT
                   " samples are class %d)", n, sorted[0]);
      return NULL;
    }
  model->n_classes = k;
  model->n_features = p;
  model->n_rows = k == 2 ? 1 : k;

  target = g_new (int, n);
  for (gsize i = 0; i < n; i++)
    {
      int *hit = bsearch (&y[i], model->classes, k, sizeof (int), compare_int);
      target[i] = (int) (hit - model->classes);
    }

  dim = (gsize) model->n_rows * (p + 1);
  w = g_new0 (double, dim);
  scores = g_new (double, n * model->n_rows);
  pr = (Problem){ X, n, p, model->n_rows, target, 1.0 / C, scores };
  model->n_iter = lbfgs (&pr, w, dim, max_iter, tol, &model->converged, &model->objective);

  model->coef = g_new (double, (gsize) model->n_rows * p);
  model->intercept = g_new (double, model->n_rows);
  for (guint r = 0; r < model->n_rows; r++)
    {
      memcpy (model->coef + (gsize) r * p, w + (gsize) r * (p + 1), p * sizeof (double));
      model->intercept[r] = w[(gsize) r * (p + 1) + p];
    }
  return g_steal_pointer (&model);
}

void
bx_logreg_predict (const BxLogReg *model, const double *X, gsize n, int *out_labels)
{
  const guint p = model->n_features;

  for (gsize i = 0; i < n; i++)
    {
      const double *x = X + i * p;
      if (model->n_rows == 1)
        {
          double z = dot (model->coef, x, p) + model->intercept[0];
          out_labels[i] = model->classes[z > 0.0 ? 1 : 0];
        }
      else
        {
          guint best = 0;
          double best_score = -INFINITY;
          for (guint r = 0; r < model->n_rows; r++)
            {
              double z = dot (model->coef + (gsize) r * p, x, p) + model->intercept[r];
              if (z > best_score) /* first maximum wins, like numpy argmax */
                best_score = z, best = r;
            }
          out_labels[i] = model->classes[best];
        }
    }
}

void
bx_logreg_free (BxLogReg *model)
{
  if (model == NULL)
    return;
  g_free (model->classes);
  g_free (model->coef);
  g_free (model->intercept);
  g_free (model);
}

gboolean
bx_stratified_kfold (const int *y, gsize n, guint n_splits, int *test_fold, GError **error)
{
  /* sklearn encodes classes in order of first appearance, sorts the encoded
   * labels and deals them round-robin to the folds; fold sizes per class are
   * what each fold received; then each class's samples, in index order, fill
   * fold 0 first, then fold 1, ... */
  g_autoptr (GHashTable) code_of = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autofree int *encoded = g_new (int, n);
  g_autofree guint *counts = NULL;
  g_autofree guint *allocation = NULL; /* n_splits × n_classes */
  g_autofree guint *next_fold = NULL, *used = NULL;
  guint n_classes = 0, max_count = 0;

  if (n_splits < 2)
    {
      g_set_error (error, BX_LOGREG_ERROR, BX_LOGREG_ERROR_INPUT, "need at least 2 folds (got %u)", n_splits);
      return FALSE;
    }
  for (gsize i = 0; i < n; i++)
    {
      gpointer key = GINT_TO_POINTER (y[i]);
      gpointer code;
      if (!g_hash_table_lookup_extended (code_of, key, NULL, &code))
        {
          code = GUINT_TO_POINTER (n_classes++);
          g_hash_table_insert (code_of, key, code);
        }
      encoded[i] = (int) GPOINTER_TO_UINT (code);
    }
  counts = g_new0 (guint, n_classes);
  for (gsize i = 0; i < n; i++)
    counts[encoded[i]]++;
  for (guint c = 0; c < n_classes; c++)
    max_count = MAX (max_count, counts[c]);
  if (n_splits > max_count)
    {
      g_set_error (error, BX_LOGREG_ERROR, BX_LOGREG_ERROR_INPUT,
                   "%u folds cannot be greater than the number of members in each class (largest class: %u)",
                   n_splits, max_count);
      return FALSE;
    }

  /* Position j of the sorted encoded labels goes to fold j mod n_splits. */
  allocation = g_new0 (guint, (gsize) n_splits * n_classes);
  {
    gsize pos = 0;
    for (guint c = 0; c < n_classes; c++)
      for (guint k = 0; k < counts[c]; k++, pos++)
        allocation[(pos % n_splits) * n_classes + c]++;
  }
  next_fold = g_new0 (guint, n_classes);
  used = g_new0 (guint, n_classes);
  for (gsize i = 0; i < n; i++)
    {
      int c = encoded[i];
      while (used[c] >= allocation[next_fold[c] * n_classes + c])
        {
          next_fold[c]++;
          used[c] = 0;
        }
      test_fold[i] = (int) next_fold[c];
      used[c]++;
    }
  return TRUE;
}

double
bx_logreg_cv_f1_macro (const float *X, const int *y, gsize n, guint p, guint n_splits, double C, int max_iter,
                       double tol, double *fold_scores, GError **error)
{
  g_autofree int *fold = g_new (int, n);
  g_autofree double *Xd = g_new (double, n * p);
  g_autofree double *train_X = g_new (double, n * p);
  g_autofree double *test_X = g_new (double, n * p);
  g_autofree int *train_y = g_new (int, n);
  g_autofree int *test_y = g_new (int, n);
  g_autofree int *pred = g_new (int, n);
  double sum = 0.0;
  int max_label = 0;

  for (gsize i = 0; i < n * p; i++)
    Xd[i] = X[i];
  for (gsize i = 0; i < n; i++)
    max_label = MAX (max_label, y[i]);
  if (!bx_stratified_kfold (y, n, n_splits, fold, error))
    return -1.0;

  for (guint f = 0; f < n_splits; f++)
    {
      g_autoptr (BxLogReg) model = NULL;
      gsize n_train = 0, n_test = 0;
      double score;

      for (gsize i = 0; i < n; i++)
        {
          if (fold[i] == (int) f)
            {
              memcpy (test_X + n_test * p, Xd + i * p, p * sizeof (double));
              test_y[n_test++] = y[i];
            }
          else
            {
              memcpy (train_X + n_train * p, Xd + i * p, p * sizeof (double));
              train_y[n_train++] = y[i];
            }
        }
      model = bx_logreg_fit (train_X, train_y, n_train, p, C, max_iter, tol, error);
      if (model == NULL)
        return -1.0;
      bx_logreg_predict (model, test_X, n_test, pred);
      score = bx_metrics_f1_macro (test_y, pred, n_test, (guint) max_label + 1);
      if (fold_scores != NULL)
        fold_scores[f] = score;
      sum += score;
    }
  return sum / n_splits;
}
