"""Shared helpers for the escape2004 tests: scenarios, runs and trajectory sums."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from escapesim.engine import Result, Scenario, Therapy, simulate
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.presets.escape2004.clones import CLONES, Trait

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: The tests' seed; set ESCAPE2004_TEST_SEED to check that their margins hold for others.
SEED = int(os.environ.get("ESCAPE2004_TEST_SEED", "2004"))

#: Every escape mechanism off: a strongly immunogenic tumour meets an unhindered response.
NO_ESCAPE = {
    "variants": False, "suppression": False, "counterattack": False,
    "dysfunction": False, "regulation": False, "adaptive_resistance": False,
}  # fmt: skip


def example(name: str) -> Scenario:
    """The documented example scenario ``examples/<name>.yaml``."""
    with (EXAMPLES / f"{name}.yaml").open() as handle:
        return Scenario.from_dict(yaml.safe_load(handle))


def scenario(
    *,
    parameters: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
    mechanisms: Mapping[str, bool] | None = None,
    therapies: Sequence[Therapy] = (),
    horizon_days: float = 60.0,
    seed: int = SEED,
    **extra: Any,
) -> Scenario:
    """An escape2004 scenario (defaults filled in)."""
    return Scenario.build(
        preset="escape2004", parameters=parameters, initial=initial, mechanisms=mechanisms,
        therapies=therapies, horizon_days=horizon_days, seed=seed, **extra,
    )  # fmt: skip


def therapy(kind: str, days: Sequence[float], dose: float, **options: float) -> Therapy:
    """A therapy given on ``days`` with ``dose``."""
    return Therapy(kind=kind, at_days=tuple(days), dose=dose, parameters=FrozenMap(options))


def runs(s: Scenario, replicates: int) -> list[Result]:
    """Replicates 0..n-1 of ``s`` (same seed: common random numbers across arms)."""
    return [simulate(s, r) for r in range(replicates)]


def tumour(result: Result) -> np.ndarray:
    """The whole tumour over time."""
    return np.sum([result.trajectory[c.name] for c in CLONES], axis=0)


def carrying(result: Result, trait: Trait) -> np.ndarray:
    """Tumour cells carrying ``trait`` over time."""
    return np.sum([result.trajectory[c.name] for c in CLONES if c.has(trait)], axis=0)


def total(result: Result, prefix: str) -> int:
    """Sum of the counters whose name starts with ``prefix`` (e.g. ``ctl_kill.``)."""
    return sum(v for k, v in result.counters.items() if k.startswith(prefix))
