#!/bin/sh
# test_kill.sh ENV.SH -- kill -9 at several moments, and during a checkpoint write: the newest
# complete checkpoint is intact, at most one checkpoint interval is lost, and the restart ends
# bitwise where an uninterrupted run ends.
. "$1"
W=$(workdir kill)
cd "$W" || exit 1
D="$SRCDIR/input/gaussians.deck"
EVERY=5
for lines in 9 23 41; do
  name="kill$lines"
  mpirun_n 2 "$WOWFLOW" "$D" -P run.dir="$name" -P run.steps=1000000 -P output.every=1 -P checkpoint.every_steps=$EVERY > "$name.txt" 2>&1 &
  pid=$!
  wait_lines "$name/progress.tsv" $lines
  signal_run KILL "$name"
  wait $pid && fail "$name: the run survived kill -9"
  reached=$(($(tail -n 1 "$name/progress.tsv" | cut -f1) + 1)) # state after the last logged update
  step=$(ls "$name/checkpoints" | sed -n 's/^ckpt_0*\([0-9][0-9]*\)\.h5$/\1/p' | sort -n | tail -n 1)
  [ -n "$step" ] || fail "$name: no complete checkpoint"
  [ $((reached - step)) -le $EVERY ] || fail "$name: lost $((reached - step)) steps, more than one interval ($EVERY)"
  end=$((reached + 4))
  mpirun_n 2 "$WOWFLOW" "$D" -P run.dir="$name" -P run.steps=$end --restart latest > "$name.2.txt" 2>&1 || { cat "$name.2.txt"; fail "$name: restart failed"; }
  mpirun_n 2 "$WOWFLOW" "$D" -P run.dir="$name-ref" -P run.steps=$end > /dev/null 2>&1 || fail "$name: reference failed"
  "$WOWFLOW" compare "$name-ref/final.h5" "$name/final.h5" --rtol 0 > "$name.cmp" || { cat "$name.cmp"; fail "$name: differs from an uninterrupted run"; }
  echo "ok $name: killed at step $reached, newest checkpoint $step, restart bitwise equal"
done
# killed in the middle of writing the checkpoint of step 10 (rank 0 dies by SIGKILL mid-write)
WOWFLOW_FAULT=kill_in_checkpoint:10 mpirun_n 2 "$WOWFLOW" "$D" -P run.dir=midwrite -P run.steps=40 -P checkpoint.every_steps=$EVERY > midwrite.txt 2>&1 &&
  fail "midwrite: the run survived"
[ -e midwrite/checkpoints/ckpt_00000010.h5.tmp ] || { ls midwrite/checkpoints; fail "midwrite: no partial .tmp file (the fault did not hit the write)"; }
[ ! -e midwrite/checkpoints/ckpt_00000010.h5 ] || fail "midwrite: a partial checkpoint got the final name"
mpirun_n 2 "$WOWFLOW" "$D" -P run.dir=midwrite -P run.steps=40 -P checkpoint.every_steps=$EVERY --restart latest > midwrite.2.txt 2>&1 ||
  { cat midwrite.2.txt; fail "midwrite: restart failed"; }
grep -q "restarted from midwrite/checkpoints/ckpt_00000005.h5 at step 5" midwrite.2.txt || fail "midwrite: did not restart from step 5"
mpirun_n 2 "$WOWFLOW" "$D" -P run.dir=midwrite-ref -P run.steps=40 > /dev/null 2>&1 || fail "midwrite: reference failed"
"$WOWFLOW" compare midwrite-ref/final.h5 midwrite/final.h5 --rtol 0 > midwrite.cmp || { cat midwrite.cmp; fail "midwrite: differs"; }
[ ! -e midwrite/checkpoints/ckpt_00000010.h5.tmp ] || fail "midwrite: the stale .tmp was not cleaned up"
echo "ok killed during a checkpoint write: restarted from step 5, bitwise equal"
# one rank (not rank 0) killed in the middle of the collectives: the job ends (no hang) with a
# non-zero status, and the checkpoints are intact
mpirun_n 2 "$WOWFLOW" "$D" -P run.dir=rankdead -P run.steps=1000000 -P output.every=1 -P checkpoint.every_steps=$EVERY > rankdead.txt 2>&1 &
pid=$!
wait_lines rankdead/progress.tsv 15
victim=""
for p in $(pgrep -x wowflow); do
  tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q "run.dir=rankdead " && victim=$p
done
[ -n "$victim" ] || fail "rankdead: no process found"
kill -9 "$victim"
i=0
while kill -0 $pid 2>/dev/null; do i=$((i + 1)); [ $i -lt 300 ] || { signal_run KILL rankdead; fail "rankdead: the job hung after a rank died"; }; sleep 0.1; done
wait $pid && fail "rankdead: the job reported success"
mpirun_n 2 "$WOWFLOW" "$D" -P run.dir=rankdead -P run.steps=40 --restart latest > rankdead.2.txt 2>&1 || { cat rankdead.2.txt; fail "rankdead: restart"; }
echo "ok a rank killed mid-run: the job ended in $((i / 10)) s, the restart works"

# a writer killed inside Open MPI's MPI-IO "sm" shared-file-pointer component leaves its named
# semaphore (/dev/shm/sem.OMPIO_<file name>) locked: a later run writing a file of that name must
# not hang (wowflow switches that component off; comm_init)
sem=/dev/shm/sem.OMPIO_stale_sem.h5.tmp
trap 'rm -f "$sem"' EXIT
"$PYTHON3" -c "import _multiprocessing; _multiprocessing.SemLock(1, 0, 1, '/OMPIO_stale_sem.h5.tmp', False)" || fail "staleness: could not create a locked semaphore"
[ -e "$sem" ] || fail "staleness: no $sem"
mpirun_n 2 "$WOWFLOW" "$D" -P run.dir=stale -P run.steps=6 -P output.file=stale_sem.h5 > stale.txt 2>&1 &
pid=$!
i=0
while kill -0 $pid 2>/dev/null; do i=$((i + 1)); [ $i -lt 600 ] || { signal_run KILL stale; fail "staleness: the run hung on the stale semaphore"; }; sleep 0.1; done
wait $pid || { cat stale.txt; fail "staleness: the run failed"; }
[ -s stale/stale_sem.h5 ] || fail "staleness: no output"
echo "ok a stale locked OMPIO semaphore of the output's name: the run ends and writes it"
# the killed 2-rank runs kept their particles in shared memory: nothing of theirs is left in /dev/shm
[ -z "$(shm_orphans)" ] || fail "shared memory objects left behind by killed runs: $(shm_orphans)"
echo "ok no shared memory left behind"
