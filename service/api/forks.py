"""``ForkRun``: a stored run's replicate continued from a kept checkpoint into arms.

The request's own fields are checked here (ids, the replicate, the arms' names), the
checkpoint is read and every arm built and checked against it off the event loop
(:func:`escapesim.engine.fork_arm.fork_scenario`: a restore per arm, a few ms), and
:mod:`escapesim.service.jobs.forks` queues the arms' runs. Paths of violations are the
request's (``arms[1].add_therapies[0].at_days[0]``).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from escapesim.engine import FieldViolation, Scenario, ScenarioError
from escapesim.engine.checkpoint import Checkpoint, CheckpointError
from escapesim.engine.fork_arm import ArmChange, fork_scenario
from escapesim.engine.frozen import FrozenMap
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import errors
from escapesim.service.api import request_fields as fields
from escapesim.service.api.convert import runs as convert
from escapesim.service.jobs import forks
from escapesim.service.jobs.runs import NoCheckpoint, RunLifecycle

#: Runs a blocking call off the event loop (the servicer's validation threads).
OffLoop = Callable[..., Awaitable[Any]]
#: Replicate indices are int32 (CreateRunRequest.first_replicate).
_MAX_REPLICATE = 2**31 - 1


async def fork_run(
    runs: RunLifecycle, request: pb.ForkRunRequest, off_loop: OffLoop
) -> pb.ForkRunResponse:
    """Answer a ForkRun request whose message caps were checked (see the module doc)."""
    run_id = fields.identifier("run_id", request.run_id)
    replicate, day = _origin(request)
    changes = _changes(request.arms)
    checkpoint = await off_loop(runs.checkpoint, run_id, replicate, day)
    arms = await off_loop(_arms, checkpoint, changes)
    made = await forks.fork(runs, run_id, checkpoint, arms, request.request_id or None)
    return pb.ForkRunResponse(runs=[convert.run_to_proto(r) for r in made])


def arm_change(message: pb.ForkArm) -> ArmChange:
    """The engine's change of one ``ForkArm`` message (values are checked when built)."""
    return ArmChange(
        name=message.name,
        add_therapies=tuple(convert.therapy_mapping(t) for t in message.add_therapies),
        stop_therapies=tuple(message.stop_therapies),
        parameters=FrozenMap(dict(message.parameters)),
        mechanisms=FrozenMap(dict(message.mechanisms)),
        escape_threshold=(
            message.escape_threshold if message.HasField("escape_threshold") else None
        ),
        horizon_days=message.horizon_days if message.HasField("horizon_days") else None,
    )


def _origin(request: pb.ForkRunRequest) -> tuple[int, float]:
    violations = []
    if not 0 <= request.replicate <= _MAX_REPLICATE:
        violations.append(FieldViolation("replicate", f"must be in 0 … {_MAX_REPLICATE}"))
    if not math.isfinite(request.day) or request.day < 0:
        violations.append(FieldViolation("day", "must be a finite day >= 0"))
    if violations:
        raise errors.InvalidRequestError(violations)
    return int(request.replicate), float(request.day)


def _changes(arms: Sequence[pb.ForkArm]) -> list[ArmChange]:
    if not arms:
        raise errors.InvalidRequestError([FieldViolation("arms", "must list at least one arm")])
    violations, seen = [], set()
    for i, arm in enumerate(arms):
        if not arm.name:
            violations.append(FieldViolation(f"arms[{i}].name", "is required"))
        elif arm.name in seen:
            violations.append(FieldViolation(f"arms[{i}].name", f"{arm.name!r} is repeated"))
        seen.add(arm.name)
    if violations:
        raise errors.InvalidRequestError(violations)
    return [arm_change(a) for a in arms]


def _arms(checkpoint: Checkpoint, changes: Sequence[ArmChange]) -> list[tuple[str, Scenario]]:
    """Every arm's scenario, or every arm's problems at once (as request paths)."""
    built, violations = [], []
    for i, change in enumerate(changes):
        try:
            built.append((change.name, fork_scenario(checkpoint, change)))
        except ScenarioError as error:
            violations += [FieldViolation(_join(i, v.field), v.message) for v in error.violations]
        except CheckpointError as error:
            reason = f"the kept checkpoint cannot continue here: {error}"
            raise NoCheckpoint("day", reason) from None
    if violations:
        raise errors.InvalidRequestError(violations)
    return built


def _join(arm: int, path: str) -> str:
    return f"arms[{arm}]" if path in ("", "scenario") else f"arms[{arm}].{path}"
