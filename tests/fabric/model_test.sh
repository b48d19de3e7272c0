#!/usr/bin/env bash
# fabricbench model on a topology sweep: ring, tree and halving-doubling all-reduce on the
# 2- and 4-host subsets of 4 emulated hosts, plus a p2p latency/bandwidth file. The model is
# fitted on the 2-host subset only and predicts the 4-host one (the back-test): the report
# and its JSON name every held-out point with a finite relative error, the p2p series get
# alpha-beta models, the ASTRA-sim export has the link, and bad input is one line and exit
# 2. No timing thresholds: the back-test's accuracy is measured, not asserted
# (docs/PERFORMANCE.md).
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
fabric_init "$@"
fabric_up --hosts 4 --leaves 1 --host-rate 400mbit

run_fb sweep -n 4 -- run --collective allreduce --algorithm ring,tree,halving-doubling \
  --transport ucx -b 64K -e 2M -f 2 -n 5 -w 1 --nodes sweep
run_fb p2p -n 2 --hosts fbf-h0,fbf-h1 -- p2p --test latency,bandwidth --transport ucx \
  -b 8 -e 1M -f 4 -n 10 -w 2 --window 8

echo "+ fabricbench model sweep.h5 p2p.h5 --fit-nodes 2 --predict-ranks 16,1024 --json model.json"
"$BIN" model "$WORK/sweep.h5" "$WORK/p2p.h5" --fit-nodes 2 --predict-ranks 16,1024 \
  --json "$WORK/model.json" --export-astra-sim "$WORK/network.yml" | tee "$WORK/model.txt"
cat "$WORK/network.yml"
grep -q "^npus_count: \[ 1024 \]$" "$WORK/network.yml" ||
  { echo "FAIL: network.yml without npus_count 1024"; exit 1; }
grep -Eq "^bandwidth: \[ [0-9.e+-]+ \]  # GB/s$" "$WORK/network.yml" ||
  { echo "FAIL: network.yml without a bandwidth"; exit 1; }
grep -q "^# back-test: fitted on the 2-node subset" "$WORK/model.txt" ||
  { echo "FAIL: no back-test section"; exit 1; }

"$PY" - "$WORK/model.json" <<'PY'
import json, math, sys
doc = json.load(open(sys.argv[1]))
bad = []
def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        bad.append(what)
check(doc["schema"] == "fabricbench-verdicts" and doc["command"] == "model", "schema and command")
algos = sorted(c["algorithm"] for c in doc["collectives"])
check(algos == ["halving-doubling", "ring", "tree"], f"fitted algorithms {algos}")
for c in doc["collectives"]:
    a = c["alpha_us"]
    check(c["ranks_fitted"] == [2] and all(math.isfinite(a[k]) for k in ("estimate", "lower", "upper")),
          f"{c['group']}: fitted on 2 ranks, alpha {a['estimate']:.3g} us with a finite interval")
bt = doc["backtest"]
check(bt is not None and bt["fit_nodes"] == 2, "back-test on the 2-node subset")
series = {s["series"]: s for s in bt["series"]}
for algo in ("ring", "tree", "halving-doubling"):
    name = f"allreduce.{algo}.ucx.float32.sum.nodes4x1"
    s = series.get(name)
    check(s is not None, f"{name} predicted")
    if s is None:
        continue
    errors = [p["relative_error"] for p in s["points"]]
    sizes = [p["size_bytes"] for p in s["points"]]
    check(sizes == [65536 << i for i in range(6)], f"{name}: every size {sizes}")
    check(all(e is not None and math.isfinite(e) for e in errors), f"{name}: finite errors {errors}")
    m = s["median_abs_relative_error_ge_1MiB"]
    check(m is not None and math.isfinite(m) and s["nodes"] == 4 and s["ranks"] == 4,
          f"{name}: median |error| at >= 1 MiB {m}")
check(len(doc["predictions"]) == 3 * 2 * 6, f"{len(doc['predictions'])} predictions (3 algorithms x 2 rank counts x 6 sizes)")
check(all(math.isfinite(p["time_us"]["estimate"]) for p in doc["predictions"]), "predicted times finite")
tests = sorted(p["test"] for p in doc["p2p"])
check(tests == ["bandwidth", "latency"], f"p2p models {tests}")
for p in doc["p2p"]:
    seg = p["segments"][0]
    check(math.isfinite(seg["alpha_us"]["estimate"]) and seg["points"] >= 3,
          f"{p['series']}: {len(p['segments'])} segment(s), break {p['break_bytes']}")
sys.exit(f"FAIL: {bad}" if bad else 0)
PY

# Bad input: one line on stderr, exit 2.
expect_bad() {
  local want=$1; shift
  local rc=0
  "$BIN" model "$@" >"$WORK/bad.out" 2>"$WORK/bad.err" || rc=$?
  local lines
  lines=$(wc -l <"$WORK/bad.err")
  if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q -- "$want" "$WORK/bad.err"; then
    echo "FAIL: model $* -> exit $rc, $lines line(s): $(cat "$WORK/bad.err")"; exit 1
  fi
  echo "ok    model $* -> exit 2: $(cat "$WORK/bad.err")"
}
expect_bad "--fit-nodes 3: no series of that node subset" "$WORK/sweep.h5" --fit-nodes 3
expect_bad "not a rank count" "$WORK/sweep.h5" --predict-ranks 16,x
expect_bad "no such file" "$WORK/missing.h5"
echo garbage >"$WORK/garbage.h5"
expect_bad "garbage.h5" "$WORK/garbage.h5"
