"""Verdicts: the /verdicts group of a results file, and the JSON of `fabricbench qualify|compare|model`.

The statistics behind a verdict (intervals, tests, fits) are computed by the C++ analysis
layer; this module only reads what it wrote or runs the command and parses its JSON.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

import pandas as pd

from .values import attributes, to_python

EXECUTABLE_VARIABLE = "FABRICBENCH_EXE"


VERDICT_ATTRIBUTES = ["profile", "profile_source", "line_rate_Gbps", "created_utc",
                      "command_line", "overall"]


def read_verdicts(path, f):
    """/verdicts/<name> (results/SCHEMA.md, Verdicts) as one row per check: the judgement's
    name and attributes, the numbers of `checks` and the string columns beside it. Empty
    when the file has none."""
    rows = []
    for name, group in f.get("verdicts", {}).items():
        if "checks" not in group:
            continue
        attrs = attributes(group)
        checks = group["checks"][()]
        columns = {field: checks[field] for field in checks.dtype.names}
        for key, dataset in group.items():
            if key != "checks" and len(dataset.shape) == 1 and len(dataset) == len(checks):
                columns[key] = [to_python(v) for v in dataset[()]]
        for i in range(len(checks)):
            row = {"verdicts": name, **{k: attrs.get(k) for k in VERDICT_ATTRIBUTES}}
            row.update({key: to_python(values[i]) for key, values in columns.items()})
            rows.append(row)
    frame = pd.DataFrame(rows)
    first = [c for c in CHECK_ORDER if c in frame.columns]
    return frame[first + [c for c in frame.columns if c not in first]]


# The columns of a check in the order a reader wants them (SCHEMA.md lists the datasets).
CHECK_ORDER = ["verdicts", "check", "verdict", "rule", "test", "series", "concerns", "statistic",
               "unit", "estimate", "lower", "upper", "level", "warn_threshold", "fail_threshold",
               "size_bytes", "samples", "note"]


def read_findings(f):
    """The link-matrix localisation sentences of every judgement: verdicts, finding."""
    rows = [{"verdicts": name, "finding": text}
            for name, group in f.get("verdicts", {}).items()
            for text in attributes(group).get("findings", []) or []]
    return pd.DataFrame(rows, columns=["verdicts", "finding"])


@dataclass
class CommandResult:
    """The JSON a verdict command wrote, or why there is none."""

    document: dict | None
    reason: str = ""
    exit_code: int | None = None

    @property
    def ok(self):
        return self.document is not None


def executable(explicit=None):
    """The fabricbench executable: given, from $FABRICBENCH_EXE (set by `fabricbench report`), or PATH."""
    candidate = explicit or os.environ.get(EXECUTABLE_VARIABLE) or shutil.which("fabricbench")
    return candidate if candidate and os.access(candidate, os.X_OK) else None


def run_command(args, exe=None, timeout_s=600):
    """Runs `fabricbench ARGS... --json TMP` and parses TMP. Never raises: failures are reasons."""
    exe = executable(exe)
    if exe is None:
        return CommandResult(None, "the fabricbench executable was not found (set "
                                   f"{EXECUTABLE_VARIABLE} or put it on PATH)")
    with tempfile.TemporaryDirectory(prefix="fabricbench-report-") as tmp:
        out = os.path.join(tmp, "verdict.json")
        command = [exe, *args, "--json", out]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
        except (OSError, subprocess.TimeoutExpired) as e:
            return CommandResult(None, f"`{' '.join(command[1:3])}` could not run: {e}")
        document = None
        if os.path.exists(out) and os.path.getsize(out) > 0:
            try:
                with open(out, encoding="utf-8") as handle:
                    document = json.load(handle)
            except ValueError as e:
                return CommandResult(None, f"`fabricbench {args[0]}` wrote invalid JSON: {e}",
                                     done.returncode)
        if document is None:
            message = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return CommandResult(None, f"`fabricbench {args[0]}` gave no verdict (exit "
                                       f"{done.returncode}): {message}", done.returncode)
        return CommandResult(document, "", done.returncode)
