"""Fit tumour growth laws to Benzekry et al. 2014's Lewis lung carcinoma volumes.

Run: ``.venv/bin/python examples/fit_growth.py`` (writes docs/fits_growth.png and prints
the fitted values and how they map to escape2004's growth parameters).

Each law has a growth rate r and a capacity K common to all 20 mice and one initial
volume per mouse (the data do not record it), fitted by least squares on log volume
(caliper errors grow with size, so relative residuals are the fair scale; Benzekry et al.
2014 likewise found a proportional error model appropriate).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from scipy.optimize import least_squares

Array = npt.NDArray[np.float64]
HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "benzekry2014_llc_volumes.csv"
FIGURE = HERE.parent / "docs" / "fits_growth.png"
#: Cells per mm³ of tumour: the conventional 1e9 cells per cm³ (Del Monte 2009, Cell Cycle
#: 8:505, who also shows it overstates cellularity; used only to express K in cells).
CELLS_PER_MM3 = 1e6


def exponential(t: Array, v0: Array, r: float, _k: float) -> Array:
    """V0·e^(r·t) (the capacity is unused)."""
    return np.asarray(v0 * np.exp(r * t))


def logistic(t: Array, v0: Array, r: float, k: float) -> Array:
    """Solution of dV/dt = r·V·(1 − V/K)."""
    return np.asarray(k / (1 + (k / v0 - 1) * np.exp(-r * t)))


def gompertz(t: Array, v0: Array, r: float, k: float) -> Array:
    """Solution of dV/dt = r·V·ln(K/V)."""
    return np.asarray(k * np.exp(np.log(v0 / k) * np.exp(-r * t)))


Law = Callable[[Array, Array, float, float], Array]
LAWS: dict[str, Law] = {"exponential": exponential, "logistic": logistic, "Gompertz": gompertz}


@dataclass(frozen=True)
class Fit:
    """One law's pooled fit: shared r and K, one initial volume per mouse."""

    law: str
    r: float
    k: float
    v0: Array
    rss: float  # residual sum of squares of log volume
    parameters: int

    @property
    def aic(self) -> float:
        n = OBSERVATIONS
        return float(n * np.log(self.rss / n) + 2 * self.parameters)


def load() -> tuple[Array, Array, Array]:
    """Mouse index, day and volume (mm³) of every observation."""
    with DATA.open() as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    mice = np.array([int(r["mouse"]) for r in rows])
    days = np.array([float(r["day"]) for r in rows])
    volumes = np.array([float(r["volume_mm3"]) for r in rows])
    return mice, days, volumes


MICE, DAYS, VOLUMES = load()
OBSERVATIONS = len(VOLUMES)
N_MICE = int(MICE.max()) + 1


def fit(name: str) -> Fit:
    law = LAWS[name]

    def residuals(x: Array) -> Array:
        log_v0, log_r, log_k = x[:N_MICE], x[N_MICE], x[N_MICE + 1]
        predicted = law(DAYS, np.exp(log_v0[MICE]), float(np.exp(log_r)), float(np.exp(log_k)))
        return np.log(predicted) - np.log(VOLUMES)

    start = np.concatenate([np.full(N_MICE, np.log(5.0)), [np.log(0.3), np.log(5e3)]])
    solution = least_squares(residuals, start, method="trf", x_scale="jac")
    x = solution.x
    free = N_MICE + (1 if name == "exponential" else 2)
    return Fit(name, float(np.exp(x[N_MICE])), float(np.exp(x[N_MICE + 1])),
               np.exp(x[:N_MICE]), float(np.sum(solution.fun**2)), free)  # fmt: skip


def plot(fits: list[Fit]) -> None:
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    grid = np.linspace(0, DAYS.max(), 200)
    for mouse in range(N_MICE):
        rows = mouse == MICE
        axes[0].semilogy(DAYS[rows], VOLUMES[rows], "o", ms=3, color="0.55", alpha=0.7)
    for fit_, colour in zip(fits, ("tab:green", "tab:blue", "tab:red"), strict=True):
        typical = float(np.exp(np.mean(np.log(fit_.v0))))
        curve = LAWS[fit_.law](grid, np.array(typical), fit_.r, fit_.k)
        axes[0].semilogy(grid, curve, color=colour, label=f"{fit_.law} (AIC {fit_.aic:.0f})")
        predicted = LAWS[fit_.law](DAYS, fit_.v0[MICE], fit_.r, fit_.k)
        axes[1].plot(DAYS + {"exponential": -0.2, "logistic": 0.0, "Gompertz": 0.2}[fit_.law],
                     np.log(VOLUMES / predicted), ".", color=colour, label=fit_.law)  # fmt: skip
    axes[0].set(xlabel="day after injection", ylabel="tumour volume (mm³)", ylim=(5, 5e3),
                title="LLC, 20 mice (Benzekry et al. 2014) and fits at the mean V0")  # fmt: skip
    axes[0].legend(fontsize=8)
    axes[1].axhline(0, color="0.3", lw=0.8)
    axes[1].set(xlabel="day after injection", ylabel="log(data / fit)",
                title="residuals (each mouse with its own V0)")  # fmt: skip
    axes[1].legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(FIGURE, dpi=110)


def main() -> None:
    fits = [fit(name) for name in LAWS]
    for f in fits:
        capacity = (
            "no capacity"
            if f.law == "exponential"
            else (f"K = {f.k:.4g} mm³ ({f.k * CELLS_PER_MM3:.3g} cells)")
        )
        print(f"{f.law:12s} r = {f.r:.4f}/day  {capacity}"
              f"  RSS(log) = {f.rss:.3f}  AIC = {f.aic:.1f}  (n = {OBSERVATIONS})")  # fmt: skip
    logistic_fit = next(f for f in fits if f.law == "logistic")
    # escape2004: dT/dt = (division − death)·T − division·b·T², so net rate = division − death
    # and capacity = (division − death)/(division·b); keep its basal death 0.05/day.
    death = 0.05
    division = logistic_fit.r + death
    capacity = logistic_fit.k * CELLS_PER_MM3
    print(f"escape2004 (logistic): division_rate = {division:.4f}, death_rate = {death},"
          f" inverse_capacity = {logistic_fit.r / (division * capacity):.3g}")  # fmt: skip
    plot(fits)


if __name__ == "__main__":
    main()
