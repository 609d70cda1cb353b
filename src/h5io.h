/* h5io.h -- thin helpers over parallel HDF5 (MPI-IO driver).
 *
 * Files are opened and created collectively on a communicator; dataset creation and attribute
 * writes are collective (every rank passes the same names and values); raw data is written by
 * row blocks with collective transfers (a rank with nothing to write passes rows = 0).
 * Readers return 0 or -1 with a one-line reason in err; they never print.  HDF5's own error
 * printing is switched off by h5io_quiet() (main calls it once).  Files are created in the
 * HDF5 1.10 format, whose metadata carries checksums. */
#ifndef WOW_H5IO_H
#define WOW_H5IO_H

#include <hdf5.h>
#include <mpi.h>
#include <stddef.h>

void h5io_quiet(void);
const char *h5io_version(char *buf, size_t len);

hid_t h5io_create(const char *path, MPI_Comm comm);        /* < 0 on failure (collective) */
hid_t h5io_open_read(const char *path, MPI_Comm comm);     /* < 0 on failure (collective) */
hid_t h5io_open_serial(const char *path);                  /* local read-only open */
int h5io_close(hid_t file);                                /* 0 or -1 */

/* Collective: create dataset `name` (intermediate groups made as needed) of shape
 * (rows_total x cols) (cols = 0: 1D of rows_total) and write this rank's rows
 * [row0, row0 + rows).  type: H5T_NATIVE_DOUBLE, H5T_NATIVE_INT, H5T_NATIVE_LONG.  Returns 0 or -1. */
int h5io_write_rows(hid_t file, const char *name, hid_t type, long rows_total, long cols, long row0, long rows, const void *buf);
/* Collective: the same for a 3D array (n0 x n1 x n2) written whole by rank 0 of comm. */
int h5io_write_array(hid_t file, const char *name, hid_t type, int rank, const long *dims, const void *buf, int writer);
/* Collective attributes on a group or dataset path ("/" for the root). */
int h5io_attr_string(hid_t file, const char *obj, const char *name, const char *value);
int h5io_attr_double(hid_t file, const char *obj, const char *name, double value);
int h5io_attr_long(hid_t file, const char *obj, const char *name, long value);

/* Readers (any rank, independent). */
int h5io_shape(hid_t file, const char *name, int *rank, long dims[3], int *is_float, char *err, size_t errlen);
/* Read rows listed in rows[0..n) (increasing) of a 1D or 2D dataset, converted to double. */
int h5io_read_rows_double(hid_t file, const char *name, const long *rows, long n, long cols, double *out, char *err, size_t errlen);
/* Read a whole dataset of `count` elements. */
int h5io_read_all_double(hid_t file, const char *name, size_t count, double *out, char *err, size_t errlen);
int h5io_read_all_long(hid_t file, const char *name, size_t count, long *out, char *err, size_t errlen);
int h5io_read_attr_string(hid_t file, const char *obj, const char *name, char **value);
int h5io_read_attr_long(hid_t file, const char *obj, const char *name, long *value);
int h5io_read_attr_double(hid_t file, const char *obj, const char *name, double *value);
/* Read rows [row0, row0 + rows) of a 2D dataset (independent transfer); 0 or -1. */
int h5io_read_block(hid_t file, const char *name, long row0, long rows, long cols, double *out, char *err, size_t errlen);
int h5io_exists(hid_t file, const char *name);

#endif
