"""Adaptive-therapy episodes: one replicate paused at decision days, dosed as it responds.

An :class:`Episode` runs a replicate to the start of each decision day
(:meth:`Simulation.run_until`), shows what a clinic would measure there (an
:class:`Observation`), and takes an :class:`Action`: doses of any therapy of the
preset, now or on later days. An action is a fork (:mod:`escapesim.engine.fork`): the
state at the start of the day is checkpointed and continued under the scenario with the
action's doses added, so a dose given as an action is given exactly as the same dose
listed in the scenario from day 0 (the sample on the decision day already shows it),
and an episode without actions *is* the plain replicate, bit for bit.

The measurement model draws from its own named stream (``clinic``), so measuring never
moves the simulation's draws; its state travels in the checkpoint, and a token
(:meth:`Episode.token`) taken at a decision resumes that decision exactly, including the
measurement it will draw.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from escapesim.engine.checkpoint import Checkpoint
from escapesim.engine.errors import FieldViolation, ScenarioError
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.network import Network, Role
from escapesim.engine.record import Outcome, Provenance, Result
from escapesim.engine.scenario import Scenario, Therapy
from escapesim.engine.scenario_checks import bounded, check_therapies
from escapesim.engine.simulation import Simulation

#: The measurement model's random stream (one per replicate, like every component's).
CLINIC_STREAM = "clinic"
#: Largest coefficient of variation a measurement may have (10 = a factor of ~10 spread:
#: beyond any clinical assay; a larger one is a typo).
MAX_CV = 10.0


@dataclass(frozen=True, kw_only=True, slots=True)
class Measurement:
    """How the clinic measures tumour burden: a log-normal error of coefficient of
    variation ``cv`` (mean-preserving, as for imaging volumes and ctDNA levels, whose
    errors are multiplicative) and a ``detection_limit`` (cells) below which it reads 0.
    ``cv=0`` and ``detection_limit=0`` (the default) read the true burden."""

    cv: float = 0.0
    detection_limit: float = 0.0

    def check(self) -> list[FieldViolation]:
        """Every problem with the measurement's fields."""
        return [
            *bounded("measurement.cv", self.cv, 0.0, MAX_CV),
            *bounded("measurement.detection_limit", self.detection_limit, 0.0, 1e15),
        ]


@dataclass(frozen=True, kw_only=True, slots=True)
class Observation:
    """What the clinic sees at the start of ``day``: the measured tumour ``burden``
    (cells; 0 when below the detection limit, ``detected`` False), blood counts of the
    effector populations (cells) and the drugs' exposures (each in its dose unit)."""

    day: float
    burden: float
    detected: bool
    effectors: FrozenMap[float]
    exposures: FrozenMap[float]


@dataclass(frozen=True, kw_only=True, slots=True)
class Prescription:
    """A dose of therapy ``kind``: on the decision day (``at_days`` empty) or on the
    listed days (not before the decision day)."""

    kind: str
    dose: float = 1.0
    at_days: tuple[float, ...] = ()
    parameters: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True, slots=True)
class Action:
    """What to do at a decision: the doses to give (none: continue as planned)."""

    doses: tuple[Prescription, ...] = ()


def decision_days(scenario: Scenario, every: float) -> tuple[float, ...]:
    """Decision days every ``every`` days from day 0, before the horizon; raises
    :class:`ScenarioError` (field ``every_days``) unless they fall on sampling days."""
    found = bounded("every_days", every, 0.0, scenario.horizon_days)
    if not found and every <= 0:
        found = [FieldViolation("every_days", "must be > 0")]
    if found:
        raise ScenarioError(found)
    samples = scenario.sample_times()[:-1]
    days = tuple(t for t in samples if math.isclose(t / every, round(t / every), abs_tol=1e-9))
    if len(days) != math.ceil(scenario.horizon_days / every - 1e-9):
        message = f"must be a multiple of interval_days {scenario.interval_days:g}"
        raise ScenarioError([FieldViolation("every_days", message)])
    return days


class Episode:
    """A replicate driven decision by decision (see module docstring).

    ``observation`` is the current decision's; :meth:`act` applies an action and moves
    to the next decision. At the horizon, or at the first decision after an outcome,
    the episode is ``done`` and ``result`` is the replicate's. ``scenario`` is the
    scenario so far, every action's doses included: it alone reproduces ``result``.
    """

    def __init__(
        self,
        scenario: Scenario,
        replicate: int = 0,
        *,
        every: float = 7.0,
        measurement: Measurement | None = None,
    ) -> None:
        self._setup(scenario, every, measurement)
        self._sim = Simulation(scenario, replicate)
        self._next = 0
        self._advance()

    @classmethod
    def resume(
        cls, token: bytes, *, every: float = 7.0, measurement: Measurement | None = None
    ) -> Episode:
        """Continue at the decision where :meth:`token` was taken (raises
        :class:`~escapesim.engine.checkpoint.CheckpointError` for a bad token)."""
        checkpoint = Checkpoint.from_bytes(token)
        episode = cls.__new__(cls)
        episode._setup(checkpoint.scenario, every, measurement)
        if checkpoint.day not in episode._days:
            message = f"the token's day {checkpoint.day:g} is not a decision day"
            raise ScenarioError([FieldViolation("every_days", message)])
        episode._sim = Simulation.restore(checkpoint)
        episode._next = episode._days.index(checkpoint.day)
        episode._advance()
        return episode

    def _setup(self, scenario: Scenario, every: float, measurement: Measurement | None) -> None:
        self._measurement = measurement or Measurement()
        violations = self._measurement.check()
        if violations:
            raise ScenarioError(violations)
        self._days = decision_days(scenario, every)
        self.scenario = scenario
        self._network: Network = scenario.network()
        self._result: Result | None = None
        self._clinic_state: dict[str, Any] = {}
        self.observation: Observation | None = None

    @property
    def done(self) -> bool:
        """Whether the episode has ended (horizon or outcome)."""
        return self._result is not None

    @property
    def day(self) -> float:
        """The current decision day (the horizon once done)."""
        return self.scenario.horizon_days if self.done else self._days[self._next]

    @property
    def result(self) -> Result:
        """The replicate's result (once done)."""
        if self._result is None:
            raise RuntimeError("the episode has not ended")
        return self._result

    @property
    def outcome(self) -> Outcome | None:
        """The outcome once decided."""
        return self._sim.outcome

    def act(self, action: Action | None = None) -> Observation | None:
        """Give ``action``'s doses and run to the next decision; returns its observation
        (None once done). A bad action raises :class:`ScenarioError` with field paths
        (``doses[0].dose``) and leaves the episode at this decision, usable."""
        if self._result is not None:
            raise RuntimeError("the episode has ended")
        if action is not None and action.doses:
            arm = self._with_doses(action.doses)
            checkpoint = self._sim.checkpoint()
            self._sim = Simulation.restore(checkpoint, scenario=arm)
            self.scenario = arm
        self._next += 1
        self._advance()
        return self.observation

    def token(self) -> bytes:
        """The checkpoint bytes of this decision (before its measurement was drawn)."""
        if self._result is not None:
            raise RuntimeError("the episode has ended: no decision to resume")
        checkpoint = self._sim.checkpoint()
        streams = {**checkpoint.streams, CLINIC_STREAM: self._clinic_state}
        return replace(checkpoint, streams=FrozenMap(streams)).to_bytes()

    def _advance(self) -> None:
        """Run to the next decision and observe it, or to the end."""
        sim = self._sim
        if self._next < len(self._days) and sim.outcome is None:
            sim.run_until(self._days[self._next])
            if sim.outcome is None:
                self.observation = self._observe(self._days[self._next])
                return
        result = sim.run()
        # The final scenario alone reproduces the result (tests/test_episode.py), so
        # the chain of forks the actions made is not part of its provenance.
        provenance = Provenance(scenario=self.scenario, replicate=result.replicate)
        self._result = replace(result, provenance=provenance)
        self.observation = self._observe(self.scenario.horizon_days)

    def _observe(self, day: float) -> Observation:
        sim, net = self._sim, self._network
        clinic = sim.random(CLINIC_STREAM)
        self._clinic_state = dict(clinic.bit_generator.state)
        true = sum(sim.count(name) for name in net.tumour)
        measured = true
        if self._measurement.cv > 0 and true > 0:
            sigma2 = math.log1p(self._measurement.cv**2)  # log-normal with mean ``true``
            measured = true * math.exp(clinic.normal(-sigma2 / 2, math.sqrt(sigma2)))
        detected = measured > 0 and measured >= self._measurement.detection_limit
        return Observation(
            day=day,
            burden=measured if detected else 0.0,
            detected=detected,
            effectors=FrozenMap(
                {s.name: sim.count(s.name) for s in net.species if s.role is Role.EFFECTOR}
            ),
            exposures=FrozenMap(
                {s.name: sim.level(s.name) for s in net.levels if s.role is Role.DRUG}
            ),
        )

    def _with_doses(self, doses: Sequence[Prescription]) -> Scenario:
        """The scenario with ``doses`` added; violations name ``doses[i]...``."""
        day = self.day
        therapies = [
            Therapy(
                kind=d.kind,
                at_days=tuple(d.at_days) or (day,),
                dose=d.dose,
                parameters=FrozenMap(d.parameters),
            )
            for d in doses
        ]
        violations = [
            FieldViolation("doses" + v.field.removeprefix("therapies"), v.message)
            for v in check_therapies(self._network, therapies, self.scenario.horizon_days)
        ]
        for i, therapy in enumerate(therapies):
            violations += [
                FieldViolation(f"doses[{i}].at_days[{k}]", f"must be >= the decision day {day:g}")
                for k, t in enumerate(therapy.at_days)
                if isinstance(t, int | float) and 0 <= t < day
            ]
        if violations:
            raise ScenarioError(violations)
        return self.scenario.with_changes(therapies=(*self.scenario.therapies, *therapies))
