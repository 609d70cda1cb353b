/* layout.c -- clouds and the 2D decomposition (see layout.h). */
#include <config.h>
#include "layout.h"
#include "mem.h"

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

double layout_model_seconds(const struct wow_clouds *cl, long L, int P, int Pc)
{
  const double flops = 2e9, bandwidth = 5e9, latency = 5e-6; /* per rank, bytes/s, s */
  int Pl = P / Pc;
  int *b = WOW_NEW(int, Pc + 1, "model blocks");
  layout_split_clouds(cl, Pc, b);
  double worst = 0, own_rows = 0, all_rows = 0;
  for (int j = 0; j < cl->nc; j++) all_rows += (double)cl->bsize[j];
  for (int q = 0; q < Pc; q++) {
    double w = 0, rows = 0;
    for (int j = b[q]; j < b[q + 1]; j++) {
      w += layout_cloud_work(cl, j);
      if (j < cl->C) rows += (double)cl->size[j];
    }
    if (w > worst) worst = w;
    if (rows > own_rows) own_rows = rows;
  }
  free(b);
  double Lb = ceil((double)L / Pl);
  double compute = worst * Lb / flops + own_rows * (double)cl->d * 4.0 / flops;
  double gather = 8.0 * all_rows * Lb * (1.0 - 1.0 / Pc) / bandwidth + latency * log2(Pc + 1.0);
  double reduce = 2.0 * 8.0 * (own_rows * (double)cl->d + (double)cl->nc * cl->nc / Pc) * (1.0 - 1.0 / Pl) / bandwidth
                  + 2.0 * latency * log2(Pl + 1.0);
  return compute + gather + reduce;
}

int layout_auto_groups(const struct wow_clouds *cl, long L, int P)
{
  int best = 1;
  double bestt = INFINITY;
  for (int Pc = 1; Pc <= P; Pc++) {
    if (P % Pc != 0 || Pc > cl->nc) continue;
    double t = layout_model_seconds(cl, L, P, Pc);
    if (t < bestt * (1.0 - 1e-9)) { bestt = t; best = Pc; }
  }
  return best;
}
