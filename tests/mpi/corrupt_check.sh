#!/usr/bin/env bash
# --check must catch a wrong element: --debug-corrupt 1 flips one output element on rank 1
# before every check, so every point reports exactly 1 wrong element and the run exits 3.
set -u
bin="$1"; mpirun="$2"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$mpirun" -n 2 --oversubscribe "$bin" run --algorithm ring --transport ucx -b 1K -e 16K -f 4 -n 2 -w 1 \
  --check --debug-corrupt 1 --out "$dir/out.h5" >"$dir/stdout.txt" 2>"$dir/stderr.txt"
code=$?
cat "$dir/stdout.txt"
fail=0
if [ "$code" -ne 3 ]; then echo "FAIL: exit code $code, expected 3"; fail=1; fi
points=$(grep -cE '^ +[0-9]+ ' "$dir/stdout.txt")
ones=$(awk '$1 ~ /^[0-9]+$/ && $NF == "1"' "$dir/stdout.txt" | wc -l)
if [ "$points" -ne 3 ] || [ "$ones" -ne 3 ]; then
  echo "FAIL: expected 3 points each with #wrong 1, got $points points, $ones with 1"; fail=1
fi
grep -q "check found [0-9]* wrong elements" "$dir/stderr.txt" || { echo "FAIL: no error line on stderr"; fail=1; }
[ "$fail" -eq 0 ] && echo "corruption caught: exit 3, #wrong 1 at every size"
exit "$fail"
