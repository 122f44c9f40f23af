"""Parameter populations (virtual patients): draws by (seed, k), pairing across arms,
correlations, bounds, particles, validation with field paths, and the drawn values in
the replicate table of a real server's run."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from escapesim import engine
from escapesim.engine.ensemble import Ensemble
from escapesim.service.api.convert.runs import scenario_from_proto, scenario_to_proto
from escapesim.service.api.settings import Settings
from escapesim.service.client import Client
from escapesim.service.store.run_record import RunState
from escapesim.service.testing import InProcessServer

LOG_NORMAL_S = {
    "parameter": "s", "kind": "log_normal", "arguments": {"median": 1.3e4, "sigma": 0.3}
}  # fmt: skip


def _scenario(population: dict[str, object], **changes: object) -> engine.Scenario:
    data = {"preset": "kuznetsov1994", "horizon_days": 5, "seed": 3, "replicates": 4}
    return engine.Scenario.from_dict({**data, **changes, "population": population})


def _violations(population: object) -> list[str]:
    with pytest.raises(engine.ScenarioError) as caught:
        _scenario(population)  # type: ignore[arg-type]
    return [v.field for v in caught.value.violations]


def test_a_draw_depends_on_seed_and_replicate_alone() -> None:
    population = {"distributions": [LOG_NORMAL_S]}
    base = _scenario(population)
    other = _scenario(population, replicates=40, horizon_days=9)
    draws = [base.replicate_parameters(k)["s"] for k in range(4)]
    assert draws == [other.replicate_parameters(k)["s"] for k in range(4)]
    assert len(set(draws)) == 4
    assert _scenario(population, seed=4).replicate_parameters(0)["s"] != draws[0]
    # Undrawn parameters keep the scenario's values.
    assert base.replicate_parameters(2)["a"] == base.parameters["a"]


def test_the_simulation_runs_on_the_drawn_parameters() -> None:
    scenario = _scenario({"distributions": [LOG_NORMAL_S]})
    drawn = scenario.replicate_parameters(1)
    fixed = engine.Scenario.from_dict({**scenario.to_dict(), "population": None,
                                       "parameters": dict(drawn)})  # fmt: skip
    assert fixed.population is None
    ours, theirs = engine.simulate(scenario, 1), engine.simulate(fixed, 1)
    assert ours.trajectory["T"].tolist() == theirs.trajectory["T"].tolist()


def test_every_arm_of_an_ensemble_gets_the_same_patients() -> None:
    ensemble = Ensemble.from_dict({
        "scenario": {"preset": "kuznetsov1994", "horizon_days": 5, "seed": 8,
                     "population": {"distributions": [LOG_NORMAL_S]}},
        "replicates": 5,
        "arms": [{"name": "control"}, {"name": "fast", "parameters": {"a": 0.3}}],
    })  # fmt: skip
    control, fast = (cell.scenario for cell in ensemble.points())
    for k in range(5):
        assert control.replicate_parameters(k)["s"] == fast.replicate_parameters(k)["s"]
    assert fast.replicate_parameters(0)["a"] == 0.3


def test_an_arm_or_a_grid_may_not_set_a_drawn_parameter() -> None:
    scenario = {"preset": "kuznetsov1994", "population": {"distributions": [LOG_NORMAL_S]}}
    with pytest.raises(engine.ScenarioError) as caught:
        Ensemble.from_dict({"scenario": scenario, "replicates": 2,
                            "arms": [{"name": "a", "parameters": {"s": 1.0}}]})  # fmt: skip
    assert [v.field for v in caught.value.violations] == ["arms[0].parameters.s"]
    with pytest.raises(engine.ScenarioError) as caught:
        Ensemble.from_dict({"scenario": scenario, "replicates": 2,
                            "grid": {"parameters": {"s": [1.0, 2.0]}}})  # fmt: skip
    assert [v.field for v in caught.value.violations] == ["grid.parameters.s"]


def test_a_copula_correlation_is_recovered() -> None:
    rho = 0.6
    scenario = _scenario({
        "distributions": [
            {"parameter": "s", "kind": "normal", "arguments": {"mean": 1.3e4, "sd": 1e3}},
            {"parameter": "a", "kind": "normal", "arguments": {"mean": 0.18, "sd": 0.01}},
        ],
        "correlations": [{"first": "s", "second": "a", "rho": rho}],
    })  # fmt: skip
    n = 4000
    draws = np.array([[scenario.replicate_parameters(k)[p] for p in ("s", "a")] for k in range(n)])
    found = np.corrcoef(draws.T)[0, 1]
    # Fisher's z of a sample correlation has standard error 1/sqrt(n-3) = 0.0158; 4 of
    # them (a 6e-5 two-sided chance of failing) is 0.063 in z, i.e. about
    # 0.063 * (1 - rho^2) = 0.04 in r near rho = 0.6.
    assert abs(math.atanh(found) - math.atanh(rho)) < 4 / math.sqrt(n - 3)
    # The marginals are the laws asked for: the mean within 4 standard errors.
    assert abs(draws[:, 0].mean() - 1.3e4) < 4 * 1e3 / math.sqrt(n)


def test_unbounded_laws_are_clipped_and_bounded_ones_refused_outside_bounds() -> None:
    wide = {"parameter": "a", "kind": "normal", "arguments": {"mean": 0.0, "sd": 1.0}}
    scenario = _scenario({"distributions": [wide]})
    lower = scenario.network().parameter("a").lower  # type: ignore[union-attr]
    draws = [scenario.replicate_parameters(k)["a"] for k in range(200)]
    assert min(draws) == lower  # about half the draws fall below the bound: clipped to it
    assert _violations({"distributions": [
        {"parameter": "a", "kind": "uniform", "arguments": {"low": -1.0, "high": 0.5}}
    ]}) == ["population.distributions[0].arguments.low"]  # fmt: skip


def test_particles_are_resampled_by_weight() -> None:
    scenario = _scenario({"particles": {
        "parameters": ["s", "a"], "values": [1e4, 0.1, 2e4, 0.2], "weights": [1.0, 3.0],
    }})  # fmt: skip
    n = 2000
    picks = [scenario.replicate_parameters(k)["s"] == 2e4 for k in range(n)]
    # Binomial(n, 3/4): standard deviation sqrt(n * 3/16) = 19.4 draws; allow 4 of them.
    assert abs(sum(picks) - 0.75 * n) < 4 * math.sqrt(n * 3 / 16)
    assert {scenario.replicate_parameters(k)["a"] for k in range(20)} == {0.1, 0.2}


@pytest.mark.parametrize(
    ("population", "fields"),
    [
        ({"distributions": [{"parameter": "nope", "kind": "normal",
                             "arguments": {"mean": 1, "sd": 1}}]},
         ["population.distributions[0].parameter"]),
        ({"distributions": [{"parameter": "s", "kind": "gamma", "arguments": {}}]},
         ["population.distributions[0].kind"]),
        ({"distributions": [{"parameter": "s", "kind": "normal", "arguments": {"mean": 1}}]},
         ["population.distributions[0].arguments"]),
        ({"distributions": [{"parameter": "s", "kind": "normal",
                             "arguments": {"mean": 1, "sd": -1}}]},
         ["population.distributions[0].arguments.sd"]),
        ({"distributions": [LOG_NORMAL_S], "correlations": [{"first": "s", "second": "a",
                                                             "rho": 0.5}]},
         ["population.correlations[0].second"]),
        ({"particles": {"parameters": ["s"], "values": [1.0, 2.0], "weights": [1.0]}},
         ["population.particles.values"]),
        ({"particles": {"parameters": ["s"], "values": [-5.0], "weights": [1.0]}},
         ["population.particles.values[row 0]"]),
        ({"particles": {"path": "posterior.csv"}}, ["population.particles.path"]),
        ({"colour": 1}, ["population.colour"]),
    ],
)  # fmt: skip
def test_a_bad_population_names_its_field(population: object, fields: list[str]) -> None:
    assert _violations(population) == fields


def test_a_correlation_matrix_must_be_positive_definite() -> None:
    laws = [{"parameter": p, "kind": "normal", "arguments": {"mean": 1.0, "sd": 0.1}}
            for p in ("s", "a", "d")]  # fmt: skip
    pairs = [("s", "a", 0.9), ("a", "d", 0.9), ("s", "d", -0.9)]
    correlations = [{"first": a, "second": b, "rho": rho} for a, b, rho in pairs]
    fields = _violations({"distributions": laws, "correlations": correlations})
    assert fields == ["population.correlations"]


def test_the_population_survives_the_proto_both_ways() -> None:
    scenario = _scenario({
        "distributions": [
            LOG_NORMAL_S,
            {"parameter": "a", "kind": "uniform", "arguments": {"low": 0.1, "high": 0.3}},
        ],
        "correlations": [{"first": "s", "second": "a", "rho": 0.0}],
        "particles": {"parameters": ["d"], "values": [0.3, 0.4], "weights": [1.0, 1.0]},
    })  # fmt: skip
    assert scenario_from_proto(scenario_to_proto(scenario)) == scenario


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    data = tmp_path_factory.mktemp("population_rpc") / "data"
    settings = Settings.load(
        environ={},
        flags={"addr": "127.0.0.1:0", "data": str(data), "workers": 1, "simulate_workers": 1,
               "drain_seconds": 1},
    )  # fmt: skip
    with InProcessServer(settings) as running, running.client() as connected:
        yield connected


def test_a_run_on_a_server_records_each_patients_parameters(client: Client) -> None:
    scenario = _scenario({"distributions": [LOG_NORMAL_S]})
    run = client.create_run(scenario.to_dict())
    final = client.wait(run.run_id, timeout=120)
    assert final.state is RunState.SUCCEEDED, final
    replicates = client.results(run.run_id, "replicates").sort_values("replicate")
    expected = [scenario.replicate_parameters(k)["s"] for k in range(4)]
    assert replicates["parameters.s"].tolist() == expected
    assert client.get_run(run.run_id).scenario["population"]["distributions"][0]["kind"] == (
        "log_normal"
    )


def test_a_scenario_file_gives_particles_as_a_csv_path(tmp_path: Path) -> None:
    from escapesim.service.cli.scenario_input import load_scenario_file

    (tmp_path / "posterior.csv").write_text("s,a,weight\n1e4,0.1,1\n2e4,0.2,3\n")
    path = tmp_path / "scenario.yaml"
    path.write_text("preset: kuznetsov1994\npopulation:\n  particles: {path: posterior.csv}\n")
    scenario = engine.Scenario.from_dict(load_scenario_file(str(path)))
    assert scenario.population is not None
    assert scenario.population.particles is not None
    assert scenario.population.particles.values == ((1e4, 0.1), (2e4, 0.2))
    assert scenario.population.particles.weights == (1.0, 3.0)
