"""No request can stall the server: while large requests are in flight, health answers
within 100 ms and a small GetRun within 200 ms.

The server runs in its own process (``escapesim serve``), as in production: the load
generator must not share its GIL. The large requests are just under the receive limit
and far over the message caps (tens of thousands of map entries, which protobuf's parser
would take ~0.4 s to parse while holding the GIL), sent four at a time over and over.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import rpc
from escapesim.service.store.run_record import RunState
from escapesim.service.testing import SMALL_SETTINGS, ServerProcess
from tests.hostile_support import raw_call

METHODS = {m.name: m for m in rpc.METHODS}
PROBES = 40


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("stall") / "data", env=SMALL_SETTINGS)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def _large_bodies() -> list[tuple[rpc.Method, bytes]]:
    validate = pb.ValidateScenarioRequest(scenario=pb.Scenario(preset="kuznetsov1994"))
    for index in range(55_000):
        validate.scenario.parameters[f"unknown_parameter_{index}"] = 1.0
    ensemble = pb.CreateEnsembleRequest(ensemble=pb.EnsembleSpec(scenario=validate.scenario))
    return [
        (METHODS["ValidateScenario"], validate.SerializeToString()),
        (METHODS["CreateEnsemble"], ensemble.SerializeToString()),
    ]


def _probe(call: object, timeout: float) -> float:
    started = time.perf_counter()
    call(timeout=timeout)
    return time.perf_counter() - started


def test_health_and_get_run_answer_fast_while_large_requests_are_in_flight(
    server: ServerProcess, tmp_path: Path
) -> None:
    with server.client() as client:
        run = client.create_run({"preset": "kuznetsov1994", "horizon_days": 3})
        assert client.wait(run.run_id, timeout=120).state is RunState.SUCCEEDED
    bodies = _large_bodies()
    stop = threading.Event()
    sent: list[str] = []

    def flood(method: rpc.Method, body: bytes) -> None:
        with grpc.insecure_channel(server.address) as channel:
            while not stop.is_set():
                error = raw_call(channel, method, body, timeout=30)
                sent.append(error.code().name if error is not None else "OK")

    floods = [threading.Thread(target=flood, args=bodies[i % 2]) for i in range(4)]
    health_times, get_times = [], []
    with grpc.insecure_channel(server.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        get_run = pb.GetRunRequest(run_id=run.run_id).SerializeToString()
        call = channel.unary_unary(METHODS["GetRun"].path)
        _probe(lambda timeout: health.Check(health_pb2.HealthCheckRequest(), timeout=timeout), 5)
        for thread in floods:
            thread.start()
        try:
            time.sleep(0.5)  # the floods are under way
            for _ in range(PROBES):
                health_times.append(
                    _probe(
                        lambda timeout: health.Check(
                            health_pb2.HealthCheckRequest(), timeout=timeout
                        ),
                        1.0,
                    )
                )
                get_times.append(_probe(lambda timeout: call(get_run, timeout=timeout), 1.0))
                time.sleep(0.02)
        finally:
            stop.set()
            for thread in floods:
                thread.join(60)
    assert len(sent) >= 8, "the large requests were not in flight"
    assert set(sent) == {"INVALID_ARGUMENT"}
    summary = (
        f"health median {statistics.median(health_times) * 1e3:.1f} ms, max "
        f"{max(health_times) * 1e3:.1f} ms; GetRun max {max(get_times) * 1e3:.1f} ms; "
        f"{len(sent)} large requests"
    )
    assert max(health_times) < 0.100, summary
    assert max(get_times) < 0.200, summary
