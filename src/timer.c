/* timer.c -- phase timers (see timer.h). */
#include <config.h>
#include "timer.h"
#include "comm.h"

#include <string.h>

static const char *const timer_names[TIMER_NPHASES] = {
  "directions", "project", "target", "sort", "1D OT", "kernel", "gradient", "update", "communication", "I/O", "baseline step"
};

void timer_reset(struct timers *t) { memset(t, 0, sizeof *t); }
void timer_start(struct timers *t, enum timer_phase p) { t->started[p] = comm_wtime(); }
void timer_stop(struct timers *t, enum timer_phase p) { t->total[p] += comm_wtime() - t->started[p]; }
const char *timer_name(enum timer_phase p) { return timer_names[p]; }

void timer_report(const struct timers *t, MPI_Comm comm, FILE *out, double *stats)
{
  int rank = comm_rank(comm);
  if (rank == 0 && out) fprintf(out, "%-14s %11s %11s %11s %9s %9s\n", "phase", "min [s]", "mean [s]", "max [s]", "min rank", "max rank");
  for (int p = 0; p < TIMER_NPHASES; p++) {
    double mn, mean, mx;
    int rmin, rmax;
    comm_stats_double(t->total[p], comm, &mn, &mean, &mx, &rmin, &rmax);
    if (stats) { stats[3 * p] = mn; stats[3 * p + 1] = mean; stats[3 * p + 2] = mx; }
    if (rank == 0 && out) fprintf(out, "%-14s %11.4f %11.4f %11.4f %9d %9d\n", timer_names[p], mn, mean, mx, rmin, rmax);
  }
}
