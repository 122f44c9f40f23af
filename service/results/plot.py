"""The replicates figure: the total tumour first, then one panel per role of the model.

The first panel is the total tumour (every clone summed) with the escape threshold, each
replicate's outcome day marked (▲ escape, ✕ elimination) and the dose days. Then one
panel per role the preset declares (tumour clones, effector cells, antigen presentation
and priming, suppressors, signals, drugs; one panel per unit within a role), named in
words with its unit; in each, every replicate is a faint line and the median a bold one,
one shade of the role's colour per population, with a legend.

It draws from a trajectory table (:func:`escapesim.service.results.tables.trajectory_table`),
so the CLI, the store and the service plot local and remote results the same way.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from escapesim.engine import Role, Scenario
from escapesim.service.results import figure_style as style
from escapesim.service.store.files import atomic_target

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Beyond this many faint lines a panel draws only the first replicates (the median uses
#: all); thousands of faint lines add ink and time, not information.
MAX_FAINT_LINES = 200

#: A panel shows at most this many series; the smaller rest is summed as "N others".
MAX_SERIES = 6

#: The log axis spans at most this factor below a panel's largest value.
DYNAMIC_RANGE = 1e10

#: Panels stack in one column up to this many, then wrap into at most MAX_COLUMNS.
PANELS_PER_COLUMN = 6
MAX_COLUMNS = 3

TOTAL_TUMOUR = "total tumour"

Series = npt.NDArray[np.float64]  # replicates × samples
#: One replicate's outcome: its kind and day (None for equilibrium).
Outcome = tuple[str, float | None]


def plot_trajectories(
    table: pa.Table,
    path: str | os.PathLike[str],
    *,
    scenario: Scenario,
    outcomes: Sequence[Outcome] = (),
    what: str = "",
) -> None:
    """Write the replicates figure of ``table`` (replicates of ``scenario``) to ``path``
    as a PNG, atomically (see :func:`trajectories_figure`)."""
    figure = trajectories_figure(table, scenario=scenario, outcomes=outcomes, what=what)
    with atomic_target(path) as temporary:
        figure.savefig(temporary, format="png", dpi=110)


def trajectories_figure(
    table: pa.Table, *, scenario: Scenario, outcomes: Sequence[Outcome] = (), what: str = ""
) -> Figure:
    """The replicates figure of ``table`` (replicates of ``scenario``).

    ``outcomes`` are the replicates' outcomes in replicate order (marked on the total
    tumour); ``what`` heads the second title line (``"20 replicates, seed 7"``). Values
    ≤ 0 (an extinct population) cannot sit on a log axis, so a line ends where its
    population reaches zero; series that are zero throughout are left out.
    """
    # Imported here: matplotlib is slow to import and only the figures need it. The Agg
    # canvas is attached to this figure alone, so no global backend or pyplot state is set.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    net = scenario.network()
    times, series = _series(table)
    shown = [name for name, values in series.items() if np.any(values != 0)]
    panels = style.groups(net, shown)
    if panels and panels[0].role is Role.TUMOUR and len(panels[0].members) == 1:
        panels = panels[1:]  # one tumour population (or clone) alone is the total tumour
    rows, columns = _grid(1 + len(panels))
    figure = Figure(figsize=(_width(columns), 1.3 + 2.5 * rows), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, sharex=True, squeeze=False)
    cells = [axes[i % rows, i // rows] for i in range(rows * columns)]
    total = np.sum([series[name] for name in net.tumour if name in series], axis=0)
    _draw_total(cells[0], times, total, scenario, outcomes)
    for axis, group in zip(cells[1:], panels, strict=False):
        _draw_group(axis, times, group, series)
    for axis in cells[: 1 + len(panels)]:
        _mark_doses(axis, scenario, legend=axis is cells[0])
        axis.legend(loc="best", fontsize="x-small", frameon=False)
    for axis in cells[1 + len(panels) :]:
        axis.set_visible(False)
    for column in range(columns):
        bottom = min(rows, 1 + len(panels) - column * rows) - 1
        axes[bottom, column].set_xlabel("time (days)")
        axes[bottom, column].xaxis.set_tick_params(labelbottom=True)
    figure.suptitle(style.scenario_title(scenario, what), fontsize="medium")
    figure.supxlabel("faint lines: single replicates · bold: median over replicates · a line "
                     "ends where its population reaches zero", fontsize="x-small")  # fmt: skip
    return figure


def _series(table: pa.Table) -> tuple[Series, dict[str, Series]]:
    """Sampling times and every column as replicates × samples (replicates in order)."""
    replicate = table.column("replicate").to_numpy()
    ids = np.unique(replicate)
    times = table.column("t").to_numpy()[replicate == ids[0]] if ids.size else np.empty(0)
    order = np.lexsort((table.column("t").to_numpy(), replicate))
    samples = times.size
    return times, {
        name: table.column(name).to_numpy().astype(np.float64)[order].reshape(-1, samples)
        for name in table.column_names
        if name not in ("replicate", "t")
    }


def _draw_total(
    axis: Axes, times: Series, total: Series, scenario: Scenario, outcomes: Sequence[Outcome]
) -> None:
    """The total tumour, the escape threshold and each replicate's outcome day."""
    _draw_lines(axis, times, total, style.TUMOUR_COLOUR, "median")
    threshold = scenario.escape_threshold
    style.threshold_line(axis, threshold, label=f"escape threshold ({threshold:.3g})")
    for kind, marker, level in (("escape", "^", threshold), ("elimination", "x", 1.0)):
        days = [day for found, day in outcomes if found == kind and day is not None]
        if days:
            axis.plot(days, [level] * len(days), linestyle="none", marker=marker, markersize=6,
                      color=style.OUTCOME_COLOURS[kind], clip_on=False,
                      label=f"{kind} ({len(days)} of {len(outcomes)}; day marked)")  # fmt: skip
    _log_axis(axis, [total, np.array([threshold])], floor=0.5)
    axis.set_title(f"{TOTAL_TUMOUR} (cells)", fontsize="small", loc="left")
    axis.set_ylabel("cells")


def _draw_group(axis: Axes, times: Series, group: style.Group, series: dict[str, Series]) -> None:
    """One role's series of one unit: faint replicates, bold medians, one shade each."""
    named = [(s.display, series[s.name]) for s in group.members]
    if len(named) > MAX_SERIES:
        # Keep the largest series by peak median; sum the rest so no cells go missing.
        named.sort(key=lambda item: -float(np.nanmax(np.median(item[1], axis=0))))
        rest = named[MAX_SERIES - 1 :]
        summed = np.sum([values for _, values in rest], axis=0)
        named = [*named[: MAX_SERIES - 1], (f"{len(rest)} others, summed", summed)]
    colours = style.shades(group.role, len(named))
    for (label, values), colour in zip(named, colours, strict=True):
        _draw_lines(axis, times, values, colour, label, budget=MAX_FAINT_LINES // len(named))
    _log_axis(axis, [values for _, values in named], floor=None)
    axis.set_title(f"{group.title} ({group.unit})", fontsize="small", loc="left")
    axis.set_ylabel(group.unit)


def _draw_lines(
    axis: Axes, times: Series, values: Series, colour: object, label: str,
    budget: int = MAX_FAINT_LINES,
) -> None:  # fmt: skip
    """Faint replicate lines (at most ``budget``) and the bold median labelled ``label``."""
    replicates = values.shape[0]
    alpha = float(np.clip(4.0 / max(replicates, 1), 0.06, 0.6))
    for row in values[:budget]:
        axis.plot(times, _positive(row), color=colour, alpha=alpha, linewidth=0.7)
    median = np.median(values, axis=0) if replicates > 1 else values[0]
    axis.plot(times, _positive(median), color=colour, linewidth=2.0, label=label)
    axis.grid(True, which="major", alpha=0.3)


def _log_axis(axis: Axes, arrays: Sequence[Series], floor: float | None) -> None:
    """A log axis over the positive values, at most DYNAMIC_RANGE below the peak (a
    decaying concentration reaches 1e-300 and would squash everything else flat)."""
    positive = np.concatenate([a[a > 0].ravel() for a in arrays] or [np.empty(0)])
    if not positive.size:
        return
    axis.set_yscale("log")
    peak = float(positive.max())
    low = max(float(positive.min()), peak / DYNAMIC_RANGE) / 2
    axis.set_ylim(min(low, floor) if floor is not None else low, peak * 2)


def _mark_doses(axis: Axes, scenario: Scenario, *, legend: bool) -> None:
    """A dotted vertical line on each dose day, one colour per therapy."""
    for index, therapy in enumerate(scenario.therapies):
        colour = style.DOSE_COLOURS[index % len(style.DOSE_COLOURS)]
        for order, day in enumerate(therapy.at_days):
            label = f"{therapy.kind} dose days" if legend and order == 0 else None
            style.dose_line(axis, day, colour, label=label)


def _grid(panels: int) -> tuple[int, int]:
    """Rows and columns: one column up to PANELS_PER_COLUMN panels, then up to three."""
    columns = min(MAX_COLUMNS, max(1, math.ceil(panels / PANELS_PER_COLUMN)))
    return max(1, math.ceil(panels / columns)), columns


def _width(columns: int) -> float:
    """Figure width in inches: a single column is wide, several share the width."""
    return 8.5 if columns == 1 else 5.2 * columns


def _positive(values: Series) -> Series:
    """``values`` with zeros and negatives hidden (NaN) so the log axis can show the rest."""
    return np.where(values > 0, values, np.nan)
