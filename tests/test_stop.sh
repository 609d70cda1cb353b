#!/bin/sh
# test_stop.sh ENV.SH -- SIGTERM, SIGUSR1, a STOP file and the wall-clock budget each make a run
# write a checkpoint and exit 0, saying so on its last line; the restart then ends exactly where an
# uninterrupted run ends (bitwise, same layout).
. "$1"
W=$(workdir stop)
cd "$W" || exit 1
D="$SRCDIR/input/gaussians.deck"
stop_and_restart() { # NAME HOW
  name=$1 how=$2
  mpirun_n 2 "$WOWFLOW" "$D" -P run.dir="$name" -P run.steps=1000000 -P output.every=1 > "$name.txt" 2>&1 &
  pid=$!
  wait_lines "$name/progress.tsv" 12
  case $how in
    TERM|USR1) signal_run "$how" "$name" ;;
    STOP) touch "$name/STOP" ;;
  esac
  wait $pid || { cat "$name.txt"; fail "$name: exit status $? after the stop request"; }
  tail -n 1 "$name.txt" | grep -q "stopped for restart: run again with --restart latest" || { tail -3 "$name.txt"; fail "$name: last line does not say it stopped"; }
  [ ! -e "$name/STOP" ] || fail "$name: STOP file left behind"
  step=$(sed -n 's/^\([0-9]*\) .*/\1/p' "$name/checkpoints.log" | tail -n 1)
  [ -n "$step" ] && [ "$step" -gt 0 ] || fail "$name: no checkpoint"
  end=$((step + 6))
  mpirun_n 2 "$WOWFLOW" "$D" -P run.dir="$name" -P run.steps=$end --restart latest > "$name.2.txt" 2>&1 || { cat "$name.2.txt"; fail "$name: restart failed"; }
  mpirun_n 2 "$WOWFLOW" "$D" -P run.dir="$name-ref" -P run.steps=$end > "$name.ref.txt" 2>&1 || fail "$name: reference run failed"
  "$WOWFLOW" compare "$name-ref/final.h5" "$name/final.h5" --rtol 0 > "$name.cmp" || { cat "$name.cmp"; fail "$name: restart differs from an uninterrupted run"; }
  echo "ok $name: stopped at step $step, restarted to $end, bitwise equal"
}
stop_and_restart sigterm TERM
stop_and_restart sigusr1 USR1
stop_and_restart stopfile STOP
# wall-clock budget: 3 s of a 1000000-step run
mpirun_n 2 "$WOWFLOW" "$D" -P run.dir=walltime -P run.steps=1000000 -P run.walltime=00:03 -P output.every=100 > walltime.txt 2>&1 ||
  { cat walltime.txt; fail "walltime: exit status $?"; }
grep -q "the next step would pass the wall-clock budget" walltime.txt || fail "walltime: no reason given"
tail -n 1 walltime.txt | grep -q "stopped for restart" || fail "walltime: last line"
[ -n "$(ls walltime/checkpoints)" ] || fail "walltime: no checkpoint"
echo "ok walltime"
