# common.sh -- shared by the job scripts (sourced).  Site specifics come from the environment:
#   WOW_HOME  the wowflow checkout (default: the directory sbatch was called from)
#   WOWFLOW   the program (default: $WOW_HOME/src/wowflow, else wowflow on PATH)
#   WOW_LAUNCH  how to start the MPI program (default: srun in a job, mpirun outside)
WOW_HOME=${WOW_HOME:-${SLURM_SUBMIT_DIR:-$(pwd)}}
if [ -z "${WOWFLOW:-}" ]; then
  if [ -x "$WOW_HOME/src/wowflow" ]; then WOWFLOW=$WOW_HOME/src/wowflow; else WOWFLOW=$(command -v wowflow || echo wowflow); fi
fi
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

# wow_time_left: the job's remaining time as Slurm prints it ([D-]HH:MM:SS), or nothing when
# there is no limit (or no job).
wow_time_left() {
  [ -n "${SLURM_JOB_ID:-}" ] || return 0
  left=$(squeue -h -j "$SLURM_JOB_ID" -o %L 2>/dev/null | head -n 1 | tr -d ' ')
  case "$left" in ""|UNLIMITED|NOT_SET|INVALID) ;; *) echo "$left" ;; esac
}

# wow_launch ARGS...: run wowflow on the job's tasks (srun) or with mpirun -n $WOW_NP outside Slurm.
wow_launch() {
  if [ -n "${WOW_LAUNCH:-}" ]; then
    $WOW_LAUNCH "$WOWFLOW" "$@"
  elif [ -n "${SLURM_JOB_ID:-}" ]; then
    srun "$WOWFLOW" "$@"
  else
    mpirun -n "${WOW_NP:-2}" ${MPIRUN_FLAGS:-} "$WOWFLOW" "$@"
  fi
}

# wow_launch_n P ARGS...: the same on P tasks (srun -n P inside a job; WOW_LAUNCH gets -n P too).
wow_launch_n() {
  local p=$1
  shift
  if [ -n "${WOW_LAUNCH:-}" ]; then
    $WOW_LAUNCH -n "$p" "$WOWFLOW" "$@"
  elif [ -n "${SLURM_JOB_ID:-}" ]; then
    srun -n "$p" "$WOWFLOW" "$@"
  else
    mpirun -n "$p" ${MPIRUN_FLAGS:-} "$WOWFLOW" "$@"
  fi
}

# wow_newest_checkpoint DIR: step of the newest checkpoint file in DIR/checkpoints, or -1.
wow_newest_checkpoint() {
  s=$(ls "$1/checkpoints" 2>/dev/null | sed -n 's/^ckpt_0*\([0-9][0-9]*\)\.h5$/\1/p' | sort -n | tail -n 1)
  echo "${s:--1}"
}

# wow_row_overrides TABLE ROW: the "-P key=value" arguments of data row ROW (1-based) of a sweep
# table (tab-separated, first line = deck keys; a column named "name" only names the run).
wow_row_overrides() {
  awk -F '\t' -v row="$2" '
    NR == 1 { for (i = 1; i <= NF; i++) key[i] = $i; next }
    /^#/ || NF == 0 { next }
    { n++ }
    n == row { for (i = 1; i <= NF; i++) if (key[i] != "name" && $i != "") printf "-P %s=%s\n", key[i], $i; exit }' "$1"
}
wow_row_name() {
  awk -F '\t' -v row="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "name") c = i; next }
    /^#/ || NF == 0 { next } { n++ } n == row { print (c ? $c : "row" row); exit }' "$1"
}
wow_row_count() { awk -F '\t' 'NR > 1 && !/^#/ && NF > 0 { n++ } END { print n + 0 }' "$1"; }
