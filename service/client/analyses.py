"""The client's analysis calls: calibrations and sensitivity analyses on a server.

:class:`AnalysisCalls` is a part of :class:`~escapesim.service.client.calls.Client` (which
inherits it). A calibration is given as the calibration file's mapping (its ``scenario`` a
mapping) with the measurement table's rows (PEtab's column names, as ``petab`` reads
them); a sensitivity analysis as the sensitivity file's mapping. They travel as typed
messages, so the server never needs the client's files.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyarrow as pa

from escapesim.engine import FieldViolation, ScenarioError
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api.convert import analyses as analysis_convert
from escapesim.service.api.convert import runs as convert
from escapesim.service.client.following import pages, wait_final
from escapesim.service.client.requests import page_fields
from escapesim.service.store.analysis_record import CALIBRATION, SENSITIVITY, AnalysisRequest
from escapesim.service.store.run_record import RunState

#: Result tables by the names :meth:`AnalysisCalls.analysis_result_tables` accepts.
ANALYSIS_TABLES = {
    "particles": pb.ANALYSIS_RESULT_TABLE_PARTICLES,
    "generations": pb.ANALYSIS_RESULT_TABLE_GENERATIONS,
    "predictive": pb.ANALYSIS_RESULT_TABLE_PREDICTIVE,
    "design": pb.ANALYSIS_RESULT_TABLE_DESIGN,
    "indices": pb.ANALYSIS_RESULT_TABLE_INDICES,
}
#: The tables of each kind.
KIND_TABLES = {
    CALIBRATION: ("particles", "generations", "predictive"),
    SENSITIVITY: ("design", "indices"),
}


@dataclass(frozen=True, slots=True)
class AnalysisInfo:
    """An analysis as the server reported it (``kind``: calibration or sensitivity)."""

    analysis_id: str
    request_id: str | None
    state: RunState
    kind: str
    created_at: datetime
    updated_at: datetime
    error: str | None
    generations_done: int
    evaluations_done: int
    evaluations_total: int

    @property
    def terminal(self) -> bool:
        """Whether the analysis can no longer change."""
        return self.state.terminal

    @classmethod
    def of(cls, message: pb.Analysis) -> AnalysisInfo:
        """The analysis of an ``Analysis`` message."""
        state = convert.state_from_proto(message.state)
        if state is None:
            raise ValueError(f"analysis {message.analysis_id} came without a state")
        return cls(
            analysis_id=message.analysis_id, request_id=message.request_id or None,
            state=state, kind=str(message.spec.WhichOneof("kind")),
            created_at=message.create_time.ToDatetime().astimezone(),
            updated_at=message.update_time.ToDatetime().astimezone(),
            error=message.error or None, generations_done=message.generations_done,
            evaluations_done=message.evaluations_done,
            evaluations_total=message.evaluations_total,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class AnalysisUpdate:
    """One event of :meth:`AnalysisCalls.watch_analysis`; pass ``sequence`` back."""

    sequence: int
    analysis: AnalysisInfo


def analysis_message(
    kind: str, spec: Mapping[str, Any], measurements: Sequence[Mapping[str, Any]] = ()
) -> pb.AnalysisSpec:
    """The ``AnalysisSpec`` of a calibration (``spec`` and its table's ``measurements``)
    or a sensitivity file's mapping; raises ``ScenarioError`` where a mapping does not fit
    the messages (the server checks the values)."""
    if kind not in (CALIBRATION, SENSITIVITY):
        raise ScenarioError([FieldViolation("kind", "must be calibration or sensitivity")])
    rows = tuple(_row(i, row) for i, row in enumerate(measurements))
    try:
        return analysis_convert.spec_message(AnalysisRequest(kind, dict(spec), rows))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ScenarioError([FieldViolation(kind, f"does not fit the message: {error}")]) from None


def _row(index: int, row: Mapping[str, Any]) -> dict[str, Any]:
    """A table row without its empty cells (pandas reads them as NaN)."""
    found: dict[str, Any] = {}
    for key, value in row.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if key in ("time", "measurement", "noiseParameters"):
            try:
                value = float(value)
            except (TypeError, ValueError):
                where = f"measurements[{index}].{key}"
                raise ScenarioError([FieldViolation(where, "must be a number")]) from None
        elif key in ("observableId", "simulationConditionId", "replicateId"):
            value = str(value)
        else:
            continue  # PEtab's other columns (datasetId, ...) do not change the fit
        found[key] = value
    return found


class AnalysisCalls:
    """The analysis calls of :class:`~escapesim.service.client.calls.Client`."""

    _call: Callable[[str, Any], Any]
    _stream: Callable[[str, Any, float | None], Iterator[Any]]
    _tables: Callable[..., dict[str, pa.Table]]

    def create_analysis(
        self, kind: str, spec: Mapping[str, Any], measurements: Sequence[Mapping[str, Any]] = (),
        *, request_id: str | None = None,
    ) -> AnalysisInfo:  # fmt: skip
        """Queue a calibration or a sensitivity analysis (see :func:`analysis_message`);
        the same ``request_id`` returns the first analysis. A bad spec raises
        ``ServiceError`` INVALID_ARGUMENT naming ``analysis.calibration.priors[0].low``."""
        request = pb.CreateAnalysisRequest(
            analysis=analysis_message(kind, spec, measurements), request_id=request_id or ""
        )
        return AnalysisInfo.of(self._call("CreateAnalysis", request).analysis)

    def get_analysis(self, analysis_id: str) -> AnalysisInfo:
        """The analysis now, with its progress."""
        request = pb.GetAnalysisRequest(analysis_id=analysis_id)
        return AnalysisInfo.of(self._call("GetAnalysis", request).analysis)

    def list_analyses(
        self, *, page_size: int = 0, page_token: str = "", state: RunState | None = None
    ) -> tuple[list[AnalysisInfo], str]:
        """One page of analyses, newest first, and the next page's token."""
        request = pb.ListAnalysesRequest(**page_fields(page_size, page_token, state))
        reply = self._call("ListAnalyses", request)
        return [AnalysisInfo.of(a) for a in reply.analyses], reply.next_page_token

    def iter_analyses(
        self, *, state: RunState | None = None, page_size: int = 0
    ) -> Iterator[AnalysisInfo]:
        """Every analysis, newest first, page after page."""
        return pages(self.list_analyses, state, page_size)

    def cancel_analysis(self, analysis_id: str) -> AnalysisInfo:
        """Cancel an analysis (it ends CANCELLED, without results)."""
        request = pb.CancelAnalysisRequest(analysis_id=analysis_id)
        return AnalysisInfo.of(self._call("CancelAnalysis", request).analysis)

    def watch_analysis(
        self, analysis_id: str, *, after: int = 0, timeout: float | None = None
    ) -> Iterator[AnalysisUpdate]:
        """State changes and progress until the analysis ends; resume with ``after``."""
        request = pb.WatchAnalysisRequest(analysis_id=analysis_id, after_sequence=after)
        for reply in self._stream("WatchAnalysis", request, timeout):
            yield AnalysisUpdate(reply.sequence, AnalysisInfo.of(reply.analysis))

    def wait_analysis(
        self, analysis_id: str, *, timeout: float | None = None,
        on_update: Callable[[AnalysisInfo], None] | None = None,
    ) -> AnalysisInfo:  # fmt: skip
        """Watch (resuming as needed) until the analysis reaches a final state."""

        def follow(after: int, remaining: float | None) -> Iterator[tuple[int, AnalysisInfo]]:
            for update in self.watch_analysis(analysis_id, after=after, timeout=remaining):
                yield update.sequence, update.analysis

        return wait_final(
            lambda: self.get_analysis(analysis_id), follow, f"analysis {analysis_id}", timeout,
            on_update,
        )  # fmt: skip

    def analysis_result_tables(
        self, analysis_id: str, tables: Sequence[str]
    ) -> dict[str, pa.Table]:
        """A finished analysis's tables as Arrow tables, by name (:data:`KIND_TABLES`)."""
        return self._tables(
            "StreamAnalysisResults",
            lambda kinds: pb.StreamAnalysisResultsRequest(analysis_id=analysis_id, tables=kinds),
            ANALYSIS_TABLES,
            tables,
        )

    def analysis_summary(self, analysis_id: str) -> dict[str, Any]:
        """A finished analysis's summary document."""
        request = pb.StreamAnalysisResultsRequest(
            analysis_id=analysis_id, tables=[pb.ANALYSIS_RESULT_TABLE_SUMMARY]
        )
        data = b"".join(c.summary_json for c in self._stream("StreamAnalysisResults", request,
                                                             None))  # fmt: skip
        document: dict[str, Any] = json.loads(data)
        return document
