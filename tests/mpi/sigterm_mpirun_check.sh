#!/usr/bin/env bash
# SIGTERM to mpirun while points take far longer than mpirun's one-second grace between the
# forwarded SIGTERM and SIGKILL: the ranks agree to stop within one iteration, so the file
# says "interrupted by SIGTERM" and keeps every finished point (before, the status stayed
# "running").
set -u
bin="$1"; mpirun="$2"; python="$3"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$mpirun" -n 2 "$bin" run --algorithm ring --transport ucx -b 8 -e 1M -n 20000 -w 1 \
  --out "$dir/t.h5" >"$dir/out.txt" 2>"$dir/err.txt" &
launcher=$!
for _ in $(seq 1 300); do
  [ "$(grep -cE '^ +[0-9]+ ' "$dir/out.txt" 2>/dev/null)" -ge 3 ] && break
  sleep 0.1
done
kill -TERM "$launcher"
wait "$launcher"
code=$?
echo "mpirun exit status after SIGTERM: $code"
"$python" - "$dir/t.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    status = f.attrs["status"]
    status = status.decode() if isinstance(status, bytes) else status
    points = sum(len(g["points"]) for g in f["series"].values())
    print(f"status: {status}; points kept: {points}")
    assert status == "interrupted by SIGTERM", status
    assert points >= 3, points
    for g in f["series"].values():
        for row in g["points"]:
            assert row["size_bytes"] > 0 and row["time_median_us"] > 0, row
PY
