"""Cold and warm starts of ``escapesim serve``: seconds from launch to health SERVING.

A cold start finds numba's disk cache empty and compiles the kernel loop and every
preset's rate laws; a warm one loads them (what every start after ``make venv``, which
runs ``escapesim warm``, does). Each round gets a fresh, empty ``NUMBA_CACHE_DIR`` for its
cold start and then starts warm from it, so the two are measured back to back under the
same load; the ratio is per round.

    .venv/bin/python benchmarks/bench_startup.py [--rounds 2] [--warm-starts 2]

Prints one Markdown table (README "Start-up").
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READY = "escapesim serving on "


def start_seconds(cache: Path, data: Path) -> tuple[float, list[str]]:
    """Launch ``escapesim serve`` on a free port and time it until it reports SERVING.

    Returns the seconds and what it printed on standard error (the compile notice)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESCAPESIM_")}
    env.update(NUMBA_CACHE_DIR=str(cache), PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "escapesim.service.cli", "serve",
               "--addr", "127.0.0.1:0", "--data", str(data)]  # fmt: skip
    started = time.monotonic()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert process.stdout is not None and process.stderr is not None
    line = process.stdout.readline()
    seconds = time.monotonic() - started
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=120)
    if not line.startswith(READY) or "SERVING" not in line:
        raise RuntimeError(f"serve did not start: {line!r}\n{errors}")
    notices = [e for e in errors.splitlines() if "kernel" in e]
    return seconds, notices


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="cold starts (default 2)")
    parser.add_argument("--warm-starts", type=int, default=2, help="warm starts per round")
    args = parser.parse_args()
    rows: list[tuple[int, float, list[float], list[str]]] = []
    for round_ in range(args.rounds):
        scratch = Path(tempfile.mkdtemp(prefix="escapesim-startup-"))
        try:
            cold, notices = start_seconds(scratch / "numba", scratch / "cold")
            warm = [start_seconds(scratch / "numba", scratch / f"warm{i}")[0]
                    for i in range(args.warm_starts)]  # fmt: skip
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        rows.append((round_, cold, warm, notices))
        print(f"round {round_}: cold {cold:.1f} s, warm {[round(w, 1) for w in warm]} s",
              file=sys.stderr, flush=True)  # fmt: skip
    load = os.getloadavg()[0]
    print(f"\nMeasured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{os.cpu_count()} CPUs, 1-minute load average {load:.1f} at the end\n")  # fmt: skip
    print("| round | cold start s (compiles) | warm starts s (cache) | cold / warm |")
    print("|---:|---:|---:|---:|")
    for round_, cold, warm, _ in rows:
        median = statistics.median(warm)
        shown = ", ".join(f"{w:.1f}" for w in warm)
        print(f"| {round_} | {cold:.1f} | {shown} | {cold / median:.0f}× |")
    print("\ncold start's notice on standard error:", *rows[0][3], sep="\n  ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
