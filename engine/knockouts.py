"""Knock-out arms: each named escape mechanism switched off, beside the intact control.

An ensemble with ``knockouts`` (a list of mechanism names, or ``all``: every escape
mechanism of the preset that the scenario has on, see
:attr:`~escapesim.engine.network.MechanismSpec.escape`) runs its one arm — the intact
protocol, the control — and, for each mechanism, a copy of it with that mechanism off,
named ``<mechanism>_off``. Every arm keeps the base seed, so replicate k of a knock-out arm
and of the control share their random streams (common random numbers), and with
``branch_day`` they share their history up to that day bitwise and the switch applies
from it on (:mod:`escapesim.engine.branching`). The difference in outcome of replicate k
is then the effect of the mechanism on that replicate, not sampling noise between arms:
:mod:`escapesim.engine.attribution` summarises the pairs of each knock-out arm against the
control (the ensemble's ``attribution`` table; docs/escape2004.md, "Which mechanism won").
The control must be the intact model (:func:`check_intact`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from escapesim.engine.errors import FieldViolation
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.scenario import Scenario

#: The ``knockouts`` value that means every escape mechanism the scenario has on.
ALL = "all"
#: How a knock-out arm is named after its mechanism.
SUFFIX = "_off"


def arm_name(mechanism: str) -> str:
    """The name of the arm that knocks ``mechanism`` out."""
    return f"{mechanism}{SUFFIX}"


def switches(mechanism: str) -> FrozenMap[bool]:
    """The mechanism overrides of the arm that knocks ``mechanism`` out."""
    return FrozenMap({mechanism: False})


def check_intact(scenario: Scenario, switches: Mapping[str, bool]) -> list[FieldViolation]:
    """Every escape mechanism that is off in the control (the scenario, or the arm's own
    ``switches``), each a violation: a knock-out's effect is measured against the intact
    model, and against a model with another escape mechanism already off it would be
    that mechanism's effect in a different tumour, under the same name."""
    violations = []
    for mechanism in scenario.network().mechanisms:
        if not mechanism.escape:
            continue
        name = mechanism.name
        if not scenario.mechanisms[name]:
            where = f"scenario.mechanisms.{name}"
        elif not switches.get(name, True):
            where = f"arms[0].mechanisms.{name}"
        else:
            continue
        problem = f"with knockouts the control must be the intact model: {name!r} is off"
        violations.append(FieldViolation(where, problem))
    return violations


def resolve(
    scenario: Scenario, knockouts: Sequence[str]
) -> tuple[tuple[str, ...], list[FieldViolation]]:
    """The mechanisms ``knockouts`` switches off, in order, and every problem with it.

    A name must be a mechanism of the preset that the scenario has on (switching off what
    is off measures nothing), named once; ``all`` stands alone and needs at least one
    escape mechanism on.
    """
    if isinstance(knockouts, str) or not all(isinstance(k, str) for k in knockouts):
        return (), [FieldViolation("knockouts", f"must be a list of mechanism names or {ALL!r}")]
    net = scenario.network()
    if tuple(knockouts) == (ALL,):
        chosen = tuple(m.name for m in net.mechanisms if m.escape and scenario.mechanisms[m.name])
        if not chosen:
            return (), [FieldViolation("knockouts", f"preset {net.name!r} has no escape "
                                       "mechanism switched on to knock out")]  # fmt: skip
        return chosen, []
    if not knockouts:
        return (), [FieldViolation("knockouts", f"must name at least one mechanism, or be {ALL!r}")]
    known = [m.name for m in net.mechanisms]
    violations: list[FieldViolation] = []
    for i, name in enumerate(knockouts):
        where = f"knockouts[{i}]"
        if name == ALL:
            violations.append(FieldViolation(where, f"{ALL!r} stands alone (it names them all)"))
        elif name not in known:
            listed = ", ".join(known) or "none"
            violations.append(FieldViolation(where, f"unknown mechanism {name!r} of preset "
                                             f"{net.name!r} (mechanisms: {listed})"))  # fmt: skip
        elif not scenario.mechanisms[name]:
            off = f"mechanism {name!r} is already off in the scenario: nothing to knock out"
            violations.append(FieldViolation(where, off))
        elif name in knockouts[:i]:
            violations.append(FieldViolation(where, f"repeats knockouts[{knockouts.index(name)}]"))
    return (() if violations else tuple(knockouts)), violations
