#!/usr/bin/env bash
# The Python package and the report over real files: a 2-rank `fabricbench run` and
# `fabricbench p2p --test latency,bandwidth,matrix` (and the run once more) into a temporary folder, then pytest over
# tests/python with the package of this source tree. The reports and Chromium screenshots are
# kept in ARTEFACTS (the build's Testing/python-report folder when run by ctest).
set -eu
bin="$1"; mpirun="$2"; python="$3"; artefacts="$4"
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
rm -rf "$artefacts" && mkdir -p "$artefacts"
"$mpirun" -n 2 --oversubscribe "$bin" run --algorithm ring,mpi --transport ucx -b 8 -e 64K -f 4 \
  -n 10 -w 1 --out "$dir/run.h5" >"$dir/run.txt"
# the same sweep again: a second run to compare against the first
"$mpirun" -n 2 --oversubscribe "$bin" run --algorithm ring,mpi --transport ucx -b 8 -e 64K -f 4 \
  -n 10 -w 1 --out "$dir/run2.h5" >"$dir/run2.txt"
"$mpirun" -n 2 --oversubscribe "$bin" p2p --test latency,bandwidth,matrix --transport ucx -b 8 \
  -e 64K -f 16 -n 50 -w 2 --line-rate 100Gb --matrix-threshold 0.1 --out "$dir/p2p.h5" >"$dir/p2p.txt"
# the p2p file judged by `qualify --from --record` (a copy: verdicts written into it), with
# the same verdicts as JSON; qualify exits 8 or 9 when a check fails or stays inconclusive
cp "$dir/p2p.h5" "$dir/qualified.h5"
"$bin" qualify --from "$dir/qualified.h5" --profile generic --line-rate 100Gb --record \
  --json "$dir/qualified.json" >"$dir/qualify.txt" || [ -s "$dir/qualified.json" ]
export FB_TEST_RESULTS="$dir" FABRICBENCH_EXE="$bin" FB_TEST_ARTEFACTS="$artefacts"
export PYTHONPATH="$here/../../python${PYTHONPATH:+:$PYTHONPATH}"
cd "$dir"
"$python" -m pytest -p no:cacheprovider -rs -q "$here"
echo "report and screenshots kept in $artefacts"
