/* ot1d.c -- exact 1D transport and the quantile estimator (see ot1d.h). */
#include <config.h>
/* The loops below are the hot spot after the GEMMs: let GCC vectorise them even in -O2 builds. */
#if defined(__GNUC__) && !defined(__clang__) && !defined(WOW_DEBUG_CHECKS)
#pragma GCC optimize("O3")
#endif
#include "ot1d.h"

#include <math.h>
#include <stdint.h>

static double ot1d_sign(double x) { return (double)((x > 0) - (x < 0)); }

static double ot1d_pow(double x, int p) { return p == 2 ? x * x : fabs(x); }

double ot1d_cost(const double *t, size_t n, const double *s, size_t m, int p)
{
  double acc = 0.0;
  if (n == m) { /* four partial sums: a sum is latency-bound otherwise */
    double a[4] = { 0.0, 0.0, 0.0, 0.0 };
    size_t r = 0;
    if (p == 2)
      for (; r + 4 <= n; r += 4)
        for (int q = 0; q < 4; q++) a[q] += (t[r + q] - s[r + q]) * (t[r + q] - s[r + q]);
    else
      for (; r + 4 <= n; r += 4)
        for (int q = 0; q < 4; q++) a[q] += fabs(t[r + q] - s[r + q]);
    for (; r < n; r++) a[0] += ot1d_pow(t[r] - s[r], p);
    return ((a[0] + a[1]) + (a[2] + a[3])) / (double)n;
  }
  /* Walk the merged breakpoints on the grid of n*m: source atom r covers [r m, (r+1) m),
   * target atom k covers [k n, (k+1) n); overlaps are integers. */
  const int64_t N = (int64_t)n, Mm = (int64_t)m;
  int64_t pos = 0;
  size_t r = 0, k = 0;
  while (r < n && k < m) {
    int64_t ea = ((int64_t)r + 1) * Mm, eb = ((int64_t)k + 1) * N;
    int64_t e = ea < eb ? ea : eb;
    acc += (double)(e - pos) * ot1d_pow(t[r] - s[k], p);
    pos = e;
    r += (e == ea);
    k += (e == eb);
  }
  return acc / ((double)n * (double)m);
}

void ot1d_disp_acc(const double *t, size_t n, const double *s, size_t m, int p, double coef, double *acc)
{
  if (n == m) {
    if (p == 2) for (size_t r = 0; r < n; r++) acc[r] += coef * (t[r] - s[r]);
    else for (size_t r = 0; r < n; r++) acc[r] += 0.5 * coef * ot1d_sign(t[r] - s[r]);
    return;
  }
  const int64_t N = (int64_t)n, Mm = (int64_t)m;
  const double scale = (p == 2 ? 1.0 : 0.5) * coef / (double)m;
  int64_t pos = 0;
  size_t r = 0, k = 0;
  double part = 0.0;
  while (r < n && k < m) {
    int64_t ea = ((int64_t)r + 1) * Mm, eb = ((int64_t)k + 1) * N;
    int64_t e = ea < eb ? ea : eb;
    double diff = t[r] - s[k];
    part += (double)(e - pos) * (p == 2 ? diff : ot1d_sign(diff));
    pos = e;
    if (e == ea) { acc[r] += scale * part; part = 0.0; r++; }
    k += (e == eb);
  }
}

void ot1d_knots(const double *t, size_t n, int Q, double *q)
{
  for (int k = 0; k < Q; k++) {
    double h = (double)k / (double)(Q - 1) * (double)(n - 1);
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1) { q[k] = t[n - 1]; continue; }
    double frac = h - (double)lo;
    q[k] = t[lo] + frac * (t[lo + 1] - t[lo]);
  }
}

/* Interpolation cell of level u on the knot grid alpha_k = k/(Q-1). */
static void ot1d_cell(double u, int Q, int *k, double *w)
{
  double x = u * (double)(Q - 1);
  int c = (int)floor(x);
  if (c < 0) c = 0;
  if (c > Q - 2) c = Q - 2;
  *k = c;
  *w = x - (double)c;
}

double ot1d_quant_cost(const double *qa, const double *qb, const double *u, int Q, int p)
{
  double acc = 0.0;
  for (int j = 0; j < Q; j++) {
    int k;
    double w;
    ot1d_cell(u[j], Q, &k, &w);
    double a = (1.0 - w) * qa[k] + w * qa[k + 1], b = (1.0 - w) * qb[k] + w * qb[k + 1];
    acc += ot1d_pow(a - b, p);
  }
  return acc / (double)Q;
}

void ot1d_quant_levels(const double *q, const double *u, int Q, double *z)
{
  for (int j = 0; j < Q; j++) {
    int k;
    double w;
    ot1d_cell(u[j], Q, &k, &w);
    z[j] = (1.0 - w) * q[k] + w * q[k + 1];
  }
}

/* d cost / d t_r through the linear percentiles, from dq[k] = d cost / d knot k; disp_r = (n/2) d cost / d t_r. */
static void ot1d_quant_knots_to_atoms(size_t n, int Q, double coef, const double *dq, double *acc);

void ot1d_quant_disp_acc(size_t n, const double *qa, const double *qb, const double *u, int Q, int p, double coef,
                         double *dq, double *acc)
{
  for (int k = 0; k < Q; k++) dq[k] = 0.0;
  for (int j = 0; j < Q; j++) {
    int k;
    double w;
    ot1d_cell(u[j], Q, &k, &w);
    double D = (1.0 - w) * (qa[k] - qb[k]) + w * (qa[k + 1] - qb[k + 1]);
    double g = (p == 2 ? 2.0 * D : ot1d_sign(D)) / (double)Q; /* d cost / d Qa(u_j) */
    dq[k] += (1.0 - w) * g;
    dq[k + 1] += w * g;
  }
  ot1d_quant_knots_to_atoms(n, Q, coef, dq, acc);
}

void ot1d_quant_disp_levels(size_t n, const double *D, const double *u, int Q, double coef, double *dq, double *acc)
{
  for (int k = 0; k < Q; k++) dq[k] = 0.0;
  for (int j = 0; j < Q; j++) {
    int k;
    double w;
    ot1d_cell(u[j], Q, &k, &w);
    double g = 2.0 * D[j] / (double)Q;
    dq[k] += (1.0 - w) * g;
    dq[k + 1] += w * g;
  }
  ot1d_quant_knots_to_atoms(n, Q, coef, dq, acc);
}

static void ot1d_quant_knots_to_atoms(size_t n, int Q, double coef, const double *dq, double *acc)
{
  const double scale = 0.5 * (double)n * coef;
  for (int k = 0; k < Q; k++) {
    if (dq[k] == 0.0) continue;
    double h = (double)k / (double)(Q - 1) * (double)(n - 1);
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1) { acc[n - 1] += scale * dq[k]; continue; }
    double frac = h - (double)lo;
    acc[lo] += scale * (1.0 - frac) * dq[k];
    acc[lo + 1] += scale * frac * dq[k];
  }
}
