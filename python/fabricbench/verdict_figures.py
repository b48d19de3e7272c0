"""Figures of the verdict documents (results/VERDICTS.md): the comparison of two files from
`fabricbench compare --json`, and the model's fits and predictions from `fabricbench model
--json`. They draw what the documents hold; every number comes from the C++ analysis layer."""
from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from .figures import Figure, format_bytes, size_axis, slug


VERDICT_COLOURS = {"faster": "tab:green", "slower": "tab:red", "no difference": "0.45",
                   "equivalent": "tab:blue", "not compared": "white"}
SERIES_PER_FIGURE = 12


def _interval(value):
    if not isinstance(value, dict):
        return np.nan, np.nan, np.nan
    return tuple(np.nan if value.get(k) is None else float(value[k])
                 for k in ("estimate", "lower", "upper"))


def compare_figures(document, prefix=""):
    """From `fabricbench compare --json`: per matched series, B/A time ratio against size with
    its confidence band (an unbounded side runs off the plot), each point coloured by its
    verdict. Small multiples, SERIES_PER_FIGURE to a figure."""
    series = [s for s in document.get("series", []) if s.get("points")]
    figures = []
    for start in range(0, len(series), SERIES_PER_FIGURE):
        chunk = series[start:start + SERIES_PER_FIGURE]
        columns = 2 if len(chunk) > 1 else 1
        rows = math.ceil(len(chunk) / columns)
        fig, axes = plt.subplots(rows, columns, figsize=(11 if columns == 2 else 7, 3.2 * rows),
                                 squeeze=False)
        for axis, entry in zip(axes.ravel(), chunk):
            points = entry["points"]
            sizes = np.array([p["size_bytes"] for p in points], dtype=float)
            ratio = np.array([_interval(p.get("time_ratio")) for p in points])
            finite = ratio[np.isfinite(ratio)]
            top = np.nanmax(finite) * 1.5 if len(finite) else 2.0
            lower = np.where(np.isfinite(ratio[:, 1]), ratio[:, 1], np.nan)
            upper = np.where(np.isfinite(ratio[:, 2]), ratio[:, 2], top)
            axis.fill_between(sizes, lower, upper, color="tab:blue", alpha=0.18, linewidth=0,
                              label=f"{_level_text(points)} interval")
            axis.plot(sizes, ratio[:, 0], color="tab:blue", linewidth=1)
            for verdict, colour in VERDICT_COLOURS.items():
                chosen = [i for i, p in enumerate(points) if p.get("verdict") == verdict]
                if chosen:
                    axis.scatter(sizes[chosen], ratio[chosen, 0], color=colour, edgecolor="black",
                                 linewidth=0.5, s=22, zorder=3, label=verdict)
            axis.axhline(1.0, color="black", linestyle="--", linewidth=0.8)
            size_axis(axis)
            axis.set_yscale("log")
            _plain_log_labels(axis)
            axis.set_ylabel("time B / time A")
            axis.set_title(entry.get("name_b") or entry.get("name_a"), fontsize=8)
            axis.legend(fontsize=6)
        for axis in axes.ravel()[len(chunk):]:
            axis.set_visible(False)
        a, b = document.get("a", {}), document.get("b", {})
        title = f"B = {_base(b.get('path'))} against A = {_base(a.get('path'))}"
        fig.suptitle(f"{title}: time ratio (below 1: B faster)")
        fig.tight_layout()
        part = f"-{start // SERIES_PER_FIGURE + 1}" if len(series) > SERIES_PER_FIGURE else ""
        figures.append(Figure(slug(prefix, "compare", _base(a.get("path")), _base(b.get("path")))
                              + part, f"{title}: time ratio per size with its confidence band "
                              "and the verdict of each point", fig))
    return figures


def _plain_log_labels(axis):
    """Numbers, not powers of ten, on a log axis spanning less than two decades."""
    low, high = axis.get_ylim()
    plain = FuncFormatter(lambda v, _pos: f"{v:g}")
    axis.yaxis.set_major_formatter(plain)
    if high / low < 100:
        axis.yaxis.set_minor_formatter(plain)


def _level_text(points):
    levels = [p["time_ratio"]["level"] for p in points
              if isinstance(p.get("time_ratio"), dict) and p["time_ratio"].get("level")]
    return f"{min(levels) * 100:.0f}%" if levels else "confidence"


def _base(path):
    return str(path or "").rsplit("/", 1)[-1]


def model_fit_figures(document, prefix=""):
    """From `fabricbench model --json`: per fitted collective group and p2p series, the
    measured and fitted times against size, and the relative residuals beneath."""
    fits = [(entry["group"], entry.get("formula", ""), entry.get("residuals", []))
            for entry in document.get("collectives", [])]
    fits += [(entry["series"], f"Hockney, {entry.get('fitted_quantity', '')}"
              + (f", break at {format_bytes(entry['break_bytes'])}B"
                 if entry.get("break_bytes") else ""), entry.get("residuals", []))
             for entry in document.get("p2p", [])]
    figures = []
    for name, formula, residuals in fits:
        if not residuals:
            continue
        fig, (time_axis, residual_axis) = plt.subplots(
            2, 1, figsize=(7, 4.6), sharex=True, gridspec_kw={"height_ratios": [2.2, 1]})
        by_ranks = {}
        for r in residuals:
            by_ranks.setdefault(r.get("ranks"), []).append(r)
        for i, (ranks, rows) in enumerate(sorted(by_ranks.items(), key=lambda kv: kv[0] or 0)):
            rows = sorted(rows, key=lambda r: r["size_bytes"])
            sizes = [float(r["size_bytes"]) for r in rows]
            colour = plt.cm.tab10(i % 10)
            suffix = f" ({ranks} ranks)" if ranks else ""
            time_axis.scatter(sizes, [r["measured_us"] for r in rows], color=colour, s=14,
                              label=f"measured{suffix}")
            time_axis.plot(sizes, [r["fitted_us"] for r in rows], color=colour,
                           label=f"model{suffix}")
            residual_axis.plot(sizes, [100 * r["relative_residual"] for r in rows], marker="o",
                               markersize=3, color=colour, linewidth=0.8)
        residual_axis.axhline(0, color="black", linewidth=0.8)
        time_axis.set_yscale("log")
        time_axis.set_ylabel("time (µs)")
        time_axis.legend(fontsize=7)
        residual_axis.set_ylabel("residual (%)")
        size_axis(residual_axis)
        fig.suptitle(f"{name}: {formula}", fontsize=9)
        figures.append(Figure(slug(prefix, "model", name),
                              f"{name}: measured against the fitted model ({formula}), and the "
                              "relative residuals (measured - fitted) / measured", fig))
    return figures


def scaling_figures(document, prefix=""):
    """The model's predicted time against rank count, one panel per size, one line per
    algorithm, the prediction interval shaded (a lower bound at or below 0 is clipped)."""
    predictions = document.get("predictions", [])
    if not predictions:
        return []
    sizes = sorted({p["size_bytes"] for p in predictions})
    fig, axes = plt.subplots(1, len(sizes), figsize=(3.8 * len(sizes), 3.6), squeeze=False)
    groups = sorted({p["group"] for p in predictions})
    for axis, size in zip(axes[0], sizes):
        for i, group in enumerate(groups):
            rows = sorted((p for p in predictions if p["group"] == group and
                           p["size_bytes"] == size), key=lambda p: p["ranks"])
            if not rows:
                continue
            ranks = [p["ranks"] for p in rows]
            estimate = np.array([_interval(p["time_us"])[0] for p in rows])
            lower = np.array([_interval(p["time_us"])[1] for p in rows])
            upper = np.array([_interval(p["time_us"])[2] for p in rows])
            lower = np.where(lower > 0, lower, estimate / 10)
            colour = plt.cm.tab10(i % 10)
            axis.plot(ranks, estimate, marker="o", markersize=3, color=colour, label=group)
            axis.fill_between(ranks, lower, upper, color=colour, alpha=0.15, linewidth=0)
        axis.set_xscale("log", base=2)
        axis.set_yscale("log")
        axis.set_xlabel("ranks")
        axis.set_ylabel("predicted time (µs)")
        axis.set_title(f"{format_bytes(size)}B", fontsize=9)
    axes[0][0].legend(fontsize=6)
    fig.suptitle("predicted scaling (band: prediction interval)")
    fig.tight_layout()
    return [Figure(slug(prefix, "model-scaling"), "the model's predicted time against rank count "
                   "at chosen sizes, with prediction intervals", fig)]
