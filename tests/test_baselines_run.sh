#!/bin/sh
# test_baselines_run.sh ENV.SH -- the baselines through the program (flow.method = mmd_product with
# direct and sliced sums, otdd): F decreases; N steps equal N/2 steps + restart + N/2 steps bitwise
# on the same layout (particles, labels, F history and the label embedding); 1 and 3 ranks agree
# to 1e-10; the method may not change on restart; deck rules give one-line errors.
. "$1"
W=$(workdir baselines)
cd "$W" || exit 1
D="$SRCDIR/input/tiny.deck"
B="-P target.batch=0 -P baseline.h=1 -P baseline.h_mean=1 -P baseline.h_cov=1 -P run.steps=16"
run() { # run NP DIR ARGS...
  np=$1 dir=$2
  shift 2
  mpirun_n "$np" "$WOWFLOW" "$D" $B -P run.dir="$dir" "$@" > "$dir.txt" 2>&1 || { cat "$dir.txt"; fail "run $dir failed"; }
}
same() { # same A B RTOL
  "$WOWFLOW" compare "$1/final.h5" "$2/final.h5" --rtol "$3" > cmp.txt || { cat cmp.txt; fail "$2 differs from $1 (rtol $3)"; }
  grep -q "/flow/embedding" cmp.txt || fail "compare did not look at the embedding"
  echo "ok $2 = $1 (rtol $3)"
}
decreases() { # the done line: F x -> y (ratio r) with r > 1
  ratio=$(sed -n 's/.*(ratio \([0-9.e+-]*\)).*/\1/p' "$1.txt" | tail -1)
  awk -v r="$ratio" 'BEGIN { exit !(r > 1) }' || { cat "$1.txt"; fail "$1: F did not decrease (ratio $ratio)"; }
  echo "ok $1: F ratio $ratio"
}
for m in direct sliced otdd; do
  case $m in
    otdd) A="-P flow.method=otdd -P step.rule=adamw -P step.lr=0.05" ;;
    *) A="-P flow.method=mmd_product -P baseline.sums=$m -P sw.projections=24 -P step.lr=1" ;;
  esac
  run 2 "$m-full" $A
  decreases "$m-full"
  run 2 "$m-half" $A -P run.steps=8
  run 2 "$m-half" $A --restart latest
  same "$m-full" "$m-half" 0
  run 1 "$m-one" $A
  run 3 "$m-three" $A
  same "$m-one" "$m-three" 1e-10
  "$H5DUMP" -A -a /flow/method "$m-full/final.h5" | grep -q "\"$( [ $m = otdd ] && echo otdd || echo mmd_product )\"" || fail "$m: /flow method attribute"
done
# refusals and deck rules
mpirun_n 2 "$WOWFLOW" "$D" $B -P run.dir=direct-full -P sw.projections=24 -P flow.method=otdd -P step.rule=adamw --restart latest > ref.txt 2>&1 && fail "method change on restart accepted"
grep -qF "key 'flow.method' may not change on restart (checkpoint: 'mmd_product', deck: 'otdd')" ref.txt || { cat ref.txt; fail "no method-change refusal"; }
"$WOWFLOW" "$D" $B -P flow.method=otdd --check-deck > deck.txt 2>&1 && fail "otdd with euler accepted"
grep -q "key 'step.rule': flow.method = otdd is optimised by adamw" deck.txt || { cat deck.txt; fail "no step.rule error"; }
"$WOWFLOW" "$D" -P flow.method=mmd_product --check-deck > deck.txt 2>&1 && fail "baseline with target minibatches accepted"
grep -q "tiny.deck:28: key 'target.batch'" deck.txt || { cat deck.txt; fail "no target.batch error with its line"; }
echo "baselines: all checks passed"
