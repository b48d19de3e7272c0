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
  echo "+ scripts/fabric/mpirun.sh ${margs[*]} fabricbench $* --out $name.h5"
  (cd "$WORK" && "$FABRIC_MPIRUN" --timeout 240 "${margs[@]}" "$BIN" "$@" --progress off \
     --out "$WORK/$name.h5") >"$WORK/$name.txt"
  cat "$WORK/$name.txt"
}
