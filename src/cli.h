/* cli.h -- the command line.  Pure: cli_parse fills struct cli or writes a one-line reason.
 *
 *   wowflow [run] DECK [-P section.key=value]... [--check-deck] [--restart latest|FILE]
 *   wowflow grad FILE.h5 --out OUT.h5 [--kernel K] [--h H] [--r R] [--estimator exact|quantile]
 *                        [--quantiles Q] [--seed S]
 *   wowflow compare A.h5 B.h5 [--rtol R] [--atol A]
 *   wowflow bench [--classes C --n N --m M --d D --projections L --steps S --warmup W
 *                  --batch B --class-groups PC --kernel K --estimator E --tsv FILE]
 *   wowflow bench --sums [--n N --d D --projections L --kernel gaussian|riesz --h H --steps R --tsv FILE]
 *   wowflow bench --comm [--max-kb K] [--tsv FILE]
 *   wowflow bench --predict [--ranks P1,P2,...] [size options] [--gemm-gflops G --pair-gflops G
 *                  --sort-ns T --latency-us T --bandwidth-gbs B --memory-gbs B] [--tsv FILE]
 *   wowflow import (--idx IMAGES --idx-labels LABELS | --csv TABLE [--label-column K] [--header]
 *                  [--shape HxW]) --out OUT.h5 [--classes 0,1,2] [--per-class N] [--seed S]
 *                  [--scale] [--resize HxW]
 *   wowflow --version | --help | --reference-deck */
#ifndef WOW_CLI_H
#define WOW_CLI_H

#include "layout.h"

#include <stddef.h>

enum cli_cmd { CLI_RUN, CLI_GRAD, CLI_COMPARE, CLI_BENCH, CLI_IMPORT, CLI_VERSION, CLI_HELP, CLI_REFERENCE };

struct cli {
  enum cli_cmd cmd;
  const char *deck;
  char **overrides;   /* points into argv */
  int noverrides;
  int check_deck;
  const char *restart; /* NULL, "latest" or a checkpoint file */
  /* grad */
  const char *in, *out, *kernel, *estimator;
  double h, r;
  long quantiles, seed;
  /* compare */
  const char *a, *b;
  double rtol, atol;
  /* bench */
  long classes, n, m, d, L, steps, warmup, batch, class_groups;
  const char *tsv, *precision;
  int sums;           /* bench --sums: the kernel-sum paths (cmd_bench_sums) */
  int overlap;        /* bench --overlap: parallel.overlap */
  int no_shares;      /* bench --no-shares: parallel.shares = false */
  int no_shm;         /* bench --no-shared-memory: parallel.shared_memory = false */
  int predict;        /* bench --predict: the cost model's table, no run (cmd_bench_model) */
  int comm;           /* bench --comm: collectives timed, latency and bandwidth fitted (cmd_bench_comm) */
  long comm_max_kb;   /* bench --comm --max-kb K: largest message per rank */
  long ranks[16];     /* bench --ranks P1,P2,...: the rank counts predicted (0 entries: the run's) */
  int nranks;
  struct layout_rates rates; /* bench --gemm-gflops ... --memory-gbs: the model's rates */
  /* import */
  const char *idx, *idx_labels, *csv, *shape;
  int label_column, header, scale, resize_h, resize_w, nclass_list;
  int class_list[1024];
  long per_class;
};

int cli_parse(int argc, char **argv, struct cli *c, char *err, size_t len);
void cli_free(struct cli *c);
const char *cli_usage(void);

#endif
