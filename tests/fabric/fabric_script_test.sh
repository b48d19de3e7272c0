#!/usr/bin/env bash
# fabric.sh itself: up builds what it says, up again is a no-op, up with other parameters
# rebuilds, hosts/status report it, rsh-agent.sh runs commands (quoted) in the right
# namespace, and down removes every namespace and /etc/hosts line it made.
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
fabric_init "$@"

ns_count() { ip netns list | awk '{print $1}' | grep -cE '^fbf-' || true; }
hosts_lines() { grep -c '# fbf-fabric$' /etc/hosts || true; }
fail() { echo "FAIL: $*"; exit 1; }

fabric_up --hosts 4 --leaves 2 --host-rate 400mbit --spine-rate 200mbit
[ "$(ns_count)" -eq 5 ] || fail "expected 5 namespaces (4 hosts + switch), got $(ns_count)"
[ "$(hosts_lines)" -eq 4 ] || fail "expected 4 tagged /etc/hosts lines, got $(hosts_lines)"
[ "$("$FABRIC_SH" hosts)" = fbf-h0,fbf-h1,fbf-h2,fbf-h3 ] || fail "hosts: $("$FABRIC_SH" hosts)"
"$FABRIC_SH" hosts --list | grep -qx 'fbf-h2 10.77.1.3 leaf1' || fail "h2 is not on leaf 1"
"$FABRIC_SH" status | grep -q 'fbf-l1-dn   up 200Mbit  down 200Mbit' || fail "spine link rate"
"$FABRIC_SH" up --hosts 4 --leaves 2 --host-rate 400mbit --spine-rate 200mbit | grep -q 'already up' ||
  fail "second identical up was not a no-op"
[ "$(hosts_lines)" -eq 4 ] || fail "second up duplicated /etc/hosts lines"
echo "ok    up, hosts, status, idempotent up"

# shellcheck disable=SC2016 # expanded inside the namespace, on purpose
out=$("$FABRIC_ROOT/scripts/fabric/rsh-agent.sh" -x -n fbf-h3 echo '"a  b"' '$(hostname)' \
      '$(ip -o -4 addr show fbf0 | cut -d" " -f7)')
[ "$out" = "a  b fbf-h3 10.77.1.4/16" ] || fail "rsh-agent.sh gave '$out'"
echo "ok    rsh-agent.sh: $out"

"$FABRIC_SH" shape fbf-h1 100mbit | grep -qx 'link of fbf-h1: shaped to 100mbit both ways' ||
  fail "shape did not report"
"$FABRIC_SH" status | grep -q 'fbf-h1   10.77.0.2    fbf0 <-> fbf-h1-p   up 100Mbit  down 100Mbit' ||
  fail "shape: rates of fbf-h1"
"$FABRIC_SH" status | grep -q 'fbf-h0   10.77.0.1    fbf0 <-> fbf-h0-p   up 400Mbit  down 400Mbit' ||
  fail "shape changed fbf-h0"
rc=0; "$FABRIC_SH" shape fbf-h9 1gbit 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "shape of a missing host exited $rc, want 2"
"$FABRIC_SH" up --hosts 4 --leaves 2 --host-rate 400mbit --spine-rate 200mbit | grep -q 'fabric up' ||
  fail "up after shape did not rebuild"
"$FABRIC_SH" status | grep -q 'fbf-h1   10.77.0.2    fbf0 <-> fbf-h1-p   up 400Mbit  down 400Mbit' ||
  fail "up after shape left fbf-h1 shaped"
echo "ok    shape re-shapes one host both ways; up rebuilds after it"

fabric_up --hosts 3 --leaves 1 --host-rate 300mbit --spine-rate 100mbit
[ "$(ns_count)" -eq 4 ] || fail "rebuild: expected 4 namespaces, got $(ns_count)"
[ "$(hosts_lines)" -eq 3 ] || fail "rebuild: expected 3 /etc/hosts lines, got $(hosts_lines)"
"$FABRIC_SH" status | grep -q 'fbf-h2   10.77.0.3    fbf0 <-> fbf-h2-p   up 300Mbit  down 300Mbit' ||
  fail "rebuild: rates"
echo "ok    up with other parameters rebuilds"

"$FABRIC_SH" down
[ "$(ns_count)" -eq 0 ] || fail "down left namespaces: $(ip netns list)"
[ "$(hosts_lines)" -eq 0 ] || fail "down left /etc/hosts lines"
rc=0; "$FABRIC_SH" status || rc=$?
[ "$rc" -eq 3 ] || fail "status after down exited $rc, want 3"
echo "ok    down removes everything"
