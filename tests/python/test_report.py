"""`fabricbench report`: through the executable, self-contained, every figure drawn in a real
headless Chromium without console messages, a screenshot kept; a 1,000-rank matrix stays
readable; a verdict that cannot be had is explained, not fatal."""
import os
import re
import subprocess
import sys

import h5py
import matplotlib.image
import numpy as np
import pytest

import browser
import fabricbench
import synthetic
from fabricbench.report import ReportOptions, write_report

FIGURE = re.compile(r'<figure class="fb-figure" id="fig-([^"]+)"><img alt="[^"]*" '
                    r'width="(\d+)" height="(\d+)" src="data:image/svg\+xml;base64,')


def assert_self_contained(page):
    """Nothing the page needs lives elsewhere: no external scripts, styles, images or fonts."""
    assert not re.search(r'<script[^>]+src=', page)
    assert not re.search(r'<link[^>]', page)
    assert not re.search(r'(src|href)="(?!data:|#)', page)
    assert "@import" not in page and "url(" not in page


def report_via_executable(executable, files, folder, *extra):
    output = os.path.join(folder, "report.html")
    done = subprocess.run([executable, "report", *files, "-o", output, *extra],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return output, done


# per file: its measurements, then the model's fits (ring only: MPI has no cost formula) and
# predicted scaling; last the comparison of run2 against run
FILES_FIGURES = ["f1-collective-allreduce-float32-sum-host-0-2",
                 "f1-model-allreduce.ring.ucx.float32.sum", "f1-model-scaling",
                 "f2-collective-allreduce-float32-sum-host-0-2",
                 "f2-model-allreduce.ring.ucx.float32.sum", "f2-model-scaling",
                 "f3-latency-latency.ucx", "f3-p2p-bandwidth", "f3-matrix-links.ucx",
                 "f3-model-bandwidth.ucx", "f3-model-latency.ucx",
                 "f1-f2-compare-run.h5-run2.h5"]


def test_report_of_real_files(executable, run_file, run2_file, p2p_file, artefacts):
    figures = os.path.join(artefacts, "figures")
    output, done = report_via_executable(executable, [run_file, run2_file, p2p_file], artefacts,
                                         "--format", "svg", "--figures", figures)
    assert re.search(r"^report: \[1/\d+\] loading .*run\.h5$", done.stderr, re.M)
    assert done.stdout.strip() == (f"report: {output} and {len(FILES_FIGURES)} figures in "
                                   f"{figures}")
    with open(output, encoding="utf-8") as handle:
        page = handle.read()
    assert_self_contained(page)
    keys = [m.group(1) for m in FIGURE.finditer(page)]
    assert keys == FILES_FIGURES
    assert sorted(os.listdir(figures)) == sorted(f"{k}.svg" for k in keys)
    assert page.count('class="fb-figure"') == len(keys)
    for section in ("Collectives", "Point to point", "Link matrices", "Qualify verdicts",
                    "Model against the measurements", "Comparison of the files"):
        assert section in page, section
    assert "<details><summary>Provenance" in page
    assert "allreduce.ring.ucx.float32.sum" in page
    # the comparison of run2 against run: one row per size of each series, a verdict in each
    verdicts = re.findall(r'<td class="(good|bad|neutral)">(faster|slower|no difference|'
                          r'equivalent|not compared)</td>', page)
    with h5py.File(run_file, "r") as f:
        assert len(verdicts) == sum(len(g["points"]) for g in f["series"].values())
    # the model: the ring's fitted formula, MPI's series not modelled and why
    assert "<td>ring: 2(p-1) a + 2(p-1)/p n b + (p-1)/p n g</td>" in page
    assert "no cost formula for allreduce mpi" in page
    # p2p.h5 shares no series with run.h5: the section says why instead of failing
    assert ("No comparison: `fabricbench compare` gave no verdict (exit 2): fabricbench: error: "
            "nothing to compare") in page
    print(f"report kept at {output}")


def test_report_renders_in_chromium(executable, run_file, run2_file, p2p_file, artefacts):
    output, _ = report_via_executable(executable, [run_file, run2_file, p2p_file], artefacts)
    screenshot = os.path.join(artefacts, "report.png")
    if os.path.exists(screenshot):
        os.remove(screenshot)
    dom, console = browser.open_page(output, screenshot)
    assert console == [], console
    figures = re.findall(r'<figure class="fb-figure"[^>]*data-rendered="(\d+)x(\d+) (\d+)x(\d+)"',
                         dom)
    assert len(figures) == len(FILES_FIGURES), dom[:2000]
    for sizes in figures:
        assert all(int(v) > 0 for v in sizes), sizes  # decoded (natural) and laid out
    assert f'data-figures-rendered="{len(FILES_FIGURES)}/{len(FILES_FIGURES)}"' in dom
    image = matplotlib.image.imread(screenshot)
    colours = len(np.unique((image[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0))
    assert image.shape[:2] == (3000, 1400) and colours > 50
    print(f"screenshot kept at {screenshot} ({colours} colours)")


def test_thousand_rank_matrix_stays_readable(tmp_path, artefacts, capsys):
    path = tmp_path / "matrix1000.h5"
    slow = ((3, 17), (999, 0), (512, 513))
    synthetic.large_matrix_file(path, ranks=1000, ranks_per_host=16, slow=slow)
    output = os.path.join(artefacts, "matrix1000.html")
    write_report(ReportOptions(files=[str(path)], output=output, executable="/nonexistent",
                               progress=sys.stderr))
    err = capsys.readouterr().err
    assert "report: [4/7] matrix1000.h5: link matrices" in err
    with open(output, encoding="utf-8") as handle:
        page = handle.read()
    assert_self_contained(page)
    assert len(page) < 2_000_000  # one heat map of 63 x 63 host cells, not a million cells
    assert "aggregated per host (63 hosts)" in page
    flagged = re.findall(r"<tr><td>(host\d+)</td><td class=\"num\">(\d+)</td><td>(host\d+)</td>"
                         r"<td class=\"num\">(\d+)</td>", page)
    assert sorted((int(s), int(r)) for _, s, _, r in flagged) == sorted(slow)
    assert ("host000", "3", "host001", "17") in flagged
    assert "3 flagged." in page
    dom, console = browser.open_page(output, os.path.join(artefacts, "matrix1000.png"))
    assert console == [] and 'data-figures-rendered="1/1"' in dom


def test_missing_verdict_command_is_explained(tmp_path, rng, monkeypatch):
    path = tmp_path / "v1.h5"
    synthetic.version1_file(path, rng)
    monkeypatch.delenv("FABRICBENCH_EXE", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    output = str(tmp_path / "r.html")
    write_report(ReportOptions(files=[str(path)], output=output, progress=None))
    with open(output, encoding="utf-8") as handle:
        page = handle.read()
    assert ("No qualify verdicts in this report: the file records none, and without a line "
            "rate (none recorded; --line-rate) or a profile (--profile) there is nothing to "
            "judge against") in page
    assert ("No model in this report: the fabricbench executable was not found (set "
            "FABRICBENCH_EXE or put it on PATH)") in page
    write_report(ReportOptions(files=[str(path)], output=output, progress=None,
                               profile="ndr400"))
    with open(output, encoding="utf-8") as handle:
        assert ("No qualify verdicts in this report: the fabricbench executable was not found "
                "(set FABRICBENCH_EXE or put it on PATH)") in handle.read()


def test_unreadable_file_is_exit_2_with_one_line(executable, tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_text("not a results file")
    done = subprocess.run([executable, "report", str(bad), "-o", str(tmp_path / "r.html")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if not line.startswith("report: [")]
    assert len(lines) == 1 and lines[0].startswith(f"fabricbench report: error: {bad}: not an "
                                                   "HDF5 file"), done.stderr
    assert not (tmp_path / "r.html").exists()


def test_missing_python_is_exit_2_with_one_line(executable, tmp_path):
    env = dict(os.environ, FABRICBENCH_PYTHON=str(tmp_path / "no-python"))
    done = subprocess.run([executable, "export", "x.h5"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 2
    assert done.stderr == (f"fabricbench: error: export needs Python: cannot run "
                           f"{tmp_path / 'no-python'}: No such file or directory\n")


def test_missing_package_is_exit_2_with_one_line(executable, tmp_path):
    isolated = tmp_path / "python-without-site"
    isolated.write_text("#!/bin/sh\nexec /usr/bin/python3 -I -S \"$@\"\n")
    isolated.chmod(0o755)
    env = dict(os.environ, FABRICBENCH_PYTHON=str(isolated))
    done = subprocess.run([executable, "report", "x.h5"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("fabricbench: error: the Python package cannot be loaded (")
    assert len(done.stderr.splitlines()) == 1


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_figures_on_their_own(tmp_path, rng, fmt):
    path = tmp_path / "v1.h5"
    synthetic.version1_file(path, rng)
    folder = tmp_path / "figures"
    _, written = write_report(ReportOptions(files=[str(path)], output=str(tmp_path / "r.html"),
                                            figures_dir=str(folder), figure_format=fmt,
                                            executable="/nonexistent", progress=None))
    assert [os.path.basename(w) for w in written] == [
        f"collective-allreduce-float32-sum-2.{fmt}"]
    magic = {"png": b"\x89PNG", "pdf": b"%PDF"}[fmt]
    assert (folder / f"collective-allreduce-float32-sum-2.{fmt}").read_bytes().startswith(magic)


def test_recorded_verdicts_in_the_report(executable, qualified_file, tmp_path):
    output, _ = report_via_executable(executable, [qualified_file], str(tmp_path))
    with open(output, encoding="utf-8") as handle:
        page = handle.read()
    res_verdicts = fabricbench.load(qualified_file).verdicts
    name = res_verdicts["verdicts"].iloc[0]
    assert f"Qualify verdicts: {name} (recorded in the file" in page
    classes = {"PASS": "good", "FAIL": "bad", "INCONCLUSIVE": "unsure", "WARN": "warn"}
    for verdict in res_verdicts["verdict"]:
        assert f'<td class="{classes[verdict]}">{verdict}</td>' in page
    cells = re.findall(r'<td class="(?:good|bad|unsure|warn)">(PASS|FAIL|INCONCLUSIVE|WARN)</td>',
                       page)
    # one verdict cell per check, plus the overall verdict in the summary
    assert len(cells) == len(res_verdicts) + 1


def test_qualify_from_the_command_when_the_file_records_none(executable, p2p_file, tmp_path):
    output, _ = report_via_executable(executable, [p2p_file], str(tmp_path), "--profile",
                                      "generic", "--line-rate", "100Gb")
    with open(output, encoding="utf-8") as handle:
        page = handle.read()
    assert "<h3>Qualify verdicts (profile generic)</h3>" in page
    assert re.search(r'<td class="(good|bad|unsure|warn)">(PASS|FAIL|INCONCLUSIVE|WARN)</td>',
                     page)
