"""What an escapesim server answers, as plain typed records: runs, ensembles, their
watch events, the summary of a ``Simulate`` replicate, and the error of a failed call."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import grpc
import pandas as pd
from grpc_status import rpc_status

from escapesim.engine import FieldViolation, Frame, OutcomeKind
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api.convert import ensembles as ensemble_convert
from escapesim.service.api.convert import runs as convert
from escapesim.service.api.errors import violations_of
from escapesim.service.store.run_record import RunFork, RunState


class ServiceError(Exception):
    """A call failed: its gRPC ``code``, the server's message and any field violations."""

    def __init__(
        self, code: grpc.StatusCode, message: str, violations: Sequence[FieldViolation] = ()
    ) -> None:
        self.code = code
        self.message = message
        self.violations = tuple(violations)
        super().__init__(f"{code.name}: {message}")

    @classmethod
    def of(cls, error: grpc.RpcError) -> ServiceError:
        """The error of a failed call (``grpc.RpcError`` raised by a stub)."""
        call: Any = error
        status = rpc_status.from_call(call) if hasattr(call, "trailing_metadata") else None
        return cls(call.code(), call.details() or "", violations_of(status))


@dataclass(frozen=True, slots=True)
class RunInfo:
    """A run as the server reported it; ``scenario`` is the scenario file mapping."""

    run_id: str
    request_id: str | None
    state: RunState
    scenario: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    replicates_total: int
    replicates_done: int
    simulated_day: float
    error: str | None
    partial: bool
    #: Finished replicates by outcome (``escape``, ``elimination``, ``equilibrium``).
    outcomes: dict[str, int]
    first_replicate: int = 0
    #: Where a run made by :meth:`Client.fork_run` came from (``None`` for others).
    forked_from: RunFork | None = None

    @property
    def terminal(self) -> bool:
        """Whether the run can no longer change."""
        return self.state.terminal

    @classmethod
    def of(cls, message: pb.Run) -> RunInfo:
        """The run of a ``Run`` message."""
        state = convert.state_from_proto(message.state)
        if state is None:
            raise ValueError(f"run {message.run_id} came without a state")
        return cls(
            run_id=message.run_id,
            request_id=message.request_id or None,
            state=state,
            scenario=convert.scenario_mapping(message.scenario),
            created_at=message.create_time.ToDatetime().astimezone(),
            updated_at=message.update_time.ToDatetime().astimezone(),
            replicates_total=message.replicates_total,
            replicates_done=message.replicates_done,
            simulated_day=message.simulated_day,
            error=message.error or None,
            partial=message.partial,
            outcomes={str(kind): getattr(message.outcomes, kind) for kind in OutcomeKind},
            first_replicate=message.first_replicate,
            forked_from=_fork_of(message),
        )


@dataclass(frozen=True, slots=True)
class RunUpdate:
    """One event of :meth:`Client.watch`; pass ``sequence`` back as ``after`` to resume."""

    sequence: int
    run: RunInfo


@dataclass(frozen=True, slots=True)
class CellInfo:
    """The progress of one (grid point, arm) of an ensemble."""

    point: int
    arm: str
    values: dict[str, float]
    state: RunState
    replicates_total: int
    replicates_done: int


@dataclass(frozen=True, slots=True)
class EnsembleInfo:
    """An ensemble as the server reported it; ``ensemble`` is the ensemble file mapping.

    ``cells`` is empty in the answers of :meth:`Client.list_ensembles`.
    """

    ensemble_id: str
    request_id: str | None
    state: RunState
    ensemble: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    cells_total: int
    cells_done: int
    replicates_total: int
    replicates_done: int
    error: str | None
    partial: bool
    cells: tuple[CellInfo, ...]

    @property
    def terminal(self) -> bool:
        """Whether the ensemble can no longer change."""
        return self.state.terminal

    @classmethod
    def of(cls, message: pb.Ensemble) -> EnsembleInfo:
        """The ensemble of an ``Ensemble`` message."""
        return cls(
            ensemble_id=message.ensemble_id,
            request_id=message.request_id or None,
            state=_state(message.state, message.ensemble_id),
            ensemble=ensemble_convert.ensemble_mapping(message.spec),
            created_at=message.create_time.ToDatetime().astimezone(),
            updated_at=message.update_time.ToDatetime().astimezone(),
            cells_total=message.cells_total,
            cells_done=message.cells_done,
            replicates_total=message.replicates_total,
            replicates_done=message.replicates_done,
            error=message.error or None,
            partial=message.partial,
            cells=tuple(
                CellInfo(
                    point=c.point,
                    arm=c.arm,
                    values=dict(c.values),
                    state=_state(c.state, message.ensemble_id),
                    replicates_total=c.replicates_total,
                    replicates_done=c.replicates_done,
                )
                for c in message.cells
            ),
        )


@dataclass(frozen=True, slots=True)
class EnsembleUpdate:
    """One event of :meth:`Client.watch_ensemble`; pass ``sequence`` back as ``after``."""

    sequence: int
    ensemble: EnsembleInfo


@dataclass(frozen=True, slots=True)
class ReplicateSummary:
    """How one replicate of a :meth:`Client.simulate` call ended."""

    replicate: int
    outcome: OutcomeKind
    outcome_day: float | None
    counters: dict[str, int]
    final_values: dict[str, float]


def _fork_of(message: pb.Run) -> RunFork | None:
    if not message.HasField("forked_from"):
        return None
    origin = message.forked_from
    return RunFork(origin.run_id, origin.replicate, origin.day, origin.arm)


def _state(value: int, ensemble_id: str) -> RunState:
    state = convert.state_from_proto(value)
    if state is None:
        raise ValueError(f"ensemble {ensemble_id} came without a state")
    return state


def frame_table(frames: Iterable[Frame]) -> pd.DataFrame:
    """Frames as one DataFrame: ``replicate``, ``t`` and a column per sampled value."""
    rows = [{"replicate": f.replicate, "t": f.t, **f.values} for f in frames]
    return pd.DataFrame(rows, columns=None if rows else ["replicate", "t"])


def replicate_summary(message: pb.ReplicateSummary) -> ReplicateSummary:
    """The summary of a ``ReplicateSummary`` message."""
    kind = pb.OutcomeKind.Name(message.outcome).removeprefix("OUTCOME_KIND_")
    return ReplicateSummary(
        replicate=message.replicate,
        outcome=OutcomeKind[kind],
        outcome_day=message.outcome_day if message.HasField("outcome_day") else None,
        counters=dict(message.counters),
        final_values=dict(message.final_values),
    )
