"""The Gymnasium environment's cost: a 365-day escape2004 episode with weekly decisions
through ``EscapeEnv``, against the bare episode and the plain replicate.

The patient is escape2004 at its defaults with the escape threshold raised to 1e11, so
the tumour reaches its plateau (~4e10 cells) in equilibrium and the episode makes all 53
weekly decisions (days 0, 7, ..., 364) to the horizon. One round times, alternately, on
the same replicate:

* ``plain``: ``engine.simulate`` of the untreated scenario (the reference);
* ``episode``: an :class:`~escapesim.engine.episode.Episode` stopping at every decision,
  no action;
* ``plain, dosed``: ``engine.simulate`` of the scenario with anti-PD-1 listed every 28
  days (the reference of the two below);
* ``episode, dosed``: the episode giving the same doses as actions (each a fork);
* ``EscapeEnv, dosed``: the same through the Gymnasium environment (spaces, reward).

so load on the shared machine hits all alike. Prints medians (wall and CPU seconds) over
``--rounds`` and each episode's ratio to its reference in the same run. Target (issue
14): an in-process episode < 1.5 × the plain replicate (benchmarks/bench_episode.py
times the episode in-process and over the session RPC; this one adds the environment's
spaces and reward on top).

    .venv/bin/python benchmarks/bench_gym.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable

import numpy as np
from stopwatch import Lap, Stopwatch

from escapesim import engine
from escapesim.engine.episode import Action, Episode, Prescription
from escapesim.gym import EscapeEnv

EVERY = 7.0
DOSE_DAYS = tuple(float(d) for d in range(0, 365, 28))


def _scenario() -> engine.Scenario:
    return engine.Scenario.build(preset="escape2004", horizon_days=365.0, escape_threshold=1e11)


def _episode(scenario: engine.Scenario, dose_days: tuple[float, ...]) -> int:
    episode, steps = Episode(scenario, 0, every=EVERY), 0
    dose = Action(doses=(Prescription(kind="anti_pd1", dose=10.0),))
    while not episode.done:
        episode.act(dose if episode.day in dose_days else None)
        steps += 1
    return steps


def _env(scenario: engine.Scenario) -> int:
    env = EscapeEnv(scenario, every=EVERY, doses={"anti_pd1": 10.0})
    env.reset(seed=scenario.seed)
    day, steps, done = 0.0, 0, False
    while not done:
        action = np.array([1 if day in DOSE_DAYS else 0], dtype=np.int8)
        _, _, terminated, truncated, info = env.step(action)
        day, steps, done = info["day"], steps + 1, terminated or truncated
    return steps


def _lap(work: Callable[[], object]) -> Lap:
    watch = Stopwatch()
    work()
    return watch.lap()


def main() -> None:
    """Print median wall/CPU seconds of each case and the episodes' ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    plain = _scenario()
    dosed = plain.with_changes(
        therapies=[{"kind": "anti_pd1", "at_days": list(DOSE_DAYS), "dose": 10.0}]
    )
    steps = _episode(plain, ())  # compile, warm caches
    cases: dict[str, Callable[[], object]] = {
        "plain": lambda: engine.simulate(plain, 0),
        "episode": lambda: _episode(plain, ()),
        "plain, dosed": lambda: engine.simulate(dosed, 0),
        "episode, dosed": lambda: _episode(plain, DOSE_DAYS),
        "EscapeEnv, dosed": lambda: _env(plain),
    }
    laps: dict[str, list[Lap]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, work in cases.items():
            laps[name].append(_lap(work))
    wall = {name: statistics.median(lap.wall for lap in found) for name, found in laps.items()}
    cpu = {name: statistics.median(lap.cpu for lap in found) for name, found in laps.items()}
    print(f"escape2004, 365 days, a decision every {EVERY:g} days ({steps} steps), "
          f"anti-PD-1 on {len(DOSE_DAYS)} days when dosed; {args.rounds} alternating "
          "rounds (median s)")  # fmt: skip
    for name in cases:
        print(f"  {name:<18} wall {wall[name]:7.3f}  cpu {cpu[name]:7.3f}")
    for name, reference in (("episode", "plain"), ("episode, dosed", "plain, dosed"),
                            ("EscapeEnv, dosed", "plain, dosed"),
                            ("EscapeEnv, dosed", "episode, dosed")):  # fmt: skip
        target = " (target < 1.5)" if reference.startswith("plain") else ""
        print(f"  {name} / {reference}: wall {wall[name] / wall[reference]:.2f}, "
              f"cpu {cpu[name] / cpu[reference]:.2f}{target}")  # fmt: skip


if __name__ == "__main__":
    main()
