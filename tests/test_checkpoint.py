"""Checkpoints: continuing from one is bitwise the uninterrupted run, in any process.

The property tests draw a preset, a scenario (seed, horizon, sampling interval, initial
tumour, therapies of the preset) and a checkpoint day on the sampling grid, run the
replicate uninterrupted, then again to that day, serialise its checkpoint, read it back,
continue, and compare every sample, counter, outcome and the provenance bit for bit.
"""

from __future__ import annotations

import dataclasses
import multiprocessing

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escapesim import engine
from escapesim.engine.checkpoint import Checkpoint, CheckpointError

PRESETS = ("birth_death", "kuznetsov1994", "kirschner_panetta1998", "escape2004")


def same(a: engine.Result, b: engine.Result) -> bool:
    """Bitwise equality of two results (trajectories, counters, outcome, provenance)."""
    return (
        np.array_equal(a.times, b.times)
        and a.trajectory.keys() == b.trajectory.keys()
        and all(np.array_equal(a.trajectory[n], b.trajectory[n]) for n in a.trajectory)
        and a.counters == b.counters
        and a.outcome == b.outcome
        and a.provenance == b.provenance
    )


def continued(scenario: engine.Scenario, replicate: int, day: float) -> engine.Result:
    """Run to ``day``, checkpoint, serialise, read back, restore and finish."""
    simulation = engine.Simulation(scenario, replicate)
    simulation.run_until(day)
    data = simulation.checkpoint().to_bytes()
    return engine.Simulation.restore(Checkpoint.from_bytes(data)).run()


@st.composite
def cases(draw: st.DrawFn) -> tuple[engine.Scenario, int, float]:
    preset = draw(st.sampled_from(PRESETS))
    network = engine.network(preset)
    assert network is not None
    horizon = draw(st.sampled_from([12.0, 25.0, 40.0]))
    interval = draw(st.sampled_from([0.5, 1.0, 2.5]))
    therapies = []
    offered = st.sampled_from(network.therapies) if network.therapies else st.nothing()
    for therapy in draw(st.lists(offered, max_size=3 if network.therapies else 0)):
        days = draw(st.lists(st.integers(0, int(horizon)), min_size=1, max_size=3))
        dose = min(therapy.dose_upper, draw(st.sampled_from([1.0, 10.0, 1e4])))
        therapies.append(engine.Therapy(kind=therapy.name, at_days=tuple(map(float, days)),
                                        dose=dose))  # fmt: skip
    tumour = network.species[0].name if preset != "escape2004" else "T"
    initial = {tumour: float(draw(st.sampled_from([20, 1000, 100_000])))}
    scenario = engine.Scenario.build(
        preset=preset, horizon_days=horizon, interval_days=interval, therapies=therapies,
        seed=draw(st.integers(0, 2**32)), initial=initial,
    )  # fmt: skip
    day = draw(st.sampled_from(scenario.sample_times()[:-1]))
    return scenario, draw(st.integers(0, 5)), day


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_continuing_a_checkpoint_is_bitwise_the_uninterrupted_run(
    case: tuple[engine.Scenario, int, float],
) -> None:
    scenario, replicate, day = case
    assert same(continued(scenario, replicate, day), engine.simulate(scenario, replicate))


def _treated() -> engine.Scenario:
    return engine.Scenario.build(
        preset="escape2004", horizon_days=40, seed=11,
        therapies=[engine.Therapy(kind="anti_pd1", at_days=(10.0, 17.0)),
                   engine.Therapy(kind="dc_vaccine", at_days=(10.0,), dose=1e6),
                   engine.Therapy(kind="adoptive_transfer", at_days=(9.5,), dose=1e7)],
    )  # fmt: skip


def test_on_a_dose_day_with_products_in_flight() -> None:
    scenario = _treated()
    simulation = engine.Simulation(scenario, 2)
    simulation.run_until(10.0)
    checkpoint = simulation.checkpoint()
    assert checkpoint.pending, "DCs on their way to the node, clonal bursts under way"
    assert checkpoint.levels[_level(scenario, "anti_PD1")] == 0.0, "day 10's dose is to come"
    assert all(e.kind != "dose" for e in checkpoint.calendar), "doses: rebuilt from scenario"
    restored = engine.Simulation.restore(Checkpoint.from_bytes(checkpoint.to_bytes()))
    assert same(restored.run(), engine.simulate(scenario, 2))


def test_after_an_outcome() -> None:
    scenario = engine.Scenario.build(preset="birth_death", horizon_days=60, seed=4)
    uninterrupted = engine.simulate(scenario, 0)
    assert uninterrupted.outcome.time is not None
    assert uninterrupted.outcome.time < 50
    simulation = engine.Simulation(scenario, 0)
    simulation.run_until(50.0)
    checkpoint = simulation.checkpoint()
    assert checkpoint.outcome == uninterrupted.outcome
    assert same(continued(scenario, 0, 50.0), uninterrupted)


def _continue_elsewhere(data: bytes) -> tuple[list[float], dict[str, int], str]:
    result = engine.Simulation.restore(Checkpoint.from_bytes(data)).run()
    return result.trajectory["T"].tolist(), dict(result.counters), result.outcome.kind


def test_restored_in_another_process() -> None:
    scenario = _treated()
    simulation = engine.Simulation(scenario, 1)
    simulation.run_until(12.0)
    data = simulation.checkpoint().to_bytes()
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        tumour, counters, outcome = pool.apply(_continue_elsewhere, (data,))
    here = engine.simulate(scenario, 1)
    assert tumour == here.trajectory["T"].tolist()
    assert counters == dict(here.counters)
    assert outcome == here.outcome.kind


def test_checkpoint_days_keep_the_same_checkpoints_as_pausing() -> None:
    scenario = _treated().with_changes(checkpoint_days=[5.0, 20.0])
    simulation = engine.Simulation(scenario, 0)
    result = simulation.run()
    assert [c.day for c in simulation.checkpoints] == [5.0, 20.0]
    paused = engine.Simulation(scenario, 0)
    paused.run_until(20.0)
    assert paused.checkpoint().to_bytes() == simulation.checkpoints[1].to_bytes()
    assert same(engine.Simulation.restore(simulation.checkpoints[0]).run(), result)


def test_a_checkpoint_of_another_network_or_version_is_refused() -> None:
    simulation = engine.Simulation(engine.Scenario.build(preset="birth_death"), 0)
    simulation.run_until(3.0)
    checkpoint = simulation.checkpoint()
    other = dataclasses.replace(checkpoint, fingerprint="0" * 64)
    with pytest.raises(CheckpointError, match="another network"):
        engine.Simulation.restore(other)
    older = dataclasses.replace(checkpoint, versions={**checkpoint.versions, "numpy": "1.0"})
    with pytest.raises(CheckpointError, match=r"numpy 1\.0"):
        engine.Simulation.restore(Checkpoint.from_bytes(older.to_bytes()))
    data = checkpoint.to_bytes()
    with pytest.raises(CheckpointError, match="magic"):
        Checkpoint.from_bytes(b"XXXX" + data[4:])
    with pytest.raises(CheckpointError, match="format 9"):
        Checkpoint.from_bytes(data[:4] + (9).to_bytes(2, "little") + data[6:])
    with pytest.raises(CheckpointError, match="damaged"):
        Checkpoint.from_bytes(data[:-8])


def test_a_checkpoint_only_follows_a_sample_before_the_horizon() -> None:
    scenario = engine.Scenario.build(preset="birth_death", horizon_days=10)
    simulation = engine.Simulation(scenario, 0)
    simulation.run_until(3.0)
    simulation.run_until(3.0)  # already there: nothing to do
    simulation.checkpoint()
    with pytest.raises(ValueError, match=r"day: 2\.5 is not a sampling time"):
        simulation.run_until(2.5)
    simulation.run()
    with pytest.raises(CheckpointError, match="only at the start of a sampling day"):
        simulation.checkpoint()
    with pytest.raises(ValueError, match="already past day 3"):
        simulation.run_until(3.0)


def test_checkpoint_days_must_be_sampling_days_before_the_horizon() -> None:
    with pytest.raises(engine.ScenarioError) as caught:
        engine.Scenario.build(preset="birth_death", horizon_days=10, checkpoint_days=[2.5, 10])
    assert [v.field for v in caught.value.violations] == ["checkpoint_days[0]",
                                                          "checkpoint_days[1]"]  # fmt: skip


def _level(scenario: engine.Scenario, name: str) -> int:
    return [s.name for s in scenario.network().levels].index(name)
