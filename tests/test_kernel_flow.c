/* test_kernel_flow.c -- kernel values and derivatives (central differences), the Riesz zero rule,
 * the step rules against hand-computed sequences, and the decomposition. */
#include <config.h>
#include "flow.h"
#include "kernel.h"
#include "layout.h"

#include <math.h>
#include <string.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

static void test_kernel_values(void **state)
{
  (void)state;
  struct kernel k;
  assert_int_equal(kernel_init(&k, "riesz", 0, 1), 0);
  assert_true(fabs(kernel_phi(&k, 4.0) + 2.0) < 1e-15);             /* -sqrt(4) */
  assert_int_equal(kernel_init(&k, "gaussian", 0, 1), 0);
  assert_true(k.h == 0.1 && k.p == 2);                               /* method.md section 3 default */
  assert_true(fabs(kernel_phi(&k, 0.2) - exp(-1.0)) < 1e-15);        /* exp(-s/(2h)) */
  assert_int_equal(kernel_init(&k, "laplace", 0, 1), 0);
  assert_true(k.h == 0.5 && k.p == 1);
  assert_true(fabs(kernel_phi(&k, 0.5) - exp(-1.0)) < 1e-15);        /* exp(-SW1/h) */
  assert_int_equal(kernel_init(&k, "imq", 0, 1), 0);
  assert_true(k.h == 1.0);
  assert_true(fabs(kernel_phi(&k, 3.0) - 0.5) < 1e-15);              /* 1/sqrt(h+s) */
  assert_int_equal(kernel_init(&k, "nope", 0, 1), -1);
}

static void test_kernel_derivatives(void **state)
{
  (void)state;
  const char *names[] = { "riesz", "gaussian", "laplace", "imq" };
  const double rs[] = { 0.5, 1.0, 1.5, 2.0 };
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) {
      struct kernel k;
      kernel_init(&k, names[i], i == 0 ? 0 : 0.3 + 0.2 * j, rs[j]);
      for (double s = 0.05; s < 3; s *= 1.7) {
        double h = 1e-6 * s, fd = (kernel_phi(&k, s + h) - kernel_phi(&k, s - h)) / (2 * h);
        if (fabs(fd - kernel_dphi(&k, s)) > 1e-7 * (1 + fabs(fd))) {
          print_error("%s r=%g s=%g: fd %.12g dphi %.12g\n", names[i], rs[j], s, fd, kernel_dphi(&k, s));
          fail();
        }
      }
    }
  struct kernel k;
  kernel_init(&k, "riesz", 0, 1);
  assert_true(kernel_dphi(&k, 0.0) == 0.0); /* identical classes: no gradient, not inf */
  assert_true(kernel_dphi(&k, 1e-310) == 0.0);
}

static void test_flow_rules(void **state)
{
  (void)state;
  struct flow_step euler = { FLOW_EULER, 0.5, 0.9 }, mom = { FLOW_MOMENTUM, 0.5, 0.9 };
  double x[2] = { 1, 2 }, v[2] = { 0, 0 }, g[2] = { 2, -4 };
  flow_update(&euler, x, v, g, 2);
  assert_true(x[0] == 0.0 && x[1] == 4.0 && v[0] == 0.0);
  double y[1] = { 0 }, w[1] = { 0 }, gg[1] = { 1 };
  flow_update(&mom, y, w, gg, 1); /* v1 = 1, x1 = -0.5 */
  flow_update(&mom, y, w, gg, 1); /* v2 = 1 + 0.9 = 1.9, x2 = -0.5 - 0.95 */
  assert_true(fabs(w[0] - 1.9) < 1e-15 && fabs(y[0] + 1.45) < 1e-15);
  /* out of place (run.c's step): the same bits, the inputs unchanged, euler's v_out left alone;
   * small and large (streaming stores) arrays, outputs aligned alike or not */
  static const size_t sizes[] = { 37, 200003 };
  for (int q = 0; q < 2; q++)
    for (int shift = 0; shift < 3; shift++) {
      const size_t N = sizes[q];
      double *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b), *c = malloc(N * sizeof *c), *a0 = malloc(N * sizeof *a0);
      double *b0 = malloc(N * sizeof *b0), *xo = malloc((N + 1) * sizeof *xo), *vo = malloc((N + 1) * sizeof *vo);
      float *cf = malloc(N * sizeof *cf);
      double *cw = malloc(N * sizeof *cw);
      float *xfb = aligned_alloc(64, ((N + 4) * sizeof(float) + 63) / 64 * 64);
      double *xs = xo + (shift == 1), *vs = vo + (shift >= 1); /* shift 2: x_out and v_out 8 bytes apart in alignment */
      for (size_t i = 0; i < N; i++) {
        a0[i] = sin(1.0 + (double)i);
        b0[i] = cos(2.0 * (double)i) / 3.0;
        c[i] = 1.0 / ((double)i + 1.5) - 0.3;
        vs[i] = -7.0;
      }
      for (int r = 0; r < 2; r++) {
        const struct flow_step *st = r ? &mom : &euler;
        memcpy(a, a0, N * sizeof *a);
        memcpy(b, b0, N * sizeof *b);
        flow_step_into(st, a, b, c, N, xs, vs);
        assert_memory_equal(a, a0, N * sizeof *a);
        assert_memory_equal(b, b0, N * sizeof *b);
        flow_update(st, a, b, c, N);
        assert_memory_equal(xs, a, N * sizeof *a);
        if (r) assert_memory_equal(vs, b, N * sizeof *b);
        else for (size_t i = 0; i < N; i++) assert_true(vs[i] == -7.0);
        /* a float gradient: flow_step_into of the widened values, bit for bit */
        for (size_t i = 0; i < N; i++) { cf[i] = (float)c[i]; cw[i] = (double)cf[i]; }
        flow_step_into(st, a0, b0, cw, N, xs, vs);
        memcpy(a, xs, N * sizeof *a);
        memcpy(b, vs, N * sizeof *b);
        for (size_t i = 0; i < N; i++) xs[i] = vs[i] = -7.0;
        flow_step_into_float(st, a0, b0, cf, N, xs, vs, NULL);
        assert_memory_equal(xs, a, N * sizeof *a);
        if (r) assert_memory_equal(vs, b, N * sizeof *b);
        else for (size_t i = 0; i < N; i++) assert_true(vs[i] == -7.0);
        /* and the new x rounded to float as it is written: 16-, 8- and 4-byte aligned copies (the
         * four-wide streaming stores, the 8-byte ones, plain stores), every entry and nothing past */
        for (int fo = 0; fo < 3; fo++) {
          float *xfo = xfb + (fo == 0 ? 0 : fo == 1 ? 2 : 1);
          for (size_t i = 0; i < N + 1; i++) xfo[i] = -5.0f;
          for (size_t i = 0; i < N; i++) xs[i] = vs[i] = -7.0;
          flow_step_into_float(st, a0, b0, cf, N, xs, vs, xfo);
          assert_memory_equal(xs, a, N * sizeof *a);
          if (r) assert_memory_equal(vs, b, N * sizeof *b);
          for (size_t i = 0; i < N; i++) assert_true(xfo[i] == (float)a[i]);
          assert_true(xfo[N] == -5.0f);
        }
      }
      free(a); free(b); free(c); free(a0); free(b0); free(xo); free(vo); free(cf); free(cw); free(xfb);
    }
}

static void test_layout(void **state)
{
  (void)state;
  long sizes[7] = { 10, 20, 30, 5, 5, 100, 7 };
  double w[7] = { 1, 1, 2, 1, 1, 1, 1 };
  struct wow_clouds cl;
  layout_clouds_init(&cl, 4, 3, 3, sizes, w, 6);
  assert_true(fabs(cl.weight[2] - 0.4) < 1e-15 && fabs(cl.weight[4] - 1.0 / 3) < 1e-15);
  assert_int_equal(cl.row0[2], 30);
  assert_int_equal(cl.row0[5], 5);
  assert_int_equal(cl.N, 65);
  assert_int_equal(cl.M, 112);
  assert_int_equal(cl.bsize[5], 6);
  assert_int_equal(cl.bsize[1], 20); /* sources are never batched */
  for (int P = 1; P <= 12; P++)
    for (int Pc = 1; Pc <= P; Pc++) {
      if (P % Pc) continue;
      struct wow_part p;
      layout_part_init(&p, &cl, 5, Pc, P / Pc);
      assert_int_equal(p.cloud0[0], 0);
      assert_int_equal(p.cloud0[Pc], 7);
      for (int q = 0; q < Pc; q++) {
        assert_true(p.cloud0[q + 1] >= p.cloud0[q]);
        if (Pc <= 7) assert_true(p.cloud0[q + 1] > p.cloud0[q]); /* no idle class group when avoidable */
      }
      assert_int_equal(p.dir0[P / Pc], 5);
      for (int q = 0; q < P / Pc; q++) assert_true(p.dir0[q + 1] >= p.dir0[q]);
      layout_part_free(&p);
    }
  for (int P = 1; P <= 64; P++) {
    int Pc = layout_auto_groups(&cl, 500, 0, P, NULL);
    assert_true(Pc >= 1 && P % Pc == 0 && Pc <= 7);
  }
  layout_clouds_free(&cl);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_kernel_values), cmocka_unit_test(test_kernel_derivatives), cmocka_unit_test(test_flow_rules),
    cmocka_unit_test(test_layout),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
