"""Fixtures for the package's tests. The ctest `python.package_and_report` (run_pytest.sh)
makes real results files with the fabricbench executable and passes them in:
FB_TEST_RESULTS (a folder holding run.h5, run2.h5, p2p.h5 and qualified.h5 with
qualified.json), FABRICBENCH_EXE (the executable) and
FB_TEST_ARTEFACTS (where screenshots and reports are kept). Without them the tests that need
real files skip and say so; the synthetic-file tests always run."""
import os

import numpy as np
import pytest


def _real(name):
    folder = os.environ.get("FB_TEST_RESULTS")
    if not folder:
        pytest.skip("FB_TEST_RESULTS is not set: no results files from a real run "
                    "(ctest -R python.package_and_report makes them)")
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        pytest.skip(f"{path} was not produced")
    return path


@pytest.fixture
def run_file():
    """A real 2-rank `fabricbench run` (ring and mpi over ucx)."""
    return _real("run.h5")


@pytest.fixture
def run2_file():
    """The same `fabricbench run` once more, to compare against run.h5."""
    return _real("run2.h5")


@pytest.fixture
def p2p_file():
    """A real 2-rank `fabricbench p2p --test latency,bandwidth,matrix`."""
    return _real("p2p.h5")


@pytest.fixture
def qualified_file():
    """p2p.h5 after `fabricbench qualify --from --record`; its JSON beside it."""
    return _real("qualified.h5")


@pytest.fixture
def executable():
    exe = os.environ.get("FABRICBENCH_EXE")
    if not exe or not os.access(exe, os.X_OK):
        pytest.skip("FABRICBENCH_EXE is not set to the fabricbench executable")
    return exe


@pytest.fixture
def artefacts(tmp_path):
    folder = os.environ.get("FB_TEST_ARTEFACTS") or str(tmp_path / "artefacts")
    os.makedirs(folder, exist_ok=True)
    return folder


@pytest.fixture
def rng():
    return np.random.default_rng(12)
