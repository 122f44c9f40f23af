"""Write examples/data/kuznetsov_measurements.tsv: synthetic data for the calibration example.

Two conditions (the paper's default start of 5e6 tumour cells, and a smaller one of
1e6) of kuznetsov1994 at its default parameters (a = 0.18/day, n = 1.101e-7/(cell·day)),
three subjects each, the tumour measured every 10 days as log10(1 + cells) with normal
noise of σ = 0.05 (about ±12 % in cells, a caliper's typical error). Run it to
regenerate the file exactly (fixed seeds):

    .venv/bin/python examples/make_kuznetsov_data.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from escapesim.engine import Scenario, simulate
from escapesim.engine.calibration import observe

DAYS = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
CONDITIONS = {"standard_start": {}, "small_start": {"initial": {"T": 1e6}}}
SUBJECTS = 3
SIGMA = 0.05


def rows() -> list[dict[str, object]]:
    """The table's rows, in condition, subject and time order."""
    noise = np.random.default_rng(2004)
    found = []
    for condition, changes in CONDITIONS.items():
        scenario = Scenario.from_dict(
            {"preset": "kuznetsov1994", "horizon_days": DAYS[-1], "sample_days": DAYS,
             "stop_at_outcome": True, "seed": 1994, **changes}
        )  # fmt: skip
        for subject in range(SUBJECTS):
            result = simulate(scenario, subject)
            values = observe(result, "log10_tumour", scenario.network())
            for t, value in zip(result.times, values, strict=True):
                found.append({
                    "observableId": "log10_tumour", "simulationConditionId": condition,
                    "replicateId": f"mouse{subject + 1}", "time": float(t),
                    "measurement": round(float(value + noise.normal(0.0, SIGMA)), 4),
                    "noiseParameters": SIGMA,
                })  # fmt: skip
    return found


if __name__ == "__main__":
    path = Path(__file__).parent / "data" / "kuznetsov_measurements.tsv"
    pd.DataFrame(rows()).to_csv(path, sep="\t", index=False)
    print(f"wrote {path}")
