/* test_mmd.c -- the distributed engine against finite differences and closed forms.  Runs on any
 * rank count (ctest runs it on 1 to 4 ranks with several grids): argv[1] = class groups (0 = auto).
 *   - WoW gradient = (n_c / w_c) dF/dx (central differences), all four kernels, exact and quantile
 *     estimators, n != m, C != C2, unequal weights, target minibatches;
 *   - SW_2^2 closed forms: translated classes, scaled classes, replicated atoms, 1D Gaussians;
 *   - F assembled from the SW matrix; identical classes under Riesz give a finite gradient. */
#include <config.h>
#include "comm.h"
#include "layout.h"
#include "mem.h"
#include "mmd.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

struct problem {
  int C, C2;
  size_t d;
  long L, batch;
  long sizes[8];
  double weights[8];
  double *X, *Y, *theta; /* global arrays, identical on every rank */
  struct wow_clouds cl;
  struct comm_grid grid;
  struct wow_part part;
  struct timers tm;
  struct mmd m;
  double gnorm; /* the last eval_full's |grad| */
};

static void problem_init(struct problem *p, MPI_Comm world, int Pc_req, const struct mmd_setup *set_in)
{
  layout_clouds_init(&p->cl, p->C, p->C2, p->d, p->sizes, p->weights, p->batch);
  int P = comm_size(world);
  int Pc = Pc_req > 0 && P % Pc_req == 0 && Pc_req <= p->cl.nc ? Pc_req : layout_auto_groups(&p->cl, p->L, 0, P, NULL);
  comm_grid_create(world, Pc, &p->grid);
  layout_part_init(&p->part, &p->cl, p->L, p->grid.Pc, p->grid.Pl);
  timer_reset(&p->tm);
  struct mmd_setup set = *set_in;
  set.L = p->L;
  set.fixed_theta = p->theta;
  mmd_init(&p->m, &set, &p->cl, &p->grid, &p->part, &p->tm);
}

static void problem_free(struct problem *p)
{
  mmd_free(&p->m);
  layout_part_free(&p->part);
  comm_grid_free(&p->grid);
  layout_clouds_free(&p->cl);
}

static const double *own_x(const struct problem *p, const double *X)
{
  return X + (p->m.ns ? (size_t)p->cl.row0[p->m.j0] * p->d : 0);
}

static const double *own_y(const struct problem *p)
{
  return p->Y + (p->m.nt ? (size_t)p->cl.row0[p->m.t0] * p->d : 0);
}

/* F and the full gradient (N x d) on every rank: from each rank's share of its rows (set.share), or
 * from the first direction group (every rank of a class block holds its whole gradient). */
static double eval_full(struct problem *p, const double *X, double *full)
{
  double *g = WOW_ZNEW(double, (size_t)p->m.ns * p->d + 1, "grad");
  struct mmd_result res;
  mmd_eval(&p->m, 0, own_x(p, X), own_y(p), g, &res);
  p->gnorm = res.grad_norm;
  const float *gf = mmd_grad_float(&p->m); /* set.float_grad: single precision on one direction group leaves it in float */
  if (p->m.set.float_grad && p->m.set.single)
    CHECK((gf != NULL) == (p->grid.Pl == 1), "float gradient %s on %d direction groups", gf ? "kept" : "not kept", p->grid.Pl);
  else CHECK(gf == NULL, "float gradient kept without set.float_grad");
  if (gf)
    for (size_t i = 0; i < (size_t)p->m.ns * p->d; i++) g[i] = (double)gf[i];
  if (full) {
    memset(full, 0, (size_t)p->cl.N * p->d * sizeof(double));
    const long r0 = p->m.shcount ? p->m.share0 : 0, r1 = p->m.shcount ? p->m.share1 : (p->grid.pl == 0 ? p->m.ns : 0);
    if (r1 > r0)
      memcpy(full + ((size_t)p->cl.row0[p->m.j0] + (size_t)r0) * p->d, g + (size_t)r0 * p->d, (size_t)(r1 - r0) * p->d * sizeof(double));
    comm_sum_doubles(full, (size_t)p->cl.N * p->d, p->grid.world);
  }
  free(g);
  return res.F;
}

static void fill_random(double *a, size_t n, uint64_t seed, double scale)
{
  rng_normals(seed, 99, 0, 0, 0, n, a);
  for (size_t i = 0; i < n; i++) a[i] *= scale;
}

static const long unequal[5] = { 5, 8, 6, 7, 4 }, equal[5] = { 6, 6, 6, 6, 6 };

enum { FD_SINGLE = 1, FD_SHARE = 2 };

static void test_fd(MPI_Comm world, int Pc, const char *kernel, double h, double r, enum mmd_estimator est, long batch, const long *sizes,
                    int mode)
{
  struct problem p = { .C = 3, .C2 = 2, .d = 3, .L = 7, .batch = batch, .weights = { 0.2, 0.5, 0.3, 0.6, 0.4 } };
  memcpy(p.sizes, sizes, 5 * sizeof *sizes);
  const int single = mode & FD_SINGLE;
  struct mmd_setup set = { .estimator = est, .Q = 12, .seed = 5, .single = single, .share = (mode & FD_SHARE) != 0 };
  kernel_init(&set.kernel, kernel, h, r);
  long N = sizes[0] + sizes[1] + sizes[2], M = sizes[3] + sizes[4];
  p.X = WOW_NEW(double, N * 3, "X");
  p.Y = WOW_NEW(double, M * 3, "Y");
  p.theta = WOW_NEW(double, p.L * 3, "theta");
  fill_random(p.X, (size_t)N * 3, 1, 0.5);
  fill_random(p.Y, (size_t)M * 3, 2, 0.7);
  for (long i = 0; i < M * 3; i++) p.Y[i] += 0.4;
  rng_directions(3, 0, 0, (size_t)p.L, 3, p.theta);
  problem_init(&p, world, Pc, &set);
  double *grad = WOW_NEW(double, N * 3, "grad"), *Xp = WOW_NEW(double, N * 3, "Xp");
  eval_full(&p, p.X, grad);
  double gmax = 0, errmax = 0;
  for (long i = 0; i < N * 3; i++) gmax = fmax(gmax, fabs(grad[i]));
  for (int c = 0; c < p.C; c++)
    for (long i = p.cl.row0[c]; i < p.cl.row0[c] + p.sizes[c]; i++)
      for (size_t t = 0; t < 3; t++) {
        const double eps = single ? 1e-3 : 1e-6; /* single: F carries float rounding (1e-7 relative) */
        memcpy(Xp, p.X, (size_t)N * 3 * sizeof(double));
        Xp[i * 3 + t] += eps;
        double Fp = eval_full(&p, Xp, NULL);
        Xp[i * 3 + t] -= 2 * eps;
        double Fm = eval_full(&p, Xp, NULL);
        double fd = (double)p.sizes[c] / p.cl.weight[c] * (Fp - Fm) / (2 * eps);
        errmax = fmax(errmax, fabs(fd - grad[i * 3 + t]));
      }
  const double tol = single ? 1e-4 : 1e-6; /* single: rounding 1e-7 / eps + eps^2 truncation */
  CHECK(errmax <= tol * (1 + gmax) && gmax > 1e-3, "%s %s batch %ld%s%s: max |fd - grad| = %.3e, max |grad| = %.3e", kernel,
        est == MMD_EXACT ? "exact" : "quantile", batch, single ? " single" : "", p.m.shcount ? " shares" : "", errmax, gmax);
  if (comm_rank(world) == 0)
    printf("fd %-8s %-8s batch %ld %s%s%s: max|fd - grad| %.2e  max|grad| %.2e\n", kernel, est == MMD_EXACT ? "exact" : "quantile", batch,
           p.m.gram ? "GEMM form" : "loops    ", single ? " single" : "", p.m.shcount ? " shares" : "", errmax, gmax);
  free(grad);
  free(Xp);
  problem_free(&p);
  free(p.X); free(p.Y); free(p.theta);
}

/* F and the full gradient (*g, N x d, malloc'ed) of a random problem for an engine setup. */
static double eval_setup(MPI_Comm world, int Pc, const long *sizes, size_t d, long L, const struct mmd_setup *set, double **g, long *N,
                         double *gnorm)
{
  struct problem p = { .C = 3, .C2 = 2, .d = d, .L = L, .weights = { 1, 2, 1, 1, 1 } };
  memcpy(p.sizes, sizes, 5 * sizeof *sizes);
  *N = sizes[0] + sizes[1] + sizes[2];
  const long M = sizes[3] + sizes[4];
  p.X = WOW_NEW(double, (size_t)*N * d, "X");
  p.Y = WOW_NEW(double, (size_t)M * d, "Y");
  fill_random(p.X, (size_t)*N * d, 4, 1.0);
  fill_random(p.Y, (size_t)M * d, 5, 1.2);
  problem_init(&p, world, Pc, set);
  *g = WOW_NEW(double, (size_t)*N * d, "grad");
  const double F = eval_full(&p, p.X, *g);
  if (gnorm) *gnorm = p.gnorm;
  problem_free(&p);
  free(p.X);
  free(p.Y);
  return F;
}

/* Two setups on the same problem: relative difference of F, max |g0 - g1| / max |g0|, and (en, may be
 * NULL) the relative difference of |grad|. */
static void compare_setups(MPI_Comm world, int Pc, const long *sizes, size_t d, long L, const struct mmd_setup *s0,
                           const struct mmd_setup *s1, double *eF, double *eg, double *en)
{
  double *g0, *g1, e = 0, gm = 0, n0, n1;
  long N;
  const double F0 = eval_setup(world, Pc, sizes, d, L, s0, &g0, &N, &n0), F1 = eval_setup(world, Pc, sizes, d, L, s1, &g1, &N, &n1);
  if (en) *en = fabs(n0 - n1) / n0;
  for (size_t i = 0; i < (size_t)N * d; i++) { e = fmax(e, fabs(g0[i] - g1[i])); gm = fmax(gm, fabs(g0[i])); }
  *eF = fabs(F0 - F1) / fabs(F0);
  *eg = e / gm;
  free(g0);
  free(g1);
}

/* run.precision = single against double on a larger case (d = 50, L = 40): F and the gradient
 * agree to float rounding amplified by the sums, 1e-5 relative. */
static void test_single_vs_double(MPI_Comm world, int Pc, const long *sizes)
{
  struct mmd_setup sd = { .estimator = MMD_EXACT, .Q = 10, .seed = 2 }, ss = sd;
  kernel_init(&sd.kernel, "riesz", 0, 1.0);
  ss.kernel = sd.kernel;
  ss.single = 1;
  double eF, eg;
  compare_setups(world, Pc, sizes, 50, 40, &sd, &ss, &eF, &eg, NULL);
  CHECK(eF < 1e-5 && eg < 1e-5, "single vs double: F relative %.3e, gradient relative %.3e", eF, eg);
  if (comm_rank(world) == 0) printf("single vs double precision: F relative %.2e, gradient relative %.2e\n", eF, eg);
}

/* set.float_grad (run.c, bench: the update reads the float gradient): the same F, gradient (the
 * floats widened) and |grad| bits as the widened double gradient, on every grid (eval_full checks
 * that the floats are kept exactly on one direction group). */
static void test_float_grad(MPI_Comm world, int Pc, const long *sizes)
{
  struct mmd_setup s0 = { .estimator = MMD_EXACT, .Q = 10, .seed = 6, .single = 1 }, s1 = s0;
  kernel_init(&s0.kernel, "riesz", 0, 1.0);
  s1.kernel = s0.kernel;
  s1.float_grad = 1;
  double eF, eg, en;
  compare_setups(world, Pc, sizes, 9, 30, &s0, &s1, &eF, &eg, &en);
  CHECK(eF == 0 && eg == 0 && en == 0, "float gradient: F relative difference %.3e, gradient %.3e, |grad| %.3e", eF, eg, en);
}

/* mmd_rows_float_ready: an evaluation after the caller wrote x rounded to float into
 * mmd_rows_float (run.c, bench: as the update writes x) gives the converting evaluation's bits;
 * the copy is really read (junk there changes F), but only for the x it was declared for, only
 * once, and not after mmd_rows_float_ready(m, NULL). */
static void test_rows_float(MPI_Comm world, int Pc, const long *sizes)
{
  const size_t d = 9;
  struct problem p = { .C = 3, .C2 = 2, .d = d, .L = 30, .weights = { 1, 2, 1, 1, 1 } };
  memcpy(p.sizes, sizes, 5 * sizeof *sizes);
  const long N = sizes[0] + sizes[1] + sizes[2], M = sizes[3] + sizes[4];
  p.X = WOW_NEW(double, (size_t)N * d, "X");
  p.Y = WOW_NEW(double, (size_t)M * d, "Y");
  fill_random(p.X, (size_t)N * d, 4, 1.0);
  fill_random(p.Y, (size_t)M * d, 5, 1.2);
  struct mmd_setup set = { .estimator = MMD_EXACT, .Q = 10, .seed = 6, .single = 1, .float_grad = 1 };
  kernel_init(&set.kernel, "riesz", 0, 1.0);
  problem_init(&p, world, Pc, &set);
  double *g0 = WOW_NEW(double, (size_t)N * d, "grad"), *g1 = WOW_NEW(double, (size_t)N * d, "grad");
  double *Xcopy = WOW_NEW(double, (size_t)N * d, "X copy");
  memcpy(Xcopy, p.X, (size_t)N * d * sizeof(double));
  const double F0 = eval_full(&p, p.X, g0);
  float *xf = mmd_rows_float(&p.m);
  CHECK(xf != NULL, "no float copy of the rows in single precision with float_grad");
  const size_t own = (size_t)p.m.ns * d;
  const double *x = own_x(&p, p.X);
  if (xf) {
    for (size_t i = 0; i < own; i++) xf[i] = (float)x[i];
    mmd_rows_float_ready(&p.m, x);
    double F1 = eval_full(&p, p.X, g1);
    CHECK(F1 == F0 && memcmp(g0, g1, (size_t)N * d * sizeof(double)) == 0, "the caller's float copy: F %.17g against %.17g", F1, F0);
    for (size_t i = 0; i < own; i++) xf[i] = 0.25f;
    mmd_rows_float_ready(&p.m, x);
    F1 = eval_full(&p, p.X, g1);
    CHECK(comm_max_double(p.m.ns > 0 ? fabs(F1 - F0) : 0.0, world) > 1e-6 * fabs(F0), "junk in the declared copy did not change F: not read");
    for (int c = 0; c < 3; c++) { /* the declaration is not used: cleared, another x, or already used once */
      for (size_t i = 0; i < own; i++) xf[i] = 0.25f;
      mmd_rows_float_ready(&p.m, x);
      if (c == 0) mmd_rows_float_ready(&p.m, NULL);
      if (c == 2) eval_full(&p, p.X, g1);
      for (size_t i = 0; i < own && c == 2; i++) xf[i] = 0.25f;
      F1 = eval_full(&p, c == 1 ? Xcopy : p.X, g1);
      CHECK(F1 == F0 && memcmp(g0, g1, (size_t)N * d * sizeof(double)) == 0, "case %d: a stale float copy was used (F %.17g, not %.17g)", c, F1, F0);
    }
  }
  problem_free(&p);
  free(p.X); free(p.Y); free(g0); free(g1); free(Xcopy);
}

/* parallel.overlap (gradient all-reduced class by class with MPI_Iallreduce) = the plain path
 * (to rounding: a sum over 3 or more ranks may be ordered differently per message). */
static void test_overlap(MPI_Comm world, int Pc)
{
  struct mmd_setup s0 = { .estimator = MMD_EXACT, .Q = 10, .seed = 3 }, s1 = s0;
  kernel_init(&s0.kernel, "gaussian", 0.8, 1.0);
  s1.kernel = s0.kernel;
  s1.overlap = 1;
  double eF, eg;
  compare_setups(world, Pc, unequal, 7, 30, &s0, &s1, &eF, &eg, NULL);
  CHECK(eF == 0 && eg <= 1e-15, "overlap: F relative difference %.3e, gradient %.3e", eF, eg);
}

/* set.share (the gradient reduce-scattered: each rank holds its share of the rows) = the plain path:
 * the same F, each row the same sum (to rounding over 3 or more ranks), the same |grad|. */
static void test_share(MPI_Comm world, int Pc, const long *sizes)
{
  struct mmd_setup s0 = { .estimator = MMD_EXACT, .Q = 10, .seed = 4 }, s1 = s0;
  kernel_init(&s0.kernel, "riesz", 0, 1.0);
  s1.kernel = s0.kernel;
  s1.share = 1;
  double eF, eg, en;
  compare_setups(world, Pc, sizes, 7, 30, &s0, &s1, &eF, &eg, &en);
  CHECK(eF == 0 && eg <= 1e-15 && en <= 1e-14, "shares: F relative difference %.3e, gradient %.3e, |grad| %.3e", eF, eg, en);
  if (comm_rank(world) == 0) printf("shares against the all-reduce: gradient %.2e, |grad| %.2e relative\n", eg, en);
}

/* d = 2 with many directions (L = 80: at least 2 per point of a cloud on every direction group):
 * the angular sweep (mmd_sort_angular, re-sorting from the previous direction's order, a target's
 * advanced by its flip events) gives the tiled sorts' bits: the same F, gradient and |grad|. */
static void test_angular(MPI_Comm world, int Pc, const long *sizes, enum mmd_estimator est, const char *kernel, double h)
{
  struct mmd_setup s0 = { .estimator = est, .Q = 10, .seed = 6 }, s1;
  kernel_init(&s0.kernel, kernel, h, 1.0);
  s1 = s0;
  s1.plain_sorts = 1;
  struct problem p = { .C = 3, .C2 = 2, .d = 2, .L = 80, .weights = { 1, 2, 1, 1, 1 } };
  memcpy(p.sizes, sizes, 5 * sizeof *sizes);
  problem_init(&p, world, Pc, &s0);
  const int swept = p.m.dir_order != NULL, events = p.m.tsweep != NULL || p.m.t0 == p.m.j1; /* targets here: their flip events */
  problem_free(&p);
  double eF, eg, en;
  compare_setups(world, Pc, sizes, 2, 80, &s0, &s1, &eF, &eg, &en);
  CHECK(swept && events && eF == 0 && eg == 0 && en == 0, "angular sweep (%s, %s, on: %d, target events: %d): F %.3e, gradient %.3e, |grad| %.3e relative",
        kernel, est == MMD_EXACT ? "exact" : "quantile", swept, events, eF, eg, en);
}

/* Classes: x_0 random; target 0 = x_0 + v; target 1 = 1.7 x_0 (scaled about 0); target 2 = x_0
 * with every atom twice; source 1 = x_0 again (identical classes). */
static void test_closed_forms(MPI_Comm world, int Pc)
{
  const long n = 9;
  const size_t d = 4;
  struct problem p = { .C = 2, .C2 = 3, .d = d, .L = 11, .sizes = { 9, 9, 9, 9, 18 }, .weights = { 1, 1, 1, 1, 1 } };
  struct mmd_setup set = { .estimator = MMD_EXACT, .Q = 10, .seed = 1 };
  kernel_init(&set.kernel, "riesz", 0, 1);
  p.X = WOW_NEW(double, 18 * d, "X");
  p.Y = WOW_NEW(double, 36 * d, "Y");
  p.theta = WOW_NEW(double, 11 * d, "theta");
  rng_directions(8, 0, 0, 11, d, p.theta);
  fill_random(p.X, (size_t)n * d, 4, 1.0);
  memcpy(p.X + n * d, p.X, (size_t)n * d * sizeof(double));
  const double v[4] = { 0.3, -1.2, 0.5, 2.0 }, s = 1.7;
  for (long i = 0; i < n; i++)
    for (size_t t = 0; t < d; t++) {
      double x = p.X[i * d + t];
      p.Y[i * d + t] = x + v[t];
      p.Y[(n + i) * d + t] = s * x;
      p.Y[(2 * n + 2 * i) * d + t] = x;
      p.Y[(2 * n + 2 * i + 1) * d + t] = x;
    }
  problem_init(&p, world, Pc, &set);
  double *grad = WOW_NEW(double, 18 * d, "grad");
  double F = eval_full(&p, p.X, grad);
  double S[25];
  mmd_stat_matrix(&p.m, 1, S);
  double trans = 0, scaled = 0;
  for (long l = 0; l < p.L; l++) {
    double dot = 0, sq = 0;
    for (size_t t = 0; t < d; t++) dot += v[t] * p.theta[l * d + t];
    for (long i = 0; i < n; i++) {
      double pr = 0;
      for (size_t t = 0; t < d; t++) pr += p.X[i * d + t] * p.theta[l * d + t];
      sq += pr * pr;
    }
    trans += dot * dot;
    scaled += (1 - s) * (1 - s) * sq / n;
  }
  trans /= p.L;
  scaled /= p.L;
  CHECK(fabs(S[0 * 5 + 2] - trans) < 1e-13 * (1 + trans), "translation: SW2^2 %.17g, closed form %.17g", S[2], trans);
  CHECK(fabs(S[0 * 5 + 3] - scaled) < 1e-13 * (1 + scaled), "scaling: SW2^2 %.17g, closed form %.17g", S[3], scaled);
  CHECK(fabs(S[0 * 5 + 4]) < 1e-15, "replicated atoms: SW2^2 %.3e, expected 0", S[4]);
  CHECK(S[0 * 5 + 1] == 0.0 && S[1 * 5 + 0] == 0.0, "identical classes: SW2^2 %.3e", S[1]);
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 5; j++) CHECK(fabs(S[i * 5 + j] - S[j * 5 + i]) <= 1e-14 * (1 + S[i * 5 + j]), "SW matrix not symmetric at %d %d", i, j);
  /* F from the matrix: 1/2 sum_ij a_i a_j phi(S_ij), a = (w, -v). */
  double Fm = 0;
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 5; j++) {
      double ai = (i < 2 ? 0.5 : -1.0 / 3), aj = (j < 2 ? 0.5 : -1.0 / 3);
      Fm += 0.5 * ai * aj * kernel_phi(&set.kernel, S[i * 5 + j]);
    }
  CHECK(fabs(F - Fm) < 1e-14, "F %.17g, from the SW matrix %.17g", F, Fm);
  int finite = 1;
  for (long i = 0; i < 18 * (long)d; i++) finite &= isfinite(grad[i]);
  CHECK(finite, "identical classes under Riesz: the gradient is not finite");
  free(grad);
  problem_free(&p);
  free(p.X); free(p.Y); free(p.theta);
}

/* The GEMM form equals the loops: random classes of 7 atoms, plus a pair 1e-9 apart (the guard);
 * with dup = 2, classes of different sizes (the merged grid), target 0 holding each atom of source
 * 0 twice (within 1e-9: the same measure, so the guard again).  form: what should run (sizes with
 * too many breakpoints fall back to the loops, which must then agree too; the quantile estimator
 * takes its levels as rows, whatever the sizes). */
enum gram_form { FORM_SORTED, FORM_GRID, FORM_LOOPS, FORM_LEVELS };
static void test_gram_vs_loops(MPI_Comm world, int Pc, const long *sizes, int dup, enum gram_form form)
{
  double F[2], *grad[2], S[2][36];
  const long N = sizes[0] + sizes[1] + sizes[2], M = sizes[3] + sizes[4] + sizes[5];
  for (int loops = 0; loops < 2; loops++) {
    struct problem p = { .C = 3, .C2 = 3, .d = 5, .L = 37, .weights = { 1, 2, 3, 1, 1, 2 } };
    memcpy(p.sizes, sizes, 6 * sizeof *sizes);
    struct mmd_setup set = { .estimator = form == FORM_LEVELS ? MMD_QUANTILE : MMD_EXACT, .Q = 10, .seed = 1, .force_loops = loops };
    kernel_init(&set.kernel, "riesz", 0, 1);
    double levels[37 * 10]; /* 37 directions: blocks of 16, 16 and 5 in pass 2 */
    for (int i = 0; i < 370; i++) levels[i] = fmod(0.137 * i + 0.05, 1.0);
    set.fixed_levels = levels;
    p.X = WOW_NEW(double, (size_t)N * 5, "X");
    p.Y = WOW_NEW(double, (size_t)M * 5, "Y");
    p.theta = WOW_NEW(double, 37 * 5, "theta");
    fill_random(p.X, (size_t)N * 5, 7, 1.0);
    fill_random(p.Y, (size_t)M * 5, 8, 1.0);
    for (long i = 0; i < sizes[0] * dup * 5; i++) /* target 0 within 1e-9 of source 0 */
      p.Y[i] = p.X[(i / (5 * dup)) * 5 + i % 5] + 1e-9 * p.Y[i];
    rng_directions(9, 0, 0, 37, 5, p.theta);
    problem_init(&p, world, Pc, &set);
    CHECK(p.m.gram == (!loops && form != FORM_LOOPS), "the GEMM form was %s", p.m.gram ? "used" : "not used");
    CHECK(loops || (p.m.qg.G > 0) == (form == FORM_GRID), "merged grid of %ld intervals (sizes %ld ...)", p.m.qg.G, sizes[0]);
    CHECK(loops || (p.m.row == 10) == (form == FORM_LEVELS), "rows of %ld values per direction", p.m.row);
    grad[loops] = WOW_NEW(double, (size_t)N * 5, "grad");
    F[loops] = eval_full(&p, p.X, grad[loops]);
    mmd_stat_matrix(&p.m, 1, S[loops]);
    problem_free(&p);
    free(p.X); free(p.Y); free(p.theta);
  }
  double e = 0, gm = 0, se = 0;
  for (long i = 0; i < N * 5; i++) { e = fmax(e, fabs(grad[0][i] - grad[1][i])); gm = fmax(gm, fabs(grad[1][i])); }
  for (int i = 0; i < 36; i++) se = fmax(se, fabs(S[0][i] - S[1][i]) / fmax(S[1][i], 1e-300));
  CHECK(fabs(F[0] - F[1]) <= 1e-12 * fabs(F[1]) && e <= 1e-10 * gm && se <= 1e-8,
        "GEMM form vs loops (sizes %ld ...): F %.17g vs %.17g, gradient %.2e, SW matrix relative %.2e", sizes[0], F[0], F[1], e / gm, se);
  /* (the estimator's linear percentiles do not see a class with every atom twice as the same measure) */
  CHECK((form == FORM_LEVELS && dup > 1) || (S[1][3] > 0 && S[1][3] < 1e-15), "the near-identical pair: SW2^2 = %.3e", S[1][3]);
  static const char *names[] = { "equal sizes", "merged grid", "grid too long: loops", "quantile levels" };
  if (comm_rank(world) == 0)
    printf("GEMM form vs loops (%s%s): gradient %.2e relative, SW matrix %.2e relative (source 0 - target 0: %.3e)\n", names[form],
           form == FORM_LEVELS && dup > 1 ? ", different sizes" : "", e / gm, se, S[1][3]);
  free(grad[0]);
  free(grad[1]);
}

static double normal_quantile(double u)
{
  double lo = -10, hi = 10;
  for (int it = 0; it < 200; it++) {
    double mid = 0.5 * (lo + hi);
    if (0.5 * erfc(-mid / sqrt(2.0)) < u) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/* d = 1: SW_2^2 = W_2^2 = (m1 - m2)^2 + (s1 - s2)^2 between N(0, 1) and N(1, 4), on quantile points
 * (n = 3000 and m = 2000: unequal sizes); the discretisation error is below 1e-3. */
static void test_gaussian_1d(MPI_Comm world, int Pc)
{
  struct problem p = { .C = 1, .C2 = 1, .d = 1, .L = 3, .sizes = { 3000, 2000 }, .weights = { 1, 1 } };
  struct mmd_setup set = { .estimator = MMD_EXACT, .Q = 10, .seed = 1 };
  kernel_init(&set.kernel, "gaussian", 1.0, 1);
  p.X = WOW_NEW(double, 3000, "X");
  p.Y = WOW_NEW(double, 2000, "Y");
  p.theta = WOW_NEW(double, 3, "theta");
  p.theta[0] = 1; p.theta[1] = -1; p.theta[2] = 1;
  for (int i = 0; i < 3000; i++) p.X[i] = normal_quantile((i + 0.5) / 3000);
  for (int i = 0; i < 2000; i++) p.Y[i] = 1 + 2 * normal_quantile((i + 0.5) / 2000);
  problem_init(&p, world, Pc, &set);
  eval_full(&p, p.X, NULL);
  double S[4];
  mmd_stat_matrix(&p.m, 1, S);
  CHECK(fabs(S[1] - 2.0) < 1e-3, "1D Gaussians: W2^2 %.6f, closed form 2", S[1]);
  problem_free(&p);
  free(p.X); free(p.Y); free(p.theta);
}

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  MPI_Comm world = MPI_COMM_WORLD;
  comm_set_error_handler(world);
  int Pc = argc > 1 ? atoi(argv[1]) : 0;
  const char *kernels[] = { "riesz", "gaussian", "laplace", "imq" };
  const double hs[] = { 0, 0.7, 0.8, 0.5 };
  for (int k = 0; k < 4; k++)
    for (int e = 0; e < 2; e++) test_fd(world, Pc, kernels[k], hs[k], 1.0, e ? MMD_QUANTILE : MMD_EXACT, 0, unequal, 0);
  test_fd(world, Pc, "riesz", 0, 1.5, MMD_EXACT, 0, unequal, 0);
  test_fd(world, Pc, "riesz", 0, 1.0, MMD_EXACT, 3, unequal, 0);
  test_fd(world, Pc, "gaussian", 0.7, 1.0, MMD_QUANTILE, 3, unequal, 0);
  for (int k = 0; k < 4; k++) test_fd(world, Pc, kernels[k], hs[k], 1.0, MMD_EXACT, 0, equal, 0); /* GEMM form (not laplace) */
  test_fd(world, Pc, "riesz", 0, 1.0, MMD_EXACT, 4, equal, 0);                                     /* batches of 4 < 6: merged grid */
  /* run.precision = single: differences with a step of 1e-3 (float rounding) need a smooth F: the
   * quantile estimator (the exact plan changes where points cross) */
  test_fd(world, Pc, "gaussian", 0.7, 1.0, MMD_QUANTILE, 0, equal, FD_SINGLE);
  test_fd(world, Pc, "riesz", 0, 1.0, MMD_EXACT, 0, equal, FD_SHARE);   /* each rank's share of the rows */
  test_fd(world, Pc, "gaussian", 0.7, 1.0, MMD_EXACT, 0, unequal, FD_SHARE);
  test_single_vs_double(world, Pc, unequal);
  test_single_vs_double(world, Pc, equal); /* GEMM form */
  test_float_grad(world, Pc, unequal);
  test_float_grad(world, Pc, equal);
  test_rows_float(world, Pc, unequal);
  test_rows_float(world, Pc, equal);
  test_overlap(world, Pc);
  test_share(world, Pc, unequal);
  test_share(world, Pc, equal);
  static const long sizes7[6] = { 7, 7, 7, 7, 7, 7 }, three[6] = { 7, 5, 7, 14, 7, 5 }, six[6] = { 7, 5, 9, 14, 8, 6 };
  test_gram_vs_loops(world, Pc, sizes7, 1, FORM_SORTED);
  test_gram_vs_loops(world, Pc, three, 2, FORM_GRID);  /* sizes 5, 7, 14: 18 intervals */
  test_gram_vs_loops(world, Pc, six, 2, FORM_LOOPS);   /* six sizes: 36 intervals > 4 x 49 / 6 */
  test_gram_vs_loops(world, Pc, sizes7, 1, FORM_LEVELS);
  test_gram_vs_loops(world, Pc, six, 2, FORM_LEVELS);
  test_angular(world, Pc, equal, MMD_EXACT, "riesz", 0);      /* Gram form, summed in the sorts */
  test_angular(world, Pc, unequal, MMD_EXACT, "gaussian", 0.7); /* merged grid */
  test_angular(world, Pc, unequal, MMD_QUANTILE, "imq", 0.5);
  test_angular(world, Pc, equal, MMD_EXACT, "laplace", 0.8);    /* SW_1: loops */
  test_closed_forms(world, Pc);
  test_gaussian_1d(world, Pc);
  int total = (int)comm_sum_long(failures, world);
  if (comm_rank(world) == 0) printf("%s: %d failure(s) on %d rank(s)\n", total ? "FAILED" : "passed", total, comm_size(world));
  MPI_Finalize();
  return total ? 1 : 0;
}
