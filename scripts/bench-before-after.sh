#!/usr/bin/env bash
# Every algorithm of two builds, measured on this machine in one run of this script and
# compared with fabricbench's own statistics: the "before and after" of a change that could
# slow a path (docs/PERFORMANCE.md records the results).
#
#   scripts/bench-before-after.sh BEFORE_BIN AFTER_BIN OUTDIR [RANKS]
#
# For each collective and algorithm both binaries measure float32 sum over UCX from 8 B
# (latency) to 16 MiB (bandwidth), out of place, root 0; the two runs alternate in ROUNDS
# rounds (default 2) so drift of the machine hits both alike, each round into its own
# files. Then `fabricbench compare` (Hodges-Lehmann ratio of the times with its 95%
# interval, Mann-Whitney p Holm-corrected, equivalence within 5%) per round.
set -euo pipefail
before=$1; after=$2; out=$3; ranks=${4:-2}
rounds=${ROUNDS:-2}
mkdir -p "$out"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
common=(run --collective all --algorithm all --transport ucx --dtype float32 --op sum
        -b 8 -e 16M -f 8 -n "${ITERATIONS:-200}" -w 20)
for r in $(seq 1 "$rounds"); do
  for side in before after; do
    bin=$before; [ "$side" = after ] && bin=$after
    echo "== round $r: $side ($bin)" >&2
    mpirun -n "$ranks" --oversubscribe "$bin" "${common[@]}" --out "$out/$side.$r.h5" \
      --overwrite | grep -E '^# [0-9]+ series' >&2
  done
done
for r in $(seq 1 "$rounds"); do
  echo "== round $r: after against before"
  "$after" compare "$out/before.$r.h5" "$out/after.$r.h5" --equivalence 5 \
    --json "$out/compare.$r.json" ${COMPARE_FORCE:+--force} || true
done
