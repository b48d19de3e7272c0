#!/usr/bin/env bash
# Oversubscribed spine: 4 hosts on 2 leaves (h0,h1 | h2,h3), host links 400 Mbit/s, leaf-spine
# links 200 Mbit/s. The multipair test runs pairs 0-2 and 1-3 at once, both across the spine:
# together they get the spine rate (85%..125%), not twice it, each at least a quarter of it.
# Long windows (32 x 1 MiB) because the pairs time their windows independently (see
# check_fabric.py). The link matrix shows same-leaf links at the host rate and cross-leaf
# links capped by the spine.
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
fabric_init "$@"
HOST_RATE=400mbit SPINE_RATE=200mbit
fabric_up --hosts 4 --leaves 2 --host-rate $HOST_RATE --spine-rate $SPINE_RATE

run_fb multi -n 4 -- p2p --test multipair -b 1M -e 1M -n 3 -w 1 --window 32 --transport ucx
"$PY" "$CHECK_PY" multipair "$WORK/multi.h5" --size 1048576 --rate $SPINE_RATE --low 0.85 --high 1.25 \
  --host-rate $HOST_RATE --hosts fbf-h0,fbf-h1,fbf-h2,fbf-h3

run_fb matrix -n 4 -- p2p --test matrix --matrix-bandwidth-size 1M -n 3 -w 1 --window 8 \
  --transport ucx --matrix-threshold 0.1
"$PY" "$CHECK_PY" matrix "$WORK/matrix.h5" --rate $SPINE_RATE --host-rate $HOST_RATE --leaf-of 0,0,1,1 \
  --low 0.75 --high 1.1
