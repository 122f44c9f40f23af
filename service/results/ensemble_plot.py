"""The ensemble figure: outcome probabilities per grid point, and quantile bands per arm.

The top panel shows the probability of escape (red), elimination (green) and equilibrium
(grey) at each grid point with its 95% Wilson interval, one line style per arm. Below it,
one row per series (by default the tumour total and the effector cells) and one column
per grid point shown (at most :data:`MAX_POINT_COLUMNS`, spread over the grid): for each
arm the median (line), the 25-75% band (dark) and the 5-95% band (light).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from escapesim.engine.ensemble import Axis, Ensemble
from escapesim.engine.summary import TUMOUR, FloatArray
from escapesim.service.results.ensemble_tables import CellResults
from escapesim.service.store.files import atomic_target

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: At most this many grid points get a column of band panels (evenly spread).
MAX_POINT_COLUMNS = 4
#: Effector populations by preset convention, first match shown by default.
EFFECTORS = ("CTL", "E")

_ARM_COLOURS = ("tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange", "tab:brown")
_OUTCOME_COLOURS = {"escape": "tab:red", "elimination": "tab:green", "equilibrium": "tab:gray"}
_ARM_MARKERS = ("o", "s", "^", "D")
_ARM_LINES = ("-", "--", ":", "-.")


def default_series(ensemble: Ensemble) -> list[str]:
    """The tumour total and the preset's effector cells (if it names them as usual)."""
    net = ensemble.scenario.network()
    names = {s.name for s in net.species}
    return [TUMOUR, *[name for name in EFFECTORS if name in names][:1]]


def plot_ensemble(
    ensemble: Ensemble,
    finished: Sequence[CellResults],
    path: str | os.PathLike[str],
    *,
    series: Sequence[str] | None = None,
    title: str = "",
) -> None:
    """Write the ensemble figure as a PNG to ``path`` (atomically)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    shown = list(series or default_series(ensemble))
    points = _shown_points(len(ensemble.grid_points()))
    rows, columns = 1 + len(shown), len(points)
    figure = Figure(figsize=(3.6 * max(columns, 2) + 1, 2.6 * rows + 0.6), layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(rows, columns)
    _draw_outcomes(figure.add_subplot(grid[0, :]), ensemble, finished)
    arms = [arm.name for arm in ensemble.arms]
    labels = _point_labels(ensemble)
    for column, point in enumerate(points):
        cells = [d for d in finished if d.cell.point == point]
        for row, name in enumerate(shown, start=1):
            axis = figure.add_subplot(grid[row, column])
            for done in cells:
                colour = _ARM_COLOURS[arms.index(done.cell.arm) % len(_ARM_COLOURS)]
                _draw_bands(axis, done, name, colour)
            if row == 1:
                axis.set_title(labels[point], fontsize="small")
            if column == 0:
                axis.set_ylabel(name)
            if row == rows - 1:
                axis.set_xlabel("time (days)")
    if title:
        figure.suptitle(title)
    with atomic_target(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)


def _shown_points(count: int) -> list[int]:
    if count <= MAX_POINT_COLUMNS:
        return list(range(count))
    return sorted({round(x) for x in np.linspace(0, count - 1, MAX_POINT_COLUMNS)})


def _point_labels(ensemble: Ensemble) -> list[str]:
    return [
        ", ".join(f"{field} = {value:.3g}" for field, value in values.items()) or "base scenario"
        for values in ensemble.grid_points()
    ]


def _draw_outcomes(axis: Axes, ensemble: Ensemble, finished: Sequence[CellResults]) -> None:
    """Probability of each outcome (colour) against the grid point, per arm (line style).

    Arms are dodged sideways a little so that their intervals do not hide each other.
    """
    if not ensemble.grid:
        _draw_arm_outcomes(axis, ensemble, finished)
        return
    single = len(ensemble.grid) == 1
    logarithmic = single and _logarithmic(ensemble.grid[0])
    arms = [arm.name for arm in ensemble.arms]
    for order, arm in enumerate(arms):
        cells = [d for d in finished if d.cell.arm == arm]
        x = np.array([d.cell.values[ensemble.grid[0].field] if single else d.cell.point
                      for d in cells], dtype=float)  # fmt: skip
        x = _dodge(x, order - (len(arms) - 1) / 2, logarithmic)
        for kind, colour in _OUTCOME_COLOURS.items():
            shares = [d.summary.outcomes[kind] for d in cells]
            y = np.array([s.estimate for s in shares])
            error = np.array([[s.estimate - s.lower for s in shares],
                              [s.upper - s.estimate for s in shares]])  # fmt: skip
            axis.errorbar(x, y, yerr=error, color=colour, marker=_ARM_MARKERS[order % 4],
                          linestyle=_ARM_LINES[order % 4], markersize=4, capsize=2,
                          label=f"{kind} ({arm})")  # fmt: skip
    axis.set_ylim(-0.03, 1.03)
    axis.set_ylabel("probability (95% CI)")
    axis.set_xlabel(ensemble.grid[0].field if single else "grid point")
    if logarithmic:
        axis.set_xscale("log")
    axis.legend(fontsize="x-small", ncol=len(arms), frameon=False, loc="best")
    axis.grid(True, alpha=0.3)


def _draw_arm_outcomes(axis: Axes, ensemble: Ensemble, finished: Sequence[CellResults]) -> None:
    """Without a grid: the probability of each outcome per arm, arms side by side."""
    arms = [arm.name for arm in ensemble.arms]
    for shift, (kind, colour) in zip((-0.2, 0.0, 0.2), _OUTCOME_COLOURS.items(), strict=True):
        shares = [next(d for d in finished if d.cell.arm == arm).summary.outcomes[kind]
                  for arm in arms]  # fmt: skip
        y = np.array([s.estimate for s in shares])
        error = np.array([[s.estimate - s.lower for s in shares],
                          [s.upper - s.estimate for s in shares]])  # fmt: skip
        axis.errorbar(np.arange(len(arms)) + shift, y, yerr=error, color=colour, marker="o",
                      linestyle="none", capsize=3, label=kind)  # fmt: skip
    axis.set_xticks(range(len(arms)), arms)
    axis.set_xlim(-0.6, len(arms) - 0.4)
    axis.set_ylim(-0.03, 1.03)
    axis.set_ylabel("probability (95% CI)")
    axis.legend(fontsize="x-small", ncol=3, frameon=False, loc="best")
    axis.grid(True, alpha=0.3)


def _logarithmic(axis: Axis) -> bool:
    """A log range, or positive values spanning two decades or more, read best on a log axis."""
    if axis.span is not None:
        return axis.span.log
    low, high = min(axis.values), max(axis.values)
    return low > 0 and high / low >= 100


def _dodge(x: FloatArray, offset: float, logarithmic: bool) -> FloatArray:
    """``x`` moved by ``offset`` × 6% of the typical gap between grid values."""
    values = np.unique(x)
    if values.size < 2:
        return x + offset * 0.06
    if logarithmic:
        ratio = float(np.median(values[1:] / values[:-1]))
        moved: FloatArray = x * ratio ** (offset * 0.06)
        return moved
    return x + offset * 0.06 * float(np.median(np.diff(values)))


def _draw_bands(axis: Axes, done: CellResults, name: str, colour: str) -> None:
    """The 5-95% and 25-75% bands and the median of one series for one arm."""
    bands = done.summary.bands
    if name not in bands.series:
        return
    q = np.where(bands.series[name] > 0, bands.series[name], np.nan)
    t = bands.times
    axis.fill_between(t, q[0], q[4], color=colour, alpha=0.15, linewidth=0)
    axis.fill_between(t, q[1], q[3], color=colour, alpha=0.3, linewidth=0)
    axis.plot(t, q[2], color=colour, linewidth=1.6, label=done.cell.arm)
    if np.any(np.isfinite(q)):
        axis.set_yscale("log")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize="x-small", frameon=False, loc="best")
