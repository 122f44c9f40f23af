"""What a simulation produces: frames while it runs, a result when it ends."""

from __future__ import annotations

import functools
import platform
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import metadata

import numpy as np
import numpy.typing as npt

from escapesim.engine.frozen import FrozenMap
from escapesim.engine.scenario import Scenario


class OutcomeKind(StrEnum):
    """How a replicate ended (docs/design.md section 5)."""

    ELIMINATION = "elimination"
    EQUILIBRIUM = "equilibrium"
    ESCAPE = "escape"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The outcome and the day it happened (``None`` for equilibrium)."""

    kind: OutcomeKind
    time: float | None


@dataclass(frozen=True, slots=True)
class Frame:
    """The state of one replicate at one sampling time."""

    replicate: int
    t: float
    values: FrozenMap[float]


@functools.cache
def software_versions() -> FrozenMap[str]:
    """Versions of the software that produced a result, for exact re-runs.

    Cached: package metadata lookups cost milliseconds, and what is installed does not
    change while a process runs.
    """
    versions = {"python": platform.python_version()}
    for package in ("escapesim", "numpy", "simpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "unknown"
    return FrozenMap(versions)


@dataclass(frozen=True, slots=True)
class Provenance:
    """Everything needed to re-run a result exactly.

    ``forked_from``: for a replicate forked from a checkpoint, the parent scenario and the
    day of the fork (re-run the parent to that day, then this scenario).
    """

    scenario: Scenario
    replicate: int
    versions: FrozenMap[str] = field(default_factory=software_versions)
    forked_from: tuple[Scenario, float] | None = None

    @property
    def seed(self) -> int:
        """The scenario's seed (streams are keyed by seed, replicate and component)."""
        return self.scenario.seed


@dataclass(frozen=True, slots=True)
class Result:
    """One replicate: sampled trajectory, event counters, outcome and provenance."""

    times: npt.NDArray[np.float64]
    trajectory: FrozenMap[npt.NDArray[np.float64]]
    counters: FrozenMap[int]
    outcome: Outcome
    provenance: Provenance

    @property
    def replicate(self) -> int:
        """The replicate index within its scenario."""
        return self.provenance.replicate

    def final(self) -> dict[str, float]:
        """Every population and concentration at the last sampling time."""
        return {name: float(values[-1]) for name, values in self.trajectory.items()}
