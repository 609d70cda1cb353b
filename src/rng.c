/* rng.c -- Philox-based random numbers (see rng.h). */
#include <config.h>
#include "rng.h"
#include "clones.h"

#include <Random123/philox.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* out[i] = Philox block (c0, c1, c2, first + i) for i < count: the words of rng_philox, four blocks
 * at a time so that their rounds overlap (one block's rounds are a chain: 17 -> 10 ns per block). */
static void rng_philox_run(uint64_t seed, uint64_t stream, uint64_t c0, uint64_t c1, uint64_t c2, uint64_t first, int count, uint64_t (*out)[4])
{
  const philox4x64_key_t k = { { seed, stream } };
  int i = 0;
  for (; i + 4 <= count; i += 4) {
    philox4x64_ctr_t b[4];
    for (int q = 0; q < 4; q++) b[q] = (philox4x64_ctr_t){ { c0, c1, c2, first + (uint64_t)(i + q) } };
    for (int q = 0; q < 4; q++) b[q] = philox4x64_R(10, b[q], k);
    for (int q = 0; q < 4; q++) memcpy(out[i + q], b[q].v, sizeof out[i + q]);
  }
  for (; i < count; i++) {
    philox4x64_ctr_t b = { { c0, c1, c2, first + (uint64_t)i } };
    b = philox4x64_R(10, b, k);
    memcpy(out[i], b.v, sizeof out[i]);
  }
}

void rng_philox(uint64_t seed, uint64_t stream, const uint64_t ctr[4], uint64_t out[4])
{
  uint64_t r[1][4];
  rng_philox_run(seed, stream, ctr[0], ctr[1], ctr[2], ctr[3], 1, r);
  memcpy(out, r[0], sizeof r[0]);
}

double rng_u01(uint64_t x) { return ((double)(x >> 12) + 0.5) * 0x1.0p-52; }

void rng_uniforms(uint64_t seed, uint64_t stream, uint64_t c0, uint64_t c1, uint64_t c2, size_t n, double *out)
{
  for (size_t b = 0; 4 * b < n; b++) {
    uint64_t ctr[4] = { c0, c1, c2, b }, r[4];
    rng_philox(seed, stream, ctr, r);
    for (size_t i = 0; i < 4 && 4 * b + i < n; i++) out[4 * b + i] = rng_u01(r[i]);
  }
}

void rng_normals(uint64_t seed, uint64_t stream, uint64_t c0, uint64_t c1, uint64_t c2, size_t n, double *out)
{
  const double two_pi = 6.283185307179586476925286766559;
  for (size_t b = 0; 4 * b < n; b++) {
    uint64_t ctr[4] = { c0, c1, c2, b }, r[4];
    rng_philox(seed, stream, ctr, r);
    double z[4];
    for (int p = 0; p < 2; p++) {
      double rad = sqrt(-2.0 * log(rng_u01(r[2 * p]))), ang = two_pi * rng_u01(r[2 * p + 1]);
      z[2 * p] = rad * cos(ang);
      z[2 * p + 1] = rad * sin(ang);
    }
    for (size_t i = 0; i < 4 && 4 * b + i < n; i++) out[4 * b + i] = z[i];
  }
}

/* ------------------------------------------------------------------ normals for the directions
 * The same Box-Muller on the same Philox words as rng_normals, with log and sincos computed by
 * fdlibm's kernels (within 1 ulp of libm) in plain IEEE arithmetic on blocks, so that the compiler
 * vectorises them: the same bits on every CPU and vector width (WOW_CLONES contracts no
 * multiply-add; tests/test_clones.sh checks the AVX-512 clones). */
#define RNG_PAIRS 64


static double rng_bits_double(uint64_t b)
{
  double x;
  memcpy(&x, &b, sizeof x);
  return x;
}

static uint64_t rng_double_bits(double x)
{
  uint64_t b;
  memcpy(&b, &x, sizeof b);
  return b;
}

/* out = sqrt(-2 log u), u in (0, 1) (normal numbers): fdlibm's e_log.c on m 2^e, m in [sqrt(2)/2, sqrt(2)). */
WOW_CLONES static void rng_radius_block(const double *u, double *out)
{
  const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01,
               Lg4 = 2.222219843214978396e-01, Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
               Lg7 = 1.479819860511658591e-01, ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  for (int i = 0; i < RNG_PAIRS; i++) {
    const uint64_t b = rng_double_bits(u[i]);
    double m = rng_bits_double((b & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull);
    /* exponent as a double without an integer conversion: 2^52 + biased exponent, minus 2^52 + 1023 */
    double k = rng_bits_double(0x4330000000000000ull | (b >> 52)) - (0x1.0p52 + 1023.0);
    const int big = m > 1.4142135623730951;
    m = big ? 0.5 * m : m;
    k = big ? k + 1.0 : k;
    const double f = m - 1.0, hfsq = 0.5 * f * f, s = f / (2.0 + f), z = s * s, w = z * z;
    const double t1 = w * (Lg2 + w * (Lg4 + w * Lg6)), t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7))), R = t2 + t1;
    const double logu = k * ln2_hi - ((hfsq - (s * (hfsq + R) + k * ln2_lo)) - f);
    out[i] = sqrt(-2.0 * logu); /* vectorised with -fno-math-errno (configure) */
  }
}

/* c, s = cos and sin of 2 pi u, u in (0, 1): u = q / 4 + r exactly, |r| <= 1/8, then fdlibm's
 * __kernel_sin and __kernel_cos at x = 2 pi r and the quadrant q. */
WOW_CLONES static void rng_sincos_block(const double *u, double *c, double *s)
{
  const double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03, S3 = -1.98412698298579493134e-04,
               S4 = 2.75573137070700676789e-06, S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
  const double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03, C3 = 2.48015872894767294178e-05,
               C4 = -2.75573143513906633035e-07, C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
  const double two_pi = 6.283185307179586476925286766559, round = 0x1.8p52;
  for (int i = 0; i < RNG_PAIRS; i++) {
    const double t = u[i] * 4.0 + round; /* 4u rounded to an integer (exact: 4u < 4) */
    const uint64_t q = rng_double_bits(t) & 3;
    const double x = (u[i] - (t - round) * 0.25) * two_pi, z = x * x;
    const double rs = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6))), sn = x + z * x * (S1 + z * rs);
    const double rc = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6))))), hz = 0.5 * z, w = 1.0 - hz;
    const double cs = w + (((1.0 - w) - hz) + z * rc);
    const double c0 = (q & 1) ? sn : cs, s0 = (q & 1) ? cs : sn;
    c[i] = (q == 1 || q == 2) ? -c0 : c0;
    s[i] = (q & 2) ? -s0 : s0;
  }
}

/* Directions: pair p of direction l is Box-Muller on words 2 (p % 2), 2 (p % 2) + 1 of Philox block
 * (step, l0 + l, 0, p / 2), as rng_normals draws them.  The pairs of all directions are taken in
 * one sequence, RNG_PAIRS at a time (small d does not waste a block per direction). */
void rng_direction_normals_portable(uint64_t seed, uint64_t step, size_t l0, size_t nl, size_t d, double *theta)
{
  double u1[RNG_PAIRS], u2[RNG_PAIRS], rad[RNG_PAIRS], cs[RNG_PAIRS], sn[RNG_PAIRS];
  const size_t npairs = (d + 1) / 2;
  size_t l = 0, p = 0; /* the next pair to draw */
  uint64_t words[RNG_PAIRS / 2 + 1][4];
  while (l < nl) {
    const size_t lb = l, pb = p; /* the block's first pair */
    int np = 0;
    while (np < RNG_PAIRS && l < nl) { /* the pairs [p, pe) of direction l: Philox blocks p / 2 .. (pe - 1) / 2 */
      const size_t pe = npairs - p < (size_t)(RNG_PAIRS - np) ? npairs : p + (size_t)(RNG_PAIRS - np);
      rng_philox_run(seed, RNG_DIRECTIONS, step, l0 + l, 0, p / 2, (int)((pe - 1) / 2 - p / 2 + 1), words);
      for (size_t q = p; q < pe; q++, np++) {
        const uint64_t *r = words[q / 2 - p / 2] + 2 * (q % 2);
        u1[np] = rng_u01(r[0]);
        u2[np] = rng_u01(r[1]);
      }
      p = pe;
      if (p == npairs) { l++; p = 0; }
    }
    for (int q = np; q < RNG_PAIRS; q++) u1[q] = u2[q] = 0.5; /* lanes not drawn: any valid input */
    rng_radius_block(u1, rad);
    rng_sincos_block(u2, cs, sn);
    size_t ll = lb, pp = pb;
    for (int q = 0; q < np; q++) {
      double *t = theta + ll * d;
      t[2 * pp] = rad[q] * cs[q];
      if (2 * pp + 1 < d) t[2 * pp + 1] = rad[q] * sn[q];
      if (++pp == npairs) { ll++; pp = 0; }
    }
  }
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#include <immintrin.h>
#define RNG_HAVE_AVX512 1
#define RNG_AVX512 __attribute__((target("avx512f,avx512dq"), optimize("fp-contract=off")))

/* x * m for 8 lanes as 64-bit halves lo, hi; m's 32-bit halves in every lane (mlo, mhi): four
 * 32 x 32 -> 64 products, as AVX-512 has no 64 x 64 -> 128 multiply. */
RNG_AVX512 static inline __attribute__((always_inline)) void rng_mulhilo8(__m512i x, __m512i mlo, __m512i mhi, __m512i *lo, __m512i *hi)
{
  const __m512i low32 = _mm512_set1_epi64(0xFFFFFFFF), xh = _mm512_srli_epi64(x, 32);
  const __m512i ll = _mm512_mul_epu32(x, mlo), lh = _mm512_mul_epu32(x, mhi), hl = _mm512_mul_epu32(xh, mlo), hh = _mm512_mul_epu32(xh, mhi);
  const __m512i mid = _mm512_add_epi64(_mm512_srli_epi64(ll, 32), _mm512_add_epi64(_mm512_and_si512(lh, low32), _mm512_and_si512(hl, low32)));
  *hi = _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(mid, 32)), _mm512_add_epi64(_mm512_srli_epi64(lh, 32), _mm512_srli_epi64(hl, 32)));
  *lo = _mm512_or_si512(_mm512_slli_epi64(mid, 32), _mm512_and_si512(ll, low32));
}

/* Philox4x64-10 (Random123's rounds and key schedule) on 32 blocks, counters (c0, c1[i], 0, c3[i]):
 * word k of block i in w[k][i].  Two groups of 8 lanes at a time keep the multiplier busy (one
 * waits on its own latency; four ran out of registers and were slower). */
RNG_AVX512 static inline __attribute__((always_inline)) void rng_philox32_lanes(uint64_t seed, uint64_t stream, uint64_t c0, const uint64_t *c1, const uint64_t *c3, uint64_t (*w)[32])
{
  enum { G = 2 };
  const __m512i m0lo = _mm512_set1_epi64((long long)(PHILOX_M4x64_0 & 0xFFFFFFFF)), m0hi = _mm512_set1_epi64((long long)(PHILOX_M4x64_0 >> 32));
  const __m512i m1lo = _mm512_set1_epi64((long long)(PHILOX_M4x64_1 & 0xFFFFFFFF)), m1hi = _mm512_set1_epi64((long long)(PHILOX_M4x64_1 >> 32));
  for (int i0 = 0; i0 < 32; i0 += 8 * G) {
    __m512i x[G][4];
    for (int g = 0; g < G; g++) {
      x[g][0] = _mm512_set1_epi64((long long)c0);
      x[g][1] = _mm512_loadu_si512((const void *)(c1 + i0 + 8 * g));
      x[g][2] = _mm512_setzero_si512();
      x[g][3] = _mm512_loadu_si512((const void *)(c3 + i0 + 8 * g));
    }
    uint64_t k0 = seed, k1 = stream;
    for (int r = 0; r < 10; r++) {
      if (r > 0) { k0 += PHILOX_W64_0; k1 += PHILOX_W64_1; }
      const __m512i K0 = _mm512_set1_epi64((long long)k0), K1 = _mm512_set1_epi64((long long)k1);
      for (int g = 0; g < G; g++) {
        __m512i lo0, hi0, lo1, hi1;
        rng_mulhilo8(x[g][0], m0lo, m0hi, &lo0, &hi0);
        rng_mulhilo8(x[g][2], m1lo, m1hi, &lo1, &hi1);
        x[g][0] = _mm512_ternarylogic_epi64(hi1, x[g][1], K0, 0x96); /* three-way xor */
        x[g][1] = lo1;
        x[g][2] = _mm512_ternarylogic_epi64(hi0, x[g][3], K1, 0x96);
        x[g][3] = lo0;
      }
    }
    for (int g = 0; g < G; g++)
      for (int k = 0; k < 4; k++) _mm512_storeu_si512((void *)(w[k] + i0 + 8 * g), x[g][k]);
  }
}

/* rng_direction_normals for d % 4 == 0: every Philox block holds two whole pairs, so the pairs of
 * all directions are blocks (l, b) in order, 32 at a time, and pair 2 B + h of the run (h = 0:
 * words 0, 1; h = 1: words 2, 3) lands at theta[4 B + 2 h], [4 B + 2 h + 1]. */
RNG_AVX512 static void rng_direction_normals_avx512(uint64_t seed, uint64_t step, size_t l0, size_t nl, size_t d, double *theta)
{
  double u1[RNG_PAIRS], u2[RNG_PAIRS], rad[RNG_PAIRS], cs[RNG_PAIRS], sn[RNG_PAIRS];
  uint64_t c1[RNG_PAIRS / 2], c3[RNG_PAIRS / 2], w[4][RNG_PAIRS / 2];
  const size_t per = d / 4, nblocks = nl * per;
  size_t l = 0, b = 0; /* the next block */
  for (size_t B0 = 0; B0 < nblocks; B0 += RNG_PAIRS / 2) {
    const size_t nb = nblocks - B0 < RNG_PAIRS / 2 ? nblocks - B0 : RNG_PAIRS / 2;
    for (size_t i = 0; i < RNG_PAIRS / 2; i++) { /* lanes past nb repeat the last block */
      c1[i] = l0 + l;
      c3[i] = b;
      if (i + 1 < nb && ++b == per) { b = 0; l++; }
    }
    if (++b == per) { b = 0; l++; }
    rng_philox32_lanes(seed, RNG_DIRECTIONS, step, c1, c3, w);
    for (int i = 0; i < RNG_PAIRS / 2; i++) {
      u1[2 * i] = rng_u01(w[0][i]);
      u2[2 * i] = rng_u01(w[1][i]);
      u1[2 * i + 1] = rng_u01(w[2][i]);
      u2[2 * i + 1] = rng_u01(w[3][i]);
    }
    rng_radius_block(u1, rad);
    rng_sincos_block(u2, cs, sn);
    double *t = theta + 4 * B0;
    for (size_t q = 0; q < 2 * nb; q++) {
      t[2 * q] = rad[q] * cs[q];
      t[2 * q + 1] = rad[q] * sn[q];
    }
  }
}
#endif

void rng_direction_normals(uint64_t seed, uint64_t step, size_t l0, size_t nl, size_t d, double *theta)
{
#ifdef RNG_HAVE_AVX512
  if (d % 4 == 0 && __builtin_cpu_supports("avx512dq")) {
    rng_direction_normals_avx512(seed, step, l0, nl, d, theta);
    return;
  }
#endif
  rng_direction_normals_portable(seed, step, l0, nl, d, theta);
}

void rng_directions(uint64_t seed, uint64_t step, size_t l0, size_t nl, size_t d, double *theta)
{
  rng_direction_normals(seed, step, l0, nl, d, theta);
  enum { W = 8 }; /* directions whose squared norms are summed side by side, each in its own order */
  for (size_t l = 0; l < nl; l += W) {
    const size_t nw = nl - l < W ? nl - l : W;
    double norm2[W] = { 0 };
    if (nw == W) /* a constant count: W chains the compiler keeps in registers (0.15 ms faster at d = 784, L = 500) */
      for (size_t k = 0; k < d; k++)
        for (size_t j = 0; j < W; j++) {
          const double z = theta[(l + j) * d + k];
          norm2[j] += z * z;
        }
    else
      for (size_t j = 0; j < nw; j++)
        for (size_t k = 0; k < d; k++) norm2[j] += theta[(l + j) * d + k] * theta[(l + j) * d + k];
    for (size_t j = 0; j < nw; j++) {
      double *t = theta + (l + j) * d;
      /* norm2 > 0: cos and sin of 2 pi u never vanish together and u01 is never 1. */
      const double inv = 1.0 / sqrt(norm2[j]);
      for (size_t k = 0; k < d; k++) t[k] *= inv;
    }
  }
}

static int rng_cmp_int(const void *a, const void *b)
{
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

void rng_subset(uint64_t seed, uint64_t stream, uint64_t c0, uint64_t c1, size_t n, size_t k, int *work, int *out)
{
  for (size_t i = 0; i < n; i++) work[i] = (int)i;
  for (size_t i = 0; i < k; i++) {
    uint64_t ctr[4] = { c0, c1, i, 0 }, r[4];
    rng_philox(seed, stream, ctr, r);
    /* Lemire's multiply-shift: uniform in [0, n - i) up to a 2^-64 bias. */
    size_t j = i + (size_t)(((unsigned __int128)r[0] * (uint64_t)(n - i)) >> 64);
    int tmp = work[i];
    work[i] = work[j];
    work[j] = tmp;
  }
  for (size_t i = 0; i < k; i++) out[i] = work[i];
  qsort(out, k, sizeof *out, rng_cmp_int);
}
