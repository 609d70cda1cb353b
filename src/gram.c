/* gram.c -- products of a few long rows (see gram.h). */
#include <config.h>
#include "gram.h"
#include "clones.h"

#include <cblas.h>
#include <string.h>

#define GRAM_STRIP 512 /* columns per strip: GRAM_FEW rows of it fit in L1 */

/* Eight doubles as one GCC vector, loaded and stored without alignment: sums kept in these stay in
 * registers (arrays of eight were stored back on every row). */
typedef double gram_v8 __attribute__((vector_size(64)));
#define GRAM_LOAD8(v, p) memcpy(&(v), (p), sizeof(gram_v8))
#define GRAM_STORE8(p, v) memcpy((p), &(v), sizeof(gram_v8))

/* <a, b> over n entries: four independent chains of eight lanes (one chain would wait on the
 * adder's latency), then a fixed pairwise reduction, then the tail.  One body for the doubles and
 * for widened floats (gram_norms_float): the same sums in the same order, the same bits. */
#define GRAM_DOT_BODY(A, B)                                                              \
  double a0[8] = { 0 }, a1[8] = { 0 }, a2[8] = { 0 }, a3[8] = { 0 };                   \
  long t = 0;                                                                            \
  for (; t + 32 <= n; t += 32) {                                                         \
    for (int q = 0; q < 8; q++) a0[q] += A(t + q) * B(t + q);                            \
    for (int q = 0; q < 8; q++) a1[q] += A(t + 8 + q) * B(t + 8 + q);                    \
    for (int q = 0; q < 8; q++) a2[q] += A(t + 16 + q) * B(t + 16 + q);                  \
    for (int q = 0; q < 8; q++) a3[q] += A(t + 24 + q) * B(t + 24 + q);                  \
  }                                                                                      \
  for (; t + 8 <= n; t += 8)                                                             \
    for (int q = 0; q < 8; q++) a0[q] += A(t + q) * B(t + q);                            \
  for (int q = 0; q < 8; q++) a0[q] = (a0[q] + a1[q]) + (a2[q] + a3[q]);                 \
  double s = ((a0[0] + a0[1]) + (a0[2] + a0[3])) + ((a0[4] + a0[5]) + (a0[6] + a0[7])); \
  for (; t < n; t++) s += A(t) * B(t);                                                   \
  return s

#define GRAM_A(i) a[i]
#define GRAM_B(i) b[i]
#define GRAM_AF(i) ((double)a[i])
WOW_CLONES_FMA static double gram_dot(const double *a, const double *b, long n) { GRAM_DOT_BODY(GRAM_A, GRAM_B); }
/* gram_dot(a, a, n) of the widened floats */
WOW_CLONES_FMA static double gram_dot_self_float(const float *a, long n) { GRAM_DOT_BODY(GRAM_AF, GRAM_AF); }

void gram_norms(const double *S, int nrows, long K, double *norm2)
{
  for (int j = 0; j < nrows; j++) {
    const double *a = S + (size_t)j * (size_t)K;
    double s = 0.0;
    for (long t0 = 0; t0 < K; t0 += GRAM_STRIP) s += gram_dot(a + t0, a + t0, K - t0 < GRAM_STRIP ? K - t0 : GRAM_STRIP);
    norm2[j] = s;
  }
}

void gram_norms_float(const float *S, int nrows, long K, double *norm2)
{
  for (int j = 0; j < nrows; j++) {
    const float *a = S + (size_t)j * (size_t)K;
    double s = 0.0;
    for (long t0 = 0; t0 < K; t0 += GRAM_STRIP) s += gram_dot_self_float(a + t0, K - t0 < GRAM_STRIP ? K - t0 : GRAM_STRIP);
    norm2[j] = s;
  }
}

WOW_CLONES_FMA void gram_axpy(double w, const double *x, long n, double *y)
{
  for (long t = 0; t < n; t++) y[t] += w * x[t];
}

void gram_rows(const double *S, int nrows, long K, int r0, int nr, double *G)
{
  if (nrows > GRAM_FEW) {
    if (r0 == 0 && nr == nrows) { /* all rows: the symmetric product, half the pairs */
      memset(G, 0, (size_t)nrows * (size_t)nrows * sizeof *G);
      gram_acc_upper(S, K, nrows, K, G);
      gram_mirror(nrows, G);
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

/* The reduction of one sum of the register blocks: its lanes pairwise, then the tail columns [t, n) of a . b. */
static inline double gram_finish(gram_v8 v, const double *a, const double *b, long t, long n)
{
  double s = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
  for (long u = t; u < n; u++) s += a[u] * b[u];
  return s;
}

/* out[i][k] = <a_i, b_k> over n entries for a block of 4 x 4 rows: sixteen sums in registers, each
 * row loaded once per 8 columns (the pairs of gram_dot would load it once per pair), lanes reduced
 * in a fixed order, then the tail: an entry's bits do not depend on the block it is in. */
WOW_CLONES_FMA static void gram_block4(const double *const *a, const double *const *b, long n, double out[4][4])
{
  const gram_v8 z = { 0 };
  gram_v8 c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z;
  gram_v8 c20 = z, c21 = z, c22 = z, c23 = z, c30 = z, c31 = z, c32 = z, c33 = z;
  long t = 0;
  for (; t + 8 <= n; t += 8) {
    gram_v8 a0, a1, a2, a3, b0, b1, b2, b3;
    GRAM_LOAD8(a0, a[0] + t); GRAM_LOAD8(a1, a[1] + t); GRAM_LOAD8(a2, a[2] + t); GRAM_LOAD8(a3, a[3] + t);
    GRAM_LOAD8(b0, b[0] + t); GRAM_LOAD8(b1, b[1] + t); GRAM_LOAD8(b2, b[2] + t); GRAM_LOAD8(b3, b[3] + t);
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
  }
  const gram_v8 acc[4][4] = { { c00, c01, c02, c03 }, { c10, c11, c12, c13 }, { c20, c21, c22, c23 }, { c30, c31, c32, c33 } };
  for (int i = 0; i < 4; i++)
    for (int k = 0; k < 4; k++) out[i][k] = gram_finish(acc[i][k], a[i], b[k], t, n);
}

/* The 21 pairs i <= k of 6 rows, for X(i, k). */
#define GRAM_U6_PAIRS(X) X(0, 0) X(0, 1) X(0, 2) X(0, 3) X(0, 4) X(0, 5) X(1, 1) X(1, 2) X(1, 3) X(1, 4) X(1, 5) \
  X(2, 2) X(2, 3) X(2, 4) X(2, 5) X(3, 3) X(3, 4) X(3, 5) X(4, 4) X(4, 5) X(5, 5)
#define GRAM_U6_SUM(i, k) gram_v8 c##i##k = z;
#define GRAM_U6_ADD(i, k) c##i##k += r##i * r##k;
#define GRAM_U6_OUT(i, k) out[i][k] = gram_finish(c##i##k, r[i], r[k], t, n);
/* The upper triangle of the Gram of 6 rows r[0..5] over n columns: the 21 sums in registers, each
 * row loaded once per 8 columns (gram_block4 on 6 rows takes three blocks: 48 products and 24
 * loads per 8 columns for the same 21 sums).  Each sum is formed exactly as gram_block4 forms it
 * (per lane, then gram_finish): the same bits. */
WOW_CLONES_FMA static void gram_upper6(const double *const *r, long n, double out[6][6])
{
  const gram_v8 z = { 0 };
  GRAM_U6_PAIRS(GRAM_U6_SUM)
  long t = 0;
  for (; t + 8 <= n; t += 8) {
    gram_v8 r0, r1, r2, r3, r4, r5;
    GRAM_LOAD8(r0, r[0] + t); GRAM_LOAD8(r1, r[1] + t); GRAM_LOAD8(r2, r[2] + t);
    GRAM_LOAD8(r3, r[3] + t); GRAM_LOAD8(r4, r[4] + t); GRAM_LOAD8(r5, r[5] + t);
    GRAM_U6_PAIRS(GRAM_U6_ADD)
  }
  GRAM_U6_PAIRS(GRAM_U6_OUT)
}
#undef GRAM_U6_PAIRS
#undef GRAM_U6_SUM
#undef GRAM_U6_ADD
#undef GRAM_U6_OUT

/* 5 or 6 rows (the rings' 3 + 3 classes): gram_upper6 on each strip (a fifth row repeated). */
static void gram_acc_upper6(const double *S, long ldS, int nrows, long K, double *G)
{
  for (long t0 = 0; t0 < K; t0 += GRAM_STRIP) {
    const long tb = K - t0 < GRAM_STRIP ? K - t0 : GRAM_STRIP;
    const double *r[6];
    for (int q = 0; q < 6; q++) r[q] = S + (size_t)(q < nrows ? q : nrows - 1) * (size_t)ldS + (size_t)t0;
    double out[6][6];
    gram_upper6(r, tb, out);
    for (int i = 0; i < nrows; i++)
      for (int k = i; k < nrows; k++) G[(size_t)i * (size_t)nrows + (size_t)k] += out[i][k];
  }
}

void gram_acc_upper(const double *S, long ldS, int nrows, long K, double *G)
{
  if (K <= 0) return;
  if (nrows > GRAM_BLOCKED_MAX) {
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, nrows, (int)K, 1.0, S, (int)ldS, 1.0, G, nrows);
    return;
  }
  if (nrows == 5 || nrows == 6) {
    gram_acc_upper6(S, ldS, nrows, K, G);
    return;
  }
  for (long t0 = 0; t0 < K; t0 += GRAM_STRIP) {
    const long tb = K - t0 < GRAM_STRIP ? K - t0 : GRAM_STRIP;
    for (int i0 = 0; i0 < nrows; i0 += 4)
      for (int k0 = i0; k0 < nrows; k0 += 4) {
        const double *a[4], *b[4]; /* rows past the last repeat it: their sums are not used */
        for (int q = 0; q < 4; q++) {
          a[q] = S + (size_t)(i0 + q < nrows ? i0 + q : nrows - 1) * (size_t)ldS + (size_t)t0;
          b[q] = S + (size_t)(k0 + q < nrows ? k0 + q : nrows - 1) * (size_t)ldS + (size_t)t0;
        }
        double out[4][4];
        gram_block4(a, b, tb, out);
        for (int i = i0; i < i0 + 4 && i < nrows; i++)
          for (int k = k0 > i ? k0 : i; k < k0 + 4 && k < nrows; k++) G[(size_t)i * (size_t)nrows + (size_t)k] += out[i - i0][k - k0];
      }
  }
}

void gram_mirror(int nrows, double *G)
{
  for (int i = 1; i < nrows; i++)
    for (int k = 0; k < i; k++) G[(size_t)i * (size_t)nrows + (size_t)k] = G[(size_t)k * (size_t)nrows + (size_t)i];
}

/* y[t] = sum_k w[k] s_k[t] for t < n (rows ld apart), k in order from 0: the sums stay in registers
 * over the rows, 32 (then 8) outputs at a time (as vectors: arrays of eight went back to memory on
 * every row, 0.060 -> 0.038 ms for the rings' projections). */
WOW_CLONES_FMA static void gram_combine_row(const double *w, int nrows, const double *S, long ld, long n, double *y)
{
  long t = 0;
  for (; t + 32 <= n; t += 32) {
    gram_v8 a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 }, s0, s1, s2, s3;
    for (int k = 0; k < nrows; k++) {
      const double wk = w[k], *s = S + (size_t)k * (size_t)ld + (size_t)t;
      GRAM_LOAD8(s0, s);
      GRAM_LOAD8(s1, s + 8);
      GRAM_LOAD8(s2, s + 16);
      GRAM_LOAD8(s3, s + 24);
      a0 += wk * s0;
      a1 += wk * s1;
      a2 += wk * s2;
      a3 += wk * s3;
    }
    GRAM_STORE8(y + t, a0);
    GRAM_STORE8(y + t + 8, a1);
    GRAM_STORE8(y + t + 16, a2);
    GRAM_STORE8(y + t + 24, a3);
  }
  for (; t + 8 <= n; t += 8) {
    gram_v8 a0 = { 0 }, s0;
    for (int k = 0; k < nrows; k++) {
      GRAM_LOAD8(s0, S + (size_t)k * (size_t)ld + (size_t)t);
      a0 += w[k] * s0;
    }
    GRAM_STORE8(y + t, a0);
  }
  for (; t < n; t++) {
    double a = 0.0;
    for (int k = 0; k < nrows; k++) a += w[k] * S[(size_t)k * (size_t)ld + (size_t)t];
    y[t] = a;
  }
}

WOW_CLONES_FMA void gram_project2(const double *theta, int nd, const double *S, long ldS, long n, double *out)
{
  long i = 0;
  for (; i + 8 <= n; i += 8) { /* each block of points loaded once for all nd directions */
    gram_v8 xv, yv;
    GRAM_LOAD8(xv, S + i);
    GRAM_LOAD8(yv, S + ldS + i);
    for (int q = 0; q < nd; q++) {
      gram_v8 a = { 0 };
      a += theta[2 * q] * xv;
      a += theta[2 * q + 1] * yv;
      GRAM_STORE8(out + (size_t)q * (size_t)n + (size_t)i, a);
    }
  }
  if (i < n) /* the last few points by gram_combine's own loop: its AVX-512 clone multiplies, then
              * adds there (no FMA: checked against a block of this one, which differed) */
    for (int q = 0; q < nd; q++) gram_combine_row(theta + 2 * q, 2, S + i, ldS, n - i, out + (size_t)q * (size_t)n + (size_t)i);
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
