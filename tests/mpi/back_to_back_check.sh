#!/usr/bin/env bash
# `--timing back-to-back` of MPI_Allreduce lands within 10% of a plain back-to-back MPI loop
# (back_to_back_reference: barrier, n calls, barrier, time / n averaged over ranks) at 8 B and
# 16 MiB on 2 ranks. On a small shared machine one run of either is noisy, so the two are run
# alternately several times and the medians and the fastest of the repetitions are compared;
# every measurement is printed. A disagreement is measured once more from scratch and the
# second round decides. fabricbench's figure is the point's time_mean_us, which for this
# method is the anchors' statistic (mean over ranks of total time / iterations).
# A comparison of sub-microsecond timings means nothing on a machine whose cores are
# oversubscribed by other work: when the figures disagree and the load average stayed above
# twice the core count throughout, the test is reported as skipped (exit 77) with the load
# and every number, rather than failed.
set -u
bin="$1"; reference="$2"; mpirun="$3"; python="$4"
repeats=${FB_B2B_REPEATS:-7}
cores=$(nproc)
load_before=$(cut -d' ' -f1 /proc/loadavg)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# size, iterations, warm-up: stretches of a few milliseconds (8 B) to about 0.15 s (16 MiB);
# longer ones are more often cut by other work on a shared machine
cases="8:2000:100 16777216:30:3"
: >"$dir/numbers.txt"
fail=0
measure_reference() {
  "$mpirun" -n 2 "$reference" "$size" "$iters" "$warmup" 2>"$dir/ref_err.txt" ||
    { echo "FAIL: the reference loop failed" >&2; cat "$dir/ref_err.txt" >&2; return 1; }
}
measure_fabricbench() {
  local out="$dir/fb_${rep}_${size}.h5"
  "$mpirun" -n 2 "$bin" run --algorithm mpi --timing back-to-back -b "$size" -e "$size" \
    -n "$iters" -w "$warmup" --out "$out" >"$dir/fb_out.txt" 2>&1 ||
    { echo "FAIL: fabricbench failed" >&2; cat "$dir/fb_out.txt" >&2; return 1; }
  "$python" - "$out" <<'PY' || { echo "FAIL: cannot read $out" >&2; return 1; }
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    (series,) = f["series"].values()
    assert series.attrs["timing"] == "back-to-back", series.attrs["timing"]
    (row,) = series["points"][:]
    print(f"{row['time_mean_us']:.6f}")
PY
}
measure_and_compare() {
  : >"$dir/numbers.txt"
  rm -f "$dir"/fb_*.h5  # a round's files, never overwritten by fabricbench
  compare_failed=0
  for rep in $(seq 1 "$repeats"); do
    for c in $cases; do
      IFS=: read -r size iters warmup <<<"$c"
      # Alternate which goes first, so a machine that gets busier or quieter favours neither.
      if [ $((rep % 2)) -eq 1 ]; then
        ref=$(measure_reference) || exit 1
        fb=$(measure_fabricbench) || exit 1
      else
        fb=$(measure_fabricbench) || exit 1
        ref=$(measure_reference) || exit 1
      fi
      echo "repetition $rep  size $size  reference $ref us  fabricbench $fb us"
      echo "$size $ref $fb" >>"$dir/numbers.txt"
    done
  done
  grep -q "timing back-to-back" "$dir/fb_out.txt" ||
    { echo "FAIL: the table header does not name the timing method"; cat "$dir/fb_out.txt"; fail=1; }
  load_after=$(cut -d' ' -f1 /proc/loadavg)
  echo "load average (1 min) before ${load_before}, after ${load_after}, on ${cores} cores"
  "$python" - "$dir/numbers.txt" <<'PY' || compare_failed=1
import sys, statistics
rows = [line.split() for line in open(sys.argv[1])]
ok = True
for size in sorted({r[0] for r in rows}, key=int):
    refs = [float(r[1]) for r in rows if r[0] == size]
    fbs = [float(r[2]) for r in rows if r[0] == size]
    # Other work on a shared machine only ever adds time: the fastest repetition of each is
    # the least disturbed estimate, the median the typical one. Either within 10% passes; a
    # systematic difference (an extra barrier per call, say) moves both.
    by_median = statistics.median(fbs) / statistics.median(refs)
    by_min = min(fbs) / min(refs)
    verdict = "ok" if min(abs(by_median - 1), abs(by_min - 1)) <= 0.10 else "FAIL"
    print(f"{size:>9} B: median reference {statistics.median(refs):.3f} us, median fabricbench "
          f"back-to-back {statistics.median(fbs):.3f} us, ratio {by_median:.3f}; fastest "
          f"{min(refs):.3f} us vs {min(fbs):.3f} us, ratio {by_min:.3f} ({verdict}: within 10%)")
    ok = ok and verdict == "ok"
sys.exit(0 if ok else 1)
PY
}
# A sub-microsecond comparison on a small shared machine is sometimes caught in a slow spell
# of one side (at 8 B the reference loop alone was seen to run anywhere from 0.55 to 0.72 us
# between runs): a disagreement is measured once more, from scratch, and the second round
# decides. Both rounds are printed.
measure_and_compare || exit 1
if [ "$compare_failed" -eq 1 ]; then
  echo "the figures disagree; measuring the whole comparison once more"
  measure_and_compare || exit 1
fi
if [ "${compare_failed:-0}" -eq 1 ]; then
  if awk -v a="$load_before" -v b="$load_after" -v c="$cores" 'BEGIN { exit !(a > 2 * c && b > 2 * c) }'; then
    echo "SKIPPED: the figures disagree, but the machine was oversubscribed throughout (load" \
      "average ${load_before} then ${load_after} on ${cores} cores): timing comparisons need a" \
      "quieter machine"
    [ "$fail" -eq 0 ] && exit 77
  fi
  fail=1
fi
exit "$fail"
