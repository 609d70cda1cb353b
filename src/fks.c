/* fks.c -- direct and sliced kernel sums (see fks.h). */
#include <config.h>
#include "fks.h"
#include "comm.h"
#include "mem.h"
#include "rng.h"
#include "sort1d.h"

#include <cblas.h>
#include <complex.h>
#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FKS_GRID_MAX (1L << 22)

/* ------------------------------------------------------------------ the 1D kernel */

/* log of the (unnormalised) spectral density of f at w >= 0, relative to its peak. */
static double fks_logrho(const struct fks *f, double w)
{
  const double s2 = f->o.s2, dm1 = (double)f->d - 1.0;
  if (f->d == 1) return -0.5 * s2 * w * w;
  if (w <= 0) return -INFINITY;
  return dm1 * log(w / f->wpeak) - 0.5 * s2 * (w * w - f->wpeak * f->wpeak);
}

/* Trapezoid nodes over the band fine enough for |t| <= tmax (the integrand decays fast at both
 * ends, or is even at w = 0 for d = 1, so the rule converges spectrally). */
static long fks_nodes(const struct fks *f, double tmax)
{
  const double delta = M_PI / (tmax + 20.0 * sqrt(f->o.s2));
  return (long)ceil((f->whi - f->wlo) / delta) + 1;
}

/* f(t) = int rho(w) cos(w t) dw / int rho,  f'(t) = -int rho(w) w sin(w t) dw / int rho. */
static void fks_quad(const struct fks *f, const double *t, long nt, double *val, double *der)
{
  double tmax = 0;
  for (long k = 0; k < nt; k++) tmax = fmax(tmax, fabs(t[k]));
  const long nq = fks_nodes(f, tmax);
  const double dw = (f->whi - f->wlo) / (double)(nq - 1);
  double *rho = WOW_NEW(double, nq, "kernel quadrature"), norm = 0;
  for (long q = 0; q < nq; q++) {
    rho[q] = exp(fks_logrho(f, f->wlo + dw * (double)q)) * (q == 0 || q == nq - 1 ? 0.5 : 1.0);
    norm += rho[q];
  }
  for (long k = 0; k < nt; k++) {
    double a = 0, b = 0;
    for (long q = 0; q < nq; q++) {
      const double w = f->wlo + dw * (double)q;
      a += rho[q] * cos(w * t[k]);
      b -= rho[q] * w * sin(w * t[k]);
    }
    val[k] = a / norm;
    if (der) der[k] = b / norm;
  }
  free(rho);
}

double fks_f1d(const struct fks *f, double t, double *df)
{
  if (f->o.kernel == FKS_RIESZ) {
    if (df) *df = t > 0 ? -1.0 / f->cd : t < 0 ? 1.0 / f->cd : 0.0;
    return -fabs(t) / f->cd;
  }
  double v, d;
  fks_quad(f, &t, 1, &v, &d);
  if (df) *df = d;
  return v;
}

/* Samples f(k h), f'(k h) for k < n, made in chunks of FKS_CHUNK whose quadrature depends only on
 * the chunk: the values never depend on the order in which sizes were asked for (restarts). */
#define FKS_CHUNK 4096
static void fks_samples(struct fks *f, long n)
{
  if (n <= f->nsamp) return;
  const long have = f->nsamp, want = (n + FKS_CHUNK - 1) / FKS_CHUNK * FKS_CHUNK;
  f->fs = wow_realloc(f->fs, (size_t)want, sizeof(double), "kernel samples");
  f->fds = wow_realloc(f->fds, (size_t)want, sizeof(double), "kernel samples");
  double *t = WOW_NEW(double, FKS_CHUNK, "kernel samples");
  for (long c0 = have; c0 < want; c0 += FKS_CHUNK) {
    for (long k = 0; k < FKS_CHUNK; k++) t[k] = f->h * (double)(c0 + k);
    fks_quad(f, t, FKS_CHUNK, f->fs + c0, f->fds + c0);
  }
  f->nsamp = want;
  free(t);
}

/* ------------------------------------------------------------------ setup */

/* Barycentric weights of Lagrange interpolation on the nodes 0 .. o-1. */
static void fks_bary(int o, double *bary)
{
  for (int k = 0; k < o; k++) {
    double den = 1;
    for (int j = 0; j < o; j++)
      if (j != k) den *= (double)(k - j);
    bary[k] = 1.0 / den;
  }
}

int fks_init(struct fks *f, const struct fks_opts *o, size_t d, char *err, size_t len)
{
  memset(f, 0, sizeof *f);
  f->o = *o;
  f->d = d;
  if (!f->o.order) f->o.order = 8;
  if (f->o.ppw <= 0) f->o.ppw = 12;
  if (d < 1) return snprintf(err, len, "dimension must be at least 1"), -1;
  if (f->o.order < 2 || f->o.order > 16 || f->o.order % 2)
    return snprintf(err, len, "interpolation order %d: must be even, 2 to 16", f->o.order), -1;
  if (f->o.kernel == FKS_GAUSSIAN && !(f->o.s2 > 0 && isfinite(f->o.s2)))
    return snprintf(err, len, "Gaussian kernel variance %g: must be positive", f->o.s2), -1;
  f->cd = exp(lgamma(0.5 * (double)d) - lgamma(0.5 * ((double)d + 1.0))) / sqrt(M_PI);
  const double sd = f->o.kernel == FKS_GAUSSIAN ? sqrt(f->o.s2) : 1.0;
  f->wpeak = sqrt((double)d - 1.0) / sd;      /* the mode of w^(d-1) exp(-s2 w^2/2) */
  f->wlo = fmax(0.0, f->wpeak - 9.0 / sd);     /* 9 / sd: beyond 12 standard deviations of the band */
  f->whi = f->wpeak + 9.0 / sd;
  f->h = 2.0 * M_PI / (f->whi * f->o.ppw);
  f->gmax = FKS_GRID_MAX;
  fks_bary(f->o.order, f->bary);
  return 0;
}

void fks_free(struct fks *f)
{
  for (int i = 0; i < f->nplan; i++) {
    struct fks_plan *p = &f->plan[i];
    fftw_destroy_plan((fftw_plan)p->fwd);
    fftw_destroy_plan((fftw_plan)p->bwd);
    fftw_free(p->in); fftw_free(p->out); fftw_free(p->spec); fftw_free(p->kf); fftw_free(p->kd); fftw_free(p->wc);
  }
  free(f->fs); free(f->fds); free(f->pp); free(f->pq); free(f->A); free(f->s1);
  free(f->norms); free(f->dblock); free(f->qr);
  free(f->sortv); free(f->cw); free(f->cwq); free(f->perm);
  sort1d_work_free(&f->sw);
  memset(f, 0, sizeof *f);
}

/* The plan and kernel spectra for FFT length nf (made on first use). */
static struct fks_plan *fks_plan_for(struct fks *f, int nf)
{
  for (int i = 0; i < f->nplan; i++)
    if (f->plan[i].nf == nf) return &f->plan[i];
  if (f->nplan == FKS_MAX_SIZES) /* cannot happen: powers of two up to 2 FKS_GRID_MAX */
    wow_fail("kernel sums: more than %d FFT sizes", FKS_MAX_SIZES);
  struct fks_plan *p = &f->plan[f->nplan++];
  const int nh = nf / 2 + 1;
  p->nf = nf;
  p->in = fftw_malloc(sizeof(double) * (size_t)nf);
  p->out = fftw_malloc(sizeof(double) * (size_t)nf);
  p->spec = fftw_malloc(sizeof(fftw_complex) * (size_t)nh);
  p->kf = fftw_malloc(sizeof(fftw_complex) * (size_t)nh);
  p->kd = fftw_malloc(sizeof(fftw_complex) * (size_t)nh);
  p->wc = fftw_malloc(sizeof(fftw_complex) * (size_t)nh);
  if (!p->in || !p->out || !p->spec || !p->kf || !p->kd || !p->wc) wow_fail("out of memory for the FFT buffers of length %d (kernel sums)", nf);
  p->fwd = fftw_plan_dft_r2c_1d(nf, p->in, p->spec, FFTW_ESTIMATE);
  p->bwd = fftw_plan_dft_c2r_1d(nf, p->spec, p->out, FFTW_ESTIMATE);
  fks_samples(f, nf / 2 + 1);
  for (int pass = 0; pass < 2; pass++) { /* f is even, f' odd; samples placed circularly */
    const double *smp = pass ? f->fds : f->fs, sgn = pass ? -1.0 : 1.0;
    for (int k = 0; k < nf; k++) p->in[k] = k <= nf / 2 ? smp[k] : sgn * smp[nf - k];
    fftw_execute_dft_r2c((fftw_plan)p->fwd, p->in, pass ? p->kd : p->kf);
    fftw_complex *K = pass ? p->kd : p->kf;
    for (int k = 0; k < nh; k++) K[k] /= (double)nf; /* c2r(r2c(x)) = nf x */
  }
  return p;
}

/* ------------------------------------------------------------------ work buffers */

/* Buffers for n evaluation points, m weighted points and Lb directions (grown, never shrunk). */
static void fks_reserve(struct fks *f, long n, long m, long Lb)
{
  if ((size_t)n <= f->cap_n && (size_t)m <= f->cap_m && (size_t)Lb <= f->cap_l && f->cw) return;
  const size_t nn = (size_t)n > f->cap_n ? (size_t)n : f->cap_n, mm = (size_t)m > f->cap_m ? (size_t)m : f->cap_m;
  const size_t ll = (size_t)Lb > f->cap_l ? (size_t)Lb : f->cap_l;
  f->pp = wow_realloc(f->pp, nn * ll + 1, sizeof(double), "projections");
  f->A = wow_realloc(f->A, nn * ll + 1, sizeof(double), "1D derivative sums");
  f->s1 = wow_realloc(f->s1, nn + 1, sizeof(double), "1D sums");
  f->pq = wow_realloc(f->pq, mm * ll + 1, sizeof(double), "projections");
  f->sortv = wow_realloc(f->sortv, mm + 1, sizeof(double), "sorted projections");
  f->cw = wow_realloc(f->cw, mm + 1, sizeof(double), "prefix sums");
  f->cwq = wow_realloc(f->cwq, mm + 1, sizeof(double), "prefix sums");
  f->perm = wow_realloc(f->perm, mm + 1, sizeof(int), "sort permutation");
  if (mm > f->cap_m || !f->sw.cap) {
    sort1d_work_free(&f->sw);
    sort1d_work_init(&f->sw, mm + 1);
  }
  f->cap_n = nn;
  f->cap_m = mm;
  f->cap_l = ll;
}

/* ------------------------------------------------------------------ 1D sums */

/* Lagrange weights of the `o` nodes a0 .. a0+o-1 at grid coordinate u; returns a0.  Barycentric
 * form: l_k(x) = b_k / (x - k) * prod_j (x - j), b_k = 1 / prod_{j != k} (k - j) (bary). */
static long fks_lagrange(double u, int o, const double *bary, double *wt)
{
  const long a0 = (long)floor(u) - o / 2 + 1;
  const double x = u - (double)a0;
  double prod = 1;
  for (int j = 0; j < o; j++) prod *= x - (double)j;
  if (prod == 0) { /* on a node */
    for (int k = 0; k < o; k++) wt[k] = x == (double)k ? 1.0 : 0.0;
    return a0;
  }
  for (int k = 0; k < o; k++) wt[k] = prod * bary[k] / (x - (double)k);
  return a0;
}

static int fks_sum1d_grid(struct fks *f, const double *p, long n, const double *q, const double *w, long m, double *s, double *ds)
{
  const int o = f->o.order;
  double lo = INFINITY, hi = -INFINITY, wt[16];
  int bad = 0;
  for (long i = 0; i < n; i++) { lo = fmin(lo, p[i]); hi = fmax(hi, p[i]); bad |= isnan(p[i]); }
  for (long j = 0; j < m; j++) { lo = fmin(lo, q[j]); hi = fmax(hi, q[j]); bad |= isnan(q[j]); }
  if (bad || !(hi - lo < (double)f->gmax * f->h)) return -1;
  const long G = (long)ceil((hi - lo) / f->h) + o + 2;
  int nf = 64;
  while (nf < 2 * G) nf *= 2;
  struct fks_plan *pl = fks_plan_for(f, nf);
  const double g0 = lo - (double)(o / 2) * f->h, ih = 1.0 / f->h, *bary = f->bary;
  memset(pl->in, 0, sizeof(double) * (size_t)nf);
  for (long j = 0; j < m; j++) { /* spread */
    const long a0 = fks_lagrange((q[j] - g0) * ih, o, bary, wt);
    for (int k = 0; k < o; k++) pl->in[a0 + k] += w[j] * wt[k];
  }
  fftw_execute_dft_r2c((fftw_plan)pl->fwd, pl->in, pl->spec);
  fftw_complex *W = pl->spec, *Wc = pl->wc, *K[2] = { pl->kf, pl->kd };
  memcpy(Wc, W, sizeof(fftw_complex) * (size_t)(nf / 2 + 1));
  for (int k = 0; k <= nf / 2; k++) W[k] = Wc[k] * K[1][k]; /* convolve with f' ... */
  fftw_execute_dft_c2r((fftw_plan)pl->bwd, W, pl->in);
  for (int k = 0; k <= nf / 2; k++) W[k] = Wc[k] * K[0][k]; /* ... and with f */
  fftw_execute_dft_c2r((fftw_plan)pl->bwd, W, pl->out);
  for (long i = 0; i < n; i++) { /* interpolate both back */
    const long a0 = fks_lagrange((p[i] - g0) * ih, o, bary, wt);
    double a = 0, b = 0;
    for (int k = 0; k < o; k++) {
      a += wt[k] * pl->out[a0 + k];
      b += wt[k] * pl->in[a0 + k];
    }
    s[i] = a;
    ds[i] = b;
  }
  return 0;
}

/* Riesz: f(t) = -|t| / c_d; with q sorted, sum_j w_j |p - q_j| = p (Wlt - Wgt) - (Qlt - Qgt). */
static int fks_sum1d_sorted(struct fks *f, const double *p, long n, const double *q, const double *w, long m, double *s, double *ds)
{
  fks_reserve(f, 0, m, 0);
  if (sort1d(q, (size_t)m, f->sortv, f->perm, &f->sw)) return -1;
  double *cw = f->cw, *cq = f->cwq;
  cw[0] = cq[0] = 0;
  for (long r = 0; r < m; r++) {
    const double wr = w[f->perm[r]];
    cw[r + 1] = cw[r] + wr;
    cq[r + 1] = cq[r] + wr * f->sortv[r];
  }
  const double Wt = cw[m], Qt = cq[m], ic = 1.0 / f->cd;
  for (long i = 0; i < n; i++) {
    long a = 0, b = m; /* a = #{q < p} */
    while (a < b) { long mid = (a + b) / 2; if (f->sortv[mid] < p[i]) a = mid + 1; else b = mid; }
    long e = a, c = m; /* e = #{q <= p} */
    while (e < c) { long mid = (e + c) / 2; if (f->sortv[mid] <= p[i]) e = mid + 1; else c = mid; }
    const double wl = cw[a], ql = cq[a], wg = Wt - cw[e], qg = Qt - cq[e];
    s[i] = -ic * (p[i] * (wl - wg) - (ql - qg));
    ds[i] = -ic * (wl - wg);
  }
  return 0;
}

int fks_sum1d(struct fks *f, const double *p, long n, const double *q, const double *w, long m, double *s, double *ds)
{
  if (f->o.kernel == FKS_RIESZ) return fks_sum1d_sorted(f, p, n, q, w, m, s, ds);
  return fks_sum1d_grid(f, p, n, q, w, m, s, ds);
}

void fks_sum1d_direct(const struct fks *f, const double *p, long n, const double *q, const double *w, long m, double *s, double *ds)
{
  for (long i = 0; i < n; i++) {
    double a = 0, b = 0, df;
    for (long j = 0; j < m; j++) {
      a += w[j] * fks_f1d(f, p[i] - q[j], &df);
      b += w[j] * df;
    }
    s[i] = a;
    ds[i] = b;
  }
}

/* ------------------------------------------------------------------ d-dimensional sums */

enum { FKS_BX = 64, FKS_BY = 256 };

/* k = phi(r2), c = 2 w phi'(r2) (so that grad_x w k = c (x - y)). */
static void fks_pair(const struct fks *f, double r2, double w, double *k, double *c)
{
  if (f->o.kernel == FKS_GAUSSIAN) {
    const double e = exp(-0.5 * r2 / f->o.s2);
    *k = e;
    *c = -w * e / f->o.s2;
  } else {
    const double r = sqrt(r2);
    *k = -r;
    *c = r > 0 ? -w / r : 0.0;
  }
}

void fks_direct(struct fks *f, const double *x, long n, const double *y, const double *w, long m, double *s, double *g)
{
  const size_t d = f->d;
  if ((size_t)(n + m) > f->cap_norm || !f->dblock) { /* grown once, kept */
    f->cap_norm = (size_t)(n + m);
    f->norms = wow_realloc(f->norms, f->cap_norm + 1, sizeof(double), "norms");
    if (!f->dblock) f->dblock = WOW_NEW(double, (size_t)FKS_BX * FKS_BY, "distance block");
  }
  double *D = f->dblock, *nx = f->norms, *ny = f->norms + n;
  for (long i = 0; i < n; i++) nx[i] = cblas_ddot((int)d, x + (size_t)i * d, 1, x + (size_t)i * d, 1);
  for (long j = 0; j < m; j++) ny[j] = cblas_ddot((int)d, y + (size_t)j * d, 1, y + (size_t)j * d, 1);
  if (s) memset(s, 0, sizeof(double) * (size_t)n);
  if (g) memset(g, 0, sizeof(double) * (size_t)n * d);
  for (long i0 = 0; i0 < n; i0 += FKS_BX) {
    const long bx = n - i0 < FKS_BX ? n - i0 : FKS_BX;
    for (long j0 = 0; j0 < m; j0 += FKS_BY) {
      const long by = m - j0 < FKS_BY ? m - j0 : FKS_BY;
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)bx, (int)by, (int)d, 1.0, x + (size_t)i0 * d, (int)d,
                  y + (size_t)j0 * d, (int)d, 0.0, D, FKS_BY);
      for (long i = 0; i < bx; i++) {
        double rs = 0, ks = 0;
        for (long j = 0; j < by; j++) {
          const double xx = nx[i0 + i], yy = ny[j0 + j];
          double r2 = xx + yy - 2.0 * D[i * FKS_BY + j], k, c;
          if (r2 < 1e-4 * (xx + yy)) { /* too close for the Gram form (error eps (xx + yy) / r): difference first */
            r2 = 0;
            for (size_t t = 0; t < d; t++) {
              const double e = x[(size_t)(i0 + i) * d + t] - y[(size_t)(j0 + j) * d + t];
              r2 += e * e;
            }
          }
          fks_pair(f, r2, w[j0 + j], &k, &c);
          ks += w[j0 + j] * k;
          rs += c;
          D[i * FKS_BY + j] = c;
        }
        if (s) s[i0 + i] += ks;
        if (g) cblas_daxpy((int)d, rs, x + (size_t)(i0 + i) * d, 1, g + (size_t)(i0 + i) * d, 1);
      }
      if (g)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)bx, (int)d, (int)by, -1.0, D, FKS_BY, y + (size_t)j0 * d, (int)d,
                    1.0, g + (size_t)i0 * d, (int)d);
    }
  }
}

int fks_sliced(struct fks *f, const double *theta, long Lb, long L, const double *x, long n, const double *y, const double *w,
               long m, double *s, double *g)
{
  const int d = (int)f->d;
  if (Lb <= 0) return 0;
  fks_reserve(f, n, m, Lb);
  if (n) cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)Lb, (int)n, d, 1.0, theta, d, x, d, 0.0, f->pp, (int)n);
  if (m) cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)Lb, (int)m, d, 1.0, theta, d, y, d, 0.0, f->pq, (int)m);
  const double iL = 1.0 / (double)L;
  int rc = 0;
  for (long l = 0; l < Lb && !rc; l++) {
    rc = fks_sum1d(f, f->pp + (size_t)l * n, n, f->pq + (size_t)l * m, w, m, f->s1, f->A + (size_t)l * n);
    if (s)
      for (long i = 0; i < n; i++) s[i] += iL * f->s1[i];
  }
  if (rc) return rc;
  if (g && n) cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)n, d, (int)Lb, iL, f->A, (int)n, theta, d, 1.0, g, d);
  return 0;
}

/* ------------------------------------------------------------------ directions */

void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work, const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda, const double *tau, double *work, const int *lwork,
             int *info);

void fks_directions(struct fks *f, uint64_t seed, long step, long L, int ortho, double *theta)
{
  const size_t d = f->d;
  rng_directions(seed, (uint64_t)step, 0, (size_t)L, d, theta);
  if (!ortho || d < 2) return;
  const int m = (int)d;
  int lwork = -1, info = 0;
  if (!f->qr) { /* workspace: tau, the diagonal of R, LAPACK's work (made once) */
    double q;
    dgeqrf_(&m, &m, theta, &m, f->qr_tau_dummy, &q, &lwork, &info); /* workspace query */
    f->qr_lwork = (int)q + 64 * m;
    f->qr = WOW_NEW(double, 2 * d + (size_t)f->qr_lwork, "QR work");
  }
  double *tau = f->qr, *diag = f->qr + d, *work = f->qr + 2 * d;
  lwork = f->qr_lwork;
  for (long b0 = 0; b0 < L; b0 += (long)d) {
    /* rows b0 .. b0+nb-1 (row-major nb x d) are the columns of a column-major d x nb matrix */
    int nb = (int)(L - b0 < (long)d ? L - b0 : (long)d);
    double *a = theta + (size_t)b0 * d;
    dgeqrf_(&m, &nb, a, &m, tau, work, &lwork, &info);
    for (int k = 0; k < nb; k++) diag[k] = a[(size_t)k * d + (size_t)k];
    dorgqr_(&m, &nb, &nb, a, &m, tau, work, &lwork, &info);
    for (int k = 0; k < nb; k++) /* Q R with a positive diagonal: a Haar-random frame */
      if (diag[k] < 0)
        for (size_t t = 0; t < d; t++) a[(size_t)k * d + t] = -a[(size_t)k * d + t];
  }
}
