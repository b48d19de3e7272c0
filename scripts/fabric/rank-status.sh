#!/bin/sh
# Runs one rank and records how it ended (scripts/fabric/mpirun.sh --keep-going):
#   rank-status.sh DIR PROGRAM [ARGS...]  ->  DIR/rank.R holds "EXIT_CODE END_TIME"
# (R from OMPI_COMM_WORLD_RANK, END_TIME in seconds since the epoch, with nanoseconds).
# A rank killed by a signal is killed with this shell's child; this shell then records
# 128 + the signal number, unless it is killed itself (then nothing is written).
dir=$1
shift
"$@"
rc=$?
echo "$rc $(date +%s.%N)" >"$dir/rank.${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-0}}.tmp" &&
  mv "$dir/rank.${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-0}}.tmp" "$dir/rank.${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-0}}"
exit "$rc"
