"""A global sensitivity analysis as data: which parameters over which ranges, which
outcome quantities, which method, how many samples and replicates.

The file form (YAML or JSON)::

    scenario: {preset: escape2004, horizon_days: 180, seed: 7}
    method: sobol            # or morris
    samples: 256             # Sobol: N base samples; Morris: trajectories
    replicates: 20           # per sample, common random numbers across samples
    seed: 1                  # of the sampling design (the scenario's seed drives the replicates)
    parameters:
      s: {low: 1e3, high: 3e4, log: true}
      a: {low: 0.1, high: 0.3}
    quantities:
      - {kind: escape_probability, day: 180}
      - {kind: tumour_burden, day: 90}

Every problem names its field (``parameters.s.low``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from escapesim.engine import FieldViolation, Scenario, ScenarioError
from escapesim.engine.outcome_quantities import Quantity
from escapesim.engine.scenario_checks import is_integer, is_number

METHODS = ("morris", "sobol")
#: Caps that keep one analysis to what a machine (or a small cluster) finishes.
MAX_SAMPLES = 4096
MAX_FACTORS = 32
MAX_SIMULATIONS = 2_000_000
_KEYS = {"scenario", "method", "samples", "replicates", "seed", "parameters", "quantities"}


@dataclass(frozen=True, kw_only=True, slots=True)
class Factor:
    """One parameter varied over ``[low, high]`` (uniformly in its log if ``log``)."""

    parameter: str
    low: float
    high: float
    log: bool = False

    def bounds(self) -> list[float]:
        """SALib's bounds (in log10 for a log factor)."""
        if self.log:
            return [math.log10(self.low), math.log10(self.high)]
        return [self.low, self.high]

    def value(self, coordinate: float) -> float:
        """The parameter value of a SALib sample coordinate."""
        return float(10.0**coordinate) if self.log else float(coordinate)


@dataclass(frozen=True, kw_only=True, slots=True)
class SensitivitySpec:
    """A validated sensitivity analysis; build it with :meth:`from_dict`."""

    scenario: Scenario
    factors: tuple[Factor, ...]
    quantities: tuple[Quantity, ...]
    method: str = "sobol"
    samples: int = 64
    replicates: int = 10
    seed: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SensitivitySpec:
        """Build from the file form; raises :class:`ScenarioError` naming every field."""
        if not isinstance(data, Mapping):
            raise ScenarioError([FieldViolation("sensitivity", "must be a mapping")])
        violations = [FieldViolation(str(k), "unknown field") for k in data if k not in _KEYS]
        try:
            scenario = Scenario.from_dict(data.get("scenario", {}))
        except ScenarioError as error:
            raise ScenarioError(
                [*violations, *(FieldViolation(f"scenario.{v.field}", v.message)
                                for v in error.violations)]
            ) from None  # fmt: skip
        method = data.get("method", "sobol")
        if method not in METHODS:
            violations.append(FieldViolation("method", f"must be one of {list(METHODS)}"))
        for key, top in (("samples", MAX_SAMPLES), ("replicates", 10_000), ("seed", 2**32 - 1)):
            value = data.get(key, 0 if key == "seed" else 1)
            if not is_integer(value) or not (0 if key == "seed" else 1) <= value <= top:
                violations.append(FieldViolation(key, f"must be a whole number up to {top}"))
        factors, found = _factors(data.get("parameters"), scenario)
        quantities, more = _quantities(data.get("quantities"), scenario.horizon_days)
        violations += found + more
        if violations:
            raise ScenarioError(violations)
        spec = cls(
            scenario=scenario, factors=factors, quantities=quantities, method=str(method),
            samples=int(data.get("samples", 64)), replicates=int(data.get("replicates", 10)),
            seed=int(data.get("seed", 0)),
        )  # fmt: skip
        if spec.simulations() > MAX_SIMULATIONS:
            message = f"{spec.simulations()} simulations, more than {MAX_SIMULATIONS}"
            raise ScenarioError([FieldViolation("samples", message)])
        return spec

    def sample_count(self) -> int:
        """Parameter sets the design evaluates: N(D+2) for Sobol (first and total order),
        r(D+1) for Morris."""
        d = len(self.factors)
        return self.samples * (d + 2) if self.method == "sobol" else self.samples * (d + 1)

    def simulations(self) -> int:
        """Replicates simulated over the whole design."""
        return self.sample_count() * self.replicates


def _factors(raw: Any, scenario: Scenario) -> tuple[tuple[Factor, ...], list[FieldViolation]]:
    if not isinstance(raw, Mapping) or not 1 <= len(raw) <= MAX_FACTORS:
        return (), [FieldViolation("parameters", f"must map 1 to {MAX_FACTORS} parameters")]
    net = scenario.network()
    factors: list[Factor] = []
    violations: list[FieldViolation] = []
    drawn = scenario.population.parameters if scenario.population else ()
    for name, item in raw.items():
        where = f"parameters.{name}"
        spec = net.parameter(str(name))
        if spec is None or name in drawn:
            why = "is drawn by the population" if spec else f"unknown parameter of {net.name!r}"
            violations.append(FieldViolation(where, why))
            continue
        if not isinstance(item, Mapping) or set(item) - {"low", "high", "log"}:
            violations.append(FieldViolation(where, "must be a mapping of low, high, log"))
            continue
        log = bool(item.get("log", False))
        if not (is_number(item.get("low")) and is_number(item.get("high"))):
            violations.append(FieldViolation(where, "low and high must be numbers"))
            continue
        low, high = float(item["low"]), float(item["high"])
        if not low < high:
            violations.append(FieldViolation(f"{where}.high", "must be > low"))
        elif low < spec.lower or high > spec.upper or (log and low <= 0):
            bounds = f"[{spec.lower:g}, {spec.upper:g}]" + (" and > 0 for log" if log else "")
            violations.append(FieldViolation(f"{where}.low", f"the range must lie in {bounds}"))
        else:
            factors.append(Factor(parameter=str(name), low=low, high=high, log=log))
    return tuple(factors), violations


def _quantities(raw: Any, horizon: float) -> tuple[tuple[Quantity, ...], list[FieldViolation]]:
    if not isinstance(raw, list) or not raw:
        return (), [FieldViolation("quantities", "must be a non-empty list")]
    found: list[Quantity] = []
    violations: list[FieldViolation] = []
    for i, item in enumerate(raw):
        where = f"quantities[{i}]"
        if not isinstance(item, Mapping) or not is_number(item.get("day")):
            violations.append(FieldViolation(where, "must be a mapping of kind and day"))
            continue
        quantity = Quantity(kind=str(item.get("kind")), day=float(item["day"]))
        problems = quantity.problems(where, horizon)
        violations += problems
        if not problems:
            found.append(quantity)
    return tuple(found), violations
