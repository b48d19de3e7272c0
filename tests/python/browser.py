"""A page in real headless Chromium: its console, its DOM after load, a screenshot."""
import shutil
import subprocess

import pytest


def chromium():
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("no chromium on this machine (scripts/install-deps.sh installs it): the "
                    "report was not opened in a browser")
    return found


def _run(url, *flags, timeout=120):
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               "--enable-logging=stderr", "--v=0", "--window-size=1400,3000",
               "--virtual-time-budget=10000", *flags, url]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def console_messages(stderr):
    """Every message the page wrote to the console (Chromium logs them as CONSOLE lines),
    uncaught exceptions included."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def open_page(path, screenshot):
    """Loads file://path twice: once dumping the DOM after the load handlers ran, once taking
    a screenshot. Returns (dom, console messages of both)."""
    url = f"file://{path}"
    dom = _run(url, "--dump-dom")
    shot = _run(url, f"--screenshot={screenshot}")
    return dom.stdout, console_messages(dom.stderr) + console_messages(shot.stderr)
