/* clones.h -- WOW_CLONES: compile a hot loop for AVX-512, AVX2 and plain x86-64 and pick the
 * clone at load time (GCC, x86-64; elsewhere a plain function).  None of the targets enables FMA,
 * so no multiply-add is contracted: a clone gives the same bits as the others as long as the loop
 * fixes its own order of summation (as the callers do). */
#ifndef WOW_CLONES_H
#define WOW_CLONES_H

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define WOW_CLONES __attribute__((target_clones("avx512f", "avx2", "default"), optimize("tree-vectorize")))
#else
#define WOW_CLONES
#endif

#endif
