#!/usr/bin/env bash
# SIGUSR1 (what Slurm sends before a kill) to a running sweep: the ranks stop at the next
# point boundary, the file records "interrupted by SIGUSR1" with every finished point, and
# the run exits 5.
set -u
bin="$1"; mpirun="$2"; python="$3"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$mpirun" -n 2 "$bin" run --algorithm ring --transport ucx -n 300 -w 10 --out "$dir/sig.h5" \
  >"$dir/out.txt" 2>"$dir/err.txt" &
launcher=$!
# Wait until some points are in, then signal the launcher (it forwards SIGUSR1 to the ranks).
for _ in $(seq 1 100); do
  [ "$(grep -cE '^ +[0-9]+ ' "$dir/out.txt" 2>/dev/null)" -ge 3 ] && break
  sleep 0.1
done
kill -USR1 "$launcher"
wait "$launcher"
code=$?
fail=0
[ "$code" -eq 5 ] || { echo "FAIL: exit code $code, expected 5"; cat "$dir/err.txt"; fail=1; }
"$python" - "$dir/sig.h5" <<'PY' || fail=1
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    status = f.attrs["status"]
    points = sum(len(g["points"]) for g in f["series"].values())
    print(f"status: {status}; points kept: {points}")
    assert status == "interrupted by SIGUSR1", status
    assert 3 <= points < 24, points
PY
exit "$fail"
