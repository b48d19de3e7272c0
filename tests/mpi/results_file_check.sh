#!/usr/bin/env bash
# A results file is never destroyed: a second run given a file another run is writing is
# refused (exit 2) without touching it, also with --overwrite and with HDF5's own file locking
# off; --out over a file that is not a fabricbench results file is refused, with or without
# --overwrite, and the file is untouched; --overwrite replaces a results file; --out /dev/null
# is refused at once (run and p2p). Each refusal is one line from rank 0, never MPI_Abort.
set -u
bin="$1"; mpirun="$2"; python="$3"
dir=$(mktemp -d)
long=
trap '[ -n "$long" ] && kill -KILL "$long" 2>/dev/null; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
quick=(run --algorithm ring --transport ucx -e 1K -n 2 -w 1)

# refused LOG: exit 2 was expected; exactly one error line from fabricbench, no MPI_Abort.
refused() {
  grep -q "MPI_Abort" "$1" && fail "$1: MPI_Abort: $(cat "$1")"
  [ "$(grep -c '^fabricbench: ' "$1")" -eq 1 ] || fail "$1: not exactly one line: $(cat "$1")"
}

# A long run (points of a million iterations: minutes in all, on any machine) holds the file;
# SIGUSR1 stops it within one iteration once the others have been tried.
"$mpirun" -n 2 "$bin" run --algorithm ring --transport ucx -b 8 -e 64K -n 1000000 \
  -w 1 --out "$dir/same.h5" >"$dir/long.log" 2>&1 &
long=$!
for _ in $(seq 1 300); do
  [ -e "$dir/same.h5" ] && break
  sleep 0.1
done
[ -e "$dir/same.h5" ] || fail "the first run did not create its file: $(cat "$dir/long.log")"
before=$(md5sum <"$dir/same.h5")
for locking in TRUE FALSE; do
  HDF5_USE_FILE_LOCKING=$locking timeout 60 "$mpirun" -x HDF5_USE_FILE_LOCKING -n 2 "$bin" \
    "${quick[@]}" --out "$dir/same.h5" >"$dir/second.log" 2>&1
  rc=$?; [ $rc -eq 2 ] || fail "second run (locking $locking): exit $rc: $(cat "$dir/second.log")"
  grep -q "same.h5: the file exists; not touched" "$dir/second.log" || fail "$(cat "$dir/second.log")"
  refused "$dir/second.log"
  HDF5_USE_FILE_LOCKING=$locking timeout 60 "$mpirun" -x HDF5_USE_FILE_LOCKING -n 2 "$bin" \
    "${quick[@]}" --out "$dir/same.h5" --overwrite >"$dir/over.log" 2>&1
  rc=$?; [ $rc -eq 2 ] || fail "--overwrite of a file in use (locking $locking): exit $rc"
  grep -q "same.h5: in use by another fabricbench run" "$dir/over.log" || fail "$(cat "$dir/over.log")"
  refused "$dir/over.log"
done
kill -0 "$long" 2>/dev/null || fail "the first run ended before the second ones were tried"
# Its first point (8 B) is in the file before it is stopped.
for _ in $(seq 1 600); do
  grep -qE '^ +8 ' "$dir/long.log" && break
  sleep 0.1
done
kill -USR1 "$long"
wait "$long"; rc=$?; long=
[ $rc -eq 5 ] || fail "the first run exited $rc: $(tail -3 "$dir/long.log")"
"$python" - "$dir/same.h5" <<'PY' || fail "the first run's file was damaged"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    status = f.attrs["status"]
    assert status == "interrupted by SIGUSR1", status
    assert "-n 1000000" in f.attrs["command_line"]
    assert sum(len(g["points"]) for g in f["series"].values()) > 0
print("first run's file intact:", status)
PY

# Not a results file: untouched, with and without --overwrite.
echo "my notes" >"$dir/notes.txt"
for extra in "" --overwrite; do
  timeout 60 "$mpirun" -n 2 "$bin" "${quick[@]}" --out "$dir/notes.txt" $extra >"$dir/notes.log" 2>&1
  rc=$?; [ $rc -eq 2 ] || fail "--out notes.txt $extra: exit $rc"
  refused "$dir/notes.log"
  [ "$(cat "$dir/notes.txt")" = "my notes" ] || fail "notes.txt changed ($extra)"
done
grep -q "not a fabricbench results file; not touched" "$dir/notes.log" || fail "$(cat "$dir/notes.log")"

# --overwrite replaces a results file.
timeout 60 "$mpirun" -n 2 "$bin" "${quick[@]}" --out "$dir/r.h5" >/dev/null 2>&1 || fail "first r.h5"
timeout 60 "$mpirun" -n 2 "$bin" run --algorithm ring --transport ucx -e 2K -n 2 -w 1 --out "$dir/r.h5" --overwrite >"$dir/r.log" 2>&1 ||
  fail "--overwrite of a results file: $(cat "$dir/r.log")"
"$python" - "$dir/r.h5" <<'PY' || fail "--overwrite did not replace the file"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    assert "--overwrite" in f.attrs["command_line"], f.attrs["command_line"]
    assert f.attrs["status"] == "complete"
PY
ls -a "$dir" | grep -q '\.tmp-' && fail "temporary files left: $(ls -a "$dir")"

# /dev/null: refused at once, run and p2p.
for sub in "${quick[*]}" "p2p -e 1K -n 2 -w 1"; do
  timeout 60 "$mpirun" -n 2 "$bin" $sub --out /dev/null >"$dir/null.log" 2>&1
  rc=$?; [ $rc -eq 2 ] || fail "$sub --out /dev/null: exit $rc: $(cat "$dir/null.log")"
  grep -q "/dev/null: exists and is a device" "$dir/null.log" || fail "$(cat "$dir/null.log")"
  refused "$dir/null.log"
done
echo "results files: refused when in use, not ours, or /dev/null; replaced only with --overwrite"
