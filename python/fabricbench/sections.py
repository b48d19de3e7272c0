"""The report's sections as HTML fragments."""
from __future__ import annotations

import os

from . import compare_view, html, jsonview, model_view, qualify_view
from .verdicts import run_command

MAX_FLAGGED_ROWS = 500  # a huge matrix lists this many flagged links, then says how many more


def header(results):
    items = "".join(
        f'<li><a href="#file{i + 1}">{html.text(os.path.basename(r.path))}</a> '
        f'<span class="muted">({html.text(r.provenance.get("created_utc", ""))}, '
        f'{html.text(r.provenance.get("world_size", "?"))} ranks)</span></li>'
        for i, r in enumerate(results))
    extra = '<li><a href="#comparison">comparison of the files</a></li>' if len(results) > 1 else ""
    return ("<header><h1>fabricbench report</h1>"
            f"<nav><ul>{items}{extra}</ul></nav></header>")


def summary(res):
    p = res.provenance
    hosts = list(dict.fromkeys(p.get("hostnames", [])))
    rows = [
        ("file", os.path.abspath(res.path)),
        ("status", p.get("status", "not recorded (a file from an older fabricbench)")),
        ("created", p.get("created_utc", "")),
        ("ranks", p.get("world_size", "")),
        ("hosts", f"{len(hosts)}: " + ", ".join(hosts[:12]) + (" …" if len(hosts) > 12 else "")),
        ("fabricbench", f"{p.get('tool_version', '')} ({p.get('git_revision', '')}), "
                        f"schema version {res.schema_version}"),
        ("series", f"{res.collectives['series'].nunique() if len(res.collectives) else 0} "
                   f"collective, {res.p2p['series'].nunique() if len(res.p2p) else 0} "
                   f"point-to-point; {len(res.points)} points, {len(res.samples)} samples"),
        ("link matrices", len(res.matrices)),
    ]
    if "skipped" in res.series:
        for row in res.series.dropna(subset=["skipped"]).itertuples():
            rows.append((f"not measured: {row.series}", row.skipped))
    return html.key_values(rows)


def _peak_rows(points, value, columns):
    """Per series: its identity, sizes measured and the largest `value` with its size."""
    rows = []
    for name, series in points.groupby("series", sort=True):
        best = series.loc[series[value].idxmax()]
        rows.append([name, *[best[c] for c in columns], len(series),
                     f"{int(series['size_bytes'].min())}..{int(series['size_bytes'].max())}",
                     float(best[value]), int(best["size_bytes"])])
    return rows


def collectives(res, figures_html):
    if res.collectives.empty:
        return ""
    table = html.table(["series", "algorithm", "transport", "points", "sizes (bytes)",
                        "peak busbw (GB/s)", "at size (bytes)"],
                       _peak_rows(res.collectives, "busbw_GBps", ["algorithm", "transport"]))
    return ("<h3>Collectives</h3><p>Bus bandwidth and median time per message size; our "
            "algorithms in colour, the baselines (MPI, NCCL) dashed in grey; the shaded band "
            "spans the fastest iteration to the 99th percentile.</p>" + table + figures_html)


def p2p(res, figures_html):
    if res.p2p.empty:
        return ""
    rows = []
    for name, series in res.p2p.groupby("series", sort=True):
        first = series.iloc[0]
        if first["test"] == "latency":
            smallest = series.loc[series["size_bytes"].idxmin()]
            summary = (f"p50 {html.format_number(float(smallest['lat_p50_us']))} µs, p99 "
                       f"{html.format_number(float(smallest['lat_p99_us']))} µs at "
                       f"{int(smallest['size_bytes'])} B")
        else:
            best = series.loc[series["bw_GBps"].idxmax()]
            summary = (f"peak {html.format_number(float(best['bw_GBps']))} GB/s at "
                       f"{int(best['size_bytes'])} B")
        rows.append([name, first["test"], first["transport"], first.get("pairs", ""),
                     len(series), summary])
    table = html.table(["series", "test", "transport", "pairs", "points", "summary"], rows)
    return ("<h3>Point to point</h3><p>Latency percentiles against size, and the distribution "
            "of the individual iterations at chosen sizes (tails are noise and outliers).</p>"
            + table + figures_html)


def matrices(res, figures_html):
    if res.matrices.empty:
        return ""
    parts = ["<h3>Link matrices</h3>", figures_html]
    for info in res.matrices.to_dict(orient="records"):
        name = info["matrix"]
        links = res.links[(res.links["matrix"] == name) & res.links["flagged"]]
        median = info.get("median_bandwidth_GBps", float("nan"))
        parts.append(f"<h4>Flagged links of {html.text(name)}</h4>")
        parts.append(f"<p>Threshold: {html.format_number(info.get('threshold_fraction'))} × the "
                     f"median bandwidth {html.format_number(median)} GB/s; "
                     f"{len(links)} flagged.</p>")
        if links.empty:
            continue
        shown = links.sort_values("bandwidth_GBps").head(MAX_FLAGGED_ROWS)
        rows = [(r.sender_host, r.sender, r.receiver_host, r.receiver, r.bandwidth_GBps,
                 r.bandwidth_GBps / median if median else float("nan"), r.latency_us, "slow")
                for r in shown.itertuples()]
        parts.append(html.table(["sender host", "rank", "receiver host", "rank",
                                 "bandwidth (GB/s)", "of median", "latency (µs)", "verdict"],
                                rows))
        if len(links) > MAX_FLAGGED_ROWS:
            parts.append(f"<p>… and {len(links) - MAX_FLAGGED_ROWS} more flagged links "
                         "(slowest first above; every one is in the file and in "
                         "`fabricbench export`).</p>")
    return "\n".join(parts)


def _verdict_block(title, result, why_missing):
    if result.ok:
        return f"<h3>{html.text(title)}</h3>" + jsonview.render(result.document)
    return f"<h3>{html.text(title)}</h3>" + html.note(f"{why_missing}: {result.reason}")


def qualify(res, exe, profile=None, line_rate_GBps=None):
    """The qualify verdicts: those recorded in the file (/verdicts) when present, else
    `fabricbench qualify --from FILE --json` with the profile given or a generic one."""
    title = "Qualify verdicts"
    if not res.verdicts.empty:
        parts = []
        for name, judgement in qualify_view.checks_from_frame(res.verdicts).items():
            findings = res.findings.loc[res.findings["verdicts"] == name, "finding"]
            parts.append(f"<h3>{title}: {html.text(name)} (recorded in the file "
                         f"{html.text(judgement.get('recorded') or '')})</h3>"
                         + qualify_view.render(judgement, findings))
        return "\n".join(parts)
    args = qualify_view.command(res, profile, line_rate_GBps)
    if args is None:
        return (f"<h3>{title}</h3>" + html.note(
            "No qualify verdicts in this report: the file records none, and without a line "
            "rate (none recorded; --line-rate) or a profile (--profile) there is nothing to "
            "judge against"))
    result = run_command(args, exe)
    if result.ok:
        return (f"<h3>{title} (profile {html.text(args[args.index('--profile') + 1])})</h3>"
                + qualify_view.render(result.document))
    return _verdict_block(title, result, "No qualify verdicts in this report")


def model(res, exe, renderer, prefix):
    title = "Model against the measurements"
    result = run_command(model_view.command(res), exe)
    if result.ok:
        return f"<h3>{title}</h3>" + model_view.render(result.document, renderer, prefix)
    return _verdict_block(title, result, "No model in this report")


def comparison(results, exe, renderer):
    base = results[0]
    parts = ['<h2 id="comparison">Comparison of the files</h2>',
             f"<p>Every file against the first, {html.text(os.path.basename(base.path))}.</p>"]
    for index, other in enumerate(results[1:], start=2):
        prefix = f"f1-f{index}"
        title = f"{os.path.basename(other.path)} against {os.path.basename(base.path)}"
        result = run_command(["compare", base.path, other.path], exe)
        if result.ok:
            parts.append(f"<h3>{html.text(title)}</h3>"
                         + compare_view.render(result.document, renderer, prefix))
        else:
            parts.append(_verdict_block(title, result, "No comparison"))
    return "\n".join(parts)


def provenance(res):
    rows = []
    for key, value in sorted(res.provenance.items()):
        if isinstance(value, list):
            value = "\n".join(str(v) for v in value)
        rows.append(f"<tr><th>{html.text(key)}</th><td><pre>{html.text(value)}</pre></td></tr>")
    return ("<details><summary>Provenance: versions, hosts, environment, command line</summary>"
            f"<table>{''.join(rows)}</table></details>")
