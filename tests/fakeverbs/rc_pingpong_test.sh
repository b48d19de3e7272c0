#!/usr/bin/env bash
# Cross-check of the software device against Debian's ibv_rc_pingpong (ibverbs-utils), an
# independent libibverbs program: a server and a client process over the device.
#   ib:   LID routing, 4096-byte MTU, completion events (-e)
#   roce: the IPv4-mapped RoCE v2 GID (index 3) works; the link-local RoCE v1 GID (index 0)
#         is dropped as on a routed RoCE v2 fabric, so the client fails
# rc_pingpong_test.sh ib|roce PINGPONG LIBRARY
set -u
link=$1; pingpong=$2; lib=$3
if [ ! -x "$pingpong" ]; then
  echo "SKIP: ibv_rc_pingpong not installed (Debian package ibverbs-utils)"
  exit 77
fi
dir=$(mktemp -d /tmp/fakeverbs-pp.XXXXXX)
trap 'rm -rf "$dir"' EXIT
export FB_FAKEVERBS_DIR=$dir FB_FAKEVERBS_LINK=$link LD_PRELOAD=$lib
# One pingpong pair; prints the client's output; returns the client's status.
pair() {
  local port=$((20000 + RANDOM % 20000))
  "$pingpong" -d fv_0 -p "$port" "$@" >"$dir/server.txt" 2>&1 &
  local server=$!
  local client=1
  for _ in $(seq 1 50); do  # until the server listens
    if "$pingpong" -d fv_0 -p "$port" "$@" localhost >"$dir/client.txt" 2>&1; then
      client=0
      break
    fi
    grep -q "Couldn't connect" "$dir/client.txt" || break
    sleep 0.1
  done
  kill "$server" 2>/dev/null
  wait "$server" 2>/dev/null
  cat "$dir/client.txt"
  return $client
}
case "$link" in
  ib)
    pair -m 4096 -s 65536 -n 200 -e || { echo "FAIL: pingpong over InfiniBand"; exit 1; }
    grep -q "200 iters in" "$dir/client.txt" || exit 1
    ;;
  roce)
    pair -g 3 -m 1024 -s 4096 -n 200 || { echo "FAIL: pingpong over RoCE v2 (GID 3)"; exit 1; }
    grep -q "200 iters in" "$dir/client.txt" || exit 1
    if pair -g 0 -m 1024 -s 4096 -n 20; then
      echo "FAIL: pingpong through the RoCE v1 GID was delivered"
      exit 1
    fi
    echo "(RoCE v1 source GID: not delivered, as expected)"
    ;;
esac
echo "ibv_rc_pingpong over the fake device ($link): OK"
