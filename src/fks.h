/* fks.h -- kernel sums between point sets (the particle-level baselines of issue 9).
 *
 * For evaluation points x_i (n x d) and weighted points y_j (m x d, weights w_j):
 *     s_i = sum_j w_j k(x_i, y_j),      g_i = sum_j w_j grad_x k(x_i, y_j)
 * for the Gaussian kernel k = exp(-|x - y|^2 / (2 s2)) and the Riesz kernel k = -|x - y|.
 *
 * Direct path (fks_direct): blocked dgemm for the pairwise squared distances, then the kernel;
 * exact up to rounding, O(n m d).  Riesz pairs closer than the Gram form can resolve are redone
 * difference-first.  The reference for the sliced path.
 *
 * Sliced path (fks_sliced): k(x, y) = E_theta f(<theta, x - y>) for theta uniform on the sphere,
 * with the 1D kernel f whose average over directions is k (Hertrich 2024):
 *   Gaussian: f has spectrum ~ |w|^(d-1) exp(-s2 w^2 / 2) (not a Gaussian unless d = 1); its
 *             samples are made once by quadrature; the 1D sums per direction are done on a
 *             regular grid: spread by Lagrange interpolation, convolve with samples of f and f'
 *             by FFTW (r2c / c2r, zero padded), interpolate back.  O(n + m + G log G) per direction.
 *   Riesz:    f(t) = -|t| / c_d, c_d = E|theta_1|; the 1D sums by sorting (exact), O((n+m) log).
 * With L directions drawn by the caller, fks_sliced adds the contribution of its Lb directions
 * scaled by 1/L, so ranks that split the directions sum their parts.  Projections and the
 * back-projection of the 1D derivative sums are dgemms.
 *
 * FFTW plans (FFTW_ESTIMATE: the same algorithm in every run, so restarts are bitwise) and the
 * kernel spectra are made once per FFT size (powers of two) and reused.  Buffers grow on first use
 * and are kept: steps of the same sizes allocate nothing.  Local (no communication; out of memory
 * ends the job through wow_fail, as every allocation does). */
#ifndef WOW_FKS_H
#define WOW_FKS_H

#include "sort1d.h"

#include <stddef.h>
#include <stdint.h>

enum fks_kernel { FKS_GAUSSIAN, FKS_RIESZ };

struct fks_opts {
  enum fks_kernel kernel;
  double s2;     /* Gaussian: k = exp(-r^2 / (2 s2)) */
  int order;     /* Lagrange interpolation points (even, 2..16); 0: 8 */
  double ppw;    /* grid points per period of the highest frequency of f; 0: 12 */
};

#define FKS_MAX_SIZES 24

struct fks_plan {
  int nf;                  /* FFT length */
  void *fwd, *bwd;         /* fftw_plan */
  double *in, *out;        /* nf real buffers (fftw_malloc) */
  void *spec, *kf, *kd, *wc; /* nf/2+1 complex: work, spectra of the f and f' samples, a copy */
};

struct fks {
  struct fks_opts o;
  size_t d;
  double h;                /* grid spacing (Gaussian) */
  double bary[16];         /* barycentric Lagrange weights of the order */
  double wpeak, wlo, whi;  /* the band of f's spectrum */
  double cd;               /* Riesz: E|theta_1| */
  long nsamp;              /* samples f(k h), f'(k h) for k < nsamp */
  double *fs, *fds;
  struct fks_plan plan[FKS_MAX_SIZES];
  int nplan;
  long gmax;               /* largest grid allowed */
  /* work, grown on demand */
  size_t cap_n, cap_m, cap_l;
  double *pp, *pq, *A, *s1, *sortv, *cw, *cwq;
  double *norms, *dblock;  /* direct path: squared norms, one distance block */
  size_t cap_norm;
  double *qr;              /* fks_directions: QR workspace */
  double qr_tau_dummy[1];
  int qr_lwork;
  int *perm;
  struct sort1d_work sw;
};

/* Returns 0, or -1 with a reason (bad options). */
int fks_init(struct fks *f, const struct fks_opts *o, size_t d, char *err, size_t len);
void fks_free(struct fks *f);

/* The 1D kernel and its derivative at t, evaluated by quadrature (slow; tests and sampling). */
double fks_f1d(const struct fks *f, double t, double *df);

/* 1D sums: s_i = sum_j w_j f(p_i - q_j), ds_i = sum_j w_j f'(p_i - q_j) (overwritten).
 * Returns 0, or -1 when the points span more grid cells than allowed (gmax). */
int fks_sum1d(struct fks *f, const double *p, long n, const double *q, const double *w, long m, double *s, double *ds);
/* The same by direct O(n m) summation with f evaluated by fks_f1d (tests). */
void fks_sum1d_direct(const struct fks *f, const double *p, long n, const double *q, const double *w, long m, double *s, double *ds);

/* Direct d-dimensional sums (s and g overwritten; s or g may be NULL). */
void fks_direct(struct fks *f, const double *x, long n, const double *y, const double *w, long m, double *s, double *g);
/* Sliced sums over directions theta (Lb x d, unit rows) out of L: adds (1/L) sum_l ... to s and g.
 * Returns 0, or -1 as fks_sum1d. */
int fks_sliced(struct fks *f, const double *theta, long Lb, long L, const double *x, long n, const double *y, const double *w,
               long m, double *s, double *g);

/* All L directions of `step` in R^d (rng_directions: a pure function of (seed, step, l)); with
 * ortho, every block of d consecutive directions is replaced by the orthonormal frame of its QR
 * factorisation (variance reduction; still uniform on the sphere one by one).  L x d row-major.
 * The QR workspace lives in f (made on first use). */
void fks_directions(struct fks *f, uint64_t seed, long step, long L, int ortho, double *theta);

#endif
