#!/usr/bin/env bash
# Every bad command line must end with exit code 2 and exactly one error line on stderr,
# before MPI starts (so this runs without mpirun).
set -u
bin="$1"
failures=0

expect_bad() {
  local stderr_file
  stderr_file=$(mktemp)
  "$bin" "$@" >/dev/null 2>"$stderr_file"
  local code=$?
  local lines
  lines=$(wc -l <"$stderr_file")
  if [ "$code" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q '^fabricbench: error: ' "$stderr_file"; then
    echo "FAIL: fabricbench $* -> exit $code, $lines stderr lines:"
    sed 's/^/    /' "$stderr_file"
    failures=$((failures + 1))
  else
    echo "ok: fabricbench $* -> $(cat "$stderr_file")"
  fi
  rm -f "$stderr_file"
}

expect_bad
expect_bad frobnicate
expect_bad run --collective nope
expect_bad run --algorithm ring,nope
expect_bad run --transport carrier-pigeon
expect_bad run --dtype float16x
expect_bad run --memory gpu
expect_bad run --memory host,gpu
expect_bad run --nodes 0
expect_bad run --nodes 2,x
expect_bad run --ranks-per-node 0
expect_bad run --nodes 2 --node-placement nearby
expect_bad run --node-placement packed
expect_bad run -b 64M -e 1M
expect_bad run -b 0
expect_bad run -e -1
expect_bad run -b 12Q
expect_bad run -f 1
expect_bad run -n abc
expect_bad run -w -3
expect_bad run --timeout never
expect_bad run --timeout 1e10
expect_bad p2p --timeout 604801
expect_bad run --iters
expect_bad run --unknown-option
# Without an RDMA device, asking for verbs is refused at start with the reason.
if [ ! -d /sys/class/infiniband ] || [ -z "$(ls -A /sys/class/infiniband 2>/dev/null)" ]; then
  expect_bad run --transport verbs
  expect_bad p2p --transport verbs
else
  echo "skip: an RDMA device is present, so --transport verbs is valid here"
fi
expect_bad run --resume /nonexistent/run.h5
expect_bad run --resume /etc/hostname --out x.h5
expect_bad p2p --test pingpong
expect_bad p2p --window 0
expect_bad p2p --line-rate fast
expect_bad p2p --line-rate 300Xb
expect_bad p2p --line-rate 0Gb
expect_bad p2p --matrix-threshold 2
expect_bad p2p --test bisection --bisection-pairings -1
expect_bad p2p --test bisection --bisection-seed x
# compare: arguments, then files (read without MPI).
expect_bad compare
expect_bad compare /nonexistent/a.h5
expect_bad compare /nonexistent/a.h5 /nonexistent/b.h5
expect_bad compare /etc/hostname /etc/hostname
expect_bad compare a.h5 b.h5 --fail-if-slower x
expect_bad compare a.h5 b.h5 --fail-if-slower -5
expect_bad compare a.h5 b.h5 --fail-if-slower 100
expect_bad compare a.h5 b.h5 --equivalence 0
expect_bad compare a.h5 b.h5 --alpha 0.5
expect_bad compare a.h5 b.h5 --ratio median
expect_bad compare a.h5 b.h5 --bw-from 1Q
expect_bad compare a.h5 b.h5 --frobnicate
if ! "$bin" compare --help | grep -q -- '--fail-if-slower'; then
  echo "FAIL: fabricbench compare --help does not list --fail-if-slower"
  failures=$((failures + 1))
fi

# qualify: a malformed profile is one line naming the file, the line and the problem.
profiles=$(mktemp -d)
good='profile: t
link:
  line_rate: 1 Gb/s
rules:
  - name: bw
    test: p2p_bandwidth
    sizes: [64K, 1M]
    unit: line_rate
    warn: 0.9
    fail: 0.8'
printf '%s\n' "$good" >"$profiles/good.yaml"
printf '%s\n' "${good/sizes: \[64K, 1M\]/sizes: [64K, 1M}" >"$profiles/syntax.yaml"
printf '%s\n' "${good/unit: line_rate/unit: line_rate
    colour: red}" >"$profiles/unknown.yaml"
printf '%s\n' "${good/    fail: 0.8/}" >"$profiles/missing.yaml"
printf '%s\n' "${good/1 Gb\/s/1 Gbit\/ss}" >"$profiles/unit.yaml"
printf '%s\n' "${good/warn: 0.9/warn: 0.7}" >"$profiles/order.yaml"
# expect_message MESSAGE ARGS...: exit 2 and exactly MESSAGE as the one stderr line.
expect_message() {
  local want=$1; shift
  local got code=0
  got=$("$bin" "$@" 2>&1 >/dev/null) || code=$?
  if [ "$code" -ne 2 ] || [ "$got" != "$want" ]; then
    echo "FAIL: fabricbench $* -> exit $code, stderr:"
    echo "$got" | sed 's/^/    /'
    echo "    wanted: $want"
    failures=$((failures + 1))
  else
    echo "ok: fabricbench $* -> $got"
  fi
}
q=(qualify --from /nonexistent.h5 --profile)
expect_message "fabricbench: error: profile $profiles/syntax.yaml:8: YAML syntax error: end of sequence flow not found" "${q[@]}" "$profiles/syntax.yaml"
expect_message "fabricbench: error: profile $profiles/unknown.yaml:9: unknown key 'colour' in a rule (known: algorithm, budget, collective, direction, dtype, fail, iterations, level, name, size, sizes, statistic, test, unit, warn)" "${q[@]}" "$profiles/unknown.yaml"
expect_message "fabricbench: error: profile $profiles/missing.yaml:5: rule 'bw' has no 'fail'" "${q[@]}" "$profiles/missing.yaml"
expect_message "fabricbench: error: profile $profiles/unit.yaml:3: line_rate '1 Gbit/ss' is not a rate with a unit (e.g. 400 Gb/s or 50 GB/s; b = bits, B = bytes)" "${q[@]}" "$profiles/unit.yaml"
expect_message "fabricbench: error: profile $profiles/order.yaml:9: rule 'bw': warn (0.7) must be at least fail (0.8) for a rate: warn is the stricter level" "${q[@]}" "$profiles/order.yaml"
expect_bad qualify --profile nonexistent-profile
expect_bad qualify --profile generic
expect_bad qualify --profile generic --line-rate 1Xb
expect_bad qualify --profile "$profiles/good.yaml" --record
expect_bad qualify --profile "$profiles/good.yaml" --from /nonexistent.h5
expect_bad qualify
rm -rf "$profiles"

# Help is not an error.
if ! "$bin" run --help | grep -q -- '--max-bytes'; then
  echo "FAIL: fabricbench run --help does not list --max-bytes"
  failures=$((failures + 1))
fi

echo "$failures failures"
[ "$failures" -eq 0 ]
