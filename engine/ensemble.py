"""Ensembles: a scenario × replicates × a parameter grid × treatment arms.

An :class:`Ensemble` is immutable, validated data, like a :class:`~engine.Scenario`:

* ``scenario`` — the base scenario every cell starts from;
* ``replicates`` — how many replicates each cell runs;
* ``grid`` — axes over parameters (``parameters.s``) or initial values (``initial.T``),
  each a list of values or an evenly spaced range; the grid is their full product, the
  last axis varying fastest;
* ``arms`` — named protocols (therapies added to the base scenario's own, and optional
  parameter overrides), one of them the ``control``.

:meth:`Ensemble.points` expands it into cells, one per (grid point, arm), each with its
own scenario. Every cell keeps the base seed, so replicate ``k`` of every arm draws from
the same random streams (keyed by seed, replicate and component): arms are compared
under common random numbers, and a paired comparison (replicate k against replicate k)
is valid.

An invalid ensemble cannot be built: every violation names its field, e.g.
``grid.parameters.s[2]``, ``arms[1].therapies[0].at_days[0]`` or
``scenario.horizon_days``. :meth:`Ensemble.from_dict` / :meth:`Ensemble.to_dict` are the
ensemble file format (YAML or JSON)::

    scenario: {preset: escape2004, horizon_days: 180, seed: 7}
    replicates: 50
    grid:
      initial:
        T: {start: 1e3, stop: 1e5, num: 3, log: true}
    arms:
      - {name: untreated}
      - name: vaccine
        therapies: [{kind: dc_vaccine, at_days: [7, 14]}]
    control: untreated
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.errors import FieldViolation, ScenarioError
from engine.frozen import FrozenMap
from engine.scenario import MAX_REPLICATES, Scenario, Therapy

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
#: The arm every ensemble without ``arms`` has.
DEFAULT_ARM = "control"

_ARM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
_THERAPY_PATH = re.compile(r"^therapies\[(\d+)\](.*)$")
FILE_KEYS = ("scenario", "replicates", "grid", "arms", "control")


@dataclass(frozen=True, kw_only=True, slots=True)
class Span:
    """Evenly spaced values from ``start`` to ``stop`` inclusive (geometrically if ``log``)."""

    start: float
    stop: float
    num: int
    log: bool = False

    def values(self, *, whole: bool = False) -> tuple[float, ...]:
        """The values; ``whole`` rounds them to whole numbers (for populations)."""
        spaced = np.geomspace if self.log else np.linspace
        values = spaced(self.start, self.stop, self.num)
        return tuple(float(v) for v in (np.rint(values) if whole else values))

    def to_dict(self) -> dict[str, Any]:
        """The file form ``{start, stop, num, log}``."""
        return {"start": self.start, "stop": self.stop, "num": self.num, "log": self.log}


@dataclass(frozen=True, kw_only=True, slots=True)
class Axis:
    """One grid dimension: a scenario field (``parameters.s``, ``initial.T``) and its values.

    ``span`` records a range the values came from, so the file form keeps it; build such
    an axis with :meth:`spanning`.
    """

    field: str
    values: tuple[float, ...]
    span: Span | None = None

    @classmethod
    def spanning(cls, field: str, span: Span, *, whole: bool = False) -> Axis:
        """An axis over a range (``whole`` rounds to whole cells, for populations)."""
        return cls(field=field, values=span.values(whole=whole), span=span)

    @property
    def section(self) -> str:
        """``parameters`` or ``initial``."""
        return self.field.partition(".")[0]

    @property
    def name(self) -> str:
        """The parameter or state variable name."""
        return self.field.partition(".")[2]


@dataclass(frozen=True, kw_only=True, slots=True)
class Arm:
    """A named protocol: therapies added to the base scenario's, and parameter overrides."""

    name: str
    therapies: tuple[Therapy, ...] = ()
    parameters: FrozenMap[float] = field(default_factory=FrozenMap)


@dataclass(frozen=True, kw_only=True, slots=True)
class Cell:
    """One (grid point, arm) of an ensemble with the scenario it runs."""

    point: int
    arm: str
    values: FrozenMap[float]
    scenario: Scenario


@dataclass(frozen=True, kw_only=True, slots=True)
class Ensemble:
    """A base scenario × replicates × a parameter grid × arms; validated when built.

    Raises :class:`ScenarioError` naming every field that is wrong.
    """

    scenario: Scenario
    replicates: int
    grid: tuple[Axis, ...] = ()
    arms: tuple[Arm, ...] = (Arm(name=DEFAULT_ARM),)
    control: str = ""

    def __post_init__(self) -> None:
        if not self.control and self.arms:
            # The first arm is the control unless one is named (a frozen field: set once).
            object.__setattr__(self, "control", self.arms[0].name)
        violations = check(
            scenario=self.scenario,
            replicates=self.replicates,
            grid=self.grid,
            arms=self.arms,
            control=self.control,
        )
        if violations:
            raise ScenarioError(violations)

    @property
    def shape(self) -> tuple[int, ...]:
        """The number of values of every axis."""
        return tuple(len(axis.values) for axis in self.grid)

    @property
    def size(self) -> int:
        """The number of cells: grid points × arms."""
        return math.prod(self.shape) * len(self.arms)

    def grid_points(self) -> tuple[FrozenMap[float], ...]:
        """Every grid point as ``{field: value}``, the last axis varying fastest."""
        fields = [axis.field for axis in self.grid]
        combos = itertools.product(*(axis.values for axis in self.grid))
        return tuple(FrozenMap(dict(zip(fields, combo, strict=True))) for combo in combos)

    def points(self) -> tuple[Cell, ...]:
        """Every (grid point, arm) cell with its scenario, point-major, arms in order.

        All cells share the base seed: replicate k of every cell draws from the same
        streams, so arms differ only by what the protocol changes.
        """
        return tuple(
            Cell(point=index, arm=arm.name, values=values, scenario=self.cell_scenario(values, arm))
            for index, values in enumerate(self.grid_points())
            for arm in self.arms
        )

    def cell_scenario(self, values: Mapping[str, float], arm: Arm) -> Scenario:
        """The scenario of grid point ``values`` under ``arm``."""
        parameters: dict[str, float] = {**arm.parameters}
        initial: dict[str, float] = {}
        for name, value in values.items():
            section, _, key = name.partition(".")
            (parameters if section == "parameters" else initial)[key] = value
        return _variant(
            self.scenario,
            parameters=parameters,
            initial=initial,
            therapies=arm.therapies,
            replicates=self.replicates,
        )

    def arm(self, name: str) -> Arm:
        """The arm called ``name``; raises ``KeyError``."""
        for arm in self.arms:
            if arm.name == name:
                return arm
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The ensemble file form (see the module docstring)."""
        grid: dict[str, dict[str, Any]] = {}
        for axis in self.grid:
            spec = axis.span.to_dict() if axis.span is not None else list(axis.values)
            grid.setdefault(axis.section, {})[axis.name] = spec
        return {
            "scenario": self.scenario.to_dict(),
            "replicates": self.replicates,
            "grid": grid,
            "arms": [
                {
                    "name": arm.name,
                    "therapies": _therapy_dicts(arm.therapies),
                    "parameters": dict(arm.parameters),
                }
                for arm in self.arms
            ],
            "control": self.control,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ensemble:
        """Build from the file form; unknown keys and wrong types are violations too."""
        # Imported here: the file parser is only needed for files, not for built ensembles.
        from engine.ensemble_file import parse

        return cls(**parse(data))


# -- building variants of the base scenario --------------------------------------------------


def _variant(
    base: Scenario,
    *,
    parameters: Mapping[str, float] | None = None,
    initial: Mapping[str, float] | None = None,
    therapies: Sequence[Therapy] = (),
    replicates: int | None = None,
) -> Scenario:
    """``base`` with some parameters and initial values changed and therapies added."""
    return Scenario.build(
        preset=base.preset,
        parameters={**base.parameters, **(parameters or {})},
        initial={**base.initial, **(initial or {})},
        mechanisms=base.mechanisms,
        therapies=(*base.therapies, *therapies),
        horizon_days=base.horizon_days,
        interval_days=base.interval_days,
        seed=base.seed,
        replicates=base.replicates if replicates is None else replicates,
        escape_threshold=base.escape_threshold,
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


def _therapy_dicts(therapies: Sequence[Therapy]) -> list[dict[str, Any]]:
    return [
        {
            "kind": t.kind,
            "at_days": list(t.at_days),
            "dose": t.dose,
            "parameters": dict(t.parameters),
        }
        for t in therapies
    ]


# -- validation ------------------------------------------------------------------------------


def check(
    *,
    scenario: Scenario,
    replicates: int,
    grid: Sequence[Axis],
    arms: Sequence[Arm],
    control: str,
) -> list[FieldViolation]:
    """Every violation of an ensemble built from these parts (empty if it is valid)."""
    violations = [
        *_check_replicates(replicates),
        *_check_grid(scenario, grid),
        *_check_arms(scenario, arms, grid, control),
    ]
    if violations:
        return violations
    cells = math.prod(len(axis.values) for axis in grid) * len(arms)
    return _check_size(cells, replicates, len(scenario.sample_times()))


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
                _variant(base, parameters=change)
            else:
                _variant(base, initial=change)
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
        try:
            _variant(base, parameters=arm.parameters, therapies=arm.therapies)
        except ScenarioError as error:
            violations += relocate(error.violations, arm_path(i, len(base.therapies)))
    if control not in names:
        violations.append(FieldViolation("control", f"must name an arm (arms: {', '.join(names)})"))
    return violations


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
