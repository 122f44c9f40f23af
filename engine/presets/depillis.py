"""de Pillis, Radunskaya & Wiseman 2005 (Cancer Res 65:7950): tumour, NK and CD8+ T cells.

    dT/dt = a·T·(1 − b·T) − c·N·T − D·T
    dN/dt = sigma − f·N + g·T²/(h + T²)·N − p·N·T
    dL/dt = −m·L + j·(D·T)²/(k + (D·T)²)·L − q·L·T + r·N·T
    D     = d·(L/T)^lam / (s + (L/T)^lam)        (ratio-dependent CD8 lysis)

How the ODE terms become stochastic channels (each fires ±1 cell). Every term of the
ODE has one sign for all non-negative states, so each is its own channel: positive
terms are births or arrivals, negative terms are deaths or losses, and the channels'
mean drift is the ODE's right-hand side exactly.

| channel           | propensity                   | change | why this split           |
|-------------------|------------------------------|--------|--------------------------|
| tumour_division   | a·T                          | T + 1  | logistic births          |
| competition       | a·b·T²                       | T − 1  | logistic crowding deaths |
| nk_kill           | c·N·T                        | T − 1  | NK lysis (mass action)   |
| ctl_kill          | D·T                          | T − 1  | CD8 lysis, ratio law     |
| nk_influx         | sigma                        | N + 1  | constant NK source       |
| nk_death          | f·N                          | N − 1  | NK turnover              |
| nk_recruitment    | g·T²/(h + T²)·N              | N + 1  | tumour-driven recruitment|
| nk_inactivation   | p·N·T                        | N − 1  | NK exhausted by tumour   |
| ctl_death         | m·L                          | L − 1  | CD8 turnover             |
| ctl_recruitment   | j·(D·T)²/(k + (D·T)²)·L      | L + 1  | recruitment by lysis     |
| ctl_inactivation  | q·L·T                        | L − 1  | CD8 exhausted by tumour  |
| ctl_activation    | r·N·T                        | L + 1  | NK-lysed debris primes   |

``D·T`` is computed as ``d·T·L^lam / (s·T^lam + L^lam)``, which is 0 when L = 0 and
tends to 0 as T → 0 (the ODE's limit), so no channel divides by zero.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from escapesim.engine.compiled import (
    NO_LEVELS,
    RATE_LAW,
    CompiledKinetics,
    Native,
    RateLaw,
    jit,
)
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.network import Channel, FloatArray, Network, ParameterSpec, Species

MOUSE = "de Pillis et al. 2005, table 1 (mouse, ligand-transduced RMA-S)"
LYSIS = MOUSE + "; patients 9 and 10 in docs/depillis.md"

PARAMETERS = (
    ParameterSpec(name="a", unit="1/day", default=5.14e-1, upper=100.0,
                  description="tumour growth", source=MOUSE),
    ParameterSpec(name="b", unit="1/cell", default=1.02e-9, upper=1.0,
                  description="inverse carrying capacity", source=MOUSE),
    ParameterSpec(name="c", unit="1/(cell·day)", default=3.23e-7, upper=1.0,
                  description="NK kill of tumour cells", source=MOUSE),
    ParameterSpec(name="d", unit="1/day", default=5.80, upper=1000.0,
                  description="maximal CD8 kill rate of the ratio law", source=LYSIS),
    ParameterSpec(name="lam", unit="1", default=1.36, upper=10.0,
                  description="CD8 lysis exponent on the effector:target ratio", source=LYSIS),
    ParameterSpec(name="s", unit="1", default=2.5e-1, upper=1e6,
                  description="effector:target ratio^lam of half-maximal CD8 lysis",
                  source=LYSIS),
    ParameterSpec(name="sigma", unit="cells/day", default=1.3e4, upper=1e12,
                  description="constant NK source", source=MOUSE),
    ParameterSpec(name="f", unit="1/day", default=4.12e-2, upper=100.0,
                  description="NK death", source=MOUSE),
    ParameterSpec(name="g", unit="1/day", default=2.49e-2, upper=100.0,
                  description="maximal tumour-driven NK recruitment", source=MOUSE),
    ParameterSpec(name="h", unit="cells²", default=2.019e7, upper=1e30,
                  description="half-saturation (T²) of NK recruitment", source=MOUSE),
    ParameterSpec(name="j", unit="1/day", default=3.74e-2, upper=100.0,
                  description="maximal lysis-driven CD8 recruitment", source=MOUSE),
    ParameterSpec(name="k", unit="cells²/day²", default=2.019e7, upper=1e30,
                  description="half-saturation ((D·T)²) of CD8 recruitment", source=MOUSE),
    ParameterSpec(name="m", unit="1/day", default=2.0e-2, upper=100.0,
                  description="CD8 death", source=MOUSE),
    ParameterSpec(name="p", unit="1/(cell·day)", default=1.0e-7, upper=1.0,
                  description="NK inactivation by tumour cells", source=MOUSE),
    ParameterSpec(name="q", unit="1/(cell·day)", default=3.422e-10, upper=1.0,
                  description="CD8 inactivation by tumour cells", source=MOUSE),
    ParameterSpec(name="r", unit="1/(cell·day)", default=1.1e-7, upper=1.0,
                  description="CD8 activation by NK-lysed tumour debris", source=MOUSE),
)  # fmt: skip


# CD8 lysis of human patients' tumour-infiltrating lymphocytes (Dudley et al. 2002 data, as
# fitted by de Pillis et al. 2005 and tabulated in de Pillis et al. 2009, table 1): apply
# with ``--set d=… --set lam=… --set s=…``. Patient 9's cells lyse more at low ratios.
PATIENT_LYSIS: FrozenMap[FrozenMap[float]] = FrozenMap({
    "patient9": FrozenMap({"d": 2.34, "lam": 2.09, "s": 3.8e-3}),
    "patient10": FrozenMap({"d": 1.88, "lam": 1.81, "s": 3.5e-2}),
})  # fmt: skip


_channel = Channel.of

CHANNELS = (
    _channel("tumour_division", {"T": 1}, "tumour division a·T"),
    _channel("competition", {"T": -1}, "competitive tumour death a·b·T²", 2),
    _channel("nk_kill", {"T": -1}, "NK lysis c·N·T", 2),
    _channel("ctl_kill", {"T": -1}, "CD8 lysis D·T, D = d(L/T)^lam/(s+(L/T)^lam)", 2),
    _channel("nk_influx", {"N": 1}, "constant NK source sigma"),
    _channel("nk_death", {"N": -1}, "NK death f·N"),
    _channel("nk_recruitment", {"N": 1}, "NK recruitment g·T²/(h+T²)·N", 2),
    _channel("nk_inactivation", {"N": -1}, "NK inactivation p·N·T", 2),
    _channel("ctl_death", {"L": -1}, "CD8 death m·L"),
    _channel("ctl_recruitment", {"L": 1}, "CD8 recruitment j·(DT)²/(k+(DT)²)·L", 2),
    _channel("ctl_inactivation", {"L": -1}, "CD8 inactivation q·L·T", 2),
    _channel("ctl_activation", {"L": 1}, "CD8 activation r·N·T", 2),
)

# The parameter vector's order.
_NAMES = ("a", "b", "c", "d", "lam", "s", "sigma", "f", "g", "h", "j", "k", "m", "p", "q", "r")
_A, _B, _C, _D, _LAM, _S, _SIGMA, _F, _G, _H, _J, _K, _M, _P, _Q, _R = range(len(_NAMES))


@jit
def ratio_lysis(tumour: float, ctl: float, d: float, lam: float, s: float) -> float:
    """CD8 kills per day of de Pillis et al.'s ratio law, D·T with
    D = d·(L/T)^lam / (s + (L/T)^lam), written without dividing by T (0 when either is 0)."""
    if tumour <= 0.0 or ctl <= 0.0:
        return 0.0
    effect: float = ctl**lam
    lysis: float = d * tumour * effect / (s * tumour**lam + effect)
    return lysis


@jit
def _ctl_lysis(tumour: float, ctl: float, p: FloatArray) -> float:
    """CD8 kills per day, D·T, with this model's parameters."""
    return ratio_lysis(tumour, ctl, p[_D], p[_LAM], p[_S])


def _propensities(counts: FloatArray, levels: FloatArray, p: FloatArray, out: FloatArray) -> None:
    """Propensities in the order of :data:`CHANNELS`."""
    tumour, nk, ctl = counts[0], counts[1], counts[2]
    lysis = _ctl_lysis(tumour, ctl, p)
    out[0] = p[_A] * tumour
    out[1] = p[_A] * p[_B] * tumour * tumour
    out[2] = p[_C] * nk * tumour
    out[3] = lysis
    out[4] = p[_SIGMA]
    out[5] = p[_F] * nk
    out[6] = p[_G] * tumour * tumour / (p[_H] + tumour * tumour) * nk
    out[7] = p[_P] * nk * tumour
    out[8] = p[_M] * ctl
    out[9] = p[_J] * lysis * lysis / (p[_K] + lysis * lysis) * ctl
    out[10] = p[_Q] * ctl * tumour
    out[11] = p[_R] * nk * tumour


PROPENSITIES: Native[RateLaw] = Native(_propensities, RATE_LAW)


def bind(values: Mapping[str, float], switches: Mapping[str, bool]) -> CompiledKinetics:
    """The rate laws with the parameter values bound."""
    del switches  # the reference model has no switchable mechanisms
    parameters = np.array([values[name] for name in _NAMES], dtype=np.float64)
    return CompiledKinetics(PROPENSITIES, NO_LEVELS, parameters, len(CHANNELS), 0)


NETWORK = Network(
    name="depillis",
    title="de Pillis et al. 2005: tumour, NK and CD8+ T cells with ratio-dependent lysis",
    citation="de Pillis LG, Radunskaya AE, Wiseman CL. Cancer Res 65:7950-7958 (2005)",
    splitting=__doc__ or "",
    species=(
        Species(name="T", unit="cells", initial=1e6, description="tumour cells"),
        # NK cells start at their tumour-free equilibrium sigma/f (in whole cells: a count);
        # CD8 cells start naive-absent.
        Species(name="N", unit="cells", initial=float(round(1.3e4 / 4.12e-2)),
                description="NK cells"),
        Species(name="L", unit="cells", initial=0.0, description="tumour-specific CD8+ T cells"),
    ),
    levels=(),
    parameters=PARAMETERS,
    channels=CHANNELS,
    tumour=("T",),
    bind=bind,
)
