/* output.c -- the final HDF5 file (see output.h and docs/format.md). */
#include <config.h>
#include "output.h"
#include "rng.h"
#include "assign.h"
#include "h5io.h"
#include "mem.h"
#include "run.h"
#include "strbuf.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void output_commit(const char *tmp, const char *path, int rank, char *msg, size_t len)
{
  if (rank != 0) return;
  if (rename(tmp, path) != 0) { snprintf(msg, len, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno)); return; }
  char *copy = wow_strdup(path);
  int fd = open(dirname(copy), O_RDONLY);
  if (fd >= 0) { fsync(fd); close(fd); }
  free(copy);
}

/* Rows of one set (source or target) owned by this rank, written by the pl == 0 ranks. */
static int output_set(hid_t f, const struct wow_run *r, const char *grp, int set0, int set1, int own0, int own1,
                      const double *rows, long nrows)
{
  const struct wow_clouds *cl = &r->cl;
  const int writer = r->grid.pl == 0;
  long total = 0, row0 = own0 < own1 ? cl->row0[own0] : 0;
  for (int j = set0; j < set1; j++) total += cl->size[j];
  int *labels = WOW_NEW(int, nrows, "labels");
  long at = 0;
  for (int j = own0; j < own1; j++)
    for (long i = 0; i < cl->size[j]; i++) labels[at++] = j - set0;
  long n = writer ? nrows : 0;
  char name[64];
  int rc = 0;
  snprintf(name, sizeof name, "%s/particles", grp);
  rc |= h5io_write_rows(f, name, H5T_NATIVE_DOUBLE, total, (long)cl->d, row0, n, rows);
  snprintf(name, sizeof name, "%s/labels", grp);
  rc |= h5io_write_rows(f, name, H5T_NATIVE_INT, total, 0, row0, n, labels);
  free(labels);
  long nset = set1 - set0;
  snprintf(name, sizeof name, "%s/class_sizes", grp);
  rc |= h5io_write_array(f, name, H5T_NATIVE_LONG, 1, &nset, cl->size + set0, r->rank == 0);
  snprintf(name, sizeof name, "%s/class_weights", grp);
  rc |= h5io_write_array(f, name, H5T_NATIVE_DOUBLE, 1, &nset, cl->weight + set0, r->rank == 0);
  return rc;
}

static int output_history(hid_t f, const struct wow_run *r, long last)
{
  long n = last + 1;
  long *step = WOW_NEW(long, n, "history steps");
  for (long k = 0; k < n; k++) step[k] = k;
  int rc = h5io_write_array(f, "/history/step", H5T_NATIVE_LONG, 1, &n, step, r->rank == 0);
  rc |= h5io_write_array(f, "/history/F", H5T_NATIVE_DOUBLE, 1, &n, r->hist_F, r->rank == 0);
  rc |= h5io_write_array(f, "/history/grad_norm", H5T_NATIVE_DOUBLE, 1, &n, r->hist_gnorm, r->rank == 0);
  free(step);
  return rc;
}

static int output_timers(hid_t f, const struct wow_run *r, const double *stats)
{
  long dims[2] = { TIMER_NPHASES, 3 };
  struct strbuf names = {0};
  for (int p = 0; p < TIMER_NPHASES; p++) strbuf_printf(&names, "%s%s", p ? "," : "", timer_name((enum timer_phase)p));
  char *list = strbuf_take(&names);
  int rc = h5io_write_array(f, "/timers/seconds", H5T_NATIVE_DOUBLE, 2, dims, stats, r->rank == 0);
  rc |= h5io_attr_string(f, "/timers/seconds", "phases", list);
  rc |= h5io_attr_string(f, "/timers/seconds", "columns", "min,mean,max over ranks");
  rc |= h5io_attr_long(f, "/timers/seconds", "steps", r->steps - r->step0 + 1);
  free(list);
  return rc;
}

int output_write_meta(hid_t f, const struct wow_run *r, const char *kind, long format_version, long step)
{
  hid_t g = H5Gcreate2(f, "/meta", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) return -1;
  H5Gclose(g);
  char *resolved = deck_resolved_text(&r->deck);
  int rc = h5io_attr_string(f, "/meta", "deck_given", r->deck.text);
  rc |= h5io_attr_string(f, "/meta", "deck_file", r->deck.file);
  rc |= h5io_attr_string(f, "/meta", "overrides", r->deck.overrides);
  rc |= h5io_attr_string(f, "/meta", "deck_resolved", resolved);
  rc |= prov_write_h5(&r->prov, f, "/meta");
  free(resolved);
  rc |= h5io_attr_long(f, "/", "format_version", format_version);
  rc |= h5io_attr_string(f, "/", "program", "wowflow");
  rc |= h5io_attr_string(f, "/", "kind", kind);
  rc |= h5io_attr_long(f, "/", "step", step);
  rc |= h5io_attr_long(f, "/", "directions_generator", RNG_DIRECTIONS_GENERATOR);
  return rc;
}

/* /align: the C x C2 costs at the end and at the first step of this job, and the optimal
 * assignment of every flowed class to a distinct target class (when C <= C2). */
static int output_alignment(hid_t f, const struct wow_run *r, const double *cost, const double *cost0)
{
  const int C = r->cl.C, C2 = r->cl.C2;
  int *match = WOW_NEW(int, C, "alignment"), *m0 = WOW_NEW(int, C, "initial alignment");
  double total = C <= C2 ? assign_min_cost(cost, C, C2, match) : NAN;
  double total0 = C <= C2 ? assign_min_cost(cost0, C, C2, m0) : NAN;
  long dims[2] = { C, C2 }, one = C;
  int rc = h5io_write_array(f, "/align/cost", H5T_NATIVE_DOUBLE, 2, dims, cost, r->rank == 0);
  rc |= h5io_write_array(f, "/align/cost_initial", H5T_NATIVE_DOUBLE, 2, dims, cost0, r->rank == 0);
  if (C <= C2) rc |= h5io_write_array(f, "/align/target_class", H5T_NATIVE_INT, 1, &one, match, r->rank == 0);
  rc |= h5io_attr_double(f, "/align/cost", "assignment_total", total);
  rc |= h5io_attr_double(f, "/align/cost_initial", "assignment_total", total0);
  rc |= h5io_attr_string(f, "/align/cost", "statistic", r->mmd.set.kernel.p == 1 ? "SW_1" : "SW_2^2");
  rc |= h5io_attr_long(f, "/align/cost_initial", "step", r->align_step0);
  if (C <= C2) log_msg(&r->log, "class alignment (Hungarian, SW costs): total cost %.6g at the end, %.6g at step %ld", total, total0, r->align_step0);
  free(match);
  free(m0);
  return rc;
}

void output_write_state(const struct wow_run *r, const char *path, const char *kind, long step, const double *timer_stats,
                        const double *align_cost, const double *align_cost0)
{
  char *tmp = wow_asprintf("%s.tmp", path);
  char msg[WOW_ERRLEN] = "";
  hid_t f = h5io_create(tmp, r->world);
  if (!comm_all_ok(r->world, f >= 0)) {
    snprintf(msg, sizeof msg, "cannot create '%s' (check that run.dir is writable)", tmp);
    comm_check_all(r->world, r->rank == 0 ? msg : "");
  }
  const struct mmd *m = &r->mmd;
  int rc = output_set(f, r, "/flow", 0, r->cl.C, m->j0, m->s1, r->x, m->ns);
  rc |= output_set(f, r, "/target", r->cl.C, r->cl.nc, m->t0, m->j1, r->y, m->nt);
  if (r->method != BL_WOW) { /* the baselines' label embedding (m, S) of every point */
    rc |= h5io_write_rows(f, "/flow/embedding", H5T_NATIVE_DOUBLE, r->bl.N, BL_E, 0, r->rank == 0 ? r->bl.N : 0, r->bl.e);
    rc |= h5io_write_rows(f, "/target/embedding", H5T_NATIVE_DOUBLE, r->bl.M, BL_E, 0, r->rank == 0 ? r->bl.M : 0, r->bl.ey);
  }
  rc |= h5io_attr_string(f, "/flow", "method", deck_str(&r->deck, "flow.method"));
  rc |= output_history(f, r, step);
  if (timer_stats) rc |= output_timers(f, r, timer_stats);
  if (align_cost) rc |= output_alignment(f, r, align_cost, align_cost0);
  rc |= output_write_meta(f, r, kind, OUTPUT_FORMAT_VERSION, step);
  rc |= h5io_attr_double(f, "/", "F_final", r->hist_F[step]);
  rc |= h5io_close(f);
  if (!comm_all_ok(r->world, rc == 0)) snprintf(msg, sizeof msg, "writing '%s' failed (disk full or I/O error); '%s' was left as it was", tmp, path);
  else output_commit(tmp, path, r->rank, msg, sizeof msg);
  comm_check_all(r->world, msg);
  free(tmp);
}
