#!/usr/bin/env bash
# scripts/install-deps.sh is quiet: one line per step, apt's output only when a step fails
# (its tail and the path of the full log, with apt's exit status). apt-get, dpkg-query and
# sudo are replaced by stand-ins on the PATH, so nothing is installed. The fabricbench.pth
# that makes the Python package importable goes to a folder of the test's (FB_SITE_PACKAGES).
set -u
script=${1:?usage: install_deps_test.sh PATH/TO/install-deps.sh}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/tmp"
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

# dpkg-query: every package missing unless FAKE_ALL_INSTALLED is set.
cat >"$work/bin/dpkg-query" <<'STUB'
#!/bin/sh
if [ -n "${FAKE_ALL_INSTALLED:-}" ]; then printf 'install ok installed'; else printf 'unknown ok not-installed'; fi
STUB
# apt-get: chatty, as the real one is; `install` exits with $FAKE_INSTALL_STATUS.
cat >"$work/bin/apt-get" <<'STUB'
#!/bin/sh
case "$1" in
  update) i=0; while [ $i -lt 60 ]; do echo "Get:$i http://deb.example/debian bookworm InRelease"; i=$((i + 1)); done ;;
  install)
    shift; echo "$@" >"$FAKE_ARGS"
    i=0; while [ $i -lt 300 ]; do echo "Unpacking package-$i ..."; i=$((i + 1)); done
    if [ "${FAKE_INSTALL_STATUS:-0}" -ne 0 ]; then echo "E: Unable to fetch some archives" >&2; fi
    exit "${FAKE_INSTALL_STATUS:-0}" ;;
esac
STUB
printf '#!/bin/sh\nexec "$@"\n' >"$work/bin/sudo"
chmod +x "$work/bin/"*
export PATH="$work/bin:$PATH" TMPDIR="$work/tmp" FAKE_ARGS="$work/args"
export FB_SITE_PACKAGES="$work/site"
python_dir=$(cd "$(dirname "$script")/.." && pwd)/python

# 1. Everything missing, apt succeeds: exactly two lines, no log left behind.
out=$("$script" 2>"$work/err")
status=$?
count=$(tr " " "\n" <"$work/args" | grep -c -v "^-")
want="install-deps: updating the package lists ... ok
install-deps: installing $count packages ... ok"
[ "$status" -eq 0 ] || fail "success case exited $status"
[ "$out" = "$want" ] || fail "success case printed:
$out
expected:
$want"
[ ! -s "$work/err" ] || fail "success case wrote to stderr: $(cat "$work/err")"
[ "$count" -gt 10 ] || fail "apt-get install got only $count packages"
[ -z "$(ls -A "$work/tmp")" ] || fail "logs left behind: $(ls "$work/tmp")"
[ "$(cat "$work/site/fabricbench.pth" 2>/dev/null)" = "$python_dir" ] ||
  fail "fabricbench.pth should name $python_dir, holds: $(cat "$work/site/fabricbench.pth" 2>&1)"
tr " " "\n" <"$work/args" | grep -qx python3-pandas ||
  fail "python3-pandas is not installed"

# 2. apt-get install fails: one failed line, then the log's tail and its path; apt's status.
out=$(FAKE_INSTALL_STATUS=100 "$script" 2>"$work/err")
status=$?
[ "$status" -eq 100 ] || fail "failure case exited $status, expected apt's 100"
[ "$out" = "install-deps: updating the package lists ... ok
install-deps: installing $count packages ... failed (exit 100)" ] || fail "failure case printed: $out"
log=$(sed -n 's/^---- full output: //p' "$work/err")
[ -f "$log" ] || fail "no log at '$log'"
[ "$(grep -c '^Unpacking' "$log" 2>/dev/null)" = 300 ] || fail "log lacks apt's output"
grep -q '^E: Unable to fetch some archives$' "$work/err" || fail "stderr lacks apt's error"
[ "$(grep -c '^Unpacking' "$work/err")" = 39 ] || fail "stderr should carry the last 40 lines"
rm -f "$work/tmp/"*

# 3. Nothing missing: one line, apt not called.
rm -f "$work/args"
out=$(FAKE_ALL_INSTALLED=1 "$script" 2>&1)
status=$?
if [ "$status" -ne 0 ] || ! [[ "$out" =~ ^install-deps:\ all\ [0-9]+\ packages\ already\ installed$ ]]; then
  fail "installed case: exit $status, printed: $out"
fi
[ ! -e "$work/args" ] || fail "apt-get install ran with nothing missing"
rm -f "$work/site/fabricbench.pth"
FAKE_ALL_INSTALLED=1 "$script" >/dev/null 2>&1
[ "$(cat "$work/site/fabricbench.pth" 2>/dev/null)" = "$python_dir" ] ||
  fail "with nothing missing, fabricbench.pth was not written"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "install-deps: quiet on success, apt's output on failure: ok"
