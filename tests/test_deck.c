/* test_deck.c -- the deck parser: good decks, every error class with its "file:line: key" line,
 * -P overrides, the cross-key rules, serialisation and the reference deck. */
#include <config.h>
#include "deck.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static const char *good =
  "# comment\n"
  "[run]\n"
  "steps = 20   # inline comment\n"
  "dir = out\n"
  "[source]\n"
  "kind = gaussians\n"
  "classes = 2\n"
  "n = 10, 12\n"
  "[target]\n"
  "kind = noise\n"
  "classes = 3\n"
  "[kernel]\n"
  "name = gaussian\n"
  "h = 0.5\n";

static int load(const char *text, char **ov, int nov, struct deck *dk, struct deck_errors *errs)
{
  size_t nk;
  const struct deck_key *schema = deck_schema(&nk);
  memset(errs, 0, sizeof *errs);
  return deck_load(dk, schema, nk, "t.deck", text, ov, nov, errs);
}

/* The deck must fail with exactly one error line that contains `want`. */
static void expect_error(const char *text, char **ov, int nov, const char *want)
{
  struct deck dk;
  struct deck_errors errs;
  int n = load(text, ov, nov, &dk, &errs);
  if (n < 1 || !strstr(errs.line[0], want)) {
    print_error("wanted an error containing \"%s\", got %d error(s): %s\n", want, n, n ? errs.line[0] : "");
    fail();
  }
  deck_errors_free(&errs);
  deck_free(&dk);
}

static void test_good_deck(void **state)
{
  (void)state;
  struct deck dk;
  struct deck_errors errs;
  assert_int_equal(load(good, NULL, 0, &dk, &errs), 0);
  assert_int_equal(deck_int(&dk, "run.steps"), 20);
  assert_string_equal(deck_str(&dk, "run.dir"), "out");
  assert_int_equal(deck_list_len(&dk, "source.n"), 2);
  assert_true(deck_list_real(&dk, "source.n", 1) == 12.0);
  assert_true(deck_real(&dk, "kernel.h") == 0.5);
  assert_int_equal(deck_enum(&dk, "kernel.name"), 1);
  assert_int_equal(deck_int(&dk, "sw.projections"), 500); /* default */
  assert_true(deck_is_auto(&dk, "parallel.class_groups"));
  int i = deck_key_index(&dk, "run.steps");
  assert_int_equal(dk.src[i], DECK_SRC_FILE);
  assert_int_equal(dk.line[i], 3);
  char *text = deck_resolved_text(&dk);
  assert_non_null(strstr(text, "steps            = 20                       # deck line 3"));
  assert_non_null(strstr(text, "projections      = 500                      # default"));
  free(text);
  deck_free(&dk);
}

static void test_unknown_key(void **state)
{
  (void)state;
  expect_error("[run]\nsteps = 1\nstep = 3\n[source]\nkind=noise\n[target]\nkind=noise\n",
               NULL, 0, "t.deck:3: key 'run.step': unknown key (did you mean 'run.steps'?)");
  expect_error("[run]\nsteps = 1\n[source]\nkind=noise\nprojections = 3\n[target]\nkind=noise\n",
               NULL, 0, "t.deck:5: key 'source.projections': unknown key (did you mean 'sw.projections'?)");
  expect_error("[rn]\nsteps = 1\n", NULL, 0, "t.deck:1: section [rn]: unknown section (did you mean [run]?)");
}

static void test_duplicate(void **state)
{
  (void)state;
  expect_error("[run]\nsteps = 1\nsteps = 2\n[source]\nkind=noise\n[target]\nkind=noise\n", NULL, 0,
               "t.deck:3: key 'run.steps': duplicate key (first set on line 2)");
}

/* Each case: the deck's head (the source and target sections follow) and the expected error. */
struct deck_case {
  const char *head, *want;
};

static void expect_cases(const struct deck_case *cases, size_t n)
{
  const char *tail = "\n[source]\nkind=noise\n[target]\nkind=noise\n";
  for (size_t i = 0; i < n; i++) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s%s", cases[i].head, tail);
    expect_error(buf, NULL, 0, cases[i].want);
  }
}

static void test_bad_numbers(void **state)
{
  (void)state;
  static const struct deck_case cases[] = {
    { "[run]\nsteps = 12abc", "t.deck:2: key 'run.steps': bad integer '12abc'" },
    { "[run]\nsteps = 99999999999999999999999", "t.deck:2: key 'run.steps': integer '99999999999999999999999' overflows" },
    { "[run]\nsteps = 1\n[step]\nlr = 1e999", "t.deck:4: key 'step.lr': number '1e999' overflows a double" },
    { "[run]\nsteps = 1\n[step]\nlr = nan", "t.deck:4: key 'step.lr': number 'nan' is not finite" },
    { "[run]\nsteps = 1\n[step]\nlr = 0.1.2", "t.deck:4: key 'step.lr': bad number '0.1.2'" },
    { "[run]\nsteps = 1\n[step]\nlr =", "t.deck:4: key 'step.lr': empty value" },
  };
  expect_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_range_and_enum(void **state)
{
  (void)state;
  static const struct deck_case cases[] = {
    { "[run]\nsteps = -1", "t.deck:2: key 'run.steps': value -1 out of range" },
    { "[run]\nsteps = 1\n[step]\nlr = 0", "t.deck:4: key 'step.lr': value 0 out of range: must be greater than 0" },
    { "[run]\nsteps = 1\n[kernel]\nname = rietz", "t.deck:4: key 'kernel.name': bad value 'rietz': must be one of riesz, gaussian, laplace, imq" },
    { "[run]\nsteps = 1\n[step]\nmomentum = 1", "t.deck:4: key 'step.momentum': must be below 1" },
  };
  expect_cases(cases, sizeof cases / sizeof cases[0]);
}

static void test_missing_and_malformed(void **state)
{
  (void)state;
  expect_error("[run]\ndir = x\n[source]\nkind=noise\n[target]\nkind=noise\n", NULL, 0,
               "t.deck:1: key 'run.steps': required key is missing");
  expect_error("[run]\nsteps 5\n", NULL, 0, "t.deck:2: malformed line 'steps 5'");
  expect_error("steps = 5\n", NULL, 0, "t.deck:1: key 'steps': outside any [section]");
}

static void test_all_errors_listed(void **state)
{
  (void)state;
  struct deck dk;
  struct deck_errors errs;
  int n = load("[run]\nsteps = x\nfoo = 1\n[source]\nkind = blob\n[target]\nkind=noise\n", NULL, 0, &dk, &errs);
  assert_int_equal(n, 3); /* bad integer, unknown key, bad enum; a key with a bad value is not also "missing" */
  deck_errors_free(&errs);
  deck_free(&dk);
}

static void test_overrides(void **state)
{
  (void)state;
  struct deck dk;
  struct deck_errors errs;
  char *ov[] = { "run.steps=7", "sw.projections = 9", "run.steps=8" };
  assert_int_equal(load(good, ov, 3, &dk, &errs), 0);
  assert_int_equal(deck_int(&dk, "run.steps"), 8); /* the last -P wins */
  assert_int_equal(deck_int(&dk, "sw.projections"), 9);
  assert_int_equal(dk.src[deck_key_index(&dk, "sw.projections")], DECK_SRC_OVERRIDE);
  deck_free(&dk);
  char *bad1[] = { "run.stesp=3" };
  expect_error(good, bad1, 1, "-P:1: key 'run.stesp': unknown key (did you mean 'run.steps'?)");
  char *bad2[] = { "sw.projections=0" };
  expect_error(good, bad2, 1, "-P:1: key 'sw.projections': value 0 out of range");
  char *bad3[] = { "noequals" };
  expect_error(good, bad3, 1, "-P:1: malformed override 'noequals'");
}

static void test_rules(void **state)
{
  (void)state;
  expect_error("[run]\nsteps = 1\n[source]\nkind = file\n[target]\nkind=noise\n", NULL, 0,
               "t.deck:0: key 'source.file': required when source.kind = file");
  expect_error("[run]\nsteps = 1\n[source]\nkind = noise\nclasses = 3\nn = 4, 5\n[target]\nkind=noise\n", NULL, 0,
               "t.deck:6: key 'source.n': has 2 values but there are 3 classes");
  expect_error("[run]\nsteps = 1\n[source]\nkind = noise\ndim = 3\n[target]\nkind=noise\n", NULL, 0,
               "t.deck:5: key 'source.dim': source dimension 3 differs from target dimension 2");
  expect_error("[run]\nsteps = 1\n[source]\nkind = noise\nweights = 1, x\n[target]\nkind=noise\n", NULL, 0,
               "t.deck:5: key 'source.weights': bad number 'x'");
}

static void test_serialise(void **state)
{
  (void)state;
  struct deck dk, back;
  struct deck_errors errs;
  char *ov[] = { "run.seed=5" };
  assert_int_equal(load(good, ov, 1, &dk, &errs), 0);
  size_t len, nk;
  char *buf = deck_serialise(&dk, &len);
  const struct deck_key *schema = deck_schema(&nk);
  deck_deserialise(&back, schema, nk, buf, len);
  for (size_t i = 0; i < dk.nkeys; i++) {
    assert_string_equal(dk.value[i], back.value[i]);
    assert_int_equal(dk.src[i], back.src[i]);
    assert_int_equal(dk.line[i], back.line[i]);
  }
  assert_string_equal(dk.text, back.text);
  assert_string_equal(dk.overrides, back.overrides);
  free(buf);
  deck_free(&dk);
  deck_free(&back);
}

static void test_reference_deck_parses(void **state)
{
  (void)state;
  size_t nk;
  const struct deck_key *schema = deck_schema(&nk);
  char *ref = deck_reference_text(schema, nk);
  /* The reference deck leaves the required keys commented out: give them values and it must load. */
  size_t n = strlen(ref) + 200;
  char *text = calloc(1, n);
  for (char *line = strtok(ref, "\n"); line; line = strtok(NULL, "\n")) {
    if (strstr(line, " = ...   (required)")) {
      assert_true(strncmp(line, "# steps", 7) == 0 || strncmp(line, "# kind", 6) == 0);
      strcat(text, line[2] == 's' ? "steps = 1\n" : "kind = noise\n");
    } else {
      strcat(text, line);
      strcat(text, "\n");
    }
  }
  struct deck dk;
  struct deck_errors errs;
  int errors = load(text, NULL, 0, &dk, &errs);
  for (int i = 0; i < errs.n; i++) print_error("%s\n", errs.line[i]);
  assert_int_equal(errors, 0);
  deck_errors_free(&errs);
  deck_free(&dk);
  free(text);
  free(ref);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_good_deck), cmocka_unit_test(test_unknown_key), cmocka_unit_test(test_duplicate),
    cmocka_unit_test(test_bad_numbers), cmocka_unit_test(test_range_and_enum), cmocka_unit_test(test_missing_and_malformed),
    cmocka_unit_test(test_all_errors_listed), cmocka_unit_test(test_overrides), cmocka_unit_test(test_rules),
    cmocka_unit_test(test_serialise), cmocka_unit_test(test_reference_deck_parses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
