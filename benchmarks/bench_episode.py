"""A 365-day escape2004 episode with weekly decisions, in-process and over RunSession.

The patient (escape threshold raised to 1e12 so no outcome ends it early) is decided on
every 7 days: 53 decisions, 52 steps, and an anti-PD-1 dose (10 mg/kg) as an action at
every third decision. One round times, alternately,

* the reference: the plain replicate of the scenario the episode ends with (the same
  doses listed from day 0: the same simulated work, without pausing);
* the in-process :class:`~escapesim.engine.episode.Episode` with the same actions;
* the same session over ``RunSession`` on loopback, against a real ``escapesim serve``
  subprocess (``--addr`` for an existing server), through the Python client;

so load on the shared machine hits all three alike. Prints medians over ``--rounds`` and
the ratios. Targets (issue 14): episode < 1.5x the plain replicate; session < 2x the
in-process episode. Each round checks that the session's summary equals the episode's.

    .venv/bin/python benchmarks/bench_episode.py [--rounds 7] [--addr HOST:PORT]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from escapesim import engine
from escapesim.engine.episode import Action, Episode, Prescription
from escapesim.service.client import Client
from escapesim.service.testing import SMALL_SETTINGS, ServerProcess

EVERY = 7.0
DOSE_EVERY = 3  # decisions
DOSE = Prescription(kind="anti_pd1", dose=10.0)


def patient() -> engine.Scenario:
    """escape2004's default patient over a year, kept running past 1e9 cells."""
    return engine.Scenario.build(
        preset="escape2004", horizon_days=365, seed=1, escape_threshold=1e12
    )


def in_process(scenario: engine.Scenario) -> Episode:
    """The episode, an action at every third decision."""
    episode = Episode(scenario, 0, every=EVERY)
    decision = 0
    while not episode.done:
        given = decision % DOSE_EVERY == 0
        episode.act(Action(doses=(DOSE,)) if given else None)
        decision += 1
    return episode


def over_rpc(client: Client, scenario: engine.Scenario) -> dict[str, float]:
    """The same session on a server; its final values."""
    with client.session(scenario, every=EVERY) as session:
        for decision, _ in enumerate(session):
            if decision % DOSE_EVERY == 0:
                session.act({"kind": DOSE.kind, "dose": DOSE.dose})
        assert session.summary is not None
        return session.summary.final_values


def _timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    """Print median times (s) and the ratios to the references."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--addr", help="an existing server (default: start one)")
    args = parser.parse_args()
    scenario = patient()
    episode = in_process(scenario)  # compile, warm caches
    final = episode.scenario
    print(f"decisions {len(engine.episode.decision_days(scenario, EVERY))}, "
          f"doses {len(final.therapies)}, outcome {episode.result.outcome.kind.value}")  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        server = None
        if args.addr is None:
            server = ServerProcess(Path(scratch) / "data", env=SMALL_SETTINGS)
            server.start()
        address = args.addr or (server.address if server else "")
        try:
            with Client(address) as client:
                assert over_rpc(client, scenario) == episode.result.final()  # warm, and equal
                laps: dict[str, list[float]] = {"plain": [], "episode": [], "session": []}
                for _ in range(args.rounds):
                    laps["plain"].append(_timed(lambda: engine.simulate(final, 0)))
                    laps["episode"].append(_timed(lambda: in_process(scenario)))
                    laps["session"].append(_timed(lambda: over_rpc(client, scenario)))
        finally:
            if server is not None:
                server.stop()
    median = {k: statistics.median(v) for k, v in laps.items()}
    for name, value in median.items():
        print(f"{name:>8}: {value * 1e3:8.1f} ms  (min {min(laps[name]) * 1e3:.1f})")
    print(f"episode / plain   = {median['episode'] / median['plain']:.2f}  (target < 1.5)")
    print(f"session / episode = {median['session'] / median['episode']:.2f}  (target < 2)")


if __name__ == "__main__":
    main()
