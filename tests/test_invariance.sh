#!/bin/sh
# test_invariance.sh ENV.SH -- input/tiny.deck for 20 steps on 1, 2, 3 and 4 ranks with different
# grids (4 = 1x4, 2x2, 4x1) gives the same F history and final particles to 1e-10 relative.
# Where the ranks of a class block share a node, the particles and gradient sit in shared
# memory (parallel.shared_memory): the same bits as with the collectives, and a full /dev/shm
# (WOWFLOW_FAULT=shared_memory_full, for all or for one class block) falls back to them with a note.
. "$1"
W=$(workdir invariance)
cd "$W" || exit 1
run() { # run NAME NP PC
  mpirun_n "$2" "$WOWFLOW" "$SRCDIR/input/tiny.deck" -P run.dir="$1" -P parallel.class_groups="$3" > "$1.txt" 2>&1 ||
    { cat "$1.txt"; fail "run $1 failed"; }
  grep -q "grid $(echo "$3" | sed 's/auto/[0-9]*/') class groups" "$1.txt" || { cat "$1.txt"; fail "$1: unexpected grid"; }
}
run ref 1 1
for c in "2 1" "2 2" "3 auto" "3 3" "4 1" "4 2" "4 4"; do
  set -- $c
  name="np$1_pc$2"
  run "$name" "$1" "$2"
  "$WOWFLOW" compare ref/final.h5 "$name/final.h5" --rtol 1e-10 > "$name.cmp" || { cat "$name.cmp"; fail "$name differs from 1 rank"; }
  echo "ok $name: $(grep particles "$name.cmp")"
done
# shared memory against the collectives: the same bits (two partials add the same in either order)
shm_used() { grep -q "gradient in shared memory" "$1" || { cat "$1"; fail "$2"; }; }
if [ -w /dev/shm ]; then
  shm_used np2_pc1.txt "2 ranks, grid 1 x 2: shared memory not used"
  shm_used np4_pc2.txt "4 ranks, grid 2 x 2: shared memory not used"
fi
mpirun_n 2 "$WOWFLOW" "$SRCDIR/input/tiny.deck" -P run.dir=coll -P parallel.class_groups=1 -P parallel.shared_memory=false > coll.txt 2>&1 ||
  { cat coll.txt; fail "run with parallel.shared_memory = false failed"; }
grep -q "gradient reduce-scattered" coll.txt || { cat coll.txt; fail "shared_memory = false: collectives not used"; }
"$WOWFLOW" compare coll/final.h5 np2_pc1/final.h5 --rtol 0 --atol 0 > coll.cmp || { cat coll.cmp; fail "shared memory differs from the collectives"; }
echo "ok shared memory = collectives, bit for bit"
WOWFLOW_FAULT=shared_memory_full mpirun_n 2 "$WOWFLOW" "$SRCDIR/input/tiny.deck" -P run.dir=full -P parallel.class_groups=1 > full.txt 2>&1 ||
  { cat full.txt; fail "a full /dev/shm ended the run"; }
if [ -w /dev/shm ]; then
  grep -q "note: shared memory not used (.*No space left" full.txt || { cat full.txt; fail "a full /dev/shm: no note"; }
fi
"$WOWFLOW" compare coll/final.h5 full/final.h5 --rtol 0 --atol 0 > full.cmp || { cat full.cmp; fail "the fallback differs"; }
# the second of two class blocks cannot have it (rank 2 is its first): the first keeps it
WOWFLOW_FAULT=shared_memory_full:2 mpirun_n 4 "$WOWFLOW" "$SRCDIR/input/tiny.deck" -P run.dir=half -P parallel.class_groups=2 > half.txt 2>&1 ||
  { cat half.txt; fail "a full /dev/shm for one class block ended the run"; }
if [ -w /dev/shm ]; then
  grep -q "note: shared memory in 1 of 2 class blocks; .*(reserving .*No space left" half.txt || { cat half.txt; fail "one block without shared memory: no note"; }
fi
"$WOWFLOW" compare np4_pc2/final.h5 half/final.h5 --rtol 0 --atol 0 > half.cmp || { cat half.cmp; fail "one block on the collectives differs"; }
echo "ok one of two class blocks without shared memory: the same bits"
[ -z "$(shm_orphans)" ] || fail "shared memory objects left behind: $(shm_orphans)"
echo "ok a full /dev/shm: $(grep -o 'note: shared memory not used[^:]*' full.txt)"
# a different seed must differ (the comparison can fail)
mpirun_n 1 "$WOWFLOW" "$SRCDIR/input/tiny.deck" -P run.dir=seed2 -P run.seed=8 > seed2.txt 2>&1 || fail "seed run failed"
if "$WOWFLOW" compare ref/final.h5 seed2/final.h5 --rtol 1e-10 > seed2.cmp; then fail "another seed gave the same result"; fi
echo "ok another seed differs"
