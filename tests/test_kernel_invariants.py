"""Kernel invariants under random scenarios: no negative count, no NaN, and delays that
deliver exactly what fired, no earlier than the delay."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from escapesim import engine
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.network import Channel, Delay, Network, Species
from escapesim.engine.presets import birth_death


def _finite_non_negative(result: engine.Result) -> bool:
    return all(np.all(np.isfinite(v)) and np.all(v >= 0) for v in result.trajectory.values())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    effectors=st.integers(0, 10**6),
    tumour=st.integers(0, 10**8),
    kill=st.floats(0.0, 1e-5),
    growth=st.floats(0.0, 2.0),
    seed=st.integers(0, 2**32),
)
def test_kuznetsov_never_negative_or_nan(
    effectors: int, tumour: int, kill: float, growth: float, seed: int
) -> None:
    scenario = engine.Scenario.build(
        preset="kuznetsov1994", parameters={"n": kill, "a": growth},
        initial={"E": effectors, "T": tumour}, horizon_days=20, seed=seed,
    )  # fmt: skip
    result = engine.simulate(scenario)
    assert _finite_non_negative(result)
    assert all(v >= 0 for v in result.counters.values())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    c=st.floats(0.0, 0.05),
    tumour=st.integers(0, 10**6),
    il2=st.floats(0.0, 1e6),
    s2=st.floats(0.0, 1e5),
    seed=st.integers(0, 2**32),
)
def test_kirschner_panetta_never_negative_or_nan(
    c: float, tumour: int, il2: float, s2: float, seed: int
) -> None:
    scenario = engine.Scenario.build(
        preset="kirschner_panetta1998", parameters={"c": c, "s2": s2},
        initial={"T": tumour, "I": il2}, horizon_days=20, seed=seed,
    )  # fmt: skip
    assert _finite_non_negative(engine.simulate(scenario))


def _maturing_network(delay: Delay) -> Network:
    """Birth-death whose dividing cells commit a daughter that appears ``delay`` later."""
    base = birth_death.NETWORK
    divide = Channel(
        name="tumour_division", change=FrozenMap({"T": 0}), description="delayed daughter",
        delayed=FrozenMap({"T": 1}), delay=delay,
    )  # fmt: skip
    return Network(
        name=base.name, title=base.title, citation=base.citation, splitting="",
        species=(Species(name="T", unit="cells", initial=1, description="tumour cells"),),
        levels=(), parameters=base.parameters, channels=(divide, base.channels[1]),
        tumour=base.tumour, bind=base.bind,
    )  # fmt: skip


@settings(max_examples=12, deadline=None)
# Products due exactly at the horizon, queued behind the final sample (they must not count).
@example(mean=0.201171875, shape=None, tumour=1, seed=1)
@given(
    mean=st.floats(0.2, 3.0),
    shape=st.one_of(st.none(), st.floats(1.0, 20.0)),
    tumour=st.integers(1, 1000),
    seed=st.integers(0, 2**32),
)
def test_delayed_products_arrive_whole_and_not_early(
    mean: float, shape: float | None, tumour: int, seed: int
) -> None:
    network = _maturing_network(Delay(mean=mean, shape=shape))
    scenario = engine.Scenario.build(
        preset="birth_death", parameters={"birth": 1.0, "death": 0.2}, initial={"T": tumour},
        horizon_days=4, interval_days=0.25, seed=seed,
    )  # fmt: skip
    result = engine.Simulation(scenario, 0, network=network).run()
    counters = result.counters
    assert _finite_non_negative(result)
    assert counters["tumour_division.arrived"] <= counters["tumour_division"]
    # Conservation: every cell present is the initial ones plus arrivals minus deaths.
    final = result.trajectory["T"][-1]
    assert final == tumour + counters["tumour_division.arrived"] - counters["tumour_death"]
    if shape is None:  # a fixed delay: nothing can arrive before it has elapsed
        early = result.times < mean
        assert np.all(result.trajectory["T"][early] <= tumour)


def test_step_ends_say_how_the_kernel_advanced() -> None:
    """A few cells are simulated exactly; a growing large population leaps (bounded by ε);
    a steady one leaps from sample to sample; an extinct one idles."""
    from escapesim.engine.simulation import Simulation

    def ends(initial: int, birth: float, death: float, horizon: float) -> dict[str, int]:
        scenario = engine.Scenario.build(
            preset="birth_death", parameters={"birth": birth, "death": death},
            initial={"T": initial}, horizon_days=horizon, seed=3,
        )  # fmt: skip
        simulation = Simulation(scenario, 0)
        simulation.run()
        return dict(simulation.step_ends)

    small = ends(initial=20, birth=0.1, death=0.1, horizon=5)
    assert small["exact"] > 0
    assert small["leap"] == 0
    growing = ends(initial=10**7, birth=1.0, death=0.5, horizon=5)
    assert growing["leap"] > 5 * growing["calendar"]
    assert growing["exact"] == 0
    # Balanced: no drift and little spread, so a leap would exceed a day; each step ends
    # at one of the 5 daily samples.
    steady = ends(initial=10**7, birth=0.1, death=0.1, horizon=5)
    assert steady == {"leap": 0, "critical": 0, "calendar": 5, "exact": 0, "idle": 0}
    extinct = ends(initial=5, birth=0.1, death=50.0, horizon=30)
    assert extinct["idle"] > 0


def test_growth_beyond_what_leaps_can_count_is_a_clear_error() -> None:
    """A tumour doubling unchecked for 100 days (e^100 cells) would need Poisson draws
    past int64; the kernel says so instead of returning wrapped-around counts."""
    scenario = engine.Scenario.build(
        preset="birth_death", parameters={"birth": 1.0, "death": 0.0},
        initial={"T": 1}, horizon_days=100.0, escape_threshold=50.0, seed=17,
    )  # fmt: skip
    with pytest.raises(OverflowError, match="grown past what the kernel can count"):
        engine.simulate(scenario, 0)
