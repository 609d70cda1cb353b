#!/bin/sh
# test_bench.sh ENV.SH -- the benchmark harness runs at the smallest size on 1 and 2 ranks (double,
# single precision, overlapped gradient all-reduce, shares without shared memory) and reports its numbers; bench --sums times
# and compares the kernel-sum paths; bench --predict (the cost model) matches its closed form at one
# rank and picks the grid that bench and runs pick; postprocess/scaling_model calibrates on the TSV
# and predicts it; bench --comm times the collectives; postprocess/bench_compare alternates builds
# and tabulates their ranges (not timed tests: nothing here depends on how fast the machine is).
. "$1"
W=$(workdir bench)
cd "$W" || exit 1
B="bench --classes 3 --n 80 --m 80 --d 2 --projections 50 --steps 5 --warmup 1 --tsv bench.tsv"
for run in "1" "2" "1 --precision single" "2 --overlap" "2 --no-shares" "2 --no-shared-memory"; do
  set -- $run
  np=$1
  shift
  mpirun_n "$np" "$WOWFLOW" $B "$@" > out.txt 2>&1 || { cat out.txt; fail "bench $run"; }
  for pat in "ms per step: median" "GEMM floor" "GFLOP/s" "phase (ms per step" "peak resident memory" "BLAS kernel" "cost model (docs/scaling.md"; do
    grep -q "$pat" out.txt || { cat out.txt; fail "bench $run: output lacks '$pat'"; }
  done
  # two direction groups: the particles are updated in shares unless --no-shares or --overlap, in
  # shared memory (where /dev/shm can hold them) unless --no-shared-memory
  how=none
  [ "$np" = 2 ] && [ -z "$*" ] && how="particles and gradient in shared memory" && [ ! -w /dev/shm ] && how=any
  [ "$*" = "--no-shared-memory" ] && how="gradient reduce-scattered"
  case $how in
    none) ! grep -q "particles updated in" out.txt ;;
    any) grep -q "particles updated in 2 shares" out.txt ;;
    *) grep -q "particles updated in 2 shares ($how)" out.txt ;;
  esac || { cat out.txt; fail "bench $run: the log does not say how the particles are updated ($how)"; }
  cat out.txt
done
[ "$(wc -l < bench.tsv)" -eq 7 ] || fail "bench.tsv should have a header and 6 rows"
awk -F '\t' 'NR == 1 { n = NF; for (i = 1; i <= NF; i++) if ($i == "median_ms") c = i }
             NR > 1 && (NF != n || !c || $c <= 0) { exit 1 }' bench.tsv || fail "bench.tsv rows are malformed"
grep -q "	single	" bench.tsv || fail "bench.tsv lacks the precision column"
# how the transports and products run, as the log line says: equal sizes, classes of two sizes
# (target minibatches: the merged grid), the quantile estimator (its levels), an SW_1 kernel
# (loops); d = 2 (loops; with 2 directions per point, the angular sweep of the sorts) or 6 (dgemm)
for form in "--m 10 --d 2|GEMM form; projections and gradient: loops (d <= 4)$" \
            "--m 10 --d 2 --projections 20|GEMM form; projections and gradient: loops (d <= 4); each sort from the previous direction's order" \
            "--m 40 --batch 12 --d 6|GEMM form on the merged quantile grid (20 intervals); projections and gradient: dgemm" \
            "--m 40 --estimator quantile|GEMM form on the quantile levels (Q = 100)" \
            "--m 40 --kernel laplace|loops (the kernel uses SW_1)"; do
  "$WOWFLOW" bench --classes 3 --n 10 --projections 8 ${form%%|*} --steps 1 --warmup 0 > form.txt 2>&1 || { cat form.txt; fail "bench ${form%%|*}"; }
  grep -q "pairwise transports: ${form#*|}" form.txt || { cat form.txt; fail "bench ${form%%|*}: expected '${form#*|}'"; }
done
"$WOWFLOW" bench --precision half > err.txt 2>&1 && fail "bench accepted --precision half"
grep -q "precision must be double or single" err.txt || fail "bench: unclear error for --precision"
for k in gaussian riesz; do
  "$WOWFLOW" bench --sums --n 300 --d 3 --projections 64 --kernel $k --steps 1 --tsv sums.tsv > sums.txt 2>&1 || { cat sums.txt; fail "bench --sums $k"; }
  grep -q "direct .* ms  sliced .* ms" sums.txt && grep -q "sliced - direct: max |s| error" sums.txt || { cat sums.txt; fail "bench --sums $k output"; }
  cat sums.txt
done
[ "$(wc -l < sums.tsv)" -eq 3 ] || fail "sums.tsv should have a header and 2 rows"
# The model at one rank is the closed form of docs/scaling.md: GEMM 2dL(N+M) + 2dLN flops, pairwise
# 2 nc L (N+M) + 2 nc L N flops, L(N+M) sorted values at (77+n)/277 sort_ns each, the update's 40 N d
# bytes; no communication.
R="--gemm-gflops 3 --pair-gflops 0.5 --sort-ns 7 --latency-us 4 --bandwidth-gbs 2 --memory-gbs 0.25"
"$WOWFLOW" bench --predict --classes 3 --n 80 --m 80 --d 2 --projections 50 --ranks 1,2,4 $R --tsv predict.tsv > predict.txt 2>&1 ||
  { cat predict.txt; fail "bench --predict"; }
cat predict.txt
"$PYTHON3" - predict.tsv <<'PY' || fail "bench --predict: closed form or table"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
C, n, d, L = 3, 80, 2, 50
N = M = C * n
nc = 2 * C
want = (2 * d * L * (N + M) + 2 * d * L * N) / 3e9 + L * (N + M) * (77 + n) / 277 * 7e-9 + (2 * nc * L * (N + M) + 2 * nc * L * N) / 0.5e9 \
    + 40 * N * d / 0.25e9
one = [r for r in rows if r["ranks"] == "1"]
assert len(one) == 1 and abs(float(one[0]["compute_ms"]) - 1e3 * want) <= 1e-9 * 1e3 * want, (one, 1e3 * want)
assert float(one[0]["gather_ms"]) == 0 and float(one[0]["reduce_ms"]) == 0 and float(one[0]["efficiency"]) == 1
for r in rows:
    parts = float(r["compute_ms"]) + float(r["gather_ms"]) + float(r["reduce_ms"])
    assert abs(parts - float(r["predicted_ms"])) <= 1e-9 * parts, r
for P in ("1", "2", "4"):
    assert sum(r["auto"] == "1" for r in rows if r["ranks"] == P) == 1, P
PY
# with --node-ranks 2 the 1 x 2 block shares memory: its gradient costs the stages' read-back of
# half the rows at the memory rate and 3 barriers, not two transfers over the link (docs/scaling.md)
"$WOWFLOW" bench --predict --classes 3 --n 80 --m 80 --d 2 --projections 50 --ranks 2 $R --node-ranks 2 --tsv predict2.tsv > predict2.txt 2>&1 ||
  { cat predict2.txt; fail "bench --predict --node-ranks 2"; }
"$PYTHON3" - predict2.tsv <<'PY' || fail "bench --predict --node-ranks: closed form"
import csv, math, sys
rows = {(r["Pc"], r["Pl"]): r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t")}
N, d, nc, lat, bw, mem = 240, 2, 6, 4e-6, 2e9, 0.25e9
want = 8 * N * d * 0.5 / mem + 3 * lat + 16 * nc * nc * 0.5 / bw + 2 * lat + 3 * lat
got = float(rows[("1", "2")]["reduce_ms"])
assert abs(got - 1e3 * want) <= 1e-6 * 1e3 * want, (got, 1e3 * want)
PY
# The grid bench (and a run with class_groups = auto) takes is the model's pick: slow links favour
# splitting classes at d = 2000 (the gradient all-reduce is large), slow arithmetic splitting
# directions; but where the two ranks of a class block share memory (one node, --node-ranks 2: what
# bench and runs detect here) the gradient no longer crosses the link, and directions are split.
S="--classes 3 --n 80 --m 80 --d 2000 --projections 50"
for case in "--bandwidth-gbs 0.01|--no-shared-memory|2 x 1" "--gemm-gflops 0.001||1 x 2" "--bandwidth-gbs 0.01|--node-ranks 2|1 x 2"; do
  rates=${case%%|*} rest=${case#*|}
  how=${rest%%|*} want=${rest#*|}
  node=""; [ "$how" = "--node-ranks 2" ] && node=$how
  pick=$("$WOWFLOW" bench --predict $S --ranks 2 $rates $node | sed -n 's/^| 2 | \([0-9]* x [0-9]*\) (auto).*/\1/p')
  [ "$pick" = "$want" ] || fail "bench --predict $rates $node: picked '$pick', expected $want"
  bopt=""; [ "$how" = "--no-shared-memory" ] && bopt=$how
  mpirun_n 2 "$WOWFLOW" bench $S --steps 1 --warmup 0 $rates $bopt > pick.txt 2>&1 || { cat pick.txt; fail "bench $rates $bopt"; }
  grep -q "(grid $pick)" pick.txt || { cat pick.txt; fail "bench $rates $bopt ran another grid than the model's $pick"; }
  echo "rates $rates $how: grid $pick"
done
"$WOWFLOW" bench --predict --node-ranks -1 > err.txt 2>&1 && fail "bench accepted --node-ranks -1"
grep -q "\-\-node-ranks needs a non-negative integer" err.txt || fail "bench: unclear error for --node-ranks -1"
# ... and a run's, from the deck keys parallel.model_* (and parallel.shared_memory)
for kv in "parallel.model_bandwidth_gbs=0.0001 false 2 x 1" "parallel.model_gemm_gflops=0.00001 true 1 x 2" \
          "parallel.model_bandwidth_gbs=0.0001 true 1 x 2"; do
  set -- $kv
  rm -rf run
  mpirun_n 2 "$WOWFLOW" "$SRCDIR/input/tiny.deck" -P run.dir=run -P source.dim=3000 -P target.dim=3000 -P "$1" -P parallel.shared_memory=$2 \
    > run.txt 2>&1 || { cat run.txt; fail "run with $1, shared_memory $2"; }
  head -1 run/progress.tsv | grep -q "(grid $3 x $5)" || { head -1 run/progress.tsv; fail "run with $1, shared_memory $2: not the model's grid $3 x $5"; }
done
# bench --comm: the collectives timed and the model's latency and bandwidth fitted (2 ranks)
mpirun_n 2 "$WOWFLOW" bench --comm --max-kb 32 --tsv comm.tsv > comm.txt 2>&1 || { cat comm.txt; fail "bench --comm"; }
cat comm.txt
grep -q "^| 32768 | [0-9.]* | [0-9.]* | [0-9.]* |\$" comm.txt && grep -q "deck keys: parallel.model_latency_us = [0-9.e+-]*  parallel.model_bandwidth_gbs = " comm.txt ||
  fail "bench --comm: table or fitted keys missing"
[ "$(wc -l < comm.tsv)" -eq 8 ] || fail "comm.tsv should have a header and 7 sizes (8 B .. 32 KiB)"
"$WOWFLOW" bench --comm > err.txt 2>&1 && fail "bench --comm ran on one rank"
grep -q "2 or more ranks" err.txt || fail "bench --comm: unclear error on one rank"
"$WOWFLOW" bench --predict --ranks 0 > err.txt 2>&1 && fail "bench accepted --ranks 0"
grep -q "\-\-ranks needs" err.txt || fail "bench: unclear error for --ranks 0"
"$WOWFLOW" bench --predict --sort-ns -1 > err.txt 2>&1 && fail "bench accepted a negative rate"
grep -q "must be positive" err.txt || fail "bench: unclear error for a negative rate"
"$PYTHON3" "$SRCDIR/postprocess/scaling_model" bench.tsv --cores 2 --wowflow "$WOWFLOW" > model.txt 2>&1 || { cat model.txt; fail "scaling_model"; }
grep -q "measured / predicted" model.txt && [ "$(grep -c '^| 3, 80, 2, 50' model.txt)" -eq 6 ] || { cat model.txt; fail "scaling_model table"; }
grep -q "parallel.model_gemm_gflops = " model.txt || { cat model.txt; fail "scaling_model: no calibrated deck keys"; }
head -2 bench.tsv | sed '2s/\t[0-9.]*\t/\tfast\t/' > broken.tsv
"$PYTHON3" "$SRCDIR/postprocess/scaling_model" broken.tsv --wowflow "$WOWFLOW" > err.txt 2>&1 && fail "scaling_model accepted a malformed row"
grep -q "^scaling_model: error: broken.tsv: line 2: column .* is not a number" err.txt || { cat err.txt; fail "scaling_model: unclear error"; }
"$PYTHON3" "$SRCDIR/postprocess/scaling_model" "$WOWFLOW" > err.txt 2>&1 && fail "scaling_model accepted a binary file"
grep -q "not a text table" err.txt || { cat err.txt; fail "scaling_model: unclear error for a binary file"; }
cat model.txt
# with the bandwidth given (as jobs/scaling.sbatch passes bench --comm's), the multi-rank rows are
# predictions at that bandwidth, not fits: a 1000x slower link predicts a larger communication term
for bw in 5 0.005; do
  "$PYTHON3" "$SRCDIR/postprocess/scaling_model" bench.tsv --cores 2 --latency-us 1 --bandwidth-gbs $bw --wowflow "$WOWFLOW" > "model_$bw.txt" 2>&1 ||
    { cat "model_$bw.txt"; fail "scaling_model --bandwidth-gbs $bw"; }
  grep -q "bandwidth given (--bandwidth-gbs), not fitted" "model_$bw.txt" && grep -q "parallel.model_bandwidth_gbs = $bw\$" "model_$bw.txt" ||
    { cat "model_$bw.txt"; fail "scaling_model --bandwidth-gbs $bw: not used as given"; }
done
# (the 2-rank row of the collectives: the shared-memory row's gradient crosses no link)
comm_of() { awk -F '|' '$3 == " 2 " && $4 ~ /1 x 2/ { print $7; exit }' "$1"; }
if [ -w /dev/shm ]; then
  grep -q "^| 3, 80, 2, 50, double | 2 (shared memory) | 1 x 2 |" model_5.txt || { cat model_5.txt; fail "scaling_model: no shared-memory row"; }
fi
awk -v a="$(comm_of model_5.txt)" -v b="$(comm_of model_0.005.txt)" 'BEGIN { exit !(a > 0 && b > 100 * a) }' ||
  { cat model_5.txt model_0.005.txt; fail "scaling_model: the given bandwidth does not set the communication term"; }
"$PYTHON3" "$SRCDIR/postprocess/scaling_model" bench.tsv --bandwidth-gbs 0 --wowflow "$WOWFLOW" > err.txt 2>&1 && fail "scaling_model accepted --bandwidth-gbs 0"
grep -q "scaling_model: error: --bandwidth-gbs must be positive" err.txt || { cat err.txt; fail "scaling_model: unclear error for --bandwidth-gbs 0"; }
# the scaling workflow without Slurm (jobs/scaling.sbatch through jobs/local.sh): bench --comm,
# bench on 1 and 2 ranks, the model's table with bench --comm's latency and bandwidth
WOW_NP=2 WOWFLOW=$WOWFLOW PYTHON3=$PYTHON3 MPIRUN_FLAGS="$MPIEXEC_PREFLAGS" COMM="--max-kb 64" \
  SIZE="--classes 3 --n 20 --m 20 --d 8 --projections 16 --steps 3 --warmup 1" bash "$SRCDIR/jobs/local.sh" scaling sc > sc.txt 2>&1 ||
  { cat sc.txt; fail "jobs/local.sh scaling"; }
for f in version.txt comm.txt comm.tsv bench_1.txt bench_2.txt bench_2_noshares.txt scaling.tsv model.md; do [ -s "sc/$f" ] || { cat sc.txt; fail "scaling: no $f"; }; done
[ "$(grep -c '^| 3, 20, 8, 16, double | [12] |' sc/model.md)" -eq 2 ] || { cat sc/model.md; fail "scaling: model.md lacks the 1- and 2-rank rows"; }
lat=$(sed -n 's/.*model_latency_us = \([^ ]*\).*/\1/p' sc/comm.txt)
bw=$(sed -n 's/.*model_bandwidth_gbs = \([^ ]*\).*/\1/p' sc/comm.txt)
grep -q "latency given, bandwidth given" sc/model.md && grep -q "parallel.model_latency_us = $lat .*parallel.model_bandwidth_gbs = $bw\$" sc/model.md || { cat sc/comm.txt sc/model.md; fail "scaling: not bench --comm's latency $lat and bandwidth $bw"; }
cat sc/model.md
WOW_NP=2 WOWFLOW=$WOWFLOW PYTHON3=$PYTHON3 MPIRUN_FLAGS="$MPIEXEC_PREFLAGS" COMM="--max-kb 8" SIZE="--steps many" \
  bash "$SRCDIR/jobs/local.sh" scaling sc_bad > err.txt 2>&1 && fail "jobs/local.sh scaling ran with a bad SIZE"
grep -q "^scaling: failed: .*bench --steps many" err.txt && grep -q "option --steps needs" err.txt ||
  { cat err.txt; fail "jobs/local.sh scaling: unclear error for a bad SIZE"; }
# bench_compare: alternating rounds of two builds (here the same one twice), one table of ranges
BC="$SRCDIR/postprocess/bench_compare"
"$PYTHON3" "$BC" "$WOWFLOW" "$WOWFLOW" --rounds 2 --launcher "$MPIEXEC $MPIEXEC_NUMPROC_FLAG {ranks} $MPIEXEC_PREFLAGS" \
  --out compare.md -- --classes 3 --n 80 --m 80 --d 2 --projections 50 --steps 3 --warmup 1 > compare.txt 2>&1 ||
  { cat compare.txt; fail "bench_compare"; }
cat compare.txt
[ "$(grep -c "^| $WOWFLOW ([12]) | 2 | " compare.md)" -eq 2 ] || { cat compare.md; fail "bench_compare: expected two builds of 2 rounds"; }
grep -q "^| build | rounds | median ms | min ms | step / floor | directions ms |" compare.md || { cat compare.md; fail "bench_compare: header"; }
"$PYTHON3" "$BC" "$WOWFLOW" "$SRCDIR/README.md" > err.txt 2>&1 && fail "bench_compare accepted a text file as a build"
grep -q "README.md: not an executable program" err.txt || { cat err.txt; fail "bench_compare: unclear error"; }
"$PYTHON3" "$BC" "$WOWFLOW" "$WOWFLOW" --rounds 1 -- --precision half > err.txt 2>&1 && fail "bench_compare hid a failing bench"
grep -q "^bench_compare: error: .*precision must be double or single" err.txt || { cat err.txt; fail "bench_compare: failing bench not reported"; }
"$PYTHON3" "$BC" --help > /dev/null || fail "bench_compare --help"
