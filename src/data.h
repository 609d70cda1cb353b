/* data.h -- the source and target datasets: generators (rings, gaussians, noise) or an HDF5
 * dataset file (features (N, d), labels (N,)), with per-class subsampling and class weights.
 *
 * Two phases, both collective over the world communicator:
 *   data_describe: class sizes, weights and dimension (every rank; files are opened and their
 *                  labels read by every rank), all input errors reported with comm_check_all;
 *   data_fill:     the rows of the clouds [j0, j1) owned by this rank (files: parallel HDF5 reads
 *                  of those rows only), NaN/Inf rejected.
 * Messages name the deck key (file:line), the data file, the dataset and the row. */
#ifndef WOW_DATA_H
#define WOW_DATA_H

#include "comm.h"
#include "deck.h"

#include <hdf5.h>

enum data_role { DATA_SOURCE, DATA_TARGET };

struct data_side {
  enum data_role role;
  char sec[8];        /* "source" or "target" */
  int kind;           /* index in rings|gaussians|noise|file */
  int classes;
  long d;
  long *size;         /* per class */
  double *weight;     /* per class, not normalised */
  long **rows;        /* file: per class, the chosen file rows (increasing) */
  hid_t file;         /* file: open handle until data_fill is done */
};

void data_describe(struct data_side *s, enum data_role role, const struct deck *dk, MPI_Comm world);
/* Fill out with the rows of classes [c0, c1) of this side (row-major, d columns).  center_mean:
 * the target mean (used by a source noise generator with center = target_mean), or NULL. */
void data_fill(struct data_side *s, const struct deck *dk, int c0, int c1, double *out, const double *center_mean, MPI_Comm world);
void data_free(struct data_side *s);

#endif
