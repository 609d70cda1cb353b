/* deck_schema.c -- every deck key wowflow understands, declared once, and the rules that tie keys
 * together.  input/reference.deck is generated from this table ('wowflow --reference-deck'). */
#include <config.h>
#include "deck.h"
#include "layout.h"
#include "policy.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define WOW_STR2(x) #x
#define WOW_STR(x) WOW_STR2(x) /* a layout.h default as the schema's default text */

#define BIG 1e15
#define M DECK_MUTABLE

/* The data keys exist for [source] and for [target]. */
#define DATA_KEYS(sec, kindreq, seed)                                                                               \
  { sec ".kind", DECK_ENUM, kindreq, 0, 0, 0, "rings|gaussians|noise|file",                                         \
    "where the " sec " classes come from: a generator or an HDF5 dataset file" },                                   \
  { sec ".classes", DECK_INT, "3", 1, 1e6, 0, NULL, "number of classes made by a generator (file: 0 = from labels)" }, \
  { sec ".n", DECK_LIST, "80", 1, 1e9, 0, "", "points per class: one value for every class, or one value per class" }, \
  { sec ".dim", DECK_INT, "2", 1, 1e7, 0, NULL, "dimension d of the generated points (rings: 2)" },                   \
  { sec ".radius", DECK_REAL, "0.3", 0, BIG, DECK_MIN_OPEN, NULL, "rings: radius of every ring" },                    \
  { sec ".spacing", DECK_REAL, "0.75", -BIG, BIG, 0, NULL, "rings: ring c is centred at (-spacing * c, 0)" },         \
  { sec ".center", DECK_LIST, "0", -BIG, BIG, 0, "target_mean",                                                      \
    "noise and gaussians: centre, one value for every coordinate or d values (source may say target_mean)" },       \
  { sec ".std", DECK_REAL, "0.01", 0, BIG, 0, NULL, "noise and gaussians: standard deviation of the points around their centre" }, \
  { sec ".spread", DECK_REAL, "1", 0, BIG, 0, NULL, "gaussians: class means are center + spread * N(0, I)" },        \
  { sec ".seed", DECK_INT, seed, 0, 9007199254740992.0, 0, NULL, "seed of the generator and of the per-class subsample" }, \
  { sec ".file", DECK_STRING, "", 0, 0, 0, NULL, "file: HDF5 dataset file (features (N, d) float, labels (N,) integer)" }, \
  { sec ".features", DECK_STRING, "features", 0, 0, 0, NULL, "file: name of the features dataset" },                \
  { sec ".labels", DECK_STRING, "labels", 0, 0, 0, NULL, "file: name of the labels dataset" },                      \
  { sec ".per_class", DECK_INT, "0", 0, 1e9, 0, NULL, "file: keep this many rows per class (seeded subsample; 0 = all)" }, \
  { sec ".weights", DECK_LIST, "uniform", 0, BIG, DECK_MIN_OPEN, "uniform|proportional",                             \
    "class weights: uniform, proportional to class sizes, or one positive number per class (normalised)" }

static const struct deck_key wow_schema[] = {
  { "run.dir", DECK_STRING, "wowflow-run", 0, 0, M, NULL, "run directory (created if missing): used.deck, progress.tsv, output files" },
  { "run.steps", DECK_INT, NULL, 0, BIG, M, NULL, "number of flow steps" },
  { "run.seed", DECK_INT, "1", 0, 9007199254740992.0, 0, NULL, "seed of the random directions, quantile levels and target minibatches" },
  { "run.precision", DECK_ENUM, "double", 0, 0, 0, "double|single",
    "WoW flow: double, or single (the projection and gradient GEMMs in float, about twice as fast there; the rest in double)" },
  { "run.walltime", DECK_STRING, "", 0, 0, M, NULL,
    "wall-clock budget of the job: seconds or [D-]HH:MM:SS; before the next step would pass it, checkpoint and stop (empty: none)" },
  { "run.walltime_margin", DECK_REAL, "0", 0, BIG, M, NULL, "seconds kept free at the end of run.walltime" },
  { "output.every", DECK_INT, "10", 1, BIG, M, NULL, "print and log a progress line every N steps" },
  { "output.file", DECK_STRING, "final.h5", 0, 0, M, NULL, "name of the final HDF5 output inside run.dir" },
  { "output.snapshot_every", DECK_INT, "0", 0, BIG, M, NULL,
    "write run.dir/snapshots/snap_<step>.h5 (the output layout) every N steps, for pictures (0: none)" },
  DATA_KEYS("source", NULL, "11"),
  DATA_KEYS("target", NULL, "22"),
  { "target.batch", DECK_INT, "0", 0, 1e9, 0, NULL, "target minibatch per class and step, drawn without replacement (0 = whole class)" },
  { "sw.projections", DECK_INT, "500", 1, 1e8, 0, NULL, "number L of random directions per step" },
  { "sw.estimator", DECK_ENUM, "exact", 0, 0, 0, "exact|quantile",
    "exact 1D transport, or the authors' quantile estimator (to reproduce published numbers)" },
  { "sw.quantiles", DECK_INT, "100", 2, 1e6, 0, NULL, "quantile estimator: number of knots and of Monte Carlo levels per direction" },
  { "kernel.name", DECK_ENUM, "riesz", 0, 0, 0, "riesz|gaussian|laplace|imq",
    "kernel between classes: -(SW2^2)^(r/2), exp(-SW2^2/(2h)), exp(-SW1/h), 1/sqrt(h + SW2^2)" },
  { "kernel.h", DECK_REAL, "auto", 0, BIG, DECK_AUTO | DECK_MIN_OPEN, NULL,
    "bandwidth (auto: gaussian 0.1, laplace 0.5, imq 1)" },
  { "kernel.r", DECK_REAL, "1", 0, 2, DECK_MIN_OPEN, NULL, "Riesz exponent r" },
  { "flow.method", DECK_ENUM, "wow", 0, 0, 0, "wow|mmd_product|otdd",
    "wow: the WoW flow of the SW-kernel MMD; baselines on labeled points (method.md 7): MMD with the product kernel (Hua et al.), OTDD" },
  { "baseline.h", DECK_REAL, "100", 0, BIG, DECK_MIN_OPEN, NULL, "mmd_product: feature kernel exp(-|x-x'|^2/(2h))" },
  { "baseline.h_mean", DECK_REAL, "50", 0, BIG, DECK_MIN_OPEN, NULL, "mmd_product: label-mean kernel exp(-|m-m'|^2/(2h_mean))" },
  { "baseline.h_cov", DECK_REAL, "1000", 0, BIG, DECK_MIN_OPEN, NULL, "mmd_product: label-covariance kernel exp(-|S-S'|_F^2/(2h_cov))" },
  { "baseline.noise", DECK_REAL, "0.01", 0, BIG, 0, NULL, "mmd_product: the gradient is taken at z + noise N(0, I)" },
  { "baseline.sums", DECK_ENUM, "direct", 0, 0, 0, "direct|sliced",
    "mmd_product kernel sums: direct (blocked GEMM, exact) or sliced (sw.projections orthogonal directions, FFT per direction)" },
  { "baseline.epsilon", DECK_REAL, "0.05", 0, BIG, DECK_MIN_OPEN, NULL, "otdd: entropic regularisation on the cost divided by its mean" },
  { "baseline.sinkhorn_iterations", DECK_INT, "2000", 1, 1e9, M, NULL, "otdd: most Sinkhorn iterations per step (ott-jax's default)" },
  { "baseline.sinkhorn_tolerance", DECK_REAL, "1e-3", 0, BIG, DECK_MIN_OPEN | M, NULL,
    "otdd: stop when the row marginals are off by less (L1; ott-jax's default threshold)" },
  { "baseline.weight_decay", DECK_REAL, "1e-4", 0, BIG, 0, NULL, "otdd: AdamW weight decay" },
  { "step.rule", DECK_ENUM, "euler", 0, 0, 0, "euler|momentum|adamw",
    "explicit Euler, heavy ball (v = g + momentum v; x -= lr v), or AdamW (otdd only; b1 0.9, b2 0.999, eps 1e-8)" },
  { "step.lr", DECK_REAL, "0.1", 0, BIG, DECK_MIN_OPEN | M, NULL, "step size tau" },
  { "step.momentum", DECK_REAL, "0.9", 0, 1, 0, NULL, "momentum beta of the heavy-ball rule (below 1)" },
  { "checkpoint.every_steps", DECK_INT, "0", 0, BIG, M, NULL, "write a checkpoint every N steps (0: never)" },
  { "checkpoint.every_minutes", DECK_REAL, "0", 0, BIG, M, NULL, "write a checkpoint every M minutes of wall time (0: never)" },
  { "checkpoint.keep", DECK_INT, "2", 1, 1e6, M, NULL, "checkpoints kept in run.dir/checkpoints (older ones are deleted once a newer one is complete)" },
  { "checkpoint.at_end", DECK_BOOL, "true", 0, 0, M, NULL, "write a checkpoint of the final state (a later restart may add steps)" },
  { "parallel.class_groups", DECK_INT, "auto", 1, 1e7, DECK_AUTO | M, NULL,
    "Pc: ranks are a Pc x (P/Pc) grid, classes split over Pc, directions over P/Pc (auto: chosen by a cost model)" },
  { "parallel.shares", DECK_BOOL, "true", 0, 0, M, NULL,
    "each rank of a class block updates its share of the particles (gradient reduce-scattered and particles all-gathered, or both "
    "in shared memory: shared_memory); "
    "false: every rank updates all of them (gradient all-reduced)" },
  { "parallel.shared_memory", DECK_BOOL, "true", 0, 0, M, NULL,
    "with shares, where the ranks of a class block run on one node: the particles and the gradient in memory they share "
    "(POSIX shared memory, reserved at start), instead of the reduce-scatter and the all-gather; false: MPI collectives" },
  { "parallel.overlap", DECK_BOOL, "false", 0, 0, M, NULL,
    "all-reduce the gradient class by class (MPI_Iallreduce) while the next class's gradient is computed" },
  { "parallel.model_gemm_gflops", DECK_REAL, WOW_STR(LAYOUT_GEMM_GFLOPS), 0, BIG, DECK_MIN_OPEN | M, NULL,
    "cost model behind class_groups = auto (docs/scaling.md): GEMM rate per rank (postprocess/scaling_model fits the model_* keys)" },
  { "parallel.model_pair_gflops", DECK_REAL, WOW_STR(LAYOUT_PAIR_GFLOPS), 0, BIG, DECK_MIN_OPEN | M, NULL,
    "cost model: rate of the pairwise 1D transports per rank" },
  { "parallel.model_sort_ns", DECK_REAL, WOW_STR(LAYOUT_SORT_NS), 0, BIG, DECK_MIN_OPEN | M, NULL, "cost model: time per sorted projection value" },
  { "parallel.model_latency_us", DECK_REAL, WOW_STR(LAYOUT_LATENCY_US), 0, BIG, DECK_MIN_OPEN | M, NULL,
    "cost model: latency of one message stage of a collective" },
  { "parallel.model_bandwidth_gbs", DECK_REAL, WOW_STR(LAYOUT_BANDWIDTH_GBS), 0, BIG, DECK_MIN_OPEN | M, NULL,
    "cost model: network bandwidth per rank" },
  { "parallel.model_memory_gbs", DECK_REAL, WOW_STR(LAYOUT_MEMORY_GBS), 0, BIG, DECK_MIN_OPEN | M, NULL,
    "cost model: memory rate per rank of the particle update" },
};

const struct deck_key *deck_schema(size_t *nkeys)
{
  *nkeys = sizeof wow_schema / sizeof wow_schema[0];
  return wow_schema;
}

static void rule_error(const struct deck *dk, struct deck_errors *errs, const char *key, const char *why)
{
  char where[512];
  deck_where(dk, key, where, sizeof where);
  deck_errors_add(errs, "%s: key '%s': %s", where, key, why);
}

static int is_set(const struct deck *dk, const char *key)
{
  int i = deck_key_index(dk, key);
  return i >= 0 && dk->src[i] != DECK_SRC_DEFAULT;
}

static void rules_data(const struct deck *dk, const char *sec, struct deck_errors *errs)
{
  char k[64], why[256];
  snprintf(k, sizeof k, "%s.kind", sec);
  const char *kind = deck_str(dk, k);
  int file = strcmp(kind, "file") == 0, rings = strcmp(kind, "rings") == 0;
  snprintf(k, sizeof k, "%s.file", sec);
  if (file && !deck_str(dk, k)[0]) {
    snprintf(why, sizeof why, "required when %s.kind = file", sec);
    rule_error(dk, errs, k, why);
  }
  snprintf(k, sizeof k, "%s.dim", sec);
  if (rings && is_set(dk, k) && deck_int(dk, k) != 2) rule_error(dk, errs, k, "the rings generator makes 2D points: dim must be 2");
  snprintf(k, sizeof k, "%s.classes", sec);
  long classes = deck_int(dk, k);
  snprintf(k, sizeof k, "%s.n", sec);
  int nl = deck_list_len(dk, k);
  if (!file && nl != 1 && nl != classes) {
    snprintf(why, sizeof why, "has %d values but there are %ld classes (give 1 or %ld)", nl, classes, classes);
    rule_error(dk, errs, k, why);
  }
  for (int i = 0; i < nl; i++)
    if (deck_list_real(dk, k, i) != floor(deck_list_real(dk, k, i))) { rule_error(dk, errs, k, "class sizes must be integers"); break; }
  snprintf(k, sizeof k, "%s.center", sec);
  if (deck_list_word(dk, k) && strcmp(sec, "source") != 0) rule_error(dk, errs, k, "target_mean is only meaningful for the source");
  long dim = rings ? 2 : deck_int(dk, strcmp(sec, "source") == 0 ? "source.dim" : "target.dim");
  if (!deck_list_word(dk, k) && deck_list_len(dk, k) != 1 && deck_list_len(dk, k) != dim && !file) {
    snprintf(why, sizeof why, "has %d values but the dimension is %ld (give 1 or %ld)", deck_list_len(dk, k), dim, dim);
    rule_error(dk, errs, k, why);
  }
  snprintf(k, sizeof k, "%s.weights", sec);
  if (!deck_list_word(dk, k) && !file && deck_list_len(dk, k) != classes) {
    snprintf(why, sizeof why, "has %d values but there are %ld classes", deck_list_len(dk, k), classes);
    rule_error(dk, errs, k, why);
  }
}

static void rules_method(const struct deck *dk, struct deck_errors *errs)
{
  const int method = deck_enum(dk, "flow.method"), adamw = deck_enum(dk, "step.rule") == 2;
  if (method == 2 && !adamw) rule_error(dk, errs, "step.rule", "flow.method = otdd is optimised by adamw (as in the paper): set step.rule = adamw");
  if (method != 2 && adamw) rule_error(dk, errs, "step.rule", "adamw is the otdd baseline's optimiser; the wow and mmd_product flows use euler or momentum");
  if (method != 0 && deck_int(dk, "target.batch") > 0)
    rule_error(dk, errs, "target.batch", "the baselines (flow.method = mmd_product, otdd) use every target point: set target.batch = 0");
  if (method != 0 && is_set(dk, "parallel.class_groups") && !deck_is_auto(dk, "parallel.class_groups") &&
      deck_int(dk, "parallel.class_groups") != 1)
    rule_error(dk, errs, "parallel.class_groups", "the baselines split points, not classes, over the ranks: use 1 or auto");
  if (method != 0 && deck_enum(dk, "run.precision") == 1)
    rule_error(dk, errs, "run.precision", "single precision is implemented for the wow flow only; the baselines run in double");
}

void deck_check_rules(const struct deck *dk, struct deck_errors *errs)
{
  rules_data(dk, "source", errs);
  rules_data(dk, "target", errs);
  double wt;
  if (policy_parse_walltime(deck_str(dk, "run.walltime"), &wt) != 0)
    rule_error(dk, errs, "run.walltime", "bad time: use seconds, MM:SS, HH:MM:SS or D-HH:MM:SS");
  if (!deck_str(dk, "run.dir")[0]) rule_error(dk, errs, "run.dir", "must name a directory");
  if (!deck_str(dk, "output.file")[0]) rule_error(dk, errs, "output.file", "must name a file");
  if (deck_real(dk, "step.momentum") >= 1.0) rule_error(dk, errs, "step.momentum", "must be below 1");
  rules_method(dk, errs);
  int src_file = strcmp(deck_str(dk, "source.kind"), "file") == 0, tgt_file = strcmp(deck_str(dk, "target.kind"), "file") == 0;
  long sd = strcmp(deck_str(dk, "source.kind"), "rings") == 0 ? 2 : deck_int(dk, "source.dim");
  long td = strcmp(deck_str(dk, "target.kind"), "rings") == 0 ? 2 : deck_int(dk, "target.dim");
  if (!src_file && !tgt_file && sd != td) {
    char why[128];
    snprintf(why, sizeof why, "source dimension %ld differs from target dimension %ld", sd, td);
    rule_error(dk, errs, is_set(dk, "source.dim") ? "source.dim" : "target.dim", why);
  }
}
