"""Ensembles through a real server (issue 5, "Ensembles", the gRPC side).

Every ensemble RPC against a server in this process; the results of
``escapesim ensemble FILE --server ADDR`` identical (Parquet contents and summary) to the
local command's; cancellation keeping finished cells; a watch that re-attaches; field
paths of bad input; and a server killed mid-ensemble that resumes and ends with the
results of an uninterrupted run. kuznetsov1994 over short horizons keeps it fast.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pandas as pd
import pyarrow.parquet as pq
import pytest

import escapesim
from escapesim.engine.ensemble import Ensemble
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api.settings import Settings
from escapesim.service.cli import main
from escapesim.service.cli.ensemble_report import OUTPUT_FILES
from escapesim.service.client import Client, ServiceError
from escapesim.service.results import ensemble_tables
from escapesim.service.store.run_record import RunState
from escapesim.service.testing import SMALL_SETTINGS, InProcessServer, ServerProcess, wait_until
from escapesim.service.workers.scenarios import simulate_here

TINY_FILE = """\
scenario: {preset: kuznetsov1994, horizon_days: 12, seed: 3, escape_threshold: 2.0e+8}
replicates: 3
grid:
  initial:
    T: [1.0e+5, 1.0e+8]
arms:
  - {name: untreated}
  - {name: strong, parameters: {n: 3.0e-7}}
"""
TINY: dict[str, Any] = {
    "scenario": {"preset": "kuznetsov1994", "horizon_days": 12, "seed": 3},
    "replicates": 2,
    "grid": {"initial": {"T": [1e5, 1e8]}},
    "arms": [{"name": "untreated"}, {"name": "strong", "parameters": {"n": 3e-7}}],
}
#: About a second per cell on one worker: long enough to cancel or kill in the middle.
#: ~0.5 s of simulation per cell (the compiled kernel runs a Kuznetsov day in ~17 µs).
SLOW: dict[str, Any] = {
    "scenario": {"preset": "kuznetsov1994", "horizon_days": 1500, "seed": 11},
    "replicates": 20,
    "grid": {"parameters": {"s": {"start": 1.0e4, "stop": 1.6e4, "num": 4}}},
}


def _settings(data: Path, **flags: Any) -> Settings:
    defaults = {
        "addr": "127.0.0.1:0",
        "data": str(data),
        "workers": 2,
        "max_concurrent_runs": 2,
        "max_queued_runs": 20,
        "simulate_workers": 1,
        "drain_seconds": 1,
    }
    return Settings.load(environ={}, flags={**defaults, **flags})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    with InProcessServer(_settings(tmp_path_factory.mktemp("ensembles") / "data")) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: InProcessServer) -> Iterator[Client]:
    with server.client() as connected:
        yield connected


def _code(call: Any) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call()
    return caught.value


# -- results ---------------------------------------------------------------------------------


def test_server_results_are_the_local_results(
    server: InProcessServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_FILE, encoding="utf-8")
    local, remote, png = tmp_path / "local", tmp_path / "remote", tmp_path / "remote.png"
    assert main(["ensemble", str(path), "--out", str(local), "--workers", "1"]) == 0
    local_out = capsys.readouterr().out
    argv = ["ensemble", str(path), "--server", server.address, "--out", str(remote)]
    assert main([*argv, "--plot", str(png)]) == 0, capsys.readouterr().err
    assert capsys.readouterr().out == local_out  # the same text summary
    for name in OUTPUT_FILES:
        if name.endswith(".parquet"):
            assert pq.read_table(remote / name).equals(pq.read_table(local / name)), name
    summary = (remote / "summary.json").read_text(encoding="utf-8")
    assert summary == (local / "summary.json").read_text(encoding="utf-8")
    assert png.read_bytes().startswith(b"\x89PNG")


def test_results_stream_as_tables_dataframes_and_summary(client: Client) -> None:
    created = client.create_ensemble(TINY)
    found = client.wait_ensemble(created.ensemble_id, timeout=60)
    assert found.state is RunState.SUCCEEDED
    assert not found.partial
    assert (found.cells_done, found.cells_total) == (4, 4)
    assert found.replicates_done == found.replicates_total == 8
    assert [(c.point, c.arm, c.state) for c in found.cells] == [
        (0, "untreated", RunState.SUCCEEDED), (0, "strong", RunState.SUCCEEDED),
        (1, "untreated", RunState.SUCCEEDED), (1, "strong", RunState.SUCCEEDED),
    ]  # fmt: skip
    assert found.cells[2].values == {"initial.T": 1e8}
    frames = client.ensemble_results(found.ensemble_id)
    assert set(frames) == {"trajectories", "replicates", "outcomes", "bands", "attribution"}
    assert frames["attribution"].empty  # no knock-out arms
    assert len(frames["replicates"]) == 8
    assert list(frames["outcomes"].columns[:3]) == ["point", "arm", "initial.T"]
    summary = client.ensemble_summary(found.ensemble_id)
    assert [(c["point"], c["arm"]) for c in summary["cells"]] == [
        (c.point, c.arm) for c in found.cells
    ]
    assert summary["cells"][1]["versus_control"] is not None


# -- create, get, list -----------------------------------------------------------------------


def test_create_is_idempotent_with_a_request_id(client: Client) -> None:
    first = client.create_ensemble(TINY, request_id="ensemble-once")
    again = client.create_ensemble(TINY, request_id="ensemble-once")
    assert again.ensemble_id == first.ensemble_id
    other = {**TINY, "replicates": 3}
    error = _code(lambda: client.create_ensemble(other, request_id="ensemble-once"))
    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == ["request_id"]
    client.wait_ensemble(first.ensemble_id, timeout=60)


def test_get_returns_the_spec_with_defaults_filled(client: Client) -> None:
    created = client.create_ensemble(TINY)
    found = client.get_ensemble(created.ensemble_id)
    assert found.ensemble["control"] == "untreated"
    assert found.ensemble["replicates"] == 2
    assert Ensemble.from_dict(found.ensemble) == Ensemble.from_dict(TINY)
    assert len(found.cells) == 4
    client.wait_ensemble(created.ensemble_id, timeout=60)
    assert _code(lambda: client.get_ensemble("nope")).code is grpc.StatusCode.NOT_FOUND


def test_list_pages_newest_first_with_a_state_filter(client: Client) -> None:
    made = [client.create_ensemble(TINY).ensemble_id for _ in range(3)]
    for ensemble_id in made:
        client.wait_ensemble(ensemble_id, timeout=60)
    page, token = client.list_ensembles(page_size=2)
    assert [e.ensemble_id for e in page] == made[::-1][:2]
    assert token
    assert all(not e.cells for e in page)
    rest, _ = client.list_ensembles(page_size=1, page_token=token)
    assert rest[0].ensemble_id == made[0]
    done, _ = client.list_ensembles(state=RunState.SUCCEEDED, page_size=1000)
    assert set(made) <= {e.ensemble_id for e in done}
    failed, _ = client.list_ensembles(state=RunState.FAILED)
    assert failed == []
    error = _code(lambda: client.list_ensembles(page_token="garbage"))
    assert error.code is grpc.StatusCode.INVALID_ARGUMENT


# -- bad input -------------------------------------------------------------------------------


def _violations(client: Client, spec: pb.EnsembleSpec) -> list[str]:
    error = _code(lambda: client.create_ensemble(spec))
    assert error.code is grpc.StatusCode.INVALID_ARGUMENT
    return [v.field for v in error.violations]


def test_bad_input_names_the_message_fields(client: Client) -> None:
    spec = pb.EnsembleSpec(
        scenario=pb.Scenario(preset="kuznetsov1994", horizon_days=-1),
        grid=[
            pb.GridAxis(field="parameters.s", values=[1e4, -5]),
            pb.GridAxis(field="initial.T", range=pb.GridRange(start=1, stop=10, num=0)),
        ],
        arms=[
            pb.Arm(name="a"),
            pb.Arm(name="b", therapies=[pb.Therapy(kind="laser", at_days=[1])]),
        ],
        control="c",
    )
    # A bad base scenario is reported alone: the rest is checked against it.
    assert _violations(client, spec) == ["ensemble.scenario.horizon_days"]
    spec.scenario.horizon_days = 10
    found = _violations(client, spec)
    assert "ensemble.grid[0].values[1]" in found
    assert "ensemble.grid[1].range.num" in found
    assert "ensemble.control" in found
    assert any(f.startswith("ensemble.arms[1].therapies[0]") for f in found)


def test_knock_outs_of_a_partial_model_are_refused_naming_the_switch(client: Client) -> None:
    spec = pb.EnsembleSpec(
        scenario=pb.Scenario(preset="escape2004", horizon_days=5, mechanisms={"variants": False}),
        arms=[pb.Arm(name="intact")],
        knockouts=["suppression"],
    )
    assert _violations(client, spec) == ["ensemble.scenario.mechanisms.variants"]


def test_bad_axes_and_a_missing_ensemble(client: Client) -> None:
    scenario = pb.Scenario(preset="kuznetsov1994", horizon_days=5)
    twice = pb.EnsembleSpec(
        scenario=scenario,
        grid=[pb.GridAxis(field="parameters.s", values=[1]), pb.GridAxis(field="parameters.s")],
    )
    assert _violations(client, twice) == ["ensemble.grid[1].field"]
    unknown = pb.EnsembleSpec(scenario=scenario, grid=[pb.GridAxis(field="nonsense.x", values=[1])])
    assert _violations(client, unknown) == ["ensemble.grid[0].field"]
    error = _code(lambda: client._call("CreateEnsemble", pb.CreateEnsembleRequest()))
    assert [v.field for v in error.violations] == ["ensemble"]


# -- watch and cancel ------------------------------------------------------------------------


def test_a_watch_re_attaches_after_the_last_event_it_saw(client: Client) -> None:
    created = client.create_ensemble(SLOW)
    first = next(iter(client.watch_ensemble(created.ensemble_id)))
    rest = list(client.watch_ensemble(created.ensemble_id, after=first.sequence))
    assert all(u.sequence > first.sequence for u in rest)
    assert [u.sequence for u in rest] == sorted({u.sequence for u in rest})
    assert rest[-1].ensemble.state is RunState.SUCCEEDED
    running = [u.ensemble for u in rest if u.ensemble.state is RunState.RUNNING]
    assert any(
        c.replicates_done > 0 for e in running for c in e.cells
    )  # progress per grid point and arm
    again = list(client.watch_ensemble(created.ensemble_id, after=rest[-1].sequence))
    assert again == []


def test_cancel_keeps_the_finished_cells_and_marks_them_partial(client: Client) -> None:
    created = client.create_ensemble(SLOW)
    ensemble_id = created.ensemble_id
    wait_until(lambda: client.get_ensemble(ensemble_id).cells[0].state is RunState.SUCCEEDED)
    cancelled = client.cancel_ensemble(ensemble_id)
    assert cancelled.state is RunState.CANCELLED
    assert cancelled.partial
    assert 1 <= cancelled.cells_done < cancelled.cells_total
    kept = [c.point for c in cancelled.cells if c.state is RunState.SUCCEEDED]
    frames = client.ensemble_results(ensemble_id, ("outcomes",))
    assert sorted(set(frames["outcomes"]["point"])) == kept
    assert client.ensemble_summary(ensemble_id)["partial"] is True
    error = _code(lambda: client.cancel_ensemble(ensemble_id))
    assert error.code is grpc.StatusCode.FAILED_PRECONDITION


def test_results_of_an_unfinished_ensemble_are_a_failed_precondition(client: Client) -> None:
    created = client.create_ensemble(SLOW)
    error = _code(lambda: client.ensemble_results(created.ensemble_id))
    assert error.code is grpc.StatusCode.FAILED_PRECONDITION
    client.cancel_ensemble(created.ensemble_id)


def test_a_full_queue_is_resource_exhausted(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", max_concurrent_runs=1, max_queued_runs=1, workers=1)
    with InProcessServer(settings) as full, full.client() as client:
        running = client.create_ensemble(SLOW)
        waiting = client.create_ensemble(SLOW)
        error = _code(lambda: client.create_ensemble(TINY))
        assert error.code is grpc.StatusCode.RESOURCE_EXHAUSTED
        assert client.cancel_ensemble(waiting.ensemble_id).state is RunState.CANCELLED
        client.cancel_ensemble(running.ensemble_id)


# -- a crash ---------------------------------------------------------------------------------


def test_a_killed_server_resumes_the_ensemble_with_identical_results(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", env=SMALL_SETTINGS)
    server.start()
    with server.client() as client:
        ensemble_id = client.create_ensemble(SLOW, request_id="crash").ensemble_id
        wait_until(lambda: client.get_ensemble(ensemble_id).cells_done >= 1, timeout=60)
        before = client.get_ensemble(ensemble_id)
    server.kill()
    assert not before.terminal

    server.start()
    with server.client() as client:
        assert client.create_ensemble(SLOW, request_id="crash").ensemble_id == ensemble_id
        found = client.wait_ensemble(ensemble_id, timeout=120)
        assert found.state is RunState.SUCCEEDED
        assert not found.partial
        tables = client.ensemble_result_tables(ensemble_id)
        summary = client.ensemble_summary(ensemble_id)
    assert server.stop() == 0
    assert "cells kept" in server.log_text()

    ensemble = Ensemble.from_dict(SLOW)
    cells = ensemble.points()
    found_cells = simulate_here([c.scenario for c in cells])
    finished = ensemble_tables.summarise_cells(ensemble, cells, found_cells)
    assert tables["trajectories"].equals(ensemble_tables.trajectory_table(finished))
    assert tables["replicates"].equals(ensemble_tables.replicate_table(finished))
    assert tables["outcomes"].equals(ensemble_tables.outcome_table(ensemble, finished))
    assert tables["bands"].equals(ensemble_tables.band_table(finished))
    expected = ensemble_tables.summary_document(ensemble, finished)
    assert summary == json.loads(json.dumps(expected))


def test_a_drained_ensemble_is_resumed_by_the_next_start(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", workers=1, drain_seconds=0)
    with InProcessServer(settings) as first, first.client() as client:
        ensemble_id = client.create_ensemble(SLOW).ensemble_id
        wait_until(lambda: client.get_ensemble(ensemble_id).cells_done >= 1, timeout=60)
        first.stop()  # SIGTERM's drain: no grace, the ensemble is interrupted
    with InProcessServer(settings) as second, second.client() as client:
        resumed = client.get_ensemble(ensemble_id)
        assert 1 <= resumed.cells_done < resumed.cells_total  # finished cells survived
        found = client.wait_ensemble(ensemble_id, timeout=60)
        assert found.state is RunState.SUCCEEDED
        assert found.replicates_done == found.replicates_total


def test_knock_out_arms_on_a_server_are_the_local_ones(
    server: InProcessServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The knock-out arms travel as EnsembleSpec.knockouts and the intact arm, and the
    # server expands them as the engine does: the same tables as a local run.
    path = tmp_path / "attribution.yaml"
    path.write_text(
        "scenario: {preset: escape2004, initial: {T: 0, T_ps: 1e4}, horizon_days: 20, seed: 1}\n"
        "replicates: 2\narms: [{name: intact}]\nknockouts: [suppression]\n",
        encoding="utf-8",
    )
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert main(["ensemble", str(path), "--out", str(local), "--workers", "1"]) == 0
    local_out = capsys.readouterr().out
    argv = ["ensemble", str(path), "--server", server.address, "--out", str(remote)]
    assert main(argv) == 0, capsys.readouterr().err
    # The same report, attribution lines included, and the same attribution table.
    remote_out = capsys.readouterr().out
    assert remote_out == local_out
    assert "\n  point 0 suppression off: " in remote_out
    attribution = pq.read_table(remote / "attribution.parquet")
    assert attribution.equals(pq.read_table(local / "attribution.parquet"))
    assert attribution.column("mechanism").to_pylist() == ["suppression"]
    replicates = pq.read_table(remote / "replicates.parquet")
    assert replicates.equals(pq.read_table(local / "replicates.parquet"))
    assert set(replicates.column("arm").to_pylist()) == {"intact", "suppression_off"}
    # Knocking suppression out changes the run (the arms are not silently identical).
    rows = replicates.to_pylist()
    final = {(r["arm"], r["replicate"]): r["final.T_ps"] for r in rows}
    assert final["intact", 0] != final["suppression_off", 0]


def test_the_attribution_table_streams_as_the_local_one(client: Client) -> None:
    # StreamEnsembleResults' ATTRIBUTION part, asked for alone, holds one row per
    # knock-out arm, equal to escapesim.ensemble(...)'s local attribution frame.
    spec: dict[str, Any] = {
        "scenario": {"preset": "escape2004", "initial": {"T": 0, "T_ps": 1e4},
                     "horizon_days": 20, "seed": 1},
        "replicates": 2, "arms": [{"name": "intact"}],
        "knockouts": ["suppression", "dysfunction"],
    }  # fmt: skip
    created = client.create_ensemble(spec)
    assert client.wait_ensemble(created.ensemble_id, timeout=120).state is RunState.SUCCEEDED
    frames = client.ensemble_results(created.ensemble_id, tables=["attribution"])
    assert set(frames) == {"attribution"}
    remote = frames["attribution"]
    assert list(remote["arm"]) == ["suppression_off", "dysfunction_off"]
    assert list(remote["mechanism"]) == ["suppression", "dysfunction"]
    assert list(remote["pairs"]) == [2, 2]
    local = escapesim.ensemble(spec).attribution
    pd.testing.assert_frame_equal(remote, local)
    # One table named alone is that table (not a list of its letters).
    alone = client.ensemble_results(created.ensemble_id, "attribution")
    pd.testing.assert_frame_equal(alone["attribution"], remote)


def test_an_ensemble_stored_before_the_attribution_table_still_streams(
    server: InProcessServer, client: Client
) -> None:
    # A data directory from before attribution.parquet existed: the ensemble (no
    # knock-out arms) streams every part, its attribution table empty but with columns.
    created = client.create_ensemble(TINY)
    assert client.wait_ensemble(created.ensemble_id, timeout=60).state is RunState.SUCCEEDED
    stored = Path(server.settings.data) / "ensembles" / created.ensemble_id / "attribution.parquet"
    stored.unlink()
    frames = client.ensemble_results(created.ensemble_id)
    assert frames["attribution"].empty
    assert list(frames["attribution"].columns[:4]) == ["point", "arm", "mechanism", "initial.T"]
    assert stored.is_file()
