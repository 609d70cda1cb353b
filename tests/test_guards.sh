#!/bin/sh
# test_guards.sh ENV.SH -- numerical guards: a NaN in the particles stops the run with a message
# naming the step and the newest (good) checkpoint, which stays intact and restarts to the same
# result as an uninterrupted run; a step size that makes F grow is reported.
. "$1"
W=$(workdir guards)
cd "$W" || exit 1
D="$SRCDIR/input/tiny.deck"
# (both rules: the step is out of place, and euler keeps the velocity where momentum swaps it; and
# on 3 direction groups (grid 1 x 3), where each rank updates its share of the rows and the
# rollback's checkpoint gathers the velocity; and in single precision on one rank)
for case in "momentum 2" "euler 2" "momentum 3 1" "momentum 1 - single"; do
  set -- $case
  rule=$1 np=$2 tag=$1_$2
  G=""
  [ $# -gt 2 ] && [ "$3" != - ] && G="-P parallel.class_groups=$3"
  [ $# -gt 3 ] && G="$G -P run.precision=$4" && tag=${tag}_$4
  WOWFLOW_FAULT=nan_at_step:12 mpirun_n "$np" "$WOWFLOW" "$D" -P run.dir=nan_$tag -P step.rule=$rule $G -P checkpoint.every_steps=5 > nan.txt 2>&1 &&
    fail "the NaN run succeeded ($case)"
  grep -q "wowflow: error: step 12: F or its gradient is not finite (NaN or Inf): the flow diverged with step.lr = 0.05; the newest checkpoint (step 11) is from before it" nan.txt ||
    { cat nan.txt; fail "no clear message for the NaN ($case)"; }
  # the last good state (step 11) is written; the earlier checkpoint (step 10) is kept too
  [ "$(ls nan_$tag/checkpoints | tr '\n' ' ')" = "ckpt_00000010.h5 ckpt_00000011.h5 " ] || { ls nan_$tag/checkpoints; fail "checkpoints after the NaN ($case)"; }
  mpirun_n "$np" "$WOWFLOW" "$D" -P run.dir=nan_$tag -P step.rule=$rule $G --restart latest > restart.txt 2>&1 || { cat restart.txt; fail "restart after the NaN ($case)"; }
  mpirun_n "$np" "$WOWFLOW" "$D" -P run.dir=ref_$tag -P step.rule=$rule $G > ref.txt 2>&1 || fail "reference ($case)"
  "$WOWFLOW" compare ref_$tag/final.h5 nan_$tag/final.h5 --rtol 0 > cmp.txt || { cat cmp.txt; fail "the restart differs ($case)"; }
  echo "ok NaN ($case): stopped at step 12, the last good state (step 11) checkpointed, restart equal"
done
# d = 2 with many directions: the sorts re-sort from the previous direction's order (the angular
# sweep), which must report the NaN as the full sorts do
WOWFLOW_FAULT=nan_at_step:4 mpirun_n 1 "$WOWFLOW" "$SRCDIR/input/rings.deck" -P run.dir=nan_rings -P run.steps=8 > nan.txt 2>&1 &&
  fail "the NaN run succeeded (rings)"
grep -q "each sort from the previous direction's order" nan.txt || { cat nan.txt; fail "the rings run did not use the angular sweep"; }
grep -q "wowflow: error: step 4: F or its gradient is not finite" nan.txt || { cat nan.txt; fail "no clear message for the NaN (rings)"; }
echo "ok NaN (rings, angular sweep): stopped at step 4"
mpirun_n 1 "$WOWFLOW" "$SRCDIR/input/rings.deck" -P run.dir=grow -P step.rule=euler -P step.lr=3 -P run.steps=60 -P output.every=1 > grow.txt 2>&1 ||
  { cat grow.txt; fail "growth run"; }
grep -q "warning: F has grown over the last 5 progress lines .*: step.lr = 3 may be too large" grow.txt || { grep step grow.txt | tail; fail "no warning about a growing F"; }
[ "$(grep -c 'warning: F has grown' grow.txt)" -eq 1 ] || fail "the growth warning should appear once"
mpirun_n 1 "$WOWFLOW" "$SRCDIR/input/rings.deck" -P run.dir=calm -P run.steps=60 -P output.every=1 > calm.txt 2>&1 || fail "calm run"
! grep -q "warning: F has grown" calm.txt || fail "a warning for a converging flow"
echo "ok growth warning"
