"""The report's figures, built with matplotlib from a loaded results file (and verdict JSON).

Every builder returns a list of `Figure`s: a file-name-safe key, a caption and the matplotlib
figure. Nothing here computes a statistic the C++ analysis layer owns; figures plot what the
file or a verdict document holds.
"""
from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

BASELINES = ("mpi", "nccl")
LATENCY_PERCENTILES = [("lat_min_us", "min"), ("lat_p50_us", "p50"), ("lat_p90_us", "p90"),
                       ("lat_p99_us", "p99"), ("lat_p999_us", "p99.9"), ("lat_max_us", "max")]
MAX_HEATMAP_CELLS = 64  # beyond this many ranks a heat map shows blocks, not single links

plt.rcParams.update({"figure.dpi": 100, "font.size": 9, "axes.grid": True, "grid.alpha": 0.3,
                     "svg.fonttype": "path", "svg.hashsalt": "fabricbench"})


@dataclass
class Figure:
    key: str
    caption: str
    figure: object  # matplotlib.figure.Figure

    def render(self, fmt="svg"):
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format=fmt, bbox_inches="tight",
                            metadata={"Date": None} if fmt == "svg" else None)
        return buffer.getvalue()

    def close(self):
        plt.close(self.figure)


def slug(*parts):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(str(p) for p in parts if p != "")).strip("_")


def format_bytes(value, _pos=None):
    for unit, scale in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if value >= scale:
            return f"{value / scale:g}{unit}"
    return f"{value:g}"


def size_axis(axis):
    axis.set_xscale("log", base=2)
    axis.xaxis.set_major_formatter(FuncFormatter(format_bytes))
    axis.set_xlabel("message size (bytes)")


def _is_baseline(algorithm):
    return str(algorithm) in BASELINES


OPERATION_COLUMNS = ["collective", "dtype", "op", "memory", "in_place", "root", "n_ranks"]


def first_measurements(points):
    """Without continuation series (qualify's re-measurements of some sizes, attribute
    `continues`): the figures draw each series as first measured."""
    if "continues" not in points.columns:
        return points
    return points[points["continues"].isna()]


def collective_figures(res, line_rate_GBps=None, prefix=""):
    """Per operation: bus bandwidth and median time against size, one line per algorithm and
    transport, baselines dashed in grey tones, the line rate drawn when known."""
    points = first_measurements(res.collectives)
    if points.empty:
        return []
    keys = [c for c in OPERATION_COLUMNS if c in points.columns]
    figures = []
    for group_key, group in points.groupby(keys, dropna=False, sort=True):
        labels = dict(zip(keys, group_key if isinstance(group_key, tuple) else (group_key,)))
        title = _operation_title(labels)
        fig, (bw_axis, time_axis) = plt.subplots(1, 2, figsize=(11, 3.8))
        ours = 0
        for name, series in group.groupby("series", sort=True):
            series = series.sort_values("size_bytes")
            algorithm = series["algorithm"].iloc[0]
            label = f"{algorithm}/{series['transport'].iloc[0]}"
            if _is_baseline(algorithm):
                style = {"color": "0.25" if algorithm == "mpi" else "0.55", "linestyle": "--",
                         "marker": "s", "label": f"{label} (baseline)"}
            else:
                style = {"color": plt.cm.tab10(ours % 10), "marker": "o", "label": label}
                ours += 1
            sizes = series["size_bytes"].astype(float)
            bw_axis.plot(sizes, series["busbw_GBps"], markersize=3, **style)
            time_axis.plot(sizes, series["time_median_us"], markersize=3, **style)
            time_axis.fill_between(sizes, series["time_min_us"], series["time_p99_us"],
                                   color=style["color"], alpha=0.12, linewidth=0)
        if line_rate_GBps:
            bw_axis.axhline(line_rate_GBps, color="tab:red", linestyle=":",
                            label=f"line rate {line_rate_GBps:g} GB/s")
        for axis in (bw_axis, time_axis):
            size_axis(axis)
        bw_axis.set_yscale("log")
        bw_axis.set_ylabel("bus bandwidth (GB/s)")
        time_axis.set_yscale("log")
        time_axis.set_ylabel("median time (µs); band: min to p99")
        bw_axis.legend(fontsize=7)
        fig.suptitle(title)
        figures.append(Figure(slug(prefix, "collective", *group_key if isinstance(group_key, tuple)
                                   else [group_key]),
                              f"{title}: bus bandwidth and time against size", fig))
    return figures


def _operation_title(labels):
    parts = [str(labels.get("collective", "")), str(labels.get("dtype", "")),
             str(labels.get("op", ""))]
    if labels.get("memory") not in (None, "host") and not _missing(labels.get("memory")):
        parts.append(str(labels["memory"]))
    if labels.get("in_place") == 1:
        parts.append("in place")
    if not _missing(labels.get("root")) and "root" in labels and labels.get("collective") in (
            "broadcast", "reduce"):
        parts.append(f"root {int(labels['root'])}")
    if not _missing(labels.get("n_ranks")):
        parts.append(f"{int(labels['n_ranks'])} ranks")
    return " ".join(p for p in parts if p and p != "none")


def _missing(value):
    try:
        return value is None or bool(np.isnan(value))
    except TypeError:
        return value is None or str(value) == "<NA>"


def choose_sizes(sizes, wanted=None, count=4):
    """Sizes for distribution plots: those asked for that were measured, else `count` spread."""
    sizes = sorted({int(s) for s in sizes})
    if wanted:
        chosen = [s for s in sizes if s in wanted]
        if chosen:
            return chosen
    if len(sizes) <= count:
        return sizes
    picks = np.linspace(0, len(sizes) - 1, count).round().astype(int)
    return [sizes[i] for i in sorted(set(picks))]


def latency_figures(res, wanted_sizes=None, prefix=""):
    """Per p2p latency series: percentiles against size, and the per-iteration distribution
    (empirical CDF) at chosen sizes, where noise and outliers show as tails."""
    points = first_measurements(res.p2p)
    if points.empty:
        return []
    figures = []
    for name, series in points[points["test"] == "latency"].groupby("series", sort=True):
        series = series.sort_values("size_bytes")
        fig, (pct_axis, cdf_axis) = plt.subplots(1, 2, figsize=(11, 3.8))
        sizes = series["size_bytes"].astype(float)
        for i, (column, label) in enumerate(LATENCY_PERCENTILES):
            style = {"linestyle": ":" if label in ("min", "max") else "-"}
            pct_axis.plot(sizes, series[column], marker="o", markersize=3,
                          color=plt.cm.viridis(i / (len(LATENCY_PERCENTILES) - 1)), label=label,
                          **style)
        size_axis(pct_axis)
        pct_axis.set_yscale("log")
        pct_axis.set_ylabel("half round trip (µs)")
        pct_axis.legend(fontsize=7, ncol=2)
        samples = res.samples[res.samples["series"] == name]
        for i, size in enumerate(choose_sizes(series["size_bytes"], wanted_sizes)):
            values = np.sort(samples.loc[samples["size_bytes"] == size, "sample_us"].to_numpy())
            if len(values) == 0:
                continue
            fraction = np.arange(1, len(values) + 1) / len(values)
            cdf_axis.step(values, fraction, where="post", color=plt.cm.tab10(i),
                          label=f"{format_bytes(size)}B ({len(values)} iterations)")
        cdf_axis.set_xscale("log")
        cdf_axis.set_xlabel("half round trip of one iteration (µs)")
        cdf_axis.set_ylabel("fraction of iterations ≤ x")
        cdf_axis.legend(fontsize=7)
        pairs = series["pairs"].iloc[0] if "pairs" in series else ""
        title = f"{name}: latency, pairs {pairs}"
        fig.suptitle(title)
        figures.append(Figure(slug(prefix, "latency", name),
                              f"{title}: percentiles against size and the distribution at chosen "
                              "sizes", fig))
    return figures


def bandwidth_figures(res, prefix=""):
    """All p2p bandwidth-type tests of a file: bandwidth against size, the line rate drawn."""
    points = first_measurements(res.p2p)
    if points.empty or "bw_GBps" not in points:
        return []
    points = points[points["test"] != "latency"]
    if points.empty:
        return []
    fig, axis = plt.subplots(figsize=(7, 3.8))
    for i, (name, series) in enumerate(points.groupby("series", sort=True)):
        series = series.sort_values("size_bytes")
        axis.plot(series["size_bytes"].astype(float), series["bw_GBps"], marker="o",
                  markersize=3, color=plt.cm.tab10(i % 10),
                  label=f"{name} (window {int(series['window'].iloc[0])})")
    rates = sorted({float(r) for r in points.get("line_rate_Gbps", []) if r and r > 0})
    for rate in rates:
        axis.axhline(rate / 8, color="tab:red", linestyle=":",
                     label=f"line rate {rate:g} Gb/s = {rate / 8:g} GB/s")
    size_axis(axis)
    axis.set_yscale("log")
    axis.set_ylabel("bandwidth (GB/s)")
    axis.legend(fontsize=7)
    fig.suptitle("point-to-point bandwidth")
    return [Figure(slug(prefix, "p2p-bandwidth"), "point-to-point bandwidth against size", fig)]


@dataclass
class Blocks:
    """How the ranks of a matrix map onto heat map cells."""

    labels: list  # one per cell row/column
    of_rank: np.ndarray  # cell index of every rank
    how: str  # "" (one cell per rank) or the aggregation, in words


def matrix_blocks(hostnames, limit=MAX_HEATMAP_CELLS):
    n = len(hostnames)
    if n <= limit:
        return Blocks([f"{h} ({i})" for i, h in enumerate(hostnames)], np.arange(n), "")
    hosts = list(dict.fromkeys(hostnames))
    if len(hosts) <= limit:
        index = {h: i for i, h in enumerate(hosts)}
        return Blocks(hosts, np.array([index[h] for h in hostnames]),
                      f"per host ({len(hosts)} hosts)")
    width = math.ceil(n / limit)
    of_rank = np.arange(n) // width
    labels = [f"ranks {b * width}-{min(n, (b + 1) * width) - 1}" for b in range(of_rank[-1] + 1)]
    return Blocks(labels, of_rank, f"in blocks of {width} ranks")


def aggregate(matrix, blocks, worst):
    """Blocks x blocks of the worst measured entry (`worst` = np.fmin or np.fmax)."""
    cells = len(blocks.labels)
    start = np.full((cells, cells), np.nan)
    rows = np.repeat(blocks.of_rank, matrix.shape[1])
    cols = np.tile(blocks.of_rank, matrix.shape[0])
    worst.at(start, (rows, cols), matrix.ravel())
    return start


def matrix_figures(res, prefix=""):
    """Per link matrix: bandwidth and latency heat maps (sender rows, receiver columns), flagged
    links outlined in red; past MAX_HEATMAP_CELLS ranks each cell is a host (or a block of
    ranks) showing its worst link."""
    figures = []
    for info in res.matrices.to_dict(orient="records"):
        if isinstance(info.get("continues"), str):
            continue  # a re-measurement of some entries of another matrix
        name = info["matrix"]
        links = res.links[res.links["matrix"] == name]
        n = int(info.get("n_ranks") or (links[["sender", "receiver"]].to_numpy().max() + 1))
        hostnames = str(info.get("hostnames", "")).split(",") if info.get("hostnames") else []
        if len(hostnames) != n:
            hostnames = [f"rank{i}" for i in range(n)]
        blocks = matrix_blocks(hostnames)
        fig, axes = plt.subplots(1, 2, figsize=(12, 5.2))
        flagged = links[links["flagged"]]
        for axis, column, label, worst, cmap, norm in (
                (axes[0], "bandwidth_GBps", "bandwidth (GB/s)", np.fmin, "viridis", None),
                (axes[1], "latency_us", "half round trip latency (µs)", np.fmax, "magma_r",
                 "log")):
            full = np.full((n, n), np.nan)
            full[links["sender"].to_numpy(), links["receiver"].to_numpy()] = links[column]
            shown = aggregate(full, blocks, worst) if blocks.how else full
            finite = shown[np.isfinite(shown)]
            wide = len(finite) and finite.min() > 0 and finite.max() > 10 * finite.min()
            scale = LogNorm(vmin=finite.min(), vmax=finite.max()) if norm == "log" and wide else None
            image = axis.imshow(np.ma.masked_invalid(shown), cmap=cmap, norm=scale,
                                interpolation="nearest", aspect="equal")
            fig.colorbar(image, ax=axis, shrink=0.8, label=label)
            cells = len(blocks.labels)
            if cells <= 32:
                axis.set_xticks(range(cells), blocks.labels, rotation=90, fontsize=6)
                axis.set_yticks(range(cells), blocks.labels, fontsize=6)
            axis.set_xlabel("receiver" + (f" ({blocks.how})" if blocks.how else ""))
            axis.set_ylabel("sender" + (f" ({blocks.how})" if blocks.how else ""))
            axis.grid(False)
            marked = {(int(blocks.of_rank[s]), int(blocks.of_rank[r]))
                      for s, r in zip(flagged["sender"], flagged["receiver"])}
            for row, col in marked:
                axis.add_patch(Rectangle((col - 0.5, row - 0.5), 1, 1, fill=False,
                                         edgecolor="red", linewidth=1.5))
            what = "worst link per cell" if blocks.how else "one cell per link"
            axis.set_title(f"{label.split(' (')[0]}: {what}", fontsize=9)
        fig.suptitle(f"link matrix {name} ({info.get('transport', '')}, {n} ranks, "
                     f"{len(flagged)} flagged in red)")
        figures.append(Figure(slug(prefix, "matrix", name),
                              f"link matrix {name}: bandwidth and latency of every ordered pair"
                              + (f", aggregated {blocks.how}" if blocks.how else ""), fig))
    return figures
