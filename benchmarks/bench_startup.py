"""Cold and warm starts of ``escapesim serve``: seconds from launch to health SERVING.

A cold start finds numba's disk cache empty and compiles the kernel loop and every
preset's rate laws; a warm one loads them (what every start after ``make venv``, which
runs ``escapesim warm``, does). Each round gets a fresh, empty ``NUMBA_CACHE_DIR`` for its
cold start and then starts warm from it, so the two are measured back to back under the
same load; the ratio is per round.

    .venv/bin/python benchmarks/bench_startup.py [--rounds 2] [--warm-starts 2]

Prints one Markdown table (README "Two commands"): wall seconds to SERVING and the CPU
seconds of the server and its workers (from launch to exit after a prompt SIGTERM), which
a busy machine inflates less than the wall time.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

READY = "escapesim serving on "


@dataclass(frozen=True)
class Start:
    """One start: wall seconds to SERVING, CPU seconds of the server and its workers from
    launch to exit (start-up plus a prompt SIGTERM), and the compile notice it printed."""

    wall: float
    cpu: float
    notices: list[str]


def start(cache: Path, data: Path) -> Start:
    """Launch ``escapesim serve`` on a free port, time it until it reports SERVING, stop it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCAPESIM_")}
    env.update(NUMBA_CACHE_DIR=str(cache), PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "escapesim.service.cli", "serve",
               "--addr", "127.0.0.1:0", "--data", str(data)]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout is not None
    assert process.stderr is not None
    line = process.stdout.readline()
    seconds = time.monotonic() - started
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=120)
    # The server reaps its workers before it exits, so their CPU is in its own children's.
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if not line.startswith(READY) or "SERVING" not in line:
        raise RuntimeError(f"serve did not start: {line!r}\n{errors}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Start(seconds, cpu, [e for e in errors.splitlines() if "kernel" in e])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="cold starts (default 2)")
    parser.add_argument("--warm-starts", type=int, default=2, help="warm starts per round")
    args = parser.parse_args()
    rows: list[tuple[int, Start, list[Start]]] = []
    for round_ in range(args.rounds):
        scratch = Path(tempfile.mkdtemp(prefix="escapesim-startup-"))
        try:
            cold = start(scratch / "numba", scratch / "cold")
            warm = [start(scratch / "numba", scratch / f"warm{i}") for i in range(args.warm_starts)]
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        rows.append((round_, cold, warm))
        print(f"round {round_}: cold {cold.wall:.1f} s, warm {[round(w.wall, 1) for w in warm]} s",
              file=sys.stderr, flush=True)  # fmt: skip
    load = os.getloadavg()[0]
    print(f"\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{os.cpu_count()} CPUs, 1-minute load average {load:.1f} at the end\n")  # fmt: skip
    print("| round | cold start: wall s (CPU s) | warm starts: wall s (CPU s) "
          "| cold / warm, wall (CPU) |")  # fmt: skip
    print("|---:|---:|---:|---:|")
    for round_, cold, warm in rows:
        wall = statistics.median(w.wall for w in warm)
        cpu = statistics.median(w.cpu for w in warm)
        shown = ", ".join(f"{w.wall:.1f} ({w.cpu:.1f})" for w in warm)
        print(f"| {round_} | {cold.wall:.1f} ({cold.cpu:.1f}) | {shown} | "
              f"{cold.wall / wall:.1f}× ({cold.cpu / cpu:.1f}×) |")  # fmt: skip
    print("\ncold start's notice on standard error:", *rows[0][1].notices, sep="\n  ")
    print("warm starts' notices:", [n for _, _, warm in rows for w in warm for n in w.notices])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
