#!/usr/bin/env bash
# fabricbench compare on real files (2 ranks, one host): a file against itself shows no
# significant difference anywhere and exits 0; --fail-if-slower exits 10 only for a copy whose
# times are doubled (B slower), 0 the other way round and for a limit beyond the slowdown; a
# run differing in timing method is refused (exit 2, one line) unless --force; files with
# nothing in common, a missing file and an unwritable --json are one line and exit 2; --json
# writes the document of results/VERDICTS.md.
set -u
bin="$1"; mpirun="$2"; python="$3"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$mpirun" -n 2 "$bin" run --collective allreduce --algorithm ring --transport ucx -b 64K -e 4M \
  -f 4 -n 20 -w 2 --progress off --out "$dir/a.h5" >"$dir/run.log" 2>&1 ||
  fail "run: $(cat "$dir/run.log")"
"$mpirun" -n 2 "$bin" p2p --test latency,bandwidth -b 1K -e 1M -f 32 -n 20 -w 2 --transport ucx \
  --progress off --out "$dir/p.h5" >"$dir/p2p.log" 2>&1 || fail "p2p: $(cat "$dir/p2p.log")"

# slow.h5: a.h5 with every sample doubled; window.h5: a.h5 claiming another timing method.
"$python" - "$dir" <<'EOF' || fail "could not make the doctored copies"
import shutil, sys
import h5py
d = sys.argv[1]
for name, change in (("slow", "double"), ("window", "timing")):
    shutil.copy(f"{d}/a.h5", f"{d}/{name}.h5")
    with h5py.File(f"{d}/{name}.h5", "r+") as f:
        for series in f["series"].values():
            if change == "double":
                series["samples"][...] = series["samples"][()] * 2
            else:
                series.attrs["timing"] = "window"
EOF

# compare_exit WANT ARGS...: runs compare, checks the exit code; output in $dir/out, $dir/err.
compare_exit() {
  local want=$1 code=0; shift
  "$bin" compare "$@" >"$dir/out" 2>"$dir/err" || code=$?
  [ "$code" -eq "$want" ] || fail "compare $* exited $code, not $want: $(cat "$dir/out" "$dir/err")"
  echo "ok: compare $* -> exit $code"
}
one_line() {
  [ "$(wc -l <"$dir/err")" -eq 1 ] && grep -q "^fabricbench: error: $1" "$dir/err" ||
    fail "expected one line 'fabricbench: error: $1...', got: $(cat "$dir/err")"
  [ ! -s "$dir/out" ] || fail "stdout not empty: $(cat "$dir/out")"
  echo "    $(cat "$dir/err")"
}

# A file against itself: every point "no significant difference", p (Holm) 1.
for f in a p; do
  compare_exit 0 "$dir/$f.h5" "$dir/$f.h5" --fail-if-slower 0 --json "$dir/$f.json"
  grep -qE 'B (faster|slower)' "$dir/out" && fail "a difference in $f.h5 against itself: $(cat "$dir/out")"
  [ -s "$dir/err" ] && fail "stderr: $(cat "$dir/err")"
  "$python" - "$dir/$f.json" <<'EOF' || fail "$f.json: $(cat "$dir/$f.json")"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["schema"] == "fabricbench-verdicts" and doc["command"] == "compare", doc
assert doc["refused"] is False and doc["exit_code"] == 0 and not doc["slower_than_allowed"]
assert not doc["series_only_in_a"] and not doc["series_only_in_b"] and not doc["provenance"]
points = [p for s in doc["series"] for p in s["points"]]
assert points and doc["compared_points"] == len(points), doc["compared_points"]
for p in points:
    assert p["verdict"] == "no difference" and p["p_holm"] == 1, p
    assert p["time_ratio"]["estimate"] == 1 and p["time_ratio"]["lower"] < 1 < p["time_ratio"]["upper"], p
    assert p["text"] == "no significant difference", p
print(f"    {len(points)} points of {len(doc['series'])} series: no significant difference")
EOF
done

# Doubled times: bandwidth halved (gain -50 %).
compare_exit 10 "$dir/a.h5" "$dir/slow.h5" --fail-if-slower 10
grep -q 'B slower by 50.0% \[' "$dir/out" || fail "no 'B slower by 50.0%': $(cat "$dir/out")"
grep -q -- '--fail-if-slower 10%: FAIL' "$dir/out" || fail "no FAIL line: $(cat "$dir/out")"
compare_exit 0 "$dir/a.h5" "$dir/slow.h5" --fail-if-slower 60
compare_exit 0 "$dir/a.h5" "$dir/slow.h5"
compare_exit 0 "$dir/slow.h5" "$dir/a.h5" --fail-if-slower 0
grep -q 'B faster by 100.0% \[' "$dir/out" || fail "no 'B faster by 100.0%': $(cat "$dir/out")"

# Another timing method: refused, or compared with --force (and said so).
compare_exit 2 "$dir/a.h5" "$dir/window.h5"
one_line "refusing to compare .*timing differs (A iteration, B window)"
compare_exit 0 "$dir/a.h5" "$dir/window.h5" --force
grep -q 'warning (--force): .*timing differs (A iteration, B window)' "$dir/out" ||
  fail "no --force warning: $(cat "$dir/out")"

# Nothing in common: collective series against p2p series.
compare_exit 2 "$dir/a.h5" "$dir/p.h5"
one_line "nothing to compare: "
compare_exit 2 "$dir/a.h5" "$dir/missing.h5"
one_line "$dir/missing.h5"
compare_exit 2 "$dir/a.h5" "$dir/a.h5" --json "$dir/no/such/dir/c.json"
one_line "--json: cannot write '$dir/no/such/dir/c.json': No such file or directory"
echo "PASS"
