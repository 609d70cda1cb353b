#!/bin/sh
# test_rings.sh ENV.SH -- regression: input/rings.deck (Riesz SW kernel) on 2 ranks reduces F by at
# least a factor of 100 within 500 steps, and writes the documented output layout.
. "$1"
W=$(workdir rings)
cd "$W" || exit 1
mpirun_n 2 "$WOWFLOW" "$SRCDIR/input/rings.deck" > rings.txt 2>&1 || { cat rings.txt; fail "rings run failed"; }
f=rings-run/final.h5
[ -f "$f" ] || fail "no output file"
[ ! -e "$f.tmp" ] || fail "a temporary file was left behind"
[ -s rings-run/used.deck ] && [ -s rings-run/progress.tsv ] || fail "used.deck or progress.tsv missing"
"$H5DUMP" -H "$f" > layout.txt || fail "h5dump cannot read the output"
for ds in /flow/particles /flow/labels /flow/class_sizes /flow/class_weights /target/particles /history/F /history/grad_norm; do
  "$H5DUMP" -H -d "$ds" "$f" > /dev/null 2>&1 || fail "output lacks $ds"
done
grep -q 'DATASPACE  SIMPLE { ( 240, 2 ) / ( 240, 2 ) }' layout.txt || fail "/flow/particles is not (240, 2)"
# F history: 501 values (steps 0..500); the best F within 500 steps and the final F must both be
# F_0 / 100 or less.
"$H5DUMP" -d /history/F -y -w 0 "$f" | tr ',' '\n' | grep -E '^ *[-0-9.e+]+ *$' > F.txt
[ "$(wc -l < F.txt)" -eq 501 ] || fail "F history has $(wc -l < F.txt) values, expected 501"
awk 'NR == 1 { f0 = $1; min = $1 } { if ($1 < min) min = $1 } END {
       ratio = f0 / min; printf "F_0 %.6e  min F %.6e  ratio %.1f  final F %.6e\n", f0, min, ratio, $1;
       exit !(ratio >= 100 && f0 / $1 >= 100) }' F.txt || fail "F was not reduced 100-fold"
