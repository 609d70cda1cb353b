/* data.c -- generated and file-based datasets (see data.h). */
#include <config.h>
#include "data.h"
#include "h5io.h"
#include "mem.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KIND_RINGS, KIND_GAUSSIANS, KIND_NOISE, KIND_FILE };

static const char *data_key(const struct data_side *s, const char *key, char *buf, size_t len)
{
  snprintf(buf, len, "%s.%s", s->sec, key);
  return buf;
}

static long data_int(const struct data_side *s, const struct deck *dk, const char *key)
{
  char k[64];
  return deck_int(dk, data_key(s, key, k, sizeof k));
}

/* Prefix "deck:line: key 'sec.key': " for messages about the data a key points at. */
static void data_where(const struct data_side *s, const struct deck *dk, const char *key, char *buf, size_t len)
{
  char k[64], w[512];
  data_key(s, key, k, sizeof k);
  deck_where(dk, k, w, sizeof w);
  snprintf(buf, len, "%s: key '%s'", w, k);
}

static void data_weights(struct data_side *s, const struct deck *dk)
{
  char k[64];
  data_key(s, "weights", k, sizeof k);
  const char *word = deck_list_word(dk, k);
  s->weight = WOW_NEW(double, s->classes, "class weights");
  for (int c = 0; c < s->classes; c++) {
    if (!word) s->weight[c] = deck_list_real(dk, k, c);
    else s->weight[c] = strcmp(word, "proportional") == 0 ? (double)s->size[c] : 1.0;
  }
}

static void data_describe_generator(struct data_side *s, const struct deck *dk)
{
  char k[64];
  s->classes = (int)data_int(s, dk, "classes");
  s->d = s->kind == KIND_RINGS ? 2 : data_int(s, dk, "dim");
  s->size = WOW_NEW(long, s->classes, "class sizes");
  data_key(s, "n", k, sizeof k);
  int nl = deck_list_len(dk, k);
  for (int c = 0; c < s->classes; c++) s->size[c] = (long)deck_list_real(dk, k, nl == 1 ? 0 : c);
}

/* Files: every rank reads the labels, groups rows by class and draws the per-class subsample. */
static void data_describe_file(struct data_side *s, const struct deck *dk, MPI_Comm world, char *msg, size_t len)
{
  char k[64], where[600], err[512];
  const char *path = deck_str(dk, data_key(s, "file", k, sizeof k));
  const char *feat = deck_str(dk, data_key(s, "features", k, sizeof k));
  const char *lab = deck_str(dk, data_key(s, "labels", k, sizeof k));
  data_where(s, dk, "file", where, sizeof where);
  s->file = h5io_open_read(path, world);
  if (s->file < 0) { snprintf(msg, len, "%s: cannot open '%s' as an HDF5 file (missing, unreadable or not HDF5)", where, path); return; }
  int fr, lr, ff, lf;
  long fd[3], ld[3];
  if (h5io_shape(s->file, feat, &fr, fd, &ff, err, sizeof err) || h5io_shape(s->file, lab, &lr, ld, &lf, err, sizeof err)) {
    snprintf(msg, len, "%s: %s: %s", where, path, err);
    return;
  }
  if (fr != 2) { snprintf(msg, len, "%s: %s: dataset '%s' must be 2D (N, d), it has rank %d", where, path, feat, fr); return; }
  if (!(lr == 1 || (lr == 2 && ld[1] == 1)) || lf) {
    snprintf(msg, len, "%s: %s: dataset '%s' must be a 1D integer array of labels", where, path, lab);
    return;
  }
  if (ld[0] != fd[0]) {
    snprintf(msg, len, "%s: %s: '%s' has %ld rows but '%s' has %ld labels", where, path, feat, fd[0], lab, ld[0]);
    return;
  }
  if (fd[0] == 0 || fd[1] == 0) { snprintf(msg, len, "%s: %s: dataset '%s' is empty", where, path, feat); return; }
  long N = fd[0];
  s->d = fd[1];
  long *labels = WOW_NEW(long, N, "labels");
  if (h5io_read_all_long(s->file, lab, (size_t)N, labels, err, sizeof err)) {
    snprintf(msg, len, "%s: %s: %s", where, path, err);
    free(labels);
    return;
  }
  int fixed = deck_key_index(dk, data_key(s, "classes", k, sizeof k)) >= 0 && dk->src[deck_key_index(dk, k)] != DECK_SRC_DEFAULT;
  long maxl = -1;
  for (long i = 0; i < N; i++) {
    if (labels[i] < 0 || (fixed && labels[i] >= data_int(s, dk, "classes"))) {
      snprintf(msg, len, "%s: %s: label %ld at row %ld of '%s' is out of range (0 to %ld)", where, path, labels[i], i, lab,
               fixed ? data_int(s, dk, "classes") - 1 : 1000000L);
      free(labels);
      return;
    }
    if (labels[i] > maxl) maxl = labels[i];
  }
  if (maxl >= 1000000) { snprintf(msg, len, "%s: %s: label %ld is too large (at most 999999 classes)", where, path, maxl); free(labels); return; }
  s->classes = fixed ? (int)data_int(s, dk, "classes") : (int)maxl + 1;
  long *count = WOW_ZNEW(long, s->classes, "class counts");
  for (long i = 0; i < N; i++) count[labels[i]]++;
  long per = data_int(s, dk, "per_class");
  s->size = WOW_NEW(long, s->classes, "class sizes");
  s->rows = WOW_ZNEW(long *, s->classes, "class rows");
  for (int c = 0; c < s->classes && !msg[0]; c++) {
    if (count[c] == 0) { snprintf(msg, len, "%s: %s: class %d has no rows in '%s'", where, path, c, lab); break; }
    if (per > count[c]) {
      char pw[600];
      data_where(s, dk, "per_class", pw, sizeof pw);
      snprintf(msg, len, "%s: asks for %ld rows per class but class %d of %s has only %ld", pw, per, c, path, count[c]);
      break;
    }
    long *all = WOW_NEW(long, count[c], "class rows");
    long n = 0;
    for (long i = 0; i < N; i++) if (labels[i] == c) all[n++] = i;
    s->size[c] = per > 0 ? per : n;
    s->rows[c] = WOW_NEW(long, s->size[c], "class rows");
    if (per > 0) {
      int *work = WOW_NEW(int, n, "subsample"), *pick = WOW_NEW(int, per, "subsample");
      rng_subset((uint64_t)data_int(s, dk, "seed"), s->role == DATA_SOURCE ? RNG_SOURCE_SUBSET : RNG_TARGET_SUBSET,
                 (uint64_t)c, 0, (size_t)n, (size_t)per, work, pick);
      for (long i = 0; i < per; i++) s->rows[c][i] = all[pick[i]];
      free(work);
      free(pick);
    } else {
      memcpy(s->rows[c], all, (size_t)n * sizeof(long));
    }
    free(all);
  }
  free(count);
  free(labels);
}

void data_describe(struct data_side *s, enum data_role role, const struct deck *dk, MPI_Comm world)
{
  memset(s, 0, sizeof *s);
  s->role = role;
  s->file = -1;
  snprintf(s->sec, sizeof s->sec, "%s", role == DATA_SOURCE ? "source" : "target");
  char k[64], msg[WOW_ERRLEN] = "";
  s->kind = deck_enum(dk, data_key(s, "kind", k, sizeof k));
  if (s->kind == KIND_FILE) data_describe_file(s, dk, world, msg, sizeof msg);
  else data_describe_generator(s, dk);
  comm_check_all(world, msg);
  data_weights(s, dk);
}

/* ------------------------------------------------------------------ filling */

static void data_center(const struct data_side *s, const struct deck *dk, const double *target_mean, double *center)
{
  char k[64];
  data_key(s, "center", k, sizeof k);
  if (deck_list_word(dk, k)) { memcpy(center, target_mean, (size_t)s->d * sizeof(double)); return; }
  int n = deck_list_len(dk, k);
  for (long i = 0; i < s->d; i++) center[i] = deck_list_real(dk, k, n == 1 ? 0 : (int)i);
}

static void data_generate(const struct data_side *s, const struct deck *dk, int c, double *out, const double *target_mean)
{
  char k[64];
  const long n = s->size[c], d = s->d;
  const uint64_t seed = (uint64_t)data_int(s, dk, "seed");
  const uint64_t stream = s->role == DATA_SOURCE ? RNG_SOURCE_DATA : RNG_TARGET_DATA;
  if (s->kind == KIND_RINGS) {
    const double R = deck_real(dk, data_key(s, "radius", k, sizeof k)), sp = deck_real(dk, data_key(s, "spacing", k, sizeof k));
    const double two_pi = 6.283185307179586476925286766559;
    for (long i = 0; i < n; i++) {
      double a = two_pi * (double)i / (double)n;
      out[2 * i] = -sp * c + R * cos(a);
      out[2 * i + 1] = R * sin(a);
    }
    return;
  }
  double *mean = WOW_NEW(double, d, "class mean");
  data_center(s, dk, target_mean, mean);
  const double std = deck_real(dk, data_key(s, "std", k, sizeof k));
  if (s->kind == KIND_GAUSSIANS) {
    const double spread = deck_real(dk, data_key(s, "spread", k, sizeof k));
    double *z = WOW_NEW(double, d, "class mean draw");
    rng_normals(seed, RNG_CLASS_MEANS, (uint64_t)s->role, (uint64_t)c, 0, (size_t)d, z);
    for (long t = 0; t < d; t++) mean[t] += spread * z[t];
    free(z);
  }
  for (long i = 0; i < n; i++) {
    rng_normals(seed, stream, (uint64_t)c, (uint64_t)i, 0, (size_t)d, out + i * d);
    for (long t = 0; t < d; t++) out[i * d + t] = mean[t] + std * out[i * d + t];
  }
  free(mean);
}

void data_fill(struct data_side *s, const struct deck *dk, int c0, int c1, double *out, const double *target_mean, MPI_Comm world)
{
  char msg[WOW_ERRLEN] = "", where[600], k[64], err[512];
  long off = 0;
  for (int c = c0; c < c1 && !msg[0]; c++) {
    double *rows = out + off * s->d;
    if (s->kind == KIND_FILE) {
      if (h5io_read_rows_double(s->file, deck_str(dk, data_key(s, "features", k, sizeof k)), s->rows[c], s->size[c], s->d, rows, err, sizeof err)) {
        data_where(s, dk, "file", where, sizeof where);
        snprintf(msg, sizeof msg, "%s: %s: %s", where, deck_str(dk, data_key(s, "file", k, sizeof k)), err);
      }
    } else {
      data_generate(s, dk, c, rows, target_mean);
    }
    for (long i = 0; i < s->size[c] * s->d && !msg[0]; i++) {
      if (isfinite(rows[i])) continue;
      long r = i / s->d;
      data_where(s, dk, s->kind == KIND_FILE ? "file" : "kind", where, sizeof where);
      if (s->kind == KIND_FILE)
        snprintf(msg, sizeof msg, "%s: %s: dataset '%s' row %ld (class %d) has a NaN or Inf value", where,
                 deck_str(dk, data_key(s, "file", k, sizeof k)), deck_str(dk, data_key(s, "features", k, sizeof k)), s->rows[c][r], c);
      else
        snprintf(msg, sizeof msg, "%s: generated point %ld of class %d is not finite (check the generator keys)", where, r, c);
    }
    off += s->size[c];
  }
  comm_check_all(world, msg);
}

void data_free(struct data_side *s)
{
  if (s->file >= 0) h5io_close(s->file);
  if (s->rows) for (int c = 0; c < s->classes; c++) free(s->rows[c]);
  free(s->rows);
  free(s->size);
  free(s->weight);
  memset(s, 0, sizeof *s);
  s->file = -1;
}
