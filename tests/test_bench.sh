#!/bin/sh
# test_bench.sh ENV.SH -- the benchmark harness runs at the smallest size on 1 and 2 ranks and
# reports its numbers (not a timed test: nothing here depends on how fast the machine is).
. "$1"
W=$(workdir bench)
cd "$W" || exit 1
for np in 1 2; do
  mpirun_n $np "$WOWFLOW" bench --classes 3 --n 80 --m 80 --d 2 --projections 50 --steps 5 --warmup 1 --tsv bench.tsv > out$np.txt 2>&1 ||
    { cat out$np.txt; fail "bench on $np rank(s)"; }
  for pat in "ms per step: median" "GEMM floor" "GFLOP/s" "phase (ms per step" "peak resident memory" "BLAS kernel"; do
    grep -q "$pat" out$np.txt || { cat out$np.txt; fail "bench output lacks '$pat'"; }
  done
done
[ "$(wc -l < bench.tsv)" -eq 3 ] || fail "bench.tsv should have a header and 2 rows"
awk -F '\t' 'NR == 1 { n = NF } NR > 1 && (NF != n || $12 <= 0) { exit 1 }' bench.tsv || fail "bench.tsv rows are malformed"
"$WOWFLOW" bench --precision half > err.txt 2>&1 && fail "bench accepted --precision half"
grep -q "only double precision" err.txt || fail "bench: unclear error for --precision"
cat out2.txt
