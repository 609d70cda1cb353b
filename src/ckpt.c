/* ckpt.c -- checkpoint files and restarts (see ckpt.h). */
#include <config.h>
#include "ckpt.h"
#include "rng.h"
#include "h5io.h"
#include "mem.h"
#include "output.h"
#include "run.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ------------------------------------------------------------------ checksums */

static uint64_t ckpt_mix(uint64_t x)
{
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t ckpt_checksum(const double *rows, long row0, long n, size_t d, int mine, MPI_Comm world)
{
  uint64_t local = 0;
  if (mine)
    for (long i = 0; i < n; i++) {
      uint64_t h = 0xcbf29ce484222325ull ^ ckpt_mix((uint64_t)(row0 + i));
      const unsigned char *b = (const unsigned char *)(rows + (size_t)i * d);
      for (size_t k = 0; k < d * sizeof(double); k++) h = (h ^ b[k]) * 0x100000001b3ull;
      local += ckpt_mix(h); /* a sum: independent of how rows are spread over ranks */
    }
  /* 64-bit sums wrap modulo 2^64 in two 32-bit halves' carries: reduce the halves exactly. */
  double lo = (double)(local & 0xffffffffu), hi = (double)(local >> 32);
  lo = comm_sum_double(lo, world);
  hi = comm_sum_double(hi, world);
  uint64_t L = (uint64_t)lo, H = (uint64_t)hi;
  return L + (H << 32);
}

static void ckpt_hex(uint64_t x, char *buf, size_t len) { snprintf(buf, len, "%016" PRIx64, x); }

/* ------------------------------------------------------------------ paths */

static char *ckpt_dir(const struct wow_run *r) { return wow_asprintf("%s/checkpoints", r->dir); }

static char *ckpt_path(const struct wow_run *r, long step) { return wow_asprintf("%s/checkpoints/ckpt_%08ld.h5", r->dir, step); }

static int ckpt_cmp_desc(const void *a, const void *b)
{
  long x = *(const long *)a, y = *(const long *)b;
  return (x < y) - (x > y);
}

/* Steps of the complete-named checkpoint files in dir, newest first (rank 0). */
static long ckpt_list(const char *dir, long **steps)
{
  long n = 0, cap = 16;
  *steps = WOW_NEW(long, cap, "checkpoint list");
  DIR *d = opendir(dir);
  if (!d) return 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    long s;
    char tail[8] = "";
    if (sscanf(e->d_name, "ckpt_%ld.h%7s", &s, tail) != 2 || strcmp(tail, "5") != 0) continue;
    if (n == cap) *steps = wow_realloc(*steps, (size_t)(cap *= 2), sizeof **steps, "checkpoint list");
    (*steps)[n++] = s;
  }
  closedir(d);
  qsort(*steps, (size_t)n, sizeof **steps, ckpt_cmp_desc);
  return n;
}

/* Rank 0, after a new checkpoint is complete: delete all but the newest `keep`, and stale .tmp. */
static void ckpt_prune(const struct wow_run *r, long keep)
{
  char *dir = ckpt_dir(r);
  long *steps, n = ckpt_list(dir, &steps);
  for (long i = keep; i < n; i++) {
    char *p = ckpt_path(r, steps[i]);
    if (unlink(p) == 0) log_msg(&r->log, "removed old checkpoint %s (checkpoint.keep = %ld)", p, keep);
    free(p);
  }
  free(steps);
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (strncmp(e->d_name, "ckpt_", 5) == 0 && l > 7 && strcmp(e->d_name + l - 7, ".h5.tmp") == 0) {
      char *p = wow_asprintf("%s/%s", dir, e->d_name);
      unlink(p);
      free(p);
    }
  }
  if (d) closedir(d);
  free(dir);
}

/* ------------------------------------------------------------------ writing */

/* The baselines' extra state (replicated on every rank: rank 0 writes it). */
static const char *const ckpt_bl_names[4] = { "/state/embedding", "/state/embedding_velocity", "/state/adam_second_features",
                                              "/state/adam_second_embedding" };

static void ckpt_bl_arrays(const struct wow_run *r, double *arr[4], long cols[4])
{
  arr[0] = r->bl.e; arr[1] = r->bl.ve; arr[2] = r->bl.a2x; arr[3] = r->bl.a2e;
  cols[0] = cols[1] = cols[3] = BL_E;
  cols[2] = (long)r->cl.d;
}

static uint64_t ckpt_bl_checksum(const struct wow_run *r)
{
  double *arr[4];
  long cols[4];
  ckpt_bl_arrays(r, arr, cols);
  uint64_t h = 0;
  for (int k = 0; k < 4; k++)
    if (arr[k]) h = h * 31 + ckpt_checksum(arr[k], 0, r->bl.N, (size_t)cols[k], r->rank == 0, r->world);
  return h;
}

static int ckpt_write_baseline(hid_t f, const struct wow_run *r, int writer)
{
  double *arr[4];
  long cols[4];
  char ce[32];
  ckpt_bl_arrays(r, arr, cols);
  int rc = 0;
  for (int k = 0; k < 4; k++)
    if (arr[k]) rc |= h5io_write_rows(f, ckpt_bl_names[k], H5T_NATIVE_DOUBLE, r->bl.N, cols[k], 0, writer ? r->bl.N : 0, arr[k]);
  ckpt_hex(ckpt_bl_checksum(r), ce, sizeof ce);
  rc |= h5io_attr_string(f, "/", "checksum_baseline", ce);
  return rc;
}

/* Every rank reads the whole baseline state; 0, or -1 with a reason. */
static int ckpt_load_baseline(struct wow_run *r, hid_t f, char *msg, size_t len)
{
  double *arr[4];
  long cols[4];
  char err[512] = "", ce[32], *stored = NULL;
  ckpt_bl_arrays(r, arr, cols);
  int ok = 1;
  for (int k = 0; k < 4 && ok; k++)
    if (arr[k]) ok = h5io_read_block(f, ckpt_bl_names[k], 0, r->bl.N, cols[k], arr[k], err, sizeof err) == 0;
  ok = ok && h5io_read_attr_string(f, "/", "checksum_baseline", &stored) == 0;
  if (!comm_all_ok(r->world, ok)) {
    free(stored);
    return snprintf(msg, len, "cannot read the %s state%s%s", deck_str(&r->deck, "flow.method"), err[0] ? ": " : "", err), -1;
  }
  ckpt_hex(ckpt_bl_checksum(r), ce, sizeof ce);
  int bad = strcmp(ce, stored) != 0;
  if (bad) snprintf(msg, len, "checksum mismatch in the baseline state (stored %s, read %s): the file is damaged", stored, ce);
  free(stored);
  return bad ? -1 : 0;
}

static int ckpt_write_state(hid_t f, const struct wow_run *r, long step, const char *cx, const char *cv, const char *ct)
{
  const struct mmd *m = &r->mmd;
  const struct wow_clouds *cl = &r->cl;
  const int writer = r->grid.pl == 0;
  const long row0 = m->ns ? cl->row0[m->j0] : 0, n = writer ? m->ns : 0;
  int *labels = WOW_NEW(int, m->ns + 1, "labels");
  for (int c = m->j0, at = 0; c < m->s1; c++)
    for (long i = 0; i < cl->size[c]; i++) labels[at++] = c;
  long C = cl->C, hn = step, one = step;
  int rc = h5io_write_rows(f, "/state/particles", H5T_NATIVE_DOUBLE, cl->N, (long)cl->d, row0, n, r->x);
  rc |= h5io_write_rows(f, "/state/velocity", H5T_NATIVE_DOUBLE, cl->N, (long)cl->d, row0, n, r->vel);
  rc |= h5io_write_rows(f, "/state/labels", H5T_NATIVE_INT, cl->N, 0, row0, n, labels);
  rc |= h5io_write_array(f, "/state/class_sizes", H5T_NATIVE_LONG, 1, &C, cl->size, r->rank == 0);
  rc |= h5io_write_array(f, "/state/class_weights", H5T_NATIVE_DOUBLE, 1, &C, cl->weight, r->rank == 0);
  rc |= h5io_write_array(f, "/history/F", H5T_NATIVE_DOUBLE, 1, &hn, r->hist_F, r->rank == 0);
  rc |= h5io_write_array(f, "/history/grad_norm", H5T_NATIVE_DOUBLE, 1, &one, r->hist_gnorm, r->rank == 0);
  if (r->align_step0 >= 0) { /* the first step's class costs, so that a restarted run reports the same */
    long dims[2] = { cl->C, cl->C2 };
    rc |= h5io_write_array(f, "/align/cost_initial", H5T_NATIVE_DOUBLE, 2, dims, r->align_cost0, r->rank == 0);
    rc |= h5io_attr_long(f, "/align/cost_initial", "step", r->align_step0);
  }
  free(labels);
  if (r->method != BL_WOW) rc |= ckpt_write_baseline(f, r, writer);
  rc |= output_write_meta(f, r, "checkpoint", CKPT_FORMAT_VERSION, step);
  rc |= h5io_attr_double(f, "/", "elapsed", r->elapsed0 + (comm_wtime() - r->t_job));
  rc |= h5io_attr_long(f, "/", "rng_seed", (long)r->mmd.set.seed);
  rc |= h5io_attr_long(f, "/", "rng_counter", step);
  rc |= h5io_attr_string(f, "/", "checksum_particles", cx);
  rc |= h5io_attr_string(f, "/", "checksum_velocity", cv);
  rc |= h5io_attr_string(f, "/", "checksum_target", ct);
  return rc;
}

/* Test hook: WOWFLOW_FAULT=kill_in_checkpoint:STEP makes rank 0 die by SIGKILL in the middle of
 * writing that checkpoint (the kill -9 tests use it to hit the write deterministically). */
static void ckpt_fault_hook(const struct wow_run *r, long step)
{
  const char *f = getenv("WOWFLOW_FAULT");
  long s;
  if (r->rank == 0 && f && sscanf(f, "kill_in_checkpoint:%ld", &s) == 1 && s == step) raise(SIGKILL);
}

double ckpt_write(struct wow_run *r, long step)
{
  const double t0 = comm_wtime();
  char msg[WOW_ERRLEN] = "";
  char *dir = ckpt_dir(r), *path = ckpt_path(r, step), *tmp = wow_asprintf("%s.tmp", path);
  struct stat st;
  if (r->rank == 0 && mkdir(dir, 0777) != 0 && errno != EEXIST)
    snprintf(msg, sizeof msg, "cannot create '%s': %s", dir, strerror(errno));
  else if (r->rank == 0 && (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)))
    snprintf(msg, sizeof msg, "cannot create '%s': a file of that name is in the way", dir);
  comm_check_all(r->world, msg);
  const struct mmd *m = &r->mmd;
  const long row0 = m->ns ? r->cl.row0[m->j0] : 0;
  int finite = 1;
  for (size_t i = 0; i < (size_t)m->ns * r->cl.d; i++) finite &= isfinite(r->x[i]) && isfinite(r->vel[i]);
  if (!comm_all_ok(r->world, finite))
    wow_fail_all(r->world, "checkpoint of step %ld refused: the particles are not finite (the flow diverged); earlier checkpoints are kept", step);
  char cx[32], cv[32], ct[32];
  ckpt_hex(ckpt_checksum(r->x, row0, m->ns, r->cl.d, r->grid.pl == 0, r->world), cx, sizeof cx);
  ckpt_hex(ckpt_checksum(r->vel, row0, m->ns, r->cl.d, r->grid.pl == 0, r->world), cv, sizeof cv);
  ckpt_hex(r->target_checksum, ct, sizeof ct);
  hid_t f = h5io_create(tmp, r->world);
  if (!comm_all_ok(r->world, f >= 0)) {
    snprintf(msg, sizeof msg, "checkpoint: cannot create '%s' (run.dir not writable?)", tmp);
    comm_check_all(r->world, msg);
  }
  int rc = ckpt_write_state(f, r, step, cx, cv, ct);
  ckpt_fault_hook(r, step);
  rc |= h5io_attr_long(f, "/", "complete", 1); /* last */
  rc |= H5Fflush(f, H5F_SCOPE_GLOBAL) < 0 ? -1 : 0; /* MPI_File_sync: on disk before the rename */
  rc |= h5io_close(f);
  if (!comm_all_ok(r->world, rc == 0)) {
    if (r->rank == 0) unlink(tmp);
    snprintf(msg, sizeof msg, "checkpoint: writing '%s' failed (disk full or I/O error); earlier checkpoints are untouched", tmp);
  } else {
    output_commit(tmp, path, r->rank, msg, sizeof msg);
  }
  if (r->rank == 0 && !msg[0]) {
    char *logp = wow_asprintf("%s/checkpoints.log", r->dir);
    FILE *lf = fopen(logp, "a");
    if (!lf || fprintf(lf, "%ld %s\n", step, path) < 0 || fflush(lf) != 0 || fsync(fileno(lf)) != 0)
      snprintf(msg, sizeof msg, "checkpoint: cannot append to '%s': %s", logp, strerror(errno));
    if (lf) fclose(lf);
    free(logp);
    if (!msg[0]) ckpt_prune(r, deck_int(&r->deck, "checkpoint.keep"));
  }
  comm_check_all(r->world, msg);
  double dt = comm_wtime() - t0;
  log_msg(&r->log, "checkpoint %s (step %ld, %.3f s)", path, step, dt);
  free(dir);
  free(path);
  free(tmp);
  return comm_max_double(dt, r->world);
}

/* ------------------------------------------------------------------ restart */

/* Rank 0: immutable keys must agree; changed mutable keys are logged.  0 or a reason in msg. */
static int ckpt_check_deck(const struct wow_run *r, const char *stored, char *msg, size_t len)
{
  size_t nk;
  const struct deck_key *schema = deck_schema(&nk);
  struct deck old;
  struct deck_errors errs = {0};
  int bad = deck_load(&old, schema, nk, "checkpoint deck", stored, NULL, 0, &errs);
  if (bad) snprintf(msg, len, "its deck does not load with this wowflow (%s)", errs.line[0]);
  for (size_t i = 0; i < nk && !bad; i++) {
    if (strcmp(old.value[i], r->deck.value[i]) == 0) continue;
    if (schema[i].flags & DECK_MUTABLE) {
      log_msg(&r->log, "restart: key '%s' changed from '%s' to '%s'", schema[i].name, old.value[i], r->deck.value[i]);
      continue;
    }
    snprintf(msg, len, "key '%s' may not change on restart (checkpoint: '%s', deck: '%s')", schema[i].name, old.value[i], r->deck.value[i]);
    bad = 1;
  }
  deck_errors_free(&errs);
  deck_free(&old);
  return bad ? -1 : 0;
}


static int ckpt_attr_str(hid_t f, const char *name, char *out, size_t len)
{
  char *s = NULL;
  if (h5io_read_attr_string(f, "/", name, &s)) return -1;
  snprintf(out, len, "%s", s);
  free(s);
  return 0;
}

int ckpt_read_header(const char *path, struct ckpt_header *h, char **deck, char *msg, size_t len)
{
  memset(h, 0, sizeof *h);
  *deck = NULL;
  hid_t f = h5io_open_serial(path);
  if (f < 0) { snprintf(msg, len, "cannot open it as HDF5 (missing, truncated or not a checkpoint)"); return -1; }
  char kind[64] = "", err[256];
  int rank, fl, rc = -1;
  long dims[3];
  if (ckpt_attr_str(f, "kind", kind, sizeof kind) || strcmp(kind, "checkpoint") != 0) snprintf(msg, len, "not a wowflow checkpoint");
  else if (h5io_read_attr_long(f, "/", "complete", &h->complete) || h->complete != 1)
    snprintf(msg, len, "incomplete (no 'complete = 1' attribute: its write was interrupted)");
  else if (h5io_read_attr_long(f, "/", "format_version", &h->version)) snprintf(msg, len, "no format_version attribute");
  else if (h->version > CKPT_FORMAT_VERSION)
    snprintf(msg, len, "format version %ld is newer than this wowflow reads (%d)", h->version, CKPT_FORMAT_VERSION);
  else if (h5io_read_attr_long(f, "/", "step", &h->step) || h5io_read_attr_double(f, "/", "elapsed", &h->elapsed) ||
           ckpt_attr_str(f, "checksum_particles", h->cx, sizeof h->cx) || ckpt_attr_str(f, "checksum_velocity", h->cv, sizeof h->cv) ||
           ckpt_attr_str(f, "checksum_target", h->ct, sizeof h->ct) || h->step < 0)
    snprintf(msg, len, "attributes missing or invalid (step, elapsed or checksums)");
  else if (h5io_shape(f, "/state/particles", &rank, dims, &fl, err, sizeof err) || rank != 2)
    snprintf(msg, len, "no (N, d) /state/particles");
  else if (h5io_read_attr_string(f, "/meta", "deck_resolved", deck)) snprintf(msg, len, "no /meta deck_resolved attribute");
  else {
    h->N = dims[0];
    h->d = dims[1];
    if (h5io_read_attr_long(f, "/", "directions_generator", &h->directions)) h->directions = 1;
    rc = 0;
  }
  h5io_close(f);
  return rc;
}

/* Rank 0: everything that can be checked without the particle data.  0 or a reason in msg. */
static int ckpt_validate(const struct wow_run *r, const char *path, struct ckpt_header *h, char *msg, size_t len)
{
  char *deck = NULL;
  int rc = -1;
  if (ckpt_read_header(path, h, &deck, msg, len)) { free(deck); return -1; }
  if (h->step > r->steps) snprintf(msg, len, "it is at step %ld, beyond run.steps = %ld (raise run.steps to go on)", h->step, r->steps);
  else if (h->N != r->cl.N || h->d != (long)r->cl.d)
    snprintf(msg, len, "it holds %ld points in R^%ld, the deck makes %ld in R^%zu", h->N, h->d, r->cl.N, r->cl.d);
  else if (ckpt_check_deck(r, deck, msg, len) == 0) rc = 0;
  free(deck);
  return rc;
}

/* Collective: read own rows and history; 0, or -1 (with msg) on a read error or checksum mismatch. */
static int ckpt_load(struct wow_run *r, const char *path, const struct ckpt_header *h, char *msg, size_t len)
{
  const struct mmd *m = &r->mmd;
  const long row0 = m->ns ? r->cl.row0[m->j0] : 0;
  char err[512] = "", cx[32], cv[32], ct[32];
  hid_t f = h5io_open_read(path, r->world);
  int ok = f >= 0;
  ok = ok && h5io_read_block(f, "/state/particles", row0, m->ns, (long)r->cl.d, r->x, err, sizeof err) == 0;
  ok = ok && h5io_read_block(f, "/state/velocity", row0, m->ns, (long)r->cl.d, r->vel, err, sizeof err) == 0;
  if (h->step > 0) {
    ok = ok && h5io_read_all_double(f, "/history/F", (size_t)h->step, r->hist_F, err, sizeof err) == 0;
    ok = ok && h5io_read_all_double(f, "/history/grad_norm", (size_t)h->step, r->hist_gnorm, err, sizeof err) == 0;
  }
  if (ok && h5io_exists(f, "/align/cost_initial")) { /* absent in files of older builds: taken at the restart step */
    ok = h5io_read_all_double(f, "/align/cost_initial", (size_t)r->cl.C * (size_t)r->cl.C2, r->align_cost0, err, sizeof err) == 0 &&
         h5io_read_attr_long(f, "/align/cost_initial", "step", &r->align_step0) == 0 && r->align_step0 >= 0 && r->align_step0 <= h->step;
    if (!ok && !err[0]) snprintf(err, sizeof err, "/align/cost_initial: no valid step attribute");
  }
  if (!comm_all_ok(r->world, ok)) {
    if (f >= 0) h5io_close(f);
    snprintf(msg, len, "cannot read its data%s%s", err[0] ? ": " : "", err);
    return -1;
  }
  int blrc = r->method != BL_WOW ? ckpt_load_baseline(r, f, msg, len) : 0;
  h5io_close(f);
  if (blrc) return -1;
  ckpt_hex(ckpt_checksum(r->x, row0, m->ns, r->cl.d, r->grid.pl == 0, r->world), cx, sizeof cx);
  ckpt_hex(ckpt_checksum(r->vel, row0, m->ns, r->cl.d, r->grid.pl == 0, r->world), cv, sizeof cv);
  ckpt_hex(r->target_checksum, ct, sizeof ct);
  if (strcmp(cx, h->cx) || strcmp(cv, h->cv)) {
    snprintf(msg, len, "checksum mismatch in the particle data (stored %s, read %s): the file is damaged", h->cx, cx);
    return -1;
  }
  if (strcmp(ct, h->ct)) {
    snprintf(msg, len, "the target data differ from the run that wrote it (checksum %s, now %s): was the target file changed?", h->ct, ct);
    return -1;
  }
  return 0;
}

void ckpt_restore(struct wow_run *r, const char *which)
{
  const double t0 = comm_wtime();
  const int latest = strcmp(which, "latest") == 0;
  char msg[WOW_ERRLEN] = "";
  long *steps = NULL, n = 1;
  char *dir = ckpt_dir(r);
  if (latest) {
    n = r->rank == 0 ? ckpt_list(dir, &steps) : 0;
    if (r->rank == 0 && n == 0) snprintf(msg, sizeof msg, "--restart latest: no checkpoint in '%s'", dir);
    comm_check_all(r->world, msg);
    comm_bcast_bytes(&n, sizeof n, 0, r->world);
  }
  for (long i = 0; i < n; i++) {
    char *path = latest ? (r->rank == 0 ? ckpt_path(r, steps[i]) : wow_strdup("")) : wow_strdup(which);
    struct ckpt_header h;
    char why[WOW_ERRLEN - 200] = "";
    if (r->rank == 0) ckpt_validate(r, path, &h, why, sizeof why);
    comm_bcast_bytes(why, sizeof why, 0, r->world);
    comm_bcast_bytes(&h, sizeof h, 0, r->world);
    comm_bcast_string(&path, 0, r->world);
    if (!why[0]) ckpt_load(r, path, &h, why, sizeof why);
    if (!why[0]) {
      r->step0 = h.step;
      r->elapsed0 = h.elapsed;
      log_msg(&r->log, "restarted from %s at step %ld (%.1f s of flow before; checked and read in %.3f s)", path, h.step,
              h.elapsed, comm_wtime() - t0);
      if (r->rank == 0 && r->log.tsv) fprintf(r->log.tsv, "# restart from %s at step %ld\n", path, h.step);
      if (h.directions != RNG_DIRECTIONS_GENERATOR)
        log_msg(&r->log, "warning: %s was written with direction generator %ld, this build draws with %d: the same directions to "
                "rounding (1e-15), so the continuation is not bitwise the run an older build would have made", path, h.directions,
                RNG_DIRECTIONS_GENERATOR);
      free(path);
      free(steps);
      free(dir);
      return;
    }
    if (!latest) snprintf(msg, sizeof msg, "--restart %s: refused: %s", path, why);
    else if (r->rank == 0) fprintf(stderr, "wowflow: warning: skipping checkpoint %s: %s\n", path, why);
    free(path);
    if (!latest) break;
  }
  if (!msg[0]) snprintf(msg, sizeof msg, "--restart latest: no usable checkpoint in '%s' (all %ld refused, see the warnings above)", dir, n);
  free(steps);
  free(dir);
  comm_check_all(r->world, r->rank == 0 ? msg : "");
}
