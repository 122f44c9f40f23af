"""``RunSession``: the protocol of an interactive session, bounded in number and in time.

A session is one replicate driven decision by decision (:mod:`escapesim.engine.episode`)
over a bidirectional stream. Its first request opens it (``open``: a scenario, checked
and capped like a run's) or resumes it (``resume``: a token); a bad first request ends
the call with INVALID_ARGUMENT, since there is no session yet to keep. Then, at each
decision, the server sends the observation and waits for ``act`` or ``checkpoint``.

A bad later request (an action the engine refuses, a cap exceeded, a second ``open``)
is answered *in the stream* with a ``refusal`` naming the field paths, and the session
stays at its decision: a gRPC status would end the stream, and with it the patient. A
body that does not parse still ends the call with INVALID_ARGUMENT (the stream itself is
then broken). The session ends with ``end`` at the horizon or at the first decision
after an outcome, and the call with OK; a client that half-closes ends it early.

Bounds (settings ``ESCAPESIM_MAX_SESSIONS``, ``ESCAPESIM_SESSION_IDLE_SECONDS``): one
session over the limit is RESOURCE_EXHAUSTED before any request is read; a session whose
client sends nothing for the idle timeout ends with DEADLINE_EXCEEDED (the client's
tokens still resume it). Cancellation and deadlines end the handler at its next await,
which frees the slot at once (:mod:`escapesim.service.workers.sessions`). A server that
starts draining sends each session, once at a decision, its token unasked and ends it
with UNAVAILABLE: the client resumes the patient on the next server.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from typing import Any

from escapesim.engine import FieldViolation, ScenarioError
from escapesim.engine.checkpoint import Checkpoint, CheckpointError
from escapesim.engine.episode import Episode
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import errors, message_caps
from escapesim.service.api import request_fields as fields
from escapesim.service.api.convert import sessions as convert
from escapesim.service.api.guard import RequestStream
from escapesim.service.api.settings import Limits
from escapesim.service.workers.sessions import LiveEpisode, SessionThreads
from escapesim.v1 import session_pb2 as spb


class SessionRoom:
    """Every open session of one server (see the module doc); :meth:`close` when done."""

    def __init__(self, limits: Limits, max_sessions: int = 16, idle_seconds: float = 300.0) -> None:
        self._limits = limits
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.active = 0
        self._threads = SessionThreads(max_sessions)
        self._draining = asyncio.Event()

    def drain(self) -> None:
        """The server is stopping: each session, once at a decision, gets its token and
        ends UNAVAILABLE (new sessions are refused by the servicer)."""
        self._draining.set()

    def close(self) -> None:
        """Stop the session threads (steps in progress finish)."""
        self._threads.close()

    async def run(self, requests: RequestStream) -> AsyncIterator[pb.RunSessionResponse]:
        """One session: its replies to ``requests``, until its end."""
        if self.active >= self.max_sessions:
            raise errors.TooManyCalls(
                f"the server has {self.max_sessions} sessions open; retry later"
            )
        self.active += 1
        try:
            try:
                first = await self._next(requests, "the first request")
            except _Drained:
                raise errors.DrainingError("the server is shutting down; retry later") from None
            live = await self._open(first)
            async for reply in self._decisions(live, requests):
                yield reply
        finally:
            self.active -= 1

    async def _decisions(
        self, live: LiveEpisode, requests: RequestStream
    ) -> AsyncIterator[pb.RunSessionResponse]:
        """The observation of each decision and the answers to the requests at it."""
        while not live.episode.done:
            observation = live.observation
            assert observation is not None  # an episode not done is at a decision
            yield pb.RunSessionResponse(observation=convert.observation_to_proto(observation))
            moved = False
            while not moved:
                try:
                    request = await self._next(requests, f"a request at day {observation.day:g}")
                except _Drained:
                    token = spb.SessionToken(day=live.episode.day, token=await live.token())
                    yield pb.RunSessionResponse(token=token)
                    raise errors.DrainingError(
                        "the server is shutting down; resume from the token it sent"
                    ) from None
                if request is None:
                    return  # the client half-closed: the session ends
                reply, moved = await self._answer(live, request)
                if reply is not None:
                    yield reply
        episode = live.episode
        assert episode.observation is not None  # the horizon's
        end = convert.end_to_proto(episode.result, episode.scenario, episode.observation)
        yield pb.RunSessionResponse(end=end)

    async def _answer(
        self, live: LiveEpisode, request: pb.RunSessionRequest
    ) -> tuple[pb.RunSessionResponse | None, bool]:
        """The reply to one request at a decision, and whether the episode moved on."""
        step = request.WhichOneof("step")
        exceeded = message_caps.check(request)
        if exceeded:
            return _refusal("the request exceeds a cap", exceeded), False
        if step == "checkpoint":
            token = await live.token()
            day = live.episode.day
            return pb.RunSessionResponse(token=spb.SessionToken(day=day, token=token)), False
        if step == "act":
            try:
                await live.act(convert.action_from_proto(request.act))
            except ArithmeticError as error:  # the kernel could not count the patient on
                raise _uncountable("act", error) from None
            except ScenarioError as error:
                found = [FieldViolation(f"act.{v.field}", v.message) for v in error.violations]
                return _refusal("the action was refused; the session waits", found), False
            return None, True
        if step is None:
            return _refusal(
                "a request needs a step", [FieldViolation("act", "act or checkpoint is required")]
            ), False
        return _refusal(
            "the session is open", [FieldViolation(step, "only opens a session")]
        ), False

    async def _next(self, requests: RequestStream, what: str) -> Any | None:
        """The next request (None: half-closed); raises at the idle timeout, and
        :class:`_Drained` when the server starts draining first."""
        read = asyncio.ensure_future(requests.read())
        drained = asyncio.ensure_future(self._draining.wait())
        try:
            done, _ = await asyncio.wait(
                (read, drained), timeout=self.idle_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiting in (read, drained):
                waiting.cancel()  # a no-op for the one that is done
        if read in done:
            return read.result()
        if drained in done:
            raise _Drained
        raise errors.TimeCapError(
            f"no request within this server's {self.idle_seconds:g} s session idle "
            f"timeout (waiting for {what}); resume from a token"
        )

    async def _open(self, request: pb.RunSessionRequest | None) -> LiveEpisode:
        """The episode of the first request; INVALID_ARGUMENT if it cannot open one."""
        if request is None:
            raise errors.InvalidRequestError([FieldViolation("open", "open or resume is required")])
        exceeded = message_caps.check(request)
        if exceeded:
            raise errors.InvalidRequestError(exceeded)
        step = request.WhichOneof("step")
        if step == "open":
            opening = request.open
            # Building a scenario (an SBML model, a population) may take a while: off the loop.
            scenario = await self._threads.call(
                fields.built_scenario, opening.scenario, self._limits.check_run, "open.scenario"
            )
            if not 0 <= opening.replicate < scenario.replicates:
                message = f"must be in [0, {scenario.replicates}) (the scenario's replicates)"
                raise errors.InvalidRequestError([FieldViolation("open.replicate", message)])
            build = functools.partial(
                Episode, scenario, opening.replicate, every=convert.every_days(opening),
                measurement=convert.measurement_from_proto(opening.measurement),
            )  # fmt: skip
        elif step == "resume":
            # A token carries its scenario: this server's caps apply to it as to an open.
            await self._threads.call(_token_within_caps, request.resume.token, self._limits)
            build = functools.partial(
                Episode.resume, request.resume.token, every=convert.every_days(request.resume),
                measurement=convert.measurement_from_proto(request.resume.measurement),
            )  # fmt: skip
        else:
            where = step or "open"
            raise errors.InvalidRequestError(
                [FieldViolation(where, "the first request must open or resume")]
            )
        try:
            return await LiveEpisode.open(self._threads, build)
        except ArithmeticError as error:
            raise _uncountable(step, error) from None
        except ScenarioError as error:
            raise errors.InvalidRequestError.nested(step, error.violations) from None
        except CheckpointError as error:
            raise errors.InvalidRequestError([FieldViolation("resume.token", str(error))]) from None


def _token_within_caps(token: bytes, limits: Limits) -> None:
    """Raise INVALID_ARGUMENT naming ``resume.token`` for a token that does not read or
    whose scenario exceeds this server's caps."""
    try:
        scenario = Checkpoint.from_bytes(token).scenario
    except CheckpointError as error:
        raise errors.InvalidRequestError([FieldViolation("resume.token", str(error))]) from None
    exceeded = limits.check_run(scenario)
    if exceeded:
        raise errors.InvalidRequestError(
            FieldViolation("resume.token", f"its scenario's {v.field} {v.message}")
            for v in exceeded
        )


class _Drained(Exception):  # noqa: N818 - reads as what happened
    """The server started draining while a session waited for its client."""


def _uncountable(where: str, error: ArithmeticError) -> errors.InvalidRequestError:
    """A patient the kernel cannot count on (a population past its range): the session
    ends, since the episode's state is no longer one to continue from."""
    return errors.InvalidRequestError([FieldViolation(where, f"cannot be simulated: {error}")])


def _refusal(message: str, violations: list[FieldViolation]) -> pb.RunSessionResponse:
    bounded = [
        FieldViolation(v.field, v.description)
        for v in errors.bad_request(violations).field_violations
    ]
    return pb.RunSessionResponse(refusal=convert.refusal_to_proto(message, bounded))
