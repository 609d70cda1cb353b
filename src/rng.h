/* rng.h -- counter-based random numbers (Philox4x64-10 from Random123).
 *
 * Every number is a pure function of (seed, stream, counter): no state, no rank dependence, the
 * same after a restart.  Streams separate the uses; counters are (c0, c1, c2, block).
 * Local functions, no MPI, thread-safe. */
#ifndef WOW_RNG_H
#define WOW_RNG_H

#include <stddef.h>
#include <stdint.h>

enum rng_stream {
  RNG_DIRECTIONS = 1,  /* (step, direction l, block) */
  RNG_LEVELS = 2,      /* quantile estimator levels: (step, direction l, block) */
  RNG_MINIBATCH = 3,   /* (step, target class, draw) */
  RNG_SOURCE_DATA = 4, /* (class, point, block) */
  RNG_TARGET_DATA = 5,
  RNG_SOURCE_SUBSET = 6, /* (class, draw, 0) */
  RNG_TARGET_SUBSET = 7,
  RNG_CLASS_MEANS = 8,   /* gaussians generator: (role, class, block) */
  RNG_NOISE = 9          /* baseline noise injection: (step, point, block) */
};

/* The raw generator: out = philox4x64_10(ctr = {c0, c1, c2, c3}, key = {seed, stream}). */
void rng_philox(uint64_t seed, uint64_t stream, const uint64_t ctr[4], uint64_t out[4]);
/* A 64-bit word to a uniform double in (0, 1): 52 random bits plus one half, never 0 or 1. */
double rng_u01(uint64_t x);
/* n standard normals (Box-Muller, 4 per Philox call) for counter (c0, c1, c2, block). */
void rng_normals(uint64_t seed, uint64_t stream, uint64_t c0, uint64_t c1, uint64_t c2, size_t n, double *out);
/* n uniforms in (0, 1) for counter (c0, c1, c2, block). */
void rng_uniforms(uint64_t seed, uint64_t stream, uint64_t c0, uint64_t c1, uint64_t c2, size_t n, double *out);
/* Directions l0 .. l0+nl-1 of step `step` (unit vectors in R^d), row-major nl x d: rng_normals'
 * Box-Muller on the same Philox words, its log and sincos by vectorised fdlibm kernels (within
 * 3e-16 of the radius of a long double reference; bitwise the same on every CPU).
 * RNG_DIRECTIONS_GENERATOR numbers this choice in output files and checkpoints (1: libm's
 * functions, wowflow before 2026-11-26; 2: these kernels, but contracted to FMA on AVX-512 CPUs,
 * so not the same bits there). */
#define RNG_DIRECTIONS_GENERATOR 3
/* The normals behind them, before normalisation (exposed for the tests).  Where d % 4 == 0 and
 * the CPU has AVX-512DQ, 32 Philox blocks at a time on vector lanes: the same bits as the portable
 * code, which the tests also call. */
void rng_direction_normals(uint64_t seed, uint64_t step, size_t l0, size_t nl, size_t d, double *z);
void rng_direction_normals_portable(uint64_t seed, uint64_t step, size_t l0, size_t nl, size_t d, double *z);
void rng_directions(uint64_t seed, uint64_t step, size_t l0, size_t nl, size_t d, double *theta);
/* k distinct indices out of 0..n-1 (partial Fisher-Yates keyed by (c0, c1)), sorted increasingly.
 * work holds n ints. */
void rng_subset(uint64_t seed, uint64_t stream, uint64_t c0, uint64_t c1, size_t n, size_t k, int *work, int *out);

#endif
