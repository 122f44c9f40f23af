"""Benchmark ensembles through the executors: the local spawn pool and Dask (issue 5).

Run ``make bench-ensembles`` or ``.venv/bin/python benchmarks/bench_ensembles.py
[--kuznetsov-replicates N] [--escape-replicates N] [--quick]``. In one run it times two
ensembles:

* ``kuznetsov1994``: one cell of 1000 replicates over 365 days (the preset's BCL1
  defaults, sampled daily);
* ``escape2004``: the virtual trial of ``examples/ensemble_escape2004_anti_pd1.yaml`` at
  its middle founder size (``T_p`` = 1e4, 180 days), two arms (untreated, anti-PD-1) of
  ``--escape-replicates`` replicates each (default 200, issue 5's size);

each three ways:

1. in this process, replicate after replicate with :func:`engine.simulate` (the
   one-process reference, and the per-replicate compute the overheads are measured
   against), in parts interleaved with the executor runs so that each executor is
   compared with the machine's speed at the time it ran (:func:`interleaved`);
2. through :class:`escapesim.service.workers.local.LocalExecutor` (2 spawned worker processes);
3. through :class:`service.workers.dask_cluster.DaskExecutor` on a ``distributed.LocalCluster``
   of 2 single-threaded worker processes.

The executors are driven the way the service drives them
(:mod:`service.jobs.ensembles`): one job per cell, ``cells_at_once`` = 2 cells in flight, and
each finished cell's batches combined into its tables. Starting and closing an executor
is timed apart from the ensembles (a running service pays it once, not per ensemble).

Reported per row: wall and CPU time (the CPU of this process and of every live descendant:
pool workers, Dask nannies and workers), replicates per second, and

* parallel efficiency = in-process wall / (workers × executor wall); the target of issue
  5 is ≥ 80% on 2 workers, for both executors;
* overhead per task = (workers × executor wall − in-process compute) / tasks: the
  worker-seconds each task costs beyond the simulation itself. It splits into *in task*
  (Σ the tasks' own measured seconds − in-process compute: building the Arrow tables,
  progress and stop polling, and any slowdown from two simulations sharing the machine)
  and *outside* (workers × wall − Σ task seconds: scheduling, pickling, transfer,
  combining, and workers idle at the tail). With one worker this is exactly "executor wall
  minus summed per-replicate compute, over the task count".

The machine is small and shared, so the 1-minute load average is printed before every
measurement; with ``--wait-load`` the run first waits (up to ``--max-wait`` minutes) for
it to fall below that value.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import platform
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import psutil
import pyarrow as pa
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from stopwatch import Lap, Stopwatch

from escapesim.engine import Scenario, simulate
from escapesim.engine.ensemble import Cell, Ensemble
from escapesim.service.workers.batches import Batch, combine, warm_up
from escapesim.service.workers.local import Executor, LocalExecutor

#: Worker processes of both executors.
WORKERS = 2
#: Cells (executor jobs) in flight at once, as the service's ensemble lifecycle does.
CELLS_AT_ONCE = 2
#: Target of issue 5.
TARGET_EFFICIENCY = 0.80
#: Replicates of the kuznetsov1994 ensemble (issue 5: 1000).
KUZNETSOV_REPLICATES = 1000
#: Replicates per arm of the escape2004 ensemble (issue 5: 200). At ~0.17 s a replicate
#: (180 days, this scenario; compiled kernel) the whole run takes about 3 minutes.
ESCAPE_REPLICATES = 200


@dataclass(frozen=True)
class Case:
    """One ensemble to time."""

    name: str
    ensemble: Ensemble
    description: str

    @property
    def replicates(self) -> int:
        """Replicates over all cells."""
        return self.ensemble.replicates * self.ensemble.size


def kuznetsov_case(replicates: int) -> Case:
    """kuznetsov1994 with its BCL1 defaults, 365 days sampled daily, one cell."""
    scenario = Scenario.build(
        preset="kuznetsov1994", horizon_days=365.0, interval_days=1.0, seed=1994
    )
    ensemble = Ensemble(scenario=scenario, replicates=replicates)
    return Case("kuznetsov1994", ensemble, f"1 cell × {replicates} replicates, 365 days")


def escape_case(replicates: int) -> Case:
    """The anti-PD-1 trial of ``examples/ensemble_escape2004_anti_pd1.yaml`` at T_p = 1e4."""
    ensemble = Ensemble.from_dict(
        {
            "scenario": {
                "preset": "escape2004",
                "initial": {"T": 0.0, "T_p": 1e4},
                "mechanisms": {
                    "suppression": False,
                    "counterattack": False,
                    "variants": False,
                    "regulation": False,
                },
                "horizon_days": 180.0,
                "seed": 2004,
            },
            "replicates": replicates,
            "arms": [
                {"name": "untreated"},
                {
                    "name": "anti_pd1",
                    "therapies": [{"kind": "anti_pd1", "at_days": [7, 21, 35], "dose": 10}],
                },
            ],
            "control": "untreated",
        }
    )
    return Case(
        "escape2004", ensemble, f"2 arms × {replicates} replicates, 180 days (anti-PD-1 trial)"
    )


# -- measuring ----------------------------------------------------------------------------


def tree_cpu() -> float:
    """CPU seconds of this process, its reaped children and every live descendant."""
    me = psutil.Process()
    times = me.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in me.children(recursive=True):
        try:
            child_times = child.cpu_times()
        except psutil.Error:  # ended in between: its time is in its parent's children_*
            continue
        total += child_times.user + child_times.system
    return float(total)


def machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (every core, every process) since boot."""
    times = psutil.cpu_times()
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


class TreeWatch:
    """Wall and process-tree CPU time of a stretch of work (live workers included), and
    the CPU time every other process on the machine took meanwhile.

    :class:`stopwatch.Stopwatch` counts children only once they are reaped; pool and
    Dask workers outlive the ensembles, so their time is read from the live processes.
    """

    def __init__(self) -> None:
        self._wall = time.perf_counter()
        self._cpu = tree_cpu()
        self._busy = machine_busy()
        self.others = 0.0

    def lap(self) -> Lap:
        """Seconds since creation or the previous lap, and restart (``others`` is set to
        the CPU seconds of the rest of the machine over the lap)."""
        wall, cpu, busy = time.perf_counter(), tree_cpu(), machine_busy()
        lap = Lap(wall - self._wall, cpu - self._cpu)
        self.others = max(0.0, (busy - self._busy) - lap.cpu)
        self._wall, self._cpu, self._busy = wall, cpu, busy
        return lap


def load1() -> float:
    """The 1-minute load average."""
    return os.getloadavg()[0]


def loads() -> str:
    """The 1, 5 and 15-minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Reference:
    """Replicates of a case simulated in this process, one after another."""

    case: Case
    replicates: int
    total: Lap
    compute: float  # Σ per-replicate wall seconds of engine.simulate
    compute_cpu: float
    load: float
    others: float  # CPU seconds of other processes on the machine meanwhile
    outcomes: dict[str, int]

    @classmethod
    def combine(cls, case: Case, parts: Sequence[Reference]) -> Reference:
        """The parts as one measurement (their sums; the load of the first)."""
        outcomes: dict[str, int] = {}
        for part in parts:
            for key, count in part.outcomes.items():
                outcomes[key] = outcomes.get(key, 0) + count
        return cls(
            case,
            sum(p.replicates for p in parts),
            Lap(sum(p.total.wall for p in parts), sum(p.total.cpu for p in parts)),
            sum(p.compute for p in parts),
            sum(p.compute_cpu for p in parts),
            parts[0].load,
            sum(p.others for p in parts),
            outcomes,
        )

    def scaled(self, replicates: int) -> Reference:
        """What this measurement's per-replicate cost predicts for ``replicates``."""
        k = replicates / self.replicates
        total = Lap(self.total.wall * k, self.total.cpu * k)
        return Reference(
            self.case, replicates, total, self.compute * k, self.compute_cpu * k,
            self.load, self.others * k, self.outcomes,
        )  # fmt: skip


def run_in_process(case: Case, part: int = 0, parts: int = 1) -> Reference:
    """Simulate every ``parts``-th replicate of the case, starting at ``part``, with
    :func:`engine.simulate`, timed one by one (strided, so every part mixes the cells)."""
    load = load1()
    outcomes: dict[str, int] = {}
    compute = compute_cpu = 0.0
    jobs = [(c, r) for c in case.ensemble.points() for r in range(c.scenario.replicates)]
    whole = TreeWatch()
    for cell, replicate in jobs[part::parts]:
        watch = Stopwatch()
        result = simulate(cell.scenario, replicate)
        lap = watch.lap()
        compute += lap.wall
        compute_cpu += lap.cpu
        key = f"{cell.arm}:{result.outcome.kind.value}"
        outcomes[key] = outcomes.get(key, 0) + 1
    total = whole.lap()
    count = len(jobs[part::parts])
    return Reference(case, count, total, compute, compute_cpu, load, whole.others, outcomes)


@dataclass
class ExecutorRun:
    """A case through an executor."""

    case: Case
    executor: str
    workers: int
    total: Lap
    load: float
    tasks: int
    task_seconds: float  # Σ Batch.seconds, measured in the workers
    replicates: int
    others: float  # CPU seconds of other processes on the machine meanwhile
    tables: list[tuple[pa.Table, pa.Table]] = field(default_factory=list)
    spread: str = ""
    #: The in-process cost this run is compared with (see :func:`interleaved`).
    reference: Reference | None = None


async def run_cells(
    executor: Executor, cells: Sequence[Cell], workers_used: set[str]
) -> list[tuple[Cell, list[Batch]]]:
    """Run ``cells`` through ``executor``, :data:`CELLS_AT_ONCE` jobs at a time, in order.

    Adds to ``workers_used`` the workers a Dask job reports having used.
    """
    finished: dict[int, list[Batch]] = {}
    queue: Iterator[int] = iter(range(len(cells)))

    async def worker() -> None:
        for index in queue:  # one shared iterator: each cell is taken once
            job = executor.submit(cells[index].scenario)
            finished[index] = [batch async for batch in job.batches()]
            workers_used.update(getattr(job, "workers_used", ()))

    async with asyncio.TaskGroup() as group:
        for _ in range(min(CELLS_AT_ONCE, len(cells))):
            group.create_task(worker())
    return [(cells[i], finished[i]) for i in range(len(cells))]


async def run_through(executor: Executor, name: str, case: Case) -> ExecutorRun:
    """Time ``case`` through a started ``executor`` (combining each cell's tables)."""
    load = load1()
    used: set[str] = set()
    watch = TreeWatch()
    done = await run_cells(executor, case.ensemble.points(), used)
    tables = [combine(batches, cell.scenario, partial=False) for cell, batches in done]
    total = watch.lap()
    batches = [batch for _, cell_batches in done for batch in cell_batches]
    return ExecutorRun(
        case=case,
        executor=name,
        workers=WORKERS,
        total=total,
        load=load,
        tasks=len(batches),
        task_seconds=sum(b.seconds for b in batches),
        replicates=sum(len(b.replicates) for b in batches),
        others=watch.others,
        tables=tables,
        spread=f"tasks ran on {len(used)} Dask workers" if used else "",
    )


async def bench_executor(
    kind: str, case: Case, batch_seconds: float, dask_config: Mapping[str, object]
) -> tuple[ExecutorRun, Lap, Lap]:
    """Start an executor of ``kind`` (``local`` or ``dask``), run ``case``, close it.

    ``dask_config`` overrides Dask settings for the cluster's lifetime (a diagnostic: the
    service runs Dask's defaults). Returns the run and the start and close times.
    """
    executor: Executor
    if kind == "local":
        executor = LocalExecutor(WORKERS, batch_seconds=batch_seconds, start_method="spawn")
        name = "LocalExecutor (spawn)"
    else:
        from escapesim.service.workers.dask_cluster import DaskExecutor

        executor = DaskExecutor(workers=WORKERS, batch_seconds=batch_seconds)
        name = "DaskExecutor (LocalCluster)"
        if dask_config:
            name = (
                "DaskExecutor (LocalCluster; "
                + ", ".join(f"{k}={v}" for k, v in dask_config.items())
                + ")"
            )

    with contextlib.ExitStack() as stack:
        if kind == "dask" and dask_config:
            import dask

            # Spawned nannies hand the parent's configuration to their worker processes.
            stack.enter_context(dask.config.set(dict(dask_config)))
        watch = TreeWatch()
        await executor.start()
        started = watch.lap()
        try:
            run = await run_through(executor, name, case)
            report(run)
        finally:
            watch.lap()
            await executor.close()
            closed = watch.lap()
    return run, started, closed


# -- reporting ----------------------------------------------------------------------------


def report(run: ExecutorRun) -> None:
    """A progress line."""
    print(
        f"  {run.case.name} via {run.executor}: {run.total.wall:.1f} s wall, "
        f"{run.total.cpu:.1f} s CPU, {run.tasks} tasks (load {run.load:.2f}; other "
        f"processes {run.others:.1f} CPU s)",
        flush=True,
    )


@dataclass(frozen=True)
class Figures:
    """The derived numbers of one executor run."""

    rate: float
    efficiency: float
    cpu_efficiency: float
    overhead: float
    in_task: float
    outside: float


def figures(run: ExecutorRun) -> Figures:
    """Replicates per second, efficiencies and overheads per task (seconds)."""
    reference = run.reference
    assert reference is not None, "every executor run is compared with a reference"
    worker_seconds = run.workers * run.total.wall
    return Figures(
        rate=run.replicates / run.total.wall,
        efficiency=reference.total.wall / worker_seconds,
        cpu_efficiency=reference.total.cpu / run.total.cpu,
        overhead=(worker_seconds - reference.compute) / run.tasks,
        in_task=(run.task_seconds - reference.compute) / run.tasks,
        outside=(worker_seconds - run.task_seconds) / run.tasks,
    )


def table(references: Sequence[Reference], runs: Sequence[ExecutorRun]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| ensemble | how | workers | replicates | tasks | wall s | CPU s | replicates/s "
        "| parallel efficiency | CPU efficiency | overhead/task ms (in task + outside) "
        "| load 1 min | others' CPU s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for reference in references:
        case = reference.case
        lines.append(
            f"| {case.name} | in-process engine.simulate | 1 | {case.replicates} | — "
            f"| {reference.total.wall:.1f} | {reference.total.cpu:.1f} "
            f"| {case.replicates / reference.total.wall:.2f} | (reference) | (reference) "
            f"| — | {reference.load:.2f} | {reference.others:.1f} |"
        )
        for run in runs:
            if run.case is not case:
                continue
            f = figures(run)
            lines.append(
                f"| {case.name} | {run.executor} | {run.workers} | {run.replicates} "
                f"| {run.tasks} | {run.total.wall:.1f} | {run.total.cpu:.1f} | {f.rate:.2f} "
                f"| {100 * f.efficiency:.1f}% | {100 * f.cpu_efficiency:.1f}% "
                f"| {1e3 * f.overhead:.0f} ({1e3 * f.in_task:.0f} + {1e3 * f.outside:.0f}) "
                f"| {run.load:.2f} | {run.others:.1f} |"
            )
    return "\n".join(lines)


def identical(runs: Sequence[ExecutorRun]) -> str:
    """Whether every executor produced the same tables for each case (it must)."""
    by_case: dict[str, list[ExecutorRun]] = {}
    for run in runs:
        by_case.setdefault(run.case.name, []).append(run)
    verdicts = []
    for name, group in by_case.items():
        first = group[0].tables
        same = all(
            len(run.tables) == len(first)
            and all(
                a[0].equals(b[0]) and a[1].equals(b[1])
                for a, b in zip(run.tables, first, strict=True)
            )
            for run in group[1:]
        )
        verdicts.append(f"{name}: {'identical' if same else 'DIFFERENT'}")
    return "; ".join(verdicts)


def machine() -> str:
    """A one-line description of this machine and the software."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    from importlib.metadata import version

    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, distributed {version('distributed')}, "
        f"pyarrow {pa.__version__}"
    )


def wait_for_quiet(threshold: float, minutes: float) -> None:
    """Wait (polling every minute, up to ``minutes``) until the 1-minute load < threshold."""
    deadline = time.monotonic() + 60 * minutes
    while load1() >= threshold and time.monotonic() < deadline:
        print(f"# load average {loads()}: waiting for < {threshold} ...", flush=True)
        time.sleep(min(60.0, max(1.0, deadline - time.monotonic())))
    state = "below" if load1() < threshold else "STILL ABOVE (gave up waiting)"
    print(f"# load average {loads()}: {state} {threshold}", flush=True)


def interleaved(
    case: Case, kinds: Sequence[str], batch_seconds: float, dask_config: Mapping[str, object]
) -> tuple[Reference, list[ExecutorRun]]:
    """The in-process reference in parts interleaved with the executor runs:
    reference part 0, executor 1, part 1, executor 2, part 2.

    This machine's speed drifts by ±20% over minutes (the same replicates took 96 and
    123 ms each half an hour apart), more than the overheads being measured. Each
    executor is compared with the two reference parts measured just before and just
    after it, scaled to the whole case, which cancels a drift that is linear in time.
    The parts together simulate every replicate once (the reference row of the table).
    """
    parts = [_in_process_part(case, 0, len(kinds) + 1)]
    runs: list[ExecutorRun] = []
    for i, kind in enumerate(kinds):
        run, start, close = asyncio.run(bench_executor(kind, case, batch_seconds, dask_config))
        parts.append(_in_process_part(case, i + 1, len(kinds) + 1))
        neighbours = Reference.combine(case, parts[i : i + 2])
        run.reference = neighbours.scaled(case.replicates)
        run.spread = (
            f"start {start.wall:.1f} s wall ({start.cpu:.1f} s CPU), close {close.wall:.1f} s "
            f"wall; reference {1e3 * neighbours.compute / neighbours.replicates:.1f} ms/replicate "
            f"(parts {i} and {i + 1})" + (f"; {run.spread}" if run.spread else "")
        )
        runs.append(run)
    return Reference.combine(case, parts), runs


def _in_process_part(case: Case, part: int, parts: int) -> Reference:
    ref = run_in_process(case, part, parts)
    print(
        f"  {case.name} in process, part {part} of {parts}: {ref.replicates} replicates, "
        f"{ref.total.wall:.1f} s wall, {ref.total.cpu:.1f} s CPU "
        f"({1e3 * ref.compute / max(ref.replicates, 1):.1f} ms/replicate; load {ref.load:.2f}; "
        f"other processes {ref.others:.1f} CPU s; outcomes {ref.outcomes})",
        flush=True,
    )
    return ref


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table (exit status 1 on a missed target if --strict)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--kuznetsov-replicates", type=int, default=KUZNETSOV_REPLICATES, metavar="N"
    )
    parser.add_argument(
        "--escape-replicates",
        type=int,
        default=ESCAPE_REPLICATES,
        metavar="N",
        help=f"replicates per arm (default {ESCAPE_REPLICATES}, issue 5's size; 0 skips it)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 100 kuznetsov1994, 2 × 4 escape2004"
    )
    parser.add_argument(
        "--executors", default="local,dask", help="comma-separated: local, dask (default both)"
    )
    parser.add_argument(
        "--batch-seconds", type=float, default=1.0, help="the executors' target task length"
    )
    parser.add_argument(
        "--wait-load",
        type=float,
        default=None,
        metavar="LOAD",
        help="first wait until the 1-minute load average is below LOAD",
    )
    parser.add_argument("--max-wait", type=float, default=15.0, metavar="MINUTES")
    parser.add_argument(
        "--dask-config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Dask setting for the Dask rows (diagnostic; VALUE parsed as YAML), e.g. "
        "distributed.worker.profile.enabled=false",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a target is missed"
    )
    args = parser.parse_args(argv)
    kuznetsov = 100 if args.quick else args.kuznetsov_replicates
    escape = 4 if args.quick else args.escape_replicates
    kinds = [k.strip() for k in args.executors.split(",") if k.strip()]
    dask_config: dict[str, object] = {}
    for setting in args.dask_config:
        key, sep, value = setting.partition("=")
        if not sep or not key.strip():
            parser.error(f"--dask-config: expected KEY=VALUE, got {setting!r}")
        dask_config[key.strip()] = yaml.safe_load(value)
    if not set(kinds) <= {"local", "dask"}:
        parser.error("--executors: choose from local, dask")

    print(f"# escapesim ensemble benchmark — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"# {machine()}", flush=True)
    if args.wait_load is not None:
        wait_for_quiet(args.wait_load, args.max_wait)
    print(f"# load average at start: {loads()}", flush=True)
    # 0 replicates leaves a case out.
    cases = [kuznetsov_case(kuznetsov)] if kuznetsov else []
    cases += [escape_case(escape)] if escape else []
    for case in cases:
        print(f"# {case.name}: {case.description}")
    print(
        f"# executors: {WORKERS} workers, batch_seconds={args.batch_seconds}, "
        f"{CELLS_AT_ONCE} cells in flight",
        flush=True,
    )
    started = time.perf_counter()

    warm_up()
    references: list[Reference] = []
    runs: list[ExecutorRun] = []
    lifecycle: list[str] = []
    for case in cases:
        reference, case_runs = interleaved(case, kinds, args.batch_seconds, dask_config)
        references.append(reference)
        runs += case_runs
        lifecycle += [f"{case.name}, {run.executor}: {run.spread}" for run in case_runs]

    print()
    print(table(references, runs))
    print()
    print(
        "parallel efficiency = in-process wall (from the reference parts run just before and "
        "after the row, scaled to the whole case) / (workers × executor wall); CPU efficiency = "
        "in-process CPU / executor CPU (this process and every live descendant); "
        "overhead/task = (workers × wall − Σ in-process per-replicate compute) / tasks, split "
        "into in task (Σ task seconds measured in the workers − compute: Arrow tables, "
        "progress/stop polling, two simulations sharing the machine) and outside (workers × "
        "wall − Σ task seconds: scheduling, pickling, transfer, combining, idle tail). "
        "others' CPU s = CPU time the rest of the machine (other users' jobs, and time the "
        "hypervisor stole) took during the row: on 2 cores, every second of it is taken "
        "from the executor's workers. "
        "Executor start and close are not in the rows:"
    )
    for line in lifecycle:
        print(f"  {line}")
    print(f"Results identical across executors: {identical(runs)}")
    print(f"# load average at end: {loads()}; whole run {time.perf_counter() - started:.0f} s")
    print()

    checks: list[tuple[str, bool, str]] = []
    for reference in references:
        for run in runs:
            if run.case is reference.case:
                efficiency = figures(run).efficiency
                checks.append(
                    (
                        f"{run.case.name} via {run.executor}: parallel efficiency ≥ "
                        f"{100 * TARGET_EFFICIENCY:.0f}% on {run.workers} workers",
                        efficiency >= TARGET_EFFICIENCY and run.replicates == run.case.replicates,
                        f"{100 * efficiency:.1f}%",
                    )
                )
    print("Targets (issue 5):")
    for name, ok, value in checks:
        print(f"  [{'PASS' if ok else 'FAIL'}] {name}: {value}")
    if escape != 200 or kuznetsov != 1000:
        print(
            f"  (sizes run: kuznetsov1994 {kuznetsov} replicates, escape2004 2 × {escape}; "
            "issue 5 names 1000 and 2 × 200)"
        )
    return 1 if args.strict and not all(ok for _, ok, _ in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
