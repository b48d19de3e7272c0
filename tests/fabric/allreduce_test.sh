#!/usr/bin/env bash
# Ring all-reduce over UCX on 4 hosts under one leaf (400 Mbit/s host links), with the default
# pipeline parameters: bus bandwidth within 15% of the host link rate. Over TCP the transport
# uses UCX's eager protocol; with its rendezvous handshakes (the replies queued behind bulk TCP
# data) the same run reached 50-55% (docs/FABRIC.md).
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
fabric_init "$@"
HOST_RATE=400mbit
fabric_up --hosts 4 --leaves 1 --host-rate $HOST_RATE

run_fb ring -n 4 -- run --collective allreduce --algorithm ring --transport ucx -b 64M -e 64M \
  -n 3 -w 1 --check
"$PY" "$CHECK_PY" allreduce "$WORK/ring.h5" --size 67108864 --rate $HOST_RATE --low 0.85 --high 1.1 \
  --hosts fbf-h0,fbf-h1,fbf-h2,fbf-h3
