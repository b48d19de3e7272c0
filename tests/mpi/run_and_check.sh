#!/usr/bin/env bash
# fabricbench under mpirun (2 ranks), small sweep with --check; then h5py checks the file.
set -eu
bin="$1"; mpirun="$2"; python="$3"; checker="$4"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$mpirun" -n 2 --oversubscribe "$bin" run -b 8 -e 256K -f 4 -n 5 -w 1 --check --out "$dir/out.h5" \
  | tee "$dir/stdout.txt"
grep -q "check: 0 wrong elements" "$dir/stdout.txt"
"$python" "$checker" "$dir/out.h5" --expect-series 5 --expect-world-size 2
