#!/usr/bin/env bash
# The latency-optimal algorithms (recursive doubling, Bruck, k-nomial, scatter + all-gather)
# and auto through the real harness on 6 and 7 ranks, where recursive doubling folds 2 and 3
# ranks in and Bruck's last step is partial: in and out of place, every root, sum and avg
# (the finishing division), with --check: no wrong element anywhere.
set -eu
bin="$1"; mpirun="$2"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for np in 6 7; do
  "$mpirun" -n "$np" --oversubscribe "$bin" run --collective allreduce,allgather,broadcast,reduce \
    --algorithm recursive-doubling,bruck,knomial,scatter-allgather,auto --transport all \
    --placement both --root all --dtype int32,bfloat16 --op sum,avg -b 4 -e 64K -f 16 -n 2 -w 1 \
    --check --out "$dir/out$np.h5" >"$dir/stdout$np.txt"
  tail -2 "$dir/stdout$np.txt"
  grep -q "check: 0 wrong elements" "$dir/stdout$np.txt"
  for a in recursive-doubling bruck knomial scatter-allgather; do
    grep -q "algorithm *$a\b" "$dir/stdout$np.txt" || grep -q "$a" "$dir/stdout$np.txt" ||
      { echo "no series of $a on $np ranks"; exit 1; }
  done
done
