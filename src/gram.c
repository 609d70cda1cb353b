/* gram.c -- products of a few long rows (see gram.h). */
#include <config.h>
#include "gram.h"
#include "clones.h"

#include <cblas.h>
#include <string.h>

#define GRAM_STRIP 512 /* columns per strip: GRAM_FEW rows of it fit in L1 */


/* <a, b> over n entries: four independent chains of eight lanes (one chain would wait on the
 * adder's latency), then a fixed pairwise reduction, then the tail. */
WOW_CLONES static double gram_dot(const double *a, const double *b, long n)
{
  double a0[8] = { 0 }, a1[8] = { 0 }, a2[8] = { 0 }, a3[8] = { 0 };
  long t = 0;
  for (; t + 32 <= n; t += 32) {
    for (int q = 0; q < 8; q++) a0[q] += a[t + q] * b[t + q];
    for (int q = 0; q < 8; q++) a1[q] += a[t + 8 + q] * b[t + 8 + q];
    for (int q = 0; q < 8; q++) a2[q] += a[t + 16 + q] * b[t + 16 + q];
    for (int q = 0; q < 8; q++) a3[q] += a[t + 24 + q] * b[t + 24 + q];
  }
  for (; t + 8 <= n; t += 8)
    for (int q = 0; q < 8; q++) a0[q] += a[t + q] * b[t + q];
  for (int q = 0; q < 8; q++) a0[q] = (a0[q] + a1[q]) + (a2[q] + a3[q]);
  double s = ((a0[0] + a0[1]) + (a0[2] + a0[3])) + ((a0[4] + a0[5]) + (a0[6] + a0[7]));
  for (; t < n; t++) s += a[t] * b[t];
  return s;
}

void gram_norms(const double *S, int nrows, long K, double *norm2)
{
  for (int j = 0; j < nrows; j++) {
    const double *a = S + (size_t)j * (size_t)K;
    double s = 0.0;
    for (long t0 = 0; t0 < K; t0 += GRAM_STRIP) s += gram_dot(a + t0, a + t0, K - t0 < GRAM_STRIP ? K - t0 : GRAM_STRIP);
    norm2[j] = s;
  }
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

/* y[t] = sum_k w[k] s_k[t] for t < n (rows ld apart), k in order from 0: the sums stay in registers
 * over the rows, 32 (then 8) outputs at a time. */
WOW_CLONES static void gram_combine_row(const double *w, int nrows, const double *S, long ld, long n, double *y)
{
  long t = 0;
  for (; t + 32 <= n; t += 32) {
    double a0[8] = { 0 }, a1[8] = { 0 }, a2[8] = { 0 }, a3[8] = { 0 };
    for (int k = 0; k < nrows; k++) {
      const double wk = w[k], *s = S + (size_t)k * (size_t)ld + (size_t)t;
      for (int q = 0; q < 8; q++) a0[q] += wk * s[q];
      for (int q = 0; q < 8; q++) a1[q] += wk * s[8 + q];
      for (int q = 0; q < 8; q++) a2[q] += wk * s[16 + q];
      for (int q = 0; q < 8; q++) a3[q] += wk * s[24 + q];
    }
    for (int q = 0; q < 8; q++) { y[t + q] = a0[q]; y[t + 8 + q] = a1[q]; y[t + 16 + q] = a2[q]; y[t + 24 + q] = a3[q]; }
  }
  for (; t + 8 <= n; t += 8) {
    double a0[8] = { 0 };
    for (int k = 0; k < nrows; k++) {
      const double wk = w[k], *s = S + (size_t)k * (size_t)ld + (size_t)t;
      for (int q = 0; q < 8; q++) a0[q] += wk * s[q];
    }
    for (int q = 0; q < 8; q++) y[t + q] = a0[q];
  }
  for (; t < n; t++) {
    double a = 0.0;
    for (int k = 0; k < nrows; k++) a += w[k] * S[(size_t)k * (size_t)ld + (size_t)t];
    y[t] = a;
  }
}

void gram_combine(const double *W, int nw, const double *S, long ldS, int nrows, long K, double *Y)
{
  if (nrows > GRAM_FEW) {
    if (nw > 0) cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nw, (int)K, nrows, 1.0, W, nrows, S, (int)ldS, 0.0, Y, (int)K);
    return;
  }
  for (long t0 = 0; t0 < K; t0 += GRAM_STRIP) {
    const long tb = K - t0 < GRAM_STRIP ? K - t0 : GRAM_STRIP;
    for (int c = 0; c < nw; c++)
      gram_combine_row(W + (size_t)c * (size_t)nrows, nrows, S + t0, ldS, tb, Y + (size_t)c * (size_t)K + (size_t)t0);
  }
}
