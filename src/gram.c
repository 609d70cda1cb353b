/* gram.c -- products of a few long rows (see gram.h). */
#include <config.h>
#include "gram.h"
#include "clones.h"

#include <cblas.h>
#include <string.h>

#define GRAM_STRIP 512 /* columns per strip: GRAM_FEW rows of it fit in L1 */


/* <a, b> over n entries: eight lanes, then a fixed pairwise reduction, then the tail. */
WOW_CLONES static double gram_dot(const double *a, const double *b, long n)
{
  double acc[8] = { 0, 0, 0, 0, 0, 0, 0, 0 };
  long t = 0;
  for (; t + 8 <= n; t += 8)
    for (int q = 0; q < 8; q++) acc[q] += a[t + q] * b[t + q];
  double s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; t < n; t++) s += a[t] * b[t];
  return s;
}

void gram_norms(const double *S, int nrows, long K, double *norm2)
{
  for (int j = 0; j < nrows; j++) norm2[j] = gram_dot(S + (size_t)j * (size_t)K, S + (size_t)j * (size_t)K, K);
}

WOW_CLONES void gram_axpy(double w, const double *x, long n, double *y)
{
  for (long t = 0; t < n; t++) y[t] += w * x[t];
}

void gram_rows(const double *S, int nrows, long K, int r0, int nr, double *G)
{
  if (nrows > GRAM_FEW) {
    if (r0 == 0 && nr == nrows) { /* all rows: the symmetric product, half the flops */
      cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, nrows, (int)K, 1.0, S, (int)K, 0.0, G, nrows);
      for (int i = 1; i < nrows; i++)
        for (int k = 0; k < i; k++) G[(size_t)i * (size_t)nrows + (size_t)k] = G[(size_t)k * (size_t)nrows + (size_t)i];
    } else if (nr > 0)
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nr, nrows, (int)K, 1.0, S + (size_t)r0 * (size_t)K, (int)K, S, (int)K, 0.0,
                  G, nrows);
    return;
  }
  memset(G, 0, (size_t)nr * (size_t)nrows * sizeof *G);
  for (long t0 = 0; t0 < K; t0 += GRAM_STRIP) {
    const long tb = K - t0 < GRAM_STRIP ? K - t0 : GRAM_STRIP;
    for (int i = 0; i < nr; i++) {
      const double *a = S + (size_t)(r0 + i) * (size_t)K + (size_t)t0;
      for (int k = 0; k < nrows; k++) {
        const int mine = k >= r0 && k < r0 + nr;
        if (mine && k < r0 + i) continue; /* the mirror entry, below */
        G[(size_t)i * (size_t)nrows + (size_t)k] += gram_dot(a, S + (size_t)k * (size_t)K + (size_t)t0, tb);
      }
    }
  }
  for (int i = 0; i < nr; i++) /* <a, b> = <b, a> exactly: copy the pairs of own rows */
    for (int k = r0; k < r0 + i; k++) G[(size_t)i * (size_t)nrows + (size_t)k] = G[(size_t)(k - r0) * (size_t)nrows + (size_t)(r0 + i)];
}

void gram_combine(const double *W, int nw, const double *S, int nrows, long K, double *Y)
{
  if (nrows > GRAM_FEW) {
    if (nw > 0) cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nw, (int)K, nrows, 1.0, W, nrows, S, (int)K, 0.0, Y, (int)K);
    return;
  }
  for (long t0 = 0; t0 < K; t0 += GRAM_STRIP) {
    const long tb = K - t0 < GRAM_STRIP ? K - t0 : GRAM_STRIP;
    for (int c = 0; c < nw; c++) {
      double *y = Y + (size_t)c * (size_t)K + (size_t)t0;
      memset(y, 0, (size_t)tb * sizeof *y);
      for (int k = 0; k < nrows; k++) gram_axpy(W[(size_t)c * (size_t)nrows + (size_t)k], S + (size_t)k * (size_t)K + (size_t)t0, tb, y);
    }
  }
}
