"""A Gymnasium environment: a virtual patient treated decision by decision.

    import gymnasium
    from escapesim.gym import EscapeEnv

    env = EscapeEnv()                      # escape2004, weekly decisions, in-process
    observation, info = env.reset(seed=1)  # patient 0 of seed 1; reset() → patient 1, ...
    observation, reward, terminated, truncated, info = env.step(env.action_space.sample())

    env = gymnasium.make("escapesim/Escape-v0", scenario=my_scenario, every=14)
    env = EscapeEnv(server="127.0.0.1:50051")  # the same episodes over RunSession

Needs the optional extra ``gym`` (``pip install escapesim[gym]``). The parts are in the
engine: the spaces (:mod:`escapesim.engine.episode_space`: the observation is the
clinic's measurements, log-scaled, and the action one 0/1 per therapy to dose at this
decision), the reward (:mod:`escapesim.engine.episode_reward`: burden, dose cost,
terminal escape or elimination) and the episode driver
(:mod:`escapesim.engine.episode_driver`) that runs the patient, here or on a server
(:mod:`escapesim.service.client.session_driver`). An episode is
``terminated`` at an outcome (escape or elimination) and ``truncated`` at the horizon.
``reset(seed=s)`` starts replicate 0 of the scenario with seed ``s``, each ``reset()``
after it the next replicate (``options={"replicate": k}`` picks one): the episodes are
an ensemble's patients, bit for bit, with its common random numbers.

This module sits above the engine and the service: nothing there imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import gymnasium
import numpy as np
import numpy.typing as npt
from gymnasium import spaces

from escapesim.engine import FieldViolation, OutcomeKind, Scenario, ScenarioError
from escapesim.engine.episode import Measurement
from escapesim.engine.episode_driver import Driver, LocalDriver, Step
from escapesim.engine.episode_reward import Reward
from escapesim.engine.episode_space import OBSERVED_DECADES, FloatVector, Layout, given

if TYPE_CHECKING:
    from escapesim.service.client import Client

#: The environment's Gymnasium id (``gymnasium.make(ENV_ID, ...)``).
ENV_ID = "escapesim/Escape-v0"

Action = npt.NDArray[np.int8]


class EscapeEnv(gymnasium.Env[FloatVector, Action]):
    """A patient of ``scenario`` (default: escape2004's defaults, stopping at the
    outcome) with a decision every ``every`` days (a multiple of its sampling interval).

    ``doses`` (therapy → dose in its unit) chooses the therapies of the action and what
    each gives (default: every escape2004 therapy at
    :data:`~escapesim.engine.episode_space.DEFAULT_DOSES`); ``measurement`` is the
    clinic's error model, ``reward`` the reward's weights. ``server`` (``HOST:PORT``, with
    a bearer ``token`` if it needs one, or an open
    :class:`~escapesim.service.client.Client`) runs the episodes there, over the session
    RPC; by default they run in this process (or on any ``driver``). Bad arguments raise
    :class:`~escapesim.engine.ScenarioError` naming the field.
    """

    metadata: dict[str, Any] = {"render_modes": []}  # noqa: RUF012 - Gymnasium's class attribute

    def __init__(
        self,
        scenario: Scenario | Mapping[str, Any] | None = None,
        *,
        every: float = 7.0,
        doses: Mapping[str, float] | None = None,
        measurement: Measurement | None = None,
        reward: Reward | None = None,
        server: str | Client | None = None,
        token: str | None = None,
        driver: Driver | None = None,
    ) -> None:
        super().__init__()
        self.scenario = _scenario(scenario)
        self.layout = Layout.of(self.scenario, doses)
        self.reward = (reward or Reward()).validated()
        self._client: Client | None = None  # the client this environment opened itself
        if driver is None and server is not None:
            driver = self._session_driver(server, token, every, measurement)
        self.driver: Driver = driver or LocalDriver(
            self.scenario, every=every, measurement=measurement
        )
        size = len(self.layout.observation_names)
        high = np.full(size, OBSERVED_DECADES, dtype=np.float32)
        high[-1] = 1.0  # the day, as a fraction of the horizon
        self.observation_space = spaces.Box(np.zeros(size, np.float32), high, dtype=np.float32)
        self.action_space = spaces.MultiBinary(len(self.layout.therapies))
        self._seed = self.scenario.seed
        self._next_replicate = 0
        self._done = True

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[FloatVector, dict[str, Any]]:
        """Start the next patient (module docstring); ``options={"replicate": k}``."""
        super().reset(seed=seed)
        if seed is not None:
            self._seed, self._next_replicate = seed, 0
        replicate = _replicate(options, self._next_replicate)
        step = self.driver.reset(self._seed, replicate)
        self._next_replicate = replicate + 1
        self._done = step.done
        info = {"seed": self._seed, "replicate": replicate, **_seen(step)}
        return self.layout.encode(step.observation), info

    def step(self, action: Action) -> tuple[FloatVector, float, bool, bool, dict[str, Any]]:
        """Give the action's doses now and run to the next decision."""
        if self._done:
            raise RuntimeError("the episode has ended: call reset() first")
        doses = self.layout.decode(action)
        step = self.driver.step(doses)
        kind = step.outcome.kind if step.outcome is not None else None
        amounts = given(self.layout, doses)
        terms = self.reward.terms(
            burden=step.observation.burden,
            threshold=self.scenario.escape_threshold,
            doses=amounts,
            outcome=kind,
        )
        terminated = kind in (OutcomeKind.ESCAPE, OutcomeKind.ELIMINATION)
        truncated = step.done and not terminated
        self._done = step.done
        info = {
            **_seen(step),
            "doses": amounts,
            "reward_terms": {"burden": terms.burden, "dose": terms.dose,
                             "terminal": terms.terminal},
        }  # fmt: skip
        return self.layout.encode(step.observation), terms.total, terminated, truncated, info

    def close(self) -> None:
        """Free the driver's episode (or session, and the connection it opened)."""
        self.driver.close()
        client, self._client = self._client, None
        if client is not None:
            client.close()
        super().close()

    def _session_driver(
        self, server: str | Client, token: str | None, every: float,
        measurement: Measurement | None,
    ) -> Driver:  # fmt: skip
        # Imported here: an in-process environment never loads gRPC.
        from escapesim.service.client import Client
        from escapesim.service.client.session_driver import SessionDriver

        if isinstance(server, str):
            server = self._client = Client(server, token=token)
        return SessionDriver(server, self.scenario, every=every, measurement=measurement)


def _scenario(scenario: Scenario | Mapping[str, Any] | None) -> Scenario:
    if scenario is None:
        # Nothing after its outcome changes an episode: the run stops there (5x faster
        # for an untreated default patient, which escapes near day 72 of 365).
        return Scenario.build(preset="escape2004", stop_at_outcome=True)
    if isinstance(scenario, Scenario):
        return scenario
    return Scenario.from_dict(dict(scenario))


def _replicate(options: Mapping[str, Any] | None, default: int) -> int:
    replicate = (options or {}).get("replicate", default)
    if isinstance(replicate, bool) or not isinstance(replicate, int | np.integer) or replicate < 0:
        message = f"must be a whole number >= 0, got {replicate!r}"
        raise ScenarioError([FieldViolation("options.replicate", message)])
    return int(replicate)


def _seen(step: Step) -> dict[str, Any]:
    """The step's facts for ``info`` (a new dict each time: Gymnasium's checker asks)."""
    observation = step.observation
    return {
        "day": observation.day,
        "burden": observation.burden,
        "detected": observation.detected,
        "outcome": None if step.outcome is None else str(step.outcome.kind),
        "outcome_day": None if step.outcome is None else step.outcome.time,
    }


# Gymnasium's "module:id" form (gymnasium.make("escapesim.gym:escapesim/Escape-v0"))
# imports this module and expects it to register the id: the one import-time effect
# here, on Gymnasium's registry only, and idempotent.
if ENV_ID not in gymnasium.registry:
    gymnasium.register(id=ENV_ID, entry_point="escapesim.gym:EscapeEnv")
