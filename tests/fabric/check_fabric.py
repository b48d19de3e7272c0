"""Assertions on fabricbench HDF5 files measured on the emulated fabric (tests/fabric)."""
import argparse
import sys

import h5py


def rate_Bps(text):
    """tc rate (400mbit) -> bytes per second."""
    t = text.lower()
    for unit, mult in (("gbit", 1e9), ("mbit", 1e6), ("kbit", 1e3), ("bit", 1.0)):
        if t.endswith(unit):
            return float(t[: -len(unit)]) * mult / 8
    raise ValueError(f"bad rate {text}")


def series(f, name):
    if name not in f["series"]:
        sys.exit(f"FAIL: no series {name} in {f.filename}: {list(f['series'])}")
    return f["series"][name]


def point(s, size):
    pts = s["points"][:]
    for i, p in enumerate(pts):
        if int(p["size_bytes"]) == size:
            return i, p
    sys.exit(f"FAIL: no {size} B point in {s.name}")


failures = []


def expect(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("check", choices=["bandwidth", "latency", "multipair", "matrix", "allreduce",
                                      "line-rate", "failed-file", "same-points"])
    ap.add_argument("file")
    ap.add_argument("other", nargs="?", help="same-points: the uninterrupted run's file")
    ap.add_argument("--min-points", type=int, default=1)
    ap.add_argument("--status", help="failed-file: the status must start with this")
    ap.add_argument("--size", type=int, default=1 << 20)
    ap.add_argument("--rate", help="expected rate, tc syntax (400mbit)")
    ap.add_argument("--low", type=float, default=0.9, help="lowest fraction of --rate")
    ap.add_argument("--high", type=float, default=1.1, help="highest fraction of --rate")
    ap.add_argument("--max-us", type=float, default=500.0)
    ap.add_argument("--host-rate")
    ap.add_argument("--leaf-of", help="comma list: leaf of each rank (matrix)")
    ap.add_argument("--hosts", help="comma list of the host names the ranks must report")
    ap.add_argument("--series", help="line-rate: comma list of COLLECTIVE.ALGORITHM to check")
    ap.add_argument("--origin", help="line-rate: how the pipeline parameters must say they were chosen")
    a = ap.parse_args()
    f = h5py.File(a.file, "r")
    env = [e.decode() if isinstance(e, bytes) else e for e in f.attrs["environment"]]
    expect("UCX_TLS=tcp,self" in env, "UCX_TLS=tcp,self recorded in the file's environment")
    if a.hosts:
        names = [h.decode() if isinstance(h, bytes) else h for h in f.attrs["hostnames"]]
        expect(names == a.hosts.split(","), f"ranks ran on {names}")

    if a.check in ("bandwidth", "multipair"):
        s = series(f, f"{a.check}.ucx")
        i, p = point(s, a.size)
        want = rate_Bps(a.rate)
        got = float(p["bw_GBps"]) * 1e9
        expect(a.low * want <= got <= a.high * want,
               f"{a.check} {a.size} B: {got / 1e6:.2f} MB/s = {got / want:.1%} of {a.rate} "
               f"(allowed {a.low:.0%}..{a.high:.0%})")
        if a.check == "multipair":
            # fabricbench's aggregate sums each pair's median window rate; the pairs run their
            # windows independently, and TCP splits the spine unevenly, so with short windows a
            # pair that runs on alone after the other finished reads high (use long windows).
            # A lower bound over wall-clock time: all bytes over the sum of the slowest-rank
            # time of each window.
            per = [float(x) * 1e9 for x in s["per_pair_bw_GBps"][i]]
            npairs = len(s.attrs["pairs"])
            samples = s["samples"][i]
            agg = npairs * int(s.attrs["window"]) * a.size * len(samples) / (float(samples.sum()) * 1e-6)
            print("info  per pair " + ", ".join(f"{x / 1e6:.2f}" for x in per)
                  + f" MB/s; wall-clock lower bound {agg / 1e6:.2f} MB/s = {agg / want:.1%}")
            expect(all(x >= 0.25 * want for x in per), "every pair gets at least a quarter of the spine")
            if a.host_rate:
                unshared = npairs * min(want, rate_Bps(a.host_rate))
                expect(got < 0.65 * unshared,
                       f"the {npairs} pairs share the spine: {got / 1e6:.2f} MB/s, not "
                       f"{unshared / 1e6:.1f} MB/s")
    elif a.check == "latency":
        s = series(f, "latency.ucx")
        _, p = point(s, a.size)
        lat = float(p["lat_p50_us"])
        expect(0 < lat <= a.max_us, f"latency {a.size} B p50 {lat:.2f} us (allowed up to {a.max_us} us)")
    elif a.check == "matrix":
        m = f["matrix"]["links.ucx"]
        bw = m["bandwidth_GBps"][:] * 1e9
        leaf = [int(x) for x in a.leaf_of.split(",")]
        host, spine = rate_Bps(a.host_rate), rate_Bps(a.rate)
        n = len(leaf)
        for r in range(n):
            for c in range(n):
                if r == c:
                    continue
                if leaf[r] == leaf[c]:
                    lo, hi, what = a.low * host, a.high * host, "same leaf, about the host rate"
                else:
                    # Capped by the leaf-spine link. Two cross-leaf pairs run in each round of the
                    # matrix, but their timed phases overlap only partly (each pair first runs its
                    # ping-pong), so a link reads between half the spine and all of it.
                    lo, hi, what = 0.25 * spine, 1.05 * spine, "cross leaf, capped by the spine"
                expect(lo <= bw[r, c] <= hi,
                       f"matrix {r}->{c}: {bw[r, c] / 1e6:.2f} MB/s ({what}: {lo / 1e6:.1f}..{hi / 1e6:.1f})")
    elif a.check == "allreduce":
        s = series(f, "allreduce.ring.ucx.float32.sum")
        _, p = point(s, a.size)
        want = rate_Bps(a.rate)
        got = float(p["busbw_GBps"]) * 1e9
        expect(a.low * want <= got <= a.high * want,
               f"ring allreduce {a.size} B busbw {got / 1e6:.2f} MB/s = {got / want:.1%} of {a.rate} "
               f"(allowed {a.low:.0%}..{a.high:.0%})")
        expect(int(p["wrong"]) <= 0, "no wrong elements")
    elif a.check == "line-rate":
        # Every listed series (the ucx float32 ones, root 0), each point: busbw of the median
        # time within --low..--high of the link rate, results checked, parameters' origin.
        want = rate_Bps(a.rate)
        for wanted in a.series.split(","):
            matches = [n for n in f["series"] if n.startswith(wanted + ".ucx.")]
            expect(len(matches) == 1, f"one series for {wanted}: {matches}")
            for name in matches:
                s = f["series"][name]
                desc = s.attrs["description"]
                desc = desc.decode() if isinstance(desc, bytes) else desc
                if a.origin:
                    expect(desc.endswith("pipeline parameters: " + a.origin),
                           f"{name}: pipeline parameters chosen '{desc.split('; pipeline parameters: ')[-1]}'")
                for p in s["points"][:]:
                    got = float(p["busbw_GBps"]) * 1e9
                    expect(a.low * want <= got <= a.high * want,
                           f"{name} {int(p['size_bytes'])} B busbw {got / 1e6:.2f} MB/s = "
                           f"{got / want:.1%} of {a.rate} (allowed {a.low:.0%}..{a.high:.0%})")
                    expect(int(p["wrong"]) == 0, f"{name}: results checked, no wrong elements")
    elif a.check == "failed-file":
        status = f.attrs["status"]
        status = status.decode() if isinstance(status, bytes) else status
        expect(status.startswith(a.status), f"status '{status}' starts with '{a.status}'")
        n = sum(len(f["series"][s]["points"]) for s in f["series"])
        expect(n >= a.min_points, f"{n} points in the file, at least the {a.min_points} printed before the fault")
    elif a.check == "same-points":
        def point_list(h):
            return [(name, int(p["size_bytes"])) for name in h["series"]
                    for p in h["series"][name]["points"][:]]
        g = h5py.File(a.other, "r")
        mine, ref = set(point_list(f)), set(point_list(g))
        expect(mine == ref, f"resumed file has the same {len(ref)} points as the uninterrupted run"
               + ("" if mine == ref else f" (missing {sorted(ref - mine)}, extra {sorted(mine - ref)})"))
        expect(len(point_list(f)) == len(mine), "no point measured twice")
        status = f.attrs["status"]
        status = status.decode() if isinstance(status, bytes) else status
        expect(status == "complete", f"resumed file's status is '{status}'")
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")


if __name__ == "__main__":
    main()
