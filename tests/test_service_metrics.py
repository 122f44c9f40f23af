"""Observability against a real server: one log line per call, and the Prometheus
endpoint scraped over HTTP (the text format parsed by prometheus_client's own parser)."""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from escapesim.service.api.settings import Settings
from escapesim.service.client import Client, ServiceError
from escapesim.service.testing import InProcessServer, wait_until

TINY = {"preset": "kuznetsov1994", "horizon_days": 5, "replicates": 2}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    data = tmp_path_factory.mktemp("metrics") / "data"
    flags = {"addr": "127.0.0.1:0", "data": str(data), "workers": 1, "drain_seconds": 1,
             "metrics_addr": "127.0.0.1:0"}  # fmt: skip
    with InProcessServer(Settings.load(environ={}, flags=flags)) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: InProcessServer) -> Iterator[Client]:
    with server.client() as connected:
        yield connected


def _scrape(server: InProcessServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    endpoint = server._server.metrics_endpoint  # type: ignore[union-attr]
    assert endpoint is not None
    url = f"http://127.0.0.1:{endpoint.port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as reply:
        assert reply.status == 200
        text = reply.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_calls_are_counted_by_method_and_code(
    server: InProcessServer, client: Client
) -> None:
    before = _scrape(server)
    made = client.create_run(TINY)
    client.wait(made.run_id, timeout=120)
    with pytest.raises(ServiceError):
        client.get_run("no-such-run")
    key = ("escapesim_calls_total", (("code", "NOT_FOUND"), ("method", "GetRun")))
    # The status reaches the client before the server's handler has counted the call.
    wait_until(lambda: _scrape(server).get(key, 0.0) > before.get(key, 0.0), timeout=10)
    after = _scrape(server)

    def delta(method: str, code: str) -> float:
        key = ("escapesim_calls_total", (("code", code), ("method", method)))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert delta("CreateRun", "OK") == 1
    assert delta("GetRun", "NOT_FOUND") == 1
    assert delta("WatchRun", "OK") >= 1
    count = ("escapesim_call_duration_seconds_count", (("method", "CreateRun"),))
    assert after[count] - before.get(count, 0.0) == 1
    assert after[("escapesim_calls_in_progress", ())] >= 0


def test_queue_jobs_and_workers_are_reported(server: InProcessServer, client: Client) -> None:
    made = client.create_run(TINY)
    client.wait(made.run_id, timeout=120)
    found = _scrape(server)
    assert found[("escapesim_jobs", (("kind", "run"), ("state", "succeeded")))] >= 1
    assert found[("escapesim_queue_depth", (("kind", "run"),))] == 0
    assert found[("escapesim_queue_depth", (("kind", "ensemble"),))] == 0
    assert 0 <= found[("escapesim_worker_utilisation", ())] <= 1


def test_every_call_logs_one_line(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="escapesim.calls"):
        made = client.create_run(TINY)
        client.get_run(made.run_id)
        with pytest.raises(ServiceError):
            client.get_run("missing")

        # The status reaches the client before the server's handler has wound up.
        def logged() -> list[logging.LogRecord]:
            return [r for r in caplog.records if r.name == "escapesim.calls"]

        wait_until(lambda: len(logged()) >= 3, timeout=10)
    lines = logged()
    fields = [r.call for r in lines]  # type: ignore[attr-defined]
    assert [f["method"] for f in fields] == ["CreateRun", "GetRun", "GetRun"]
    assert [f["status"] for f in fields] == ["OK", "OK", "NOT_FOUND"]
    assert fields[0]["run_id"] == fields[1]["run_id"] == made.run_id
    assert fields[2]["run_id"] == "missing"
    assert all(f["duration_ms"] >= 0 for f in fields)
    assert lines[0].getMessage().startswith("call method=CreateRun status=OK duration_ms=")
