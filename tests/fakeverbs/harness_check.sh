#!/usr/bin/env bash
# fabricbench itself over the verbs transport on the software device, checked:
#   collectives: every collective and algorithm (auto included), in and out of place, every
#                root, with --check: no wrong element; the HDF5 file passes the schema check
#   p2p:         every point-to-point test and the link matrix, payloads checked
#   mtu:         mtu=4096 asked of a port whose active MTU is lower (RoCE: 1024) is clamped
#                to it: the queue pairs connect and the payloads arrive intact
# harness_check.sh collectives|p2p|mtu|maxmsg|inline|yield RANKS FABRICBENCH MPIRUN PYTHON CHECKER
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
  maxmsg)
    export FB_FAKEVERBS_MAX_MSG_SZ=65536
    "$mpirun" -n "$ranks" --oversubscribe "$bin" p2p --test latency,bandwidth,bibw \
      --transport verbs -b 256K -e 1M -f 4 -n 4 -w 1 --window 4 --out "$dir/max.h5" \
      >"$dir/stdout.txt"
    tail -3 "$dir/stdout.txt"
    grep -c '^# p2p ' "$dir/stdout.txt" | grep -qx 3
    "$python" "$checker" "$dir/max.h5" --expect-p2p-series 3
    "$mpirun" -n "$ranks" --oversubscribe "$bin" run --collective allreduce,broadcast \
      --algorithm all --transport verbs -b 1M -e 1M -n 2 -w 1 --check \
      --out "$dir/maxc.h5" >"$dir/stdout.txt"
    tail -3 "$dir/stdout.txt"
    grep -q "check: 0 wrong elements" "$dir/stdout.txt"
    ;;
  inline)
    export FB_FAKEVERBS_MAX_INLINE=40
    "$mpirun" -n "$ranks" --oversubscribe "$bin" p2p --test latency --transport verbs -b 8 \
      -e 4K -f 8 -n 10 -w 2 --out "$dir/inline.h5" >"$dir/stdout.txt"
    tail -3 "$dir/stdout.txt"
    "$python" "$checker" "$dir/inline.h5" --expect-p2p-series 1
    ;;
  yield)
    cores=$(nproc --all)
    n=$((cores + 1))
    if [ "$n" -gt 9 ]; then
      echo "this machine has $cores cores: $n ranks would be too many for this test"
      exit 77
    fi
    "$mpirun" -n "$n" --oversubscribe --bind-to none "$bin" run --collective allreduce \
      --algorithm ring --transport verbs -b 8 -e 8 -n 2 -w 1 --check --out "$dir/yield.h5" \
      >"$dir/stdout.txt"
    grep -q "check: 0 wrong elements" "$dir/stdout.txt"
    "$python" - "$dir/yield.h5" "$n" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    text = f["series"]["allreduce.ring.verbs.float32.sum"].attrs["description"]
want = f"{sys.argv[2]} of {sys.argv[2]} ranks yield when idle"
print(text)
sys.exit(0 if want in text else f"expected '{want}' in the description")
PY
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
