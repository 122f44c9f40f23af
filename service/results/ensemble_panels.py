"""The panels of the ensemble figure that show one grid point's arms side by side:
Kaplan–Meier curves of the time to escape and to elimination, and quantile bands.

Colours are the arms' (:func:`escapesim.service.results.figure_style.arm_colours`: the
control black, treated arms never red or green); dose days are dotted lines in the
colour of the arm that got them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from escapesim.engine.summary import TUMOUR
from escapesim.service.results import figure_style as style
from escapesim.service.results import survival
from escapesim.service.results.ensemble_tables import CellResults

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def draw_survival(
    axis: Axes, cells: Sequence[CellResults], outcome: str, colours: Mapping[str, str],
    control: str,
) -> None:  # fmt: skip
    """Kaplan–Meier curves of the time to ``outcome`` for each arm of one grid point, with
    95% bands, and each treated arm's log-rank p against the control in its label."""
    data = {
        done.cell.arm: survival.durations(done.replicates, outcome, done.cell.scenario.horizon_days)
        for done in cells
    }
    for done in cells:
        arm = done.cell.arm
        curve = survival.kaplan_meier(data[arm])
        label = f"{arm}: {curve.events}/{curve.subjects} {outcome}"
        if arm != control and control in data:
            p = survival.logrank_p(data[arm], data[control])
            label += "" if p is None else f", log-rank {_p_text(p)}"
        axis.step(curve.days, curve.surviving, where="post", color=colours[arm],
                  linewidth=1.6, label=label)  # fmt: skip
        axis.fill_between(curve.days, curve.lower, curve.upper, step="post",
                          color=colours[arm], alpha=0.15, linewidth=0)  # fmt: skip
    axis.set_ylim(-0.03, 1.03)
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize="x-small", frameon=False, loc="lower left")


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def draw_bands(
    axis: Axes, cells: Sequence[CellResults], name: str, colours: Mapping[str, str]
) -> None:
    """For each arm of one grid point: the 5-95% band (light), the 25-75% band (dark) and
    the median (line) of series ``name``; the escape threshold on the tumour total, and
    each arm's dose days."""
    for done in cells:
        bands = done.summary.bands
        if name not in bands.series:
            continue
        colour = colours[done.cell.arm]
        q = np.where(bands.series[name] > 0, bands.series[name], np.nan)
        t = bands.times
        axis.fill_between(t, q[0], q[4], color=colour, alpha=0.12, linewidth=0)
        axis.fill_between(t, q[1], q[3], color=colour, alpha=0.28, linewidth=0)
        axis.plot(t, q[2], color=colour, linewidth=1.6)
        for therapy in done.cell.scenario.therapies:
            for day in therapy.at_days:
                style.dose_line(axis, day, colour)
    if name == TUMOUR and cells:
        style.threshold_line(axis, cells[0].cell.scenario.escape_threshold)
    if any(np.any(np.asarray(d.summary.bands.series.get(name, [])) > 0) for d in cells):
        axis.set_yscale("log")
    axis.grid(True, alpha=0.3)


def series_label(cells: Sequence[CellResults], name: str) -> str:
    """The row's name in words with its unit: ``total tumour (cells)``."""
    if name == TUMOUR:
        return "total tumour (cells)"
    if not cells:
        return name
    found = cells[0].cell.scenario.network().state_variable(name)
    return name if found is None else f"{found.display} ({found.unit})"


def legend_handles(
    arms: Sequence[str], colours: Mapping[str, str], *, doses: bool
) -> list[object]:
    """Proxy artists for the figure legend: each arm's colour, what the bands mean, the
    threshold and (if any arm gets a therapy) the dose lines."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[object] = [Line2D([], [], color=colours[a], linewidth=2, label=a) for a in arms]
    handles += [
        Line2D([], [], color="#444444", linewidth=1.6, label="median"),
        Patch(color="#444444", alpha=0.4, label="25–75% of replicates"),
        Patch(color="#444444", alpha=0.15, label="5–95% of replicates"),
        style.threshold_handle(),
    ]
    if doses:
        handles.append(style.dose_handle("#444444"))
    return handles
