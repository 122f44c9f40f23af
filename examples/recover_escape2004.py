"""Parameter recovery on escape2004 (issue 15 §1; docs/calibration.md): the
elimination example's tumour burden in immunocompetent hosts and in hosts without
cytotoxic T cells (as nude mice are used beside wild type), simulated at known values
and measured with noise: 5 hosts each, wild type to day 18 (when it is cleared), CTL-less
to day 30. The second condition pins the growth rate; the first, given it, the kill rate
(with the first alone the two trade off: a fit of 4 subjects left the division rate's
interval at half its prior). Simulates the data, fits it by ABC-SMC on 2 workers and
prints each parameter's posterior median and 95 % credible interval (the slow test
``test_parameter_recovery_on_escape2004`` runs this design):

    .venv/bin/python examples/recover_escape2004.py [--population 150] [--generations 8]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from escapesim.engine import Scenario, simulate
from escapesim.engine.calibration import CalibrationSpec, observe
from escapesim.service.cli.scenario_input import load_scenario_file
from escapesim.service.fitting.calibration_local import calibrate_here

EXAMPLE = Path(__file__).resolve().parent / "elimination.yaml"
#: escape2004's defaults (docs/escape2004.md): the CTL kill rate and the division rate.
TRUTH = {"ctl_kill_rate": 1.0, "division_rate": 0.23}
#: Sampling days per condition: the wild-type tumour is cleared by day ~17; the CTL-less
#: one grows on, and a longer series pins its growth rate (the slope's error falls as the
#: spread of the days grows).
DAYS = {"wild_type": [3.0, 6.0, 9.0, 12.0, 15.0, 18.0],
        "no_ctl": [3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0, 24.0, 27.0, 30.0]}  # fmt: skip
SUBJECTS = 5
#: Condition id → scenario changes (the calibration's ``conditions``).
CONDITIONS: dict[str, dict[str, Any]] = {
    "wild_type": {}, "no_ctl": {"mechanisms": {"cytotoxicity": False}},
}
#: log10 units: about ±25 % in cells, a caliper's error on a small tumour.
SIGMA = 0.1


def base_scenario() -> dict[str, Any]:
    """The elimination example (CTLs clear 1e3 tumour cells by day ~17)."""
    return dict(load_scenario_file(str(EXAMPLE), where=str(EXAMPLE)))


def measurement_rows() -> list[dict[str, Any]]:
    """The PEtab rows: log10 tumour of every subject at every day, with normal noise."""
    rows = []
    noise = np.random.default_rng(15)
    for condition, changes in CONDITIONS.items():
        base = base_scenario()
        days = DAYS[condition]
        data = {**base, "horizon_days": days[-1], "sample_days": days,
                "stop_at_outcome": True, "seed": 20261203,
                "parameters": {**base.get("parameters", {}), **TRUTH},
                "mechanisms": {**base.get("mechanisms", {}), **changes.get("mechanisms", {})}}
        scenario = Scenario.from_dict(data)
        for subject in range(SUBJECTS):
            result = simulate(scenario, subject)
            values = observe(result, "log10_tumour", scenario.network())
            for day, value in zip(result.times, values, strict=True):
                rows.append({"observableId": "log10_tumour",
                             "simulationConditionId": condition,
                             "replicateId": f"mouse{subject + 1}", "time": float(day),
                             "measurement": float(value + noise.normal(0.0, SIGMA)),
                             "noiseParameters": SIGMA})  # fmt: skip
    return rows


def calibration(population: int = 150, generations: int = 8) -> dict[str, Any]:
    """The calibration's mapping (without its table)."""
    return {
        "scenario": base_scenario(), "conditions": CONDITIONS,
        "priors": {"ctl_kill_rate": {"kind": "log_uniform", "low": 0.1, "high": 10.0},
                   "division_rate": {"kind": "uniform", "low": 0.1, "high": 0.4}},
        "population": population, "seed": 3, "predictive_draws": 10,
        "stopping": {"generations": generations, "simulations": 20_000},
    }  # fmt: skip


def main() -> None:
    """Fit the synthetic data and print the posterior against the truth."""
    parser = argparse.ArgumentParser(description="escape2004 parameter recovery")
    parser.add_argument("--population", type=int, default=150)
    parser.add_argument("--generations", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path("out/recover_escape2004"))
    args = parser.parse_args()
    spec = CalibrationSpec.from_dict(calibration(args.population, args.generations),
                                     measurement_rows())  # fmt: skip
    start = time.perf_counter()
    found = calibrate_here(spec, args.out, workers=2)
    print(f"{found['evaluations']} parameter sets in {time.perf_counter() - start:.0f} s; "
          f"truth {TRUTH}")  # fmt: skip
    print(json.dumps(found["posterior"], indent=1))


if __name__ == "__main__":
    main()
