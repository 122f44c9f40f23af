"""Gompertz growth: the switch that replaces the logistic crowding term of :mod:`.growth`.

With ``gompertz_growth`` on (default off: logistic), a tumour cell's net growth rate is
``(r − d) − β·ln T`` instead of ``(r − d) − r·b·T`` (T in cells, T ≥ 1): Benzekry et
al. 2014's Gompertz law ``dV/dt = (α − β·ln(V/V_0))·V`` with ``V_0`` one cell, so both
laws grow at the same rate ``α = r − d`` from one cell and the capacity is
``K = exp(α/β)``. Divisions stay ``r·w_c·(1 − μ_c)·T_c``; only the crowding death changes
(``die.<c>`` at ``(d + β·ln T)·T_c``). No channel or level of its own.
"""

from __future__ import annotations

from escapesim.engine.network import MechanismSpec
from escapesim.engine.presets.escape2004.part import Part, parameter

MECHANISM = MechanismSpec(
    name="gompertz_growth",
    description="Gompertz tumour growth (net rate (r − d) − β·ln T) instead of logistic",
    enabled=False,
)

PARAMETERS = (
    parameter("gompertz_rate", "1/day", 0.00738,
              "Gompertz deceleration β: net growth falls by β per e-fold of tumour cells",
              "chosen so that the Gompertz capacity exp((r − d)/β) equals the logistic "
              "one (3.9e10 cells) and both laws start at r − d: Benzekry et al. 2014 (PLoS "
              "Comput Biol 10:e1003800) form with V_0 = 1 cell; their fitted LLC values "
              "(docs/fits.md: β = 0.0645/day, K = 1.95e10) would need a per-cell rate "
              "of 1.5/day at one cell, above the division rate"
              "; would pin it: a human or mouse tumour's volume series from ~1 cell to plateau in "
              "one host (the early per-cell rate together with the deceleration)", upper=10.0),
)  # fmt: skip

PART = Part(
    name="gompertz",
    description=str(__doc__),
    parameters=PARAMETERS,
    mechanism=MECHANISM,
)
