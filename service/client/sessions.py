"""Interactive sessions from Python: a patient observed at decisions and dosed as it goes.

    with client.session(scenario, every=7) as s:
        for observation in s:                  # one per decision day
            if observation.burden > 1e7:
                s.act({"kind": "anti_pd1", "dose": 10})   # today; or "at_days": [...]
            token = s.checkpoint()             # resume later: client.resume_session(token)
        print(s.summary.outcome)

A decision the loop body does not act on continues as planned. A refused action raises
:class:`ServiceError` (INVALID_ARGUMENT, with field paths such as ``act.doses[0].dose``)
and the session stays at the same decision, usable. Observations are the engine's own
:class:`~escapesim.engine.episode.Observation`, as an in-process episode shows them.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import grpc
from google.protobuf import json_format

from escapesim.engine import FieldViolation
from escapesim.engine.episode import Action, Measurement, Observation, Prescription
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api.convert import runs as convert
from escapesim.service.api.convert import sessions as session_convert
from escapesim.service.client.replies import ReplicateSummary, ServiceError, replicate_summary
from escapesim.service.client.requests import ScenarioLike, scenario_message

#: One dose: an engine prescription, a mapping like a scenario file's therapy
#: (``kind``, ``dose``, ``at_days``, ``parameters``), or a ``Therapy`` message.
DoseLike = Prescription | Mapping[str, Any] | pb.Therapy
#: What :meth:`Session.act` takes: one dose, several, an engine action, or None.
DosesLike = DoseLike | Sequence[DoseLike] | Action | None


class Session:
    """One open session (see the module doc); use it in ``with``, or :meth:`close` it."""

    def __init__(
        self,
        call: Any,
        first: pb.RunSessionRequest,
        *,
        metadata: Sequence[tuple[str, str]],
        timeout: float | None,
        every: float,
        measurement: Measurement | None,
    ) -> None:
        self.every = every
        self.measurement = measurement
        #: The current decision's observation (the horizon's once :attr:`done`).
        self.observation: Observation | None = None
        #: How the replicate ended, and the scenario (every dose given) that reproduces it.
        self.summary: ReplicateSummary | None = None
        self.scenario: dict[str, Any] | None = None
        #: The token a stopping server sent before it ended the session (UNAVAILABLE):
        #: :meth:`SessionCalls.resume_session` continues from it on the next server.
        self.shutdown_token: bytes | None = None
        self._outbox: queue.SimpleQueue[pb.RunSessionRequest | None] = queue.SimpleQueue()
        self._outbox.put(first)
        self._replies = call(iter(self._outbox.get, None), timeout=timeout, metadata=metadata)
        self._moved = False
        self._take(self._read())

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Observation]:
        """Each decision's observation; a decision left without :meth:`act` continues."""
        while not self.done:
            assert self.observation is not None
            self._moved = False
            yield self.observation
            if not self._moved and not self.done:
                self.act()

    @property
    def done(self) -> bool:
        """Whether the session has ended (horizon or outcome)."""
        return self.summary is not None

    @property
    def day(self) -> float:
        """The current decision day (the horizon once done)."""
        assert self.observation is not None
        return self.observation.day

    def act(self, doses: DosesLike = None) -> Observation | None:
        """Give ``doses`` (today, or on their ``at_days``) and run to the next decision;
        its observation, or None once the session has ended. A refused action raises
        :class:`ServiceError` (INVALID_ARGUMENT) and the session stays at this decision."""
        if self.done:
            raise RuntimeError("the session has ended")
        action = pb.SessionAction(doses=dose_messages(doses))
        reply = self._ask(pb.RunSessionRequest(act=action))
        self._take(reply)
        self._moved = True
        return None if self.done else self.observation

    def checkpoint(self) -> bytes:
        """The token of this decision: :meth:`Client.resume_session` continues from it
        exactly, on this server or another, now or after a restart."""
        if self.done:
            raise RuntimeError("the session has ended: no decision to resume")
        reply = self._ask(pb.RunSessionRequest(checkpoint=pb.SessionCheckpoint()), token=True)
        if not reply.HasField("token"):
            raise ServiceError(grpc.StatusCode.INTERNAL, "the server answered without a token")
        return bytes(reply.token.token)

    def close(self) -> None:
        """End the session (the server frees its slot at once)."""
        self._outbox.put(None)
        self._replies.cancel()

    def _ask(self, request: pb.RunSessionRequest, token: bool = False) -> pb.RunSessionResponse:
        self._outbox.put(request)
        reply = self._read(token)
        if reply.HasField("refusal"):
            refusal = reply.refusal
            violations = [
                FieldViolation(v.field, v.description) for v in refusal.violations
            ]
            raise ServiceError(grpc.StatusCode.INVALID_ARGUMENT, refusal.message, violations)
        return reply

    def _read(self, token: bool = False) -> pb.RunSessionResponse:
        """The next reply; a token not asked for (``token``) is a stopping server's."""
        try:
            reply: pb.RunSessionResponse = next(self._replies)
            while reply.HasField("token") and not token:
                self.shutdown_token = bytes(reply.token.token)
                reply = next(self._replies)  # the status that ends the call follows
        except grpc.RpcError as error:
            self._outbox.put(None)  # the call is over: let gRPC's request thread finish
            raise ServiceError.of(error) from None
        except StopIteration:
            self._outbox.put(None)
            raise ServiceError(grpc.StatusCode.UNAVAILABLE, "the session ended early") from None
        return reply

    def _take(self, reply: pb.RunSessionResponse) -> None:
        if reply.HasField("observation"):
            self.observation = session_convert.observation_from_proto(reply.observation)
        elif reply.HasField("end"):
            end = reply.end
            self.observation = session_convert.observation_from_proto(end.observation)
            self.summary = replicate_summary(end.summary)
            self.scenario = convert.scenario_mapping(end.scenario)
            self._outbox.put(None)  # nothing more to send: half-close
        else:
            raise ServiceError(grpc.StatusCode.INTERNAL, "the server answered out of turn")


class SessionCalls:
    """The session calls of :class:`~escapesim.service.client.Client` (a mixin)."""

    _calls: dict[str, Any]
    _metadata: tuple[tuple[str, str], ...]

    def session(
        self,
        scenario: ScenarioLike,
        *,
        every: float = session_convert.DEFAULT_EVERY_DAYS,
        replicate: int = 0,
        measurement: Measurement | None = None,
        timeout: float | None = None,
    ) -> Session:
        """Open a session on ``replicate`` of ``scenario`` with a decision every ``every``
        days; ``measurement`` adds the clinic's error to the burden; ``timeout`` (seconds)
        bounds the whole session. Raises :class:`ServiceError` if it cannot open."""
        opening = pb.SessionOpen(
            scenario=scenario_message(scenario), replicate=replicate, every_days=every,
            measurement=session_convert.measurement_to_proto(measurement),
        )  # fmt: skip
        return self._session(pb.RunSessionRequest(open=opening), every, measurement, timeout)

    def resume_session(
        self,
        token: bytes,
        *,
        every: float = session_convert.DEFAULT_EVERY_DAYS,
        measurement: Measurement | None = None,
        timeout: float | None = None,
    ) -> Session:
        """Continue at the decision ``token`` (:meth:`Session.checkpoint`) was taken;
        ``every`` and ``measurement`` as the session that took it had them."""
        resume = pb.SessionResume(
            token=token, every_days=every,
            measurement=session_convert.measurement_to_proto(measurement),
        )  # fmt: skip
        return self._session(pb.RunSessionRequest(resume=resume), every, measurement, timeout)

    def _session(
        self,
        first: pb.RunSessionRequest,
        every: float,
        measurement: Measurement | None,
        timeout: float | None,
    ) -> Session:
        return Session(
            self._calls["RunSession"], first, metadata=self._metadata, timeout=timeout,
            every=every, measurement=measurement,
        )  # fmt: skip


def dose_messages(doses: DosesLike) -> list[pb.Therapy]:
    """The ``Therapy`` messages of any accepted doses form (raises ``ValueError`` for a
    mapping with fields a therapy does not have)."""
    if doses is None:
        return []
    if isinstance(doses, Action):
        doses = doses.doses
    if isinstance(doses, Prescription | Mapping | pb.Therapy):
        doses = [doses]
    return [_dose_message(d) for d in doses]


def _dose_message(dose: DoseLike) -> pb.Therapy:
    if isinstance(dose, pb.Therapy):
        return dose
    if isinstance(dose, Prescription):
        return session_convert.prescription_to_proto(dose)
    try:
        return json_format.ParseDict(dict(dose), pb.Therapy())
    except json_format.ParseError as error:
        raise ValueError(f"not a dose: {error}") from None

