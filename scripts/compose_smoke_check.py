"""The API half of ``scripts/compose-smoke``: runs and ensembles through the deployed server.

    python scripts/compose_smoke_check.py --addr 127.0.0.1:50051 --replicates 40
    python scripts/compose_smoke_check.py --addr 127.0.0.1:50051 --replicates 10 \
        --ensemble examples/ensemble_kuznetsov.yaml

Without ``--ensemble``: creates a run of ``--replicates`` seeds of kuznetsov1994 (365
days), waits for it, reads its result tables back over gRPC, and checks them against the
same replicates simulated here, in this process. With ``--ensemble FILE``: runs the
ensemble file (its ``replicates`` set to ``--replicates``) with ``escapesim ensemble
--server`` (CreateEnsemble, WatchEnsemble, StreamEnsembleResults) and locally with
``escapesim ensemble --workers 2``, and compares every Parquet table and the summary
document. The deployment must give byte-for-byte what the engine gives, however the Dask
workers split the work. Prints one JSON line on success; exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from escapesim.engine import Scenario
from escapesim.service.cli import main as escapesim
from escapesim.service.cli.ensemble_report import OUTPUT_FILES
from escapesim.service.client import Client
from escapesim.service.workers.batches import combine, simulate_batch

SCENARIO = {"preset": "kuznetsov1994", "horizon_days": 365.0, "seed": 2004}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addr", default="127.0.0.1:50051")
    parser.add_argument("--replicates", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--ensemble", metavar="FILE", help="check this ensemble file instead")
    args = parser.parse_args()
    if args.ensemble:
        return check_ensemble(args.addr, Path(args.ensemble), args.replicates)

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


def check_ensemble(address: str, path: Path, replicates: int) -> int:
    """Run ``path`` on the server and here; 0 if every output file is identical."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    spec["replicates"] = replicates
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        ensemble = work / "ensemble.yaml"
        ensemble.write_text(yaml.safe_dump(spec), encoding="utf-8")
        started = time.monotonic()
        remote = _ensemble_cli(str(ensemble), "--server", address, "--out", str(work / "remote"))
        seconds = time.monotonic() - started
        local = _ensemble_cli(str(ensemble), "--workers", "2", "--out", str(work / "local"))
        problems = [] if remote == local else ["the printed summaries differ"]
        for name in OUTPUT_FILES:
            ours, theirs = work / "local" / name, work / "remote" / name
            same = (
                pq.read_table(ours).equals(pq.read_table(theirs))
                if name.endswith(".parquet")
                else ours.read_bytes() == theirs.read_bytes()
            )
            if not same:
                problems.append(f"{name} differs from the local ensemble's")
        cells = len(json.loads((work / "remote" / "summary.json").read_text())["cells"])
    for problem in problems:
        print(f"compose-smoke: {problem}", file=sys.stderr)
    print(json.dumps({
        "ensemble": path.name, "cells": cells, "replicates": cells * replicates,
        "seconds": round(seconds, 1), "files": list(OUTPUT_FILES),
        "identical_to_local": not problems,
    }))  # fmt: skip
    return 1 if problems else 0


def _ensemble_cli(*argv: str) -> str:
    """``escapesim ensemble ...`` in this process; its standard output (raises on failure)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = escapesim(["ensemble", *argv])
    if status != 0:
        raise SystemExit(f"escapesim ensemble {' '.join(argv)} failed: {err.getvalue()}")
    return out.getvalue()


if __name__ == "__main__":
    sys.exit(main())
