#!/usr/bin/env bash
# Fault during a topology sweep: rank 1 (fbf-h1) is killed while the 2-node subset (ranks 0
# and 1) measures and ranks 2 and 3 wait outside it, with no deadline of their own. Rank 0
# finds the loss; its probe tells the waiting ranks, which end too: every survivor exits
# non-zero within --timeout + 10 s naming rank 1 on fbf-h1.
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"
fabric_init "$@"
fabric_up --hosts 4 --leaves 1 --host-rate 1gbit

TIMEOUT=5
start_faulty_run idle run --collective allreduce --algorithm ring,mpi --transport ucx \
  -b 4K -e 256K -n 40 -w 2 --timeout $TIMEOUT --nodes 2,4 --out "$WORK/idle.h5"
wait_for_points idle 3
kill_time=$(date +%s.%N)
victim=$(rank_pid fbf-h1)
echo "+ kill -9 $victim (rank 1 on fbf-h1) at $kill_time"
kill -9 "$victim"
finish_faulty_run idle
check_survivors idle "$kill_time" "$TIMEOUT" 1 fbf-h1 0 2 3
for r in 2 3; do
  grep -q "rank $r (fbf-h$r): error: rank 0 (fbf-h0) stopped after a failure while this rank was waiting" \
    "$WORK/idle.err" || { echo "FAIL  rank $r did not learn of the failure from rank 0's probe"; exit 1; }
  echo "ok    rank $r, outside the subset, learned of the failure from rank 0's probe"
done
"$PY" "$CHECK_PY" failed-file "$WORK/idle.h5" --min-points "$POINTS_SEEN" --status failed
