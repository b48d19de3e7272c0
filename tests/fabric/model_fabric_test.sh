#!/usr/bin/env bash
# fabric.sh up --model: the fabric a topology model describes (docs/topologies/*.json), no
# fabricbench needed. Bad models are refused (exit 2, one line, nothing built); the two-rail
# model builds two planes (also through `up --topology` with a stand-in fabricbench), each host reaching the other's rail-r NIC through its own rail-r
# NIC, status/hosts/nics/link/shape work on it and mpirun.sh hands UCX both NICs; the 2:1
# leaf-spine model builds 2 leaves and a spine with 400 Mbit/s uplinks. When the fabricbench
# given has the `topology` subcommand, `up --topology` on the YAML builds the same fabrics.
# Arguments: FABRICBENCH_BINARY (optional) PYTHON3.
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
BIN=${1:-}
PY=${2:-/usr/bin/python3}
FLOW=$FABRIC_ROOT/tests/fabric/flow.py
TOPO=$FABRIC_ROOT/docs/topologies
[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces (uid $(id -u))"
command -v ip >/dev/null 2>&1 || skip "iproute2 'ip' not installed"
command -v tc >/dev/null 2>&1 || skip "iproute2 'tc' not installed"
ip netns list >/dev/null 2>&1 || skip "'ip netns' does not work here"
WORK=$(mktemp -d)
trap 'fabric_teardown' EXIT
trap 'exit 130' INT TERM

ns_count() { ip netns list | awk '{print $1}' | grep -cE '^fbf-' || true; }
hosts_lines() { grep -c '# fbf-fabric$' /etc/hosts || true; }
fail() { echo "FAIL: $*"; exit 1; }

# reach SRC_NS DST_NS DST_ADDR [SRC_ADDR]: a short TCP flow gets through (sets REACH_OUT).
reach() {
  local ready=$WORK/ready.$RANDOM rc=0
  timeout 20 ip netns exec "$2" "$PY" "$FLOW" recv "$3" 5001 --ready "$ready" >"$WORK/recv.out" 2>&1 &
  local pid=$! i
  for ((i = 0; i < 100; i++)); do [ -e "$ready" ] && break; sleep 0.05; done
  timeout 10 ip netns exec "$1" "$PY" "$FLOW" send "$3" 5001 0.2 ${4:+--from "$4"} >/dev/null 2>&1 || rc=1
  if [ "$rc" -ne 0 ]; then kill "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || rc=1
  REACH_OUT=$(cat "$WORK/recv.out")
  return "$rc"
}

# --- bad models: one line on stderr, exit 2, nothing built ------------------------------
bad_model() { # NAME PYTHON_EDIT: the two-rail model edited by the Python statement
  local name=$1 edit=$2 rc=0
  "$PY" - "$TOPO/two-rail.json" "$WORK/$name.json" <<EOF
import json, sys
m = json.load(open(sys.argv[1]))
$edit
json.dump(m, open(sys.argv[2], "w"))
EOF
  "$FABRIC_SH" up --model "$WORK/$name.json" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
  [ "$rc" -eq 2 ] || fail "$name: exit $rc, want 2"
  [ ! -s "$WORK/$name.out" ] || fail "$name: printed on stdout: $(cat "$WORK/$name.out")"
  [ "$(wc -l <"$WORK/$name.err")" -eq 1 ] || fail "$name: want one line, got: $(cat "$WORK/$name.err")"
  grep -q "$3" "$WORK/$name.err" || fail "$name: '$(cat "$WORK/$name.err")' does not say '$3'"
  [ "$(ns_count)" -eq 0 ] || fail "$name: namespaces were made: $(ip netns list)"
  echo "ok    refused $name: $(cat "$WORK/$name.err")"
}
"$FABRIC_SH" down >/dev/null
bad_model host_name 'm["hosts"][1]["name"] = "node1"' "host 'node1'.*fbf-h<N>"
bad_model missing_rate 'del m["hosts"][0]["nics"][1]["rate_gbps"]' "NIC 'fbf1'.*rate"
bad_model zero_rate 'm["hosts"][0]["nics"][0]["rate_gbps"] = 0' "NIC 'fbf0'.*rate"
bad_model unknown_switch 'm["hosts"][1]["nics"][1]["switch"] = "rail7"' "unknown switch 'rail7'"
bad_model link_rate 'm["links"].append({"a": "rail0", "b": "rail1"})' "link rail0 - rail1.*rate"
bad_model rail 'm["hosts"][0]["nics"][1]["rail"] = 8' "rail 8"
bad_model nic_name 'm["hosts"][0]["nics"][1]["name"] = "fbf1-with-a-long-name"' "not a valid interface name"

# --topology runs "$FABRICBENCH" topology FILE --json; a stand-in prints the canonical JSON.
cat >"$WORK/fake-fabricbench" <<'EOF'
#!/bin/sh
[ "$1" = topology ] && [ "$3" = --json ] || exit 2
case $2 in *.yaml) exec cat "${2%.yaml}.json" ;; *) echo "fabricbench: cannot read $2" >&2; exit 2 ;; esac
EOF
chmod +x "$WORK/fake-fabricbench"
rc=0; FABRICBENCH=$WORK/fake-fabricbench "$FABRIC_SH" up --topology "$TOPO/nothing.conf" 2>"$WORK/topo.err" || rc=$?
[ "$rc" -eq 2 ] || fail "--topology with a failing fabricbench exited $rc, want 2"
grep -q "fake-fabricbench topology .*nothing.conf --json' failed" "$WORK/topo.err" || fail "--topology: $(cat "$WORK/topo.err")"
rc=0; FABRICBENCH=$WORK/none "$FABRIC_SH" up --topology "$TOPO/two-rail.yaml" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "--topology with no fabricbench exited $rc, want 2"
[ "$(ns_count)" -eq 0 ] || fail "--topology failures made namespaces: $(ip netns list)"
echo "ok    --topology: a failing or missing fabricbench is refused with exit 2"

# --- two rails ---------------------------------------------------------------------------
up_ok() {
  local rc=0
  "$FABRIC_SH" up "$@" || rc=$?
  [ "$rc" -ne 4 ] || skip "fabric.sh refused (see the line above)"
  [ "$rc" -eq 0 ] || fail "fabric.sh up $* exited $rc"
}
up_ok --model "$TOPO/two-rail.json"
"$FABRIC_SH" status | tee "$WORK/status.txt"
[ "$(ns_count)" -eq 3 ] || fail "expected 3 namespaces (2 hosts + switch), got $(ns_count)"
[ "$(hosts_lines)" -eq 2 ] || fail "expected 2 tagged /etc/hosts lines, got $(hosts_lines)"
for want in \
    'fbf0   rail 0  10.77.0.1/16 on rail0        fbf0 <-> fbf-h0p0   up 400Mbit  down 400Mbit' \
    'fbf1   rail 1  10.78.1.1/16 on rail1        fbf1 <-> fbf-h0p1   up 400Mbit  down 400Mbit' \
    'fbf0   rail 0  10.77.0.2/16 on rail0        fbf0 <-> fbf-h1p0   up 400Mbit  down 400Mbit' \
    'fbf1   rail 1  10.78.1.2/16 on rail1        fbf1 <-> fbf-h1p1   up 400Mbit  down 400Mbit'; do
  grep -qF -- "$want" "$WORK/status.txt" || fail "status lacks '$want'"
done
for dev in fbf0 fbf1; do
  for ns in fbf-h0 fbf-h1; do
    ip netns exec "$ns" tc qdisc show dev "$dev" | grep -q '^qdisc tbf .* rate 400Mbit ' ||
      fail "tbf of $ns $dev is not 400Mbit: $(ip netns exec "$ns" tc qdisc show dev "$dev")"
  done
done
[ "$("$FABRIC_SH" hosts)" = fbf-h0,fbf-h1 ] || fail "hosts: $("$FABRIC_SH" hosts)"
"$FABRIC_SH" hosts --list | grep -qx 'fbf-h1 10.77.0.2 rail0' || fail "hosts --list: $("$FABRIC_SH" hosts --list)"
[ "$("$FABRIC_SH" nics)" = fbf0,fbf1 ] || fail "nics: $("$FABRIC_SH" nics)"
"$FABRIC_SH" up --model "$TOPO/two-rail.json" | grep -q 'already up' || fail "second identical up was not a no-op"
FABRICBENCH=$WORK/fake-fabricbench "$FABRIC_SH" up --topology "$TOPO/two-rail.yaml" | grep -q 'already up' ||
  fail "up --topology of the same model was not a no-op"
echo "ok    two-rail: built, status, tbf 400Mbit on every NIC and port, hosts, nics, idempotent up"

ip netns exec fbf-h0 ip route get 10.78.1.2 | grep -q ' dev fbf1 ' || fail "rail 1 is not routed through fbf1"
ip netns exec fbf-h0 ip route get 10.77.0.2 | grep -q ' dev fbf0 ' || fail "rail 0 is not routed through fbf0"
reach fbf-h0 fbf-h1 10.78.1.2 10.78.1.1 || fail "fbf-h0 (10.78.1.1) does not reach fbf-h1's rail 1"
[[ $REACH_OUT == *" 10.78.1.1" ]] || fail "rail 1 flow arrived from '$REACH_OUT'"
reach fbf-h0 fbf-h1 10.77.0.2 10.78.1.1 || fail "fbf-h0 (10.78.1.1) does not reach fbf-h1's rail 0"
reach fbf-h1 fbf-h0 10.77.0.1 || fail "fbf-h1 does not reach fbf-h0's rail 0"
echo "ok    fbf-h0 reaches fbf-h1's rail-1 (through fbf1) and rail-0 addresses from 10.78.1.1"

dry=$(FBF_MPIRUN=/bin/true "$FABRIC_MPIRUN" --dry-run /bin/true); dry=${dry//\\/}   # printf %q's \,
[[ $dry == *"UCX_NET_DEVICES=fbf0,fbf1 "* ]] || fail "mpirun.sh does not give UCX both NICs: $dry"
[[ $dry == *"btl_tcp_if_include 10.77.0.0/16 "* ]] || fail "mpirun.sh moved Open MPI off rail 0: $dry"
dry=$(FBF_MPIRUN=/bin/true FBF_UCX_NET_DEVICES=fbf1 "$FABRIC_MPIRUN" --dry-run /bin/true); dry=${dry//\\/}
[[ $dry == *"UCX_NET_DEVICES=fbf1 "* ]] || fail "FBF_UCX_NET_DEVICES does not override: $dry"
echo "ok    mpirun.sh: UCX_NET_DEVICES=fbf0,fbf1, Open MPI on 10.77.0.0/16"

"$FABRIC_SH" link fbf-h1 down | grep -qx 'link of fbf-h1: down' || fail "link down did not report"
! reach fbf-h0 fbf-h1 10.78.1.2 || fail "fbf-h1's rail 1 still answers with its links down"
rc=0; "$FABRIC_SH" status >/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "status with a link down exited $rc, want 1 (degraded)"
"$FABRIC_SH" link fbf-h1 up >/dev/null
reach fbf-h0 fbf-h1 10.78.1.2 || fail "fbf-h1's rail 1 does not answer after link up"
"$FABRIC_SH" shape fbf-h1 100mbit | grep -qx 'links of fbf-h1 (fbf0,fbf1): shaped to 100mbit both ways' ||
  fail "shape did not report"
"$FABRIC_SH" status | grep -qF 'fbf1 <-> fbf-h1p1   up 100Mbit  down 100Mbit' || fail "shape: rates of fbf-h1 fbf1"
"$FABRIC_SH" status | grep -qF 'fbf1 <-> fbf-h0p1   up 400Mbit  down 400Mbit' || fail "shape changed fbf-h0"
"$FABRIC_SH" up --model "$TOPO/two-rail.json" | grep -q 'fabric up' || fail "up after shape did not rebuild"
"$FABRIC_SH" status | grep -qF 'fbf0 <-> fbf-h1p0   up 400Mbit  down 400Mbit' || fail "up after shape left fbf-h1 shaped"
echo "ok    link down/up and shape act on every NIC of a host; up rebuilds after shape"

# --- 2:1 leaf-spine ----------------------------------------------------------------------
up_ok --model "$TOPO/leaf-spine-2to1.json"
"$FABRIC_SH" status | tee "$WORK/status.txt"
[ "$(ns_count)" -eq 5 ] || fail "expected 5 namespaces (4 hosts + switch), got $(ns_count)"
[ "$(hosts_lines)" -eq 4 ] || fail "expected 4 tagged /etc/hosts lines, got $(hosts_lines)"
grep -qE '^    tier 1  spine ' "$WORK/status.txt" || fail "no spine at tier 1"
for k in 1 2; do
  grep -qF "|-- to spine        fbf-s${k}s0 <-> fbf-s0s${k}   up 400Mbit  down 400Mbit" "$WORK/status.txt" ||
    fail "uplink of leaf $((k - 1)) is not 400Mbit both ways"
  ip netns exec fbf-sw tc qdisc show dev "fbf-s${k}s0" | grep -q '^qdisc tbf .* rate 400Mbit ' || fail "tbf of fbf-s${k}s0"
done
"$FABRIC_SH" hosts --list | grep -qx 'fbf-h2 10.77.1.3 leaf1' || fail "h2 is not on leaf1: $("$FABRIC_SH" hosts --list)"
[ "$("$FABRIC_SH" nics)" = fbf0 ] || fail "nics: $("$FABRIC_SH" nics)"
reach fbf-h0 fbf-h3 10.77.1.4 || fail "fbf-h0 does not reach fbf-h3 across the spine"
echo "ok    leaf-spine 2:1: 2 leaves under a spine, uplinks shaped at 400mbit, cross-leaf traffic flows"

# --- the same from the YAML, when this fabricbench reads topologies ------------------------
if [ -n "$BIN" ] && [ -x "$BIN" ] && "$BIN" topology "$TOPO/two-rail.yaml" --json >/dev/null 2>&1; then
  FABRICBENCH=$BIN "$FABRIC_SH" up --topology "$TOPO/leaf-spine-2to1.yaml" >/dev/null
  "$FABRIC_SH" hosts --list | grep -qx 'fbf-h2 10.77.1.3 leaf1' || fail "--topology leaf-spine: $("$FABRIC_SH" hosts --list)"
  FABRICBENCH=$BIN "$FABRIC_SH" up --topology "$TOPO/two-rail.yaml" >/dev/null
  [ "$("$FABRIC_SH" nics)" = fbf0,fbf1 ] || fail "--topology two-rail: nics $("$FABRIC_SH" nics)"
  "$FABRIC_SH" status | grep -qF 'fbf1   rail 1  10.78.1.2/16 on rail1' || fail "--topology two-rail: status"
  echo "ok    up --topology builds the same fabrics from the YAML"
else
  echo "note  no fabricbench with a topology subcommand: the YAML examples were not read"
fi

"$FABRIC_SH" down
[ "$(ns_count)" -eq 0 ] || fail "down left namespaces: $(ip netns list)"
[ "$(hosts_lines)" -eq 0 ] || fail "down left /etc/hosts lines"
[ ! -e /run/fbf-fabric ] || fail "down left /run/fbf-fabric: $(ls /run/fbf-fabric)"
echo "ok    down removes everything"
