"""Ensembles: a scenario × replicates × a parameter grid × treatment arms.

An :class:`Ensemble` is immutable, validated data, like a :class:`~engine.Scenario`:

* ``scenario`` — the base scenario every cell starts from;
* ``replicates`` — how many replicates each cell runs;
* ``grid`` — axes over parameters (``parameters.s``) or initial values (``initial.T``),
  each a list of values or an evenly spaced range; the grid is their full product, the
  last axis varying fastest;
* ``arms`` — named protocols (therapies added to the base scenario's own, and optional
  parameter overrides), one of them the ``control``;
* ``branch_day`` — optional: every replicate grows under the base scenario up to this
  sampling day and only then splits into the arms, from one checkpoint
  (:mod:`escapesim.engine.branching`): arms' therapies start on or after it, and their
  parameter overrides apply from it on;
* ``knockouts`` — optional: mechanism names (or ``all``, every escape mechanism on) that
  expand the one given arm, the intact control, into that arm plus one knock-out arm per
  mechanism, ``<mechanism>_off`` (:mod:`escapesim.engine.knockouts`): attribution of the
  outcome to the mechanisms under common random numbers.

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
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from escapesim.engine import knockouts as knocking
from escapesim.engine.ensemble_checks import check, variant
from escapesim.engine.errors import FieldViolation, ScenarioError
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.scenario import Scenario, Therapy

#: The arm every ensemble without ``arms`` has.
DEFAULT_ARM = "control"

FILE_KEYS = ("scenario", "replicates", "grid", "arms", "control", "branch_day", "knockouts")


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
    """A named protocol: therapies added to the base scenario's, parameter overrides, and
    mechanism switches (set by ``knockouts`` only: a knock-out arm's)."""

    name: str
    therapies: tuple[Therapy, ...] = ()
    parameters: FrozenMap[float] = field(default_factory=FrozenMap)
    mechanisms: FrozenMap[bool] = field(default_factory=FrozenMap)


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
    branch_day: float | None = None
    knockouts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.control and self.arms:
            # The first arm is the control unless one is named (a frozen field: set once).
            object.__setattr__(self, "control", self.arms[0].name)
        if self.knockouts:
            self._knock_out()
        violations = check(
            scenario=self.scenario,
            replicates=self.replicates,
            grid=self.grid,
            arms=self.arms,
            control=self.control,
            branch_day=self.branch_day,
        )
        if violations:
            raise ScenarioError(violations)

    def _knock_out(self) -> None:
        """Expand the intact arm into it and its knock-out arms (the frozen ``arms``, set
        once; an ensemble copied with its arms already expanded keeps them)."""
        mechanisms, violations = knocking.resolve(self.scenario, self.knockouts)
        intact = self.arms[0] if self.arms else Arm(name=DEFAULT_ARM)
        violations += knocking.check_intact(self.scenario, intact.mechanisms)
        expanded = (intact, *(
            Arm(name=knocking.arm_name(m), therapies=intact.therapies,
                parameters=intact.parameters, mechanisms=knocking.switches(m))
            for m in mechanisms
        ))  # fmt: skip
        if len(self.arms) > 1 and self.arms != expanded and not violations:
            violations.append(FieldViolation("arms", "with knockouts, give one arm at most: "
                                             "the intact protocol they vary"))  # fmt: skip
        if self.control != intact.name:
            violations.append(FieldViolation("control", f"with knockouts the control is the "
                                             f"intact arm {intact.name!r}"))  # fmt: skip
        if violations:
            raise ScenarioError(violations)
        object.__setattr__(self, "arms", expanded)

    @property
    def knocked_out(self) -> FrozenMap[str]:
        """The knock-out arms by name, each with the mechanism it switches off."""
        return FrozenMap(
            {arm.name: name for arm in self.arms for name, on in arm.mechanisms.items() if not on}
        )

    @property
    def declared_arms(self) -> tuple[Arm, ...]:
        """The arms as declared: with knockouts, the intact arm only (the file form)."""
        return self.arms[:1] if self.knockouts else self.arms

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
        return variant(
            self.scenario,
            parameters=parameters,
            initial=initial,
            therapies=arm.therapies,
            mechanisms=arm.mechanisms,
            replicates=self.replicates,
        )

    def base_scenario(self, values: Mapping[str, float]) -> Scenario:
        """The scenario of grid point ``values`` before any arm's protocol: what every
        replicate grows under up to ``branch_day`` (:mod:`escapesim.engine.branching`)."""
        return self.cell_scenario(values, Arm(name=DEFAULT_ARM))

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
                    "therapies": self._therapy_forms(arm),
                    "parameters": dict(arm.parameters),
                }
                for arm in self.declared_arms
            ],
            "control": self.control,
            **({} if self.branch_day is None else {"branch_day": self.branch_day}),
            **({} if not self.knockouts else {"knockouts": self._knockouts_form()}),
        }

    def _knockouts_form(self) -> str | list[str]:
        """``all`` as the file says it, or the list of names."""
        return knocking.ALL if self.knockouts == (knocking.ALL,) else list(self.knockouts)

    def _therapy_forms(self, arm: Arm) -> list[dict[str, Any]]:
        """The file form of ``arm``'s own therapies (the scenario file's, after the base's)."""
        treated = variant(self.scenario, therapies=arm.therapies)
        forms: list[dict[str, Any]] = treated.to_dict()["therapies"]
        return forms[len(self.scenario.therapies) :]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ensemble:
        """Build from the file form; unknown keys and wrong types are violations too."""
        # Imported here: the file parser builds on this module's types (an import cycle).
        from escapesim.engine.ensemble_file import parse

        return cls(**parse(data))
