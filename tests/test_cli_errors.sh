#!/bin/sh
# test_cli_errors.sh ENV.SH -- every class of deck and command-line error ends with exit status 1,
# a "file:line: key 'section.key': reason" line on stderr, and nothing written.
. "$1"
W=$(workdir cli_errors)
cd "$W" || exit 1

# expect_fail NAME PATTERN COMMAND...: COMMAND must fail (not crash) and print PATTERN on stderr.
expect_fail() {
  name=$1 pattern=$2
  shift 2
  "$@" >out.txt 2>err.txt
  rc=$?
  [ "$rc" -eq 1 ] || { cat err.txt; fail "$name: exit status $rc, expected 1"; }
  grep -qF -- "$pattern" err.txt || { cat err.txt; fail "$name: stderr lacks '$pattern'"; }
  [ ! -d never-run ] || fail "$name: a run directory was created"
  echo "ok $name"
}

base='[run]
dir = never-run
steps = 3
[source]
kind = noise
[target]
kind = rings
'
printf '%s' "$base" > good.deck
"$WOWFLOW" --check-deck good.deck > check.txt || fail "check-deck on a good deck"
grep -q "deck good.deck is valid" check.txt || fail "check-deck did not confirm"
grep -q "run.steps *= 3 *\[deck line 3\]" check.txt || fail "check-deck does not show the value sources"
[ ! -d never-run ] || fail "--check-deck created the run directory"

for sub in "" run bench grad import compare; do # --help after any subcommand: the usage, status 0
  "$WOWFLOW" $sub --help > help.txt 2>&1 || { cat help.txt; fail "wowflow $sub --help: exit status $?"; }
  grep -q "^usage:" help.txt || fail "wowflow $sub --help: no usage"
done

printf '%sstep = 3\n' "$base" > unknown.deck
expect_fail unknown_key "unknown.deck:8: key 'target.step': unknown key" "$WOWFLOW" unknown.deck
printf '[run]\ndir = never-run\nsteps = 3\nstesp = 4\n[source]\nkind = noise\n[target]\nkind = rings\n' > typo.deck
expect_fail did_you_mean "typo.deck:4: key 'run.stesp': unknown key (did you mean 'run.steps'?)" "$WOWFLOW" typo.deck
printf '%s[run]\nsteps = 4\n' "$base" > dup.deck
expect_fail duplicate "dup.deck:9: key 'run.steps': duplicate key (first set on line 3)" "$WOWFLOW" dup.deck
printf '%s[sw]\nprojections = 50x\n' "$base" > junk.deck
expect_fail trailing_junk "junk.deck:9: key 'sw.projections': bad integer '50x'" "$WOWFLOW" junk.deck
printf '%s[step]\nlr = -1\n' "$base" > range.deck
expect_fail out_of_range "range.deck:9: key 'step.lr': value -1 out of range" "$WOWFLOW" range.deck
printf '%s[sw]\nestimator = quantil\n' "$base" > enum.deck
expect_fail bad_enum "enum.deck:9: key 'sw.estimator': bad value 'quantil': must be one of exact, quantile" "$WOWFLOW" enum.deck
printf '[run]\ndir = never-run\n[source]\nkind = noise\n[target]\nkind = rings\n' > missing.deck
expect_fail missing "missing.deck:1: key 'run.steps': required key is missing" "$WOWFLOW" missing.deck
printf '%s[step]\nlr 0.1\n' "$base" > malformed.deck
expect_fail malformed "malformed.deck:9: malformed line 'lr 0.1'" "$WOWFLOW" malformed.deck
# several errors: all listed, one line each
printf '[run]\ndir = never-run\nsteps = x\nfoo = 1\n[source]\nkind = blob\n[target]\nkind = rings\n' > many.deck
expect_fail many_errors "many.deck:3: key 'run.steps': bad integer 'x'" "$WOWFLOW" many.deck
grep -q "many.deck:4: key 'run.foo': unknown key" err.txt || fail "second error not listed"
grep -q "many.deck:6: key 'source.kind': bad value 'blob'" err.txt || fail "third error not listed"
grep -q "3 problems in deck many.deck" err.txt || fail "no summary line"
# -P overrides
expect_fail override_unknown "-P:1: key 'sw.projection': unknown key (did you mean 'sw.projections'?)" "$WOWFLOW" good.deck -P sw.projection=3
expect_fail override_bad "-P:2: key 'run.steps': bad integer 'ten'" "$WOWFLOW" good.deck -P sw.projections=3 -P run.steps=ten
# command line and files
expect_fail no_deck "command line: no deck given" "$WOWFLOW"
expect_fail bad_option "command line: unknown option '--frobnicate'" "$WOWFLOW" good.deck --frobnicate
expect_fail missing_deck "nothere.deck: cannot open deck" "$WOWFLOW" nothere.deck
# the same errors under MPI: one message (rank 0), exit non-zero, no hang
mpirun_n 2 "$WOWFLOW" typo.deck >out.txt 2>err.txt && fail "mpi: typo deck succeeded"
[ "$(grep -c "did you mean 'run.steps'" err.txt)" -eq 1 ] || { cat err.txt; fail "mpi: the error was not printed exactly once"; }
echo "ok mpi_single_message"
