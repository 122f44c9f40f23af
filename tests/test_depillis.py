"""de Pillis et al. 2005's qualitative results, stochastically with fixed seeds.

The thresholds quoted come from the paper's ODE at these parameter values
(tests/reference_odes.py, bisection on the initial tumour with N at sigma/f and L = 0):
mouse set ≈ 2.7e6 cells, patient 9's CD8 lysis ≈ 5.5e6, patient 10's ≈ 1.24e6. Tumours a
factor ≥ 2.2 away from a threshold are decided far beyond demographic noise (≤ 0.1 % at
1e6 cells), so every replicate must agree with the ODE.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from escapesim import engine
from escapesim.engine.presets.depillis import PATIENT_LYSIS
from tests.reference_odes import depillis

#: Carrying capacity 1/b ≈ 9.8e8 lies below the default threshold (1e9): escape is
#: reaching half of it.
ESCAPE = 4.9e8


def _outcomes(tumour: float, parameters: Mapping[str, float]) -> list[engine.OutcomeKind]:
    scenario = engine.Scenario.build(
        preset="depillis", parameters=parameters, initial={"T": tumour}, horizon_days=80,
        seed=65, replicates=3, escape_threshold=ESCAPE,
    )  # fmt: skip
    return [engine.simulate(scenario, k).outcome.kind for k in range(scenario.replicates)]


@pytest.mark.parametrize(
    ("tumour", "expected"),
    [(1e6, engine.OutcomeKind.ELIMINATION), (1e7, engine.OutcomeKind.ESCAPE)],
)
def test_mouse_immune_response_controls_small_tumours_only(
    tumour: float, expected: engine.OutcomeKind
) -> None:
    assert _outcomes(tumour, {}) == [expected] * 3


def test_patient9_controls_a_tumour_that_escapes_patient10() -> None:
    # Same seed for both patients (common random numbers): only the lysis law differs.
    tumour = 3e6
    assert _outcomes(tumour, PATIENT_LYSIS["patient9"]) == [engine.OutcomeKind.ELIMINATION] * 3
    assert _outcomes(tumour, PATIENT_LYSIS["patient10"]) == [engine.OutcomeKind.ESCAPE] * 3


def test_the_quoted_thresholds_hold_in_the_ode() -> None:
    # The thresholds in this module's docstring, so a parameter edit cannot silently move
    # a test case across one: below each threshold the ODE tumour decays, above it grows.
    base = engine.Scenario.build(preset="depillis").parameters
    nk = base["sigma"] / base["f"]
    days = np.array([0.0, 100.0])
    for lysis, threshold in [({}, 2.7e6), (PATIENT_LYSIS["patient9"], 5.5e6),
                             (PATIENT_LYSIS["patient10"], 1.24e6)]:  # fmt: skip
        p = {**base, **lysis}
        assert depillis(p, [threshold / 1.05, nk, 0.0], days)[0, -1] < 1.0
        assert depillis(p, [threshold * 1.05, nk, 0.0], days)[0, -1] > ESCAPE
