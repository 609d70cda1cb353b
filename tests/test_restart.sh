#!/bin/sh
# test_restart.sh ENV.SH -- N steps equal N/2 steps + checkpoint + restart + N/2 steps: bitwise on
# the same layout (double and single precision; classes or directions split), to 1e-10 on 1 -> 3,
# 4 -> 2 and 1 x 3 -> 1 x 2 ranks; progress.tsv and the
# loss history are appended; incompatible decks and impossible restarts are refused with a one-line reason.
. "$1"
W=$(workdir restart)
cd "$W" || exit 1
D="$SRCDIR/input/tiny.deck"
run() { # run NP DIR ARGS...
  np=$1 dir=$2
  shift 2
  mpirun_n "$np" "$WOWFLOW" "$D" -P run.dir="$dir" "$@" > "$dir.txt" 2>&1 || { cat "$dir.txt"; fail "run $dir failed"; }
}
same() { # same A B RTOL
  "$WOWFLOW" compare "$1/final.h5" "$2/final.h5" --rtol "$3" > cmp.txt || { cat cmp.txt; fail "$2 differs from $1 (rtol $3)"; }
  echo "ok $2 = $1 (rtol $3): $(grep particles cmp.txt)"
}
run 2 full2
run 1 full1
# same layout: 10 + 10 on 2 ranks, bitwise
run 2 half2 -P run.steps=10
run 2 half2 --restart latest
same full2 half2 0
grep -q "# restart from half2/checkpoints/ckpt_00000010.h5 at step 10" half2/progress.tsv || fail "progress.tsv does not record the restart"
[ "$(grep -c '^# step' half2/progress.tsv)" -eq 1 ] || fail "progress.tsv header written twice"
grep -q "^19	" half2/progress.tsv && grep -q "^0	" half2/progress.tsv || fail "progress.tsv lost lines across the restart"
# directions split over 3 ranks (1 x 3: each rank updates its share of the rows, and a checkpoint
# gathers the shares of the velocity): bitwise on the same layout, and on to 1 x 2
run 3 dfull -P parallel.class_groups=1
grep -q "grid 1 x 3" dfull.txt || fail "dfull did not run on the 1 x 3 grid"
run 3 dhalf -P parallel.class_groups=1 -P run.steps=10
run 3 dhalf -P parallel.class_groups=1 --restart latest
same dfull dhalf 0
run 3 d32 -P parallel.class_groups=1 -P run.steps=10
run 2 d32 -P parallel.class_groups=1 --restart latest
same dfull d32 1e-10
# parallel.shares = false (every rank updates all rows, the gradient all-reduced): the same flow
run 3 dall -P parallel.class_groups=1 -P parallel.shares=false
same dfull dall 1e-12
# single precision (GEMMs in float): restarts are as exact
run 2 sfull -P run.precision=single
run 2 shalf -P run.precision=single -P run.steps=10
run 2 shalf -P run.precision=single --restart latest
same sfull shalf 0
"$WOWFLOW" compare full2/final.h5 sfull/final.h5 --rtol 1e-4 > cmp.txt || { cat cmp.txt; fail "single precision far from double"; }
echo "ok single vs double: $(grep particles cmp.txt)"
# 1 -> 3 and 4 -> 2 ranks
run 1 r13 -P run.steps=10
run 3 r13 --restart latest
same full1 r13 1e-10
run 4 r42 -P run.steps=10 -P parallel.class_groups=2
run 2 r42 --restart latest
same full1 r42 1e-10
# from an explicit file, with checkpoints every 4 steps (keep 2)
run 2 every -P checkpoint.every_steps=4
ls every/checkpoints > list.txt
[ "$(cat list.txt | tr '\n' ' ')" = "ckpt_00000016.h5 ckpt_00000020.h5 " ] || { cat list.txt; fail "checkpoint.keep = 2 not honoured"; }
[ "$(wc -l < every/checkpoints.log)" -eq 5 ] || fail "checkpoints.log should list 5 checkpoints"
cp -r every fromfile
run 2 fromfile --restart fromfile/checkpoints/ckpt_00000016.h5
same full2 fromfile 0
# a restart may add steps to a finished run (its end checkpoint)
run 2 extend -P run.steps=15
run 2 extend --restart latest
same full2 extend 0
# a checkpoint of an older build (no directions_generator attribute) restarts, with a warning
cp -r every oldbuild
"$PYTHON3" -c "import h5py, sys; f = h5py.File(sys.argv[1], 'r+'); del f.attrs['directions_generator']" oldbuild/checkpoints/ckpt_00000016.h5 ||
  fail "could not strip directions_generator"
run 2 oldbuild --restart oldbuild/checkpoints/ckpt_00000016.h5
grep -q "written with direction generator 1, this build draws with [0-9]" oldbuild.txt || { cat oldbuild.txt; fail "no warning for an older generator"; }
"$WOWFLOW" compare full2/final.h5 oldbuild/final.h5 --rtol 0 > cmp.txt || fail "the older-generator restart should still continue the same run"
# refusals
expect_refusal() { # NAME PATTERN ARGS...
  name=$1 pattern=$2
  shift 2
  mpirun_n 2 "$WOWFLOW" "$D" "$@" > ref.txt 2>&1 && fail "$name: restart succeeded"
  grep -qF -- "$pattern" ref.txt || { cat ref.txt; fail "$name: no '$pattern'"; }
  echo "ok refused: $name"
}
expect_refusal immutable "key 'kernel.name' may not change on restart (checkpoint: 'riesz', deck: 'gaussian')" \
  -P run.dir=every -P kernel.name=gaussian --restart every/checkpoints/ckpt_00000020.h5
expect_refusal beyond "it is at step 20, beyond run.steps = 12" -P run.dir=every -P run.steps=12 --restart every/checkpoints/ckpt_00000020.h5
expect_refusal none "--restart latest: no checkpoint in 'empty/checkpoints'" -P run.dir=empty --restart latest
expect_refusal missing "--restart nothere.h5: refused: cannot open it as HDF5" -P run.dir=every --restart nothere.h5
