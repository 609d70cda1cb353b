/* qgrid.h -- the merged quantile grid of classes of different sizes: the GEMM form of the pairwise
 * transports (src/mmd.c) when the classes do not all have the same number of atoms.
 *
 * The quantile function of a class of n sorted atoms s_0 <= ... <= s_{n-1} is s_r on [r/n, (r+1)/n).
 * The union of the breakpoints r/n of every class size cuts [0, 1) into G intervals q of lengths
 * w_q; on each, every class's quantile function is one atom, idx[size][q].  With the expansion
 *   e[q] = f_q s_{idx[q]},   f_q = sqrt(w_q G),
 * W2^2 between two classes is |e_j - e_k|^2 / G (all pairs from one Gram product), and the
 * displacement of atom r of a class of size n (ot1d.h: n * sum over r's intervals of w_q (s_r -
 * t_q)) is (n / G) sum_{q in r} f_q y_q with y = e_j - e_k (or any combination of expansions).
 * Breakpoints are compared exactly (integer cross products) and each w_q is one integer quotient,
 * so the grid is the same on every rank.  With one size n the grid is the identity (G = n, f = 1).
 * Pure and local; qgrid_init allocates, expand and reduce do not. */
#ifndef WOW_QGRID_H
#define WOW_QGRID_H

struct qgrid {
  long G;          /* intervals of the merged grid (0: longer than the cap given to qgrid_init) */
  int nsizes;      /* distinct class sizes */
  long *size;      /* nsizes: the distinct sizes, ascending */
  int *which;      /* nclasses: index of each class's size in size[] */
  double *f;       /* G: sqrt(w_q G) */
  int *idx;        /* nsizes x G: the atom of that size covering interval q */
};

/* The grid of nclasses classes of the given sizes (all >= 1), built only if G <= cap (else G = 0 and
 * nothing else is allocated).  Returns G. */
long qgrid_init(struct qgrid *g, const long *sizes, int nclasses, long cap);
/* The cap the GEMM form uses: expansions at most QGRID_GROWTH times the sorted projections
 * (G nclasses <= QGRID_GROWTH sum of sizes): a few sizes, as a distillation's images against
 * target batches; classes of many different sizes stay with the loops. */
#define QGRID_GROWTH 4
long qgrid_cap(const long *sizes, int nclasses);
/* G of the grid within qgrid_cap, 0 past it or with one size (nothing kept). */
long qgrid_length(const long *sizes, int nclasses);
void qgrid_free(struct qgrid *g);
/* e (L x G) from the sorted atoms s (L x n) of a class of size index z, for L directions. */
void qgrid_expand(const struct qgrid *g, int z, const double *s, long L, double *e);
/* acc (L x n) = (n / G) sum_{q in r} f_q y_q per direction, from y (L x G); size index z. */
void qgrid_reduce(const struct qgrid *g, int z, const double *y, long L, double *acc);

#endif
