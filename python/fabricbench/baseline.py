"""Text tables against a baseline: every series against one algorithm (`baseline`), and our
fastest algorithm against MPI's per collective (`best-vs-mpi`). Plain ratios of medians; the
statistical comparison of two runs is `fabricbench compare`."""
from __future__ import annotations

import pandas as pd

# Columns that say which operation a series measures (the rest say how).
OPERATION = ["collective", "dtype", "op", "in_place", "root", "memory"]


def parse_size(text):
    """`8`, `64K`, `16M`, `1G` (binary suffixes, an optional trailing B) in bytes."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().rstrip("B")
    suffix = text[-1] if text and text[-1] in units else ""
    return int(text[: len(text) - len(suffix)]) * units[suffix]


def parse_sizes(text):
    return {parse_size(s) for s in text.split(",") if s.strip()} if text else None


def _collectives(res, sizes):
    points = res.collectives
    if points.empty:
        return points
    if sizes:
        points = points[points["size_bytes"].isin(sizes)]
    for column in OPERATION:
        if column not in points.columns:
            points = points.assign(**{column: 0 if column in ("in_place", "root") else "host"})
    return points.assign(in_place=points["in_place"].fillna(0), root=points["root"].fillna(0))


def baseline_table(res, baseline="mpi", sizes=None):
    """Every collective series beside the first series whose algorithm is `baseline`."""
    points = _collectives(res, sizes)
    names = sorted(points.loc[points["algorithm"] == baseline, "series"].unique()) if len(points) else []
    if not names:
        raise LookupError(f"no series with algorithm '{baseline}' in {res.path}")
    base = points[points["series"] == names[0]][["size_bytes", "time_median_us", "busbw_GBps"]]
    table = points.merge(base, on="size_bytes", suffixes=("", "_base"))
    table["time_ratio"] = table["time_median_us"] / table["time_median_us_base"]
    table["busbw_ratio"] = table["busbw_GBps"] / table["busbw_GBps_base"].where(
        table["busbw_GBps_base"] > 0)
    return names[0], table.sort_values(["size_bytes", "series"]).reset_index(drop=True)


def format_baseline(res, baseline="mpi", sizes=None):
    name, table = baseline_table(res, baseline, sizes)
    lines = [f"# baseline: {name}   ranks: {res.provenance.get('world_size')}   file: {res.path}",
             f"# {'series':38} {'size(B)':>10} {'time(us)':>11} {'busbw':>8} "
             f"{'time/base':>9} {'busbw/base':>10}"]
    for row in table.itertuples():
        lines.append(f"  {row.series:38} {row.size_bytes:>10} {row.time_median_us:>11.2f} "
                     f"{row.busbw_GBps:>8.2f} {row.time_ratio:>9.2f} {row.busbw_ratio:>10.2f}")
    return "\n".join(lines)


def best_vs_mpi_table(res, sizes=None):
    """Per operation and size: our fastest series (lowest median time, `auto` excluded) and MPI's."""
    points = _collectives(res, sizes)
    if points.empty:
        return pd.DataFrame()
    ours = points[~points["algorithm"].isin(["mpi", "auto"])]
    mpi = points[points["algorithm"] == "mpi"]
    keys = OPERATION + ["size_bytes"]
    best = ours.loc[ours.groupby(keys, dropna=False)["time_median_us"].idxmin()]
    best = best.assign(who=best["algorithm"] + "/" + best["transport"])
    table = best.merge(mpi[keys + ["time_median_us", "busbw_GBps"]], on=keys, suffixes=("", "_mpi"))
    table["ratio"] = table["time_median_us_mpi"] / table["time_median_us"]
    return table.sort_values(keys).reset_index(drop=True)


def format_best_vs_mpi(res, sizes=None):
    table = best_vs_mpi_table(res, sizes)
    lines = [f"# {res.path}: {res.provenance.get('world_size')} ranks; ratio = MPI time / our time"
             " (> 1: ours faster)",
             f"# {'collective':14} {'size(B)':>10} {'best of ours':>22} {'time(us)':>10} "
             f"{'busbw':>7} {'mpi time':>10} {'mpi busbw':>9} {'ratio':>6}"]
    for row in table.itertuples():
        lines.append(f"  {row.collective:14} {row.size_bytes:>10} {row.who:>22} "
                     f"{row.time_median_us:>10.2f} {row.busbw_GBps:>7.2f} "
                     f"{row.time_median_us_mpi:>10.2f} {row.busbw_GBps_mpi:>9.2f} {row.ratio:>6.2f}")
    return "\n".join(lines)
