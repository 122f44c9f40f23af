"""Server reflection answers under both protocol names, v1 and v1alpha."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2

from escapesim.service.api import rpc
from escapesim.service.testing import InProcessServer
from tests.hostile_support import hostile_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    with hostile_server(Path(tmp_path_factory.mktemp("reflection")) / "data") as running:
        yield running


@pytest.mark.parametrize("version", ["v1", "v1alpha"])
def test_list_services_under_each_version(server: InProcessServer, version: str) -> None:
    with grpc.insecure_channel(server.address) as channel:
        call = channel.stream_stream(
            f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
        )
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        (answer,) = list(call(iter([request]), timeout=10))
    names = {s.name for s in answer.list_services_response.service}
    assert rpc.SERVICE_NAME in names
    assert {"grpc.reflection.v1.ServerReflection", "grpc.health.v1.Health"} <= names
