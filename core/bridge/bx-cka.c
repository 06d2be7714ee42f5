/* bx-cka.c — linear CKA in feature space. */
#include "bx-cka.h"

#include <cblas.h>
#include <math.h>

/* Column-centred double copy of an n × d float matrix. */
static double *
centred_copy (const float *A, gsize n, guint d)
{
  double *out = g_new (double, n * d);
  g_autofree double *mean = g_new0 (double, d);

  for (gsize i = 0; i < n; i++)
    for (guint j = 0; j < d; j++)
      mean[j] += A[i * d + j];
  for (guint j = 0; j < d; j++)
    mean[j] /= (double) n;
  for (gsize i = 0; i < n; i++)
    for (guint j = 0; j < d; j++)
      out[i * d + j] = A[i * d + j] - mean[j];
  return out;
}

/* ‖Aᵀ B‖²_F for A: n × a, B: n × b (both row-major). */
static double
cross_frobenius2 (const double *A, const double *B, gsize n, guint a, guint b)
{
  g_autofree double *M = g_new (double, (gsize) a * b);
  double sum = 0.0;

  cblas_dgemm (CblasRowMajor, CblasTrans, CblasNoTrans, (int) a, (int) b, (int) n, 1.0, A, (int) a, B, (int) b,
               0.0, M, (int) b);
  for (gsize k = 0; k < (gsize) a * b; k++)
    sum += M[k] * M[k];
  return sum;
}

double
bx_linear_cka (const float *X, const float *Y, gsize n, guint p, guint q)
{
  g_autofree double *Xc = NULL;
  g_autofree double *Yc = NULL;
  double xy, xx, yy;

  if (n < 2 || p == 0 || q == 0)
    return NAN;
  Xc = centred_copy (X, n, p);
  Yc = centred_copy (Y, n, q);
  xy = cross_frobenius2 (Yc, Xc, n, q, p);
  xx = cross_frobenius2 (Xc, Xc, n, p, p);
  yy = cross_frobenius2 (Yc, Yc, n, q, q);
  if (xx <= 0.0 || yy <= 0.0)
    return NAN;
  return xy / (sqrt (xx) * sqrt (yy));
}
