#!/usr/bin/env bash
# fabricbench qualify on the emulated fabric, 4 hosts on one leaf, every link at 1 Gbit/s:
#   - the built-in generic profile at --line-rate 1Gb passes (exit 0): every check PASS or
#     WARN, no slow host or link named (a run left INCONCLUSIVE by outside load on this
#     shared machine is repeated once; a FAIL is never excused);
#   - with fbf-h2's link re-shaped to 500 Mbit/s both ways, it fails (exit 8): every failed
#     check concerns fbf-h2, and the link matrix localisation names fbf-h2 alone, as a host
#     slow in both directions;
#   - the verdicts are in the results file (/verdicts/qualify.generic), and --from judges the
#     file again without MPI to the same exit code, leaving it unchanged.
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
fabric_init "$@"
fabric_up --hosts 4 --leaves 1 --host-rate 1gbit
fail() { echo "FAIL: $*"; exit 1; }

# qualify NAME: runs the generic profile at 1 Gbit/s on the 4 hosts; sets RC.
qualify() {
  local name=$1
  echo "+ scripts/fabric/mpirun.sh fabricbench qualify --profile generic --line-rate 1Gb ..."
  RC=0
  rm -f "$WORK/$name".*
  (cd "$WORK" && "$FABRIC_MPIRUN" --timeout 150 "$BIN" qualify --profile generic \
     --line-rate 1Gb --transport ucx --out "$WORK/$name.h5" --json "$WORK/$name.json" \
     --junit "$WORK/$name.xml") >"$WORK/$name.txt" 2>"$WORK/$name.err" || RC=$?
  cat "$WORK/$name.txt"
  grep -v 'UCX  WARN\|PMIX ERROR' "$WORK/$name.err" || true
  echo "exit code $RC"
}

# check NAME EXPECTED_OVERALL(S, /-separated) SLOW_HOST(or -): the JSON verdicts and the HDF5 record.
check() {
  "$PY" - "$WORK/$1.json" "$WORK/$1.h5" "$2" "$3" <<'PYEOF'
import json, sys
import h5py
doc, h5, overall, slow = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4]
bad = []
if doc["overall"] not in overall.split("/"):
    bad.append(f"overall {doc['overall']}, want {overall}")
checks = doc["checks"]
tests = sorted({c["test"] for c in checks})
if tests != ["link_matrix", "p2p_bandwidth"]:
    bad.append(f"tests {tests}")
links = [c for c in checks if c["test"] == "link_matrix"]
if len(links) != 12:
    bad.append(f"{len(links)} link checks, want 12")
for c in checks:
    touches = slow in (c["concerns"]["from_host"], c["concerns"]["to_host"])
    if c["verdict"] == "FAIL" and not touches:
        bad.append(f"FAIL not about {slow}: {c['check']}")
    if slow != "-" and c["test"] == "link_matrix" and touches and c["verdict"] != "FAIL":
        bad.append(f"{c['check']} is {c['verdict']}, want FAIL")
    if slow == "-" and c["verdict"] not in ("PASS", "WARN"):
        bad.append(f"{c['check']}: {c['verdict']} {c['note']}")
hosts = [(f["host"], f["kind"]) for f in doc["findings"]]
want = [] if slow == "-" else [(slow, "host")]
if hosts != want:
    bad.append(f"findings {hosts}, want {want}")
with h5py.File(h5, "r") as f:
    v = f["verdicts/qualify.generic"]
    if v.attrs["overall"] != doc["overall"]:
        bad.append(f"/verdicts overall {v.attrs['overall']}")
    if len(v["checks"]) != len(checks):
        bad.append("/verdicts has another number of checks")
    m = f["matrix/links.ucx"]
    if m["bandwidth_samples_us"].shape[0] != 16:
        bad.append(f"matrix samples shape {m['bandwidth_samples_us'].shape}")
for c in checks:
    v = c["value"]
    print(f"  {c['verdict']:5} {c['check']:55} {v['estimate']*8:.3f} Gb/s "
          f"[{v['lower']*8:.3f}, {v['upper']*8:.3f}] n={c['samples']}")
for f in doc["findings"]:
    print("  finding:", f["text"])
if bad:
    print("FAIL: " + "; ".join(bad))
    sys.exit(1)
print(f"ok    {sys.argv[1]}: {doc['overall']}, {len(checks)} checks, findings {hosts}")
PYEOF
}

qualify healthy
if [ "$RC" -eq 9 ]; then
  # The machine is shared: other load can slow a link for the seconds it is measured, which
  # leaves its check INCONCLUSIVE within the budget (never FAIL: that would fail here). Such a
  # run is repeated once.
  echo "note  healthy fabric: INCONCLUSIVE (exit 9) under outside load ($(cut -d' ' -f1-3 /proc/loadavg)); measuring once more"
  qualify healthy
fi
[ "$RC" -eq 0 ] || fail "healthy fabric: qualify exited $RC, want 0"
check healthy PASS/WARN - || fail "healthy fabric: verdicts"
grep -q '^<testsuites name="fabricbench qualify generic" tests="15" failures="0" skipped="0"' "$WORK/healthy.xml" ||
  fail "healthy fabric: JUnit header"
echo "ok    healthy fabric passes"

"$FABRIC_SH" shape fbf-h2 500mbit
qualify slowhost
[ "$RC" -eq 8 ] || fail "fbf-h2 at half rate: qualify exited $RC, want 8"
check slowhost FAIL fbf-h2 || fail "fbf-h2 at half rate: verdicts"
grep -q '^# SLOW HOST (links.ucx): fbf-h2 (rank 2) sends and receives slowly' "$WORK/slowhost.txt" ||
  fail "the table does not name fbf-h2"
[ "$(grep -c '^# SLOW ' "$WORK/slowhost.txt")" -eq 1 ] || fail "more than one slow host or link named"
echo "ok    a host at half rate fails and is named alone"

sum=$(md5sum <"$WORK/slowhost.h5")
rc=0
"$BIN" qualify --profile generic --line-rate 1Gb --from "$WORK/slowhost.h5" >"$WORK/from.txt" || rc=$?
[ "$rc" -eq 8 ] || fail "--from exited $rc, want 8"
[ "$(md5sum <"$WORK/slowhost.h5")" = "$sum" ] || fail "--from changed the file"
grep -q '^# SLOW HOST (links.ucx): fbf-h2 (rank 2)' "$WORK/from.txt" || fail "--from: no SLOW HOST line"
echo "ok    --from judges the file again (exit 8) without changing it"
