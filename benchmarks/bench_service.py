"""Benchmark of the gRPC service on loopback (a benchmark, not a test).

Measures, against a real server:

* unary ``GetRun`` calls per second with 1 client and with 50 concurrent clients
  (each its own channel, spread over 2 client processes on uvloop so the client side
  costs as little as it can); the median (and range) of 3 consecutive windows; target
  >= 2000/s with 50 clients;
* ``Simulate`` round trips per second for a tiny scenario (1 replicate, 1 day);
* ``StreamResults`` throughput in MB/s for a ~100 MB trajectory table (Arrow IPC bytes
  received), and the same read into a pandas DataFrame by :class:`escapesim.service.client.Client`;
  target >= 100 MB/s.

With ``--latency``, instead: GetRun and CreateRun latency percentiles (p50/p90/p99)
under the load of 100 concurrent clients (2 client processes), each calling GetRun and,
every tenth call, CreateRun of a tiny scenario (a new run: a store commit each).

Usage::

    python benchmarks/bench_service.py                 # starts its own server
    python benchmarks/bench_service.py --addr HOST:PORT --token T   # an existing server
    python benchmarks/bench_service.py --latency --seconds 10       # latency percentiles

The 100 MB result is a run with a fixed ``request_id``: against a server with a data
directory that already holds it, it is not simulated again (CreateRun is idempotent).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc

from escapesim import engine
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import event_loop, rpc
from escapesim.service.client import Client
from escapesim.service.store.run_record import RunState
from escapesim.service.testing import ServerProcess

TINY = {"preset": "kuznetsov1994", "horizon_days": 1, "replicates": 1}
BYTES_PER_ROW = 28  # replicate int32 + t float64 + E, T int64 (kuznetsov1994)
SAMPLES_PER_REPLICATE = 200_001  # horizon 2000 days sampled every 0.01 day
#: Time given to the concurrent client processes to start before they all begin at once.
STARTUP_SECONDS = 8.0


def _big_scenario(megabytes: float) -> dict[str, Any]:
    """A scenario whose trajectory table is about ``megabytes`` of Arrow data.

    All rates are zero, so simulating it costs the sampling alone.
    """
    network = engine.network("kuznetsov1994")
    assert network is not None
    replicates = max(1, round(megabytes * 1e6 / (BYTES_PER_ROW * SAMPLES_PER_REPLICATE)))
    return {
        "preset": "kuznetsov1994",
        "parameters": {p.name: 0.0 for p in network.parameters},
        "horizon_days": 2000,
        "interval_days": 0.01,
        "replicates": replicates,
        "seed": 1,
    }


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("nan")


def bench_get_run_sequential(client: Client, run_id: str, seconds: float) -> float:
    """GetRun calls per second, one at a time."""
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        client.get_run(run_id)
        count += 1
    return _rate(count, time.perf_counter() - start)


Metadata = tuple[tuple[str, str], ...]


async def _hammer(address: str, metadata: Metadata, run_id: str, clients: int,
                  start_at: float, windows: int, seconds: float) -> list[int]:  # fmt: skip
    """Calls completed by ``clients`` concurrent clients in each of ``windows`` windows."""
    method = next(m for m in rpc.METHODS if m.name == "GetRun")
    request = pb.GetRunRequest(run_id=run_id)
    # Every client process starts at the same wall-clock moment, after its own start-up,
    # and counts calls in the same wall-clock windows.
    await asyncio.sleep(max(start_at - time.time(), 0.0))
    ends = [time.perf_counter() + seconds * (k + 1) for k in range(windows)]
    counts = [0] * windows

    async def one() -> None:
        async with grpc.aio.insecure_channel(address) as channel:
            call = channel.unary_unary(
                method.path,
                request_serializer=method.request.SerializeToString,
                response_deserializer=method.response.FromString,
                _registered_method=True,
            )
            for window, end in enumerate(ends):
                while time.perf_counter() < end:
                    await call(request, metadata=metadata, timeout=30)
                    counts[window] += 1

    await asyncio.gather(*(one() for _ in range(clients)))
    return counts


def _hammer_process(args: tuple[str, Metadata, str, int, float, int, float]) -> list[int]:
    # The load generator runs on the server's loop (uvloop): on the standard loop the
    # client processes cost as much CPU per call as the server and, on 2 cores, they
    # and not the server set the rate.
    return event_loop.run(_hammer(*args))


def bench_get_run_concurrent(address: str, token: str | None, run_id: str, clients: int,
                             processes: int, seconds: float,
                             windows: int = 3) -> list[float]:  # fmt: skip
    """GetRun calls per second from ``clients`` concurrent clients spread over
    ``processes``, in each of ``windows`` consecutive windows of ``seconds``."""
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    shares = [clients // processes + (i < clients % processes) for i in range(processes)]
    start_at = time.time() + STARTUP_SECONDS
    jobs = [
        (address, metadata, run_id, share, start_at, windows, seconds) for share in shares if share
    ]
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        per_process = pool.map(_hammer_process, jobs)
    return [_rate(sum(counts), seconds) for counts in zip(*per_process, strict=True)]


async def _mixed(address: str, metadata: Metadata, run_id: str, clients: int,
                 start_at: float, seconds: float) -> dict[str, list[float]]:  # fmt: skip
    """Latencies (s) of GetRun and CreateRun calls by ``clients`` concurrent clients."""
    methods = {m.name: m for m in rpc.METHODS}
    get = pb.GetRunRequest(run_id=run_id)
    create = pb.CreateRunRequest(scenario=pb.Scenario(preset="kuznetsov1994", horizon_days=1))
    found: dict[str, list[float]] = {"GetRun": [], "CreateRun": [], "refused": []}
    await asyncio.sleep(max(start_at - time.time(), 0.0))
    end = time.perf_counter() + seconds

    async def one() -> None:
        async with grpc.aio.insecure_channel(address) as channel:
            calls = {
                name: channel.unary_unary(
                    methods[name].path,
                    request_serializer=methods[name].request.SerializeToString,
                    response_deserializer=methods[name].response.FromString,
                    _registered_method=True,
                )
                for name in ("GetRun", "CreateRun")
            }
            count = 0
            while time.perf_counter() < end:
                name, request = ("CreateRun", create) if count % 10 == 9 else ("GetRun", get)
                count += 1
                started = time.perf_counter()
                try:
                    await calls[name](request, metadata=metadata, timeout=60)
                except grpc.aio.AioRpcError as error:
                    if error.code() is not grpc.StatusCode.RESOURCE_EXHAUSTED:
                        raise
                    found["refused"].append(time.perf_counter() - started)
                    continue
                found[name].append(time.perf_counter() - started)

    await asyncio.gather(*(one() for _ in range(clients)))
    return found


def _mixed_process(args: tuple[str, Metadata, str, int, float, float]) -> dict[str, list[float]]:
    return event_loop.run(_mixed(*args))


def bench_latency(address: str, token: str | None, run_id: str, clients: int,
                  processes: int, seconds: float) -> dict[str, float]:  # fmt: skip
    """p50/p90/p99 latency (ms) of GetRun and CreateRun under ``clients`` concurrent clients."""
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    shares = [clients // processes + (i < clients % processes) for i in range(processes)]
    start_at = time.time() + STARTUP_SECONDS
    jobs = [(address, metadata, run_id, share, start_at, seconds) for share in shares if share]
    with multiprocessing.get_context("spawn").Pool(len(jobs)) as pool:
        per_process = pool.map(_mixed_process, jobs)
    report: dict[str, float] = {}
    for name in ("GetRun", "CreateRun"):
        latencies = sorted(t for found in per_process for t in found[name])
        report[f"{name}_calls"] = float(len(latencies))
        for q in (50, 90, 99):
            index = min(len(latencies) - 1, int(len(latencies) * q / 100))
            report[f"{name}_p{q}_ms"] = latencies[index] * 1e3 if latencies else float("nan")
    report["CreateRun_refused"] = float(sum(len(found["refused"]) for found in per_process))
    return report


def run_latency(address: str, token: str | None, seconds: float) -> dict[str, float]:
    """The ``--latency`` measurement against the server at ``address``."""
    with Client(address, token=token, timeout=60) as client:
        small = client.wait(client.create_run(TINY, request_id="bench-get-run").run_id).run_id
    return bench_latency(address, token, small, clients=100, processes=2, seconds=seconds)


def bench_simulate(client: Client, seconds: float) -> float:
    """Simulate round trips per second for a tiny scenario."""
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in client.simulate(TINY, timeout=30):
            pass
        count += 1
    return _rate(count, time.perf_counter() - start)


def bench_stream(address: str, token: str | None, run_id: str) -> tuple[float, float]:
    """(MB received, MB/s) of StreamResults for the trajectories of ``run_id``."""
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    options = [("grpc.max_receive_message_length", 8 * 1024 * 1024)]
    with grpc.insecure_channel(address, options=options) as channel:
        stream = rpc.callables(channel)["StreamResults"]
        request = pb.StreamResultsRequest(run_id=run_id, tables=[pb.RESULT_TABLE_TRAJECTORIES])
        received, start = 0, time.perf_counter()
        for reply in stream(request, metadata=metadata, timeout=600):
            received += len(reply.arrow_ipc)
        elapsed = time.perf_counter() - start
    return received / 1e6, received / 1e6 / elapsed


def _timed(label: str, function: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    value = function()
    print(f"  ({label}: {time.perf_counter() - start:.1f} s)", file=sys.stderr)
    return value


def run(address: str, token: str | None, seconds: float, megabytes: float) -> dict[str, float]:
    """Every measurement against the server at ``address``."""
    report: dict[str, float] = {}
    with Client(address, token=token, timeout=60) as client:
        small = client.wait(client.create_run(TINY, request_id="bench-get-run").run_id).run_id
        report["get_run_per_s_1_client"] = bench_get_run_sequential(client, small, seconds)
        rates = bench_get_run_concurrent(
            address, token, small, clients=50, processes=2, seconds=seconds
        )
        report["get_run_per_s_50_clients"] = statistics.median(rates)
        report["get_run_per_s_50_clients_min"] = min(rates)
        report["get_run_per_s_50_clients_max"] = max(rates)
        report["simulate_round_trips_per_s"] = bench_simulate(client, seconds)
        big = client.create_run(_big_scenario(megabytes), request_id=f"bench-{megabytes:g}mb")
        final = _timed("simulating the big result", lambda: client.wait(big.run_id, timeout=3600))
        if final.state is not RunState.SUCCEEDED:
            raise RuntimeError(f"the big run ended {final.state}: {final.error}")
        mb, rate = bench_stream(address, token, big.run_id)
        report["stream_results_mb"] = mb
        report["stream_results_mb_per_s"] = rate
        start = time.perf_counter()
        frame = client.results(big.run_id)
        report["results_dataframe_mb_per_s"] = mb / (time.perf_counter() - start)
        report["results_rows"] = float(len(frame))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--addr", help="an existing server (default: start one)")
    parser.add_argument("--token", help="bearer token for an existing server")
    parser.add_argument("--seconds", type=float, default=5.0, help="per measurement")
    parser.add_argument("--megabytes", type=float, default=100.0, help="result size")
    parser.add_argument("--data", type=Path, help="data directory of the started server")
    parser.add_argument("--latency", action="store_true", help="latency percentiles instead")
    args = parser.parse_args(argv)

    def measure(address: str, token: str | None) -> dict[str, float]:
        if args.latency:
            return run_latency(address, token, args.seconds)
        return run(address, token, args.seconds, args.megabytes)

    if args.addr:
        report = measure(args.addr, args.token)
    else:
        with tempfile.TemporaryDirectory() as scratch:
            data = args.data or Path(scratch) / "data"
            env = {"ESCAPESIM_WORKERS": "2", "ESCAPESIM_SIMULATE_WORKERS": "1",
                   "ESCAPESIM_LOG_LEVEL": "WARNING"}  # fmt: skip
            if args.latency:  # every CreateRun a new run: let the queue hold them all
                env["ESCAPESIM_MAX_QUEUED_RUNS"] = "1000000"
            with ServerProcess(data, env=env, log=Path(scratch) / "server.log") as server:
                report = measure(server.address, None)
    print(json.dumps({k: round(v, 1) for k, v in report.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
