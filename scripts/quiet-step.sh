# shellcheck shell=bash
# Sourced by the install and quick-start scripts: run one step with its output in a log,
# print one line for it, and show the log only when the step fails.
#
#   quiet_step LABEL COMMAND [ARGS...]
#
# prints "LABEL ... ok" when COMMAND succeeds (the log is removed), otherwise
# "LABEL ... failed (exit N)", then the last $FB_LOG_TAIL (default 40) lines of the log and
# its path on stderr, and returns COMMAND's exit status. Logs go to $TMPDIR (default /tmp).

quiet_step() {
  local label=$1
  shift
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/fabricbench-step.XXXXXX.log")
  printf '%s ... ' "$label"
  local status=0
  "$@" >"$log" 2>&1 </dev/null || status=$?
  if [ "$status" -eq 0 ]; then
    echo ok
    rm -f "$log"
    return 0
  fi
  echo "failed (exit $status)"
  {
    echo "---- last ${FB_LOG_TAIL:-40} lines of $log:"
    tail -n "${FB_LOG_TAIL:-40}" "$log"
    echo "---- full output: $log"
  } >&2
  return "$status"
}
