"""Read a fabricbench results file (results/SCHEMA.md, versions 1 and 2) into pandas frames."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import h5py
import numpy as np
import pandas as pd

from .values import attributes, to_python
from .verdicts import read_findings, read_verdicts

SUPPORTED_VERSIONS = (1, 2)
KINDS = ("collective", "p2p")


class ResultsFileError(Exception):
    """A file this package cannot read, with the path and the reason."""

    def __init__(self, path, reason):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass
class Results:
    """One results file as tidy frames. Every frame exists; absent parts are empty frames."""

    path: str
    schema_version: int
    provenance: dict  # root attributes: versions, hosts, environment, command line, status
    series: pd.DataFrame  # one row per series: name, kind and every attribute
    points: pd.DataFrame  # one row per series x size, both kinds; statistics and attributes
    samples: pd.DataFrame  # one row per timed iteration: series, size_bytes, iteration, sample_us
    collectives: pd.DataFrame  # the rows of `points` from collective series, their columns only
    p2p: pd.DataFrame  # the rows of `points` from point-to-point series, their columns only
    pair_bandwidth: pd.DataFrame  # multipair: one row per point x pair
    matrices: pd.DataFrame  # one row per link matrix: its attributes
    links: pd.DataFrame  # one row per measured ordered pair of every matrix
    link_samples: pd.DataFrame = field(default_factory=pd.DataFrame)  # per entry, per iteration
    verdicts: pd.DataFrame = field(default_factory=pd.DataFrame)  # /verdicts: one row per check
    findings: pd.DataFrame = field(default_factory=pd.DataFrame)  # the verdicts' localisation

    @property
    def hostnames(self):
        return list(self.provenance.get("hostnames", []))


def load(path) -> Results:
    """Reads `path`; raises ResultsFileError saying why when it cannot."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ResultsFileError(path, "no such file")
    try:
        handle = h5py.File(path, "r")
    except OSError as e:
        raise ResultsFileError(path, f"not an HDF5 file ({e})") from e
    with handle as f:
        try:
            return _read(path, f)
        except ResultsFileError:
            raise
        except (KeyError, ValueError, TypeError, OSError) as e:
            raise ResultsFileError(path, f"malformed results file: {e}") from e


def _read(path, f) -> Results:
    version = _check_header(path, f)
    provenance = attributes(f)
    series_rows, point_frames, sample_frames, pair_frames = [], [], [], []
    for name, group in f.get("series", {}).items():
        attrs = attributes(group)
        kind = attrs.get("kind", "collective")
        if kind not in KINDS:
            raise ResultsFileError(path, f"series '{name}' has unknown kind '{kind}'")
        if version == 1 and "kind" in attrs:
            raise ResultsFileError(path, f"series '{name}' has a kind, which version 1 files lack")
        attrs["kind"] = kind
        points, samples, pairs = _read_series(path, name, group, attrs)
        series_rows.append({"series": name, **attrs, "points": len(points)})
        point_frames.append(points)
        sample_frames.append(samples)
        if pairs is not None:
            pair_frames.append(pairs)
    points = _concat(point_frames)
    matrices, links, link_samples = _read_matrices(path, f)
    return Results(
        path=path,
        schema_version=version,
        provenance=provenance,
        series=pd.DataFrame(series_rows),
        points=points,
        samples=_concat(sample_frames, SAMPLE_COLUMNS),
        collectives=_of_kind(point_frames, "collective"),
        p2p=_of_kind(point_frames, "p2p"),
        pair_bandwidth=_concat(pair_frames, PAIR_COLUMNS),
        matrices=matrices,
        links=links,
        link_samples=link_samples,
        verdicts=read_verdicts(path, f),
        findings=read_findings(f),
    )


def _check_header(path, f):
    schema = to_python(f.attrs.get("schema"))
    if schema != "fabricbench":
        found = "no 'schema' attribute" if schema is None else f"schema '{schema}'"
        raise ResultsFileError(path, f"not a fabricbench results file ({found})")
    version = to_python(f.attrs.get("schema_version"))
    if not isinstance(version, int):
        raise ResultsFileError(path, "no integer 'schema_version' attribute")
    if version not in SUPPORTED_VERSIONS:
        raise ResultsFileError(
            path,
            f"schema version {version} is not supported (this package reads versions "
            f"{', '.join(map(str, SUPPORTED_VERSIONS))}); a newer fabricbench wrote it",
        )
    return version


SAMPLE_COLUMNS = ["series", "kind", "size_bytes", "iteration", "sample_us"]
PAIR_COLUMNS = ["series", "size_bytes", "pair", "sender", "receiver", "bw_GBps"]


def committed_rows(group, datasets):
    """Rows of a series every reader may use (SCHEMA.md: Crash safety)."""
    rows = min(len(d) for d in datasets)
    points = group["points"]
    if "committed_rows" in points.attrs:
        return min(rows, int(points.attrs["committed_rows"]))
    iterations = points.fields("iterations")[:rows]
    while rows > 0 and iterations[rows - 1] == 0:
        rows -= 1
    return rows


def _read_series(path, name, group, attrs):
    for needed in ("points", "samples"):
        if needed not in group:
            raise ResultsFileError(path, f"series '{name}' has no '{needed}' dataset")
    datasets = [group["points"], group["samples"]]
    multipair = "per_pair_bw_GBps" in group
    if multipair:
        datasets.append(group["per_pair_bw_GBps"])
    rows = committed_rows(group, datasets)
    records = group["points"][:rows]
    if records.dtype.names is None or "size_bytes" not in records.dtype.names:
        raise ResultsFileError(path, f"series '{name}': 'points' is not a table with size_bytes")
    points = pd.DataFrame({field_name: records[field_name] for field_name in records.dtype.names})
    for key, value in attrs.items():
        if key not in points.columns and key != "kind":
            points[key] = _cell(value)
    points.insert(0, "series", name)
    points.insert(1, "kind", attrs["kind"])
    samples = _long_samples(name, attrs["kind"], records["size_bytes"], group["samples"][:rows])
    pairs = None
    if multipair:
        pairs = _long_pairs(name, records["size_bytes"], attrs.get("pairs", []),
                            group["per_pair_bw_GBps"][:rows])
    return points, samples, pairs


def _long_samples(name, kind, sizes, matrix):
    matrix = np.asarray(matrix, dtype=np.float64)
    if len(sizes) == 0:
        return pd.DataFrame(columns=SAMPLE_COLUMNS)
    matrix = matrix.reshape(len(sizes), -1)
    iterations = matrix.shape[1]
    return pd.DataFrame({
        "series": name,
        "kind": kind,
        "size_bytes": np.repeat(np.asarray(sizes, dtype=np.uint64), iterations),
        "iteration": np.tile(np.arange(iterations, dtype=np.int64), len(sizes)),
        "sample_us": matrix.ravel(),
    }, columns=SAMPLE_COLUMNS)


def _long_pairs(name, sizes, pairs, matrix):
    pairs = list(pairs)
    if len(sizes) == 0:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    matrix = np.asarray(matrix, dtype=np.float64).reshape(len(sizes), len(pairs))
    ends = [tuple(int(r) for r in p.split("-")) for p in pairs]
    return pd.DataFrame({
        "series": name,
        "size_bytes": np.repeat(np.asarray(sizes, dtype=np.uint64), len(pairs)),
        "pair": np.tile(np.array(pairs, dtype=object), len(sizes)),
        "sender": np.tile(np.array([e[0] for e in ends], dtype=np.int64), len(sizes)),
        "receiver": np.tile(np.array([e[1] for e in ends], dtype=np.int64), len(sizes)),
        "bw_GBps": matrix.ravel(),
    }, columns=PAIR_COLUMNS)


MATRIX_COLUMNS = ["matrix", "transport", "sender", "receiver", "sender_host", "receiver_host",
                  "latency_us", "bandwidth_GBps", "flagged"]
FLAG_PATTERN = re.compile(r"\(rank (\d+)\)\s*(<->|->)\s*.*?\(rank (\d+)\)")


def flagged_pairs(lines):
    """Ordered (sender, receiver) pairs named by a matrix's `flagged` lines."""
    pairs = set()
    for line in lines:
        match = FLAG_PATTERN.search(line)
        if match:
            a, arrow, b = int(match.group(1)), match.group(2), int(match.group(3))
            pairs.add((a, b))
            if arrow == "<->":
                pairs.add((b, a))
    return pairs


def _read_matrices(path, f):
    infos, frames, sample_frames = [], [], []
    for name, group in f.get("matrix", {}).items():
        attrs = attributes(group)
        try:
            latency = np.asarray(group["latency_us"][()], dtype=np.float64)
            bandwidth = np.asarray(group["bandwidth_GBps"][()], dtype=np.float64)
        except KeyError as e:
            raise ResultsFileError(path, f"matrix '{name}' lacks a dataset: {e}") from e
        n = latency.shape[0]
        if latency.shape != (n, n) or bandwidth.shape != (n, n):
            raise ResultsFileError(path, f"matrix '{name}' is not square: {latency.shape}, "
                                         f"{bandwidth.shape}")
        hosts = list(attrs.get("hostnames", [])) or [f"rank{i}" for i in range(n)]
        senders, receivers = np.nonzero(np.isfinite(latency) | np.isfinite(bandwidth))
        flagged = flagged_pairs(attrs.get("flagged", []))
        frame = pd.DataFrame({
            "matrix": name,
            "transport": attrs.get("transport", ""),
            "sender": senders.astype(np.int64),
            "receiver": receivers.astype(np.int64),
            "sender_host": [hosts[i] for i in senders],
            "receiver_host": [hosts[j] for j in receivers],
            "latency_us": latency[senders, receivers],
            "bandwidth_GBps": bandwidth[senders, receivers],
            "flagged": [(int(i), int(j)) in flagged for i, j in zip(senders, receivers)],
        }, columns=MATRIX_COLUMNS)
        sample_frames.append(_matrix_samples(name, group, n, senders, receivers))
        frames.append(frame)
        infos.append({"matrix": name, **{k: _cell(v) for k, v in attrs.items()},
                      "flagged_count": len(flagged)})
    return (pd.DataFrame(infos), _concat(frames, MATRIX_COLUMNS),
            _concat(sample_frames, LINK_SAMPLE_COLUMNS))


LINK_SAMPLE_COLUMNS = ["matrix", "sender", "receiver", "iteration", "latency_us",
                       "window_us"]


def _matrix_samples(name, group, n, senders, receivers):
    """latency_samples_us / bandwidth_samples_us ([n * n, iterations], when kept) in long
    form over the measured entries: the half round trips and the times of one window."""
    if "latency_samples_us" not in group and "bandwidth_samples_us" not in group:
        return pd.DataFrame(columns=LINK_SAMPLE_COLUMNS)
    rows = senders * n + receivers
    picked = {}
    for column, dataset in (("latency_us", "latency_samples_us"),
                            ("window_us", "bandwidth_samples_us")):
        if dataset in group:
            data = np.asarray(group[dataset][()], dtype=np.float64).reshape(n * n, -1)
            picked[column] = data[rows]
    iterations = max(a.shape[1] for a in picked.values())
    frame = pd.DataFrame({
        "matrix": name,
        "sender": np.repeat(senders.astype(np.int64), iterations),
        "receiver": np.repeat(receivers.astype(np.int64), iterations),
        "iteration": np.tile(np.arange(iterations, dtype=np.int64), len(rows)),
    })
    for column in ("latency_us", "window_us"):
        values = picked.get(column)
        frame[column] = (values.ravel() if values is not None and values.shape[1] == iterations
                         else np.nan)
    return frame


def _of_kind(frames, kind):
    chosen = [p for p in frames if len(p) and p["kind"].iloc[0] == kind]
    if not chosen:
        return pd.DataFrame()
    return _concat(chosen).dropna(axis=1, how="all").reset_index(drop=True)


def _concat(frames, columns=None):
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns or [])
    merged = pd.concat(frames, ignore_index=True, sort=False)
    # Integer columns absent from some series became float: keep them exact as nullable ints.
    for column in merged.columns:
        kinds = {f[column].dtype for f in frames if column in f.columns}
        if len(kinds) == 1 and merged[column].dtype != next(iter(kinds)):
            only = next(iter(kinds))
            if only == np.uint64:
                merged[column] = merged[column].astype("UInt64")
            elif np.issubdtype(only, np.integer):
                merged[column] = merged[column].astype("Int64")
    return merged


def _cell(value):
    """A series attribute as one table cell: lists become comma-separated text."""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return value
