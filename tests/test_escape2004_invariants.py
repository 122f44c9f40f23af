"""Kernel invariants of escape2004 under random scenarios (hypothesis).

Whatever the parameters, switches, initial state and therapies: no count goes negative,
nothing is NaN, every population is accounted for exactly by the channels that fired (and
the delayed products that arrived, and the therapies that added cells), and channels that
only move cells between states conserve them.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escapesim.engine import Result, Scenario, simulate
from escapesim.engine.presets.escape2004 import NETWORK
from tests.escape2004_support import scenario, therapy

#: Cells a therapy adds, by its counter name, and where they go.
_ADDED_BY = {"adoptive_transfer": "CTL", "dc_vaccine": "DC_node"}

_TUNABLE = [p for p in NETWORK.parameters if not p.name.endswith("half_life")]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A short, small random escape2004 scenario."""
    parameters = {}
    for p in draw(st.lists(st.sampled_from(_TUNABLE), max_size=8, unique_by=lambda p: p.name)):
        scale = draw(st.sampled_from([0.0, 0.5, 2.0]))
        parameters[p.name] = min(max(p.default * scale, p.lower), p.upper)
    clones = draw(st.lists(st.sampled_from([s.name for s in NETWORK.species[:32]]),
                           min_size=1, max_size=4, unique=True))  # fmt: skip
    initial = {name: float(draw(st.integers(0, 30_000))) for name in clones}
    for name in ("CTL", "exhausted", "DC_node"):
        initial[name] = float(draw(st.integers(0, 3_000)))
    mechanisms = {m.name: draw(st.booleans()) for m in NETWORK.mechanisms}
    kinds = draw(st.lists(st.sampled_from([t.name for t in NETWORK.therapies]), max_size=3))
    doses = {"adoptive_transfer": 1e5, "dc_vaccine": 1e5, "il2": 1e7, "peptide_vaccine": 50.0}
    given_ = [therapy(k, [draw(st.floats(0.0, 4.0))], doses.get(k, 10.0)) for k in kinds]
    return scenario(parameters=parameters, initial=initial, mechanisms=mechanisms,
                    therapies=given_, horizon_days=5.0, interval_days=0.5,
                    seed=draw(st.integers(0, 1000)))  # fmt: skip


def _accounted(result: Result, s: Scenario) -> dict[str, float]:
    """Each population's final count as its initial count plus everything that changed it."""
    expected = {sp.name: s.initial[sp.name] for sp in NETWORK.species}
    for channel in NETWORK.channels:
        for name, amount in channel.change.items():
            expected[name] += amount * result.counters[channel.name]
        for name, amount in channel.delayed.items():
            expected[name] += amount * result.counters[f"{channel.name}.arrived"]
    for counter, name in _ADDED_BY.items():
        expected[name] += result.counters.get(counter, 0)
    return expected


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_counts_stay_whole_non_negative_finite_and_accounted_for(s: Scenario) -> None:
    result = simulate(s)
    for name, values in result.trajectory.items():
        assert np.all(np.isfinite(values)), name
        assert np.all(values >= 0.0), name
    expected = _accounted(result, s)
    for sp in NETWORK.species:
        values = result.trajectory[sp.name]
        assert np.all(values == np.round(values)), sp.name
        assert values[-1] == expected[sp.name], sp.name


def test_moving_channels_conserve_cells() -> None:
    """Exhaustion and reinvigoration only move T cells: with every other T-cell channel
    silenced, CTL + exhausted stays constant while both fire."""
    movers = [c for c in NETWORK.channels if c.change and sum(c.change.values()) == 0]
    assert {c.name for c in movers} >= {"exhaust", "reinvigorate"}
    silent = {"ctl_death": 0.0, "exhausted_death": 0.0, "ctl_inactivation_rate": 0.0,
              "chemo_lymphotoxicity": 0.0}  # fmt: skip
    s = scenario(
        parameters=silent,
        initial={"T": 0.0, "T_p": 5e4, "CTL": 2_000.0, "exhausted": 500.0, "naive": 0.0,
                 "naive_sub": 0.0},
        mechanisms={"priming": False, "help": False, "counterattack": False},
        therapies=[therapy("anti_pd1", [2.0], 10.0)],
        horizon_days=10.0,
        interval_days=0.5,
    )
    result = simulate(s)
    t_cells = result.trajectory["CTL"] + result.trajectory["exhausted"]
    assert np.all(t_cells == 2_500.0)
    assert result.counters["exhaust"] > 0
    assert result.counters["reinvigorate"] > 0
