"""Forks of stored checkpoints through the executors against fresh replicates (issue 14).

The workload of a forked trial: ``--forks`` replicates of the anti-PD-1 trial's scenario
(``bench_ensembles.escape_case``: T_p = 1e4, the escape mechanisms off) are grown to day
``--day`` and checkpointed (in this process, not timed: a stored run already holds
them). Each checkpoint is then forked into 2 arms (untreated; anti-PD-1 on days 7, 21, 35
at dose 10) that run 180 days past the fork, as ForkRun runs them: one executor job per
arm and replicate, its worker restoring the stored checkpoint
(:class:`escapesim.engine.branching.StoredBranch`). The reference is the same number of
fresh replicates of the same two arms from day 0 to day 180, one job each as well.

Both run through :class:`escapesim.service.workers.local.LocalExecutor` (2 spawned
workers) and :class:`service.workers.dask_cluster.DaskExecutor` (a LocalCluster of 2),
in alternating chunks of ``--chunk`` replicates so that the load of the shared machine
hits both alike; the executor is started (and warmed) before timing. Printed per
executor: wall seconds and replicates per second of each, and the throughput ratio
forks / fresh (issue 14's target: within 10 %, i.e. >= 0.90). The same replicates
simulated in this process (no executor), and the seconds the workers spent inside the
batches, give the ratio the dynamics alone make (a forked arm's 180 days start from an
older tumour than a fresh one's), to tell the executors' share from the model's. With
``--day 0`` the forks continue day-0 checkpoints: the same dynamics as the fresh
replicates (bitwise the same results), so the ratio is the fork machinery's alone.

    .venv/bin/python benchmarks/bench_fork_throughput.py [--forks 1000] [--chunk 10] [--day 7]
        [--executors local dask] [--in-process 40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_ensembles import escape_case

from escapesim.engine import Scenario, Simulation
from escapesim.engine.branching import StoredBranch
from escapesim.engine.fork_arm import ArmChange, arm_scenario
from escapesim.service.workers.local import Executor, LocalExecutor

WORKERS = 2
#: Jobs in flight at once: enough that a worker always finds the next one waiting.
IN_FLIGHT = 3 * WORKERS
HORIZON = 180.0
TARGET = 0.90
ANTI_PD1 = {"kind": "anti_pd1", "at_days": [7.0, 21.0, 35.0], "dose": 10.0}

Job = tuple[Scenario, int, StoredBranch | None]


def _workloads(forks: int, day: float) -> tuple[list[Job], list[Job]]:
    """(fork jobs, fresh jobs): both arms of every replicate, in replicate order."""
    trial = escape_case(1).ensemble.scenario
    parent = trial.with_changes(horizon_days=day + HORIZON, checkpoint_days=[day])
    changes = [ArmChange(name="untreated"), ArmChange(name="anti_pd1", add_therapies=(ANTI_PD1,))]
    arms = [arm_scenario(parent, day, change) for change in changes]
    fresh = [trial.with_changes(replicates=1), trial.with_changes(replicates=1,
             therapies=[ANTI_PD1])]  # fmt: skip
    forked: list[Job] = []
    started: list[Job] = []
    for k in range(forks):
        growing = Simulation(parent, k)
        growing.run_until(day)
        stored = StoredBranch(parent, day, ((k, growing.checkpoint().to_bytes()),))
        forked += [(arm, k, stored) for arm in arms]
        started += [(arm, k, None) for arm in fresh]
    return forked, started


async def _through(executor: Executor, jobs: Sequence[Job]) -> tuple[float, float]:
    """Wall seconds to run ``jobs`` with :data:`IN_FLIGHT` of them at once, and the
    seconds the workers spent in them (each batch's own measure: the simulations and
    their tables, without scheduling, pickling or transfer)."""
    pending = list(jobs)
    start = time.perf_counter()
    inside = [0.0]

    async def worker() -> None:
        while pending:
            scenario, first, branch = pending.pop()
            async for batch in executor.submit(scenario, first=first, branch=branch).batches():
                inside[0] += batch.seconds

    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    return time.perf_counter() - start, inside[0]


async def _executor_run(kind: str, forked: list[Job], fresh: list[Job], chunk: int) -> None:
    executor: Executor
    if kind == "local":
        executor = LocalExecutor(WORKERS, batch_seconds=1.0, start_method="spawn")
    else:
        from escapesim.service.workers.dask_cluster import DaskExecutor

        executor = DaskExecutor(workers=WORKERS, batch_seconds=1.0)
    await executor.start()
    try:
        await _through(executor, forked[:WORKERS] + fresh[:WORKERS])  # every worker warm
        seconds = {"forks": 0.0, "fresh": 0.0}
        inside = {"forks": 0.0, "fresh": 0.0}
        for i, start in enumerate(range(0, len(forked), 2 * chunk)):
            part = slice(start, start + 2 * chunk)
            kinds = [("forks", forked), ("fresh", fresh)]
            # Which goes first alternates too: a load that rises or falls through a pair
            # of chunks then favours neither.
            for name, jobs in kinds if i % 2 == 0 else kinds[::-1]:
                wall, spent = await _through(executor, jobs[part])
                seconds[name] += wall
                inside[name] += spent
    finally:
        await executor.close()
    _report(f"{kind} executor ({WORKERS} workers)", len(forked), seconds)
    print(f"    worker seconds in the batches: forks {inside['forks']:.1f}, fresh "
          f"{inside['fresh']:.1f} (ratio fresh / forks {inside['fresh'] / inside['forks']:.3f}"
          "; the dynamics' and the machine's share of the throughput ratio)")  # fmt: skip


def _in_process(forked: list[Job], fresh: list[Job], count: int) -> None:
    seconds = {"forks": 0.0, "fresh": 0.0}
    for (arm, k, stored), (scenario, j, _) in zip(forked[:count], fresh[:count], strict=True):
        assert stored is not None
        start = time.perf_counter()
        stored.simulation(arm, k).run()
        seconds["forks"] += time.perf_counter() - start
        start = time.perf_counter()
        Simulation(scenario, j).run()
        seconds["fresh"] += time.perf_counter() - start
    _report("in this process (no executor)", min(count, len(forked)), seconds)


def _report(where: str, replicates: int, seconds: dict[str, float]) -> None:
    rates = {k: replicates / s for k, s in seconds.items()}
    ratio = rates["forks"] / rates["fresh"]
    print(f"  {where}: forks {seconds['forks']:.1f} s ({rates['forks']:.2f}/s), fresh "
          f"{seconds['fresh']:.1f} s ({rates['fresh']:.2f}/s); forks / fresh throughput "
          f"{ratio:.3f} ({'meets' if ratio >= TARGET else 'misses'} >= {TARGET})")  # fmt: skip


def main() -> None:
    """Print the throughput of forks and fresh replicates per executor, and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--forks", type=int, default=1000, help="checkpoints forked")
    parser.add_argument("--day", type=float, default=7.0, help="the fork (checkpoint) day")
    parser.add_argument("--chunk", type=int, default=10, help="forks per alternating chunk")
    parser.add_argument("--executors", nargs="*", default=["local", "dask"])
    parser.add_argument("--in-process", type=int, default=40, help="replicates timed here")
    args = parser.parse_args()
    forked, fresh = _workloads(args.forks, args.day)
    print(f"escape2004 trial, {args.forks} checkpoints on day {args.day:g} x 2 arms x "
          f"{HORIZON:g} days = {len(forked)} forks, against {len(fresh)} fresh replicates; "
          f"load {os.getloadavg()[0]:.2f}")  # fmt: skip
    _in_process(forked, fresh, args.in_process)
    for kind in args.executors:
        asyncio.run(_executor_run(kind, forked, fresh, args.chunk))
        print(f"    (load {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
