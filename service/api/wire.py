"""A minimal reader of the protobuf wire format, for bodies not yet (or never) parsed.

protobuf's parser holds the GIL for the whole body: 2 MiB of map entries take ~0.4 s, in
which the event loop (or any thread) cannot run. :func:`excess` counts the entries of
every repeated and map field straight from the wire, up to the first one past its cap,
so that a body over the message caps is refused without ever being parsed; and
:func:`undecodable_field` finds the field whose bytes do not parse, so that the error can
name it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import NamedTuple

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, Message
from google.protobuf.message_factory import GetMessageClass

from escapesim.engine import FieldViolation

#: Wire types: varint, 64-bit, length-delimited, 32-bit (groups are not used by this API).
VARINT, I64, LEN, I32 = 0, 1, 2, 5
_FIXED = {I64: 8, I32: 4}
#: Occurrences of a singular field (the parser merges repeats; no encoder repeats one).
SINGULAR_REPEATS = 4
#: Fields of one message this build does not know (a newer client may send a few).
UNKNOWN_FIELDS = 256


class WireField(NamedTuple):
    """One field occurrence: its number and wire type, where its tag and value are."""

    number: int
    wire_type: int
    tag: int
    start: int
    end: int


def fields_of(body: bytes) -> Iterator[WireField | None]:
    """Each field occurrence of ``body`` in turn; a last ``None`` if the framing breaks
    off (a truncated value, an invalid wire type)."""
    position = 0
    while position < len(body):
        read = _field_at(body, position)
        yield read
        if read is None:
            return
        position = read.end


def excess(
    descriptor: Descriptor, body: bytes, caps: Mapping[str, int], prefix: str = ""
) -> list[FieldViolation]:
    """The first repeated or map field of ``body`` with more entries than ``caps`` allows
    (by field full name; a field not in ``caps`` may have none), or singular field given
    more than :data:`SINGULAR_REPEATS` times, with its path; [] if there is none.

    The scan stops at the first excess, so its cost is bounded by the caps, not the body.
    """
    counts: dict[int, int] = {}
    unknown = 0
    for read in fields_of(body):
        if read is None:
            return []  # framing errors are the parser's to report
        number, wire_type, _, start, end = read
        field = descriptor.fields_by_number.get(number)
        if field is None:
            unknown += 1
            if unknown > UNKNOWN_FIELDS:
                where = f"is not a valid {descriptor.name} message:" if not prefix else "has"
                message = f"{where} more than {UNKNOWN_FIELDS} unknown fields"
                return [FieldViolation(prefix, message)]
            continue
        path = f"{prefix}.{field.name}" if prefix else field.name
        index = counts.get(number, 0)
        repeated = bool(field.is_repeated)
        counts[number] = index + (_entries(field, wire_type, body, start, end) if repeated else 1)
        cap = caps.get(field.full_name, 0) if repeated else SINGULAR_REPEATS
        if counts[number] > cap:
            noun = "entries" if field.message_type is not None else "items"
            noun = noun if repeated else "occurrences"
            return [FieldViolation(path, f"has more than the cap of {cap} {noun}")]
        inner = field.message_type
        if inner is None or wire_type != LEN or inner.GetOptions().map_entry:
            continue
        found = excess(inner, body[start:end], caps, f"{path}[{index}]" if repeated else path)
        if found:
            return found
    return []


def undecodable_field(descriptor: Descriptor, body: bytes) -> str:
    """The path of the field of ``descriptor`` whose bytes in ``body`` do not parse
    (``scenario.therapies``), or "" when the fault is in the body's own framing."""
    for read in fields_of(body):
        if read is None:
            return ""
        number, wire_type, tag, start, end = read
        field = descriptor.fields_by_number.get(number)
        if field is None or _parses(descriptor, body[tag:end]):
            continue
        inner = field.message_type
        if inner is not None and wire_type == LEN and not inner.GetOptions().map_entry:
            nested = undecodable_field(inner, body[start:end])
            return f"{field.name}.{nested}" if nested else field.name
        return field.name
    return ""


def _parses(descriptor: Descriptor, piece: bytes) -> bool:
    """Whether ``piece`` (one field, its tag included) parses as part of ``descriptor``."""
    message: Message = GetMessageClass(descriptor)()
    try:
        message.ParseFromString(piece)
    except (DecodeError, RuntimeError, ValueError):
        return False
    return True


def _entries(field: FieldDescriptor, wire_type: int, body: bytes, start: int, end: int) -> int:
    """How many values one occurrence of a repeated field holds (packed runs hold many)."""
    if wire_type != LEN or field.type in (
        FieldDescriptor.TYPE_STRING,
        FieldDescriptor.TYPE_BYTES,
        FieldDescriptor.TYPE_MESSAGE,
    ):
        return 1
    if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FIXED64,
                      FieldDescriptor.TYPE_SFIXED64):  # fmt: skip
        return (end - start) // 8
    if field.type in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_FIXED32,
                      FieldDescriptor.TYPE_SFIXED32):  # fmt: skip
        return (end - start) // 4
    return sum(1 for byte in body[start:end] if byte < 0x80)  # varints: one final byte each


def _field_at(body: bytes, position: int) -> WireField | None:
    tag = _varint(body, position)
    if tag is None:
        return None
    key, start = tag
    number, wire_type = key >> 3, key & 7
    if number == 0:
        return None
    if wire_type == VARINT:
        value = _varint(body, start)
        return None if value is None else WireField(number, wire_type, position, start, value[1])
    if wire_type in _FIXED:
        end = start + _FIXED[wire_type]
        return None if end > len(body) else WireField(number, wire_type, position, start, end)
    if wire_type == LEN:
        length = _varint(body, start)
        if length is None or length[1] + length[0] > len(body):
            return None
        return WireField(number, wire_type, position, length[1], length[1] + length[0])
    return None


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
