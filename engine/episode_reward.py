"""The reward of one decision step of an episode, as three documented terms.

For a step that gives the doses ``d`` and arrives at an observation of burden ``B``::

    burden   = −burden_weight · log10(1 + B) / log10(1 + escape_threshold)
    dose     = −Σ over the doses given of dose_cost[kind]
    terminal = +elimination if the episode ends in elimination, −escape if in escape

``B`` is the *measured* burden (the observation's, 0 below the detection limit): the
reward uses what the clinic sees, so an agent in-process and one over the session RPC
(which sees only observations) get the same reward. The burden term is on the log scale
(a 10-fold response counts the same at 1e5 and at 1e8 cells) and scaled so that one step
at the escape threshold costs ``burden_weight``.

The defaults are chosen, not taken from a source — set your own for your question:
``burden_weight = 1``; ``escape = elimination = 10`` (a terminal outcome outweighs ten
steps at the threshold, so the outcome dominates the return over a year of weekly
steps, whose burden terms add up to at most ~52); ``dose_cost = 0.1`` per dose (a dose
pays for itself if it lowers the probability of escape by 1 %, 0.1/10).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from escapesim.engine.errors import FieldViolation, ScenarioError
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.record import OutcomeKind
from escapesim.engine.scenario_checks import bounded

#: Largest weight of a reward term (a larger one is a typo; the terms are relative).
MAX_WEIGHT = 1e6


@dataclass(frozen=True, kw_only=True, slots=True)
class Reward:
    """The reward's weights (module docstring). ``dose_cost`` is per dose of any
    therapy; ``dose_costs`` overrides it per therapy kind."""

    burden_weight: float = 1.0
    dose_cost: float = 0.1
    dose_costs: Mapping[str, float] = field(default_factory=lambda: FrozenMap[float]())
    escape: float = 10.0
    elimination: float = 10.0

    def check(self) -> list[FieldViolation]:
        """Every problem with the weights (each finite, within [0, MAX_WEIGHT])."""
        found = [
            *bounded("reward.burden_weight", self.burden_weight, 0.0, MAX_WEIGHT),
            *bounded("reward.dose_cost", self.dose_cost, 0.0, MAX_WEIGHT),
            *bounded("reward.escape", self.escape, 0.0, MAX_WEIGHT),
            *bounded("reward.elimination", self.elimination, 0.0, MAX_WEIGHT),
        ]
        for kind, cost in self.dose_costs.items():
            found += bounded(f"reward.dose_costs.{kind}", cost, 0.0, MAX_WEIGHT)
        return found

    def validated(self) -> Reward:
        """This reward, or :class:`ScenarioError` naming every bad weight."""
        violations = self.check()
        if violations:
            raise ScenarioError(violations)
        return self

    def terms(
        self,
        *,
        burden: float,
        threshold: float,
        doses: Mapping[str, float],
        outcome: OutcomeKind | None,
    ) -> RewardTerms:
        """The terms of a step arriving at measured ``burden`` after giving ``doses``
        (kind → amount, 0 = not given); ``outcome`` once the episode has ended."""
        scale = math.log10(1.0 + threshold)
        terminal = 0.0
        if outcome is OutcomeKind.ESCAPE:
            terminal = -self.escape
        elif outcome is OutcomeKind.ELIMINATION:
            terminal = self.elimination
        return RewardTerms(
            burden=-self.burden_weight * math.log10(1.0 + max(burden, 0.0)) / scale,
            dose=-sum(
                (self.dose_costs.get(kind, self.dose_cost) for kind, dose in doses.items() if dose),
                0.0,
            ),
            terminal=terminal,
        )


@dataclass(frozen=True, slots=True)
class RewardTerms:
    """One step's reward, term by term; ``total`` is their sum."""

    burden: float
    dose: float
    terminal: float

    @property
    def total(self) -> float:
        """The step's reward."""
        return self.burden + self.dose + self.terminal
