"""The :class:`Client`: one connection to an escapesim server and its calls."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar, overload

import grpc
import pandas as pd
import pyarrow as pa
from grpc_health.v1 import health_pb2, health_pb2_grpc

from escapesim.engine import FieldViolation, Frame, ScenarioError
from escapesim.engine.frozen import FrozenMap
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import rpc
from escapesim.service.api.convert import runs as convert
from escapesim.service.api.result_stream import decode
from escapesim.service.client.analyses import AnalysisCalls
from escapesim.service.client.ensemble_calls import EnsembleCalls
from escapesim.service.client.following import pages, wait_final
from escapesim.service.client.forking import ForkCalls
from escapesim.service.client.replies import (
    ReplicateSummary,
    RunInfo,
    RunUpdate,
    ServiceError,
    frame_table,
    replicate_summary,
)
from escapesim.service.client.requests import (
    ScenarioLike,
    page_fields,
    scenario_message,
)
from escapesim.service.client.sessions import SessionCalls
from escapesim.service.store.run_record import RunState

#: The table enum of a result stream (``ResultTable``, ``EnsembleResultTable``).
Kind = TypeVar("Kind")

#: Result tables by the names :meth:`Client.results` accepts.
TABLES = {
    "trajectories": pb.RESULT_TABLE_TRAJECTORIES,
    "replicates": pb.RESULT_TABLE_REPLICATES,
}

class Client(EnsembleCalls, SessionCalls, ForkCalls, AnalysisCalls):
    """A connection to one server. Use as a context manager, or call :meth:`close`.
    Interactive sessions: :meth:`session` (:mod:`escapesim.service.client.sessions`)."""

    def __init__(
        self, target: str, *, token: str | None = None, tls_ca: Path | bytes | None = None,
        timeout: float = 30.0, max_message_bytes: int = 4 * 1024 * 1024,
    ) -> None:  # fmt: skip
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

    def create_run(
        self, scenario: ScenarioLike, *, request_id: str | None = None, first_replicate: int = 0
    ) -> RunInfo:
        """Queue a run of replicates ``first_replicate`` … ``first_replicate + replicates −
        1``; a retry with the same ``request_id`` returns the same run."""
        request = pb.CreateRunRequest(
            scenario=scenario_message(scenario), request_id=request_id or "",
            first_replicate=first_replicate,
        )  # fmt: skip
        return RunInfo.of(self._call("CreateRun", request).run)

    def get_run(self, run_id: str) -> RunInfo:
        """The run now."""
        return RunInfo.of(self._call("GetRun", pb.GetRunRequest(run_id=run_id)).run)

    def list_runs(
        self, *, page_size: int = 0, page_token: str = "", state: RunState | None = None
    ) -> tuple[list[RunInfo], str]:
        """One page of runs, newest first, and the next page's token ("" on the last)."""
        request = pb.ListRunsRequest(**page_fields(page_size, page_token, state))
        reply = self._call("ListRuns", request)
        return [RunInfo.of(r) for r in reply.runs], reply.next_page_token

    def iter_runs(self, *, state: RunState | None = None, page_size: int = 0) -> Iterator[RunInfo]:
        """Every run, newest first, page after page."""
        return pages(self.list_runs, state, page_size)

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

    def wait(
        self,
        run_id: str,
        *,
        timeout: float | None = None,
        on_update: Callable[[RunInfo], None] | None = None,
    ) -> RunInfo:
        """Watch until the run reaches a final state and return it; ``on_update`` sees the
        run at every event (progress bars).

        A watch that ends early (the server restarting) is resumed after the last event
        seen; past ``timeout`` seconds, :class:`ServiceError` DEADLINE_EXCEEDED.
        """

        def follow(after: int, remaining: float | None) -> Iterator[tuple[int, RunInfo]]:
            for update in self.watch(run_id, after=after, timeout=remaining):
                yield update.sequence, update.run

        return wait_final(lambda: self.get_run(run_id), follow, f"run {run_id}", timeout, on_update)

    def result_tables(
        self, run_id: str, tables: Sequence[str] = ("trajectories", "replicates")
    ) -> dict[str, pa.Table]:
        """The run's result tables as Arrow tables, by name."""
        return self._tables(
            "StreamResults",
            lambda kinds: pb.StreamResultsRequest(run_id=run_id, tables=kinds),
            TABLES,
            tables,
        )

    def results(self, run_id: str, table: str = "trajectories") -> pd.DataFrame:
        """One result table of a run as a DataFrame (``trajectories`` or ``replicates``)."""
        return self.result_tables(run_id, (table,))[table].to_pandas()

    # -- one-shot calls ------------------------------------------------------------------

    @overload
    def simulate(
        self, scenario: ScenarioLike, *, timeout: float | None = None,
        as_frame: Literal[False] = False,
    ) -> Iterator[Frame | ReplicateSummary]: ...

    @overload
    def simulate(
        self, scenario: ScenarioLike, *, timeout: float | None = None, as_frame: Literal[True]
    ) -> pd.DataFrame: ...

    def simulate(
        self, scenario: ScenarioLike, *, timeout: float | None = None, as_frame: bool = False
    ) -> Iterator[Frame | ReplicateSummary] | pd.DataFrame:
        """Run a short scenario on the server: frames as they are produced, then a
        summary after each replicate; with ``as_frame=True``, every frame as one
        DataFrame (columns ``replicate``, ``t`` and one per species, as the
        ``trajectories`` table). The ``timeout`` (seconds) stops the simulation."""
        replies = self._simulated(scenario, timeout)
        if as_frame:
            return frame_table(r for r in replies if isinstance(r, Frame))
        return replies

    def _simulated(
        self, scenario: ScenarioLike, timeout: float | None
    ) -> Iterator[Frame | ReplicateSummary]:
        request = pb.SimulateRequest(scenario=scenario_message(scenario))
        for reply in self._stream("Simulate", request, timeout):
            if reply.HasField("frame"):
                frame = reply.frame
                yield Frame(frame.replicate, frame.t, FrozenMap(dict(frame.values)))
            else:
                yield replicate_summary(reply.summary)

    def validate(self, scenario: ScenarioLike) -> list[FieldViolation]:
        """Every problem the server finds with ``scenario`` (empty: valid), returned, not
        raised, as :func:`escapesim.validate` does, with the request's paths
        (``scenario.parameters.s``); :class:`ServiceError` only if the call itself fails."""
        try:
            self.with_defaults(scenario)
        except ScenarioError as error:  # a mapping that does not fit the message
            return [v if v.field.split(".")[0] == "scenario" else  # already the request's
                    FieldViolation(f"scenario.{v.field}", v.message)
                    for v in error.violations]  # fmt: skip
        except ServiceError as error:
            if error.code is grpc.StatusCode.INVALID_ARGUMENT:
                return list(error.violations) or [FieldViolation("scenario", error.message)]
            raise
        return []

    def with_defaults(self, scenario: ScenarioLike) -> dict[str, Any]:
        """The scenario with every default filled in, or :class:`ServiceError` (INVALID_ARGUMENT)
        listing every problem."""
        request = pb.ValidateScenarioRequest(scenario=scenario_message(scenario))
        return convert.scenario_mapping(self._call("ValidateScenario", request).scenario)

    def problems(self, scenario: ScenarioLike) -> list[FieldViolation]:
        """Deprecated: :meth:`validate` (the same list)."""
        warnings.warn("Client.problems() is Client.validate() now", DeprecationWarning, 2)
        return self.validate(scenario)

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

    def _tables(
        self, name: str, request: Callable[[list[Kind]], Any], kinds: Mapping[str, Kind],
        tables: Sequence[str],
    ) -> dict[str, pa.Table]:  # fmt: skip
        """Arrow tables by name from the result stream ``name`` (``kinds``: the table enum
        of each name the stream offers; one name alone is one table, not its letters)."""
        tables = (tables,) if isinstance(tables, str) else tables
        unknown = [t for t in tables if t not in kinds]
        if unknown:
            raise ValueError(f"unknown tables {unknown}; choose from {sorted(kinds)}")
        wanted = [kinds[t] for t in tables]
        pieces: dict[Any, list[pa.Table]] = {kind: [] for kind in wanted}
        for chunk in self._stream(name, request(wanted), None):
            pieces[chunk.table].append(decode(chunk.arrow_ipc))
        return {t: pa.concat_tables(pieces[kinds[t]]) for t in tables}

    def _stream(self, name: str, request: Any, timeout: float | None) -> Iterator[Any]:
        replies = self._calls[name](request, timeout=timeout, metadata=self._metadata)
        try:
            yield from replies
        except grpc.RpcError as error:
            raise ServiceError.of(error) from None
        finally:
            replies.cancel()  # the caller stopped early: end the call on the server too

