/* mmd.h -- one evaluation of F = 1/2 MMD_K^2(P, Q) and of its WoW gradient (method.md sections
 * 5 and 9) on the 2D decomposition.
 *
 * Collective over the grid: every rank calls mmd_eval with the rows of the clouds of its class
 * block (sources first, then targets); every rank gets F and the gradient of its own source rows.
 * Per step: directions (a pure function of (seed, step, l), or a fixed table), projections by
 * dgemm (d <= 4: computed in the sorts), sorts (d = 2 with many directions: taken by angle, each
 * from the previous direction's order; a target cloud's advanced first by its flip events, sweep2d,
 * built on the first step as the targets do not move), allgather of sorted projections along class_comm,
 * row sums of the 1D costs (W2: a Gram product, summed in the sorts tile by tile when this rank
 * holds every class of one size, on the merged quantile grid when class sizes differ, or on the
 * quantile estimator's levels), allreduce along dir_comm, kernel weights,
 * displacement sums (W2: block by block of directions), gradient dgemm, allreduce.
 * All buffers are allocated in mmd_init; mmd_eval allocates nothing (tests/test_noalloc.c counts).
 * With set.single the projections and the gradient back-projection are sgemms on float copies
 * (the sources converted each step, unless the update wrote their copy: mmd_rows_float_ready; the
 * targets once); sorting, transport and kernels stay in double. */
#ifndef WOW_MMD_H
#define WOW_MMD_H

#include "comm.h"
#include "flow.h"
#include "kernel.h"
#include "layout.h"
#include "qgrid.h"
#include "sort1d.h"
#include "sweep2d.h"
#include "timer.h"

#include <stddef.h>
#include <stdint.h>

enum mmd_estimator { MMD_EXACT, MMD_QUANTILE };

struct mmd_setup {
  struct kernel kernel;
  enum mmd_estimator estimator;
  int Q;                     /* quantile estimator knots and levels */
  long L;                    /* directions per step */
  uint64_t seed;             /* run.seed */
  const double *fixed_theta; /* L x d directions used as given (grad subcommand), or NULL */
  const double *fixed_levels;/* L x Q quantile levels used as given, or NULL */
  int want_sw2;              /* also keep SW_2^2 when the kernel uses SW_1 (grad subcommand) */
  int force_loops;           /* never use the GEMM (Gram) form of the pairwise transports (tests) */
  int plain_sorts;           /* never the angular sweep of d = 2 (mmd_sort_angular; tests) */
  int single;                /* run.precision = single: the three GEMMs in float (sgemm), the rest in double */
  int overlap;               /* parallel.overlap: gradient by row chunks, each all-reduced (MPI_Iallreduce) while the next is computed */
  int share;                 /* the gradient only on this rank's share of the rows (mmd.share0/1), reduce-scattered over the
                              * direction groups instead of all-reduced (run.c, bench: each rank then updates its share and the
                              * particles are all-gathered); not with overlap */
  int float_grad;            /* with single on one direction group: the gradient is left in float (mmd_grad_float), not
                              * widened into grad (run.c, bench: the update reads the floats, flow_step_into_float) */
};

struct mmd_result {
  double F;         /* 1/2 MMD^2 */
  double grad_norm; /* sqrt(sum_c w_c/n_c sum_i |xi_i^c|^2), the L2(P) norm of the WoW gradient */
  int nonfinite;    /* a NaN or Inf met in the projections, F or the gradient */
};

struct mmd {
  struct mmd_setup set;
  const struct wow_clouds *cl;
  const struct comm_grid *grid;
  const struct wow_part *part;
  struct timers *tm;
  int j0, j1, s1, t0;  /* own clouds [j0, j1): sources [j0, s1), targets [t0, j1) */
  long l0, Lb;         /* own directions [l0, l0 + Lb) */
  long ns, nt, ntb;    /* own source rows, own target rows, own target rows used per step */
  long nmax;
  long *soff;          /* nc: offset of cloud j in sorted ([j][l][rank]) */
  long *col;           /* nc: column of own cloud j in proj (0 for others) */
  int *gcount, *gdispl; /* Pc: allgather counts and displacements along class_comm */
  double *slice;            /* small d: one (class, direction) of projections */
  double *thin, *thin_grad; /* small d: transposed rows (d x rows), and gradient (d x ns): loops, not dgemm */
  double *A_row;            /* one class's displacement sums on one direction, un-sorted (small d: instead of A) */
  float *Af_row;            /* the same in float (single precision) */
  double *theta, *proj, *sorted, *knots, *levels, *ybatch, *S, *S2, *A, *acc, *dq;
  int *perm, *subset_work, *subset;
  int gram;                 /* exact W2: pairwise transports as GEMMs (classes of different sizes: on qg) */
  int gram_in_sort;         /* gram, exact, every class here: G summed by mmd_sort, tile by tile in cache */
  double *G, *norm2, *W, *Asorted; /* Gram rows, squared norms, displacement weights, sorted sums */
  struct qgrid qg;          /* classes of different sizes: their merged quantile grid (qg.G = 0: one size) */
  long row;                 /* values per direction of the rows in E: qg.G, Q (quantile estimator), or 0 */
  double *E, *Yg;           /* the GEMM form's rows (nc x Lb row) when not the sorted values, combined sums of own sources */
  unsigned char *near;      /* own rows x nc: pairs too close for the GEMM form, done difference-first */
  struct sort1d_work sw;
  int *dir_order;           /* d = 2 (mmd_sort_angular): own directions by angle mod pi, else NULL */
  double *dir_key;          /* Lb pseudo-angles, then Lb sorted */
  unsigned char *dir_flip;  /* Lb: the direction points into the lower half plane */
  int *order_state;         /* a target cloud's orders on the last two directions of the angular sweep (2 nmax) */
  struct sweep2d *tsweep;   /* angular sweep, targets that do not move: each own target cloud's flip events (built on the
                             * first step), the start of its re-sorts; NULL where they would take too much memory */
  int tsweep_tried;         /* the events were built (or failed on a non-finite target) */
  double *dir_theta;        /* the own directions in that order (Lb x 2) */
  double *dir_proj;         /* a cloud's projections on MMD_SORT_TILE directions of the sweep */
  struct sort1d_work dir_sw;
  float *thetaf, *xf, *yf, *projf, *Af, *gradf; /* single precision: GEMM operands and results */
  int y_ready;              /* no target minibatches: yf (single precision) or thin holds the target rows */
  const double *xf_of;      /* single precision: xf holds these rows rounded (mmd_rows_float_ready), for the next mmd_eval */
  MPI_Request *req;         /* overlap: one request per own source class */
  long share0, share1;      /* own source rows whose gradient mmd_eval sums here: all of them, or with set.share and Pl > 1 the
                             * pl-th of Pl even parts */
  int *shcount, *shdispl;   /* Pl: every share's doubles (rows x d) and offset, for the reduce-scatter and the all-gather */
  double *shwork;           /* one share: the reduce-scatter's result */
  double *node_grad;        /* mmd_node_alloc: the gradient (ns x d) in memory the direction group shares, or NULL */
  double F_local;
};

void mmd_init(struct mmd *m, const struct mmd_setup *set, const struct wow_clouds *cl, const struct comm_grid *grid,
              const struct wow_part *part, struct timers *tm);
void mmd_free(struct mmd *m);
/* Collective.  x: own source rows (ns x d); y: own target rows (nt x d), the same values at every
 * call on this struct (converted to float, or transposed for d <= 4, once); grad: ns x d output, the
 * gradient on rows [share0, share1) (all rows unless set.share; the others then hold partial sums, or
 * with mmd_node_alloc the other shares, which their ranks complete;
 * untouched where mmd_grad_float gives it in float).
 * res: F, the norm of the whole gradient, and the finiteness flag, the same on every rank. */
void mmd_eval(struct mmd *m, long step, const double *x, const double *y, double *grad, struct mmd_result *res);
/* After mmd_eval: the gradient in float (ns x d) when set.float_grad took effect (single precision,
 * Pl = 1: no sum over direction groups; grad then untouched), else NULL. */
const float *mmd_grad_float(const struct mmd *m);
/* Single precision, set.float_grad: the float copy of the source rows (ns x d) that mmd_eval's
 * sgemm reads, else NULL.  A caller that writes x rounded to float there as it updates x (run.c,
 * bench: flow_step_into_float) says so with mmd_rows_float_ready(m, x): the next mmd_eval of that
 * x then skips its conversion.  It holds for that one evaluation; after any other change of x,
 * call mmd_rows_float_ready(m, NULL) (the test hook that puts a NaN into x does). */
float *mmd_rows_float(struct mmd *m);
void mmd_rows_float_ready(struct mmd *m, const double *x);
/* After mmd_eval: the flow's step st on this rank's rows [share0, share1) of x (velocity v), out of
 * place into x_out, v_out (run.c, bench).  From the float gradient where mmd_grad_float gives it,
 * writing the rows' float copy as it goes (declared with mmd_rows_float_ready when every row is
 * here), else from grad. */
void mmd_step_share(struct mmd *m, const struct flow_step *st, const double *x, const double *v, const double *grad, double *x_out,
                    double *v_out);
/* Collective (direction groups): every rank's rows [share0, share1) of an ns x d array (the
 * particles after each rank updated its share, or their velocity) to all ranks of its class block;
 * nothing without shares.  Allocates nothing. */
void mmd_gather_shares(const struct mmd *m, double *rows);
/* The three node-shared arrays of mmd_node_alloc, ns x d each: particles, particles before the
 * step, gradient. */
struct mmd_node {
  double *x, *x_prev, *grad;
  size_t bytes; /* of each */
};
/* Collective (world).  Shares (set.share, Pl > 1) whose class block runs on one node: the block's
 * ranks keep the particles (all ns x d rows, x and x_prev copied in) and the gradient in memory they
 * all map (comm_shared_alloc), nm's arrays, which the caller then passes as x and grad.  mmd_eval
 * adds each rank's partial onto every share's rows in stages, the gradient GEMM accumulating
 * (mmd_gradient_staged: no reduce-scatter, no sum pass), and mmd_sync_shares is a barrier instead of
 * the all-gather.  Blocks that span nodes, or whose /dev/shm cannot hold the arrays, keep the
 * collectives.  Returns 1 where this rank's block uses shared memory, else 0 (nm zeroed).  msg (the
 * same on every rank): empty when every block uses it or there are no shares, else a line saying
 * how many blocks do and why the first other one does not. */
int mmd_node_alloc(struct mmd *m, const double *x, const double *x_prev, struct mmd_node *nm, char *msg, size_t len);
void mmd_node_free(struct mmd_node *nm);
/* Collective (direction groups), after each rank updated its share of the particles x: every row to
 * every rank of the class block (a barrier with mmd_node_alloc's memory, else mmd_gather_shares). */
void mmd_sync_shares(const struct mmd *m, double *x);
/* One line for the log: how the pairwise transports and the products run (the same on every rank). */
void mmd_describe(const struct mmd *m, char *buf, size_t len);
/* Collective, after mmd_eval: the full nc x nc matrix of the kernel statistic (SW_2^2, or SW_1 for
 * Laplace; sw2 != 0 asks for SW_2^2, which needs want_sw2 with Laplace) on every rank. */
void mmd_stat_matrix(const struct mmd *m, int sw2, double *out);

#endif
