/* fuzz_readers.c -- replays a corpus and thousands of mutated inputs through every reader of
 * untrusted input: the deck parser, the IDX and CSV importers, and the HDF5 dataset readers.
 * Each must return a result or a one-line error; under --enable-sanitizers any memory error
 * aborts.  Seeds: the shipped decks and generated files, plus tests/corpus/<reader>/ (every
 * crash ever found is kept there as a regression input).
 *   fuzz_readers SRCDIR [ITERATIONS]       (ctest runs it; deterministic)
 * Built with clang and -DWOW_LIBFUZZER, LLVMFuzzerTestOneInput feeds the same targets
 * (tests/fuzz_libfuzzer.sh). */
#include <config.h>
#include "ckpt.h"
#include "deck.h"
#include "h5io.h"
#include "import.h"

#include <dirent.h>
#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static uint64_t fz_state = 0x9e3779b97f4a7c15ull;
static uint64_t fz_next(void)
{
  uint64_t z = (fz_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static size_t fz_below(size_t n) { return n ? (size_t)(fz_next() % n) : 0; }

/* One random edit: flip a bit, set a byte, delete, insert, duplicate a range, or truncate. */
static size_t fz_mutate(unsigned char *buf, size_t n, size_t cap)
{
  size_t a = fz_below(n + 1), len = 1 + fz_below(16);
  switch (fz_below(6)) {
  case 0: if (n) buf[fz_below(n)] ^= (unsigned char)(1u << fz_below(8)); break;
  case 1: if (n) buf[fz_below(n)] = (unsigned char)fz_next(); break;
  case 2: if (a + len <= n) { memmove(buf + a, buf + a + len, n - a - len); n -= len; } break;
  case 3: if (n + len <= cap) { memmove(buf + a + len, buf + a, n - a); for (size_t i = 0; i < len; i++) buf[a + i] = (unsigned char)fz_next(); n += len; } break;
  case 4: /* duplicate a range [s, s + len) to position a */
    if (n && n + len <= cap) {
      size_t s = fz_below(n);
      if (s + len > n) len = n - s;
      unsigned char tmp[16];
      memcpy(tmp, buf + s, len);
      memmove(buf + a + len, buf + a, n - a);
      memcpy(buf + a, tmp, len);
      n += len;
    }
    break;
  default: n = fz_below(n + 1);
  }
  return n;
}

static void fz_write(const char *path, const unsigned char *buf, size_t n)
{
  FILE *f = fopen(path, "wb");
  if (f) { fwrite(buf, 1, n, f); fclose(f); }
}

/* ------------------------------------------------------------------ targets */

static int fz_deck(const unsigned char *buf, size_t n)
{
  char *text = malloc(n + 1);
  memcpy(text, buf, n);
  text[n] = '\0';
  for (size_t i = 0; i < n; i++) if (!text[i]) text[i] = ' ';
  size_t nk;
  const struct deck_key *schema = deck_schema(&nk);
  struct deck dk;
  struct deck_errors errs = {0};
  char *ov[2] = { "run.steps=3", "kernel.h=0.5" };
  int bad = deck_load(&dk, schema, nk, "fuzz.deck", text, ov, (int)(n % 3), &errs);
  int ok = bad == errs.n;
  for (int i = 0; i < errs.n && ok; i++) ok = !strncmp(errs.line[i], "fuzz.deck:", 10) || !strncmp(errs.line[i], "-P:", 3);
  deck_errors_free(&errs);
  deck_free(&dk);
  free(text);
  return ok ? 0 : -1;
}

static int fz_idx(const unsigned char *buf, size_t n)
{
  /* the first byte picks which file is mutated; the rest is it */
  static unsigned char good_lab[13] = { 0, 0, 8, 1, 0, 0, 0, 5, 0, 1, 2, 1, 0 };
  if (n == 0) return 0;
  fz_write("fz_img.idx", buf + 1, n - 1);
  fz_write("fz_lab.idx", good_lab, sizeof good_lab);
  if (buf[0] & 1) { fz_write("fz_lab.idx", buf + 1, n - 1); }
  struct import_table t;
  char err[512] = "";
  int rc = import_idx("fz_img.idx", "fz_lab.idx", &t, err, sizeof err);
  if (rc == 0) {
    import_scale(&t);
    rc = import_select(&t, NULL, 0, 1, 1, err, sizeof err);
    import_free(&t);
    return 0;
  }
  return err[0] && strstr(err, ".idx") ? 0 : -1;
}

static int fz_csv(const unsigned char *buf, size_t n)
{
  fz_write("fz.csv", buf, n);
  struct import_table t;
  char err[512] = "";
  int rc = import_csv("fz.csv", n % 2 ? -1 : 0, (int)(n % 5 == 0), &t, err, sizeof err);
  if (rc == 0) {
    if (t.d == 4 && import_set_shape(&t, "2x2", err, sizeof err) == 0) import_resize(&t, 3, 3, err, sizeof err);
    import_free(&t);
    return 0;
  }
  return err[0] && strstr(err, "fz.csv") ? 0 : -1;
}

/* HDF5: only the damage disks and transfers do (truncation, flipped bytes) is applied here. */
static int fz_h5(const unsigned char *buf, size_t n)
{
  fz_write("fz.h5", buf, n);
  hid_t f = h5io_open_serial("fz.h5");
  if (f < 0) return 0;
  int rank = 0, fl = 0;
  long dims[3];
  char err[512] = "";
  if (h5io_shape(f, "features", &rank, dims, &fl, err, sizeof err) == 0 && rank == 2 && dims[0] * dims[1] < 100000) {
    double *x = malloc(sizeof(double) * (size_t)(dims[0] * dims[1] + 1));
    long rows[2] = { 0, dims[0] - 1 };
    h5io_read_all_double(f, "features", (size_t)(dims[0] * dims[1]), x, err, sizeof err);
    h5io_read_rows_double(f, "features", rows, dims[0] > 1 ? 2 : 1, dims[1], x, err, sizeof err);
    free(x);
  }
  long lab[64];
  if (h5io_shape(f, "labels", &rank, dims, &fl, err, sizeof err) == 0 && dims[0] <= 64) h5io_read_all_long(f, "labels", (size_t)dims[0], lab, err, sizeof err);
  char *s = NULL;
  h5io_read_attr_string(f, "/", "kind", &s);
  free(s);
  h5io_close(f);
  /* a checkpoint: the restart reader, then its particle block */
  struct ckpt_header h;
  char *deck = NULL, msg[512] = "";
  if (ckpt_read_header("fz.h5", &h, &deck, msg, sizeof msg) == 0) {
    hid_t g = h5io_open_serial("fz.h5");
    if (g >= 0 && h.N > 0 && h.d > 0 && h.N * h.d < 100000) {
      double *x = malloc(sizeof(double) * (size_t)(h.N * h.d));
      h5io_read_block(g, "/state/particles", 0, h.N, h.d, x, msg, sizeof msg);
      free(x);
    }
    if (g >= 0) h5io_close(g);
  } else if (!msg[0]) {
    free(deck);
    return -1; /* refused without a reason */
  }
  free(deck);
  return 0;
}

/* ------------------------------------------------------------------ seeds and driver */

struct fz_target {
  const char *name;
  int (*run)(const unsigned char *, size_t);
  int h5_damage; /* only truncate and flip bytes */
};

static size_t fz_seed_idx(unsigned char *b)
{
  unsigned char h[17] = { 0, 0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 3 }; /* byte 0: which file */
  memcpy(b, h, 17);
  for (int i = 0; i < 30; i++) b[17 + i] = (unsigned char)(7 * i);
  return 47;
}

static size_t fz_seed_h5(unsigned char *b, size_t cap)
{
  /* the file format wowflow writes: checksummed metadata (see h5io_create) */
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_LATEST);
  hid_t f = H5Fcreate("fz_seed.h5", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  hsize_t dx[2] = { 6, 2 }, dy[1] = { 6 };
  float x[12] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 };
  int y[6] = { 0, 1, 2, 0, 1, 2 };
  hid_t sx = H5Screate_simple(2, dx, NULL), sy = H5Screate_simple(1, dy, NULL);
  hid_t ds = H5Dcreate2(f, "features", H5T_NATIVE_FLOAT, sx, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, x);
  H5Dclose(ds);
  ds = H5Dcreate2(f, "labels", H5T_NATIVE_INT, sy, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(ds, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, y);
  H5Dclose(ds);
  H5Sclose(sx);
  H5Sclose(sy);
  H5Fclose(f);
  FILE *fp = fopen("fz_seed.h5", "rb");
  size_t n = fp ? fread(b, 1, cap, fp) : 0;
  if (fp) fclose(fp);
  return n;
}

static size_t fz_load(const char *path, unsigned char *b, size_t cap)
{
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  size_t n = fread(b, 1, cap, f);
  fclose(f);
  return n;
}

static int fz_campaign(const struct fz_target *t, unsigned char *seed, size_t n0, long iterations, const char *label)
{
  enum { CAP = 1 << 16 };
  static unsigned char buf[CAP];
  int fails = 0;
  if (t->run(seed, n0) != 0) { fprintf(stderr, "FAIL %s: seed %s gives no result and no error\n", t->name, label); fails++; }
  for (long it = 0; it < iterations; it++) {
    size_t n = n0 < CAP ? n0 : CAP;
    memcpy(buf, seed, n);
    int edits = 1 + (int)fz_below(4);
    for (int e = 0; e < edits; e++) {
      if (t->h5_damage) {
        if (fz_below(4) == 0) n = fz_below(n + 1);
        else if (n) buf[fz_below(n)] ^= (unsigned char)(1u << fz_below(8));
      } else {
        n = fz_mutate(buf, n, CAP);
      }
    }
    if (t->run(buf, n) != 0) {
      char path[256];
      snprintf(path, sizeof path, "fz_fail_%s_%ld", t->name, it);
      fz_write(path, buf, n);
      fprintf(stderr, "FAIL %s: mutated input %ld (saved as %s) gives no result and no error\n", t->name, it, path);
      fails++;
    }
  }
  return fails;
}

#ifndef WOW_LIBFUZZER
int main(int argc, char **argv)
{
  MPI_Init(&argc, &argv);
  h5io_quiet();
  if (argc < 2) { fprintf(stderr, "usage: fuzz_readers SRCDIR [ITERATIONS]\n"); return 2; }
  char *src = realpath(argv[1], NULL); /* before chdir */
  if (!src) { fprintf(stderr, "fuzz_readers: %s: no such directory\n", argv[1]); return 2; }
  long iterations = argc > 2 ? atol(argv[2]) : 3000;
  char dir[] = "/tmp/wowflow-fuzz-XXXXXX";
  if (!mkdtemp(dir) || chdir(dir) != 0) return 1;
  static const struct fz_target targets[] = { { "deck", fz_deck, 0 }, { "idx", fz_idx, 0 }, { "csv", fz_csv, 0 }, { "h5", fz_h5, 1 } };
  static unsigned char seed[1 << 16];
  int fails = 0;
  long runs = 0;
  for (size_t ti = 0; ti < 4; ti++) {
    const struct fz_target *t = &targets[ti];
    size_t n = 0;
    if (ti == 0) {
      char p[4096];
      snprintf(p, sizeof p, "%s/input/tiny.deck", src);
      n = fz_load(p, seed, sizeof seed);
    } else if (ti == 1) n = fz_seed_idx(seed);
    else if (ti == 2) { const char *c = "a,b,c,d,label\n1,2,3,4,0\n5,6,7,8,1\n9,10,11,12,1\n"; n = strlen(c); memcpy(seed, c, n); }
    else n = fz_seed_h5(seed, sizeof seed);
    fails += fz_campaign(t, seed, n, iterations, "generated");
    runs += iterations + 1;
    char cdir[4096];
    snprintf(cdir, sizeof cdir, "%s/tests/corpus/%s", src, t->name);
    DIR *d = opendir(cdir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      char p[8192];
      snprintf(p, sizeof p, "%s/%s", cdir, e->d_name);
      n = fz_load(p, seed, sizeof seed);
      fails += fz_campaign(t, seed, n, iterations / 10, e->d_name);
      runs += iterations / 10 + 1;
    }
    if (d) closedir(d);
    printf("%-5s %s\n", t->name, fails ? "FAILED" : "ok");
  }
  printf("%ld inputs replayed, %d failure(s)\n", runs, fails);
  free(src);
  MPI_Finalize();
  return fails ? 1 : 0;
}
#else
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static int ready = 0;
  if (!ready) {
    MPI_Init(NULL, NULL);
    h5io_quiet();
    char dir[] = "/tmp/wowflow-libfuzzer-XXXXXX";
    if (!mkdtemp(dir) || chdir(dir) != 0) abort();
    ready = 1;
  }
  if (size == 0) return 0;
  const unsigned char *b = data + 1;
  size_t n = size - 1;
  switch (data[0] % 4) {
  case 0: fz_deck(b, n); break;
  case 1: fz_idx(b, n); break;
  case 2: fz_csv(b, n); break;
  default: fz_h5(b, n);
  }
  return 0;
}
#endif
