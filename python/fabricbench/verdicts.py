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

import numpy as np
import pandas as pd

from .values import attributes, to_python

EXECUTABLE_VARIABLE = "FABRICBENCH_EXE"


def read_verdicts(path, f):
    """/verdicts as one row per stored verdict; an empty frame when the file has none."""
    if "verdicts" not in f:
        return pd.DataFrame()
    rows = []
    f["verdicts"].visititems(lambda name, obj: rows.extend(_rows_of(name, obj)))
    if not rows and len(f["verdicts"].attrs):
        rows.append(attributes(f["verdicts"]))
    return pd.DataFrame(rows)


def _rows_of(name, obj):
    if hasattr(obj, "dtype"):  # a dataset
        data = obj[()]
        if isinstance(data, np.ndarray) and data.dtype.names:
            return [{"verdict": name, **{k: to_python(r[k]) for k in data.dtype.names}}
                    for r in data]
        if isinstance(data, (bytes, str)):
            text = to_python(data)
            try:
                return [{"verdict": name, "json": json.loads(text)}]
            except ValueError:
                return [{"verdict": name, "value": text}]
        return [{"verdict": name, "value": to_python(data), **attributes(obj)}]
    attrs = attributes(obj)
    return [{"verdict": name, **attrs}] if attrs else []


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
