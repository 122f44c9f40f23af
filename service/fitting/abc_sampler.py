"""A pyABC sampler whose posterior depends on the seed alone, not on the workers.

pyABC's parallel samplers accept whichever particles finish first, so the posterior
depends on timing. This one proposes candidates in rounds: each candidate has its own
seed (from ``numpy.random.SeedSequence([seed, generation, round])``), the round is
evaluated on the pool in any order, and candidates are then accepted **in index order**
until the population is full. The candidates a round holds depend only on the counts so
far, so the same seed gives the same posterior on any number of workers (issue 15 asks
for the same executor count; this holds for any). The price: a round's candidates after
the last accepted one are simulated and dropped (rounds are sized from the acceptance
rate, 10 % above what is needed).
"""

from __future__ import annotations

import concurrent.futures
import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import cloudpickle
import numpy as np
from pyabc.sampler import Sampler

#: Called after each generation with (generation, evaluations, accepted).
OnGeneration = Callable[[int, int, int], None]
#: Candidates per round at least, and at most this many times the population.
_MIN_ROUND, _MAX_ROUND_FACTOR = 16, 50


def _evaluate(payload: bytes, seeds: Sequence[int]) -> list[Any]:
    """Evaluate one candidate per seed (in a worker): pyABC's ``simulate_one`` draws
    from numpy's global stream, seeded here per candidate."""
    simulate_one = cloudpickle.loads(payload)
    particles = []
    for seed in seeds:
        np.random.seed(seed)
        random.seed(seed)
        particles.append(simulate_one())
    return particles


class SeededSampler(Sampler):
    """Rounds of seeded candidates on ``pool`` (``None``: this process)."""

    def __init__(
        self,
        seed: int,
        pool: concurrent.futures.Executor | None,
        workers: int,
        on_generation: OnGeneration | None = None,
        budget: float = np.inf,
    ) -> None:
        """``budget``: candidates to simulate in all generations together, at most (pyABC
        checks its own simulation budget only between generations, so a generation that
        accepts almost nothing would otherwise never end)."""
        super().__init__()
        self.seed = seed
        self.budget = budget
        self._used = 0
        self.pool = pool
        self.workers = workers
        self.on_generation = on_generation
        self._rate = 1.0  # the last acceptance rate seen: sizes the next round

    def sample_until_n_accepted(
        self,
        n: int,
        simulate_one: Callable[[], Any],
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> Any:
        """``n`` accepted particles (fewer, with ``sample.ok`` false, if ``max_eval``
        candidates did not suffice)."""
        del all_accepted, ana_vars  # every candidate is judged by its own flag
        payload = cloudpickle.dumps(simulate_one)
        max_eval = min(max_eval, self.budget - self._used)
        sample = self._create_empty_sample()
        accepted = evaluations = round_ = 0
        while accepted < n and evaluations < max_eval:
            size = self._round_size(n - accepted, max_eval - evaluations)
            state = np.random.SeedSequence([self.seed, t + 1, round_]).generate_state(size)
            for particle in self._map(payload, [int(s) for s in state]):
                evaluations += 1
                sample.append(particle)
                accepted += bool(particle.accepted)
                if accepted == n or evaluations >= max_eval:
                    break
            self._rate = max(accepted / evaluations, 1.0 / (_MAX_ROUND_FACTOR * n))
            round_ += 1
        self.nr_evaluations_ = evaluations
        self._used += evaluations
        if accepted < n:
            sample.ok = False
        if self.on_generation is not None:
            self.on_generation(t, evaluations, accepted)
        return sample

    def _round_size(self, wanted: int, budget: float) -> int:
        size = max(_MIN_ROUND, math.ceil(wanted / self._rate * 1.1))
        return int(min(size, budget, _MAX_ROUND_FACTOR * max(wanted, _MIN_ROUND)))

    def _map(self, payload: bytes, seeds: list[int]) -> list[Any]:
        if self.pool is None or self.workers == 1:
            return _evaluate(payload, seeds)
        # A few chunks per worker: one unpickling each, and no worker idles at the tail.
        chunks = max(1, min(len(seeds), 4 * self.workers))
        step = math.ceil(len(seeds) / chunks)
        parts = [seeds[i : i + step] for i in range(0, len(seeds), step)]
        found = self.pool.map(_evaluate, [payload] * len(parts), parts)
        return [particle for part in found for particle in part]
