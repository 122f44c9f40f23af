"""ForkRun against a real server on a real port: a stored run's replicate forked at a
checkpoint day into arms that share its past bitwise; the refusals, each naming its
field; idempotency; a restart; and ``escapesim fork``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import grpc
import pandas as pd
import pytest
import yaml

from escapesim.engine import Scenario
from escapesim.service.api.settings import Settings
from escapesim.service.cli import main
from escapesim.service.client import Client, RunInfo, ServiceError
from escapesim.service.store.database import Store
from escapesim.service.store.run_record import Run, RunFork, RunState
from escapesim.service.testing import InProcessServer

PARENT = {
    "preset": "escape2004", "horizon_days": 40, "seed": 3, "replicates": 2,
    "checkpoint_days": [14],
}  # fmt: skip
PD1 = {"name": "anti-PD-1", "add_therapies": [{"kind": "anti_pd1", "at_days": [14, 21, 28]}]}
TIMEOUT = 120.0


def _settings(data: Path) -> Settings:
    return Settings.load(
        environ={},
        flags={"addr": "127.0.0.1:0", "data": str(data), "workers": 1,
               "simulate_workers": 1, "drain_seconds": 1},
    )  # fmt: skip


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, RunInfo]]:
    """A server with one finished parent run (replicates 0 and 1, a checkpoint on day 14)."""
    data = tmp_path_factory.mktemp("forks") / "data"
    with InProcessServer(_settings(data)) as server, server.client() as client:
        parent = client.wait(client.create_run(PARENT).run_id, timeout=TIMEOUT)
        assert parent.state is RunState.SUCCEEDED
        yield client, parent


def _replicate(client: Client, run_id: str, replicate: int, table: str) -> pd.DataFrame:
    frame = client.results(run_id, table)
    return frame[frame.replicate == replicate].reset_index(drop=True)


def test_arms_share_the_parent_past_bitwise_and_the_unchanged_arm_is_the_parent(
    served: tuple[Client, RunInfo],
) -> None:
    client, parent = served
    arms = [{"name": "unchanged"}, PD1]
    runs = client.fork_run(parent.run_id, replicate=1, day=14, arms=arms, request_id="f-1")
    assert [r.forked_from for r in runs] == [
        RunFork(parent.run_id, 1, 14.0, "unchanged"), RunFork(parent.run_id, 1, 14.0, "anti-PD-1")
    ]  # fmt: skip
    assert [(r.first_replicate, r.replicates_total) for r in runs] == [(1, 1), (1, 1)]
    again = client.fork_run(parent.run_id, replicate=1, day=14, arms=arms, request_id="f-1")
    assert [r.run_id for r in again] == [r.run_id for r in runs]
    finals = [client.wait(r.run_id, timeout=TIMEOUT) for r in runs]
    assert [f.state for f in finals] == [RunState.SUCCEEDED] * 2
    assert client.get_run(runs[1].run_id).forked_from == runs[1].forked_from

    before = _replicate(client, parent.run_id, 1, "trajectories")
    same = _replicate(client, runs[0].run_id, 1, "trajectories")
    pd.testing.assert_frame_equal(same, before, check_exact=True)
    summary = _replicate(client, parent.run_id, 1, "replicates")
    same_summary = _replicate(client, runs[0].run_id, 1, "replicates")
    shared = [c for c in same_summary.columns if c in summary.columns]
    pd.testing.assert_frame_equal(same_summary[shared], summary[shared], check_exact=True)

    treated = _replicate(client, runs[1].run_id, 1, "trajectories")
    past = before.t < 14  # the fork day's sample already shows the arm's dose on it
    pd.testing.assert_frame_equal(treated[past], before[past], check_exact=True)
    assert (treated.anti_PD1[~past] > 0).all()
    assert (before.anti_PD1 == 0).all()
    assert not treated["T"][~past].equals(before["T"][~past])


@pytest.mark.parametrize(
    ("fields", "code", "field", "text"),
    [
        ({"run_id": "no-such-run"}, grpc.StatusCode.NOT_FOUND, None, "not found"),
        ({"day": 10.0}, grpc.StatusCode.FAILED_PRECONDITION, "day", "on days: 14"),
        ({"replicate": 5}, grpc.StatusCode.FAILED_PRECONDITION, "replicate", "0 to 1"),
        ({"replicate": -1}, grpc.StatusCode.INVALID_ARGUMENT, "replicate", ""),
        ({"arms": []}, grpc.StatusCode.INVALID_ARGUMENT, "arms", "at least one"),
        ({"arms": [{"name": "a"}, {"name": "a"}]}, grpc.StatusCode.INVALID_ARGUMENT,
         "arms[1].name", "repeated"),
        ({"arms": [{"name": "a"}] * 33}, grpc.StatusCode.INVALID_ARGUMENT, "arms", "cap of 32"),
        ({"arms": [{"name": "early", "add_therapies": [{"kind": "anti_pd1", "at_days": [7]}]}]},
         grpc.StatusCode.INVALID_ARGUMENT, "arms[0].add_therapies[0].at_days[0]", "before the"),
        ({"arms": [{"name": "x"}, {"name": "bad", "parameters": {"no_such": 1.0}}]},
         grpc.StatusCode.INVALID_ARGUMENT, "arms[1].parameters.no_such", "unknown"),
        ({"arms": [{"name": "stop", "stop_therapies": ["il2"]}]},
         grpc.StatusCode.INVALID_ARGUMENT, "arms[0].stop_therapies[0]", "gives no"),
        ({"arms": [{"name": "short", "horizon_days": 10}]},
         grpc.StatusCode.INVALID_ARGUMENT, "arms[0].horizon_days", "after the fork day"),
    ],
)  # fmt: skip
def test_refusals_name_their_field(
    served: tuple[Client, RunInfo],
    fields: dict[str, object],
    code: grpc.StatusCode,
    field: str | None,
    text: str,
) -> None:
    client, parent = served
    asked: dict[str, object] = {"run_id": parent.run_id, "replicate": 0, "day": 14.0,
                                "arms": [{"name": "unchanged"}], **fields}  # fmt: skip
    run_id = asked.pop("run_id")
    with pytest.raises(ServiceError) as caught:
        client.fork_run(str(run_id), **asked)  # type: ignore[arg-type]
    assert caught.value.code == code, caught.value
    assert text in caught.value.message, caught.value.message
    if field is not None:
        assert [v.field for v in caught.value.violations] == [field]


def test_a_run_without_results_cannot_fork(served: tuple[Client, RunInfo]) -> None:
    client, _ = served
    busy = client.create_run({**PARENT, "replicates": 500, "horizon_days": 300})
    try:
        with pytest.raises(ServiceError) as caught:
            client.fork_run(busy.run_id, replicate=0, day=14, arms=[{"name": "a"}])
        assert caught.value.code == grpc.StatusCode.FAILED_PRECONDITION
        assert "has no results" in caught.value.message
    finally:
        client.cancel_run(busy.run_id)


def test_a_request_id_reused_for_another_fork_is_refused(served: tuple[Client, RunInfo]) -> None:
    client, parent = served
    client.fork_run(parent.run_id, replicate=0, day=14, arms=[{"name": "a"}], request_id="f-2")
    with pytest.raises(ServiceError) as caught:
        client.fork_run(parent.run_id, replicate=1, day=14, arms=[{"name": "a"}],
                        request_id="f-2")  # fmt: skip
    assert [v.field for v in caught.value.violations] == ["request_id"]


def test_forks_survive_a_restart_and_an_interrupted_fork_runs_again(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with InProcessServer(_settings(data)) as server, server.client() as client:
        parent = client.wait(client.create_run(PARENT).run_id, timeout=TIMEOUT)
        done = client.fork_run(parent.run_id, replicate=0, day=14, arms=[PD1])[0]
        done = client.wait(done.run_id, timeout=TIMEOUT)
        treated = client.results(done.run_id)
    # A fork the server was running when it died: RUNNING in the store, no results.
    store = Store(data)
    origin = RunFork(parent.run_id, 0, 14.0, PD1["name"])  # type: ignore[arg-type]
    arm = Scenario.from_dict(client_scenario(done))
    interrupted = Run.queued("interrupted-fork", None, arm, 0, forked_from=origin)
    store.insert(interrupted, 1)
    store.update(interrupted.moved(RunState.RUNNING), 2)
    store.close()
    with InProcessServer(_settings(data)) as server, server.client() as client:
        assert client.get_run(done.run_id).forked_from == origin
        pd.testing.assert_frame_equal(client.results(done.run_id), treated, check_exact=True)
        again = client.wait("interrupted-fork", timeout=TIMEOUT)
        assert again.state is RunState.SUCCEEDED
        assert again.forked_from == origin
        pd.testing.assert_frame_equal(client.results(again.run_id), treated, check_exact=True)


def client_scenario(run: RunInfo) -> dict[str, object]:
    """The scenario file mapping a run reports (every default filled in)."""
    return json.loads(json.dumps(run.scenario))


def test_the_fork_command_forks_and_follows(
    served: tuple[Client, RunInfo], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, parent = served
    files = []
    for arm in ({"name": "unchanged"}, PD1):
        files += ["--arm", str(tmp_path / f"{len(files)}.yaml")]
        Path(files[-1]).write_text(yaml.safe_dump(arm), encoding="utf-8")
    argv = ["fork", parent.run_id, "--replicate", "1", "--day", "14", *files,
            "--server", client.target, "--wait"]  # fmt: skip
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1:] for line in lines] == [["unchanged", "succeeded"],
                                                    ["anti-PD-1", "succeeded"]]  # fmt: skip
    forked = client.results(lines[0].split()[0])
    parent_rows = _replicate(client, parent.run_id, 1, "trajectories")
    pd.testing.assert_frame_equal(forked, parent_rows, check_exact=True)
    assert main(["runs", "get", lines[1].split()[0], "--server", client.target]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["forked_from"] == {"run_id": parent.run_id, "replicate": 1, "day": 14.0,
                                        "arm": "anti-PD-1"}  # fmt: skip
    assert main([*argv[:6], "--day", "15", *files, "--server", client.target]) == 1
    assert "FAILED_PRECONDITION" in capsys.readouterr().err
    Path(files[1]).write_text("- not a mapping\n", encoding="utf-8")
    assert main(argv) == 2
