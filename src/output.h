/* output.h -- the output files of a run, the final file and the snapshots (layout in
 * docs/format.md), written collectively with parallel HDF5 as PATH.tmp, closed, success agreed on
 * all ranks, then renamed by rank 0 (with an fsync of the directory): a crash never leaves a
 * half-written file under the final name. */
#ifndef WOW_OUTPUT_H
#define WOW_OUTPUT_H

#include <hdf5.h>
#include <stddef.h>

struct wow_run;

#define OUTPUT_FORMAT_VERSION 1

/* Collective: the state at step k (x_k, target, loss history F_0 .. F_k) as a file of `kind`
 * "final" or "snapshot"; timer_stats (TIMER_NPHASES x 3: min, mean, max seconds) or NULL;
 * align_cost and align_cost0 (C x C2: the SW statistic between flowed and target classes now and
 * at the first step of this job) or NULL: written as /align with the optimal assignment
 * (Hungarian method) of every flowed class to a distinct target class. */
void output_write_state(const struct wow_run *r, const char *path, const char *kind, long step, const double *timer_stats,
                        const double *align_cost, const double *align_cost0);
/* Collective: the /meta group (deck as given and resolved, provenance) and the root attributes
 * format_version, program, kind and step shared by output files and checkpoints.  0 or -1. */
int output_write_meta(hid_t f, const struct wow_run *r, const char *kind, long format_version, long step);
/* Collective: rename tmp to path on rank 0 and fsync its directory; error message or "" in msg. */
void output_commit(const char *tmp, const char *path, int rank, char *msg, size_t len);

#endif
