"""The model section, from `fabricbench model FILE --json` (results/VERDICTS.md, model)."""
from __future__ import annotations

from . import html, jsonview, verdict_figures

DEFAULT_PREDICT_RANKS = (16, 64, 256, 1024)


def command(res, predict_ranks=None):
    """The model command for one file: predictions at the file's rank count and beyond, at
    its smallest, middle and largest collective size."""
    ranks = sorted({int(res.provenance.get("world_size", 2)), *(predict_ranks or
                                                               DEFAULT_PREDICT_RANKS)})
    args = ["model", res.path, "--predict-ranks", ",".join(map(str, ranks))]
    if not res.collectives.empty:
        sizes = sorted(int(s) for s in res.collectives["size_bytes"].unique())
        chosen = sorted({sizes[0], sizes[len(sizes) // 2], sizes[-1]})
        args += ["--sizes", ",".join(map(str, chosen))]
    return args


def _i(value):
    return jsonview.format_interval(value) if jsonview.is_interval(value) else "—"


def render(document, renderer, prefix=""):
    parts = []
    rows = [[c["group"], c.get("formula", ""), ", ".join(map(str, c.get("ranks_fitted", []))),
             _i(c.get("alpha_us")), _i(c.get("beta_ns_per_byte")),
             _i(c.get("gamma_ns_per_byte")), c.get("r_squared"),
             c.get("max_abs_relative_residual")] for c in document.get("collectives", [])]
    if rows:
        parts.append(html.table(["group", "formula", "ranks fitted", "alpha (µs)",
                                 "beta (ns/B)", "gamma (ns/B)", "R²", "max |residual|"], rows))
    rows = [[p["series"], f"{s.get('from_bytes')}..{s.get('to_bytes')}", s.get("points"),
             _i(s.get("alpha_us")), _i(s.get("beta_ns_per_byte")), s.get("bandwidth_GBps"),
             s.get("r_squared")]
            for p in document.get("p2p", []) for s in p.get("segments", [])]
    if rows:
        parts.append(html.table(["p2p series", "sizes (bytes)", "points", "alpha (µs)",
                                 "beta (ns/B)", "bandwidth (GB/s)", "R²"], rows))
    parts.append(renderer.html(verdict_figures.model_fit_figures(document, prefix)
                               + verdict_figures.scaling_figures(document, prefix)))
    crossovers = document.get("crossovers", [])
    if crossovers:
        parts.append("<h4>Predicted crossovers</h4>")
        parts.append(html.table(["collective", "ranks", "size (bytes)", "faster below",
                                 "faster above"],
                                [[c["collective"], c["ranks"], c["size_bytes"],
                                  c["faster_below"], c["faster_above"]] for c in crossovers]))
    skipped = document.get("skipped", [])
    if skipped:
        parts.append("<h4>Not modelled</h4>")
        parts.append(html.table(["series", "reason"], [[s["series"], s["reason"]]
                                                       for s in skipped]))
    return "\n".join(parts)
