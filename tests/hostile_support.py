"""Helpers for tests that send hostile requests: raw bodies, and what an answer must be.

``raw_call`` sends bytes as they are (no client-side serialisation), the way a fuzzer or
an attacker would; :func:`answer_problems` lists what is wrong with an error answer by
the service's own standard (no UNKNOWN or INTERNAL, a BadRequest naming a field of the
request, under 8 KiB, no exception text or file path).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.descriptor import Descriptor
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from escapesim.service.api import rpc
from escapesim.service.api.settings import Settings
from escapesim.service.testing import InProcessServer

#: Codes no request may draw.
FORBIDDEN = frozenset({grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL})
#: The most bytes an error answer (message and trailers) may take.
MAX_ERROR_BYTES = 8 * 1024
#: Exception text or file paths leaking into a message.
_LEAKS = re.compile(r"Traceback|<class |\b\w+(Error|Exception)\b:|File \"|\.py\b|/work/|/tmp/")


def hostile_settings(data: Path, **overrides: Any) -> Settings:
    """Settings of a small in-process server for hostile traffic."""
    flags: dict[str, Any] = {
        "addr": "127.0.0.1:0",
        "data": str(data),
        "workers": 1,
        "max_concurrent_runs": 1,
        "max_queued_runs": 5,
        "simulate_workers": 1,
        "drain_seconds": 1,
        **overrides,
    }
    return Settings.load(environ={}, flags=flags)


@contextmanager
def hostile_server(data: Path, **overrides: Any) -> Iterator[InProcessServer]:
    """A running in-process server (see :func:`hostile_settings`)."""
    with InProcessServer(hostile_settings(data, **overrides)) as server:
        yield server


def raw_call(
    channel: grpc.Channel, method: rpc.Method, body: bytes, timeout: float = 10.0
) -> grpc.RpcError | None:
    """Send ``body`` to ``method``; the error it ends with, or ``None`` if it succeeded.

    Streams are read to their end (or their error).
    """
    try:
        if method.client_streaming:  # the body as the stream's one message, then half-close
            replies = channel.stream_stream(method.path)(iter([body]), timeout=timeout)
            for _ in replies:
                pass
        elif method.server_streaming:
            call = channel.unary_stream(method.path)(body, timeout=timeout)
            for _ in call:
                pass
        else:
            channel.unary_unary(method.path)(body, timeout=timeout)
    except grpc.RpcError as error:
        return error
    return None


def answer_problems(error: grpc.RpcError, request: Descriptor) -> list[str]:
    """What is wrong with error answer ``error`` to a request of type ``request``."""
    code: grpc.StatusCode = error.code()
    details: str = error.details() or ""
    problems = []
    if code in FORBIDDEN:
        problems.append(f"{code.name}: {details[:200]}")
    if _LEAKS.search(details):
        problems.append(f"leaks internals: {details[:200]}")
    trailers = error.trailing_metadata() or ()
    size = len(details.encode()) + sum(len(k) + len(v) for k, v in trailers)
    if size > MAX_ERROR_BYTES:
        problems.append(f"error answer of {size} bytes")
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        problems += _bad_request_problems(error, request)
    return problems


def violations(error: grpc.RpcError) -> list[error_details_pb2.BadRequest.FieldViolation]:
    """The BadRequest field violations an error carries."""
    status = rpc_status.from_call(error)
    found: list[error_details_pb2.BadRequest.FieldViolation] = []
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            found += bad.field_violations
    return found


def _bad_request_problems(error: grpc.RpcError, request: Descriptor) -> list[str]:
    found = violations(error)
    if not found:
        return ["INVALID_ARGUMENT without a BadRequest"]
    problems = []
    for violation in found:
        if violation.field == "":
            # The body's own framing is broken: no field to name (documented).
            if "is not a valid" not in violation.description:
                problems.append(f"a violation without a field: {violation.description}")
            continue
        root = re.split(r"[.\[]", violation.field, maxsplit=1)[0]
        if root not in request.fields_by_name:
            problems.append(f"{violation.field!r} is not a field of {request.name}")
    return problems
