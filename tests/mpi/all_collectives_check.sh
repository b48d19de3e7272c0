#!/usr/bin/env bash
# Every collective, algorithm (auto included) and transport through the real harness on 3
# ranks, in and out of place, every root, with --check: no wrong element anywhere, and the
# HDF5 file passes the schema check.
set -eu
bin="$1"; mpirun="$2"; python="$3"; checker="$4"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$mpirun" -n 3 --oversubscribe "$bin" run --collective all --algorithm all,auto --transport all \
  --placement both --root all --dtype int32,bfloat16 --op sum,max -b 8 -e 64K -f 8 -n 2 -w 1 --check \
  --out "$dir/out.h5" >"$dir/stdout.txt"
tail -4 "$dir/stdout.txt"
grep -q "check: 0 wrong elements" "$dir/stdout.txt"
series=$(grep -c '^# [a-z]* *algorithm' "$dir/stdout.txt")
echo "$series series measured"
[ "$series" -ge 100 ]
"$python" "$checker" "$dir/out.h5" --expect-series "$series" --expect-world-size 3
