"""An SBML model through every door a preset goes through: the command line (a flag, a
scenario file naming the model's path, an ensemble file) and a real gRPC server with its
SQLite store, where the model's text travels inside the Scenario message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from escapesim import engine
from escapesim.service.api.settings import Settings
from escapesim.service.cli import main
from escapesim.service.client import Client, ServiceError
from escapesim.service.store.run_record import RunState
from escapesim.service.testing import InProcessServer
from tests import sbml_support

MODEL = sbml_support.birth_death(0.3, 0.2, 40).text()


@pytest.fixture
def model(tmp_path: Path) -> Path:
    path = tmp_path / "models" / "birth_death.xml"
    path.parent.mkdir()
    path.write_text(MODEL, encoding="utf-8")
    return path


def _local(replicate: int, **changes: object) -> engine.Result:
    data = {"sbml": MODEL, "horizon_days": 5, "replicates": 2, "seed": 11, **changes}
    return engine.simulate(engine.Scenario.from_dict(data), replicate)


def test_simulate_with_the_sbml_flag(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["simulate", "--sbml", str(model), "--horizon", "5", "--replicates", "2",
                   "--seed", "11", "--set", "lambda=0.3", "--json"])  # fmt: skip
    captured = capsys.readouterr()
    assert status == 0, captured.err
    document = json.loads(captured.out)
    assert document["preset"] == "birth_death_sbml"
    assert document["parameters"]["lambda"] == 0.3
    finals = [r["final"]["X"] for r in document["replicates"]]
    assert finals == [_local(k, parameters={"lambda": 0.3}).trajectory["X"][-1] for k in (0, 1)]


def test_a_scenario_file_names_the_model_by_a_relative_path(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text("sbml: models/birth_death.xml\nhorizon_days: 5\nseed: 11\n")
    assert main(["simulate", "--scenario", str(scenario), "--json"]) == 0
    capsys.readouterr()
    missing = tmp_path / "missing.yaml"
    missing.write_text("sbml: models/nothing.xml\n")
    assert main(["simulate", "--scenario", str(missing)]) == 2
    assert "sbml models/nothing.xml: cannot read the SBML file" in capsys.readouterr().err
    assert main(["simulate", "--sbml", str(model), "--set", "nope=1"]) == 2
    assert "'nope' is not a parameter" in capsys.readouterr().err


def test_an_ensemble_of_an_sbml_model(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ensemble = tmp_path / "ensemble.yaml"
    ensemble.write_text(
        "scenario: {sbml: models/birth_death.xml, horizon_days: 5, seed: 3}\n"
        "replicates: 3\ngrid:\n  parameters:\n    mu: [0.1, 0.5]\n"
        "arms:\n  - {name: base}\n  - {name: fast, parameters: {lambda: 0.6}}\n"
    )
    status = main(["ensemble", str(ensemble), "--json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert len(json.loads(captured.out)["cells"]) == 4


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    data = tmp_path_factory.mktemp("sbml_rpc") / "data"
    settings = Settings.load(
        environ={},
        flags={"addr": "127.0.0.1:0", "data": str(data), "workers": 1, "simulate_workers": 1,
               "drain_seconds": 1},
    )  # fmt: skip
    with InProcessServer(settings) as running, running.client() as connected:
        yield connected


def test_a_run_of_an_sbml_scenario_over_grpc_matches_the_local_run(client: Client) -> None:
    run = client.create_run({"sbml": MODEL, "horizon_days": 5, "replicates": 2, "seed": 11})
    final = client.wait(run.run_id, timeout=120)
    assert final.state is RunState.SUCCEEDED, final
    frame = client.results(run.run_id)
    assert list(frame.columns) == ["replicate", "t", "X"]
    remote = frame[frame["replicate"] == 1]
    assert remote["X"].tolist() == _local(1).trajectory["X"].tolist()
    # The stored run gives its scenario back with the model's text.
    assert client.get_run(run.run_id).scenario["sbml"] == MODEL


def test_a_bad_model_over_grpc_is_invalid_argument_naming_the_sbml_field(client: Client) -> None:
    broken = MODEL.replace('stoichiometry="2"', 'stoichiometry="1.5"')
    with pytest.raises(ServiceError) as caught:
        client.with_defaults({"sbml": broken})
    assert caught.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in caught.value.violations] == ["scenario.sbml"]
    assert (
        "reaction Birth: species X: non-integer stoichiometry 1.5"
        in caught.value.violations[0].message
    )
