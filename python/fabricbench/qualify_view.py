"""The qualify verdicts: from the file's /verdicts, or from `fabricbench qualify --from FILE
--json` (results/VERDICTS.md, qualify). Both become the same list of checks."""
from __future__ import annotations

import math

from . import html, jsonview

VERDICT_ORDER = ["FAIL", "INCONCLUSIVE", "WARN", "PASS"]


def command(res, profile=None, line_rate_GBps=None):
    """The qualify arguments for one file, or None when no profile can be chosen: the
    profile asked for, else `generic` at the line rate given or recorded in the file."""
    args = ["qualify", "--from", res.path]
    if profile:
        args += ["--profile", profile]
    elif line_rate_GBps:
        args += ["--profile", "generic"]
    else:
        return None
    if line_rate_GBps:
        args += ["--line-rate", f"{line_rate_GBps * 8:g}Gb"]
    return args


def checks_from_frame(frame):
    """The rows of Results.verdicts as the JSON's check objects, per judgement."""
    judgements = {}
    for row in frame.to_dict(orient="records"):
        estimate = row.get("estimate")
        has_value = estimate is not None and not math.isnan(estimate)
        check = {
            "check": row.get("check"), "rule": row.get("rule"), "test": row.get("test"),
            "series": row.get("series"), "size_bytes": row.get("size_bytes"),
            "concerns": row.get("concerns"), "statistic": row.get("statistic"),
            "unit": row.get("unit"), "samples": row.get("samples"),
            "value": ({k: row.get(k) for k in ("estimate", "lower", "upper", "level")}
                      if has_value else None),
            "thresholds": {"warn": row.get("warn_threshold"), "fail": row.get("fail_threshold")},
            "verdict": row.get("verdict"), "note": row.get("note", ""),
        }
        judgement = judgements.setdefault(row["verdicts"], {
            "profile": {"name": row.get("profile"), "source": row.get("profile_source")},
            "overall": row.get("overall"), "checks": [], "recorded": row.get("created_utc"),
            "line_rate_Gbps": row.get("line_rate_Gbps")})
        judgement["checks"].append(check)
    return judgements


def _value(check):
    value = check.get("value")
    unit = check.get("unit") or ""
    if not jsonview.is_interval(value):
        return "—"
    return f"{jsonview.format_interval(value)} {unit}".strip()


def render(document, findings=()):
    """A judgement (the JSON document or one from checks_from_frame) as HTML."""
    profile = document.get("profile", {}) or {}
    checks = document.get("checks", [])
    counts = document.get("counts") or {v: sum(c.get("verdict") == v for c in checks)
                                        for v in VERDICT_ORDER}
    parts = [html.key_values([
        ("overall", document.get("overall", "")),
        ("profile", f"{profile.get('name', '')} ({profile.get('source', '')})"),
        ("checks", ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICT_ORDER)),
    ])]
    rows = []
    for c in checks:
        thresholds = c.get("thresholds") or {}
        concerns = c.get("concerns")
        if isinstance(concerns, dict):
            concerns = concerns.get("text", "")
        rows.append([c.get("check", ""), c.get("verdict", ""), c.get("statistic", ""),
                     _value(c), thresholds.get("warn"), thresholds.get("fail"),
                     c.get("samples"), concerns or "", c.get("note", "")])
    parts.append(html.table(["check", "verdict", "statistic", "value [interval]",
                             "warn below/above", "fail below/above", "samples", "concerns",
                             "note"], rows))
    findings = list(findings) or [f.get("text", "") for f in document.get("findings", [])]
    if findings:
        parts.append("<h4>Where the slow links are</h4><ul>"
                     + "".join(f"<li>{html.text(f)}</li>" for f in findings) + "</ul>")
    return "\n".join(parts)
