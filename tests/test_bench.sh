#!/bin/sh
# test_bench.sh ENV.SH -- the benchmark harness runs at the smallest size on 1 and 2 ranks (double,
# single precision, overlapped gradient all-reduce) and reports its numbers; bench --sums times
# and compares the kernel-sum paths; postprocess/scaling_model calibrates on the TSV and predicts
# it (not timed tests: nothing here depends on how fast the machine is).
. "$1"
W=$(workdir bench)
cd "$W" || exit 1
B="bench --classes 3 --n 80 --m 80 --d 2 --projections 50 --steps 5 --warmup 1 --tsv bench.tsv"
for run in "1" "2" "1 --precision single" "2 --overlap"; do
  set -- $run
  np=$1
  shift
  mpirun_n "$np" "$WOWFLOW" $B "$@" > out.txt 2>&1 || { cat out.txt; fail "bench $run"; }
  for pat in "ms per step: median" "GEMM floor" "GFLOP/s" "phase (ms per step" "peak resident memory" "BLAS kernel"; do
    grep -q "$pat" out.txt || { cat out.txt; fail "bench $run: output lacks '$pat'"; }
  done
  cat out.txt
done
[ "$(wc -l < bench.tsv)" -eq 5 ] || fail "bench.tsv should have a header and 4 rows"
awk -F '\t' 'NR == 1 { n = NF; for (i = 1; i <= NF; i++) if ($i == "median_ms") c = i }
             NR > 1 && (NF != n || !c || $c <= 0) { exit 1 }' bench.tsv || fail "bench.tsv rows are malformed"
grep -q "	single	" bench.tsv || fail "bench.tsv lacks the precision column"
"$WOWFLOW" bench --precision half > err.txt 2>&1 && fail "bench accepted --precision half"
grep -q "precision must be double or single" err.txt || fail "bench: unclear error for --precision"
for k in gaussian riesz; do
  "$WOWFLOW" bench --sums --n 300 --d 3 --projections 64 --kernel $k --steps 1 --tsv sums.tsv > sums.txt 2>&1 || { cat sums.txt; fail "bench --sums $k"; }
  grep -q "direct .* ms  sliced .* ms" sums.txt && grep -q "sliced - direct: max |s| error" sums.txt || { cat sums.txt; fail "bench --sums $k output"; }
  cat sums.txt
done
[ "$(wc -l < sums.tsv)" -eq 3 ] || fail "sums.tsv should have a header and 2 rows"
"$PYTHON3" "$SRCDIR/postprocess/scaling_model" bench.tsv --cores 2 > model.txt 2>&1 || { cat model.txt; fail "scaling_model"; }
grep -q "measured / predicted" model.txt && [ "$(grep -c '^| 3, 80, 2, 50' model.txt)" -eq 4 ] || { cat model.txt; fail "scaling_model table"; }
cat model.txt
