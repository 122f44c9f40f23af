"""Every handler behind one guard: the body decoded here, every error a clean status.

gRPC's own request deserialisation answers a body that does not parse with UNKNOWN, the
exception text and an ERROR traceback in the log; the handlers therefore receive raw bytes
(:func:`escapesim.service.api.rpc.generic_handler`) and :func:`guarded` decodes them. A body
that does not parse is INVALID_ARGUMENT naming, where the wire format shows it, the field
that does not parse (:func:`undecodable_field`), with one short log line and no exception
text. Authentication runs before (the interceptor never decodes), so an anonymous client
gets UNAUTHENTICATED whatever it sends.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeAlias

import grpc
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import DecodeError, Message
from google.protobuf.message_factory import GetMessageClass

from escapesim.engine import FieldViolation
from escapesim.service.api import errors
from escapesim.service.api.rpc import Method

log = logging.getLogger(__name__)

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"

#: Wire types (protobuf encoding): varint, 64-bit, length-delimited, group start/end, 32-bit.
_VARINT, _I64, _LEN, _SGROUP, _EGROUP, _I32 = 0, 1, 2, 3, 4, 5


def decode(method: Method, body: bytes) -> Any:
    """The request message of ``body``; raises :class:`errors.InvalidRequestError`."""
    message = method.request()
    try:
        message.ParseFromString(body)
    except (DecodeError, RuntimeError, ValueError):
        field = undecodable_field(method.request.DESCRIPTOR, body)
        log.info("%s: a %d-byte request body that does not parse", method.name, len(body))
        raise errors.InvalidRequestError(
            [FieldViolation(field, f"is not a valid {_where(method, field)}")]
        ) from None
    return message


def undecodable_field(descriptor: Descriptor, body: bytes) -> str:
    """The path of the field of ``descriptor`` whose bytes in ``body`` do not parse
    (``scenario.therapies``), or "" when the fault is in the body's own framing."""
    path = _walk(descriptor, body)
    return ".".join(path)


def guarded(method: Method, implementation: Callable[..., Any]) -> Callable[..., Any]:
    """``implementation`` (taking a decoded request) as a handler of raw bodies whose
    domain errors become statuses (:func:`errors.status_of`)."""
    if method.server_streaming:

        async def stream(body: bytes, context: Context) -> AsyncIterator[Any]:
            try:
                request = decode(method, body)
                async for item in implementation(request, context):
                    yield item
            except grpc.aio.AbortError:
                raise
            except Exception as error:
                await _abort(context, error)

        return stream

    async def unary(body: bytes, context: Context) -> Any:
        try:
            return await implementation(decode(method, body), context)
        except grpc.aio.AbortError:
            raise
        except Exception as error:
            await _abort(context, error)

    return unary


async def _abort(context: Context, error: Exception) -> None:
    status = errors.status_of(error)
    await context.abort(status.code, status.details, status.trailing_metadata)


def _where(method: Method, field: str) -> str:
    return f"{method.request.DESCRIPTOR.name} message" if not field else "encoding of this field"


# -- a minimal walk over the protobuf wire format ------------------------------------------


def _walk(descriptor: Descriptor, body: bytes) -> list[str]:
    """The path to the first field whose value does not parse; [] if none is found."""
    position = 0
    while position < len(body):
        read = _tag_and_value(body, position)
        if read is None:
            return []
        number, wire_type, start, end = read
        field = descriptor.fields_by_number.get(number)
        if field is not None and not _parses(descriptor, body[position:end]):
            inner = field.message_type
            if inner is not None and wire_type == _LEN and not inner.GetOptions().map_entry:
                return [field.name, *_walk(inner, body[start:end])]
            return [field.name]
        position = end
    return []


def _parses(descriptor: Descriptor, piece: bytes) -> bool:
    message: Message = GetMessageClass(descriptor)()
    try:
        message.ParseFromString(piece)
    except (DecodeError, RuntimeError, ValueError):
        return False
    return True


def _tag_and_value(body: bytes, position: int) -> tuple[int, int, int, int] | None:
    """(field number, wire type, value start, value end) of the field at ``position``."""
    tag = _varint(body, position)
    if tag is None:
        return None
    key, start = tag
    number, wire_type = key >> 3, key & 7
    if number == 0:
        return None
    if wire_type == _VARINT:
        value = _varint(body, start)
        return None if value is None else (number, wire_type, start, value[1])
    sizes = {_I64: 8, _I32: 4}
    if wire_type in sizes:
        end = start + sizes[wire_type]
        return None if end > len(body) else (number, wire_type, start, end)
    if wire_type == _LEN:
        length = _varint(body, start)
        if length is None or length[1] + length[0] > len(body):
            return None
        return number, wire_type, length[1], length[1] + length[0]
    return None  # groups (deprecated, never used by this API) and invalid wire types


def _varint(body: bytes, position: int) -> tuple[int, int] | None:
    """(value, end) of the varint at ``position``; None if truncated or over 10 bytes."""
    value = 0
    for index in range(10):
        if position + index >= len(body):
            return None
        byte = body[position + index]
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            return value, position + index + 1
    return None

