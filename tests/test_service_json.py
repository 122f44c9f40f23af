"""The JSON face against a real server: results as JSON Lines or CSV chunks, and every
call made from JSON with only the shipped descriptor set (proto/escapesim.protoset) —
what ``grpcurl -protoset proto/escapesim.protoset -d '{…}'`` does.

grpcurl itself is run in tests/test_grpcurl.py; here the same path is checked from Python
in detail: messages built at run time from the descriptor set (no generated code),
requests parsed from JSON and replies printed as JSON (protobuf's json_format, the proto3
JSON mapping grpcurl uses), the JSON/CSV chunks row for row against the Arrow tables, and
reflection v1 asked for the descriptors of every method.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pandas as pd
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
from grpc_reflection.v1alpha import reflection_pb2

from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import rpc
from escapesim.service.api.settings import Settings
from escapesim.service.client import Client
from escapesim.service.testing import InProcessServer

ROOT = Path(__file__).resolve().parent.parent
TINY = {"preset": "kuznetsov1994", "horizon_days": 6, "replicates": 3, "seed": 5}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    data = tmp_path_factory.mktemp("json") / "data"
    flags = {"addr": "127.0.0.1:0", "data": str(data), "workers": 1, "drain_seconds": 1}
    with InProcessServer(Settings.load(environ={}, flags=flags)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: InProcessServer) -> Iterator[Client]:
    with server.client() as connected:
        yield connected


@pytest.fixture(scope="module")
def finished(client: Client) -> str:
    made = client.create_run(TINY)
    client.wait(made.run_id, timeout=120)
    return made.run_id


def _text(server: InProcessServer, run_id: str, table: int, format: int) -> str:
    with grpc.insecure_channel(server.address) as channel:
        call = rpc.callables(channel)["StreamResults"]
        request = pb.StreamResultsRequest(run_id=run_id, tables=[table], format=format)
        return "".join(chunk.text for chunk in call(request, timeout=30))


@pytest.mark.parametrize("table", ["trajectories", "replicates"])
def test_json_lines_hold_the_rows_of_the_table(
    server: InProcessServer, client: Client, finished: str, table: str
) -> None:
    expected = client.results(finished, table)
    kind = {"trajectories": pb.RESULT_TABLE_TRAJECTORIES, "replicates": pb.RESULT_TABLE_REPLICATES}
    text = _text(server, finished, kind[table], pb.RESULT_FORMAT_JSON)
    rows = [json.loads(line) for line in text.splitlines()]
    assert len(rows) == len(expected)
    found = pd.DataFrame(rows, columns=list(expected.columns))
    for name in expected.columns:  # JSON null is NaN in a float column
        if expected[name].dtype.kind == "f":
            found[name] = found[name].astype(float)
    pd.testing.assert_frame_equal(found, expected, check_dtype=False)


def test_csv_holds_the_rows_with_one_header(
    server: InProcessServer, client: Client, finished: str
) -> None:
    expected = client.results(finished, "trajectories")
    text = _text(server, finished, pb.RESULT_TABLE_TRAJECTORIES, pb.RESULT_FORMAT_CSV)
    assert text.count('"replicate"') == 1  # the header once, however many chunks
    found = pd.read_csv(io.StringIO(text))
    pd.testing.assert_frame_equal(found, expected, check_dtype=False)


def test_an_unknown_format_names_the_field(server: InProcessServer, finished: str) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        _text(server, finished, pb.RESULT_TABLE_TRAJECTORIES, 9)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "format" in (caught.value.details() or "")


# -- every call from JSON, with the descriptor set alone -------------------------------------


def _pool() -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    shipped = (ROOT / "proto" / "escapesim.protoset").read_bytes()
    for file in descriptor_pb2.FileDescriptorSet.FromString(shipped).file:
        pool.Add(file)
    return pool


def _call_json(
    channel: grpc.Channel, pool: descriptor_pool.DescriptorPool, method: str, body: str
) -> list[dict[str, Any]]:
    """What ``grpcurl -protoset … -d BODY ADDR escapesim.v1.SimulationService/METHOD``
    prints: every reply as JSON."""
    found = pool.FindServiceByName(rpc.SERVICE_NAME).methods_by_name[method]
    request_class = message_factory.GetMessageClass(found.input_type)
    reply_class = message_factory.GetMessageClass(found.output_type)
    request = json_format.Parse(body, request_class())
    path = f"/{rpc.SERVICE_NAME}/{method}"
    options = {"request_serializer": request_class.SerializeToString,
               "response_deserializer": reply_class.FromString}  # fmt: skip
    if found.server_streaming:
        replies = list(channel.unary_stream(path, **options)(request, timeout=60))
    else:
        replies = [channel.unary_unary(path, **options)(request, timeout=60)]
    return [json_format.MessageToDict(r) for r in replies]


def test_runs_are_created_read_and_streamed_from_json(server: InProcessServer) -> None:
    pool = _pool()
    with grpc.insecure_channel(server.address) as channel:
        scenario = json.dumps({"scenario": {"preset": "kuznetsov1994", "horizonDays": 4}})
        (created,) = _call_json(channel, pool, "CreateRun", scenario)
        run_id = created["run"]["runId"]
        events = _call_json(channel, pool, "WatchRun", json.dumps({"runId": run_id}))
        assert events[-1]["run"]["state"] == "RUN_STATE_SUCCEEDED"
        assert sum(int(n) for n in events[-1]["run"]["outcomes"].values()) == 1
        body = json.dumps({"runId": run_id, "tables": ["RESULT_TABLE_REPLICATES"],
                           "format": "RESULT_FORMAT_JSON"})  # fmt: skip
        chunks = _call_json(channel, pool, "StreamResults", body)
        (row,) = [json.loads(line) for c in chunks for line in c["text"].splitlines()]
        assert row["replicate"] == 0
        assert row["outcome"] in {"escape", "elimination", "equilibrium"}
        (validated,) = _call_json(channel, pool, "ValidateScenario", scenario)
        assert validated["scenario"]["horizonDays"] == 4
        presets = _call_json(channel, pool, "ListPresets", "{}")[0]["presets"]
        assert "kuznetsov1994" in {p["name"] for p in presets}


def test_reflection_v1_describes_every_method(server: InProcessServer) -> None:
    # grpcurl describe without -protoset: the file of the service, of each method (a
    # symbol Python's own pool does not resolve: service/api/reflection.py) and of each
    # method's messages, over v1.
    symbols = [rpc.SERVICE_NAME]
    for m in rpc.METHODS:
        symbols += [f"{rpc.SERVICE_NAME}.{m.name}"]
        symbols += [m.request.DESCRIPTOR.full_name, m.response.DESCRIPTOR.full_name]
    with grpc.insecure_channel(server.address) as channel:
        call = channel.stream_stream(
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        asks = [reflection_pb2.ServerReflectionRequest(file_containing_symbol=s) for s in symbols]
        replies = list(call(iter(asks), timeout=30))
    assert len(replies) == len(symbols)
    files: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    for reply in replies:
        assert reply.HasField("file_descriptor_response"), reply.error_response
        for raw in reply.file_descriptor_response.file_descriptor_proto:
            file = descriptor_pb2.FileDescriptorProto.FromString(raw)
            files[file.name] = file
    pool = descriptor_pool.DescriptorPool()
    added: set[str] = set()

    def add(name: str) -> None:  # dependencies first, as a pool requires
        if name not in added:
            for dependency in files[name].dependency:
                add(dependency)
            pool.Add(files[name])
            added.add(name)

    for name in files:
        add(name)
    service = pool.FindServiceByName(rpc.SERVICE_NAME)
    assert {m.name for m in service.methods} == {m.name for m in rpc.METHODS}
