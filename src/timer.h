/* timer.h -- named phase timers of a run (CoMD style).  Local accumulation with timer_start /
 * timer_stop; timer_report is collective over the world communicator and prints on rank 0 the
 * min / mean / max over ranks with the ranks of min and max. */
#ifndef WOW_TIMER_H
#define WOW_TIMER_H

#include <mpi.h>
#include <stdio.h>

enum timer_phase {
  TIMER_DIRECTIONS, TIMER_PROJECT, TIMER_TARGET, TIMER_SORT, TIMER_OT1D, TIMER_KERNEL, TIMER_GRADIENT, TIMER_UPDATE, TIMER_COMM, TIMER_IO, TIMER_BASELINE,
  TIMER_NPHASES
};

struct timers {
  double total[TIMER_NPHASES];
  double started[TIMER_NPHASES];
};

void timer_reset(struct timers *t);
void timer_start(struct timers *t, enum timer_phase p);
void timer_stop(struct timers *t, enum timer_phase p);
const char *timer_name(enum timer_phase p);
/* Collective: per phase min/mean/max over comm; writes the table to out on rank 0 (out may be NULL
 * elsewhere).  stats (optional, TIMER_NPHASES x 3) receives min, mean, max. */
void timer_report(const struct timers *t, MPI_Comm comm, FILE *out, double *stats);

#endif
