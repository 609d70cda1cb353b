#!/bin/bash
# test_slurm.sh ENV.SH -- the job templates on a real Slurm cluster (label slurm; exit 77 = skipped
# when no cluster answers; .ci/run starts one with ../shared/tools/slurm-local.sh):
#   a 2-rank run job equals the mpirun result; a 3-row sweep gives 3 run directories and a
#   3-row gather table; a failing row is flagged and the others still reported; a chain whose
#   links are shorter than the run takes >= 2 links and ends bitwise where an uninterrupted run
#   ends; USR1 to a link's batch shell makes the run checkpoint and the chain go on; the scaling
#   job writes the model's table from its own measurements.
# Every wait is bounded.
. "$1"
command -v sbatch > /dev/null && timeout 10 sinfo -h > /dev/null 2>&1 || { echo "no Slurm cluster answers: skipped"; exit 77; }
W=$(workdir slurm)
cd "$W" || exit 1
export WOW_HOME=$SRCDIR WOWFLOW PYTHON3
JOBS=$SRCDIR/jobs

# wait_jobs ID...: until none is queued or running (at most 240 s)
wait_jobs() {
  for i in $(seq 480); do
    [ -z "$(squeue -h -j "$(echo "$@" | tr ' ' ',')" 2>/dev/null)" ] && return 0
    sleep 0.5
  done
  squeue; fail "jobs $* still queued or running after 240 s"
}
job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }

# 1. one run job on 2 ranks = mpirun on 2 ranks
out=$("$JOBS/submit" run "$SRCDIR/input/tiny.deck" slurm-run -n 2 -t 5) || fail "submit run"
id=$(echo "$out" | sed -n 's/^run job \([0-9]*\).*/\1/p')
wait_jobs "$id"
[ "$(job_state "$id")" = COMPLETED ] || { cat wowflow-*.out; fail "run job $id: $(job_state "$id")"; }
mpirun_n 2 "$WOWFLOW" "$SRCDIR/input/tiny.deck" -P run.dir=mpirun-run > mpirun.txt 2>&1 || fail "mpirun reference"
"$WOWFLOW" compare mpirun-run/final.h5 slurm-run/final.h5 --rtol 0 > run.cmp || { cat run.cmp; fail "the Slurm run differs from mpirun"; }
grep -q "wowflow" slurm-run/version.txt && [ -s slurm-run/input.deck ] || fail "run job did not record the version and deck"
grep -Eq '^walltime += (5:00|4:[0-9][0-9]) ' slurm-run/used.deck || { grep walltime slurm-run/used.deck; fail "the time limit was not passed as run.walltime"; }
echo "ok run job $id equals mpirun"

# 2. a 3-row sweep with a failing row added as a 4th
cp "$SRCDIR/input/sweeps/kernels.tsv" sweep.tsv
printf 'broken\triesz\tauto\t-1\n' >> sweep.tsv
out=$("$JOBS/submit" sweep "$SRCDIR/input/tiny.deck" sweep.tsv sweep -n 1 -t 5) || fail "submit sweep"
echo "$out"
array=$(echo "$out" | sed -n 's/^sweep array job \([0-9]*\).*/\1/p')
gather=$(echo "$out" | sed -n 's/.*gather job \([0-9]*\).*/\1/p')
wait_jobs "$array" "$gather"
[ "$(job_state "$gather")" = COMPLETED ] || fail "gather job: $(job_state "$gather")"
for r in riesz gaussian imq; do [ -s "sweep/$r/final.h5" ] || fail "sweep row $r has no output"; done
[ "$(tail -n +2 sweep/summary.tsv | wc -l)" -eq 4 ] || { cat sweep/summary.tsv; fail "gather table does not have 4 rows"; }
[ "$(grep -c '	ok	20	' sweep/summary.tsv)" -eq 3 ] || { cat sweep/summary.tsv; fail "the 3 good rows are not reported ok"; }
grep -q '^4	broken	FAILED (exit status 1)' sweep/summary.tsv || { cat sweep/summary.tsv; fail "the failing row is not flagged"; }
grep -q "key 'step.lr': value -1 out of range" sweep/broken/wowflow.log || fail "the failing row's reason is not in its log"
echo "ok sweep: 3 rows ok, the failing row flagged"

# 3. a chain whose links may each run 2 s of the flow.  The flow must take several such budgets
#    whatever the machine's speed (800 steps once took 12 s here, then 3 s as the engine got
#    faster; 200 steps once took 1 s and the chain one link), so a reference run of 800 steps is
#    timed first and, if it took less than 6 s, the steps are scaled up and the reference rerun.
#    -t 10: chain.sbatch asks for USR1 300 s before the limit and Slurm may send it up to 60 s early,
#    so with -t 5 Slurm itself signalled link 1 at a random moment and section 4 raced it.
chain_reference() { # STEPS: writes chain.deck and chain-ref/, sets ms
  sed -e "s/^steps *=.*/steps = $1/" -e 's/^every *=.*/every = 1/' "$SRCDIR/input/gaussians.deck" > chain.deck
  rm -rf chain-ref
  t0=$(date +%s%N)
  mpirun_n 2 "$WOWFLOW" chain.deck -P run.dir=chain-ref > chainref.txt 2>&1 || { cat chainref.txt; fail "chain reference"; }
  ms=$((($(date +%s%N) - t0) / 1000000))
}
steps=800
chain_reference $steps
if [ "$ms" -lt 6000 ]; then steps=$((steps * (6000 + ms - 1) / ms)); chain_reference $steps; fi
echo "chain: $steps steps take $ms ms on 2 ranks outside Slurm"
CHAIN_WALLTIME=2 "$JOBS/submit" chain chain.deck chain -n 2 -t 10 > chain.txt || fail "submit chain"
for i in $(seq 480); do
  [ -e chain/CHAIN_DONE ] && [ -z "$(squeue -h -n wowflow-chain 2>/dev/null)" ] && break
  grep -q "stopping the chain" chain/chain.log 2>/dev/null && { cat chain/chain.log; fail "the chain stopped without completing"; }
  sleep 0.5
done
[ -e chain/CHAIN_DONE ] || { cat chain/chain.log; squeue; fail "the chain did not complete within 240 s"; }
links=$(grep -c "starting at checkpoint" chain/chain.log)
[ "$links" -ge 2 ] || { cat chain/chain.log; fail "the chain took $links link(s), expected at least 2"; }
"$WOWFLOW" compare chain-ref/final.h5 chain/final.h5 --rtol 0 > chain.cmp || { cat chain.cmp; fail "the chained run differs from an uninterrupted one"; }
echo "ok chain: $links links, bitwise equal to an uninterrupted run"

# 4. USR1 to the batch shell of a link (what --signal=B:USR1@N does before the time limit)
"$JOBS/submit" chain chain.deck usr1 -n 2 -t 10 > usr1.txt || fail "submit usr1 chain"
first=$(sed -n 's/^chain link 1 job \([0-9]*\).*/\1/p' usr1.txt)
for i in $(seq 240); do [ "$(cat usr1/progress.tsv 2>/dev/null | wc -l)" -ge 20 ] && break; sleep 0.25; done
[ "$(job_state "$first")" = RUNNING ] || { cat usr1/chain.log; fail "link 1 (job $first) is $(job_state "$first") before USR1"; }
scancel --signal=USR1 --batch "$first" || fail "scancel USR1"
for i in $(seq 480); do [ -e usr1/CHAIN_DONE ] && [ -z "$(squeue -h -n wowflow-chain 2>/dev/null)" ] && break; sleep 0.5; done
[ -e usr1/CHAIN_DONE ] || { cat usr1/chain.log; fail "the USR1 chain did not complete"; }
grep -q "USR1: asking the run to checkpoint and stop" usr1/chain.log || { cat usr1/chain.log; fail "the trap did not run"; }
grep -q "stopping after step [0-9]*: STOP file found" usr1/link_1.log || { tail usr1/link_1.log; fail "the run did not stop on the STOP file"; }
"$WOWFLOW" compare chain-ref/final.h5 usr1/final.h5 --rtol 0 > usr1.cmp || { cat usr1.cmp; fail "the USR1 chain differs"; }
echo "ok USR1 before the time limit: checkpoint, next link, same result"

# 5. the scaling job: bench --comm and bench on 1 and 2 tasks, then the model's table with the
#    measured latency and bandwidth (a tiny size: this checks the workflow, not the machine)
out=$(SIZE="--classes 3 --n 20 --m 20 --d 8 --projections 16 --steps 3 --warmup 1" COMM="--max-kb 64" \
  "$JOBS/submit" scaling scaling -n 2 -t 5) || fail "submit scaling"
id=$(echo "$out" | sed -n 's/^scaling job \([0-9]*\).*/\1/p')
wait_jobs "$id"
[ "$(job_state "$id")" = COMPLETED ] || { cat wowflow-scaling-*.out; fail "scaling job $id: $(job_state "$id")"; }
[ "$(grep -c '^| 3, 20, 8, 16, double | [12] |' scaling/model.md)" -eq 2 ] ||
  { cat scaling/model.md wowflow-scaling-*.out; fail "scaling job: model.md lacks the 1- and 2-task rows"; }
grep -q "latency given, bandwidth given" scaling/model.md && [ -s scaling/comm.tsv ] ||
  { cat scaling/model.md; fail "scaling job: the model did not take bench --comm's latency and bandwidth"; }
echo "ok scaling job $id: bench --comm, 1 and 2 tasks, model.md"

