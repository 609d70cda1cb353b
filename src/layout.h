/* layout.h -- what the flow works on and how it is split over ranks.
 *
 * A "cloud" is one class: clouds 0..C-1 are the source classes, C..C+C2-1 the target classes.
 * struct wow_clouds holds the global sizes and weights (identical on every rank).
 * struct wow_part is the 2D decomposition: clouds are split into Pc contiguous blocks balanced by
 * estimated work, directions into Pl contiguous blocks.  layout_model() is the per-rank cost model
 * of docs/scaling.md (compute on the busiest rank plus the collectives, under the machine rates of
 * struct layout_rates); layout_auto_groups() picks Pc by it.  Pure functions, no MPI. */
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
/* C source classes of n points and C2 target classes of m, equal weights (benchmarks, the model). */
void layout_clouds_uniform(struct wow_clouds *cl, int C, int C2, size_t d, long n, long m, long batch);
void layout_clouds_free(struct wow_clouds *cl);

void layout_part_init(struct wow_part *p, const struct wow_clouds *cl, long L, int Pc, int Pl);
void layout_part_free(struct wow_part *p);

/* Machine rates of the model (deck keys parallel.model_*; postprocess/scaling_model fits them to
 * `wowflow bench` rows).  Defaults: the compute rates measured on one core of the development
 * machine (OpenBLAS Haswell kernel), the communication of a typical InfiniBand cluster. */
struct layout_rates {
  double gemm_gflops;   /* projection and gradient GEMMs */
  double pair_gflops;   /* pairwise 1D transports (GEMM form or loops) */
  double sort_ns;       /* per sorted projection value, in a class of 200 (layout_sort_scale) */
  double latency_us;    /* per message stage of a collective (log2 P stages) */
  double bandwidth_gbs; /* per rank */
  double memory_gbs;    /* per rank: the particle update streams LAYOUT_UPDATE_BYTES per source coordinate */
  int node_ranks;       /* ranks per node where consecutive ranks fill each node and class blocks may share memory
                         * (parallel.shared_memory): a block of Pl ranks, Pl dividing it, then moves no gradient or
                         * particles, only Pl barriers; 0: the collectives everywhere */
};
#define LAYOUT_GEMM_GFLOPS 34
#define LAYOUT_PAIR_GFLOPS 8
#define LAYOUT_SORT_NS 6.5
#define LAYOUT_LATENCY_US 2
#define LAYOUT_BANDWIDTH_GBS 10
#define LAYOUT_MEMORY_GBS 16
#define LAYOUT_RATES_DEFAULT { LAYOUT_GEMM_GFLOPS, LAYOUT_PAIR_GFLOPS, LAYOUT_SORT_NS, LAYOUT_LATENCY_US, LAYOUT_BANDWIDTH_GBS, LAYOUT_MEMORY_GBS, 0 }
/* Bytes the momentum step moves per source coordinate (run.c steps out of place: x, v and g read,
 * the new x and v written to other buffers by streaming stores, flow.c, so not read first): 5
 * doubles.  Each of the Pl ranks of a class block updates its share of the block's rows (mmd
 * share0/1). */
#define LAYOUT_UPDATE_BYTES 40.0

/* Time to sort one value of a class of n points, in units of sort_ns (1 at n = 200). */
double layout_sort_scale(double n);

/* Seconds per step on a Pc x (P/Pc) grid, by term (the busiest class block sets compute). */
struct layout_cost {
  double compute, gather, reduce, total;
};
/* qrow: values per direction of every class's row in the pairwise transports when the method
 * fixes it (the quantile estimator's Q levels), 0: from the class sizes (n, or the merged grid). */
void layout_model(const struct wow_clouds *cl, long L, long qrow, int P, int Pc, const struct layout_rates *r, struct layout_cost *out);
/* Pc in [1, P], dividing P, at most nc, minimising the model (rates NULL: the defaults). */
int layout_auto_groups(const struct wow_clouds *cl, long L, long qrow, int P, const struct layout_rates *r);

#endif
