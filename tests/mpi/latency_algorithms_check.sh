#!/usr/bin/env bash
# The latency-optimal algorithms (recursive doubling, Bruck, k-nomial, scatter + all-gather)
# and auto through the real harness on 6 and 7 ranks, where recursive doubling folds 2 and 3
# ranks in and Bruck's last step is partial: in and out of place, every root, sum and avg
# (the finishing division), with --check: no wrong element anywhere, one series per
# algorithm, placement, dtype, op and root.
set -eu
bin="$1"; mpirun="$2"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for np in 6 7; do
  for pick in allreduce:recursive-doubling,auto allgather:recursive-doubling,bruck,auto \
              broadcast:knomial,scatter-allgather,auto reduce:knomial,auto; do
    collective=${pick%%:*}; algorithms=${pick#*:}
    "$mpirun" -n "$np" --oversubscribe "$bin" run --collective "$collective" \
      --algorithm "$algorithms" --transport all --placement both --root all \
      --dtype int32,bfloat16 --op sum,avg -b 4 -e 64K -f 16 -n 2 -w 1 --check \
      --out "$dir/out.h5" >"$dir/stdout.txt"
    rm -f "$dir/out.h5"
    echo "$np ranks, $collective ($algorithms): $(grep 'check:' "$dir/stdout.txt")"
    grep -q "check: 0 wrong elements" "$dir/stdout.txt"
    for a in ${algorithms//,/ }; do
      grep -qE "^# $collective +algorithm $a " "$dir/stdout.txt" ||
        { echo "no $collective series of $a on $np ranks"; exit 1; }
    done
  done
done
