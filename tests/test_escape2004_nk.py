"""NK cells control a small MHC-I-loss clone (Kärre et al. 1986), not a large one.

The issue's command: ``--set T=0 --set T_m=1e3 --mechanism priming=off --mechanism
variants=off`` for 30 days, so only NK cells act on the clone. With a fixed NK pool the
clone grew ×6.3-6.7; recruited by the clone, NK cells reject it. The arms below share
seed and replicate (common random numbers) and differ in one parameter or dose.
"""

from __future__ import annotations

import numpy as np
import pytest

from escapesim.engine import Result
from tests.escape2004_support import SEED, runs, scenario, therapy, tumour

WITHOUT_CTLS = {"priming": False, "variants": False}


def mhc_loss_clone(cells: float, **parameters: float) -> list[Result]:
    """Four replicates of ``cells`` MHC-I-loss founder cells under NK cells only."""
    s = scenario(initial={"T": 0.0, "T_m": cells}, mechanisms=WITHOUT_CTLS,
                 parameters=parameters, horizon_days=30.0)  # fmt: skip
    return runs(s, 4)


@pytest.mark.parametrize("seed_offset", [0, 1])
def test_nk_cells_control_a_small_mhc_loss_clone(seed_offset: int) -> None:
    s = scenario(initial={"T": 0.0, "T_m": 1e3}, mechanisms=WITHOUT_CTLS, horizon_days=30.0,
                 seed=SEED + 17 * seed_offset)  # fmt: skip
    for result in runs(s, 4):
        burden = tumour(result)
        assert burden[-1] < 0.5 * burden[0], burden[-1]  # rejected, not merely held
        assert burden.max() < 3 * burden[0], burden.max()
        assert result.counters["nk_recruit"] > 0


def test_without_recruitment_the_clone_outgrows_the_resting_nk_pool() -> None:
    """The recruitment is what controls: a fixed pool (no recruitment) lets it grow."""
    for fixed in mhc_loss_clone(1e3, nk_recruitment=0.0):
        assert tumour(fixed)[-1] > 3e3
        assert fixed.counters["nk_recruit"] == 0


def test_nk_cells_do_not_control_a_large_mhc_loss_clone() -> None:
    for result in mhc_loss_clone(1e5):
        assert tumour(result)[-1] > 1e5


def test_il2_expands_nk_cells() -> None:
    arms = [
        scenario(initial={"T": 0.0, "T_m": 1e3}, mechanisms=WITHOUT_CTLS, horizon_days=8.0,
                 therapies=[therapy("il2", [1.0, 2.0, 3.0], dose)])
        for dose in (1e8, 0.0)
    ]  # fmt: skip
    for treated, control in zip(runs(arms[0], 3), runs(arms[1], 3), strict=True):
        assert treated.counters["nk_il2_expand"] > 10 * max(control.counters["nk_il2_expand"], 1)
        assert treated.trajectory["NK"][-1] > control.trajectory["NK"][-1]
        assert np.sum(treated.trajectory["T_m"]) < np.sum(control.trajectory["T_m"])
