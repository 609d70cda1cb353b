#!/bin/sh
# test_grad_command.sh ENV.SH -- 'wowflow grad' against an independent NumPy implementation
# (tests/grad_reference.py) for all four kernels, and the same output on 1 and 3 ranks.
. "$1"
W=$(workdir grad_command)
cd "$W" || exit 1
"$MAKE_H5" grad in.h5 || fail "make_h5 grad"
"$MAKE_H5" grad_equal eq.h5 || fail "make_h5 grad_equal"
"$PYTHON3" -c "import h5py, numpy" 2>/dev/null || fail "python3 with h5py and numpy is needed (apt-get install python3-h5py python3-numpy)"
for k in "riesz 0 1" "riesz 0 1.5" "gaussian 0.7 1" "laplace 0 1" "imq 0.5 1"; do
  set -- $k
  mpirun_n 1 "$WOWFLOW" grad in.h5 --kernel "$1" --h "$2" --r "$3" --out "g1_$1_$3.h5" > g1.txt 2>&1 || { cat g1.txt; fail "grad $1 on 1 rank"; }
  mpirun_n 3 "$WOWFLOW" grad in.h5 --kernel "$1" --h "$2" --r "$3" --out "g3_$1_$3.h5" > g3.txt 2>&1 || { cat g3.txt; fail "grad $1 on 3 ranks"; }
  "$PYTHON3" "$SRCDIR/tests/grad_reference.py" in.h5 "g1_$1_$3.h5" "$1" "$2" "$3" || fail "grad $1 differs from the NumPy reference"
  "$PYTHON3" "$SRCDIR/tests/grad_reference.py" in.h5 "g3_$1_$3.h5" "$1" "$2" "$3" || fail "grad $1 on 3 ranks differs from the NumPy reference"
done
# equal class sizes: the GEMM form of the pairwise transports
for k in "riesz 0 1" "gaussian 0.7 1" "imq 0.5 1"; do
  set -- $k
  mpirun_n 2 "$WOWFLOW" grad eq.h5 --kernel "$1" --h "$2" --r "$3" --out "eq_$1.h5" > geq.txt 2>&1 || { cat geq.txt; fail "grad $1 (equal sizes)"; }
  "$PYTHON3" "$SRCDIR/tests/grad_reference.py" eq.h5 "eq_$1.h5" "$1" "$2" "$3" || fail "grad $1 (equal sizes, GEMM form) differs from the NumPy reference"
done
mpirun_n 1 "$WOWFLOW" grad nothere.h5 --out x.h5 > e.txt 2>&1 && fail "grad on a missing file succeeded"
grep -q "nothere.h5: cannot open as an HDF5 file" e.txt || { cat e.txt; fail "grad: unclear error for a missing file"; }
echo "ok grad errors"
