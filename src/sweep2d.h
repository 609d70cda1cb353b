/* sweep2d.h -- the order of a fixed cloud of n points in the plane along a sweep of directions.
 *
 * Directions are taken by the pseudo-angle of their half turn (sweep2d_key: u and -u share a key,
 * `flip` tells which one; the key rises with the angle of the one in the upper half plane, from 0
 * at (1, 0) to 2 at (-1, 0)).  Two points' order flips where the direction is perpendicular to
 * their difference, once per half turn.  sweep2d_build computes those n (n - 1) / 2 flip keys
 * once, sorts them, and records for each the two positions it swaps in the order on the upper
 * direction.  Then sweep2d_advance turns a direction's order into the next one's by those few
 * swaps (n^2 / (2 L) for L directions per half turn): the start of sort1d_resort that is already
 * the answer but where rounding puts two values the other way round than the flip keys (the
 * re-sort repairs those; the result is always sort1d's).
 *
 * For mmd_sort_angular's target clouds, which do not move: built on the first step.  Local, pure
 * apart from the buffers; all memory is allocated by sweep2d_init. */
#ifndef WOW_SWEEP2D_H
#define WOW_SWEEP2D_H

#include "sort1d.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#define SWEEP2D_NMAX 1024 /* points per cloud (positions in 16 bits; sort1d_resort's limit) */

struct sweep2d {
  long n, ne;          /* points; flip events (pairs of distinct points) */
  double *key;         /* ne + 1: the events' keys, ascending, then +inf */
  uint16_t *pos;       /* ne x 2: the positions each event swaps (order on the upper direction) */
  int built;           /* sweep2d_build succeeded */
  double *raw;         /* build scratch (freed by sweep2d_build): unsorted keys */
  int *pair, *order;   /*   the pair of each key (a n + b), the sort's permutation */
  struct sort1d_work w;
};

/* The pseudo-angle of direction (x, y) in [0, 2) (either of u, -u); *flip: (x, y) is the lower
 * one (y < 0, or y = 0 and x < 0). */
static inline double sweep2d_key(double x, double y, int *flip)
{
  *flip = y < 0 || (y == 0 && x < 0);
  if (*flip) { x = -x; y = -y; }
  return 1.0 - x / (fabs(x) + y);
}

/* Bytes sweep2d_init allocates for n points (kept: 12 per event; during the build 48 more). */
double sweep2d_bytes(long n);
/* For n <= SWEEP2D_NMAX points. */
void sweep2d_init(struct sweep2d *s, long n);
void sweep2d_free(struct sweep2d *s);
/* The events of points (x[i], y[i]), i < n; once per sweep2d_init.  Allocates nothing; frees the
 * scratch.  Returns 0, or -1 when a coordinate or a difference is not finite (s then unusable:
 * built = 0). */
int sweep2d_build(struct sweep2d *s, const double *x, const double *y);
/* The first event after key (the state of a sweep that starts at a direction of that key). */
long sweep2d_first(const struct sweep2d *s, double key);
/* order (a permutation of the n points; read backwards when `mirrored`, i.e. the order on the
 * lower direction) turned by the events *e .. up to key, in place; *e then the first event after
 * key.  Keys must not decrease between calls of one sweep. */
void sweep2d_advance(const struct sweep2d *s, long *e, double key, int *order, int mirrored);

#endif
