#!/usr/bin/env bash
# The all-reduce benchmark behind docs/PERFORMANCE.md: the default sweep (ring and tree over
# UCX and MPI beside MPI_Allreduce, float32 sum, 8 B to 64 MiB) on 2 ranks of this machine,
# all series in one run, then the comparison against the MPI baseline at 8 B, 16 MiB and
# 64 MiB. Usage: scripts/bench-allreduce.sh [OUT.h5] [extra fabricbench run options]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-bench-allreduce.h5}
shift || true
"$root/scripts/install-deps.sh" >/dev/null
"$root/scripts/build.sh" "$root/build" >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun -n 2 "$root/build/harness/fabricbench" run --out "$out" "$@" | grep -E '^# (fabricbench|[0-9]+ series)'
PYTHONPATH="$root/python" /usr/bin/python3 -m fabricbench baseline "$out" --sizes 8,16M,64M
