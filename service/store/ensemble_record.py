"""The ensemble resource: an ensemble queued, simulated cell by cell and summarised.

Plain values shared by the ensemble lifecycle (:mod:`escapesim.service.jobs.ensembles`), its store
(:mod:`escapesim.service.store.ensembles`) and the gRPC layer. An ensemble moves through the same
states as a run (:class:`~service.store.run_record.RunState`); each of its cells (grid point × arm)
is QUEUED, RUNNING, SUCCEEDED (its tables are stored) or CANCELLED.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from escapesim.engine.ensemble import Ensemble
from escapesim.engine.frozen import FrozenMap
from escapesim.service.store.run_record import RunState, utc_now


@dataclass(frozen=True, slots=True)
class CellProgress:
    """Where one (grid point, arm) of an ensemble is."""

    point: int
    arm: str
    values: FrozenMap[float]
    state: RunState
    replicates_total: int
    replicates_done: int


@dataclass(frozen=True)
class EnsembleRun:
    """A snapshot of one ensemble.

    ``cells`` follow :meth:`escapesim.engine.ensemble.Ensemble.points` (point-major, arms in order).
    ``partial`` is true for a CANCELLED ensemble whose finished cells were summarised.
    """

    ensemble_id: str
    request_id: str | None
    state: RunState
    ensemble: Ensemble
    created_at: datetime
    updated_at: datetime
    cells: tuple[CellProgress, ...]
    error: str | None
    partial: bool

    @classmethod
    def queued(cls, ensemble_id: str, request_id: str | None, ensemble: Ensemble) -> EnsembleRun:
        """A new ensemble, every cell waiting."""
        now = utc_now()
        return cls(
            ensemble_id=ensemble_id,
            request_id=request_id,
            state=RunState.QUEUED,
            ensemble=ensemble,
            created_at=now,
            updated_at=now,
            cells=fresh_cells(ensemble),
            error=None,
            partial=False,
        )

    def moved(self, state: RunState, **changes: Any) -> EnsembleRun:
        """A copy in ``state`` (with other fields changed), stamped now."""
        return replace(self, state=state, updated_at=utc_now(), **changes)

    def with_cell(self, index: int, **changes: Any) -> EnsembleRun:
        """A copy with cell ``index`` changed (progress: ``updated_at`` is unchanged)."""
        cells = list(self.cells)
        cells[index] = replace(cells[index], **changes)
        return replace(self, cells=tuple(cells))

    @property
    def cells_done(self) -> int:
        """Cells whose tables are stored."""
        return sum(cell.state is RunState.SUCCEEDED for cell in self.cells)

    @property
    def replicates_total(self) -> int:
        """Replicates over every cell."""
        return sum(cell.replicates_total for cell in self.cells)

    @property
    def replicates_done(self) -> int:
        """Replicates finished so far over every cell."""
        return sum(cell.replicates_done for cell in self.cells)

    @property
    def has_results(self) -> bool:
        """Whether summary files exist: SUCCEEDED, or CANCELLED with partial results."""
        return self.state is RunState.SUCCEEDED or (
            self.state is RunState.CANCELLED and self.partial
        )


@dataclass(frozen=True)
class EnsembleEvent:
    """A state change or progress of an ensemble; ``sequence`` grows by one per event."""

    sequence: int
    ensemble: EnsembleRun


def fresh_cells(ensemble: Ensemble) -> tuple[CellProgress, ...]:
    """Every cell of ``ensemble``, QUEUED with nothing done."""
    values = ensemble.grid_points()
    return tuple(
        CellProgress(
            point=point,
            arm=arm.name,
            values=values[point],
            state=RunState.QUEUED,
            replicates_total=ensemble.replicates,
            replicates_done=0,
        )
        for point in range(len(values))
        for arm in ensemble.arms
    )
