/* sweep2d.c -- a fixed planar cloud's orders along a sweep of directions (see sweep2d.h). */
#include <config.h>
#include "sweep2d.h"
#include "mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static long sweep2d_events(long n) { return n * (n - 1) / 2; }

double sweep2d_bytes(long n) { return (double)sweep2d_events(n) * (12.0 + 48.0) + 8.0 * (double)n; }

void sweep2d_init(struct sweep2d *s, long n)
{
  memset(s, 0, sizeof *s);
  const long ne = sweep2d_events(n);
  s->n = n;
  s->key = WOW_NEW(double, ne + 1, "flip keys of a fixed cloud");
  s->pos = WOW_NEW(uint16_t, 2 * ne + 1, "flip positions of a fixed cloud");
  s->raw = WOW_NEW(double, ne + 1, "flip keys, unsorted");
  s->pair = WOW_NEW(int, ne + 1, "flip pairs");
  s->order = WOW_NEW(int, ne + 2 * (size_t)n + 1, "flip key order, then an order and its positions");
  sort1d_work_init(&s->w, (size_t)ne + 1);
}

static void sweep2d_free_scratch(struct sweep2d *s)
{
  free(s->raw);
  free(s->pair);
  free(s->order);
  s->raw = NULL;
  s->pair = s->order = NULL;
  sort1d_work_free(&s->w);
}

void sweep2d_free(struct sweep2d *s)
{
  free(s->key);
  free(s->pos);
  sweep2d_free_scratch(s);
  memset(s, 0, sizeof *s);
}

/* Point i before point k on the direction just below (1, 0) (key 2-, before every event: those
 * at key 0, pairs of equal x, then bring the order of key 0+): by x, then y descending, then
 * index. */
static int sweep2d_before(const double *x, const double *y, int i, int k)
{
  if (x[i] != x[k]) return x[i] < x[k];
  if (y[i] != y[k]) return y[i] > y[k];
  return i < k;
}

/* st: the order before the first event (insertion sort: once per cloud). */
static void sweep2d_start(const double *x, const double *y, long n, int *st)
{
  for (long r = 0; r < n; r++) {
    const int i = (int)r;
    long q = r;
    while (q > 0 && sweep2d_before(x, y, i, st[q - 1])) {
      st[q] = st[q - 1];
      q--;
    }
    st[q] = i;
  }
}

int sweep2d_build(struct sweep2d *s, const double *x, const double *y)
{
  const long n = s->n;
  long ne = 0;
  s->built = 0;
  for (long i = 0; i < n; i++) {
    if (!isfinite(x[i]) || !isfinite(y[i])) { sweep2d_free_scratch(s); return -1; }
    for (long k = i + 1; k < n; k++) {
      const double dx = x[k] - x[i], dy = y[k] - y[i];
      if (dx == 0 && dy == 0) continue; /* equal points never flip */
      int flip;
      s->raw[ne] = sweep2d_key(-dy, dx, &flip); /* the direction perpendicular to their difference */
      s->pair[ne++] = (int)(i * n + k);
    }
  }
  s->ne = ne;
  if (sort1d(s->raw, (size_t)ne, s->key, s->order, &s->w) != 0) { sweep2d_free_scratch(s); return -1; } /* a difference overflowed */
  s->key[ne] = HUGE_VAL;
  int *st = s->order + ne, *at = st + n; /* the order, and each point's position in it */
  sweep2d_start(x, y, n, st);
  for (long r = 0; r < n; r++) at[st[r]] = (int)r;
  for (long e = 0; e < ne; e++) { /* each flip swaps its two points, wherever they are */
    const int p = s->pair[s->order[e]], a = p / (int)n, b = p % (int)n;
    const int pa = at[a], pb = at[b];
    st[pa] = b;
    st[pb] = a;
    at[a] = pb;
    at[b] = pa;
    s->pos[2 * e] = (uint16_t)pa;
    s->pos[2 * e + 1] = (uint16_t)pb;
  }
  sweep2d_free_scratch(s);
  s->built = 1;
  return 0;
}

long sweep2d_first(const struct sweep2d *s, double key)
{
  long lo = 0, hi = s->ne; /* the first e with key[e] > key; key[ne] = +inf */
  while (lo < hi) {
    const long mid = lo + (hi - lo) / 2;
    if (s->key[mid] <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

void sweep2d_advance(const struct sweep2d *s, long *e, double key, int *order, int mirrored)
{
  const int last = (int)s->n - 1;
  long k = *e;
  for (; s->key[k] <= key; k++) {
    int p = s->pos[2 * k], q = s->pos[2 * k + 1];
    if (mirrored) {
      p = last - p;
      q = last - q;
    }
    const int t = order[p];
    order[p] = order[q];
    order[q] = t;
  }
  *e = k;
}
