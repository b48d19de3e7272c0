#!/usr/bin/env bash
# fabricbench qualify under mpirun on one machine (3 ranks): a profile with every kind of
# rule, thresholds any machine clears, and too few first samples for an interval (5), so
# that every check starts INCONCLUSIVE:
#   - with a budget, qualify measures again into continuation series (p2p, collective) and
#     matrices whose `continues` names the first, pools them, and passes (exit 0); the file
#     passes the h5py schema check and records the verdicts;
#   - without a budget it reports INCONCLUSIVE (exit 9), saying why, with JUnit <skipped>.
set -eu
bin="$1"; mpirun="$2"; python="$3"; checker="$4"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
profile() { # BUDGET
  cat <<YAML
profile: local
link: {line_rate: 1 Mb/s, nics_per_node: 1}
rules:
  - {name: lat, test: p2p_latency, size: 8, unit: us, warn: 1e6, fail: 1e6, iterations: 5, budget: $1}
  - {name: bibw, test: p2p_bibw, sizes: [4K, 8K], unit: line_rate, warn: 0.5, fail: 0.1, iterations: 5, budget: $1}
  - {name: links, test: link_matrix, size: 4K, unit: Gb/s, warn: 0.002, fail: 0.001, iterations: 5, budget: $1}
  - {name: busbw, test: collective, collective: allreduce, algorithm: ring, sizes: [4K, 4K], unit: GB/s, warn: 1e-5, fail: 1e-6, iterations: 5, budget: $1}
YAML
}
profile 20 >"$dir/budget.yaml"
profile 0 >"$dir/nobudget.yaml"

rc=0
"$mpirun" -n 3 --oversubscribe "$bin" qualify --profile "$dir/budget.yaml" --out "$dir/b.h5" \
  --json "$dir/b.json" --window 4 --warmup 1 >"$dir/b.txt" || rc=$?
cat "$dir/b.txt"
[ "$rc" -eq 0 ] || { echo "FAIL: with a budget qualify exited $rc, want 0"; exit 1; }
grep -q '^# inconclusive checks: measuring again (round 1)' "$dir/b.txt"
"$python" "$checker" "$dir/b.h5" --expect-world-size 3
"$python" - "$dir/b.h5" "$dir/b.json" <<'PY'
import json, sys
import h5py
doc = json.load(open(sys.argv[2]))
assert doc["overall"] == "PASS", doc["overall"]
assert {c["test"] for c in doc["checks"]} == {"p2p_latency", "p2p_bibw", "link_matrix", "collective"}
assert all(c["samples"] >= 10 for c in doc["checks"]), [c["samples"] for c in doc["checks"]]
with h5py.File(sys.argv[1], "r") as f:
    s = f["series"]
    cont = {n: s[n].attrs["continues"] for n in s if "continues" in s[n].attrs}
    assert cont.get("latency.ucx.more1") == "latency.ucx", cont
    assert cont.get("bibw.ucx.more1") == "bibw.ucx", cont
    assert cont.get("allreduce.ring.ucx.float32.sum.more1") == "allreduce.ring.ucx.float32.sum", cont
    assert f["matrix/links.ucx.more1"].attrs["continues"] == "links.ucx"
    assert f["verdicts/qualify.local"].attrs["overall"] == "PASS"
    assert f.attrs["status"] == "complete", f.attrs["status"]
print("ok    continuations pooled, PASS:", sorted(cont))
PY

# --from judges without MPI and changes nothing; --record adds a verdict set and nothing else.
sum=$(md5sum <"$dir/b.h5")
rc=0; "$bin" qualify --profile "$dir/budget.yaml" --from "$dir/b.h5" >"$dir/from.txt" || rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: --from exited $rc, want 0"; exit 1; }
[ "$(md5sum <"$dir/b.h5")" = "$sum" ] || { echo "FAIL: --from changed the file"; exit 1; }
rc=0; "$bin" qualify --profile generic --line-rate 1Mb --from "$dir/b.h5" --record >"$dir/rec.txt" || rc=$?
[ "$rc" -eq 9 ] || { echo "FAIL: --record with generic exited $rc, want 9 (nothing in its windows)"; exit 1; }
grep -q "^# verdicts recorded in $dir/b.h5 (/verdicts/qualify.generic)" "$dir/rec.txt"
"$python" - "$dir/b.h5" <<'PY'
import sys
import h5py
with h5py.File(sys.argv[1], "r") as f:
    assert sorted(f["verdicts"]) == ["qualify.generic", "qualify.local"], list(f["verdicts"])
    assert f["verdicts/qualify.generic"].attrs["overall"] == "INCONCLUSIVE"
    assert f.attrs["status"] == "complete"
    assert "resume_count" not in f.attrs or f.attrs["resume_count"] == 1, f.attrs["resume_count"]
print("ok    --from leaves the file alone; --record adds /verdicts/qualify.generic only")
PY

rc=0
"$mpirun" -n 3 --oversubscribe "$bin" qualify --profile "$dir/nobudget.yaml" --out "$dir/n.h5" \
  --junit "$dir/n.xml" --window 4 --warmup 1 >"$dir/n.txt" || rc=$?
cat "$dir/n.txt"
[ "$rc" -eq 9 ] || { echo "FAIL: without a budget qualify exited $rc, want 9"; exit 1; }
grep -q '(5 samples are too few for a 95% interval of the median)' "$dir/n.txt"
grep -q '<skipped message="INCONCLUSIVE: 5 samples are too few for a 95% interval of the median"/>' "$dir/n.xml"
if grep -q 'measuring again' "$dir/n.txt"; then echo "FAIL: measured again without a budget"; exit 1; fi
echo "ok    without a budget: INCONCLUSIVE, exit 9"
