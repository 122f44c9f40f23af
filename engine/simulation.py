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

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from functools import partial

import numpy as np
import simpy

from escapesim.engine import fork, readout, record
from escapesim.engine.calendar import DELIVERY, DOSE, KINETICS, MODEL_EVENT, SAMPLE, Calendar, Entry
from escapesim.engine.checkpoint import Checkpoint, CheckpointError, check_compatible
from escapesim.engine.deliveries import Deliveries
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.kernel import Kernel, KernelSettings
from escapesim.engine.model_events import ModelEvents
from escapesim.engine.network import Network
from escapesim.engine.outcome_watch import OutcomeWatch, hold_after_stop
from escapesim.engine.record import Frame, Outcome, OutcomeKind, Provenance, Result
from escapesim.engine.rng import stream
from escapesim.engine.scenario import Scenario

#: Called after every sample with the simulated day.
Progress = Callable[[float], None]


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
        self._build(scenario, replicate, settings, progress, network, now=0.0)
        self._start()

    def _build(
        self,
        scenario: Scenario,
        replicate: int,
        settings: KernelSettings | None,
        progress: Progress | None,
        network: Network | None,
        now: float,
    ) -> None:
        self.scenario = scenario
        self.replicate = replicate
        self._network: Network = network or scenario.network()
        self._progress = progress
        self._env = simpy.Environment(initial_time=now)
        self._calendar = Calendar(self._env)
        self._doses: list[Callable[[], None]] = []  # therapies' actions, in give order
        self._replaying = False  # restoring: therapies' actions are recorded, not scheduled
        self._checkpoints: list[Checkpoint] = []
        self._kept = 0  # checkpoint days whose checkpoint is taken (or that had passed)
        self._parent: tuple[Scenario, float] | None = None
        self._streams: dict[str, np.random.Generator] = {}
        self._stoichiometry = self._network.stoichiometry
        values = scenario.replicate_parameters(replicate)
        bound = self._network.bind(values, scenario.mechanisms)
        self._model_events = ModelEvents(self._network, bound.parameters)
        settings = self._model_events.settings(settings or KernelSettings())
        # A scenario asking for the exact law gets it whatever the other settings.
        self._settings = dataclasses.replace(settings, exact=True) if scenario.exact else settings
        self._deliveries = Deliveries(
            self._network, self._network.delays(values), self._settings.delivery_grid,
            self._calendar, self.random, self._deliver,
        )  # fmt: skip
        self._kernel = Kernel(
            self._stoichiometry,
            bound,
            np.array([scenario.initial[s.name] for s in self._network.species], dtype=float),
            np.array([scenario.initial[s.name] for s in self._network.levels], dtype=float),
            self.random("exact"),
            [self.random(c.stream) for c in self._network.channels],
            self._settings,
            lambda channel, fired, t: self._deliveries.fired(channel, fired, t, self._env.now),
        )
        self._names = [s.name for s in (*self._network.species, *self._network.levels)]
        self._position = {s.name: i for i, s in enumerate(self._network.species)}
        self._level_position = {s.name: i for i, s in enumerate(self._network.levels)}
        tumour_names = set(self._network.tumour)
        # A 0/1 weight per population: the tumour burden is one dot product per step.
        self._tumour = np.array([float(s.name in tumour_names) for s in self._network.species])
        self._judge = OutcomeWatch(self._tumour, scenario.escape_threshold)
        # The kernel stops where the burden reaches 0 or the escape threshold (a model
        # without tumour species, as an SBML model may be, has no outcome to find).
        if self._network.tumour:
            self._kernel.watch(self._tumour, 0.0, scenario.escape_threshold)
        self._times = scenario.sample_times()
        self._samples = np.zeros((len(self._times), len(self._names)))
        self._recorded = 0
        self._outcome: Outcome | None = None
        self._extra: dict[str, int] = {}
        self._arrived = np.zeros(len(self._network.channels), dtype=np.int64)
        self._end = self._env.event()

    # -- the public API -----------------------------------------------------------------

    def frames(self) -> Iterator[Frame]:
        """Run, yielding every sampled frame as soon as it is recorded."""
        emitted = 0
        while not self._end.triggered:
            self._step()
            while emitted < self._recorded:
                yield readout.frame(
                    self.replicate, self._times[emitted], self._names, self._samples[emitted]
                )
                emitted += 1

    def run(self) -> Result:
        """Run to the horizon and return the result."""
        while self._kept < len(self.scenario.checkpoint_days) and not self._end.triggered:
            self._step()
        if not self._end.triggered:
            self._env.run(until=self._end)
        return self.result()

    def run_until(self, day: float) -> None:
        """Run up to the start of ``day`` (a sampling day before the horizon): every event
        due before it has happened, none due on it. Then :meth:`checkpoint` may be taken,
        and :meth:`run` or :meth:`frames` continue exactly as if there had been no pause."""
        if day not in self._times[:-1]:
            raise ValueError(f"day: {day:g} is not a sampling time before the horizon")
        if self._recorded > self._times.index(day):
            raise ValueError(f"day: the simulation is already past day {day:g}")
        while self._env.peek() < day:
            self._step()

    def checkpoint(self) -> Checkpoint:
        """The whole state at the start of the next sampling day (see :mod:`.checkpoint`):
        only when nothing due on or after that day has happened (after :meth:`run_until`)."""
        if self._end.triggered or self._env.peek() < self._times[self._recorded]:
            raise CheckpointError("checkpoint: only at the start of a sampling day before "
                                  "the horizon (pause with run_until)")
        return self._capture()

    def _step(self) -> None:
        """Process the next event, first keeping the checkpoint of a checkpoint day that
        it would begin."""
        days = self.scenario.checkpoint_days
        while self._kept < len(days) and self._env.peek() >= days[self._kept]:
            self._checkpoints.append(self._capture())
            self._kept += 1
        self._env.step()

    @property
    def checkpoints(self) -> tuple[Checkpoint, ...]:
        """The checkpoints taken so far at the scenario's ``checkpoint_days``."""
        return tuple(self._checkpoints)

    @classmethod
    def restore(
        cls,
        checkpoint: Checkpoint,
        *,
        scenario: Scenario | None = None,
        progress: Progress | None = None,
        network: Network | None = None,
    ) -> Simulation:
        """Continue ``checkpoint``: bitwise as the run it was taken from would have.

        With ``scenario`` (a fork), the future changes: its therapies after the
        checkpoint's day (and new doses on that day) are given, its parameters and
        mechanisms apply from that day on; the past stays the checkpoint's
        (:mod:`escapesim.engine.fork` checks the arm can share it). Raises
        :class:`CheckpointError` for a checkpoint of another network or version, and
        :class:`~escapesim.engine.errors.ScenarioError` for an arm that cannot fork.
        """
        arm = scenario or checkpoint.scenario
        fork.check_arm(checkpoint.scenario, arm, checkpoint.day)
        simulation = cls.__new__(cls)
        simulation._build(
            arm, checkpoint.replicate, checkpoint.settings, progress, network,
            now=checkpoint.day,
        )  # fmt: skip
        check_compatible(checkpoint, simulation._network)
        simulation._resume(checkpoint)
        return simulation

    @property
    def outcome(self) -> Outcome | None:
        """The outcome once decided (elimination or escape), else None."""
        return self._outcome

    @property
    def step_ends(self) -> Mapping[str, int]:
        """How many kernel steps so far ended at the leap bound, a critical firing, a
        calendar event, a burst of exact events, or with nothing left to happen."""
        return dict(self._kernel.step_ends)

    def result(self) -> Result:
        """The result of a finished run."""
        if not self._end.triggered:
            raise RuntimeError("the simulation has not reached its horizon")
        samples, kernel = self._samples, self._kernel
        return Result(
            times=np.array(self._times, dtype=float),
            trajectory=FrozenMap({n: samples[:, i].copy() for i, n in enumerate(self._names)}),
            counters=readout.counters(self._network, kernel.fired, self._arrived, self._extra),
            outcome=self._outcome or Outcome(OutcomeKind.EQUILIBRIUM, None),
            provenance=Provenance(
                scenario=self.scenario, replicate=self.replicate, forked_from=self._parent
            ),
        )

    def random(self, component: str) -> np.random.Generator:
        """The random stream of ``component`` in this replicate (common random numbers)."""
        if component not in self._streams:
            self._streams[component] = stream(self.scenario.seed, self.replicate, component)
        return self._streams[component]

    # -- what therapies may do (escapesim.engine.network.TherapyContext) ---------------------------

    def at(self, time: float, action: Callable[[], None]) -> None:
        """Run ``action`` at simulated day ``time`` (not before now)."""
        index = len(self._doses)
        self._doses.append(action)
        if not self._replaying:
            delay = max(time - self._env.now, 0.0)
            self._calendar.after(delay, DOSE, action, index)

    def count(self, name: str) -> float:
        """The current count of population ``name``."""
        return float(self._kernel.counts[self._position[name]])

    def add_count(self, name: str, amount: float, counter: str) -> None:
        """Change population ``name`` by ``amount`` (rounded, floored at zero)."""
        i = self._position[name]
        before = self._kernel.counts[i]
        self._kernel.counts[i] = max(before + round(amount), 0.0)
        moved = int(abs(self._kernel.counts[i] - before))
        self._extra[counter] = self._extra.get(counter, 0) + moved
        self._watch(self._env.now)

    def level(self, name: str) -> float:
        """The current value of concentration ``name``."""
        return float(self._kernel.levels[self._level_position[name]])

    def add_level(self, name: str, amount: float) -> None:
        """Change concentration ``name`` by ``amount`` (floored at zero)."""
        i = self._level_position[name]
        self._kernel.levels[i] = max(self._kernel.levels[i] + amount, 0.0)

    # -- processes -----------------------------------------------------------------------

    def _start(self) -> None:
        self._model_events.schedule(self._calendar, self._env.now, self._fire)
        self._watch(0.0)
        self._give()
        self._given = len(self._doses)
        self._calendar.after(self._times[0], SAMPLE, partial(self._sample, 0))  # or sample_days[0]
        self._calendar.after(0.0, KINETICS, self._kinetics)

    def _give(self) -> None:
        """Let every therapy schedule its actions (through :meth:`at`)."""
        for therapy in self.scenario.therapies:
            spec = self._network.therapy(therapy.kind)
            assert spec is not None, "a built scenario names only offered therapies"
            spec.give(therapy, self)

    def _capture(self) -> Checkpoint:
        self._model_events.check_keepable()
        entries = self._calendar.pending()
        if any(e.kind == DOSE and e.index >= self._given for e in entries):
            raise CheckpointError("checkpoint: a therapy scheduled an action while running; "
                                  "only actions scheduled when it is given can be rebuilt")
        kernel = self._kernel
        return Checkpoint(
            scenario=self.scenario, replicate=self.replicate, settings=self._settings,
            day=self._times[self._recorded], now=self._env.now,
            samples=self._samples[: self._recorded].copy(), counts=kernel.counts.copy(),
            levels=kernel.levels.copy(), fired=kernel.fired.copy(), step_ends=kernel.ends.copy(),
            arrived=self._arrived.copy(), probes=kernel.probes.copy(), extra=FrozenMap(self._extra),
            outcome=self._outcome,
            pending=tuple((c, due, n) for (c, due), n in self._deliveries.pending.items()),
            calendar=tuple(e for e in entries if e.kind != DOSE),
            streams=FrozenMap({n: dict(g.bit_generator.state) for n, g in self._streams.items()}),
            fingerprint=self._network.fingerprint, versions=record.software_versions(),
            forked_from=self._parent,
        )  # fmt: skip

    def _resume(self, ck: Checkpoint) -> None:
        """Take ``ck``'s state and calendar; the therapies' actions come from this
        simulation's scenario (a fork's may differ from ``ck``'s, after its day)."""
        for name, state in ck.streams.items():
            self.random(name).bit_generator.state = state  # in place: the kernel shares it
        self._kernel.resume(ck.counts, ck.levels, ck.fired, ck.step_ends, ck.probes)
        self._arrived[:] = ck.arrived
        self._recorded = len(ck.samples)
        self._samples[: self._recorded] = ck.samples
        self._extra, self._outcome = dict(ck.extra), ck.outcome
        self._deliveries.pending.update({(c, due): n for c, due, n in ck.pending})
        forked = self.scenario != ck.scenario
        self._parent = (ck.scenario, ck.day) if forked else ck.forked_from
        if self._outcome is not None:
            self._kernel.watch(self._tumour, -np.inf, np.inf)
        self._watch(ck.now)  # a fork's lower escape threshold may be crossed already
        self._replaying = True
        self._give()
        self._replaying = False
        self._given = len(self._doses)
        for entry in fork.calendar(ck, self._network, self.scenario):
            self._calendar.at_exactly(entry, self._action(entry))

    def _action(self, entry: Entry) -> Callable[[], None]:
        if entry.kind == DOSE:
            return self._doses[entry.index]
        if entry.kind == SAMPLE:
            return partial(self._sample, entry.index)
        if entry.kind == DELIVERY:
            return self._deliveries.action(entry)
        if entry.kind == MODEL_EVENT:
            return partial(self._fire, entry.index)
        return self._kinetics

    def _kinetics(self) -> None:
        """Advance the kernel to the next calendar event, then wait for it (a zero delay
        still queues behind the events already due now)."""
        env, horizon, kernel, end = self._env, self.scenario.horizon_days, self._kernel, self._end
        now = t = env.now
        if now >= horizon or end.triggered:  # (ended early: stop_at_outcome)
            return
        target = min(env.peek(), horizon)
        while t < target and not end.triggered:
            t = kernel.advance(t, target)
            self._watch(t, kernel.kept_bounds)
            target = min(target, env.peek())
        self._calendar.after(t - now, KINETICS, self._kinetics)

    def _sample(self, i: int) -> None:
        if self._end.triggered:  # stopped at its outcome: every sample is taken
            return
        row, counts, levels = self._samples[i], self._kernel.counts, self._kernel.levels
        row[: counts.size] = counts
        if levels.size:
            row[counts.size :] = levels
        self._recorded = i + 1
        if i + 1 < len(self._times):
            delay = self._times[i + 1] - self._env.now
            self._calendar.after(delay, SAMPLE, partial(self._sample, i + 1), i + 1)
        else:
            self._end.succeed()
        if self._progress is not None:
            self._progress(self._times[i])

    def _deliver(self, channel: int, due: float) -> None:
        amount = self._deliveries.take(channel, due)
        if self._end.triggered:
            # Due at the horizon but queued behind the final sample: the run has ended,
            # so it must not show in the counters when it cannot in the trajectory.
            return
        counts = self._kernel.counts
        for species, change in self._stoichiometry.deliveries[channel]:
            counts[species] += amount * change
        self._arrived[channel] += amount
        self._watch(self._env.now)

    def _fire(self, event: int) -> None:
        self._model_events.fire(event, self._env.now, self._kernel.counts, self._kernel.levels)
        self._watch(self._env.now)

    def _watch(self, t: float, kept_bounds: bool = False) -> None:
        """Fire the model's state-triggered events; then decide the outcome, unless the
        kernel ``kept_bounds`` (it checked them) and no event fired."""
        fired = self._model_events.poll(t, self._kernel.counts, self._kernel.levels)
        if (kept_bounds and not fired) or self._outcome is not None or not self._network.tumour:
            return
        self._outcome = self._judge.decide(self._kernel.counts, t)
        if self._outcome is None:
            return
        self._kernel.watch(self._tumour, -np.inf, np.inf)  # decided: no need to stop again
        if self.scenario.stop_at_outcome:
            self._recorded = hold_after_stop(self._samples, self._recorded, self._kernel)
            self._end.succeed()


def simulate(scenario: Scenario, replicate: int = 0, *, progress: Progress | None = None) -> Result:
    """Run replicate ``replicate`` of ``scenario`` to its horizon."""
    return Simulation(scenario, replicate, progress=progress).run()
