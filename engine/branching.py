"""Arms that branch at a day: one shared past per replicate, then each arm's future.

In a branching ensemble (``Ensemble.branch_day``) replicate k of a grid point grows under
the base scenario (no arm's protocol) to the branch day, is checkpointed once, and every
arm continues from that one checkpoint (a fork, :mod:`escapesim.engine.fork`): the arms
of a replicate share their history bitwise and start their futures from the same random
stream states, like patients randomised once the tumour exists.

Without parameter overrides this is exactly what common random numbers already give: the
arms' runs are identical until their protocols first differ, so a branch on or before the
first dose reproduces the unbranched arms bit for bit (tests/test_branching.py). What
branching changes is when an arm's parameter overrides (a resistance switch, a changed
rate) begin: on the branch day instead of day 0, so the arms share the past before it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from escapesim.engine.checkpoint import Checkpoint
from escapesim.engine.ensemble import Cell, Ensemble
from escapesim.engine.record import Result
from escapesim.engine.scenario import Scenario
from escapesim.engine.simulation import Simulation


@dataclass(frozen=True, slots=True)
class Branch:
    """Where the replicates of a branching cell start: grown under ``base`` to ``day``."""

    base: Scenario
    day: float

    def simulation(
        self, arm: Scenario, replicate: int, progress: Callable[[float], None] | None = None
    ) -> Simulation:
        """Replicate ``replicate`` of ``arm``, continuing its shared past (``progress``
        sees the arm's days only: the shared past runs first, without reports)."""
        past = shared_past(self.base, replicate, self.day)
        return Simulation.restore(past, scenario=arm, progress=progress)


@dataclass(frozen=True, slots=True)
class StoredBranch(Branch):
    """A branch whose shared pasts were kept: a stored run's checkpoints at ``day``
    (:meth:`Checkpoint.to_bytes`), by replicate, so a fork of a stored run continues them
    instead of growing them again (growing ``base`` to ``day`` gives the same past)."""

    checkpoints: tuple[tuple[int, bytes], ...]

    def simulation(
        self, arm: Scenario, replicate: int, progress: Callable[[float], None] | None = None
    ) -> Simulation:
        """Replicate ``replicate`` of ``arm`` from its stored past (grown again if it was
        not kept)."""
        stored = dict(self.checkpoints).get(replicate)
        if stored is None:
            return Branch.simulation(self, arm, replicate, progress)
        past = Checkpoint.from_bytes(stored)
        return Simulation.restore(past, scenario=arm, progress=progress)


def cell_branch(ensemble: Ensemble, cell: Cell) -> Branch | None:
    """The branch a cell's replicates continue, or ``None`` without a branch day."""
    if ensemble.branch_day is None:
        return None
    return Branch(ensemble.base_scenario(cell.values), ensemble.branch_day)


def shared_past(base: Scenario, replicate: int, day: float) -> Checkpoint:
    """Replicate ``replicate`` of ``base`` grown to ``day`` and checkpointed."""
    simulation = Simulation(base, replicate)
    simulation.run_until(day)
    return simulation.checkpoint()


def branch(base: Scenario, replicate: int, day: float, arm: Scenario) -> Result:
    """One arm's replicate: grow under ``base`` to ``day``, then continue under ``arm``."""
    return Simulation.restore(shared_past(base, replicate, day), scenario=arm).run()


def branched_point(ensemble: Ensemble, point: int, replicate: int) -> dict[str, Result]:
    """Every arm's replicate ``replicate`` at grid point ``point``, from one shared past
    (or, without a branch day, each arm run from day 0)."""
    values: Mapping[str, float] = ensemble.grid_points()[point]
    arms = {arm.name: ensemble.cell_scenario(values, arm) for arm in ensemble.arms}
    if ensemble.branch_day is None:
        return {name: Simulation(s, replicate).run() for name, s in arms.items()}
    past = shared_past(ensemble.base_scenario(values), replicate, ensemble.branch_day)
    return {name: Simulation.restore(past, scenario=s).run() for name, s in arms.items()}
