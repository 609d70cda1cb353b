/* make_h5.c -- writes the small HDF5 inputs the shell tests need (test helper, not installed).
 *   make_h5 data OUT.h5 [good|nan|label|shape|nolabels]  a 3-class dataset: features (30, 2),
 *                                                        labels (30,), optionally broken
 *   make_h5 grad OUT.h5                                   x (3, 6, 3), y (2, 5, 3), theta (16, 3)
 *   make_h5 grad_equal OUT.h5                             the same with y (2, 6, 3) */
#include <config.h>
#include "rng.h"

#include <hdf5.h>
#include <mpi.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void put(hid_t f, const char *name, hid_t type, int rank, const hsize_t *dims, const void *buf)
{
  hid_t sp = H5Screate_simple(rank, dims, NULL);
  hid_t ds = H5Dcreate2(f, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  H5Dclose(ds);
  H5Sclose(sp);
}

static int make_data(const char *out, const char *variant)
{
  double x[30][2];
  int labels[30];
  rng_normals(1, 50, 0, 0, 0, 60, &x[0][0]);
  for (int i = 0; i < 30; i++) {
    labels[i] = i % 3;
    x[i][0] = 0.1 * x[i][0] + labels[i];
    x[i][1] = 0.1 * x[i][1] - 0.5 * labels[i];
  }
  if (!strcmp(variant, "nan")) x[17][1] = NAN;
  if (!strcmp(variant, "label")) labels[11] = -2;
  hid_t f = H5Fcreate(out, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t d2[2] = { 30, 2 }, d1[1] = { 30 }, d1b[1] = { 60 };
  if (!strcmp(variant, "shape")) put(f, "features", H5T_NATIVE_DOUBLE, 1, d1b, x);
  else put(f, "features", H5T_NATIVE_DOUBLE, 2, d2, x);
  if (strcmp(variant, "nolabels")) put(f, "labels", H5T_NATIVE_INT, 1, d1, labels);
  H5Fclose(f);
  return 0;
}

/* m = 5 (unequal sizes: loops) or 6 (equal: the GEMM form) target points per class */
static int make_grad(const char *out, int m)
{
  double x[3 * 6 * 3], y[2 * 6 * 3], theta[16 * 3];
  rng_normals(2, 51, 0, 0, 0, sizeof x / sizeof x[0], x);
  rng_normals(3, 51, 0, 0, 0, sizeof y / sizeof y[0], y);
  for (size_t i = 0; i < sizeof y / sizeof y[0]; i++) y[i] = 0.8 * y[i] + 0.5;
  rng_directions(4, 0, 0, 16, 3, theta);
  hid_t f = H5Fcreate(out, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hsize_t dx[3] = { 3, 6, 3 }, dy[3] = { 2, (hsize_t)m, 3 }, dt[2] = { 16, 3 };
  put(f, "x", H5T_NATIVE_DOUBLE, 3, dx, x);
  put(f, "y", H5T_NATIVE_DOUBLE, 3, dy, y);
  put(f, "theta", H5T_NATIVE_DOUBLE, 2, dt, theta);
  H5Fclose(f);
  return 0;
}

int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  int rc = 2;
  if (argc >= 3 && !strcmp(argv[1], "data")) rc = make_data(argv[2], argc > 3 ? argv[3] : "good");
  else if (argc >= 3 && !strcmp(argv[1], "grad")) rc = make_grad(argv[2], 5);
  else if (argc >= 3 && !strcmp(argv[1], "grad_equal")) rc = make_grad(argv[2], 6);
  else fprintf(stderr, "usage: make_h5 data OUT.h5 [good|nan|label|shape|nolabels] | make_h5 grad OUT.h5\n");
  MPI_Finalize();
  return rc;
}
