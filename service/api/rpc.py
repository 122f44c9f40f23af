"""The SimulationService's methods, read from the generated descriptor.

protoc's gRPC plugin for Python writes ``from escapesim.v1 import ..._pb2``, an absolute
import that only works if the generated directory is itself on ``sys.path``. Rather than
patch generated code or touch ``sys.path``, the server's handler table and the client's
callables are built here from the service descriptor in ``simulation_service_pb2``: the
same method paths, message types and streaming kinds the plugin would have written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf.descriptor import MethodDescriptor

from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb

SERVICE = pb.DESCRIPTOR.services_by_name["SimulationService"]
#: Fully qualified name, as health checks and reflection know it.
SERVICE_NAME: str = SERVICE.full_name


@dataclass(frozen=True, slots=True)
class Method:
    """One RPC: its path, its message classes and which sides stream."""

    name: str
    path: str
    request: Any
    response: Any
    server_streaming: bool
    client_streaming: bool = False

    @property
    def python_name(self) -> str:
        """The snake_case name of the servicer method and client call (``create_run``)."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.name).lower()

    @classmethod
    def of(cls, method: MethodDescriptor) -> Method:
        return cls(
            name=method.name,
            path=f"/{SERVICE_NAME}/{method.name}",
            request=getattr(pb, method.input_type.name),
            response=getattr(pb, method.output_type.name),
            server_streaming=method.server_streaming,
            client_streaming=method.client_streaming,
        )


METHODS: tuple[Method, ...] = tuple(Method.of(m) for m in SERVICE.methods)

#: Handler factories by (client streams, server streams); no method streams one way up.
_HANDLERS = {
    (False, False): grpc.unary_unary_rpc_method_handler,
    (False, True): grpc.unary_stream_rpc_method_handler,
    (True, True): grpc.stream_stream_rpc_method_handler,
}


def generic_handler(implementations: Mapping[str, Callable[..., Any]]) -> grpc.GenericRpcHandler:
    """The server's handler for every method; ``implementations`` maps names to coroutines
    (unary) or async generators (server streaming) taking ``(request, context)``, and
    async generators (bidirectional) taking ``(requests, context)``.

    Requests reach the implementations as the raw bytes of the body: gRPC's own
    deserialisation turns a body that does not parse into UNKNOWN with the exception text,
    so decoding is the implementation's job (:mod:`escapesim.service.api.guard`).
    """
    missing = [m.name for m in METHODS if m.name not in implementations]
    if missing:
        raise ValueError(f"no implementation for {', '.join(missing)}")
    handlers = {}
    for method in METHODS:
        make = _HANDLERS[(method.client_streaming, method.server_streaming)]
        handlers[method.name] = make(
            implementations[method.name],
            request_deserializer=None,
            response_serializer=method.response.SerializeToString,
        )
    return grpc.method_handlers_generic_handler(SERVICE_NAME, handlers)


def callables(channel: grpc.Channel) -> dict[str, Any]:
    """Client callables (``grpc.UnaryUnaryMultiCallable``, ``UnaryStreamMultiCallable`` or
    ``StreamStreamMultiCallable``) for every method on ``channel``, by method name."""
    made: dict[str, Any] = {}
    for method in METHODS:
        kinds = {
            (False, False): channel.unary_unary,
            (False, True): channel.unary_stream,
            (True, True): channel.stream_stream,
        }
        make = kinds[(method.client_streaming, method.server_streaming)]
        made[method.name] = make(
            method.path,
            request_serializer=method.request.SerializeToString,
            response_deserializer=method.response.FromString,
        )
    return made
