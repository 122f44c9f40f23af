"""Domain errors to gRPC statuses, with ``google.rpc`` details and nothing internal.

The engine and the run lifecycle raise domain errors that name fields and runs; only this
module knows which gRPC code each becomes. Anything unexpected becomes INTERNAL with a
reference the operator can find in the server log: no stack trace, path or exception text
ever reaches a client.

Every answer is bounded, whatever the request held: each echoed text is clipped to
:data:`MAX_TEXT` characters and a BadRequest lists at most :data:`MAX_VIOLATIONS`
violations (a last one counts the rest), so an error always fits in 8 KiB of trailers
(gRPC clients refuse trailers over 16 KiB by default, and would never see the real error).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence

import grpc
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from escapesim.engine import FieldViolation
from escapesim.service.jobs import analyses, ensembles, runs
from escapesim.service.workers.live import ScenarioFailure, SimulationError

log = logging.getLogger(__name__)

#: Characters of any text in an answer (a field path, a description, the message).
MAX_TEXT = 200
#: Violations listed in a BadRequest.
MAX_VIOLATIONS = 16


class InvalidRequestError(Exception):
    """A request with wrong fields; paths are relative to the request message."""

    def __init__(self, violations: Iterable[FieldViolation]) -> None:
        self.violations: tuple[FieldViolation, ...] = tuple(violations)
        super().__init__("; ".join(str(v) for v in self.violations) or "invalid request")

    @classmethod
    def nested(cls, prefix: str, violations: Iterable[FieldViolation]) -> InvalidRequestError:
        """Violations of a sub-message (``scenario``) as paths of the request."""
        return cls(FieldViolation(_join(prefix, v.field), v.message) for v in violations)


class DrainingError(Exception):
    """The server is shutting down and accepts no new work."""


class TimeCapError(Exception):
    """A call ran past a server-side time cap."""


class TooManyCalls(Exception):  # noqa: N818 - reads as what happened
    """The server already has as many calls in progress as it allows."""


#: Domain errors a client can act on, and the code each becomes.
_CODES: Sequence[tuple[type[BaseException], grpc.StatusCode]] = (
    (InvalidRequestError, grpc.StatusCode.INVALID_ARGUMENT),
    (runs.NoCheckpoint, grpc.StatusCode.FAILED_PRECONDITION),  # before its base class
    (runs.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (runs.RunNotFound, grpc.StatusCode.NOT_FOUND),
    (ensembles.EnsembleNotFound, grpc.StatusCode.NOT_FOUND),
    (ensembles.EnsembleFinished, grpc.StatusCode.FAILED_PRECONDITION),
    (analyses.AnalysisNotFound, grpc.StatusCode.NOT_FOUND),
    (analyses.AnalysisFinished, grpc.StatusCode.FAILED_PRECONDITION),
    (runs.RunFinished, grpc.StatusCode.FAILED_PRECONDITION),
    (runs.NoResults, grpc.StatusCode.FAILED_PRECONDITION),
    (runs.QueueFull, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (TooManyCalls, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (runs.ServiceDraining, grpc.StatusCode.UNAVAILABLE),
    (DrainingError, grpc.StatusCode.UNAVAILABLE),
    (TimeCapError, grpc.StatusCode.DEADLINE_EXCEEDED),
)


def _input_failure(error: ScenarioFailure) -> InvalidRequestError:
    return InvalidRequestError([FieldViolation("scenario", f"cannot be simulated: {error}")])


def status_of(error: BaseException) -> grpc.Status:
    """The status a client sees for ``error`` (trailing metadata carries the details)."""
    if isinstance(error, ScenarioFailure):
        error = _input_failure(error)
    for kind, code in _CODES:
        if isinstance(error, kind):
            return _status(code, _message(error), _details(error))
    reference = uuid.uuid4().hex[:12]
    if isinstance(error, SimulationError):  # the worker's report: no traceback here
        log.error("internal error %s: %s", reference, error)
    else:
        log.error("internal error %s", reference, exc_info=error)
    return _status(
        grpc.StatusCode.INTERNAL, f"internal error (reference {reference} in the server log)", []
    )


def bad_request(violations: Iterable[FieldViolation]) -> error_details_pb2.BadRequest:
    """``google.rpc.BadRequest`` listing ``violations`` (at most :data:`MAX_VIOLATIONS`,
    the last of them counting the rest; every text clipped)."""
    listed = list(violations)
    if len(listed) > MAX_VIOLATIONS:
        rest = len(listed) - MAX_VIOLATIONS + 1
        listed[MAX_VIOLATIONS - 1 :] = [
            FieldViolation(listed[MAX_VIOLATIONS - 1].field, f"and {rest} more problems")
        ]
    return error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(
                field=clip(v.field), description=clip(v.message)
            )
            for v in listed
        ]
    )


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut to ``limit`` characters (marked with an ellipsis when cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def violations_of(status: status_pb2.Status | None) -> tuple[FieldViolation, ...]:
    """The field violations a ``google.rpc.Status`` carries (for clients)."""
    found: list[FieldViolation] = []
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            request = error_details_pb2.BadRequest()
            detail.Unpack(request)
            found += [FieldViolation(v.field, v.description) for v in request.field_violations]
    return tuple(found)


def _message(error: BaseException) -> str:
    if isinstance(error, runs.RunNotFound):
        return f"run {error} not found"
    if isinstance(error, ensembles.EnsembleNotFound):
        return f"ensemble {error} not found"
    if isinstance(error, runs.NoCheckpoint):
        return clip(str(error), 2 * MAX_TEXT)  # a precondition, not an invalid request
    if isinstance(error, InvalidRequestError | runs.InvalidArgument):
        shown = "; ".join(clip(f"{v.field}: {v.message}", 120) for v in error.violations[:3])
        more = len(error.violations) - 3
        return f"invalid request: {shown}" + (f" (and {more} more)" if more > 0 else "")
    return clip(str(error) or type(error).__name__, 2 * MAX_TEXT)


def _details(error: BaseException) -> list[error_details_pb2.BadRequest]:
    if isinstance(error, InvalidRequestError | runs.InvalidArgument):
        return [bad_request(error.violations)]
    return []


def _status(
    code: grpc.StatusCode, message: str, details: list[error_details_pb2.BadRequest]
) -> grpc.Status:
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=message)
    for detail in details:
        status.details.add().Pack(detail)
    return rpc_status.to_status(status)


def _join(prefix: str, path: str) -> str:
    if not path or path == "scenario":
        return prefix
    return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"
