"""de Pillis et al. 2009's chemo-immunotherapy model: qualitative results, stochastically.

Thresholds quoted are the model's ODE at the preset's values (tests/reference_odes.py;
bisection on T(0) with the preset's other initial values, 150 days; docs/depillis.md's
table). Untreated, patient 9's CD8 lysis controls tumours up to ≈ 4.38e6 cells and
patient 10's up to ≈ 1.59e6; five daily chemotherapy boluses of 1 drug unit from day 0
raise these to ≈ 1.47e8 and ≈ 4.61e7. Cases sit a factor ≥ 1.45 from every threshold,
where demographic noise (≤ 0.1 % at ≥ 1e6 cells) cannot decide them, so every replicate
must agree with the ODE.

Clinical-scale immunotherapy, per litre of body volume (59.71 L, the 2009 paper's dose
convention as de Pillis et al. 2013 §4.7 restate it): TIL 1e11 cells (the order of Dudley
et al. 2002's infusions) is 1.67e9 cells/L, infused over one day; IL-2 720,000 IU/kg
every 8 h for 15 doses (the high-dose regimen) at 77 kg is 9.3e5 IU/L a dose.
"""

from __future__ import annotations

import numpy as np
import pytest

from escapesim import engine
from escapesim.engine.frozen import FrozenMap
from tests.reference_odes import depillis2009

#: Carrying capacity 1/b ≈ 9.8e8 lies below the default threshold (1e9): escape is
#: reaching half of it.
ESCAPE = 4.9e8
#: Five daily boluses of 1 drug unit (the paper's v_M given as boluses; docs/depillis.md).
CHEMO = engine.Therapy(kind="chemotherapy", at_days=(0.0, 1.0, 2.0, 3.0, 4.0), dose=1.0)
TIL_DOSE = 1e11 / 59.71
IL2_DOSE = 720_000 * 77 / 59.71


def _til(day: float, days: float = 1.0) -> engine.Therapy:
    return engine.Therapy(kind="til", at_days=(day,), dose=TIL_DOSE,
                          parameters=FrozenMap({"days": days}))  # fmt: skip


#: IL-2 every 8 h for 15 doses from day 5, after the chemotherapy course.
IL2 = engine.Therapy(kind="il2", at_days=tuple(5 + k / 3 for k in range(15)), dose=IL2_DOSE)
#: The regimens of the cases below, by name (docs/depillis.md's table rows).
REGIMENS: dict[str, tuple[engine.Therapy, ...]] = {
    "untreated": (),
    "chemo": (CHEMO,),
    "til": (_til(0.0),),
    "til bolus": (_til(0.0, days=0.0),),
    "chemo + til": (CHEMO, _til(5.0)),
    "chemo + il2": (CHEMO, IL2),
}


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


@pytest.mark.parametrize(("profile", "tumour"), [("patient9", 3e8), ("patient10", 8e7)])
def test_chemotherapy_and_til_clear_a_tumour_that_either_alone_loses(
    profile: str, tumour: float
) -> None:
    # The paper's chemo-immunotherapy result: chemotherapy shrinks the tumour, the TIL
    # infused on day 5 then meet a small tumour at a high E:T ratio.
    assert _outcomes(profile, tumour, REGIMENS["chemo"]) == ESCAPED
    assert _outcomes(profile, tumour, REGIMENS["til"]) == ESCAPED
    assert _outcomes(profile, tumour, REGIMENS["chemo + til"]) == ELIMINATED


def test_il2_after_a_curative_chemotherapy_course_makes_it_fail() -> None:
    # With g_I = κ, IL-2 changes a CD8 cell's net rate by (p_I − u·L·C)·I/(g_I + I):
    # negative above L = p_I/(u·C) ≈ 3.0e4 cells/L, below any tumour-bearing level.
    assert _outcomes("patient9", 8e7, REGIMENS["chemo"]) == ELIMINATED
    assert _outcomes("patient9", 8e7, REGIMENS["chemo + il2"]) == ESCAPED


def test_til_infused_over_a_day_clear_what_the_same_cells_at_once_do_not() -> None:
    # The loss u·L²·C·I/(κ + I) is quadratic in L: 1.67e9 cells/L at once are lost at
    # ~5e4/day per cell, the same cells over a day hold L near 4e6 cells/L.
    assert _outcomes("patient9", 1e7, REGIMENS["til"]) == ELIMINATED
    assert _outcomes("patient9", 1e7, REGIMENS["til bolus"]) == ESCAPED


def _ode_inputs(
    therapies: tuple[engine.Therapy, ...],
) -> tuple[dict[str, list[tuple[float, float]]], list[tuple[float, float, float]]]:
    """The ODE's jumps and infusion windows for these therapies."""
    doses: dict[str, list[tuple[float, float]]] = {}
    infusions: list[tuple[float, float, float]] = []
    for therapy in therapies:
        days = therapy.parameters.get("days", 0.0)
        for day in therapy.at_days:
            if therapy.kind == "til" and days > 0:
                infusions.append((day, day + days, therapy.dose / days))
            else:
                variable = {"chemotherapy": "M", "il2": "I", "til": "L"}[therapy.kind]
                doses.setdefault(variable, []).append((day, therapy.dose))
    return doses, infusions


@pytest.mark.parametrize(
    ("profile", "regimen", "threshold"),
    [("patient9", "untreated", 4.38e6), ("patient10", "untreated", 1.59e6),
     ("patient9", "chemo", 1.47e8), ("patient10", "chemo", 4.61e7),
     ("patient9", "til", 1.75e7), ("patient10", "til", 3.82e6),
     ("patient9", "til bolus", 3.39e6), ("patient10", "chemo + til", 1.57e8),
     ("patient9", "chemo + il2", 5.21e7)],
)  # fmt: skip
def test_the_quoted_thresholds_hold_in_the_ode(
    profile: str, regimen: str, threshold: float
) -> None:
    # The quoted thresholds, so a parameter edit cannot silently move a case across one:
    # 5 % below each the ODE tumour is gone by day 150, 5 % above it escapes.
    days = np.array([0.0, 150.0])
    doses, infusions = _ode_inputs(REGIMENS[regimen])
    scenario = engine.Scenario.build(preset="depillis2009", profile=profile)
    y0 = [scenario.initial[name] for name in ("T", "N", "L", "C", "M", "I")]
    below = depillis2009(scenario.parameters, [threshold / 1.05, *y0[1:]], days, doses,
                         infusions)  # fmt: skip
    above = depillis2009(scenario.parameters, [threshold * 1.05, *y0[1:]], days, doses,
                         infusions)  # fmt: skip
    assert below[0, -1] < 1.0
    assert above[0, -1] > ESCAPE


def test_chemotherapy_and_til_control_every_tumour_below_capacity_in_patient9() -> None:
    # Chemotherapy then TIL clear even a tumour at the carrying capacity 1/b.
    scenario = engine.Scenario.build(preset="depillis2009", profile="patient9")
    y0 = [scenario.initial[name] for name in ("T", "N", "L", "C", "M", "I")]
    doses, infusions = _ode_inputs(REGIMENS["chemo + til"])
    at_capacity = [1 / scenario.parameters["b"], *y0[1:]]
    final = depillis2009(scenario.parameters, at_capacity, np.array([0.0, 150.0]), doses,
                         infusions)  # fmt: skip
    assert final[0, -1] < 1.0


def _rates_of_change(p: dict[str, float], tumour: float, ctl: float, il2: float) -> tuple[
    list[float], list[float]
]:  # fmt: skip
    """The terms of dL/dt and dI/dt at a drug-free state, N and C at their equilibria."""
    lymph = p["alpha"] / p["beta"]
    nk = p["e"] * p["f"] * lymph / (p["f"] + p["p"] * tumour
                                    - p["p_N"] * il2 / (p["g_N"] + il2))  # fmt: skip
    ctl_terms = [
        -p["theta"] * p["m"] * ctl / (p["theta"] + il2), p["j"] * tumour * ctl / (p["k"] + tumour),
        -p["q"] * ctl * tumour, (p["r1"] * nk + p["r2"] * lymph) * tumour,
        -p["u"] * ctl**2 * lymph * il2 / (p["kappa"] + il2),
        p["p_I"] * ctl * il2 / (p["g_I"] + il2),
    ]  # fmt: skip
    il2_terms = [-p["mu_I"] * il2, p["phi"] * lymph, p["omega"] * ctl * il2 / (p["zeta"] + il2)]
    return ctl_terms, il2_terms


def test_the_table_holds_the_papers_high_tumour_homeostasis_in_cells_per_litre() -> None:
    # The 2009 table fits u, p_I, phi and omega so that the paper's homeostasis states
    # are equilibria (de Pillis et al. 2013 §4.3, §4.6 describe the method). At the
    # high-tumour state (T = 1/b cells; L = 5.268e5 cells/L; I = 1173 IU/L) both sums
    # vanish to < 1 % of their largest term; were L, N, C whole-body counts (×5 L of
    # blood) the CD8 sum would be off by a factor ~5. The tumour-free state (L = 2.4e4,
    # I = 48.9) holds I's to 1 %; its L balance is the ill-conditioned one (2013 §4.3).
    p = dict(engine.Scenario.build(preset="depillis2009").parameters)
    ctl_terms, il2_terms = _rates_of_change(p, 1 / p["b"], 5.268e5, 1173.0)
    assert abs(sum(ctl_terms)) < 0.01 * max(map(abs, ctl_terms))
    assert abs(sum(il2_terms)) < 0.01 * max(map(abs, il2_terms))
    _, il2_free = _rates_of_change(p, 0.0, 2.4e4, 48.9)
    assert abs(sum(il2_free)) < 0.01 * max(map(abs, il2_free))
    # BIOMD0000000779's initial I, 1073 IU/L, is 3 % off the balance: not the homeostasis.
    _, il2_encoded = _rates_of_change(p, 1 / p["b"], 5.268e5, 1073.0)
    assert abs(sum(il2_encoded)) > 0.02 * max(map(abs, il2_encoded))


def test_il2_and_til_doses_enter_as_the_odes_jumps_and_rates() -> None:
    # A TIL infusion (1.67e9 cells/L over days 0.5–1.5) and an IL-2 bolus (1e5 IU/L into
    # I, day 2) on patient 9's 3e6-cell tumour: one replicate follows the ODE with that
    # rate and jump. Counts are compared down to 1e4 cells, within 4·√count (a count's
    # demographic spread bound) plus 2 % (the leap bias allowance of
    # tests/test_mean_field.py); I within 2 % plus 1 IU/L.
    therapies = (_til(0.5), engine.Therapy(kind="il2", at_days=(2.0,), dose=1e5))
    scenario = engine.Scenario.build(
        preset="depillis2009", profile="patient9", initial={"T": 3e6}, therapies=therapies,
        horizon_days=3, interval_days=0.25, seed=2009,
    )  # fmt: skip
    names = ("T", "N", "L", "C", "M", "I")
    days = np.array(scenario.sample_times())
    y0 = [scenario.initial[n] for n in names]
    ode = depillis2009(scenario.parameters, y0, days, *_ode_inputs(therapies))
    result = engine.simulate(scenario, 0)
    run = np.array([result.trajectory[n] for n in names])
    after = (days > 0.5) & (days != 2.0)  # a sample on a dose day may be either side of it
    untreated = depillis2009(scenario.parameters, y0, days)
    # The doses are visible at the next sample: L ×4 during the infusion, I after its bolus.
    assert ode[2, days == 1.0][0] > 4 * untreated[2, days == 1.0][0]
    assert ode[5, days == 2.25][0] > 1.1 * untreated[5, days == 2.25][0]
    assert np.all(np.array(result.trajectory["v_L"])[(days > 0.5) & (days < 1.5)] > 0)
    for row in (0, 1, 2, 3):
        large = after & (ode[row] >= 1e4)
        allowed = 4 * np.sqrt(ode[row, large]) + 0.02 * ode[row, large]
        assert np.all(np.abs(run[row, large] - ode[row, large]) <= allowed)
    assert np.all(np.abs(run[5, after] - ode[5, after]) <= 0.02 * ode[5, after] + 1.0)
