#!/usr/bin/env bash
# Interrupt a sweep (SIGUSR1), then rerun it with --resume FILE: only the missing points are
# measured, and the final file holds the same set of points (series x sizes) as an
# uninterrupted run, with no point twice, and status "complete".
set -u
bin="$1"; mpirun="$2"; python="$3"; checker="$4"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
opts=(run --algorithm ring,mpi --transport ucx -b 8 -e 4M -w 5)
"$mpirun" -n 2 "$bin" "${opts[@]}" -n 2 --out "$dir/full.h5" >/dev/null || { echo "FAIL: full run"; exit 1; }
"$mpirun" -n 2 "$bin" "${opts[@]}" -n 400 --out "$dir/part.h5" >"$dir/part.txt" 2>&1 &
launcher=$!
for _ in $(seq 1 200); do
  [ "$(grep -cE '^ +[0-9]+ ' "$dir/part.txt" 2>/dev/null)" -ge 4 ] && break
  sleep 0.1
done
kill -USR1 "$launcher"
wait "$launcher"
[ $? -eq 5 ] || { echo "FAIL: the interrupted run did not exit 5"; exit 1; }
"$mpirun" -n 2 "$bin" "${opts[@]}" -n 400 --resume "$dir/part.h5" >"$dir/resume.txt" || {
  echo "FAIL: resume run"; cat "$dir/resume.txt"; exit 1; }
grep '^# resumed:' "$dir/resume.txt"
"$python" - "$dir/full.h5" "$dir/part.h5" <<'PY' || exit 1
import sys, h5py
def points(path):
    with h5py.File(path, "r") as f:
        status = f.attrs["status"]
        pts = [(name, int(s)) for name, g in f["series"].items() for s in g["points"]["size_bytes"]]
        return status, pts
_, full = points(sys.argv[1])
status, resumed = points(sys.argv[2])
assert status == "complete", status
assert len(resumed) == len(set(resumed)), "a point was measured twice"
assert set(resumed) == set(full), f"missing {set(full) - set(resumed)}, extra {set(resumed) - set(full)}"
print(f"resumed file: {len(resumed)} points, same set as the uninterrupted run, status {status}")
PY
"$python" "$checker" "$dir/part.h5" --expect-series 2 --expect-world-size 2
