#!/usr/bin/python3
"""For each collective and size in a fabricbench results file: our fastest algorithm (lowest
median time over every algorithm and transport we ran, `auto` excluded) against the MPI
baseline of the same collective, dtype, op and placement.

Usage: scripts/best_vs_mpi.py RESULTS.h5 [--sizes 8,64K,16M,64M]
"""
import argparse
import collections

import h5py


def parse_size(text):
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().rstrip("B")
    suffix = text[-1] if text and text[-1] in "KMG" else ""
    return int(text[: len(text) - len(suffix)]) * units[suffix]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--sizes", default="")
    args = parser.parse_args()
    wanted = {parse_size(s) for s in args.sizes.split(",") if s} or None

    ours = collections.defaultdict(dict)  # key -> size -> (time, name)
    mpi = collections.defaultdict(dict)
    with h5py.File(args.file, "r") as f:
        ranks = int(f.attrs["world_size"])
        for name, group in f["series"].items():
            a = group.attrs
            key = (a["collective"], a["dtype"], a["op"], int(a.get("in_place", 0)), int(a.get("root", 0)))
            for p in group["points"][()]:
                size, t = int(p["size_bytes"]), float(p["time_median_us"])
                if a["algorithm"] == "mpi":
                    mpi[key][size] = (t, float(p["busbw_GBps"]))
                elif a["algorithm"] != "auto":
                    best = ours[key].get(size)
                    if best is None or t < best[0]:
                        ours[key][size] = (t, f"{a['algorithm']}/{a['transport']}", float(p["busbw_GBps"]))
    print(f"# {args.file}: {ranks} ranks; ratio = MPI time / our time (> 1: ours faster)")
    print(f"# {'collective':14} {'size(B)':>10} {'best of ours':>22} {'time(us)':>10} {'busbw':>7}"
          f" {'mpi time':>10} {'mpi busbw':>9} {'ratio':>6}")
    for key in sorted(ours):
        for size in sorted(ours[key]):
            if wanted and size not in wanted or size not in mpi.get(key, {}):
                continue
            t, who, bw = ours[key][size]
            mt, mbw = mpi[key][size]
            print(f"  {key[0]:14} {size:>10} {who:>22} {t:>10.2f} {bw:>7.2f} {mt:>10.2f} {mbw:>9.2f}"
                  f" {mt / t:>6.2f}")


if __name__ == "__main__":
    main()
