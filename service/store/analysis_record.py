"""The analysis resource: a calibration or a sensitivity analysis queued, computed, stored.

Plain values shared by the analysis lifecycle (:mod:`escapesim.service.jobs.analyses`), its
store (:mod:`escapesim.service.store.analyses`) and the gRPC layer. An analysis moves
through the states of a run (:class:`~escapesim.service.store.run_record.RunState`). Its
specification is kept in its request's mapping form (:class:`AnalysisRequest`): the form
the engine validates, stored as JSON and validated again when a restart re-runs it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from escapesim.service.store.run_record import RunState, utc_now

#: The kinds of analysis.
CALIBRATION, SENSITIVITY = "calibration", "sensitivity"
KINDS = (CALIBRATION, SENSITIVITY)


@dataclass(frozen=True)
class AnalysisRequest:
    """What an analysis computes: its ``kind``, the spec's mapping (the calibration or
    sensitivity file's form) and, for a calibration, the measurement table's rows."""

    kind: str
    spec: dict[str, Any]
    measurements: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> str:
        """The canonical stored form (also what two requests are compared by)."""
        document = {"kind": self.kind, "spec": self.spec, "measurements": list(self.measurements)}
        return json.dumps(document, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> AnalysisRequest:
        """The request of :meth:`to_json`'s text."""
        document = json.loads(raw)
        return cls(
            kind=str(document["kind"]),
            spec=dict(document["spec"]),
            measurements=tuple(dict(row) for row in document.get("measurements", [])),
        )


@dataclass(frozen=True)
class AnalysisRun:
    """A snapshot of one analysis; ``evaluations_total`` is 0 where it is not known ahead
    (a calibration's candidates depend on its acceptance rates)."""

    analysis_id: str
    request_id: str | None
    state: RunState
    request: AnalysisRequest
    created_at: datetime
    updated_at: datetime
    error: str | None = None
    generations_done: int = 0
    evaluations_done: int = 0
    evaluations_total: int = 0

    @classmethod
    def queued(
        cls, analysis_id: str, request_id: str | None, request: AnalysisRequest, total: int
    ) -> AnalysisRun:
        """A new analysis, nothing done."""
        now = utc_now()
        return cls(
            analysis_id=analysis_id, request_id=request_id, state=RunState.QUEUED,
            request=request, created_at=now, updated_at=now, evaluations_total=total,
        )  # fmt: skip

    def moved(self, state: RunState, **changes: Any) -> AnalysisRun:
        """A copy in ``state`` (with other fields changed), stamped now."""
        return replace(self, state=state, updated_at=utc_now(), **changes)

    def progressed(self, **changes: Any) -> AnalysisRun:
        """A copy with progress changed (``updated_at`` is unchanged)."""
        return replace(self, **changes)

    @property
    def kind(self) -> str:
        """``calibration`` or ``sensitivity``."""
        return self.request.kind

    @property
    def has_results(self) -> bool:
        """Whether result files exist: only a SUCCEEDED analysis has them (a stopped
        ABC-SMC or a design missing sets has no meaningful partial answer)."""
        return self.state is RunState.SUCCEEDED


@dataclass(frozen=True)
class AnalysisEvent:
    """A state change or progress of an analysis; ``sequence`` grows by one per event."""

    sequence: int
    analysis: AnalysisRun
