"""The limit on calls in progress: one more service call is RESOURCE_EXHAUSTED at once,
while health checks, which the limit does not count, still answer."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import rpc
from escapesim.service.store.run_record import RunState
from escapesim.service.testing import wait_until
from tests.hostile_support import hostile_server

LIMIT = 16
LONG = {"preset": "kuznetsov1994", "horizon_days": 36_500, "interval_days": 100,
        "replicates": 10_000}  # fmt: skip


def test_calls_past_the_limit_are_refused_and_health_still_answers(tmp_path: Path) -> None:
    with (
        hostile_server(tmp_path / "data", max_concurrent_rpcs=LIMIT) as server,
        server.client() as client,
        grpc.insecure_channel(server.address) as channel,
    ):
        run = client.create_run(LONG)
        wait_until(lambda: client.get_run(run.run_id).state is RunState.RUNNING, timeout=60)
        watch = rpc.callables(channel)["WatchRun"]
        watchers = [watch(pb.WatchRunRequest(run_id=run.run_id), timeout=60) for _ in range(LIMIT)]
        try:
            for watcher in watchers:
                next(watcher)  # each stream is open and counted
            get_run = rpc.callables(channel)["GetRun"]
            with pytest.raises(grpc.RpcError) as refused:
                get_run(pb.GetRunRequest(run_id=run.run_id), timeout=10)
            assert refused.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
            health = health_pb2_grpc.HealthStub(channel)
            reply = health.Check(health_pb2.HealthCheckRequest(), timeout=1)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        finally:
            for watcher in watchers:
                watcher.cancel()
        wait_until(lambda: _served(client, run.run_id), timeout=30)
        client.cancel_run(run.run_id)


def _served(client: object, run_id: str) -> bool:
    try:
        client.get_run(run_id)  # type: ignore[attr-defined]
    except Exception:  # still refused while the cancelled streams close
        return False
    return True
