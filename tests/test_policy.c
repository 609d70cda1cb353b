/* test_policy.c -- the checkpoint / stop policy with an injected clock, and wall-time parsing. */
#include <config.h>
#include "policy.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static void test_every_steps(void **state)
{
  (void)state;
  struct policy p = { .every_steps = 5 };
  struct policy_clock c = { .step = 4 };
  assert_int_equal(policy_decide(&p, &c, NULL), POLICY_CONTINUE);
  c.step = 5;
  assert_int_equal(policy_decide(&p, &c, NULL), POLICY_CHECKPOINT);
  c.step = 10;
  assert_int_equal(policy_decide(&p, &c, NULL), POLICY_CHECKPOINT);
  p.every_steps = 0;
  assert_int_equal(policy_decide(&p, &c, NULL), POLICY_CONTINUE);
}

static void test_every_seconds(void **state)
{
  (void)state;
  struct policy p = { .every_seconds = 600 };
  struct policy_clock c = { .step = 3, .now = 599, .last_checkpoint = 0 };
  assert_int_equal(policy_decide(&p, &c, NULL), POLICY_CONTINUE);
  c.now = 600;
  const char *why;
  assert_int_equal(policy_decide(&p, &c, &why), POLICY_CHECKPOINT);
  assert_string_equal(why, "checkpoint.every_minutes");
  c.last_checkpoint = 600;
  c.now = 1000;
  assert_int_equal(policy_decide(&p, &c, NULL), POLICY_CONTINUE);
}

static void test_walltime(void **state)
{
  (void)state;
  struct policy p = { .walltime = 100, .margin = 5 };
  struct policy_clock c = { .step = 1, .now = 80, .slowest_step = 10, .checkpoint_cost = 4 };
  assert_int_equal(policy_decide(&p, &c, NULL), POLICY_CONTINUE); /* 80 + 10 + 4 + 5 = 99 */
  c.now = 81.5;                                                    /* 100.5 > 100 */
  assert_int_equal(policy_decide(&p, &c, NULL), POLICY_CHECKPOINT_AND_STOP);
  c.now = 10;
  c.slowest_step = 200;                                            /* one slow step decides */
  assert_int_equal(policy_decide(&p, &c, NULL), POLICY_CHECKPOINT_AND_STOP);
  p.walltime = 0;                                                   /* no budget */
  assert_int_equal(policy_decide(&p, &c, NULL), POLICY_CONTINUE);
}

static void test_stop_request(void **state)
{
  (void)state;
  struct policy p = { 0 };
  struct policy_clock c = { .step = 7, .stop_requested = 1 };
  assert_int_equal(policy_decide(&p, &c, NULL), POLICY_CHECKPOINT_AND_STOP);
}

static void test_parse_walltime(void **state)
{
  (void)state;
  double s;
  assert_int_equal(policy_parse_walltime("", &s), 0);
  assert_true(s == 0);
  assert_int_equal(policy_parse_walltime("90", &s), 0);
  assert_true(s == 90);
  assert_int_equal(policy_parse_walltime("01:30", &s), 0);
  assert_true(s == 90);
  assert_int_equal(policy_parse_walltime("2:00:05", &s), 0);
  assert_true(s == 7205);
  assert_int_equal(policy_parse_walltime("1-00", &s), 0);
  assert_true(s == 86400);
  assert_int_equal(policy_parse_walltime("1-02:03", &s), 0);
  assert_true(s == 86400 + 7200 + 180);
  assert_int_equal(policy_parse_walltime("1-02:03:04", &s), 0);
  assert_true(s == 86400 + 7200 + 180 + 4);
  const char *bad[] = { "x", "1:", ":5", "1:2:3:4", "-5", "1-", "5s", "1.5", "UNLIMITED" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_int_equal(policy_parse_walltime(bad[i], &s), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_every_steps), cmocka_unit_test(test_every_seconds), cmocka_unit_test(test_walltime),
    cmocka_unit_test(test_stop_request), cmocka_unit_test(test_parse_walltime),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
