/* cmd_grad.c -- 'wowflow grad': evaluate F and the WoW gradient with given directions so users can
 * compare wowflow with their own code (see commands.h, docs/format.md "grad files"). */
#include <config.h>
#include "commands.h"
#include "comm.h"
#include "h5io.h"
#include "layout.h"
#include "mem.h"
#include "mmd.h"
#include "output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct grad_input {
  long C, n, C2, m, d, L, Q;
  double *x, *y, *theta, *u;
};

static void grad_read(const struct cli *c, struct grad_input *in, MPI_Comm world)
{
  char msg[WOW_ERRLEN] = "", err[512];
  hid_t f = h5io_open_serial(c->in);
  int r = 0, fl = 0;
  long dx[3], dy[3], dt[3], du[3];
  memset(in, 0, sizeof *in);
  if (f < 0) snprintf(msg, sizeof msg, "%s: cannot open as an HDF5 file", c->in);
  else if (h5io_shape(f, "x", &r, dx, &fl, err, sizeof err) || r != 3) snprintf(msg, sizeof msg, "%s: dataset 'x' must be (C, n, d)%s%s", c->in, err[0] ? ": " : "", err);
  else if (h5io_shape(f, "y", &r, dy, &fl, err, sizeof err) || r != 3) snprintf(msg, sizeof msg, "%s: dataset 'y' must be (C2, m, d)%s%s", c->in, err[0] ? ": " : "", err);
  else if (h5io_shape(f, "theta", &r, dt, &fl, err, sizeof err) || r != 2) snprintf(msg, sizeof msg, "%s: dataset 'theta' must be (L, d)%s%s", c->in, err[0] ? ": " : "", err);
  else if (dx[2] != dy[2] || dx[2] != dt[1]) snprintf(msg, sizeof msg, "%s: dimensions differ: x has d = %ld, y %ld, theta %ld", c->in, dx[2], dy[2], dt[1]);
  else if (dx[0] * dx[1] * dy[0] * dy[1] * dt[0] == 0) snprintf(msg, sizeof msg, "%s: an input dataset is empty", c->in);
  if (!msg[0]) {
    in->C = dx[0]; in->n = dx[1]; in->C2 = dy[0]; in->m = dy[1]; in->d = dx[2]; in->L = dt[0]; in->Q = c->quantiles;
    in->x = WOW_NEW(double, in->C * in->n * in->d, "x");
    in->y = WOW_NEW(double, in->C2 * in->m * in->d, "y");
    in->theta = WOW_NEW(double, in->L * in->d, "theta");
    if (h5io_read_all_double(f, "x", (size_t)(in->C * in->n * in->d), in->x, err, sizeof err) ||
        h5io_read_all_double(f, "y", (size_t)(in->C2 * in->m * in->d), in->y, err, sizeof err) ||
        h5io_read_all_double(f, "theta", (size_t)(in->L * in->d), in->theta, err, sizeof err))
      snprintf(msg, sizeof msg, "%s: %s", c->in, err);
  }
  if (!msg[0] && h5io_exists(f, "u")) {
    if (h5io_shape(f, "u", &r, du, &fl, err, sizeof err) || r != 2 || du[0] != in->L) snprintf(msg, sizeof msg, "%s: dataset 'u' must be (L, Q)", c->in);
    else {
      in->Q = du[1];
      in->u = WOW_NEW(double, in->L * in->Q, "u");
      if (h5io_read_all_double(f, "u", (size_t)(in->L * in->Q), in->u, err, sizeof err)) snprintf(msg, sizeof msg, "%s: %s", c->in, err);
    }
  }
  if (f >= 0) h5io_close(f);
  comm_check_all(world, msg);
}

static int grad_write(const struct cli *c, const struct grad_input *in, const struct mmd *m, double F, double *full_grad,
                      const double *S, const double *S1, MPI_Comm world)
{
  char msg[WOW_ERRLEN] = "";
  char *tmp = wow_asprintf("%s.tmp", c->out);
  int rank = comm_rank(world);
  hid_t f = h5io_create(tmp, world);
  if (!comm_all_ok(world, f >= 0)) {
    snprintf(msg, sizeof msg, "cannot create '%s'", tmp);
    comm_check_all(world, msg);
  }
  long nc = in->C + in->C2, one = 1;
  long gdims[3] = { in->C, in->n, in->d }, sdims[2] = { nc, nc };
  int rc = h5io_write_array(f, "F", H5T_NATIVE_DOUBLE, 0, &one, &F, rank == 0);
  rc |= h5io_write_array(f, "sw2", H5T_NATIVE_DOUBLE, 2, sdims, S, rank == 0);
  if (S1) rc |= h5io_write_array(f, "sw1", H5T_NATIVE_DOUBLE, 2, sdims, S1, rank == 0);
  rc |= h5io_write_array(f, "grad_wow", H5T_NATIVE_DOUBLE, 3, gdims, full_grad, rank == 0);
  rc |= h5io_attr_string(f, "/", "kernel", kernel_name(&m->set.kernel));
  rc |= h5io_attr_double(f, "/", "h", m->set.kernel.h);
  rc |= h5io_attr_double(f, "/", "r", m->set.kernel.r);
  rc |= h5io_attr_string(f, "/", "estimator", c->estimator);
  rc |= h5io_close(f);
  if (!comm_all_ok(world, rc == 0)) snprintf(msg, sizeof msg, "writing '%s' failed", tmp);
  else output_commit(tmp, c->out, rank, msg, sizeof msg);
  comm_check_all(world, msg);
  free(tmp);
  return 0;
}

int cmd_grad(const struct cli *c, MPI_Comm world)
{
  struct grad_input in;
  grad_read(c, &in, world);
  char msg[WOW_ERRLEN] = "";
  struct mmd_setup set = {0};
  if (kernel_init(&set.kernel, c->kernel, c->h, c->r) != 0) snprintf(msg, sizeof msg, "command line: unknown kernel '%s'", c->kernel);
  comm_check_all(world, msg);
  set.estimator = strcmp(c->estimator, "quantile") == 0 ? MMD_QUANTILE : MMD_EXACT;
  set.Q = (int)in.Q;
  set.L = in.L;
  set.seed = (uint64_t)c->seed;
  set.fixed_theta = in.theta;
  set.fixed_levels = in.u;
  set.want_sw2 = 1;

  const long nc = in.C + in.C2;
  long *sizes = WOW_NEW(long, nc, "sizes");
  double *w = WOW_NEW(double, nc, "weights");
  for (long j = 0; j < nc; j++) { sizes[j] = j < in.C ? in.n : in.m; w[j] = 1.0; }
  struct wow_clouds cl;
  layout_clouds_init(&cl, (int)in.C, (int)in.C2, (size_t)in.d, sizes, w, 0);
  struct comm_grid grid;
  comm_grid_create(world, layout_auto_groups(&cl, in.L, !strcmp(c->estimator, "quantile") ? in.Q : 0, comm_size(world), NULL), &grid);
  struct wow_part part;
  layout_part_init(&part, &cl, in.L, grid.Pc, grid.Pl);
  struct timers tm;
  timer_reset(&tm);
  struct mmd m;
  mmd_init(&m, &set, &cl, &grid, &part, &tm);

  const size_t d = (size_t)in.d;
  const double *x = in.x + (m.ns > 0 ? (size_t)cl.row0[m.j0] * d : 0);
  const double *y = in.y + (m.nt > 0 ? (size_t)cl.row0[m.t0] * d : 0);
  double *grad = WOW_ZNEW(double, (size_t)m.ns * d + 1, "gradient");
  struct mmd_result res;
  mmd_eval(&m, 0, x, y, grad, &res);

  double *full = WOW_ZNEW(double, (size_t)cl.N * d, "full gradient");
  if (grid.pl == 0 && m.ns > 0) memcpy(full + (size_t)cl.row0[m.j0] * d, grad, (size_t)m.ns * d * sizeof(double));
  comm_sum_doubles(full, (size_t)cl.N * d, world);
  double *S = WOW_NEW(double, (size_t)(nc * nc), "sw matrix"), *S1 = NULL;
  mmd_stat_matrix(&m, 1, S);
  if (set.kernel.p == 1) {
    S1 = WOW_NEW(double, (size_t)(nc * nc), "sw1 matrix");
    mmd_stat_matrix(&m, 0, S1);
  }
  grad_write(c, &in, &m, res.F, full, S, S1, world);
  if (comm_rank(world) == 0) printf("F = %.17g  |grad| = %.17g  (wrote %s)\n", res.F, res.grad_norm, c->out);

  free(S); free(S1); free(full); free(grad); free(sizes); free(w);
  mmd_free(&m);
  layout_part_free(&part);
  comm_grid_free(&grid);
  layout_clouds_free(&cl);
  free(in.x); free(in.y); free(in.theta); free(in.u);
  return 0;
}
