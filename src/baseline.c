/* baseline.c -- the product-kernel MMD flow and the OTDD flow (see baseline.h). */
#include <config.h>
#include "baseline.h"
#include "comm.h"
#include "mem.h"
#include "rng.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a, const int *lda, const double *vl,
             const double *vu, const int *il, const int *iu, const double *abstol, int *m, double *w, double *z, const int *ldz,
             int *isuppz, double *work, const int *lwork, int *iwork, const int *liwork, int *info);

/* ------------------------------------------------------------------ label embedding */

/* V (2 x d): the two leading principal directions of the rows of x and y (sign: largest entry
 * positive); mu: their mean.  d = 1: the second direction is zero.  0, or -1 (LAPACK failed). */
static int bl_pca(const double *x, long N, const double *y, long M, size_t d, double *V, double *mu)
{
  const long T = N + M;
  memset(mu, 0, d * sizeof *mu);
  memset(V, 0, 2 * d * sizeof *V);
  for (long i = 0; i < T; i++) {
    const double *r = i < N ? x + (size_t)i * d : y + (size_t)(i - N) * d;
    for (size_t t = 0; t < d; t++) mu[t] += r[t] / (double)T;
  }
  if (d == 1) { V[0] = 1; return 0; }
  double *Z = WOW_NEW(double, (size_t)T * d, "PCA data"), *A = WOW_ZNEW(double, d * d, "PCA covariance");
  for (long i = 0; i < T; i++) {
    const double *r = i < N ? x + (size_t)i * d : y + (size_t)(i - N) * d;
    for (size_t t = 0; t < d; t++) Z[(size_t)i * d + t] = r[t] - mu[t];
  }
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)T, 1.0 / (double)(T > 1 ? T - 1 : 1), Z, (int)d, 0.0, A, (int)d);
  free(Z);
  const int n = (int)d, il = n - 1, iu = n;
  int m = 0, info = 0, lwork = -1, liwork = -1, iwq;
  double wq, vl = 0, vu = 0, abstol = 0, w[2] = { 0, 0 };
  double *zv = WOW_NEW(double, 2 * d, "PCA vectors");
  int *isuppz = WOW_NEW(int, 4, "PCA support");
  /* row-major upper = column-major lower */
  dsyevr_("V", "I", "L", &n, A, &n, &vl, &vu, &il, &iu, &abstol, &m, w, zv, &n, isuppz, &wq, &lwork, &iwq, &liwork, &info);
  lwork = (int)wq;
  liwork = iwq;
  double *work = WOW_NEW(double, lwork, "PCA work");
  int *iwork = WOW_NEW(int, liwork, "PCA work");
  dsyevr_("V", "I", "L", &n, A, &n, &vl, &vu, &il, &iu, &abstol, &m, w, zv, &n, isuppz, work, &lwork, iwork, &liwork, &info);
  for (int k = 0; k < 2 && info == 0 && m == 2; k++) { /* ascending: the leading vector is the second */
    const double *v = zv + (size_t)(1 - k) * d;
    size_t big = 0;
    for (size_t t = 1; t < d; t++)
      if (fabs(v[t]) > fabs(v[big])) big = t;
    const double sg = v[big] < 0 ? -1.0 : 1.0;
    for (size_t t = 0; t < d; t++) V[(size_t)k * d + t] = sg * v[t];
  }
  free(work); free(iwork); free(zv); free(isuppz); free(A);
  return info == 0 && m == 2 ? 0 : -1;
}

/* e (n x 6) for rows grouped in classes of sizes sz: the class mean and covariance (ddof 1; I for
 * a class of fewer than 2 points) of the PCA coordinates. */
static void bl_embed(const double *x, const long *sz, int C, size_t d, const double *V, const double *mu, double *e)
{
  long row = 0;
  for (int c = 0; c < C; c++) {
    double *u = WOW_NEW(double, 2 * (size_t)sz[c] + 2, "PCA coordinates"), m[2] = { 0, 0 }, S[4] = { 0, 0, 0, 0 };
    for (long i = 0; i < sz[c]; i++)
      for (int k = 0; k < 2; k++) {
        double a = 0;
        for (size_t t = 0; t < d; t++) a += V[(size_t)k * d + t] * (x[(size_t)(row + i) * d + t] - mu[t]);
        u[2 * i + k] = a;
        m[k] += a / (double)sz[c];
      }
    for (long i = 0; i < sz[c]; i++)
      for (int k = 0; k < 2; k++)
        for (int l = 0; l < 2; l++) S[2 * k + l] += (u[2 * i + k] - m[k]) * (u[2 * i + l] - m[l]) / (double)(sz[c] > 1 ? sz[c] - 1 : 1);
    if (sz[c] < 2) { S[0] = S[3] = 1; S[1] = S[2] = 0; }
    for (long i = 0; i < sz[c]; i++) {
      double *r = e + (size_t)(row + i) * BL_E;
      r[0] = m[0]; r[1] = m[1];
      memcpy(r + 2, S, sizeof S);
    }
    row += sz[c];
    free(u);
  }
}

/* ------------------------------------------------------------------ setup */

static void bl_split(long n, int size, int rank, long *r0, long *r1)
{
  *r0 = n * rank / size;
  *r1 = n * (rank + 1) / size;
}

int baseline_init(struct baseline *b, const struct baseline_setup *set, MPI_Comm comm, const double *x, const long *ns, int C,
                  const double *y, const long *nt, int C2, size_t d, char *err, size_t len)
{
  memset(b, 0, sizeof *b);
  b->set = *set;
  b->comm = comm;
  b->rank = comm_rank(comm);
  b->size = comm_size(comm);
  b->d = d;
  b->y = y;
  for (int c = 0; c < C; c++) b->N += ns[c];
  for (int k = 0; k < C2; k++) b->M += nt[k];
  const long N = b->N, M = b->M, T = N + M;
  const size_t D = d + BL_E;
  b->e = WOW_NEW(double, (size_t)N * BL_E, "embedding");
  b->ve = WOW_ZNEW(double, (size_t)N * BL_E, "embedding velocity");
  b->ey = WOW_NEW(double, (size_t)M * BL_E, "target embedding");
  b->gx = WOW_ZNEW(double, (size_t)N * d, "gradient");
  b->ge = WOW_ZNEW(double, (size_t)N * BL_E, "embedding gradient");
  double *V = WOW_NEW(double, 2 * d, "PCA"), *mu = WOW_NEW(double, d, "PCA mean");
  int rc = bl_pca(x, N, y, M, d, V, mu);
  bl_embed(x, ns, C, d, V, mu, b->e);
  bl_embed(y, nt, C2, d, V, mu, b->ey);
  free(V);
  free(mu);
  if (rc) return snprintf(err, len, "the PCA of the label embedding failed (LAPACK dsyevr)"), -1;
  b->cnt = WOW_NEW(int, b->size, "gather counts");
  b->dsp = WOW_NEW(int, b->size, "gather displacements");
  b->cnte = WOW_NEW(int, b->size, "gather counts");
  b->dspe = WOW_NEW(int, b->size, "gather displacements");
  if (set->method == BL_MMD_PRODUCT) {
    struct fks_opts o = { FKS_GAUSSIAN, 1.0, set->fks_order, set->fks_ppw };
    if (fks_init(&b->fks, &o, D, err, len)) return -1;
    b->z = WOW_NEW(double, (size_t)T * D, "scaled points");
    b->w = WOW_NEW(double, T, "weights");
    b->s = WOW_NEW(double, T, "kernel sums");
    b->g = WOW_ZNEW(double, (size_t)T * D, "kernel gradient sums");
    b->tmp = WOW_NEW(double, D, "noise");
    for (long i = 0; i < T; i++) b->w[i] = i < N ? 1.0 / (double)N : -1.0 / (double)M;
    b->scale[0] = 1.0 / sqrt(set->h);
    b->scale[1] = 1.0 / sqrt(set->hm);
    b->scale[2] = 1.0 / sqrt(set->hs);
    if (set->sliced) b->theta = WOW_NEW(double, (size_t)set->L * D, "directions");
    bl_split(T, b->size, b->rank, &b->r0, &b->r1);
    for (int p = 0; p < b->size; p++) {
      long a, z;
      bl_split(T, b->size, p, &a, &z);
      b->cnt[p] = (int)((z - a) * (long)D);
      b->dsp[p] = (int)(a * (long)D);
    }
  } else {
    bl_split(N, b->size, b->rank, &b->r0, &b->r1);
    const long nr = b->r1 - b->r0;
    for (int p = 0; p < b->size; p++) { /* gradient rows: features (d wide) and embedding (6 wide) */
      long a, z;
      bl_split(N, b->size, p, &a, &z);
      b->cnt[p] = (int)((z - a) * (long)d);
      b->dsp[p] = (int)(a * (long)d);
      b->cnte[p] = (int)((z - a) * BL_E);
      b->dspe[p] = (int)(a * BL_E);
    }
    b->cost = WOW_NEW(double, (size_t)nr * (size_t)M + 1, "cost rows");
    b->f = WOW_ZNEW(double, nr + 1, "row potentials");
    b->gpot = WOW_ZNEW(double, M, "column potentials");
    b->tmp = WOW_NEW(double, 2 * (size_t)M + (size_t)nr + 1, "column sums");
    b->kmat = WOW_NEW(double, (size_t)nr * (size_t)M + 1, "Sinkhorn kernel rows");
    b->s = WOW_NEW(double, (size_t)N + (size_t)M, "norms");
    b->a2x = WOW_ZNEW(double, (size_t)N * d, "Adam second moments");
    b->a2e = WOW_ZNEW(double, (size_t)N * BL_E, "Adam second moments");
  }
  return 0;
}

void baseline_free(struct baseline *b)
{
  if (b->set.method == BL_MMD_PRODUCT) fks_free(&b->fks);
  free(b->e); free(b->ve); free(b->ey); free(b->a2x); free(b->a2e); free(b->gx); free(b->ge);
  free(b->z); free(b->w); free(b->s); free(b->g); free(b->theta); free(b->cost); free(b->kmat); free(b->f); free(b->gpot); free(b->tmp);
  free(b->cnt); free(b->dsp); free(b->cnte); free(b->dspe);
  memset(b, 0, sizeof *b);
}

/* ------------------------------------------------------------------ Bures-Wasserstein (2 x 2) */

/* BW^2 = tr S1 + tr S2 - 2 sqrt(u), u = tr(S1 S2) + 2 sqrt(det S1 det S2) (the trace of the
 * square root of S1^1/2 S2 S1^1/2 for 2 x 2 matrices).  Clamped for matrices that left the cone. */
double baseline_bw2(const double *A, const double *B, double *grad)
{
  const double tr12 = A[0] * B[0] + A[1] * B[2] + A[2] * B[1] + A[3] * B[3];
  const double dA = A[0] * A[3] - A[1] * A[2], dB = B[0] * B[3] - B[1] * B[2];
  const double q = sqrt(fmax(dA * dB, 0.0)), u = fmax(tr12 + 2.0 * q, 0.0), su = sqrt(u);
  if (grad) {
    const double cof[4] = { A[3], -A[2], -A[1], A[0] }, r = q > 0 ? dB / q : 0.0;
    for (int k = 0; k < 4; k++) {
      const double du = B[(k % 2) * 2 + k / 2] + r * cof[k]; /* d tr(AB)/dA_kl = B_lk */
      grad[k] = (k == 0 || k == 3 ? 1.0 : 0.0) - (su > 0 ? du / su : 0.0);
    }
  }
  return A[0] + A[3] + B[0] + B[3] - 2.0 * su;
}

/* ------------------------------------------------------------------ mmd_product */

static void bl_mmd_points(struct baseline *b, long step)
{
  const size_t d = b->d, D = d + BL_E;
  const double sx = b->scale[0], sm = b->scale[1], ss = b->scale[2], nz = b->set.noise;
  for (long i = 0; i < b->N + b->M; i++) {
    const int src = i < b->N;
    const double *xr = src ? b->z + (size_t)i * D : b->y + (size_t)(i - b->N) * d; /* sources: x already copied in */
    const double *er = src ? b->e + (size_t)i * BL_E : b->ey + (size_t)(i - b->N) * BL_E;
    double *zr = b->z + (size_t)i * D;
    if (src && nz > 0) rng_normals(b->set.seed, RNG_NOISE, (uint64_t)step, (uint64_t)i, 0, D, b->tmp);
    for (size_t t = 0; t < D; t++) {
      const double v = t < d ? xr[t] : er[t - d], sc = t < d ? sx : t < d + 2 ? sm : ss;
      zr[t] = sc * (v + (src && nz > 0 ? nz * b->tmp[t] : 0.0));
    }
  }
}

static double bl_mmd_eval(struct baseline *b, long step, const double *x)
{
  const long N = b->N, M = b->M, T = N + M;
  const size_t d = b->d, D = d + BL_E;
  for (long i = 0; i < N; i++) memcpy(b->z + (size_t)i * D, x + (size_t)i * d, d * sizeof *x);
  bl_mmd_points(b, step);
  double F = 0;
  if (!b->set.sliced) {
    const long nr = b->r1 - b->r0;
    fks_direct(&b->fks, b->z + (size_t)b->r0 * D, nr, b->z, b->w, T, b->s + b->r0, b->g + (size_t)b->r0 * D);
    for (long i = b->r0; i < b->r1; i++) F += 0.5 * (i < N ? b->s[i] / (double)N : -b->s[i] / (double)M);
    F = comm_sum_double(F, b->comm);
    comm_allgatherv_doubles(b->g + (size_t)b->r0 * D, b->g, b->cnt, b->dsp, b->comm);
  } else {
    long l0, l1;
    bl_split(b->set.L, b->size, b->rank, &l0, &l1);
    fks_directions(&b->fks, b->set.seed, step, b->set.L, b->set.ortho, b->theta);
    memset(b->s, 0, (size_t)T * sizeof *b->s);
    memset(b->g, 0, (size_t)T * D * sizeof *b->g);
    if (fks_sliced(&b->fks, b->theta + (size_t)l0 * D, l1 - l0, b->set.L, b->z, T, b->z, b->w, T, b->s, b->g))
      wow_fail_all(b->comm, "mmd_product: the projected points span more than %ld FFT grid cells (or are not finite): "
                            "lower step.lr, or use baseline.sums = direct", b->fks.gmax);
    comm_sum_doubles(b->s, (size_t)T, b->comm);
    comm_sum_doubles(b->g, (size_t)N * D, b->comm);
    for (long i = 0; i < T; i++) F += 0.5 * (i < N ? b->s[i] / (double)N : -b->s[i] / (double)M);
  }
  /* d F / d z_i = g_i / N in the scaled coordinates; times N, back to the raw ones */
  const double sx = b->scale[0], sm = b->scale[1], ss = b->scale[2];
  for (long i = 0; i < N; i++)
    for (size_t t = 0; t < D; t++) {
      const double v = b->g[(size_t)i * D + t];
      if (t < d) b->gx[(size_t)i * d + t] = sx * v;
      else b->ge[(size_t)i * BL_E + (t - d)] = (t < d + 2 ? sm : ss) * v;
    }
  return F;
}

/* ------------------------------------------------------------------ otdd */

/* Own cost rows |x_i - y_j|^2 + |m_i - m_j|^2 + BW^2(S_i, S_j); returns the global mean. */
static double bl_cost(struct baseline *b, const double *x)
{
  const long M = b->M, nr = b->r1 - b->r0;
  const size_t d = b->d;
  double *nx = b->s, *ny = b->s + b->N, sum = 0;
  for (long i = b->r0; i < b->r1; i++) nx[i] = cblas_ddot((int)d, x + (size_t)i * d, 1, x + (size_t)i * d, 1);
  for (long j = 0; j < M; j++) ny[j] = cblas_ddot((int)d, b->y + (size_t)j * d, 1, b->y + (size_t)j * d, 1);
  if (nr > 0)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nr, (int)M, (int)d, -2.0, x + (size_t)b->r0 * d, (int)d, b->y, (int)d,
                0.0, b->cost, (int)M);
  for (long i = 0; i < nr; i++) {
    const double *ei = b->e + (size_t)(b->r0 + i) * BL_E;
    for (long j = 0; j < M; j++) {
      const double *ej = b->ey + (size_t)j * BL_E, dm0 = ei[0] - ej[0], dm1 = ei[1] - ej[1];
      double c = b->cost[(size_t)i * M + j] + nx[b->r0 + i] + ny[j];
      c = fmax(c, 0.0) + dm0 * dm0 + dm1 * dm1 + fmax(baseline_bw2(ei + 2, ej + 2, NULL), 0.0);
      b->cost[(size_t)i * M + j] = c;
      sum += c;
    }
  }
  return comm_sum_double(sum, b->comm) / ((double)b->N * (double)M);
}

/* Sinkhorn in the scaling domain, u = a / (K v), v = b / (K^T u) with K = exp(-C / (s eps)) made
 * once: matrix-vector products instead of exponentials.  Used when no entry of K underflows (then
 * it is the log-domain iteration in other variables); leaves the potentials f = eps log(u / a),
 * g = eps log(v / b) in b->f, b->gpot.  Returns the iterations. */
static long bl_sinkhorn_scaling(struct baseline *b, double ic, double *err)
{
  const long M = b->M, nr = b->r1 - b->r0;
  const double eps = b->set.eps, a = 1.0 / (double)b->N, bw = 1.0 / (double)M;
  double *K = b->kmat, *u = b->f, *v = b->gpot, *Kv = b->tmp, *KTu = b->tmp + M + nr;
  for (size_t i = 0; i < (size_t)nr * (size_t)M; i++) K[i] = exp(-b->cost[i] * ic);
  for (long j = 0; j < M; j++) v[j] = 1.0;
  long it;
  *err = INFINITY;
  for (it = 0; it < b->set.iters; it++) {
    if (nr > 0) cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)nr, (int)M, 1.0, K, (int)M, v, 1, 0.0, Kv, 1);
    for (long i = 0; i < nr; i++) u[i] = a / Kv[i];
    if (nr > 0) cblas_dgemv(CblasRowMajor, CblasTrans, (int)nr, (int)M, 1.0, K, (int)M, u, 1, 0.0, KTu, 1);
    else memset(KTu, 0, (size_t)M * sizeof *KTu);
    comm_sum_doubles(KTu, (size_t)M, b->comm);
    for (long j = 0; j < M; j++) v[j] = bw / KTu[j];
    if (it % 5 == 4 || it == b->set.iters - 1) { /* columns are exact now; rows: L1 error */
      if (nr > 0) cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)nr, (int)M, 1.0, K, (int)M, v, 1, 0.0, Kv, 1);
      double e = 0;
      for (long i = 0; i < nr; i++) e += fabs(u[i] * Kv[i] - a);
      *err = comm_sum_double(e, b->comm);
      if (*err < b->set.tol) { it++; break; }
    }
  }
  for (long i = 0; i < nr; i++) u[i] = eps * log(u[i] / a);
  for (long j = 0; j < M; j++) v[j] = eps * log(v[j] / bw);
  return it;
}

/* Sinkhorn on the own rows of cost / scale (scaling domain when exp(-C/(s eps)) cannot underflow,
 * log domain otherwise); returns the dual objective. */
static double bl_sinkhorn(struct baseline *b, double scale)
{
  const long M = b->M, nr = b->r1 - b->r0;
  const double eps = b->set.eps, la = -log((double)b->N), lb = -log((double)M), ic = 1.0 / (scale * eps);
  double *cmax = b->tmp, *csum = b->tmp + M, *f = b->f, *g = b->gpot, err = INFINITY;
  double cm = 0;
  for (size_t i = 0; i < (size_t)nr * (size_t)M; i++) cm = fmax(cm, b->cost[i] * ic);
  long it = 0;
  if (!b->set.force_log && comm_max_double(cm, b->comm) < 600.0) { /* exp(-600) = 2.6e-261: no underflow */
    it = bl_sinkhorn_scaling(b, ic, &err);
    goto done;
  }
  memset(f, 0, (size_t)nr * sizeof *f);
  memset(g, 0, (size_t)M * sizeof *g);
  for (it = 0; it < b->set.iters; it++) {
    for (long i = 0; i < nr; i++) { /* f_i = -eps LSE_j (log b + (g_j - C_ij) / eps) */
      const double *c = b->cost + (size_t)i * M;
      double mx = -INFINITY, s = 0;
      for (long j = 0; j < M; j++) mx = fmax(mx, g[j] / eps - c[j] * ic);
      for (long j = 0; j < M; j++) s += exp(g[j] / eps - c[j] * ic - mx);
      f[i] = -eps * (lb + mx + log(s));
    }
    for (long j = 0; j < M; j++) cmax[j] = -INFINITY;
    for (long i = 0; i < nr; i++)
      for (long j = 0; j < M; j++) cmax[j] = fmax(cmax[j], f[i] / eps - b->cost[(size_t)i * M + j] * ic);
    comm_max_doubles(cmax, (size_t)M, b->comm);
    memset(csum, 0, (size_t)M * sizeof *csum);
    for (long i = 0; i < nr; i++)
      for (long j = 0; j < M; j++) csum[j] += exp(f[i] / eps - b->cost[(size_t)i * M + j] * ic - cmax[j]);
    comm_sum_doubles(csum, (size_t)M, b->comm);
    for (long j = 0; j < M; j++) g[j] = -eps * (la + cmax[j] + log(csum[j]));
    if (it % 5 == 4 || it == b->set.iters - 1) { /* columns are exact now; rows: L1 error */
      double e = 0;
      for (long i = 0; i < nr; i++) {
        double s = 0;
        for (long j = 0; j < M; j++) s += exp(la + lb + (f[i] + g[j]) / eps - b->cost[(size_t)i * M + j] * ic);
        e += fabs(s - exp(la));
      }
      err = comm_sum_double(e, b->comm);
      if (err < b->set.tol) { it++; break; }
    }
  }
done:
  b->sinkhorn_iters = it;
  b->sinkhorn_total += it;
  b->sinkhorn_calls++;
  b->sinkhorn_err = err;
  double F = 0;
  for (long i = 0; i < nr; i++) F += exp(la) * f[i];
  F = comm_sum_double(F, b->comm);
  for (long j = 0; j < M; j++) F += exp(lb) * g[j];
  return F;
}

static double bl_otdd_eval(struct baseline *b, const double *x)
{
  const long N = b->N, M = b->M, nr = b->r1 - b->r0;
  const size_t d = b->d;
  double scale = bl_cost(b, x);
  if (!(scale > 0)) scale = 1.0;
  const double F = bl_sinkhorn(b, scale), eps = b->set.eps, la = -log((double)N), lb = -log((double)M), ic = 1.0 / (scale * eps);
  double T = 0; /* <P, C> */
  for (long i = 0; i < nr; i++)
    for (long j = 0; j < M; j++) {
      double *c = b->cost + (size_t)i * M + j;
      const double P = exp(la + lb + (b->f[i] + b->gpot[j]) / eps - *c * ic);
      T += P * *c;
      *c = P; /* the plan replaces the cost */
    }
  T = comm_sum_double(T, b->comm);
  /* dF/dC_ij = P_ij / s - T / (s^2 N M)  (s = mean cost); times N */
  const double k0 = (double)N / scale, k1 = (double)N * T / (scale * scale * (double)N * (double)M);
  double *gx = b->gx + (size_t)b->r0 * d, *ge = b->ge + (size_t)b->r0 * BL_E, gb[4];
  for (long i = 0; i < nr; i++) {
    const double *ei = b->e + (size_t)(b->r0 + i) * BL_E;
    double rs = 0, *gei = ge + (size_t)i * BL_E;
    memset(gei, 0, BL_E * sizeof *gei);
    for (long j = 0; j < M; j++) {
      double *c = b->cost + (size_t)i * M + j;
      const double a = k0 * *c - k1, *ej = b->ey + (size_t)j * BL_E;
      *c = 2.0 * a;
      rs += 2.0 * a;
      gei[0] += 2.0 * a * (ei[0] - ej[0]);
      gei[1] += 2.0 * a * (ei[1] - ej[1]);
      baseline_bw2(ei + 2, ej + 2, gb);
      for (int k = 0; k < 4; k++) gei[2 + k] += a * gb[k];
    }
    for (size_t t = 0; t < d; t++) gx[(size_t)i * d + t] = rs * x[(size_t)(b->r0 + i) * d + t];
  }
  if (nr > 0)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nr, (int)d, (int)M, -1.0, b->cost, (int)M, b->y, (int)d, 1.0, gx, (int)d);
  comm_allgatherv_doubles(gx, b->gx, b->cnt, b->dsp, b->comm);
  comm_allgatherv_doubles(ge, b->ge, b->cnte, b->dspe, b->comm);
  return F;
}

/* ------------------------------------------------------------------ steps */

void baseline_eval(struct baseline *b, long step, const double *x, struct mmd_result *res)
{
  const double F = b->set.method == BL_MMD_PRODUCT ? bl_mmd_eval(b, step, x) : bl_otdd_eval(b, x);
  double g2 = 0;
  for (size_t i = 0; i < (size_t)b->N * b->d; i++) g2 += b->gx[i] * b->gx[i];
  for (size_t i = 0; i < (size_t)b->N * BL_E; i++) g2 += b->ge[i] * b->ge[i];
  res->F = F;
  res->grad_norm = sqrt(g2 / (double)b->N);
  res->nonfinite = !isfinite(F) || !isfinite(g2);
}

static void bl_adamw(double *p, double *m1, double *m2, const double *g, size_t n, long t, double lr, double wd)
{
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8, c1 = 1.0 - pow(b1, (double)t), c2 = 1.0 - pow(b2, (double)t);
  for (size_t i = 0; i < n; i++) {
    m1[i] = b1 * m1[i] + (1.0 - b1) * g[i];
    m2[i] = b2 * m2[i] + (1.0 - b2) * g[i] * g[i];
    p[i] -= lr * ((m1[i] / c1) / (sqrt(m2[i] / c2) + eps) + wd * p[i]);
  }
}

void baseline_update(struct baseline *b, long step, double *x, double *vx)
{
  const size_t n = (size_t)b->N * b->d;
  const double lr = b->set.lr, beta = b->set.beta;
  if (b->set.method == BL_OTDD) { /* optax.adamw defaults: b1 0.9, b2 0.999, eps 1e-8 */
    bl_adamw(x, vx, b->a2x, b->gx, n, step + 1, lr, b->set.wd);
    bl_adamw(b->e, b->ve, b->a2e, b->ge, (size_t)b->N * BL_E, step + 1, lr, b->set.wd);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    vx[i] = b->gx[i] + beta * vx[i];
    x[i] -= lr * vx[i];
  }
  for (long i = 0; i < b->N; i++) {
    double *e = b->e + (size_t)i * BL_E, *v = b->ve + (size_t)i * BL_E;
    const double *g = b->ge + (size_t)i * BL_E;
    for (int k = 0; k < 2; k++) {
      v[k] = g[k] + beta * v[k];
      e[k] -= lr * v[k];
    }
    /* S <- (I + A) S (I + A), A = -2 lr sym(g_S) */
    const double A[4] = { 1 - 2 * lr * g[2], -lr * (g[3] + g[4]), -lr * (g[3] + g[4]), 1 - 2 * lr * g[5] };
    double *S = e + 2, t[4];
    for (int r = 0; r < 2; r++)
      for (int c = 0; c < 2; c++) t[2 * r + c] = A[2 * r] * S[c] + A[2 * r + 1] * S[2 + c];
    for (int r = 0; r < 2; r++)
      for (int c = 0; c < 2; c++) S[2 * r + c] = t[2 * r] * A[c] + t[2 * r + 1] * A[2 + c];
  }
}
