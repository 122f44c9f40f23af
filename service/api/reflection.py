"""Server reflection under both names clients use: ``grpc.reflection.v1`` and ``v1alpha``.

``grpcio-reflection`` serves only ``grpc.reflection.v1alpha.ServerReflection``, while
newer clients (grpcurl, Postman, ``grpc_cli``) ask for ``grpc.reflection.v1`` first. The
two protocols are the same messages under two package names (wire-identical), so the
v1alpha servicer answers both paths.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from grpc_reflection.v1alpha import reflection
from grpc_reflection.v1alpha import reflection_pb2 as messages

#: The v1 service's name, as health, auth and ``list`` answers know it.
V1_SERVICE_NAME = "grpc.reflection.v1.ServerReflection"


def add_reflection(server: grpc.aio.Server, services: Iterable[str]) -> None:
    """Serve reflection (v1 and v1alpha) on ``server`` for ``services`` and itself."""
    names = (*services, reflection.SERVICE_NAME, V1_SERVICE_NAME)
    servicer = reflection.aio.ReflectionServicer(names)
    handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=messages.ServerReflectionRequest.FromString,
        response_serializer=messages.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        tuple(
            grpc.method_handlers_generic_handler(name, {"ServerReflectionInfo": handler})
            for name in (reflection.SERVICE_NAME, V1_SERVICE_NAME)
        )
    )
