"""Global sensitivity: the driver against indices known exactly (Sobol by quadrature of
birth–death's expected final count, Morris of a linear function), validation, and the
command line on a real simulator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from escapesim.engine import ScenarioError
from escapesim.service.cli import main
from escapesim.service.fitting.sensitivity_analysis import analyse
from escapesim.service.fitting.sensitivity_runs import set_scenarios, simulated
from escapesim.service.fitting.sensitivity_spec import SensitivitySpec
from escapesim.service.results.tables import read_parquet

SCENARIO = {"preset": "kuznetsov1994", "horizon_days": 20, "seed": 5}
QUANTITY = [{"kind": "tumour_burden", "day": 10}]
N0, T = 100.0, 10.0
B, D = (0.2, 0.4), (0.1, 0.3)


def _spec(**changes: object) -> SensitivitySpec:
    data = {"scenario": SCENARIO, "method": "sobol", "samples": 1024, "replicates": 1,
            "parameters": {"a": {"low": 0.1, "high": 0.3}, "d": {"low": 0.1, "high": 0.5}},
            "quantities": QUANTITY, "seed": 2, **changes}  # fmt: skip
    return SensitivitySpec.from_dict(data)


def _expected_count(sets: list[dict[str, float]]) -> np.ndarray:
    # Birth-death's mean count N0·exp((b − d)t), with b standing in the "a" factor.
    return np.array([[N0 * np.exp((s["a"] - s["d"]) * T)] for s in sets])


def _quadrature_indices() -> dict[str, tuple[float, float]]:
    """Exact S1 and ST of f(b, d) = N0·g(b)·h(d), b ~ U(B), d ~ U(D) independent, by a
    fine midpoint rule (the error of 20k points is ~1e-9, far below the tolerance)."""
    grid = (np.arange(20_000) + 0.5) / 20_000
    g = np.exp(np.interp(grid, [0, 1], B) * T)
    h = np.exp(-np.interp(grid, [0, 1], D) * T)
    mean_g, mean_h = g.mean(), h.mean()
    variance = (g**2).mean() * (h**2).mean() - (mean_g * mean_h) ** 2
    first_b = mean_h**2 * g.var() / variance
    first_d = mean_g**2 * h.var() / variance
    # ST_i = 1 − S1 of all others (two factors): ST_b = 1 − S1_d.
    return {"a": (first_b, 1 - first_d), "d": (first_d, 1 - first_b)}


def test_sobol_indices_match_quadrature() -> None:
    spec = _spec(parameters={"a": {"low": B[0], "high": B[1]}, "d": {"low": D[0], "high": D[1]}})
    indices = analyse(spec, _expected_count).indices.to_pylist()
    exact = _quadrature_indices()
    for row in indices:
        first, total = exact[row["parameter"]]
        # SALib's *_conf is a 95 % bootstrap half-width (1.96 standard errors); twice it
        # is ~4 standard errors (a ~6e-5 chance of failing for an unbiased estimator).
        # The intervals must also be informative (< 0.1) for the check to mean anything.
        assert row["S1_conf"] < 0.1
        assert row["ST_conf"] < 0.1
        assert abs(row["S1"] - first) < 2 * row["S1_conf"], row
        assert abs(row["ST"] - total) < 2 * row["ST_conf"], row


def test_morris_finds_a_linear_functions_slopes_exactly() -> None:
    spec = _spec(method="morris", samples=20, parameters={
        "a": {"low": 0.0, "high": 1.0}, "d": {"low": 0.0, "high": 1.0},
        "s": {"low": 0.0, "high": 1.0},
    })  # fmt: skip
    # Elementary effects of a linear function are its slopes times the range (1 here),
    # for every trajectory: μ* equals |slope| and σ is zero, exactly (to rounding).
    indices = analyse(spec, lambda sets: np.array([[3 * s["a"] - s["d"]] for s in sets]))
    found = {r["parameter"]: r for r in indices.indices.to_pylist()}
    assert found["a"]["mu_star"] == pytest.approx(3.0)
    assert found["d"]["mu_star"] == pytest.approx(1.0)
    assert found["s"]["mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert all(r["sigma"] == pytest.approx(0.0, abs=1e-9) for r in found.values())


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"method": "fast"}, "method"),
        ({"parameters": {"zz": {"low": 0, "high": 1}}}, "parameters.zz"),
        ({"parameters": {"a": {"low": 2, "high": 1}}}, "parameters.a.high"),
        ({"parameters": {"a": {"low": -1, "high": 1}}}, "parameters.a.low"),
        ({"quantities": [{"kind": "burden", "day": 3}]}, "quantities[0].kind"),
        ({"quantities": [{"kind": "tumour_burden", "day": 99}]}, "quantities[0].day"),
        ({"scenario": {"preset": "kuznetsov1994", "horizon_days": -1}}, "scenario.horizon_days"),
    ],
)
def test_a_bad_spec_names_its_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        _spec(**changes)
    assert [v.field for v in caught.value.violations] == [field]


def test_every_parameter_set_shares_the_seed_so_equal_sets_give_equal_outcomes() -> None:
    spec = _spec(replicates=3)
    sets = [{"a": 0.2, "d": 0.3}, {"a": 0.25, "d": 0.3}, {"a": 0.2, "d": 0.3}]
    assert {s.seed for s in set_scenarios(spec, sets)} == {SCENARIO["seed"]}
    found = simulated(spec)(sets)
    assert found[0].tolist() == found[2].tolist()  # common random numbers
    assert found[0].tolist() != found[1].tolist()


def test_the_command_line_writes_indices_and_a_figure(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "scenario: {preset: kuznetsov1994, horizon_days: 20, seed: 5}\n"
        "method: morris\nsamples: 3\nreplicates: 2\nseed: 1\n"
        "parameters:\n  a: {low: 0.1, high: 0.3}\n  s: {low: 1e3, high: 3e4, log: true}\n"
        "quantities:\n  - {kind: tumour_burden, day: 20}\n"
        "  - {kind: escape_probability, day: 20}\n"
    )
    out = tmp_path / "out"
    assert main(["sensitivity", str(spec), "--out", str(out)]) == 0
    indices = read_parquet(out / "indices.parquet").to_pylist()
    assert {(r["quantity"], r["parameter"]) for r in indices} == {
        (q, p) for q in ("tumour_burden@20", "escape_probability@20") for p in ("a", "s")
    }
    assert read_parquet(out / "samples.parquet").num_rows == 3 * 3
    assert (out / "sensitivity.png").stat().st_size > 10_000


def test_the_notebook_call_returns_the_cli_tables_as_dataframes(tmp_path: Path) -> None:
    import escapesim

    spec = {"scenario": SCENARIO, "method": "morris", "samples": 2, "replicates": 1,
            "seed": 1, "parameters": {"a": {"low": 0.1, "high": 0.3}},
            "quantities": QUANTITY}  # fmt: skip
    found = escapesim.sensitivity(spec)
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    assert main(["sensitivity", str(tmp_path / "spec.yaml"), "--out", str(tmp_path)]) == 0
    assert found.indices.equals(read_parquet(tmp_path / "indices.parquet").to_pandas())
    assert len(found.samples) == 2 * 2
