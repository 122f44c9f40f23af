"""A real Dask LocalCluster, and a real server whose executor is that cluster (shared by
the tests that run work on Dask through the service)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from distributed import LocalCluster

from escapesim.service.api.settings import Settings
from escapesim.service.testing import InProcessServer


@contextmanager
def local_cluster(workers: int) -> Iterator[LocalCluster]:
    """``workers`` single-threaded worker processes, no dashboard port taken."""
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        yield cluster


@contextmanager
def server_on(cluster: LocalCluster, data: Path) -> Iterator[InProcessServer]:
    """A server on any free port storing in ``data``, its executor ``cluster``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ESCAPESIM_EXECUTOR", "dask")
        patch.setenv("ESCAPESIM_DASK_SCHEDULER", cluster.scheduler_address)
        flags: dict[str, object] = {"addr": "127.0.0.1:0", "data": str(data)}
        with InProcessServer(Settings.load(environ={}, flags=flags)) as running:
            yield running
