/* test_import.c -- IDX and CSV readers (plain and gzipped) round trips and their errors with the
 * offset or line, selection and subsampling, resizing against a hand-computed case, and the
 * Hungarian assignment against brute force. */
#include <config.h>
#include "assign.h"
#include "import.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

static void write_file(const char *path, const void *buf, size_t n, int gz)
{
  if (gz) {
    gzFile f = gzopen(path, "wb");
    gzwrite(f, buf, (unsigned)n);
    gzclose(f);
  } else {
    FILE *f = fopen(path, "wb");
    fwrite(buf, 1, n, f);
    fclose(f);
  }
}

/* 5 images of 2 x 3 ubyte (value 10 * image + pixel) and labels 0 1 2 1 0 */
static size_t make_idx(unsigned char *img, unsigned char *lab)
{
  unsigned char hi[16] = { 0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 3 };
  memcpy(img, hi, 16);
  for (int i = 0; i < 5; i++)
    for (int p = 0; p < 6; p++) img[16 + 6 * i + p] = (unsigned char)(10 * i + p);
  unsigned char hl[8] = { 0, 0, 8, 1, 0, 0, 0, 5 }, l[5] = { 0, 1, 2, 1, 0 };
  memcpy(lab, hl, 8);
  memcpy(lab + 8, l, 5);
  return 16 + 30;
}

static void test_idx_round_trip(void **state)
{
  (void)state;
  unsigned char img[64], lab[16];
  size_t n = make_idx(img, lab);
  for (int gz = 0; gz < 2; gz++) {
    write_file("t_img.idx", img, n, gz);
    write_file("t_lab.idx", lab, 13, gz);
    struct import_table t;
    char err[512] = "";
    assert_int_equal(import_idx("t_img.idx", "t_lab.idx", &t, err, sizeof err), 0);
    assert_int_equal(t.n, 5);
    assert_int_equal(t.d, 6);
    assert_true(t.c == 1 && t.h == 2 && t.w == 3);
    assert_true(t.x[4 * 6 + 5] == 45.0f && t.y[2] == 2);
    import_scale(&t); /* ubyte: divided by 255 */
    assert_true(fabsf(t.x[4 * 6 + 5] - 45.0f / 255.0f) < 1e-7f);
    int keep[2] = { 1, 0 };
    assert_int_equal(import_select(&t, keep, 2, 0, 1, err, sizeof err), 0);
    assert_int_equal(t.n, 4);           /* class 2 dropped */
    assert_int_equal(t.y[0], 0);        /* old class 1 is new class 0 */
    assert_true(fabsf(t.x[0] - 10.0f / 255.0f) < 1e-7f); /* image 1 comes first */
    assert_string_equal(t.classes, "1,0");
    import_free(&t);
  }
}

static void test_idx_errors(void **state)
{
  (void)state;
  unsigned char img[64], lab[16];
  size_t n = make_idx(img, lab);
  struct import_table t;
  char err[512];
  write_file("t_lab.idx", lab, 13, 0);
  write_file("t_img.idx", img, n - 4, 1); /* truncated (gzipped) */
  assert_int_equal(import_idx("t_img.idx", "t_lab.idx", &t, err, sizeof err), -1);
  assert_non_null(strstr(err, "t_img.idx: offset 42: file ends early (4 more bytes expected)"));
  img[0] = 7;
  write_file("t_img.idx", img, n, 0);
  assert_int_equal(import_idx("t_img.idx", "t_lab.idx", &t, err, sizeof err), -1);
  assert_non_null(strstr(err, "t_img.idx: offset 0: not an IDX file"));
  img[0] = 0;
  img[2] = 0x42;
  write_file("t_img.idx", img, n, 0);
  assert_int_equal(import_idx("t_img.idx", "t_lab.idx", &t, err, sizeof err), -1);
  assert_non_null(strstr(err, "offset 2: unknown IDX data type 0x42"));
  img[2] = 8;
  write_file("t_img.idx", img, n, 0);
  lab[7] = 4; /* 4 labels for 5 images */
  write_file("t_lab.idx", lab, 12, 0);
  assert_int_equal(import_idx("t_img.idx", "t_lab.idx", &t, err, sizeof err), -1);
  assert_non_null(strstr(err, "t_lab.idx: offset 4: 4 labels for 5 images"));
  assert_int_equal(import_idx("nothere.idx", "t_lab.idx", &t, err, sizeof err), -1);
  assert_non_null(strstr(err, "nothere.idx: cannot open"));
}

static void test_csv(void **state)
{
  (void)state;
  const char *good = "a,b,c,label\n1,2,3,4\n\n5,6,7,0\r\n8, 9 ,10,4\n";
  struct import_table t;
  char err[512];
  for (int gz = 0; gz < 2; gz++) {
    write_file("t.csv", good, strlen(good), gz);
    assert_int_equal(import_csv("t.csv", -1, 1, &t, err, sizeof err), 0);
    assert_true(t.n == 3 && t.d == 3 && t.y[0] == 4 && t.y[1] == 0 && t.x[7] == 9.0f);
    import_scale(&t); /* data range 1..10 */
    assert_true(fabsf(t.x[0]) < 1e-7f && fabsf(t.x[8] - 1.0f) < 1e-7f);
    assert_int_equal(import_select(&t, NULL, 0, 1, 3, err, sizeof err), 0);
    assert_true(t.n == 2 && t.y[0] == 0 && t.y[1] == 1); /* one row of class 0 then of class 4 */
    assert_string_equal(t.classes, "0,4");
    import_free(&t);
  }
  assert_int_equal(import_csv("t.csv", 0, 1, &t, err, sizeof err), 0); /* label in the first column */
  assert_true(t.y[0] == 1 && t.x[0] == 2.0f);
  import_free(&t);
  const char *bad = "1,2,3\n4,x5,6\n";
  write_file("t.csv", bad, strlen(bad), 0);
  assert_int_equal(import_csv("t.csv", -1, 0, &t, err, sizeof err), -1);
  assert_non_null(strstr(err, "t.csv:2: column 2: bad number 'x5'"));
  const char *ragged = "1,2,3\n4,5\n";
  write_file("t.csv", ragged, strlen(ragged), 0);
  assert_int_equal(import_csv("t.csv", -1, 0, &t, err, sizeof err), -1);
  assert_non_null(strstr(err, "t.csv:2: 2 columns, the first row had 3"));
  const char *badlabel = "1,2,3.5\n";
  write_file("t.csv", badlabel, strlen(badlabel), 0);
  assert_int_equal(import_csv("t.csv", -1, 0, &t, err, sizeof err), -1);
  assert_non_null(strstr(err, "t.csv:1: column 3: label 3.5 is not a class number"));
}

static void test_select_errors(void **state)
{
  (void)state;
  const char *good = "1,0\n2,0\n3,1\n";
  write_file("t.csv", good, strlen(good), 0);
  struct import_table t;
  char err[512];
  assert_int_equal(import_csv("t.csv", -1, 0, &t, err, sizeof err), 0);
  assert_int_equal(import_select(&t, NULL, 0, 2, 1, err, sizeof err), -1);
  assert_non_null(strstr(err, "--per-class 2: class 1 has only 1 rows"));
  int keep[1] = { 7 };
  assert_int_equal(import_select(&t, keep, 1, 0, 1, err, sizeof err), -1);
  assert_non_null(strstr(err, "--classes: class 7 is not in the data"));
  import_free(&t);
}

static void test_resize(void **state)
{
  (void)state;
  /* 2x2 -> 4x4, align-corners false: sample points at -0.25, 0.25, 0.75, 1.25 (clamped). */
  const float in[4] = { 0, 1, 2, 3 };
  float out[16];
  import_resize_image(in, 1, 2, 2, out, 4, 4);
  const float want_row0[4] = { 0, 0.25f, 0.75f, 1 };
  for (int x = 0; x < 4; x++) assert_true(fabsf(out[x] - want_row0[x]) < 1e-6f);
  /* (y, x) = (0.25, 0.25): rows 0.75 * 0 + 0.25 * 1 = 0.25 and 0.75 * 2 + 0.25 * 3 = 2.25; 0.75 * 0.25 + 0.25 * 2.25 */
  assert_true(fabsf(out[1 * 4 + 1] - 0.75f) < 1e-6f);
  assert_true(fabsf(out[15] - 3) < 1e-6f);
  /* downsampling the identity size is the identity */
  float same[4];
  import_resize_image(in, 1, 2, 2, same, 2, 2);
  assert_memory_equal(same, in, sizeof same);
}

static void test_assign(void **state)
{
  (void)state;
  unsigned s = 5;
  for (int trial = 0; trial < 200; trial++) {
    int n = 1 + trial % 5, m = n + (trial / 5) % 3;
    double cost[40];
    for (int i = 0; i < n * m; i++) { s = s * 1103515245u + 12345u; cost[i] = (s >> 16) % 100 / 7.0; }
    int match[8];
    double got = assign_min_cost(cost, n, m, match);
    /* brute force over injective maps rows -> columns */
    double best = INFINITY;
    int idx[8] = { 0 };
    for (;;) {
      int ok = 1;
      for (int i = 0; i < n && ok; i++)
        for (int j = 0; j < i && ok; j++) ok = idx[i] != idx[j];
      if (ok) {
        double c = 0;
        for (int i = 0; i < n; i++) c += cost[i * m + idx[i]];
        if (c < best) best = c;
      }
      int k = 0;
      while (k < n && ++idx[k] == m) idx[k++] = 0;
      if (k == n) break;
    }
    assert_true(fabs(got - best) < 1e-12);
    for (int i = 0; i < n; i++)
      for (int j = 0; j < i; j++) assert_true(match[i] != match[j]);
  }
  double c[2] = { 1, 2 };
  int mm[2];
  assert_true(isnan(assign_min_cost(c, 2, 1, mm))); /* more rows than columns */
}

int main(void)
{
  char dir[] = "/tmp/wowflow-test-import-XXXXXX"; /* the files these tests write go here */
  if (!mkdtemp(dir) || chdir(dir) != 0) return 1;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_idx_round_trip), cmocka_unit_test(test_idx_errors), cmocka_unit_test(test_csv),
    cmocka_unit_test(test_select_errors), cmocka_unit_test(test_resize), cmocka_unit_test(test_assign),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
