"""What a sensitivity analysis writes: the design, the indices, the figure, a summary.

One writer for ``escapesim sensitivity`` (here or ``--server``) and the durable job:
``samples.parquet`` (one row per parameter set with its quantities), ``indices.parquet``
(one row per quantity × parameter), ``sensitivity.png`` and ``summary.json`` (the
method, design size and seeds, so the tables can be traced back to their spec).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from escapesim.service.fitting.sensitivity_analysis import SensitivityResult
from escapesim.service.fitting.sensitivity_spec import SensitivitySpec
from escapesim.service.results.sensitivity_plot import plot_sensitivity
from escapesim.service.results.tables import write_parquet

SAMPLES, INDICES, FIGURE, SUMMARY = (
    "samples.parquet", "indices.parquet", "sensitivity.png", "summary.json",
)  # fmt: skip


def summary(spec: SensitivitySpec, seconds: float | None = None) -> dict[str, Any]:
    """The analysis's settings and size (and its wall time, where it was measured)."""
    document: dict[str, Any] = {
        "preset": spec.scenario.preset, "method": spec.method, "samples": spec.samples,
        "replicates": spec.replicates, "seed": spec.seed,
        "scenario_seed": spec.scenario.seed, "parameter_sets": spec.sample_count(),
        "simulations": spec.simulations(),
        "parameters": {f.parameter: {"low": f.low, "high": f.high, "log": f.log}
                       for f in spec.factors},
        "quantities": [q.name for q in spec.quantities],
    }  # fmt: skip
    if seconds is not None:
        document["seconds"] = seconds
    return document


def write(
    result: SensitivityResult, spec: SensitivitySpec, out: Path, seconds: float | None = None
) -> dict[str, Path]:
    """Write every output to ``out`` (created); returns the files by part name."""
    out.mkdir(parents=True, exist_ok=True)
    write_parquet(result.samples, out / SAMPLES)
    write_parquet(result.indices, out / INDICES)
    plot_sensitivity(result.indices, spec.method, out / FIGURE)
    text = json.dumps(summary(spec, seconds), indent=2) + "\n"
    (out / SUMMARY).write_text(text, encoding="utf-8")
    return {"design": out / SAMPLES, "indices": out / INDICES, "summary": out / SUMMARY}
