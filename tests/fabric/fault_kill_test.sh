#!/usr/bin/env bash
# Fault: a rank killed in the middle of a sweep (SIGKILL of the process on host fbf-h2).
#   - every surviving rank exits non-zero within --timeout + 10 s of the kill, with a
#     message naming the lost peer by rank and host;
#   - the HDF5 file opens in h5py, holds every point completed before the kill and records
#     the failure as its status;
#   - rerunning with --resume FILE measures only the missing points, and the final file has
#     the same set of points (series x sizes) as an uninterrupted run.
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
fabric_init "$@"
fabric_up --hosts 4 --leaves 1 --host-rate 1gbit

TIMEOUT=5
SWEEP=(run --collective allreduce --algorithm ring,mpi --transport ucx -b 4K -e 256K -n 40 -w 2
       --timeout $TIMEOUT)
VICTIM_HOST=fbf-h2
VICTIM_RANK=2

start_faulty_run killed "${SWEEP[@]}" --out "$WORK/killed.h5"
wait_for_points killed 3
kill_time=$(date +%s.%N)
victim=$(rank_pid "$VICTIM_HOST")
echo "+ kill -9 $victim (rank $VICTIM_RANK on $VICTIM_HOST) at $kill_time"
kill -9 "$victim"
finish_faulty_run killed
check_survivors killed "$kill_time" "$TIMEOUT" "$VICTIM_RANK" "$VICTIM_HOST" 0 1 3
"$PY" "$CHECK_PY" failed-file "$WORK/killed.h5" --min-points "$POINTS_SEEN" --status failed

# Resume on the whole fabric, then an uninterrupted run of the same sweep for reference.
run_fb resumed -n 4 -- "${SWEEP[@]}" --resume "$WORK/killed.h5"
grep -q "^# resumed: [1-9][0-9]* points were already in the file" "$WORK/resumed.txt" ||
  { echo "FAIL: the resumed run did not report skipping the points already measured"; exit 1; }
run_fb reference -n 4 -- "${SWEEP[@]}"
"$PY" "$CHECK_PY" same-points "$WORK/killed.h5" "$WORK/reference.h5"
