/* cmd_bench_sums.c -- 'wowflow bench --sums': the two paths of the kernel sums (fks.h) at one
 * size, timed on rank 0: n evaluation points against n + n weighted points (sources 1/n,
 * targets -1/n, as in the mmd_product flow), Gaussian classes scaled so that |x - y|^2 / (2 h)
 * is about 1.  Prints (and appends to --tsv) the times, the speedup and the error of the sliced
 * path against the direct one.  A sweep over --n shows the crossover (docs/performance.md). */
#include <config.h>
#include "commands.h"
#include "comm.h"
#include "fks.h"
#include "mem.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void sums_fill(long n, size_t d, double scale, int set, double *out)
{
  double *mean = WOW_NEW(double, d, "bench mean");
  for (long i = 0; i < n; i++) {
    const long cls = i % 10;
    rng_normals(2, RNG_CLASS_MEANS, (uint64_t)set, (uint64_t)cls, 0, d, mean);
    rng_normals(2, RNG_SOURCE_DATA, (uint64_t)set, (uint64_t)i, 0, d, out + (size_t)i * d);
    for (size_t t = 0; t < d; t++) out[(size_t)i * d + t] = scale * (mean[t] + 0.5 * out[(size_t)i * d + t]);
  }
  free(mean);
}

static double sums_best(double *t, long reps)
{
  double b = t[0];
  for (long r = 1; r < reps; r++) b = fmin(b, t[r]);
  return b;
}

static void sums_run(const struct cli *c)
{
  const long n = c->n, m = 2 * c->n, L = c->L, reps = c->steps;
  const size_t d = (size_t)c->d;
  const int riesz = strcmp(c->kernel, "riesz") == 0;
  const double s2 = c->h > 0 ? c->h : 1.0;
  double *y = WOW_NEW(double, (size_t)m * d, "points"), *w = WOW_NEW(double, m, "weights");
  sums_fill(n, d, sqrt(s2 / ((double)d * 1.25)), 0, y);
  sums_fill(n, d, sqrt(s2 / ((double)d * 1.25)), 1, y + (size_t)n * d);
  for (long j = 0; j < m; j++) w[j] = j < n ? 1.0 / (double)n : -1.0 / (double)n;
  struct fks f;
  struct fks_opts o = { riesz ? FKS_RIESZ : FKS_GAUSSIAN, s2, 0, 0 };
  char err[256];
  if (fks_init(&f, &o, d, err, sizeof err)) { fprintf(stderr, "wowflow: error: bench --sums: %s\n", err); return; }
  double *s0 = WOW_NEW(double, n, "sums"), *g0 = WOW_NEW(double, (size_t)n * d, "gradients");
  double *s = WOW_NEW(double, n, "sums"), *g = WOW_NEW(double, (size_t)n * d, "gradients"), *th = WOW_NEW(double, (size_t)L * d, "directions");
  double *td = WOW_NEW(double, reps, "times"), *ts = WOW_NEW(double, reps, "times"), *tt = WOW_NEW(double, reps, "times");
  int rc = 0;
  for (long r = 0; r < reps; r++) {
    double t = comm_wtime();
    fks_direct(&f, y, n, y, w, m, s0, g0);
    td[r] = 1e3 * (comm_wtime() - t);
    t = comm_wtime();
    fks_directions(&f, 1, r, L, 1, th);
    tt[r] = 1e3 * (comm_wtime() - t);
    memset(s, 0, (size_t)n * sizeof *s);
    memset(g, 0, (size_t)n * d * sizeof *g);
    rc |= fks_sliced(&f, th, L, L, y, n, y, w, m, s, g);
    ts[r] = 1e3 * (comm_wtime() - t);
  }
  double es = 0, num = 0, den = 0, wsum = 0;
  for (long j = 0; j < m; j++) wsum += fabs(w[j]);
  for (long i = 0; i < n; i++) es = fmax(es, fabs(s[i] - s0[i]) / wsum);
  for (size_t i = 0; i < (size_t)n * d; i++) { num += (g[i] - g0[i]) * (g[i] - g0[i]); den += g0[i] * g0[i]; }
  const double eg = sqrt(num / (den > 0 ? den : 1.0)), bd = sums_best(td, reps), bs = sums_best(ts, reps), bt = sums_best(tt, reps);
  int nfmax = 0;
  for (int p = 0; p < f.nplan; p++) nfmax = f.plan[p].nf > nfmax ? f.plan[p].nf : nfmax;
  printf("kernel sums, %s kernel (h %g), n = %ld points against %ld, d = %zu, L = %ld orthogonal directions, best of %ld\n",
         c->kernel, s2, n, m, d, L, reps);
  printf("direct %.3f ms  sliced %.3f ms (of which directions %.3f ms)  direct / sliced %.2f  largest FFT %d%s\n", bd, bs, bt, bd / bs, nfmax,
         rc ? "  (grid refused: errors meaningless)" : "");
  printf("sliced - direct: max |s| error %.3e of sum|w|; gradient relative RMS error %.3e\n", es, eg);
  if (c->tsv) {
    struct stat st;
    const int fresh = stat(c->tsv, &st) != 0 || st.st_size == 0;
    FILE *fp = fopen(c->tsv, "a");
    if (fp) {
      if (fresh) fprintf(fp, "kernel\th\tn\tm\td\tL\tdirect_ms\tsliced_ms\tdirections_ms\tspeedup\tsum_err\tgrad_rel_rms_err\tlargest_fft\n");
      fprintf(fp, "%s\t%g\t%ld\t%ld\t%zu\t%ld\t%.4f\t%.4f\t%.4f\t%.3f\t%.4e\t%.4e\t%d\n", c->kernel, s2, n, m, d, L, bd, bs, bt, bd / bs, es, eg, nfmax);
      fclose(fp);
    } else fprintf(stderr, "wowflow: warning: cannot append to %s\n", c->tsv);
  }
  free(y); free(w); free(s0); free(g0); free(s); free(g); free(th); free(td); free(ts); free(tt);
  fks_free(&f);
}

int cmd_bench_sums(const struct cli *c, MPI_Comm world)
{
  char msg[WOW_ERRLEN] = "";
  if (strcmp(c->kernel, "riesz") && strcmp(c->kernel, "gaussian"))
    snprintf(msg, sizeof msg, "command line: bench --sums: --kernel must be gaussian or riesz, got '%s'", c->kernel);
  comm_check_all(world, msg);
  if (comm_rank(world) == 0) sums_run(c);
  comm_barrier(world);
  return 0;
}
