"""Fuzzing every RPC of the descriptor: no request may draw an answer a user should not see.

A seeded stream of hostile bodies (:mod:`tests.fuzz_support`: random bytes, wire-valid
random messages, mutated valid requests, hostile values) goes to a real server on a real
port. Every answer must be a clean one: never UNKNOWN or INTERNAL, an INVALID_ARGUMENT
always with a BadRequest naming a field of the request, every error under 8 KiB, no
exception text or path in any message; and afterwards the server is healthy and still
runs simulations. The default run sends a few thousand requests; the ``slow`` one 20 000.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.client import ServiceError
from escapesim.service.store.run_record import RunState
from escapesim.service.testing import InProcessServer
from tests.fuzz_support import TINY_ANALYSIS, bodies, valid_requests
from tests.hostile_support import answer_problems, hostile_server, raw_call

TINY = {"preset": "kuznetsov1994", "horizon_days": 3, "replicates": 1}
TINY_ENSEMBLE = {"scenario": TINY, "replicates": 1, "grid": {"initial": {"T": [10.0]}}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    with hostile_server(tmp_path_factory.mktemp("fuzz") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def ids(server: InProcessServer) -> tuple[str, str, str]:
    """A finished run, ensemble and analysis for the requests that name one."""
    with server.client() as client:
        run = client.create_run(TINY)
        ensemble = client.create_ensemble(TINY_ENSEMBLE)
        analysis = client._call("CreateAnalysis", pb.CreateAnalysisRequest(
            analysis=TINY_ANALYSIS)).analysis  # fmt: skip
        assert client.wait(run.run_id, timeout=120).state is RunState.SUCCEEDED
        assert client.wait_ensemble(ensemble.ensemble_id, timeout=120).state is RunState.SUCCEEDED
        finished = client.wait_analysis(analysis.analysis_id, timeout=120)
        assert finished.state is RunState.SUCCEEDED
    return run.run_id, ensemble.ensemble_id, analysis.analysis_id


def _fuzz(
    server: InProcessServer, ids: tuple[str, str, str], seed: int, count: int
) -> Counter[str]:
    valid = valid_requests(*ids)
    failures: list[str] = []
    codes: Counter[str] = Counter()
    with grpc.insecure_channel(server.address) as channel:

        def send(item: tuple[object, str, bytes]) -> None:
            method, kind, body = item
            error = raw_call(channel, method, body)
            codes[error.code().name if error is not None else "OK"] += 1
            if error is not None:
                request = method.request.DESCRIPTOR
                for problem in answer_problems(error, request):
                    failures.append(f"{method.name} ({kind}, {len(body)} bytes): {problem}")

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(send, bodies(seed, count, valid)))
    assert not failures, f"{len(failures)} bad answers, e.g.:\n" + "\n".join(failures[:20])
    return codes


def _still_useful(server: InProcessServer) -> None:
    with grpc.insecure_channel(server.address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        reply = health.Check(health_pb2.HealthCheckRequest(), timeout=1)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    with server.client() as client:
        for queued in list(client.iter_runs(state=RunState.QUEUED)):  # the fuzz's valid runs
            client.cancel_run(queued.run_id)
        for analysis in list(client.iter_analyses()):  # and its valid analyses
            if not analysis.terminal:
                with contextlib.suppress(ServiceError):  # it may have finished meanwhile
                    client.cancel_analysis(analysis.analysis_id)
        run = client.create_run({**TINY, "seed": 12345})
        assert client.wait(run.run_id, timeout=120).state is RunState.SUCCEEDED


def test_a_few_thousand_hostile_requests_get_clean_answers(
    server: InProcessServer, ids: tuple[str, str, str]
) -> None:
    codes = _fuzz(server, ids, seed=20261202, count=3000)
    print(dict(codes))
    assert codes["INVALID_ARGUMENT"] > 1000  # the fuzz reached validation, not only framing
    _still_useful(server)


@pytest.mark.slow
def test_twenty_thousand_hostile_requests_get_clean_answers(
    server: InProcessServer, ids: tuple[str, str, str]
) -> None:
    _fuzz(server, ids, seed=7, count=20_000)
    _still_useful(server)


def test_fuzz_data_dir_is_private(server: InProcessServer) -> None:
    data = Path(server.settings.data)
    assert data.stat().st_mode & 0o777 == 0o700
