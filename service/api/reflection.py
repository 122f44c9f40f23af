"""Server reflection under both names clients use: ``grpc.reflection.v1`` and ``v1alpha``.

``grpcio-reflection`` serves only ``grpc.reflection.v1alpha.ServerReflection``, while
newer clients (grpcurl, Postman, ``grpc_cli``) ask for ``grpc.reflection.v1`` first. The
two protocols are the same messages under two package names (wire-identical), so the
v1alpha servicer answers both paths.

Python's descriptor pool finds no file for a *method* symbol
(``escapesim.v1.SimulationService.CreateRun``), so ``grpcurl describe`` of a method failed
with "Symbol not found" over reflection; :class:`MethodAwarePool` answers with the file of
the method's service, as the C++ and Go servers do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import grpc
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import FileDescriptor
from grpc_reflection.v1alpha import reflection
from grpc_reflection.v1alpha import reflection_pb2 as messages

#: The v1 service's name, as health, auth and ``list`` answers know it.
V1_SERVICE_NAME = "grpc.reflection.v1.ServerReflection"


def add_reflection(server: grpc.aio.Server, services: Iterable[str]) -> None:
    """Serve reflection (v1 and v1alpha) on ``server`` for ``services`` and itself."""
    names = (*services, reflection.SERVICE_NAME, V1_SERVICE_NAME)
    servicer = reflection.aio.ReflectionServicer(names, pool=MethodAwarePool())
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


class MethodAwarePool:
    """The default descriptor pool, except that a method's symbol resolves to its
    service's file (see the module doc); everything else is the pool's own answer."""

    def __init__(self, pool: descriptor_pool.DescriptorPool | None = None) -> None:
        self._pool = pool or descriptor_pool.Default()

    def FindFileContainingSymbol(self, symbol: str) -> FileDescriptor:  # noqa: N802 - the pool's name
        """The file defining ``symbol``; for ``Service.Method``, the service's file."""
        try:
            return self._pool.FindFileContainingSymbol(symbol)
        except KeyError:
            service, _, method = symbol.rpartition(".")
            try:
                found = self._pool.FindServiceByName(service)
            except KeyError:
                raise KeyError(symbol) from None
            if method not in found.methods_by_name:
                raise KeyError(symbol) from None
            return found.file

    def __getattr__(self, name: str) -> Any:
        # FindFileByName, FindMessageTypeByName, FindExtensionByNumber, FindAllExtensions.
        return getattr(self._pool, name)
