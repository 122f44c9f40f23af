"""Validation of ensembles: every violation with its field path in the ensemble.

A grid value, an arm's therapies or its parameter overrides are checked by building the
scenario they make and renaming the scenario's field paths to the ensemble's
(``parameters.s`` of a grid value → ``grid.parameters.s[2]``, ``therapies[1]`` of an arm
→ ``arms[1].therapies[0]`` after the base scenario's own therapies), so the rules are
the scenario's and are written once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from escapesim.engine.errors import FieldViolation, ScenarioError
from escapesim.engine.scenario import Scenario, Therapy
from escapesim.engine.scenario_checks import MAX_REPLICATES

if TYPE_CHECKING:
    from escapesim.engine.ensemble import Arm, Axis

#: Caps that keep one ensemble from taking a machine or a server down.
MAX_AXIS_VALUES = 1_000
MAX_ARMS = 32
MAX_CELLS = 10_000
#: Replicates over all cells.
MAX_TOTAL_REPLICATES = 1_000_000
#: Sampled states (rows of the trajectory table) over all cells and replicates.
MAX_TOTAL_SAMPLES = 50_000_000

#: The scenario sections a grid axis may vary.
GRID_SECTIONS = ("parameters", "initial")

_ARM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
_THERAPY_PATH = re.compile(r"^therapies\[(\d+)\](.*)$")


# -- building variants of the base scenario --------------------------------------------------


def variant(
    base: Scenario,
    *,
    parameters: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
    therapies: Sequence[Therapy] = (),
    mechanisms: Mapping[str, bool] | None = None,
    replicates: int | None = None,
) -> Scenario:
    """``base`` with some parameters, initial values and mechanisms changed and therapies
    added."""
    return base.with_changes(
        parameters={**base.parameters, **(parameters or {})},
        initial={**base.initial, **(initial or {})},
        mechanisms={**base.mechanisms, **(mechanisms or {})},
        therapies=(*base.therapies, *therapies),
        replicates=base.replicates if replicates is None else replicates,
    )


def relocate(
    violations: Iterable[FieldViolation], where: Callable[[str], str]
) -> list[FieldViolation]:
    """The violations with each field renamed by ``where`` (scenario path → ensemble path)."""
    return [FieldViolation(where(v.field), v.message) for v in violations]


def arm_path(index: int, offset: int) -> Callable[[str], str]:
    """Rename a variant scenario's fields to arm ``index``'s (its therapies follow ``offset``)."""

    def where(path: str) -> str:
        found = _THERAPY_PATH.match(path)
        if found is not None and int(found.group(1)) >= offset:
            return f"arms[{index}].therapies[{int(found.group(1)) - offset}]{found.group(2)}"
        if path.startswith("parameters."):
            return f"arms[{index}].{path}"
        return f"scenario.{path}"

    return where


# -- validation ------------------------------------------------------------------------------


def check(
    *,
    scenario: Scenario,
    replicates: int,
    grid: Sequence[Axis],
    arms: Sequence[Arm],
    control: str,
    branch_day: float | None = None,
) -> list[FieldViolation]:
    """Every violation of an ensemble built from these parts (empty if it is valid)."""
    violations = [
        *_check_replicates(replicates),
        *_check_grid(scenario, grid),
        *_check_arms(scenario, arms, grid, control),
        *_check_branch(scenario, arms, branch_day),
    ]
    if violations:
        return violations
    cells = math.prod(len(axis.values) for axis in grid) * len(arms)
    return _check_size(cells, replicates, len(scenario.sample_times()))


def _check_branch(
    base: Scenario, arms: Sequence[Arm], branch_day: float | None
) -> list[FieldViolation]:
    """A branch day is a sampling day before the horizon (a checkpoint follows a sample),
    and the arms' own therapies start on or after it (before it, arms share the past)."""
    if branch_day is None:
        return []
    if isinstance(branch_day, bool) or not isinstance(branch_day, int | float):
        return [FieldViolation("branch_day", "must be a number")]
    if branch_day not in base.sample_times()[:-1]:
        return [FieldViolation("branch_day", f"must be a sampling day of the scenario "
                               f"before horizon_days {base.horizon_days:g}")]  # fmt: skip
    return [
        FieldViolation(f"arms[{i}].therapies[{j}].at_days[{k}]",
                       f"must be on or after branch_day {branch_day:g}")
        for i, arm in enumerate(arms)
        for j, therapy in enumerate(arm.therapies)
        for k, day in enumerate(therapy.at_days)
        if day < branch_day
    ]  # fmt: skip


def _check_replicates(replicates: Any) -> list[FieldViolation]:
    whole = isinstance(replicates, int) and not isinstance(replicates, bool)
    if not whole or not 1 <= replicates <= MAX_REPLICATES:
        return [FieldViolation("replicates", f"must be a whole number in [1, {MAX_REPLICATES}]")]
    return []


def _check_grid(base: Scenario, grid: Sequence[Axis]) -> list[FieldViolation]:
    violations: list[FieldViolation] = []
    seen: set[str] = set()
    net = base.network()
    for axis in grid:
        where = f"grid.{axis.field}"
        if axis.field in seen:
            violations.append(FieldViolation(where, "appears twice in the grid"))
            continue
        seen.add(axis.field)
        if axis.section not in GRID_SECTIONS or not axis.name:
            violations.append(FieldViolation(where, "must be parameters.NAME or initial.NAME"))
            continue
        known = net.parameter if axis.section == "parameters" else net.state_variable
        if known(axis.name) is None:
            noun = "parameter" if axis.section == "parameters" else "species"
            violations.append(FieldViolation(where, f"unknown {noun} of preset {net.name!r}"))
            continue
        if axis.section == "parameters" and axis.name in _drawn(base):
            violations.append(FieldViolation(where, "is drawn by the scenario's population"))
            continue
        violations += _check_axis_values(base, axis)
    return violations


def _check_axis_values(base: Scenario, axis: Axis) -> list[FieldViolation]:
    where = f"grid.{axis.field}"
    if not 1 <= len(axis.values) <= MAX_AXIS_VALUES:
        return [FieldViolation(where, f"must have between 1 and {MAX_AXIS_VALUES} values")]
    if axis.span is not None and axis.values != axis.span.values(whole=counts(base, axis.field)):
        return [FieldViolation(where, "values do not match the range they claim to span")]
    # A range is monotone, so its ends alone can break a bound (and name the bad end).
    last = len(axis.values) - 1
    checked = range(len(axis.values)) if axis.span is None else sorted({0, last})
    violations: list[FieldViolation] = []
    for i in checked:
        change = {axis.name: axis.values[i]}
        try:
            if axis.section == "parameters":
                variant(base, parameters=change)
            else:
                variant(base, initial=change)
        except ScenarioError as error:
            violations += [
                FieldViolation(_value_path(axis, i), v.message) for v in error.violations
            ]
    problem = "repeats an earlier value"
    if axis.span is not None and counts(base, axis.field):
        problem += " (after rounding to whole cells: use a smaller num)"
    violations += [
        FieldViolation(_value_path(axis, i), problem)
        for i, value in enumerate(axis.values)
        if value in axis.values[:i]
    ]
    return violations


def counts(base: Scenario, field: str) -> bool:
    """True if ``field`` is the initial value of a population (a whole number of cells)."""
    section, _, name = field.partition(".")
    return section == "initial" and any(s.name == name for s in base.network().species)


def _value_path(axis: Axis, index: int) -> str:
    """Where value ``index`` of an axis came from: ``[i]`` of a list, or a range's ends."""
    where = f"grid.{axis.field}"
    if axis.span is None:
        return f"{where}[{index}]"
    if index == 0:
        return f"{where}.start"
    if index == len(axis.values) - 1:
        return f"{where}.stop"
    return f"{where}[{index}]"


def _check_arms(
    base: Scenario, arms: Sequence[Arm], grid: Sequence[Axis], control: str
) -> list[FieldViolation]:
    if not 1 <= len(arms) <= MAX_ARMS:
        return [FieldViolation("arms", f"must list between 1 and {MAX_ARMS} arms")]
    violations: list[FieldViolation] = []
    names: list[str] = []
    varied = {axis.name for axis in grid if axis.section == "parameters"}
    for i, arm in enumerate(arms):
        if not isinstance(arm.name, str) or not _ARM_NAME.match(arm.name):
            violations.append(
                FieldViolation(
                    f"arms[{i}].name",
                    "must be 1-64 letters, digits or _.+- starting with a letter or digit",
                )
            )
        elif arm.name in names:
            violations.append(FieldViolation(f"arms[{i}].name", f"repeats arm {arm.name!r}"))
        names.append(arm.name)
        violations += [
            FieldViolation(f"arms[{i}].parameters.{name}", "is also a grid axis")
            for name in arm.parameters
            if name in varied
        ]
        # An arm setting a drawn parameter would replace every patient's own value.
        violations += [
            FieldViolation(f"arms[{i}].parameters.{name}", "is drawn by the scenario's population")
            for name in arm.parameters
            if name in _drawn(base)
        ]
        try:
            variant(base, parameters=arm.parameters, therapies=arm.therapies,
                    mechanisms=arm.mechanisms)  # fmt: skip
        except ScenarioError as error:
            violations += relocate(error.violations, arm_path(i, len(base.therapies)))
    if control not in names:
        violations.append(FieldViolation("control", f"must name an arm (arms: {', '.join(names)})"))
    return violations


def _drawn(base: Scenario) -> tuple[str, ...]:
    """The parameters the base scenario's population draws per replicate."""
    return base.population.parameters if base.population is not None else ()


def _check_size(cells: int, per_cell: int, times: int) -> list[FieldViolation]:
    replicates = cells * per_cell
    samples = replicates * times
    if cells > MAX_CELLS:
        return [
            FieldViolation("grid", f"gives {cells} cells (grid points × arms); at most {MAX_CELLS}")
        ]
    if replicates > MAX_TOTAL_REPLICATES:
        return [
            FieldViolation(
                "replicates",
                f"gives {replicates} replicates over {cells} cells; at most {MAX_TOTAL_REPLICATES}",
            )
        ]
    if samples > MAX_TOTAL_SAMPLES:
        return [
            FieldViolation(
                "scenario.interval_days",
                f"gives {samples} sampled states over all replicates; at most {MAX_TOTAL_SAMPLES} "
                "(sample less often, shorten the horizon or run fewer replicates)",
            )
        ]
    return []
