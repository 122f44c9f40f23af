"""Small calibrations and sensitivity analyses shared by the analysis service tests."""

from __future__ import annotations

from typing import Any

#: A Morris screening of two kuznetsov1994 parameters: 3 trajectories × 3 sets, 2 replicates.
SENSITIVITY: dict[str, Any] = {
    "scenario": {"preset": "kuznetsov1994", "horizon_days": 20, "seed": 5},
    "method": "morris", "samples": 3, "replicates": 2, "seed": 1,
    "parameters": {"a": {"low": 0.1, "high": 0.3}, "s": {"low": 1e3, "high": 3e4, "log": True}},
    "quantities": [{"kind": "tumour_burden", "day": 20}, {"kind": "escape_probability", "day": 20}],
}  # fmt: skip
#: Long enough to cancel or kill in the middle: Sobol, 64 × 4 sets of 20 replicates of
#: 1500 days (~0.5 s a set on one worker).
SLOW_SENSITIVITY: dict[str, Any] = {
    **SENSITIVITY, "method": "sobol", "samples": 64, "replicates": 20,
    "scenario": {"preset": "kuznetsov1994", "horizon_days": 1500, "seed": 11},
}  # fmt: skip
#: One fitted parameter, two generations of 10 particles on one measurement.
CALIBRATION: dict[str, Any] = {
    "scenario": {"preset": "kuznetsov1994"}, "conditions": {"c": {}},
    "priors": {"a": {"kind": "uniform", "low": 0.05, "high": 0.5}},
    "population": 10, "seed": 5, "predictive_draws": 3, "stopping": {"generations": 2},
}  # fmt: skip
ROWS: list[dict[str, Any]] = [
    {"observableId": "log10_tumour", "simulationConditionId": "c", "time": 10.0,
     "measurement": 7.0, "noiseParameters": 0.3},
    {"observableId": "log10_tumour", "simulationConditionId": "c", "time": 20.0,
     "measurement": 7.5, "noiseParameters": 0.3},
]  # fmt: skip
