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


def _kill(drug: float, efficacy: float) -> float:
    return float(1.0 - np.exp(-efficacy * drug))


def depillis2009(
    p: Mapping[str, float], y0: list[float], days: Array,
    doses: Mapping[str, list[tuple[float, float]]] | None = None,
    infusions: list[tuple[float, float, float]] | None = None,
) -> Array:  # fmt: skip
    """T, N, L, C, M and I (rows) of de Pillis et al. 2009 at ``days``; ``doses`` maps
    ``M``, ``I`` or ``L`` to (day, bolus) pairs, each a jump of that variable;
    ``infusions`` are (start, end, rate) of the CD8 infusion v_L(t) (cells/(L·day))."""
    jumps = sorted((day, "TNLCMI".index(v), x) for v, pairs in (doses or {}).items()
                   for day, x in pairs)  # fmt: skip
    windows = infusions or []
    switches = sorted({t for start, end, _ in windows for t in (start, end)})

    def v_l(t: float) -> float:
        # The rate on the open interval after the last switch at or before t.
        return sum(rate for start, end, rate in windows if start <= t < end)

    def rhs(t: float, y: Array, infused: float) -> list[float]:
        t_, n, ctl, c, m, i = np.maximum(y, 0.0)
        ratio = (ctl / t_) ** p["lam"] if t_ > 0 and ctl > 0 else 0.0
        lysis = p["d"] * ratio / (p["s"] + ratio) * t_
        return [
            p["a"] * t_ * (1 - p["b"] * t_) - p["c"] * n * t_ - lysis
            - p["K_T"] * _kill(m, p["delta_T"]) * t_,
            p["e"] * p["f"] * c - p["f"] * n - p["p"] * n * t_ + p["p_N"] * n * i / (p["g_N"] + i)
            - p["K_N"] * _kill(m, p["delta_N"]) * n,
            -p["theta"] * p["m"] * ctl / (p["theta"] + i) + p["j"] * t_ * ctl / (p["k"] + t_)
            - p["q"] * ctl * t_ + (p["r1"] * n + p["r2"] * c) * t_
            - p["u"] * ctl**2 * c * i / (p["kappa"] + i) + p["p_I"] * ctl * i / (p["g_I"] + i)
            - p["K_L"] * _kill(m, p["delta_L"]) * ctl + infused,
            p["alpha"] - p["beta"] * c - p["K_C"] * _kill(m, p["delta_C"]) * c,
            -p["gamma"] * m,
            -p["mu_I"] * i + p["phi"] * c + p["omega"] * ctl * i / (p["zeta"] + i),
        ]  # fmt: skip

    # Integrate between doses and infusion switches (the rate is constant on each piece);
    # a sample on a dose day is taken before that dose.
    stops = sorted([*jumps, *((t, 0, 0.0) for t in switches), (float(days[-1]), 0, 0.0)])
    out, state, start = np.zeros((6, len(days))), np.array(y0, dtype=float), float(days[0])
    for day, index, amount in stops:
        if day > start:
            solution = solve_ivp(rhs, (start, day), state, dense_output=True, method="LSODA",
                                 rtol=1e-8, atol=1e-6, args=(v_l(start),))  # fmt: skip
            assert solution.success, solution.message
            inside = (days >= start) & (days <= day)
            if inside.any():
                out[:, inside] = solution.sol(days[inside])
            state, start = solution.y[:, -1].copy(), day
        state[index] += amount
    return out
