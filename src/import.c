/* import.c -- IDX and CSV readers, selection, scaling, resizing, HDF5 writer (see import.h). */
#include <config.h>
#include "import.h"
#include "mem.h"
#include "rng.h"
#include "strbuf.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

void import_free(struct import_table *t)
{
  free(t->x);
  free(t->y);
  free(t->classes);
  memset(t, 0, sizeof *t);
}

/* ------------------------------------------------------------------ IDX */

/* Read exactly n bytes at *off; 0, or -1 with err naming the offset. */
static int idx_read(gzFile f, const char *path, void *buf, size_t n, long *off, char *err, size_t len)
{
  size_t got = 0;
  while (got < n) {
    unsigned chunk = n - got > (1u << 30) ? (1u << 30) : (unsigned)(n - got);
    int r = gzread(f, (char *)buf + got, chunk);
    if (r < 0) {
      int e;
      snprintf(err, len, "%s: offset %ld: %s", path, *off + (long)got, gzerror(f, &e));
      return -1;
    }
    if (r == 0) {
      snprintf(err, len, "%s: offset %ld: file ends early (%zu more bytes expected)", path, *off + (long)got, n - got);
      return -1;
    }
    got += (size_t)r;
  }
  *off += (long)n;
  return 0;
}

static uint32_t idx_be32(const unsigned char *b) { return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3]; }

/* One IDX file: dims (up to 4) and values as float. */
static int idx_file(const char *path, int *ndim, long dims[4], float **vals, double *lo, double *hi, char *err, size_t len)
{
  gzFile f = gzopen(path, "rb");
  if (!f) { snprintf(err, len, "%s: cannot open: %s", path, strerror(errno)); return -1; }
  unsigned char head[4], be[4];
  long off = 0;
  int rc = -1;
  *vals = NULL;
  if (idx_read(f, path, head, 4, &off, err, len)) goto done;
  if (head[0] || head[1]) { snprintf(err, len, "%s: offset 0: not an IDX file (magic %02x %02x, expected 00 00)", path, head[0], head[1]); goto done; }
  static const struct { unsigned char code; int size; double lo, hi; } types[] = {
    { 0x08, 1, 0, 255 }, { 0x09, 1, -128, 127 }, { 0x0B, 2, -32768, 32767 }, { 0x0C, 4, NAN, NAN }, { 0x0D, 4, NAN, NAN }, { 0x0E, 8, NAN, NAN },
  };
  int ti = -1;
  for (int i = 0; i < 6; i++) if (types[i].code == head[2]) ti = i;
  if (ti < 0) { snprintf(err, len, "%s: offset 2: unknown IDX data type 0x%02x", path, head[2]); goto done; }
  if (head[3] < 1 || head[3] > 4) { snprintf(err, len, "%s: offset 3: %d dimensions (1 to 4 supported)", path, head[3]); goto done; }
  *ndim = head[3];
  size_t count = 1;
  for (int k = 0; k < *ndim; k++) {
    if (idx_read(f, path, be, 4, &off, err, len)) goto done;
    dims[k] = (long)idx_be32(be);
    if (dims[k] <= 0 || dims[k] > (1L << 30) || count > ((size_t)1 << 40) / (size_t)dims[k]) {
      snprintf(err, len, "%s: offset %ld: bad dimension %ld", path, off - 4, dims[k]);
      goto done;
    }
    count *= (size_t)dims[k];
  }
  const int sz = types[ti].size;
  /* read in growing chunks: a header announcing more data than the file holds must end in
   * "file ends early", not in a huge allocation */
  const size_t need = count * (size_t)sz;
  size_t have = 0, cap = need < ((size_t)1 << 24) ? need : ((size_t)1 << 24);
  unsigned char *raw = WOW_NEW(unsigned char, cap, "IDX data");
  while (have < need) {
    if (have == cap) {
      cap = 2 * cap < need ? 2 * cap : need;
      raw = wow_realloc(raw, cap, 1, "IDX data");
    }
    if (idx_read(f, path, raw + have, cap - have, &off, err, len)) {
      free(raw);
      goto done;
    }
    have = cap;
  }
  char extra;
  if (gzread(f, &extra, 1) > 0) { snprintf(err, len, "%s: offset %ld: unexpected data after the %zu values", path, off, count); free(raw); goto done; }
  *vals = WOW_NEW(float, count, "IDX values");
  for (size_t i = 0; i < count; i++) {
    const unsigned char *b = raw + i * (size_t)sz;
    switch (head[2]) {
    case 0x08: (*vals)[i] = (float)b[0]; break;
    case 0x09: (*vals)[i] = (float)(int8_t)b[0]; break;
    case 0x0B: (*vals)[i] = (float)(int16_t)(((uint16_t)b[0] << 8) | b[1]); break;
    case 0x0C: (*vals)[i] = (float)(int32_t)idx_be32(b); break;
    case 0x0D: { uint32_t u = idx_be32(b); float x; memcpy(&x, &u, 4); (*vals)[i] = x; break; }
    default: { uint64_t u = ((uint64_t)idx_be32(b) << 32) | idx_be32(b + 4); double x; memcpy(&x, &u, 8); (*vals)[i] = (float)x; }
    }
  }
  free(raw);
  *lo = types[ti].lo;
  *hi = types[ti].hi;
  rc = 0;
done:
  gzclose(f);
  return rc;
}

int import_idx(const char *images, const char *labels, struct import_table *t, char *err, size_t len)
{
  memset(t, 0, sizeof *t);
  int ni = 0, nl = 0;
  long di[4] = { 1, 1, 1, 1 }, dl[4] = { 1, 1, 1, 1 };
  float *lab = NULL;
  double lo, hi, l2, h2;
  if (idx_file(images, &ni, di, &t->x, &lo, &hi, err, len)) return -1;
  if (idx_file(labels, &nl, dl, &lab, &l2, &h2, err, len)) { import_free(t); return -1; }
  int rc = -1;
  if (nl != 1) snprintf(err, len, "%s: offset 3: labels must be 1-dimensional, the file has %d dimensions", labels, nl);
  else if (dl[0] != di[0]) snprintf(err, len, "%s: offset 4: %ld labels for %ld images in %s", labels, dl[0], di[0], images);
  else {
    t->n = di[0];
    t->d = 1;
    for (int k = 1; k < ni; k++) t->d *= di[k];
    if (ni == 3) { t->c = 1; t->h = (int)di[1]; t->w = (int)di[2]; }
    if (ni == 4) { t->c = (int)di[1]; t->h = (int)di[2]; t->w = (int)di[3]; }
    t->lo = lo;
    t->hi = hi;
    t->y = WOW_NEW(int, t->n, "labels");
    rc = 0;
    for (long i = 0; i < t->n; i++) {
      if (lab[i] < 0 || lab[i] != floorf(lab[i])) {
        snprintf(err, len, "%s: label %ld is %g, not a class number", labels, i, (double)lab[i]);
        rc = -1;
        break;
      }
      t->y[i] = (int)lab[i];
    }
  }
  free(lab);
  if (rc) import_free(t);
  return rc;
}

/* ------------------------------------------------------------------ CSV */

int import_csv(const char *path, int label_col, int header, struct import_table *t, char *err, size_t len)
{
  memset(t, 0, sizeof *t);
  t->lo = t->hi = NAN;
  gzFile f = gzopen(path, "rb");
  if (!f) { snprintf(err, len, "%s: cannot open: %s", path, strerror(errno)); return -1; }
  const size_t cap = 1 << 22;
  char *line = WOW_NEW(char, cap, "CSV line");
  long rows_cap = 1024, cols = -1, lineno = 0;
  double *vals = WOW_NEW(double, 4096, "CSV row");
  long vals_cap = 4096;
  t->x = NULL;
  t->y = WOW_NEW(int, rows_cap, "CSV labels");
  int rc = 0;
  while (gzgets(f, line, (int)cap)) {
    lineno++;
    size_t l = strlen(line);
    if (l == cap - 1 && line[l - 1] != '\n') { snprintf(err, len, "%s:%ld: line longer than %zu bytes", path, lineno, cap - 2); rc = -1; break; }
    while (l && (line[l - 1] == '\n' || line[l - 1] == '\r')) line[--l] = '\0';
    if ((header && lineno == 1) || l == 0) continue;
    long k = 0;
    for (char *p = line;; k++) {
      char *end;
      errno = 0;
      double v = strtod(p, &end);
      while (*end == ' ' || *end == '\t') end++;
      if (end == p || (*end && *end != ',') || errno == ERANGE || !isfinite(v)) {
        char *comma = strchr(p, ',');
        int w = comma ? (int)(comma - p) : (int)strlen(p);
        snprintf(err, len, "%s:%ld: column %ld: bad number '%.*s'", path, lineno, k + 1, w > 40 ? 40 : w, p);
        rc = -1;
        break;
      }
      if (k == vals_cap) vals = wow_realloc(vals, (size_t)(vals_cap *= 2), sizeof *vals, "CSV row");
      vals[k] = v;
      if (!*end) { k++; break; }
      p = end + 1;
    }
    if (rc) break;
    if (cols < 0) {
      cols = k;
      if (cols < 2) { snprintf(err, len, "%s:%ld: need a label column and at least one feature", path, lineno); rc = -1; break; }
      if (label_col >= cols) { snprintf(err, len, "%s:%ld: no label column %d (the rows have %ld columns)", path, lineno, label_col + 1, cols); rc = -1; break; }
      t->d = cols - 1;
      t->x = WOW_NEW(float, (size_t)rows_cap * (size_t)t->d, "CSV features");
    } else if (k != cols) {
      snprintf(err, len, "%s:%ld: %ld columns, the first row had %ld", path, lineno, k, cols);
      rc = -1;
      break;
    }
    long lc = label_col < 0 ? cols - 1 : label_col;
    if (vals[lc] < 0 || vals[lc] != floor(vals[lc]) || vals[lc] > 1e6) {
      snprintf(err, len, "%s:%ld: column %ld: label %g is not a class number", path, lineno, lc + 1, vals[lc]);
      rc = -1;
      break;
    }
    if (t->n == rows_cap) {
      rows_cap *= 2;
      t->y = wow_realloc(t->y, (size_t)rows_cap, sizeof *t->y, "CSV labels");
      t->x = wow_realloc(t->x, (size_t)rows_cap * (size_t)t->d, sizeof *t->x, "CSV features");
    }
    for (long j = 0, o = 0; j < cols; j++)
      if (j != lc) t->x[t->n * t->d + o++] = (float)vals[j];
    t->y[t->n++] = (int)vals[lc];
  }
  if (!rc && !gzeof(f)) {
    int e;
    snprintf(err, len, "%s:%ld: read error: %s", path, lineno, gzerror(f, &e));
    rc = -1;
  }
  if (!rc && t->n == 0) { snprintf(err, len, "%s: no data rows", path); rc = -1; }
  gzclose(f);
  free(line);
  free(vals);
  if (rc) import_free(t);
  return rc;
}

/* ------------------------------------------------------------------ transforms */

int import_set_shape(struct import_table *t, const char *shape, char *err, size_t len)
{
  int a = 0, b = 0, c = 0;
  char tail;
  int n = sscanf(shape, "%dx%dx%d%c", &a, &b, &c, &tail);
  if (n == 3 && a > 0 && b > 0 && c > 0 && (long)a * b * c == t->d) { t->c = a; t->h = b; t->w = c; return 0; }
  n = sscanf(shape, "%dx%d%c", &a, &b, &tail);
  if (n == 2 && a > 0 && b > 0 && (long)a * b == t->d) { t->c = 1; t->h = a; t->w = b; return 0; }
  snprintf(err, len, "--shape %s: expected HxW or CxHxW multiplying to the %ld features", shape, t->d);
  return -1;
}

int import_select(struct import_table *t, const int *classes, int nclasses, long per_class, uint64_t seed, char *err, size_t len)
{
  int maxl = 0;
  for (long i = 0; i < t->n; i++) if (t->y[i] > maxl) maxl = t->y[i];
  int *keep = WOW_NEW(int, maxl + 1, "class map"), k = 0;
  for (int c = 0; c <= maxl; c++) keep[c] = -1;
  struct strbuf names = {0};
  if (classes) {
    for (int i = 0; i < nclasses; i++) {
      if (classes[i] < 0 || classes[i] > maxl || keep[classes[i]] >= 0) {
        snprintf(err, len, "--classes: class %d is %s", classes[i], classes[i] < 0 || classes[i] > maxl ? "not in the data" : "listed twice");
        free(keep);
        free(strbuf_take(&names));
        return -1;
      }
      keep[classes[i]] = k++;
      strbuf_printf(&names, "%s%d", i ? "," : "", classes[i]);
    }
  } else {
    char *seen = WOW_ZNEW(char, maxl + 1, "seen");
    for (long i = 0; i < t->n; i++) seen[t->y[i]] = 1;
    for (int c = 0; c <= maxl; c++) if (seen[c]) { keep[c] = k++; strbuf_printf(&names, "%s%d", k > 1 ? "," : "", c); }
    free(seen);
  }
  long *count = WOW_ZNEW(long, k, "class counts");
  for (long i = 0; i < t->n; i++) if (keep[t->y[i]] >= 0) count[keep[t->y[i]]]++;
  for (int c = 0; c < k; c++) {
    if (count[c] == 0 || (per_class > 0 && count[c] < per_class)) {
      snprintf(err, len, "--per-class %ld: class %d has only %ld rows", per_class, classes ? classes[c] : c, count[c]);
      free(keep); free(count); free(strbuf_take(&names));
      return -1;
    }
  }
  /* rows of each kept class in file order, then the seeded subsample */
  long total = 0;
  for (int c = 0; c < k; c++) total += per_class > 0 ? per_class : count[c];
  float *x = WOW_NEW(float, (size_t)total * (size_t)t->d, "selected features");
  int *y = WOW_NEW(int, total, "selected labels");
  long at = 0;
  for (int c = 0; c < k; c++) {
    long *rows = WOW_NEW(long, count[c], "class rows"), nr = 0;
    for (long i = 0; i < t->n; i++) if (keep[t->y[i]] == c) rows[nr++] = i;
    long take = per_class > 0 ? per_class : nr;
    int *work = WOW_NEW(int, nr, "subsample"), *pick = WOW_NEW(int, take, "subsample");
    if (take < nr) rng_subset(seed, RNG_SOURCE_SUBSET, (uint64_t)c, 1, (size_t)nr, (size_t)take, work, pick);
    else for (long i = 0; i < take; i++) pick[i] = (int)i;
    for (long i = 0; i < take; i++, at++) {
      memcpy(x + at * t->d, t->x + rows[pick[i]] * t->d, (size_t)t->d * sizeof(float));
      y[at] = c;
    }
    free(rows); free(work); free(pick);
  }
  free(t->x);
  free(t->y);
  t->x = x;
  t->y = y;
  t->n = total;
  free(t->classes);
  t->classes = strbuf_take(&names);
  free(keep);
  free(count);
  return 0;
}

void import_scale(struct import_table *t)
{
  double lo = t->lo, hi = t->hi;
  if (!isfinite(lo) || !isfinite(hi)) {
    lo = INFINITY;
    hi = -INFINITY;
    for (long i = 0; i < t->n * t->d; i++) { lo = fmin(lo, t->x[i]); hi = fmax(hi, t->x[i]); }
  }
  double s = hi > lo ? 1.0 / (hi - lo) : 1.0;
  for (long i = 0; i < t->n * t->d; i++) t->x[i] = (float)((t->x[i] - lo) * s);
  t->lo = lo;
  t->hi = hi;
}

void import_resize_image(const float *in, int c, int h, int w, float *out, int H, int W)
{
  const double sy = (double)h / H, sx = (double)w / W;
  for (int ch = 0; ch < c; ch++)
    for (int Y = 0; Y < H; Y++) {
      double fy = fmin(fmax((Y + 0.5) * sy - 0.5, 0.0), h - 1.0);
      int y0 = (int)floor(fy), y1 = y0 + 1 < h ? y0 + 1 : y0;
      double ay = fy - y0;
      for (int X = 0; X < W; X++) {
        double fx = fmin(fmax((X + 0.5) * sx - 0.5, 0.0), w - 1.0);
        int x0 = (int)floor(fx), x1 = x0 + 1 < w ? x0 + 1 : x0;
        double ax = fx - x0;
        const float *p = in + (size_t)ch * h * w;
        double top = (1 - ax) * p[y0 * w + x0] + ax * p[y0 * w + x1], bot = (1 - ax) * p[y1 * w + x0] + ax * p[y1 * w + x1];
        out[((size_t)ch * H + Y) * W + X] = (float)((1 - ay) * top + ay * bot);
      }
    }
}

int import_resize(struct import_table *t, int H, int W, char *err, size_t len)
{
  if (!t->h) { snprintf(err, len, "--resize needs the image shape (give --shape)"); return -1; }
  if (H <= 0 || W <= 0 || H > 4096 || W > 4096) { snprintf(err, len, "--resize %dx%d: bad size", H, W); return -1; }
  long d = (long)t->c * H * W;
  float *x = WOW_NEW(float, (size_t)t->n * (size_t)d, "resized images");
  for (long i = 0; i < t->n; i++) import_resize_image(t->x + i * t->d, t->c, t->h, t->w, x + i * d, H, W);
  free(t->x);
  t->x = x;
  t->d = d;
  t->h = H;
  t->w = W;
  return 0;
}

/* ------------------------------------------------------------------ HDF5 */

static int import_attr(hid_t f, const char *name, const char *value)
{
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, strlen(value) + 1);
  hid_t sp = H5Screate(H5S_SCALAR), a = H5Acreate2(f, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  int rc = (a >= 0 && H5Awrite(a, t, value) >= 0) ? 0 : -1;
  if (a >= 0) H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(t);
  return rc;
}

static int import_dataset(hid_t f, const char *name, hid_t type, int rank, const hsize_t *dims, const void *buf)
{
  hid_t sp = H5Screate_simple(rank, dims, NULL), ds = H5Dcreate2(f, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  int rc = (ds >= 0 && H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) ? 0 : -1;
  if (ds >= 0) H5Dclose(ds);
  H5Sclose(sp);
  return rc;
}

int import_write_h5(const struct import_table *t, const char *path, const char *provenance, char *err, size_t len)
{
  char *tmp = wow_asprintf("%s.tmp", path);
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_LATEST); /* checksummed metadata */
  hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  if (f < 0) { snprintf(err, len, "%s: cannot create", tmp); free(tmp); return -1; }
  hsize_t dx[2] = { (hsize_t)t->n, (hsize_t)t->d }, dy[1] = { (hsize_t)t->n };
  int rc = import_dataset(f, "features", H5T_NATIVE_FLOAT, 2, dx, t->x);
  rc |= import_dataset(f, "labels", H5T_NATIVE_INT, 1, dy, t->y);
  char buf[256];
  rc |= import_attr(f, "program", "wowflow");
  rc |= import_attr(f, "kind", "dataset");
  rc |= import_attr(f, "original_classes", t->classes ? t->classes : "");
  snprintf(buf, sizeof buf, "%d,%d,%d", t->c, t->h, t->w);
  rc |= import_attr(f, "image_shape", t->h ? buf : "");
  rc |= import_attr(f, "provenance", provenance);
  rc |= H5Fclose(f) < 0 ? -1 : 0;
  if (rc || rename(tmp, path) != 0) { snprintf(err, len, "%s: writing failed", path); unlink(tmp); free(tmp); return -1; }
  free(tmp);
  return 0;
}
