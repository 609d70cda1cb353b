/* baseline.h -- the two flows the paper compares with (method.md section 7).  A dataset is one
 * cloud of labeled points z_i = (x_i, m_i, S_i): features x_i, and the mean m_i (2) and covariance
 * S_i (2 x 2, stored as 4 entries) of the point's class in a 2-D PCA of source + target features
 * (Hua et al. 2023; a class of fewer than 2 points gets S = I).
 *
 *   mmd_product: F = 1/2 MMD^2 between the uniform clouds for the product kernel
 *       exp(-|x-x'|^2/(2h)) exp(-|m-m'|^2/(2hm)) exp(-|S-S'|_F^2/(2hs)),
 *     one Gaussian on the scaled concatenation, so the sums go through fks (direct or sliced).
 *     The gradient (x N) is taken at z + noise N(0, I) (Philox, keyed by step and point);
 *     heavy ball on x and m, S <- (I + A) S (I + A) with A = -2 lr sym(g_S) (Bures-Wasserstein).
 *   otdd: F = the entropic OT cost (log-domain Sinkhorn, uniform weights, epsilon on the cost
 *     divided by its mean) for the ground cost |x-x'|^2 + |m-m'|^2 + BW^2(S, S'); the gradient
 *     (x N) by the envelope theorem, including the mean-cost normalisation; AdamW on (x, m, S).
 *
 * State is replicated on every rank (the run uses a 1 x P grid); every step splits the work over
 * the communicator by rows (direct sums, Sinkhorn) or by directions (sliced sums), and every rank
 * ends with the whole gradient.  Results on any rank count agree to rounding (GEMM blocking, sums
 * over ranks), not bitwise.  Collective functions. */
#ifndef WOW_BASELINE_H
#define WOW_BASELINE_H

#include "fks.h"
#include "mmd.h"

#include <mpi.h>
#include <stdint.h>

enum baseline_method { BL_WOW, BL_MMD_PRODUCT, BL_OTDD };
#define BL_E 6 /* embedding entries per point: m (2), S (2 x 2 row-major) */

struct baseline_setup {
  enum baseline_method method;
  double h, hm, hs, noise; /* mmd_product kernel variances and noise level */
  int sliced, ortho;       /* kernel sums: direct, or sliced with L directions (orthogonal frames) */
  int fks_order;           /* sliced grid: Lagrange order and points per period (0: fks defaults) */
  double fks_ppw;
  long L;
  double eps, tol;         /* otdd: entropic regularisation (on the mean-scaled cost), marginal tolerance */
  long iters;              /* otdd: most Sinkhorn iterations per step */
  int force_log;           /* otdd: always the log-domain iteration (tests) */
  double lr, beta, wd;     /* step size; heavy-ball momentum (mmd_product); AdamW weight decay (otdd) */
  uint64_t seed;
};

struct baseline {
  struct baseline_setup set;
  MPI_Comm comm;
  int rank, size;
  long N, M;
  size_t d;
  const double *y;        /* target features (M x d), owned by the caller */
  double *e, *ve, *ey;    /* source embedding (N x 6), its velocity / Adam first moment, target embedding (M x 6) */
  double *a2x, *a2e;      /* otdd: Adam second moments of x and of e */
  double *gx, *ge;        /* the gradient (N x d, N x 6) */
  long sinkhorn_iters;    /* otdd: iterations of the last step */
  double sinkhorn_err;    /* otdd: row-marginal L1 error at the end of the last step */
  long sinkhorn_total, sinkhorn_calls; /* otdd: iterations and solves so far (this job) */
  /* work */
  struct fks fks;
  double *z, *w, *s, *g, *theta, *cost, *kmat, *f, *gpot, *tmp;
  double scale[3];        /* mmd_product: 1/sqrt(h), 1/sqrt(h_mean), 1/sqrt(h_cov) */
  int *cnt, *dsp;         /* gather layout of the gradient rows (mmd_product: N + M rows of d + 6; otdd: N rows of d) */
  int *cnte, *dspe;       /* otdd: the same for the embedding gradient (N rows of 6) */
  long r0, r1;            /* own evaluation rows */
};

/* x: N x d source features, ns: C class sizes (rows grouped by class); y, nt: M x d targets, C2
 * class sizes.  Computes the PCA embedding.  Returns 0, or -1 with a reason in err (every rank). */
int baseline_init(struct baseline *b, const struct baseline_setup *set, MPI_Comm comm, const double *x, const long *ns, int C,
                  const double *y, const long *nt, int C2, size_t d, char *err, size_t len);
void baseline_free(struct baseline *b);
/* F and the gradient at x (N x d, the same on every rank) into b->gx, b->ge. */
void baseline_eval(struct baseline *b, long step, const double *x, struct mmd_result *res);
/* One update of x, its velocity vx and the embedding with the last gradient (step counts from 0). */
void baseline_update(struct baseline *b, long step, double *x, double *vx);
/* Bures-Wasserstein^2 between N(0, S1) and N(0, S2) (2 x 2, row-major), and its gradient in the
 * 4 entries of S1 (NULL: not wanted). */
double baseline_bw2(const double *S1, const double *S2, double *grad1);

#endif
