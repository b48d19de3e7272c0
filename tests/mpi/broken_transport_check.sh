#!/usr/bin/env bash
# A transport that cannot start (UCX told to use a transport that does not exist) is reported
# once, its series are recorded as skipped with the reason, and the rest is measured (exit 0).
# When nothing in the plan can run, the run exits 2. The same for `fabricbench p2p`.
set -u
bin="$1"; mpirun="$2"; python="$3"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
timeout 120 "$mpirun" -n 2 -x UCX_TLS=nonexistent "$bin" run -e 1K -n 2 -w 1 --out "$dir/v.h5" \
  >"$dir/out.txt" 2>"$dir/err.txt"
code=$?
[ "$code" -eq 0 ] || { echo "FAIL: exit $code (expected 0)"; cat "$dir/err.txt"; fail=1; }
[ "$(grep -c 'ucx transport cannot start here' "$dir/err.txt")" -eq 1 ] ||
  { echo "FAIL: not reported exactly once:"; cat "$dir/err.txt"; fail=1; }
"$python" - "$dir/v.h5" <<'PY' || fail=1
import sys, h5py
s = lambda v: v.decode() if isinstance(v, bytes) else str(v)
with h5py.File(sys.argv[1], "r") as f:
    assert s(f.attrs["status"]) == "complete", s(f.attrs["status"])
    for name, g in f["series"].items():
        skipped = s(g.attrs.get("skipped", ""))
        if ".ucx." in name:
            assert "ucp_init" in skipped and len(g["points"]) == 0, (name, skipped)
        else:
            assert skipped == "" and len(g["points"]) > 0, (name, skipped)
    print("measured:", sorted(n for n, g in f["series"].items() if len(g["points"])))
PY
timeout 120 "$mpirun" -n 2 -x UCX_TLS=nonexistent "$bin" run --transport ucx --algorithm ring -e 1K \
  -n 2 -w 1 --out "$dir/w.h5" >"$dir/out.txt" 2>"$dir/err.txt"
code=$?
[ "$code" -eq 2 ] || { echo "FAIL: nothing runnable: exit $code (expected 2)"; cat "$dir/err.txt"; fail=1; }
grep -q "nothing in the plan can run here" "$dir/err.txt" ||
  { echo "FAIL: no 'nothing can run' message"; cat "$dir/err.txt"; fail=1; }
# fabricbench p2p: the same rule.
timeout 120 "$mpirun" -n 2 -x UCX_TLS=nonexistent "$bin" p2p -e 1K -n 3 -w 1 --out "$dir/p.h5" \
  >"$dir/out.txt" 2>"$dir/err.txt"
code=$?
[ "$code" -eq 0 ] || { echo "FAIL: p2p: exit $code (expected 0)"; cat "$dir/err.txt"; fail=1; }
[ "$(grep -c 'ucx transport cannot start here' "$dir/err.txt")" -eq 1 ] ||
  { echo "FAIL: p2p: not reported exactly once:"; cat "$dir/err.txt"; fail=1; }
"$python" - "$dir/p.h5" <<'PY' || fail=1
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    names = sorted(f["series"])
    assert names and all(n.endswith(".mpi") for n in names), names
    assert all(len(f["series"][n]["points"]) > 0 for n in names), names
    print("p2p measured:", names)
PY
timeout 120 "$mpirun" -n 2 -x UCX_TLS=nonexistent "$bin" p2p --transport ucx -e 1K -n 3 -w 1 \
  --out "$dir/q.h5" >"$dir/out.txt" 2>"$dir/err.txt"
code=$?
[ "$code" -eq 2 ] || { echo "FAIL: p2p, nothing runnable: exit $code (expected 2)"; cat "$dir/err.txt"; fail=1; }
exit "$fail"
