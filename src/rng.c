/* rng.c -- Philox-based random numbers (see rng.h). */
#include <config.h>
#include "rng.h"

#include <Random123/philox.h>
#include <math.h>
#include <stdlib.h>

void rng_philox(uint64_t seed, uint64_t stream, const uint64_t ctr[4], uint64_t out[4])
{
  philox4x64_ctr_t c = { { ctr[0], ctr[1], ctr[2], ctr[3] } };
  philox4x64_key_t k = { { seed, stream } };
  philox4x64_ctr_t r = philox4x64_R(10, c, k);
  for (int i = 0; i < 4; i++) out[i] = r.v[i];
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

void rng_directions(uint64_t seed, uint64_t step, size_t l0, size_t nl, size_t d, double *theta)
{
  for (size_t l = 0; l < nl; l++) {
    double *t = theta + l * d;
    rng_normals(seed, RNG_DIRECTIONS, step, l0 + l, 0, d, t);
    double norm2 = 0.0;
    for (size_t k = 0; k < d; k++) norm2 += t[k] * t[k];
    /* norm2 > 0: cos and sin of 2 pi u never vanish together and u01 is never 1. */
    double inv = 1.0 / sqrt(norm2);
    for (size_t k = 0; k < d; k++) t[k] *= inv;
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
