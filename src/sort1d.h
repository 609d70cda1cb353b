/* sort1d.h -- sort the n projections of one (class, direction): ascending values, ties broken by
 * index, and the permutation perm (sorted position r holds input index perm[r]).
 *
 * Rank counting (O(n^2), branch-free, fastest for small n), LSD radix sort above; all paths give
 * the identical stable order (-0.0 is sorted as +0.0).  Where the CPU has AVX-512BW the ranks are
 * counted on 16-bit keys scaled from the value range, 32 per compare (for 128 < n <= 256, 24-bit
 * keys packed with their index go through a bitonic network in 16 registers instead), and the rare
 * values that share a key are then ordered by an insertion pass per group (up to SORT1D_RANK_MAX
 * values: at 500 it is 2.5x faster than the radix sort); elsewhere the counts compare the doubles
 * (sort1d_rank_portable, up to SORT1D_PORTABLE_MAX).  Local; the caller owns the buffers; the work
 * struct is allocated once for the largest n.  Returns 0, or -1 when a value is NaN (then the
 * output is unspecified but every perm entry is a valid index). */
#ifndef WOW_SORT1D_H
#define WOW_SORT1D_H

#include <stddef.h>
#include <stdint.h>

#define SORT1D_RANK_MAX 1024
#define SORT1D_PORTABLE_MAX 256

struct sort1d_work {
  size_t cap;
  uint64_t *key, *key2;
  int *idx, *idx2;
  double *wide; /* sort1d_float's widened values where it does not read the floats itself */
};

void sort1d_work_init(struct sort1d_work *w, size_t nmax);
void sort1d_work_free(struct sort1d_work *w);
int sort1d(const double *v, size_t n, double *sorted, int *perm, struct sort1d_work *w);
/* The same for floats (run.precision = single): exactly sort1d of the widened values, which the
 * AVX-512 path widens as it reads them (no pass over a widened copy). */
int sort1d_float(const float *v, size_t n, double *sorted, int *perm, struct sort1d_work *w);
/* sort1d_float's sorted values without the order (scratch: n ints, overwritten): for 128 < n <=
 * 256 on AVX-512 the floats' own bits go through the network (no range pass, no index, no
 * gather); the same values, bit for bit. */
int sort1d_values_float(const float *v, size_t n, double *sorted, int *scratch, struct sort1d_work *w);
/* Re-sort from a nearby order (the order of these points on a nearby direction): start holds a
 * permutation of 0..n-1, read backwards when `reversed` (the nearby direction's opposite; start
 * and perm must not overlap); where it is nearly right, an insertion pass over the few
 * out-of-order positions gives sort1d's output at a fraction of its cost.  Returns 0 (sorted and
 * perm: sort1d's result), -1 on NaN (perm then a permutation), or 1 when more than max_moves
 * element moves were needed (counted after each round of the pass: a far start may cost one pass
 * over its out-of-order positions first) or the CPU lacks AVX-512 (outputs unspecified: call
 * sort1d). */
int sort1d_resort(const double *v, size_t n, const int *start, int reversed, double *sorted, int *perm, size_t max_moves);
/* The algorithms, exposed for the tests: sort1d_rank takes n <= sort1d_rank_max() (this CPU's
 * limit), sort1d_rank_portable n <= SORT1D_PORTABLE_MAX. */
size_t sort1d_rank_max(void);
int sort1d_rank(const double *v, size_t n, double *sorted, int *perm);
int sort1d_rank_portable(const double *v, size_t n, double *sorted, int *perm);
int sort1d_radix(const double *v, size_t n, double *sorted, int *perm, struct sort1d_work *w);

#endif
