"""`fabricbench report FILE.h5 [FILE2.h5 ...] -o report.html`: one self-contained HTML page.

Figures are embedded as SVG data URIs, styles and the one small script inline: the page needs
no network. Verdicts come from the file's /verdicts or from `fabricbench qualify|compare|model
--json`; a verdict that cannot be had is a note saying why, never a failed report.
"""
from __future__ import annotations

import datetime
import os
import sys
from dataclasses import dataclass, field

from . import figures as fig
from . import html, sections
from .load import load


@dataclass
class ReportOptions:
    files: list
    output: str = "report.html"
    line_rate_GBps: float | None = None  # None: from the files' p2p series or matrices
    sizes: set | None = None  # sizes for the distribution plots
    figures_dir: str | None = None  # also write every figure here
    figure_format: str = "png"
    executable: str | None = None  # fabricbench, for the verdict commands
    profile: str | None = None  # qualify profile when the file records no verdicts
    progress: object = field(default=sys.stderr)


class Progress:
    """One line per step on stderr: long reports (many series, big matrices) show they move."""

    def __init__(self, stream, total):
        self.stream, self.total, self.done = stream, total, 0

    def step(self, message):
        self.done += 1
        if self.stream is not None:
            print(f"report: [{self.done}/{self.total}] {message}", file=self.stream, flush=True)


class Figures:
    """Renders figures into the page (and into a folder when asked), closing each after use."""

    def __init__(self, options):
        self.options = options
        self.written = []
        if options.figures_dir:
            os.makedirs(options.figures_dir, exist_ok=True)

    def html(self, built):
        parts = []
        for figure in built:
            parts.append(html.figure(figure.key, figure.caption, figure.render("svg")))
            if self.options.figures_dir:
                target = os.path.join(self.options.figures_dir,
                                      f"{figure.key}.{self.options.figure_format}")
                with open(target, "wb") as handle:
                    handle.write(figure.render(self.options.figure_format))
                self.written.append(target)
            figure.close()
        return "\n".join(parts)


def line_rate_of(res, given):
    """GB/s for the bandwidth plots: the option, else the highest line rate the file records."""
    if given:
        return given
    rates = []
    for frame in (res.p2p, res.matrices):
        if "line_rate_Gbps" in frame:
            rates.extend(float(r) for r in frame["line_rate_Gbps"].dropna() if float(r) > 0)
    return max(rates) / 8 if rates else None


def write_report(options: ReportOptions):
    """Builds the page; returns (output path, figure files written)."""
    files = list(options.files)
    progress = Progress(options.progress, total=len(files) * 6 + (len(files) > 1) + 1)
    results = []
    for path in files:
        progress.step(f"loading {path}")
        results.append(load(path))
    renderer = Figures(options)
    body = [sections.header(results)]
    for index, res in enumerate(results):
        prefix = f"f{index + 1}" if len(results) > 1 else ""
        anchor = f"file{index + 1}"
        body.append(f'<h2 id="{anchor}">{html.text(os.path.basename(res.path))}</h2>')
        body.append(sections.summary(res))
        progress.step(f"{os.path.basename(res.path)}: collective figures")
        body.append(sections.collectives(
            res, renderer.html(fig.collective_figures(res, line_rate_of(res, options.line_rate_GBps),
                                                      prefix))))
        progress.step(f"{os.path.basename(res.path)}: point-to-point figures")
        body.append(sections.p2p(res, renderer.html(
            fig.latency_figures(res, options.sizes, prefix) + fig.bandwidth_figures(res, prefix))))
        progress.step(f"{os.path.basename(res.path)}: link matrices")
        body.append(sections.matrices(res, renderer.html(fig.matrix_figures(res, prefix))))
        progress.step(f"{os.path.basename(res.path)}: qualify verdicts")
        body.append(sections.qualify(res, options.executable, options.profile,
                                     line_rate_of(res, options.line_rate_GBps)))
        progress.step(f"{os.path.basename(res.path)}: model")
        body.append(sections.model(res, options.executable, renderer, prefix))
        body.append(sections.provenance(res))
    if len(results) > 1:
        progress.step("comparison of the files")
        body.append(sections.comparison(results, options.executable, renderer))
    progress.step(f"writing {options.output}")
    generated = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    body.append(f'<p class="muted">Generated {generated} by fabricbench report.</p>')
    page = html.page("fabricbench report: " + ", ".join(os.path.basename(f) for f in files),
                     "\n".join(body))
    os.makedirs(os.path.dirname(os.path.abspath(options.output)), exist_ok=True)
    with open(options.output, "w", encoding="utf-8") as handle:
        handle.write(page)
    return options.output, renderer.written
