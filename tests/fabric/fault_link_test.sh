#!/usr/bin/env bash
# Fault: a host's link goes down in the middle of a sweep (fbf-h3's switch port).
#   - every other rank exits non-zero within --timeout + 10 s, naming rank 3 on fbf-h3 as
#     lost (unreachable);
#   - rank 3 itself exits non-zero too, saying that no other host answers, so its own link
#     is probably down;
#   - the HDF5 file opens in h5py, holds every point completed before the fault and records
#     the failure as its status.
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
fabric_init "$@"
fabric_up --hosts 4 --leaves 1 --host-rate 1gbit

TIMEOUT=5
start_faulty_run linkdown run --collective allreduce --algorithm ring,mpi --transport ucx \
  -b 4K -e 256K -n 40 -w 2 --timeout $TIMEOUT --out "$WORK/linkdown.h5"
wait_for_points linkdown 3
fault_time=$(date +%s.%N)
"$FABRIC_SH" link fbf-h3 down
wait_for_status linkdown 0 1 2 3
# mpirun's daemon on fbf-h3 is cut off too; reconnect it so that mpirun can finish.
"$FABRIC_SH" link fbf-h3 up
for ((i = 0; i < 300; i++)); do kill -0 "$FAULTY_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$FAULTY_PID" 2>/dev/null; then
  echo "mpirun did not finish after the link came back; stopping it"
  pkill -TERM -f "mpirun .*--keep-going|orte_enable_recovery" || true
fi
finish_faulty_run linkdown
check_survivors linkdown "$fault_time" "$TIMEOUT" 3 fbf-h3 0 1 2
grep -q "rank 3 (fbf-h3): no other host answers" "$WORK/linkdown.err" ||
  { echo "FAIL  rank 3 did not report that its own link is down"; exit 1; }
echo "ok    rank 3 reported that its own link is probably down"
read -r code _ <"$WORK/linkdown.status/rank.3"
[ "$code" -ne 0 ] || { echo "FAIL  rank 3 exited 0"; exit 1; }
echo "ok    rank 3 exited $code"
"$PY" "$CHECK_PY" failed-file "$WORK/linkdown.h5" --min-points "$POINTS_SEEN" --status failed
