/* test_baseline.c -- the baselines (baseline.h) on any rank count (ctest: 1 to 4 ranks):
 *   - gradients of mmd_product (direct and sliced sums, with noise) and of otdd (scaling and log
 *     domain Sinkhorn) against central
 *     differences of F in every coordinate of a few points: features, label means, covariances;
 *   - the same F and gradient on the world communicator as on one rank (MPI_COMM_SELF), to
 *     rounding (GEMM blocking, sums over ranks; Sinkhorn's iterations amplify it to ~1e-13);
 *   - Sinkhorn: one point against one point (F = 1: the mean-scaled cost), and n x n uniform
 *     clouds against the brute-force assignment LP: LP <= F <= LP + eps log n;
 *   - Bures-Wasserstein 2 x 2: commuting closed form, rotation invariance, gradient by differences. */
#include <config.h>
#include "baseline.h"
#include "comm.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

struct data {
  size_t d;
  int C, C2;
  long ns[8], nt[8], N, M;
  double *x, *y;
};

static void data_make(struct data *D, size_t d, int C, int C2, const long *ns, const long *nt, uint64_t seed)
{
  memset(D, 0, sizeof *D);
  D->d = d; D->C = C; D->C2 = C2;
  for (int c = 0; c < C; c++) { D->ns[c] = ns[c]; D->N += ns[c]; }
  for (int k = 0; k < C2; k++) { D->nt[k] = nt[k]; D->M += nt[k]; }
  D->x = malloc((size_t)D->N * d * sizeof(double));
  D->y = malloc((size_t)D->M * d * sizeof(double));
  rng_normals(seed, 77, 0, 0, 0, (size_t)D->N * d, D->x);
  rng_normals(seed, 77, 1, 0, 0, (size_t)D->M * d, D->y);
  long row = 0; /* class structure: shift every class */
  for (int c = 0; c < C; c++, row += ns[c - 1])
    for (long i = row; i < row + ns[c]; i++) D->x[(size_t)i * d + (size_t)c % d] += 2.0 * c;
  row = 0;
  for (int k = 0; k < C2; k++, row += nt[k - 1])
    for (long i = row; i < row + nt[k]; i++) D->y[(size_t)i * d + (size_t)(k + 1) % d] += 1.5 * k + 0.5;
}

static void data_free(struct data *D) { free(D->x); free(D->y); }

static void bl_make(struct baseline *b, const struct baseline_setup *set, const struct data *D, MPI_Comm comm)
{
  char err[256];
  int rc = baseline_init(b, set, comm, D->x, D->ns, D->C, D->y, D->nt, D->C2, D->d, err, sizeof err);
  CHECK(rc == 0, "baseline_init: %s", err);
}

static double F_at(struct baseline *b, long step, const double *x)
{
  struct mmd_result res;
  baseline_eval(b, step, x, &res);
  return res.F;
}

/* Central differences in x and in the embedding of points 0, N/2 and N-1, every coordinate. */
static void check_fd(const char *name, const struct baseline_setup *set, const struct data *D, double h, double tol, MPI_Comm comm)
{
  struct baseline b;
  bl_make(&b, set, D, comm);
  const size_t d = D->d;
  const long N = D->N, pts[3] = { 0, N / 2, N - 1 };
  double *x = malloc((size_t)N * d * sizeof *x), worst = 0;
  memcpy(x, D->x, (size_t)N * d * sizeof *x);
  struct mmd_result res;
  baseline_eval(&b, 3, x, &res);
  double *gx = malloc((size_t)N * d * sizeof *gx), *ge = malloc((size_t)N * BL_E * sizeof *ge);
  memcpy(gx, b.gx, (size_t)N * d * sizeof *gx);
  memcpy(ge, b.ge, (size_t)N * BL_E * sizeof *ge);
  for (int p = 0; p < 3; p++)
    for (size_t t = 0; t < d + BL_E; t++) {
      double *v = t < d ? &x[(size_t)pts[p] * d + t] : &b.e[(size_t)pts[p] * BL_E + (t - d)], v0 = *v;
      *v = v0 + h;
      const double fp = F_at(&b, 3, x);
      *v = v0 - h;
      const double fm = F_at(&b, 3, x);
      *v = v0;
      const double fd = (double)N * (fp - fm) / (2 * h), g = t < d ? gx[(size_t)pts[p] * d + t] : ge[(size_t)pts[p] * BL_E + (t - d)];
      const double e = fabs(fd - g) / (1e-3 + fabs(g));
      if (e > worst) worst = e;
      CHECK(e < tol, "%s: point %ld coordinate %zu: N dF/dz by differences %.10g, gradient %.10g", name, pts[p], t, fd, g);
    }
  char extra[64] = "";
  if (set->method == BL_OTDD) snprintf(extra, sizeof extra, "; Sinkhorn iterations %ld", b.sinkhorn_iters);
  if (comm_rank(MPI_COMM_WORLD) == 0)
    printf("%s: F %.6g, |grad| %.4g, worst relative difference to FD %.2e%s\n", name, res.F, res.grad_norm, worst, extra);
  free(x); free(gx); free(ge);
  baseline_free(&b);
}

/* F and gradient on comm against MPI_COMM_SELF (F is a sum over ranks: rounding, 1e-15). */
static void check_ranks(const char *name, const struct baseline_setup *set, const struct data *D, double tol, MPI_Comm comm)
{
  struct baseline a, s;
  bl_make(&a, set, D, comm);
  bl_make(&s, set, D, MPI_COMM_SELF);
  struct mmd_result ra, rs;
  baseline_eval(&a, 5, D->x, &ra);
  baseline_eval(&s, 5, D->x, &rs);
  const double eF = fabs(ra.F - rs.F) / fabs(rs.F);
  double e = 0, scale = 0;
  CHECK(eF <= fmax(tol, 1e-15), "%s: F on %d ranks vs 1 rank: relative difference %.3g", name, comm_size(comm), eF);
  for (size_t i = 0; i < (size_t)D->N * D->d; i++) scale = fmax(scale, fabs(s.gx[i]));
  for (size_t i = 0; i < (size_t)D->N * D->d; i++) e = fmax(e, fabs(a.gx[i] - s.gx[i]) / scale);
  for (size_t i = 0; i < (size_t)D->N * BL_E; i++) e = fmax(e, fabs(a.ge[i] - s.ge[i]) / scale);
  CHECK(e <= tol, "%s: gradient on %d ranks vs 1 rank: relative difference %.3g > %.3g", name, comm_size(comm), e, tol);
  if (comm_rank(comm) == 0) printf("%s: %d ranks vs 1: F relative difference %.2e, gradient %.2e\n", name, comm_size(comm), eF, e);
  baseline_free(&a);
  baseline_free(&s);
}

static void check_bw(void)
{
  const double A[4] = { 2, 0, 0, 0.5 }, B[4] = { 0.3, 0, 0, 4 };
  const double ref = pow(sqrt(2) - sqrt(0.3), 2) + pow(sqrt(0.5) - 2, 2);
  CHECK(fabs(baseline_bw2(A, B, NULL) - ref) < 1e-14, "BW commuting: %.16g vs %.16g", baseline_bw2(A, B, NULL), ref);
  /* rotate both: R A R^T */
  const double c = cos(0.7), s = sin(0.7), R[4] = { c, -s, s, c };
  double RA[4], RB[4];
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++) {
      RA[2 * i + j] = RB[2 * i + j] = 0;
      for (int k = 0; k < 2; k++) {
        RA[2 * i + j] += R[2 * i + k] * A[2 * k + k] * R[2 * j + k];
        RB[2 * i + j] += R[2 * i + k] * B[2 * k + k] * R[2 * j + k];
      }
    }
  CHECK(fabs(baseline_bw2(RA, B, NULL) - baseline_bw2(A, RB, NULL)) < 1e-13, "BW rotation invariance");
  CHECK(fabs(baseline_bw2(RA, RB, NULL) - ref) < 1e-13, "BW of rotated commuting pair");
  double g[4];
  baseline_bw2(RA, B, g);
  for (int k = 0; k < 4; k++) {
    double P[4], M[4], h = 1e-6;
    memcpy(P, RA, sizeof P);
    memcpy(M, RA, sizeof M);
    P[k] += h;
    M[k] -= h;
    const double fd = (baseline_bw2(P, B, NULL) - baseline_bw2(M, B, NULL)) / (2 * h);
    CHECK(fabs(fd - g[k]) < 1e-8, "BW gradient entry %d: fd %.10g grad %.10g", k, fd, g[k]);
  }
}

static double lp_min(const double *C, int n, int *perm, int k)
{
  if (k == n) {
    double s = 0;
    for (int i = 0; i < n; i++) s += C[i * n + perm[i]] / n;
    return s;
  }
  double best = INFINITY;
  for (int i = k; i < n; i++) {
    int t = perm[k]; perm[k] = perm[i]; perm[i] = t;
    best = fmin(best, lp_min(C, n, perm, k + 1));
    t = perm[k]; perm[k] = perm[i]; perm[i] = t;
  }
  return best;
}

static void check_sinkhorn(MPI_Comm comm)
{
  struct baseline_setup set = { .method = BL_OTDD, .eps = 0.05, .tol = 1e-12, .iters = 20000, .lr = 1e-3, .wd = 1e-4, .seed = 1 };
  struct data D;
  const long one = 1;
  data_make(&D, 3, 1, 1, &one, &one, 5);
  struct baseline b;
  bl_make(&b, &set, &D, comm);
  const double F = F_at(&b, 0, D.x);
  CHECK(fabs(F - 1.0) < 1e-12, "Sinkhorn one point to one point: F %.15g, expected 1 (the mean-scaled cost)", F);
  baseline_free(&b);
  data_free(&D);
  /* 5 x 5 uniform: the entropic cost lies between the assignment LP and LP + eps log n */
  const long ones[5] = { 1, 1, 1, 1, 1 };
  data_make(&D, 4, 5, 5, ones, ones, 6);
  for (int k = 0; k < 2; k++) {
    set.eps = k ? 0.002 : 0.05;
    bl_make(&b, &set, &D, comm);
    const double Fe = F_at(&b, 0, D.x);
    double C[25], mean = 0;
    for (int i = 0; i < 5; i++)
      for (int j = 0; j < 5; j++) {
        double c = 0;
        for (size_t t = 0; t < 4; t++) c += pow(D.x[i * 4 + t] - D.y[j * 4 + t], 2);
        const double *ei = b.e + i * BL_E, *ej = b.ey + j * BL_E;
        c += pow(ei[0] - ej[0], 2) + pow(ei[1] - ej[1], 2) + baseline_bw2(ei + 2, ej + 2, NULL);
        C[i * 5 + j] = c;
        mean += c / 25;
      }
    for (int i = 0; i < 25; i++) C[i] /= mean;
    int perm[5] = { 0, 1, 2, 3, 4 };
    const double lp = lp_min(C, 5, perm, 0);
    CHECK(Fe >= lp - 1e-10 && Fe <= lp + set.eps * log(5.0) + 1e-10, "Sinkhorn eps %g: F %.12g outside [LP %.12g, LP + eps log 5]", set.eps, Fe, lp);
    if (comm_rank(MPI_COMM_WORLD) == 0) printf("sinkhorn eps %g: F %.10g, assignment LP %.10g, bound %.10g (%ld iterations, row error %.2e)\n", set.eps, Fe, lp, lp + set.eps * log(5.0), b.sinkhorn_iters, b.sinkhorn_err);
    baseline_free(&b);
  }
  data_free(&D);
}

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  MPI_Comm world = MPI_COMM_WORLD;
  comm_set_error_handler(world);
  check_bw();
  check_sinkhorn(MPI_COMM_SELF); /* closed forms: serial (the distributed iteration is checked below) */
  struct data D;
  const long ns[3] = { 5, 7, 4 }, nt[2] = { 6, 3 };
  data_make(&D, 4, 3, 2, ns, nt, 3);
  struct baseline_setup mp = { .method = BL_MMD_PRODUCT, .h = 3, .hm = 2, .hs = 5, .noise = 0.01, .lr = 1, .beta = 0.9, .seed = 9 };
  check_fd("mmd_product direct", &mp, &D, 1e-5, 1e-6, world);
  check_ranks("mmd_product direct", &mp, &D, 1e-15, world); /* rows: GEMM blocking differs by row count */
  mp.sliced = 1;
  mp.ortho = 1;
  mp.L = 40;
  mp.fks_order = 12; /* a grid fine enough that differences see the gradient, not the interpolation */
  mp.fks_ppw = 24;
  check_fd("mmd_product sliced", &mp, &D, 1e-5, 1e-5, world);
  check_ranks("mmd_product sliced", &mp, &D, 1e-13, world);
  struct baseline_setup ot = { .method = BL_OTDD, .eps = 0.05, .tol = 1e-13, .iters = 100000, .lr = 1e-3, .wd = 1e-4, .seed = 1 };
  check_fd("otdd", &ot, &D, 1e-5, 1e-5, world);
  check_ranks("otdd", &ot, &D, 1e-12, world);
  ot.force_log = 1; /* the log-domain iteration (used when exp(-C / eps) would underflow) */
  check_fd("otdd log domain", &ot, &D, 1e-5, 1e-5, MPI_COMM_SELF); /* differences: serial; ranks: next line */
  check_ranks("otdd log domain", &ot, &D, 1e-12, world);
  data_free(&D);
  const int bad = (int)comm_sum_long(failures, world);
  if (comm_rank(world) == 0) printf("%s: %d failures\n", bad ? "FAILED" : "passed", bad);
  MPI_Finalize();
  return bad ? 1 : 0;
}
