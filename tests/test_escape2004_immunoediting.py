"""Immunoediting: CTL pressure selects antigen-loss variants; without CTLs they stay at
mutation-selection balance.

Balance: a variant arises at μ·r per parent division and grows (1 − κ) times slower, so
its share settles at f* ≈ μ/κ (1e-3 with the defaults) whatever the tumour size.
"""

from __future__ import annotations

import numpy as np

from engine.presets.escape2004.clones import Trait
from tests.escape2004_support import NO_ESCAPE, carrying, runs, scenario, tumour

REPLICATES = 3
BALANCE = 1e-4 / 0.1  # antigen_loss_rate / loss_fitness_cost (defaults)


def antigen_loss_share(result: object) -> np.ndarray:
    """Share of the tumour that lost its antigen, over time."""
    return carrying(result, Trait.ANTIGEN_LOSS) / tumour(result)  # type: ignore[arg-type]


def test_ctl_pressure_raises_the_antigen_loss_fraction_over_time() -> None:
    # Effectors held at the tumour (no death, no new priming): steady CTL pressure.
    s = scenario(
        initial={"T": 2e5, "CTL": 5e4, "naive": 0.0},
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
        initial={"T": 1e6, "T_a": 1e3, "CTL": 0.0, "naive": 0.0},
        mechanisms={**NO_ESCAPE, "variants": True, "cytotoxicity": False},
        horizon_days=60.0,
    )
    for result in runs(s, REPLICATES):
        share = antigen_loss_share(result)
        assert np.all((share[1:] > 0.5 * BALANCE) & (share[1:] < 1.5 * BALANCE))
        assert abs(share[-1] - BALANCE) < 0.2 * BALANCE
