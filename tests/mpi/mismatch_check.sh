#!/usr/bin/env bash
# Ranks started with different options are refused at start: exit 2 and one line naming
# both command lines (an MPMD launch gives rank 1 another size range).
set -u
bin="$1"; mpirun="$2"
err=$(mktemp)
trap 'rm -f "$err"' EXIT
"$mpirun" -n 1 "$bin" run -e 1K --out /dev/null : -n 1 "$bin" run -e 2K --out /dev/null >/dev/null 2>"$err"
code=$?
if [ "$code" -ne 2 ] || ! grep -q "ranks were started with different options" "$err"; then
  echo "FAIL: exit $code"; cat "$err"; exit 1
fi
echo "mismatch refused: $(grep 'different options' "$err")"

# A node subset larger than the launch: 2 ranks on this one host cannot give 2 nodes, nor 3
# ranks per node. Refused at start with exit 2 and one line.
expect_refused() {
  local want=$1; shift
  "$mpirun" -n 2 --oversubscribe "$bin" run -e 1K --out /dev/null "$@" >/dev/null 2>"$err"
  code=$?
  if [ "$code" -ne 2 ] || ! grep -q "$want" "$err"; then
    echo "FAIL: $* -> exit $code, expected 2 and '$want'"; cat "$err"; exit 1
  fi
  echo "refused: $(grep "$want" "$err")"
}
expect_refused "the job spans only 1 node" --nodes 2
expect_refused "has only 2 ranks in this job" --ranks-per-node 3
