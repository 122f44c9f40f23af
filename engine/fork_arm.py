"""An arm of a fork said as a change to the parent's scenario from the fork day on.

Forking a stored replicate, a client says what changes (:class:`ArmChange`), not the
whole scenario again: therapies added from the fork day on, the parent's therapies of
some kinds stopped from that day on (their doses before it happened and stay),
parameter and mechanism overrides, another escape threshold or horizon.
:func:`arm_scenario` turns a change into the arm's scenario, which
:mod:`escapesim.engine.fork` continues from the checkpoint; every problem names a field
of the change (``add_therapies[0].at_days[1]``), never one of the built scenario.

The arm is one replicate (the checkpoint's) and keeps only the parent's checkpoint days
after the fork day (a checkpoint before it would describe the shared past, which the
parent already kept); an empty change reproduces the parent's replicate bit for bit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from escapesim.engine.checkpoint import Checkpoint
from escapesim.engine.errors import FieldViolation, ScenarioError
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.scenario import Scenario
from escapesim.engine.simulation import Simulation

_THERAPY_PATH = re.compile(r"^therapies\[(\d+)\](.*)$")


@dataclass(frozen=True, kw_only=True, slots=True)
class ArmChange:
    """What an arm changes from the fork day on (see the module doc).

    ``add_therapies`` are scenario-file therapy mappings (``kind``, ``at_days``,
    ``dose``, ``parameters``), each acting on the fork day or later; ``stop_therapies``
    names kinds of the parent's therapies whose doses from the fork day on are not given.
    """

    name: str
    add_therapies: tuple[Mapping[str, Any], ...] = ()
    stop_therapies: tuple[str, ...] = ()
    parameters: FrozenMap[float] = field(default_factory=FrozenMap)
    mechanisms: FrozenMap[bool] = field(default_factory=FrozenMap)
    escape_threshold: float | None = None
    horizon_days: float | None = None


def arm_scenario(parent: Scenario, day: float, change: ArmChange) -> Scenario:
    """The scenario of ``change``'s arm of ``parent`` forked at ``day``.

    Raises :class:`ScenarioError` with paths of the change's fields.
    """
    violations = _stops(parent, change) + _late_enough(day, change) + _not_drawn(parent, change)
    if violations:
        raise ScenarioError(violations)
    kept = _kept_therapies(parent, day, change.stop_therapies)
    data = parent.to_dict()
    horizon = parent.horizon_days if change.horizon_days is None else change.horizon_days
    data.update(
        therapies=[*kept, *(dict(t) for t in change.add_therapies)],
        parameters={**parent.parameters, **change.parameters},
        mechanisms={**parent.mechanisms, **change.mechanisms},
        replicates=1,
        horizon_days=horizon,
        checkpoint_days=[d for d in parent.checkpoint_days if day < d < horizon],
    )
    if change.escape_threshold is not None:
        data["escape_threshold"] = change.escape_threshold
    try:
        return Scenario.from_dict(data)
    except ScenarioError as error:
        raise ScenarioError(change_paths(error.violations, len(kept))) from None


def fork_scenario(checkpoint: Checkpoint, change: ArmChange) -> Scenario:
    """:func:`arm_scenario` of the checkpoint's scenario at its day, checked by restoring
    the checkpoint under it (what :mod:`escapesim.engine.fork` refuses is refused here,
    with the change's paths). Raises :class:`ScenarioError`, or
    :class:`~escapesim.engine.checkpoint.CheckpointError` for a checkpoint this engine
    cannot continue."""
    arm = arm_scenario(checkpoint.scenario, checkpoint.day, change)
    try:
        Simulation.restore(checkpoint, scenario=arm)
    except ScenarioError as error:
        kept = len(arm.therapies) - len(change.add_therapies)
        raise ScenarioError(change_paths(error.violations, kept)) from None
    return arm


def change_paths(violations: Sequence[FieldViolation], kept: int) -> list[FieldViolation]:
    """Violations of an arm's built scenario as paths of its change: its therapies after
    the ``kept`` parent's ones are ``add_therapies``; a parent's therapy the change made
    impossible can only be a horizon before its doses."""
    moved = []
    for violation in violations:
        found = _THERAPY_PATH.match(violation.field)
        if found is None:
            moved.append(violation)
            continue
        index, rest = int(found.group(1)), found.group(2)
        if index >= kept:
            moved.append(FieldViolation(f"add_therapies[{index - kept}]{rest}", violation.message))
        else:
            where = f"the parent's therapies[{index}]"
            moved.append(FieldViolation("horizon_days", f"{where}: {violation.message}"))
    return moved


def _stops(parent: Scenario, change: ArmChange) -> list[FieldViolation]:
    given = {t.kind for t in parent.therapies}
    return [
        FieldViolation(f"stop_therapies[{i}]", f"the parent gives no {kind!r} therapy")
        for i, kind in enumerate(change.stop_therapies)
        if kind not in given
    ]


def _late_enough(day: float, change: ArmChange) -> list[FieldViolation]:
    """An added therapy acts on the fork day or later, and the horizon is after it: a
    fork changes only the future."""
    found = []
    if change.horizon_days is not None and not change.horizon_days > day:
        found.append(FieldViolation("horizon_days", f"must be after the fork day {day:g}"))
    for i, therapy in enumerate(change.add_therapies):
        at_days = therapy.get("at_days", [])
        for k, when in enumerate(at_days if isinstance(at_days, Sequence) else []):
            if isinstance(when, int | float) and when < day:
                found.append(
                    FieldViolation(
                        f"add_therapies[{i}].at_days[{k}]",
                        f"day {when:g} is before the fork day {day:g}: a fork changes only "
                        "the future",
                    )
                )
    return found


def _not_drawn(parent: Scenario, change: ArmChange) -> list[FieldViolation]:
    """A parameter the population draws per replicate would silently win over a change."""
    drawn = set(parent.population.parameters) if parent.population is not None else set()
    return [
        FieldViolation(f"parameters.{name}", "is drawn per replicate by the parent's population")
        for name in change.parameters
        if name in drawn
    ]


def _kept_therapies(parent: Scenario, day: float, stopped: Sequence[str]) -> list[dict[str, Any]]:
    """The parent's therapies in the arm: whole, or those of a stopped kind cut to their
    doses before ``day`` (dropped if none is)."""
    kept = []
    for therapy in parent.therapies:
        at_days = [d for d in therapy.at_days if therapy.kind not in stopped or d < day]
        if at_days:
            kept.append(
                {
                    "kind": therapy.kind,
                    "at_days": at_days,
                    "dose": therapy.dose,
                    "parameters": dict(therapy.parameters),
                }
            )
    return kept
