"""Forks: arms restored from one checkpoint share its past bitwise and change the future."""

from __future__ import annotations

import numpy as np
import pytest

from escapesim import engine
from escapesim.engine.checkpoint import Checkpoint
from tests.test_checkpoint import same

DAY = 14.0


def _parent() -> engine.Scenario:
    return engine.Scenario.build(
        preset="escape2004", horizon_days=45, seed=3, initial={"T": 1e5},
        therapies=[engine.Therapy(kind="dc_vaccine", at_days=(7.0, 21.0), dose=1e6)],
    )  # fmt: skip


def _checkpoint(scenario: engine.Scenario, replicate: int = 0) -> Checkpoint:
    simulation = engine.Simulation(scenario, replicate)
    simulation.run_until(DAY)
    return Checkpoint.from_bytes(simulation.checkpoint().to_bytes())


def _with(scenario: engine.Scenario, *added: dict[str, object]) -> engine.Scenario:
    return scenario.with_changes(therapies=[*scenario.to_dict()["therapies"], *added])


def _shared(a: engine.Result, b: engine.Result, day: float) -> bool:
    """The samples before ``day`` are bitwise the same."""
    upto = int(np.searchsorted(a.times, day, side="left"))
    return all(np.array_equal(a.trajectory[n][:upto], b.trajectory[n][:upto]) for n in a.trajectory)


def test_an_arm_equal_to_the_parent_reproduces_it_bitwise() -> None:
    parent = _parent()
    forked = engine.Simulation.restore(_checkpoint(parent), scenario=parent).run()
    assert same(forked, engine.simulate(parent, 0))
    assert forked.provenance.forked_from is None  # nothing changed: no fork recorded


def test_arms_share_the_past_and_differ_after_it() -> None:
    parent = _parent()
    checkpoint = _checkpoint(parent)
    arms = {
        "anti_pd1_now": _with(parent, {"kind": "anti_pd1", "at_days": [DAY, 21.0]}),
        "chemo_later": _with(parent, {"kind": "chemotherapy", "at_days": [30.0]}),
        "no_boost": parent.with_changes(
            therapies=[{"kind": "dc_vaccine", "at_days": [7.0], "dose": 1e6}]
        ),
        "weaker_pdl1": parent.with_changes(parameters={"pdl1_exhaustion_gain": 5.0}),
        "no_tregs": parent.with_changes(mechanisms={"regulation": False}),
    }
    base = engine.simulate(parent, 0)
    for name, arm in arms.items():
        result = engine.Simulation.restore(checkpoint, scenario=arm).run()
        assert _shared(result, base, DAY), name
        assert not same(result, base), name
        assert result.provenance.forked_from == (parent, DAY)
        assert result.provenance.scenario == arm
    now = engine.Simulation.restore(checkpoint, scenario=arms["anti_pd1_now"]).run()
    exposure = now.trajectory["anti_PD1"]
    day = int(DAY)
    assert exposure[day - 1] == 0.0, "shared history"
    assert exposure[day] > 0.0, "the dose on the fork day is given before its sample"


def test_a_forked_arm_restores_and_forks_again() -> None:
    arm = _with(_parent(), {"kind": "anti_pd1", "at_days": [DAY]})
    simulation = engine.Simulation.restore(_checkpoint(_parent()), scenario=arm)
    simulation.run_until(30.0)
    again = Checkpoint.from_bytes(simulation.checkpoint().to_bytes())
    assert again.forked_from == (_parent(), DAY)
    direct = engine.Simulation.restore(_checkpoint(_parent()), scenario=arm).run()
    assert same(engine.Simulation.restore(again).run(), direct)


def test_an_arm_must_keep_the_past() -> None:
    checkpoint = _checkpoint(_parent())
    rewritten = _parent().with_changes(
        seed=4, interval_days=0.5,
        therapies=[{"kind": "chemotherapy", "at_days": [3.0]},
                   {"kind": "dc_vaccine", "at_days": [21.0], "dose": 1e6}],
    )  # fmt: skip
    with pytest.raises(engine.ScenarioError) as caught:
        engine.Simulation.restore(checkpoint, scenario=rewritten)
    assert {v.field for v in caught.value.violations} == {"seed", "interval_days"}
    with pytest.raises(engine.ScenarioError) as caught:
        engine.Simulation.restore(
            checkpoint, scenario=rewritten.with_changes(seed=3, interval_days=1)
        )
    messages = [str(v) for v in caught.value.violations]
    assert messages[0].startswith("therapies[0]: chemotherapy acts on day 3, before the fork")
    assert "dc_vaccine action due on day 8.5 happened before the fork" in messages[1]


def test_a_longer_horizon_continues_the_parent() -> None:
    parent = _parent()
    longer = parent.with_changes(horizon_days=60)
    result = engine.Simulation.restore(_checkpoint(parent), scenario=longer).run()
    assert result.times[-1] == 60.0
    assert _shared(result, engine.simulate(parent, 0), 44.0)
