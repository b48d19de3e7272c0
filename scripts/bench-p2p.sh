#!/usr/bin/env bash
# The p2p comparison behind docs/PERFORMANCE.md, all in one script run on one host, 2 ranks:
#   UCX: ucx_perftest tag_lat (8 B) and tag_bw (4 MiB) against fabricbench p2p over ucx;
#   MPI: a plain MPI ping-pong / windowed bandwidth loop (bench/mpi_pingpong.cpp) against
#        fabricbench p2p over mpi.
# Usage: scripts/bench-p2p.sh [ITERS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
iters=${1:-2000}
"$root/scripts/install-deps.sh" >/dev/null
"$root/scripts/build.sh" "$root/build" >/dev/null
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fb="$root/build/harness/fabricbench"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

perftest() {  # TEST SIZE: server on core 0, client on core 1, loopback only
  local port=$((13337 + RANDOM % 1000))
  taskset -c 0 ucx_perftest -p "$port" -t "$1" -s "$2" -n "$iters" >/dev/null 2>&1 &
  local server=$!
  sleep 1
  taskset -c 1 ucx_perftest 127.0.0.1 -p "$port" -t "$1" -s "$2" -n "$iters" 2>/dev/null | awk '/^Final:/ {print}'
  wait "$server" || true
}
echo "== UCX"
echo "ucx_perftest tag_lat 8 B  (Final: iterations, latency 50%ile / average / overall us, ...):"
perftest tag_lat 8
echo "ucx_perftest tag_bw 4 MiB (Final: ..., bandwidth average / overall MB/s, ...):"
perftest tag_bw 4194304
mpirun -n 2 "$fb" p2p --test latency --transport ucx -b 8 -e 8 -n "$iters" -w 200 --out "$out/lat.h5" |
  grep -E '^ +8 '
mpirun -n 2 "$fb" p2p --test bandwidth --transport ucx -b 4M -e 4M -n 200 -w 20 --window 16 --out "$out/bw.h5" |
  grep -E '^ +4194304 '
echo "== MPI"
mpirun -n 2 "$root/build/bench/fb_mpi_pingpong" 8 4194304 "$iters" 16
mpirun -n 2 "$fb" p2p --test latency --transport mpi -b 8 -e 8 -n "$iters" -w 200 --out "$out/mlat.h5" |
  grep -E '^ +8 '
mpirun -n 2 "$fb" p2p --test bandwidth --transport mpi -b 4M -e 4M -n 200 -w 20 --window 16 --out "$out/mbw.h5" |
  grep -E '^ +4194304 '
