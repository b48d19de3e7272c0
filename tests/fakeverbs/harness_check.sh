#!/usr/bin/env bash
# fabricbench itself over the verbs transport on the software device, checked:
#   collectives: every collective and algorithm (auto included), in and out of place, every
#                root, with --check: no wrong element; the HDF5 file passes the schema check
#   p2p:         every point-to-point test and the link matrix, payloads checked
#   mtu:         mtu=4096 asked of a port whose active MTU is lower (RoCE: 1024) is clamped
#                to it: the queue pairs connect and the payloads arrive intact
# harness_check.sh collectives|p2p|mtu|maxmsg|inline|yield|qos|signal|fork|srq|rails|linerate RANKS FABRICBENCH MPIRUN PYTHON CHECKER
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
  qos)
    export FB_FAKEVERBS_TRACE=$dir/trace.txt
    FB_VERBS_OPTIONS=tclass=106,sl=3 "$mpirun" -n "$ranks" --oversubscribe "$bin" \
      p2p --test latency --transport verbs -b 8 -e 64K -f 64 -n 4 -w 1 --out "$dir/qos.h5" \
      >"$dir/stdout.txt"
    qps=$((ranks * (ranks - 1)))
    rtr=$(grep -c 'state=RTR rc=0 .* sl=3 is_global=1 .* traffic_class=106 ' "$dir/trace.txt")
    echo "$rtr RTR transitions with sl=3 and traffic class 106, $qps queue pairs"
    [ "$rtr" -eq "$qps" ]
    if grep refused "$dir/trace.txt"; then exit 1; fi
    # The partition key index, on InfiniBand (a RoCE port's table has one entry).
    rm "$dir/trace.txt"
    FB_FAKEVERBS_LINK=ib FB_FAKEVERBS_PKEY_TABLE=0xffff,0x8001 FB_VERBS_OPTIONS=pkey_index=1 \
      "$mpirun" -n "$ranks" --oversubscribe "$bin" p2p --test latency --transport verbs -b 8 \
      -e 64K -f 64 -n 4 -w 1 --out "$dir/pkey1.h5" >"$dir/stdout.txt"
    init=$(grep -c 'state=INIT rc=0 pkey_index=1 ' "$dir/trace.txt")
    echo "$init INIT transitions with pkey_index=1"
    [ "$init" -eq "$qps" ]
    # Every registration asks for relaxed ordering (IBV_ACCESS_RELAXED_ORDERING, 1 << 20).
    "$python" - "$dir/trace.txt" <<'PY'
import re, sys
access = [int(m, 16) for m in re.findall(r"reg_mr .* access=(0x[0-9a-f]+) ", open(sys.argv[1]).read())]
assert access and all(a & (1 << 20) for a in access), access
print(len(access), "registrations with relaxed ordering")
PY
    if FB_VERBS_OPTIONS=pkey_index=200 "$mpirun" -n 2 --oversubscribe "$bin" p2p --test latency \
      --transport verbs -b 8 -e 8 -n 2 -w 1 --out "$dir/pkey.h5" >"$dir/stdout.txt" 2>&1; then
      echo "pkey_index=200 was accepted"; exit 1
    fi
    grep -q "verbs: init: pkey_index=200 is outside fv_0 port 1's partition key table of 1 entries" \
      "$dir/stdout.txt"
    ;;
  signal)
    export FB_FAKEVERBS_TRACE=$dir/trace.txt
    "$mpirun" -n "$ranks" --oversubscribe "$bin" p2p --test latency,bandwidth --transport verbs \
      -b 1K -e 256K -f 16 -n 20 -w 2 --window 8 --out "$dir/signal.h5" >"$dir/stdout.txt"
    "$python" "$checker" "$dir/signal.h5" --expect-p2p-series 2
    grep 'close_device .* send_wrs=[1-9]' "$dir/trace.txt"
    [ "$(grep -c 'close_device .* send_wrs=[1-9]' "$dir/trace.txt")" -eq "$ranks" ]
    if grep 'close_device' "$dir/trace.txt" | grep -v 'zero_length_writes=0$'; then
      echo "flush writes were needed"; exit 1
    fi
    if grep refused "$dir/trace.txt"; then exit 1; fi
    ;;
  fork)
    export FB_FAKEVERBS_TRACE=$dir/trace.txt FB_FAKEVERBS_FORK=needed
    "$mpirun" -n "$ranks" --oversubscribe "$bin" p2p --test latency --transport verbs -b 8 \
      -e 8 -n 2 -w 1 --out "$dir/fork.h5" >"$dir/stdout.txt"
    "$python" - "$dir/trace.txt" "$ranks" <<'PY'
import sys
first, regs = {}, {}
for line in open(sys.argv[1]):
    pid, event = line.split()[:2]
    if event in ("fork_init", "reg_mr"):
        first.setdefault(pid, line.strip())
    if event == "reg_mr":
        regs.setdefault(pid, []).append("fork_initialized=1" in line)
assert len(regs) == int(sys.argv[2]), regs
for pid, line in first.items():
    assert line.endswith("fork_init rc=0"), line
assert all(all(v) for v in regs.values())
print(len(regs), "ranks called ibv_fork_init before registering")
PY
    if grep refused "$dir/trace.txt"; then exit 1; fi
    ;;
  srq)
    for setting in "" "srq=0"; do
      rm -f "$dir/trace.txt"
      FB_FAKEVERBS_TRACE=$dir/trace.txt FB_VERBS_OPTIONS=$setting "$mpirun" -n "$ranks" \
        --oversubscribe "$bin" p2p --test all --transport verbs -b 8 -e 256K -f 16 -n 4 -w 1 \
        --matrix-threshold 0.01 \
        --window 8 --out "$dir/srq.h5" --overwrite >"$dir/stdout.txt"
      "$python" "$checker" "$dir/srq.h5" --expect-p2p-series 5 --expect-matrix
      FB_FAKEVERBS_TRACE=$dir/trace.txt FB_VERBS_OPTIONS=$setting "$mpirun" -n "$ranks" \
        --oversubscribe "$bin" run --collective all --algorithm auto --transport verbs -b 8 \
        -e 64K -f 64 -n 2 -w 1 --check --out "$dir/srqc.h5" --overwrite >"$dir/stdout.txt"
      grep -q "check: 0 wrong elements" "$dir/stdout.txt"
      srqs=$(grep -c 'create_srq .* rc=0' "$dir/trace.txt" || true)
      on_srq=$(grep -c 'create_qp .* srq=1 ' "$dir/trace.txt" || true)
      echo "FB_VERBS_OPTIONS='$setting': $srqs shared receive queues, $on_srq queue pairs on one"
      if grep refused "$dir/trace.txt"; then exit 1; fi  # torn down children first
      if [ -z "$setting" ]; then
        [ "$srqs" -eq $((2 * ranks)) ] && [ "$on_srq" -eq $((2 * ranks * (ranks - 1))) ]
        grep -q 'shared receive queue' <("$python" -c "import h5py,sys; f=h5py.File('$dir/srqc.h5'); print(*[g.attrs['description'] for g in f['series'].values()], sep=chr(10))")
      else
        [ "$srqs" -eq 0 ] && [ "$on_srq" -eq 0 ]
      fi
    done
    ;;
  rails)
    describe() {
      "$python" -c "import h5py,sys; f=h5py.File(sys.argv[1]); print([g.attrs['description'] for g in f['series'].values()][0])" "$1"
    }
    export FB_FAKEVERBS_DEVICES=2
    for setting in "default" "device=fv_1" "device=fv_1+fv_0" "iwarp"; do
      opts=""; transport="ib"; want="on fv_0 port 1, fv_1 port 1, shared"
      case "$setting" in device=*) opts=$setting ;; esac
      [ "$setting" = "device=fv_1" ] && want="on fv_1 port 1, shared"
      [ "$setting" = "iwarp" ] && transport="iwarp,ib" && want="on fv_1 port 1, shared"
      FB_FAKEVERBS_TRANSPORT=$transport FB_VERBS_OPTIONS=$opts "$mpirun" -n "$ranks" \
        --oversubscribe "$bin" run --collective allreduce --algorithm ring --transport verbs \
        -b 64K -e 64K -n 2 -w 1 --check --out "$dir/rails.h5" --overwrite >"$dir/stdout.txt"
      grep -q "check: 0 wrong elements" "$dir/stdout.txt"
      text=$(describe "$dir/rails.h5")
      echo "$setting: $text"
      case "$text" in *"$want"*) ;; *) echo "expected '$want'"; exit 1 ;; esac
    done
    ;;
  linerate)
    for setting in "ib 256 2 800.0" "roce 4 2 40.00"; do
      set -- $setting
      FB_FAKEVERBS_LINK=$1 FB_FAKEVERBS_SPEED=$2 FB_FAKEVERBS_WIDTH=$3 "$mpirun" -n "$ranks" \
        --oversubscribe "$bin" p2p --test bandwidth --transport verbs -b 64K -e 64K -n 4 -w 1 \
        --out "$dir/rate.h5" --overwrite >"$dir/stdout.txt"
      grep '^# line rate' "$dir/stdout.txt"
      grep -q "^# line rate $4 Gb/s" "$dir/stdout.txt"
    done
    # Each transport's series carry its own link's rate: UCX knows none (0), measured first.
    FB_FAKEVERBS_LINK=ib FB_FAKEVERBS_SPEED=256 FB_FAKEVERBS_WIDTH=2 "$mpirun" -n "$ranks" \
      --oversubscribe "$bin" p2p --test bandwidth --transport ucx,verbs -b 64K -e 64K -n 4 -w 1 \
      --out "$dir/rates.h5" --overwrite >"$dir/stdout.txt"
    grep -q "^# line rate 800.0 Gb/s (100.0 GB/s), the verbs transport's link" "$dir/stdout.txt"
    "$python" - "$dir/rates.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    rates = {name: float(g.attrs["line_rate_Gbps"]) for name, g in f["series"].items()}
print(rates)
assert rates == {"bandwidth.ucx": 0.0, "bandwidth.verbs": 800.0}, rates
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
