"""Checks of a request's own fields (ids, filters, table lists), each naming its field.

Identifiers are checked against the store's identifier rule before any lookup, so an id
that cannot exist is INVALID_ARGUMENT at once and never echoed back at length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import cast

from escapesim.engine import FieldViolation, Scenario, ScenarioError
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import errors, result_stream
from escapesim.service.api.convert import runs as convert
from escapesim.service.store.database import IDENTIFIER
from escapesim.service.store.run_record import RunState

#: Run result tables, in streaming order.
RUN_TABLES: tuple[pb.ResultTable, ...] = (
    pb.RESULT_TABLE_TRAJECTORIES,
    pb.RESULT_TABLE_REPLICATES,
)
#: Ensemble result parts by enum value, in streaming order, with their file keys.
ENSEMBLE_PARTS: dict[pb.EnsembleResultTable, str] = {
    pb.ENSEMBLE_RESULT_TABLE_TRAJECTORIES: "trajectories",
    pb.ENSEMBLE_RESULT_TABLE_REPLICATES: "replicates",
    pb.ENSEMBLE_RESULT_TABLE_OUTCOMES: "outcomes",
    pb.ENSEMBLE_RESULT_TABLE_BANDS: "bands",
    pb.ENSEMBLE_RESULT_TABLE_SUMMARY: "summary",
    pb.ENSEMBLE_RESULT_TABLE_ATTRIBUTION: "attribution",
}
_ID_RULE = "1 to 64 letters, digits, '_' or '-'"


def identifier(field: str, value: str) -> str:
    """A run or ensemble id, checked against the store's rule (never looked up if wrong)."""
    if not value:
        raise errors.InvalidRequestError([FieldViolation(field, "is required")])
    if not IDENTIFIER.fullmatch(value):
        raise errors.InvalidRequestError([FieldViolation(field, f"must be {_ID_RULE}")])
    return value


def state_filter(value: int) -> RunState | None:
    """The state a List call filters on (``None``: every state)."""
    try:
        return convert.state_from_proto(value)
    except ValueError:
        raise errors.InvalidRequestError([FieldViolation("state", "is not a RunState")]) from None


def after(sequence: int) -> int:
    """A Watch call's ``after_sequence``, checked."""
    if sequence < 0:
        raise errors.InvalidRequestError([FieldViolation("after_sequence", "must be >= 0")])
    return sequence


def run_tables(requested: Iterable[int]) -> tuple[pb.ResultTable, ...]:
    """The run tables a StreamResults call asks for (all when none is named)."""
    wanted = list(requested)
    if not wanted:
        return RUN_TABLES
    unknown = [i for i, t in enumerate(wanted) if t not in RUN_TABLES]
    if unknown:
        raise errors.InvalidRequestError(
            [FieldViolation(f"tables[{i}]", "must be TRAJECTORIES or REPLICATES") for i in unknown]
        )
    return cast(tuple[pb.ResultTable, ...], tuple(wanted))  # each is one of RUN_TABLES


def ensemble_parts(requested: Iterable[int]) -> tuple[pb.EnsembleResultTable, ...]:
    """The ensemble parts a StreamEnsembleResults call asks for (all when none is named)."""
    wanted = list(requested)
    if not wanted:
        return tuple(ENSEMBLE_PARTS)
    unknown = [i for i, t in enumerate(wanted) if t not in ENSEMBLE_PARTS]
    if unknown:
        raise errors.InvalidRequestError(
            [FieldViolation(f"tables[{i}]", "is not an ensemble result table") for i in unknown]
        )
    return cast(tuple[pb.EnsembleResultTable, ...], tuple(wanted))  # each a known part


#: Replicate indices are int32 in the result tables.
MAX_REPLICATE_INDEX = 2**31 - 1


def first_replicate(value: int, replicates: int) -> int:
    """A CreateRun's ``first_replicate``: its run's last replicate must still be an int32."""
    last = MAX_REPLICATE_INDEX - replicates + 1
    if not 0 <= value <= last:
        raise errors.InvalidRequestError(
            [FieldViolation("first_replicate", f"must be within [0, {last}], got {value}")]
        )
    return value
#: Chunk encodings by ``ResultFormat`` value (:mod:`escapesim.service.api.result_stream`).
_ENCODINGS = {
    pb.RESULT_FORMAT_UNSPECIFIED: result_stream.ARROW,
    pb.RESULT_FORMAT_ARROW: result_stream.ARROW,
    pb.RESULT_FORMAT_JSON: result_stream.JSON,
    pb.RESULT_FORMAT_CSV: result_stream.CSV,
}


def result_encoding(value: int) -> str:
    """The chunk encoding a result stream's ``format`` asks for."""
    try:
        return _ENCODINGS[cast(pb.ResultFormat, value)]
    except KeyError:
        problem = FieldViolation("format", "must be ARROW, JSON or CSV")
        raise errors.InvalidRequestError([problem]) from None


def built_scenario(
    message: pb.Scenario,
    caps: Callable[[Scenario], list[FieldViolation]],
    where: str = "scenario",
) -> Scenario:
    """The scenario of ``message`` within the server's ``caps``; violations are paths of
    the request (``where`` is the scenario's own path in it)."""
    try:
        scenario = convert.scenario_from_proto(message)
    except ScenarioError as error:
        raise errors.InvalidRequestError.nested(where, error.violations) from None
    exceeded = caps(scenario)
    if exceeded:
        raise errors.InvalidRequestError.nested(where, exceeded)
    return scenario
