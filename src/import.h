/* import.h -- standard dataset formats to the project's HDF5 dataset layout (docs/format.md,
 * "Input dataset files"): IDX (the MNIST family) and CSV tables with a label column, either one
 * plain or gzipped.  Options: classes to keep (relabelled 0..k-1 in the given order), a seeded
 * per-class subsample, scaling to [0, 1], bilinear resizing of images (channel-first).
 * Local and serial (the import subcommand runs it on rank 0).  Every function returns 0, or -1
 * with a one-line reason naming the file and the byte offset or line. */
#ifndef WOW_IMPORT_H
#define WOW_IMPORT_H

#include <stddef.h>
#include <stdint.h>

struct import_table {
  long n, d;
  float *x;          /* n x d */
  int *y;            /* n labels */
  int c, h, w;       /* image shape when known (c * h * w == d), else 0 */
  double lo, hi;     /* value range of the source type (IDX), or NAN */
  char *classes;     /* "3,5,7": original labels kept, in new-label order (after import_select) */
};

int import_idx(const char *images, const char *labels, struct import_table *t, char *err, size_t len);
/* label_col: 0-based column of the label, or -1 for the last; header: skip the first line. */
int import_csv(const char *path, int label_col, int header, struct import_table *t, char *err, size_t len);
/* Image shape "HxW" or "CxHxW" for tables without one (CSV); must multiply to d. */
int import_set_shape(struct import_table *t, const char *shape, char *err, size_t len);
/* Keep the listed classes (NULL: all, in increasing order), relabel them 0..k-1 and keep at most
 * per_class rows of each (0: all), drawn without replacement by (seed, class). */
int import_select(struct import_table *t, const int *classes, int nclasses, long per_class, uint64_t seed, char *err, size_t len);
/* x <- (x - lo) / (hi - lo): the type's range for IDX integers, else the data's min and max. */
void import_scale(struct import_table *t);
/* Bilinear resize of every image to H x W (align-corners false, as PIL and PyTorch). */
int import_resize(struct import_table *t, int H, int W, char *err, size_t len);
void import_resize_image(const float *in, int c, int h, int w, float *out, int H, int W);
int import_write_h5(const struct import_table *t, const char *path, const char *provenance, char *err, size_t len);
void import_free(struct import_table *t);

#endif
