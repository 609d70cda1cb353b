/* ckpt.h -- checkpoints and restarts (docs/format.md, "Checkpoints").
 *
 * One parallel-HDF5 file per checkpoint, run.dir/checkpoints/ckpt_%08ld.h5, independent of the
 * rank count: particles, momentum buffer, labels, class sizes and weights, the loss history, the
 * step (= the counter of the direction generator), elapsed time, checksums, the deck and
 * provenance; `complete = 1` is written last.  Written as .tmp, closed, success agreed, renamed by
 * rank 0 (directory fsynced), appended to checkpoints.log, then older files beyond
 * checkpoint.keep are deleted.  All functions are collective over the run's world. */
#ifndef WOW_CKPT_H
#define WOW_CKPT_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#define CKPT_FORMAT_VERSION 1

struct wow_run;

struct ckpt_header {
  long step, N, d, version, complete;
  long directions; /* directions_generator (1 when absent: files of older builds) */
  double elapsed;
  char cx[32], cv[32], ct[32]; /* checksums of particles, velocity, target (hex) */
};

/* Write the checkpoint of `step` (x and vel hold the state after `step` updates).  Returns the
 * seconds it took.  A failure ends the run with a message; earlier checkpoints are untouched. */
double ckpt_write(struct wow_run *r, long step);
/* Restore from "latest" (newest valid file; damaged or incomplete ones are skipped with a
 * warning) or from a file path: fills r->x, r->vel, the history, r->step0 and r->elapsed0.
 * Refuses (with a one-line reason) a damaged file, an unknown format, or an incompatible deck. */
void ckpt_restore(struct wow_run *r, const char *which);
/* Local: the header of a checkpoint file (kind, complete, version, step, checksums, shape) and its
 * resolved deck (malloc'ed into *deck); 0, or -1 with a one-line reason.  Never trusts the file. */
int ckpt_read_header(const char *path, struct ckpt_header *h, char **deck, char *msg, size_t len);
/* Rank-count independent checksum of rows [row0, row0 + n) of a distributed (N, d) array; only
 * ranks with `mine` != 0 contribute (one copy of every row). */
uint64_t ckpt_checksum(const double *rows, long row0, long n, size_t d, int mine, MPI_Comm world);

#endif
