"""Every handler behind one guard: the body decoded here, every error a clean status.

gRPC's own request deserialisation answers a body that does not parse with UNKNOWN, the
exception text and an ERROR traceback in the log; the handlers therefore receive raw bytes
(:func:`escapesim.service.api.rpc.generic_handler`) and :func:`guarded` decodes them. A body
that does not parse is INVALID_ARGUMENT naming, where the wire format shows it, the field
that does not parse (:func:`~escapesim.service.api.wire.undecodable_field`), with one short
log line and no exception text. Authentication runs before (the interceptor never decodes),
so an anonymous client gets UNAUTHENTICATED whatever it sends.

The guard also counts the calls in progress (:class:`CallLimit`): one over the limit is
RESOURCE_EXHAUSTED at once. Health and reflection are not behind the guard, so they
answer however many calls (watchers, streams) are open.

Parsing holds the GIL (~0.2 s per MiB of map entries), so a body over
:data:`PARSE_ON_LOOP` bytes is first checked against the message caps on the wire, off the
event loop, and parsed only if it passes (parsing a capped body takes milliseconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeAlias

import grpc
from google.protobuf.message import DecodeError

from escapesim.engine import FieldViolation
from escapesim.service.api import errors, message_caps, wire
from escapesim.service.api.metrics import CallMetrics
from escapesim.service.api.rpc import Method

log = logging.getLogger(__name__)

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"
#: Runs a blocking function off the event loop and awaits its result.
OffLoop: TypeAlias = Callable[..., Awaitable[Any]]

#: Bodies up to this size parse on the event loop (at most ~1 ms of map entries).
PARSE_ON_LOOP = 4096


class CallLimit:
    """At most ``limit`` service calls in progress at once (see the module doc)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.active = 0

    def enter(self) -> None:
        """Count a call in; raises :class:`errors.TooManyCalls` at the limit."""
        if self.active >= self.limit:
            raise errors.TooManyCalls(f"the server has {self.limit} calls in progress; retry later")
        self.active += 1

    def leave(self) -> None:
        """Count a call out."""
        self.active -= 1


def decode(method: Method, body: bytes) -> Any:
    """The request message of ``body``; raises :class:`errors.InvalidRequestError` for a
    body over the message caps or one that does not parse."""
    if len(body) > PARSE_ON_LOOP:
        exceeded = wire.excess(method.request.DESCRIPTOR, body, message_caps.ENTRIES)
        if exceeded:
            raise errors.InvalidRequestError(exceeded)
    message = method.request()
    try:
        message.ParseFromString(body)
    except (DecodeError, RuntimeError, ValueError):
        field = wire.undecodable_field(method.request.DESCRIPTOR, body)
        log.info("%s: a %d-byte request body that does not parse", method.name, len(body))
        raise errors.InvalidRequestError(
            [FieldViolation(field, f"is not a valid {_where(method, field)}")]
        ) from None
    return message


async def decoded(method: Method, body: bytes, off_loop: OffLoop) -> Any:
    """:func:`decode`, off the event loop for a body over :data:`PARSE_ON_LOOP` bytes."""
    if len(body) <= PARSE_ON_LOOP:
        return decode(method, body)
    return await off_loop(decode, method, body)


def guarded(
    method: Method,
    implementation: Callable[..., Any],
    off_loop: OffLoop,
    calls: CallLimit,
    metrics: CallMetrics,
) -> Callable[..., Any]:
    """``implementation`` (taking a decoded request) as a handler of raw bodies, counted
    against ``calls``, whose domain errors become statuses (:func:`errors.status_of`),
    measured and logged once by ``metrics`` when it ends. A bidirectional
    ``implementation`` takes a :class:`RequestStream` instead of a request."""
    if method.client_streaming:

        async def bidi(bodies: AsyncIterator[bytes], context: Context) -> AsyncIterator[Any]:
            async with _counted(method, calls, metrics, context):
                requests = RequestStream(method, bodies, off_loop)
                async for item in implementation(requests, context):
                    yield item

        return bidi
    if method.server_streaming:

        async def stream(body: bytes, context: Context) -> AsyncIterator[Any]:
            async with _counted(method, calls, metrics, context) as call:
                request = await decoded(method, body, off_loop)
                call.job_id = job_id_of(request)
                async for item in implementation(request, context):
                    yield item

        return stream

    async def unary(body: bytes, context: Context) -> Any:
        async with _counted(method, calls, metrics, context) as call:
            request = await decoded(method, body, off_loop)
            call.job_id = job_id_of(request)
            reply = await implementation(request, context)
            call.job_id = call.job_id or job_id_of(reply)
            return reply

    return unary


class RequestStream:
    """The requests of a bidirectional call, each decoded as :func:`decoded` does."""

    def __init__(self, method: Method, bodies: AsyncIterator[bytes], off_loop: OffLoop) -> None:
        self._method = method
        self._bodies = bodies
        self._off_loop = off_loop

    async def read(self) -> Any | None:
        """The next request, or ``None`` once the client has half-closed; raises
        :class:`errors.InvalidRequestError` for a body that does not parse."""
        try:
            body = await anext(self._bodies)
        except StopAsyncIteration:
            return None
        return await decoded(self._method, body, self._off_loop)


class _Call:
    """What the guard learns of a call for its log line: the run or ensemble it is about."""

    job_id = ""


def job_id_of(message: Any) -> str:
    """The run or ensemble a request or reply names (``run_id``, ``run.run_id``,
    ``ensemble_id``, ``ensemble.ensemble_id``), or ""."""
    for holder, name in ((message, "run_id"), (message, "ensemble_id")):
        if name in holder.DESCRIPTOR.fields_by_name and getattr(holder, name):
            return str(getattr(holder, name))
    for field, name in (("run", "run_id"), ("ensemble", "ensemble_id")):
        if field in message.DESCRIPTOR.fields_by_name and message.HasField(field):
            inner = getattr(message, field)  # a CreateEnsembleRequest's is the spec: no id
            if name in inner.DESCRIPTOR.fields_by_name:
                return str(getattr(inner, name))
    return ""


@contextlib.asynccontextmanager
async def _counted(
    method: Method, calls: CallLimit, metrics: CallMetrics, context: Context
) -> AsyncIterator[_Call]:
    """One call in progress: refused at the limit, its domain errors aborted as statuses,
    its end counted and logged with its status."""
    call, code = _Call(), "OK"
    started = metrics.started()
    try:
        try:
            calls.enter()
        except errors.TooManyCalls as error:
            code = errors.status_of(error).code.name
            await _abort(context, error)
        try:
            yield call
        except grpc.aio.AbortError:
            code = _code_name(context)
            raise
        except asyncio.CancelledError:
            code = "CANCELLED"  # the client went away (or the deadline passed)
            raise
        except Exception as error:
            code = errors.status_of(error).code.name
            await _abort(context, error)
        finally:
            calls.leave()
    finally:
        metrics.ended(method.name, code, started, call.job_id)


def _code_name(context: Context) -> str:
    """The status a handler aborted with (``context.abort`` records it on the context)."""
    found = context.code()
    return found.name if isinstance(found, grpc.StatusCode) else "UNKNOWN"


async def _abort(context: Context, error: Exception) -> None:
    status = errors.status_of(error)
    await context.abort(status.code, status.details, status.trailing_metadata)


def _where(method: Method, field: str) -> str:
    return f"{method.request.DESCRIPTOR.name} message" if not field else "encoding of this field"
