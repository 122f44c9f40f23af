"""Whole scenarios on the local executor (service.workers.scenarios): what the command line
runs. One batch runner under every path: the thread and the spawned pool give the tables
of :func:`simulate_batch` itself, from any first replicate."""

from __future__ import annotations

import pyarrow as pa
import pytest

from escapesim.engine import Scenario
from escapesim.service.workers.batches import Batch, combine, simulate_batch
from escapesim.service.workers.local import LocalExecutor
from escapesim.service.workers.scenarios import simulate_here

SCENARIO = Scenario.build(preset="kuznetsov1994", seed=5, replicates=6, horizon_days=40)
OTHER = Scenario.build(preset="kirschner_panetta1998", seed=6, replicates=3, horizon_days=20)


def _direct(scenario: Scenario, replicates: range) -> tuple[pa.Table, pa.Table]:
    batch = simulate_batch(
        scenario, replicates, on_day=lambda _day: None, should_stop=lambda: False
    )
    return combine([batch], scenario, partial=False)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_executor_gives_the_batch_runners_tables_in_scenario_order(workers: int) -> None:
    seen: list[tuple[int, Batch]] = []
    found = simulate_here(
        [SCENARIO, OTHER], workers=workers, on_batch=lambda i, b: seen.append((i, b))
    )
    for (trajectories, replicates), scenario in zip(found, (SCENARIO, OTHER), strict=True):
        want = _direct(scenario, range(scenario.replicates))
        assert trajectories.equals(want[0], check_metadata=True)
        assert replicates.equals(want[1], check_metadata=True)
    for index, scenario in enumerate((SCENARIO, OTHER)):
        reported = sorted(k for i, b in seen if i == index for k in b.replicates)
        assert reported == list(range(scenario.replicates))


def test_the_first_replicate_offsets_every_batch() -> None:
    ((trajectories, replicates),) = simulate_here([SCENARIO], first=4)
    assert replicates.column("replicate").to_pylist() == list(range(4, 10))
    want = _direct(SCENARIO, range(4, 10))
    assert trajectories.equals(want[0])
    assert replicates.equals(want[1])


def test_an_unknown_start_method_is_refused_naming_the_choices() -> None:
    with pytest.raises(ValueError, match="thread"):
        LocalExecutor(1, start_method="fork")
