#!/bin/sh
# run_mpi.sh ENV.SH NP PROGRAM ARGS... -- run a test program on NP ranks with the configured launcher.
. "$1"
np=$2
shift 2
mpirun_n "$np" "$@"
