#!/usr/bin/env bash
# A planted slow sender (rank 1 sleeps before every send) must be found by the link matrix:
# exit code 4, and every flagged link is one that rank 1 sends on, named by host and rank.
set -u
bin="$1"; mpirun="$2"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$mpirun" -n 4 --oversubscribe "$bin" p2p --test matrix --transport ucx -n 10 -w 1 --window 8 \
  --matrix-bandwidth-size 256K --matrix-threshold 0.2 --debug-delay-rank 1 --debug-delay-us 2000 \
  --out "$dir/m.h5" \
  >"$dir/out.txt" 2>"$dir/err.txt"
code=$?
cat "$dir/out.txt"
fail=0
[ "$code" -eq 4 ] || { echo "FAIL: exit code $code, expected 4"; fail=1; }
flagged=$(grep -c '^# SLOW LINK:' "$dir/out.txt")
from_rank1=$(grep '^# SLOW LINK:' "$dir/out.txt" | grep -c '(rank 1) ->')
[ "$flagged" -ge 1 ] || { echo "FAIL: no link flagged"; fail=1; }
[ "$flagged" -eq "$from_rank1" ] || { echo "FAIL: a link not sent by rank 1 was flagged"; fail=1; }
grep -q "$(hostname)" <(grep '^# SLOW LINK:' "$dir/out.txt") || { echo "FAIL: host name missing"; fail=1; }
[ "$fail" -eq 0 ] && echo "planted slow sender found: $flagged link(s) from rank 1 flagged, exit 4"
exit "$fail"
