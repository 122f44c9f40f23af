"""Caps on every repeated field, map and string of a request, checked before any other work.

A request that fits the receive-message limit can still ask for a great deal of work: a
map of 200 000 unknown parameter names, 500 result tables, a million dosing days. Every
repeated and map field of every request message has a cap here (``tests`` check that none
is missing), every string a length cap, and :func:`check` reports each excess with the
field's path in the request (``scenario.therapies[1].at_days``) without looking at the
values. The caps bound the largest acceptable request (:func:`largest_request_bytes`),
which the server's receive-message limit follows. README.md lists them.
"""

from __future__ import annotations

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from escapesim.engine import FieldViolation

_PACKAGE = "escapesim.v1"

#: Entries of each repeated or map field, by the field's full name.
ENTRIES: dict[str, int] = {
    f"{_PACKAGE}.Scenario.parameters": 128,
    f"{_PACKAGE}.Scenario.initial": 128,
    f"{_PACKAGE}.Scenario.mechanisms": 32,
    f"{_PACKAGE}.Scenario.therapies": 16,
    f"{_PACKAGE}.Therapy.at_days": 400,
    f"{_PACKAGE}.Scenario.checkpoint_days": 100,  # engine.scenario_checks.MAX_CHECKPOINTS
    # A calibration's measurement days (tens to hundreds); a dense grid is interval_days.
    f"{_PACKAGE}.Scenario.sample_days": 10_000,
    f"{_PACKAGE}.EnsembleSpec.knockouts": 32,
    f"{_PACKAGE}.Therapy.parameters": 8,
    f"{_PACKAGE}.StreamResultsRequest.tables": 8,
    f"{_PACKAGE}.StreamEnsembleResultsRequest.tables": 8,
    f"{_PACKAGE}.EnsembleSpec.grid": 16,
    f"{_PACKAGE}.GridAxis.values": 1000,
    f"{_PACKAGE}.EnsembleSpec.arms": 32,
    f"{_PACKAGE}.Arm.therapies": 4,
    f"{_PACKAGE}.Arm.parameters": 32,
    # A fork's arms: an ensemble's arms are as many, and change as much.
    f"{_PACKAGE}.ForkRunRequest.arms": 32,
    f"{_PACKAGE}.ForkArm.add_therapies": 4,
    f"{_PACKAGE}.ForkArm.stop_therapies": 16,  # Scenario.therapies: at most 16 to stop
    f"{_PACKAGE}.ForkArm.parameters": 32,
    f"{_PACKAGE}.ForkArm.mechanisms": 32,  # Scenario.mechanisms
    # engine.population_file: MAX_DISTRIBUTIONS, MAX_CORRELATIONS, MAX_PARTICLES and
    # MAX_PARTICLE_NUMBERS (so a capped request still fits the 4 MiB limit).
    f"{_PACKAGE}.Population.distributions": 64,
    f"{_PACKAGE}.Population.correlations": 128,
    f"{_PACKAGE}.ParameterDistribution.arguments": 2,
    f"{_PACKAGE}.Particles.parameters": 64,
    f"{_PACKAGE}.Particles.values": 20_000,
    f"{_PACKAGE}.Particles.weights": 4_000,
    # One decision's doses: as many as a scenario's therapies.
    f"{_PACKAGE}.SessionAction.doses": 16,
    # Analyses (docs/calibration.md, docs/sensitivity.md): a few fitted parameters, a
    # measurement table of up to a thousand rows, a few conditions; engine caps for the
    # rest (calibration.spec.MAX_GENERATIONS, sensitivity_spec.MAX_FACTORS).
    f"{_PACKAGE}.CalibrationSpec.priors": 32,
    f"{_PACKAGE}.CalibrationSpec.measurements": 1000,
    f"{_PACKAGE}.CalibrationSpec.conditions": 8,
    f"{_PACKAGE}.CalibrationCondition.parameters": 32,
    f"{_PACKAGE}.CalibrationCondition.initial": 32,
    f"{_PACKAGE}.CalibrationCondition.therapies": 4,
    f"{_PACKAGE}.Stopping.epsilons": 1000,
    f"{_PACKAGE}.SensitivitySpec.parameters": 32,
    f"{_PACKAGE}.SensitivitySpec.quantities": 16,
    f"{_PACKAGE}.StreamAnalysisResultsRequest.tables": 8,
}
#: Characters of any string field or map key (bytes of a bytes field), unless :data:`TEXT`
#: says otherwise.
MAX_TEXT = 64
#: Characters of particular string fields.
TEXT: dict[str, int] = {
    f"{_PACKAGE}.CreateRunRequest.request_id": 128,
    f"{_PACKAGE}.CreateEnsembleRequest.request_id": 128,
    # 120: each arm's run is keyed ``<request_id>#<arm>`` (at most 128, like CreateRun's).
    f"{_PACKAGE}.ForkRunRequest.request_id": 120,
    f"{_PACKAGE}.CreateAnalysisRequest.request_id": 128,
    f"{_PACKAGE}.ListRunsRequest.page_token": 256,
    f"{_PACKAGE}.ListEnsemblesRequest.page_token": 256,
    f"{_PACKAGE}.ListAnalysesRequest.page_token": 256,
    # An SBML model travels inside its scenario (engine.scenario_checks.MAX_SBML_CHARS).
    f"{_PACKAGE}.Scenario.sbml": 512_000,
    # Bytes of a session token: a checkpoint holds the samples so far (~150 bytes a
    # sampling day for escape2004, so a 10-year daily-sampled session fits).
    f"{_PACKAGE}.SessionResume.token": 2_000_000,
}


def check(message: Message) -> list[FieldViolation]:
    """Every cap ``message`` exceeds, with paths relative to it."""
    return _check(message, "")


def capped_fields(descriptor: Descriptor) -> list[FieldDescriptor]:
    """Every repeated or map field reachable from ``descriptor`` (for the tests)."""
    found: dict[str, FieldDescriptor] = {}
    pending = [descriptor]
    seen: set[str] = set()
    while pending:
        current = pending.pop()
        if current.full_name in seen:
            continue
        seen.add(current.full_name)
        for field in current.fields:
            if _repeated(field):
                found[field.full_name] = field
            inner = field.message_type
            if inner is not None and not _is_map(field):
                pending.append(inner)
    return list(found.values())


def largest_request_bytes(descriptor: Descriptor) -> int:
    """An upper bound on the encoded size of a message that passes :func:`check`."""
    return _largest(descriptor, ())


# -- internals -----------------------------------------------------------------------------


def _check(message: Message, prefix: str) -> list[FieldViolation]:
    found: list[FieldViolation] = []
    for field, value in message.ListFields():
        path = f"{prefix}.{field.name}" if prefix else field.name
        if _repeated(field):
            cap = ENTRIES.get(field.full_name, 0)
            if len(value) > cap:
                noun = "entries" if _is_map(field) else "items"
                found.append(
                    FieldViolation(path, f"has {len(value)} {noun}, more than the cap of {cap}")
                )
                continue
            if _is_map(field):
                found += _keys(path, value)
            elif field.type == FieldDescriptor.TYPE_MESSAGE:
                for index, item in enumerate(value):
                    found += _check(item, f"{path}[{index}]")
            elif field.type in _TEXTUAL:
                found += _texts(path, field, value)
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            found += _check(value, path)
        elif field.type in _TEXTUAL:
            found += _texts(path, field, [value])
    return found


def _keys(path: str, entries: object) -> list[FieldViolation]:
    keys = [k for k in entries if isinstance(k, str)]  # type: ignore[attr-defined]
    if any(len(k) > MAX_TEXT for k in keys):
        return [FieldViolation(path, f"has a key longer than {MAX_TEXT} characters")]
    return []


#: Field types capped by length: strings (characters) and bytes.
_TEXTUAL = (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES)


def _texts(
    path: str, field: FieldDescriptor, values: list[str] | list[bytes]
) -> list[FieldViolation]:
    cap = TEXT.get(field.full_name, MAX_TEXT)
    unit = "characters" if field.type == FieldDescriptor.TYPE_STRING else "bytes"
    for index, text in enumerate(values):
        if len(text) > cap:
            where = f"{path}[{index}]" if _repeated(field) else path
            return [FieldViolation(where, f"must be at most {cap} {unit}")]
    return []


def _repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def _is_map(field: FieldDescriptor) -> bool:
    inner = field.message_type
    return inner is not None and bool(inner.GetOptions().map_entry)


#: Encoded bytes of a scalar at most (a 10-byte varint, a double).
_SCALAR = 10
#: Field types proto3 packs when repeated (one tag and length for all values).
_PACKED = frozenset(
    t
    for t in range(1, 19)
    if t
    not in (
        FieldDescriptor.TYPE_STRING,
        FieldDescriptor.TYPE_BYTES,
        FieldDescriptor.TYPE_MESSAGE,
        FieldDescriptor.TYPE_GROUP,
    )
)


def _largest(descriptor: Descriptor, stack: tuple[str, ...]) -> int:
    # A oneof holds one of its fields: it adds its largest member, not their sum.
    total, oneofs = 0, dict.fromkeys([o.name for o in descriptor.oneofs], 0)
    for field in descriptor.fields:
        one = _largest_field(descriptor, field, stack)
        if field.containing_oneof is None:
            total += one
        else:
            oneofs[field.containing_oneof.name] = max(oneofs[field.containing_oneof.name], one)
    return total + sum(oneofs.values())


def _largest_field(descriptor: Descriptor, field: FieldDescriptor, stack: tuple[str, ...]) -> int:
    """Encoded bytes of ``field`` (in ``descriptor``) at its caps, at most."""
    tag = 2  # field numbers here are below 2048
    inner = field.message_type
    if inner is not None and inner.full_name in stack:
        return 0  # no request message is recursive; stay finite if one ever is
    if inner is not None:
        one = _largest(inner, (*stack, descriptor.full_name))
    elif field.type == FieldDescriptor.TYPE_STRING:
        one = TEXT.get(field.full_name, MAX_TEXT) * 4  # UTF-8: up to 4 bytes a character
    elif field.type == FieldDescriptor.TYPE_BYTES:
        one = TEXT.get(field.full_name, MAX_TEXT)
    else:
        one = _SCALAR
    if not _repeated(field):
        return tag + 5 + one  # tag, a length prefix of up to 5 bytes, the value
    if field.type in _PACKED:
        return tag + 5 + ENTRIES.get(field.full_name, 0) * one  # one packed run
    return ENTRIES.get(field.full_name, 0) * (tag + 5 + one)
