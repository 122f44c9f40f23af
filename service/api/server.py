"""The gRPC server: a thin servicer over the run lifecycle, plus health, reflection and auth.

:class:`SimulationServicer` converts requests (:mod:`service.api.convert.runs`), calls the run
lifecycle (:mod:`service.jobs.runs`) or the live simulations (:mod:`service.workers.live`), and
converts answers back; every domain error becomes a gRPC status in :mod:`service.api.errors`.
:class:`EscapesimServer` wires the parts together and drains them on shutdown;
:func:`serve` runs one until SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeAlias

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from escapesim import engine
from escapesim.engine import FieldViolation, Scenario, ScenarioError
from escapesim.engine.ensemble import Ensemble
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import errors, rpc
from escapesim.service.api.auth import BearerTokenInterceptor, load_tokens
from escapesim.service.api.convert import ensembles as ensemble_convert
from escapesim.service.api.convert import runs as convert
from escapesim.service.api.result_stream import chunks
from escapesim.service.api.settings import Limits, Settings
from escapesim.service.jobs.ensembles import EnsembleLifecycle
from escapesim.service.jobs.runs import RunLifecycle
from escapesim.service.store.database import Store
from escapesim.service.store.ensembles import EnsembleStore
from escapesim.service.store.run_record import RunState
from escapesim.service.workers.choice import executor_from_env
from escapesim.service.workers.live import LiveFrame, LiveSimulations

log = logging.getLogger(__name__)

Context: TypeAlias = "grpc.aio.ServicerContext[Any, Any]"

_TABLES: tuple[pb.ResultTable, ...] = (
    pb.RESULT_TABLE_TRAJECTORIES,
    pb.RESULT_TABLE_REPLICATES,
)
#: Ensemble result parts by enum value, in streaming order, with their file keys.
_ENSEMBLE_PARTS: dict[pb.EnsembleResultTable, str] = {
    pb.ENSEMBLE_RESULT_TABLE_TRAJECTORIES: "trajectories",
    pb.ENSEMBLE_RESULT_TABLE_REPLICATES: "replicates",
    pb.ENSEMBLE_RESULT_TABLE_OUTCOMES: "outcomes",
    pb.ENSEMBLE_RESULT_TABLE_BANDS: "bands",
    pb.ENSEMBLE_RESULT_TABLE_SUMMARY: "summary",
}
#: GetRun answers of finished runs kept in memory (a few hundred bytes each).
_FINISHED_ANSWERS = 10_000
#: Bytes of summary JSON per message (well under the 4 MiB limit).
_SUMMARY_PIECE = 1024 * 1024


class SimulationServicer:
    """``escapesim.v1.SimulationService``: requests in, lifecycle calls, messages out."""

    def __init__(
        self,
        lifecycle: RunLifecycle,
        live: LiveSimulations,
        limits: Limits,
        ensembles: EnsembleLifecycle,
    ) -> None:
        self._lifecycle = lifecycle
        self._ensembles = ensembles
        self._live = live
        self._limits = limits
        # Answers for runs in a terminal state, which can no longer change: GetRun is the
        # call clients poll, and each answer then costs a dictionary lookup instead of a
        # SQLite read and a conversion.
        self._finished: OrderedDict[str, pb.GetRunResponse] = OrderedDict()
        self._presets = pb.ListPresetsResponse(
            presets=[convert.preset_to_proto(n) for n in engine.catalog()]
        )
        self.draining = False

    async def create_run(
        self, request: pb.CreateRunRequest, context: Context
    ) -> pb.CreateRunResponse:
        scenario = self._scenario(request, self._limits.check_run)
        self._refuse_if_draining()
        run = await self._lifecycle.create(scenario, request.request_id or None)
        return pb.CreateRunResponse(run=convert.run_to_proto(run))

    async def get_run(self, request: pb.GetRunRequest, context: Context) -> pb.GetRunResponse:
        run_id = _run_id(request.run_id)
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
        state = _state_filter(request.state)
        runs, token = self._lifecycle.list(request.page_size, request.page_token, state)
        return pb.ListRunsResponse(
            runs=[convert.run_to_proto(r) for r in runs], next_page_token=token
        )

    async def cancel_run(
        self, request: pb.CancelRunRequest, context: Context
    ) -> pb.CancelRunResponse:
        run = await self._lifecycle.cancel(_run_id(request.run_id))
        return pb.CancelRunResponse(run=convert.run_to_proto(run))

    async def watch_run(
        self, request: pb.WatchRunRequest, context: Context
    ) -> AsyncIterator[pb.WatchRunResponse]:
        after = _after(request.after_sequence)
        events = self._lifecycle.watch(_run_id(request.run_id), after)
        async for event in events:
            yield pb.WatchRunResponse(sequence=event.sequence, run=convert.run_to_proto(event.run))

    async def stream_results(
        self, request: pb.StreamResultsRequest, context: Context
    ) -> AsyncIterator[pb.StreamResultsResponse]:
        run_id = _run_id(request.run_id)
        wanted = _tables(request.tables)
        files = dict(zip(_TABLES, self._lifecycle.result_files(run_id), strict=True))
        partial = self._lifecycle.get(run_id).partial
        for table in wanted:
            async for chunk in chunks(files[table]):
                yield pb.StreamResultsResponse(
                    table=table, arrow_ipc=chunk.data, rows=chunk.rows, partial=partial
                )

    async def simulate(
        self, request: pb.SimulateRequest, context: Context
    ) -> AsyncIterator[pb.SimulateResponse]:
        scenario = self._scenario(request, self._limits.check_simulate)
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
        scenario = self._scenario(request, self._limits.check_run)
        return pb.ValidateScenarioResponse(
            scenario=convert.scenario_to_proto(scenario), samples=len(scenario.sample_times())
        )

    async def list_presets(
        self, request: pb.ListPresetsRequest, context: Context
    ) -> pb.ListPresetsResponse:
        return self._presets

    # -- ensembles -----------------------------------------------------------------------

    async def create_ensemble(
        self, request: pb.CreateEnsembleRequest, context: Context
    ) -> pb.CreateEnsembleResponse:
        ensemble = self._ensemble(request)
        self._refuse_if_draining()
        found = await self._ensembles.create(ensemble, request.request_id or None)
        return pb.CreateEnsembleResponse(ensemble=ensemble_convert.ensemble_run_to_proto(found))

    async def get_ensemble(
        self, request: pb.GetEnsembleRequest, context: Context
    ) -> pb.GetEnsembleResponse:
        found = self._ensembles.get(_ensemble_id(request.ensemble_id))
        return pb.GetEnsembleResponse(ensemble=ensemble_convert.ensemble_run_to_proto(found))

    async def list_ensembles(
        self, request: pb.ListEnsemblesRequest, context: Context
    ) -> pb.ListEnsemblesResponse:
        state = _state_filter(request.state)
        found, token = self._ensembles.list(request.page_size, request.page_token, state)
        return pb.ListEnsemblesResponse(
            ensembles=[ensemble_convert.ensemble_run_to_proto(e, with_cells=False) for e in found],
            next_page_token=token,
        )

    async def cancel_ensemble(
        self, request: pb.CancelEnsembleRequest, context: Context
    ) -> pb.CancelEnsembleResponse:
        found = await self._ensembles.cancel(_ensemble_id(request.ensemble_id))
        return pb.CancelEnsembleResponse(ensemble=ensemble_convert.ensemble_run_to_proto(found))

    async def watch_ensemble(
        self, request: pb.WatchEnsembleRequest, context: Context
    ) -> AsyncIterator[pb.WatchEnsembleResponse]:
        after = _after(request.after_sequence)
        events = self._ensembles.watch(_ensemble_id(request.ensemble_id), after)
        async for event in events:
            yield pb.WatchEnsembleResponse(
                sequence=event.sequence,
                ensemble=ensemble_convert.ensemble_run_to_proto(event.ensemble),
            )

    async def stream_ensemble_results(
        self, request: pb.StreamEnsembleResultsRequest, context: Context
    ) -> AsyncIterator[pb.StreamEnsembleResultsResponse]:
        ensemble_id = _ensemble_id(request.ensemble_id)
        wanted = _ensemble_parts(request.tables)
        files = self._ensembles.result_files(ensemble_id)
        partial = self._ensembles.get(ensemble_id).partial
        for part in wanted:
            path = files[_ENSEMBLE_PARTS[part]]
            if part == pb.ENSEMBLE_RESULT_TABLE_SUMMARY:
                document = await asyncio.to_thread(path.read_bytes)
                for start in range(0, max(len(document), 1), _SUMMARY_PIECE):
                    yield pb.StreamEnsembleResultsResponse(
                        table=part,
                        summary_json=document[start : start + _SUMMARY_PIECE],
                        partial=partial,
                    )
                continue
            async for chunk in chunks(path):
                yield pb.StreamEnsembleResultsResponse(
                    table=part, arrow_ipc=chunk.data, rows=chunk.rows, partial=partial
                )

    # -- helpers -------------------------------------------------------------------------

    def _ensemble(self, request: pb.CreateEnsembleRequest) -> Ensemble:
        if not request.HasField("ensemble"):
            raise errors.InvalidRequestError([FieldViolation("ensemble", "is required")])
        try:
            ensemble = ensemble_convert.ensemble_from_proto(request.ensemble)
        except ScenarioError as error:
            raise errors.InvalidRequestError.nested("ensemble", error.violations) from None
        exceeded = _ensemble_caps(ensemble, self._limits)
        if exceeded:
            raise errors.InvalidRequestError.nested("ensemble", exceeded)
        return ensemble

    def _scenario(self, request: Any, caps: Callable[[Scenario], list[FieldViolation]]) -> Scenario:
        if not request.HasField("scenario"):
            raise errors.InvalidRequestError([FieldViolation("scenario", "is required")])
        try:
            scenario = convert.scenario_from_proto(request.scenario)
        except ScenarioError as error:
            raise errors.InvalidRequestError.nested("scenario", error.violations) from None
        exceeded = caps(scenario)
        if exceeded:
            raise errors.InvalidRequestError.nested("scenario", exceeded)
        return scenario

    def _refuse_if_draining(self) -> None:
        if self.draining:
            raise errors.DrainingError("the server is shutting down; try another or retry later")


def _run_id(value: str) -> str:
    if not value:
        raise errors.InvalidRequestError([FieldViolation("run_id", "is required")])
    return value


def _state_filter(value: int) -> RunState | None:
    """The state a List call filters on (``None``: every state)."""
    try:
        return convert.state_from_proto(value)
    except ValueError:
        raise errors.InvalidRequestError([FieldViolation("state", "is not a RunState")]) from None


def _after(sequence: int) -> int:
    """A Watch call's ``after_sequence``, checked."""
    if sequence < 0:
        raise errors.InvalidRequestError([FieldViolation("after_sequence", "must be >= 0")])
    return sequence


def _ensemble_id(value: str) -> str:
    if not value:
        raise errors.InvalidRequestError([FieldViolation("ensemble_id", "is required")])
    return value


def _ensemble_parts(requested: Any) -> tuple[pb.EnsembleResultTable, ...]:
    if not requested:
        return tuple(_ENSEMBLE_PARTS)
    unknown = [i for i, t in enumerate(requested) if t not in _ENSEMBLE_PARTS]
    if unknown:
        raise errors.InvalidRequestError(
            [FieldViolation(f"tables[{i}]", "is not an ensemble result table") for i in unknown]
        )
    return tuple(requested)


def _ensemble_caps(ensemble: Ensemble, limits: Limits) -> list[FieldViolation]:
    """The server's run caps applied to every cell, once per problem, as ensemble paths."""
    found: dict[str, FieldViolation] = {}
    for cell in ensemble.points():
        for problem in limits.check_run(cell.scenario):
            where = "replicates" if problem.field == "replicates" else f"scenario.{problem.field}"
            found.setdefault(where, FieldViolation(where, problem.message))
    return list(found.values())


def _tables(requested: Any) -> tuple[pb.ResultTable, ...]:
    if not requested:
        return _TABLES
    unknown = [i for i, t in enumerate(requested) if t not in _TABLES]
    if unknown:
        raise errors.InvalidRequestError(
            [FieldViolation(f"tables[{i}]", "must be TRAJECTORIES or REPLICATES") for i in unknown]
        )
    return tuple(requested)


# -- error guards: every handler's domain errors become statuses ---------------------------


def _guarded(method: Callable[..., Any], streaming: bool) -> Callable[..., Any]:
    if streaming:

        async def stream(request: Any, context: Context) -> AsyncIterator[Any]:
            try:
                async for item in method(request, context):
                    yield item
            except grpc.aio.AbortError:
                raise
            except Exception as error:
                await _abort(context, error)

        return stream

    async def unary(request: Any, context: Context) -> Any:
        try:
            return await method(request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as error:
            await _abort(context, error)

    return unary


async def _abort(context: Context, error: Exception) -> None:
    status = errors.status_of(error)
    await context.abort(status.code, status.details, status.trailing_metadata)


def _implementations(servicer: SimulationServicer) -> dict[str, Callable[..., Any]]:
    return {
        m.name: _guarded(getattr(servicer, m.python_name), m.server_streaming) for m in rpc.METHODS
    }


# -- the server ----------------------------------------------------------------------------


class EscapesimServer:
    """A configured server: :meth:`start`, then :meth:`stop` (drains) once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.address = ""
        self._server: grpc.aio.Server | None = None
        self._store: Store | None = None
        self._lifecycle: RunLifecycle | None = None
        self._ensembles: EnsembleLifecycle | None = None
        self._live: LiveSimulations | None = None
        self._servicer: SimulationServicer | None = None
        self._health = health.aio.HealthServicer()

    async def start(self) -> str:
        """Open the store, recover runs, listen; returns the bound ``HOST:PORT``."""
        settings = self.settings
        interceptors = []
        if settings.tokens_file is not None:
            interceptors.append(BearerTokenInterceptor(load_tokens(settings.tokens_file)))
        settings.data.mkdir(parents=True, exist_ok=True)
        self._store = Store(settings.data)
        executor = executor_from_env(settings.workers)  # ESCAPESIM_EXECUTOR: local or dask
        self._lifecycle = RunLifecycle(
            self._store,
            executor,
            max_concurrent=settings.max_concurrent_runs,
            max_queued=settings.max_queued_runs,
        )
        await self._lifecycle.start()
        # Ensembles share the executor (the run lifecycle starts and closes it).
        self._ensembles = EnsembleLifecycle(
            EnsembleStore(self._store),
            executor,
            max_concurrent=settings.max_concurrent_runs,
            max_queued=settings.max_queued_runs,
        )
        await self._ensembles.start()
        self._live = LiveSimulations(settings.simulate_workers)
        self._live.warm()
        self._servicer = SimulationServicer(
            self._lifecycle, self._live, settings.limits, self._ensembles
        )
        limit = settings.limits.max_message_bytes
        server = grpc.aio.server(
            interceptors=interceptors,
            options=[
                ("grpc.max_receive_message_length", limit),
                ("grpc.so_reuseport", 0),
            ],
        )
        server.add_generic_rpc_handlers((rpc.generic_handler(_implementations(self._servicer)),))
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        reflection.enable_server_reflection(
            (rpc.SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server
        )
        port = self._listen(server)
        self._server = server
        await server.start()
        for name in ("", rpc.SERVICE_NAME):
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        host = settings.addr.rpartition(":")[0]
        self.address = f"{host}:{port}"
        log.info("serving escapesim.v1 on %s (data in %s)", self.address, settings.data)
        return self.address

    async def stop(self) -> None:
        """Drain: NOT_SERVING, refuse new work, give runs the grace period, then close."""
        for name in ("", rpc.SERVICE_NAME):
            await self._health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        if self._servicer is not None:
            self._servicer.draining = True
        grace = self.settings.drain_seconds
        started = time.monotonic()
        if self._ensembles is not None:
            # First: ensembles use the executor the run lifecycle closes when it drains.
            # Runs keep simulating meanwhile, so they get what is left of the grace.
            await self._ensembles.drain(grace)
        if self._lifecycle is not None:
            await self._lifecycle.drain(max(grace - (time.monotonic() - started), 0.0))
        if self._server is not None:
            # Watchers and result streams still open get a moment, then are cut.
            await self._server.stop(grace=min(grace, 2.0))
        if self._live is not None:
            await self._live.close()
        if self._store is not None:
            self._store.close()
        log.info("stopped")

    def _listen(self, server: grpc.aio.Server) -> int:
        settings = self.settings
        if settings.tls_cert is None or settings.tls_key is None:
            port = server.add_insecure_port(settings.addr)
        else:
            credentials = grpc.ssl_server_credentials(
                [(settings.tls_key.read_bytes(), settings.tls_cert.read_bytes())]
            )
            port = server.add_secure_port(settings.addr, credentials)
        if port == 0:
            raise OSError(f"cannot listen on {settings.addr}")
        return port


async def serve(settings: Settings, *, ready: Callable[[str], None] | None = None) -> None:
    """Run a server until SIGTERM or SIGINT, then drain it; ``ready`` gets the address."""
    server = EscapesimServer(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        address = await server.start()
        if ready is not None:
            ready(address)
        await stop.wait()
        log.info("draining (grace %.1f s)", settings.drain_seconds)
    finally:
        # The handlers stay during the drain: a repeated signal must not kill it halfway.
        try:
            await server.stop()
        finally:
            for signum in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(Exception):
                    loop.remove_signal_handler(signum)


def announce(address: str) -> None:
    """Print the bound address on stdout (test harnesses read it to find the port)."""
    print(f"escapesim serving on {address}", file=sys.stdout, flush=True)
