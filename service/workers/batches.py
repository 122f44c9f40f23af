"""Replicate batches: the unit of work a worker runs, and how finished batches combine.

A batch simulates a contiguous range of replicates of one scenario and returns them as
Arrow tables (:mod:`escapesim.service.results.tables`), so the server process receives
a few large buffers instead of millions of Python objects: the garbage of a simulation
stays in the worker. This module runs in worker processes; it imports neither asyncio nor grpc.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from escapesim.engine import Frame, Result, Scenario, Simulation, catalog
from escapesim.engine.branching import Branch
from escapesim.engine.checkpoint import Checkpoint
from escapesim.service.results import checkpoints as checkpoint_tables
from escapesim.service.results.tables import align_counters, replicate_table, trajectory_table

#: Schema metadata keys of the stored result files.
SCENARIO_KEY = b"escapesim.scenario"
PARTIAL_KEY = b"escapesim.partial"


@dataclass(frozen=True)
class Batch:
    """Finished replicates of one scenario.

    ``replicates`` lists those simulated, in order; a batch that was stopped holds the
    replicates finished before the stop (possibly none). ``seconds`` is the worker's
    wall time, used to size later batches. ``checkpoints`` holds the checkpoints the
    replicates kept at the scenario's ``checkpoint_days``
    (:mod:`escapesim.service.results.checkpoints`).
    """

    replicates: tuple[int, ...]
    trajectories: pa.Table
    summaries: pa.Table
    seconds: float
    checkpoints: pa.Table = field(default_factory=checkpoint_tables.SCHEMA.empty_table)


class _Stopped(Exception):  # noqa: N818 - a signal, not an error
    """Raised inside a replicate's progress callback to abandon it."""


def replicate_results(
    scenario: Scenario,
    replicates: Iterable[int],
    *,
    should_stop: Callable[[], bool] = lambda: False,
    on_day: Callable[[float], None] = lambda _day: None,
    on_frame: Callable[[Frame], None] | None = None,
    on_checkpoints: Callable[[tuple[Checkpoint, ...]], None] | None = None,
    branch: Branch | None = None,
) -> Iterator[Result]:
    """Simulate ``replicates`` of ``scenario`` in this process, in order, yielding each
    replicate's result as soon as it is whole: the one loop every worker runs.

    ``on_day`` receives the simulated day after every sample; ``should_stop`` is polled
    before each replicate and after every sample, and a true answer ends the iteration
    (the replicate in progress is dropped, because a replicate is only meaningful whole).
    ``on_frame``, if given, receives every sampled frame as it is recorded (for streaming;
    building the frames costs ~12 % more time, so batches go without).
    ``on_checkpoints``, if given, receives each whole replicate's checkpoints (those of
    the scenario's ``checkpoint_days``) just before its result is yielded. With a
    ``branch``, each replicate first grows under the branch's base scenario to its day
    and continues under ``scenario`` (an ensemble's arms that branch at a day).
    """

    def progress(day: float) -> None:
        on_day(day)
        if should_stop():
            raise _Stopped

    for replicate in replicates:
        if should_stop():
            return
        try:
            simulation = (
                Simulation(scenario, replicate, progress=progress)
                if branch is None
                else branch.simulation(scenario, replicate, progress)
            )
            if on_frame is None:
                result = simulation.run()
            else:
                for frame in simulation.frames():
                    on_frame(frame)
                result = simulation.result()
        except _Stopped:
            return
        if on_checkpoints is not None:
            on_checkpoints(simulation.checkpoints)
        yield result


def simulate_batch(
    scenario: Scenario,
    replicates: Sequence[int],
    *,
    on_day: Callable[[float], None],
    should_stop: Callable[[], bool],
    branch: Branch | None = None,
) -> Batch:
    """Simulate ``replicates`` of ``scenario`` (continuing ``branch``, if given: see
    :func:`replicate_results`) in this process and tabulate them.

    The one batch runner: the local pool, the in-process executor of the CLI and Dask
    all call it. A stop (see :func:`replicate_results`) ends the batch early with the
    replicates finished so far.
    """
    started = time.perf_counter()
    kept: list[Checkpoint] = []
    results = list(
        replicate_results(
            scenario, replicates, should_stop=should_stop, on_day=on_day,
            on_checkpoints=kept.extend, branch=branch,
        )
    )  # fmt: skip
    network = scenario.network()
    return Batch(
        replicates=tuple(r.replicate for r in results),
        trajectories=trajectory_table(results, network=network),
        summaries=replicate_table(results, network=network),
        seconds=time.perf_counter() - started,
        checkpoints=checkpoint_tables.checkpoint_table(kept),
    )


def warm_up(presets: Iterable[str] | None = None) -> None:
    """Simulate one short replicate of every preset (or of ``presets``) and tabulate it,
    so every lazy import (pyarrow pulls in pandas on first use) and every compiled rate
    law (loaded from numba's disk cache, or compiled on a machine's first run) is ready
    before the first timed batch."""
    names = [network.name for network in catalog()] if presets is None else list(presets)
    for name in names:
        scenario = Scenario.build(preset=name, horizon_days=1.0)
        simulate_batch(scenario, [0], on_day=lambda _day: None, should_stop=lambda: False)


def combine(
    batches: Iterable[Batch], scenario: Scenario, *, partial: bool
) -> tuple[pa.Table, pa.Table]:
    """The (trajectories, replicates) tables of a run, sorted by replicate.

    The same replicates give identical tables however they were batched: batches are
    ordered by their first replicate, and counters that only some batches saw are filled
    with zeros in first-seen order, exactly as
    :func:`escapesim.service.results.tables.replicate_table` does over all results at
    once. The scenario and the partial flag go into the schema metadata so a result file
    describes itself.
    """
    filled = sorted((b for b in batches if b.replicates), key=lambda b: b.replicates[0])
    network = scenario.network()
    if not filled:
        trajectories = trajectory_table([], network=network)
        summaries = replicate_table([], network=network)
    else:
        trajectories = pa.concat_tables([b.trajectories for b in filled])
        summaries = pa.concat_tables(align_counters([b.summaries for b in filled]))
    metadata = {
        SCENARIO_KEY: json.dumps(scenario.to_dict(), sort_keys=True).encode(),
        PARTIAL_KEY: b"true" if partial else b"false",
    }
    return _with_metadata(trajectories, metadata), _with_metadata(summaries, metadata)


def _with_metadata(table: pa.Table, metadata: dict[bytes, bytes]) -> pa.Table:
    return table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
