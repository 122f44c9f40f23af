"""The API half of ``scripts/compose-smoke``: run an ensemble through the deployed server.

    python scripts/compose_smoke_check.py --addr 127.0.0.1:50051 --replicates 40

Creates a run of ``--replicates`` seeds of kuznetsov1994 (365 days), waits for it, reads
its result tables back over gRPC, and checks them against the same replicates simulated
here, in this process: the deployment must give byte-for-byte the tables the engine
gives, however the Dask workers split the work. Prints one JSON line on success (the
run id, so the caller can look up which workers ran it); exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from engine import Scenario
from service.batches import combine, simulate_batch
from service.client import Client

SCENARIO = {"preset": "kuznetsov1994", "horizon_days": 365.0, "seed": 2004}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addr", default="127.0.0.1:50051")
    parser.add_argument("--replicates", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()

    mapping = {**SCENARIO, "replicates": args.replicates}
    with Client(args.addr) as client:
        client.wait_ready(timeout=60)
        started = time.monotonic()
        run = client.create_run(mapping, request_id=f"compose-smoke-{int(time.time())}")
        final = client.wait(run.run_id, timeout=args.timeout)
        seconds = time.monotonic() - started
        if final.state.value != "succeeded" or final.replicates_done != args.replicates:
            print(f"run {run.run_id} ended {final.state.value}: {final}", file=sys.stderr)
            return 1
        tables = client.result_tables(run.run_id)

    scenario = Scenario.build(**mapping)  # type: ignore[arg-type]
    reference = simulate_batch(
        scenario, range(args.replicates), on_day=lambda _day: None, should_stop=lambda: False
    )
    want_trajectories, want_replicates = combine([reference], scenario, partial=False)
    problems = []
    if not tables["trajectories"].equals(want_trajectories, check_metadata=False):
        problems.append("trajectories differ from the engine's")
    if not tables["replicates"].equals(want_replicates, check_metadata=False):
        problems.append("replicate summaries differ from the engine's")
    outcomes = tables["replicates"].column("outcome").to_pylist()
    for problem in problems:
        print(f"compose-smoke: {problem}", file=sys.stderr)
    print(
        json.dumps(
            {
                "run_id": run.run_id,
                "replicates": args.replicates,
                "seconds": round(seconds, 1),
                "outcomes": {o: outcomes.count(o) for o in sorted(set(outcomes))},
                "trajectory_rows": tables["trajectories"].num_rows,
                "identical_to_engine": not problems,
            }
        )
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
