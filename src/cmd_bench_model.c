/* cmd_bench_model.c -- 'wowflow bench --predict': the cost model of docs/scaling.md (src/layout.c)
 * evaluated for every Pc x Pl grid of each requested rank count, at the bench's synthetic size and
 * the given machine rates.  Nothing runs; rank 0 prints a Markdown table (and the TSV). */
#include <config.h>
#include "commands.h"
#include "comm.h"
#include "layout.h"

#include <stdio.h>
#include <string.h>

long bench_qrow(const struct cli *c) { return c->estimator && !strcmp(c->estimator, "quantile") ? BENCH_QUANTILES : 0; }

static void model_row(FILE *md, FILE *tsv, const struct cli *c, const struct wow_clouds *cl, long P, int Pc, int pick, double t1)
{
  struct layout_cost k;
  layout_model(cl, c->L, bench_qrow(c), (int)P, Pc, &c->rates, &k);
  const double eff = t1 / ((double)P * k.total);
  fprintf(md, "| %ld | %d x %ld%s | %.3g | %.3g | %.3g | %.3g | %.0f %% |\n", P, Pc, P / Pc, pick ? " (auto)" : "", 1e3 * k.compute,
          1e3 * k.gather, 1e3 * k.reduce, 1e3 * k.total, 100.0 * eff);
  if (tsv)
    fprintf(tsv, "%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%d\t%ld\t%d\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\n", c->classes, c->n, c->m, c->d, c->L, P, Pc,
            P / Pc, pick, 1e3 * k.compute, 1e3 * k.gather, 1e3 * k.reduce, 1e3 * k.total, eff);
}

static int model_table(const struct cli *c, const struct wow_clouds *cl, const long *ranks, int nranks)
{
  FILE *tsv = NULL;
  if (c->tsv) {
    tsv = fopen(c->tsv, "w");
    if (!tsv) { fprintf(stderr, "wowflow: error: %s: cannot write the table\n", c->tsv); return 1; }
    fprintf(tsv, "classes\tn\tm\td\tL\tranks\tPc\tPl\tauto\tcompute_ms\tgather_ms\treduce_ms\tpredicted_ms\tefficiency\n");
  }
  const struct layout_rates *r = &c->rates;
  char node[96] = "";
  if (r->node_ranks) snprintf(node, sizeof node, "; %d ranks per node (class blocks of Pl | %d ranks share memory)", r->node_ranks, r->node_ranks);
  printf("cost model (docs/scaling.md): %ld + %ld classes, n = %ld, m = %ld, d = %ld, L = %ld; rates: GEMM %g GFLOP/s, "
         "pairwise %g GFLOP/s, sort %g ns per value, latency %g us, bandwidth %g GB/s per rank, update %g GB/s%s\n",
         c->classes, c->classes, c->n, c->m, c->d, c->L, r->gemm_gflops, r->pair_gflops, r->sort_ns, r->latency_us, r->bandwidth_gbs,
         r->memory_gbs, node);
  printf("| ranks | grid (Pc x Pl) | compute ms | allgather ms | allreduce ms | predicted ms/step | efficiency |\n");
  printf("|---|---|---|---|---|---|---|\n");
  struct layout_cost one;
  layout_model(cl, c->L, bench_qrow(c), 1, 1, r, &one);
  for (int q = 0; q < nranks; q++) {
    const long P = ranks[q];
    const int pick = layout_auto_groups(cl, c->L, bench_qrow(c), (int)P, r);
    for (int Pc = 1; Pc <= P && Pc <= cl->nc; Pc++)
      if (P % Pc == 0 && (P / Pc <= c->L || Pc == pick)) model_row(stdout, tsv, c, cl, P, Pc, Pc == pick, one.total);
  }
  if (tsv && fclose(tsv) != 0) { fprintf(stderr, "wowflow: error: %s: write failed\n", c->tsv); return 1; }
  return 0;
}

int cmd_bench_model(const struct cli *c, MPI_Comm world)
{
  const int C = (int)c->classes;
  struct wow_clouds cl;
  layout_clouds_uniform(&cl, C, C, (size_t)c->d, c->n, c->m, c->batch);
  long here = comm_size(world);
  int status = 0;
  if (comm_rank(world) == 0) status = model_table(c, &cl, c->nranks ? c->ranks : &here, c->nranks ? c->nranks : 1);
  layout_clouds_free(&cl);
  return (int)comm_max_long(status, world);
}
