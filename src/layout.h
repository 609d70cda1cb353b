/* layout.h -- what the flow works on and how it is split over ranks.
 *
 * A "cloud" is one class: clouds 0..C-1 are the source classes, C..C+C2-1 the target classes.
 * struct wow_clouds holds the global sizes and weights (identical on every rank).
 * struct wow_part is the 2D decomposition: clouds are split into Pc contiguous blocks balanced by
 * estimated work, directions into Pl contiguous blocks.  layout_auto_groups() picks Pc from a
 * small cost model.  Pure functions, no MPI. */
#ifndef WOW_LAYOUT_H
#define WOW_LAYOUT_H

#include <stddef.h>

struct wow_clouds {
  int C, C2, nc;   /* source classes, target classes, C + C2 */
  size_t d;
  long *size;      /* nc: particles of every cloud (targets: the full class) */
  long *bsize;     /* nc: particles used per step (targets: min(batch, size) when batching) */
  double *weight;  /* nc: w_c for sources, v_k for targets; each set sums to 1 */
  long *row0;      /* nc: first row of the cloud within its set (source rows or target rows) */
  long N, M;       /* source rows, target rows */
};

struct wow_part {
  int Pc, Pl;
  int *cloud0;  /* Pc + 1 block boundaries over clouds */
  long *dir0;   /* Pl + 1 block boundaries over directions */
};

/* sizes: nc entries; weights: nc entries (each set normalised here); batch: 0 = no batching. */
void layout_clouds_init(struct wow_clouds *cl, int C, int C2, size_t d, const long *sizes, const double *weights, long batch);
void layout_clouds_free(struct wow_clouds *cl);

void layout_part_init(struct wow_part *p, const struct wow_clouds *cl, long L, int Pc, int Pl);
void layout_part_free(struct wow_part *p);

/* Modelled seconds per step for a Pc x (P/Pc) grid (see docs/format.md, "Decomposition"). */
double layout_model_seconds(const struct wow_clouds *cl, long L, int P, int Pc);
/* Pc in [1, P], dividing P, minimising the model. */
int layout_auto_groups(const struct wow_clouds *cl, long L, int P);

#endif
