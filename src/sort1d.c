/* sort1d.c -- per-(class, direction) sorts with permutation (see sort1d.h). */
#include <config.h>
/* The counting loops below are the hot spot of small-class runs: let GCC vectorise them even in
 * -O2 builds (the result does not depend on it). */
#if defined(__GNUC__) && !defined(__clang__) && !defined(WOW_DEBUG_CHECKS)
#pragma GCC optimize("O3")
#endif
#include "sort1d.h"
#include "mem.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sort1d_work_init(struct sort1d_work *w, size_t nmax)
{
  memset(w, 0, sizeof *w);
  w->cap = nmax;
  if (nmax <= SORT1D_RANK_MAX) return;
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
  memset(w, 0, sizeof *w);
}

/* less[i] = #{j : v_j < v_i}: fixed-length, branch-free counting loops that the compiler
 * vectorises; compiled for AVX-512, AVX2 and plain x86-64 (picked at load time). */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static void sort1d_count_less(const double *c, size_t n, long *less)
{
  for (size_t i = 0; i < n; i++) {
    const double ci = c[i];
    long r = 0;
    for (size_t j = 0; j < n; j++) r += (c[j] < ci);
    less[i] = r;
  }
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#include <immintrin.h>
#define SORT1D_HAVE_AVX512 1
/* The same count with AVX-512 intrinsics: 32 values per pass (four registers of 8), so every
 * broadcast c[j] feeds four compares and four independent accumulators.  c and less hold a
 * multiple of 8 entries (c padded with +inf; the padded counts are not used). */
__attribute__((target("avx512f")))
static void sort1d_count_less_avx512(const double *c, size_t n, long *less)
{
  const size_t n8 = (n + 7) & ~(size_t)7;
  const __m512i one = _mm512_set1_epi64(1), zero = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 32 <= n8; i += 32) {
    const __m512d c0 = _mm512_loadu_pd(c + i), c1 = _mm512_loadu_pd(c + i + 8), c2 = _mm512_loadu_pd(c + i + 16),
                  c3 = _mm512_loadu_pd(c + i + 24);
    __m512i a0 = zero, a1 = zero, a2 = zero, a3 = zero;
    for (size_t j = 0; j < n; j++) {
      const __m512d cj = _mm512_set1_pd(c[j]);
      a0 = _mm512_mask_add_epi64(a0, _mm512_cmp_pd_mask(cj, c0, _CMP_LT_OQ), a0, one);
      a1 = _mm512_mask_add_epi64(a1, _mm512_cmp_pd_mask(cj, c1, _CMP_LT_OQ), a1, one);
      a2 = _mm512_mask_add_epi64(a2, _mm512_cmp_pd_mask(cj, c2, _CMP_LT_OQ), a2, one);
      a3 = _mm512_mask_add_epi64(a3, _mm512_cmp_pd_mask(cj, c3, _CMP_LT_OQ), a3, one);
    }
    _mm512_storeu_si512((void *)(less + i), a0);
    _mm512_storeu_si512((void *)(less + i + 8), a1);
    _mm512_storeu_si512((void *)(less + i + 16), a2);
    _mm512_storeu_si512((void *)(less + i + 24), a3);
  }
  for (; i < n8; i += 8) {
    const __m512d c0 = _mm512_loadu_pd(c + i);
    __m512i a0 = zero;
    for (size_t j = 0; j < n; j++) a0 = _mm512_mask_add_epi64(a0, _mm512_cmp_pd_mask(_mm512_set1_pd(c[j]), c0, _CMP_LT_OQ), a0, one);
    _mm512_storeu_si512((void *)(less + i), a0);
  }
}
#endif

/* Equal values share less[i]; taking indices in increasing order and the next free slot from
 * less[i] on places ties in index order: the stable rank. */
int sort1d_rank(const double *v, size_t n, double *sorted, int *perm)
{
  double c[SORT1D_RANK_MAX];
  long less[SORT1D_RANK_MAX];
  unsigned char used[SORT1D_RANK_MAX];
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
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized" /* c[0..n) is set above; n <= SORT1D_RANK_MAX */
#endif
#ifdef SORT1D_HAVE_AVX512
  if (__builtin_cpu_supports("avx512f")) {
    for (size_t i = n; i < ((n + 7) & ~(size_t)7); i++) c[i] = INFINITY;
    sort1d_count_less_avx512(c, n, less);
  } else
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
  if (n <= SORT1D_RANK_MAX) return sort1d_rank(v, n, sorted, perm);
  return sort1d_radix(v, n, sorted, perm, w);
}
