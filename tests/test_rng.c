/* test_rng.c -- Philox4x64-10 known-answer vectors (Random123's published kat_vectors), and the
 * properties the flow relies on: unit directions, purity in (seed, step, l), subsets. */
#include <config.h>
#include "rng.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void test_philox_kat(void **state)
{
  (void)state;
  /* philox4x64 10: counter (4 words), key (2 words), expected output (4 words). */
  static const uint64_t kat[3][10] = {
    { 0, 0, 0, 0, 0, 0, 0x16554d9eca36314cull, 0xdb20fe9d672d0fdcull, 0xd7e772cee186176bull, 0x7e68b68aec7ba23bull },
    { ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull, 0x87b092c3013fe90bull, 0x438c3c67be8d0224ull, 0x9cc7d7c69cd777b6ull, 0xa09caebf594f0ba0ull },
    { 0x243f6a8885a308d3ull, 0x13198a2e03707344ull, 0xa4093822299f31d0ull, 0x082efa98ec4e6c89ull, 0x452821e638d01377ull,
      0xbe5466cf34e90c6cull, 0xa528f45403e61d95ull, 0x38c72dbd566e9788ull, 0xa5a1610e72fd18b5ull, 0x57bd43b5e52b7fe6ull },
  };
  for (int t = 0; t < 3; t++) {
    uint64_t out[4];
    rng_philox(kat[t][4], kat[t][5], kat[t], out);
    for (int i = 0; i < 4; i++) assert_true(out[i] == kat[t][6 + i]);
  }
}

static void test_u01(void **state)
{
  (void)state;
  assert_true(rng_u01(0) > 0.0);
  assert_true(rng_u01(~0ull) < 1.0);
}

static void test_directions(void **state)
{
  (void)state;
  enum { L = 40, D = 7 };
  double all[L * D], part[10 * D];
  rng_directions(3, 17, 0, L, D, all);
  for (int l = 0; l < L; l++) {
    double s = 0;
    for (int k = 0; k < D; k++) s += all[l * D + k] * all[l * D + k];
    assert_true(fabs(s - 1.0) < 1e-14);
  }
  /* A block computed alone (another rank) is bitwise the same as within the full set. */
  rng_directions(3, 17, 25, 10, D, part);
  assert_memory_equal(part, all + 25 * D, sizeof part);
  /* Another step or seed gives other directions. */
  rng_directions(3, 18, 0, 10, D, part);
  assert_true(memcmp(part, all, sizeof part) != 0);
  rng_directions(4, 17, 0, 10, D, part);
  assert_true(memcmp(part, all, sizeof part) != 0);
}

/* The directions' Box-Muller (fdlibm kernels, vectorised) against the same transform of the same
 * Philox words in long double: |z - z_ref| <= 1e-15 rad (about 4 ulps of the radius: a radius and
 * an angle each good to about 1 ulp), for d small (pairs of several directions share a block),
 * odd (a last unpaired normal) and large, enough draws to reach every quadrant; and the
 * directions are those normals normalised. */
static void test_direction_normals(void **state)
{
  (void)state;
  static const size_t dims[] = { 1, 2, 3, 129, 784 };
  const long double two_pi = 6.283185307179586476925286766559005768L;
  double worst = 0;
  for (size_t q = 0; q < sizeof dims / sizeof dims[0]; q++) {
    const size_t D = dims[q], L = 300;
    double *z = malloc(L * D * sizeof *z), *dir = malloc(L * D * sizeof *dir);
    rng_direction_normals(11, 5, 0, L, D, z);
    rng_directions(11, 5, 0, L, D, dir);
    for (size_t l = 0; l < L; l++) {
      double s = 0;
      for (size_t k = 0; k < D; k++) s += z[l * D + k] * z[l * D + k];
      for (size_t k = 0; k < D; k++) {
        const size_t p = k / 2;
        uint64_t ctr[4] = { 5, l, 0, p / 2 }, r[4];
        rng_philox(11, RNG_DIRECTIONS, ctr, r);
        const long double rad = sqrtl(-2.0L * logl((long double)rng_u01(r[2 * (p % 2)]))),
                          ang = two_pi * (long double)rng_u01(r[2 * (p % 2) + 1]);
        const long double ref = rad * (k % 2 ? sinl(ang) : cosl(ang));
        worst = fmax(worst, (double)(fabsl((long double)z[l * D + k] - ref) / rad));
        assert_true(fabs(dir[l * D + k] - z[l * D + k] / sqrt(s)) <= 1e-15);
      }
    }
    free(z);
    free(dir);
  }
  print_message("largest |z - z_ref| / radius: %.2e\n", worst);
  assert_true(worst < 1e-15);
}

/* Where d % 4 == 0 the normals come from the vector-lane Philox (on AVX-512 CPUs): bitwise the
 * portable code's, for runs of directions that start and end anywhere (l0, nl) and lanes past the
 * last block. */
static void test_direction_normals_vector(void **state)
{
  (void)state;
  static const size_t dims[] = { 4, 8, 12, 64, 784, 1000 };
  for (size_t q = 0; q < sizeof dims / sizeof dims[0]; q++)
    for (size_t l0 = 0; l0 < 40; l0 += 13)
      for (size_t nl = 1; nl < 70; nl += 9) {
        const size_t D = dims[q];
        double *a = malloc(nl * D * sizeof *a), *b = malloc(nl * D * sizeof *b);
        rng_direction_normals(5, 77, l0, nl, D, a);
        rng_direction_normals_portable(5, 77, l0, nl, D, b);
        assert_memory_equal(a, b, nl * D * sizeof *a);
        free(a);
        free(b);
      }
}

static void test_normal_moments(void **state)
{
  (void)state;
  enum { N = 200000 };
  double *z = malloc(N * sizeof *z);
  rng_normals(9, RNG_SOURCE_DATA, 1, 2, 3, N, z);
  double m = 0, v = 0;
  for (int i = 0; i < N; i++) m += z[i];
  m /= N;
  for (int i = 0; i < N; i++) v += (z[i] - m) * (z[i] - m);
  v /= N - 1;
  /* 6 standard errors: a correct generator fails this with probability ~1e-9. */
  assert_true(fabs(m) < 6.0 / sqrt(N));
  assert_true(fabs(v - 1.0) < 6.0 * sqrt(2.0 / N));
  free(z);
}

static void test_subset(void **state)
{
  (void)state;
  int work[50], out[20], again[20];
  rng_subset(5, RNG_MINIBATCH, 7, 3, 50, 20, work, out);
  for (int i = 0; i < 20; i++) {
    assert_true(out[i] >= 0 && out[i] < 50);
    if (i) assert_true(out[i] > out[i - 1]); /* sorted and distinct */
  }
  rng_subset(5, RNG_MINIBATCH, 7, 3, 50, 20, work, again);
  assert_memory_equal(out, again, sizeof out);
  rng_subset(5, RNG_MINIBATCH, 8, 3, 50, 20, work, again);
  assert_true(memcmp(out, again, sizeof out) != 0);
  rng_subset(5, RNG_MINIBATCH, 8, 3, 20, 20, work, again); /* k = n: everything */
  for (int i = 0; i < 20; i++) assert_int_equal(again[i], i);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_philox_kat), cmocka_unit_test(test_u01), cmocka_unit_test(test_directions), cmocka_unit_test(test_direction_normals),
    cmocka_unit_test(test_direction_normals_vector),
    cmocka_unit_test(test_normal_moments), cmocka_unit_test(test_subset),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
