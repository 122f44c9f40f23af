"""What the figures share: colours that mean something, panel groups, titles in words.

Colours carry one meaning each across every figure: red is escape, green elimination,
grey equilibrium (outcomes); the control arm is black and treated arms take blues,
purples and other colours that are never red or green, so a treated arm is never read as
"escape". Populations and concentrations are grouped by their :class:`Role` (declared by
the preset), each role a family of shades.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from escapesim.engine import Network, Role, Scenario, Species
from escapesim.engine.scenario_checks import DEFAULT_ESCAPE_THRESHOLD

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

#: Characters per title line before it wraps (a figure 8.5 inches wide).
TITLE_WIDTH = 100

OUTCOME_COLOURS = {"escape": "#d62728", "elimination": "#2ca02c", "equilibrium": "#7f7f7f"}

#: The control arm, then the treated arms in order (none of them red, green or grey).
CONTROL_COLOUR = "#000000"
TREATED_COLOURS = ("#1f77b4", "#9467bd", "#17becf", "#8c564b", "#bcbd22", "#393b79")

#: Each role's family of shades (a matplotlib colour map) and the order of its panel.
ROLE_SHADES = {
    Role.TUMOUR: "YlOrBr",
    Role.EFFECTOR: "Blues",
    Role.PRIMING: "BuGn",
    Role.SUPPRESSOR: "Purples",
    Role.SIGNAL: "Oranges",
    Role.DRUG: "Greys",
    Role.OTHER: "Greys",
}
ROLE_ORDER = tuple(ROLE_SHADES)

#: The total tumour's colour.
TUMOUR_COLOUR = "#3b2a1a"
#: Dose days of the replicates figure's therapies, in therapy order.
DOSE_COLOURS = ("#555555", "#1f77b4", "#9467bd", "#8c564b")


def threshold_line(axis: Axes, level: float, label: str | None = None) -> None:
    """The escape threshold: a dashed line in the colour of escape."""
    axis.axhline(level, color=OUTCOME_COLOURS["escape"], linestyle="--", linewidth=1.0,
                 label=label)  # fmt: skip


def dose_line(axis: Axes, day: float, colour: str, label: str | None = None) -> None:
    """A dose day: a thin dotted vertical line."""
    axis.axvline(day, color=colour, linestyle=":", linewidth=1.1, alpha=0.8, label=label)


def threshold_handle() -> Line2D:
    """The escape threshold's legend entry."""
    from matplotlib.lines import Line2D

    return Line2D([], [], color=OUTCOME_COLOURS["escape"], linestyle="--", linewidth=1.0,
                  label="escape threshold")  # fmt: skip


def dose_handle(colour: str) -> Line2D:
    """A dose day's legend entry."""
    from matplotlib.lines import Line2D

    return Line2D([], [], color=colour, linestyle=":", linewidth=1.1, label="dose day")


def arm_colours(arms: Sequence[str], control: str) -> dict[str, str]:
    """Black for ``control``, then the treated colours in arm order."""
    treated = iter(TREATED_COLOURS * (1 + len(arms) // len(TREATED_COLOURS)))
    return {arm: CONTROL_COLOUR if arm == control else next(treated) for arm in arms}


def shades(role: Role, count: int) -> list[tuple[float, float, float, float]]:
    """``count`` distinguishable shades of ``role``'s family, darkest first."""
    from matplotlib import colormaps

    family = colormaps[ROLE_SHADES[role]]
    if count == 1:
        return [family(0.8)]
    return [family(0.95 - 0.55 * i / (count - 1)) for i in range(count)]


@dataclass(frozen=True, slots=True)
class Group:
    """The series one panel shows: a role's populations or concentrations of one unit."""

    role: Role
    unit: str
    members: tuple[Species, ...]

    @property
    def title(self) -> str:
        """The panel's name in words: the role's, or the one member's label."""
        return self.members[0].display if len(self.members) == 1 else self.role.value


def groups(net: Network, names: Sequence[str]) -> list[Group]:
    """The state variables ``names`` of ``net`` grouped by role (in :data:`ROLE_ORDER`)
    and unit, in the network's order within a group."""
    found: dict[tuple[Role, str], list[Species]] = {}
    for species in (*net.species, *net.levels):
        if species.name in names:
            found.setdefault((species.role, species.unit), []).append(species)
    order = {role: i for i, role in enumerate(ROLE_ORDER)}
    keys = sorted(found, key=lambda key: order[key[0]])
    return [Group(role, unit, tuple(found[(role, unit)])) for role, unit in keys]


def overrides(scenario: Scenario) -> list[str]:
    """What ``scenario`` changes from its preset's defaults, as short phrases."""
    net = scenario.network()
    defaults, initial = net.defaults(), net.initial_state()
    changed = [
        f"{name} = {value:g}" for name, value in scenario.parameters.items()
        if defaults.get(name) != value
    ]  # fmt: skip
    changed += [
        f"{name}(0) = {value:g}" for name, value in scenario.initial.items()
        if initial.get(name) != value
    ]  # fmt: skip
    usual = {m.name: m.enabled for m in net.mechanisms}
    changed += [
        f"{name} {'on' if on else 'off'}" for name, on in scenario.mechanisms.items()
        if usual.get(name, True) != on
    ]  # fmt: skip
    for therapy in scenario.therapies:
        days = ", ".join(f"{day:g}" for day in therapy.at_days)
        spec = net.therapy(therapy.kind)
        unit = f" {spec.dose_unit}" if spec is not None else ""
        changed.append(f"{therapy.kind} {therapy.dose:g}{unit} on day {days}")
    if scenario.escape_threshold != DEFAULT_ESCAPE_THRESHOLD:
        changed.append(f"escape threshold {scenario.escape_threshold:g}")
    return changed


def scenario_title(scenario: Scenario, what: str) -> str:
    """Two title lines: the preset in words, then ``what`` and the preset's overrides."""
    net = scenario.network()
    changed = overrides(scenario)
    settings = f" — {', '.join(changed)}" if changed else " — preset defaults"
    lines = textwrap.wrap(what + settings, width=TITLE_WIDTH)
    return "\n".join([f"{net.name}: {net.title}", *lines])
