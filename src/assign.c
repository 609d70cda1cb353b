/* assign.c -- Hungarian method (shortest augmenting paths with row and column potentials). */
#include <config.h>
#include "assign.h"
#include "mem.h"

#include <math.h>
#include <stdlib.h>

double assign_min_cost(const double *cost, int n, int m, int *row_to_col)
{
  if (n > m || n <= 0) return NAN;
  for (long i = 0; i < (long)n * m; i++)
    if (!isfinite(cost[i])) return NAN;
  /* 1-based arrays: p[j] = row matched to column j (0: none); u, v potentials. */
  double *u = WOW_ZNEW(double, n + 1, "assign u"), *v = WOW_ZNEW(double, m + 1, "assign v"), *minv = WOW_NEW(double, m + 1, "assign minv");
  int *p = WOW_ZNEW(int, m + 1, "assign p"), *way = WOW_ZNEW(int, m + 1, "assign way");
  char *used = WOW_NEW(char, m + 1, "assign used");
  for (int i = 1; i <= n; i++) {
    p[0] = i;
    int j0 = 0;
    for (int j = 0; j <= m; j++) { minv[j] = INFINITY; used[j] = 0; }
    do {
      used[j0] = 1;
      int i0 = p[j0], j1 = 0;
      double delta = INFINITY;
      for (int j = 1; j <= m; j++) {
        if (used[j]) continue;
        double cur = cost[(long)(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) { minv[j] = cur; way[j] = j0; }
        if (minv[j] < delta) { delta = minv[j]; j1 = j; }
      }
      for (int j = 0; j <= m; j++) {
        if (used[j]) { u[p[j]] += delta; v[j] -= delta; }
        else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] != 0);
    do { /* augment along the path */
      int j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  double total = 0.0;
  for (int j = 1; j <= m; j++)
    if (p[j]) { row_to_col[p[j] - 1] = j - 1; }
  for (int i = 0; i < n; i++) total += cost[(long)i * m + row_to_col[i]];
  free(u); free(v); free(minv); free(p); free(way); free(used);
  return total;
}
