#!/usr/bin/env bash
# Every algorithm of two builds, measured on this machine in one run of this script and
# compared with fabricbench's own statistics: the "before and after" of a change that could
# slow a path (docs/PERFORMANCE.md records the results).
#
#   scripts/bench-before-after.sh BEFORE_BIN AFTER_BIN OUTDIR [RANKS]
#
# For each collective and algorithm both binaries measure float32 sum over UCX from 8 B
# (latency) to 16 MiB (bandwidth), out of place, root 0. The two binaries alternate
# collective by collective, in ROUNDS rounds (default 2), so a drift of the machine hits both
# sides of one comparison alike; each round and collective has its own files. Then
# `fabricbench compare` (Hodges-Lehmann ratio of the times with its 95% interval,
# Mann-Whitney p Holm-corrected, equivalence within 5%) per round and collective, and a
# table of every ratio: the MPI library's rows are the control (neither side changes them).
set -euo pipefail
before=$1; after=$2; out=$3; ranks=${4:-2}
rounds=${ROUNDS:-2}
collectives=${COLLECTIVES:-allreduce reducescatter allgather broadcast reduce alltoall sendrecv}
mkdir -p "$out"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
common=(run --algorithm all --transport ucx --dtype float32 --op sum
        -b 8 -e 16M -f 8 -n "${ITERATIONS:-200}" -w 20)
for r in $(seq 1 "$rounds"); do
  for c in $collectives; do
    for side in before after; do
      bin=$before; [ "$side" = after ] && bin=$after
      echo "== round $r $c: $side ($bin)" >&2
      mpirun -n "$ranks" --oversubscribe "$bin" "${common[@]}" --collective "$c" \
        --out "$out/$side.$r.$c.h5" --overwrite | grep -E '^# [0-9]+ series' >&2
    done
  done
done
for r in $(seq 1 "$rounds"); do
  for c in $collectives; do
    echo "== round $r $c: after against before"
    "$after" compare "$out/before.$r.$c.h5" "$out/after.$r.$c.h5" --equivalence 5 \
      --json "$out/compare.$r.$c.json" ${COMPARE_FORCE:+--force} || true
  done
done
# Every ratio B/A (time after / time before), one column per round.
/usr/bin/python3 - "$out" "$rounds" <<'PY'
import glob, json, os, sys
out, rounds = sys.argv[1], int(sys.argv[2])
ratios = {}
for r in range(1, rounds + 1):
    for f in sorted(glob.glob(os.path.join(out, f"compare.{r}.*.json"))):
        for s in json.load(open(f))["series"]:
            for p in s["points"]:
                key = (s["name_a"], p["size_bytes"])
                ratios.setdefault(key, {})[r] = p["time_ratio"]
print(f"{'series':52} {'bytes':>9}  " + "  ".join(f"round {r}" for r in range(1, rounds + 1)))
for (name, size), by_round in sorted(ratios.items()):
    cells = []
    for r in range(1, rounds + 1):
        t = by_round.get(r)
        cells.append(f"{t['estimate']:.3f} [{t['lower']:.2f},{t['upper']:.2f}]" if t else "-")
    print(f"{name:52} {size:>9}  " + "  ".join(cells))
PY
