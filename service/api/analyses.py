"""The SimulationService's analysis calls: calibrations and sensitivity analyses.

:class:`AnalysisCalls` is a part of :class:`~escapesim.service.api.servicer.SimulationServicer`
(which inherits it): requests in, :class:`~escapesim.service.jobs.analyses.AnalysisLifecycle`
calls, messages out, with the servicer's caps, validation threads and drain refusal. A
spec is validated off the event loop by the engine's own checks (the files' rules), its
violations renamed to the message's paths (``analysis.calibration.measurements[2].time``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from escapesim.engine import FieldViolation, Scenario, ScenarioError
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import errors, message_caps
from escapesim.service.api import request_fields as fields
from escapesim.service.api.convert import analyses as convert
from escapesim.service.api.result_stream import chunks
from escapesim.service.api.settings import Limits
from escapesim.service.jobs import analysis_work
from escapesim.service.jobs.analyses import AnalysisLifecycle
from escapesim.service.store.analysis_record import CALIBRATION, AnalysisRequest

#: Result parts by kind, in streaming order, and each part's file name in the store.
PARTS: dict[str, dict[pb.AnalysisResultTable, str]] = {
    "calibration": {
        pb.ANALYSIS_RESULT_TABLE_PARTICLES: "particles",
        pb.ANALYSIS_RESULT_TABLE_GENERATIONS: "generations",
        pb.ANALYSIS_RESULT_TABLE_PREDICTIVE: "predictive",
        pb.ANALYSIS_RESULT_TABLE_SUMMARY: "summary",
    },
    "sensitivity": {
        pb.ANALYSIS_RESULT_TABLE_DESIGN: "design",
        pb.ANALYSIS_RESULT_TABLE_INDICES: "indices",
        pb.ANALYSIS_RESULT_TABLE_SUMMARY: "summary",
    },
}
#: Bytes of summary JSON per message (well under the 4 MiB limit).
_SUMMARY_PIECE = 1024 * 1024


class AnalysisCalls:
    """CreateAnalysis … StreamAnalysisResults (see the module doc)."""

    _analyses: AnalysisLifecycle
    _limits: Limits

    # The servicer's: its validation threads, and its refusal while draining.
    off_loop: Callable[..., Awaitable[Any]]
    _refuse_if_draining: Callable[[], None]

    async def create_analysis(
        self, request: pb.CreateAnalysisRequest, context: Any
    ) -> pb.CreateAnalysisResponse:
        _capped(request)
        if request.analysis.WhichOneof("kind") is None:
            raise errors.InvalidRequestError(
                [FieldViolation("analysis", "must hold a calibration or a sensitivity spec")]
            )
        found, total = await self.off_loop(_validated, request.analysis, self._limits)
        self._refuse_if_draining()
        run = await self._analyses.create(found, request.request_id or None, total)
        return pb.CreateAnalysisResponse(analysis=convert.analysis_to_proto(run))

    async def get_analysis(
        self, request: pb.GetAnalysisRequest, context: Any
    ) -> pb.GetAnalysisResponse:
        run = self._analyses.get(fields.identifier("analysis_id", request.analysis_id))
        return pb.GetAnalysisResponse(analysis=convert.analysis_to_proto(run))

    async def list_analyses(
        self, request: pb.ListAnalysesRequest, context: Any
    ) -> pb.ListAnalysesResponse:
        _capped(request)
        state = fields.state_filter(request.state)
        found, token = self._analyses.list(request.page_size, request.page_token, state)
        return pb.ListAnalysesResponse(
            analyses=[convert.analysis_to_proto(a, with_measurements=False) for a in found],
            next_page_token=token,
        )

    async def cancel_analysis(
        self, request: pb.CancelAnalysisRequest, context: Any
    ) -> pb.CancelAnalysisResponse:
        analysis_id = fields.identifier("analysis_id", request.analysis_id)
        run = await self._analyses.cancel(analysis_id)
        return pb.CancelAnalysisResponse(analysis=convert.analysis_to_proto(run))

    async def watch_analysis(
        self, request: pb.WatchAnalysisRequest, context: Any
    ) -> AsyncIterator[pb.WatchAnalysisResponse]:
        after = fields.after(request.after_sequence)
        analysis_id = fields.identifier("analysis_id", request.analysis_id)
        async for event in self._analyses.watch(analysis_id, after):
            yield pb.WatchAnalysisResponse(
                sequence=event.sequence, analysis=convert.analysis_to_proto(event.analysis)
            )

    async def stream_analysis_results(
        self, request: pb.StreamAnalysisResultsRequest, context: Any
    ) -> AsyncIterator[pb.StreamAnalysisResultsResponse]:
        _capped(request)
        analysis_id = fields.identifier("analysis_id", request.analysis_id)
        encoding = fields.result_encoding(request.format)
        kind = self._analyses.get(analysis_id).kind
        wanted = _parts(request.tables, kind)
        files = self._analyses.result_files(analysis_id)
        for part in wanted:
            path = files[PARTS[kind][part]]
            if part == pb.ANALYSIS_RESULT_TABLE_SUMMARY:
                document = await asyncio.to_thread(path.read_bytes)
                for start in range(0, max(len(document), 1), _SUMMARY_PIECE):
                    yield pb.StreamAnalysisResultsResponse(
                        table=part, summary_json=document[start : start + _SUMMARY_PIECE]
                    )
                continue
            async for chunk in chunks(path, encoding=encoding):
                yield pb.StreamAnalysisResultsResponse(
                    table=part, arrow_ipc=chunk.data, rows=chunk.rows, text=chunk.text
                )


def _capped(request: Any) -> None:
    exceeded = message_caps.check(request)
    if exceeded:
        raise errors.InvalidRequestError(exceeded)


def _validated(message: pb.AnalysisSpec, limits: Limits) -> tuple[AnalysisRequest, int]:
    """The request of ``message``, validated as the files are, and within the server's
    run caps (its base scenario) and its cap of simulations, with the parameter sets it
    will evaluate if known; raises INVALID_ARGUMENT naming the message's fields."""
    found = convert.request_of(message)
    try:
        cost = analysis_work.plan(found)
        base = Scenario.from_dict(found.spec["scenario"])
    except ScenarioError as error:
        raise errors.InvalidRequestError(convert.renamed(message, error.violations)) from None
    exceeded = limits.check_run(base)
    if exceeded:
        where = f"analysis.{found.kind}.scenario"
        raise errors.InvalidRequestError.nested(where, exceeded)
    over = limits.check_analysis(cost.budget, cost.budget_field)
    if over:
        raise errors.InvalidRequestError.nested(f"analysis.{found.kind}", over)
    return found, cost.sets


def _parts(requested: Any, kind: str) -> tuple[pb.AnalysisResultTable, ...]:
    """The parts a StreamAnalysisResults call asks for (all of the kind when none)."""
    offered = PARTS[kind]
    wanted = list(requested)
    if not wanted:
        return tuple(offered)
    other = "sensitivity" if kind == CALIBRATION else "calibration"
    unknown = [i for i, t in enumerate(wanted) if t not in offered]
    if unknown:
        raise errors.InvalidRequestError(
            [FieldViolation(f"tables[{i}]", f"is not a {kind} result (a {other} table?)")
             for i in unknown]
        )  # fmt: skip
    return tuple(wanted)
