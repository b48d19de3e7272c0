#!/usr/bin/env bash
# The verbs transport's failures on the software device, through fabricbench, each ending in
# the error the transport promises and the exit code README.md documents:
#   killed-peer   rank 2 is killed mid-run: writes in flight to it exhaust their retries
#                 (RETRY_EXC_ERR, never reported as a flush) or waits for it time out, and
#                 the peer probe names the lost rank: exit 6
#   missing-recv  rank 1's receives never reach the device: the senders meet receiver-not-
#                 ready forever and every wait ends at --timeout: exit 1
#   bad-rkey      rank 0 writes with a corrupted rkey: remote access error at rank 0, the
#                 peer's queue pair fails too: exit 1 on both
#   link-mismatch rank 1's port is Ethernet (RoCE), rank 0's InfiniBand: both refuse to
#                 connect, naming the two link layers: exit 1 on both
#   subnet-mismatch rank 1's port is on InfiniBand subnet fe80::1, rank 0's on fe80::, both
#                 routing by LID: both refuse to connect, naming the two prefixes: exit 1
#   port-down     rank 1's port goes down mid-run (its 40th send): its wait times out and the
#                 error names the device event and the port's state: exit 1
#   gid-mismatch  (RoCE) rank 1 is told gid_index=2, a RoCE v1 GID, rank 0 picks RoCE v2:
#                 both refuse to connect, naming the two GID types: exit 1 on both
# fault_check.sh MODE FABRICBENCH MPIRUN RANK_STATUS
set -u
mode=$1; bin=$2; mpirun=$3; rank_status=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
keep_going=(--mca orte_enable_recovery 1 --mca orte_abort_on_non_zero_status 0)
fail() { echo "FAIL: $*"; cat "$dir/out.txt"; exit 1; }
# Runs SWEEP on N ranks, rank R with the extra environment E (a VAR=VALUE list).
run() {
  local n=$1 target=$2 extra=$3; shift 3
  # shellcheck disable=SC2016 # expanded by the rank's shell
  "$mpirun" -n "$n" --oversubscribe "${keep_going[@]}" sh -c '
    if [ "$OMPI_COMM_WORLD_RANK" = "$1" ] && [ -n "$2" ]; then export $2; fi
    shift 2; exec "$@"' fault "$target" "$extra" "$rank_status" "$dir" "$bin" "$@" \
    >"$dir/out.txt" 2>&1 &
  pid=$!
}
status_of() { cut -d' ' -f1 "$dir/rank.$1" 2>/dev/null; }
expect_exit() {
  local rank=$1 code=$2
  [ "$(status_of "$rank")" = "$code" ] || fail "rank $rank exited $(status_of "$rank"), expected $code"
}
case "$mode" in
  killed-peer)
    run 3 -1 "" run --collective allreduce --algorithm ring --transport verbs -b 64K \
      -e 64K -n 100000 -w 1 --timeout 10 --out "$dir/killed.h5"
    # Wait until the verbs series is being measured, then kill rank 2.
    for _ in $(seq 1 600); do
      grep -q "transport verbs" "$dir/out.txt" 2>/dev/null && break
      sleep 0.1
    done
    victim=""
    for p in $(pgrep -f "$dir/killed.h5"); do
      tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=2 &&
        [ "$(cat /proc/"$p"/comm)" = fabricbench ] && victim=$p
    done
    [ -n "$victim" ] || fail "rank 2 not found"
    kill -9 "$victim"
    wait "$pid"
    for r in 0 1; do
      expect_exit "$r" 6
      grep -q "rank $r .*lost peer: rank 2" "$dir/out.txt" || fail "rank $r did not name rank 2"
    done
    # A survivor with writes in flight to rank 2 sees them exhaust their retries; one that
    # waits for rank 2 times out; one waiting elsewhere learns it from the peer probe. None
    # reports a flush: the flushes follow the error that caused them.
    if grep -q "error: verbs: .*Flushed" "$dir/out.txt"; then fail "a flush reported as the error"; fi
    if grep "error: verbs: .*(peer rank 2)" "$dir/out.txt" |
      grep -qvE "retry counter exceeded|timed out waiting"; then
      fail "a verbs error naming rank 2 that is neither retry-exceeded nor a timeout"
    fi
    ;;
  missing-recv)
    run 2 1 "FB_FAKEVERBS_STARVE_RECV=0" p2p --test latency --transport verbs -b 8 -e 8 \
      -n 5 -w 1 --timeout 3 --out "$dir/missing.h5"
    wait "$pid"
    expect_exit 0 1
    expect_exit 1 1
    if ! grep -q "rank 0 .*error: verbs: timed out waiting for .*(peer rank 1)" "$dir/out.txt" ||
      ! grep -q "rank 1 .*error: verbs: timed out waiting for .*(peer rank 0)" "$dir/out.txt"; then
      fail "the ranks did not time out naming each other"
    fi
    grep -q "every peer still answers" "$dir/out.txt" || fail "no peer check"
    ;;
  bad-rkey)
    run 2 0 "FB_FAKEVERBS_CORRUPT_RKEY=1" p2p --test latency --transport verbs -b 64K \
      -e 64K -n 5 -w 1 --timeout 10 --out "$dir/rkey.h5"
    wait "$pid"
    expect_exit 0 1
    expect_exit 1 1
    grep -q "rank 0 .*error: verbs: RDMA write with immediate (rendezvous data) (peer rank 1): remote access error" \
      "$dir/out.txt" || fail "rank 0 did not report the remote access error"
    grep -q "rank 1 .*error: verbs: .*(peer rank 0)" "$dir/out.txt" ||
      fail "rank 1 did not report its failed queue pair"
    ;;
  link-mismatch)
    run 2 1 "FB_FAKEVERBS_LINK=roce" p2p --test latency --transport verbs -b 8 -e 8 -n 5 -w 1 \
      --timeout 10 --out "$dir/link.h5"
    wait "$pid"
    expect_exit 0 1
    expect_exit 1 1
    grep -q "rank 0 .*error: verbs: connect (peer rank 1): this rank's port is InfiniBand, the peer's Ethernet (RoCE): they are not on one fabric" \
      "$dir/out.txt" || fail "rank 0 did not name the link layers"
    grep -q "rank 1 .*error: verbs: connect (peer rank 0): this rank's port is Ethernet (RoCE), the peer's InfiniBand" \
      "$dir/out.txt" || fail "rank 1 did not name the link layers"
    ;;
  subnet-mismatch)
    run 2 1 "FB_FAKEVERBS_SUBNET=0xfe80000000000001" p2p --test latency --transport verbs \
      -b 8 -e 8 -n 5 -w 1 --timeout 10 --out "$dir/subnet.h5"
    wait "$pid"
    expect_exit 0 1
    expect_exit 1 1
    grep -q "rank 0 .*error: verbs: connect (peer rank 1): this rank is on InfiniBand subnet 0xfe80000000000000, the peer on 0xfe80000000000001: LID routing does not cross subnets" \
      "$dir/out.txt" || fail "rank 0 did not name the subnets"
    ;;
  port-down)
    # RC timeouts long enough (4.3 s x 7 tries) that the run's --timeout comes first.
    export FB_VERBS_OPTIONS=timeout=20
    run 2 1 "FB_FAKEVERBS_PORT_DOWN_AFTER=40" p2p --test latency --transport verbs -b 8 \
      -e 8 -n 1000 -w 1 --timeout 3 --out "$dir/down.h5"
    wait "$pid"
    expect_exit 1 1
    grep -q "rank 1 .*error: verbs: timed out waiting for .*the peer did not answer before the deadline (--timeout); device events: port error on fv_0 port 1; fv_0 port 1 is now down" \
      "$dir/out.txt" || fail "rank 1 did not name the port going down"
    ;;
  gid-mismatch)
    run 2 1 "FB_VERBS_OPTIONS=gid_index=2" p2p --test latency --transport verbs -b 8 -e 8 -n 5 \
      -w 1 --timeout 10 --out "$dir/gid.h5"
    wait "$pid"
    expect_exit 0 1
    expect_exit 1 1
    grep -q "rank 0 .*error: verbs: connect (peer rank 1): this rank uses a RoCE v2 GID, the peer a RoCE v1 GID" \
      "$dir/out.txt" || fail "rank 0 did not name the GID types"
    grep -q "rank 1 .*error: verbs: connect (peer rank 0): this rank uses a RoCE v1 GID, the peer a RoCE v2 GID" \
      "$dir/out.txt" || fail "rank 1 did not name the GID types"
    ;;
  *)
    echo "unknown mode $mode" >&2
    exit 2
    ;;
esac
grep "error:" "$dir/out.txt" | head -4
echo "$mode: ended as documented"
