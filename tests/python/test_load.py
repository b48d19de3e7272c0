"""fabricbench.load: the frames against the HDF5 contents read with h5py, every schema
version, and a clear error for what cannot be read."""
import h5py
import numpy as np
import pandas as pd
import pytest

import fabricbench
import synthetic
from fabricbench.values import to_python

COLLECTIVE_STATS = [name for name, _ in synthetic.COLLECTIVE_FIELDS]


def check_series_against_file(res, path):
    """Every committed row of every series, field by field and attribute by attribute."""
    with h5py.File(path, "r") as f:
        total_rows = 0
        for name, group in f["series"].items():
            points = group["points"]
            rows = len(points)
            if "committed_rows" in points.attrs:
                rows = int(points.attrs["committed_rows"])
            else:  # older files: trailing rows never written have iterations 0
                while rows and points[rows - 1]["iterations"] == 0:
                    rows -= 1
            total_rows += rows
            frame = res.points[res.points["series"] == name].reset_index(drop=True)
            assert len(frame) == rows, name
            data = points[:rows]
            for field in data.dtype.names:
                column = frame[field]
                kind = data.dtype[field].kind
                assert column.dtype == data.dtype[field], (name, field, column.dtype)
                if kind == "f":
                    np.testing.assert_array_equal(column.to_numpy(), data[field])
                else:
                    assert column.tolist() == data[field].tolist(), (name, field)
            for key, value in group.attrs.items():
                if key == "kind":
                    continue
                expected = to_python(value)
                if isinstance(expected, list):
                    expected = ",".join(map(str, expected))
                assert (frame[key] == expected).all(), (name, key)
            assert (frame["kind"] == to_python(group.attrs.get("kind", "collective"))).all()
            samples = res.samples[res.samples["series"] == name]
            expected = group["samples"][:rows]
            assert len(samples) == expected.size
            np.testing.assert_array_equal(samples["sample_us"].to_numpy(), expected.ravel())
            assert samples["iteration"].tolist() == list(range(expected.shape[1])) * rows
            assert samples["size_bytes"].tolist() == np.repeat(data["size_bytes"],
                                                               expected.shape[1]).tolist()
        assert len(res.points) == total_rows
        assert res.series["series"].tolist() == list(f["series"])
        assert res.provenance["world_size"] == int(f.attrs["world_size"])
        assert res.provenance["hostnames"] == [to_python(h) for h in f.attrs["hostnames"]]
        assert res.provenance["command_line"] == to_python(f.attrs["command_line"])
        assert set(res.provenance) == set(f.attrs)


def test_run_file_frames_match_the_file(run_file):
    res = fabricbench.load(run_file)
    assert res.schema_version == 2
    check_series_against_file(res, run_file)
    assert (res.points["kind"] == "collective").all()
    assert set(res.points["algorithm"]) == {"ring", "mpi"}
    assert len(res.collectives) == len(res.points) and res.p2p.empty
    assert res.points["size_bytes"].dtype == np.uint64
    assert res.points["time_median_us"].dtype == np.float64
    assert res.samples["sample_us"].dtype == np.float64
    assert res.links.empty and res.matrices.empty


def test_p2p_file_frames_match_the_file(p2p_file):
    res = fabricbench.load(p2p_file)
    check_series_against_file(res, p2p_file)
    assert set(res.p2p["test"]) == {"latency", "bandwidth"}
    latency = res.p2p[res.p2p["test"] == "latency"]
    assert (latency["lat_p50_us"] <= latency["lat_p99_us"]).all()
    assert "bw_GBps" in res.p2p and "lat_p50_us" in res.p2p
    assert res.collectives.empty
    with h5py.File(p2p_file, "r") as f:
        (name, group), = f["matrix"].items()
        bandwidth = group["bandwidth_GBps"][()]
        latency_us = group["latency_us"][()]
        measured = np.argwhere(np.isfinite(bandwidth))
        links = res.links[res.links["matrix"] == name]
        assert len(links) == len(measured) == 2  # 0->1 and 1->0
        for row in links.itertuples():
            assert row.bandwidth_GBps == bandwidth[row.sender, row.receiver]
            assert row.latency_us == latency_us[row.sender, row.receiver]
            assert row.sender_host == to_python(group.attrs["hostnames"][row.sender])
        assert res.matrices["n_ranks"].tolist() == [2]
        assert res.matrices["median_bandwidth_GBps"].tolist() == [
            float(group.attrs["median_bandwidth_GBps"])]


def test_points_frame_is_the_acceptance_shape(run_file):
    """A dataclass whose public frames include one with 'point' in its name, one row per point."""
    res = fabricbench.load(run_file)
    frames = {k: getattr(res, k) for k in dir(res)
              if not k.startswith("_") and isinstance(getattr(res, k), pd.DataFrame)}
    first = sorted(k for k in frames if "point" in k.lower())[0]
    with h5py.File(run_file, "r") as f:
        assert len(frames[first]) == sum(len(g["points"]) for g in f["series"].values())


def test_version_1_file_loads(tmp_path, rng):
    path = tmp_path / "v1.h5"
    synthetic.version1_file(path, rng)
    res = fabricbench.load(path)
    assert res.schema_version == 1
    assert (res.points["kind"] == "collective").all()
    # the ring series' fourth row has iterations 0: never written, dropped
    assert res.points.groupby("series").size().tolist() == [3, 3]
    check_series_against_file(res, path)
    with h5py.File(path, "r") as f:
        ring = f["series/allreduce.ring.ucx.float32.sum/points"][:3]
    frame = res.points[res.points["algorithm"] == "ring"]
    np.testing.assert_array_equal(frame["time_median_us"], ring["time_median_us"])
    assert len(res.samples) == 2 * 3 * 5
    assert "status" not in res.provenance
    assert res.p2p.empty and res.links.empty and res.verdicts.empty


def test_committed_rows_limit_the_points(tmp_path, rng):
    path = tmp_path / "committed.h5"
    with h5py.File(path, "w") as f:
        synthetic.root_attributes(f, 2, 2)
        synthetic.collective_series(f, "allreduce.ring.ucx.float32.sum", "ring", [8, 16, 32],
                                    rng.uniform(1, 2, (3, 4)), committed=2)
        synthetic.latency_series(f, "latency.ucx", [8, 64], rng.uniform(1, 9, (2, 50)))
    res = fabricbench.load(path)
    assert res.collectives["size_bytes"].tolist() == [8, 16]
    assert len(res.samples[res.samples["kind"] == "collective"]) == 2 * 4
    assert res.p2p["size_bytes"].tolist() == [8, 64]
    # columns only one kind has are missing values for the other, integers kept exact
    assert res.points["count"].dtype == "UInt64"
    assert res.points.loc[res.points["kind"] == "p2p", "count"].isna().all()
    assert res.p2p["pairs"].tolist() == ["0-1", "0-1"]


def test_skipped_series_has_no_points_but_is_listed(tmp_path, rng):
    path = tmp_path / "skipped.h5"
    with h5py.File(path, "w") as f:
        synthetic.root_attributes(f, 2, 2)
        synthetic.collective_series(f, "allreduce.ring.ucx.float32.sum", "ring", [8],
                                    rng.uniform(1, 2, (1, 4)))
        g = synthetic.collective_series(f, "allreduce.nccl.none.float32.sum.cuda", "nccl", [],
                                        np.zeros((0, 4)), committed=0)
        g.attrs["skipped"] = "no CUDA device: cudaGetDeviceCount: no CUDA-capable device"
    res = fabricbench.load(path)
    assert res.points["series"].tolist() == ["allreduce.ring.ucx.float32.sum"]
    skipped = res.series.set_index("series").loc["allreduce.nccl.none.float32.sum.cuda"]
    assert skipped["points"] == 0 and skipped["skipped"].startswith("no CUDA device")
    assert len(res.samples) == 4


def test_large_matrix_links_long_form(tmp_path):
    path = tmp_path / "big.h5"
    slow = ((3, 17), (199, 0), (120, 121))
    bandwidth, latency, hosts = synthetic.large_matrix_file(path, ranks=200, slow=slow)
    res = fabricbench.load(path)
    assert len(res.links) == 200 * 199
    flagged = res.links[res.links["flagged"]]
    assert sorted(zip(flagged["sender"], flagged["receiver"])) == sorted(slow)
    assert res.matrices["flagged_count"].tolist() == [3]
    row = res.links[(res.links["sender"] == 5) & (res.links["receiver"] == 9)].iloc[0]
    assert row.bandwidth_GBps == bandwidth[5, 9] and row.latency_us == latency[5, 9]
    assert row.sender_host == hosts[5] and row.receiver_host == hosts[9]


BAD_FILES = {
    "not_hdf5": (lambda p: p.write_bytes(b"this is not HDF5\n" * 10), "not an HDF5 file"),
    "no_schema": (lambda p: h5py.File(p, "w").close(), "not a fabricbench results file"),
    "future_version": (lambda p: _root_only(p, 3), "schema version 3 is not supported"),
}


def _root_only(path, version):
    with h5py.File(path, "w") as f:
        synthetic.root_attributes(f, version, 2)


def _unknown_kind(path):
    with h5py.File(path, "w") as f:
        synthetic.root_attributes(f, 2, 2)
        g = synthetic.collective_series(f, "x", "ring", [8], np.ones((1, 3)))
        g.attrs["kind"] = "quantum"


def _no_samples(path):
    with h5py.File(path, "w") as f:
        synthetic.root_attributes(f, 2, 2)
        g = synthetic.collective_series(f, "x", "ring", [8], np.ones((1, 3)))
        del g["samples"]


BAD_FILES["unknown_kind"] = (_unknown_kind, "series 'x' has unknown kind 'quantum'")
BAD_FILES["no_samples"] = (_no_samples, "series 'x' has no 'samples' dataset")


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_raise_a_clear_error(tmp_path, case):
    make, reason = BAD_FILES[case]
    path = tmp_path / f"{case}.h5"
    make(path)
    with pytest.raises(fabricbench.ResultsFileError) as error:
        fabricbench.load(path)
    assert error.value.path == str(path)
    assert reason in str(error.value)
    assert str(error.value).startswith(f"{path}: ")


def test_missing_file_raises(tmp_path):
    with pytest.raises(fabricbench.ResultsFileError, match="no such file"):
        fabricbench.load(tmp_path / "absent.h5")


def test_recorded_verdicts_load_one_row_per_check(tmp_path, rng):
    path = tmp_path / "judged.h5"
    checks = [
        {"size_bytes": 262144, "samples": 20, "estimate": 11.2, "lower": 11.0, "upper": 11.4,
         "level": 0.96, "warn_threshold": 11.25, "fail_threshold": 10.0, "check": "bw 256K",
         "rule": "p2p-bandwidth", "test": "p2p_bandwidth", "series": "bandwidth.ucx",
         "concerns": "rank 0 -> rank 1", "statistic": "median", "unit": "GB/s",
         "verdict": "INCONCLUSIVE", "note": "the interval straddles the warn level"},
        {"size_bytes": 8, "samples": 3, "estimate": np.nan, "lower": np.nan, "upper": np.nan,
         "level": np.nan, "warn_threshold": 3.0, "fail_threshold": 4.2, "check": "lat 8",
         "rule": "p2p-latency", "test": "p2p_latency", "series": "latency.ucx",
         "concerns": "rank 0 -> rank 1", "statistic": "p99", "unit": "us", "verdict": "PASS",
         "note": ""},
    ]
    with h5py.File(path, "w") as f:
        synthetic.root_attributes(f, 2, 2)
        synthetic.verdicts(f, "qualify.generic", checks, overall="INCONCLUSIVE",
                           findings=["node1 (rank 1) sends and receives slowly"])
    res = fabricbench.load(path)
    assert len(res.verdicts) == 2
    first = res.verdicts.iloc[0]
    assert first["verdicts"] == "qualify.generic" and first["profile"] == "generic"
    assert first["overall"] == "INCONCLUSIVE" and first["verdict"] == "INCONCLUSIVE"
    assert (first["estimate"], first["lower"], first["upper"]) == (11.2, 11.0, 11.4)
    assert first["size_bytes"] == 262144 and first["unit"] == "GB/s"
    assert np.isnan(res.verdicts.iloc[1]["estimate"])
    assert res.findings["finding"].tolist() == ["node1 (rank 1) sends and receives slowly"]


def test_matrix_samples_long_form(tmp_path):
    path = tmp_path / "samples.h5"
    hosts = ["a", "a", "b"]
    bandwidth = np.array([[np.nan, 5.0, 6.0], [5.5, np.nan, 6.5], [4.0, 4.5, np.nan]])
    latency = bandwidth / 10
    with h5py.File(path, "w") as f:
        synthetic.root_attributes(f, 2, 3, hosts)
        synthetic.matrix(f, "links.ucx", hosts, bandwidth, latency)
        window = np.arange(9 * 4, dtype=float).reshape(9, 4)
        f["matrix/links.ucx"].create_dataset("bandwidth_samples_us", data=window)
        f["matrix/links.ucx"].create_dataset("latency_samples_us", data=window / 100)
    res = fabricbench.load(path)
    samples = res.link_samples
    assert len(samples) == 6 * 4
    entry = samples[(samples["sender"] == 2) & (samples["receiver"] == 1)]
    assert entry["iteration"].tolist() == [0, 1, 2, 3]
    assert entry["window_us"].tolist() == window[2 * 3 + 1].tolist()
    np.testing.assert_array_equal(entry["latency_us"], window[7] / 100)


def test_real_recorded_verdicts_match_the_file_and_the_json(qualified_file):
    import json
    res = fabricbench.load(qualified_file)
    with open(qualified_file[:-3] + ".json", encoding="utf-8") as handle:
        document = json.load(handle)
    checks = document["checks"]
    assert len(res.verdicts) == len(checks) > 0
    assert res.verdicts["check"].tolist() == [c["check"] for c in checks]
    assert res.verdicts["verdict"].tolist() == [c["verdict"] for c in checks]
    assert (res.verdicts["overall"] == document["overall"]).all()
    for row, check in zip(res.verdicts.itertuples(), checks):
        if check["value"] is None:
            assert np.isnan(row.estimate)
        else:
            assert row.estimate == pytest.approx(check["value"]["estimate"], rel=1e-12)
            assert row.lower == pytest.approx(check["value"]["lower"], rel=1e-12)
        assert row.samples == check["samples"]
    with h5py.File(qualified_file, "r") as f:
        (name,) = list(f["verdicts"])
        assert (res.verdicts["verdicts"] == name).all()
        assert res.verdicts["fail_threshold"].tolist() == f[f"verdicts/{name}/checks"][
            "fail_threshold"].tolist()


def test_real_matrix_samples_match_the_file(p2p_file):
    res = fabricbench.load(p2p_file)
    with h5py.File(p2p_file, "r") as f:
        (name, group), = f["matrix"].items()
        if "latency_samples_us" not in group:
            pytest.skip("this build writes no per-entry matrix samples")
        latency = group["latency_samples_us"][()]
        window = group["bandwidth_samples_us"][()]
    samples = res.link_samples
    assert len(samples) == 2 * latency.shape[1]  # entries 0->1 and 1->0
    forward = samples[(samples["sender"] == 0) & (samples["receiver"] == 1)]
    assert forward["latency_us"].tolist() == latency[1].tolist()
    assert forward["window_us"].tolist() == window[1].tolist()
