#!/usr/bin/env bash
# Topology sweep in one job: 8 ranks on 4 hosts (2 per host), --nodes sweep and
# --ranks-per-node 1 and 2. Every subset is a series of its own with the right rank count,
# the results check out, and the file names the nodes and ranks per node of each.
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
fabric_init "$@"
fabric_up --hosts 4 --leaves 2 --host-rate 1gbit --spine-rate 1gbit

for k in 1 2; do
  run_fb subsets$k -n 8 -- run --collective allreduce --algorithm ring --transport ucx \
    -b 4K -e 64K -f 4 -n 3 -w 1 --check --nodes sweep --ranks-per-node $k
  "$PY" - "$WORK/subsets$k.h5" "$k" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
k = int(sys.argv[2])
bad = []
for m in (2, 4):
    name = f"allreduce.ring.ucx.float32.sum.nodes{m}x{k}"
    if name not in f["series"]:
        sys.exit(f"FAIL: no series {name}: {list(f['series'])}")
    s = f["series"][name]
    params = {a: int(s.attrs[a]) for a in ("nodes", "ranks_per_node") if a in s.attrs}
    ok = int(s.attrs["n_ranks"]) == m * k and params.get("nodes") == m and params.get("ranks_per_node") == k
    wrong = [int(w) for w in s["points"]["wrong"]]
    print(("ok    " if ok else "FAIL  ") + f"{name}: n_ranks {int(s.attrs['n_ranks'])}, {params}")
    print(("ok    " if wrong and all(w == 0 for w in wrong) else "FAIL  ") + f"{name}: wrong {wrong}")
    if not ok or not wrong or any(w != 0 for w in wrong):
        bad.append(name)
if len(f["series"]) != 2:
    bad.append(f"expected 2 series, found {list(f['series'])}")
sys.exit(f"FAIL: {bad}" if bad else 0)
PY
done
