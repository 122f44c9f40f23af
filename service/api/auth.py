"""Optional bearer-token authentication for every call except health and reflection.

Tokens come from a file (one per line; blank lines and ``#`` comments ignored) named by
``ESCAPESIM_TOKENS_FILE``. A call must carry ``authorization: Bearer <token>`` metadata;
without a known token it ends UNAUTHENTICATED before the service sees it. Health checks
and server reflection stay open so that orchestrators and ``grpcurl list`` keep working.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import grpc

#: Method path prefixes that never need a token.
OPEN_SERVICES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)


class TokensFileError(ValueError):
    """The tokens file cannot be used (the message names the file, never a token)."""


def load_tokens(path: Path) -> frozenset[str]:
    """The tokens in ``path``; raises :class:`TokensFileError` if it holds none."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise TokensFileError(f"{path}: cannot read tokens ({error.__class__.__name__})") from None
    tokens = frozenset(
        line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")
    )
    if not tokens:
        raise TokensFileError(f"{path}: holds no tokens")
    if any(any(c.isspace() for c in token) for token in tokens):
        raise TokensFileError(f"{path}: a token contains whitespace")
    return tokens


class BearerTokenInterceptor(grpc.aio.ServerInterceptor):
    """Refuses calls without a known bearer token (see the module doc)."""

    def __init__(self, tokens: Iterable[str]) -> None:
        self._tokens = tuple(t.encode() for t in tokens)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or method.startswith(OPEN_SERVICES):
            return handler
        metadata = handler_call_details.invocation_metadata
        if self._authorised(metadata or ()):
            return handler
        return _refusal(handler)

    def _authorised(self, metadata: Iterable[Any]) -> bool:
        for key, value in metadata:
            if key != "authorization" or not isinstance(value, str):
                continue
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer":
                given = token.strip().encode()
                # Compare against every token in constant time: no early exit leaks which.
                return any([hmac.compare_digest(given, t) for t in self._tokens])  # noqa: C419
        return False


async def _deny(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
    del request
    await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or unknown bearer token")


def _refusal(handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
    """A handler of the same kind as ``handler`` that ends the call UNAUTHENTICATED."""
    kinds = {
        (False, False): grpc.unary_unary_rpc_method_handler,
        (False, True): grpc.unary_stream_rpc_method_handler,
        (True, False): grpc.stream_unary_rpc_method_handler,
        (True, True): grpc.stream_stream_rpc_method_handler,
    }
    make = kinds[(bool(handler.request_streaming), bool(handler.response_streaming))]
    return make(
        _deny,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )
