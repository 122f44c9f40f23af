"""Arms said as changes from the fork day on (engine.fork_arm): what each change builds,
and that a stopped therapy forks into exactly the run of its shortened course."""

from __future__ import annotations

from dataclasses import replace

import pytest

from escapesim import engine
from escapesim.engine.branching import StoredBranch
from escapesim.engine.checkpoint import Checkpoint
from escapesim.engine.fork_arm import ArmChange, arm_scenario, fork_scenario
from escapesim.engine.frozen import FrozenMap
from tests.test_checkpoint import same

DAY = 14.0


def _same_run(forked: engine.Result, fresh: engine.Result) -> bool:
    """Bitwise the same run; the fork's provenance also says where it came from."""
    origin = forked.provenance.forked_from
    assert origin is not None
    assert origin[1] == DAY
    return same(forked, replace(fresh, provenance=forked.provenance))


def _parent() -> engine.Scenario:
    return engine.Scenario.build(
        preset="escape2004", horizon_days=40, seed=5, replicates=3, checkpoint_days=[7, 14, 21],
        therapies=[engine.Therapy(kind="anti_pd1", at_days=(7.0, 14.0, 21.0, 28.0))],
    )  # fmt: skip


def _checkpoint(scenario: engine.Scenario, replicate: int) -> Checkpoint:
    simulation = engine.Simulation(scenario, replicate)
    simulation.run_until(DAY)
    return simulation.checkpoint()


def test_an_empty_change_is_the_parent_replicate_with_its_later_checkpoint_days() -> None:
    parent = _parent()
    arm = arm_scenario(parent, DAY, ArmChange(name="same"))
    assert arm == parent.with_changes(replicates=1, checkpoint_days=[21.0])
    stored = StoredBranch(parent, DAY, ((2, _checkpoint(parent, 2).to_bytes()),))
    continued = stored.simulation(arm, 2).run()
    assert _same_run(continued, engine.simulate(parent.with_changes(checkpoint_days=[21.0]), 2))


def test_stopping_a_therapy_forks_into_the_run_of_its_course_cut_at_the_fork_day() -> None:
    parent = _parent()
    change = ArmChange(name="stop", stop_therapies=("anti_pd1",))
    arm = fork_scenario(_checkpoint(parent, 1), change)
    assert [t.at_days for t in arm.therapies] == [(7.0,)]
    forked = StoredBranch(parent, DAY, ((1, _checkpoint(parent, 1).to_bytes()),))
    # The fork's past is the parent's, whose later doses had not happened: a run of the
    # shortened course from day 0 is the same run.
    assert _same_run(forked.simulation(arm, 1).run(), engine.simulate(arm, 1))


def test_a_replicate_not_stored_grows_its_past_again() -> None:
    parent = _parent()
    change = ArmChange(name="more", parameters=FrozenMap({"division_rate": 0.25}))
    arm = arm_scenario(parent, DAY, change)
    stored = StoredBranch(parent, DAY, ())
    assert same(stored.simulation(arm, 0).run(), engine.Simulation.restore(
        _checkpoint(parent, 0), scenario=arm).run())  # fmt: skip


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        (ArmChange(name="a", stop_therapies=("il2",)), ["stop_therapies[0]"]),
        (ArmChange(name="a", add_therapies=({"kind": "il2", "at_days": [3.0, 20.0]},)),
         ["add_therapies[0].at_days[0]"]),
        (ArmChange(name="a", add_therapies=({"kind": "il2", "at_days": [20.0], "dose": -1},)),
         ["add_therapies[0].dose"]),
        (ArmChange(name="a", horizon_days=DAY), ["horizon_days"]),
        (ArmChange(name="a", horizon_days=25.0), ["horizon_days"]),  # cuts day 28's dose
        (ArmChange(name="a", mechanisms=FrozenMap({"telepathy": True})), ["mechanisms.telepathy"]),
        (ArmChange(name="a", escape_threshold=-1.0), ["escape_threshold"]),
    ],
)  # fmt: skip
def test_a_bad_change_names_its_own_field(change: ArmChange, fields: list[str]) -> None:
    with pytest.raises(engine.ScenarioError) as caught:
        fork_scenario(_checkpoint(_parent(), 0), change)
    assert [v.field for v in caught.value.violations] == fields
