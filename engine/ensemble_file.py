"""The ensemble file form (YAML or JSON, already loaded) → arguments of :class:`Ensemble`.

Only the shape is checked here (mappings, lists, numbers, known keys), each problem with
its field path; values are checked by :class:`~escapesim.engine.ensemble.Ensemble` itself, so a
file and a program get the same validation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from escapesim.engine.ensemble import DEFAULT_ARM, FILE_KEYS, Arm, Axis, Span
from escapesim.engine.ensemble_checks import (
    GRID_SECTIONS,
    MAX_AXIS_VALUES,
    arm_path,
    check,
    counts,
    relocate,
)
from escapesim.engine.errors import FieldViolation, ScenarioError
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.scenario import Scenario

_SPAN_KEYS = ("start", "stop", "num", "log")
_ARM_KEYS = ("name", "therapies", "parameters")


def parse(data: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments of ``Ensemble`` from its file form; raises :class:`ScenarioError`."""
    if not isinstance(data, Mapping):
        raise ScenarioError([FieldViolation("ensemble", "must be a mapping of fields")])
    violations = [FieldViolation(str(k), "unknown field") for k in data if k not in FILE_KEYS]
    if "scenario" not in data:
        violations.append(FieldViolation("scenario", "is required"))
        raise ScenarioError(violations)
    try:
        base = Scenario.from_dict(data["scenario"])
    except ScenarioError as error:
        # Without a valid base there is no preset to check the grid and arms against.
        raise ScenarioError(
            violations + relocate(error.violations, lambda path: f"scenario.{path}")
        ) from error
    replicates = data.get("replicates", base.replicates)
    if not _is_whole(replicates):
        violations.append(FieldViolation("replicates", "must be a whole number"))
    grid, found = _parse_grid(base, data.get("grid", {}))
    violations += found
    arms, found = _parse_arms(base, data.get("arms"))
    violations += found
    control = data.get("control", arms[0].name if arms else "")
    if not isinstance(control, str):
        violations.append(FieldViolation("control", "must be an arm's name"))
        control = ""
    branch_day = data.get("branch_day")
    if branch_day is not None and not _is_number(branch_day):
        violations.append(FieldViolation("branch_day", "must be a number"))
        branch_day = None
    knockouts = data.get("knockouts", ())
    if isinstance(knockouts, str):
        knockouts = (knockouts,)  # `knockouts: all`
    if not isinstance(knockouts, Sequence) or not all(isinstance(k, str) for k in knockouts):
        violations.append(FieldViolation("knockouts", "must be a list of mechanism names or 'all'"))
        knockouts = ()
    elif "knockouts" in data and not knockouts:
        # Written but empty is a mistake, not a request for no knock-outs (leave it out).
        violations.append(FieldViolation("knockouts", "must name at least one mechanism, or be "
                                         "'all' (leave it out for no knock-out arms)"))  # fmt: skip
    if violations:
        # Check the values of what could be read too, so one pass reports everything.
        found = check(
            scenario=base,
            replicates=int(replicates) if _is_whole(replicates) else 1,
            grid=grid,
            arms=arms,
            control=control,
            branch_day=branch_day,
        )
        raise ScenarioError(list(dict.fromkeys([*violations, *found])))
    return {
        "scenario": base,
        "replicates": int(replicates),
        "grid": grid,
        "arms": arms,
        "control": control,
        "branch_day": None if branch_day is None else float(branch_day),
        "knockouts": tuple(knockouts),
    }


def _parse_grid(base: Scenario, raw: Any) -> tuple[tuple[Axis, ...], list[FieldViolation]]:
    if raw is None:
        return (), []
    if not isinstance(raw, Mapping):
        return (), [
            FieldViolation("grid", "must be a mapping: {parameters: {...}, initial: {...}}")
        ]
    axes: list[Axis] = []
    violations: list[FieldViolation] = []
    for section, entries in raw.items():
        if section not in GRID_SECTIONS:
            violations.append(
                FieldViolation(f"grid.{section}", "unknown section (parameters or initial)")
            )
            continue
        if not isinstance(entries, Mapping):
            violations.append(FieldViolation(f"grid.{section}", "must map names to values"))
            continue
        for name, spec in entries.items():
            axis, found = _parse_axis(base, f"{section}.{name}", spec)
            violations += found
            if axis is not None:
                axes.append(axis)
    return tuple(axes), violations


def _parse_axis(base: Scenario, field: str, spec: Any) -> tuple[Axis | None, list[FieldViolation]]:
    where = f"grid.{field}"
    if isinstance(spec, Mapping):
        span, found = _parse_span(where, spec)
        if span is None:
            return None, found
        return Axis.spanning(field, span, whole=counts(base, field)), []
    if isinstance(spec, Sequence) and not isinstance(spec, str):
        bad = [FieldViolation(f"{where}[{i}]", "must be a number") for i, v in enumerate(spec)
               if not _is_number(v)]  # fmt: skip
        return (None, bad) if bad else (Axis(field=field, values=tuple(map(float, spec))), [])
    return None, [
        FieldViolation(where, "must be a list of values or a range {start, stop, num, log}")
    ]


def _parse_span(where: str, spec: Mapping[str, Any]) -> tuple[Span | None, list[FieldViolation]]:
    violations = [FieldViolation(f"{where}.{k}", "unknown field") for k in spec
                  if k not in _SPAN_KEYS]  # fmt: skip
    for key in ("start", "stop"):
        if not _is_finite(spec.get(key)):
            violations.append(FieldViolation(f"{where}.{key}", "must be a finite number"))
    num: Any = spec.get("num")
    log: Any = spec.get("log", False)
    if not _is_whole(num) or not 1 <= num <= MAX_AXIS_VALUES:
        violations.append(
            FieldViolation(f"{where}.num", f"must be a whole number in [1, {MAX_AXIS_VALUES}]")
        )
    if not isinstance(log, bool):
        violations.append(FieldViolation(f"{where}.log", "must be true or false"))
    if violations:
        return None, violations
    start, stop = float(spec["start"]), float(spec["stop"])
    if log:
        ends = (("start", start), ("stop", stop))
        violations += [FieldViolation(f"{where}.{key}", "must be > 0 for a log range")
                       for key, value in ends if value <= 0]  # fmt: skip
    span = Span(start=start, stop=stop, num=int(num), log=log)
    return (None, violations) if violations else (span, [])


def _parse_arms(base: Scenario, raw: Any) -> tuple[tuple[Arm, ...], list[FieldViolation]]:
    if raw is None:
        return (Arm(name=DEFAULT_ARM),), []
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        return (), [FieldViolation("arms", "must be a list of arms")]
    arms: list[Arm] = []
    violations: list[FieldViolation] = []
    for i, item in enumerate(raw):
        arm, found = _parse_arm(base, i, item)
        violations += found
        # An arm that cannot be read keeps its place (and its name, if it has one), so
        # the remaining checks still name the right arms.
        arms.append(arm or Arm(name=_name_of(item, i)))
    return tuple(arms), violations


def _parse_arm(base: Scenario, index: int, item: Any) -> tuple[Arm | None, list[FieldViolation]]:
    where = f"arms[{index}]"
    if not isinstance(item, Mapping):
        return None, [FieldViolation(where, "must be a mapping {name, therapies, parameters}")]
    violations = [FieldViolation(f"{where}.{k}", "unknown field") for k in item
                  if k not in _ARM_KEYS]  # fmt: skip
    name: Any = item.get("name")
    if not isinstance(name, str):
        violations.append(FieldViolation(f"{where}.name", "is required (a string)"))
    parameters = item.get("parameters", {})
    if not isinstance(parameters, Mapping):
        violations.append(FieldViolation(f"{where}.parameters", "must map names to values"))
        parameters = {}
    therapies = item.get("therapies", [])
    if not isinstance(therapies, Sequence) or isinstance(therapies, str):
        violations.append(FieldViolation(f"{where}.therapies", "must be a list"))
        therapies = []
    # The therapies are read (and checked) the way a scenario reads its own, after the
    # base scenario's: the arm's scenario is exactly that.
    base_form = base.to_dict()
    try:
        variant = Scenario.from_dict(
            {
                **base_form,
                "parameters": {**base_form["parameters"], **parameters},
                "therapies": [*base_form["therapies"], *therapies],
            }
        )
    except ScenarioError as error:
        return None, violations + relocate(error.violations, arm_path(index, len(base.therapies)))
    if violations:
        return None, violations
    return Arm(
        name=name,
        therapies=variant.therapies[len(base.therapies) :],
        parameters=FrozenMap({k: float(v) for k, v in parameters.items()}),
    ), []


def _name_of(item: Any, index: int) -> str:
    name = item.get("name") if isinstance(item, Mapping) else None
    return name if isinstance(name, str) else f"arm{index}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_finite(value: Any) -> bool:
    return _is_number(value) and math.isfinite(value)


def _is_whole(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer()
    )
