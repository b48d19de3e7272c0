#!/usr/bin/env bash
# Nobody outside the job can stop it: during a 2-rank run, every port the ranks listen on
# gets forged peer-probe messages (the old 5-byte "rank R is failing", the new layout with
# a wrong secret, garbage). The run completes (exit 0, status "complete"), each rank reports
# how many it ignored, and no rank listens on the wildcard address.
set -u
bin="$1"; mpirun="$2"; python="$3"
dir=$(mktemp -d)
launcher=
trap '[ -n "$launcher" ] && kill "$launcher" 2>/dev/null; rm -rf "$dir"' EXIT
command -v ss >/dev/null || { echo "SKIP: ss (iproute2) is not installed"; exit 0; }

# Open MPI's and UCX's TCP paths are off, so every listener in a rank is the probe responder.
"$mpirun" -n 2 --mca btl self,vader -x UCX_TLS=self,sysv,posix,cma "$bin" run \
  --algorithm ring --transport ucx -b 16M -e 16M -n 1000 -w 1 --out "$dir/run.h5" \
  >"$dir/out.txt" 2>"$dir/err.txt" &
launcher=$!

# This job's ranks (mpirun starts local ranks itself), and their listeners as "address:port
# pid" lines; other fabricbench processes on the machine are left alone.
listeners() {
  local ranks
  ranks=$(pgrep -P "$launcher" -x fabricbench | paste -sd' ')
  [ -n "$ranks" ] || return 0
  ss -Hltnp 2>/dev/null | awk -v ranks=" $ranks " '/\("fabricbench",/ {
    match($0, /pid=[0-9]+/); pid = substr($0, RSTART + 4, RLENGTH - 4)
    if (index(ranks, " " pid " ")) print $4, pid }' | sort -u
}
for _ in $(seq 1 300); do
  [ "$(listeners | awk '{print $2}' | sort -u | wc -l)" -ge 2 ] && break
  kill -0 "$launcher" 2>/dev/null || break
  sleep 0.1
done
listeners >"$dir/listeners.txt"
[ "$(awk '{print $2}' "$dir/listeners.txt" | sort -u | wc -l)" -eq 2 ] ||
  { echo "FAIL: did not find both ranks' listeners"; cat "$dir/listeners.txt" "$dir/err.txt"; exit 1; }
echo "listeners (address:port pid):"; sed 's/^/  /' "$dir/listeners.txt"
if grep -Eq '^(0\.0\.0\.0|\*|\[::\]):' "$dir/listeners.txt"; then
  echo "FAIL: a rank listens on the wildcard address"; exit 1
fi
# Each rank: loopback and the same advertised addresses (one host), on one port.
per_rank=$(awk '{print $2}' "$dir/listeners.txt" | sort | uniq -c | awk '{print $1}' | sort -u)
[ "$(echo "$per_rank" | wc -l)" -eq 1 ] || { echo "FAIL: ranks listen on different address counts"; exit 1; }

"$python" - "$dir/listeners.txt" <<'PY' || exit 1
import os, socket, struct, sys
targets = [line.split()[0].rsplit(":", 1) for line in open(sys.argv[1])]
forged = [struct.pack("!I", 0) + b"\x01", struct.pack("!I", 1) + b"\x01",
          b"fbp2" + os.urandom(16) + struct.pack("!I", 0) + b"\x01", os.urandom(64)]
for address, port in targets:
    for message in forged:
        with socket.create_connection((address, int(port)), timeout=5) as s:
            s.sendall(message)
            try:
                answer = s.recv(64)
            except ConnectionResetError:
                answer = b""
            assert answer == b"", f"{address}:{port} answered a forged message: {answer!r}"
print(f"sent {len(forged)} forged messages to each of {len(targets)} listeners; none answered")
PY
kill -0 "$launcher" 2>/dev/null ||
  { echo "FAIL: the run ended before the forged messages were all sent"; cat "$dir/err.txt"; exit 1; }

for _ in $(seq 1 600); do kill -0 "$launcher" 2>/dev/null || break; sleep 0.5; done
wait "$launcher"
code=$?
launcher=
fail=0
[ "$code" -eq 0 ] || { echo "FAIL: exit code $code, expected 0"; cat "$dir/err.txt"; fail=1; }
"$python" - "$dir/run.h5" <<'PY' || fail=1
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    status = f.attrs["status"]
    print(f"status: {status}")
    assert status == "complete", status
PY
# 4 messages to each address a rank listens on, each counted once.
want=$((4 * per_rank))
for rank in 0 1; do
  line=$(grep -E "^fabricbench: rank $rank \(.*\): ignored [0-9]+ peer-probe connections" "$dir/err.txt")
  got=$(echo "$line" | sed -E 's/.*ignored ([0-9]+) .*/\1/')
  [ "$got" = "$want" ] || { echo "FAIL: rank $rank ignored '$got', expected $want"; cat "$dir/err.txt"; fail=1; }
  echo "$line"
done
exit "$fail"
