"""Sobol indices of escape2004 as a durable analysis of a real server (issue 15).

The issue's case: Sobol (first and total order, Saltelli design) over the 8 parameters of
``examples/sensitivity_escape.yaml`` (one per escape mechanism, each over a decade),
N = 256 base samples, 20 replicates per parameter set, stop at outcome: N·(D + 2) =
2,560 parameter sets, 51,200 simulated replicates. Each executor (the local process
pool, a Dask LocalCluster) serves a real in-process server on loopback with 2 workers;
the analysis is created over gRPC and followed to its end, as a client would. The
server is started and warmed (a tiny analysis) before the clock starts.

Printed per executor and case: parameter sets, replicates, wall seconds, replicates per
wall second, and the wall time the issue's case would take at that rate (sets are
independent jobs, so the time is linear in N·(D + 2)·replicates; ``--scaling`` measures
that with several N and D in the same run).

    .venv/bin/python benchmarks/bench_sobol.py                       # the issue's case
    .venv/bin/python benchmarks/bench_sobol.py --samples 16 32 --parameters 4 8 --scaling
    .venv/bin/python benchmarks/bench_sobol.py --executors local --samples 8
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from escapesim.service.api.settings import Settings
from escapesim.service.cli.sensitivity import load_file
from escapesim.service.client import Client
from escapesim.service.store.run_record import RunState
from escapesim.service.testing import InProcessServer

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sensitivity_escape.yaml"
WORKERS = 2
ISSUE_SETS = 256 * (8 + 2)


def sobol_spec(samples: int, parameters: int, replicates: int) -> dict[str, Any]:
    """The example's analysis as Sobol with ``samples`` base samples over its first
    ``parameters`` parameters."""
    spec = dict(load_file(str(EXAMPLE))[0])  # the CLI's reader (YAML's 3.16e3 as a number)
    names = list(spec["parameters"])[:parameters]
    spec.update(method="sobol", samples=samples, replicates=replicates,
                parameters={n: spec["parameters"][n] for n in names})  # fmt: skip
    return spec


@contextmanager
def served(executor: str, data: Path) -> Iterator[Client]:
    """A client of a real server on loopback whose executor is ``executor``."""
    previous = os.environ.get("ESCAPESIM_EXECUTOR")
    os.environ["ESCAPESIM_EXECUTOR"] = executor  # read by the server's executor choice
    flags = {"addr": "127.0.0.1:0", "data": str(data), "workers": WORKERS,
             "max_concurrent_runs": WORKERS}  # fmt: skip
    try:
        settings = Settings.load(environ={}, flags=flags)
        with InProcessServer(settings) as running, running.client() as client:
            yield client
    finally:
        if previous is None:
            os.environ.pop("ESCAPESIM_EXECUTOR", None)
        else:
            os.environ["ESCAPESIM_EXECUTOR"] = previous


def timed(client: Client, spec: dict[str, Any]) -> float:
    """Wall seconds of one analysis from its creation to its end (raises if it failed)."""
    start = time.perf_counter()
    made = client.create_analysis("sensitivity", spec)
    final = client.wait_analysis(made.analysis_id)
    if final.state is not RunState.SUCCEEDED:
        raise RuntimeError(f"analysis {made.analysis_id} ended {final.state}: {final.error}")
    return time.perf_counter() - start


def cases(args: argparse.Namespace) -> list[tuple[int, int]]:
    """(N, D) pairs to time: every combination with ``--scaling``, else the first D."""
    if args.scaling:
        return [(n, d) for d in args.parameters for n in args.samples]
    return [(n, args.parameters[0]) for n in args.samples]


def bench(executor: str, pairs: Sequence[tuple[int, int]], replicates: int) -> None:
    """Time every case on ``executor`` and print one line each."""
    with tempfile.TemporaryDirectory() as data, served(executor, Path(data)) as client:
        warm = time.perf_counter()
        timed(client, sobol_spec(2, 2, 2))
        print(f"{executor}: server and workers warmed in {time.perf_counter() - warm:.1f} s")
        for samples, parameters in pairs:
            sets = samples * (parameters + 2)
            seconds = timed(client, sobol_spec(samples, parameters, replicates))
            rate = sets * replicates / seconds
            issue = ISSUE_SETS * 20 / rate
            print(f"  N={samples:4d} D={parameters}: {sets:5d} sets x {replicates} replicates "
                  f"in {seconds:7.1f} s = {rate:6.1f} replicates/s; the issue's case "
                  f"(2,560 sets x 20) at this rate: {issue / 60:.1f} min; "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[256], help="base samples N")
    parser.add_argument("--parameters", type=int, nargs="+", default=[8], choices=range(1, 9))
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--executors", nargs="+", default=["local", "dask"],
                        choices=["local", "dask"])  # fmt: skip
    parser.add_argument("--scaling", action="store_true", help="every N with every D")
    args = parser.parse_args()
    print(f"escape2004 Sobol on {WORKERS} workers; load average {os.getloadavg()[0]:.1f}")
    for executor in args.executors:
        bench(executor, cases(args), args.replicates)


if __name__ == "__main__":
    main()
