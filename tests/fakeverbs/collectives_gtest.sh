#!/usr/bin/env bash
# The multi-rank collectives tests (tests/mpi/collectives_test.cpp) restricted to the verbs
# transport: they iterate over the available transports, and under the software device
# verbs is one. Fails if no verbs case ran (verbs unavailable would otherwise pass silently).
set -eu
mpirun="$1"; ranks="$2"; tests="$3"; filter="${4:-*verbs*}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
"$mpirun" -n "$ranks" --oversubscribe "$tests" --gtest_filter="$filter" --gtest_brief=1 --gtest_color=no >"$out" 2>&1 ||
  status=$?
tail -5 "$out"
[ "$status" -eq 0 ] || { grep -E "FAILED|Failure|exception" "$out" | head -20; exit 1; }
passed=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) tests\{0,1\}\..*/\1/p' "$out" | tail -1)
echo "verbs cases passed on $ranks ranks: ${passed:-0}"
[ "${passed:-0}" -gt 0 ]
