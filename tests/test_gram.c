/* test_gram.c -- the few-row products of src/gram.c against plain loops (closed form), on both
 * sides of GRAM_FEW (the blocked loops and the BLAS calls), with row counts and lengths that are
 * not multiples of the strip or of the vector width; a split of the rows (other ranks) gives the
 * same bits as all of them. */
#include <config.h>
#include "gram.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static double val(long i) { return sin(0.37 * (double)i) + 0.01 * (double)(i % 13); }

static void check_size(int nrows, long K)
{
  double *S = malloc((size_t)nrows * (size_t)K * sizeof *S), *G = malloc((size_t)nrows * (size_t)nrows * sizeof *G);
  double *W = malloc((size_t)nrows * (size_t)nrows * sizeof *W), *Y = malloc((size_t)nrows * (size_t)K * sizeof *Y);
  for (long i = 0; i < (long)nrows * K; i++) S[i] = val(i);
  for (int i = 0; i < nrows * nrows; i++) W[i] = val(7 * i + 3);
  gram_rows(S, nrows, K, 0, nrows, G);
  for (int i = 0; i < nrows; i++)
    for (int k = 0; k < nrows; k++) {
      double ref = 0, mag = 0;
      for (long t = 0; t < K; t++) { ref += S[i * K + t] * S[k * K + t]; mag += fabs(S[i * K + t] * S[k * K + t]); }
      assert_true(fabs(G[i * nrows + k] - ref) <= 1e-14 * mag);
      assert_true(G[i * nrows + k] == G[k * nrows + i]); /* symmetric to the bit */
    }
  /* rows [r0, r0 + nr) alone: the same bits as within all rows (split over class groups) */
  for (int r0 = 0; r0 < nrows; r0 += 2) {
    const int nr = nrows - r0 < 3 ? nrows - r0 : 3;
    double *Gp = malloc((size_t)nr * (size_t)nrows * sizeof *Gp);
    gram_rows(S, nrows, K, r0, nr, Gp);
    for (int i = 0; i < nr; i++)
      for (int k = 0; k < nrows; k++) {
        const double full = G[(size_t)(r0 + i) * (size_t)nrows + (size_t)k];
        if (nrows <= GRAM_FEW) assert_true(Gp[(size_t)i * (size_t)nrows + (size_t)k] == full);
        else assert_true(fabs(Gp[(size_t)i * (size_t)nrows + (size_t)k] - full) <= 1e-13 * fabs(full) + 1e-13); /* BLAS */
      }
    free(Gp);
  }
  const int nw = (nrows + 1) / 2;
  gram_combine(W, nw, S, nrows, K, Y);
  for (int c = 0; c < nw; c++)
    for (long t = 0; t < K; t++) {
      double ref = 0, mag = 0;
      for (int k = 0; k < nrows; k++) { ref += W[c * nrows + k] * S[k * K + t]; mag += fabs(W[c * nrows + k] * S[k * K + t]); }
      assert_true(fabs(Y[c * K + t] - ref) <= 1e-14 * mag);
    }
  free(S); free(G); free(W); free(Y);
}

static void test_gram(void **state)
{
  (void)state;
  static const int rows[] = { 1, 2, 5, GRAM_FEW, GRAM_FEW + 1, 30 };
  static const long len[] = { 1, 7, 8, 511, 512, 1300 };
  for (size_t a = 0; a < sizeof rows / sizeof rows[0]; a++)
    for (size_t b = 0; b < sizeof len / sizeof len[0]; b++) check_size(rows[a], len[b]);
}

int main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(test_gram) };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
