"""de Pillis et al. 2009's chemo-immunotherapy model: qualitative results, stochastically.

Thresholds quoted are the model's ODE at the preset's values (tests/reference_odes.py;
bisection on T(0) with the preset's other initial values, 150 days). Untreated, patient
9's CD8 lysis controls tumours up to ≈ 4.5e6 cells and patient 10's up to ≈ 1.6e6;
with five daily chemotherapy boluses of 1 drug unit from day 0, ≈ 1.5e8 and ≈ 4.6e7.
Cases sit a factor ≥ 1.5 from every threshold, where demographic noise (≤ 0.1 % at
≥ 1e6 cells) cannot decide them, so every replicate must agree with the ODE.
"""

from __future__ import annotations

import numpy as np
import pytest

from escapesim import engine
from tests.reference_odes import depillis2009

#: Carrying capacity 1/b ≈ 9.8e8 lies below the default threshold (1e9): escape is
#: reaching half of it.
ESCAPE = 4.9e8
#: Five daily boluses of 1 drug unit (the paper's v_M given as boluses; docs/depillis.md).
CHEMO = engine.Therapy(kind="chemotherapy", at_days=(0.0, 1.0, 2.0, 3.0, 4.0), dose=1.0)


def _outcomes(
    profile: str, tumour: float, therapies: tuple[engine.Therapy, ...] = ()
) -> list[engine.OutcomeKind]:
    scenario = engine.Scenario.build(
        preset="depillis2009", profile=profile, initial={"T": tumour}, therapies=therapies,
        horizon_days=80, seed=2009, replicates=2, escape_threshold=ESCAPE,
    )  # fmt: skip
    return [engine.simulate(scenario, k).outcome.kind for k in range(scenario.replicates)]


ELIMINATED = [engine.OutcomeKind.ELIMINATION] * 2
ESCAPED = [engine.OutcomeKind.ESCAPE] * 2


def test_patient9_controls_an_untreated_tumour_that_escapes_patient10() -> None:
    # Same seed for both (common random numbers): only the CD8 lysis law differs.
    assert _outcomes("patient9", 3e6) == ELIMINATED
    assert _outcomes("patient10", 3e6) == ESCAPED


@pytest.mark.parametrize("profile", ["patient9", "patient10"])
def test_chemotherapy_clears_a_tumour_that_escapes_untreated(profile: str) -> None:
    assert _outcomes(profile, 1e7) == ESCAPED
    assert _outcomes(profile, 1e7, (CHEMO,)) == ELIMINATED


def test_the_same_chemotherapy_clears_patient9_but_not_patient10() -> None:
    # 1e8 cells: chemotherapy shrinks the tumour into patient 9's control region only.
    assert _outcomes("patient9", 1e8, (CHEMO,)) == ELIMINATED
    assert _outcomes("patient10", 1e8, (CHEMO,)) == ESCAPED


def test_the_quoted_thresholds_hold_in_the_ode() -> None:
    # The module docstring's thresholds, so a parameter edit cannot silently move a case
    # across one: 5 % below each the ODE tumour is gone by day 150, 5 % above it escapes.
    days = np.array([0.0, 150.0])
    doses = {"M": [(float(day), 1.0) for day in CHEMO.at_days]}
    for profile, treated, threshold in [("patient9", False, 4.47e6),
                                        ("patient10", False, 1.62e6),
                                        ("patient9", True, 1.47e8),
                                        ("patient10", True, 4.63e7)]:  # fmt: skip
        scenario = engine.Scenario.build(preset="depillis2009", profile=profile)
        y0 = [scenario.initial[name] for name in ("T", "N", "L", "C", "M", "I")]
        given = doses if treated else None
        below = depillis2009(scenario.parameters, [threshold / 1.05, *y0[1:]], days, given)
        above = depillis2009(scenario.parameters, [threshold * 1.05, *y0[1:]], days, given)
        assert below[0, -1] < 1.0
        assert above[0, -1] > ESCAPE


def test_il2_and_til_doses_enter_as_the_odes_jumps() -> None:
    # A TIL infusion (1e7 cells into L, day 0.5) and an IL-2 bolus (1e5 IU/L into I, day
    # 1.5) on patient 9's 3e6-cell tumour: one replicate follows the ODE with those jumps.
    # The infused cells are regulated away within a day (u·L²·C·I/(κ+I) is ~18/day per
    # cell at L = 1e7), so counts are compared down to 1e4 cells, within 4·√count (a
    # count's demographic spread bound) plus 2 % (the leap bias allowance of
    # tests/test_mean_field.py); I within 2 % plus 1 IU/L.
    therapies = (engine.Therapy(kind="til", at_days=(0.5,), dose=1e7),
                 engine.Therapy(kind="il2", at_days=(1.5,), dose=1e5))  # fmt: skip
    scenario = engine.Scenario.build(
        preset="depillis2009", profile="patient9", initial={"T": 3e6}, therapies=therapies,
        horizon_days=3, interval_days=0.25, seed=2009,
    )  # fmt: skip
    names = ("T", "N", "L", "C", "M", "I")
    days = np.array(scenario.sample_times())
    ode = depillis2009(scenario.parameters, [scenario.initial[n] for n in names], days,
                       {"L": [(0.5, 1e7)], "I": [(1.5, 1e5)]})  # fmt: skip
    result = engine.simulate(scenario, 0)
    run = np.array([result.trajectory[n] for n in names])
    after = (days > 0.5) & (days != 1.5)  # a sample on a dose day may be either side of it
    untreated = depillis2009(scenario.parameters, [scenario.initial[n] for n in names], days)
    # The doses are visible at the next sample (later the regulation the IL-2 bolus
    # drives pushes L below the untreated arm's).
    assert ode[2, days == 0.75][0] > 1.1 * untreated[2, days == 0.75][0]
    assert ode[5, days == 1.75][0] > 1.1 * untreated[5, days == 1.75][0]
    for row in (0, 1, 2, 3):
        large = after & (ode[row] >= 1e4)
        allowed = 4 * np.sqrt(ode[row, large]) + 0.02 * ode[row, large]
        assert np.all(np.abs(run[row, large] - ode[row, large]) <= allowed)
    assert np.all(np.abs(run[5, after] - ode[5, after]) <= 0.02 * ode[5, after] + 1.0)
