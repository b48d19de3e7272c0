#!/usr/bin/env bash
# fabricbench itself over the verbs transport on the software device, checked:
#   collectives: every collective and algorithm (auto included), in and out of place, every
#                root, with --check: no wrong element; the HDF5 file passes the schema check
#   p2p:         every point-to-point test and the link matrix, payloads checked
#   mtu:         mtu=4096 asked of a port whose active MTU is lower (RoCE: 1024) is clamped
#                to it: the queue pairs connect and the payloads arrive intact
# harness_check.sh collectives|p2p|mtu RANKS FABRICBENCH MPIRUN PYTHON CHECKER
set -eu
mode=$1; ranks=$2; bin=$3; mpirun=$4; python=$5; checker=$6
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
case "$mode" in
  collectives)
    "$mpirun" -n "$ranks" --oversubscribe "$bin" run --collective all --algorithm all,auto \
      --transport verbs --placement both --root all --dtype int32,bfloat16 --op sum \
      -b 8 -e 64K -f 64 -n 2 -w 1 --check --out "$dir/out.h5" >"$dir/stdout.txt"
    tail -3 "$dir/stdout.txt"
    grep -q "check: 0 wrong elements" "$dir/stdout.txt"
    verbs=$(grep -c '^# [a-z]* *algorithm .* transport verbs ' "$dir/stdout.txt")
    series=$(grep -c '^# [a-z]* *algorithm' "$dir/stdout.txt")
    echo "$verbs of $series series over verbs on $ranks ranks"
    [ "$verbs" -ge 20 ]
    "$python" "$checker" "$dir/out.h5" --expect-series "$series" --expect-world-size "$ranks"
    ;;
  mtu)
    FB_VERBS_OPTIONS=mtu=4096 "$mpirun" -n "$ranks" --oversubscribe "$bin" p2p \
      --test latency,bandwidth --transport verbs -b 8 -e 64K -f 64 -n 10 -w 2 \
      --out "$dir/mtu.h5" >"$dir/stdout.txt"
    tail -3 "$dir/stdout.txt"
    grep -c '^# p2p ' "$dir/stdout.txt" | grep -qx 2
    "$python" "$checker" "$dir/mtu.h5" --expect-p2p-series 2
    ;;
  p2p)
    "$mpirun" -n "$ranks" --oversubscribe "$bin" p2p --test all --transport verbs -b 8 -e 1M \
      -f 16 -n 10 -w 2 --window 16 --matrix-threshold 0.01 --out "$dir/p2p.h5" >"$dir/stdout.txt"
    tail -3 "$dir/stdout.txt"
    grep -c '^# p2p ' "$dir/stdout.txt" | grep -qx 5  # every test, over verbs
    grep -q 'no link below the threshold' "$dir/stdout.txt"
    "$python" "$checker" "$dir/p2p.h5" --expect-p2p-series 5 --expect-matrix \
      --expect-world-size "$ranks"
    echo "p2p on $ranks ranks: every test over verbs checked"
    ;;
  *)
    echo "unknown mode $mode" >&2
    exit 2
    ;;
esac
