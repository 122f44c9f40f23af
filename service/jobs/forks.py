"""Forks of stored runs: one new run per arm, each continuing a kept checkpoint.

A fork of replicate R of run X at day D makes one run per arm (not an ensemble: an arm
is one replicate, and the arms pair by construction — the same past, the same random
streams at D — so a client compares their runs directly). Each run is an ordinary
durable run with ``forked_from`` set: it queues, runs on the executor, persists, is
recovered after a restart and streams its results like any other; its worker restores
the parent's kept checkpoint instead of simulating the past again
(:class:`~escapesim.engine.branching.StoredBranch`), so the results hold the parent's
samples before D bitwise.

Idempotency: with a request id K, arm k's run is created with the request id ``K#k``,
so a retried fork finds every run the first call made (and makes those it did not get
to, if it was interrupted), and reusing K for another fork is a conflict.
"""

from __future__ import annotations

from collections.abc import Sequence

from escapesim.engine import Scenario
from escapesim.engine.checkpoint import Checkpoint
from escapesim.service.jobs.runs import Run, RunLifecycle
from escapesim.service.store.run_record import RunFork


async def fork(
    runs: RunLifecycle,
    run_id: str,
    checkpoint: Checkpoint,
    arms: Sequence[tuple[str, Scenario]],
    request_id: str | None,
) -> list[Run]:
    """Queue one run per (name, arm scenario) continuing ``checkpoint`` of ``run_id``.

    Raises what :meth:`RunLifecycle.create` raises (a full queue, a conflicting request
    id, draining); runs queued before such a refusal stay queued.
    """
    made = []
    for k, (name, arm) in enumerate(arms):
        origin = RunFork(run_id, checkpoint.replicate, checkpoint.day, name)
        key = None if request_id is None else f"{request_id}#{k}"
        made.append(await runs.create(arm, key, checkpoint.replicate, forked_from=origin))
    return made
