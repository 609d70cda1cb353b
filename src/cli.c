/* cli.c -- command-line parsing (see cli.h). */
#include <config.h>
#include "cli.h"
#include "mem.h"

#include <errno.h>
#include <math.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cli_usage(void)
{
  return "usage:\n"
         "  wowflow [run] DECK [-P section.key=value]... [--check-deck] [--restart latest|FILE]\n"
         "      run the flow described by the input deck (see input/reference.deck); --restart goes on\n"
         "      from the newest valid checkpoint in run.dir/checkpoints, or from FILE\n"
         "  wowflow grad FILE.h5 --out OUT.h5 [--kernel riesz|gaussian|laplace|imq] [--h H] [--r R]\n"
         "               [--estimator exact|quantile] [--quantiles Q] [--seed S]\n"
         "      F, the SW matrix and the WoW gradient for x (C,n,d), y (C2,m,d), theta (L,d) in FILE.h5\n"
         "  wowflow compare A.h5 B.h5 [--rtol R] [--atol A]\n"
         "      compare the particles and loss history of two output files (exit 1 if they differ)\n"
         "  wowflow bench [--classes C] [--n N] [--m M] [--d D] [--projections L] [--steps S] [--warmup W]\n"
         "                [--batch B] [--class-groups PC] [--kernel K] [--estimator E] [--precision double|single]\n"
         "                [--overlap] [--no-shares] [--no-shared-memory] [--tsv FILE]\n"
         "      time S steps on synthetic Gaussian classes (C source and C target classes of n and m points\n"
         "      in R^d); prints ms per step, phase times, GEMM rate against the GEMM floor, memory\n"
         "  wowflow bench --sums [--n N] [--d D] [--projections L] [--kernel gaussian|riesz] [--h H] [--steps REPS]\n"
         "                [--tsv FILE]\n"
         "      the baselines' kernel sums: direct (GEMM) against sliced (FFT / sorting), time and error, on rank 0\n"
         "  wowflow bench --comm [--max-kb K] [--tsv FILE]\n"
         "      the all-reduce and all-gather of a step timed over message sizes up to K KiB (default 16384)\n"
         "      on all ranks; the model's latency and bandwidth fitted to them (run it under mpirun)\n"
         "  wowflow bench --predict [--ranks P1,P2,...] [size options as above] [--gemm-gflops G] [--pair-gflops G]\n"
         "                [--sort-ns T] [--latency-us T] [--bandwidth-gbs B] [--memory-gbs B] [--node-ranks R] [--tsv FILE]\n"
         "      the cost model (docs/scaling.md) without running: ms per step of every Pc x Pl grid for each\n"
         "      rank count, the grid 'auto' picks, efficiency; the rates also steer the grid bench picks;\n"
         "      --node-ranks R: R ranks per node, so class blocks of Pl ranks (Pl dividing R) share memory\n"
         "  wowflow import (--idx IMAGES --idx-labels LABELS | --csv TABLE [--label-column K] [--header]\n"
         "                [--shape HxW]) --out OUT.h5 [--classes 0,1,2] [--per-class N] [--seed S] [--scale]\n"
         "                [--resize HxW]\n"
         "      IDX (MNIST family) or CSV files, plain or gzipped, to the HDF5 dataset layout\n"
         "  wowflow --version | --help | --reference-deck\n";
}

static int cli_real(const char *opt, const char *v, double *out, char *err, size_t len)
{
  char *end = NULL;
  errno = 0;
  double x = v ? strtod(v, &end) : 0;
  if (!v || end == v || *end || errno == ERANGE || !isfinite(x)) {
    snprintf(err, len, "command line: option %s needs a number, got '%s'", opt, v ? v : "(nothing)");
    return -1;
  }
  *out = x;
  return 0;
}

static int cli_long(const char *opt, const char *v, long *out, char *err, size_t len)
{
  char *end = NULL;
  errno = 0;
  long long x = v ? strtoll(v, &end, 10) : 0;
  if (!v || end == v || *end || errno == ERANGE || x < 0) {
    snprintf(err, len, "command line: option %s needs a non-negative integer, got '%s'", opt, v ? v : "(nothing)");
    return -1;
  }
  *out = (long)x;
  return 0;
}

static int cli_run(int argc, char **argv, int i, struct cli *c, char *err, size_t len)
{
  c->overrides = WOW_NEW(char *, argc, "overrides");
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-P") == 0) {
      if (i + 1 >= argc) { snprintf(err, len, "command line: -P needs section.key=value"); return -1; }
      c->overrides[c->noverrides++] = argv[++i];
    } else if (strncmp(a, "-P", 2) == 0) {
      c->overrides[c->noverrides++] = argv[i] + 2;
    } else if (strcmp(a, "--check-deck") == 0) {
      c->check_deck = 1;
    } else if (strcmp(a, "--restart") == 0) {
      if (i + 1 >= argc || !argv[i + 1][0]) { snprintf(err, len, "command line: --restart needs 'latest' or a checkpoint file"); return -1; }
      c->restart = argv[++i];
    } else if (a[0] == '-') {
      snprintf(err, len, "command line: unknown option '%s' (see wowflow --help)", a);
      return -1;
    } else if (!c->deck) {
      c->deck = a;
    } else {
      snprintf(err, len, "command line: more than one deck given ('%s' and '%s')", c->deck, a);
      return -1;
    }
  }
  if (!c->deck) { snprintf(err, len, "command line: no deck given (see wowflow --help)"); return -1; }
  return 0;
}

static int cli_grad(int argc, char **argv, int i, struct cli *c, char *err, size_t len)
{
  c->kernel = "riesz";
  c->estimator = "exact";
  c->r = 1.0;
  c->quantiles = 100;
  c->seed = 1;
  for (; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int rc = 0;
    if (strcmp(a, "--out") == 0) { c->out = v; i++; if (!v) rc = -1; }
    else if (strcmp(a, "--kernel") == 0) { c->kernel = v; i++; if (!v) rc = -1; }
    else if (strcmp(a, "--estimator") == 0) { c->estimator = v; i++; if (!v) rc = -1; }
    else if (strcmp(a, "--h") == 0) { rc = cli_real(a, v, &c->h, err, len); i++; }
    else if (strcmp(a, "--r") == 0) { rc = cli_real(a, v, &c->r, err, len); i++; }
    else if (strcmp(a, "--quantiles") == 0) { rc = cli_long(a, v, &c->quantiles, err, len); i++; }
    else if (strcmp(a, "--seed") == 0) { rc = cli_long(a, v, &c->seed, err, len); i++; }
    else if (a[0] == '-') { snprintf(err, len, "command line: unknown option '%s' for grad (see wowflow --help)", a); return -1; }
    else if (!c->in) c->in = a;
    else { snprintf(err, len, "command line: grad takes one input file"); return -1; }
    if (rc) { if (!err[0]) snprintf(err, len, "command line: option %s needs a value", a); return -1; }
  }
  if (!c->in || !c->out) { snprintf(err, len, "command line: grad needs FILE.h5 and --out OUT.h5"); return -1; }
  if (strcmp(c->estimator, "exact") && strcmp(c->estimator, "quantile")) {
    snprintf(err, len, "command line: --estimator must be exact or quantile, got '%s'", c->estimator);
    return -1;
  }
  if (c->quantiles < 2) { snprintf(err, len, "command line: --quantiles must be at least 2"); return -1; }
  return 0;
}

static int cli_compare(int argc, char **argv, int i, struct cli *c, char *err, size_t len)
{
  c->rtol = 1e-10;
  c->atol = 0.0;
  for (; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--rtol") == 0) { if (cli_real(a, v, &c->rtol, err, len)) return -1; i++; }
    else if (strcmp(a, "--atol") == 0) { if (cli_real(a, v, &c->atol, err, len)) return -1; i++; }
    else if (a[0] == '-') { snprintf(err, len, "command line: unknown option '%s' for compare", a); return -1; }
    else if (!c->a) c->a = a;
    else if (!c->b) c->b = a;
    else { snprintf(err, len, "command line: compare takes two files"); return -1; }
  }
  if (!c->a || !c->b) { snprintf(err, len, "command line: compare needs two files"); return -1; }
  return 0;
}

/* --ranks 64,512,4096 */
static int cli_rank_list(const char *v, struct cli *c, char *err, size_t len)
{
  const char *p = v;
  c->nranks = 0;
  while (*p) {
    char *end;
    long P = strtol(p, &end, 10);
    if (end == p || P < 1 || P > 100000000 || (*end && *end != ',') || c->nranks == 16) {
      snprintf(err, len, "command line: --ranks needs up to 16 rank counts >= 1 separated by commas, got '%s'", v);
      return -1;
    }
    c->ranks[c->nranks++] = P;
    p = *end ? end + 1 : end;
  }
  if (c->nranks == 0) { snprintf(err, len, "command line: --ranks needs at least one rank count"); return -1; }
  return 0;
}

/* The model's options (bench --predict, and the grid bench picks when --class-groups is not given). */
static int cli_bench_model(const char *a, const char *v, struct cli *c, char *err, size_t len, int *used)
{
  struct { const char *opt; double *dst; } reals[] = {
    { "--gemm-gflops", &c->rates.gemm_gflops }, { "--pair-gflops", &c->rates.pair_gflops }, { "--sort-ns", &c->rates.sort_ns },
    { "--latency-us", &c->rates.latency_us }, { "--bandwidth-gbs", &c->rates.bandwidth_gbs }, { "--memory-gbs", &c->rates.memory_gbs },
  };
  *used = 1;
  if (strcmp(a, "--ranks") == 0) return cli_rank_list(v ? v : "", c, err, len);
  if (strcmp(a, "--node-ranks") == 0) {
    long k;
    if (cli_long(a, v, &k, err, len)) return -1;
    if (k < 0 || k > INT_MAX) { snprintf(err, len, "command line: --node-ranks %ld is too large", k); return -1; }
    c->rates.node_ranks = (int)k;
    return 0;
  }
  for (size_t k = 0; k < sizeof reals / sizeof reals[0]; k++) {
    if (strcmp(a, reals[k].opt) != 0) continue;
    if (cli_real(a, v, reals[k].dst, err, len)) return -1;
    if (!(*reals[k].dst > 0)) { snprintf(err, len, "command line: %s must be positive", a); return -1; }
    return 0;
  }
  *used = 0;
  return 0;
}

static int cli_bench(int argc, char **argv, int i, struct cli *c, char *err, size_t len)
{
  c->classes = 10; c->n = 200; c->m = 200; c->d = 784; c->L = 500; c->steps = 10; c->warmup = 2;
  c->kernel = "riesz"; c->estimator = "exact"; c->precision = "double"; c->r = 1.0; c->seed = 1;
  c->rates = (struct layout_rates)LAYOUT_RATES_DEFAULT;
  c->comm_max_kb = 16384;
  struct { const char *opt; long *dst; long min; } ints[] = {
    { "--classes", &c->classes, 1 }, { "--n", &c->n, 1 }, { "--m", &c->m, 1 }, { "--d", &c->d, 1 },
    { "--projections", &c->L, 1 }, { "--steps", &c->steps, 1 }, { "--warmup", &c->warmup, 0 }, { "--batch", &c->batch, 0 },
    { "--class-groups", &c->class_groups, 0 }, { "--max-kb", &c->comm_max_kb, 1 },
  };
  for (; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int done = 0;
    for (size_t k = 0; k < sizeof ints / sizeof ints[0] && !done; k++) {
      if (strcmp(a, ints[k].opt) != 0) continue;
      if (cli_long(a, v, ints[k].dst, err, len)) return -1;
      if (*ints[k].dst < ints[k].min) { snprintf(err, len, "command line: %s must be at least %ld", a, ints[k].min); return -1; }
      done = 1;
    }
    if (done) { i++; continue; }
    if (strcmp(a, "--sums") == 0) { c->sums = 1; continue; }
    if (strcmp(a, "--overlap") == 0) { c->overlap = 1; continue; }
    if (strcmp(a, "--no-shares") == 0) { c->no_shares = 1; continue; }
    if (strcmp(a, "--no-shared-memory") == 0) { c->no_shm = 1; continue; }
    if (strcmp(a, "--predict") == 0) { c->predict = 1; continue; }
    if (strcmp(a, "--comm") == 0) { c->comm = 1; continue; }
    if (!v && a[0] == '-') { snprintf(err, len, "command line: option %s needs a value", a); return -1; }
    int used;
    if (cli_bench_model(a, v, c, err, len, &used)) return -1;
    if (used) { i++; continue; }
    if (strcmp(a, "--kernel") == 0) c->kernel = v;
    else if (strcmp(a, "--estimator") == 0) c->estimator = v;
    else if (strcmp(a, "--tsv") == 0) c->tsv = v;
    else if (strcmp(a, "--precision") == 0) c->precision = v;
    else if (strcmp(a, "--h") == 0) { if (cli_real(a, v, &c->h, err, len)) return -1; }
    else { snprintf(err, len, "command line: unknown option '%s' for bench (see wowflow --help)", a); return -1; }
    i++;
  }
  if (strcmp(c->estimator, "exact") && strcmp(c->estimator, "quantile")) {
    snprintf(err, len, "command line: --estimator must be exact or quantile, got '%s'", c->estimator);
    return -1;
  }
  if (strcmp(c->precision, "double") && strcmp(c->precision, "single")) {
    snprintf(err, len, "command line: --precision must be double or single, got '%s'", c->precision);
    return -1;
  }
  c->quantiles = 100;
  return 0;
}

static int cli_size(const char *opt, const char *v, int *h, int *w, char *err, size_t len)
{
  char tail;
  if (!v || sscanf(v, "%dx%d%c", h, w, &tail) != 2 || *h <= 0 || *w <= 0) {
    snprintf(err, len, "command line: %s needs HxW, got '%s'", opt, v ? v : "(nothing)");
    return -1;
  }
  return 0;
}

static int cli_import(int argc, char **argv, int i, struct cli *c, char *err, size_t len)
{
  c->label_column = -1;
  for (; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--header") == 0) { c->header = 1; continue; }
    if (strcmp(a, "--scale") == 0) { c->scale = 1; continue; }
    if (!v) { snprintf(err, len, "command line: %s needs a value (see wowflow --help)", a); return -1; }
    i++;
    if (strcmp(a, "--idx") == 0) c->idx = v;
    else if (strcmp(a, "--idx-labels") == 0) c->idx_labels = v;
    else if (strcmp(a, "--csv") == 0) c->csv = v;
    else if (strcmp(a, "--out") == 0) c->out = v;
    else if (strcmp(a, "--shape") == 0) c->shape = v;
    else if (strcmp(a, "--per-class") == 0) { if (cli_long(a, v, &c->per_class, err, len)) return -1; }
    else if (strcmp(a, "--seed") == 0) { if (cli_long(a, v, &c->seed, err, len)) return -1; }
    else if (strcmp(a, "--resize") == 0) { if (cli_size(a, v, &c->resize_h, &c->resize_w, err, len)) return -1; }
    else if (strcmp(a, "--label-column") == 0) {
      long k;
      if (strcmp(v, "last") == 0) c->label_column = -1;
      else if (cli_long(a, v, &k, err, len) || k < 1) { snprintf(err, len, "command line: --label-column needs a column number (1-based) or 'last'"); return -1; }
      else c->label_column = (int)k - 1;
    } else if (strcmp(a, "--classes") == 0) {
      for (const char *p = v; *p;) {
        char *end;
        long k = strtol(p, &end, 10);
        if (end == p || k < 0 || (*end && *end != ',') || c->nclass_list == 1024) {
          snprintf(err, len, "command line: --classes needs a list like 0,1,2, got '%s'", v);
          return -1;
        }
        c->class_list[c->nclass_list++] = (int)k;
        p = *end ? end + 1 : end;
      }
    } else { snprintf(err, len, "command line: unknown option '%s' for import (see wowflow --help)", a); return -1; }
  }
  if (!c->out) { snprintf(err, len, "command line: import needs --out OUT.h5"); return -1; }
  if (!c->idx == !c->csv) { snprintf(err, len, "command line: import needs either --idx (with --idx-labels) or --csv"); return -1; }
  if (c->idx && !c->idx_labels) { snprintf(err, len, "command line: --idx needs --idx-labels"); return -1; }
  return 0;
}

int cli_parse(int argc, char **argv, struct cli *c, char *err, size_t len)
{
  memset(c, 0, sizeof *c);
  err[0] = '\0';
  if (argc < 2) { snprintf(err, len, "command line: no deck given (see wowflow --help)"); return -1; }
  const char *a = argv[1];
  for (int i = 1; i < argc; i++) /* `wowflow bench --help` as well as `wowflow --help` */
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { c->cmd = CLI_HELP; return 0; }
  if (!strcmp(a, "--version")) { c->cmd = CLI_VERSION; return 0; }
  if (!strcmp(a, "--reference-deck")) { c->cmd = CLI_REFERENCE; return 0; }
  if (!strcmp(a, "grad")) { c->cmd = CLI_GRAD; return cli_grad(argc, argv, 2, c, err, len); }
  if (!strcmp(a, "compare")) { c->cmd = CLI_COMPARE; return cli_compare(argc, argv, 2, c, err, len); }
  if (!strcmp(a, "bench")) { c->cmd = CLI_BENCH; return cli_bench(argc, argv, 2, c, err, len); }
  if (!strcmp(a, "import")) { c->cmd = CLI_IMPORT; return cli_import(argc, argv, 2, c, err, len); }
  c->cmd = CLI_RUN;
  return cli_run(argc, argv, !strcmp(a, "run") ? 2 : 1, c, err, len);
}

void cli_free(struct cli *c)
{
  free(c->overrides);
  c->overrides = NULL;
}
