"""Where grid points sit on a figure's x axis: linear, log, or evenly spaced points.

A separatrix sweep is dense where chance decides (the kuznetsov1994 example runs its
initial tumour over 1 … 1e8 cells with six points between 6e7 and 7e7): on a log axis those
points pile up into one. ``points`` spaces the grid points evenly and labels each with
its value. ``auto`` takes a range's own scale; for listed values, the scale (linear or
log) on which neighbouring values are most evenly spaced, or evenly spaced points when on
both the largest gap is more than :data:`UNEVEN` times the smallest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from escapesim.engine.ensemble import Axis

SCALES = ("auto", "linear", "log", "points")

#: Gaps between neighbouring grid values this uneven make ``auto`` choose ``points``.
UNEVEN = 20.0

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Placement:
    """How grid values map to x: ``scale`` is matplotlib's ("linear" or "log");
    ``labels`` (for ``points``) name the ticks at positions 0, 1, …"""

    scale: str
    values: FloatArray
    labels: tuple[str, ...] | None = None

    def position(self, value: float) -> float:
        """The x position of grid ``value``."""
        if self.labels is None:
            return value
        return float(np.flatnonzero(np.isclose(self.values, value))[0])

    def gap(self) -> float:
        """A typical distance between neighbouring points, in x units (for dodging)."""
        if self.labels is not None or self.values.size < 2:
            return 1.0
        if self.scale == "log":
            return float(np.median(np.diff(np.log(self.values))))
        return float(np.median(np.diff(self.values)))


def placement(axis: Axis, scale: str = "auto") -> Placement:
    """The placement of ``axis``'s values under ``scale`` (one of :data:`SCALES`)."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, got {scale!r}")
    values = np.unique(np.asarray(axis.values, dtype=np.float64))
    chosen = _auto(axis, values) if scale == "auto" else scale
    if chosen == "log" and not np.all(values > 0):
        chosen = "linear"  # a log axis cannot show zero or negative values
    if chosen == "points":
        return Placement("linear", values, tuple(f"{v:.4g}" for v in values))
    return Placement(chosen, values)


def _auto(axis: Axis, values: FloatArray) -> str:
    """A range's own scale; else the scale on which the values are most evenly spaced
    (log for 3e3, 1e4, 3e4), or evenly spaced points if neither spaces them evenly."""
    if axis.span is not None:
        return "log" if axis.span.log else "linear"
    if values.size < 3:  # no spacing to judge: two decades or more read best on a log axis
        decades = values.size == 2 and values.min() > 0 and values.max() / values.min() >= 100
        return "log" if decades else "linear"
    linear = _unevenness(values)
    logarithmic = _unevenness(np.log(values)) if values.min() > 0 else np.inf
    if min(linear, logarithmic) > UNEVEN:
        return "points"
    return "log" if logarithmic < linear else "linear"


def _unevenness(spread: FloatArray) -> float:
    """The largest gap between neighbouring values over the smallest."""
    gaps = np.diff(spread)
    return float(gaps.max() / gaps.min())
