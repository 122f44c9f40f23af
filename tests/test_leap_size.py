"""The leap bound's probe reuse (:mod:`escapesim.engine.leap_size`): a reused Jacobian
diagonal gives the leaps a probe at every step would, exactly for power laws and to
well within the leap condition's own tolerance for escape2004's saturating laws."""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
import pytest

from escapesim.engine import KernelSettings, Scenario
from escapesim.engine.leap_size import REUSE, leap_size
from escapesim.engine.leaping import _partition
from escapesim.engine.presets.escape2004.clones import CLONES
from escapesim.engine.simulation import Simulation

#: bench_escape2004's main case: every mechanism on, a tumour growing to ~1e9 cells.
ESCAPE_MAIN = Scenario.build(
    preset="escape2004", parameters={"inverse_capacity": 1.0 / 2e9},
    initial={CLONES[0].name: 10000.0}, horizon_days=365.0, interval_days=1.0,
    escape_threshold=1e9, seed=365,
)  # fmt: skip


@pytest.mark.parametrize("reuse", [-1.0, math.inf, math.nan])
def test_the_tolerance_is_finite_and_not_negative(reuse: float) -> None:
    with pytest.raises(ValueError, match="relaxation_reuse"):
        KernelSettings(relaxation_reuse=reuse)


@pytest.mark.parametrize(("preset", "horizon"), [("kuznetsov1994", 60.0), ("birth_death", 30.0)])
def test_power_laws_leap_as_with_a_probe_at_every_step(preset: str, horizon: float) -> None:
    """Every rate law of these presets is a power of each count times other factors, so
    a rescaled difference is the fresh one up to rounding, and the leaps (hence every
    draw) are the same; without the rescaling they would differ by up to epsilon."""
    scenario = Scenario.build(preset=preset, horizon_days=horizon, seed=11)
    for replicate in range(3):
        reused = Simulation(scenario, replicate).run()
        fresh = Simulation(scenario, replicate, settings=KernelSettings(relaxation_reuse=0)).run()
        for name, values in fresh.trajectory.items():
            np.testing.assert_array_equal(reused.trajectory[name], values, err_msg=name)
        assert reused.counters == fresh.counters


@numba.njit
def _both_bounds(s: Any) -> tuple[float, float, bool]:
    """The leap bound at this state with the kept probes (if they hold) and with a
    fresh probe; and whether the kept ones held. The kept probe memory is put back."""
    s.rate_law(s.counts, s.levels, s.parameters, s.rates)
    _partition(s)
    kept = (s.probed.copy(), s.probe_step.copy(), s.probe_counts.copy(),
            s.probe_rates.copy(), s.differences.copy())  # fmt: skip
    reused = leap_size(s)
    held = bool(np.all(s.probe_counts == kept[2]))
    tolerance = s.settings[REUSE]
    s.settings[REUSE] = 0.0
    fresh = leap_size(s)
    s.settings[REUSE] = tolerance
    s.probed[:], s.probe_step[:], s.probe_counts[:] = kept[0], kept[1], kept[2]
    s.probe_rates[:], s.differences[:] = kept[3], kept[4]
    return reused, fresh, held


def test_escape2004_reused_bounds_are_fresh_ones_within_a_third_of_epsilon() -> None:
    """bench_escape2004's main case, paused every other day to its escape (~day 72): the
    bound with the kept probes against a fresh probe at the same state. The tolerance,
    epsilon/3 = 1%, is a third of what the leap condition itself lets a leap's
    propensities move by (whole-replicate measurement: 0.03% at most)."""
    simulation = Simulation(ESCAPE_MAIN, 0)
    errors = []
    for day in range(4, 72, 2):
        simulation.run_until(float(day))
        reused, fresh, held = _both_bounds(simulation._kernel._state)
        if held:
            errors.append(abs(reused / fresh - 1.0))
    assert len(errors) >= 10, f"the kept probes held at only {len(errors)} pauses"
    assert max(errors) < 0.01
