#!/usr/bin/env python3
"""Checks that a fabricbench results file follows schema version 1 (results/SCHEMA.md).

Usage: check_results.py FILE.h5 [--expect-series N] [--expect-world-size N]

Prints one summary line and exits 0 when every check passes; otherwise prints the first
failure and exits 1.
"""

import argparse
import math
import sys

import h5py
import numpy as np

ROOT_STRING_ATTRIBUTES = [
    "tool_version",
    "git_revision",
    "created_utc",
    "command_line",
    "mpi_version",
    "ucx_version",
    "hdf5_version",
]
SERIES_STRING_ATTRIBUTES = ["collective", "algorithm", "transport", "dtype", "op"]
SERIES_INT_ATTRIBUTES = ["n_ranks", "iterations", "warmup"]
POINT_FIELDS = [
    "size_bytes",
    "count",
    "iterations",
    "time_min_us",
    "time_median_us",
    "time_mean_us",
    "time_p99_us",
    "time_max_us",
    "algbw_GBps",
    "busbw_GBps",
    "wrong",
]
REL_TOL = 1e-9


class CheckError(Exception):
    pass


def require(condition, message):
    if not condition:
        raise CheckError(message)


def as_str(value):
    """Attribute value as str (h5py gives str for variable-length strings, bytes otherwise)."""
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8")
    if isinstance(value, (str, np.str_)):
        return str(value)
    raise CheckError(f"expected a string, found {type(value).__name__} {value!r}")


def as_int(value, where):
    require(np.ndim(value) == 0 and np.issubdtype(np.asarray(value).dtype, np.integer),
            f"{where} is not an integer: {value!r}")
    return int(value)


def get_attr(obj, name, where):
    require(name in obj.attrs, f"missing attribute {where}@{name}")
    return obj.attrs[name]


def close(a, b):
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=0.0)


def check_root(f, expect_world_size):
    schema = as_str(get_attr(f, "schema", ""))
    require(schema == "fabricbench", f"schema is {schema!r}, expected 'fabricbench'")
    version = as_int(get_attr(f, "schema_version", ""), "@schema_version")
    require(version == 1, f"schema_version is {version}, expected 1")
    for name in ROOT_STRING_ATTRIBUTES:
        value = as_str(get_attr(f, name, ""))
        require(value != "", f"attribute @{name} is empty")
    world_size = as_int(get_attr(f, "world_size", ""), "@world_size")
    require(world_size > 0, f"world_size is {world_size}")
    if expect_world_size is not None:
        require(world_size == expect_world_size,
                f"world_size is {world_size}, expected {expect_world_size}")
    hostnames = get_attr(f, "hostnames", "")
    require(np.ndim(hostnames) == 1, f"hostnames is not a list: {hostnames!r}")
    hostnames = [as_str(h) for h in hostnames]
    require(len(hostnames) == world_size,
            f"{len(hostnames)} hostnames for world_size {world_size}")
    for rank, host in enumerate(hostnames):
        require(host != "", f"hostname of rank {rank} is empty")
    return world_size


# busbw factors as nccl-tests defines them, per collective.
BUSBW_FACTORS = {
    "allreduce": lambda n: 2.0 * (n - 1) / n,
    "reducescatter": lambda n: (n - 1) / n,
    "allgather": lambda n: (n - 1) / n,
    "alltoall": lambda n: (n - 1) / n,
    "broadcast": lambda n: 1.0,
    "reduce": lambda n: 1.0,
    "sendrecv": lambda n: 1.0,
}


def check_series(name, group, world_size):
    where = f"/series/{name}"
    for attr in SERIES_STRING_ATTRIBUTES:
        require(as_str(get_attr(group, attr, where)) != "", f"{where}@{attr} is empty")
    ints = {attr: as_int(get_attr(group, attr, where), f"{where}@{attr}")
            for attr in SERIES_INT_ATTRIBUTES}
    n_ranks, iterations = ints["n_ranks"], ints["iterations"]
    require(1 <= n_ranks <= world_size,
            f"{where}@n_ranks is {n_ranks}, world_size is {world_size}")
    require(iterations >= 1, f"{where}@iterations is {iterations}")
    require(ints["warmup"] >= 0, f"{where}@warmup is {ints['warmup']}")
    factor = float(get_attr(group, "busbw_factor", where))
    require(math.isfinite(factor) and factor >= 0, f"{where}@busbw_factor is {factor}")
    expected = BUSBW_FACTORS.get(as_str(get_attr(group, "collective", where)))
    if expected is not None:
        want = expected(n_ranks)
        require(abs(factor - want) <= 1e-12, f"{where}@busbw_factor is {factor}, expected {want}")
    in_place = group.attrs.get("in_place")
    require(in_place is None or int(in_place) in (0, 1), f"{where}@in_place is {in_place}")

    require("points" in group, f"{where} has no points dataset")
    require("samples" in group, f"{where} has no samples dataset")
    points_ds = group["points"]
    fields = list(points_ds.dtype.names or ())
    require(fields == POINT_FIELDS, f"{where}/points fields are {fields}, expected {POINT_FIELDS}")
    require(points_ds.ndim == 1, f"{where}/points is not 1-D")
    points = points_ds[()]
    samples_ds = group["samples"]
    require(samples_ds.shape == (len(points), iterations),
            f"{where}/samples shape is {samples_ds.shape}, expected {(len(points), iterations)}")
    samples = samples_ds[()]

    previous_size = None
    for i, p in enumerate(points):
        at = f"{where}/points[{i}]"
        size = int(p["size_bytes"])
        if previous_size is not None:
            require(size > previous_size,
                    f"{at}.size_bytes {size} does not increase (previous {previous_size})")
        previous_size = size
        require(int(p["iterations"]) == iterations,
                f"{at}.iterations is {int(p['iterations'])}, series has {iterations}")
        require(int(p["wrong"]) >= -1, f"{at}.wrong is {int(p['wrong'])}")
        t_min, t_med, t_mean = float(p["time_min_us"]), float(p["time_median_us"]), float(
            p["time_mean_us"])
        t_p99, t_max = float(p["time_p99_us"]), float(p["time_max_us"])
        require(t_min <= t_med <= t_max,
                f"{at}: time_min {t_min} <= median {t_med} <= max {t_max} does not hold")
        require(t_min <= t_mean <= t_max,
                f"{at}: time_min {t_min} <= mean {t_mean} <= max {t_max} does not hold")
        require(t_min <= t_p99 <= t_max,
                f"{at}: time_min {t_min} <= p99 {t_p99} <= max {t_max} does not hold")
        algbw, busbw = float(p["algbw_GBps"]), float(p["busbw_GBps"])
        if t_med > 0:
            expected = size / t_med / 1e3
            require(close(algbw, expected),
                    f"{at}.algbw_GBps is {algbw}, size_bytes / time_median_us / 1e3 is {expected}")
        require(close(busbw, algbw * factor),
                f"{at}.busbw_GBps is {busbw}, algbw_GBps * busbw_factor is {algbw * factor}")
        row = samples[i]
        require(close(float(row.min()), t_min),
                f"{where}/samples[{i}] min is {float(row.min())}, time_min_us is {t_min}")
        require(close(float(row.max()), t_max),
                f"{where}/samples[{i}] max is {float(row.max())}, time_max_us is {t_max}")
    return len(points)


def check_file(path, expect_series, expect_world_size):
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise CheckError(f"cannot open as HDF5: {e}") from e
    with f:
        world_size = check_root(f, expect_world_size)
        require("series" in f, "no /series group")
        names = sorted(f["series"].keys())
        if expect_series is not None:
            require(len(names) >= expect_series,
                    f"{len(names)} series, expected at least {expect_series}")
        n_points = 0
        for name in names:
            group = f["series"][name]
            require(isinstance(group, h5py.Group), f"/series/{name} is not a group")
            n_points += check_series(name, group, world_size)
    return len(names), n_points, world_size


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--expect-series", type=int, default=None,
                        help="require at least this many series")
    parser.add_argument("--expect-world-size", type=int, default=None,
                        help="require exactly this world_size")
    args = parser.parse_args()
    try:
        n_series, n_points, world_size = check_file(args.file, args.expect_series,
                                                    args.expect_world_size)
    except CheckError as e:
        print(f"check_results: FAIL {args.file}: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # A malformed file can break a check in unforeseen ways.
        print(f"check_results: FAIL {args.file}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"check_results: OK {args.file}: schema fabricbench v1, world_size {world_size}, "
          f"{n_series} series, {n_points} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
