/* qgrid.c -- the merged quantile grid of classes of different sizes (see qgrid.h). */
#include <config.h>
#include "qgrid.h"
#include "clones.h"
#include "mem.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int qgrid_cmp_long(const void *a, const void *b)
{
  long x = *(const long *)a, y = *(const long *)b;
  return (x > y) - (x < y);
}

/* One walk over the merged breakpoints r/size[d], atoms c[d] at the current interval.  Counts the
 * intervals (stopping past cap) or, with g->f set, fills f and idx for a known G. */
static long qgrid_walk(struct qgrid *g, long cap)
{
  const int D = g->nsizes;
  int64_t *c = WOW_ZNEW(int64_t, (size_t)D, "grid counters");
  int64_t pn = 0, pd = 1; /* left end of the interval, pn / pd */
  long q = 0;
  for (;;) {
    int best = -1;
    for (int d = 0; d < D; d++) /* the nearest next breakpoint (c[d] + 1) / size[d] */
      if (c[d] < g->size[d] && (best < 0 || (c[d] + 1) * g->size[best] < (c[best] + 1) * g->size[d])) best = d;
    if (best < 0 || q > cap) break;
    const int64_t bn = c[best] + 1, bd = g->size[best];
    if (g->f) {
      const double w = (double)(bn * pd - pn * bd) / (double)(bd * pd); /* one rounding: an integer quotient */
      g->f[q] = sqrt(w * (double)g->G);
      for (int d = 0; d < D; d++) g->idx[(size_t)d * (size_t)g->G + (size_t)q] = (int)c[d];
    }
    for (int d = 0; d < D; d++)
      if (c[d] < g->size[d] && (c[d] + 1) * bd == bn * g->size[d]) c[d]++;
    pn = bn;
    pd = bd;
    q++;
  }
  free(c);
  return q;
}

long qgrid_init(struct qgrid *g, const long *sizes, int nclasses, long cap)
{
  memset(g, 0, sizeof *g);
  long *sorted = WOW_NEW(long, (size_t)nclasses + 1, "class sizes");
  memcpy(sorted, sizes, (size_t)nclasses * sizeof *sorted);
  qsort(sorted, (size_t)nclasses, sizeof *sorted, qgrid_cmp_long);
  g->size = WOW_NEW(long, (size_t)nclasses + 1, "distinct sizes");
  for (int j = 0; j < nclasses; j++)
    if (g->nsizes == 0 || sorted[j] != g->size[g->nsizes - 1]) g->size[g->nsizes++] = sorted[j];
  free(sorted);
  g->which = WOW_NEW(int, (size_t)nclasses + 1, "class size index");
  for (int j = 0; j < nclasses; j++)
    for (int d = 0; d < g->nsizes; d++)
      if (g->size[d] == sizes[j]) g->which[j] = d;
  const long G = qgrid_walk(g, cap);
  if (G > cap) {
    qgrid_free(g);
    return 0;
  }
  g->G = G;
  g->f = WOW_NEW(double, (size_t)G, "grid weights");
  g->idx = WOW_NEW(int, (size_t)g->nsizes * (size_t)G, "grid atoms");
  qgrid_walk(g, cap);
  return G;
}

long qgrid_cap(const long *sizes, int nclasses)
{
  long total = 0;
  for (int j = 0; j < nclasses; j++) total += sizes[j];
  return nclasses > 0 ? QGRID_GROWTH * total / nclasses : 0;
}

long qgrid_length(const long *sizes, int nclasses)
{
  int same = 1;
  for (int j = 1; j < nclasses; j++) same &= sizes[j] == sizes[0];
  if (same) return 0;
  struct qgrid g;
  const long G = qgrid_init(&g, sizes, nclasses, qgrid_cap(sizes, nclasses));
  qgrid_free(&g);
  return G;
}

void qgrid_free(struct qgrid *g)
{
  free(g->size); free(g->which); free(g->f); free(g->idx);
  memset(g, 0, sizeof *g);
}

/* One direction: e[q] = f[q] s[idx[q]] (a gather the AVX-512 clone does 8 at a time). */
WOW_CLONES static void qgrid_expand_row(const double *restrict f, const int *restrict idx, const double *restrict s, long G, double *restrict e)
{
  for (long q = 0; q < G; q++) e[q] = f[q] * s[idx[q]];
}

void qgrid_expand(const struct qgrid *g, int z, const double *s, long L, double *e)
{
  const long G = g->G, n = g->size[z];
  const int *idx = g->idx + (size_t)z * (size_t)G;
  for (long l = 0; l < L; l++) qgrid_expand_row(g->f, idx, s + (size_t)l * (size_t)n, G, e + (size_t)l * (size_t)G);
}

void qgrid_reduce(const struct qgrid *g, int z, const double *y, long L, double *acc)
{
  const long G = g->G, n = g->size[z];
  const int *idx = g->idx + (size_t)z * (size_t)G;
  const double scale = (double)n / (double)G;
  for (long l = 0; l < L; l++) {
    const double *yl = y + (size_t)l * (size_t)G;
    double *al = acc + (size_t)l * (size_t)n;
    for (long r = 0; r < n; r++) al[r] = 0.0;
    for (long q = 0; q < G; q++) al[idx[q]] += g->f[q] * yl[q];
    for (long r = 0; r < n; r++) al[r] *= scale;
  }
}
