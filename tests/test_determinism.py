"""Same inputs and seed give bitwise identical results, whatever else runs and wherever."""

from __future__ import annotations

import multiprocessing

import numpy as np

from escapesim import engine


def _scenario(seed: int = 7) -> engine.Scenario:
    return engine.Scenario.build(
        preset="kirschner_panetta1998", horizon_days=60, seed=seed, replicates=4
    )


def _final_tumour(replicate: int) -> list[float]:
    return engine.simulate(_scenario(), replicate).trajectory["T"].tolist()


def _same(a: engine.Result, b: engine.Result) -> bool:
    return (
        all(np.array_equal(a.trajectory[n], b.trajectory[n]) for n in a.trajectory)
        and a.counters == b.counters
        and a.outcome == b.outcome
    )


def test_same_seed_gives_identical_results() -> None:
    assert _same(engine.simulate(_scenario(), 1), engine.simulate(_scenario(), 1))


def test_different_seeds_and_replicates_differ() -> None:
    base = engine.simulate(_scenario(), 1)
    assert not _same(base, engine.simulate(_scenario(seed=8), 1))
    assert not _same(base, engine.simulate(_scenario(), 2))


def test_replicate_alone_equals_replicate_inside_an_ensemble_in_any_order() -> None:
    scenario = _scenario()
    ensemble = [engine.simulate(scenario, k) for k in reversed(range(scenario.replicates))]
    alone = engine.simulate(scenario, 2)
    assert _same(alone, ensemble[1])


def test_replicate_in_another_process_is_identical() -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        remote = pool.map(_final_tumour, [3])[0]
    assert remote == engine.simulate(_scenario(), 3).trajectory["T"].tolist()


def test_frames_stream_the_same_samples_as_the_result() -> None:
    simulation = engine.Simulation(_scenario(), 0)
    frames = list(simulation.frames())
    result = simulation.result()
    assert [f.t for f in frames] == result.times.tolist()
    assert [f.values["T"] for f in frames] == result.trajectory["T"].tolist()
