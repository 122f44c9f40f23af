"""``escapesim.v1.SimulationService``: requests in, lifecycle calls, messages out.

:class:`SimulationServicer` converts requests (:mod:`escapesim.service.api.convert`), calls
the run and ensemble lifecycles (:mod:`escapesim.service.jobs`) or the live simulations
(:mod:`escapesim.service.workers.live`), and converts answers back; every domain error
becomes a gRPC status in :mod:`escapesim.service.api.errors`.

Every request first passes the message caps (:mod:`escapesim.service.api.message_caps`,
cheap: sizes only); building and validating a scenario or an ensemble then runs on a small
thread pool, never on the event loop, so that a large request cannot delay health checks
or other calls.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeAlias, TypeVar

import grpc

from escapesim import engine
from escapesim.engine import FieldViolation, Scenario, ScenarioError
from escapesim.engine.ensemble import Ensemble
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import errors, forks, message_caps
from escapesim.service.api import request_fields as fields
from escapesim.service.api.analyses import AnalysisCalls
from escapesim.service.api.convert import ensembles as ensemble_convert
from escapesim.service.api.convert import runs as convert
from escapesim.service.api.guard import PARSE_ON_LOOP, RequestStream
from escapesim.service.api.result_stream import chunks
from escapesim.service.api.sessions import SessionRoom
from escapesim.service.api.settings import Limits
from escapesim.service.jobs.analyses import AnalysisLifecycle
from escapesim.service.jobs.ensembles import EnsembleLifecycle
from escapesim.service.jobs.runs import RunLifecycle
from escapesim.service.workers.live import LiveFrame, LiveStream

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"
T = TypeVar("T")

#: GetRun answers of finished runs kept in memory (a few hundred bytes each).
_FINISHED_ANSWERS = 10_000
#: Bytes of summary JSON per message (well under the 4 MiB limit).
_SUMMARY_PIECE = 1024 * 1024
#: Threads that build and validate scenarios and ensembles (the rest of a burst waits).
VALIDATION_THREADS = 2


class SimulationServicer(AnalysisCalls):
    """``escapesim.v1.SimulationService`` (see the module doc); :meth:`close` when done.
    The analysis calls are :class:`~escapesim.service.api.analyses.AnalysisCalls`'."""

    def __init__(
        self,
        lifecycle: RunLifecycle,
        live: LiveStream,
        limits: Limits,
        ensembles: EnsembleLifecycle,
        analyses: AnalysisLifecycle,
        sessions: SessionRoom | None = None,
    ) -> None:
        self._lifecycle = lifecycle
        self._sessions = sessions or SessionRoom(limits)
        self._ensembles = ensembles
        self._analyses = analyses
        self._live = live
        self._limits = limits
        # Answers for runs in a terminal state, which can no longer change: GetRun is the
        # call clients poll, and each answer then costs a dictionary lookup instead of a
        # SQLite read and a conversion.
        self._finished: OrderedDict[str, pb.GetRunResponse] = OrderedDict()
        self._presets = pb.ListPresetsResponse(
            presets=[convert.preset_to_proto(n) for n in engine.catalog()]
        )
        self._validation = ThreadPoolExecutor(VALIDATION_THREADS, "escapesim-validate")
        self.draining = False

    def close(self) -> None:
        """Stop the validation threads (validations in progress finish)."""
        self._validation.shutdown(wait=False, cancel_futures=True)
        self._sessions.close()

    async def create_run(
        self, request: pb.CreateRunRequest, context: Context
    ) -> pb.CreateRunResponse:
        scenario = await self._scenario(request, self._limits.check_run)
        first = fields.first_replicate(request.first_replicate, scenario.replicates)
        self._refuse_if_draining()
        run = await self._lifecycle.create(scenario, request.request_id or None, first)
        return pb.CreateRunResponse(run=convert.run_to_proto(run))

    async def get_run(self, request: pb.GetRunRequest, context: Context) -> pb.GetRunResponse:
        run_id = fields.identifier("run_id", request.run_id)
        answer = self._finished.get(run_id)
        if answer is not None:
            return answer
        run = self._lifecycle.get(run_id)
        answer = pb.GetRunResponse(run=convert.run_to_proto(run))
        if run.state.terminal:
            self._finished[run_id] = answer
            if len(self._finished) > _FINISHED_ANSWERS:
                self._finished.popitem(last=False)
        return answer

    async def list_runs(self, request: pb.ListRunsRequest, context: Context) -> pb.ListRunsResponse:
        _capped(request)
        state = fields.state_filter(request.state)
        runs, token = self._lifecycle.list(request.page_size, request.page_token, state)
        return pb.ListRunsResponse(
            runs=[convert.run_to_proto(r) for r in runs], next_page_token=token
        )

    async def cancel_run(
        self, request: pb.CancelRunRequest, context: Context
    ) -> pb.CancelRunResponse:
        run = await self._lifecycle.cancel(fields.identifier("run_id", request.run_id))
        return pb.CancelRunResponse(run=convert.run_to_proto(run))

    async def watch_run(
        self, request: pb.WatchRunRequest, context: Context
    ) -> AsyncIterator[pb.WatchRunResponse]:
        after = fields.after(request.after_sequence)
        events = self._lifecycle.watch(fields.identifier("run_id", request.run_id), after)
        async for event in events:
            yield pb.WatchRunResponse(sequence=event.sequence, run=convert.run_to_proto(event.run))

    async def stream_results(
        self, request: pb.StreamResultsRequest, context: Context
    ) -> AsyncIterator[pb.StreamResultsResponse]:
        _capped(request)
        run_id = fields.identifier("run_id", request.run_id)
        wanted = fields.run_tables(request.tables)
        files = dict(zip(fields.RUN_TABLES, self._lifecycle.result_files(run_id), strict=True))
        partial = self._lifecycle.get(run_id).partial
        encoding = fields.result_encoding(request.format)
        for table in wanted:
            async for chunk in chunks(files[table], encoding=encoding):
                yield pb.StreamResultsResponse(
                    table=table, arrow_ipc=chunk.data, rows=chunk.rows, partial=partial,
                    text=chunk.text,
                )  # fmt: skip

    async def simulate(
        self, request: pb.SimulateRequest, context: Context
    ) -> AsyncIterator[pb.SimulateResponse]:
        scenario = await self._scenario(request, self._limits.check_simulate)
        self._refuse_if_draining()
        deadline = time.monotonic() + self._limits.max_simulate_seconds
        async for item in self._live.stream(scenario):
            if time.monotonic() > deadline:
                raise errors.TimeCapError(
                    f"Simulate ran longer than this server's cap of "
                    f"{self._limits.max_simulate_seconds:g} s; create a run instead"
                )
            if isinstance(item, LiveFrame):
                yield convert.frame_to_proto(item.replicate, item.t, item.values)
            else:
                yield convert.summary_to_proto(item)

    async def validate_scenario(
        self, request: pb.ValidateScenarioRequest, context: Context
    ) -> pb.ValidateScenarioResponse:
        scenario = await self._scenario(request, self._limits.check_run)
        return pb.ValidateScenarioResponse(
            scenario=convert.scenario_to_proto(scenario), samples=len(scenario.sample_times())
        )

    async def list_presets(
        self, request: pb.ListPresetsRequest, context: Context
    ) -> pb.ListPresetsResponse:
        return self._presets

    async def fork_run(self, request: pb.ForkRunRequest, context: Context) -> pb.ForkRunResponse:
        _capped(request)
        self._refuse_if_draining()
        return await forks.fork_run(self._lifecycle, request, self.off_loop)

    # -- ensembles -----------------------------------------------------------------------

    async def create_ensemble(
        self, request: pb.CreateEnsembleRequest, context: Context
    ) -> pb.CreateEnsembleResponse:
        _capped(request)
        if not request.HasField("ensemble"):
            raise errors.InvalidRequestError([FieldViolation("ensemble", "is required")])
        ensemble = await self.off_loop(self._ensemble, request.ensemble)
        self._refuse_if_draining()
        found = await self._ensembles.create(ensemble, request.request_id or None)
        return pb.CreateEnsembleResponse(ensemble=ensemble_convert.ensemble_run_to_proto(found))

    async def get_ensemble(
        self, request: pb.GetEnsembleRequest, context: Context
    ) -> pb.GetEnsembleResponse:
        found = self._ensembles.get(fields.identifier("ensemble_id", request.ensemble_id))
        return pb.GetEnsembleResponse(ensemble=ensemble_convert.ensemble_run_to_proto(found))

    async def list_ensembles(
        self, request: pb.ListEnsemblesRequest, context: Context
    ) -> pb.ListEnsemblesResponse:
        _capped(request)
        state = fields.state_filter(request.state)
        found, token = self._ensembles.list(request.page_size, request.page_token, state)
        return pb.ListEnsemblesResponse(
            ensembles=[ensemble_convert.ensemble_run_to_proto(e, with_cells=False) for e in found],
            next_page_token=token,
        )

    async def cancel_ensemble(
        self, request: pb.CancelEnsembleRequest, context: Context
    ) -> pb.CancelEnsembleResponse:
        ensemble_id = fields.identifier("ensemble_id", request.ensemble_id)
        found = await self._ensembles.cancel(ensemble_id)
        return pb.CancelEnsembleResponse(ensemble=ensemble_convert.ensemble_run_to_proto(found))

    async def watch_ensemble(
        self, request: pb.WatchEnsembleRequest, context: Context
    ) -> AsyncIterator[pb.WatchEnsembleResponse]:
        after = fields.after(request.after_sequence)
        ensemble_id = fields.identifier("ensemble_id", request.ensemble_id)
        async for event in self._ensembles.watch(ensemble_id, after):
            yield pb.WatchEnsembleResponse(
                sequence=event.sequence,
                ensemble=ensemble_convert.ensemble_run_to_proto(event.ensemble),
            )

    async def stream_ensemble_results(
        self, request: pb.StreamEnsembleResultsRequest, context: Context
    ) -> AsyncIterator[pb.StreamEnsembleResultsResponse]:
        _capped(request)
        ensemble_id = fields.identifier("ensemble_id", request.ensemble_id)
        wanted = fields.ensemble_parts(request.tables)
        encoding = fields.result_encoding(request.format)
        files = self._ensembles.result_files(ensemble_id)
        partial = self._ensembles.get(ensemble_id).partial
        for part in wanted:
            path = files[fields.ENSEMBLE_PARTS[part]]
            if part == pb.ENSEMBLE_RESULT_TABLE_SUMMARY:
                document = await asyncio.to_thread(path.read_bytes)
                for start in range(0, max(len(document), 1), _SUMMARY_PIECE):
                    yield pb.StreamEnsembleResultsResponse(
                        table=part,
                        summary_json=document[start : start + _SUMMARY_PIECE],
                        partial=partial,
                    )
                continue
            async for chunk in chunks(path, encoding=encoding):
                yield pb.StreamEnsembleResultsResponse(
                    table=part, arrow_ipc=chunk.data, rows=chunk.rows, partial=partial,
                    text=chunk.text,
                )  # fmt: skip

    async def run_session(
        self, requests: RequestStream, context: Context
    ) -> AsyncIterator[pb.RunSessionResponse]:
        self._refuse_if_draining()
        async for reply in self._sessions.run(requests):
            yield reply

    # -- helpers -------------------------------------------------------------------------

    async def off_loop(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` on the validation threads (the event loop keeps serving)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._validation, work, *args)

    async def _scenario(
        self, request: Any, caps: Callable[[Scenario], list[FieldViolation]]
    ) -> Scenario:
        _capped(request)
        if not request.HasField("scenario"):
            raise errors.InvalidRequestError([FieldViolation("scenario", "is required")])
        if request.ByteSize() <= PARSE_ON_LOOP:
            # A small scenario validates in well under a millisecond: the thread hop
            # would cost more than it saves (Simulate round trips, bench_service.py).
            return fields.built_scenario(request.scenario, caps)
        return await self.off_loop(fields.built_scenario, request.scenario, caps)

    def _ensemble(self, message: pb.EnsembleSpec) -> Ensemble:
        try:
            ensemble = ensemble_convert.ensemble_from_proto(message)
        except ScenarioError as error:
            raise errors.InvalidRequestError.nested("ensemble", error.violations) from None
        exceeded = _ensemble_caps(ensemble, self._limits)
        if exceeded:
            raise errors.InvalidRequestError.nested("ensemble", exceeded)
        return ensemble

    def _refuse_if_draining(self) -> None:
        if self.draining:
            raise errors.DrainingError("the server is shutting down; try another or retry later")


def _capped(request: Any) -> None:
    """Raise INVALID_ARGUMENT if ``request`` exceeds any message cap."""
    exceeded = message_caps.check(request)
    if exceeded:
        raise errors.InvalidRequestError(exceeded)


def _ensemble_caps(ensemble: Ensemble, limits: Limits) -> list[FieldViolation]:
    """The server's run caps applied to every cell, once per problem, as ensemble paths."""
    found: dict[str, FieldViolation] = {}
    for cell in ensemble.points():
        for problem in limits.check_run(cell.scenario):
            where = "replicates" if problem.field == "replicates" else f"scenario.{problem.field}"
            found.setdefault(where, FieldViolation(where, problem.message))
    return list(found.values())
