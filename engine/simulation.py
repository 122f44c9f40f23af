"""One replicate on a SimPy environment: the kinetics, the sampler and timed events.

SimPy is the clock and the calendar everything shares. The kinetics process advances the
kernel up to the next event on the calendar (a dose, a sample, a delayed product), then
yields so that event happens on the state it should see; anything scheduled while the
kernel runs (a delayed product) shortens the stretch. Whenever an event other than the
kinetics is processed, the kernel's state is exactly at the event's time.

At equal times, events run in the order they were scheduled; doses are scheduled before
the run starts, so a sample taken on a dose day shows the state after the dose.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np
import simpy

from escapesim.engine.frozen import FrozenMap
from escapesim.engine.kernel import Kernel, KernelSettings
from escapesim.engine.network import Network, Stoichiometry
from escapesim.engine.record import Frame, Outcome, OutcomeKind, Provenance, Result
from escapesim.engine.rng import stream
from escapesim.engine.scenario import Scenario

#: Called after every sample with the simulated day.
Progress = Callable[[float], None]

#: At most this many distinct delays are drawn for one batch of leaped firings; the
#: batch is shared out evenly among them (a binned sample of the delay distribution).
DELAY_BINS = 16


class Simulation:
    """One replicate of a scenario. Iterate :meth:`frames` or call :meth:`run`."""

    def __init__(
        self,
        scenario: Scenario,
        replicate: int,
        *,
        settings: KernelSettings | None = None,
        progress: Progress | None = None,
        network: Network | None = None,
    ) -> None:
        """``network`` replaces the preset's network (for models under development: it must
        have the preset's species, parameters and therapies, which the scenario validated)."""
        self.scenario = scenario
        self.replicate = replicate
        self._network: Network = network or scenario.network()
        self._progress = progress
        self._env = simpy.Environment()
        self._streams: dict[str, np.random.Generator] = {}
        self._stoichiometry = Stoichiometry.of(self._network)
        settings = settings or KernelSettings()
        # A scenario asking for the exact law gets it whatever the other settings.
        self._settings = replace(settings, exact=True) if scenario.exact else settings
        self._pending: dict[tuple[int, float], int] = {}  # (channel, due) -> products
        self._kernel = Kernel(
            self._stoichiometry,
            self._network.bind(scenario.parameters, scenario.mechanisms),
            np.array([scenario.initial[s.name] for s in self._network.species], dtype=float),
            np.array([scenario.initial[s.name] for s in self._network.levels], dtype=float),
            self.random("exact"),
            [self.random(c.stream) for c in self._network.channels],
            self._settings,
            self._schedule_delayed,
        )
        self._names = [s.name for s in (*self._network.species, *self._network.levels)]
        tumour_names = set(self._network.tumour)
        # A 0/1 weight per population: the tumour burden is one dot product per step.
        self._tumour = np.array([float(s.name in tumour_names) for s in self._network.species])
        # The kernel stops at the step where the burden reaches 0 or the escape threshold.
        self._kernel.watch(self._tumour, 0.0, scenario.escape_threshold)
        self._times = scenario.sample_times()
        self._samples = np.zeros((len(self._times), len(self._names)))
        self._recorded = 0
        self._outcome: Outcome | None = None
        self._extra: dict[str, int] = {}
        self._arrived = np.zeros(len(self._network.channels), dtype=np.int64)
        self._end = self._env.event()
        self._start()

    # -- the public API -----------------------------------------------------------------

    def frames(self) -> Iterator[Frame]:
        """Run, yielding every sampled frame as soon as it is recorded."""
        emitted = 0
        while not self._end.triggered:
            self._env.step()
            while emitted < self._recorded:
                yield self._frame(emitted)
                emitted += 1

    def run(self) -> Result:
        """Run to the horizon and return the result."""
        if not self._end.triggered:
            self._env.run(until=self._end)
        return self.result()

    @property
    def step_ends(self) -> Mapping[str, int]:
        """How many kernel steps so far ended at the leap bound, a critical firing, a
        calendar event, a burst of exact events, or with nothing left to happen."""
        return dict(self._kernel.step_ends)

    def result(self) -> Result:
        """The result of a finished run."""
        if not self._end.triggered:
            raise RuntimeError("the simulation has not reached its horizon")
        return Result(
            times=np.array(self._times, dtype=float),
            trajectory=FrozenMap(
                {name: self._samples[:, i].copy() for i, name in enumerate(self._names)}
            ),
            counters=self._counters(),
            outcome=self._outcome or Outcome(OutcomeKind.EQUILIBRIUM, None),
            provenance=Provenance(scenario=self.scenario, replicate=self.replicate),
        )

    def random(self, component: str) -> np.random.Generator:
        """The random stream of ``component`` in this replicate (common random numbers)."""
        if component not in self._streams:
            self._streams[component] = stream(self.scenario.seed, self.replicate, component)
        return self._streams[component]

    # -- what therapies may do (escapesim.engine.network.TherapyContext) ---------------------------

    def at(self, time: float, action: Callable[[], None]) -> None:
        """Run ``action`` at simulated day ``time`` (not before now)."""
        event = self._env.timeout(max(time - self._env.now, 0.0))
        event.callbacks.append(lambda _event: action())

    def count(self, name: str) -> float:
        """The current count of population ``name``."""
        return float(self._kernel.counts[self._index(name)])

    def add_count(self, name: str, amount: float, counter: str) -> None:
        """Change population ``name`` by ``amount`` (rounded, floored at zero)."""
        i = self._index(name)
        before = self._kernel.counts[i]
        self._kernel.counts[i] = max(before + round(amount), 0.0)
        moved = int(abs(self._kernel.counts[i] - before))
        self._extra[counter] = self._extra.get(counter, 0) + moved
        self._watch(self._env.now)

    def level(self, name: str) -> float:
        """The current value of concentration ``name``."""
        return float(self._kernel.levels[self._level_index(name)])

    def add_level(self, name: str, amount: float) -> None:
        """Change concentration ``name`` by ``amount`` (floored at zero)."""
        i = self._level_index(name)
        self._kernel.levels[i] = max(self._kernel.levels[i] + amount, 0.0)

    # -- processes -----------------------------------------------------------------------

    def _start(self) -> None:
        self._watch(0.0)
        for therapy in self.scenario.therapies:
            spec = self._network.therapy(therapy.kind)
            assert spec is not None, "a built scenario names only offered therapies"
            spec.give(therapy, self)
        self._env.process(self._sample())
        self._env.process(self._kinetics())

    def _kinetics(self) -> Generator[simpy.Event, Any, None]:
        env, horizon = self._env, self.scenario.horizon_days
        while env.now < horizon:
            t = env.now
            target = min(env.peek(), horizon)
            while t < target:
                t = self._kernel.advance(t, target)
                self._watch(t)
                target = min(target, env.peek())
            # A zero delay still queues behind the events already due now.
            yield env.timeout(t - env.now)

    def _sample(self) -> Generator[simpy.Event, Any, None]:
        env = self._env
        for i, t in enumerate(self._times):
            yield env.timeout(t - env.now)
            self._samples[i, : self._kernel.counts.size] = self._kernel.counts
            self._samples[i, self._kernel.counts.size :] = self._kernel.levels
            self._recorded = i + 1
            if self._progress is not None:
                self._progress(t)
        self._end.succeed()

    def _schedule_delayed(self, channel: int, fired: int, t: float) -> float:
        delay = self._stoichiometry.delays[channel]
        assert delay is not None, "only channels with a delay have delayed products"
        if delay.shape is None:  # a fixed delay: every product arrives in one delivery
            return self._pend(channel, t + delay.mean, fired)
        bins = min(fired, DELAY_BINS)
        share, extra = divmod(fired, bins)
        stream = self.random(f"delay:{self._network.channels[channel].name}")
        waits = delay.sample(stream, bins).tolist()
        return min(
            self._pend(channel, t + wait, share + (k < extra)) for k, wait in enumerate(waits)
        )

    def _pend(self, channel: int, time: float, products: int) -> float:
        """Add ``products`` of ``channel`` to the delivery due at ``time`` (on the grid)."""
        due = self._on_delivery_grid(time)
        key = (channel, due)
        if key not in self._pending:
            self._pending[key] = 0
            event = self._env.timeout(due - self._env.now)
            event.callbacks.append(partial(self._deliver, channel, due))
        self._pending[key] += products
        return due

    def _on_delivery_grid(self, time: float) -> float:
        """Round a delivery time up to the delivery grid: products from many leaps share
        one calendar event (one step boundary), and nothing ever arrives early."""
        grid = self._settings.delivery_grid
        return max(math.ceil(time / grid) * grid, time) if grid > 0 else time

    def _deliver(self, channel: int, due: float, _event: simpy.Event) -> None:
        amount = self._pending.pop((channel, due))
        if self._end.triggered:
            # Due at the horizon but queued behind the final sample: the run has ended,
            # so it must not show in the counters when it cannot in the trajectory.
            return
        counts = self._kernel.counts
        for species, change in self._stoichiometry.deliveries[channel]:
            counts[species] += amount * change
        self._arrived[channel] += amount
        self._watch(self._env.now)

    # -- bookkeeping ---------------------------------------------------------------------

    def _watch(self, t: float) -> None:
        if self._outcome is not None:
            return
        counts = self._kernel.counts
        tumour = float(counts @ self._tumour)
        if tumour <= 0.0:
            self._outcome = Outcome(OutcomeKind.ELIMINATION, t)
        elif tumour >= self.scenario.escape_threshold:
            self._outcome = Outcome(OutcomeKind.ESCAPE, t)
        else:
            return
        self._kernel.watch(self._tumour, -np.inf, np.inf)  # decided: no need to stop again

    def _frame(self, i: int) -> Frame:
        values = {name: float(self._samples[i, k]) for k, name in enumerate(self._names)}
        return Frame(replicate=self.replicate, t=self._times[i], values=FrozenMap(values))

    def _counters(self) -> FrozenMap[int]:
        counters = {
            c.name: int(n) for c, n in zip(self._network.channels, self._kernel.fired, strict=True)
        }
        for channel, arrived in zip(self._network.channels, self._arrived, strict=True):
            if channel.delay is not None:
                counters[f"{channel.name}.arrived"] = int(arrived)
        return FrozenMap({**counters, **self._extra})

    def _index(self, name: str) -> int:
        return next(i for i, s in enumerate(self._network.species) if s.name == name)

    def _level_index(self, name: str) -> int:
        return next(i for i, s in enumerate(self._network.levels) if s.name == name)


def simulate(scenario: Scenario, replicate: int = 0, *, progress: Progress | None = None) -> Result:
    """Run replicate ``replicate`` of ``scenario`` to its horizon."""
    return Simulation(scenario, replicate, progress=progress).run()
