/* commands.h -- the subcommands besides the flow run.  Each is collective over world and returns
 * the process exit status (0 success); input errors end the job through comm_check_all.
 *   cmd_grad:    F, the SW matrix and the WoW gradient for given x, y and directions (cross-check)
 *   cmd_compare: compare two output files (particles, labels, loss history) within tolerances
 *   cmd_bench:   time steps on synthetic classes against the GEMM floor (docs/performance.md)
 *   cmd_import:  IDX / CSV datasets to the HDF5 dataset layout (docs/format.md) */
#ifndef WOW_COMMANDS_H
#define WOW_COMMANDS_H

#include "cli.h"

#include <mpi.h>

int cmd_grad(const struct cli *c, MPI_Comm world);
int cmd_compare(const struct cli *c, MPI_Comm world);
int cmd_bench(const struct cli *c, MPI_Comm world);
int cmd_bench_sums(const struct cli *c, MPI_Comm world); /* bench --sums: kernel-sum paths */
int cmd_bench_model(const struct cli *c, MPI_Comm world); /* bench --predict: the cost model per grid */
int cmd_bench_comm(const struct cli *c, MPI_Comm world);  /* bench --comm: latency and bandwidth of the collectives */
int cmd_import(const struct cli *c, MPI_Comm world);
/* bench: the quantile estimator's levels on synthetic classes, and the rows per direction the cost
 * model then counts in the pairwise transports (0 for the exact transport). */
#define BENCH_QUANTILES 100
long bench_qrow(const struct cli *c);

#endif
