"""`fabricbench export` flat files and the text tables against a baseline (`baseline`,
`best-vs-mpi`), which replaced scripts/compare.py and scripts/best_vs_mpi.py."""
import json
import os
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import pytest

import fabricbench
import synthetic
from fabricbench.baseline import baseline_table, best_vs_mpi_table
from fabricbench.export import export

PACKAGE_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "python")


def run_module(*args):
    env = dict(os.environ, PYTHONPATH=PACKAGE_DIR)
    return subprocess.run([sys.executable, "-m", "fabricbench", *args], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.fixture
def v1_file(tmp_path, rng):
    path = tmp_path / "v1.h5"
    synthetic.version1_file(path, rng)
    return path


def test_export_csv_round_trips(v1_file, tmp_path):
    done = run_module("export", str(v1_file), "--format", "csv", "-o", str(tmp_path / "csv"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"export: 4 files in {tmp_path / 'csv'}\n"
    assert sorted(os.listdir(tmp_path / "csv")) == ["points.csv", "provenance.json",
                                                    "samples.csv", "series.csv"]
    res = fabricbench.load(v1_file)
    points = pd.read_csv(tmp_path / "csv" / "points.csv", float_precision="round_trip")
    assert list(points.columns) == list(res.points.columns)
    assert len(points) == 6
    assert points["time_median_us"].tolist() == res.points["time_median_us"].tolist()
    samples = pd.read_csv(tmp_path / "csv" / "samples.csv", float_precision="round_trip")
    assert samples["sample_us"].tolist() == res.samples["sample_us"].tolist()


def test_export_json_keeps_values_and_nulls(tmp_path, rng):
    path = tmp_path / "mixed.h5"
    with h5py.File(path, "w") as f:
        synthetic.root_attributes(f, 2, 2)
        synthetic.collective_series(f, "allreduce.ring.ucx.float32.sum", "ring", [8, 16],
                                    rng.uniform(1, 2, (2, 3)))
        synthetic.latency_series(f, "latency.ucx", [8], rng.uniform(1, 2, (1, 20)))
    res = fabricbench.load(path)
    written = export(res, str(tmp_path / "j"), "json")
    assert [os.path.basename(w) for w in written] == ["series.json", "points.json",
                                                      "samples.json", "provenance.json"]
    with open(tmp_path / "j" / "points.json", encoding="utf-8") as handle:
        points = json.load(handle)
    assert len(points) == 3
    ring = [p for p in points if p["kind"] == "collective"]
    assert [p["size_bytes"] for p in ring] == [8, 16] and ring[0]["lat_p50_us"] is None
    latency = [p for p in points if p["kind"] == "p2p"][0]
    assert latency["count"] is None and latency["pairs"] == "0-1"
    assert latency["lat_p50_us"] == float(res.p2p["lat_p50_us"].iloc[0])
    with open(tmp_path / "j" / "provenance.json", encoding="utf-8") as handle:
        assert json.load(handle)["hostnames"] == ["node0", "node1"]


def test_baseline_ratios_are_those_of_the_medians(v1_file):
    res = fabricbench.load(v1_file)
    name, table = baseline_table(res, "mpi")
    assert name == "allreduce.mpi.none.float32.sum"
    with h5py.File(v1_file, "r") as f:
        mpi = f[f"series/{name}/points"][:]
        ring = f["series/allreduce.ring.ucx.float32.sum/points"][:3]
    ring_rows = table[table["algorithm"] == "ring"]
    np.testing.assert_allclose(ring_rows["time_ratio"],
                               ring["time_median_us"] / mpi["time_median_us"])
    done = run_module("baseline", str(v1_file), "--sizes", "1K")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"# baseline: {name}   ranks: 2   file: {v1_file}"
    assert [line.split()[0] for line in lines[2:]] == [name, "allreduce.ring.ucx.float32.sum"]
    assert lines[3].split()[-2] == f"{ring['time_median_us'][1] / mpi['time_median_us'][1]:.2f}"


def test_best_vs_mpi_picks_our_fastest(v1_file):
    res = fabricbench.load(v1_file)
    table = best_vs_mpi_table(res)
    assert table["who"].tolist() == ["ring/ucx"] * 3
    np.testing.assert_allclose(table["ratio"],
                               table["time_median_us_mpi"] / table["time_median_us"])
    done = run_module("best-vs-mpi", str(v1_file))
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 2 + 3


def test_missing_baseline_is_exit_2(v1_file):
    done = run_module("baseline", str(v1_file), "--baseline", "nccl")
    assert done.returncode == 2
    assert done.stderr == (f"fabricbench baseline: error: no series with algorithm 'nccl' in "
                           f"{v1_file}\n")
