#!/usr/bin/env bash
# A plan that needs more memory than the machine has is refused before anything is allocated
# (exit 2, one line with the figures), instead of std::bad_alloc or the kernel's OOM killer.
set -u
bin="$1"; mpirun="$2"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
timeout 120 "$mpirun" -n 2 "$bin" run --algorithm ring --transport ucx -b 1024G -e 1024G -n 1 -w 0 \
  --out "$dir/big.h5" >"$dir/out.txt" 2>"$dir/err.txt"
code=$?
[ "$code" -eq 2 ] || { echo "FAIL: exit $code (expected 2)"; cat "$dir/err.txt"; fail=1; }
grep -q "fabricbench: error: the plan needs 6144.0 GiB of memory on host .* (2 ranks x 3072.0 GiB" \
  "$dir/err.txt" || { echo "FAIL: no figures:"; cat "$dir/err.txt"; fail=1; }
[ ! -e "$dir/big.h5" ] || { echo "FAIL: a results file was left behind"; fail=1; }
grep -m1 "fabricbench: error" "$dir/err.txt"
exit "$fail"
