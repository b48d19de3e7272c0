#!/usr/bin/env python3
"""Checks that a fabricbench results file follows schema version 2 (results/SCHEMA.md).

Usage: check_results.py FILE.h5 [--expect-series N] [--expect-p2p-series N] [--expect-matrix]
                        [--expect-world-size N]

Version 1 files (collective series only, no `kind` attribute) are accepted too.
--expect-series counts collective series, --expect-p2p-series point-to-point series.

Prints one summary line and exits 0 when every check passes; otherwise prints the first
failure and exits 1.
"""

import argparse
import math
import re
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
P2P_STRING_ATTRIBUTES = ["test", "transport"]
P2P_INT_ATTRIBUTES = ["n_ranks", "iterations", "warmup", "window"]
LATENCY_FIELDS = [
    "size_bytes",
    "iterations",
    "lat_min_us",
    "lat_p50_us",
    "lat_p90_us",
    "lat_p99_us",
    "lat_p999_us",
    "lat_max_us",
]
BANDWIDTH_FIELDS = ["size_bytes", "iterations", "bw_GBps", "msg_rate_Mps"]
PAIR_PATTERN = re.compile(r"^(\d+)-(\d+)$")
SCHEMA_VERSIONS = (1, 2)
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


def as_float(value, where):
    require(np.ndim(value) == 0 and np.issubdtype(np.asarray(value).dtype, np.floating),
            f"{where} is not a floating-point number: {value!r}")
    return float(value)


def get_attr(obj, name, where):
    require(name in obj.attrs, f"missing attribute {where}@{name}")
    return obj.attrs[name]


def get_string_list(obj, name, where):
    values = get_attr(obj, name, where)
    require(np.ndim(values) == 1, f"{where}@{name} is not a list: {values!r}")
    return [as_str(v) for v in values]


def close(a, b):
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=0.0)


def check_root(f, expect_world_size):
    schema = as_str(get_attr(f, "schema", ""))
    require(schema == "fabricbench", f"schema is {schema!r}, expected 'fabricbench'")
    version = as_int(get_attr(f, "schema_version", ""), "@schema_version")
    require(version in SCHEMA_VERSIONS,
            f"schema_version is {version}, expected one of {SCHEMA_VERSIONS}")
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
    return version, world_size


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


def check_p2p_series(name, group, world_size):
    where = f"/series/{name}"
    for attr in P2P_STRING_ATTRIBUTES:
        require(as_str(get_attr(group, attr, where)) != "", f"{where}@{attr} is empty")
    test = as_str(get_attr(group, "test", where))
    ints = {attr: as_int(get_attr(group, attr, where), f"{where}@{attr}")
            for attr in P2P_INT_ATTRIBUTES}
    n_ranks, iterations = ints["n_ranks"], ints["iterations"]
    require(1 <= n_ranks <= world_size,
            f"{where}@n_ranks is {n_ranks}, world_size is {world_size}")
    require(iterations >= 1, f"{where}@iterations is {iterations}")
    require(ints["warmup"] >= 0, f"{where}@warmup is {ints['warmup']}")
    require(ints["window"] >= 1, f"{where}@window is {ints['window']}")
    line_rate = as_float(get_attr(group, "line_rate_Gbps", where), f"{where}@line_rate_Gbps")
    require(math.isfinite(line_rate) and line_rate >= 0,
            f"{where}@line_rate_Gbps is {line_rate}")
    pairs = get_string_list(group, "pairs", where)
    require(len(pairs) >= 1, f"{where}@pairs is empty")
    for pair in pairs:
        match = PAIR_PATTERN.match(pair)
        require(match is not None, f"{where}@pairs entry {pair!r} is not 'sender-receiver'")
        sender, receiver = int(match.group(1)), int(match.group(2))
        require(sender != receiver and sender < world_size and receiver < world_size,
                f"{where}@pairs entry {pair!r} does not name two ranks of {world_size}")

    require("points" in group, f"{where} has no points dataset")
    require("samples" in group, f"{where} has no samples dataset")
    points_ds = group["points"]
    expected_fields = LATENCY_FIELDS if test == "latency" else BANDWIDTH_FIELDS
    fields = list(points_ds.dtype.names or ())
    require(fields == expected_fields,
            f"{where}/points fields are {fields}, expected {expected_fields} for test {test!r}")
    require(points_ds.ndim == 1, f"{where}/points is not 1-D")
    points = points_ds[()]
    samples_ds = group["samples"]
    require(samples_ds.shape == (len(points), iterations),
            f"{where}/samples shape is {samples_ds.shape}, expected {(len(points), iterations)}")
    samples = samples_ds[()]
    require(bool(np.all(np.isfinite(samples))) and bool(np.all(samples >= 0)),
            f"{where}/samples holds a negative or non-finite time")
    if test == "multipair":
        require("per_pair_bw_GBps" in group, f"{where} has no per_pair_bw_GBps dataset")
        per_pair_ds = group["per_pair_bw_GBps"]
        require(per_pair_ds.shape == (len(points), len(pairs)),
                f"{where}/per_pair_bw_GBps shape is {per_pair_ds.shape}, "
                f"expected {(len(points), len(pairs))}")
        per_pair = per_pair_ds[()]
        require(bool(np.all(np.isfinite(per_pair))) and bool(np.all(per_pair >= 0)),
                f"{where}/per_pair_bw_GBps holds a negative or non-finite bandwidth")
    else:
        require("per_pair_bw_GBps" not in group,
                f"{where} has per_pair_bw_GBps but test is {test!r}, not 'multipair'")

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
        if test == "latency":
            values = [float(p[field]) for field in LATENCY_FIELDS[2:]]
            require(all(math.isfinite(v) for v in values) and values[0] >= 0,
                    f"{at}: latencies {values} are not finite and non-negative")
            require(all(a <= b for a, b in zip(values, values[1:])),
                    f"{at}: lat_min <= p50 <= p90 <= p99 <= p999 <= max does not hold: {values}")
        else:
            for field in ("bw_GBps", "msg_rate_Mps"):
                value = float(p[field])
                require(math.isfinite(value) and value >= 0, f"{at}.{field} is {value}")
    return len(points)


def check_matrix(name, group, world_size):
    where = f"/matrix/{name}"
    require(as_str(get_attr(group, "transport", where)) != "", f"{where}@transport is empty")
    n = as_int(get_attr(group, "n_ranks", where), f"{where}@n_ranks")
    require(1 <= n <= world_size, f"{where}@n_ranks is {n}, world_size is {world_size}")
    for attr in ("latency_bytes", "bandwidth_bytes"):
        value = as_int(get_attr(group, attr, where), f"{where}@{attr}")
        require(value >= 0, f"{where}@{attr} is {value}")
    fraction = as_float(get_attr(group, "threshold_fraction", where), f"{where}@threshold_fraction")
    require(0 <= fraction <= 1, f"{where}@threshold_fraction is {fraction}")
    for attr in ("median_bandwidth_GBps", "line_rate_Gbps"):
        value = as_float(get_attr(group, attr, where), f"{where}@{attr}")
        # NaN is allowed: a median over no measured pair.
        require(not math.isinf(value) and not value < 0, f"{where}@{attr} is {value}")
    hostnames = get_string_list(group, "hostnames", where)
    require(len(hostnames) == n, f"{where}: {len(hostnames)} hostnames for n_ranks {n}")
    require(all(h != "" for h in hostnames), f"{where}@hostnames has an empty name")
    flagged = get_string_list(group, "flagged", where)
    require(all(entry != "" for entry in flagged), f"{where}@flagged has an empty entry")

    for dataset in ("latency_us", "bandwidth_GBps"):
        at = f"{where}/{dataset}"
        require(dataset in group, f"{where} has no {dataset} dataset")
        values = group[dataset][()]
        require(values.shape == (n, n), f"{at} shape is {values.shape}, expected {(n, n)}")
        require(np.issubdtype(values.dtype, np.floating), f"{at} is not floating-point")
        require(bool(np.all(np.isnan(np.diagonal(values)))), f"{at} diagonal is not all NaN")
        measured = np.isfinite(values)
        bad = ~np.isnan(values) & ~(measured & (values > 0))
        require(not bool(np.any(bad)),
                f"{at} has entries that are neither NaN nor finite and > 0: "
                f"{[tuple(int(k) for k in ij) for ij in np.argwhere(bad)]}")
        asymmetric = measured != measured.T
        require(not bool(np.any(asymmetric)),
                f"{at} covers (i, j) but not (j, i) for "
                f"{[tuple(int(k) for k in ij) for ij in np.argwhere(asymmetric)]}")

    # Per-entry samples (kept since the matrix recorded them): row i * n + j, one column per
    # iteration, NaN rows on the diagonal, positive times elsewhere.
    if "iterations" in group.attrs:
        iterations = as_int(get_attr(group, "iterations", where), f"{where}@iterations")
        window = as_int(get_attr(group, "window", where), f"{where}@window")
        require(iterations >= 1 and window >= 1, f"{where}: iterations {iterations}, window {window}")
        for dataset in ("latency_samples_us", "bandwidth_samples_us"):
            at = f"{where}/{dataset}"
            require(dataset in group, f"{where} has no {dataset} dataset")
            values = group[dataset][()]
            require(values.shape == (n * n, iterations),
                    f"{at} shape is {values.shape}, expected {(n * n, iterations)}")
            for i in range(n):
                for j in range(n):
                    row = values[i * n + j]
                    if i == j:
                        require(bool(np.all(np.isnan(row))), f"{at} row {i * n + j} (diagonal) is not NaN")
                    else:
                        require(bool(np.all(np.isfinite(row) & (row > 0))),
                                f"{at} row {i * n + j} ({i} -> {j}) has a non-positive or missing time")
    if "continues" in group.attrs:
        require(as_str(group.attrs["continues"]) != "", f"{where}@continues is empty")


def check_file(path, expect):
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise CheckError(f"cannot open as HDF5: {e}") from e
    counts = {"collective": 0, "collective_points": 0, "p2p": 0, "p2p_points": 0, "matrices": 0}
    with f:
        version, world_size = check_root(f, expect.world_size)
        require("series" in f, "no /series group")
        for name in sorted(f["series"].keys()):
            group = f["series"][name]
            require(isinstance(group, h5py.Group), f"/series/{name} is not a group")
            if "kind" in group.attrs:
                kind = as_str(group.attrs["kind"])
            else:
                require(version == 1, f"/series/{name} has no kind attribute")
                kind = "collective"
            if kind == "collective":
                counts["collective"] += 1
                counts["collective_points"] += check_series(name, group, world_size)
            elif kind == "p2p":
                require(version >= 2, f"/series/{name} is a p2p series in a version 1 file")
                counts["p2p"] += 1
                counts["p2p_points"] += check_p2p_series(name, group, world_size)
            else:
                raise CheckError(f"/series/{name}@kind is {kind!r}, expected collective or p2p")
        if "matrix" in f:
            require(version >= 2, "/matrix in a version 1 file")
            for name in sorted(f["matrix"].keys()):
                group = f["matrix"][name]
                require(isinstance(group, h5py.Group), f"/matrix/{name} is not a group")
                check_matrix(name, group, world_size)
                counts["matrices"] += 1
    if expect.series is not None:
        require(counts["collective"] >= expect.series,
                f"{counts['collective']} collective series, expected at least {expect.series}")
    if expect.p2p_series is not None:
        require(counts["p2p"] >= expect.p2p_series,
                f"{counts['p2p']} p2p series, expected at least {expect.p2p_series}")
    if expect.matrix:
        require(counts["matrices"] >= 1, "no link matrix, expected at least one")
    return version, world_size, counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--expect-series", type=int, default=None,
                        help="require at least this many collective series")
    parser.add_argument("--expect-p2p-series", type=int, default=None,
                        help="require at least this many point-to-point series")
    parser.add_argument("--expect-matrix", action="store_true",
                        help="require at least one link matrix")
    parser.add_argument("--expect-world-size", type=int, default=None,
                        help="require exactly this world_size")
    args = parser.parse_args()
    expect = argparse.Namespace(series=args.expect_series, p2p_series=args.expect_p2p_series,
                                matrix=args.expect_matrix, world_size=args.expect_world_size)
    try:
        version, world_size, counts = check_file(args.file, expect)
    except CheckError as e:
        print(f"check_results: FAIL {args.file}: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # A malformed file can break a check in unforeseen ways.
        print(f"check_results: FAIL {args.file}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"check_results: OK {args.file}: schema fabricbench v{version}, "
          f"world_size {world_size}, {counts['collective']} collective series "
          f"({counts['collective_points']} points), {counts['p2p']} p2p series "
          f"({counts['p2p_points']} points), {counts['matrices']} matrices")
    return 0


if __name__ == "__main__":
    sys.exit(main())
