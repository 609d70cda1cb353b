#!/bin/sh
# test_clones.sh ENV.SH -- the loops compiled with WOW_CLONES (src/clones.h) promise the same bits
# on every x86-64 CPU: their AVX-512 clones in the built program must hold no fused multiply-add
# (GCC's avx512f target enables FMA; contraction would make an AVX-512 machine draw other
# directions than an AVX2 one).  The same for the directions' AVX-512 code (RNG_AVX512 in
# src/rng.c), which must give the portable code's bits.  Skipped (77) where there are no clones (not GCC on x86-64) or no
# objdump.
. "$1"
command -v objdump > /dev/null 2>&1 || { echo "no objdump: skipped"; exit 77; }
W=$(workdir clones)
objdump -d --no-show-raw-insn "$WOWFLOW" > "$W/dis.txt" || fail "objdump $WOWFLOW"
grep -q '\.avx512f>:' "$W/dis.txt" || { echo "no AVX-512 clones in $WOWFLOW: skipped"; exit 77; }
names=$(sed -n 's/^WOW_CLONES \(static \)\{0,1\}[a-z0-9_ ]*[ *]\([a-z0-9_]*\)(.*/\2/p' "$SRCDIR"/src/*.c)
[ -n "$names" ] || fail "no WOW_CLONES functions found in $SRCDIR/src"
n=0
for f in $names; do
  body=$(awk -v h="<$f.avx512f>:" '$0 ~ h {on = 1; next} on && /^$/ {exit} on' "$W/dis.txt")
  [ -n "$body" ] || fail "$f: no AVX-512 clone in $WOWFLOW"
  if echo "$body" | grep -Eq 'vf(n)?m(add|sub)'; then fail "$f.avx512f contracts multiply-adds (FMA)"; fi
  n=$((n + 1))
done
fma=0
for f in $(sed -n 's/^WOW_CLONES_FMA \(static \)\{0,1\}[a-z0-9_ ]*[ *]\([a-z0-9_]*\)(.*/\2/p' "$SRCDIR"/src/*.c); do
  c=$(awk -v h="<$f.avx512f>:" '$0 ~ h {on = 1; next} on && /^$/ {exit} on' "$W/dis.txt" | grep -Ec 'vf(n)?m(add|sub)')
  fma=$((fma + c))
done
for f in $(sed -n '/always_inline/!s/^RNG_AVX512 static [a-z0-9_ ]*[ *]\([a-z0-9_]*\)(.*/\1/p' "$SRCDIR"/src/rng.c); do
  body=$(awk -v h="<$f>:" '$0 ~ h {on = 1; next} on && /^$/ {exit} on' "$W/dis.txt")
  [ -n "$body" ] || fail "$f: not found in $WOWFLOW"
  if echo "$body" | grep -Eq 'vf(n)?m(add|sub)'; then fail "$f contracts multiply-adds (FMA)"; fi
  n=$((n + 1))
done
echo "$n WOW_CLONES and RNG_AVX512 functions: no FMA in their AVX-512 code ($fma FMA instructions in the WOW_CLONES_FMA ones)"
