"""``Client.fork_run``: fork a replicate of a stored run into arms (a mixin of Client).

An arm is a ``ForkArm`` message or its mapping, the form of a fork's arm file::

    {"name": "anti-PD-1 now", "add_therapies": [{"kind": "anti_pd1", "at_days": [30, 37]}],
     "stop_therapies": [], "parameters": {}, "mechanisms": {},
     "escape_threshold": 1e9, "horizon_days": 180}

(every key but ``name`` optional; an arm of only a name continues the parent unchanged).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

from google.protobuf import json_format

from escapesim.engine import FieldViolation, ScenarioError
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.client.replies import RunInfo

#: What :meth:`ForkCalls.fork_run` accepts as an arm.
ArmLike: TypeAlias = "pb.ForkArm | Mapping[str, Any]"


class ForkCalls:
    """The fork call of :class:`~escapesim.service.client.Client`."""

    _call: Callable[[str, Any], Any]  # the Client's

    def fork_run(
        self,
        run_id: str,
        *,
        replicate: int,
        day: float,
        arms: Sequence[ArmLike],
        request_id: str | None = None,
    ) -> list[RunInfo]:
        """Fork replicate ``replicate`` of the stored run ``run_id`` at its checkpoint on
        ``day`` into ``arms``: one queued run per arm, in order (a retry with the same
        ``request_id`` returns the same runs). Raises :class:`ServiceError`, or
        :class:`engine.ScenarioError` for an arm mapping that is not a ``ForkArm``."""
        request = pb.ForkRunRequest(
            run_id=run_id, replicate=replicate, day=day, request_id=request_id or "",
            arms=[arm_message(arm, f"arms[{i}]") for i, arm in enumerate(arms)],
        )  # fmt: skip
        return [RunInfo.of(run) for run in self._call("ForkRun", request).runs]


def arm_message(arm: ArmLike, where: str = "arm") -> pb.ForkArm:
    """The ``ForkArm`` message of an arm (its values are checked by the server)."""
    if isinstance(arm, pb.ForkArm):
        return arm
    if not isinstance(arm, Mapping):
        raise ScenarioError([FieldViolation(where, "must be a mapping of fields")])
    try:
        return json_format.ParseDict(dict(arm), pb.ForkArm())
    except json_format.ParseError as error:
        raise ScenarioError([FieldViolation(where, str(error))]) from None
