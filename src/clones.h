/* clones.h -- compile a hot loop for AVX-512, AVX2 and plain x86-64 and pick the clone at load
 * time (GCC, x86-64; elsewhere a plain function).
 *   WOW_CLONES:     no multiply-add is contracted (GCC's avx512f target enables FMA, so this is
 *                   switched off explicitly): a clone gives the same bits as the others, on any
 *                   x86-64 CPU, as long as the loop fixes its own order of summation (the
 *                   directions' generator relies on it; tests/test_clones.sh checks the objects).
 *   WOW_CLONES_FMA: contracted where the target has FMA (the AVX-512 clone): the same bits on one
 *                   kind of CPU only; for the products of src/gram.c, where FMA is half the work. */
#ifndef WOW_CLONES_H
#define WOW_CLONES_H

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define WOW_CLONES __attribute__((target_clones("avx512f", "avx2", "default"), optimize("tree-vectorize", "fp-contract=off")))
#define WOW_CLONES_FMA __attribute__((target_clones("avx512f", "avx2", "default"), optimize("tree-vectorize")))
#else
#define WOW_CLONES
#define WOW_CLONES_FMA
#endif

#endif
