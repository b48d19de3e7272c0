"""`fabricbench export FILE.h5 --format csv|json [-o DIR]`: every frame as a flat file."""
from __future__ import annotations

import json
import os

import pandas as pd

FRAMES = ["series", "points", "samples", "pair_bandwidth", "matrices", "links", "link_samples",
          "verdicts", "findings"]


def default_directory(path):
    stem = os.path.splitext(os.path.basename(path))[0]
    return os.path.join(os.path.dirname(os.path.abspath(path)), f"{stem}-export")


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    if value is pd.NA:
        return None
    return value


def export(res, directory, fmt="csv"):
    """Writes one file per non-empty frame (NAME.csv or NAME.json) and provenance.json.

    Returns the paths written. JSON frames are lists of records, missing values as null."""
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown export format '{fmt}' (csv or json)")
    os.makedirs(directory, exist_ok=True)
    written = []
    for name in FRAMES:
        frame = getattr(res, name)
        if frame.empty:
            continue
        target = os.path.join(directory, f"{name}.{fmt}")
        if fmt == "csv":
            frame.to_csv(target, index=False)
        else:
            records = [{k: _plain(v) for k, v in row.items()}
                       for row in frame.astype(object).where(frame.notna(), None)
                       .to_dict(orient="records")]
            with open(target, "w", encoding="utf-8") as handle:
                json.dump(records, handle, indent=1, allow_nan=False)
        written.append(target)
    target = os.path.join(directory, "provenance.json")
    with open(target, "w", encoding="utf-8") as handle:
        json.dump({k: _plain(v) for k, v in res.provenance.items()}, handle, indent=1)
    written.append(target)
    return written
