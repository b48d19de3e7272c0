#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs the default all-reduce sweep
# (ring and tree over UCX and MPI beside MPI_Allreduce, 8 B to 64 MiB) on NP ranks of this
# machine (default 2). Extra arguments go to `fabricbench run`, e.g.
#   scripts/sweep.sh --check -e 16M
#   NP=4 scripts/sweep.sh --algorithm ring --transport ucx
# Installing and building print one line each; their output appears only if they fail.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/quiet-step.sh
. "$root/scripts/quiet-step.sh"
"$root/scripts/install-deps.sh"
quiet_step "sweep: building fabricbench in $root/build" "$root/scripts/build.sh" "$root/build"
# Open MPI refuses to start as root without these; harmless otherwise.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
np=${NP:-2}
oversubscribe=()
if [ "$np" -gt "$(nproc)" ]; then oversubscribe=(--oversubscribe); fi
# Under mpirun the ranks' stderr is a pipe; ask for the progress line when ours is a terminal.
progress=()
if [ -t 2 ]; then progress=(--progress on); fi
exec mpirun -n "$np" "${oversubscribe[@]}" "$root/build/harness/fabricbench" run "${progress[@]}" "$@"
