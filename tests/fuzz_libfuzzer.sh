#!/bin/sh
# fuzz_libfuzzer.sh [SECONDS] -- coverage-guided fuzzing of the readers with clang's libFuzzer and
# AddressSanitizer (needs clang; not part of make check).  Inputs that crash are written to
# fuzz-out/; copy each into tests/corpus/<reader>/ (its first byte chooses the reader:
# 0 deck, 1 IDX, 2 CSV, 3 HDF5) so that tests/fuzz_readers replays it from then on.
set -eu
SECONDS_EACH=${1:-60}
TOP=$(cd "$(dirname "$0")/.." && pwd)
command -v clang > /dev/null || { echo "fuzz_libfuzzer.sh: needs clang (apt-get install clang)" >&2; exit 1; }
OUT=${FUZZ_OUT:-fuzz-out}
mkdir -p "$OUT/corpus"
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -DWOW_LIBFUZZER -I$TOP/src -I$TOP $(pkg-config --cflags hdf5-openmpi zlib)"
LIBS="$(pkg-config --libs hdf5-openmpi fftw3 openblas zlib) -lm"
SRCS=$(ls "$TOP"/src/*.c | grep -v '/main.c$')
OMPI_CC=clang mpicc $CFLAGS -o "$OUT/fuzz_readers" "$TOP/tests/fuzz_readers.c" $SRCS $LIBS
for r in "$TOP"/tests/corpus/*; do cp "$r"/* "$OUT/corpus/" 2>/dev/null || true; done
cd "$OUT" && ASAN_OPTIONS=detect_leaks=0 ./fuzz_readers -max_total_time="$SECONDS_EACH" -artifact_prefix="$(pwd)/" "$(pwd)/corpus"
