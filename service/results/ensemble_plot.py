"""The ensemble figure, top to bottom:

1. the probability of each outcome (escape red, elimination green, equilibrium grey)
   at each grid point with its 95% Wilson interval, one marker and line style per arm;
2. with treated arms, the paired difference in the probability of escape of each
   treated arm against the control (replicate k against replicate k, Newcombe's 95%
   interval), in the arm's colour;
3. for up to :data:`MAX_POINT_COLUMNS` grid points (columns, spread over the grid):
   Kaplan–Meier curves of the time to escape and to elimination per arm with 95% bands
   and the log-rank test against the control (rows shown when some replicate had the
   outcome), then the quantile bands of each series (by default the total tumour and
   the effector cells) per arm.

The grid's x axis is linear, log, or evenly spaced points (:mod:`grid_axis`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from escapesim.engine.ensemble import Ensemble
from escapesim.engine.summary import TUMOUR
from escapesim.service.results import ensemble_panels as panels
from escapesim.service.results import figure_style as style
from escapesim.service.results.ensemble_tables import CellResults
from escapesim.service.results.grid_axis import Placement, placement
from escapesim.service.results.survival import SURVIVING
from escapesim.service.store.files import atomic_target

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: At most this many grid points get a column of per-point panels (evenly spread).
MAX_POINT_COLUMNS = 4
#: A one-axis grid with at most this many values gets a labelled tick at each.
MAX_VALUE_TICKS = 12
#: Effector populations by preset convention, first match shown by default.
EFFECTORS = ("CTL", "E")

_ARM_MARKERS = ("o", "s", "^", "D")
_ARM_LINES: tuple[Literal["-", "--", ":", "-."], ...] = ("-", "--", ":", "-.")


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
    axis_scale: str = "auto",
) -> None:
    """Write the ensemble figure as a PNG to ``path`` (atomically; see
    :func:`ensemble_figure`)."""
    figure = ensemble_figure(ensemble, finished, series=series, title=title,
                             axis_scale=axis_scale)  # fmt: skip
    with atomic_target(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)


def ensemble_figure(
    ensemble: Ensemble,
    finished: Sequence[CellResults],
    *,
    series: Sequence[str] | None = None,
    title: str = "",
    axis_scale: str = "auto",
) -> Figure:
    """The ensemble figure; ``axis_scale`` places a one-axis grid
    (:data:`escapesim.service.results.grid_axis.SCALES`)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    shown = list(series or default_series(ensemble))
    points = _shown_points(len(ensemble.grid_points()))
    arms = [arm.name for arm in ensemble.arms]
    colours = style.arm_colours(arms, ensemble.control)
    outcomes = [k for k in SURVIVING if any(d.summary.outcomes[k].count for d in finished)]
    top = 2 if len(arms) > 1 else 1
    rows, columns = top + len(outcomes) + len(shown), len(points)
    figure = Figure(figsize=(3.9 * max(columns, 2) + 1, 2.6 * rows + 1.2), layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(rows, columns)
    where = _placement(ensemble, axis_scale)
    _draw_outcomes(figure.add_subplot(grid[0, :]), ensemble, finished, where)
    if top == 2:
        _draw_differences(figure.add_subplot(grid[1, :]), ensemble, finished, where, colours)
    labels = _point_labels(ensemble)
    horizon = ensemble.scenario.horizon_days
    for column, point in enumerate(points):
        cells = [d for d in finished if d.cell.point == point]
        for row, outcome in enumerate(outcomes, start=top):
            axis = figure.add_subplot(grid[row, column])
            panels.draw_survival(axis, cells, outcome, colours, ensemble.control)
            axis.set_xlim(0, horizon)
            _label(axis, column, f"P({SURVIVING[outcome]})", labels[point] if row == top else "")
        for row, name in enumerate(shown, start=top + len(outcomes)):
            axis = figure.add_subplot(grid[row, column])
            panels.draw_bands(axis, cells, name, colours)
            axis.set_xlim(0, horizon)
            title_here = labels[point] if row == top and not outcomes else ""
            _label(axis, column, panels.series_label(cells, name), title_here)
            if row == rows - 1:
                axis.set_xlabel("time (days)")
    doses = any(d.cell.scenario.therapies for d in finished)
    figure.legend(handles=panels.legend_handles(arms, colours, doses=doses),
                  loc="outside lower center",
                  ncol=min(len(arms) + 5, 8), fontsize="small", frameon=False)  # fmt: skip
    if title:
        figure.suptitle(title)
    return figure


def _label(axis: Axes, column: int, ylabel: str, title: str) -> None:
    if column == 0:
        axis.set_ylabel(ylabel, fontsize="small")
    if title:
        axis.set_title(title, fontsize="small")


def _shown_points(count: int) -> list[int]:
    if count <= MAX_POINT_COLUMNS:
        return list(range(count))
    return sorted({round(x) for x in np.linspace(0, count - 1, MAX_POINT_COLUMNS)})


def _point_labels(ensemble: Ensemble) -> list[str]:
    return [
        ", ".join(f"{field} = {value:.4g}" for field, value in values.items()) or "base scenario"
        for values in ensemble.grid_points()
    ]


def _placement(ensemble: Ensemble, scale: str) -> Placement | None:
    """How a one-axis grid sits on x (``None``: no grid, or several axes by point index)."""
    return placement(ensemble.grid[0], scale) if len(ensemble.grid) == 1 else None


def _x(ensemble: Ensemble, done: CellResults, where: Placement | None) -> float:
    if where is None:
        return float(done.cell.point)
    return where.position(done.cell.values[ensemble.grid[0].field])


def _shape_axis(axis: Axes, ensemble: Ensemble, where: Placement | None) -> None:
    """The grid's x axis: its field, scale and (for evenly spaced points) tick labels."""
    if not ensemble.grid:
        return
    if where is None:
        axis.set_xlabel("grid point")
        return
    axis.set_xlabel(ensemble.grid[0].field)
    axis.set_xscale(where.scale)
    if where.labels is not None:
        axis.set_xticks(range(len(where.labels)), where.labels, fontsize="small")
        axis.set_xlabel(f"{ensemble.grid[0].field} (grid points evenly spaced)")
    elif where.values.size <= MAX_VALUE_TICKS:
        # A tick at each grid value, labelled with it (a log axis's own minor labels,
        # 3×10³ 4×10³ 6×10³, name values nobody simulated).
        axis.set_xticks(where.values, [f"{v:.4g}" for v in where.values], fontsize="small")
        axis.minorticks_off()


def _dodge(x: float, order: int, arms: int, where: Placement | None) -> float:
    """``x`` moved sideways by arm so that intervals do not hide each other."""
    offset = (order - (arms - 1) / 2) * 0.06
    if where is not None and where.scale == "log":
        return float(x * np.exp(offset * where.gap()))
    return x + offset * (where.gap() if where is not None else 1.0)


def _draw_outcomes(
    axis: Axes, ensemble: Ensemble, finished: Sequence[CellResults], where: Placement | None
) -> None:
    """Probability of each outcome (colour) against the grid point, per arm (marker)."""
    arms = [arm.name for arm in ensemble.arms]
    for order, arm in enumerate(arms):
        cells = [d for d in finished if d.cell.arm == arm]
        base = [float(order) if not ensemble.grid else _x(ensemble, d, where) for d in cells]
        x = [_dodge(b, order, len(arms), where) if ensemble.grid else b for b in base]
        for shift, (kind, colour) in enumerate(style.OUTCOME_COLOURS.items()):
            xs = np.array(x) + (0 if ensemble.grid else (shift - 1) * 0.2)
            shares = [d.summary.outcomes[kind] for d in cells]
            y = np.array([s.estimate for s in shares])
            error = np.array([[s.estimate - s.lower for s in shares],
                              [s.upper - s.estimate for s in shares]])  # fmt: skip
            axis.errorbar(xs, y, yerr=error, color=colour, marker=_ARM_MARKERS[order % 4],
                          linestyle=_ARM_LINES[order % 4] if ensemble.grid else "none",
                          markersize=4, capsize=2)  # fmt: skip
    if not ensemble.grid:
        axis.set_xticks(range(len(arms)), arms)
        axis.set_xlim(-0.6, len(arms) - 0.4)
    _shape_axis(axis, ensemble, where)
    axis.set_ylim(-0.03, 1.03)
    axis.set_ylabel("probability (95% CI)")
    axis.set_title("outcome probabilities", fontsize="small", loc="left")
    # Above the panel, right of its title: the curves may cross anywhere inside it.
    axis.legend(handles=_outcome_handles(arms, bool(ensemble.grid)), fontsize="x-small",
                ncol=3 + len(arms), frameon=False, loc="lower right",
                bbox_to_anchor=(1.0, 1.0), borderaxespad=0.2)  # fmt: skip
    axis.grid(True, alpha=0.3)


def _outcome_handles(arms: Sequence[str], grid: bool) -> list[object]:
    from matplotlib.lines import Line2D

    handles: list[object] = [
        Line2D([], [], color=colour, marker="o", linestyle="-", label=kind)
        for kind, colour in style.OUTCOME_COLOURS.items()
    ]
    if grid and len(arms) > 1:
        handles += [
            Line2D(
                [],
                [],
                color="#444444",
                marker=_ARM_MARKERS[i % 4],
                linestyle=_ARM_LINES[i % 4],
                label=f"arm {arm}",
            )
            for i, arm in enumerate(arms)
        ]
    return handles


def _draw_differences(
    axis: Axes, ensemble: Ensemble, finished: Sequence[CellResults], where: Placement | None,
    colours: Mapping[str, str],
) -> None:  # fmt: skip
    """Each treated arm's paired difference in P(escape) against the control, with its
    Newcombe interval, at each grid point."""
    treated = [arm.name for arm in ensemble.arms if arm.name != ensemble.control]
    for order, arm in enumerate(treated):
        cells = [d for d in finished if d.cell.arm == arm and d.versus_control is not None]
        x = [_dodge(_x(ensemble, d, where), order, len(treated), where) if ensemble.grid
             else float(order) for d in cells]  # fmt: skip
        found = [d.versus_control["escape"] for d in cells if d.versus_control is not None]
        y = np.array([f.estimate for f in found])
        error = np.array([[f.estimate - f.lower for f in found],
                          [f.upper - f.estimate for f in found]])  # fmt: skip
        axis.errorbar(x, y, yerr=error, color=colours[arm], marker="o", markersize=4,
                      capsize=2, linestyle="-" if ensemble.grid else "none",
                      label=f"{arm} − {ensemble.control}")  # fmt: skip
    axis.axhline(0.0, color="#444444", linewidth=0.8)
    if not ensemble.grid:
        axis.set_xticks(range(len(treated)), treated)
        axis.set_xlim(-0.6, len(treated) - 0.4)
    _shape_axis(axis, ensemble, where)
    axis.set_ylim(-1.03, 1.03)
    axis.set_ylabel("Δ P(escape), paired")
    axis.set_title("difference in the probability of escape against the control, replicate by "
                   "replicate (95% Newcombe interval; below 0: fewer escapes)",
                   fontsize="small", loc="left")  # fmt: skip
    axis.legend(fontsize="x-small", frameon=False, loc="best")
    axis.grid(True, alpha=0.3)
