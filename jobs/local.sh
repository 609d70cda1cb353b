#!/bin/bash
# local.sh -- the same workflows as jobs/submit, without Slurm (mpirun on this machine).
#
#   jobs/local.sh run   DECK RUN_DIR
#   jobs/local.sh sweep DECK TABLE SWEEP_DIR
#   jobs/local.sh chain DECK RUN_DIR          restart until done; LINK_WALLTIME limits each link
#   jobs/local.sh scaling RUN_DIR             the scaling measurements on 1 .. WOW_NP ranks
#
# WOW_NP ranks (default 2); MPIRUN_FLAGS are added to mpirun (e.g. --oversubscribe).
set -uo pipefail
export WOW_HOME=${WOW_HOME:-$(cd "$(dirname "$0")/.." && pwd)}
. "$WOW_HOME/jobs/common.sh"
usage() { sed -n '2,9p' "$0" >&2; exit 2; }
[ $# -ge 2 ] || usage
case $1 in run|chain) [ $# -ge 3 ] || usage ;; sweep) [ $# -ge 4 ] || usage ;; esac
case $1 in
  run)
    mkdir -p "$3" && wow_launch "$2" -P run.dir="$3" ;;
  sweep)
    deck=$2 table=$3 dir=$4
    mkdir -p "$dir" && cp "$table" "$dir/sweep.tsv"
    rows=$(wow_row_count "$table")
    for ((i = 0; i < rows; i++)); do
      DECK=$deck SWEEP=$table SWEEP_DIR=$dir ROW_INDEX=$i bash "$WOW_HOME/jobs/sweep.sbatch" || echo "row $((i + 1)) failed"
    done
    ${PYTHON3:-} "$WOW_HOME/postprocess/gather_sweep.py" "$table" "$dir" ;;
  chain)
    deck=$2 dir=$3 links=0 last=-2
    mkdir -p "$dir"
    while :; do
      links=$((links + 1))
      newest=$(wow_newest_checkpoint "$dir")
      [ "$newest" != "$last" ] || { echo "chain: no progress (checkpoint $newest); stopping" >&2; exit 1; }
      last=$newest
      restart=""; [ "$newest" -ge 0 ] && restart="--restart latest"
      # shellcheck disable=SC2086
      wow_launch "$deck" -P run.dir="$dir" ${LINK_WALLTIME:+-P run.walltime=$LINK_WALLTIME} $restart > "$dir/link_$links.log" 2>&1 || exit $?
      tail -n 1 "$dir/link_$links.log" | grep -q "stopped for restart" || { echo "chain: complete after $links links"; exit 0; }
    done ;;
  scaling)
    RUN_DIR=$2 bash "$WOW_HOME/jobs/scaling.sbatch" ;;
  *) echo "local.sh: unknown workflow '$1'" >&2; exit 2 ;;
esac
