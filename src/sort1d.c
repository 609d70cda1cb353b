/* sort1d.c -- per-(class, direction) sorts with permutation (see sort1d.h). */
#include <config.h>
/* The counting loops below are the hot spot of small-class runs: let GCC vectorise them even in
 * -O2 builds (the result does not depend on it). */
#if defined(__GNUC__) && !defined(__clang__) && !defined(WOW_DEBUG_CHECKS)
#pragma GCC optimize("O3")
#endif
#include "sort1d.h"
#include "clones.h"
#include "mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sort1d_work_init(struct sort1d_work *w, size_t nmax)
{
  memset(w, 0, sizeof *w);
  w->cap = nmax;
  w->wide = WOW_NEW(double, nmax + 1, "widened values");
  if (nmax <= SORT1D_PORTABLE_MAX) return;
  w->key = WOW_NEW(uint64_t, nmax, "sort keys");
  w->key2 = WOW_NEW(uint64_t, nmax, "sort keys");
  w->idx = WOW_NEW(int, nmax, "sort indices");
  w->idx2 = WOW_NEW(int, nmax, "sort indices");
}

void sort1d_work_free(struct sort1d_work *w)
{
  free(w->key);
  free(w->key2);
  free(w->idx);
  free(w->idx2);
  free(w->wide);
  memset(w, 0, sizeof *w);
}

/* Portable path.  less[i] = #{j : c_j < c_i}: fixed-length, branch-free counting loops that the
 * compiler vectorises (AVX-512, AVX2 or plain x86-64 clones, picked at load time).  Equal values
 * share less[i]; taking indices in increasing order and the next free slot from less[i] on places
 * ties in index order: the stable rank. */
WOW_CLONES static void sort1d_count_less(const double *c, size_t n, long *less)
{
  for (size_t i = 0; i < n; i++) {
    const double ci = c[i];
    long r = 0;
    for (size_t j = 0; j < n; j++) r += (c[j] < ci);
    less[i] = r;
  }
}

int sort1d_rank_portable(const double *v, size_t n, double *sorted, int *perm)
{
  double c[SORT1D_PORTABLE_MAX];
  long less[SORT1D_PORTABLE_MAX];
  unsigned char used[SORT1D_PORTABLE_MAX];
  int nan = 0;
  for (size_t i = 0; i < n; i++) {
    c[i] = v[i] + 0.0; /* -0.0 -> +0.0 */
    nan |= (c[i] != c[i]);
    used[i] = 0;
  }
  if (nan) {
    for (size_t i = 0; i < n; i++) { perm[i] = (int)i; sorted[i] = v[i]; }
    return -1;
  }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized" /* c[0..n) is set above; n <= SORT1D_PORTABLE_MAX */
#endif
  sort1d_count_less(c, n, less);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  for (size_t i = 0; i < n; i++) {
    long r = less[i];
    while (used[r]) r++; /* only for ties */
    used[r] = 1;
    perm[r] = (int)i;
    sorted[r] = c[i];
  }
  return 0;
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#include <immintrin.h>
#define SORT1D_HAVE_AVX512 1
#define SORT1D_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))
#define SORT1D_KEY_MAX 65534.0
#define SORT1D_WIDE_KEY_MAX 16777214.0 /* 2^24 - 2 */

/* AVX-512BW path.  Each value gets a 16-bit key, floor((v - min) * 65534 / (max - min)): equal
 * values get equal keys and the map is monotone, so ranking (key, index) and then sorting each
 * run of equal keys by value gives the stable order.  The counts #{j : k_j < k_i} take 32 keys
 * per compare; shared keys (detected from their sum) are then placed in index order. */

/* Values i .. i + 7 of v (doubles, or floats widened when fl: the same numbers), lanes outside
 * `in` from fill. */
SORT1D_AVX512 static inline __attribute__((always_inline)) __m512d sort1d_load8(const void *v, int fl, size_t i, __mmask8 in, __m512d fill)
{
  if (fl) return _mm512_mask_mov_pd(fill, in, _mm512_cvtps_pd(_mm256_maskz_loadu_ps(in, (const float *)v + i)));
  return _mm512_mask_loadu_pd(fill, in, (const double *)v + i);
}

/* The keys, twice: key16 (padded with 0xFFFF to a multiple of 32, for the lanes) and key32 (the
 * key in both halves, for the counts' broadcasts that need no shuffle); or, when wide, only key32
 * on 24 bits (SORT1D_WIDE_KEY_MAX: for the network, whose keys carry 8 bits of index).  Returns
 * -1 when a value is NaN. */
SORT1D_AVX512 static inline __attribute__((always_inline)) int sort1d_keys(const void *v, int fl, size_t n, uint16_t *key16, uint32_t *key32,
                                                                           int wide)
{
  /* min and max over two independent chains (one chain waits on vminpd's latency) */
  const __m512d v0 = _mm512_set1_pd(fl ? (double)((const float *)v)[0] : ((const double *)v)[0]);
  __m512d mn0 = v0, mx0 = v0, mn1 = v0, mx1 = v0;
  __mmask8 nan = 0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512d x0 = sort1d_load8(v, fl, i, 0xFF, v0), x1 = sort1d_load8(v, fl, i + 8, 0xFF, v0);
    nan |= _mm512_cmp_pd_mask(x0, x1, _CMP_UNORD_Q);
    mn0 = _mm512_min_pd(mn0, x0);
    mx0 = _mm512_max_pd(mx0, x0);
    mn1 = _mm512_min_pd(mn1, x1);
    mx1 = _mm512_max_pd(mx1, x1);
  }
  for (; i < n; i += 8) {
    const __mmask8 in = (__mmask8)(n - i >= 8 ? 0xFF : (1u << (n - i)) - 1);
    const __m512d x = sort1d_load8(v, fl, i, in, v0);
    nan |= _mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q);
    mn0 = _mm512_min_pd(mn0, x);
    mx0 = _mm512_max_pd(mx0, x);
  }
  if (nan) return -1;
  const __m512d lo8 = _mm512_min_pd(mn0, mn1), hi8 = _mm512_max_pd(mx0, mx1);
  const double lo = _mm512_reduce_min_pd(lo8), hi = _mm512_reduce_max_pd(hi8);
  const double top = wide ? SORT1D_WIDE_KEY_MAX : SORT1D_KEY_MAX;
  double scale = hi > lo ? top / (hi - lo) : 0.0;
  if (!(scale < INFINITY)) scale = 0.0; /* max - min underflows: all keys 0 (overflow gives scale 0 already) */
  const __m512d vlo = _mm512_set1_pd(lo), vs = _mm512_set1_pd(scale), cap = _mm512_set1_pd(top);
  for (i = 0; i < n; i += 8) {
    const __mmask8 in = (__mmask8)(n - i >= 8 ? 0xFF : (1u << (n - i)) - 1);
    const __m512d x = sort1d_load8(v, fl, i, in, _mm512_setzero_pd());
    /* min_pd returns cap when the product is NaN.  That happens only with scale = 0 (an infinity,
     * or max - min overflowed), for the x whose x - lo is inf (or all x when lo = -inf): the
     * largest values.  So the keys are monotone in every case, as sort1d_rank_avx512 needs. */
    const __m256i k = _mm512_cvttpd_epu32(_mm512_min_pd(_mm512_mul_pd(_mm512_sub_pd(x, vlo), vs), cap));
    if (wide) _mm256_mask_storeu_epi32(key32 + i, in, k);
    else {
      _mm256_mask_storeu_epi32(key32 + i, in, _mm256_or_si256(k, _mm256_slli_epi32(k, 16)));
      _mm_mask_storeu_epi16(key16 + i, in, _mm256_cvtepi32_epi16(k));
    }
  }
  if (!wide)
    for (i = n; i < ((n + 31) & ~(size_t)31); i++) key16[i] = 0xFFFF;
  return 0;
}

/* One pass over the lanes [i0, i0 + 32 R): less_i = #{j : k_j < k_i}, 32 lanes per compare
 * (padding lanes hold 0xFFFF: their counts are not used). */
SORT1D_AVX512 static inline __attribute__((always_inline)) void
sort1d_rank_pass(const uint16_t *key16, const uint32_t *key32, size_t n, size_t i0, const int R, uint16_t *less)
{
  const __m512i one = _mm512_set1_epi16(1);
  __m512i t[4], a[4];
  for (int r = 0; r < R; r++) {
    t[r] = _mm512_loadu_si512((const void *)(key16 + i0 + 32 * (size_t)r));
    a[r] = _mm512_setzero_si512();
  }
  for (size_t j = 0; j < n; j++) {
    const __m512i kj = _mm512_set1_epi32((int)key32[j]);
    for (int r = 0; r < R; r++) a[r] = _mm512_mask_add_epi16(a[r], _mm512_cmplt_epu16_mask(kj, t[r]), a[r], one);
  }
  for (int r = 0; r < R; r++) _mm512_storeu_si512((void *)(less + i0 + 32 * (size_t)r), a[r]);
}

SORT1D_AVX512 static void sort1d_rank_keys(const uint16_t *key16, const uint32_t *key32, size_t n, uint16_t *less)
{
  const size_t n32 = (n + 31) & ~(size_t)31;
  size_t i0 = 0;
  for (; i0 + 128 <= n32; i0 += 128) sort1d_rank_pass(key16, key32, n, i0, 4, less);
  switch ((n32 - i0) / 32) {
  case 3: sort1d_rank_pass(key16, key32, n, i0, 3, less); break;
  case 2: sort1d_rank_pass(key16, key32, n, i0, 2, less); break;
  case 1: sort1d_rank_pass(key16, key32, n, i0, 1, less); break;
  default: break;
  }
}

/* Ties.  The counts less_i are the ranks unless keys are shared: a group of g equal keys has
 * less = p for all its members, and its ranks are p .. p + g - 1 (so the sum of the counts falls
 * short of n (n - 1) / 2 exactly when keys are shared).  inv[less_i] = i, in index order, left the
 * group's largest index in slot p and slots p + 1 .. p + g - 1 unset. */
struct sort1d_groups {
  size_t count;
  uint16_t first[SORT1D_RANK_MAX / 2], size[SORT1D_RANK_MAX / 2];
};

/* The other members ("losers": inv[less_i] != i, found 16 lanes at a time) are few.  Taken by
 * (count, index), each group's losers get p, p + 1, .. and its largest index the last slot: the
 * stable order of the keys.  The groups are recorded for sort1d_fix_groups. */
SORT1D_AVX512 static void sort1d_place_ties(const uint16_t *less, size_t n, int *inv, struct sort1d_groups *gr)
{
  int lose[SORT1D_RANK_MAX];
  size_t nl = 0;
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 in = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
    const __m512i at = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(in, less + i));
    const __m512i held = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), in, at, inv, 4);
    const __m512i ix = _mm512_add_epi32(iota, _mm512_set1_epi32((int)i));
    const __mmask16 lost = _mm512_mask_cmpneq_epi32_mask(in, held, ix);
    _mm512_mask_compressstoreu_epi32(lose + nl, lost, ix);
    nl += (size_t)__builtin_popcount(lost);
  }
  for (size_t a = 1; a < nl; a++) { /* by count, stable: index order within a group */
    const int x = lose[a];
    size_t q = a;
    while (q > 0 && less[lose[q - 1]] > less[x]) { lose[q] = lose[q - 1]; q--; }
    lose[q] = x;
  }
  gr->count = 0;
  for (size_t a = 0; a < nl;) {
    const size_t p = less[lose[a]];
    const int last = inv[p];
    size_t t = 0;
    for (; a < nl && less[lose[a]] == p; a++) inv[p + t++] = lose[a];
    inv[p + t] = last;
    gr->first[gr->count] = (uint16_t)p;
    gr->size[gr->count++] = (uint16_t)(t + 1);
  }
}

/* Within each group of shared keys (adjacent, in index order) a stable insertion sort by value;
 * distinct keys of the monotone map are already in value order. */
static void sort1d_fix_groups(double *sorted, int *perm, const struct sort1d_groups *gr)
{
  for (size_t k = 0; k < gr->count; k++) {
    double *s = sorted + gr->first[k];
    int *pm = perm + gr->first[k];
    for (size_t r = 1; r < gr->size[k]; r++) {
      const double x = s[r];
      const int pr = pm[r];
      size_t q = r;
      while (q > 0 && s[q - 1] > x) { s[q] = s[q - 1]; pm[q] = pm[q - 1]; q--; }
      s[q] = x;
      pm[q] = pr;
    }
  }
}

/* Sorting network for SORT1D_NET_MIN < n <= SORT1D_NET_MAX: 24-bit keys packed with their index,
 * key << 8 | i (equal keys then come in index order, and 256 times fewer values share a key than
 * on 16 bits: 37 % of Gaussian sorts of 200 did), 256 of them (padded with the largest value) in
 * 16 registers of 16 lanes: each register sorted by a bitonic network, then runs of 1, 2, 4, 8
 * registers merged (the second run reversed, half-cleaners between registers, then within them).
 * About 1400 min/max/permute operations against the counts' n^2 / 32 compares on one port (1250
 * at n = 200). */
#define SORT1D_NET_MIN 128
#define SORT1D_NET_MAX 256

/* Lanes l and l ^ j compared; the lanes in take_min keep the smaller. */
SORT1D_AVX512 static inline __attribute__((always_inline)) __m512i sort1d_net_cx(__m512i x, __m512i partner, __mmask16 take_min)
{
  const __m512i p = _mm512_permutexvar_epi32(partner, x);
  return _mm512_mask_min_epu32(_mm512_max_epu32(x, p), take_min, x, p);
}

/* The lane permutations l -> l ^ j for j = 1, 2, 4, 8, and the reversal. */
struct sort1d_net_perms {
  __m512i x1, x2, x4, x8, rev;
};

/* One register sorted ascending: the bitonic network's stages k = 2, 4, 8, 16 (for k < 16 the
 * lanes with bit k set sort descending; the masks mark the lanes that keep the minimum). */
SORT1D_AVX512 static inline __attribute__((always_inline)) __m512i sort1d_net_sort16(__m512i x, const struct sort1d_net_perms *q)
{
  x = sort1d_net_cx(x, q->x1, 0x9999);
  x = sort1d_net_cx(x, q->x2, 0xC3C3);
  x = sort1d_net_cx(x, q->x1, 0xA5A5);
  x = sort1d_net_cx(x, q->x4, 0xF00F);
  x = sort1d_net_cx(x, q->x2, 0xCC33);
  x = sort1d_net_cx(x, q->x1, 0xAA55);
  x = sort1d_net_cx(x, q->x8, 0x00FF);
  x = sort1d_net_cx(x, q->x4, 0x0F0F);
  x = sort1d_net_cx(x, q->x2, 0x3333);
  return sort1d_net_cx(x, q->x1, 0x5555);
}

/* A bitonic register made ascending: half-cleaners at lane distances 8, 4, 2, 1. */
SORT1D_AVX512 static inline __attribute__((always_inline)) __m512i sort1d_net_clean16(__m512i x, const struct sort1d_net_perms *q)
{
  x = sort1d_net_cx(x, q->x8, 0x00FF);
  x = sort1d_net_cx(x, q->x4, 0x0F0F);
  x = sort1d_net_cx(x, q->x2, 0x3333);
  return sort1d_net_cx(x, q->x1, 0x5555);
}

SORT1D_AVX512 static inline __attribute__((always_inline)) void sort1d_net_minmax(__m512i *a, __m512i *b)
{
  const __m512i lo = _mm512_min_epu32(*a, *b);
  *b = _mm512_max_epu32(*a, *b);
  *a = lo;
}

/* Runs x[0 .. h) and x[h .. 2h), each ascending, merged into x[0 .. 2h) (h a power of 2). */
SORT1D_AVX512 static inline __attribute__((always_inline)) void sort1d_net_merge(__m512i *x, int h, const struct sort1d_net_perms *q)
{
#pragma GCC unroll 8
  for (int i = 0; i < h / 2; i++) { /* the second run reversed: x[0 .. 2h) is bitonic */
    const __m512i t = x[h + i];
    x[h + i] = _mm512_permutexvar_epi32(q->rev, x[2 * h - 1 - i]);
    x[2 * h - 1 - i] = _mm512_permutexvar_epi32(q->rev, t);
  }
  if (h == 1) x[1] = _mm512_permutexvar_epi32(q->rev, x[1]);
#pragma GCC unroll 4
  for (int dist = h; dist >= 1; dist /= 2)
#pragma GCC unroll 16
    for (int i = 0; i < 2 * h; i++)
      if ((i & dist) == 0) sort1d_net_minmax(&x[i], &x[i + dist]);
#pragma GCC unroll 16
  for (int i = 0; i < 2 * h; i++) x[i] = sort1d_net_clean16(x[i], q);
}

/* The same merge when the second run has only b < h registers of data, the rest all padding (the
 * largest key): the first stage compares element k with element 2N - 1 - k (the "flip": the
 * second run read backwards, b registers, and the maxima written back reversed), which leaves the
 * padding where it was, at the end; then each half is bitonic and cleaned, and in the second half
 * the pairs that reach into the padding are left out (a padding register keeps the larger of
 * every pair, so nothing moves there).  The same result as sort1d_net_merge on the padded runs. */
SORT1D_AVX512 static inline __attribute__((always_inline)) void sort1d_net_merge_part(__m512i *x, int h, int b, const struct sort1d_net_perms *q)
{
#pragma GCC unroll 8
  for (int i = 0; i < h; i++)
    if (i >= h - b) {
      const __m512i r = _mm512_permutexvar_epi32(q->rev, x[2 * h - 1 - i]);
      const __m512i lo = _mm512_min_epu32(x[i], r), hi = _mm512_max_epu32(x[i], r);
      x[i] = lo;
      x[2 * h - 1 - i] = _mm512_permutexvar_epi32(q->rev, hi);
    }
#pragma GCC unroll 4
  for (int dist = h / 2; dist >= 1; dist /= 2)
#pragma GCC unroll 8
    for (int i = 0; i < h; i++) {
      if ((i & dist) != 0) continue;
      sort1d_net_minmax(&x[i], &x[i + dist]);
      if (i + dist < b) sort1d_net_minmax(&x[h + i], &x[h + i + dist]);
    }
#pragma GCC unroll 8
  for (int i = 0; i < h; i++) {
    x[i] = sort1d_net_clean16(x[i], q);
    if (i < b) x[h + i] = sort1d_net_clean16(x[h + i], q);
  }
}

/* keys[0 .. 16 nr) sorted ascending (nr <= 16 registers of data; the last may end in padding).
 * The registers past nr would hold only padding: they are neither sorted nor merged (n = 200: 13
 * registers, about a fifth of the network's operations left out), and not stored. */
SORT1D_AVX512 static void sort1d_net(uint32_t *keys, int nr)
{
  const struct sort1d_net_perms q = {
    _mm512_setr_epi32(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14),
    _mm512_setr_epi32(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13),
    _mm512_setr_epi32(4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11),
    _mm512_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7),
    _mm512_setr_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0) };
  __m512i x[16];
#pragma GCC unroll 16
  for (int r = 0; r < 16; r++) x[r] = r < nr ? sort1d_net_sort16(_mm512_loadu_si512((const void *)(keys + 16 * r)), &q) : _mm512_set1_epi32(-1);
#define SORT1D_NET_RUNS(h)                                                   \
  _Pragma("GCC unroll 8") for (int b0 = 0; b0 < 16; b0 += 2 * (h))           \
  {                                                                          \
    const int b = nr - b0 - (h); /* data registers of the second run */     \
    if (b >= (h)) sort1d_net_merge(x + b0, (h), &q);                          \
    else if (b > 0) sort1d_net_merge_part(x + b0, (h), b, &q);                \
  }
  SORT1D_NET_RUNS(1)
  SORT1D_NET_RUNS(2)
  SORT1D_NET_RUNS(4)
  SORT1D_NET_RUNS(8)
#undef SORT1D_NET_RUNS
#pragma GCC unroll 16
  for (int r = 0; r < 16; r++)
    if (r < nr) _mm512_storeu_si512((void *)(keys + 16 * r), x[r]);
}

/* The order from the network: inv[r] = the index in sorted place r, and the groups of equal keys
 * (adjacent, in index order) for sort1d_fix_groups; returns whether there are any. */
SORT1D_AVX512 static int sort1d_net_order(const uint32_t *key24, size_t n, int *inv, struct sort1d_groups *gr)
{
  uint32_t packed[SORT1D_NET_MAX];
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 in = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
    const __m512i k = _mm512_maskz_loadu_epi32(in, key24 + i);
    const __m512i p = _mm512_or_si512(_mm512_slli_epi32(k, 8), _mm512_add_epi32(lane, _mm512_set1_epi32((int)i)));
    _mm512_storeu_si512((void *)(packed + i), _mm512_mask_mov_epi32(_mm512_set1_epi32(-1), in, p));
  }
  sort1d_net(packed, (int)((n + 15) / 16));
  __mmask16 any = 0;
  __m512i before = _mm512_setzero_si512();
  for (size_t r = 0; r < n; r += 16) {
    const __mmask16 in = (__mmask16)(n - r >= 16 ? 0xFFFF : (1u << (n - r)) - 1);
    const __m512i p = _mm512_loadu_si512((const void *)(packed + r));
    _mm512_mask_storeu_epi32(inv + r, in, _mm512_and_si512(p, _mm512_set1_epi32(0xFF)));
    const __m512i prev = _mm512_alignr_epi32(p, before, 15); /* lane l: the entry before r + l */
    any |= _mm512_mask_cmpeq_epi32_mask(r == 0 ? (__mmask16)(in & 0xFFFE) : in, _mm512_srli_epi32(p, 8), _mm512_srli_epi32(prev, 8));
    before = p;
  }
  if (!any) return 0;
  gr->count = 0;
  for (size_t r = 1; r < n;) { /* runs of equal keys */
    if ((packed[r] >> 8) != (packed[r - 1] >> 8)) { r++; continue; }
    const size_t first = r - 1;
    while (r < n && (packed[r] >> 8) == (packed[first] >> 8)) r++;
    gr->first[gr->count] = (uint16_t)first;
    gr->size[gr->count++] = (uint16_t)(r - first);
  }
  return 1;
}

/* v: n doubles, or n floats when fl (the same order and output as their widened values) */
SORT1D_AVX512 static inline __attribute__((always_inline)) int sort1d_rank_avx512(const void *v, int fl, size_t n, double *sorted, int *perm)
{
  uint16_t key16[SORT1D_RANK_MAX], less[SORT1D_RANK_MAX];
  uint32_t key32[SORT1D_RANK_MAX];
  const int net = n > SORT1D_NET_MIN && n <= SORT1D_NET_MAX;
  if (sort1d_keys(v, fl, n, key16, key32, net) != 0) {
    for (size_t i = 0; i < n; i++) { perm[i] = (int)i; sorted[i] = fl ? (double)((const float *)v)[i] : ((const double *)v)[i]; }
    return -1;
  }
  int inv[SORT1D_RANK_MAX];
  struct sort1d_groups groups;
  int shared;
  if (net) shared = sort1d_net_order(key32, n, inv, &groups);
  else {
    sort1d_rank_keys(key16, key32, n, less);
    /* scatter into a local inverse (in L1), then write the outputs in order: streams, not scatters */
    size_t sum = 0;
    for (size_t i = 0; i < n; i++) { inv[less[i]] = (int)i; sum += less[i]; }
    shared = sum != n * (n - 1) / 2;
    if (shared) sort1d_place_ties(less, n, inv, &groups);
  }
  for (size_t r = 0; r < n; r += 8) {
    const __mmask8 in = (__mmask8)(n - r >= 8 ? 0xFF : (1u << (n - r)) - 1);
    const __m256i ix = _mm256_maskz_loadu_epi32(in, inv + r);
    const __m512d x = fl ? _mm512_cvtps_pd(_mm256_mmask_i32gather_ps(_mm256_setzero_ps(), in, ix, v, 4))
                         : _mm512_mask_i32gather_pd(_mm512_setzero_pd(), in, ix, v, 8);
    _mm256_mask_storeu_epi32(perm + r, in, ix);
    _mm512_mask_storeu_pd(sorted + r, in, _mm512_add_pd(x, _mm512_setzero_pd())); /* -0.0 -> +0.0 */
  }
  /* distinct keys of a monotone map are already in value order: only shared keys need the pass */
  if (shared) sort1d_fix_groups(sorted, perm, &groups);
  return 0;
}

#define SORT1D_RESORT_ROUNDS 4 /* rounds of sort1d_resort's insertion pass before one that re-marks as it goes */

/* The value at r moved down to its place in (sorted, perm) below it; the places it moved. */
static inline size_t sort1d_insert_at(double *sorted, int *perm, size_t r)
{
  const double x = sorted[r];
  const int i = perm[r];
  size_t q = r;
  while (q > 0 && (sorted[q - 1] > x || (sorted[q - 1] == x && perm[q - 1] > i))) {
    sorted[q] = sorted[q - 1];
    perm[q] = perm[q - 1];
    q--;
  }
  sorted[q] = x;
  perm[q] = i;
  return r - q;
}

/* One insertion pass over the marked positions of (sorted, perm) that marks the position after
 * each move as it goes (its predecessor changed): sorted whatever the start; 1 past max_moves
 * (moves already made counted).  Out of line: sort1d_resort needs it only for far starts. */
static __attribute__((noinline, cold)) int sort1d_insert_remarking(double *sorted, int *perm, size_t n, uint64_t *mark, size_t moves,
                                                                   size_t max_moves)
{
  for (size_t w = 0; w <= (n - 1) / 64; w++)
    for (uint64_t m = mark[w]; m;) {
      const size_t r = 64 * w + (size_t)__builtin_ctzll(m);
      m &= m - 1;
      const size_t k = sort1d_insert_at(sorted, perm, r);
      moves += k;
      if (moves > max_moves) return 1;
      if (k > 0 && r + 1 < n) {
        if ((r + 1) / 64 == w) m |= 1ull << ((r + 1) % 64);
        else mark[w + 1] |= 1;
      }
    }
  return 0;
}

/* mark: the positions r (bits) where (sorted, perm)[r - 1] comes after [r] (value, then index);
 * nonzero if any. */
SORT1D_AVX512 static inline __attribute__((always_inline)) int sort1d_descents(const double *sorted, const int *perm, size_t n, uint64_t *mark)
{
  __m512d pv = _mm512_set1_pd(-HUGE_VAL);
  __m256i pp = _mm256_set1_epi32(-1);
  uint64_t any = 0, word = 0;
  for (size_t b = 0; b < n; b += 8) {
    const __mmask8 in = (__mmask8)(n - b >= 8 ? 0xFF : (1u << (n - b)) - 1);
    const __m512d cur = _mm512_maskz_loadu_pd(in, sorted + b);
    const __m256i cp = _mm256_maskz_loadu_epi32(in, perm + b);
    const __m512d sv = _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(cur), _mm512_castpd_si512(pv), 7));
    const __m256i sp = _mm256_alignr_epi32(cp, pp, 7);
    const __mmask8 d = (__mmask8)(in & (_mm512_cmp_pd_mask(sv, cur, _CMP_GT_OQ)
                                        | (_mm512_cmp_pd_mask(sv, cur, _CMP_EQ_OQ) & _mm256_cmpgt_epi32_mask(sp, cp))));
    word |= (uint64_t)d << (b % 64);
    if ((b + 8) % 64 == 0 || b + 8 >= n) {
      mark[b / 64] = word;
      any |= word;
      word = 0;
    }
    pv = cur;
    pp = cp;
  }
  return any != 0;
}

/* sort1d_resort on AVX-512: the start order copied into perm (reversed by lane permutes) and the
 * values gathered in it, 8 at a time; each block compared with itself shifted by one lane (valignq,
 * from registers: reloading what was just stored would stall the store forwarding) marks the
 * positions that may be out of order (>=: ties are checked by index).  Then insertion passes
 * visit only the marked positions, in rounds: a move may put the position after it out of order,
 * which the next round visits after sort1d_descents has marked it (re-marking it within the
 * round made each visit wait on the one before: 6-9 % slower per re-sort, micro-benchmark).
 * After SORT1D_RESORT_ROUNDS rounds (a far start) one pass that re-marks as it goes finishes. */
SORT1D_AVX512 static int sort1d_resort_avx512(const double *v, size_t n, const int *start, int reversed, double *sorted, int *perm,
                                              size_t max_moves)
{
  uint64_t mark[SORT1D_RANK_MAX / 64 + 1];
  const __m512d zero = _mm512_setzero_pd();
  const __m256i down = _mm256_setr_epi32(7, 6, 5, 4, 3, 2, 1, 0);
  __m512d prev = zero;
  __mmask8 nan = 0;
  for (size_t w = 0; w <= (n - 1) / 64; w++) mark[w] = 0;
  for (size_t r = 0; r < n; r += 8) {
    const size_t c = n - r >= 8 ? 8 : n - r;
    const __mmask8 in = (__mmask8)((1u << c) - 1);
    __m256i ix;
    if (!reversed) ix = _mm256_maskz_loadu_epi32(in, start + r);
    else if (c == 8) ix = _mm256_permutexvar_epi32(down, _mm256_loadu_si256((const __m256i *)(const void *)(start + n - r - 8)));
    else /* the last c: start[c - 1 .. 0] */
      ix = _mm256_permutexvar_epi32(_mm256_add_epi32(down, _mm256_set1_epi32((int)c - 8)), _mm256_maskz_loadu_epi32(in, start));
    _mm256_mask_storeu_epi32(perm + r, in, ix);
    const __m512d cur = _mm512_add_pd(_mm512_mask_i32gather_pd(zero, in, ix, v, 8), zero); /* -0.0 -> +0.0 */
    _mm512_mask_storeu_pd(sorted + r, in, cur);
    nan |= _mm512_mask_cmp_pd_mask(in, cur, cur, _CMP_UNORD_Q);
    const __m512d shifted = _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(cur), _mm512_castpd_si512(prev), 7));
    const __mmask8 check = r == 0 ? (__mmask8)(in & 0xFE) : in;
    mark[r / 64] |= (uint64_t)_mm512_mask_cmp_pd_mask(check, shifted, cur, _CMP_GE_OQ) << (r % 64);
    prev = cur;
  }
  if (nan) return -1;
  size_t moves = 0;
  for (int round = 0; round < SORT1D_RESORT_ROUNDS; round++) {
    const size_t before = moves;
    for (size_t w = 0; w <= (n - 1) / 64; w++)
      for (uint64_t m = mark[w]; m; m &= m - 1) moves += sort1d_insert_at(sorted, perm, 64 * w + (size_t)__builtin_ctzll(m));
    if (moves > max_moves) return 1; /* once per round: checked per move, the pass took 15 % longer */
    if (moves == before || !sort1d_descents(sorted, perm, n, mark)) return 0; /* nothing moved, or nothing out of order */
  }
  return sort1d_insert_remarking(sorted, perm, n, mark, moves, max_moves); /* still out of order: a far start */
}

/* Values only (no order), floats: their bits made monotone as unsigned keys (negative: all bits
 * flipped; otherwise the sign bit set; -0.0 then sits just below +0.0 and both come out as +0.0),
 * through the network, and back; widened.  No range pass, no index, no gather.  Returns -1 on NaN
 * (then the widened values in input order). */
SORT1D_AVX512 static int sort1d_values_net_float(const float *v, size_t n, double *sorted)
{
  uint32_t keys[SORT1D_NET_MAX];
  const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
  __mmask16 nan = 0;
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 in = (__mmask16)(n - i >= 16 ? 0xFFFF : (1u << (n - i)) - 1);
    const __m512 x = _mm512_maskz_loadu_ps(in, v + i);
    nan |= _mm512_mask_cmp_ps_mask(in, x, x, _CMP_UNORD_Q);
    const __m512i b = _mm512_castps_si512(x), neg = _mm512_srai_epi32(b, 31); /* all ones where negative */
    const __m512i k = _mm512_xor_si512(b, _mm512_or_si512(neg, sign));
    _mm512_storeu_si512((void *)(keys + i), _mm512_mask_mov_epi32(_mm512_set1_epi32(-1), in, k));
  }
  if (nan) {
    for (size_t i = 0; i < n; i++) sorted[i] = (double)v[i];
    return -1;
  }
  sort1d_net(keys, (int)((n + 15) / 16));
  for (size_t r = 0; r < n; r += 8) {
    const __mmask8 in = (__mmask8)(n - r >= 8 ? 0xFF : (1u << (n - r)) - 1);
    const __m256i k = _mm256_maskz_loadu_epi32(in, keys + r);
    /* top bit set: was non-negative (clear it); else negative (flip all) */
    const __m256i neg = _mm256_srai_epi32(_mm256_xor_si256(k, _mm256_set1_epi32((int)0x80000000u)), 31);
    const __m256i b = _mm256_xor_si256(k, _mm256_or_si256(neg, _mm256_set1_epi32((int)0x80000000u)));
    const __m512d x = _mm512_cvtps_pd(_mm256_castsi256_ps(b));
    _mm512_mask_storeu_pd(sorted + r, in, _mm512_add_pd(x, _mm512_setzero_pd())); /* -0.0 -> +0.0 */
  }
  return 0;
}

SORT1D_AVX512 static int sort1d_rank_avx512_double(const double *v, size_t n, double *sorted, int *perm)
{
  return sort1d_rank_avx512(v, 0, n, sorted, perm);
}

SORT1D_AVX512 static int sort1d_rank_avx512_float(const float *v, size_t n, double *sorted, int *perm)
{
  return sort1d_rank_avx512(v, 1, n, sorted, perm);
}
#endif

static int sort1d_have_avx512(void)
{
#ifdef SORT1D_HAVE_AVX512
  return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#else
  return 0;
#endif
}

size_t sort1d_rank_max(void) { return sort1d_have_avx512() ? SORT1D_RANK_MAX : SORT1D_PORTABLE_MAX; }

int sort1d_rank(const double *v, size_t n, double *sorted, int *perm)
{
  if (n == 0) return 0;
#ifdef SORT1D_HAVE_AVX512
  if (sort1d_have_avx512()) return sort1d_rank_avx512_double(v, n, sorted, perm);
#endif
  return sort1d_rank_portable(v, n, sorted, perm);
}

static uint64_t sort1d_key(double x)
{
  x += 0.0; /* -0.0 -> +0.0 */
  uint64_t u;
  memcpy(&u, &x, sizeof u);
  return (u >> 63) ? ~u : (u | 0x8000000000000000ull);
}

int sort1d_radix(const double *v, size_t n, double *sorted, int *perm, struct sort1d_work *w)
{
  enum { BITS = 11, BUCKETS = 1 << BITS };
  uint64_t *k = w->key, *k2 = w->key2;
  int *ix = w->idx, *ix2 = w->idx2;
  int nan = 0;
  for (size_t i = 0; i < n; i++) {
    k[i] = sort1d_key(v[i]);
    ix[i] = (int)i;
    nan |= (v[i] != v[i]);
  }
  size_t count[BUCKETS];
  for (int shift = 0; shift < 64; shift += BITS) {
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++) count[(k[i] >> shift) & (BUCKETS - 1)]++;
    if (count[(k[0] >> shift) & (BUCKETS - 1)] == n) continue; /* all equal digits: nothing moves */
    size_t sum = 0;
    for (int b = 0; b < BUCKETS; b++) { size_t c = count[b]; count[b] = sum; sum += c; }
    for (size_t i = 0; i < n; i++) {
      size_t pos = count[(k[i] >> shift) & (BUCKETS - 1)]++;
      k2[pos] = k[i];
      ix2[pos] = ix[i];
    }
    uint64_t *tk = k; k = k2; k2 = tk;
    int *ti = ix; ix = ix2; ix2 = ti;
  }
  for (size_t r = 0; r < n; r++) { perm[r] = ix[r]; sorted[r] = v[ix[r]] + 0.0; }
  return nan ? -1 : 0;
}

int sort1d(const double *v, size_t n, double *sorted, int *perm, struct sort1d_work *w)
{
  if (n <= sort1d_rank_max()) return sort1d_rank(v, n, sorted, perm);
  return sort1d_radix(v, n, sorted, perm, w);
}

int sort1d_float(const float *v, size_t n, double *sorted, int *perm, struct sort1d_work *w)
{
#ifdef SORT1D_HAVE_AVX512
  if (n > 0 && n <= SORT1D_RANK_MAX && sort1d_have_avx512()) return sort1d_rank_avx512_float(v, n, sorted, perm);
#endif
  for (size_t i = 0; i < n; i++) w->wide[i] = (double)v[i];
  return sort1d(w->wide, n, sorted, perm, w);
}

int sort1d_values_float(const float *v, size_t n, double *sorted, int *scratch, struct sort1d_work *w)
{
#ifdef SORT1D_HAVE_AVX512
  if (n > SORT1D_NET_MIN && n <= SORT1D_NET_MAX && sort1d_have_avx512()) return sort1d_values_net_float(v, n, sorted);
#endif
  return sort1d_float(v, n, sorted, scratch, w);
}

int sort1d_resort(const double *v, size_t n, const int *start, int reversed, double *sorted, int *perm, size_t max_moves)
{
  if (n == 0) return 0;
#ifdef SORT1D_HAVE_AVX512
  if (n <= SORT1D_RANK_MAX && sort1d_have_avx512()) return sort1d_resort_avx512(v, n, start, reversed, sorted, perm, max_moves);
#endif
  (void)v; (void)start; (void)reversed; (void)sorted; (void)perm; (void)max_moves;
  return 1;
}
