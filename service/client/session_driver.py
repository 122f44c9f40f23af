"""An episode driver over a server's ``RunSession``: the Gymnasium environment, remote.

:class:`SessionDriver` is the second implementation of
:class:`~escapesim.engine.episode_driver.Driver` (the first, ``LocalDriver``, runs the
engine in-process): each ``reset`` opens a session on the server for that patient (the
previous one is closed), each ``step`` is one ``act``. The server runs the same
:class:`~escapesim.engine.episode.Episode`, so a patient's observations and outcome are
the in-process ones, bit for bit (tests/test_gym_server.py).

A dose the server refuses raises :class:`~escapesim.engine.ScenarioError` with the
fields as the local driver names them (``doses[0].dose``, not the request's
``act.doses[0].dose``) and the session stays at its decision; any other failure
(the server gone, the session's idle timeout) raises :class:`ServiceError`.
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from escapesim.engine import FieldViolation, Outcome, Scenario, ScenarioError
from escapesim.engine.episode import Measurement, Prescription
from escapesim.engine.episode_driver import Step, check
from escapesim.service.client.calls import Client
from escapesim.service.client.replies import ServiceError
from escapesim.service.client.sessions import Session


class SessionDriver:
    """Episodes of ``scenario`` as sessions on ``client``'s server (module docstring)."""

    def __init__(
        self,
        client: Client,
        scenario: Scenario,
        *,
        every: float = 7.0,
        measurement: Measurement | None = None,
        timeout: float | None = None,
    ) -> None:
        check(scenario, every, measurement)
        self._client = client
        self._scenario = scenario
        self._every = every
        self._measurement = measurement
        self._timeout = timeout
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        """The open session (its ``scenario`` and ``summary`` once done)."""
        if self._session is None:
            raise RuntimeError("no session: call reset first")
        return self._session

    def reset(self, seed: int, replicate: int) -> Step:
        """Close the current session and open one on patient ``replicate`` of ``seed``."""
        self.close()
        scenario = self._scenario
        # The server opens only a replicate the scenario has; how many it has changes
        # no replicate's draws (each is keyed by seed and index alone).
        replicates = max(scenario.replicates, replicate + 1)
        if (seed, replicates) != (scenario.seed, scenario.replicates):
            scenario = scenario.with_changes(seed=seed, replicates=replicates)
        self._session = self._client.session(
            scenario, every=self._every, replicate=replicate, measurement=self._measurement,
            timeout=self._timeout,
        )  # fmt: skip
        return self._here()

    def step(self, doses: Sequence[Prescription]) -> Step:
        """Give ``doses`` in the session and move to its next decision."""
        try:
            self.session.act(list(doses))
        except ServiceError as error:
            if error.code is not grpc.StatusCode.INVALID_ARGUMENT or not error.violations:
                raise
            raise ScenarioError(
                [FieldViolation(v.field.removeprefix("act."), v.message) for v in error.violations]
            ) from None
        return self._here()

    def close(self) -> None:
        """End the open session (the server frees its slot at once); safe to repeat."""
        session, self._session = self._session, None
        if session is not None and not session.done:
            session.close()

    def _here(self) -> Step:
        session = self.session
        if session.observation is None:  # pragma: no cover - a session opens observed
            raise RuntimeError("the session has no observation")
        summary = session.summary
        outcome = None if summary is None else Outcome(summary.outcome, summary.outcome_day)
        return Step(observation=session.observation, done=session.done, outcome=outcome)
