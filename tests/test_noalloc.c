/* test_noalloc.c -- mmd_eval allocates nothing (mmd.h): every buffer of a step is made in
 * mmd_init.  This program replaces malloc, calloc and realloc (glibc allows it; the real ones are
 * __libc_*) with counting forwarders, evaluates several engine setups twice to warm up (OpenBLAS
 * makes its buffers at its first call), then counts the allocations of three more evaluations and
 * of the momentum update: zero for every setup.  One rank (the collectives of larger runs belong to
 * MPI).  Skipped (77) under AddressSanitizer, which owns malloc, and without glibc. */
#include <config.h>
#include "comm.h"
#include "flow.h"
#include "layout.h"
#include "mem.h"
#include "mmd.h"
#include "rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__) || !defined(__GLIBC__)
int main(void)
{
  puts("skipped: the allocator is not glibc's or is owned by a sanitizer");
  return 77;
}
#else
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static volatile int counting;
static volatile long allocations;

void *malloc(size_t n)
{
  if (counting) allocations++;
  return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
  if (counting) allocations++;
  return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
  if (counting) allocations++;
  return __libc_realloc(p, n);
}
void free(void *p) { __libc_free(p); }

struct setup {
  const char *name;
  long C, n, m, batch;
  size_t d;
  const char *kernel;
  enum mmd_estimator est;
  int single, loops;
};

static int check(const struct setup *s, MPI_Comm world)
{
  struct wow_clouds cl;
  layout_clouds_uniform(&cl, (int)s->C, (int)s->C, s->d, s->n, s->m, s->batch);
  struct comm_grid grid;
  comm_grid_create(world, 1, &grid);
  struct wow_part part;
  layout_part_init(&part, &cl, 40, 1, 1);
  struct timers tm;
  timer_reset(&tm);
  struct mmd_setup set = { .estimator = s->est, .Q = 16, .L = 40, .seed = 3, .single = s->single, .force_loops = s->loops };
  if (kernel_init(&set.kernel, s->kernel, 0, 1.0)) { fprintf(stderr, "FAIL %s: kernel\n", s->name); return 1; }
  struct mmd m;
  mmd_init(&m, &set, &cl, &grid, &part, &tm);
  const size_t nx = (size_t)m.ns * s->d, ny = (size_t)m.nt * s->d;
  double *x = WOW_NEW(double, nx + 1, "x"), *y = WOW_NEW(double, ny + 1, "y"), *g = WOW_NEW(double, nx + 1, "g");
  double *v = WOW_ZNEW(double, nx + 1, "v");
  rng_normals(7, RNG_SOURCE_DATA, 0, 0, 0, nx, x);
  rng_normals(8, RNG_SOURCE_DATA, 0, 0, 0, ny, y);
  const struct flow_step rule = { FLOW_MOMENTUM, 1e-3, 0.9 };
  struct mmd_result res;
  for (long k = 0; k < 5; k++) {
    if (k == 2) { allocations = 0; counting = 1; }
    mmd_eval(&m, k, x, y, g, &res);
    flow_update(&rule, x, v, g, nx);
  }
  counting = 0;
  const long a = allocations;
  printf("%-34s F %.6e  allocations in 3 steps: %ld\n", s->name, res.F, a);
  free(x); free(y); free(g); free(v);
  mmd_free(&m);
  layout_part_free(&part);
  comm_grid_free(&grid);
  layout_clouds_free(&cl);
  if (a != 0 || res.nonfinite) { fprintf(stderr, "FAIL %s: %ld allocations inside the step%s\n", s->name, a, res.nonfinite ? " (and F not finite)" : ""); return 1; }
  return 0;
}

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  MPI_Comm world = MPI_COMM_WORLD;
  static const struct setup setups[] = {
    { "exact, Gram form, d 30", 3, 20, 20, 0, 30, "riesz", MMD_EXACT, 0, 0 },
    { "exact, loops, gaussian", 3, 20, 20, 0, 30, "gaussian", MMD_EXACT, 0, 1 },
    { "exact, n != m (merged grid)", 3, 20, 13, 0, 30, "riesz", MMD_EXACT, 0, 0 },
    { "quantile estimator", 3, 20, 20, 0, 30, "riesz", MMD_QUANTILE, 0, 0 },
    { "single precision", 3, 20, 20, 0, 30, "riesz", MMD_EXACT, 1, 0 },
    { "d 2 (projections in the sorts)", 3, 20, 20, 0, 2, "riesz", MMD_EXACT, 0, 0 },
    { "target minibatches", 3, 20, 50, 16, 30, "imq", MMD_EXACT, 0, 0 },
    { "12 classes (dsyrk, dgemm)", 12, 10, 10, 0, 30, "riesz", MMD_EXACT, 0, 0 },
  };
  int bad = 0;
  /* the counter sees the library's allocations (WOW_NEW goes through wow_malloc, then malloc) */
  allocations = 0;
  counting = 1;
  double *probe = WOW_NEW(double, 100, "probe");
  counting = 0;
  free(probe);
  if (allocations != 1) fprintf(stderr, "FAIL: the replaced malloc counted %ld calls for one WOW_NEW\n", (long)allocations), bad = 1;
  if (comm_size(world) != 1) fprintf(stderr, "test_noalloc: run it on one rank\n"), bad = 1;
  else
    for (size_t i = 0; i < sizeof setups / sizeof setups[0]; i++) bad |= check(&setups[i], world);
  MPI_Finalize();
  puts(bad ? "FAILED" : "passed");
  return bad;
}
#endif
