"""Forks: continue a checkpoint under a changed future, sharing its past exactly.

A fork restores a :class:`~escapesim.engine.checkpoint.Checkpoint` taken at the start of
``day`` (before anything due on it) with another scenario, the *arm*. The arm keeps the
checkpoint's state and random streams, so its past is the parent's, bit for bit, and an
arm equal to the parent continues as the parent would have. What may change is the future:

* therapies: the arm's actions due on ``day`` or later are given, the parent's are not;
  the parent's actions due before ``day`` have happened, and the arm must list them
  too (a dose on the fork day is the arm's: the sample on that day already shows it,
  exactly as in a run of the arm from day 0);
* parameters, mechanisms and the escape threshold apply from ``day`` on;
* the horizon may move, as long as it stays after ``day``.

Preset, seed, replicate and sampling interval are the checkpoint's (streams that the
parent had not created yet are keyed by seed and replicate, and the shared samples
must fall on the arm's grid). Therapy actions are identified by what they are (their
therapy's kind, dose and parameters, their rank within it and their due day), not by
their position in the scenario, so an arm may list its therapies in any order.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from escapesim.engine.calendar import DOSE, Entry
from escapesim.engine.checkpoint import Checkpoint
from escapesim.engine.errors import FieldViolation, ScenarioError
from escapesim.engine.network import Network
from escapesim.engine.scenario import Scenario, Therapy


@dataclass(frozen=True, slots=True)
class Dose:
    """One action a therapy scheduled when given: its therapy (position in the scenario),
    and its identity, (the therapy as data, rank within the therapy, due day)."""

    therapy: int
    identity: tuple[str, int, float]

    @property
    def due(self) -> float:
        """The day the action is due (as SimPy schedules it from day 0)."""
        return self.identity[2]


def check_arm(parent: Scenario, arm: Scenario, day: float) -> None:
    """Raise :class:`ScenarioError` if ``arm`` cannot continue ``parent`` from ``day``."""
    violations = []
    if arm.preset != parent.preset:
        violations.append(FieldViolation("preset", f"a fork keeps the preset {parent.preset!r}"))
    if arm.seed != parent.seed:
        violations.append(
            FieldViolation("seed", f"a fork continues the parent's streams: must be {parent.seed}")
        )
    if arm.horizon_days <= day:
        violations.append(FieldViolation("horizon_days", f"must be after the fork day {day:g}"))
    shared = [t for t in parent.sample_times() if t <= day]
    if arm.sample_times()[: len(shared)] != shared:
        violations.append(
            FieldViolation("interval_days", f"a fork keeps the sampling grid up to day {day:g}")
        )
    if violations:
        raise ScenarioError(violations)


def doses(scenario: Scenario, network: Network) -> list[Dose]:
    """Every action the scenario's therapies schedule when given, in scheduling order."""
    found: list[Dose] = []
    for i, therapy in enumerate(scenario.therapies):
        spec = network.therapy(therapy.kind)
        assert spec is not None, "a built scenario names only offered therapies"
        recorder = _Recorder()
        spec.give(therapy, recorder)
        described = _described(therapy)
        # The due time as SimPy computes it when the therapy is given at day 0.
        found += [Dose(i, (described, k, max(t, 0.0))) for k, t in enumerate(recorder.times)]
    return found


def calendar(ck: Checkpoint, network: Network, arm: Scenario) -> list[Entry]:
    """The calendar a continuation schedules, in SimPy's processing order: the arm's
    doses still to give, then the checkpoint's own entries, at equal times in that order
    (doses were scheduled first, when the therapies were given). ``check_arm`` made sure
    the arm's next sample is the checkpoint's."""
    given = [Entry(arm_dose.due, DOSE, k) for k, arm_dose in _to_give(ck, network, arm)]
    ranked = [(e.time, 0, e) for e in given] + [(e.time, 1, e) for e in ck.calendar]
    return [entry for _, _, entry in sorted(ranked, key=lambda r: (r[0], r[1]))]


def _to_give(ck: Checkpoint, network: Network, arm: Scenario) -> list[tuple[int, Dose]]:
    """The arm's doses still to give, with their index in its scheduling order.

    The parent has given exactly its actions due before the fork day (the checkpoint is
    taken before anything due on it). An arm's action matching one of those is shared
    past; an arm's action due on the day or later is given; any other is an error."""
    done = Counter(d.identity for d in doses(ck.scenario, network) if d.due < ck.day)
    chosen: list[tuple[int, Dose]] = []
    violations = []
    for k, dose in enumerate(doses(arm, network)):
        if dose.due >= ck.day:
            chosen.append((k, dose))
        elif done[dose.identity] > 0:
            done[dose.identity] -= 1
        else:
            violations.append(_past(arm, dose, ck.day))
    for (described, _, due), left in done.items():
        if left > 0:
            kind = json.loads(described)[0]
            violations.append(
                FieldViolation(
                    "therapies",
                    f"the parent's {kind} action due on day {due:g} happened before the "
                    f"fork day {ck.day:g}: the arm must keep it",
                )
            )
    if violations:
        raise ScenarioError(violations)
    return chosen


def _past(arm: Scenario, dose: Dose, day: float) -> FieldViolation:
    therapy = arm.therapies[dose.therapy]
    return FieldViolation(
        f"therapies[{dose.therapy}]",
        f"{therapy.kind} acts on day {dose.due:g}, before the fork day {day:g}, where the "
        "parent did not: a fork changes only the future",
    )


def _described(therapy: Therapy) -> str:
    return json.dumps(
        [therapy.kind, therapy.dose, sorted(therapy.parameters.items())], separators=(",", ":")
    )


class _Recorder:
    """A therapy context that only records when a therapy's actions are due (giving a
    therapy only schedules; its actions touch the replicate when they run)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def at(self, time: float, action: Callable[[], None]) -> None:
        self.times.append(time)

    def count(self, name: str) -> float:
        raise RuntimeError("a therapy reads the replicate only when its actions run")

    def add_count(self, name: str, amount: float, counter: str) -> None:
        raise RuntimeError("a therapy changes the replicate only when its actions run")

    def level(self, name: str) -> float:
        raise RuntimeError("a therapy reads the replicate only when its actions run")

    def add_level(self, name: str, amount: float) -> None:
        raise RuntimeError("a therapy changes the replicate only when its actions run")

    def random(self, component: str) -> np.random.Generator:
        raise RuntimeError("a therapy draws only when its actions run")
