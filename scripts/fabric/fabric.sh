#!/usr/bin/env bash
# Emulated multi-host fabric built from Linux network namespaces, veth links, bridges and
# tc tbf rate shaping. See docs/FABRIC.md.
#
# Usage:
#   fabric.sh up [--hosts N] [--leaves L] [--host-rate RATE] [--spine-rate RATE]
#   fabric.sh up --model MODEL.json | --topology FILE
#   fabric.sh down
#   fabric.sh status
#   fabric.sh hosts [--list]
#   fabric.sh nics
#   fabric.sh link HOST up|down
#   fabric.sh shape HOST RATE
#
# `up --model` builds the fabric a topology model describes (the JSON of
# `fabricbench topology FILE --json`); `up --topology FILE` runs that command first, with
# $FABRICBENCH or build/fabricbench or build/harness/fabricbench. scripts/fabric/model_plan.py
# checks the model and turns it into the build plan; "Building from a description" in
# docs/FABRIC.md has the layout. `nics` prints the NIC names (fbf0,fbf1,...) for UCX.
#
# `link` takes a host's link down (or back up) at its leaf switch port, as a pulled cable or
# a failed switch port would: the host keeps its address but nothing reaches it.
# `shape` re-shapes one host's link in both directions (its own egress and its switch port's)
# to RATE, as a host whose NIC or cable negotiated a lower speed; RATE equal to the fabric's
# host rate restores it (on a model-built fabric, `link` and `shape` act on every NIC of the
# host, and the rate every NIC has in the model restores it). A re-shaped fabric is rebuilt by the next `up`, even with the same
# parameters.
#
# Topology of the flag-built fabric (everything lives in namespaces this script creates;
# the root namespace gets no device, route or firewall rule, only tagged lines in /etc/hosts):
#   - host i: namespace fbf-hI, UTS name fbf-hI when started through rsh-agent.sh or
#     mpirun.sh, one interface "fbf0" with address 10.77.<leaf>.<i+1>/16, plus lo;
#   - switches: namespace fbf-sw holds one bridge per leaf (fbf-leafK) and, when there
#     is more than one leaf, a spine bridge (fbf-spine);
#   - host link: veth fbf0 (in fbf-hI) <-> fbf-hI-p (in fbf-sw, port of fbf-leafK);
#   - leaf uplink: veth fbf-lK-up (port of fbf-leafK) <-> fbf-lK-dn (port of fbf-spine);
#   - every veth end has a root tbf qdisc, so each link is shaped in both directions.
# Hosts are spread over leaves in contiguous blocks: host i sits on leaf i*L/N.
#
# Exit codes: 0 success, 1 failure, 2 usage error or a model the emulator cannot build,
# 3 (status/hosts/nics) fabric is down,
# 4 refused: not root or network namespaces unavailable.
set -euo pipefail

readonly PREFIX=fbf
readonly SW_NS=${PREFIX}-sw
readonly HOST_IF=fbf0
readonly SUBNET=10.77.0.0/16
readonly HOSTS_TAG="# fbf-fabric"
readonly HOSTS_FILE=${FBF_HOSTS_FILE:-/etc/hosts}
readonly STATE_DIR=/run/fbf-fabric
readonly STATE_FILE=$STATE_DIR/state
readonly PLAN_FILE=$STATE_DIR/plan          # model-built fabric: the plan it was built from
readonly MODEL_FILE=$STATE_DIR/model.json   # ... and a copy of its model
readonly PYTHON=/usr/bin/python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
readonly LOCK_FILE=/run/fbf-fabric.lock
readonly MAX_HOSTS=64
readonly MAX_LEAVES=16
BUILDING=0
TBF_LATENCY=${FBF_TBF_LATENCY:-5ms}

die() { echo "fabric.sh: $*" >&2; exit 1; }
refuse() { echo "fabric.sh: refused: $*" >&2; exit 4; }
usage() {
  sed -n '5,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# Refuses (one line, exit 4) unless we are root and `ip netns` works. With "probe", also
# creates and removes a scratch namespace to prove namespaces can really be made.
require_netns() {
  [ "$(id -u)" -eq 0 ] || refuse "must run as root (uid $(id -u))"
  command -v ip >/dev/null 2>&1 || refuse "the ip command (iproute2) is not installed"
  ip netns list >/dev/null 2>&1 || refuse "'ip netns' does not work here"
  if [ "${1:-}" = probe ]; then
    command -v tc >/dev/null 2>&1 || refuse "the tc command (iproute2) is not installed"
    local probe=${PREFIX}-probe
    ip netns del "$probe" >/dev/null 2>&1 || true
    if ! ip netns add "$probe" >/dev/null 2>&1; then
      refuse "cannot create a network namespace ('ip netns add' failed)"
    fi
    if ! ip netns exec "$probe" ip link set lo up >/dev/null 2>&1; then
      ip netns del "$probe" >/dev/null 2>&1 || true
      refuse "cannot run inside a network namespace ('ip netns exec' failed)"
    fi
    ip netns del "$probe" >/dev/null 2>&1 || true
  fi
}

# RATE (tc syntax: 400mbit, 1gbit, 500kbit, 1000000bit) -> bits per second.
rate_bps() {
  local r=${1,,} num unit
  if [[ $r =~ ^([0-9]+)(bit|kbit|mbit|gbit)$ ]]; then
    num=${BASH_REMATCH[1]}; unit=${BASH_REMATCH[2]}
  else
    return 1
  fi
  case $unit in
    bit) echo "$num" ;;
    kbit) echo $((num * 1000)) ;;
    mbit) echo $((num * 1000000)) ;;
    gbit) echo $((num * 1000000000)) ;;
  esac
}

# Shapes the egress of DEV in namespace NS to RATE with a token bucket: bucket of 2 ms of
# line rate (at least 16 KiB), queue bounded at 20 ms.
shape() {
  local ns=$1 dev=$2 rate=$3 bps burst
  bps=$(rate_bps "$rate")
  burst=$((bps / 8 / 500))
  [ "$burst" -ge 16384 ] || burst=16384
  ip netns exec "$ns" tc qdisc replace dev "$dev" root tbf rate "$rate" burst "$burst" latency "$TBF_LATENCY"
}

leaf_of() { echo $(( $1 * $2 / $3 )); }   # host, leaves, hosts
addr_of() { echo "10.77.$2.$(( $1 + 1 ))"; } # host, leaf

remove_hosts_lines() {
  [ -f "$HOSTS_FILE" ] || return 0
  grep -qF "$HOSTS_TAG" "$HOSTS_FILE" || return 0
  local tmp
  tmp=$(mktemp)
  grep -vF "$HOSTS_TAG" "$HOSTS_FILE" >"$tmp" || true
  # Rewrite in place (keeps the inode: /etc/hosts is often a bind mount).
  cat "$tmp" >"$HOSTS_FILE"
  rm -f "$tmp"
}

our_namespaces() {
  ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${PREFIX}-(h[0-9]+|sw|probe)$" || true
}

# Stops what still runs inside our namespaces (by process id), then deletes them.
do_down() {
  local ns pids
  for ns in $(our_namespaces); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      kill -TERM $pids 2>/dev/null || true
    fi
  done
  for ns in $(our_namespaces); do
    local tries=0
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    while [ -n "$pids" ] && [ $tries -lt 20 ]; do
      sleep 0.1; tries=$((tries + 1))
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
    done
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      kill -KILL $pids 2>/dev/null || true
    fi
    ip netns del "$ns" 2>/dev/null || true
  done
  remove_hosts_lines
  rm -f "$STATE_FILE" "$PLAN_FILE" "$MODEL_FILE"
  rmdir "$STATE_DIR" 2>/dev/null || true
}

do_up() {
  local n=$1 l=$2 hrate=$3 srate=$4
  local want="hosts=$n leaves=$l host_rate=$hrate spine_rate=$srate tbf_latency=$TBF_LATENCY"
  # A host re-shaped since (`shape`, recorded below the first line) means rebuilding.
  if [ -f "$STATE_FILE" ] && [ "$(cat "$STATE_FILE")" = "$want" ] && verify "$n" "$l"; then
    echo "fabric already up: $want"
    return 0
  fi
  do_down
  BUILDING=1
  trap 'if [ "$BUILDING" = 1 ]; then echo "fabric.sh: up failed; removing the partial fabric" >&2; do_down; fi' EXIT

  ip netns add "$SW_NS"
  ip -n "$SW_NS" link set lo up
  ip netns exec "$SW_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  local k i leaf
  for ((k = 0; k < l; k++)); do
    ip -n "$SW_NS" link add "${PREFIX}-leaf$k" type bridge stp_state 0 forward_delay 0
    ip -n "$SW_NS" link set "${PREFIX}-leaf$k" up
  done
  if [ "$l" -gt 1 ]; then
    ip -n "$SW_NS" link add "${PREFIX}-spine" type bridge stp_state 0 forward_delay 0
    ip -n "$SW_NS" link set "${PREFIX}-spine" up
    for ((k = 0; k < l; k++)); do
      ip -n "$SW_NS" link add "${PREFIX}-l$k-up" type veth peer name "${PREFIX}-l$k-dn"
      ip -n "$SW_NS" link set "${PREFIX}-l$k-up" master "${PREFIX}-leaf$k" up
      ip -n "$SW_NS" link set "${PREFIX}-l$k-dn" master "${PREFIX}-spine" up
      shape "$SW_NS" "${PREFIX}-l$k-up" "$srate"
      shape "$SW_NS" "${PREFIX}-l$k-dn" "$srate"
    done
  fi
  local lines=""
  for ((i = 0; i < n; i++)); do
    local ns=${PREFIX}-h$i port=${PREFIX}-h$i-p addr
    leaf=$(leaf_of "$i" "$l" "$n")
    addr=$(addr_of "$i" "$leaf")
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" link set lo up
    ip -n "$SW_NS" link add "$port" type veth peer name "$HOST_IF" netns "$ns"
    ip -n "$SW_NS" link set "$port" master "${PREFIX}-leaf$leaf" up
    ip -n "$ns" addr add "$addr/16" dev "$HOST_IF"
    ip -n "$ns" link set "$HOST_IF" up
    shape "$ns" "$HOST_IF" "$hrate"
    shape "$SW_NS" "$port" "$hrate"
    lines+="$addr	$ns	$HOSTS_TAG"$'\n'
  done
  remove_hosts_lines
  printf '%s' "$lines" >>"$HOSTS_FILE"
  mkdir -p "$STATE_DIR"
  echo "$want" >"$STATE_FILE"
  BUILDING=0
  verify "$n" "$l" || die "the fabric was built but does not check out; run 'fabric.sh status'"
  echo "fabric up: $want"
}

# Quick structural check: every namespace, device and tbf qdisc present and up.
verify() {
  local n=$1 l=$2 i k ns leaf
  ip netns exec "$SW_NS" true 2>/dev/null || return 1
  for ((i = 0; i < n; i++)); do
    ns=${PREFIX}-h$i
    ip -n "$ns" -o link show "$HOST_IF" 2>/dev/null | grep -q 'state UP' || return 1
    ip netns exec "$ns" tc qdisc show dev "$HOST_IF" 2>/dev/null | grep -q '^qdisc tbf' || return 1
    ip netns exec "$SW_NS" tc qdisc show dev "${PREFIX}-h$i-p" 2>/dev/null | grep -q '^qdisc tbf' || return 1
    leaf=$(leaf_of "$i" "$l" "$n")
    grep -qE "^$(addr_of "$i" "$leaf")[[:space:]]+${ns}[[:space:]]" "$HOSTS_FILE" || return 1
  done
  # No stray host namespace beyond N.
  [ -z "$(our_namespaces | grep -E "^${PREFIX}-h([0-9]+)$" | sed "s/^${PREFIX}-h//" | awk -v n="$n" '$1 >= n')" ] || return 1
  if [ "$l" -gt 1 ]; then
    for ((k = 0; k < l; k++)); do
      ip netns exec "$SW_NS" tc qdisc show dev "${PREFIX}-l$k-up" 2>/dev/null | grep -q '^qdisc tbf' || return 1
      ip netns exec "$SW_NS" tc qdisc show dev "${PREFIX}-l$k-dn" 2>/dev/null | grep -q '^qdisc tbf' || return 1
    done
  fi
  return 0
}

read_state() {
  [ -f "$STATE_FILE" ] || return 1
  local line
  line=$(head -n1 "$STATE_FILE")
  ST_HOSTS=$(sed -n 's/.*hosts=\([0-9]*\).*/\1/p' <<<"$line")
  ST_LEAVES=$(sed -n 's/.*leaves=\([0-9]*\).*/\1/p' <<<"$line")
  ST_HRATE=$(sed -n 's/.*host_rate=\([^ ]*\).*/\1/p' <<<"$line")
  ST_SRATE=$(sed -n 's/.*spine_rate=\([^ ]*\).*/\1/p' <<<"$line")
}

tbf_rate() { # ns dev -> the rate tc reports for the root tbf, or "none"
  local r
  r=$(ip netns exec "$1" tc qdisc show dev "$2" 2>/dev/null | sed -n 's/^qdisc tbf .* rate \([^ ]*\) .*/\1/p')
  echo "${r:-none}"
}

do_status() {
  if ! read_state; then
    if [ -n "$(our_namespaces)" ]; then
      echo "fabric: partial leftovers ($(our_namespaces | tr '\n' ' ')); run 'fabric.sh down'"
    else
      echo "fabric: down"
    fi
    return 3
  fi
  if is_model; then do_status_model; return; fi
  local n=$ST_HOSTS l=$ST_LEAVES i k leaf ok=up
  verify "$n" "$l" || ok="DEGRADED (run 'fabric.sh up' again to rebuild)"
  echo "fabric: $ok"
  echo "  hosts $n, leaves $l, host links $ST_HRATE, leaf-spine links $ST_SRATE, subnet $SUBNET"
  echo "  switches: bridges in namespace $SW_NS; hosts: namespaces ${PREFIX}-h0..${PREFIX}-h$((n - 1)), interface $HOST_IF"
  echo "  rates below are the live tbf settings, egress of each end (up = towards the spine)"
  if [ "$l" -gt 1 ]; then
    echo "  ${PREFIX}-spine"
  fi
  for ((k = 0; k < l; k++)); do
    local ind="  "
    if [ "$l" -gt 1 ]; then
      ind="      "
      echo "   |-- ${PREFIX}-l$k-up <-> ${PREFIX}-l$k-dn   up $(tbf_rate "$SW_NS" "${PREFIX}-l$k-up")  down $(tbf_rate "$SW_NS" "${PREFIX}-l$k-dn")"
    fi
    echo "${ind}${PREFIX}-leaf$k"
    for ((i = 0; i < n; i++)); do
      leaf=$(leaf_of "$i" "$l" "$n")
      [ "$leaf" -eq "$k" ] || continue
      printf '%s   |-- %-8s %-12s %s <-> %-10s up %s  down %s\n' "$ind" "${PREFIX}-h$i" "$(addr_of "$i" "$leaf")" \
        "$HOST_IF" "${PREFIX}-h$i-p" "$(tbf_rate "${PREFIX}-h$i" "$HOST_IF")" "$(tbf_rate "$SW_NS" "${PREFIX}-h$i-p")"
    done
  done
  [ "$ok" = up ] || return 1
}

do_hosts() {
  read_state || { echo "fabric.sh: the fabric is down" >&2; return 3; }
  if is_model; then do_hosts_model "$@"; return; fi
  local i n=$ST_HOSTS l=$ST_LEAVES leaf
  if [ "${1:-}" = --list ]; then
    for ((i = 0; i < n; i++)); do
      leaf=$(leaf_of "$i" "$l" "$n")
      echo "${PREFIX}-h$i $(addr_of "$i" "$leaf") leaf$leaf"
    done
  else
    local out=""
    for ((i = 0; i < n; i++)); do out+="${out:+,}${PREFIX}-h$i"; done
    echo "$out"
  fi
}

do_link() { # host up|down
  read_state || { echo "fabric.sh: the fabric is down" >&2; return 3; }
  if is_model; then do_link_model "$@"; return; fi
  local host=$1 state=$2 i
  [[ $host =~ ^${PREFIX}-h([0-9]+)$ ]] || { echo "fabric.sh: '$host' is not an emulated host (${PREFIX}-hN)" >&2; return 2; }
  i=${BASH_REMATCH[1]}
  [ "$i" -lt "$ST_HOSTS" ] || { echo "fabric.sh: no host $host (the fabric has $ST_HOSTS)" >&2; return 2; }
  ip -n "$SW_NS" link set "${PREFIX}-h$i-p" "$state"
  echo "link of $host: $state"
}

do_shape() { # host rate
  read_state || { echo "fabric.sh: the fabric is down" >&2; return 3; }
  if is_model; then do_shape_model "$@"; return; fi
  local host=$1 rate=${2,,} i
  [[ $host =~ ^${PREFIX}-h([0-9]+)$ ]] || { echo "fabric.sh: '$host' is not an emulated host (${PREFIX}-hN)" >&2; return 2; }
  i=${BASH_REMATCH[1]}
  [ "$i" -lt "$ST_HOSTS" ] || { echo "fabric.sh: no host $host (the fabric has $ST_HOSTS)" >&2; return 2; }
  rate_bps "$rate" >/dev/null || { echo "fabric.sh: bad rate '$2' (e.g. 400mbit, 1gbit)" >&2; return 2; }
  shape "$host" "$HOST_IF" "$rate"
  shape "$SW_NS" "${PREFIX}-h$i-p" "$rate"
  local tmp
  tmp=$(mktemp)
  grep -v "^shaped $host " "$STATE_FILE" >"$tmp" || true
  [ "$rate" = "$ST_HRATE" ] || echo "shaped $host $rate" >>"$tmp"
  cat "$tmp" >"$STATE_FILE"
  rm -f "$tmp"
  echo "link of $host: shaped to $rate both ways"
}

# --- model-built fabric (up --model / --topology) ------------------------------------------
# The plan (model_plan.py's output, kept in $PLAN_FILE) drives building, checking and
# reporting; its records are documented in model_plan.py. The state file's first line is
# "model=<hash of the plan> tbf_latency=...".

is_model() { [ -f "$STATE_FILE" ] && head -n1 "$STATE_FILE" | grep -q '^model='; }

has_tbf() { ip netns exec "$1" tc qdisc show dev "$2" 2>/dev/null | grep -q '^qdisc tbf'; }

# Reads $PLAN_FILE into PLAN (lines) and SW_NAME (bridge -> switch name).
declare -a PLAN=()
declare -A SW_NAME=()
load_plan() {
  [ -f "$PLAN_FILE" ] || return 1
  mapfile -t PLAN <"$PLAN_FILE"
  local line kind bridge name
  for line in "${PLAN[@]}"; do
    read -r kind bridge _ name <<<"$line"
    [ "$kind" = switch ] && SW_NAME[$bridge]=$name
  done
  return 0
}

plan_summary() {
  local h s l
  h=$(grep -c '^host ' "$PLAN_FILE" || true)
  s=$(grep -c '^switch ' "$PLAN_FILE" || true)
  l=$(grep -c '^link ' "$PLAN_FILE" || true)
  echo "$h hosts, $s switches, $l switch links, from $(sed -n 's/^source //p' "$PLAN_FILE")"
}

# up --model: MODEL_TEXT is the model (JSON), PLAN_TEXT model_plan.py's output for it.
do_up_model() {
  local json=$1 plan=$2 want
  want="model=$(grep -v '^source ' <<<"$plan" | sha256sum | cut -c1-16) tbf_latency=$TBF_LATENCY"
  if [ -f "$STATE_FILE" ] && [ "$(cat "$STATE_FILE")" = "$want" ] && verify_model; then
    echo "fabric already up: $want ($(plan_summary))"
    return 0
  fi
  do_down
  BUILDING=1
  trap 'if [ "$BUILDING" = 1 ]; then echo "fabric.sh: up failed; removing the partial fabric" >&2; do_down; fi' EXIT
  mkdir -p "$STATE_DIR"
  printf '%s\n' "$json" >"$MODEL_FILE"
  printf '%s\n' "$plan" >"$PLAN_FILE"
  load_plan

  ip netns add "$SW_NS"
  ip -n "$SW_NS" link set lo up
  ip netns exec "$SW_NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  local line kind a b c d e f g lines=""
  for line in "${PLAN[@]}"; do
    read -r kind a b c d e f g <<<"$line"
    case $kind in
      switch) # bridge tier name
        ip -n "$SW_NS" link add "$a" type bridge stp_state 0 forward_delay 0
        ip -n "$SW_NS" link set "$a" up ;;
      link) # dev_a bridge_a dev_b bridge_b rate
        ip -n "$SW_NS" link add "$a" type veth peer name "$c"
        ip -n "$SW_NS" link set "$a" master "$b" up
        ip -n "$SW_NS" link set "$c" master "$d" up
        shape "$SW_NS" "$a" "$e"
        shape "$SW_NS" "$c" "$e" ;;
      host) # host rail0_addr bridge
        ip netns add "$a"
        # Several NICs in one namespace: answer ARP only for the NIC's own address, so a
        # rail's address is reached through that rail's NIC even where the planes are joined;
        # loose reverse-path filter, so a reply may arrive on another rail than it left by.
        ip netns exec "$a" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
          net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.all.rp_filter=2
        ip -n "$a" link set lo up
        lines+="$b	$a	$HOSTS_TAG"$'\n' ;;
      nic) # host nic port bridge rate addr rail
        ip -n "$SW_NS" link add "$c" type veth peer name "$b" netns "$a"
        ip -n "$SW_NS" link set "$c" master "$d" up
        ip -n "$a" addr add "$f/16" dev "$b"
        ip -n "$a" link set "$b" up
        shape "$a" "$b" "$e"
        shape "$SW_NS" "$c" "$e" ;;
    esac
  done
  remove_hosts_lines
  printf '%s' "$lines" >>"$HOSTS_FILE"
  echo "$want" >"$STATE_FILE"
  BUILDING=0
  verify_model || die "the fabric was built but does not check out; run 'fabric.sh status'"
  echo "fabric up: $want ($(plan_summary))"
}

# Every namespace, bridge, veth end (up, with its tbf) and /etc/hosts line of the plan, and
# no host namespace beyond it.
verify_model() {
  load_plan || return 1
  ip netns exec "$SW_NS" true 2>/dev/null || return 1
  local line kind a b c d e f g hosts=" " ns
  for line in "${PLAN[@]}"; do
    read -r kind a b c d e f g <<<"$line"
    case $kind in
      switch) ip -n "$SW_NS" -o link show dev "$a" 2>/dev/null | grep -q '[<,]UP[,>]' || return 1 ;;
      link) has_tbf "$SW_NS" "$a" && has_tbf "$SW_NS" "$c" || return 1 ;;
      host)
        hosts+="$a "
        grep -qE "^${b//./\\.}[[:space:]]+${a}[[:space:]]" "$HOSTS_FILE" || return 1 ;;
      nic)
        ip -n "$a" -o link show "$b" 2>/dev/null | grep -q 'state UP' || return 1
        has_tbf "$a" "$b" && has_tbf "$SW_NS" "$c" || return 1 ;;
    esac
  done
  for ns in $(our_namespaces | grep -E "^${PREFIX}-h[0-9]+$" || true); do
    [[ $hosts == *" $ns "* ]] || return 1
  done
  return 0
}

do_status_model() {
  local ok=up line kind a b c d e f g name
  verify_model || ok="DEGRADED (run 'fabric.sh up' again to rebuild)"
  load_plan || true
  echo "fabric: $ok"
  echo "  model: $(plan_summary) (copy: $MODEL_FILE)"
  echo "  switches: bridges in namespace $SW_NS; hosts: namespaces ${PREFIX}-hN; a NIC on rail r: 10.(77+r).<leaf>.<N+1>/16"
  echo "  rates below are the live tbf settings, egress of each end (up = from the lower tier, from the host)"
  echo "  switches, highest tier first:"
  for line in "${PLAN[@]}"; do
    read -r kind a b name <<<"$line"
    [ "$kind" = switch ] || continue
    printf '    tier %s  %-12s bridge %s\n' "$b" "$name" "$a"
    local l
    for l in "${PLAN[@]}"; do
      read -r kind c d e f g <<<"$l"
      if [ "$kind" != link ] || [ "$d" != "$a" ]; then continue; fi
      printf '       |-- to %-12s %s <-> %-10s up %s  down %s\n' "${SW_NAME[$f]}" "$c" "$e" \
        "$(tbf_rate "$SW_NS" "$c")" "$(tbf_rate "$SW_NS" "$e")"
    done
  done
  echo "  hosts:"
  for line in "${PLAN[@]}"; do
    read -r kind a b c d e f g <<<"$line"
    case $kind in
      host) echo "    $a" ;;
      nic)
        printf '       |-- %-6s rail %s  %-12s on %-12s %s <-> %-10s up %s  down %s\n' "$b" "$g" "$f/16" \
          "${SW_NAME[$d]}" "$b" "$c" "$(tbf_rate "$a" "$b")" "$(tbf_rate "$SW_NS" "$c")" ;;
    esac
  done
  [ "$ok" = up ] || return 1
}

do_hosts_model() {
  load_plan || { echo "fabric.sh: the fabric's plan $PLAN_FILE is missing; run 'fabric.sh up' again" >&2; return 1; }
  local line kind a b c out=""
  for line in "${PLAN[@]}"; do
    read -r kind a b c _ <<<"$line"
    [ "$kind" = host ] || continue
    if [ "${1:-}" = --list ]; then
      echo "$a $b ${SW_NAME[$c]}"
    else
      out+="${out:+,}$a"
    fi
  done
  [ "${1:-}" = --list ] || echo "$out"
}

# The NICs (host nic port bridge rate ...) of HOST, one per line; usage error if none.
host_nics() {
  local host=$1
  [[ $host =~ ^${PREFIX}-h[0-9]+$ ]] || { echo "fabric.sh: '$host' is not an emulated host (${PREFIX}-hN)" >&2; return 2; }
  load_plan || { echo "fabric.sh: the fabric's plan $PLAN_FILE is missing; run 'fabric.sh up' again" >&2; return 1; }
  grep "^nic $host " "$PLAN_FILE" || { echo "fabric.sh: no host $host in the fabric's model" >&2; return 2; }
}

do_link_model() { # host up|down: every NIC's switch port
  local host=$1 state=$2 nics kind h nic port
  nics=$(host_nics "$host") || return $?
  while read -r kind h nic port _; do
    ip -n "$SW_NS" link set "$port" "$state"
  done <<<"$nics"
  echo "link of $host: $state"
}

do_shape_model() { # host rate: every NIC, both ways
  local host=$1 rate=${2,,} nics kind h nic port bridge nrate all_same=1 names=""
  nics=$(host_nics "$host") || return $?
  rate_bps "$rate" >/dev/null || { echo "fabric.sh: bad rate '$2' (e.g. 400mbit, 1gbit)" >&2; return 2; }
  while read -r kind h nic port bridge nrate _; do
    shape "$host" "$nic" "$rate"
    shape "$SW_NS" "$port" "$rate"
    [ "$(rate_bps "$nrate")" = "$(rate_bps "$rate")" ] || all_same=0
    names+="${names:+,}$nic"
  done <<<"$nics"
  local tmp
  tmp=$(mktemp)
  grep -v "^shaped $host " "$STATE_FILE" >"$tmp" || true
  [ "$all_same" = 1 ] || echo "shaped $host $rate" >>"$tmp"
  cat "$tmp" >"$STATE_FILE"
  rm -f "$tmp"
  if [[ $names == *,* ]]; then
    echo "links of $host ($names): shaped to $rate both ways"
  else
    echo "link of $host: shaped to $rate both ways"
  fi
}

do_nics() {
  [ -f "$STATE_FILE" ] || { echo "fabric.sh: the fabric is down" >&2; return 3; }
  if is_model; then
    sed -n 's/^nics //p' "$PLAN_FILE"
  else
    echo "$HOST_IF"
  fi
}

# The fabricbench binary for --topology: $FABRICBENCH, else the first executable of
# build/fabricbench and build/harness/fabricbench.
find_fabricbench() {
  if [ -n "${FABRICBENCH:-}" ]; then
    [ -x "$FABRICBENCH" ] || { echo "fabric.sh: FABRICBENCH=$FABRICBENCH is not an executable" >&2; exit 2; }
    echo "$FABRICBENCH"; return
  fi
  local repo c
  repo=$(cd "$HERE/../.." && pwd)
  for c in "$repo/build/fabricbench" "$repo/build/harness/fabricbench"; do
    [ -f "$c" ] && [ -x "$c" ] && { echo "$c"; return; }
  done
  echo "fabric.sh: --topology needs fabricbench: none in $repo/build or $repo/build/harness (build it, or set FABRICBENCH)" >&2
  exit 2
}

with_lock() {
  mkdir -p "$(dirname "$LOCK_FILE")"
  exec 9>"$LOCK_FILE"
  flock -w 120 9 || die "another fabric.sh holds $LOCK_FILE"
}

# up --model MODEL | --topology FILE: checks the model (exit 2 with one line if the emulator
# cannot build it) before it touches anything.
up_from_model() {
  local model=$1 topology=$2 fb plan json rc=0 tmp=""
  if [ -n "$topology" ]; then
    fb=$(find_fabricbench) || exit $?
    tmp=$(mktemp)
    "$fb" topology "$topology" --json >"$tmp" || rc=$?
    if [ "$rc" -ne 0 ]; then
      rm -f "$tmp"
      echo "fabric.sh: '$fb topology $topology --json' failed (exit $rc)" >&2
      exit 2
    fi
    model=$tmp
  fi
  plan=$("$PYTHON" "$HERE/model_plan.py" "$model") || rc=$?
  json=$(cat "$model" 2>/dev/null || true)
  [ -z "$tmp" ] || rm -f "$tmp"
  [ "$rc" -eq 0 ] || exit 2   # model_plan.py said why, in one line
  require_netns probe
  with_lock
  do_up_model "$json" "$plan"
  exit 0
}

main() {
  [ $# -ge 1 ] || usage
  local cmd=$1; shift
  case $cmd in
    up)
      local n=4 l=2 hrate=400mbit srate=200mbit model="" topology="" flags=0
      while [ $# -gt 0 ]; do
        case $1 in
          --hosts) n=${2:?}; flags=1; shift 2 ;;
          --leaves) l=${2:?}; flags=1; shift 2 ;;
          --host-rate) hrate=${2:?}; flags=1; shift 2 ;;
          --spine-rate) srate=${2:?}; flags=1; shift 2 ;;
          --model) model=${2:?}; shift 2 ;;
          --topology) topology=${2:?}; shift 2 ;;
          -h|--help) usage ;;
          *) echo "fabric.sh: unknown option '$1'" >&2; exit 2 ;;
        esac
      done
      if [ -n "$model" ] || [ -n "$topology" ]; then
        if [ "$flags" = 1 ] || { [ -n "$model" ] && [ -n "$topology" ]; }; then
          echo "fabric.sh: up takes --model, --topology or the --hosts/--leaves/--host-rate/--spine-rate flags, one way only" >&2
          exit 2
        fi
        up_from_model "$model" "$topology"   # exits
      fi
      if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt $MAX_HOSTS ]; then
        echo "fabric.sh: --hosts must be 1..$MAX_HOSTS, got '$n'" >&2; exit 2
      fi
      if ! [[ $l =~ ^[0-9]+$ ]] || [ "$l" -lt 1 ] || [ "$l" -gt $MAX_LEAVES ] || [ "$l" -gt "$n" ]; then
        echo "fabric.sh: --leaves must be 1..min($MAX_LEAVES, hosts), got '$l'" >&2; exit 2
      fi
      hrate=${hrate,,}; srate=${srate,,}
      rate_bps "$hrate" >/dev/null || { echo "fabric.sh: bad --host-rate '$hrate' (e.g. 400mbit, 1gbit)" >&2; exit 2; }
      rate_bps "$srate" >/dev/null || { echo "fabric.sh: bad --spine-rate '$srate' (e.g. 200mbit)" >&2; exit 2; }
      require_netns probe
      with_lock
      do_up "$n" "$l" "$hrate" "$srate"
      ;;
    down)
      [ $# -eq 0 ] || usage
      require_netns
      with_lock
      do_down
      echo "fabric down"
      ;;
    status)
      [ $# -eq 0 ] || usage
      require_netns
      do_status
      ;;
    hosts)
      [ $# -le 1 ] || usage
      require_netns
      do_hosts "${1:-}"
      ;;
    nics)
      [ $# -eq 0 ] || usage
      require_netns
      do_nics
      ;;
    link)
      [ $# -eq 2 ] || usage
      case $2 in up|down) ;; *) usage ;; esac
      require_netns
      do_link "$1" "$2"
      ;;
    shape)
      [ $# -eq 2 ] || usage
      require_netns
      with_lock
      do_shape "$1" "$2"
      ;;
    -h|--help|help) usage ;;
    *) echo "fabric.sh: unknown subcommand '$cmd' (up, down, status, hosts, nics, link, shape)" >&2; exit 2 ;;
  esac
}

main "$@"
