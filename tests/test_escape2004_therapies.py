"""Every therapy against an untreated control, with common random numbers.

The control arm gets the same therapy on the same days with dose 0: the calendar is the
same, so both arms draw the same random numbers until the dose makes them differ. Where a
therapy has nothing to act on (anti-PD-1 without PD-L1) the arms must then be identical.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pytest

from escapesim.engine import OutcomeKind, Result
from escapesim.engine.presets.escape2004.mechanisms.presentation import MIGRATION_DELAY
from tests.escape2004_support import (
    NO_ESCAPE,
    example,
    runs,
    scenario,
    therapy,
    total,
    tumour,
)

REPLICATES = 3
#: Pairs for the immunogenic-cell-death test: a pilot of 8 pairs (seed 2004) gave paired
#: differences of 5.4 ± 5.1 loads and 39 ± 35 primes (mean ± sd) in 5 days, so 24 pairs put
#: the expected mean ~5 standard errors above 0 and a 3-SE threshold fails by chance < 3 %.
ICD_REPLICATES = 24


def treated_and_control(
    kind: str,
    days: Sequence[float],
    dose: float,
    *,
    initial: Mapping[str, float],
    mechanisms: Mapping[str, bool] = NO_ESCAPE,
    horizon: float = 10.0,
    replicates: int = REPLICATES,
    options: Mapping[str, float] | None = None,
) -> list[tuple[Result, Result]]:
    """Replicate pairs (treated, placebo) of one therapy."""
    arms = [
        scenario(initial={"T": 0.0, **initial}, mechanisms=mechanisms, horizon_days=horizon,
                 interval_days=0.5, therapies=[therapy(kind, days, d, **(options or {}))])
        for d in (dose, 0.0)
    ]  # fmt: skip
    return list(zip(runs(arms[0], replicates), runs(arms[1], replicates), strict=True))


def test_anti_pd1_does_nothing_to_a_pdl1_negative_tumour() -> None:
    pairs = treated_and_control("anti_pd1", [1.0], 10.0, initial={"T": 1e5, "CTL": 1e4},
                                mechanisms={**NO_ESCAPE, "dysfunction": True}, horizon=15.0)
    for treated, control in pairs:
        assert treated.trajectory["anti_PD1"].max() > 0.0
        assert treated.counters == control.counters
        for name, values in control.trajectory.items():
            if name != "anti_PD1":
                assert np.array_equal(treated.trajectory[name], values), name


def test_anti_pd1_spares_effectors_from_a_pdl1_high_tumour() -> None:
    pairs = treated_and_control("anti_pd1", [1.0], 10.0, initial={"T_p": 1e5, "CTL": 1e4},
                                mechanisms={**NO_ESCAPE, "dysfunction": True}, horizon=10.0)
    for treated, control in pairs:
        assert treated.counters["exhaust"] < 0.5 * control.counters["exhaust"]
        assert treated.counters["reinvigorate"] > 0
        early = treated.times <= 7.0  # before any newly primed burst can arrive
        assert treated.trajectory["CTL"][early].mean() > control.trajectory["CTL"][early].mean()


def test_anti_cd25_depletes_tregs() -> None:
    pairs = treated_and_control("anti_cd25", [1.0], 10.0, initial={"T": 1e4, "Treg": 2e3},
                                mechanisms={**NO_ESCAPE, "regulation": True})
    for treated, control in pairs:
        assert treated.counters["treg_depletion"] > 0
        assert treated.trajectory["Treg"][-1] < 0.5 * control.trajectory["Treg"][-1]


def test_chemotherapy_kills_a_fraction_of_the_tumour_and_some_effectors() -> None:
    pairs = treated_and_control("chemotherapy", [1.0], 100.0,
                                initial={"T": 1e6, "CTL": 1e4}, horizon=3.0)  # fmt: skip
    for treated, control in pairs:
        surviving = tumour(treated)[-1] / tumour(control)[-1]
        assert 0.05 < surviving < 0.5  # a fractional (log) kill, not an eradication
        assert total(treated, "chemo_kill.") > 0
        assert treated.trajectory["CTL"][-1] < control.trajectory["CTL"][-1]


def test_il2_expands_effectors() -> None:
    pairs = treated_and_control("il2", [1.0, 2.0, 3.0, 4.0, 5.0], 1e8,
                                initial={"T": 1e5, "CTL": 1e4}, horizon=7.0)  # fmt: skip
    for treated, control in pairs:
        assert treated.counters["il2_proliferation"] > 2 * control.counters["il2_proliferation"]
        assert treated.trajectory["CTL"][-1] > control.trajectory["CTL"][-1]


def test_adoptive_transfer_brings_effectors_that_shrink_the_tumour() -> None:
    pairs = treated_and_control("adoptive_transfer", [1.0], 1e6, initial={"T": 1e5},
                                options={"homing": 0.1, "trafficking_days": 1.0})
    for treated, control in pairs:
        # Binomial(1e6, 0.1): mean 1e5, standard deviation 300; 5 sd either side.
        assert abs(treated.counters["adoptive_transfer"] - 100_000) < 1_500
        assert treated.trajectory["CTL"][treated.times == 2.0][0] >= 1e5 * 0.9
        assert tumour(treated)[-1] < 0.5 * tumour(control)[-1]


@pytest.mark.parametrize(("kind", "homing"), [("adoptive_transfer", 0.5), ("dc_vaccine", 0.2)])
def test_each_cell_of_a_dose_homes_by_chance(kind: str, homing: float) -> None:
    """A dose of 5 cells, each arriving with probability ``homing``: the arrivals of 60
    replicates are Binomial(5, homing) (rounding would deliver the same number every
    time: 2 or 1), drawn from the therapy's own stream, so replicate k repeats exactly."""
    s = scenario(initial={"T": 0.0, "T_a": 10.0}, mechanisms=NO_ESCAPE, horizon_days=2.0,
                 therapies=[therapy(kind, [0.5], 5.0, homing=homing)])  # fmt: skip
    arrived = np.array([r.counters[kind] for r in runs(s, 60)])
    assert len(set(arrived.tolist())) >= 3, arrived
    mean, sd = 5 * homing, np.sqrt(5 * homing * (1 - homing) / arrived.size)
    assert abs(arrived.mean() - mean) < 4 * sd, (arrived.mean(), mean)
    assert [r.counters[kind] for r in runs(s, 3)] == arrived[:3].tolist()


def test_vaccine_dcs_arrive_in_the_lymph_node() -> None:
    """The DCs that home (all of them here) arrive presenting in the node one tissue-to-node
    travel after the dose; none passes through the tissue pool (no second share dies, no
    second migration)."""
    s = scenario(initial={"T": 0.0, "T_a": 1e3}, mechanisms=NO_ESCAPE, horizon_days=4.0,
                 interval_days=0.25, therapies=[therapy("dc_vaccine", [1.0], 1e3, homing=1.0)])
    for result in runs(s, 2):
        assert result.counters["dc_vaccine"] == 1_000
        assert result.trajectory["DC_loaded"].max() == 0.0
        assert result.counters["migrate"] == 0
        arrived = result.times >= 1.0 + MIGRATION_DELAY.mean
        assert np.all(result.trajectory["DC_node"][~arrived] == 0.0)
        assert result.trajectory["DC_node"][arrived][0] >= 900  # d_N = 0.35/day


@pytest.mark.parametrize(("kind", "dose"), [("dc_vaccine", 1e5), ("peptide_vaccine", 100.0)])
def test_vaccines_raise_priming(kind: str, dose: float) -> None:
    pairs = treated_and_control(kind, [1.0], dose, initial={"T": 1e4}, horizon=12.0)
    for treated, control in pairs:
        assert treated.counters["prime"] > 1.5 * control.counters["prime"]
        assert treated.trajectory["CTL"][-1] > control.trajectory["CTL"][-1]


def test_anti_tgfb_restores_killing_of_a_secretor_tumour() -> None:
    pairs = treated_and_control("anti_tgfb", [0.5], 10.0, initial={"T_s": 1e5, "CTL": 1e4},
                                mechanisms={**NO_ESCAPE, "suppression": True}, horizon=7.0)
    for treated, control in pairs:
        assert total(treated, "ctl_kill.") > 1.2 * total(control, "ctl_kill.")


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_anti_pd1_turns_escape_into_control_of_a_pdl1_high_tumour() -> None:
    """Statistical: 8 replicate pairs of the documented anti-PD-1 example (150 days).

    Without treatment the PD-L1-high tumour exhausts its effectors and escapes; with PD-1
    blocked it is held or eliminated. Tolerance: at least 5 fewer escapes in the treated
    arm, and at least as many eliminations (common random numbers pair the arms).
    """
    treated = example("anti_pd1").with_changes(horizon_days=150.0)
    placebo_therapies = [{**t, "dose": 0.0} for t in treated.to_dict()["therapies"]]
    placebo = treated.with_changes(therapies=placebo_therapies)
    counts = []
    for arm in (treated, placebo):
        outcomes = [r.outcome.kind for r in runs(arm, 8)]
        counts.append((outcomes.count(OutcomeKind.ESCAPE), outcomes.count(OutcomeKind.ELIMINATION)))
    (escaped, eliminated), (escaped_control, eliminated_control) = counts
    assert escaped <= escaped_control - 5, counts
    assert eliminated >= eliminated_control, counts


def test_chemotherapy_raises_dc_loading_and_priming() -> None:
    # Immunogenic cell death: in the days after a dose, the chemotherapy kills of a 1e5-cell
    # tumour (escape mechanisms off) load more DCs than the untreated tumour's turnover and
    # NK kills, and those DCs (1.5 days later in the node) prime more naive cells. (Later
    # the smaller treated tumour releases less: the window is the dose's aftermath.)
    pairs = treated_and_control("chemotherapy", [1.0], 100.0, initial={"T": 1e5},
                                horizon=5.0, replicates=ICD_REPLICATES)  # fmt: skip
    loads = np.array([[t.counters["load"], c.counters["load"]] for t, c in pairs])
    primes = np.array([[t.counters["prime"], c.counters["prime"]] for t, c in pairs])
    for counts in (loads, primes):
        difference = counts[:, 0] - counts[:, 1]
        # Paired (CRN) differences: their mean must exceed 3 standard errors of the mean
        # (one-sided, a false pass under no effect has probability ~0.2 %).
        error = difference.std(ddof=1) / np.sqrt(len(difference))
        assert difference.mean() > 3.0 * error, counts
