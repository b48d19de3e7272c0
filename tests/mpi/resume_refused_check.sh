#!/usr/bin/env bash
# --resume with anything that changes the numbers (iterations, warm-up, pipeline parameters,
# another collective, another rank count, a p2p file) is refused at once on every rank with
# exit 2 and one line naming the first difference, and the file is left byte for byte as it
# was. `timeout` catches the old failure mode (a stall until --timeout + 5 s, then a false
# "lost peer").
set -u
bin="$1"; mpirun="$2"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
common=(run --algorithm ring --transport ucx -b 8 --timeout 60)
"$mpirun" -n 2 "$bin" "${common[@]}" -e 1K -n 3 -w 1 --out "$dir/base.h5" >"$dir/base.txt" 2>&1 ||
  { echo "FAIL: base run"; cat "$dir/base.txt"; exit 1; }
"$mpirun" -n 2 "$bin" p2p -e 1K -n 3 --out "$dir/p2p.h5" >/dev/null 2>&1 ||
  { echo "FAIL: p2p run"; exit 1; }

refused() {  # ranks, expected message part, file, then the options
  local n="$1" expect="$2" file="$3"
  shift 3
  cp "$file" "$dir/r.h5"
  local before
  before=$(md5sum <"$dir/r.h5")
  timeout 45 "$mpirun" -n "$n" "$bin" "${common[@]}" -e 4K "$@" --resume "$dir/r.h5" >"$dir/out.txt" 2>"$dir/err.txt"
  local code=$?
  local errors
  errors=$(grep -c 'fabricbench: error:' "$dir/err.txt")
  if [ "$code" -ne 2 ]; then
    echo "FAIL: $* -> exit $code (expected 2)"; cat "$dir/err.txt"; fail=1
  elif [ "$errors" -ne 1 ] || ! grep -q -- "$expect" "$dir/err.txt"; then
    echo "FAIL: $* -> $errors error lines, expected one with '$expect':"; cat "$dir/err.txt"; fail=1
  elif [ "$(md5sum <"$dir/r.h5")" != "$before" ]; then
    echo "FAIL: $* changed the file"; fail=1
  elif grep -q 'lost peer' "$dir/err.txt"; then
    echo "FAIL: $* reported a lost peer"; fail=1
  else
    echo "ok: $* -> $(grep 'fabricbench: error:' "$dir/err.txt")"
  fi
}
refused 2 "iterations (-n): the file has 3, this command 7" "$dir/base.h5" -n 7 -w 1
refused 2 "warm-up iterations (-w): the file has 1, this command 4" "$dir/base.h5" -n 3 -w 4
refused 2 "parameter segment_bytes" "$dir/base.h5" -n 3 -w 1 --ring-segment 1K --ring-slots 3
refused 2 "the file's series allreduce.ring.ucx.float32.sum is not measured by this command" "$dir/base.h5" -n 3 -w 1 --collective allgather
refused 1 "measured on 2 ranks, this run has 1" "$dir/base.h5" -n 3 -w 1
refused 2 "point-to-point results" "$dir/p2p.h5" -n 3 -w 1

# The same command (a larger -e is allowed) continues the file.
cp "$dir/base.h5" "$dir/r.h5"
"$mpirun" -n 2 "$bin" "${common[@]}" -n 3 -w 1 -e 4K --resume "$dir/r.h5" >"$dir/out.txt" 2>&1 ||
  { echo "FAIL: a matching resume failed"; cat "$dir/out.txt"; fail=1; }
grep -q "resumed: 8 points were already in the file" "$dir/out.txt" ||
  { echo "FAIL: matching resume did not reuse the 8 points"; cat "$dir/out.txt"; fail=1; }
python3_bin=/usr/bin/python3
"$python3_bin" - "$dir/r.h5" <<'PY' || fail=1
import sys, h5py
s = lambda v: v.decode() if isinstance(v, bytes) else str(v)
with h5py.File(sys.argv[1], "r") as f:
    lines = [s(x) for x in f.attrs["resume_command_lines"]]
    assert len(lines) == 1 and "--resume" in lines[0] and "-e 4K" in lines[0], lines
    assert "--resume" not in s(f.attrs["command_line"]), s(f.attrs["command_line"])
    assert s(f.attrs["status"]) == "complete", s(f.attrs["status"])
    print("resumed part recorded:", lines[0])
PY
exit "$fail"
