/* provenance.h -- build and run provenance written into every output file (/meta) and printed at
 * start: version, git revision, configure arguments, compiler flags, library versions (MPI, HDF5,
 * FFTW, BLAS), rank count and grid, host and start time (decided on rank 0 and broadcast).
 * prov_collect is collective over world; prov_write_h5 is collective over the file's ranks. */
#ifndef WOW_PROVENANCE_H
#define WOW_PROVENANCE_H

#include <hdf5.h>
#include <mpi.h>
#include <stdio.h>

#define PROV_LEN 512

struct provenance {
  char version[PROV_LEN], git[PROV_LEN], configure[PROV_LEN * 2], cflags[PROV_LEN], cc[PROV_LEN];
  char mpi[PROV_LEN], hdf5[PROV_LEN], fftw[PROV_LEN], blas[PROV_LEN];
  char host[PROV_LEN], start[PROV_LEN];
  int ranks, Pc, Pl;
};

void prov_collect(struct provenance *p, MPI_Comm world);
void prov_print(const struct provenance *p, FILE *out);
int prov_write_h5(const struct provenance *p, hid_t file, const char *group);
/* A one-line warning when OpenBLAS runs a kernel older than the CPU ("Prescott" on an AVX2
 * machine: every GEMM several times slower; "Haswell" on an AVX-512 one: about half as fast), with
 * the OPENBLAS_CORETYPE that fixes it; "" when all is well. */
void prov_blas_warning(char *buf, size_t len);
/* "wowflow 0.1.0 (git ...)" for --version. */
void prov_version_line(char *buf, size_t len);

#endif
