"""The server as users run it: ``escapesim serve`` in a subprocess, on a free loopback port.

Covers the pytest plugin's fixture, the command line against a server, bearer-token auth,
a full queue, SIGTERM draining, and a client on a different gRPC implementation
(``grpclib``, generated from the same proto files).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import grpc
import pyarrow.parquet as pq
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from escapesim.service.api import rpc
from escapesim.service.cli import main as escapesim
from escapesim.service.client import Client, ServiceError
from escapesim.service.store.run_record import RunState
from escapesim.service.testing import SMALL_SETTINGS, ServerProcess, wait_until

ROOT = Path(__file__).resolve().parent.parent
TINY = {"preset": "kuznetsov1994", "horizon_days": 5, "replicates": 2, "seed": 21}
#: ~20 s of simulation (~50 ms a replicate): still running while a test looks at it.
LONG = {"preset": "kuznetsov1994", "horizon_days": 3000, "replicates": 400, "seed": 1}


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server with tokens, one run at a time and a queue of one."""
    root = tmp_path_factory.mktemp("secured")
    tokens = root / "tokens"
    tokens.write_text("# operators\nsecret-token\n\nother-token\n")
    server = ServerProcess(
        root / "data",
        env={
            "ESCAPESIM_TOKENS_FILE": str(tokens),
            "ESCAPESIM_WORKERS": "1",
            "ESCAPESIM_SIMULATE_WORKERS": "1",
            "ESCAPESIM_MAX_CONCURRENT_RUNS": "1",
            "ESCAPESIM_MAX_QUEUED_RUNS": "1",
        },
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server on the defaults of the plugin's fixture, shared by this module's tests."""
    server = ServerProcess(tmp_path_factory.mktemp("plain") / "data", env=SMALL_SETTINGS)
    server.start()
    yield server
    server.stop()


# -- the plugin's fixture and the command line ------------------------------------------------


def test_the_plugin_fixture_serves_every_kind_of_call(escapesim_client: Client) -> None:
    assert escapesim_client.health() == "SERVING"
    assert escapesim_client.presets()
    run = escapesim_client.wait(escapesim_client.create_run(TINY).run_id, timeout=60)
    assert run.state is RunState.SUCCEEDED
    assert len(escapesim_client.results(run.run_id)) == 2 * 6
    frames = list(escapesim_client.simulate({**TINY, "replicates": 1}, timeout=30))
    assert len(frames) == 6 + 1
    found = escapesim_client.validate({**TINY, "replicates": 0})
    assert [v.field for v in found] == ["scenario.replicates"]


def test_the_command_line_talks_to_a_server(
    plain: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    address = plain.address
    out = tmp_path / "remote.parquet"
    status = escapesim(
        ["simulate", "--preset", "kuznetsov1994", "--horizon", "5", "--replicates", "2",
         "--seed", "4", "--out", str(out), "--json", "--server", address]
    )  # fmt: skip
    assert status == 0
    document = json.loads(capsys.readouterr().out)
    assert document  # the same JSON report as a local run
    assert pq.read_table(out).num_rows == 2 * 6
    local = tmp_path / "local.parquet"
    assert escapesim(["simulate", "--preset", "kuznetsov1994", "--horizon", "5",
                      "--replicates", "2", "--seed", "4", "--out", str(local)]) == 0  # fmt: skip
    assert pq.read_table(out).equals(pq.read_table(local))
    capsys.readouterr()

    assert escapesim(["runs", "list", "--server", address]) == 0
    listing = capsys.readouterr().out.splitlines()
    run_id = listing[1].split()[0]
    assert "succeeded" in listing[1]
    assert escapesim(["runs", "get", run_id, "--server", address]) == 0
    assert json.loads(capsys.readouterr().out)["run_id"] == run_id
    assert escapesim(["runs", "watch", run_id, "--server", address]) == 0
    assert "succeeded" in capsys.readouterr().out
    fetched = tmp_path / "fetched.parquet"
    assert escapesim(["runs", "results", run_id, "--out", str(fetched), "--server", address]) == 0
    assert pq.read_table(fetched).equals(pq.read_table(out))
    assert escapesim(["runs", "cancel", run_id, "--server", address]) == 1  # already finished
    assert "FAILED_PRECONDITION" in capsys.readouterr().err
    assert escapesim(["runs", "get", "nope", "--server", address]) == 1


# -- auth, limits, draining ---------------------------------------------------------------------


def test_calls_without_a_token_are_unauthenticated_but_health_answers(
    secured: ServerProcess,
) -> None:
    with secured.client() as anonymous:
        for call in (
            anonymous.presets,
            lambda: anonymous.get_run("x"),
            lambda: list(anonymous.simulate(TINY, timeout=10)),
        ):
            with pytest.raises(ServiceError) as caught:
                call()
            assert caught.value.code is grpc.StatusCode.UNAUTHENTICATED
        assert anonymous.health() == "SERVING"
    with secured.client(token="wrong") as stranger, pytest.raises(ServiceError) as caught:
        stranger.presets()
    assert caught.value.code is grpc.StatusCode.UNAUTHENTICATED
    with grpc.insecure_channel(secured.address) as channel:
        assert rpc.SERVICE_NAME in ProtoReflectionDescriptorDatabase(channel).get_services()
    with secured.client(token="other-token") as operator:
        assert operator.presets()


def test_a_full_queue_is_resource_exhausted(secured: ServerProcess) -> None:
    with secured.client(token="secret-token") as client:
        running = client.create_run(LONG).run_id
        wait_until(lambda: client.get_run(running).state is RunState.RUNNING)
        queued = client.create_run(LONG).run_id
        with pytest.raises(ServiceError) as caught:
            client.create_run(LONG)
        assert caught.value.code is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert client.cancel_run(queued).state is RunState.CANCELLED
        assert client.cancel_run(running).state is RunState.CANCELLED


def test_sigterm_drains_and_a_restart_finishes_the_interrupted_run(tmp_path: Path) -> None:
    env = {**SMALL_SETTINGS, "ESCAPESIM_DRAIN_SECONDS": "1"}
    server = ServerProcess(tmp_path / "data", env=env)
    server.start()
    with server.client() as client:
        # Longer than the grace period on one worker, so the drain must interrupt it.
        run_id = client.create_run({**LONG, "replicates": 60}).run_id  # ~3 s
        wait_until(lambda: client.get_run(run_id).state is RunState.RUNNING)
        os.kill(server.pid, 15)
        wait_until(lambda: _health(server.address) != "SERVING", timeout=10)
        with pytest.raises(ServiceError) as caught:
            client.create_run(TINY)
        assert caught.value.code is grpc.StatusCode.UNAVAILABLE
    assert server.stop() == 0
    server.start()
    with server.client() as client:
        final = client.wait(run_id, timeout=120)
        assert final.state is RunState.SUCCEEDED
        assert final.replicates_done == 60
    server.stop()


def _health(address: str) -> str:
    try:
        with grpc.insecure_channel(address) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=2
            )
    except grpc.RpcError:
        return "UNREACHABLE"
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


# -- interoperability -------------------------------------------------------------------------

GRPCLIB_CLIENT = textwrap.dedent(
    """
    import asyncio, json, sys

    import pyarrow as pa
    from grpclib.client import Channel

    from escapesim.v1 import simulation_service_pb2 as pb
    from escapesim.v1.simulation_service_grpc import SimulationServiceStub


    async def main(host, port):
        async with Channel(host, int(port)) as channel:
            stub = SimulationServiceStub(channel)
            scenario = pb.Scenario(preset="kuznetsov1994", horizon_days=5, replicates=2, seed=21)
            created = await stub.CreateRun(
                pb.CreateRunRequest(scenario=scenario, request_id="grpclib")
            )
            run_id = created.run.run_id
            events = await stub.WatchRun(pb.WatchRunRequest(run_id=run_id))
            chunks = await stub.StreamResults(pb.StreamResultsRequest(
                run_id=run_id, tables=[pb.RESULT_TABLE_TRAJECTORIES]))
            table = pa.concat_tables(pa.ipc.open_stream(c.arrow_ipc).read_all() for c in chunks)
            print(json.dumps({
                "run_id": run_id,
                "state": pb.RunState.Name(events[-1].run.state),
                "rows": table.num_rows,
                "T": table.column("T").to_pylist(),
            }))


    host, port = sys.argv[1].rsplit(":", 1)
    asyncio.run(main(host, port))
    """
)


def test_a_grpclib_client_creates_a_run_and_reads_its_results(
    plain: ServerProcess, tmp_path: Path
) -> None:
    generated = tmp_path / "generated"
    generated.mkdir()
    plugin = Path(sys.executable).with_name("protoc-gen-grpclib_python")
    # Every file of the package: simulation_service.proto imports the others.
    protos = sorted(str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto").rglob("*.proto"))
    subprocess.run(
        [sys.executable, "-m", "grpc_tools.protoc", f"-I{ROOT / 'proto'}",
         f"--plugin=protoc-gen-grpclib_python={plugin}",
         f"--python_out={generated}", f"--grpclib_python_out={generated}",
         *protos],
        check=True, cwd=ROOT / "proto",
    )  # fmt: skip
    script = tmp_path / "grpclib_client.py"
    script.write_text(GRPCLIB_CLIENT)
    done = subprocess.run(
        [sys.executable, str(script), plain.address],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(generated)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["state"] == "RUN_STATE_SUCCEEDED"
    with plain.client() as client:
        expected = client.results(report["run_id"])
    assert report["rows"] == len(expected)
    assert report["T"] == expected["T"].tolist()
