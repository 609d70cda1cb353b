/* layout.c -- clouds and the 2D decomposition (see layout.h). */
#include <config.h>
#include "layout.h"
#include "mem.h"
#include "qgrid.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void layout_clouds_init(struct wow_clouds *cl, int C, int C2, size_t d, const long *sizes, const double *weights, long batch)
{
  memset(cl, 0, sizeof *cl);
  cl->C = C;
  cl->C2 = C2;
  cl->nc = C + C2;
  cl->d = d;
  cl->size = WOW_NEW(long, cl->nc, "cloud sizes");
  cl->bsize = WOW_NEW(long, cl->nc, "cloud batch sizes");
  cl->weight = WOW_NEW(double, cl->nc, "cloud weights");
  cl->row0 = WOW_NEW(long, cl->nc, "cloud rows");
  double ws = 0, vs = 0;
  for (int j = 0; j < cl->nc; j++) *(j < C ? &ws : &vs) += weights[j];
  for (int j = 0; j < cl->nc; j++) {
    cl->size[j] = sizes[j];
    cl->bsize[j] = (j >= C && batch > 0 && batch < sizes[j]) ? batch : sizes[j];
    cl->weight[j] = weights[j] / (j < C ? ws : vs);
    long *total = j < C ? &cl->N : &cl->M;
    cl->row0[j] = *total;
    *total += sizes[j];
  }
}

void layout_clouds_uniform(struct wow_clouds *cl, int C, int C2, size_t d, long n, long m, long batch)
{
  long *sizes = WOW_NEW(long, C + C2, "sizes");
  double *w = WOW_NEW(double, C + C2, "weights");
  for (int j = 0; j < C + C2; j++) { sizes[j] = j < C ? n : m; w[j] = 1.0; }
  layout_clouds_init(cl, C, C2, d, sizes, w, batch);
  free(sizes);
  free(w);
}

void layout_clouds_free(struct wow_clouds *cl)
{
  free(cl->size);
  free(cl->bsize);
  free(cl->weight);
  free(cl->row0);
  memset(cl, 0, sizeof *cl);
}

/* Work of one cloud per direction, in flop-like units: projection (2d per point), sort,
 * its row of 1D transports (two passes for sources), and the gradient product (2d). */
static double layout_cloud_work(const struct wow_clouds *cl, int j)
{
  double n = (double)cl->bsize[j], d = (double)cl->d, all = 0;
  for (int k = (j < cl->C ? 0 : cl->C); k < cl->nc; k++) all += (double)cl->bsize[k] + n;
  if (j < cl->C) return n * (4.0 * d + log2(n + 1.0)) + 2.0 * all;
  return n * (2.0 * d + log2(n + 1.0)) + all;
}

static void layout_split_clouds(const struct wow_clouds *cl, int Pc, int *b)
{
  double total = 0;
  for (int j = 0; j < cl->nc; j++) total += layout_cloud_work(cl, j);
  b[0] = 0;
  double cum = 0;
  int j = 0;
  for (int p = 1; p < Pc; p++) {
    double goal = total * p / Pc;
    while (j < cl->nc && cum + 0.5 * layout_cloud_work(cl, j) < goal) cum += layout_cloud_work(cl, j++);
    b[p] = j;
  }
  b[Pc] = cl->nc;
  /* Prefer no empty block when there are enough clouds: push boundaries apart. */
  if (Pc <= cl->nc) {
    for (int p = 1; p < Pc; p++) if (b[p] <= b[p - 1]) b[p] = b[p - 1] + 1;
    for (int p = Pc - 1; p >= 1; p--) if (b[p] > cl->nc - (Pc - p)) b[p] = cl->nc - (Pc - p);
  }
}

void layout_part_init(struct wow_part *p, const struct wow_clouds *cl, long L, int Pc, int Pl)
{
  p->Pc = Pc;
  p->Pl = Pl;
  p->cloud0 = WOW_NEW(int, Pc + 1, "cloud blocks");
  p->dir0 = WOW_NEW(long, Pl + 1, "direction blocks");
  layout_split_clouds(cl, Pc, p->cloud0);
  for (int q = 0; q <= Pl; q++) p->dir0[q] = (long)((double)L * q / Pl + 1e-9);
  p->dir0[Pl] = L;
}

void layout_part_free(struct wow_part *p)
{
  free(p->cloud0);
  free(p->dir0);
  p->cloud0 = NULL;
  p->dir0 = NULL;
}

/* Cost of sorting one value of a class of n, relative to n = 200 (what sort_ns is): rank counting
 * is linear in n up to 1024 values, the radix sort above is flat (src/sort1d.c; measured here). */
double layout_sort_scale(double n) { return n <= 1024 ? (77.0 + n) / 277.0 : 4.6; }

/* Work of class block [j0, j1) per step: GEMM flops, sorted values (scaled as above),
 * pairwise-transport flops (docs/scaling.md "Per rank and step"; grid > 0: every row of the Gram
 * form G long per direction: classes of different sizes, src/qgrid.h, or the quantile estimator's
 * levels), and its source rows. */
struct layout_block_work {
  double gemm, sorts, pair, rows;
};

static void layout_block_work(const struct wow_clouds *cl, int j0, int j1, double Lb, long grid, struct layout_block_work *w)
{
  const double d = (double)cl->d;
  memset(w, 0, sizeof *w);
  for (int j = j0; j < j1; j++) {
    const double n = (double)cl->bsize[j], src = j < cl->C ? 1.0 : 0.0, row = grid > 0 ? (double)grid : n;
    w->gemm += 2.0 * d * Lb * n * (1.0 + src);             /* projection (+ gradient) */
    w->sorts += Lb * n * layout_sort_scale(n);
    w->pair += 2.0 * (double)cl->nc * Lb * row * (1.0 + src); /* costs (+ displacements), rows of the merged grid */
    if (j < cl->C) w->rows += (double)cl->size[j];
  }
}

void layout_model(const struct wow_clouds *cl, long L, long qrow, int P, int Pc, const struct layout_rates *r, struct layout_cost *out)
{
  static const struct layout_rates def = LAYOUT_RATES_DEFAULT;
  if (!r) r = &def;
  const int Pl = P / Pc;
  const double Lb = ceil((double)L / Pl), bw = r->bandwidth_gbs * 1e9, lat = r->latency_us * 1e-6;
  int *b = WOW_NEW(int, Pc + 1, "model blocks");
  layout_split_clouds(cl, Pc, b);
  double all_rows = 0;
  for (int j = 0; j < cl->nc; j++) all_rows += (double)cl->bsize[j];
  const long grid = qrow > 0 ? qrow : qgrid_length(cl->bsize, cl->nc); /* the estimator's levels, or the merged grid */
  memset(out, 0, sizeof *out);
  for (int q = 0; q < Pc; q++) {
    struct layout_block_work w;
    layout_block_work(cl, b[q], b[q + 1], Lb, grid, &w);
    const double compute = w.gemm / (r->gemm_gflops * 1e9) + w.sorts * r->sort_ns * 1e-9 + w.pair / (r->pair_gflops * 1e9)
                           + LAYOUT_UPDATE_BYTES * ceil(w.rows / Pl) * (double)cl->d / (r->memory_gbs * 1e9); /* a share */
    /* the gradient and particles: reduce-scattered and all-gathered over the network, or, where
     * the block's ranks share a node (r->node_ranks), summed in place in Pl stages: the stages after
     * the first read back what they add to (8 bytes per coordinate, (1 - 1/Pl) of the rows, at the
     * memory rate) and Pl barriers, the new particles one more; then the SW row sums */
    const int shared = Pl > 1 && r->node_ranks > 0 && r->node_ranks % Pl == 0;
    const double coords = w.rows * (double)cl->d, mem = r->memory_gbs * 1e9;
    const double moved = shared ? 8.0 * coords * (1.0 - 1.0 / Pl) / mem + (Pl + 1) * lat * log2((double)Pl)
                                : 2.0 * 8.0 * coords * (1.0 - 1.0 / Pl) / bw;
    const double reduce = moved + 2.0 * 8.0 * (double)(b[q + 1] - b[q]) * cl->nc * (1.0 - 1.0 / Pl) / bw + 2.0 * lat * log2((double)Pl);
    if (compute > out->compute) out->compute = compute;
    if (reduce > out->reduce) out->reduce = reduce;
  }
  free(b);
  out->gather = 8.0 * Lb * all_rows * (1.0 - 1.0 / Pc) / bw + lat * log2((double)Pc);
  out->reduce += 3.0 * lat * log2((double)P); /* F, gradient norm, flags */
  out->total = out->compute + out->gather + out->reduce;
}

/* Among the divisors Pc of P (at most nc), the cheapest by the model; grids with more direction
 * groups than directions (idle ranks) only when there is no other. */
int layout_auto_groups(const struct wow_clouds *cl, long L, long qrow, int P, const struct layout_rates *r)
{
  int best = 1;
  double bestt = INFINITY;
  for (int pass = 0; pass < 2 && bestt == INFINITY; pass++)
    for (int Pc = 1; Pc <= P; Pc++) {
      if (P % Pc != 0 || Pc > cl->nc || (pass == 0 && P / Pc > L)) continue;
      struct layout_cost c;
      layout_model(cl, L, qrow, P, Pc, r, &c);
      if (c.total < bestt * (1.0 - 1e-9)) { bestt = c.total; best = Pc; }
    }
  return best;
}
