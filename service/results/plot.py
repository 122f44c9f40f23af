"""The replicates figure: one log-scale panel per species, replicates faint, their median bold.

It draws from a trajectory table (:func:`escapesim.service.results.tables.trajectory_table`),
so the CLI, the store and the service plot local and remote results the same way.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from escapesim.service.store.files import atomic_target

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Beyond this many replicates only the first ones are drawn faint (the median uses all);
#: thousands of faint lines add ink and time, not information.
MAX_FAINT_LINES = 200

#: The log axis spans at most this factor below a panel's largest value.
DYNAMIC_RANGE = 1e10

#: Panels stack in one column up to this many, then wrap into at most MAX_COLUMNS.
PANELS_PER_COLUMN = 6
MAX_COLUMNS = 4

_KEYS = ("replicate", "t")
_COLOURS = ("tab:blue", "tab:red", "tab:green", "tab:purple", "tab:orange", "tab:brown")


def plot_trajectories(
    table: pa.Table,
    path: str | os.PathLike[str],
    *,
    title: str = "",
    units: Mapping[str, str] | None = None,
) -> None:
    """Write a PNG with one panel per species of ``table`` to ``path`` (atomically).

    Values ≤ 0 (an extinct population) cannot sit on a log axis, so a trajectory simply
    ends where its population reaches zero. Species that are zero throughout carry no
    picture and are left out (the title says how many); many panels wrap into columns.
    """
    # Imported here: matplotlib is slow to import and only this function needs it. The Agg
    # canvas is attached to this figure alone, so no global backend or pyplot state is set.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    replicate = table.column("replicate").to_numpy()
    times = table.column("t").to_numpy()
    ids = np.unique(replicate)
    series = {
        name: table.column(name).to_numpy().astype(np.float64)
        for name in table.column_names
        if name not in _KEYS
    }
    shown = [name for name, values in series.items() if np.any(values != 0)] or list(series)
    rows, columns = _grid(len(shown))
    figure = Figure(figsize=(_width(columns), 1.0 + 2.3 * rows), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, sharex=True, squeeze=False)
    for index, name in enumerate(shown):
        axis = axes[index % rows, index // rows]
        curves = [(times[replicate == k], series[name][replicate == k]) for k in ids]
        _draw_species(axis, curves, _COLOURS[index % len(_COLOURS)])
        unit = (units or {}).get(name)
        axis.set_ylabel(f"{name} ({unit})" if unit else name)
    for index in range(len(shown), rows * columns):
        axes[index % rows, index // rows].set_visible(False)
    for column in range(columns):
        bottom = min(rows, len(shown) - column * rows) - 1
        axes[bottom, column].set_xlabel("time (days)")
        axes[bottom, column].xaxis.set_tick_params(labelbottom=True)
    hidden = len(series) - len(shown)
    note = f" ({hidden} series zero throughout not shown)" if hidden else ""
    if title or note:
        figure.suptitle(title + note)
    with atomic_target(path) as temporary:
        figure.savefig(temporary, format="png", dpi=110)


def _grid(panels: int) -> tuple[int, int]:
    """Rows and columns: one column up to PANELS_PER_COLUMN panels, then up to four."""
    columns = min(MAX_COLUMNS, max(1, math.ceil(panels / PANELS_PER_COLUMN)))
    return max(1, math.ceil(panels / columns)), columns


def _width(columns: int) -> float:
    """Figure width in inches: a single column is wide, several share the width."""
    return 8.0 if columns == 1 else 4.4 * columns


Curve = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


def _draw_species(axis: Axes, curves: list[Curve], colour: str) -> None:
    """Faint replicate lines and the bold median of one species on one axis."""
    alpha = float(np.clip(4.0 / max(len(curves), 1), 0.08, 0.6))
    for t, values in curves[:MAX_FAINT_LINES]:
        axis.plot(t, _positive(values), color=colour, alpha=alpha, linewidth=0.8)
    median = _median(curves)
    if median is not None and len(curves) > 1:
        axis.plot(median[0], _positive(median[1]), color=colour, linewidth=2.2, label="median")
        axis.legend(loc="best", fontsize="small", frameon=False)
    positive = np.concatenate([values[values > 0] for _, values in curves] or [np.empty(0)])
    if positive.size:
        axis.set_yscale("log")
        # A decaying concentration reaches 1e-300 and would squash everything else flat;
        # show at most DYNAMIC_RANGE below the peak (counts never go below 1 anyway).
        peak = positive.max()
        axis.set_ylim(max(positive.min(), peak / DYNAMIC_RANGE) / 2, peak * 2)
    axis.grid(True, which="major", alpha=0.3)


def _median(curves: list[Curve]) -> Curve | None:
    """The pointwise median over replicates, if they share their sampling times."""
    if not curves:
        return None
    t = curves[0][0]
    if any(c[0].shape != t.shape or not np.array_equal(c[0], t) for c in curves):
        return None
    return t, np.median(np.stack([c[1] for c in curves]), axis=0)


def _positive(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """``values`` with zeros and negatives hidden (NaN) so the log axis can show the rest."""
    return np.where(values > 0, values, np.nan)
