"""The gRPC server: the servicer behind its guard, plus health, reflection and auth.

:class:`EscapesimServer` wires the parts together (store, lifecycles, live simulations,
:class:`~escapesim.service.api.servicer.SimulationServicer`) and drains them on shutdown;
:func:`serve` runs one until SIGTERM or SIGINT. Each handler decodes its own request
(:mod:`escapesim.service.api.guard`); the server caps message sizes (following the message
caps) and the calls in progress, and refuses to start where it would be open to anyone
(:mod:`escapesim.service.api.exposure`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from escapesim.service.api import exposure, rpc
from escapesim.service.api.auth import BearerTokenInterceptor, load_tokens
from escapesim.service.api.guard import CallLimit, guarded
from escapesim.service.api.metrics import (
    CallMetrics,
    MetricsEndpoint,
    ServiceCollector,
    serve_metrics,
)
from escapesim.service.api.reflection import add_reflection
from escapesim.service.api.servicer import SimulationServicer
from escapesim.service.api.sessions import SessionRoom
from escapesim.service.api.settings import Settings
from escapesim.service.jobs.analyses import AnalysisLifecycle
from escapesim.service.jobs.ensembles import EnsembleLifecycle
from escapesim.service.jobs.runs import RunLifecycle
from escapesim.service.store.analyses import AnalysisStore
from escapesim.service.store.database import Store
from escapesim.service.store.ensembles import EnsembleStore
from escapesim.service.workers.choice import executor_from_env, live_simulations
from escapesim.service.workers.live import LiveStream

log = logging.getLogger(__name__)


def _implementations(
    servicer: SimulationServicer, calls: CallLimit, metrics: CallMetrics
) -> dict[str, Callable[..., Any]]:
    return {
        m.name: guarded(m, getattr(servicer, m.python_name), servicer.off_loop, calls, metrics)
        for m in rpc.METHODS
    }


def _job_states(store: Store, table: str) -> Callable[[], dict[str, int]]:
    def counts() -> dict[str, int]:
        rows = store.query(f"SELECT state, COUNT(*) FROM {table} GROUP BY state")
        return {str(state): int(n) for state, n in rows}

    return counts


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
        self._analyses: AnalysisLifecycle | None = None
        self._live: LiveStream | None = None
        self._servicer: SimulationServicer | None = None
        self._sessions: SessionRoom | None = None
        self._health = health.aio.HealthServicer()
        self.metrics = CallMetrics()
        self.metrics_endpoint: MetricsEndpoint | None = None

    async def start(self) -> str:
        """Open the store, recover runs, listen; returns the bound ``HOST:PORT``."""
        settings = self.settings
        exposure.check(settings)  # before anything is opened: refusing must leave no trace
        interceptors = []
        if settings.tokens_file is not None:
            interceptors.append(BearerTokenInterceptor(load_tokens(settings.tokens_file)))
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
        self._analyses = AnalysisLifecycle(
            AnalysisStore(self._store),
            executor,
            max_concurrent=settings.max_concurrent_runs,
            max_queued=settings.max_queued_runs,
        )
        await self._analyses.start()
        # Simulate calls run on the Dask workers when Dask is the executor.
        self._live = live_simulations(executor, settings.simulate_workers)
        self._live.warm()
        self._sessions = SessionRoom(
            settings.limits, settings.max_sessions, settings.session_idle_seconds
        )
        self._servicer = SimulationServicer(
            self._lifecycle, self._live, settings.limits, self._ensembles, self._analyses,
            self._sessions,
        )  # fmt: skip
        limit = settings.limits.max_message_bytes
        server = grpc.aio.server(
            interceptors=interceptors,
            options=[
                ("grpc.max_receive_message_length", limit),
                ("grpc.so_reuseport", 0),
            ],
        )
        # The limit on calls in progress counts service calls only (not health checks).
        calls = CallLimit(settings.max_concurrent_rpcs)
        implementations = _implementations(self._servicer, calls, self.metrics)
        server.add_generic_rpc_handlers((rpc.generic_handler(implementations),))
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        add_reflection(server, (rpc.SERVICE_NAME, health.SERVICE_NAME))
        port = self._listen(server)
        self._serve_metrics(executor)
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
        if self._sessions is not None:
            self._sessions.drain()  # first: each open session gets its token at once
        grace = self.settings.drain_seconds
        started = time.monotonic()
        if self._analyses is not None:
            # Analyses and ensembles first: they use the executor the run lifecycle closes.
            await self._analyses.drain(grace)
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
        if self._servicer is not None:
            self._servicer.close()
        if self.metrics_endpoint is not None:
            self.metrics_endpoint.stop()
        if self._store is not None:  # else start() refused before opening anything
            self._store.close()
            log.info("stopped")

    def _serve_metrics(self, executor: object) -> None:
        """Register the scraped gauges and serve ``/metrics``, if asked to."""
        if self.settings.metrics_addr is None:
            return
        # Metrics are served once the store and the lifecycles have started.
        assert self._store is not None
        assert self._lifecycle is not None
        assert self._ensembles is not None
        assert self._analyses is not None
        self.metrics.registry.register(
            ServiceCollector(
                {"run": self._lifecycle.queue_depth, "ensemble": self._ensembles.queue_depth,
                 "analysis": self._analyses.queue_depth},
                {"run": _job_states(self._store, "runs"),
                 "ensemble": _job_states(self._store, "ensembles"),
                 "analysis": _job_states(self._store, "analyses")},
                getattr(executor, "utilisation", None),
            )
        )  # fmt: skip
        self.metrics_endpoint = serve_metrics(self.metrics.registry, self.settings.metrics_addr)
        log.info("serving metrics on %s", self.settings.metrics_addr)

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
    """Print the bound address on stdout once the health service reports SERVING (test
    harnesses read the address to find the port; people read the word)."""
    print(f"escapesim serving on {address} (health: SERVING)", file=sys.stdout, flush=True)
