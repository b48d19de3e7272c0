#!/usr/bin/env bash
# fabricbench compare on two runs whose links differ by a known ratio: the same UCX p2p
# bandwidth test on 2 hosts, A with the host links shaped to 800 Mbit/s, B to 1 Gbit/s.
# B's bandwidth is 1.25 times A's at the bandwidth-bound sizes (both links carry the same
# fraction of their line rate: tbf's burst is 2 ms of the rate, so it scales with it).
#
# Asserted, with --alpha 0.01 (99 % intervals), at the sizes 4, 8 and 16 MiB (bandwidth-bound:
# the fixed cost of a window is under 1 % of its time there):
#   - every point says "B faster", its Holm-adjusted p below 0.01;
#   - the gain interval (time_A / time_B - 1) covers the true 25 % at two of the three points
#     at least, and the series summary's (geometric mean over the sizes) covers it too.
# A 99 % interval misses the truth once in a hundred runs by design; asking all three points
# would fail a correct build about 3 times in 100, two of three about once in 3000.
#   - compare exits 0; the other way round (fast against slow) with --fail-if-slower 0 it
#     exits 10.
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
fabric_init "$@"
SIZES=(-b 4M -e 16M -f 2)
run_bw() { # NAME: the bandwidth test on fbf-h0 -> fbf-h1
  run_fb "$1" -n 2 --hosts fbf-h0,fbf-h1 -- p2p --test bandwidth "${SIZES[@]}" -n 15 -w 2 \
    --window 4 --transport ucx
}

fabric_up --hosts 2 --leaves 1 --host-rate 800mbit
run_bw slow
"$FABRIC_SH" down >/dev/null
fabric_up --hosts 2 --leaves 1 --host-rate 1gbit
run_bw fast
"$FABRIC_SH" down >/dev/null

rc=0
echo "+ fabricbench compare slow.h5 fast.h5 --alpha 0.01 --json compare.json"
"$BIN" compare "$WORK/slow.h5" "$WORK/fast.h5" --alpha 0.01 --json "$WORK/compare.json" || rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: compare exited $rc"; exit 1; }

"$PY" - "$WORK/compare.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
truth = 25.0  # percent: 1 Gbit/s over 800 Mbit/s
bad = 0
series = [s for s in doc["series"] if s["identity"]["test"] == "bandwidth"]
if len(series) != 1:
    sys.exit(f"FAIL: expected one matched bandwidth series, got {len(series)}")
s = series[0]
bound = [p for p in s["points"] if p["size_bytes"] >= doc["settings"]["bw_from_bytes"]]
sizes = [p["size_bytes"] for p in bound]
if sizes != [4 << 20, 8 << 20, 16 << 20]:
    sys.exit(f"FAIL: expected the sizes 4M, 8M and 16M, got {sizes}")
covered = 0
for p in bound:
    g = p["gain_pct"]
    faster = p["verdict"] == "faster" and p["p_holm"] < 0.01
    covers = g["lower"] <= truth <= g["upper"]
    covered += covers
    bad += not faster
    print(f"{'ok  ' if faster else 'FAIL'}  {p['size_bytes']:>8} B: {p['text']}, p (Holm) "
          f"{p['p_holm']:.2g}; {'covers' if covers else 'misses'} {truth:g}%")
if covered < 2:
    print(f"FAIL  only {covered} of 3 gain intervals cover {truth:g}%")
    bad += 1
sm = s["summary"]
g = sm["gain_pct"]
ok = sm["verdict"] == "faster" and g["lower"] <= truth <= g["upper"]
bad += not ok
print(f"{'ok  ' if ok else 'FAIL'}  summary over {sm['sizes_bytes']}: {sm['text']}")
sys.exit(1 if bad else 0)
EOF

rc=0
"$BIN" compare "$WORK/fast.h5" "$WORK/slow.h5" --fail-if-slower 0 >/dev/null || rc=$?
if [ "$rc" -ne 10 ]; then
  echo "FAIL: compare fast.h5 slow.h5 --fail-if-slower 0 exited $rc, not 10"; exit 1
fi
echo "ok    compare fast.h5 slow.h5 --fail-if-slower 0 exits 10"
