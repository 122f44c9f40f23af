"""The run resource: a scenario queued, simulated and stored by the service.

These are plain values shared by the lifecycle (:mod:`escapesim.service.jobs.runs`), the store
(:mod:`service.store.database`) and the gRPC layer; they carry no behaviour beyond small queries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from escapesim.engine import OutcomeKind, Scenario
from escapesim.engine.frozen import FrozenMap


class RunState(StrEnum):
    """Where a run is in its lifecycle: QUEUED → RUNNING → PERSISTING → a terminal state.

    SUCCEEDED means the results are durably stored and readable.
    """

    QUEUED = "queued"
    RUNNING = "running"
    PERSISTING = "persisting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        """Whether the run can no longer change."""
        return self in _TERMINAL


_TERMINAL = frozenset({RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED})


@dataclass(frozen=True)
class RunFork:
    """Where a forked run came from: replicate ``replicate`` of run ``run_id`` continued
    from its checkpoint on ``day`` as the arm ``arm``."""

    run_id: str
    replicate: int
    day: float
    arm: str


@dataclass(frozen=True)
class Run:
    """A snapshot of one run.

    ``partial`` is true for a CANCELLED run whose finished replicates were stored;
    ``outcomes`` counts the finished replicates by outcome (every outcome, zeros included);
    ``simulated_day`` is the day the most recently reporting replicate has reached (it
    restarts from 0 with each replicate, and is the horizon once every one is done).
    Progress (``replicates_done``, ``simulated_day``) is live in memory and stored only
    with state changes. ``forked_from`` is set on a run made by forking a stored one.
    """

    run_id: str
    request_id: str | None
    state: RunState
    scenario: Scenario
    created_at: datetime
    updated_at: datetime
    replicates_total: int
    replicates_done: int
    simulated_day: float
    error: str | None
    partial: bool
    first_replicate: int = 0
    outcomes: FrozenMap[int] = field(default_factory=lambda: no_outcomes())
    forked_from: RunFork | None = None

    @classmethod
    def queued(
        cls,
        run_id: str,
        request_id: str | None,
        scenario: Scenario,
        first_replicate: int = 0,
        forked_from: RunFork | None = None,
    ) -> Run:
        """A new run of replicates ``first_replicate`` … ``first_replicate + replicates − 1``
        of ``scenario`` (continuing a stored checkpoint, with ``forked_from``), waiting
        for a worker."""
        now = utc_now()
        return cls(
            run_id=run_id,
            request_id=request_id,
            state=RunState.QUEUED,
            scenario=scenario,
            created_at=now,
            updated_at=now,
            replicates_total=scenario.replicates,
            replicates_done=0,
            simulated_day=0.0,
            error=None,
            partial=False,
            first_replicate=first_replicate,
            forked_from=forked_from,
        )

    def moved(self, state: RunState, **changes: Any) -> Run:
        """A copy in ``state`` (with other fields changed), stamped now."""
        return replace(self, state=state, updated_at=utc_now(), **changes)

    @property
    def has_results(self) -> bool:
        """Whether result files exist: SUCCEEDED, or CANCELLED with partial results."""
        return self.state is RunState.SUCCEEDED or (
            self.state is RunState.CANCELLED and self.partial
        )


@dataclass(frozen=True)
class RunEvent:
    """A state change or progress of a run; ``sequence`` grows by one per event of a run."""

    sequence: int
    run: Run


def no_outcomes() -> FrozenMap[int]:
    """The tally of a run with no replicate finished: every outcome at zero."""
    return FrozenMap({str(kind): 0 for kind in OutcomeKind})


def tally(outcomes: FrozenMap[int], more: Mapping[str, int]) -> FrozenMap[int]:
    """``outcomes`` with the counts of ``more`` (outcome name → replicates) added."""
    return FrozenMap({kind: n + more.get(kind, 0) for kind, n in outcomes.items()})


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC (stored and compared as such)."""
    return datetime.now(UTC)
