#!/usr/bin/env bash
# --memory both with our ring and the NCCL baseline on 2 ranks, with --check. Where a CUDA
# device is usable the cuda series are measured and must validate; where none is, they must
# be recorded as skipped with the reason, and the host series still measured (exit 0).
set -u
bin=$1; mpirun=$2; py=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$mpirun" -n 2 --oversubscribe "$bin" run --algorithm ring,nccl --transport ucx --memory both \
  -b 1K -e 64K -f 8 -n 3 -w 1 --check --out "$dir/gpu.h5" >"$dir/out.txt" 2>"$dir/err.txt"
code=$?
cat "$dir/out.txt" "$dir/err.txt"
[ "$code" -eq 0 ] || { echo "FAIL: exit $code"; exit 1; }
"$py" - "$dir/gpu.h5" "$dir/err.txt" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
err = open(sys.argv[2]).read()
s = f["series"]
want = {"allreduce.ring.ucx.float32.sum", "allreduce.ring.ucx.float32.sum.cuda",
        "allreduce.nccl.none.float32.sum.cuda"}
bad = []
if set(s) != want:
    bad.append(f"series {sorted(s)} != {sorted(want)}")
host = s["allreduce.ring.ucx.float32.sum"]
if len(host["points"]) == 0 or any(int(w) != 0 for w in host["points"]["wrong"]):
    bad.append("host series not measured cleanly")
for name in want - {"allreduce.ring.ucx.float32.sum"}:
    g = s[name]
    mem = g.attrs["memory"]
    mem = mem.decode() if isinstance(mem, bytes) else mem
    if mem != "cuda":
        bad.append(f"{name}: memory {mem}")
    if "skipped" in g.attrs:
        reason = g.attrs["skipped"]
        reason = reason.decode() if isinstance(reason, bytes) else reason
        ok = len(g["points"]) == 0 and reason and reason in err
        print(("ok    " if ok else "FAIL  ") + f"{name}: skipped ({reason}), reason also on stderr")
        if not ok:
            bad.append(name)
    else:
        wrong = [int(w) for w in g["points"]["wrong"]]
        ok = len(wrong) > 0 and all(w == 0 for w in wrong)
        print(("ok    " if ok else "FAIL  ") + f"{name}: measured on the GPU, wrong {wrong}")
        if not ok:
            bad.append(name)
sys.exit(f"FAIL: {bad}" if bad else 0)
PY
