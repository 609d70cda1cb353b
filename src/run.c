/* run.c -- set up, run and tear down one flow run (see run.h). */
#include <config.h>
#include "run.h"
#include "mem.h"
#include "ckpt.h"
#include "output.h"
#include "signals.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ deck */

void run_load_deck(struct deck *dk, MPI_Comm world, const char *path, char *const *overrides, int noverrides)
{
  size_t nk;
  const struct deck_key *schema = deck_schema(&nk);
  char msg[WOW_ERRLEN] = "", *buf = NULL;
  long len = 0;
  if (comm_rank(world) == 0) {
    char *text = NULL;
    if (deck_read_file(path, &text, msg, sizeof msg) == 0) {
      struct deck_errors errs = {0};
      int n = deck_load(dk, schema, nk, path, text, overrides, noverrides, &errs);
      for (int i = 0; i < errs.n; i++) fprintf(stderr, "%s\n", errs.line[i]);
      if (n) snprintf(msg, sizeof msg, "%d problem%s in deck %s (listed above); nothing was run", n, n == 1 ? "" : "s", path);
      else {
        size_t l = 0;
        buf = deck_serialise(dk, &l);
        len = (long)l;
      }
      deck_errors_free(&errs);
      free(text);
    }
  }
  comm_check_all(world, msg);
  comm_bcast_bytes(&len, sizeof len, 0, world);
  if (comm_rank(world) != 0) buf = WOW_NEW(char, len + 1, "deck buffer");
  comm_bcast_bytes(buf, (size_t)len, 0, world);
  if (comm_rank(world) != 0) deck_deserialise(dk, schema, nk, buf, (size_t)len);
  free(buf);
}

/* ------------------------------------------------------------------ run directory */

static int run_mkdirs(const char *path, char *err, size_t len)
{
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", path);
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (mkdir(buf, 0777) != 0 && errno != EEXIST) { snprintf(err, len, "cannot create directory '%s': %s", buf, strerror(errno)); return -1; }
      if (c == '\0') break;
      *p = c;
    }
  }
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) { snprintf(err, len, "'%s' is not a directory", path); return -1; }
  return 0;
}

static void run_prepare_dir(struct wow_run *r)
{
  char msg[WOW_ERRLEN] = "", where[512], err[600];
  if (r->rank == 0) {
    deck_where(&r->deck, "run.dir", where, sizeof where);
    if (run_mkdirs(r->dir, err, sizeof err) != 0) snprintf(msg, sizeof msg, "%s: key 'run.dir': %s", where, err);
    else {
      char *path = wow_asprintf("%s/used.deck", r->dir);
      char *text = deck_resolved_text(&r->deck);
      FILE *f = fopen(path, "w");
      if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        snprintf(msg, sizeof msg, "%s: key 'run.dir': cannot write '%s': %s", where, path, strerror(errno));
      free(text);
      free(path);
    }
  }
  comm_check_all(r->world, msg);
}

/* ------------------------------------------------------------------ data and grid */

static int run_class_groups(struct wow_run *r)
{
  const int P = comm_size(r->world);
  char msg[WOW_ERRLEN] = "", where[512];
  if (r->method != BL_WOW) return 1; /* replicated points, work split inside (baseline.h) */
  if (deck_is_auto(&r->deck, "parallel.class_groups")) {
    const struct deck *dk = &r->deck;
    /* class blocks that will share memory (run_node_memory) where the ranks fill nodes in order */
    const int shm = deck_bool(dk, "parallel.shares") && deck_bool(dk, "parallel.shared_memory") && !deck_bool(dk, "parallel.overlap");
    const struct layout_rates rates = { deck_real(dk, "parallel.model_gemm_gflops"), deck_real(dk, "parallel.model_pair_gflops"),
                                        deck_real(dk, "parallel.model_sort_ns"), deck_real(dk, "parallel.model_latency_us"),
                                        deck_real(dk, "parallel.model_bandwidth_gbs"), deck_real(dk, "parallel.model_memory_gbs"),
                                        shm ? comm_node_ranks(r->world) : 0 };
    const long qrow = deck_enum(dk, "sw.estimator") == 1 ? deck_int(dk, "sw.quantiles") : 0;
    return layout_auto_groups(&r->cl, deck_int(dk, "sw.projections"), qrow, P, &rates);
  }
  long Pc = deck_int(&r->deck, "parallel.class_groups");
  deck_where(&r->deck, "parallel.class_groups", where, sizeof where);
  if (Pc > P) snprintf(msg, sizeof msg, "%s: key 'parallel.class_groups': %ld class groups need at least %ld ranks, the run has %d", where, Pc, Pc, P);
  else if (P % Pc) snprintf(msg, sizeof msg, "%s: key 'parallel.class_groups': %ld does not divide the %d ranks", where, Pc, P);
  else if (Pc > r->cl.nc)
    snprintf(msg, sizeof msg, "%s: key 'parallel.class_groups': %ld class groups for only %d classes (source + target): more ranks than work; use at most %d or 'auto'",
             where, Pc, r->cl.nc, r->cl.nc);
  comm_check_all(r->world, msg);
  return (int)Pc;
}

static void run_clouds(struct wow_run *r)
{
  char msg[WOW_ERRLEN] = "", where[512];
  if (r->src.d != r->tgt.d) {
    deck_where(&r->deck, "source.kind", where, sizeof where);
    snprintf(msg, sizeof msg, "%s: key 'source.kind': source points have dimension %ld but target points %ld", where, r->src.d, r->tgt.d);
  }
  comm_check_all(r->world, msg);
  int nc = r->src.classes + r->tgt.classes;
  long *sizes = WOW_NEW(long, nc, "sizes");
  double *w = WOW_NEW(double, nc, "weights");
  for (int c = 0; c < r->src.classes; c++) { sizes[c] = r->src.size[c]; w[c] = r->src.weight[c]; }
  for (int k = 0; k < r->tgt.classes; k++) { sizes[r->src.classes + k] = r->tgt.size[k]; w[r->src.classes + k] = r->tgt.weight[k]; }
  layout_clouds_init(&r->cl, r->src.classes, r->tgt.classes, (size_t)r->src.d, sizes, w, deck_int(&r->deck, "target.batch"));
  free(sizes);
  free(w);
}

static void run_engine(struct wow_run *r)
{
  const struct deck *dk = &r->deck;
  struct mmd_setup set = {0};
  kernel_init(&set.kernel, deck_str(dk, "kernel.name"), deck_is_auto(dk, "kernel.h") ? 0.0 : deck_real(dk, "kernel.h"), deck_real(dk, "kernel.r"));
  set.estimator = deck_enum(dk, "sw.estimator") == 1 ? MMD_QUANTILE : MMD_EXACT;
  set.Q = (int)deck_int(dk, "sw.quantiles");
  set.L = deck_int(dk, "sw.projections");
  set.seed = (uint64_t)deck_int(dk, "run.seed");
  set.single = deck_enum(dk, "run.precision") == 1;
  set.overlap = deck_bool(dk, "parallel.overlap");
  set.share = deck_bool(dk, "parallel.shares"); /* each rank of a class block updates its share of the rows (run_update) */
  set.float_grad = 1;                             /* single precision: run_update reads the float gradient */
  mmd_init(&r->mmd, &set, &r->cl, &r->grid, &r->part, &r->tm);
  r->step_rule.rule = deck_enum(dk, "step.rule") == 1 ? FLOW_MOMENTUM : FLOW_EULER; /* adamw: otdd, in baseline.c */
  r->step_rule.lr = deck_real(dk, "step.lr");
  r->step_rule.beta = deck_real(dk, "step.momentum");
}

static void run_fill(struct wow_run *r)
{
  const struct mmd *m = &r->mmd;
  const size_t d = r->cl.d;
  r->x = WOW_NEW(double, (size_t)m->ns * d, "source particles");
  r->y = WOW_NEW(double, (size_t)m->nt * d, "target particles");
  r->grad = WOW_ZNEW(double, (size_t)m->ns * d, "gradient");
  r->vel = WOW_ZNEW(double, (size_t)m->ns * d, "momentum");
  r->x_prev = WOW_ZNEW(double, (size_t)m->ns * d + 1, "previous particles");
  r->vel_prev = WOW_ZNEW(double, (size_t)m->ns * d + 1, "previous momentum");
  data_fill(&r->tgt, &r->deck, m->t0 - r->cl.C, m->j1 - r->cl.C, r->y, NULL, r->world);
  double *mean = WOW_ZNEW(double, d, "target mean");
  for (long i = 0; i < m->nt; i++)
    for (size_t t = 0; t < d; t++) mean[t] += r->y[(size_t)i * d + t];
  comm_sum_doubles(mean, d, r->grid.class_comm);
  for (size_t t = 0; t < d; t++) mean[t] /= (double)r->cl.M;
  data_fill(&r->src, &r->deck, m->j0, m->s1, r->x, mean, r->world);
  free(mean);
  r->target_checksum = ckpt_checksum(r->y, m->nt ? r->cl.row0[m->t0] : 0, m->nt, d, r->grid.pl == 0, r->world);
  data_free(&r->src);
  data_free(&r->tgt);
}

static void run_baseline(struct wow_run *r)
{
  const struct deck *dk = &r->deck;
  struct baseline_setup set = { .method = r->method };
  set.h = deck_real(dk, "baseline.h");
  set.hm = deck_real(dk, "baseline.h_mean");
  set.hs = deck_real(dk, "baseline.h_cov");
  set.noise = deck_real(dk, "baseline.noise");
  set.sliced = deck_enum(dk, "baseline.sums") == 1;
  set.ortho = 1;
  set.L = deck_int(dk, "sw.projections");
  set.eps = deck_real(dk, "baseline.epsilon");
  set.tol = deck_real(dk, "baseline.sinkhorn_tolerance");
  set.iters = deck_int(dk, "baseline.sinkhorn_iterations");
  set.lr = r->step_rule.lr;
  set.beta = r->step_rule.rule == FLOW_MOMENTUM ? r->step_rule.beta : 0.0;
  set.wd = deck_real(dk, "baseline.weight_decay");
  set.seed = (uint64_t)deck_int(dk, "run.seed");
  char msg[WOW_ERRLEN] = "";
  if (baseline_init(&r->bl, &set, r->world, r->x, r->cl.size, r->cl.C, r->y, r->cl.size + r->cl.C, r->cl.C2, r->cl.d, msg, sizeof msg))
    comm_check_all(r->world, msg);
}

/* Collective: with shares (parallel.shared_memory), in each class block whose ranks run on one
 * node, the particles, the particles before the step and the gradient move into memory the block
 * shares (mmd_node_alloc) and the private arrays are freed; where that fails, the log says why and
 * those blocks go on with the collectives. */
static void run_node_memory(struct wow_run *r)
{
  if (r->method != BL_WOW) return;
  char why[WOW_ERRLEN] = "";
  if (deck_bool(&r->deck, "parallel.shared_memory") && mmd_node_alloc(&r->mmd, r->x, r->x_prev, &r->node, why, sizeof why)) {
    free(r->x);
    free(r->x_prev);
    free(r->grad);
    r->x = r->node.x;
    r->x_prev = r->node.x_prev;
    r->grad = r->node.grad;
  }
  if (why[0]) log_msg(&r->log, "note: %s", why);
  char line[512];
  mmd_describe(&r->mmd, line, sizeof line);
  log_msg(&r->log, "%s", line);
}

static void run_banner(struct wow_run *r)
{
  if (r->rank != 0) return;
  prov_print(&r->prov, stdout);
  deck_print(&r->deck, stdout);
  log_msg(&r->log, "source: %d classes, %ld points in R^%zu; target: %d classes, %ld points%s", r->cl.C, r->cl.N, r->cl.d,
          r->cl.C2, r->cl.M, deck_int(&r->deck, "target.batch") > 0 ? " (minibatched)" : "");
  log_msg(&r->log, "kernel %s (h %g, r %g), %s SW, L = %ld, %s, lr %g, %s precision", kernel_name(&r->mmd.set.kernel), r->mmd.set.kernel.h,
          r->mmd.set.kernel.r, r->mmd.set.estimator == MMD_EXACT ? "exact" : "quantile", r->mmd.set.L,
          r->step_rule.rule == FLOW_EULER ? "Euler" : "momentum", r->step_rule.lr, r->mmd.set.single ? "single (GEMMs)" : "double");
  if (r->method == BL_MMD_PRODUCT)
    log_msg(&r->log, "method mmd_product (Hua et al.): h %g, h_mean %g, h_cov %g, noise %g, %s sums, lr %g, momentum %g", r->bl.set.h,
            r->bl.set.hm, r->bl.set.hs, r->bl.set.noise, r->bl.set.sliced ? "sliced" : "direct", r->bl.set.lr, r->bl.set.beta);
  if (r->method == BL_OTDD)
    log_msg(&r->log, "method otdd: epsilon %g (mean-scaled cost), Sinkhorn <= %ld iterations to %g, AdamW lr %g, weight decay %g",
            r->bl.set.eps, r->bl.set.iters, r->bl.set.tol, r->bl.set.lr, r->bl.set.wd);
  log_msg(&r->log, "grid %d class groups x %d direction groups on %d ranks", r->grid.Pc, r->grid.Pl, r->grid.size);
  char warn[512];
  prov_blas_warning(warn, sizeof warn);
  if (warn[0]) log_msg(&r->log, "%s", warn);
}

static void run_policy(struct wow_run *r)
{
  const struct deck *dk = &r->deck;
  r->policy.every_steps = deck_int(dk, "checkpoint.every_steps");
  r->policy.every_seconds = 60.0 * deck_real(dk, "checkpoint.every_minutes");
  policy_parse_walltime(deck_str(dk, "run.walltime"), &r->policy.walltime);
  r->policy.margin = deck_real(dk, "run.walltime_margin");
}

int run_setup(struct wow_run *r, MPI_Comm world, const char *deck_path, char *const *overrides, int noverrides, int check_only,
              const char *restart)
{
  memset(r, 0, sizeof *r);
  r->world = world;
  r->rank = comm_rank(world);
  r->t_job = comm_wtime();
  r->last_ckpt_step = -1;
  log_init(&r->log, r->rank, r->t_job);
  timer_reset(&r->tm);
  run_load_deck(&r->deck, world, deck_path, overrides, noverrides);
  if (check_only) {
    if (r->rank == 0) { deck_print(&r->deck, stdout); printf("deck %s is valid\n", deck_path); }
    return 1;
  }
  r->steps = deck_int(&r->deck, "run.steps");
  r->method = (enum baseline_method)deck_enum(&r->deck, "flow.method");
  r->dir = wow_strdup(deck_str(&r->deck, "run.dir"));
  r->stop_path = wow_asprintf("%s/STOP", r->dir);
  run_prepare_dir(r);
  data_describe(&r->tgt, DATA_TARGET, &r->deck, world);
  data_describe(&r->src, DATA_SOURCE, &r->deck, world);
  run_clouds(r);
  int Pc = run_class_groups(r);
  comm_grid_create(world, Pc, &r->grid);
  layout_part_init(&r->part, &r->cl, deck_int(&r->deck, "sw.projections"), r->grid.Pc, r->grid.Pl);
  prov_collect(&r->prov, world);
  r->prov.Pc = r->grid.Pc;
  r->prov.Pl = r->grid.Pl;
  run_engine(r);
  run_fill(r);
  if (r->method != BL_WOW) run_baseline(r);
  r->hist_F = WOW_NEW(double, r->steps + 1, "loss history");
  r->align_cost0 = WOW_ZNEW(double, (size_t)r->cl.C * (size_t)r->cl.C2 + 1, "initial alignment costs");
  r->align_step0 = -1;
  r->hist_gnorm = WOW_NEW(double, r->steps + 1, "gradient history");
  run_banner(r);
  char *path = wow_asprintf("%s/progress.tsv", r->dir);
  char *header = wow_asprintf("# wowflow progress: %s, host %s, %d ranks (grid %d x %d), started %s\n"
                              "# step\tF\tgrad_norm\tms_per_step\telapsed_s\n",
                              r->prov.version, r->prov.host, r->prov.ranks, r->prov.Pc, r->prov.Pl, r->prov.start);
  char msg[WOW_ERRLEN] = "";
  if (log_open_tsv(&r->log, path, header) != 0) snprintf(msg, sizeof msg, "cannot append to '%s': %s", path, strerror(errno));
  comm_check_all(world, msg);
  free(path);
  free(header);
  run_policy(r);
  if (restart) {
    ckpt_restore(r, restart);
    r->last_ckpt_step = r->step0;
  }
  run_node_memory(r);
  signals_install();
  return 0;
}

/* ------------------------------------------------------------------ the flow */

/* The flow's step on this rank's share of the rows (mmd.share0/1: all of them on one direction
 * group), out of place: the state before it stays in x_prev (and vel_prev for momentum; euler does
 * not change vel), for run_check_finite's rollback, with no copy of either.  The other rows of the
 * new particles come from mmd_gather_shares; the velocity's only at a checkpoint (run_ckpt_write). */
static void run_update(struct wow_run *r)
{
  mmd_step_share(&r->mmd, &r->step_rule, r->x, r->vel, r->grad, r->x_prev, r->vel_prev);
  double *t = r->x;
  r->x = r->x_prev;
  r->x_prev = t;
  if (r->step_rule.rule == FLOW_EULER) return;
  t = r->vel;
  r->vel = r->vel_prev;
  r->vel_prev = t;
}

/* Collective: a checkpoint of the current state; the velocity's shares gathered first (run_update). */
static double run_ckpt_write(struct wow_run *r, long step)
{
  if (r->method == BL_WOW && r->step_rule.rule == FLOW_MOMENTUM) mmd_gather_shares(&r->mmd, r->vel);
  return ckpt_write(r, step);
}

/* Collective: a non-finite F or gradient at step k ends the run.  The state before the last update
 * (x_{k-1}, kept in x_prev) was good: it is written as the checkpoint of step k - 1 unless that one
 * exists, so the run can go on from just before the blow-up with a smaller step. */
static void run_check_finite(struct wow_run *r, long k, const struct mmd_result *res)
{
  if (!res->nonfinite) return;
  if (r->method == BL_WOW && k > r->step0 && k - 1 > r->last_ckpt_step) {
    double *x = r->x, *v = r->vel;
    r->x = r->x_prev;
    if (r->step_rule.rule != FLOW_EULER) r->vel = r->vel_prev; /* see run_update */
    run_ckpt_write(r, k - 1);
    r->x = x;
    r->vel = v;
    r->last_ckpt_step = k - 1;
  }
  char ck[200] = "no checkpoint was written";
  if (r->last_ckpt_step >= 0)
    snprintf(ck, sizeof ck, "the newest checkpoint (step %ld) is from before it: restart from it with a smaller step.lr", r->last_ckpt_step);
  wow_fail_all(r->world, "step %ld: F or its gradient is not finite (NaN or Inf): the flow diverged with step.lr = %g; %s", k,
               r->step_rule.lr, ck);
}

/* Test hook: WOWFLOW_FAULT=nan_at_step:K puts a NaN into the particles before step K is evaluated
 * (the numerical-guard tests use it; ckpt.c and comm.c read the variable for their own hooks). */
static void run_fault_hook(struct wow_run *r, long k)
{
  const char *f = getenv("WOWFLOW_FAULT");
  long s;
  if (f && sscanf(f, "nan_at_step:%ld", &s) == 1 && s == k && r->mmd.ns > 0) {
    if (!r->node.x || r->grid.pl == 0) r->x[0] = NAN; /* shared rows: written once, seen by all after the barrier */
    mmd_rows_float_ready(&r->mmd, NULL);           /* x changed after its float copy was made */
    if (r->node.x) comm_shared_sync(r->grid.dir_comm);
  }
}

/* Rank 0: a warning when F has grown over `window` progress lines in a row (the step is too
 * large, or the flow oscillates); once per run. */
struct run_growth {
  double F[8];
  long step[8];
  int n, warned;
};

static void run_watch_growth(struct wow_run *r, struct run_growth *g, long k, double F)
{
  const int window = 5;
  if (g->warned) return;
  if (g->n == window + 1) {
    memmove(g->F, g->F + 1, (size_t)window * sizeof *g->F);
    memmove(g->step, g->step + 1, (size_t)window * sizeof *g->step);
    g->n = window;
  }
  g->F[g->n] = F;
  g->step[g->n++] = k;
  if (g->n < window + 1) return;
  for (int i = 1; i <= window; i++)
    if (!(g->F[i] > g->F[i - 1])) return;
  g->warned = 1;
  log_msg(&r->log, "warning: F has grown over the last %d progress lines (%.6e at step %ld -> %.6e at step %ld): step.lr = %g may be too large",
          window, g->F[0], g->step[0], g->F[window], g->step[window], r->step_rule.lr);
}

/* Collective: F and the gradient at step k by the run's method. */
static void run_evaluate(struct wow_run *r, long k, struct mmd_result *res)
{
  if (r->method == BL_WOW) {
    mmd_eval(&r->mmd, k, r->x, r->y, r->grad, res);
    return;
  }
  timer_start(&r->tm, TIMER_BASELINE);
  baseline_eval(&r->bl, k, r->x, res);
  timer_stop(&r->tm, TIMER_BASELINE);
}

/* Collective: out (C x C2) = the SW statistic between every flowed and every target class at the
 * last evaluation (the cost of aligning labels, method.md 1.1).  The baselines evaluate the WoW
 * engine once here for it (its gradient lands in r->grad, which they do not use). */
static void run_alignment_costs(struct wow_run *r, double *out)
{
  const int nc = r->cl.nc, C = r->cl.C, C2 = r->cl.C2;
  if (r->method != BL_WOW) {
    struct mmd_result res;
    mmd_eval(&r->mmd, 0, r->x, r->y, r->grad, &res);
  }
  double *S = WOW_NEW(double, (size_t)nc * (size_t)nc, "SW matrix");
  mmd_stat_matrix(&r->mmd, 0, S);
  for (int c = 0; c < C; c++)
    for (int k = 0; k < C2; k++) out[(size_t)c * C2 + k] = S[(size_t)c * nc + C + k];
  free(S);
}

/* Collective: a snapshot of x_k (after the evaluation of step k, before its update). */
static void run_snapshot(struct wow_run *r, long k)
{
  const long every = deck_int(&r->deck, "output.snapshot_every");
  if (every <= 0 || k % every != 0) return;
  timer_start(&r->tm, TIMER_IO);
  char msg[WOW_ERRLEN] = "";
  char *dir = wow_asprintf("%s/snapshots", r->dir), *path = wow_asprintf("%s/snap_%08ld.h5", dir, k);
  if (r->rank == 0 && run_mkdirs(dir, msg, sizeof msg) != 0) {
    char tmp[WOW_ERRLEN];
    snprintf(tmp, sizeof tmp, "snapshots: %s", msg);
    snprintf(msg, sizeof msg, "%s", tmp);
  }
  comm_check_all(r->world, msg);
  output_write_state(r, path, "snapshot", k, NULL, NULL, NULL);
  free(dir);
  free(path);
  timer_stop(&r->tm, TIMER_IO);
}

/* Collective: the stop flags of every rank (signals) and rank 0 (STOP file, clock) decide. */
static enum policy_action run_decide(struct wow_run *r, long step, double slowest, double ckpt_cost, double last_ckpt)
{
  int flag = signals_pending() != 0, any = 0;
  if (r->rank == 0 && access(r->stop_path, F_OK) == 0) flag = 2;
  any = (int)comm_max_long(flag, r->world);
  int action = POLICY_CONTINUE;
  if (r->rank == 0) {
    struct policy_clock c = { step, comm_wtime() - r->t_job, last_ckpt, slowest, ckpt_cost, any != 0 };
    const char *why = "";
    action = (int)policy_decide(&r->policy, &c, &why);
    if (action == POLICY_CHECKPOINT_AND_STOP) {
      log_msg(&r->log, "stopping after step %ld: %s", step, any == 2 ? "STOP file found" : any ? "signal received" : why);
      if (any == 2) unlink(r->stop_path);
    }
  }
  comm_bcast_bytes(&action, sizeof action, 0, r->world);
  return (enum policy_action)action;
}

int run_flow(struct wow_run *r)
{
  const long every = deck_int(&r->deck, "output.every");
  struct mmd_result res;
  double t_start = comm_wtime(), t_last = t_start, slowest = 0, last_ckpt = t_start - r->t_job;
  /* before the first write, guess 1 s plus the bytes at 100 MB/s */
  double ckpt_cost = 1.0 + 16.0 * (double)r->cl.N * (double)r->cl.d / 1e8;
  long k_last = r->step0;
  struct run_growth growth = { .n = 0 };
  for (long k = r->step0; k <= r->steps; k++) {
    double t_step = comm_wtime();
    run_fault_hook(r, k);
    run_evaluate(r, k, &res);
    run_check_finite(r, k, &res);
    r->hist_F[k] = res.F;
    r->hist_gnorm[k] = res.grad_norm;
    if (r->align_step0 < 0) { /* the first evaluation of the run (a restart reads them from its checkpoint) */
      run_alignment_costs(r, r->align_cost0);
      r->align_step0 = k;
    }
    run_snapshot(r, k);
    if (k == r->steps) break; /* the last evaluation only measures F at x_steps */
    timer_start(&r->tm, TIMER_UPDATE);
    if (r->method == BL_WOW) run_update(r);
    else baseline_update(&r->bl, k, r->x, r->vel);
    timer_stop(&r->tm, TIMER_UPDATE);
    if (r->method == BL_WOW) {
      timer_start(&r->tm, TIMER_COMM);
      mmd_sync_shares(&r->mmd, r->x);
      timer_stop(&r->tm, TIMER_COMM);
    }
    double now = comm_wtime();
    if (now - t_step > slowest) slowest = now - t_step;
    if (k % every == 0 || k == r->steps - 1) {
      double ms = k > k_last ? 1e3 * (now - t_last) / (double)(k - k_last) : 1e3 * (now - t_step);
      log_progress(&r->log, k, r->steps, res.F, res.grad_norm, ms, 1e-3 * ms * (double)(r->steps - 1 - k));
      run_watch_growth(r, &growth, k, res.F);
      t_last = now;
      k_last = k;
    }
    if (k + 1 == r->steps) continue; /* the end-of-run checkpoint follows the loop */
    enum policy_action act = run_decide(r, k + 1, slowest, ckpt_cost, last_ckpt);
    if (act == POLICY_CONTINUE) continue;
    timer_start(&r->tm, TIMER_IO);
    ckpt_cost = run_ckpt_write(r, k + 1);
    r->last_ckpt_step = k + 1;
    timer_stop(&r->tm, TIMER_IO);
    last_ckpt = comm_wtime() - r->t_job;
    if (act == POLICY_CHECKPOINT_AND_STOP) {
      r->t_loop = comm_wtime() - t_start;
      log_msg(&r->log, "stopped at step %ld of %ld with a checkpoint; go on with --restart latest", k + 1, r->steps);
      return 1;
    }
  }
  r->t_loop = comm_wtime() - t_start;
  log_progress(&r->log, r->steps, r->steps, r->hist_F[r->steps], r->hist_gnorm[r->steps],
               r->steps > r->step0 ? 1e3 * r->t_loop / (double)(r->steps + 1 - r->step0) : 0.0, 0.0);
  log_msg(&r->log, "done: steps %ld to %ld in %.3f s; F %.6e -> %.6e (ratio %.3g)", r->step0, r->steps, r->t_loop,
          r->hist_F[0], r->hist_F[r->steps], r->hist_F[r->steps] != 0 ? r->hist_F[0] / r->hist_F[r->steps] : INFINITY);
  if (r->method == BL_OTDD && r->bl.sinkhorn_calls)
    log_msg(&r->log, "otdd: Sinkhorn took %.1f iterations per step on average; last step %ld, row-marginal error %.2e (tolerance %g)",
            (double)r->bl.sinkhorn_total / (double)r->bl.sinkhorn_calls, r->bl.sinkhorn_iters, r->bl.sinkhorn_err, r->bl.set.tol);
  if (deck_bool(&r->deck, "checkpoint.at_end")) {
    timer_start(&r->tm, TIMER_IO);
    run_ckpt_write(r, r->steps);
    timer_stop(&r->tm, TIMER_IO);
  }
  return 0;
}

void run_write_output(struct wow_run *r)
{
  double stats[TIMER_NPHASES * 3];
  if (r->rank == 0) printf("phase timers over %d ranks:\n", r->grid.size);
  timer_report(&r->tm, r->world, r->rank == 0 ? stdout : NULL, stats);
  double *cost = WOW_NEW(double, (size_t)r->cl.C * (size_t)r->cl.C2 + 1, "alignment costs");
  run_alignment_costs(r, cost);
  char *path = wow_asprintf("%s/%s", r->dir, deck_str(&r->deck, "output.file"));
  output_write_state(r, path, "final", r->steps, stats, cost, r->align_cost0);
  free(cost);
  log_msg(&r->log, "wrote %s", path);
  free(path);
  fflush(stdout);
}


void run_free(struct wow_run *r)
{
  if (r->method != BL_WOW && r->bl.N) baseline_free(&r->bl);
  if (r->grid.Pc) {
    mmd_free(&r->mmd);
    layout_part_free(&r->part);
    layout_clouds_free(&r->cl);
    comm_grid_free(&r->grid);
  }
  if (r->node.x) mmd_node_free(&r->node); /* x, x_prev and grad were in it */
  else {
    free(r->x);
    free(r->grad);
    free(r->x_prev);
  }
  free(r->y); free(r->vel); free(r->hist_F); free(r->hist_gnorm); free(r->dir); free(r->align_cost0); free(r->stop_path);
  free(r->vel_prev);
  log_close(&r->log);
  deck_free(&r->deck);
}
