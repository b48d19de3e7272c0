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
