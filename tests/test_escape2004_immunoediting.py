"""Immunoediting: CTL pressure selects antigen-loss variants; without CTLs they stay at
mutation-selection balance.

Balance: a variant arises at μ·r per parent division and grows (1 − κ) times slower, so
its share settles at f* ≈ μ/κ (1e-3 with the defaults) whatever the tumour size.
"""

from __future__ import annotations

import numpy as np
import pytest

from escapesim.engine import OutcomeKind
from escapesim.engine.presets.escape2004.clones import CLONES, Trait
from escapesim.engine.presets.escape2004.outcome import composition_at_outcome
from tests.escape2004_support import NO_ESCAPE, carrying, runs, scenario, tumour

REPLICATES = 3
BALANCE = 1e-4 / 0.1  # antigen_loss_rate / loss_fitness_cost (defaults)


def antigen_loss_share(result: object) -> np.ndarray:
    """Share of the tumour that lost its antigen, over time."""
    return carrying(result, Trait.ANTIGEN_LOSS) / tumour(result)  # type: ignore[arg-type]


def test_ctl_pressure_raises_the_antigen_loss_fraction_over_time() -> None:
    # Effectors held at the tumour (no death, no new priming): steady CTL pressure.
    s = scenario(
        initial={"T": 2e5, "CTL": 5e4, "naive": 0.0, "naive_sub": 0.0},
        mechanisms={**NO_ESCAPE, "variants": True},
        parameters={"ctl_death": 0.0, "ctl_inactivation_rate": 0.0},
        horizon_days=30.0,
    )
    for result in runs(s, REPLICATES):
        share = antigen_loss_share(result)
        assert share[10] > BALANCE  # above balance within days (from none at all)
        assert share[30] > 3 * share[10]  # selection keeps raising it


def test_without_ctls_antigen_loss_stays_at_mutation_selection_balance() -> None:
    s = scenario(
        initial={"T": 1e6, "T_a": 1e3, "CTL": 0.0, "naive": 0.0, "naive_sub": 0.0},
        mechanisms={**NO_ESCAPE, "variants": True, "cytotoxicity": False},
        horizon_days=60.0,
    )
    for result in runs(s, REPLICATES):
        share = antigen_loss_share(result)
        assert np.all((share[1:] > 0.5 * BALANCE) & (share[1:] < 1.5 * BALANCE))
        assert abs(share[-1] - BALANCE) < 0.2 * BALANCE


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_escape_under_immune_pressure_is_won_by_loss_variants() -> None:
    """Statistical: a 1e5-cell immunogenic tumour against an efficient response.

    Without variants the response holds it in every replicate; with variants (rates
    1e-3) it escapes in at least 2 of 4 replicates, and at escape the loss variants
    (antigen or MHC-I) make up at least 80 % of the tumour: they are what won.

    One antigen (``epitopes`` off), where an antigen-loss variant hides from every CTL:
    with several antigens (the default) a variant that lost the immunodominant one is
    killed by the subdominant epitopes' CTLs, and this tumour is eliminated in 4 of 4 (day
    30-41, seed 2004; tests/test_escape2004_epitopes.py measures that difference).
    """
    strong = {"dc_supply": 20.0, "priming_rate": 0.1, "ctl_death": 0.1,
              "antigen_loss_rate": 1e-3, "mhc_loss_rate": 1e-3}  # fmt: skip
    edited, held = (
        scenario(initial={"T": 1e5}, mechanisms={**NO_ESCAPE, "variants": on, "epitopes": False},
                 parameters=strong, horizon_days=300.0)
        for on in (True, False)
    )  # fmt: skip
    assert all(r.outcome.kind is not OutcomeKind.ESCAPE for r in runs(held, 4))
    escapes = [r for r in runs(edited, 4) if r.outcome.kind is OutcomeKind.ESCAPE]
    assert len(escapes) >= 2
    for result in escapes:
        traits = composition_at_outcome(result)
        assert traits is not None
        assert max(traits["antigen_loss"], traits["mhc_loss"]) >= 0.5
        at = int(np.searchsorted(result.times, result.outcome.time))
        visible = sum(result.trajectory[c.name][at] for c in CLONES if c.visible)
        assert 1.0 - visible / tumour(result)[at] >= 0.8  # hidden from CTLs
