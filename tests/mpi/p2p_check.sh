#!/usr/bin/env bash
# Every p2p test over UCX and MPI on 2 and 4 ranks, payloads checked (a wrong byte would
# exit 3), then the HDF5 file through the h5py schema check: every series present and the
# link matrix complete and symmetric in what it covers. The matrix threshold is lowered to
# 10% because 4 ranks share 2 cores here, which makes link speeds swing; flagging itself is
# tested by p2p_slow_link.sh.
set -eu
bin="$1"; mpirun="$2"; python="$3"; checker="$4"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for n in 2 4; do
  "$mpirun" -n "$n" --oversubscribe "$bin" p2p --test all --transport ucx,mpi -b 8 -e 64K -f 16 \
    -n 20 -w 2 --window 16 --line-rate 100Gb --matrix-threshold 0.1 --out "$dir/p2p$n.h5" >"$dir/out$n.txt"
  grep -c '^# p2p ' "$dir/out$n.txt" | grep -qx 10  # 5 series x 2 transports
  grep -q 'no link below the threshold' "$dir/out$n.txt"
  "$python" "$checker" "$dir/p2p$n.h5" --expect-p2p-series 10 --expect-matrix --expect-world-size "$n"
  echo "p2p on $n ranks: all tests over ucx and mpi checked"
done
