"""A calibration: the scenario, the fitted parameters' priors, the data and the rules.

Each measurement condition is the base scenario with that condition's changes (a
therapy, other initial values), sampled at the condition's measurement days and stopped
at its outcome (:mod:`escapesim.engine.outcome_watch`: a fit needs a few samples, not
the whole run); each of its subjects is one replicate. One evaluation of a parameter
set simulates every subject of every condition with one seed, so conditions share
common random numbers (design §2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from escapesim.engine.calibration.measurements import Measurement, check_table
from escapesim.engine.calibration.observables import observable_ids, observe
from escapesim.engine.calibration.priors import Prior, parse_priors
from escapesim.engine.errors import FieldViolation, ScenarioError
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.record import Result
from escapesim.engine.scenario import Scenario
from escapesim.engine.scenario_checks import MAX_SEED, is_integer, is_number

_KEYS = {"scenario", "priors", "measurements", "conditions", "population", "seed",
         "stopping", "distance", "predictive_draws"}  # fmt: skip
_STOPPING = {"epsilon", "generations", "simulations", "epsilons"}
#: Caps that keep one calibration within a machine's means (issue 15: 1e4-1e5 runs).
MAX_POPULATION = 100_000
MAX_GENERATIONS = 1_000
MAX_SIMULATIONS = 10_000_000


@dataclass(frozen=True, kw_only=True, slots=True)
class Stopping:
    """When ABC-SMC stops: at ``epsilon`` (the distance threshold reached), after
    ``generations``, or once ``simulations`` parameter sets were simulated, whichever is
    first. ``epsilons`` (optional) is a fixed threshold schedule, one per generation,
    instead of the adaptive median of the last generation's distances."""

    epsilon: float = 0.0
    generations: int = 8
    simulations: int = 100_000
    epsilons: tuple[float, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CalibrationSpec:
    """Everything a calibration needs; build with :meth:`from_dict`."""

    scenario: Scenario
    priors: tuple[Prior, ...]
    measurements: tuple[Measurement, ...]
    conditions: FrozenMap[Any] = field(default_factory=FrozenMap)
    population: int = 200
    seed: int = 0
    stopping: Stopping = field(default_factory=Stopping)
    adaptive_distance: bool = False
    predictive_draws: int = 50

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
    ) -> CalibrationSpec:
        """Validate the calibration file's mapping and the measurement table's rows;
        raises :class:`ScenarioError` naming every bad field (``priors.a.low``,
        ``measurements[3].time``, ``conditions.treated.therapies[0].kind``)."""
        if not isinstance(data, Mapping):
            raise ScenarioError([FieldViolation("calibration", "must be a mapping")])
        violations = [FieldViolation(str(k), "unknown field") for k in data if k not in _KEYS]
        scenario = _base(data.get("scenario"))
        net = scenario.network()
        priors, found = parse_priors(net, data.get("priors"))
        conditions = data.get("conditions")
        if conditions is not None and not isinstance(conditions, Mapping):
            found.append(FieldViolation("conditions", "must map condition ids to changes"))
            conditions = {}
        ids = None if conditions is None else {str(k) for k in conditions}
        measurements, problems = check_table(rows, observable_ids(net), ids)
        stopping, bad_stopping = _stopping(data.get("stopping", {}))
        violations += [*found, *problems, *bad_stopping, *_settings(data)]
        if violations:
            raise ScenarioError(violations)
        spec = cls(
            scenario=scenario, priors=priors, measurements=measurements,
            conditions=FrozenMap({str(k): v for k, v in (conditions or {}).items()}),
            population=int(data.get("population", 200)), seed=int(data.get("seed", 0)),
            stopping=stopping, adaptive_distance=bool(dict(data.get("distance") or {})
                                                        .get("adaptive", False)),
            predictive_draws=int(data.get("predictive_draws", 50)),
        )  # fmt: skip
        spec._check_conditions()
        return spec

    # -- what one evaluation simulates ---------------------------------------------------

    def condition_ids(self) -> tuple[str, ...]:
        """The conditions measured, in first-seen order."""
        return tuple(dict.fromkeys(m.condition for m in self.measurements))

    def subjects(self, condition: str) -> tuple[str, ...]:
        """The subjects measured under ``condition`` (replicate k is the k-th)."""
        return tuple(
            dict.fromkeys(m.subject for m in self.measurements if m.condition == condition)
        )

    def values(self, sampled: Mapping[str, float]) -> dict[str, float]:
        """Parameter values from the sampler's variables (``ln_a`` → ``a``)."""
        return {p.parameter: p.value(float(sampled[p.name])) for p in self.priors}

    def condition_scenario(
        self, condition: str, values: Mapping[str, float], seed: int
    ) -> Scenario:
        """The scenario of ``condition`` with ``values`` for the fitted parameters."""
        data = self.scenario.to_dict()
        for key, change in dict(self.conditions.get(condition) or {}).items():
            merge = key in ("parameters", "initial", "mechanisms") and isinstance(change, Mapping)
            data[key] = {**data[key], **change} if merge else change
        data["parameters"] = {**data["parameters"], **values}
        times = sorted({m.time for m in self.measurements if m.condition == condition})
        doses = [d for t in data.get("therapies", []) for d in t.get("at_days", [])]
        data.update(
            horizon_days=max([times[-1], *doses]) or 1.0, sample_days=times,
            stop_at_outcome=True, replicates=len(self.subjects(condition)), seed=seed,
            checkpoint_days=[],
        )  # fmt: skip
        return Scenario.from_dict(data)

    def statistics(self, results: Mapping[str, Sequence[Result]]) -> dict[str, float]:
        """Each measurement's simulated value (``m<row>``), from every condition's
        results in replicate order."""
        net = self.scenario.network()
        found: dict[str, float] = {}
        for condition, replicates in results.items():
            subjects = self.subjects(condition)
            for result in replicates:
                subject = subjects[result.replicate]
                rows = [m for m in self.measurements
                        if m.condition == condition and m.subject == subject]  # fmt: skip
                times = result.times.tolist()
                for m in rows:
                    found[m.key] = float(observe(result, m.observable, net)[times.index(m.time)])
        return found

    def observed(self) -> dict[str, float]:
        """The measured values by statistic name."""
        return {m.key: m.value for m in self.measurements}

    def weights(self) -> dict[str, float]:
        """1/σ per statistic: the distance counts each residual in its noise's units."""
        return {m.key: 1.0 / m.sigma for m in self.measurements}

    def _check_conditions(self) -> None:
        # Any value a prior allows builds the same scenario structure: check one.
        defaults = self.scenario.parameters
        centre = {p.parameter: p.typical(defaults[p.parameter]) for p in self.priors}
        violations = []
        for condition in self.condition_ids():
            try:
                self.condition_scenario(condition, centre, 0)
            except ScenarioError as error:
                violations += [FieldViolation(f"conditions.{condition}.{v.field}", v.message)
                               for v in error.violations]  # fmt: skip
        if violations:
            raise ScenarioError(violations)


def weighted_quantiles(
    values: np.ndarray[Any, np.dtype[np.float64]],
    weights: np.ndarray[Any, np.dtype[np.float64]],
    q: Sequence[float],
) -> list[float]:
    """Quantiles ``q`` of a weighted sample (the posterior's particles): the inverse of
    the weighted empirical distribution function, midpoint convention."""
    order = np.argsort(values)
    v, w = values[order], weights[order] / weights.sum()
    cumulative = np.cumsum(w) - 0.5 * w
    return [float(np.interp(x, cumulative, v)) for x in q]


def _base(raw: Any) -> Scenario:
    if not isinstance(raw, Mapping):
        raise ScenarioError([FieldViolation("scenario", "must be a scenario mapping")])
    try:
        return Scenario.from_dict(raw)
    except ScenarioError as error:
        raise ScenarioError([FieldViolation(f"scenario.{v.field}", v.message)
                             for v in error.violations]) from None  # fmt: skip


def _stopping(raw: Any) -> tuple[Stopping, list[FieldViolation]]:
    if not isinstance(raw, Mapping):
        return Stopping(), [FieldViolation("stopping", "must be a mapping")]
    found = [FieldViolation(f"stopping.{k}", "unknown field") for k in raw if k not in _STOPPING]
    epsilon = raw.get("epsilon", 0.0)
    if not is_number(epsilon) or not epsilon >= 0 or not math.isfinite(epsilon):
        found.append(FieldViolation("stopping.epsilon", "must be a finite number >= 0"))
    for key, cap in (("generations", MAX_GENERATIONS), ("simulations", MAX_SIMULATIONS)):
        value = raw.get(key, 1)
        if not is_integer(value) or not 1 <= value <= cap:
            found.append(FieldViolation(f"stopping.{key}", f"must be a whole number in [1, {cap}]"))
    schedule = raw.get("epsilons", [])
    if (
        not isinstance(schedule, Sequence)
        or isinstance(schedule, str)
        or not all(is_number(e) and e > 0 for e in schedule)
    ):
        found.append(FieldViolation("stopping.epsilons", "must be a list of numbers > 0"))
    if found:
        return Stopping(), found
    defaults = Stopping()
    return Stopping(
        epsilon=float(epsilon), generations=int(raw.get("generations", defaults.generations)),
        simulations=int(raw.get("simulations", defaults.simulations)),
        epsilons=tuple(float(e) for e in schedule),
    ), []  # fmt: skip


def _settings(data: Mapping[str, Any]) -> list[FieldViolation]:
    found = []
    population = data.get("population", 200)
    if not is_integer(population) or not 2 <= population <= MAX_POPULATION:
        found.append(
            FieldViolation("population", f"must be a whole number in [2, {MAX_POPULATION}]")
        )
    seed = data.get("seed", 0)
    if not is_integer(seed) or not 0 <= seed <= MAX_SEED:
        found.append(FieldViolation("seed", f"must be a whole number in [0, {MAX_SEED}]"))
    draws = data.get("predictive_draws", 50)
    if not is_integer(draws) or not 0 <= draws <= 1000:
        found.append(FieldViolation("predictive_draws", "must be a whole number in [0, 1000]"))
    distance = data.get("distance", {})
    if (
        not isinstance(distance, Mapping)
        or set(distance) - {"adaptive"}
        or not isinstance(distance.get("adaptive", False), bool)
    ):
        found.append(FieldViolation("distance", "must be {adaptive: true|false}"))
    return found
