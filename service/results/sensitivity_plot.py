"""The sensitivity figure: one panel per outcome quantity.

Morris: μ* (x, the mean absolute elementary effect: how much a parameter matters) against
σ (y, how much its effect depends on the others or is non-linear), one point per
parameter, with μ*'s 95 % bootstrap interval as a horizontal bar; each parameter keeps its
colour and marker in every panel and is named once, in the legend below (text labels
beside the points overlapped where unimportant parameters cluster near the origin).
Sobol: first-order (S1) and total-order (ST) indices as paired bars per parameter with
their 95 % bootstrap intervals; a gap between ST and S1 is the share of variance through
interactions.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pyarrow as pa

from escapesim.service.results import figure_style as style
from escapesim.service.store.files import atomic_target

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Sobol's bars: first order in the treated blue, total order in the purple.
FIRST_COLOUR, TOTAL_COLOUR = style.TREATED_COLOURS[0], style.TREATED_COLOURS[1]
#: Morris points: a colour and a marker per parameter (no outcome red, green or grey).
PARAMETER_COLOURS = (*style.TREATED_COLOURS, "#ff7f0e", "#e377c2")
PARAMETER_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def plot_sensitivity(indices: pa.Table, method: str, path: str | os.PathLike[str]) -> None:
    """Write the figure of ``indices`` (:func:`...sensitivity_analysis.analyse`) as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = indices.to_pylist()
    quantities = list(dict.fromkeys(r["quantity"] for r in rows))
    figure = Figure(figsize=(4.2 * len(quantities) + 0.6, 3.8), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(quantities), squeeze=False)[0]
    for axis, quantity in zip(axes, quantities, strict=True):
        mine = [r for r in rows if r["quantity"] == quantity]
        (_sobol if method == "sobol" else _morris)(axis, mine)
        axis.set_title(quantity.replace("_", " ").replace("@", " by day "), fontsize=10)
    if method != "sobol":
        handles, labels = axes[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4),
                      fontsize=8, frameon=False)  # fmt: skip
    with atomic_target(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)


def _sobol(axis: Axes, rows: list[dict[str, object]]) -> None:
    names = [str(r["parameter"]) for r in rows]
    places = range(len(rows))
    for shift, key, colour in ((-0.2, "S1", FIRST_COLOUR), (0.2, "ST", TOTAL_COLOUR)):
        axis.bar([p + shift for p in places], [float(r[key]) for r in rows],  # type: ignore[arg-type]
                 width=0.4, color=colour, label=key,
                 yerr=[float(r[f"{key}_conf"]) for r in rows], capsize=3)  # type: ignore[arg-type]  # fmt: skip
    axis.set_xticks(list(places), names, rotation=45, ha="right")
    axis.axhline(0.0, color="#999999", linewidth=0.8)
    axis.set_ylabel("Sobol index")
    axis.legend(fontsize=8, frameon=False)


def _morris(axis: Axes, rows: list[dict[str, object]]) -> None:
    for i, r in enumerate(rows):
        mu, sigma = float(r["mu_star"]), float(r["sigma"])  # type: ignore[arg-type]
        conf = float(r["mu_star_conf"])  # type: ignore[arg-type]
        colour = PARAMETER_COLOURS[i % len(PARAMETER_COLOURS)]
        marker = PARAMETER_MARKERS[i % len(PARAMETER_MARKERS)]
        axis.errorbar([mu], [sigma], xerr=[conf], fmt=marker, color=colour, capsize=3,
                      label=str(r["parameter"]), alpha=0.85)  # fmt: skip
    # Symmetric-log axes, linear below 1 % of the largest value: effects that differ by
    # decades (here 0.08 to 20 days) all show, and a zero effect stays at 0.
    for values, scale in (([float(r["mu_star"]) for r in rows], axis.set_xscale),  # type: ignore[arg-type]
                          ([float(r["sigma"]) for r in rows], axis.set_yscale)):  # type: ignore[arg-type]  # fmt: skip
        largest = max(values, default=0.0)
        if largest > 0:
            scale("symlog", linthresh=largest / 100)
    axis.set_xlabel("μ* (mean |elementary effect|), symmetric log")
    axis.set_ylabel("σ (spread of the effects), symmetric log")
    axis.set_xlim(left=0)
    axis.set_ylim(bottom=0)
