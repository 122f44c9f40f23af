"""Analyses on the Dask executor: a real server whose executor is a real
``distributed.LocalCluster`` of two workers. The calibration's candidates go through the
Dask pool (:class:`~escapesim.service.workers.pools.DaskPool`), a sensitivity analysis's
sets are Dask jobs; both end with the local drivers' results (same seed, same result)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from distributed import LocalCluster

from escapesim.engine.calibration import CalibrationSpec
from escapesim.service.fitting.calibration_local import calibrate_here
from escapesim.service.fitting.sensitivity_analysis import analyse
from escapesim.service.fitting.sensitivity_runs import simulated
from escapesim.service.fitting.sensitivity_spec import SensitivitySpec
from escapesim.service.store.run_record import RunState
from escapesim.service.testing import InProcessServer
from tests.analysis_support import CALIBRATION, ROWS, SENSITIVITY
from tests.dask_support import local_cluster, server_on


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with local_cluster(2) as local:
        yield local


@pytest.fixture(scope="module")
def server(
    cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    with server_on(cluster, tmp_path_factory.mktemp("d")) as running:
        yield running


@pytest.mark.timeout(300)
def test_a_calibration_on_dask_is_the_local_one(server: InProcessServer, tmp_path: Path) -> None:
    with server.client() as client:
        created = client.create_analysis("calibration", CALIBRATION, ROWS)
        found = client.wait_analysis(created.analysis_id, timeout=240)
        assert found.state is RunState.SUCCEEDED, found.error
        tables = client.analysis_result_tables(created.analysis_id, ["particles"])
    calibrate_here(CalibrationSpec.from_dict(CALIBRATION, ROWS), tmp_path)
    pd.testing.assert_frame_equal(
        tables["particles"].to_pandas(), pd.read_parquet(tmp_path / "particles.parquet")
    )


@pytest.mark.timeout(300)
def test_a_sensitivity_analysis_on_dask_is_the_local_one(server: InProcessServer) -> None:
    with server.client() as client:
        created = client.create_analysis("sensitivity", SENSITIVITY)
        found = client.wait_analysis(created.analysis_id, timeout=240)
        assert found.state is RunState.SUCCEEDED, found.error
        tables = client.analysis_result_tables(created.analysis_id, ["design", "indices"])
    spec = SensitivitySpec.from_dict(SENSITIVITY)
    local = analyse(spec, simulated(spec))
    assert tables["design"].equals(local.samples)
    assert tables["indices"].equals(local.indices)
