"""The comparison of two files, from `fabricbench compare A B --json` (results/VERDICTS.md)."""
from __future__ import annotations

from . import html, jsonview, verdict_figures


def _interval(value):
    return jsonview.format_interval(value) if jsonview.is_interval(value) else "—"


def render(document, renderer, prefix=""):
    """Figures of the time ratio, what differs between the runs, and one table per series."""
    settings = document.get("settings", {})
    parts = [renderer.html(verdict_figures.compare_figures(document, prefix))]
    parts.append(html.key_values([
        ("compared points", document.get("compared_points", 0)),
        ("ratio method", settings.get("ratio_method", "")),
        ("interval level", settings.get("level", "")),
        ("significance", f"Holm-adjusted Mann-Whitney p < {settings.get('alpha', '')} and the "
                         "ratio's interval excluding 1"),
        ("series only in A", ", ".join(document.get("series_only_in_a", [])) or "none"),
        ("series only in B", ", ".join(document.get("series_only_in_b", [])) or "none"),
    ]))
    differences = document.get("differences", [])
    if differences:
        parts.append("<h4>What differs between the runs</h4>")
        parts.append(html.table(["severity", "scope", "what", "A", "B"],
                                [[d.get("severity"), d.get("scope"), d.get("what"), d.get("a"),
                                  d.get("b")] for d in differences]))
    for entry in document.get("series", []):
        summary = entry.get("summary", {}) or {}
        parts.append(f"<h4>{html.text(entry.get('name_a', ''))}"
                     + (f" / {html.text(entry['name_b'])}"
                        if entry.get("name_b") != entry.get("name_a") else "")
                     + f"</h4><p>Summary: {html.text(summary.get('text', '—'))}</p>")
        rows = [[p.get("size_bytes"), _interval(p.get("median_a_us")),
                 _interval(p.get("median_b_us")), _interval(p.get("time_ratio")),
                 _interval(p.get("gain_pct")),
                 p.get("p_holm") if p.get("p_holm") is not None else "—",
                 p.get("verdict", ""), p.get("text", "")] for p in entry.get("points", [])]
        parts.append(html.table(["size (bytes)", "median A (µs)", "median B (µs)",
                                 "time B/A", "speed change (%)", "p (Holm)", "verdict",
                                 "in words"], rows))
    return "\n".join(parts)
