"""Why a job request is refused: the lifecycle's errors, each a client can act on.

:mod:`escapesim.service.api.errors` maps each to a gRPC status.
"""

from __future__ import annotations

from escapesim.engine import FieldViolation

MAX_REQUEST_ID = 128


class InvalidArgument(ValueError):  # noqa: N818 - the agreed interface names
    """A request field is wrong; like :class:`engine.ScenarioError`, it lists violations."""

    def __init__(self, field: str, message: str) -> None:
        self.violations: tuple[FieldViolation, ...] = (FieldViolation(field, message),)
        super().__init__(f"{field}: {message}")


class QueueFull(Exception):  # noqa: N818 - the agreed interface names
    """Every worker slot is busy and the queue is at its limit."""


class ServiceDraining(Exception):  # noqa: N818 - the agreed interface names
    """The service is shutting down and accepts no new runs."""


class NoResults(Exception):  # noqa: N818 - the agreed interface names
    """The run has no result files (not SUCCEEDED, nor CANCELLED with partial results)."""


class NoCheckpoint(InvalidArgument):
    """A run kept no checkpoint of that replicate on that day (a precondition of a fork,
    not a malformed request: the violation names ``replicate`` or ``day``)."""


class RequestConflict(InvalidArgument):
    """A ``request_id`` already created a job with a different specification."""


def checked_request_id(request_id: str | None) -> str | None:
    """``request_id`` or ``None`` if empty; raises :class:`InvalidArgument` if too long."""
    # proto3 has no "unset" string: an empty request_id means none was given.
    if not request_id:
        return None
    if len(request_id) > MAX_REQUEST_ID:
        raise InvalidArgument("request_id", f"must be at most {MAX_REQUEST_ID} characters")
    return request_id
