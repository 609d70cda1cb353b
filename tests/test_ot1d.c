/* test_ot1d.c -- 1D transport against brute force (n != m, ties), displacements against central
 * finite differences (exact W2, W1 and the quantile estimator), the sorts and re-sorts, and the
 * sweep of a fixed planar cloud's orders (sweep2d). */
#include <config.h>
#include "ot1d.h"
#include "sort1d.h"
#include "sweep2d.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static double urand(unsigned *s)
{
  *s = *s * 1103515245u + 12345u;
  return ((*s >> 8) & 0xffffff) / 16777216.0;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Brute force: the transport polytope between uniform measures with n and m atoms has integral
 * vertices on the grid 1/(nm), so the optimum is an assignment of nm replicated atoms. */
static double brute_force(const double *t, int n, const double *s, int m, int p)
{
  int N = n * m, perm[8], c[8];
  double a[8], b[8];
  for (int i = 0; i < N; i++) { a[i] = t[i / m]; b[i] = s[i / n]; perm[i] = i; c[i] = 0; }
  double best = INFINITY;
  for (int i = 0;;) { /* Heap's algorithm over all permutations */
    double cost = 0;
    for (int k = 0; k < N; k++) cost += p == 2 ? (a[k] - b[perm[k]]) * (a[k] - b[perm[k]]) : fabs(a[k] - b[perm[k]]);
    if (cost < best) best = cost;
    while (i < N && c[i] >= i) c[i++] = 0;
    if (i >= N) break;
    int j = (i % 2) ? c[i] : 0, tmp = perm[j];
    perm[j] = perm[i];
    perm[i] = tmp;
    c[i]++;
    i = 0;
  }
  return best / N;
}

static void test_brute_force(void **state)
{
  (void)state;
  static const int sizes[][2] = { { 1, 1 }, { 1, 3 }, { 3, 1 }, { 2, 3 }, { 3, 2 }, { 2, 4 }, { 4, 2 }, { 1, 8 }, { 8, 1 }, { 2, 2 } };
  unsigned seed = 7;
  for (int ties = 0; ties < 2; ties++)
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
      int n = sizes[k][0], m = sizes[k][1];
      double t[8], s[8];
      for (int i = 0; i < n; i++) t[i] = ties ? floor(3 * urand(&seed)) : urand(&seed) * 2 - 1;
      for (int i = 0; i < m; i++) s[i] = ties ? floor(3 * urand(&seed)) : urand(&seed) * 2 - 0.5;
      qsort(t, (size_t)n, sizeof *t, cmp_double);
      qsort(s, (size_t)m, sizeof *s, cmp_double);
      for (int p = 1; p <= 2; p++) {
        double exact = ot1d_cost(t, (size_t)n, s, (size_t)m, p), bf = brute_force(t, n, s, m, p);
        if (fabs(exact - bf) > 1e-14 * (1 + bf)) {
          print_error("n=%d m=%d p=%d ties=%d: %.17g vs brute force %.17g\n", n, m, p, ties, exact, bf);
          fail();
        }
        assert_true(fabs(ot1d_cost(s, (size_t)m, t, (size_t)n, p) - exact) <= 1e-15 * (1 + exact)); /* symmetric */
      }
    }
}

static void test_equal_sizes_and_map(void **state)
{
  (void)state;
  double t[4] = { -1, 0, 2, 5 }, s[4] = { 0, 1, 1, 3 }, acc[4] = { 0 };
  assert_true(fabs(ot1d_cost(t, 4, s, 4, 2) - (1 + 1 + 1 + 4) / 4.0) < 1e-15);
  ot1d_disp_acc(t, 4, s, 4, 2, 1.0, acc); /* Tbar(t_r) = s_r: disp = t - s */
  for (int r = 0; r < 4; r++) assert_true(acc[r] == t[r] - s[r]);
  /* n = 2, m = 4: each source atom is sent to the mean of two target atoms. */
  double t2[2] = { 0, 10 }, acc2[2] = { 0 };
  ot1d_disp_acc(t2, 2, s, 4, 2, 2.0, acc2);
  assert_true(fabs(acc2[0] - 2.0 * (0 - 0.5)) < 1e-15);
  assert_true(fabs(acc2[1] - 2.0 * (10 - 2.0)) < 1e-15);
  /* n = 3, m = 2: the middle atom is split half and half. */
  double t3[3] = { 0, 1, 2 }, s3[2] = { 4, 8 }, acc3[3] = { 0 };
  ot1d_disp_acc(t3, 3, s3, 2, 2, 1.0, acc3);
  assert_true(fabs(acc3[1] - (1 - 6.0)) < 1e-15);
}

/* Central differences of cost(t) in t_r must equal (2/n) disp_r. */
static void check_fd(int n, int m, int p, int quantile)
{
  unsigned seed = (unsigned)(n * 31 + m * 7 + p + 100 * quantile);
  double t[40], s[40], acc[40] = { 0 }, u[16], qa[16], qb[16], dq[16];
  const int Q = 16;
  for (int i = 0; i < n; i++) t[i] = urand(&seed) * 4 - 2;
  for (int i = 0; i < m; i++) s[i] = urand(&seed) * 3 - 1;
  for (int j = 0; j < Q; j++) u[j] = urand(&seed);
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  qsort(s, (size_t)m, sizeof *s, cmp_double);
  ot1d_knots(s, (size_t)m, Q, qb);
  if (quantile) {
    ot1d_knots(t, (size_t)n, Q, qa);
    ot1d_quant_disp_acc((size_t)n, qa, qb, u, Q, p, 1.0, dq, acc);
  } else {
    ot1d_disp_acc(t, (size_t)n, s, (size_t)m, p, 1.0, acc);
  }
  const double h = 1e-7;
  for (int r = 0; r < n; r++) {
    double c[2];
    for (int sgn = 0; sgn < 2; sgn++) {
      double tp[40];
      memcpy(tp, t, sizeof tp);
      tp[r] += sgn ? -h : h;
      if (quantile) {
        ot1d_knots(tp, (size_t)n, Q, qa);
        c[sgn] = ot1d_quant_cost(qa, qb, u, Q, p);
      } else {
        c[sgn] = ot1d_cost(tp, (size_t)n, s, (size_t)m, p);
      }
    }
    double fd = (c[0] - c[1]) / (2 * h), an = 2.0 / n * acc[r];
    if (fabs(fd - an) > 1e-6 * (1 + fabs(an))) {
      print_error("n=%d m=%d p=%d quantile=%d r=%d: fd %.12g analytic %.12g\n", n, m, p, quantile, r, fd, an);
      fail();
    }
  }
}

static void test_fd(void **state)
{
  (void)state;
  static const int sizes[][2] = { { 5, 5 }, { 5, 8 }, { 8, 5 }, { 1, 7 }, { 7, 1 }, { 13, 40 }, { 40, 13 } };
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
    for (int p = 1; p <= 2; p++)
      for (int q = 0; q < 2; q++) check_fd(sizes[k][0], sizes[k][1], p, q);
}

static void test_quantile_estimator_value(void **state)
{
  (void)state;
  /* Linear percentiles of 0..n-1 are exact on the knot grid, and Qa - Qb is constant for a shift. */
  double t[11], s[11], qa[5], qb[5], u[5] = { 0.1, 0.3, 0.5, 0.7, 0.95 };
  for (int i = 0; i < 11; i++) { t[i] = i; s[i] = i + 2.5; }
  ot1d_knots(t, 11, 5, qa);
  for (int k = 0; k < 5; k++) assert_true(fabs(qa[k] - 10.0 * k / 4.0) < 1e-14);
  ot1d_knots(s, 11, 5, qb);
  assert_true(fabs(ot1d_quant_cost(qa, qb, u, 5, 2) - 6.25) < 1e-13);
  assert_true(fabs(ot1d_quant_cost(qa, qb, u, 5, 1) - 2.5) < 1e-13);
}

static void reference_sort(const double *v, int n, double *sorted, int *perm)
{
  /* insertion sort by (value, index), -0.0 == +0.0 */
  for (int i = 0; i < n; i++) perm[i] = i;
  for (int i = 1; i < n; i++) {
    int p = perm[i], j = i;
    while (j > 0 && v[perm[j - 1]] + 0.0 > v[p] + 0.0) { perm[j] = perm[j - 1]; j--; }
    perm[j] = p;
  }
  for (int i = 0; i < n; i++) sorted[i] = v[perm[i]] + 0.0;
}

/* Inputs that stress each path: ties, -0.0, negatives; values that share a 16-bit key (within
 * 2^-16 of the range, in reverse order); infinities; one outlier that squeezes all other keys to 0;
 * all equal. */
static void sort_input(int kind, int n, unsigned *seed, double *v)
{
  for (int i = 0; i < n; i++) {
    double r = urand(seed);
    switch (kind) {
    case 0:
      v[i] = r < 0.3 ? floor(r * 20) - 3 : (r - 0.5) * 1e3; /* many ties and negatives */
      if (i % 17 == 5) v[i] = -0.0;
      if (i % 17 == 9) v[i] = 0.0;
      break;
    case 1: v[i] = (i % 3 == 0 ? 1.0 : -1.0) + (double)(n - i) * 1e-13 * (r < 0.5 ? 1 : -1); break;
    case 2: v[i] = i % 7 == 3 ? (i % 2 ? INFINITY : -INFINITY) : r - 0.5; break;
    case 3: v[i] = i == n / 3 ? 1e300 : r * 1e-3; break;
    case 4: v[i] = r - 0.5; break; /* distinct 16-bit keys (small n): no pass over shared keys */
    case 5: v[i] = (r - 0.5) * 1.5e308 * 2.0; break; /* max - min overflows: keys 0 or the cap */
    case 6: v[i] = i % 5 == 2 ? -INFINITY : r; break; /* min = -inf: every key the cap */
    case 7: v[i] = i == 0 ? 1e-6 : i == 1 ? 0.0 : 1.0 + i; break; /* only the two smallest share a key, in reverse index order */
    default: v[i] = 2.5; break;
    }
  }
}

/* sort1d_float is sort1d of the widened values, bit for bit (values that differ only beyond float
 * precision become ties there), and sort1d_values_float gives the same values; NaN is reported
 * the same.  Pass 2 scales the values into float's subnormal range (and some to -0.0). */
static void check_sort_float(const double *v, int n, struct sort1d_work *w)
{
  float *f = malloc((size_t)n * sizeof *f);
  double *wide = malloc((size_t)n * sizeof *wide), *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
  int *pa = malloc((size_t)n * sizeof *pa), *pb = malloc((size_t)n * sizeof *pb);
  for (int pass = 0; pass < 3; pass++) {
    for (int i = 0; i < n; i++) { f[i] = (float)(pass == 2 ? v[i] * 1e-42 : v[i]); wide[i] = (double)f[i]; }
    if (pass == 1) { f[n / 3] = NAN; wide[n / 3] = NAN; }
    const int ra = sort1d(wide, (size_t)n, a, pa, w), rb = sort1d_float(f, (size_t)n, b, pb, w);
    assert_int_equal(ra, pass == 1 ? -1 : 0);
    assert_int_equal(rb, ra);
    if (ra == 0) {
      assert_memory_equal(pb, pa, (size_t)n * sizeof *pa);
      assert_memory_equal(b, a, (size_t)n * sizeof *a);
    } else
      for (int i = 0; i < n; i++) assert_true(pb[i] >= 0 && pb[i] < n);
    assert_int_equal(sort1d_values_float(f, (size_t)n, b, pb, w), ra);
    if (ra == 0) assert_memory_equal(b, a, (size_t)n * sizeof *a);
  }
  free(f); free(wide); free(a); free(b); free(pa); free(pb);
}

static int is_permutation(const int *p, int n)
{
  unsigned char *seen = calloc((size_t)n + 1, 1);
  int ok = 1;
  for (int i = 0; i < n; i++) {
    if (p[i] < 0 || p[i] >= n || seen[p[i]]) ok = 0;
    else seen[p[i]] = 1;
  }
  free(seen);
  return ok;
}

/* sort1d_resort from start orders near and far from the answer (read forwards and backwards):
 * sort1d's output bit for bit, or 1 (too many moves, or no AVX-512); -1 on NaN with perm a
 * permutation. */
static void check_resort(double *v, int n, struct sort1d_work *w, unsigned *seed)
{
  double *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b), *neg = malloc((size_t)n * sizeof *neg);
  int *pa = malloc((size_t)n * sizeof *pa), *pb = malloc((size_t)n * sizeof *pb), *order = malloc((size_t)n * sizeof *order);
  assert_int_equal(sort1d(v, (size_t)n, a, pa, w), 0);
  for (int kind = 0; kind < 5; kind++) {
    int reversed = 0;
    size_t budget = (size_t)n * (size_t)n;
    memcpy(order, pa, (size_t)n * sizeof *order);
    if (kind == 1) /* a few neighbours swapped, as on a nearby direction */
      for (int s = 0; s < 1 + n / 10; s++) {
        int r = (int)(rand_r(seed) % (unsigned)n);
        if (r + 1 < n) { int t = order[r]; order[r] = order[r + 1]; order[r + 1] = t; }
      }
    if (kind == 2 || kind == 4) /* a random start: a full insertion sort (kind 4: given up early) */
      for (int i = n - 1; i > 0; i--) { int j = (int)(rand_r(seed) % (unsigned)(i + 1)), t = order[i]; order[i] = order[j]; order[j] = t; }
    if (kind == 3) { /* the opposite direction's order, reversed */
      for (int i = 0; i < n; i++) neg[i] = -v[i];
      assert_int_equal(sort1d(neg, (size_t)n, b, order, w), 0);
      reversed = 1;
    }
    if (kind == 4) budget = (size_t)n / 4;
    const int rc = sort1d_resort(v, (size_t)n, order, reversed, b, pb, budget);
    if (rc == 1) {
      assert_true(kind == 4 || sort1d_rank_max() == SORT1D_PORTABLE_MAX || n > SORT1D_RANK_MAX);
      continue;
    }
    assert_int_equal(rc, 0);
    assert_true(kind != 4 || n < 8); /* a random order of 8 or more needs more than n / 4 moves */
    assert_memory_equal(pb, pa, (size_t)n * sizeof *pa);
    assert_memory_equal(b, a, (size_t)n * sizeof *a);
  }
  memcpy(order, pa, (size_t)n * sizeof *order);
  const double keep = v[n / 2];
  v[n / 2] = NAN;
  const int rc = sort1d_resort(v, (size_t)n, order, 0, b, pb, (size_t)n);
  assert_true(rc == -1 || (rc == 1 && sort1d_rank_max() == SORT1D_PORTABLE_MAX));
  if (rc == -1) assert_true(is_permutation(pb, n));
  v[n / 2] = keep;
  free(a); free(b); free(neg); free(pa); free(pb); free(order);
}

static void test_sorts(void **state)
{
  (void)state;
  unsigned seed = 3;
  static const int sizes[] = { 1, 2, 7, 31, 32, 33, 80, 127, 128, 129, 144, 150, 160, 170, 176, 190, 200, 208, 220, 240, 241, 255, 256, 257, 500, 1000, 1023, 1024, 1025, 3000 }; /* 129-256: each count of the network's registers */
  struct sort1d_work w;
  sort1d_work_init(&w, 3000);
  for (int kind = 0; kind < 9; kind++)
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
      int n = sizes[k];
      double *v = malloc((size_t)n * sizeof *v), *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b), *c = malloc((size_t)n * sizeof *c);
      int *pa = malloc((size_t)n * sizeof *pa), *pb = malloc((size_t)n * sizeof *pb), *pc = malloc((size_t)n * sizeof *pc);
      sort_input(kind, n, &seed, v);
      reference_sort(v, n, c, pc);
      if ((size_t)n <= sort1d_rank_max()) {
        assert_int_equal(sort1d_rank(v, (size_t)n, a, pa), 0);
        assert_memory_equal(pa, pc, (size_t)n * sizeof *pa);
        assert_memory_equal(a, c, (size_t)n * sizeof *a);
      }
      if (n <= SORT1D_PORTABLE_MAX) {
        assert_int_equal(sort1d_rank_portable(v, (size_t)n, a, pa), 0);
        assert_memory_equal(pa, pc, (size_t)n * sizeof *pa);
        assert_memory_equal(a, c, (size_t)n * sizeof *a);
      }
      struct sort1d_work wk;
      sort1d_work_init(&wk, (size_t)n > SORT1D_PORTABLE_MAX ? (size_t)n : SORT1D_PORTABLE_MAX + 1);
      assert_int_equal(sort1d_radix(v, (size_t)n, b, pb, &wk), 0);
      sort1d_work_free(&wk);
      assert_memory_equal(pb, pc, (size_t)n * sizeof *pb);
      assert_memory_equal(b, c, (size_t)n * sizeof *b);
      assert_int_equal(sort1d(v, (size_t)n, a, pa, &w), 0);
      assert_memory_equal(pa, pc, (size_t)n * sizeof *pa);
      check_sort_float(v, n, &w);
      if (n <= 1024) check_resort(v, n, &w, &seed);
      v[n / 2] = NAN;
      assert_int_equal(sort1d(v, (size_t)n, a, pa, &w), -1);
      for (int i = 0; i < n; i++) assert_true(pa[i] >= 0 && pa[i] < n);
      if (n <= SORT1D_PORTABLE_MAX) {
        assert_int_equal(sort1d_rank_portable(v, (size_t)n, a, pa), -1);
        for (int i = 0; i < n; i++) assert_true(pa[i] >= 0 && pa[i] < n);
      }
      free(v); free(a); free(b); free(c); free(pa); free(pb); free(pc);
    }
  sort1d_work_free(&w);
}

/* A planar cloud of kind k: 0 uniform in a square, 1 a regular ring (mirror pairs share x, many
 * chords parallel), 2 a 9 x 9 grid (collinear points, equal x and y), 3 every point twice. */
static void sweep_cloud(int kind, int n, unsigned *seed, double *x, double *y)
{
  for (int i = 0; i < n; i++) {
    const double a = 6.283185307179586 * i / n;
    switch (kind) {
    case 0: x[i] = urand(seed) - 0.5; y[i] = urand(seed) - 0.5; break;
    case 1: x[i] = 0.3 * cos(a) + 0.75; y[i] = 0.3 * sin(a); break;
    case 2: x[i] = 0.1 * (i % 9); y[i] = 0.1 * (i / 9); break;
    default: x[i] = (i % 2) ? x[i - 1] : urand(seed); y[i] = (i % 2) ? y[i - 1] : urand(seed); break;
    }
  }
}

/* One sweep as mmd_sort_angular runs it: L directions by key (random, plus the four axis ones),
 * the first sorted, each next re-sorted from the previous order advanced by the flip events.
 * Every output is sort1d's, bit for bit; returns the share of directions whose advanced start
 * already was sort1d's order. */
static double check_sweep(const double *x, const double *y, int n, int L, unsigned *seed)
{
  double *tx = malloc((size_t)L * sizeof *tx), *ty = malloc((size_t)L * sizeof *ty), *key = malloc(2 * (size_t)L * sizeof *key);
  double *v = malloc((size_t)n * sizeof *v), *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
  int *flip = malloc((size_t)L * sizeof *flip), *ord = malloc((size_t)L * sizeof *ord);
  int *pa = malloc((size_t)n * sizeof *pa), *st[2] = { malloc((size_t)n * sizeof(int)), malloc((size_t)n * sizeof(int)) };
  struct sort1d_work w;
  sort1d_work_init(&w, (size_t)(L > n ? L : n));
  for (int l = 0; l < L; l++) {
    const double t = l < 4 ? 1.5707963267948966 * l : 6.283185307179586 * urand(seed);
    tx[l] = l < 4 ? (double)((l + 1) % 2 * (1 - l)) : cos(t); /* (1, 0), (0, 1), (-1, 0), (0, -1) exactly */
    ty[l] = l < 4 ? (double)(l % 2 * (2 - l)) : sin(t);
    key[l] = sweep2d_key(tx[l], ty[l], &flip[l]);
  }
  assert_int_equal(sort1d(key, (size_t)L, key + L, ord, &w), 0);
  struct sweep2d s;
  sweep2d_init(&s, n);
  assert_int_equal(sweep2d_build(&s, x, y), 0);
  assert_int_equal(s.built, 1);
  long e = 0, exact = 0;
  for (int q = 0; q < L; q++) {
    const int l = ord[q], lp = q > 0 ? ord[q - 1] : l;
    for (int i = 0; i < n; i++) v[i] = tx[l] * x[i] + ty[l] * y[i];
    assert_int_equal(sort1d(v, (size_t)n, a, pa, &w), 0);
    int *cur = st[q % 2], *prev = st[(q + 1) % 2];
    int rc = 1;
    if (q > 0) {
      sweep2d_advance(&s, &e, key[L + q], prev, flip[lp]);
      const int rev = flip[l] != flip[lp];
      int same = 1;
      for (int r = 0; r < n; r++) same &= prev[rev ? n - 1 - r : r] == pa[r];
      exact += same;
      rc = sort1d_resort(v, (size_t)n, prev, rev, b, cur, (size_t)n);
    }
    if (rc == 1) rc = sort1d(v, (size_t)n, b, cur, &w);
    assert_int_equal(rc, 0);
    if (q == 0) e = sweep2d_first(&s, key[L]);
    assert_memory_equal(cur, pa, (size_t)n * sizeof *pa);
    assert_memory_equal(b, a, (size_t)n * sizeof *a);
  }
  sweep2d_free(&s);
  sort1d_work_free(&w);
  free(tx); free(ty); free(key); free(v); free(a); free(b); free(flip); free(ord); free(pa); free(st[0]); free(st[1]);
  return (double)exact / (L - 1);
}

static void test_sweep2d(void **state)
{
  (void)state;
  unsigned seed = 11;
  static const int sizes[] = { 1, 2, 3, 80, 81, 200 };
  for (int kind = 0; kind < 4; kind++)
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
      const int n = sizes[k];
      double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
      sweep_cloud(kind, n, &seed, x, y);
      const double exact = check_sweep(x, y, n, 500, &seed);
      print_message("sweep2d: cloud kind %d, n %d: start exact on %.1f %% of the directions\n", kind, n, 100 * exact);
      if (kind <= 1) assert_true(exact >= 0.99); /* generic and mirror-symmetric clouds: the start is the answer */
      free(x); free(y);
    }
  double x[3] = { 0, 1, NAN }, y[3] = { 0, 1, 2 }; /* a non-finite coordinate: no events */
  struct sweep2d s;
  sweep2d_init(&s, 3);
  assert_int_equal(sweep2d_build(&s, x, y), -1);
  assert_int_equal(s.built, 0);
  sweep2d_free(&s);
  double hx[2] = { -1e308, 1e308 }, hy[2] = { -1e308, 1e308 }; /* finite points, an infinite difference */
  sweep2d_init(&s, 2);
  assert_int_equal(sweep2d_build(&s, hx, hy), -1);
  assert_int_equal(s.built, 0);
  sweep2d_free(&s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_brute_force), cmocka_unit_test(test_equal_sizes_and_map), cmocka_unit_test(test_fd),
    cmocka_unit_test(test_quantile_estimator_value), cmocka_unit_test(test_sorts), cmocka_unit_test(test_sweep2d),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
