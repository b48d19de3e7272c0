#!/usr/bin/env bash
# Bisection bandwidth (p2p --test bisection) on fabrics built from docs/topologies/:
#  1. the 2:1 leaf/spine fabric (2 leaves, 2 hosts of 400 Mbit/s each, one 400 Mbit/s uplink
#     per leaf): the reported oversubscription is 2:1 within 10%, against the hosts' rates
#     and against the fastest pairing measured; the worst pairing crosses the spine with both
#     hosts of a leaf, its pairs are the slowest named, and the file records every pairing
#     with its host pairs, rate sum and per-pair bandwidth;
#  2. the link matrix grouped by the model: on 3 leaves of one host each, leaf2's uplink shaped
#     to a quarter of the hosts' rate, leaf2 is flagged as a whole (its links slow together)
#     and neither another leaf nor the spine is;
#  3. the two-rail fabric with 2 ranks per host (one NIC each): not oversubscribed (1:1
#     within 10%), both rails carrying at once.
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
fabric_init "$@"
DOCS=$FABRIC_ROOT/docs/topologies
export FABRICBENCH=$BIN

fabric_up --topology "$DOCS/leaf-spine-2to1.yaml"
run_fb spine -n 4 --hosts fbf-h0,fbf-h1,fbf-h2,fbf-h3 -- p2p --test bisection --transport ucx \
  -b 1M -e 1M -n 10 -w 1 --window 8 --topology "$DOCS/leaf-spine-2to1.yaml"
"$PY" - "$WORK/spine.h5" "$WORK/spine.txt" <<'PY'
import re, sys, h5py
f = h5py.File(sys.argv[1], "r")
text = open(sys.argv[2]).read()
s = f["series"]
names = sorted(n for n in s if n.startswith("bisection.ucx."))
assert names == ["bisection.ucx.random1", "bisection.ucx.random2", "bisection.ucx.random3",
                 "bisection.ucx.random4", "bisection.ucx.worst"], names
worst = s["bisection.ucx.worst"]
assert worst.attrs["pairing"] == "worst"
assert list(worst.attrs["host_pairs"]) == ["fbf-h0->fbf-h2", "fbf-h1->fbf-h3"], list(worst.attrs["host_pairs"])
assert list(worst.attrs["pairs"]) == ["0-2", "1-3"], list(worst.attrs["pairs"])
assert abs(worst.attrs["host_rate_sum_Gbps"] - 0.8) < 1e-9, worst.attrs["host_rate_sum_Gbps"]
assert worst["per_pair_bw_GBps"].shape == (1, 2), worst["per_pair_bw_GBps"].shape
over = float(re.search(r"oversubscription ([0-9.]+):1", text).group(1))
fastest = float(re.search(r"carried ([0-9.]+) times as much", text).group(1))
measured = worst.attrs["host_rate_sum_Gbps"] / (8 * float(worst["points"]["bw_GBps"][0]))
print(f"oversubscription {over:.2f}:1 against the hosts' rates (file: {measured:.2f}), "
      f"{fastest:.2f}:1 against the fastest pairing")
wrong = [int(m) for m in re.findall(r"^\s+1048576\s.*\s(\d+)$", text, re.M)]
assert len(wrong) == 5 and not any(wrong), wrong
slowest = re.findall(r"^# slowest pair: (\S+) ", text, re.M)
assert slowest and all(p in ("fbf-h0->fbf-h2", "fbf-h1->fbf-h3", "fbf-h0->fbf-h3",
                             "fbf-h1->fbf-h2", "fbf-h2->fbf-h0", "fbf-h3->fbf-h1",
                             "fbf-h2->fbf-h1", "fbf-h3->fbf-h0") for p in slowest), slowest
bad = [x for x in (over, measured, fastest) if not 1.8 <= x <= 2.2]
sys.exit(f"FAIL: not 2:1 within 10%: {bad}" if bad else 0)
PY

cat >"$WORK/slow-leaf.yaml" <<'YAML'
version: 1
switches:
  - name: spine
  - name: leaf[0-1]
    uplinks: [{to: spine, rate: 400Mbit}]
  - name: leaf2
    uplinks: [{to: spine, rate: 100Mbit}]
hosts:
  - name: fbf-h0
    nics: [{name: fbf0, switch: leaf0, rate: 400Mbit}]
  - name: fbf-h1
    nics: [{name: fbf0, switch: leaf1, rate: 400Mbit}]
  - name: fbf-h2
    nics: [{name: fbf0, switch: leaf2, rate: 400Mbit}]
YAML
fabric_up --topology "$WORK/slow-leaf.yaml"
rc=0
(cd "$WORK" && "$FABRIC_MPIRUN" --timeout 240 -n 3 --hosts fbf-h0,fbf-h1,fbf-h2 "$BIN" p2p \
   --test matrix --transport ucx -n 3 -w 1 --window 4 --matrix-bandwidth-size 256K \
   --topology "$WORK/slow-leaf.yaml" --progress off --out "$WORK/matrix.h5") \
  >"$WORK/matrix.txt" || rc=$?
grep -E '^# (links|SLOW)' "$WORK/matrix.txt" || true
[ "$rc" -eq 4 ] || { echo "FAIL: the slow leaf's matrix exited $rc, not 4 (links flagged)"; exit 1; }
"$PY" - "$WORK/matrix.h5" <<'PY'
import sys, h5py
m = h5py.File(sys.argv[1], "r")["matrix"]["links.ucx"]
groups = list(m.attrs["link_groups"]); flagged = list(m.attrs["flagged_groups"])
print("groups:", groups); print("flagged:", flagged)
assert len(groups) == 1 and groups[0].startswith("across the spine: 6 links"), groups
assert len(flagged) == 1 and flagged[0].startswith("leaf leaf2: its 4 cross-spine links"), flagged
PY

fabric_up --topology "$DOCS/two-rail.yaml"
run_fb rails -n 4 --hosts fbf-h0,fbf-h0,fbf-h1,fbf-h1 -- p2p --test bisection --transport ucx \
  -b 1M -e 1M -n 5 -w 1 --window 8 --bisection-pairings 2 --topology "$DOCS/two-rail.yaml"
"$PY" - "$WORK/rails.h5" "$WORK/rails.txt" <<'PY'
import re, sys, h5py
f = h5py.File(sys.argv[1], "r")
text = open(sys.argv[2]).read()
assert list(f.attrs["rank_nics"]) == ["fbf0", "fbf1", "fbf0", "fbf1"], list(f.attrs["rank_nics"])
worst = f["series"]["bisection.ucx.worst"]
assert list(worst.attrs["pairs"]) == ["0-2", "1-3"], list(worst.attrs["pairs"])
assert abs(worst.attrs["host_rate_sum_Gbps"] - 0.8) < 1e-9, worst.attrs["host_rate_sum_Gbps"]
over = float(re.search(r"oversubscription ([0-9.]+):1", text).group(1))
print(f"two rails: oversubscription {over:.2f}:1")
sys.exit(0 if 0.9 <= over <= 1.1 else f"FAIL: the two-rail fabric shows {over}:1, not 1:1")
PY
