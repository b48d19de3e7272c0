#!/usr/bin/env bash
# Two hosts on one leaf: UCX p2p bandwidth within 10% of the shaped host rate, small-message
# latency plausible for veth + bridge + TCP (no wire delay is emulated), and a cross-leaf pair
# likewise (its bandwidth capped by the leaf-spine link).
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
fabric_init "$@"
HOST_RATE=400mbit SPINE_RATE=200mbit
fabric_up --hosts 4 --leaves 2 --host-rate $HOST_RATE --spine-rate $SPINE_RATE

run_fb leaf -n 2 --hosts fbf-h0,fbf-h1 -- p2p --test latency -b 8 -e 8 -n 200 -w 20 --transport ucx
"$PY" "$CHECK_PY" latency "$WORK/leaf.h5" --size 8 --max-us 200 --hosts fbf-h0,fbf-h1
run_fb leafbw -n 2 --hosts fbf-h0,fbf-h1 -- p2p --test bandwidth -b 1M -e 1M -n 8 -w 2 --window 8 \
  --transport ucx --line-rate 0.4Gb
"$PY" "$CHECK_PY" bandwidth "$WORK/leafbw.h5" --size 1048576 --rate $HOST_RATE --low 0.9 --high 1.1

run_fb cross -n 2 --hosts fbf-h0,fbf-h2 -- p2p --test latency,bandwidth -b 8 -e 1M -f 131072 -n 8 -w 2 \
  --window 8 --transport ucx
"$PY" "$CHECK_PY" latency "$WORK/cross.h5" --size 8 --max-us 300 --hosts fbf-h0,fbf-h2
"$PY" "$CHECK_PY" bandwidth "$WORK/cross.h5" --size 1048576 --rate $SPINE_RATE --low 0.85 --high 1.1
