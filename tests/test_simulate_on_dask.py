"""``Simulate`` on the Dask workers when Dask is the executor: a real server on a real
port, its executor on a real ``distributed.LocalCluster``."""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
import pytest
from distributed import Client as DaskClient
from distributed import LocalCluster

from escapesim import engine
from escapesim.engine import Frame
from escapesim.service.client import ServiceError
from escapesim.service.testing import InProcessServer, wait_until
from escapesim.service.workers.dask_live import DaskLiveSimulations
from tests.dask_support import local_cluster, server_on

SCENARIO = {"preset": "kuznetsov1994", "horizon_days": 30, "replicates": 3, "seed": 7}


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    with local_cluster(1) as local:
        yield local


@pytest.fixture(scope="module")
def server(
    cluster: LocalCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[InProcessServer]:
    with server_on(cluster, tmp_path_factory.mktemp("d")) as running:
        yield running


def _live(server: InProcessServer) -> DaskLiveSimulations:
    live = server._server._live  # type: ignore[union-attr]
    assert isinstance(live, DaskLiveSimulations)
    return live


def test_simulate_streams_the_engine_frames_from_a_dask_worker(
    server: InProcessServer, cluster: LocalCluster
) -> None:
    with server.client() as client:
        frames = [f for f in client.simulate(SCENARIO, timeout=120) if isinstance(f, Frame)]
    scenario = engine.Scenario.from_dict(SCENARIO)
    want = [
        (k, t, value)
        for k in range(scenario.replicates)
        for t, value in zip(*_trajectory(engine.simulate(scenario, k)), strict=True)
    ]
    assert [(f.replicate, f.t, f.values["T"]) for f in frames] == want
    assert _live(server).served_by == set(cluster.scheduler_info["workers"])


def _trajectory(result: engine.Result) -> tuple[list[float], list[float]]:
    return list(result.times), list(result.trajectory["T"])


def test_a_call_past_its_deadline_frees_the_dask_worker(
    server: InProcessServer, cluster: LocalCluster
) -> None:
    endless = {"preset": "kuznetsov1994", "horizon_days": 365, "replicates": 250}
    with server.client() as client, pytest.raises(ServiceError) as caught:
        for _ in client.simulate(endless, timeout=2.0):
            pass
    assert caught.value.code is grpc.StatusCode.DEADLINE_EXCEEDED
    started = time.monotonic()
    with DaskClient(cluster.scheduler_address) as dask:
        # The task reads its stop flag every 0.1 s: the worker is idle well within 10 s.
        wait_until(lambda: not any(dask.processing().values()), timeout=10)
    assert time.monotonic() - started < 10
