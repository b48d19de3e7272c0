#!/usr/bin/python3
"""Compare every series of a fabricbench results file against a baseline series.

Usage: scripts/compare.py RESULTS.h5 [--baseline ALGORITHM] [--sizes 8,16M,64M]

For each size, prints each series' median time and busbw and their ratio to the baseline
(busbw ratio > 1 and time ratio < 1 mean faster than the baseline).

This compares series within ONE file, by their medians only. To compare two runs (two
files) with confidence intervals, rank tests and verdicts, use `fabricbench compare A.h5 B.h5`
(docs/ANALYSIS.md), which does not replace this script.
"""
import argparse
import sys

import h5py


def parse_size(text):
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().rstrip("B")
    suffix = text[-1] if text and text[-1] in "KMG" else ""
    return int(text[: len(text) - len(suffix)]) * units[suffix]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--baseline", default="mpi", help="algorithm name of the baseline series")
    parser.add_argument("--sizes", default="", help="comma-separated sizes (default: all)")
    args = parser.parse_args()
    wanted = {parse_size(s) for s in args.sizes.split(",") if s} if args.sizes else None

    with h5py.File(args.file, "r") as f:
        series = {}
        for name, group in f["series"].items():
            attrs = group.attrs
            points = {int(p["size_bytes"]): p for p in group["points"][()]}
            series[name] = (attrs, points)
        base = [n for n, (a, _) in series.items() if a["algorithm"] == args.baseline]
        if not base:
            sys.exit(f"compare: no series with algorithm '{args.baseline}' in {args.file}")
        base_points = series[base[0]][1]
        sizes = sorted(base_points if wanted is None else wanted & set(base_points))
        print(f"# baseline: {base[0]}   ranks: {f.attrs['world_size']}   file: {args.file}")
        print(f"# {'series':38} {'size(B)':>10} {'time(us)':>11} {'busbw':>8} "
              f"{'time/base':>9} {'busbw/base':>10}")
        for size in sizes:
            b = base_points[size]
            for name, (_, points) in sorted(series.items()):
                p = points.get(size)
                if p is None:
                    continue
                t_ratio = p["time_median_us"] / b["time_median_us"]
                bw_ratio = p["busbw_GBps"] / b["busbw_GBps"] if b["busbw_GBps"] > 0 else float("nan")
                print(f"  {name:38} {size:>10} {p['time_median_us']:>11.2f} {p['busbw_GBps']:>8.2f} "
                      f"{t_ratio:>9.2f} {bw_ratio:>10.2f}")


if __name__ == "__main__":
    main()
