"""What the server tells an operator: one log line per call, and Prometheus metrics.

Every service call ends with one line on the ``escapesim.calls`` logger, as key=value
pairs a log shipper parses without a grammar (and the same values as ``extra`` fields
for a JSON formatter)::

    call method=CreateRun status=OK duration_ms=3.2 run_id=4f0c…

With ``ESCAPESIM_METRICS_ADDR`` (``--metrics-addr HOST:PORT``) the server also serves
``/metrics`` in the Prometheus text format (prometheus_client) on that port:

* ``escapesim_calls_total{method,code}`` — calls ended, by method and status code;
* ``escapesim_call_duration_seconds{method}`` — latency histogram (for a streaming call:
  until its last message);
* ``escapesim_calls_in_progress`` — service calls now open;
* ``escapesim_queue_depth{kind}`` — runs / ensembles waiting for a worker;
* ``escapesim_jobs{kind,state}`` — runs / ensembles by state (every stored one);
* ``escapesim_worker_utilisation`` — the fraction of local workers running a batch (a
  Dask executor's workers are on the Dask dashboard instead).

Each server has its own registry (no process-global state: two servers in one test
process do not share counters).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

call_log = logging.getLogger("escapesim.calls")

#: Latency buckets (seconds): a GetRun takes ~1 ms, a Simulate or a result stream seconds.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class CallMetrics:
    """The call counters and histograms of one server, and the log line of each call."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.calls = Counter(
            "escapesim_calls", "Service calls ended, by method and status code.",
            ("method", "code"), registry=self.registry,
        )  # fmt: skip
        self.duration = Histogram(
            "escapesim_call_duration_seconds", "Service call latency, by method.",
            ("method",), buckets=BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.in_progress = Gauge(
            "escapesim_calls_in_progress", "Service calls now open.", registry=self.registry
        )

    def started(self) -> float:
        """Count a call in; returns its start time for :meth:`ended`."""
        self.in_progress.inc()
        return time.perf_counter()

    def ended(self, method: str, code: str, started: float, job_id: str) -> None:
        """Count a call out with its status ``code`` name, and log its one line."""
        seconds = time.perf_counter() - started
        self.in_progress.dec()
        self.calls.labels(method, code).inc()
        self.duration.labels(method).observe(seconds)
        fields = {"method": method, "status": code, "duration_ms": round(seconds * 1e3, 2)}
        if job_id:
            fields["run_id"] = job_id
        text = " ".join(f"{k}={v}" for k, v in fields.items())
        call_log.info("call %s", text, extra={"call": fields})


class ServiceCollector(Collector):
    """Gauges read when scraped: queue depth, jobs by state, worker utilisation.

    ``queues`` and ``states`` map a kind (``run``, ``ensemble``) to a function giving the
    jobs waiting and the jobs by state name; ``utilisation`` gives the fraction of workers
    busy, or is ``None`` for an executor that does not say.
    """

    def __init__(
        self,
        queues: Mapping[str, Callable[[], int]],
        states: Mapping[str, Callable[[], Mapping[str, int]]],
        utilisation: Callable[[], float] | None,
    ) -> None:
        self._queues = queues
        self._states = states
        self._utilisation = utilisation

    def collect(self) -> Iterator[Any]:
        """The gauges now (called by the registry on every scrape)."""
        depth = GaugeMetricFamily(
            "escapesim_queue_depth", "Jobs waiting for a worker.", labels=("kind",)
        )
        for kind, waiting in self._queues.items():
            depth.add_metric((kind,), waiting())
        yield depth
        jobs = GaugeMetricFamily(
            "escapesim_jobs", "Stored jobs by state.", labels=("kind", "state")
        )
        for kind, counts in self._states.items():
            for state, n in sorted(counts().items()):
                jobs.add_metric((kind, state), n)
        yield jobs
        if self._utilisation is not None:
            yield GaugeMetricFamily(
                "escapesim_worker_utilisation",
                "Fraction of the local workers running a batch.",
                value=self._utilisation(),
            )


@dataclass(frozen=True)
class MetricsEndpoint:
    """A running ``/metrics`` endpoint: the port it bound, and how to stop it."""

    port: int
    stop: Callable[[], None]


def serve_metrics(registry: CollectorRegistry, address: str) -> MetricsEndpoint:
    """Serve ``registry`` on ``http://HOST:PORT/metrics`` from a daemon thread (port 0
    picks a free one)."""
    host, _, port = address.rpartition(":")
    server, thread = start_http_server(int(port), addr=host.strip("[]"), registry=registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return MetricsEndpoint(int(server.server_address[1]), stop)
