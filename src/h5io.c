/* h5io.c -- parallel HDF5 helpers (see h5io.h). */
#include <config.h>
#include "h5io.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void h5io_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

const char *h5io_version(char *buf, size_t len)
{
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  snprintf(buf, len, "HDF5 %u.%u.%u (parallel)", maj, min, rel);
  return buf;
}

static hid_t h5io_fapl(MPI_Comm comm)
{
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) return -1;
  if (H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0) { H5Pclose(fapl); return -1; }
  return fapl;
}

hid_t h5io_create(const char *path, MPI_Comm comm)
{
  hid_t fapl = h5io_fapl(comm);
  if (fapl < 0) return -1;
  /* the HDF5 1.10 file format: checksummed metadata, so a damaged file is refused by the library
   * instead of being misread (tests/fuzz_readers) */
  H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_LATEST);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  return f;
}

hid_t h5io_open_read(const char *path, MPI_Comm comm)
{
  hid_t fapl = h5io_fapl(comm);
  if (fapl < 0) return -1;
  hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  return f;
}

hid_t h5io_open_serial(const char *path) { return H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); }

int h5io_close(hid_t file) { return H5Fclose(file) < 0 ? -1 : 0; }

int h5io_exists(hid_t file, const char *name)
{
  /* check every path prefix so that a missing group is not an error */
  char buf[512];
  snprintf(buf, sizeof buf, "%s", name);
  for (char *p = buf + 1; ; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (H5Lexists(file, buf, H5P_DEFAULT) <= 0) return 0;
      if (c == '\0') break;
      *p = c;
    }
  }
  return 1;
}

static hid_t h5io_lcpl(void)
{
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  return lcpl;
}

/* Create dataset `name` with file space fs and write the ms selection of buf into the fs
 * selection, collectively.  The caller owns fs and ms. */
static int h5io_create_write(hid_t file, const char *name, hid_t type, hid_t fs, hid_t ms, const void *buf)
{
  hid_t lcpl = h5io_lcpl();
  hid_t ds = H5Dcreate2(file, name, type, fs, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  hid_t xfer = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(xfer, H5FD_MPIO_COLLECTIVE);
  int rc = (ds >= 0 && H5Dwrite(ds, type, ms, fs, xfer, buf) >= 0) ? 0 : -1;
  H5Pclose(xfer);
  if (ds >= 0) H5Dclose(ds);
  H5Pclose(lcpl);
  return rc;
}

int h5io_write_rows(hid_t file, const char *name, hid_t type, long rows_total, long cols, long row0, long rows, const void *buf)
{
  int rank = cols > 0 ? 2 : 1;
  hsize_t dims[2] = { (hsize_t)rows_total, (hsize_t)(cols > 0 ? cols : 1) };
  hsize_t start[2] = { (hsize_t)row0, 0 }, count[2] = { (hsize_t)rows, dims[1] };
  hid_t fs = H5Screate_simple(rank, dims, NULL), ms = H5Screate_simple(rank, rows > 0 ? count : dims, NULL);
  if (rows > 0) H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
  else { H5Sselect_none(fs); H5Sselect_none(ms); }
  int rc = h5io_create_write(file, name, type, fs, ms, buf);
  H5Sclose(ms);
  H5Sclose(fs);
  return rc;
}

int h5io_write_array(hid_t file, const char *name, hid_t type, int rank, const long *dims_in, const void *buf, int writer)
{
  hsize_t dims[8];
  for (int i = 0; i < rank; i++) dims[i] = (hsize_t)dims_in[i];
  hid_t fs = rank > 0 ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR), ms = H5Scopy(fs);
  if (!writer) { H5Sselect_none(fs); H5Sselect_none(ms); }
  int rc = h5io_create_write(file, name, type, fs, ms, buf);
  H5Sclose(ms);
  H5Sclose(fs);
  return rc;
}

static int h5io_attr(hid_t file, const char *obj, const char *name, hid_t type, const void *value)
{
  hid_t o = H5Oopen(file, obj, H5P_DEFAULT);
  if (o < 0) return -1;
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(o, name, type, sp, H5P_DEFAULT, H5P_DEFAULT);
  int rc = (a >= 0 && H5Awrite(a, type, value) >= 0) ? 0 : -1;
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  H5Oclose(o);
  return rc;
}

int h5io_attr_string(hid_t file, const char *obj, const char *name, const char *value)
{
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, strlen(value) + 1);
  H5Tset_strpad(t, H5T_STR_NULLTERM);
  int rc = h5io_attr(file, obj, name, t, value);
  H5Tclose(t);
  return rc;
}

int h5io_attr_double(hid_t file, const char *obj, const char *name, double value)
{
  return h5io_attr(file, obj, name, H5T_NATIVE_DOUBLE, &value);
}

int h5io_attr_long(hid_t file, const char *obj, const char *name, long value)
{
  return h5io_attr(file, obj, name, H5T_NATIVE_LONG, &value);
}

int h5io_read_attr_string(hid_t file, const char *obj, const char *name, char **value)
{
  *value = NULL;
  if (H5Aexists_by_name(file, obj, name, H5P_DEFAULT) <= 0) return -1;
  hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
  if (a < 0) return -1;
  hid_t ft = H5Aget_type(a);
  int rc = -1;
  if (H5Tget_class(ft) == H5T_STRING && !H5Tis_variable_str(ft)) {
    size_t n = H5Tget_size(ft);
    hid_t mt = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, n + 1);
    char *s = WOW_ZNEW(char, n + 1, "attribute");
    if (H5Aread(a, mt, s) >= 0) { *value = s; rc = 0; }
    else free(s);
    H5Tclose(mt);
  }
  H5Tclose(ft);
  H5Aclose(a);
  return rc;
}

static int h5io_read_attr_num(hid_t file, const char *obj, const char *name, hid_t type, void *value)
{
  if (H5Aexists_by_name(file, obj, name, H5P_DEFAULT) <= 0) return -1;
  hid_t a = H5Aopen_by_name(file, obj, name, H5P_DEFAULT, H5P_DEFAULT);
  if (a < 0) return -1;
  hid_t ft = H5Aget_type(a);
  H5T_class_t tc = H5Tget_class(ft);
  int rc = (tc == H5T_INTEGER || tc == H5T_FLOAT) && H5Aread(a, type, value) >= 0 ? 0 : -1;
  H5Tclose(ft);
  H5Aclose(a);
  return rc;
}

int h5io_read_attr_long(hid_t file, const char *obj, const char *name, long *value)
{
  return h5io_read_attr_num(file, obj, name, H5T_NATIVE_LONG, value);
}

int h5io_read_attr_double(hid_t file, const char *obj, const char *name, double *value)
{
  return h5io_read_attr_num(file, obj, name, H5T_NATIVE_DOUBLE, value);
}

int h5io_read_block(hid_t file, const char *name, long row0, long rows, long cols, double *out, char *err, size_t errlen)
{
  long *idx = WOW_NEW(long, rows + 1, "row list");
  for (long i = 0; i < rows; i++) idx[i] = row0 + i;
  int rc = h5io_read_rows_double(file, name, idx, rows, cols, out, err, errlen);
  free(idx);
  return rc;
}

int h5io_shape(hid_t file, const char *name, int *rank, long dims[3], int *is_float, char *err, size_t errlen)
{
  if (!h5io_exists(file, name)) { snprintf(err, errlen, "no dataset '%s'", name); return -1; }
  hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
  if (ds < 0) { snprintf(err, errlen, "'%s' is not a dataset", name); return -1; }
  hid_t sp = H5Dget_space(ds), t = H5Dget_type(ds);
  int r = H5Sget_simple_extent_ndims(sp), rc = 0;
  hsize_t hd[H5S_MAX_RANK];
  H5T_class_t tc = H5Tget_class(t);
  if (r < 0 || r > 3) { snprintf(err, errlen, "dataset '%s' has rank %d (expected 1 to 3)", name, r); rc = -1; }
  else if (tc != H5T_FLOAT && tc != H5T_INTEGER) { snprintf(err, errlen, "dataset '%s' is not numeric", name); rc = -1; }
  else {
    H5Sget_simple_extent_dims(sp, hd, NULL);
    *rank = r;
    for (int i = 0; i < 3; i++) dims[i] = i < r ? (long)hd[i] : 1;
    *is_float = tc == H5T_FLOAT;
  }
  H5Tclose(t);
  H5Sclose(sp);
  H5Dclose(ds);
  return rc;
}

/* Select the listed rows (coalesced into runs) of a dataset with `cols` columns. */
static int h5io_read_rows(hid_t file, const char *name, const long *rows, long n, long cols, hid_t memtype, void *out,
                          char *err, size_t errlen)
{
  hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
  if (ds < 0) { snprintf(err, errlen, "cannot open dataset '%s'", name); return -1; }
  hid_t fs = H5Dget_space(ds);
  int frank = H5Sget_simple_extent_ndims(fs);
  H5Sselect_none(fs);
  for (long i = 0; i < n;) {
    long j = i + 1;
    while (j < n && rows[j] == rows[j - 1] + 1) j++;
    hsize_t start[2] = { (hsize_t)rows[i], 0 }, count[2] = { (hsize_t)(j - i), (hsize_t)cols };
    H5Sselect_hyperslab(fs, H5S_SELECT_OR, start, NULL, count, NULL);
    i = j;
  }
  hsize_t mdims[2] = { (hsize_t)n, (hsize_t)cols };
  hid_t ms = H5Screate_simple(frank, mdims, NULL);
  if (n == 0) H5Sselect_none(ms);
  hid_t xfer = H5Pcreate(H5P_DATASET_XFER);
  int rc = H5Dread(ds, memtype, ms, fs, xfer, out) >= 0 ? 0 : -1;
  if (rc) snprintf(err, errlen, "cannot read dataset '%s' (unreadable data or unconvertible type)", name);
  H5Pclose(xfer);
  H5Sclose(ms);
  H5Sclose(fs);
  H5Dclose(ds);
  return rc;
}

int h5io_read_rows_double(hid_t file, const char *name, const long *rows, long n, long cols, double *out, char *err, size_t errlen)
{
  return h5io_read_rows(file, name, rows, n, cols, H5T_NATIVE_DOUBLE, out, err, errlen);
}

static int h5io_read_all(hid_t file, const char *name, size_t count, hid_t memtype, void *out, char *err, size_t errlen)
{
  if (!h5io_exists(file, name)) { snprintf(err, errlen, "no dataset '%s'", name); return -1; }
  hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
  if (ds < 0) { snprintf(err, errlen, "cannot open dataset '%s'", name); return -1; }
  hid_t sp = H5Dget_space(ds);
  hssize_t npts = H5Sget_simple_extent_npoints(sp);
  int rc = -1;
  if (npts != (hssize_t)count) snprintf(err, errlen, "dataset '%s' has %lld values, expected %zu", name, (long long)npts, count);
  else if (H5Dread(ds, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) snprintf(err, errlen, "cannot read dataset '%s'", name);
  else rc = 0;
  H5Sclose(sp);
  H5Dclose(ds);
  return rc;
}

int h5io_read_all_double(hid_t file, const char *name, size_t count, double *out, char *err, size_t errlen)
{
  return h5io_read_all(file, name, count, H5T_NATIVE_DOUBLE, out, err, errlen);
}

int h5io_read_all_long(hid_t file, const char *name, size_t count, long *out, char *err, size_t errlen)
{
  return h5io_read_all(file, name, count, H5T_NATIVE_LONG, out, err, errlen);
}
