"""Small HTML building blocks for the report: escaping, tables, figures, verdict colours."""
from __future__ import annotations

import base64
import re
from html import escape

VERDICT_CLASSES = {
    "pass": "good", "passed": "good", "ok": "good", "faster": "good", "better": "good",
    "fail": "bad", "failed": "bad", "slower": "bad", "worse": "bad", "error": "bad",
    "inconclusive": "unsure", "warn": "warn", "same": "neutral", "no difference": "neutral",
    "not significant": "neutral", "skipped": "neutral", "skip": "neutral",
    "equivalent": "neutral", "not compared": "neutral",
}

STYLE = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 1.5em auto; max-width: 1250px;
       color: #1d232a; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #2b6cb0; padding-bottom: 0.2em;
margin-top: 2em; } h3 { margin-top: 1.5em; color: #2b4c7e; }
nav ul { columns: 2; } .muted { color: #5f6b7a; font-size: 0.9em; }
figure.fb-figure { margin: 1em 0; } figure.fb-figure img { max-width: 100%; height: auto; }
figcaption { font-size: 0.85em; color: #5f6b7a; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.85em; }
th, td { border: 1px solid #cfd6de; padding: 0.25em 0.55em; text-align: left; vertical-align: top; }
th { background: #edf2f7; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.good { background: #c6f6d5; } td.bad { background: #fed7d7; } td.unsure { background: #fefcbf; }
td.neutral { background: #edf2f7; } td.warn { background: #feebc8; }
.note { border-left: 4px solid #d69e2e; background: #fffaf0; padding: 0.4em 0.8em; margin: 0.8em 0; }
details { margin: 0.8em 0; } summary { cursor: pointer; font-weight: bold; }
pre { white-space: pre-wrap; word-break: break-all; font-size: 0.8em; background: #f7fafc; padding: 0.5em; }
"""

# Runs in the browser after loading: records on every figure what it rendered (natural and
# laid-out size), so a headless browser's DOM dump shows whether each figure drew.
MEASURE_SCRIPT = """
window.addEventListener("load", function () {
  var figures = document.querySelectorAll("figure.fb-figure");
  var drawn = 0;
  figures.forEach(function (figure) {
    var img = figure.querySelector("img");
    var box = img.getBoundingClientRect();
    figure.setAttribute("data-rendered", img.naturalWidth + "x" + img.naturalHeight + " " +
                        Math.round(box.width) + "x" + Math.round(box.height));
    if (img.naturalWidth > 0 && box.width > 0 && box.height > 0) drawn++;
  });
  document.body.setAttribute("data-figures-rendered", drawn + "/" + figures.length);
});
"""


def text(value):
    return escape(str(value), quote=True)


def verdict_class(value):
    return VERDICT_CLASSES.get(str(value).strip().lower(), "")


def format_number(value):
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "—"
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:.4e}"
    return str(value)


def cell(value, header=False):
    tag = "th" if header else "td"
    classes = []
    if not header:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            classes.append("num")
        colour = verdict_class(value)
        if colour:
            classes.append(colour)
    attr = f' class="{" ".join(classes)}"' if classes else ""
    return f"<{tag}{attr}>{text(format_number(value))}</{tag}>"


def table(columns, rows):
    head = "".join(cell(c, header=True) for c in columns)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def key_values(rows):
    """A two-column table whose first column heads each row."""
    body = "".join(f"<tr>{cell(k, header=True)}{cell(v)}</tr>" for k, v in rows)
    return f"<table><tbody>{body}</tbody></table>"


def note(message):
    return f'<p class="note">{text(message)}</p>'


SVG_SIZE = re.compile(rb'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"', re.S)


def figure(key, caption, svg):
    """An inline figure: the SVG as a data URI in an <img> with its size in CSS pixels."""
    size = SVG_SIZE.search(svg[:2000])
    dims = ""
    if size:
        width, height = (round(float(v) * 4 / 3) for v in size.groups())
        dims = f' width="{width}" height="{height}"'
    data = base64.b64encode(svg).decode("ascii")
    return (f'<figure class="fb-figure" id="fig-{text(key)}"><img alt="{text(caption)}"{dims} '
            f'src="data:image/svg+xml;base64,{data}"><figcaption>{text(caption)}</figcaption>'
            "</figure>")


def page(title, body):
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{text(title)}</title><style>{STYLE}</style></head>\n<body>\n{body}\n"
            f"<script>{MEASURE_SCRIPT}</script>\n</body></html>\n")
