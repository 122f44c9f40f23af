"""A typed Python client for an escapesim server; no stubs or protobuf in its API.

    from escapesim.service.client import Client

    with Client("127.0.0.1:50051") as client:
        run = client.create_run({"preset": "kuznetsov1994", "horizon_days": 30})
        final = client.wait(run.run_id)
        frame = client.results(run.run_id)       # pandas DataFrame: replicate, t, E, T

Scenarios may be given as an :class:`engine.Scenario`, as the scenario file's mapping
(what ``yaml.safe_load`` of a scenario file returns), or as a ``Scenario`` message. Every
failed call raises :class:`ServiceError` with the gRPC code and, for a bad scenario, the
field violations (paths relative to the request, e.g. ``scenario.horizon_days``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pandas as pd
import pyarrow as pa
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from escapesim.engine import FieldViolation, Frame, OutcomeKind, Scenario
from escapesim.engine.ensemble import Ensemble
from escapesim.engine.frozen import FrozenMap
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import rpc
from escapesim.service.api.convert import ensembles as ensemble_convert
from escapesim.service.api.convert import runs as convert
from escapesim.service.api.errors import violations_of
from escapesim.service.api.result_stream import decode
from escapesim.service.store.run_record import RunState

ScenarioLike = Scenario | Mapping[str, Any] | pb.Scenario
EnsembleLike = Ensemble | Mapping[str, Any] | pb.EnsembleSpec
T = TypeVar("T")

#: Result tables by the names :meth:`Client.results` accepts.
TABLES = {
    "trajectories": pb.RESULT_TABLE_TRAJECTORIES,
    "replicates": pb.RESULT_TABLE_REPLICATES,
}

#: Ensemble result tables by the names :meth:`Client.ensemble_result_tables` accepts.
ENSEMBLE_TABLES = {
    "trajectories": pb.ENSEMBLE_RESULT_TABLE_TRAJECTORIES,
    "replicates": pb.ENSEMBLE_RESULT_TABLE_REPLICATES,
    "outcomes": pb.ENSEMBLE_RESULT_TABLE_OUTCOMES,
    "bands": pb.ENSEMBLE_RESULT_TABLE_BANDS,
}


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


class Client:
    """A connection to one server. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        target: str,
        *,
        token: str | None = None,
        tls_ca: Path | bytes | None = None,
        timeout: float = 30.0,
        max_message_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        """``target`` is ``HOST:PORT``; ``token`` a bearer token; ``tls_ca`` the PEM of
        the CA that signed the server certificate (turns TLS on); ``timeout`` the default
        deadline in seconds of unary calls (streams have none unless given)."""
        options = [("grpc.max_receive_message_length", max_message_bytes)]
        if tls_ca is None:
            self._channel = grpc.insecure_channel(target, options=options)
        else:
            pem = tls_ca.read_bytes() if isinstance(tls_ca, Path) else tls_ca
            credentials = grpc.ssl_channel_credentials(root_certificates=pem)
            self._channel = grpc.secure_channel(target, credentials, options=options)
        self._calls = rpc.callables(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self.timeout = timeout
        self.target = target

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the channel (calls in progress end CANCELLED)."""
        self._channel.close()

    # -- health --------------------------------------------------------------------------

    def health(self, service: str = "") -> str:
        """The health status name (``SERVING``, ``NOT_SERVING``) of the server or a service."""
        reply = self._unary(
            self._health.Check, health_pb2.HealthCheckRequest(service=service), None
        )
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until the server answers SERVING; raises ``TimeoutError`` otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.health() == "SERVING":
                    return
            except ServiceError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.target} not SERVING after {timeout:g} s")
            time.sleep(0.05)

    # -- runs ----------------------------------------------------------------------------

    def create_run(self, scenario: ScenarioLike, *, request_id: str | None = None) -> RunInfo:
        """Queue a run; a retry with the same ``request_id`` returns the same run."""
        request = pb.CreateRunRequest(
            scenario=scenario_message(scenario), request_id=request_id or ""
        )
        return RunInfo.of(self._call("CreateRun", request).run)

    def get_run(self, run_id: str) -> RunInfo:
        """The run now."""
        return RunInfo.of(self._call("GetRun", pb.GetRunRequest(run_id=run_id)).run)

    def list_runs(
        self, *, page_size: int = 0, page_token: str = "", state: RunState | None = None
    ) -> tuple[list[RunInfo], str]:
        """One page of runs, newest first, and the next page's token ("" on the last)."""
        request = pb.ListRunsRequest(
            page_size=page_size,
            page_token=page_token,
            state=convert.state_to_proto(state) if state else pb.RUN_STATE_UNSPECIFIED,
        )
        reply = self._call("ListRuns", request)
        return [RunInfo.of(r) for r in reply.runs], reply.next_page_token

    def iter_runs(self, *, state: RunState | None = None, page_size: int = 0) -> Iterator[RunInfo]:
        """Every run, newest first, page after page."""
        token = ""
        while True:
            runs, token = self.list_runs(page_size=page_size, page_token=token, state=state)
            yield from runs
            if not token:
                return

    def cancel_run(self, run_id: str) -> RunInfo:
        """Cancel a run (best effort); returns the run once it stopped or after a while."""
        return RunInfo.of(self._call("CancelRun", pb.CancelRunRequest(run_id=run_id)).run)

    def watch(
        self, run_id: str, *, after: int = 0, timeout: float | None = None
    ) -> Iterator[RunUpdate]:
        """State changes and progress until the run ends; resume with ``after=sequence``.

        Stopping the iteration (``break``, closing the generator) never affects the run.
        """
        request = pb.WatchRunRequest(run_id=run_id, after_sequence=after)
        for reply in self._stream("WatchRun", request, timeout):
            yield RunUpdate(reply.sequence, RunInfo.of(reply.run))

    def wait(self, run_id: str, *, timeout: float | None = None) -> RunInfo:
        """Watch until the run reaches a final state and return it.

        A watch that ends early (the server restarting) is resumed after the last event
        seen; past ``timeout`` seconds, :class:`ServiceError` DEADLINE_EXCEEDED.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        run, after = self.get_run(run_id), 0
        while not run.terminal:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise ServiceError(
                    grpc.StatusCode.DEADLINE_EXCEEDED, f"run {run_id} still {run.state}"
                )
            for update in self.watch(run_id, after=after, timeout=remaining):
                run, after = update.run, update.sequence
            if not run.terminal:
                time.sleep(0.1)  # the stream ended before the run: look again, then resume
                run = self.get_run(run_id)
        return run

    def result_tables(
        self, run_id: str, tables: Sequence[str] = ("trajectories", "replicates")
    ) -> dict[str, pa.Table]:
        """The run's result tables as Arrow tables, by name."""
        unknown = [t for t in tables if t not in TABLES]
        if unknown:
            raise ValueError(f"unknown tables {unknown}; choose from {sorted(TABLES)}")
        request = pb.StreamResultsRequest(run_id=run_id, tables=[TABLES[t] for t in tables])
        pieces: dict[int, list[pa.Table]] = {TABLES[t]: [] for t in tables}
        for chunk in self._stream("StreamResults", request, None):
            pieces[chunk.table].append(decode(chunk.arrow_ipc))
        return {name: pa.concat_tables(pieces[TABLES[name]]) for name in tables}

    def results(self, run_id: str, table: str = "trajectories") -> pd.DataFrame:
        """One result table of a run as a DataFrame (``trajectories`` or ``replicates``)."""
        return self.result_tables(run_id, (table,))[table].to_pandas()

    # -- ensembles -----------------------------------------------------------------------

    def create_ensemble(
        self, ensemble: EnsembleLike, *, request_id: str | None = None
    ) -> EnsembleInfo:
        """Queue an ensemble (an :class:`~escapesim.engine.ensemble.Ensemble`, the ensemble file's
        mapping or an ``EnsembleSpec``); a retry with the same ``request_id`` returns the
        same ensemble. A bad ensemble raises :class:`ServiceError` INVALID_ARGUMENT with
        paths like ``ensemble.grid[0].values[2]`` (a mapping is first checked here and
        raises :class:`engine.ScenarioError` with the file's paths)."""
        request = pb.CreateEnsembleRequest(
            ensemble=ensemble_message(ensemble), request_id=request_id or ""
        )
        return EnsembleInfo.of(self._call("CreateEnsemble", request).ensemble)

    def get_ensemble(self, ensemble_id: str) -> EnsembleInfo:
        """The ensemble now, with every cell's progress."""
        request = pb.GetEnsembleRequest(ensemble_id=ensemble_id)
        return EnsembleInfo.of(self._call("GetEnsemble", request).ensemble)

    def list_ensembles(
        self, *, page_size: int = 0, page_token: str = "", state: RunState | None = None
    ) -> tuple[list[EnsembleInfo], str]:
        """One page of ensembles, newest first, and the next page's token ("" on the last)."""
        request = pb.ListEnsemblesRequest(
            page_size=page_size,
            page_token=page_token,
            state=convert.state_to_proto(state) if state else pb.RUN_STATE_UNSPECIFIED,
        )
        reply = self._call("ListEnsembles", request)
        return [EnsembleInfo.of(e) for e in reply.ensembles], reply.next_page_token

    def cancel_ensemble(self, ensemble_id: str) -> EnsembleInfo:
        """Cancel an ensemble; finished cells are kept and the results marked partial."""
        request = pb.CancelEnsembleRequest(ensemble_id=ensemble_id)
        return EnsembleInfo.of(self._call("CancelEnsemble", request).ensemble)

    def watch_ensemble(
        self, ensemble_id: str, *, after: int = 0, timeout: float | None = None
    ) -> Iterator[EnsembleUpdate]:
        """State changes and per-cell progress until the ensemble ends; resume with
        ``after=sequence``. Stopping the iteration never affects the ensemble."""
        request = pb.WatchEnsembleRequest(ensemble_id=ensemble_id, after_sequence=after)
        for reply in self._stream("WatchEnsemble", request, timeout):
            yield EnsembleUpdate(reply.sequence, EnsembleInfo.of(reply.ensemble))

    def wait_ensemble(self, ensemble_id: str, *, timeout: float | None = None) -> EnsembleInfo:
        """Watch (resuming as needed) until the ensemble reaches a final state."""
        deadline = None if timeout is None else time.monotonic() + timeout
        found, after = self.get_ensemble(ensemble_id), 0
        while not found.terminal:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise ServiceError(
                    grpc.StatusCode.DEADLINE_EXCEEDED, f"ensemble {ensemble_id} still {found.state}"
                )
            for update in self.watch_ensemble(ensemble_id, after=after, timeout=remaining):
                found, after = update.ensemble, update.sequence
            if not found.terminal:
                time.sleep(0.1)
                found = self.get_ensemble(ensemble_id)
        return found

    def ensemble_result_tables(
        self, ensemble_id: str, tables: Sequence[str] = tuple(ENSEMBLE_TABLES)
    ) -> dict[str, pa.Table]:
        """A finished ensemble's tables (``trajectories``, ``replicates``, ``outcomes``,
        ``bands``) as Arrow tables, by name."""
        unknown = [t for t in tables if t not in ENSEMBLE_TABLES]
        if unknown:
            raise ValueError(f"unknown tables {unknown}; choose from {sorted(ENSEMBLE_TABLES)}")
        wanted = [ENSEMBLE_TABLES[t] for t in tables]
        request = pb.StreamEnsembleResultsRequest(ensemble_id=ensemble_id, tables=wanted)
        pieces: dict[int, list[pa.Table]] = {kind: [] for kind in wanted}
        for chunk in self._stream("StreamEnsembleResults", request, None):
            pieces[chunk.table].append(decode(chunk.arrow_ipc))
        return {name: pa.concat_tables(pieces[ENSEMBLE_TABLES[name]]) for name in tables}

    def ensemble_summary(self, ensemble_id: str) -> dict[str, Any]:
        """A finished ensemble's summary document (as ``summary.json`` of the CLI)."""
        request = pb.StreamEnsembleResultsRequest(
            ensemble_id=ensemble_id, tables=[pb.ENSEMBLE_RESULT_TABLE_SUMMARY]
        )
        data = b"".join(
            c.summary_json for c in self._stream("StreamEnsembleResults", request, None)
        )
        document: dict[str, Any] = json.loads(data)
        return document

    def ensemble_results(
        self, ensemble_id: str, tables: Sequence[str] = tuple(ENSEMBLE_TABLES)
    ) -> dict[str, pd.DataFrame]:
        """A finished ensemble's tables as DataFrames, by name."""
        found = self.ensemble_result_tables(ensemble_id, tables)
        return {name: table.to_pandas() for name, table in found.items()}

    # -- one-shot calls ------------------------------------------------------------------

    def simulate(
        self, scenario: ScenarioLike, *, timeout: float | None = None
    ) -> Iterator[Frame | ReplicateSummary]:
        """Run a short scenario on the server: frames as they are produced, then a
        summary after each replicate. The ``timeout`` (seconds) stops the simulation."""
        request = pb.SimulateRequest(scenario=scenario_message(scenario))
        for reply in self._stream("Simulate", request, timeout):
            if reply.HasField("frame"):
                frame = reply.frame
                yield Frame(frame.replicate, frame.t, FrozenMap(dict(frame.values)))
            else:
                yield _summary(reply.summary)

    def validate(self, scenario: ScenarioLike) -> dict[str, Any]:
        """The scenario with every default filled in, or :class:`ServiceError` listing
        every problem (INVALID_ARGUMENT, field paths like ``scenario.parameters.s``)."""
        request = pb.ValidateScenarioRequest(scenario=scenario_message(scenario))
        return convert.scenario_mapping(self._call("ValidateScenario", request).scenario)

    def presets(self) -> list[pb.Preset]:
        """The preset catalogue: species, parameters (units, defaults, bounds), mechanisms
        and therapies of every preset."""
        return list(self._call("ListPresets", pb.ListPresetsRequest()).presets)

    # -- plumbing ------------------------------------------------------------------------

    def _call(self, name: str, request: Any) -> Any:
        return self._unary(self._calls[name], request, self.timeout)

    def _unary(self, call: Any, request: Any, timeout: float | None) -> Any:
        try:
            return call(request, timeout=timeout or self.timeout, metadata=self._metadata)
        except grpc.RpcError as error:
            raise ServiceError.of(error) from None

    def _stream(self, name: str, request: Any, timeout: float | None) -> Iterator[Any]:
        replies = self._calls[name](request, timeout=timeout, metadata=self._metadata)
        try:
            yield from replies
        except grpc.RpcError as error:
            raise ServiceError.of(error) from None
        finally:
            replies.cancel()  # the caller stopped early: end the call on the server too


def scenario_message(scenario: ScenarioLike) -> pb.Scenario:
    """The ``Scenario`` message of any accepted scenario form.

    Raises :class:`engine.ScenarioError` if a mapping does not fit the schema.
    """
    if isinstance(scenario, pb.Scenario):
        return scenario
    if isinstance(scenario, Scenario):
        return convert.scenario_to_proto(scenario)
    return convert.scenario_message(scenario)


def ensemble_message(ensemble: EnsembleLike) -> pb.EnsembleSpec:
    """The ``EnsembleSpec`` message of any accepted ensemble form.

    Raises :class:`engine.ScenarioError` if a mapping is not a valid ensemble.
    """
    if isinstance(ensemble, pb.EnsembleSpec):
        return ensemble
    if not isinstance(ensemble, Ensemble):
        ensemble = Ensemble.from_dict(ensemble)
    return ensemble_convert.ensemble_to_proto(ensemble)


def _state(value: int, ensemble_id: str) -> RunState:
    state = convert.state_from_proto(value)
    if state is None:
        raise ValueError(f"ensemble {ensemble_id} came without a state")
    return state


def _summary(message: pb.ReplicateSummary) -> ReplicateSummary:
    kind = pb.OutcomeKind.Name(message.outcome).removeprefix("OUTCOME_KIND_")
    return ReplicateSummary(
        replicate=message.replicate,
        outcome=OutcomeKind[kind],
        outcome_day=message.outcome_day if message.HasField("outcome_day") else None,
        counters=dict(message.counters),
        final_values=dict(message.final_values),
    )
