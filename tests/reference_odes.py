"""ODE references computed in the tests themselves from docs/reference_models.md's equations."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
from scipy.integrate import solve_ivp

Array = npt.NDArray[np.float64]


def kuznetsov(p: Mapping[str, float], e0: float, t0: float, days: Array) -> Array:
    """E and T (rows) of Kuznetsov et al. 1994 at ``days``."""

    def rhs(_t: float, y: Array) -> list[float]:
        e, t = y
        return [
            p["s"] + p["p"] * e * t / (p["g"] + t) - p["m"] * e * t - p["d"] * e,
            p["a"] * t * (1 - p["b"] * t) - p["n"] * e * t,
        ]

    return _solve(rhs, [e0, t0], days)


def kirschner_panetta(p: Mapping[str, float], y0: list[float], days: Array) -> Array:
    """E, T and I (rows) of Kirschner & Panetta 1998 at ``days``."""

    def rhs(_t: float, y: Array) -> list[float]:
        e, t, i = y
        return [
            p["c"] * t - p["mu2"] * e + p["p1"] * e * i / (p["g1"] + i) + p["s1"],
            p["r2"] * t * (1 - p["b"] * t) - p["a"] * e * t / (p["g2"] + t),
            p["p2"] * e * t / (p["g3"] + t) - p["mu3"] * i + p["s2"],
        ]

    return _solve(rhs, y0, days)


def depillis(p: Mapping[str, float], y0: list[float], days: Array) -> Array:
    """T, N and L (rows) of de Pillis, Radunskaya & Wiseman 2005 at ``days``."""

    def rhs(_t: float, y: Array) -> list[float]:
        t, n, ctl = np.maximum(y, 0.0)  # the solver may step a vanishing tumour below zero
        ratio = (ctl / t) ** p["lam"] if t > 0 and ctl > 0 else 0.0
        lysis = p["d"] * ratio / (p["s"] + ratio) * t
        return [
            p["a"] * t * (1 - p["b"] * t) - p["c"] * n * t - lysis,
            p["sigma"] - p["f"] * n + p["g"] * t**2 / (p["h"] + t**2) * n - p["p"] * n * t,
            -p["m"] * ctl
            + p["j"] * lysis**2 / (p["k"] + lysis**2) * ctl
            - p["q"] * ctl * t
            + p["r"] * n * t,
        ]

    return _solve(rhs, y0, days)


def _solve(rhs: object, y0: list[float], days: Array) -> Array:
    solution = solve_ivp(
        rhs,  # type: ignore[arg-type]
        (float(days[0]), float(days[-1])),
        y0,
        t_eval=days,
        method="LSODA",
        rtol=1e-9,
        atol=1e-9,
    )
    assert solution.success, solution.message
    return np.asarray(solution.y)
