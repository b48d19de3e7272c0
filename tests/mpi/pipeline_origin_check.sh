#!/usr/bin/env bash
# Pipeline parameters follow the path the UCX transport reports, and each series says how they
# were chosen (collectives/pipeline_defaults.hpp): 2 ranks on this host over shared memory
# (UCX's own choice of transports), then over TCP on loopback (UCX_TLS=tcp,self), then over
# TCP with --ring-slots given, then over TCP with UCX_RNDV_THRESH set by the user.
set -eu
bin="$1"; mpirun="$2"; python="$3"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
run() { # NAME ENV... -- ARGS...
  local name=$1; shift
  local env=()
  while [ "$1" != -- ]; do env+=(-x "$1"); shift; done
  shift
  "$mpirun" -n 2 --oversubscribe "${env[@]}" "$bin" run --collective allreduce \
    --algorithm ring,tree --transport ucx -b 64K -e 64K -n 2 -w 1 --check --progress off \
    --out "$dir/$name.h5" "$@" >"$dir/$name.txt" 2>&1 || { cat "$dir/$name.txt"; exit 1; }
}
run shm FB_PIPELINE_TEST=1 --
run tcp UCX_TLS=tcp,self --
run tcp_slots UCX_TLS=tcp,self -- --ring-slots 3
run tcp_rndv UCX_TLS=tcp,self UCX_RNDV_THRESH=auto --
"$python" - "$dir" <<'PY'
import sys, h5py
d = sys.argv[1]
tcp = "a network path (tcp; eager protocol over tcp, rendezvous threshold inf)"
cases = [
    ("shm", "auto for a shared-memory path (", 2),
    ("tcp", "auto for " + tcp, 4),
    ("tcp_slots", "--ring-slots as given; the others auto for " + tcp, 3),
    ("tcp_rndv", "auto for a network path (tcp; UCX_RNDV_THRESH as set)", 4),
]
bad = 0
for name, origin, slots in cases:
    f = h5py.File(f"{d}/{name}.h5", "r")
    for series, want_slots in (("allreduce.ring.ucx.float32.sum", slots),
                               ("allreduce.tree.ucx.float32.sum", 4)):
        s = f["series"][series]
        desc = s.attrs["description"]
        desc = desc.decode() if isinstance(desc, bytes) else desc
        got = desc.split("; pipeline parameters: ")[-1]
        ok = got.startswith(origin) and int(s.attrs["slots"]) == want_slots
        ok = ok and int(s.attrs.get("segment_bytes", s.attrs.get("chunk_bytes"))) == 262144
        ok = ok and all(int(p["wrong"]) == 0 for p in s["points"][:])
        print(("ok    " if ok else "FAIL  ") + f"{name} {series}: slots {int(s.attrs['slots'])}, '{got}'")
        bad += not ok
sys.exit(1 if bad else 0)
PY
