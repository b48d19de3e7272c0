"""Any verdict document (results/VERDICTS.md) as HTML tables: scalars as a key/value table,
every list of objects as a table of its own, intervals as `estimate [lower, upper] level`,
verdict words colour-coded. Sections with figures of their own add those on top."""
from __future__ import annotations

from . import html


def is_interval(value):
    return isinstance(value, dict) and {"estimate", "lower", "upper"} <= set(value)


def format_interval(value):
    level = value.get("level")
    level_text = f" {level * 100:.3g}%" if isinstance(level, (int, float)) and level <= 1 else (
        f" {level}" if level is not None else "")
    return (f"{html.format_number(value['estimate'])} [{html.format_number(value['lower'])}, "
            f"{html.format_number(value['upper'])}]{level_text}")


def is_table(value):
    return isinstance(value, list) and value and all(isinstance(v, dict) for v in value)


def flatten(obj, prefix=""):
    """Scalars of a nested object as {dotted.key: value}; lists of objects left out."""
    flat = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if is_interval(value):
            flat[name] = format_interval(value)
        elif isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        elif is_table(value):
            continue
        elif isinstance(value, list):
            flat[name] = ", ".join(html.format_number(v) if not isinstance(v, dict) else "…"
                                   for v in value)
        else:
            flat[name] = value
    return flat


def tables(obj, prefix=""):
    """(dotted name, rows) of every list of objects inside obj, depth first."""
    found = []
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if is_table(value):
            found.append((name, value))
            for i, row in enumerate(value):
                found.extend(tables({k: v for k, v in row.items() if is_table(v)}, f"{name}[{i}]."))
        elif isinstance(value, dict) and not is_interval(value):
            found.extend(tables(value, f"{name}."))
    return found


def render(document, skip=("schema", "schema_version")):
    scalars = {k: v for k, v in flatten(document).items() if k not in skip}
    parts = []
    if scalars:
        parts.append(html.key_values(list(scalars.items())))
    for name, rows in tables(document):
        flat_rows = [flatten(r) for r in rows]
        columns = list(dict.fromkeys(k for r in flat_rows for k in r))
        parts.append(f"<h4>{html.text(name)}</h4>")
        parts.append(html.table(columns, [[r.get(c, "") for c in columns] for r in flat_rows]))
    return "\n".join(parts)
