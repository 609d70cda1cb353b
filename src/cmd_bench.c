/* cmd_bench.c -- 'wowflow bench': the performance harness (see commands.h, docs/performance.md).
 * Synthetic Gaussian classes, the production engine, S timed steps after W warm-up steps; the
 * GEMM floor is the three products of a step (source projection, target projection, gradient)
 * timed alone on the same shapes under the same BLAS, after every step (the ratio is the median of
 * the per-step ratios, so that a drift of the machine cancels). */
#include <config.h>
#include "commands.h"
#include "comm.h"
#include "flow.h"
#include "layout.h"
#include "mem.h"
#include "mmd.h"
#include "provenance.h"
#include "rng.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

extern char *openblas_get_corename(void) __attribute__((weak));

static void bench_swap(double **a, double **b)
{
  double *t = *a;
  *a = *b;
  *b = t;
}

static int bench_cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Rows of clouds [j0, j1): class j is N(mean_j, 0.25 I) with mean_j ~ N(0, I). */
static void bench_fill(const struct wow_clouds *cl, int j0, int j1, double *out)
{
  const size_t d = cl->d;
  double *mean = WOW_NEW(double, d, "bench mean");
  for (int j = j0; j < j1; j++) {
    rng_normals(1, RNG_CLASS_MEANS, 0, (uint64_t)j, 0, d, mean);
    for (long i = 0; i < cl->size[j]; i++, out += d) {
      rng_normals(1, RNG_SOURCE_DATA, (uint64_t)j, (uint64_t)i, 0, d, out);
      for (size_t t = 0; t < d; t++) out[t] = mean[t] + 0.5 * out[t];
    }
  }
  free(mean);
}

/* One GEMM of the floor in double or single precision (buffers of that type). */
static void bench_gemm(int single, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const void *A, int lda, const void *B,
                       int ldb, void *C, int ldc)
{
  if (single) cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, C, ldc);
  else cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1.0, A, lda, B, ldb, 0.0, C, ldc);
}

/* The GEMM floor: the three products of a step on this rank's shapes, in the run's precision,
 * on buffers of their own (allocated once; timed after every step, so that the step and its floor
 * see the same state of the machine), holding data: on zeros sgemm ran 3-4 % faster than on any
 * data a step multiplies (docs/performance.md, eighth series). */
struct bench_floor {
  int d, Lb, ns, nt, single;
  char *A, *X, *P, *G;
};

/* n uniform values in (-1/2, 1/2) into a floor buffer (doubles, or floats when single). */
static void bench_floor_data(char *buf, size_t n, int single, uint64_t stream)
{
  double u[256];
  for (size_t i0 = 0; i0 < n; i0 += 256) {
    const size_t nb = n - i0 < 256 ? n - i0 : 256;
    rng_uniforms(7, RNG_SOURCE_DATA, 99, stream, i0, nb, u);
    for (size_t i = 0; i < nb; i++) {
      if (single) ((float *)(void *)buf)[i0 + i] = (float)(u[i] - 0.5);
      else ((double *)(void *)buf)[i0 + i] = u[i] - 0.5;
    }
  }
}

static void bench_floor_init(struct bench_floor *f, const struct mmd *m, double *flops)
{
  f->d = (int)m->cl->d, f->Lb = (int)m->Lb, f->ns = (int)m->ns, f->nt = (int)m->ntb, f->single = m->set.single;
  const size_t w = f->single ? sizeof(float) : sizeof(double), d = (size_t)f->d;
  *flops = 2.0 * f->d * f->Lb * (double)(2 * f->ns + f->nt);
  f->A = wow_calloc((size_t)f->Lb * d, w, "floor A");
  f->X = wow_calloc((size_t)(f->ns + f->nt + 1) * d, w, "floor X");
  f->P = wow_calloc((size_t)f->Lb * (size_t)(f->ns + f->nt + 1), w, "floor P");
  f->G = wow_calloc((size_t)(f->ns + 1) * d, w, "floor G");
  bench_floor_data(f->A, (size_t)f->Lb * d, f->single, 1);
  bench_floor_data(f->X, (size_t)(f->ns + f->nt + 1) * d, f->single, 2);
  bench_floor_data(f->P, (size_t)f->Lb * (size_t)(f->ns + f->nt + 1), f->single, 3);
}

static void bench_floor_free(struct bench_floor *f)
{
  free(f->A); free(f->X); free(f->P); free(f->G);
}

/* Seconds of one run of the three products (0 when this rank has no rows or directions). */
static double bench_floor_time(const struct bench_floor *f)
{
  const int d = f->d, Lb = f->Lb, ns = f->ns, nt = f->nt, sp = f->single;
  const size_t w = sp ? sizeof(float) : sizeof(double);
  if (Lb == 0 || (ns == 0 && nt == 0)) return 0.0;
  double t = comm_wtime();
  if (ns) bench_gemm(sp, CblasNoTrans, CblasTrans, Lb, ns, d, f->A, d, f->X, d, f->P, ns + nt);
  if (nt) bench_gemm(sp, CblasNoTrans, CblasTrans, Lb, nt, d, f->A, d, f->X + (size_t)ns * d * w, d, f->P + (size_t)ns * w, ns + nt);
  if (ns) bench_gemm(sp, CblasTrans, CblasNoTrans, ns, d, Lb, f->P, ns + nt, f->A, d, f->G, d);
  return comm_wtime() - t;
}

static void bench_tsv(const struct cli *c, int P, const struct comm_grid *g, const double *ms, double floor_ms, double ratio, const double *phase_ms,
                      double gflops, double peak, double rss, const char *kernel, int node_ranks)
{
  struct stat st;
  int fresh = stat(c->tsv, &st) != 0 || st.st_size == 0;
  FILE *f = fopen(c->tsv, "a");
  if (!f) { fprintf(stderr, "wowflow: warning: cannot append to %s\n", c->tsv); return; }
  if (fresh) {
    fprintf(f, "ranks\tPc\tPl\tclasses\tn\tm\td\tL\tbatch\tkernel\testimator\tprecision\tmedian_ms\tmin_ms\tmax_ms\tgemm_floor_ms\tstep_over_floor");
    for (int p = 0; p < TIMER_NPHASES; p++) fprintf(f, "\t%s_ms", timer_name((enum timer_phase)p));
    fprintf(f, "\tgemm_gflops\tdgemm_peak_gflops\tpeak_rss_mb\tblas_kernel\tnode_ranks\n");
  }
  fprintf(f, "%d\t%d\t%d\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%s\t%s\t%s\t%.4f\t%.4f\t%.4f\t%.4f\t%.3f", P, g->Pc, g->Pl, c->classes, c->n, c->m, c->d,
          c->L, c->batch, c->kernel, c->estimator, c->precision, ms[0], ms[1], ms[2], floor_ms, ratio);
  for (int p = 0; p < TIMER_NPHASES; p++) fprintf(f, "\t%.4f", phase_ms[p]);
  fprintf(f, "\t%.2f\t%.2f\t%.1f\t%s\t%d\n", gflops, peak, rss, kernel, node_ranks); /* node_ranks: rates.node_ranks, 0 without shared memory */
  fclose(f);
}

int cmd_bench(const struct cli *c, MPI_Comm world)
{
  const int P = comm_size(world), rank = comm_rank(world);
  const int C = (int)c->classes;
  struct wow_clouds cl;
  layout_clouds_uniform(&cl, C, C, (size_t)c->d, c->n, c->m, c->batch);
  char msg[WOW_ERRLEN] = "";
  struct layout_rates rates = c->rates; /* with the class blocks that will share memory, as a run (run_class_groups) */
  if (!c->no_shm && !c->no_shares && !c->overlap) rates.node_ranks = comm_node_ranks(world);
  int Pc = (int)c->class_groups;
  if (Pc == 0) Pc = layout_auto_groups(&cl, c->L, bench_qrow(c), P, &rates);
  else if (P % Pc || Pc > cl.nc) snprintf(msg, sizeof msg, "command line: --class-groups %d must divide %d ranks and be at most %d", Pc, P, cl.nc);
  comm_check_all(world, msg);
  struct comm_grid grid;
  comm_grid_create(world, Pc, &grid);
  struct wow_part part;
  layout_part_init(&part, &cl, c->L, grid.Pc, grid.Pl);
  struct timers tm;
  timer_reset(&tm);
  struct mmd_setup set = { .estimator = strcmp(c->estimator, "quantile") ? MMD_EXACT : MMD_QUANTILE, .Q = BENCH_QUANTILES, .L = c->L, .seed = 1,
                           .single = strcmp(c->precision, "single") == 0, .overlap = c->overlap, .share = !c->no_shares,
                           .float_grad = 1 };
  if (kernel_init(&set.kernel, c->kernel, 0, 1.0)) snprintf(msg, sizeof msg, "command line: unknown kernel '%s'", c->kernel);
  comm_check_all(world, msg);
  struct mmd m;
  mmd_init(&m, &set, &cl, &grid, &part, &tm);
  const size_t d = cl.d;
  double *x = WOW_NEW(double, (size_t)m.ns * d + 1, "x"), *y = WOW_NEW(double, (size_t)m.nt * d + 1, "y");
  double *g = WOW_NEW(double, (size_t)m.ns * d + 1, "grad"), *v = WOW_ZNEW(double, (size_t)m.ns * d + 1, "vel");
  double *x2 = WOW_NEW(double, (size_t)m.ns * d + 1, "x before the step"), *v2 = WOW_NEW(double, (size_t)m.ns * d + 1, "vel before the step");
  bench_fill(&cl, m.j0, m.s1, x);
  bench_fill(&cl, m.t0, m.j1, y);
  struct mmd_node nm = { 0 }; /* shares on one node: particles and gradient in shared memory, as a run (run_node_memory) */
  double *own_x = x, *own_x2 = x2, *own_g = g;
  if (!c->no_shm && mmd_node_alloc(&m, x, x2, &nm, msg, sizeof msg)) {
    x = nm.x;
    x2 = nm.x_prev;
    g = nm.grad;
  }
  struct flow_step rule = { FLOW_MOMENTUM, 1e-3, 0.9 };
  struct mmd_result res;
  double *ms = WOW_NEW(double, c->steps, "step times"), *fl = WOW_NEW(double, c->steps, "floor times");
  double *ratio = WOW_NEW(double, c->steps, "step / floor");
  double flops;
  struct bench_floor floor;
  bench_floor_init(&floor, &m, &flops);
  double floor_best = 1e300;
  for (long k = 0; k < c->warmup + c->steps; k++) {
    if (k == c->warmup) timer_reset(&tm);
    comm_barrier(world);
    double t = comm_wtime();
    mmd_eval(&m, k, x, y, g, &res);
    timer_start(&tm, TIMER_UPDATE);
    mmd_step_share(&m, &rule, x, v, g, x2, v2); /* this rank's share of the rows, out of place, as a run steps (run_update) */
    bench_swap(&x, &x2);
    bench_swap(&v, &v2);
    timer_stop(&tm, TIMER_UPDATE);
    timer_start(&tm, TIMER_COMM);
    mmd_sync_shares(&m, x);
    timer_stop(&tm, TIMER_COMM);
    comm_barrier(world);
    if (k < c->warmup) continue;
    ms[k - c->warmup] = 1e3 * (comm_wtime() - t);
    const double f = bench_floor_time(&floor); /* this rank's products; the step's floor is the slowest rank's */
    if (f < floor_best) floor_best = f;
    fl[k - c->warmup] = 1e3 * comm_max_double(f, world);
    ratio[k - c->warmup] = fl[k - c->warmup] > 0 ? ms[k - c->warmup] / fl[k - c->warmup] : 0.0;
  }
  bench_floor_free(&floor);
  qsort(ms, (size_t)c->steps, sizeof *ms, bench_cmp);
  qsort(fl, (size_t)c->steps, sizeof *fl, bench_cmp);
  qsort(ratio, (size_t)c->steps, sizeof *ratio, bench_cmp);
  double stat3[3] = { ms[c->steps / 2], ms[0], ms[c->steps - 1] };
  const double floor_ms = fl[c->steps / 2], floor_min = fl[0], floor_max = fl[c->steps - 1], step_ratio = ratio[c->steps / 2];
  const double floor_s = floor_best < 1e300 ? floor_best : 0.0;
  double phase_ms[TIMER_NPHASES], mn, mean, mx;
  int rmin, rmax;
  for (int p = 0; p < TIMER_NPHASES; p++) {
    comm_stats_double(tm.total[p], world, &mn, &mean, &mx, &rmin, &rmax);
    phase_ms[p] = 1e3 * mx / (double)c->steps;
  }
  /* achieved GEMM rate: the GEMM flops of the slowest rank over its project + target + gradient time */
  double gemm_s = (tm.total[TIMER_PROJECT] + tm.total[TIMER_TARGET] + tm.total[TIMER_GRADIENT]) / (double)c->steps;
  double gflops = comm_min_double(gemm_s > 0 ? flops / gemm_s / 1e9 : 0, world);
  double peak = comm_min_double(floor_s > 0 ? flops / floor_s / 1e9 : 0, world);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double rss = comm_max_double((double)ru.ru_maxrss / 1024.0, world);
  const char *kernel = openblas_get_corename ? openblas_get_corename() : "?";
  if (rank == 0) {
    char ver[256];
    prov_version_line(ver, sizeof ver);
    printf("%s bench: %d + %d classes, n = %ld, m = %ld, d = %ld, L = %ld%s, %s kernel, %s SW, %s precision\n", ver, C, C, c->n, c->m,
           c->d, c->L, c->batch ? " (target minibatches)" : "", c->kernel, c->estimator, c->precision);
    printf("ranks %d (grid %d x %d%s), BLAS kernel %s, %ld steps after %ld warm-up\n", P, grid.Pc, grid.Pl,
           c->overlap ? ", gradient all-reduce overlapped" : "", kernel, c->steps, c->warmup);
    char form[512];
    prov_blas_warning(form, sizeof form); /* the floor and the step under a slow kernel: ratios that flatter */
    if (form[0]) printf("%s\n", form);
    mmd_describe(&m, form, sizeof form);
    printf("%s\n", form);
    printf("ms per step: median %.3f  min %.3f  max %.3f\n", stat3[0], stat3[1], stat3[2]);
    printf("GEMM floor (three products, same shapes, timed after every step): median %.3f  min %.3f  max %.3f ms; step / floor %.2f "
           "(median of the per-step ratios)\n", floor_ms, floor_min, floor_max, step_ratio);
    printf("GEMM phases %.1f GFLOP/s per rank against %s %.1f GFLOP/s on these shapes\n", gflops, set.single ? "sgemm" : "dgemm", peak);
    printf("phase (ms per step, slowest rank):");
    for (int p = 0; p < TIMER_NPHASES; p++) printf("  %s %.3f", timer_name((enum timer_phase)p), phase_ms[p]);
    printf("\npeak resident memory per rank %.1f MB\n", rss);
    struct layout_cost model;
    if (!nm.x) rates.node_ranks = 0; /* this block (rank 0's) keeps the collectives */
    layout_model(&cl, c->L, bench_qrow(c), P, grid.Pc, &rates, &model);
    printf("cost model (docs/scaling.md; rates: GEMM %g GFLOP/s, pairwise %g, sort %g ns, %g us, %g GB/s, update %g GB/s%s): %.3f ms per "
           "step (compute %.3f, communication %.3f)\n", rates.gemm_gflops, rates.pair_gflops, rates.sort_ns, rates.latency_us,
           rates.bandwidth_gbs, rates.memory_gbs, rates.node_ranks ? ", class blocks in shared memory" : "", 1e3 * model.total,
           1e3 * model.compute, 1e3 * (model.gather + model.reduce));
    if (c->tsv) bench_tsv(c, P, &grid, stat3, floor_ms, step_ratio, phase_ms, gflops, peak, rss, kernel, rates.node_ranks);
  }
  free(ms); free(fl); free(ratio); free(own_x); free(y); free(own_g); free(v); free(own_x2); free(v2);
  mmd_node_free(&nm);
  mmd_free(&m);
  layout_part_free(&part);
  comm_grid_free(&grid);
  layout_clouds_free(&cl);
  return 0;
}
