/* test_gram.c -- the few-row products of src/gram.c against plain loops (closed form), on both
 * sides of GRAM_FEW (the blocked loops and the BLAS calls), with row counts and lengths that are
 * not multiples of the strip or of the vector width; a split of the rows (other ranks) gives the
 * same bits as all of them; summed block of columns by block, the same sums.  The merged quantile grid (src/qgrid.c): a hand-computed case, and its
 * expansion and reduction against the exact 1D transport of src/ot1d.c for many size pairs. */
#include <config.h>
#include "gram.h"
#include "ot1d.h"
#include "qgrid.h"

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
  double *norm2 = malloc((size_t)nrows * sizeof *norm2);
  gram_norms(S, nrows, K, norm2);
  for (int i = 0; i < nrows; i++) {
    if (nrows <= GRAM_FEW) assert_true(norm2[i] == G[(size_t)i * (size_t)nrows + (size_t)i]); /* the diagonal's bits */
    else assert_true(fabs(norm2[i] - G[(size_t)i * (size_t)nrows + (size_t)i]) <= 1e-14 * norm2[i]);
  }
  /* of floats: the norms of the widened values, bit for bit (run.precision = single's |grad|) */
  float *Sf = malloc((size_t)nrows * (size_t)K * sizeof *Sf);
  double *Sw = malloc((size_t)nrows * (size_t)K * sizeof *Sw), *nf = malloc((size_t)nrows * sizeof *nf);
  for (long i = 0; i < (long)nrows * K; i++) { Sf[i] = (float)(S[i] * 1e3); Sw[i] = (double)Sf[i]; }
  gram_norms(Sw, nrows, K, norm2);
  gram_norms_float(Sf, nrows, K, nf);
  assert_memory_equal(nf, norm2, (size_t)nrows * sizeof *nf);
  free(Sf); free(Sw); free(nf);
  free(norm2);
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
  gram_combine(W, nw, S, K, nrows, K, Y);
  for (int c = 0; c < nw; c++)
    for (long t = 0; t < K; t++) {
      double ref = 0, mag = 0;
      for (int k = 0; k < nrows; k++) { ref += W[c * nrows + k] * S[k * K + t]; mag += fabs(W[c * nrows + k] * S[k * K + t]); }
      assert_true(fabs(Y[c * K + t] - ref) <= 1e-14 * mag);
    }
  /* two rows on several directions at once (the d = 2 sweep's projections): gram_combine's bits */
  if (nrows == 2)
    for (int nd = 1; nd <= 9; nd += 4) {
      double *th = malloc(2 * (size_t)nd * sizeof *th), *Yc = malloc((size_t)nd * (size_t)K * sizeof *Yc), *Yp = malloc((size_t)nd * (size_t)K * sizeof *Yp);
      for (int q = 0; q < 2 * nd; q++) th[q] = val(5 * q + 11);
      gram_combine(th, nd, S, K, 2, K, Yc);
      gram_project2(th, nd, S, K, K, Yp);
      assert_memory_equal(Yp, Yc, (size_t)nd * (size_t)K * sizeof *Yp);
      free(th); free(Yc); free(Yp);
    }
  /* a window of columns [t0, t0 + kw) (the displacement sums, block of directions by block) */
  const long t0 = K / 3, kw = K - t0 > 1 ? (K - t0) / 2 + 1 : K - t0;
  double *Yw = malloc((size_t)nw * (size_t)kw * sizeof *Yw);
  gram_combine(W, nw, S + t0, K, nrows, kw, Yw);
  for (int c = 0; c < nw; c++)
    for (long t = 0; t < kw; t++) {
      double ref = 0, mag = 0;
      for (int k = 0; k < nrows; k++) { ref += W[c * nrows + k] * S[k * K + t0 + t]; mag += fabs(W[c * nrows + k] * S[k * K + t0 + t]); }
      assert_true(fabs(Yw[c * kw + t] - ref) <= 1e-14 * mag);
    }
  /* summed block of columns by block (the Gram in the sort's tiles): the same sums to rounding;
   * an entry's bits do not depend on the rows around it (rows [1, nrows) alone give the same) */
  double *Ga = malloc((size_t)nrows * (size_t)nrows * sizeof *Ga), *Gb = malloc((size_t)nrows * (size_t)nrows * sizeof *Gb);
  static const long blocks[] = { 512, 300, 1 };
  for (int b = 0; b < 3; b++) {
    for (int i = 0; i < nrows * nrows; i++) Ga[i] = Gb[i] = 0.0;
    for (long c0 = 0; c0 < K; c0 += blocks[b]) {
      const long w = K - c0 < blocks[b] ? K - c0 : blocks[b];
      gram_acc_upper(S + c0, K, nrows, w, Ga);
      if (nrows > 1) gram_acc_upper(S + K + c0, K, nrows - 1, w, Gb);
    }
    gram_mirror(nrows, Ga);
    gram_mirror(nrows - 1, Gb);
    for (int i = 0; i < nrows; i++)
      for (int k = 0; k < nrows; k++) {
        const double full = G[(size_t)i * (size_t)nrows + (size_t)k], acc = Ga[(size_t)i * (size_t)nrows + (size_t)k];
        assert_true(acc == Ga[(size_t)k * (size_t)nrows + (size_t)i]);
        assert_true(fabs(acc - full) <= 1e-13 * fabs(full) + 1e-13);
        if (i > 0 && k > 0 && nrows <= GRAM_BLOCKED_MAX) assert_true(Gb[(size_t)(i - 1) * (size_t)(nrows - 1) + (size_t)(k - 1)] == acc);
      }
  }
  free(Gb);
  free(Ga);
  free(S); free(G); free(W); free(Y); free(Yw);
}

static void test_gram(void **state)
{
  (void)state;
  static const int rows[] = { 1, 2, 5, 6, 7, GRAM_FEW, GRAM_FEW + 1, 30, GRAM_BLOCKED_MAX + 3 }; /* 5-6: gram_upper6; 7: against it */
  static const long len[] = { 1, 7, 8, 33, 511, 512, 1300 };
  for (size_t a = 0; a < sizeof rows / sizeof rows[0]; a++)
    for (size_t b = 0; b < sizeof len / sizeof len[0]; b++) check_size(rows[a], len[b]);
}

/* Sizes 2 and 3: breakpoints 1/3, 1/2, 2/3, so w = 1/3, 1/6, 1/6, 1/3 and f = sqrt(4 w). */
static void test_qgrid_closed_form(void **state)
{
  (void)state;
  struct qgrid g;
  const long sizes[3] = { 3, 2, 3 };
  assert_int_equal(qgrid_init(&g, sizes, 3, 100), 4);
  assert_int_equal(g.nsizes, 2);
  assert_int_equal(g.which[0], 1);
  assert_int_equal(g.which[1], 0);
  const double w[4] = { 1.0 / 3, 1.0 / 6, 1.0 / 6, 1.0 / 3 };
  const int idx2[4] = { 0, 0, 1, 1 }, idx3[4] = { 0, 1, 1, 2 };
  for (int q = 0; q < 4; q++) {
    assert_true(fabs(g.f[q] - sqrt(4 * w[q])) <= 1e-15);
    assert_int_equal(g.idx[q], idx2[q]);
    assert_int_equal(g.idx[4 + q], idx3[q]);
  }
  qgrid_free(&g);
  assert_int_equal(qgrid_init(&g, sizes, 3, 3), 0); /* over the cap: nothing built */
  assert_null(g.f);
  const long one[2] = { 5, 5 }; /* one size: the identity */
  assert_int_equal(qgrid_init(&g, one, 2, 100), 5);
  for (int q = 0; q < 5; q++) { assert_true(g.f[q] == 1.0); assert_int_equal(g.idx[q], q); }
  qgrid_free(&g);
}

/* For sizes n, m (and a third size on the same grid): |e_a - e_b|^2 / G = W2^2 (ot1d_cost) and the
 * reduction of e_a - e_b is the displacement ot1d_disp_acc gives, over two directions. */
static void test_qgrid_transport(void **state)
{
  (void)state;
  for (long n = 1; n <= 12; n++)
    for (long m = 1; m <= 12; m++) {
      const long sizes[3] = { n, m, 10 };
      struct qgrid g;
      const long G = qgrid_init(&g, sizes, 3, 1000);
      assert_true(G >= (n > m ? n : m) && G <= n + m + 10);
      double a[24], b[24], ea[2 * 64], eb[2 * 64], y[2 * 64], acc[24], ref[24];
      for (long l = 0; l < 2; l++) {
        for (long i = 0; i < n; i++) a[l * n + i] = (double)i / (double)n + 0.1 * val(l * 31 + i);
        for (long i = 0; i < m; i++) b[l * m + i] = 0.5 * (double)i / (double)m + 0.2 * val(l * 17 + i + 5);
      }
      qgrid_expand(&g, g.which[0], a, 2, ea);
      qgrid_expand(&g, g.which[1], b, 2, eb);
      for (long t = 0; t < 2 * G; t++) y[t] = ea[t] - eb[t];
      qgrid_reduce(&g, g.which[0], y, 2, acc);
      for (long l = 0; l < 2; l++) {
        double s = 0;
        for (long q = 0; q < G; q++) s += y[l * G + q] * y[l * G + q];
        const double cost = ot1d_cost(a + l * n, (size_t)n, b + l * m, (size_t)m, 2);
        assert_true(fabs(s / (double)G - cost) <= 1e-14 * (1 + cost));
        for (long i = 0; i < n; i++) ref[i] = 0;
        ot1d_disp_acc(a + l * n, (size_t)n, b + l * m, (size_t)m, 2, 1.0, ref);
        for (long i = 0; i < n; i++) assert_true(fabs(acc[l * n + i] - ref[i]) <= 1e-14 * (1 + fabs(ref[i])));
      }
      qgrid_free(&g);
    }
}

int main(void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test(test_gram), cmocka_unit_test(test_qgrid_closed_form),
                                      cmocka_unit_test(test_qgrid_transport) };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
