"""The fully exact mode as a scenario field: files, the command line and a real server.

``Scenario.exact`` (YAML/JSON ``exact: true``, ``simulate --exact``, the proto's
``Scenario.exact``) runs every channel by Gillespie's direct method. These tests check
that the field is validated, travels unchanged to every place a scenario goes (a server
run, its stored scenario, a result's provenance) and gives there exactly the numbers of
a local ``KernelSettings(exact=True)`` run. That the exact mode samples the exact law is
tests/test_dsmts.py's job.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import yaml

from escapesim import engine
from escapesim.engine import Scenario, ScenarioError
from escapesim.service.api.settings import Settings
from escapesim.service.cli import main
from escapesim.service.testing import InProcessServer

#: Birth–death from 1000 cells: the hybrid kernel leaps here, the exact mode never does,
#: so the two give different numbers and a lost flag shows.
FILE = {
    "preset": "birth_death", "parameters": {"birth": 1.0, "death": 1.0},
    "initial": {"T": 1000}, "horizon_days": 2.0, "seed": 17, "replicates": 2,
}  # fmt: skip


def _local_exact(k: int) -> engine.Result:
    """Replicate ``k`` run in this process with the kernel setting itself."""
    scenario = Scenario.from_dict(FILE)
    return engine.Simulation(scenario, k, settings=engine.KernelSettings(exact=True)).run()


def test_the_field_defaults_to_the_hybrid_kernel_and_round_trips() -> None:
    assert Scenario.from_dict(FILE).exact is False
    exact = Scenario.from_dict({**FILE, "exact": True})
    assert exact.exact is True
    assert exact.to_dict()["exact"] is True
    assert Scenario.from_dict(exact.to_dict()) == exact
    # Scenarios stored before the field existed (no key) read as hybrid.
    assert Scenario.from_dict(FILE).to_dict()["exact"] is False


@pytest.mark.parametrize("value", ["yes", 1, 0.0, None])
def test_a_non_boolean_is_refused_naming_the_field(value: object) -> None:
    with pytest.raises(ScenarioError) as caught:
        Scenario.from_dict({**FILE, "exact": value})
    assert [(v.field, v.message) for v in caught.value.violations] == [
        ("exact", "must be true or false")
    ]


def test_an_exact_scenario_runs_exactly_and_says_so_in_its_provenance() -> None:
    scenario = Scenario.from_dict({**FILE, "exact": True})
    simulation = engine.Simulation(scenario, 1)
    result = simulation.run()
    assert [simulation.step_ends[e] for e in ("leap", "critical", "calendar")] == [0, 0, 0]
    assert result.provenance.scenario.exact is True
    assert np.array_equal(result.trajectory["T"], _local_exact(1).trajectory["T"])
    hybrid = engine.simulate(Scenario.from_dict(FILE), 1)
    assert not np.array_equal(hybrid.trajectory["T"], result.trajectory["T"])


def test_simulate_exact_on_the_command_line_and_in_a_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "exact.yaml"
    path.write_text(yaml.safe_dump({**FILE, "exact": True}))
    by_file = ["simulate", "--scenario", str(path), "--json"]
    by_flag = ["simulate", "--scenario", str(path.with_name("hybrid.json")), "--exact", "--json"]
    path.with_name("hybrid.json").write_text(json.dumps(FILE))
    documents = []
    for argv in (by_file, by_flag):
        assert main(argv) == 0
        documents.append(json.loads(capsys.readouterr().out))
    expected = [round(_local_exact(k).final()["T"]) for k in (0, 1)]
    for document in documents:
        assert document["exact"] is True
        assert [r["final"]["T"] for r in document["replicates"]] == expected


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    settings = Settings.load(
        environ={},
        flags={"addr": "127.0.0.1:0", "data": str(tmp_path_factory.mktemp("exact") / "data"),
               "workers": 1, "simulate_workers": 1, "drain_seconds": 1},
    )  # fmt: skip
    running = InProcessServer(settings)
    running.start(timeout=300)  # its workers load the compiled kernel: slow on a busy machine
    try:
        yield running
    finally:
        running.stop(timeout=120)


def test_a_server_run_with_exact_true_gives_the_local_exact_result(
    server: InProcessServer,
) -> None:
    with server.client() as client:
        run = client.create_run({**FILE, "exact": True})
        final = client.wait(run.run_id, timeout=120)
        assert final.state.name == "SUCCEEDED"
        assert final.scenario["exact"] is True  # stored and reported with the run
        frame = client.results(run.run_id)
        streamed = [s for s in client.simulate({**FILE, "exact": True}, timeout=120)
                    if hasattr(s, "final_values")]  # fmt: skip
    for k in (0, 1):
        local = _local_exact(k)
        remote = frame[frame["replicate"] == k]
        assert remote["T"].tolist() == local.trajectory["T"].tolist()
        assert streamed[k].final_values == local.final()
