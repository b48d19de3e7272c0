# shellcheck shell=bash
# Shared by the fabric tests (sourced). Usage in a test:
#   . "$(dirname "$0")/common.sh"; fabric_init "$@"
# Arguments of every test: FABRICBENCH_BINARY PYTHON3
# Exits 77 (ctest SKIP_RETURN_CODE) with the reason when the fabric cannot be built here;
# always tears the fabric down on exit.
set -eu
FABRIC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FABRIC_SH=$FABRIC_ROOT/scripts/fabric/fabric.sh
FABRIC_MPIRUN=$FABRIC_ROOT/scripts/fabric/mpirun.sh
export CHECK_PY=$FABRIC_ROOT/tests/fabric/check_fabric.py

skip() { echo "SKIPPED: $*"; exit 77; }

fabric_init() {
  BIN=${1:?fabricbench binary}
  case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
  [ -x "$BIN" ] || { echo "FAIL: $BIN is not an executable"; exit 1; }
  PY=${2:-/usr/bin/python3}
  [ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces (uid $(id -u))"
  command -v ip >/dev/null 2>&1 || skip "iproute2 'ip' not installed"
  command -v tc >/dev/null 2>&1 || skip "iproute2 'tc' not installed"
  ip netns list >/dev/null 2>&1 || skip "'ip netns' does not work here"
  command -v mpirun >/dev/null 2>&1 || skip "mpirun not found"
  "$PY" -c 'import h5py' 2>/dev/null || skip "$PY has no h5py"
  WORK=$(mktemp -d)
  trap 'fabric_teardown' EXIT
  trap 'exit 130' INT TERM
}

fabric_teardown() {
  local rc=$?
  "$FABRIC_SH" down >/dev/null 2>&1 || true
  rm -rf "$WORK"
  exit "$rc"
}

# fabric_up ARGS...: builds the fabric; exit 77 when the kernel refuses namespaces.
fabric_up() {
  local rc=0
  "$FABRIC_SH" up "$@" || rc=$?
  [ "$rc" -ne 4 ] || skip "fabric.sh refused (see the line above)"
  [ "$rc" -eq 0 ] || { echo "FAIL: fabric.sh up $* exited $rc"; exit 1; }
  "$FABRIC_SH" status
}

# run_fb NAME MPIRUN_ARGS... -- FABRICBENCH_ARGS...: runs the real binary on the fabric,
# stdout kept in $WORK/NAME.txt (and shown), HDF5 in $WORK/NAME.h5.
run_fb() {
  local name=$1; shift
  local margs=()
  while [ "$1" != -- ]; do margs+=("$1"); shift; done
  shift
  local out=(--out "$WORK/$name.h5")
  [[ " $* " != *" --resume "* ]] || out=()   # --resume adds to its own file
  echo "+ scripts/fabric/mpirun.sh ${margs[*]} fabricbench $* ${out[*]}"
  (cd "$WORK" && "$FABRIC_MPIRUN" --timeout 240 "${margs[@]}" "$BIN" "$@" --progress off \
     "${out[@]}") >"$WORK/$name.txt"
  cat "$WORK/$name.txt"
}

# --- fault tests -------------------------------------------------------------------------
# start_faulty_run NAME FABRICBENCH_ARGS...: one rank per host, in the background, with
# mpirun.sh --keep-going (survivors outlive a dead rank; exit codes in $WORK/NAME.status/).
start_faulty_run() {
  local name=$1; shift
  local hosts
  hosts=$("$FABRIC_SH" hosts)
  echo "+ scripts/fabric/mpirun.sh --keep-going $name.status fabricbench $*"
  (cd "$WORK" && exec "$FABRIC_MPIRUN" --timeout 180 --keep-going "$WORK/$name.status" \
     --hosts "$hosts" "$BIN" "$@") >"$WORK/$name.txt" 2>"$WORK/$name.err" &
  FAULTY_PID=$!
}

# wait_for_points NAME N: until rank 0 has printed N result rows (sets POINTS_SEEN).
wait_for_points() {
  local name=$1 want=$2 i
  for ((i = 0; i < 600; i++)); do
    POINTS_SEEN=$(grep -cE '^ +[0-9]+ +[0-9]+ ' "$WORK/$name.txt" || true)
    [ "$POINTS_SEEN" -ge "$want" ] && return 0
    kill -0 "$FAULTY_PID" 2>/dev/null || { cat "$WORK/$name.txt" "$WORK/$name.err"; echo "FAIL: the run ended before $want points"; exit 1; }
    sleep 0.1
  done
  echo "FAIL: fewer than $want points after 60 s"; exit 1
}

# rank_pid HOST: the fabricbench process running in namespace HOST.
rank_pid() {
  local pid
  for pid in $(ip netns pids "$1"); do
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = fabricbench ]; then echo "$pid"; return 0; fi
  done
  echo "FAIL: no fabricbench process on $1" >&2; exit 1
}

# wait_for_status NAME RANKS...: until each rank has recorded its exit (60 s at most).
wait_for_status() {
  local name=$1 r i missing; shift
  for ((i = 0; i < 600; i++)); do
    missing=0
    for r in "$@"; do [ -f "$WORK/$name.status/rank.$r" ] || missing=1; done
    [ "$missing" -eq 0 ] && return 0
    sleep 0.1
  done
  echo "FAIL: ranks $* did not all exit within 60 s"; cat "$WORK/$name.err"; exit 1
}

# finish_faulty_run NAME: waits for mpirun.sh (its exit code is checked per rank instead).
finish_faulty_run() {
  local name=$1 rc=0
  wait "$FAULTY_PID" || rc=$?
  echo "mpirun.sh exited $rc"
  cat "$WORK/$name.txt"
  echo "--- stderr"
  grep -v 'UCX  WARN\|PMIX ERROR' "$WORK/$name.err" || true
  echo "---"
}

# check_survivors NAME FAULT_TIME TIMEOUT LOST_RANK LOST_HOST SURVIVORS...: every survivor
# exited non-zero within TIMEOUT + 10 s of FAULT_TIME and named the lost rank and host.
check_survivors() {
  local name=$1 t0=$2 timeout=$3 lost_rank=$4 lost_host=$5 r code end bad=0; shift 5
  for r in "$@"; do
    if [ ! -f "$WORK/$name.status/rank.$r" ]; then
      echo "FAIL  rank $r left no exit status"; bad=1; continue
    fi
    read -r code end <"$WORK/$name.status/rank.$r"
    local took
    took=$(awk -v a="$end" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')
    if [ "$code" -eq 0 ]; then
      echo "FAIL  rank $r exited 0 after the fault"; bad=1
    else
      echo "ok    rank $r exited $code, $took s after the fault"
    fi
    if awk -v t="$took" -v l="$timeout" 'BEGIN { exit !(t > l + 10) }'; then
      echo "FAIL  rank $r took $took s (limit --timeout $timeout + 10 s)"; bad=1
    fi
    if grep -q "rank $r ([^)]*): lost peer: rank $lost_rank on host $lost_host" "$WORK/$name.err"; then
      echo "ok    rank $r named rank $lost_rank on $lost_host as lost"
    else
      echo "FAIL  rank $r did not name rank $lost_rank on host $lost_host"; bad=1
    fi
  done
  [ "$bad" -eq 0 ] || exit 1
}
