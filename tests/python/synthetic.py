"""Results files written with h5py as results/SCHEMA.md lays them out: version 1 (collective
series without `kind`, no run status, no committed_rows), version 2 (p2p series, link
matrices), and broken ones. The tests load them and compare against what was written."""
import h5py
import numpy as np

STRING = h5py.string_dtype("utf-8")

COLLECTIVE_FIELDS = [("size_bytes", "<u8"), ("count", "<u8"), ("iterations", "<u8"),
                     ("time_min_us", "<f8"), ("time_median_us", "<f8"), ("time_mean_us", "<f8"),
                     ("time_p99_us", "<f8"), ("time_max_us", "<f8"), ("algbw_GBps", "<f8"),
                     ("busbw_GBps", "<f8"), ("wrong", "<i8")]
LATENCY_FIELDS = [("size_bytes", "<u8"), ("iterations", "<u8"), ("lat_min_us", "<f8"),
                  ("lat_p50_us", "<f8"), ("lat_p90_us", "<f8"), ("lat_p99_us", "<f8"),
                  ("lat_p999_us", "<f8"), ("lat_max_us", "<f8")]


def root_attributes(f, version, world_size, hosts=None):
    f.attrs["schema"] = "fabricbench"
    f.attrs["schema_version"] = np.int64(version)
    f.attrs["tool_version"] = "0.1.0"
    f.attrs["git_revision"] = "0123456789ab"
    f.attrs["created_utc"] = "2026-11-21T21:39:52Z"
    f.attrs["command_line"] = "fabricbench run --out x.h5"
    f.attrs["world_size"] = np.int64(world_size)
    f.attrs.create("hostnames", hosts or [f"node{i}" for i in range(world_size)], dtype=STRING)
    f.attrs["mpi_version"] = "Open MPI v4.1.4"
    f.attrs["ucx_version"] = "1.13.1"
    f.attrs["hdf5_version"] = "1.10.8"


def collective_series(f, name, algorithm, sizes, samples, kind=True, committed=None,
                      extra_rows=0, transport="ucx"):
    """A collective series whose statistics are those of `samples` (rows per size)."""
    g = f.create_group(f"series/{name}", track_order=True)
    if kind:
        g.attrs["kind"] = "collective"
    for key, value in (("collective", "allreduce"), ("algorithm", algorithm),
                       ("transport", transport), ("dtype", "float32"), ("op", "sum")):
        g.attrs[key] = value
    g.attrs["n_ranks"] = np.int64(2)
    g.attrs["iterations"] = np.int64(samples.shape[1])
    g.attrs["warmup"] = np.int64(1)
    g.attrs["busbw_factor"] = np.float64(1.0)
    g.attrs["segment_bytes"] = np.int64(262144)
    rows = np.zeros(len(sizes) + extra_rows, dtype=COLLECTIVE_FIELDS)
    for i, size in enumerate(sizes):
        s = samples[i]
        median = float(np.median(s))
        rows[i] = (size, size // 4, len(s), s.min(), median, s.mean(), np.percentile(s, 99),
                   s.max(), size / median / 1e3, size / median / 1e3, -1)
    points = g.create_dataset("points", data=rows, maxshape=(None,), chunks=True)
    if committed is not None:
        points.attrs["committed_rows"] = np.int64(committed)
    padded = np.vstack([samples, np.zeros((extra_rows, samples.shape[1]))])
    g.create_dataset("samples", data=padded, maxshape=(None, samples.shape[1]), chunks=True)
    return g


def latency_series(f, name, sizes, samples):
    g = f.create_group(f"series/{name}")
    g.attrs["kind"] = "p2p"
    g.attrs["test"] = "latency"
    g.attrs["transport"] = "ucx"
    for key, value in (("n_ranks", 2), ("iterations", samples.shape[1]), ("warmup", 1),
                       ("window", 1)):
        g.attrs[key] = np.int64(value)
    g.attrs["line_rate_Gbps"] = np.float64(100.0)
    g.attrs.create("pairs", ["0-1"], dtype=STRING)
    rows = np.zeros(len(sizes), dtype=LATENCY_FIELDS)
    for i, size in enumerate(sizes):
        s = samples[i]
        rows[i] = (size, len(s), s.min(), *np.percentile(s, [50, 90, 99, 99.9]), s.max())
    g.create_dataset("points", data=rows).attrs["committed_rows"] = np.int64(len(sizes))
    g.create_dataset("samples", data=samples)


def version1_file(path, rng):
    """Two collective series as the first writer made them; the ring series has a trailing
    row that was never written (iterations 0), which readers drop."""
    sizes = [8, 1024, 65536]
    with h5py.File(path, "w") as f:
        root_attributes(f, 1, 2)
        collective_series(f, "allreduce.mpi.none.float32.sum", "mpi", sizes,
                          rng.uniform(1, 2, (3, 5)), kind=False, transport="none")
        collective_series(f, "allreduce.ring.ucx.float32.sum", "ring", sizes,
                          rng.uniform(1, 3, (3, 5)), kind=False, extra_rows=1)


def matrix(f, name, hosts, bandwidth, latency, threshold=0.5, flagged=()):
    g = f.create_group(f"matrix/{name}")
    n = len(hosts)
    g.attrs["transport"] = "ucx"
    g.attrs["n_ranks"] = np.int64(n)
    g.attrs["latency_bytes"] = np.uint64(8)
    g.attrs["bandwidth_bytes"] = np.uint64(1 << 20)
    g.attrs["threshold_fraction"] = np.float64(threshold)
    g.attrs["median_bandwidth_GBps"] = np.float64(np.nanmedian(bandwidth))
    g.attrs["line_rate_Gbps"] = np.float64(0)
    g.attrs.create("hostnames", hosts, dtype=STRING)
    lines = [f"{hosts[i]} (rank {i}) -> {hosts[j]} (rank {j}): {bandwidth[i, j]:.3g} GB/s, "
             f"{bandwidth[i, j] / np.nanmedian(bandwidth) * 100:.0f}% of the median"
             for i, j in flagged]
    g.attrs.create("flagged", lines, dtype=STRING)
    g.create_dataset("latency_us", data=latency).attrs["units"] = "us"
    g.create_dataset("bandwidth_GBps", data=bandwidth).attrs["units"] = "GB/s"


def large_matrix_file(path, ranks=1000, ranks_per_host=8, slow=((3, 17), (999, 0), (512, 513))):
    """A version 2 file with one all-pairs matrix of `ranks` ranks and a few slow links."""
    rng = np.random.default_rng(7)
    hosts = [f"host{r // ranks_per_host:03d}" for r in range(ranks)]
    bandwidth = rng.uniform(20, 25, (ranks, ranks))
    latency = rng.uniform(1.5, 2.5, (ranks, ranks))
    np.fill_diagonal(bandwidth, np.nan)
    np.fill_diagonal(latency, np.nan)
    for i, j in slow:
        bandwidth[i, j] = 2.0
    with h5py.File(path, "w") as f:
        root_attributes(f, 2, ranks, hosts)
        f.attrs["status"] = "complete"
        f.create_group("series")
        matrix(f, "links.ucx", hosts, bandwidth, latency, flagged=slow)
    return bandwidth, latency, hosts


CHECK_FIELDS = [("size_bytes", "<u8"), ("samples", "<u8"), ("estimate", "<f8"), ("lower", "<f8"),
                ("upper", "<f8"), ("level", "<f8"), ("warn_threshold", "<f8"),
                ("fail_threshold", "<f8")]


def verdicts(f, name, checks, overall="FAIL", findings=()):
    """/verdicts/<name>: attributes, the `checks` numbers and one string dataset per column.
    `checks` is a list of dicts with the numeric fields and the string columns."""
    g = f.create_group(f"verdicts/{name}")
    g.attrs["profile"] = name.split(".", 1)[1]
    g.attrs["profile_source"] = "built-in"
    g.attrs["line_rate_Gbps"] = np.float64(100.0)
    g.attrs["created_utc"] = "2026-11-30T20:00:00Z"
    g.attrs["command_line"] = "fabricbench qualify --from x.h5 --record"
    g.attrs["overall"] = overall
    g.attrs.create("findings", list(findings), dtype=STRING)
    rows = np.zeros(len(checks), dtype=CHECK_FIELDS)
    for i, c in enumerate(checks):
        rows[i] = tuple(c[k] for k, _ in CHECK_FIELDS)
    g.create_dataset("checks", data=rows)
    for column in ("check", "rule", "test", "series", "concerns", "statistic", "unit", "verdict",
                   "note"):
        g.create_dataset(column, data=[c[column] for c in checks], dtype=STRING)
