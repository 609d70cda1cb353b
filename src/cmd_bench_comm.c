/* cmd_bench_comm.c -- 'wowflow bench --comm': the collectives of a step (the SW-row all-reduce, and
 * the gradient's all-reduce or, with parallel.shares, its reduce-scatter; the all-gathers of sorted
 * projections and of the particles; comm.c's calls) timed over message sizes on all ranks, and
 * the latency and bandwidth of the cost model fitted to them:
 *   all-reduce      t = 2 log2(P) alpha + 2 (1 - 1/P) bytes / bw
 *   all-gather      t = log2(P) alpha + (1 - 1/P) (P bytes) / bw
 *   reduce-scatter  t = log2(P) alpha + (1 - 1/P) bytes / bw   (bytes: the whole vector)
 * alpha from the smallest all-reduce, bw from the largest messages, the slowest of the three
 * (docs/scaling.md).  Every rank takes part
 * (a barrier before each repetition; the slowest rank's time counts); rank 0 prints. */
#include <config.h>
#include "commands.h"
#include "comm.h"
#include "mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int comm_cmp(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

enum comm_kind { COMM_ALLREDUCE, COMM_ALLGATHER, COMM_REDUCE_SCATTER };

/* Median over reps of the slowest rank's time for one collective on n doubles per rank (the
 * reduce-scatter: a vector of n doubles, each rank getting its even part). */
static double comm_time(MPI_Comm world, enum comm_kind kind, size_t n, double *buf, double *all, int *cnt, int *dsp, int reps)
{
  const int P = comm_size(world);
  double *t = WOW_NEW(double, reps, "timings");
  for (int q = 0; q < P; q++) {
    const size_t a = kind == COMM_REDUCE_SCATTER ? n * (size_t)q / (size_t)P : n * (size_t)q;
    const size_t b = kind == COMM_REDUCE_SCATTER ? n * (size_t)(q + 1) / (size_t)P : n * (size_t)(q + 1);
    cnt[q] = (int)(b - a);
    dsp[q] = (int)a;
  }
  for (int r = 0; r < reps; r++) {
    comm_barrier(world);
    double t0 = comm_wtime();
    if (kind == COMM_ALLGATHER) comm_allgatherv_doubles(buf, all, cnt, dsp, world);
    else if (kind == COMM_REDUCE_SCATTER) comm_reduce_scatter_doubles(buf, cnt, dsp, all, world);
    else comm_sum_doubles(buf, n, world);
    t[r] = comm_max_double(comm_wtime() - t0, world);
  }
  qsort(t, (size_t)reps, sizeof *t, comm_cmp);
  double med = t[reps / 2];
  free(t);
  return med;
}

int cmd_bench_comm(const struct cli *c, MPI_Comm world)
{
  const int P = comm_size(world), rank = comm_rank(world);
  if (P < 2) {
    if (rank == 0) fprintf(stderr, "wowflow: error: command line: bench --comm measures collectives: run it under mpirun with 2 or more ranks\n");
    return 1;
  }
  const size_t nmax = (size_t)c->comm_max_kb * 1024 / sizeof(double);
  double *buf = WOW_ZNEW(double, nmax, "message"), *all = WOW_ZNEW(double, nmax * (size_t)P, "gathered messages");
  int *cnt = WOW_NEW(int, P, "counts"), *dsp = WOW_NEW(int, P, "displacements");
  FILE *tsv = NULL;
  if (rank == 0 && c->tsv) {
    tsv = fopen(c->tsv, "w");
    if (tsv) fprintf(tsv, "ranks\tbytes\tallreduce_us\tallgather_us\treducescatter_us\n");
    else fprintf(stderr, "wowflow: warning: %s: cannot write the table\n", c->tsv);
  }
  if (rank == 0)
    printf("collectives on %d ranks (median of the slowest rank over repetitions)\n"
           "| bytes per rank | all-reduce us | all-gather us | reduce-scatter us |\n|---|---|---|---|\n", P);
  double r_small = 0, r_large = 0, g_small = 0, g_large = 0, s_small = 0, s_large = 0;
  size_t b_small = 0, b_large = 0;
  for (size_t n = 1; n <= nmax; n *= 4) {
    const int reps = n * sizeof(double) <= 65536 ? 50 : 7;
    comm_time(world, COMM_ALLREDUCE, n, buf, all, cnt, dsp, 2); /* warm-up */
    const double tr = comm_time(world, COMM_ALLREDUCE, n, buf, all, cnt, dsp, reps);
    const double tg = comm_time(world, COMM_ALLGATHER, n, buf, all, cnt, dsp, reps);
    const double ts = comm_time(world, COMM_REDUCE_SCATTER, n, buf, all, cnt, dsp, reps);
    const size_t bytes = n * sizeof(double);
    if (rank == 0) printf("| %zu | %.2f | %.2f | %.2f |\n", bytes, 1e6 * tr, 1e6 * tg, 1e6 * ts);
    if (tsv) fprintf(tsv, "%d\t%zu\t%.6g\t%.6g\t%.6g\n", P, bytes, 1e6 * tr, 1e6 * tg, 1e6 * ts);
    if (n == 1) { r_small = tr; g_small = tg; s_small = ts; b_small = bytes; }
    r_large = tr; g_large = tg; s_large = ts; b_large = bytes;
  }
  const double lg = log2((double)P), f = 1.0 - 1.0 / P, db = (double)(b_large - b_small);
  const double alpha = r_small / (2.0 * lg);
  const double bw_r = r_large > r_small ? 2.0 * f * db / (r_large - r_small) : INFINITY; /* INFINITY: too small to tell */
  const double bw_g = g_large > g_small ? f * P * db / (g_large - g_small) : INFINITY;
  const double bw_s = s_large > s_small ? f * db / (s_large - s_small) : INFINITY;
  if (rank == 0) {
    printf("fit: latency %.3g us (from the %zu-byte all-reduce), bandwidth %.3g GB/s (all-reduce), %.3g GB/s (all-gather) and "
           "%.3g GB/s (reduce-scatter), from %zu-byte messages\n", 1e6 * alpha, b_small, 1e-9 * bw_r, 1e-9 * bw_g, 1e-9 * bw_s, b_large);
    printf("deck keys: parallel.model_latency_us = %.3g  parallel.model_bandwidth_gbs = %.3g\n", 1e6 * alpha,
           1e-9 * fmin(bw_r, fmin(bw_g, bw_s)));
  }
  if (tsv) fclose(tsv);
  free(buf);
  free(all);
  free(cnt);
  free(dsp);
  return 0;
}
