#!/usr/bin/env bash
# A disk that fills up mid-run (a small tmpfs; mounting it needs root, skipped otherwise) ends
# every rank with exit 7 and one message naming the file; what was flushed still opens with
# h5py and h5dump; `run --resume` finishes the file once there is space again.
# Usage: full_disk_check.sh BIN MPIRUN PYTHON run|p2p
set -u
bin="$1"; mpirun="$2"; python="$3"; mode="$4"
dir=$(mktemp -d)
fail() { echo "FAIL: $*"; exit 1; }
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: mounting a tmpfs needs root"; rm -rf "$dir"; exit 0; fi
mkdir -p "$dir/full"
if ! mount -t tmpfs -o size=200k tmpfs "$dir/full" 2>"$dir/mount.log"; then
  echo "SKIP: cannot mount a tmpfs here: $(cat "$dir/mount.log")"; rm -rf "$dir"; exit 0
fi
trap 'umount "$dir/full" 2>/dev/null; rm -rf "$dir"' EXIT

if [ "$mode" = run ]; then
  opts=(run --collective all -e 1M -n 5 -w 1 --timeout 5)
else
  # 2000 samples per point: every point needs a 1 MiB chunk, more than the disk has.
  opts=(p2p --test latency -e 64 -n 2000 -w 1 --timeout 5)
fi
timeout 90 "$mpirun" -n 2 "$bin" "${opts[@]}" --out "$dir/full/f.h5" >"$dir/full.log" 2>&1
rc=$?
[ $rc -ne 124 ] || fail "still running after 90 s"
[ $rc -eq 7 ] || fail "exit $rc, expected 7: $(grep -v '^ ' "$dir/full.log" | tail -5)"
grep -q "MPI_Abort" "$dir/full.log" && fail "MPI_Abort: $(cat "$dir/full.log")"
[ "$(grep -c '^fabricbench: error: ' "$dir/full.log")" -eq 1 ] || fail "not one error line: $(cat "$dir/full.log")"
grep "^fabricbench: error: " "$dir/full.log" | grep -q "cannot write the results file: $dir/full/f.h5: .*No space left on device" ||
  fail "no message naming the file and the reason: $(grep '^fabricbench' "$dir/full.log")"
if command -v h5dump >/dev/null; then
  h5dump -H "$dir/full/f.h5" >/dev/null || fail "h5dump cannot read what was flushed"
fi
"$python" - "$dir/full/f.h5" <<'PY' || fail "h5py cannot read what was flushed"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    assert f.attrs["status"] == "running", f.attrs["status"]
    for name, g in f["series"].items():
        rows = int(g["points"].attrs["committed_rows"])
        assert rows <= len(g["points"]) and all(g["points"]["iterations"][:rows] > 0), name
    print("flushed part readable:", len(f["series"]), "series")
PY
[ "$mode" = run ] || { echo "full disk: every rank exited 7, the file reads"; exit 0; }

# Space again: --resume finishes the file with every point of the plan.
mount -o remount,size=64m "$dir/full" || fail "cannot grow the tmpfs"
timeout 300 "$mpirun" -n 2 "$bin" "${opts[@]}" --resume "$dir/full/f.h5" >"$dir/resume.log" 2>&1 ||
  fail "--resume: $(tail -3 "$dir/resume.log")"
timeout 300 "$mpirun" -n 2 "$bin" "${opts[@]}" --out "$dir/reference.h5" >/dev/null 2>&1 || fail "reference run"
"$python" - "$dir/full/f.h5" "$dir/reference.h5" <<'PY' || exit 1
import sys, h5py
def points(path):
    with h5py.File(path, "r") as f:
        pts = []
        for name, g in f["series"].items():
            rows = int(g["points"].attrs["committed_rows"])
            pts += [(name, int(s)) for s in g["points"]["size_bytes"][:rows]]
        return f.attrs["status"], pts
status, resumed = points(sys.argv[1])
_, full = points(sys.argv[2])
assert status == "complete", status
assert len(resumed) == len(set(resumed)), "a point twice"
assert set(resumed) == set(full), f"missing {set(full) - set(resumed)}"
print(f"resumed after the full disk: {len(resumed)} points, status {status}")
PY
