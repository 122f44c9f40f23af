"""Who runs an episode: the small interface an environment drives, and its in-process form.

An environment (``escapesim.gym.EscapeEnv``) needs three things of an episode: start a
patient, give doses and move to the next decision, and the outcome at the end. A
:class:`Driver` is exactly that, so the same environment can run the engine here
(:class:`LocalDriver`) or a server's session RPC
(``escapesim.service.client.session_driver.SessionDriver``) without knowing which.

Patients are replicates: ``reset(seed, replicate)`` starts replicate ``replicate`` of the
scenario with its seed replaced by ``seed`` — the patient an ensemble of that seed has at
that index, with the same random streams (common random numbers with any plain run,
ensemble arm or other episode of it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from escapesim.engine.episode import (
    Action,
    Episode,
    Measurement,
    Observation,
    Prescription,
    decision_days,
)
from escapesim.engine.errors import ScenarioError
from escapesim.engine.record import Outcome
from escapesim.engine.scenario import Scenario


@dataclass(frozen=True, slots=True)
class Step:
    """Where a step arrived: the next decision's ``observation`` or, once ``done``, the
    horizon's, with the replicate's ``outcome``."""

    observation: Observation
    done: bool
    outcome: Outcome | None


class Driver(Protocol):
    """Runs one episode at a time (module docstring)."""

    def reset(self, seed: int, replicate: int) -> Step:
        """Start patient ``replicate`` of the scenario under ``seed``: its first decision
        (or, if it ended before one, its end)."""
        ...

    def step(self, doses: Sequence[Prescription]) -> Step:
        """Give ``doses`` at the current decision and run to the next; a bad dose raises
        :class:`~escapesim.engine.errors.ScenarioError` and leaves the decision open."""
        ...

    def close(self) -> None:
        """Free what the driver holds (a session, a connection); safe to call twice."""
        ...


def check(scenario: Scenario, every: float, measurement: Measurement | None) -> None:
    """Refuse a bad decision interval or measurement when a driver is made, not at its
    first reset (:class:`ScenarioError` naming ``every_days`` or ``measurement.*``)."""
    decision_days(scenario, every)
    if measurement is not None and (violations := measurement.check()):
        raise ScenarioError(violations)


class LocalDriver:
    """A :class:`Driver` over :class:`~escapesim.engine.episode.Episode`, in this process."""

    def __init__(
        self, scenario: Scenario, *, every: float = 7.0, measurement: Measurement | None = None
    ) -> None:
        check(scenario, every, measurement)
        self._scenario = scenario
        self._every = every
        self._measurement = measurement
        self._episode: Episode | None = None

    @property
    def episode(self) -> Episode:
        """The current episode (its ``scenario`` and, once done, ``result``)."""
        if self._episode is None:
            raise RuntimeError("no episode: call reset first")
        return self._episode

    def reset(self, seed: int, replicate: int) -> Step:
        """See :meth:`Driver.reset`."""
        scenario = self._scenario
        if seed != scenario.seed:
            scenario = scenario.with_changes(seed=seed)
        self._episode = Episode(
            scenario, replicate, every=self._every, measurement=self._measurement
        )
        return self._here()

    def step(self, doses: Sequence[Prescription]) -> Step:
        """See :meth:`Driver.step`."""
        self.episode.act(Action(doses=tuple(doses)))
        return self._here()

    def close(self) -> None:
        """See :meth:`Driver.close` (nothing to free in-process)."""
        self._episode = None

    def _here(self) -> Step:
        episode = self.episode
        observation = episode.observation
        if observation is None:  # pragma: no cover - an Episode always observes
            raise RuntimeError("the episode has no observation")
        outcome = episode.result.outcome if episode.done else None
        return Step(observation=observation, done=episode.done, outcome=outcome)
