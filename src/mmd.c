/* mmd.c -- F = 1/2 MMD^2 with an SW kernel and its WoW gradient, distributed (see mmd.h). */
#include <config.h>
#include "mmd.h"
#include "convert.h"
#include "gram.h"
#include "mem.h"
#include "ot1d.h"
#include "rng.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MMD_THIN 4 /* d up to this: projections and gradient by loops, not dgemm (mmd_project_thin) */
#define MMD_SORT_TILE 8 /* directions per tile of the sorts (mmd_sort, mmd_sort_angular) */
#define MMD_ANGULAR_DIRS 2 /* d = 2 with at least this many own directions per point of the largest cloud: mmd_sort_angular */
#define MMD_SWEEP_BYTES 64e6 /* mmd_sort_angular: the target clouds' flip events only up to this much memory per rank */
#define MMD_DISP_TILE 16 /* directions per block of the displacement product (mmd_displacements_gram) */

static long mmd_min(long a, long b) { return a < b ? a : b; }
static long mmd_max(long a, long b) { return a > b ? a : b; }

/* gram_in_sort on the merged grid: E holds one block of directions, expanded where it is used. */
static int mmd_e_blocks(const struct mmd *m) { return m->gram_in_sort && m->row > 0; }

/* The GEMM form (W2 costs, p = 2).  Exact transport: all classes of one size as they are; classes
 * of different sizes on their merged quantile grid within qgrid_cap (src/qgrid.h); loops
 * otherwise.  Quantile estimator: the interpolated quantiles at the Q levels of each direction
 * (any class sizes).  m->row: values per direction of the rows in m->E (0: the sorted projections
 * themselves). */
static void mmd_alloc_gram(struct mmd *m)
{
  const struct wow_clouds *cl = m->cl;
  const size_t nown = (size_t)(m->j1 - m->j0);
  int same = 1;
  for (int j = 0; j < cl->nc; j++) same &= cl->bsize[j] == cl->bsize[0];
  m->gram = !m->set.force_loops && m->set.kernel.p == 2;
  if (m->gram && m->set.estimator == MMD_QUANTILE) m->row = m->set.Q;
  else if (m->gram && !same) {
    m->gram = qgrid_init(&m->qg, cl->bsize, cl->nc, qgrid_cap(cl->bsize, cl->nc)) > 0;
    m->row = m->qg.G;
  }
  if (!m->gram) return;
  /* every class here, exact transport: the Gram summed in the sorts; on the merged grid the rows
   * are then expanded a block of directions at a time (E holds one block: 21 MB -> 0.7 MB at the
   * distillation size), in the sorts and again for the displacement sums */
  m->gram_in_sort = (int)nown == cl->nc && m->set.estimator != MMD_QUANTILE;
  const size_t nsrc = (size_t)(m->s1 - m->j0), tile = (size_t)MMD_DISP_TILE;
  if (m->row > 0) {
    const size_t dirs = mmd_e_blocks(m) ? (size_t)mmd_min(MMD_DISP_TILE, m->Lb) : (size_t)m->Lb;
    m->E = WOW_NEW(double, (size_t)cl->nc * dirs * (size_t)m->row + 1, "rows of the GEMM form");
    m->Asorted = WOW_NEW(double, nsrc * tile * (size_t)m->nmax + 1, "displacement sums per atom, one block");
  }
  m->Yg = WOW_NEW(double, nsrc * tile * (size_t)(m->row > 0 ? m->row : m->nmax) + 1, "displacement sums, one block of directions");
  m->G = WOW_NEW(double, nown * (size_t)cl->nc + 1, "Gram rows");
  m->norm2 = WOW_NEW(double, (size_t)cl->nc, "squared norms");
  m->W = WOW_NEW(double, nsrc * (size_t)cl->nc + 1, "displacement weights");
  m->near = WOW_ZNEW(unsigned char, nown * (size_t)cl->nc + 1, "near pairs");
}

/* set.share over Pl > 1 direction groups: rows [0, ns) in Pl even parts, this rank's the pl-th. */
static void mmd_alloc_shares(struct mmd *m)
{
  const int Pl = m->grid->Pl;
  m->share0 = 0;
  m->share1 = m->ns;
  if (!m->set.share || m->set.overlap || Pl == 1) return;
  size_t *cnt = WOW_NEW(size_t, (size_t)Pl, "share sizes");
  for (int p = 0; p < Pl; p++) cnt[p] = (size_t)(m->ns * (p + 1) / Pl - m->ns * p / Pl) * m->cl->d;
  comm_gather_layout(cnt, Pl, &m->shcount, &m->shdispl);
  free(cnt);
  m->share0 = m->ns * m->grid->pl / Pl;
  m->share1 = m->ns * (m->grid->pl + 1) / Pl;
  m->shwork = WOW_NEW(double, (size_t)(m->share1 - m->share0) * m->cl->d + 1, "gradient share");
}

/* Angular sweep with targets that do not move (no minibatches): their flip events (sweep2d), if
 * every own target cloud has at most SWEEP2D_NMAX points and they fit MMD_SWEEP_BYTES. */
static void mmd_alloc_sweeps(struct mmd *m)
{
  const struct wow_clouds *cl = m->cl;
  if (m->ntb < m->nt || m->nt == 0) return;
  double bytes = 0;
  for (int j = m->t0; j < m->j1; j++) {
    if (cl->size[j] > SWEEP2D_NMAX) return;
    bytes += sweep2d_bytes(cl->size[j]);
  }
  if (bytes > MMD_SWEEP_BYTES) return;
  m->tsweep = WOW_NEW(struct sweep2d, m->j1 - m->t0, "target sweeps");
  for (int j = m->t0; j < m->j1; j++) sweep2d_init(&m->tsweep[j - m->t0], cl->size[j]);
}

static void mmd_alloc(struct mmd *m)
{
  const struct wow_clouds *cl = m->cl;
  const size_t d = cl->d, nown = (size_t)(m->j1 - m->j0), Q = (size_t)m->set.Q;
  m->soff = WOW_ZNEW(long, cl->nc + 1, "sorted offsets");
  m->col = WOW_ZNEW(long, cl->nc, "projection columns");
  for (int j = 0; j < cl->nc; j++) m->soff[j + 1] = m->soff[j] + m->Lb * cl->bsize[j];
  long cs = 0, ct = m->ns;
  for (int j = m->j0; j < m->j1; j++) {
    if (j < cl->C) { m->col[j] = cs; cs += cl->size[j]; }
    else { m->col[j] = ct; ct += cl->bsize[j]; }
  }
  size_t *counts = WOW_NEW(size_t, m->grid->Pc, "allgather counts");
  for (int q = 0; q < m->grid->Pc; q++)
    counts[q] = (size_t)(m->soff[m->part->cloud0[q + 1]] - m->soff[m->part->cloud0[q]]);
  comm_gather_layout(counts, m->grid->Pc, &m->gcount, &m->gdispl);
  free(counts);
  m->theta = WOW_NEW(double, (size_t)m->Lb * d, "directions");
  const int thin = d <= MMD_THIN && !m->set.single;
  if (!m->set.single && !thin) m->proj = WOW_NEW(double, (size_t)m->Lb * (size_t)(m->ns + m->ntb), "projections");
  m->sorted = WOW_NEW(double, (size_t)m->soff[cl->nc], "sorted projections");
  m->perm = WOW_NEW(int, (size_t)m->Lb * (size_t)m->ns + (size_t)m->nmax, "sort permutations");
  m->S = WOW_ZNEW(double, nown * (size_t)cl->nc, "SW row sums");
  if (m->set.want_sw2 && m->set.kernel.p == 1) m->S2 = WOW_ZNEW(double, nown * (size_t)cl->nc, "SW2 row sums");
  if (!m->set.single && !thin) m->A = WOW_NEW(double, (size_t)m->Lb * (size_t)m->ns + 1, "displacement sums"); /* single: Af; thin: A_row */
  m->acc = WOW_NEW(double, (size_t)m->nmax, "displacement row");
  if (m->set.estimator == MMD_QUANTILE) {
    m->knots = WOW_NEW(double, (size_t)cl->nc * (size_t)m->Lb * Q, "quantile knots");
    m->levels = WOW_NEW(double, (size_t)m->Lb * Q, "quantile levels");
    m->dq = WOW_NEW(double, Q, "quantile derivatives");
  }
  if (m->ntb < m->nt) {
    long mx = 0;
    for (int j = m->t0; j < m->j1; j++) mx = mmd_max(mx, cl->size[j]);
    m->ybatch = WOW_NEW(double, (size_t)m->ntb * d, "target minibatch");
    m->subset_work = WOW_NEW(int, (size_t)mx, "minibatch draw");
    m->subset = WOW_NEW(int, (size_t)mx, "minibatch rows");
  }
  if (m->set.single) {
    m->thetaf = WOW_NEW(float, (size_t)m->Lb * d + 1, "directions (float)");
    m->xf = WOW_NEW(float, (size_t)m->ns * d + 1, "source rows (float)");
    m->yf = WOW_NEW(float, (size_t)m->ntb * d + 1, "target rows (float)");
    m->projf = WOW_NEW(float, (size_t)m->Lb * (size_t)(m->ns + m->ntb) + 1, "projections (float)");
    m->Af = WOW_NEW(float, (size_t)m->Lb * (size_t)m->ns + 1, "displacement sums (float)");
    m->gradf = WOW_NEW(float, (size_t)m->ns * d + 1, "gradient (float)");
  }
  if (thin) {
    m->slice = WOW_NEW(double, (size_t)m->nmax + 1, "projections of one class and direction");
    m->thin = WOW_NEW(double, d * (size_t)(m->ns + m->ntb) + 1, "transposed rows (small d)");
    m->thin_grad = WOW_NEW(double, d * (size_t)m->ns + 1, "transposed gradient (small d)");
  }
  if (!m->set.single || thin) m->A_row = WOW_NEW(double, (size_t)m->nmax + 1, "displacement sums of one class and direction");
  if (m->set.single) m->Af_row = WOW_NEW(float, (size_t)m->nmax + 1, "displacement sums of one class and direction (float)");
  m->req = WOW_NEW(MPI_Request, (size_t)(m->s1 - m->j0) + 1, "gradient requests");
  mmd_alloc_shares(m);
  sort1d_work_init(&m->sw, (size_t)m->nmax);
  if (thin && d == 2 && m->Lb >= MMD_ANGULAR_DIRS * m->nmax && !m->set.plain_sorts) { /* mmd_sort_angular */
    m->dir_order = WOW_NEW(int, (size_t)m->Lb, "directions by angle");
    m->dir_key = WOW_NEW(double, 2 * (size_t)m->Lb, "angles of the directions, and sorted");
    m->dir_flip = WOW_NEW(unsigned char, (size_t)m->Lb, "directions in the lower half plane");
    m->order_state = WOW_NEW(int, 2 * (size_t)m->nmax + 1, "target orders on two directions");
    m->dir_theta = WOW_NEW(double, 2 * (size_t)m->Lb, "directions by angle");
    m->dir_proj = WOW_NEW(double, MMD_SORT_TILE * (size_t)m->nmax, "projections on a few directions");
    sort1d_work_init(&m->dir_sw, (size_t)m->Lb);
    mmd_alloc_sweeps(m);
  }
  mmd_alloc_gram(m);
}

void mmd_init(struct mmd *m, const struct mmd_setup *set, const struct wow_clouds *cl, const struct comm_grid *grid,
              const struct wow_part *part, struct timers *tm)
{
  memset(m, 0, sizeof *m);
  m->set = *set;
  m->cl = cl;
  m->grid = grid;
  m->part = part;
  m->tm = tm;
  m->j0 = part->cloud0[grid->pc];
  m->j1 = part->cloud0[grid->pc + 1];
  m->s1 = (int)mmd_max(m->j0, mmd_min(m->j1, cl->C));
  m->t0 = m->s1;
  m->l0 = part->dir0[grid->pl];
  m->Lb = part->dir0[grid->pl + 1] - m->l0;
  for (int j = m->j0; j < m->j1; j++) {
    if (j < cl->C) m->ns += cl->size[j];
    else { m->nt += cl->size[j]; m->ntb += cl->bsize[j]; }
  }
  for (int j = 0; j < cl->nc; j++) m->nmax = mmd_max(m->nmax, cl->bsize[j]);
  mmd_alloc(m);
}

void mmd_free(struct mmd *m)
{
  free(m->soff); free(m->col); free(m->gcount); free(m->gdispl); free(m->theta); free(m->proj); free(m->sorted);
  free(m->knots); free(m->levels); free(m->ybatch); free(m->S); free(m->S2); free(m->A); free(m->acc);
  free(m->dq); free(m->perm); free(m->subset_work); free(m->subset);
  free(m->thin); free(m->thin_grad); free(m->A_row); free(m->Af_row); free(m->G); free(m->norm2); free(m->W); free(m->Asorted); free(m->near); free(m->E); free(m->Yg);
  qgrid_free(&m->qg);
  free(m->req); free(m->shcount); free(m->shdispl); free(m->shwork);
  free(m->thetaf); free(m->xf); free(m->yf); free(m->projf); free(m->Af); free(m->gradf); free(m->slice);
  sort1d_work_free(&m->sw);
  sort1d_work_free(&m->dir_sw);
  free(m->dir_order); free(m->dir_key); free(m->dir_flip); free(m->order_state); free(m->dir_theta); free(m->dir_proj);
  for (int j = m->t0; m->tsweep && j < m->j1; j++) sweep2d_free(&m->tsweep[j - m->t0]);
  free(m->tsweep);
  memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------------ step phases */

static void mmd_directions(struct mmd *m, long step)
{
  const size_t d = m->cl->d, Q = (size_t)m->set.Q;
  if (m->set.fixed_theta) memcpy(m->theta, m->set.fixed_theta + (size_t)m->l0 * d, (size_t)m->Lb * d * sizeof(double));
  else rng_directions(m->set.seed, (uint64_t)step, (size_t)m->l0, (size_t)m->Lb, d, m->theta);
  if (m->set.single) convert_to_float(m->theta, (size_t)m->Lb * d, m->thetaf);
  if (m->set.estimator != MMD_QUANTILE) return;
  for (long l = 0; l < m->Lb; l++) {
    double *u = m->levels + (size_t)l * Q;
    if (m->set.fixed_levels) memcpy(u, m->set.fixed_levels + (size_t)(m->l0 + l) * Q, Q * sizeof(double));
    else rng_uniforms(m->set.seed, RNG_LEVELS, (uint64_t)step, (uint64_t)(m->l0 + l), 0, Q, u);
  }
}

/* The target rows used this step: all of them, or a fresh subset per class (method.md 5.4). */
static const double *mmd_target_rows(struct mmd *m, long step, const double *y)
{
  if (!m->ybatch) return y;
  const struct wow_clouds *cl = m->cl;
  const size_t d = cl->d;
  long src = 0, dst = 0;
  for (int j = m->t0; j < m->j1; j++) {
    long n = cl->size[j], b = cl->bsize[j];
    if (b < n) rng_subset(m->set.seed, RNG_MINIBATCH, (uint64_t)step, (uint64_t)(j - cl->C), (size_t)n, (size_t)b, m->subset_work, m->subset);
    else for (long i = 0; i < n; i++) m->subset[i] = (int)i;
    for (long i = 0; i < b; i++) memcpy(m->ybatch + (size_t)(dst + i) * d, y + (size_t)(src + m->subset[i]) * d, d * sizeof(double));
    src += n;
    dst += b;
  }
  return m->ybatch;
}

/* d <= MMD_THIN: a GEMM of inner dimension d is an outer product that OpenBLAS packs for nothing
 * (rings, d = 2: 0.2 ms of dgemm for 0.5 MFLOP), and the projections cost less to compute than to
 * store: the rows are transposed here (xt, d x all rows: sources, then targets) and each (class,
 * direction) is projected in mmd_sort, just before its sort, by loops vectorised over the rows. */
static void mmd_transpose_thin(const double *x, long n, int d, double *xt, long ld)
{
  for (long i = 0; i < n; i++)
    for (int t = 0; t < d; t++) xt[(size_t)t * (size_t)ld + (size_t)i] = x[(size_t)i * (size_t)d + (size_t)t];
}

/* out[i] = sum_t theta[t] xt[t][i], i < n (rows ld apart): a combination of d rows. */
static void mmd_project_thin(const double *theta, int d, const double *xt, long ld, long n, double *out)
{
  gram_combine(theta, 1, xt, ld, d, n, out);
}

/* The n rows r (n x d) projected on the own directions into columns [c0, c0 + n) of the L x
 * (sources, targets) projections: dgemm; sgemm on float copies (run.precision = single: rf, the
 * rows converted unless `converted`; the projections widened by the sorts, sort1d_float); for
 * d <= MMD_THIN only transposed (projected in mmd_sort). */
static void mmd_project_rows(struct mmd *m, const double *r, long n, long c0, float *rf, int converted)
{
  const int d = (int)m->cl->d, Lb = (int)m->Lb, ld = (int)(m->ns + m->ntb);
  if (Lb == 0 || n == 0) return;
  if (m->set.single) {
    if (!converted) convert_to_float(r, (size_t)n * (size_t)d, rf);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Lb, (int)n, d, 1.0f, m->thetaf, d, rf, d, 0.0f, m->projf + c0, ld);
  } else if (m->thin) {
    if (!converted) mmd_transpose_thin(r, n, d, m->thin + c0, ld);
  } else cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Lb, (int)n, d, 1.0, m->theta, d, r, d, 0.0, m->proj + c0, ld);
}

/* The target rows' projections: their float copy or transposition is made once when every step
 * uses all of them (they do not move), every step for minibatches. */
static void mmd_project_targets(struct mmd *m, const double *yb)
{
  mmd_project_rows(m, yb, m->ntb, m->ns, m->yf, m->y_ready);
  m->y_ready = !m->ybatch;
}

static int *mmd_perm(const struct mmd *m, int j, long l)
{
  if (j >= m->cl->C) return m->perm + (size_t)m->Lb * (size_t)m->ns; /* scratch: target order is not needed */
  return m->perm + (size_t)m->Lb * (size_t)m->col[j] + (size_t)l * (size_t)m->cl->size[j];
}

/* mmd_e_blocks: the merged-grid rows of every class on directions [l0, l0 + nl) into E, class after
 * class (nl row values each); returns E. */
static const double *mmd_expand_block(struct mmd *m, long l0, long nl)
{
  for (int j = 0; j < m->cl->nc; j++)
    qgrid_expand(&m->qg, m->qg.which[j], m->sorted + m->soff[j] + l0 * m->cl->bsize[j], nl, m->E + (size_t)j * (size_t)(nl * m->row));
  return m->E;
}

/* The rows of the GEMM form on directions [l0, l0 + nl): every class's row values there (*width
 * each) with rows *ld apart: the sorted projections themselves (one size), E (built by
 * mmd_gram_rows), or this block's expansion on the merged grid (mmd_e_blocks). */
static const double *mmd_block_rows(struct mmd *m, long l0, long nl, long *width, long *ld)
{
  const long row = m->E ? m->row : m->cl->bsize[0];
  *width = nl * row;
  if (mmd_e_blocks(m)) { *ld = nl * row; return mmd_expand_block(m, l0, nl); }
  *ld = m->Lb * row;
  return (m->E ? m->E : m->sorted) + l0 * row;
}

/* The projections of own cloud j on direction l (d <= MMD_THIN: computed here, into slice). */
static const double *mmd_projections(struct mmd *m, int j, long l)
{
  const long ld = m->ns + m->ntb;
  if (!m->thin) return m->proj + (size_t)l * (size_t)ld + (size_t)m->col[j];
  mmd_project_thin(m->theta + (size_t)l * m->cl->d, (int)m->cl->d, m->thin + m->col[j], ld, m->cl->bsize[j], m->slice);
  return m->slice;
}

/* Own cloud j sorted on direction l into sorted and perm; nonzero on NaN. */
static int mmd_sort_one(struct mmd *m, int j, long l)
{
  const size_t n = (size_t)m->cl->bsize[j];
  double *out = m->sorted + m->soff[j] + l * (long)n;
  if (m->set.single) { /* the floats widened as the sort reads them; a target's order is not needed */
    const float *v = m->projf + (size_t)l * (size_t)(m->ns + m->ntb) + (size_t)m->col[j];
    if (j >= m->cl->C) return sort1d_values_float(v, n, out, mmd_perm(m, j, l), &m->sw) != 0;
    return sort1d_float(v, n, out, mmd_perm(m, j, l), &m->sw) != 0;
  }
  return sort1d(mmd_projections(m, j, l), n, out, mmd_perm(m, j, l), &m->sw) != 0;
}

/* gram_in_sort: the Gram products of directions [l0, l1) of every class, added to G. */
static void mmd_gram_tile(struct mmd *m, long l0, long l1)
{
  long width, ldr;
  const double *rows = mmd_block_rows(m, l0, l1 - l0, &width, &ldr);
  gram_acc_upper(rows, ldr, m->cl->nc, width, m->G);
}

/* d = 2 with many directions (MMD_ANGULAR_DIRS): the own directions taken by their angle mod pi,
 * so that neighbours are about pi / Lb apart and each (cloud, direction) is re-sorted from the
 * previous direction's order (sort1d_resort; about n^2 / (2 Lb) moves: 6 for the rings' n = 80,
 * Lb = 500); the first direction, and a re-sort that would take more than n moves, by sort1d.
 * A target cloud's previous order is first advanced by the flips between the two directions
 * (tsweep, built here on the first step): then it is the answer but for rounding near a flip.
 * The same sorted values and permutations as the tiled loop, and the Gram tiles are then summed
 * in the same order: the same bits. */
static int mmd_sort_angular(struct mmd *m)
{
  const long Lb = m->Lb, ld = m->ns + m->ntb;
  int bad = 0;
  for (long l = 0; l < Lb; l++) { /* a pseudo-angle in [0, 2), monotone in the angle mod pi */
    int flip;
    m->dir_key[l] = sweep2d_key(m->theta[2 * l], m->theta[2 * l + 1], &flip);
    m->dir_flip[l] = (unsigned char)flip;
  }
  sort1d(m->dir_key, (size_t)Lb, m->dir_key + Lb, m->dir_order, &m->dir_sw);
  const double *key = m->dir_key + Lb; /* the q-th direction's */
  for (long q = 0; q < Lb; q++) memcpy(m->dir_theta + 2 * q, m->theta + 2 * (long)m->dir_order[q], 2 * sizeof(double));
  if (m->tsweep && !m->tsweep_tried && m->y_ready) { /* the targets' flip events, once */
    for (int j = m->t0; j < m->j1; j++) sweep2d_build(&m->tsweep[j - m->t0], m->thin + m->col[j], m->thin + ld + m->col[j]);
    m->tsweep_tried = 1;
  }
  for (int j = m->j0; j < m->j1; j++) {
    const size_t n = (size_t)m->cl->bsize[j];
    const struct sweep2d *sweep = j >= m->t0 && m->tsweep && m->tsweep[j - m->t0].built ? &m->tsweep[j - m->t0] : NULL;
    int *before = NULL; /* the order on the previous direction (a source's is kept: only read) */
    long e = 0;         /* sweep: the next flip event */
    for (long q = 0; q < Lb; q++) {
      const long l = m->dir_order[q], lp = q > 0 ? m->dir_order[q - 1] : l;
      double *out = m->sorted + m->soff[j] + l * (long)n;
      /* targets keep no order: two scratch orders in turn */
      int *perm = j < m->cl->C ? mmd_perm(m, j, l) : m->order_state + (size_t)(q % 2) * (size_t)m->nmax;
      if (q % MMD_SORT_TILE == 0) /* the next few directions' projections in one call (each row as mmd_project_thin's) */
        gram_project2(m->dir_theta + 2 * q, (int)mmd_min(MMD_SORT_TILE, Lb - q), m->thin + m->col[j], ld, (long)n, m->dir_proj);
      const double *v = m->dir_proj + (size_t)(q % MMD_SORT_TILE) * n;
      int rc = 1;
      if (before && sweep) sweep2d_advance(sweep, &e, key[q], before, m->dir_flip[lp]); /* the flips since: the answer, nearly always */
      if (before) rc = sort1d_resort(v, n, before, m->dir_flip[l] != m->dir_flip[lp], out, perm, n);
      if (rc == 1) rc = sort1d(v, n, out, perm, &m->sw);
      if (sweep && q == 0) e = sweep2d_first(sweep, key[0]);
      bad |= rc != 0;
      before = perm;
    }
  }
  if (m->gram_in_sort) {
    memset(m->G, 0, (size_t)m->cl->nc * (size_t)m->cl->nc * sizeof *m->G);
    for (long l0 = 0; l0 < Lb; l0 += MMD_SORT_TILE) mmd_gram_tile(m, l0, mmd_min(l0 + MMD_SORT_TILE, Lb));
    gram_mirror(m->cl->nc, m->G);
  }
  return bad;
}

/* bytes at p fetched into cache (for writing when w), every line they touch */
static void mmd_prefetch(const void *p, size_t bytes, int w)
{
  const char *c = p, *end = c + bytes;
  for (uintptr_t a = (uintptr_t)c & ~(uintptr_t)63; a < (uintptr_t)end; a += 64) {
    if (w) __builtin_prefetch((const char *)a, 1, 3);
    else __builtin_prefetch((const char *)a, 0, 3);
  }
}

/* What mmd_sort_one(m, j, l) reads (the projections: a row of them apart from the last sort's, a
 * stride the hardware does not follow) and writes (sorted values, order), fetched into cache while
 * the sort before it runs: 5000 sorts of 200 floats, 440 -> 360 ns each. */
static void mmd_prefetch_sort(const struct mmd *m, int j, long l)
{
  if (m->thin || j >= m->j1 || l >= m->Lb) return;
  const size_t n = (size_t)m->cl->bsize[j], at = (size_t)l * (size_t)(m->ns + m->ntb) + (size_t)m->col[j];
  if (m->set.single) mmd_prefetch(m->projf + at, n * sizeof(float), 0);
  else mmd_prefetch(m->proj + at, n * sizeof(double), 0);
  mmd_prefetch(m->sorted + m->soff[j] + l * (long)n, n * sizeof(double), 1);
  if (j < m->cl->C) mmd_prefetch(mmd_perm(m, j, l), n * sizeof(int), 1);
}

/* Tiled over MMD_SORT_TILE directions: the projections are read as a few row streams and every
 * class's sorted values and permutations are written in runs (one direction at a time across all
 * classes would read 80 KB apart, one class across all directions would write as far apart). */
static int mmd_sort(struct mmd *m)
{
  if (m->dir_order) return mmd_sort_angular(m);
  const int nc = m->cl->nc;
  int bad = 0;
  if (m->gram_in_sort) memset(m->G, 0, (size_t)nc * (size_t)nc * sizeof *m->G);
  for (long l0 = 0; l0 < m->Lb; l0 += MMD_SORT_TILE) {
    const long l1 = mmd_min(l0 + MMD_SORT_TILE, m->Lb);
    for (int j = m->j0; j < m->j1; j++)
      for (long l = l0; l < l1; l++) {
        if (l + 1 < l1) mmd_prefetch_sort(m, j, l + 1);
        else if (j + 1 < m->j1) mmd_prefetch_sort(m, j + 1, l0);
        else mmd_prefetch_sort(m, m->j0, l1);
        bad |= mmd_sort_one(m, j, l);
      }
    if (m->gram_in_sort) mmd_gram_tile(m, l0, l1); /* every class's tile is sorted and in cache: its Gram products now */
  }
  if (m->gram_in_sort) gram_mirror(nc, m->G);
  return bad;
}

static const double *mmd_sorted(const struct mmd *m, int j, long l) { return m->sorted + m->soff[j] + l * m->cl->bsize[j]; }
static const double *mmd_knots(const struct mmd *m, int j, long l) { return m->knots + ((size_t)j * (size_t)m->Lb + (size_t)l) * (size_t)m->set.Q; }

static double mmd_pair_cost(const struct mmd *m, int j, int k, long l, int p)
{
  if (m->set.estimator == MMD_QUANTILE)
    return ot1d_quant_cost(mmd_knots(m, j, l), mmd_knots(m, k, l), m->levels + (size_t)l * (size_t)m->set.Q, m->set.Q, p);
  return ot1d_cost(mmd_sorted(m, j, l), (size_t)m->cl->bsize[j], mmd_sorted(m, k, l), (size_t)m->cl->bsize[k], p);
}

/* The rows of the GEMM form: every class's sorted projections over the own directions, as they are
 * (one size n: rows of Lb n values), expanded on the merged grid (rows of Lb G), or its quantiles
 * at the levels (rows of Lb Q); *div is n, G or Q. */
static const double *mmd_gram_rows(struct mmd *m, long *K, double *div)
{
  const struct wow_clouds *cl = m->cl;
  if (!m->E) {
    *K = m->Lb * cl->bsize[0];
    *div = (double)cl->bsize[0];
    return m->sorted;
  }
  *K = m->Lb * m->row;
  *div = (double)m->row;
  if (mmd_e_blocks(m)) return NULL; /* expanded block by block (mmd_sort, mmd_displacements_gram) */
  for (int j = 0; j < cl->nc; j++) {
    double *e = m->E + (size_t)j * (size_t)*K;
    if (m->set.estimator == MMD_QUANTILE)
      for (long l = 0; l < m->Lb; l++) ot1d_quant_levels(mmd_knots(m, j, l), m->levels + (size_t)l * (size_t)m->set.Q, m->set.Q, e + l * m->row);
    else qgrid_expand(&m->qg, m->qg.which[j], m->sorted + m->soff[j], m->Lb, e);
  }
  return m->E;
}

/* acc += a * the displacements of class c's atoms against class k on direction l (exact or quantile). */
static void mmd_pair_disp(const struct mmd *m, int c, int k, long l, int p, double a, double *acc)
{
  const size_t n = (size_t)m->cl->size[c];
  const int Q = m->set.Q;
  if (m->set.estimator == MMD_QUANTILE)
    ot1d_quant_disp_acc(n, mmd_knots(m, c, l), mmd_knots(m, k, l), m->levels + (size_t)l * (size_t)Q, Q, p, a, m->dq, acc);
  else ot1d_disp_acc(mmd_sorted(m, c, l), n, mmd_sorted(m, k, l), (size_t)m->cl->bsize[k], p, a, acc);
}

/* Pass 1 as a GEMM (exact W2): with e_j the row of class j (mmd_gram_rows), sum_l W2^2 =
 * (|e_j|^2 + |e_k|^2 - 2 e_j.e_k) / div.  Where that difference is below 1e-6 of |e_j|^2 + |e_k|^2
 * (near-identical classes), rounding would dominate, so those pairs are summed difference-first
 * as in the loops (and marked near, for pass 2).  The relative rounding error of every pair stays
 * below about 1e-10. */
static void mmd_row_costs_gram(struct mmd *m)
{
  const struct wow_clouds *cl = m->cl;
  const int nc = cl->nc, nown = m->j1 - m->j0;
  long K;
  double div;
  const double *rows = mmd_gram_rows(m, &K, &div);
  if (K > 0 && !m->gram_in_sort) gram_rows(rows, nc, K, m->j0, nown, m->G);
  if (K > 0 && nown == nc) /* all rows here: the norms are the diagonal (the same sums as the pairs) */
    for (int j = 0; j < nc; j++) m->norm2[j] = m->G[(size_t)j * (size_t)nc + (size_t)j];
  else gram_norms(rows, nc, K, m->norm2);
  for (int j = m->j0; j < m->j1; j++) {
    double *row = m->S + (size_t)(j - m->j0) * (size_t)nc;
    const double *g = m->G + (size_t)(j - m->j0) * (size_t)nc;
    unsigned char *near = m->near + (size_t)(j - m->j0) * (size_t)nc;
    for (int k = 0; k < nc; k++) {
      row[k] = 0.0;
      near[k] = 0;
      if (k == j || (j >= cl->C && k < cl->C) || K == 0) continue;
      double scale = m->norm2[j] + m->norm2[k], v = scale - 2.0 * g[k];
      if (v > 1e-6 * scale) { row[k] = v / div; continue; }
      near[k] = 1;
      double s = 0.0;
      for (long l = 0; l < m->Lb; l++) s += mmd_pair_cost(m, j, k, l, 2);
      row[k] = s;
    }
  }
}

/* Pass 1: partial sums over own directions of the 1D costs of own rows against needed columns. */
static void mmd_row_costs(struct mmd *m)
{
  const struct wow_clouds *cl = m->cl;
  if (m->set.estimator == MMD_QUANTILE)
    for (int j = 0; j < cl->nc; j++)
      for (long l = 0; l < m->Lb; l++)
        ot1d_knots(mmd_sorted(m, j, l), (size_t)cl->bsize[j], m->set.Q, (double *)mmd_knots(m, j, l));
  if (m->gram) { mmd_row_costs_gram(m); return; }
  const int p = m->set.kernel.p;
  for (int j = m->j0; j < m->j1; j++) {
    double *row = m->S + (size_t)(j - m->j0) * (size_t)cl->nc, *row2 = m->S2 ? m->S2 + (row - m->S) : NULL;
    for (int k = 0; k < cl->nc; k++) {
      row[k] = 0.0;
      if (row2) row2[k] = 0.0;
      if (k == j || (j >= cl->C && k < cl->C)) continue;
      double s = 0.0, s2 = 0.0;
      for (long l = 0; l < m->Lb; l++) {
        s += mmd_pair_cost(m, j, k, l, p);
        if (row2) s2 += mmd_pair_cost(m, j, k, l, 2);
      }
      row[k] = s;
      if (row2) row2[k] = s2;
    }
  }
}

/* F from own rows (each pair of the sum is owned by exactly one row). */
static double mmd_local_F(const struct mmd *m)
{
  const struct wow_clouds *cl = m->cl;
  const struct kernel *K = &m->set.kernel;
  double F = 0.0;
  for (int j = m->j0; j < m->j1; j++) {
    const double *row = m->S + (size_t)(j - m->j0) * (size_t)cl->nc;
    double same = 0.0, cross = 0.0;
    for (int k = (j < cl->C ? 0 : cl->C); k < (j < cl->C ? cl->C : cl->nc); k++)
      same += cl->weight[k] * kernel_phi(K, k == j ? 0.0 : row[k]);
    if (j < cl->C)
      for (int k = cl->C; k < cl->nc; k++) cross += cl->weight[k] * kernel_phi(K, row[k]);
    F += cl->weight[j] * (0.5 * same - cross);
  }
  return F;
}

/* Class c's displacement sums on direction l (acc, its atoms in sorted order) un-sorted into row l
 * of A, or of its float copy Af in single precision (where the gradient is an sgemm on Af).  Small
 * d in double: un-sorted into one row (A_row) and added to the transposed gradient at once,
 * gt[t][i] += theta[l][t] A[l][i] (mmd_gradient_rows' sums, in the same order of l), while the row
 * is in L1: the Lb x ns array went out to L2 and L3 and came back. */
static void mmd_unsort(struct mmd *m, int c, long l, const double *acc)
{
  const int *perm = mmd_perm(m, c, l);
  const long n = m->cl->size[c];
  if (m->thin) {
    const size_t d = m->cl->d;
    for (long r = 0; r < n; r++) m->A_row[perm[r]] = acc[r];
    for (size_t t = 0; t < d; t++)
      gram_axpy(m->theta[(size_t)l * d + t], m->A_row, n, m->thin_grad + t * (size_t)m->ns + (size_t)m->col[c]);
    return;
  }
  /* scattered in L1, then copied: scattered straight into A, each store waited on a line of A;
   * the next direction's row of A (ns values on) and order fetched meanwhile */
  const size_t at = (size_t)l * (size_t)m->ns + (size_t)m->col[c];
  if (l + 1 < m->Lb) {
    mmd_prefetch(m->set.single ? (const void *)(m->Af + at + m->ns) : (const void *)(m->A + at + m->ns), (size_t)n * (m->set.single ? 4 : 8), 1);
    mmd_prefetch(perm + n, (size_t)n * sizeof(int), 0);
  }
  if (m->set.single) {
    for (long r = 0; r < n; r++) m->Af_row[perm[r]] = (float)acc[r];
    memcpy(m->Af + at, m->Af_row, (size_t)n * sizeof(float));
  } else {
    for (long r = 0; r < n; r++) m->A_row[perm[r]] = acc[r];
    memcpy(m->A + at, m->A_row, (size_t)n * sizeof(double));
  }
}

/* a_ck: the weight of the displacements of class c's atoms against class k (row: c's row sums
 * S[c][.]): + for a flowed class, - for a target class, w_k 2 phi'(S[c][k]). */
static double mmd_pair_weight(const struct mmd *m, const double *row, int k)
{
  const struct wow_clouds *cl = m->cl;
  return (k < cl->C ? 1.0 : -1.0) * cl->weight[k] * 2.0 * kernel_dphi(&m->set.kernel, row[k]);
}

/* Pass 2 as a GEMM (same condition as the Gram form): for class c and each (direction, rank),
 * acc = sum_k a_ck (t - s_k) = (sum_k a_ck) t - sum_k a_ck s_k: one product W E with
 * W[c][c] = sum_k a_ck and W[c][k] = -a_ck (on the merged grid, then reduced to c's atoms), then
 * un-sorted into A.  Near pairs (pass 1) would cancel badly in that form (a_ck is large where s_k
 * is close to t): they are added difference-first instead.  Block by block of MMD_DISP_TILE
 * directions, so that the sums are un-sorted while they are in cache. */
static void mmd_displacement_weights(struct mmd *m)
{
  const int nc = m->cl->nc;
  for (int c = m->j0; c < m->s1; c++) {
    const double *row = m->S + (size_t)(c - m->j0) * (size_t)nc;
    const unsigned char *near = m->near + (size_t)(c - m->j0) * (size_t)nc;
    double *w = m->W + (size_t)(c - m->j0) * (size_t)nc, diag = 0.0;
    for (int k = 0; k < nc; k++) {
      double a = k == c || near[k] ? 0.0 : mmd_pair_weight(m, row, k);
      w[k] = -a;
      diag += a;
    }
    w[c] = diag;
  }
}

/* Class c's sums on directions [lb, lb + nl) from its row y of the block's product (nl x row
 * values), per atom: y itself (one size), reduced from the merged grid, or from the levels. */
static double *mmd_block_sums(struct mmd *m, int c, long lb, long nl, double *y)
{
  const long n = m->cl->size[c];
  if (!m->E) return y;
  double *accs = m->Asorted + (size_t)(c - m->j0) * (size_t)MMD_DISP_TILE * (size_t)m->nmax;
  if (m->set.estimator != MMD_QUANTILE) { qgrid_reduce(&m->qg, m->qg.which[c], y, nl, accs); return accs; }
  for (long r = 0; r < nl * n; r++) accs[r] = 0.0;
  for (long l = 0; l < nl; l++)
    ot1d_quant_disp_levels((size_t)n, y + l * m->row, m->levels + (size_t)(lb + l) * (size_t)m->set.Q, m->set.Q, 1.0, m->dq, accs + l * n);
  return accs;
}

static void mmd_displacements_gram(struct mmd *m)
{
  const struct wow_clouds *cl = m->cl;
  const int nc = cl->nc, nsrc = m->s1 - m->j0;
  if (nsrc == 0 || m->Lb == 0) return;
  mmd_displacement_weights(m);
  for (long lb = 0; lb < m->Lb; lb += MMD_DISP_TILE) {
    const long nl = mmd_min(MMD_DISP_TILE, m->Lb - lb);
    long width, ldr;
    const double *rows = mmd_block_rows(m, lb, nl, &width, &ldr);
    gram_combine(m->W, nsrc, rows, ldr, nc, width, m->Yg);
    for (int c = m->j0; c < m->s1; c++) {
      const double *srow = m->S + (size_t)(c - m->j0) * (size_t)nc;
      const unsigned char *near = m->near + (size_t)(c - m->j0) * (size_t)nc;
      const long n = cl->size[c];
      double *accs = mmd_block_sums(m, c, lb, nl, m->Yg + (size_t)(c - m->j0) * (size_t)width);
      for (int k = 0; k < nc; k++) {
        if (!near[k]) continue;
        double a = mmd_pair_weight(m, srow, k);
        if (a != 0.0)
          for (long l = 0; l < nl; l++) mmd_pair_disp(m, c, k, lb + l, 2, a, accs + l * n);
      }
      for (long l = 0; l < nl; l++) mmd_unsort(m, c, lb + l, accs + l * n);
    }
  }
}

/* Pass 2: displacement sums of own source classes, un-sorted into A (Lb x ns; Af in single precision;
 * small d: straight into the transposed gradient, mmd_unsort). */
static void mmd_displacements(struct mmd *m)
{
  if (m->thin) memset(m->thin_grad, 0, m->cl->d * (size_t)m->ns * sizeof *m->thin_grad); /* mmd_unsort adds to it */
  if (m->gram) { mmd_displacements_gram(m); return; }
  const struct wow_clouds *cl = m->cl;
  const struct kernel *K = &m->set.kernel;
  const int p = K->p;
  for (int c = m->j0; c < m->s1; c++) {
    const double *row = m->S + (size_t)(c - m->j0) * (size_t)cl->nc;
    const long n = cl->size[c];
    for (long l = 0; l < m->Lb; l++) {
      double *acc = m->acc;
      for (long r = 0; r < n; r++) acc[r] = 0.0;
      for (int k = 0; k < cl->nc; k++) {
        if (k == c) continue;
        double a = mmd_pair_weight(m, row, k);
        if (a == 0.0) continue;
        mmd_pair_disp(m, c, k, l, p, a, acc);
      }
      mmd_unsort(m, c, l, acc);
    }
  }
}

float *mmd_rows_float(struct mmd *m) { return m->set.float_grad && m->set.single && m->xf ? m->xf : NULL; }

void mmd_rows_float_ready(struct mmd *m, const double *x) { m->xf_of = mmd_rows_float(m) ? x : NULL; }

const float *mmd_grad_float(const struct mmd *m)
{
  return m->set.float_grad && m->set.single && m->grid->Pl == 1 && m->Lb > 0 ? m->gradf : NULL;
}

void mmd_step_share(struct mmd *m, const struct flow_step *st, const double *x, const double *v, const double *grad, double *x_out,
                    double *v_out)
{
  const size_t d = m->cl->d, at = (size_t)m->share0 * d, n = (size_t)(m->share1 - m->share0) * d;
  const float *gf = mmd_grad_float(m);
  float *xf = gf ? mmd_rows_float(m) : NULL; /* one direction group: every row here, and the next step's float copy */
  if (gf) flow_step_into_float(st, x + at, v + at, gf + at, n, x_out + at, v_out + at, xf ? xf + at : NULL);
  else flow_step_into(st, x + at, v + at, grad + at, n, x_out + at, v_out + at);
  mmd_rows_float_ready(m, xf && at == 0 && n == (size_t)m->ns * d ? x_out : NULL);
}

/* Rows [r0, r0 + nr) of the gradient: (1/L) A^T Theta (zero without own directions). */
static void mmd_gradient_rows(struct mmd *m, long r0, long nr, double *grad, int add)
{
  const int d = (int)m->cl->d, ns = (int)m->ns, Lb = (int)m->Lb;
  const size_t n = (size_t)nr * (size_t)d;
  double *out = grad + (size_t)r0 * d;
  if (nr == 0 || (Lb == 0 && add)) return;
  if (Lb == 0) { memset(out, 0, n * sizeof(double)); return; }
  if (m->set.single) {
    float *gf = m->gradf + (size_t)r0 * d;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)nr, d, Lb, 1.0f / (float)m->set.L, m->Af + r0, ns, m->thetaf, d, 0.0f, gf, d);
    if (add) for (size_t i = 0; i < n; i++) out[i] += (double)gf[i];
    else if (!mmd_grad_float(m)) convert_to_double(gf, n, out);
    return;
  }
  if (m->thin) { /* d <= MMD_THIN: gt[t][i] = sum_l A[l][i] theta[l][t], summed by mmd_unsort */
    const double scale = 1.0 / (double)m->set.L, *gt = m->thin_grad;
    for (long i = 0; i < nr; i++)
      for (int t = 0; t < d; t++) {
        const double v = scale * gt[(size_t)t * (size_t)ns + (size_t)(r0 + i)];
        out[(size_t)i * (size_t)d + (size_t)t] = add ? out[(size_t)i * (size_t)d + (size_t)t] + v : v;
      }
    return;
  }
  cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)nr, d, Lb, 1.0 / (double)m->set.L, m->A + r0, ns, m->theta, d, add ? 1.0 : 0.0,
              out, d);
}

/* parallel.overlap: class by class, each block all-reduced along dir_comm while the next one is
 * computed (progressed by MPI_Testall between blocks); completed here. */
static void mmd_gradient_overlap(struct mmd *m, double *grad)
{
  const size_t d = m->cl->d;
  int nreq = 0;
  for (int c = m->j0; c < m->s1; c++) {
    const long r0 = m->col[c], nr = m->cl->size[c];
    timer_start(m->tm, TIMER_GRADIENT);
    mmd_gradient_rows(m, r0, nr, grad, 0);
    timer_stop(m->tm, TIMER_GRADIENT);
    timer_start(m->tm, TIMER_COMM);
    comm_test_all(nreq, m->req);
    comm_isum_doubles(grad + (size_t)r0 * d, (size_t)nr * d, m->grid->dir_comm, &m->req[nreq++]);
    timer_stop(m->tm, TIMER_COMM);
  }
  timer_start(m->tm, TIMER_COMM);
  comm_wait_all(nreq, m->req);
  timer_stop(m->tm, TIMER_COMM);
}

static void mmd_gradient(struct mmd *m, double *grad) { mmd_gradient_rows(m, 0, m->ns, grad, 0); }

/* sum over own classes c of w_c / n_c |grad|^2 on c's rows within [share0, share1). */
static double mmd_local_norm2(const struct mmd *m, const double *grad)
{
  const struct wow_clouds *cl = m->cl;
  const float *gf = mmd_grad_float(m);
  double acc = 0.0;
  for (int c = m->j0; c < m->s1; c++) {
    const long r0 = mmd_max(m->col[c], m->share0), r1 = mmd_min(m->col[c] + cl->size[c], m->share1);
    if (r1 <= r0) continue;
    double s;
    if (gf) gram_norms_float(gf + (size_t)r0 * cl->d, 1, (r1 - r0) * (long)cl->d, &s);
    else gram_norms(grad + (size_t)r0 * cl->d, 1, (r1 - r0) * (long)cl->d, &s);
    acc += cl->weight[c] / (double)cl->size[c] * s;
  }
  return acc;
}

/* Node memory (mmd_node_alloc): grad is shared by the direction group, and each share's rows
 * collect the Pl partials in place.  At stage s = 1 .. Pl - 1 rank p adds its partial of the rows of
 * share (p + s) mod Pl (stage 1 writes them), with a barrier between stages; at stage Pl it adds its
 * own share's.  Share q thus sums the partials of ranks q - 1, q - 2, ..., q + 1, then q: the same
 * order at every step of a given grid (at Pl = 2 the reduce-scatter's one addition). */
static void mmd_gradient_staged(struct mmd *m, double *grad)
{
  const int Pl = m->grid->Pl;
  if (grad != m->node_grad) wow_fail("internal: the gradient is not the shared one");
  for (int s = 1; s <= Pl; s++) {
    const int q = (m->grid->pl + s) % Pl;
    const long d = (long)m->cl->d; /* share q's rows: the layout of mmd_alloc_shares */
    timer_start(m->tm, TIMER_GRADIENT);
    mmd_gradient_rows(m, m->shdispl[q] / d, m->shcount[q] / d, grad, s > 1);
    timer_stop(m->tm, TIMER_GRADIENT);
    if (s == Pl) break;
    timer_start(m->tm, TIMER_COMM);
    comm_shared_sync(m->grid->dir_comm);
    timer_stop(m->tm, TIMER_COMM);
  }
}

/* ------------------------------------------------------------------ one evaluation */

void mmd_eval(struct mmd *m, long step, const double *x, const double *y, double *grad, struct mmd_result *res)
{
  const struct comm_grid *g = m->grid;
  const size_t nown = (size_t)(m->j1 - m->j0) * (size_t)m->cl->nc;

  timer_start(m->tm, TIMER_DIRECTIONS);
  mmd_directions(m, step);
  timer_stop(m->tm, TIMER_DIRECTIONS);

  timer_start(m->tm, TIMER_PROJECT);
  mmd_project_rows(m, x, m->ns, 0, m->xf, x != NULL && m->xf_of == x);
  m->xf_of = NULL;
  timer_stop(m->tm, TIMER_PROJECT);

  timer_start(m->tm, TIMER_TARGET);
  mmd_project_targets(m, mmd_target_rows(m, step, y));
  timer_stop(m->tm, TIMER_TARGET);

  timer_start(m->tm, TIMER_SORT);
  int bad = mmd_sort(m); /* a NaN projection also makes F NaN on every rank */
  timer_stop(m->tm, TIMER_SORT);

  timer_start(m->tm, TIMER_COMM);
  comm_allgatherv_doubles(m->sorted + m->soff[m->j0], m->sorted, m->gcount, m->gdispl, g->class_comm);
  timer_stop(m->tm, TIMER_COMM);

  timer_start(m->tm, TIMER_OT1D);
  mmd_row_costs(m);
  timer_stop(m->tm, TIMER_OT1D);

  timer_start(m->tm, TIMER_COMM);
  if (g->Pl > 1) {
    comm_sum_doubles(m->S, nown, g->dir_comm);
    if (m->S2) comm_sum_doubles(m->S2, nown, g->dir_comm);
  }
  timer_stop(m->tm, TIMER_COMM);

  timer_start(m->tm, TIMER_KERNEL);
  for (size_t i = 0; i < nown; i++) m->S[i] /= (double)m->set.L;
  if (m->S2) for (size_t i = 0; i < nown; i++) m->S2[i] /= (double)m->set.L;
  m->F_local = mmd_local_F(m);
  timer_stop(m->tm, TIMER_KERNEL);

  timer_start(m->tm, TIMER_OT1D);
  mmd_displacements(m);
  timer_stop(m->tm, TIMER_OT1D);

  const int overlap = m->set.overlap && g->Pl > 1 && m->ns > 0;
  if (overlap) mmd_gradient_overlap(m, grad); /* timed inside: gradient blocks and their communication */
  else if (m->node_grad) mmd_gradient_staged(m, grad); /* the same */
  else {
    timer_start(m->tm, TIMER_GRADIENT);
    mmd_gradient(m, grad);
    timer_stop(m->tm, TIMER_GRADIENT);
  }

  timer_start(m->tm, TIMER_COMM);
  if (!m->node_grad) { /* node memory: summed in place by mmd_gradient_staged */
    if (m->shcount) comm_reduce_scatter_doubles(grad, m->shcount, m->shdispl, m->shwork, g->dir_comm);
    else if (g->Pl > 1 && !overlap) comm_sum_doubles(grad, (size_t)m->ns * m->cl->d, g->dir_comm);
  }
  timer_stop(m->tm, TIMER_COMM);
  timer_start(m->tm, TIMER_GRADIENT);
  const double norm2 = mmd_local_norm2(m, grad); /* arithmetic: not in the communication phase */
  timer_stop(m->tm, TIMER_GRADIENT);
  timer_start(m->tm, TIMER_COMM);
  res->F = comm_sum_double(m->F_local, g->class_comm);
  res->grad_norm = sqrt(comm_sum_double(norm2, m->shcount ? g->world : g->class_comm)); /* shares: every row once */
  res->nonfinite = !comm_all_ok(g->world, !bad && isfinite(res->F) && isfinite(res->grad_norm));
  timer_stop(m->tm, TIMER_COMM);
}

void mmd_gather_shares(const struct mmd *m, double *rows)
{
  if (m->shcount) comm_allgatherv_doubles(rows + (size_t)m->share0 * m->cl->d, rows, m->shcount, m->shdispl, m->grid->dir_comm);
}

int mmd_node_alloc(struct mmd *m, const double *x, const double *x_prev, struct mmd_node *nm, char *msg, size_t len)
{
  const struct comm_grid *g = m->grid;
  memset(nm, 0, sizeof *nm);
  msg[0] = '\0';
  if (!m->shcount) return 0; /* the same on every rank: shares follow from the deck and Pl */
  char why[WOW_ERRLEN] = "";
  nm->bytes = (size_t)m->ns * m->cl->d * sizeof(double);
  if (!comm_one_node(g->dir_comm)) snprintf(why, sizeof why, "the ranks of a class block run on different nodes");
  else if ((nm->x = comm_shared_alloc(g->dir_comm, nm->bytes, why, sizeof why)) &&
           (nm->x_prev = comm_shared_alloc(g->dir_comm, nm->bytes, why, sizeof why)))
    nm->grad = comm_shared_alloc(g->dir_comm, nm->bytes, why, sizeof why);
  const int ok = nm->grad != NULL; /* the same on every rank of the class block */
  const long blocks = comm_sum_long(ok && g->pl == 0, g->world);
  char first[WOW_ERRLEN];
  comm_first_message(g->world, ok ? "" : why, first, sizeof first);
  if (blocks == 0)
    snprintf(msg, len, "shared memory not used (%s): the gradient is reduce-scattered, the particles all-gathered", first);
  else if (blocks < g->Pc)
    snprintf(msg, len, "shared memory in %ld of %d class blocks; the others reduce-scatter the gradient and all-gather the particles (%s)",
             blocks, g->Pc, first);
  if (!ok) {
    mmd_node_free(nm);
    return 0;
  }
  if (g->pl == 0 && nm->bytes) {
    memcpy(nm->x, x, nm->bytes);
    memcpy(nm->x_prev, x_prev, nm->bytes);
  }
  comm_shared_sync(g->dir_comm);
  m->node_grad = nm->grad;
  free(m->shwork); /* the reduce-scatter's */
  m->shwork = NULL;
  return 1;
}

void mmd_node_free(struct mmd_node *nm)
{
  comm_shared_free(nm->x, nm->bytes);
  comm_shared_free(nm->x_prev, nm->bytes);
  comm_shared_free(nm->grad, nm->bytes);
  memset(nm, 0, sizeof *nm);
}

void mmd_sync_shares(const struct mmd *m, double *x)
{
  if (m->node_grad) comm_shared_sync(m->grid->dir_comm);
  else mmd_gather_shares(m, x);
}

void mmd_describe(const struct mmd *m, char *buf, size_t len)
{
  const char *why = m->set.force_loops ? " (forced)" : m->set.kernel.p != 2 ? " (the kernel uses SW_1)" : " (classes of too many sizes for the merged grid)";
  char form[160];
  if (!m->gram) snprintf(form, sizeof form, "loops%s", why);
  else if (m->E && m->set.estimator == MMD_QUANTILE) snprintf(form, sizeof form, "GEMM form on the quantile levels (Q = %d)", m->set.Q);
  else if (m->E) snprintf(form, sizeof form, "GEMM form on the merged quantile grid (%ld intervals)", m->qg.G);
  else snprintf(form, sizeof form, "GEMM form");
  char shares[128] = "", sweep[160] = "";
  if (m->dir_order)
    snprintf(sweep, sizeof sweep, "; each sort from the previous direction's order (d = 2, directions by angle%s)",
             m->tsweep ? "; the targets' advanced by their flip events" : "");
  if (m->shcount)
    snprintf(shares, sizeof shares, "; particles updated in %d shares (%s)", m->grid->Pl,
             m->node_grad ? "particles and gradient in shared memory" : "gradient reduce-scattered");
  snprintf(buf, len, "pairwise transports: %s; projections and gradient: %s%s%s", form,
           m->set.single ? "sgemm" : m->thin ? "loops (d <= 4)" : "dgemm", sweep, shares);
}

void mmd_stat_matrix(const struct mmd *m, int sw2, double *out)
{
  const struct wow_clouds *cl = m->cl;
  const size_t nc = (size_t)cl->nc;
  const double *S = (sw2 && m->S2) ? m->S2 : m->S;
  memset(out, 0, nc * nc * sizeof(double));
  for (int j = m->j0; j < m->j1; j++)
    memcpy(out + (size_t)j * nc, S + (size_t)(j - m->j0) * nc, nc * sizeof(double));
  comm_sum_doubles(out, nc * nc, m->grid->class_comm);
  for (int j = cl->C; j < cl->nc; j++)
    for (int k = 0; k < cl->C; k++) out[(size_t)j * nc + (size_t)k] = out[(size_t)k * nc + (size_t)j];
}
