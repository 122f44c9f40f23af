"""RunSession against a real server on a real port: decisions and actions equal the
in-process episode bitwise, a bad action leaves the session usable, the session limit,
the idle timeout, cancellation and deadlines free the slot, and a token resumes the
patient on a restarted server."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from escapesim import engine
from escapesim.engine.episode import Action, Episode, Measurement, Observation, Prescription
from escapesim.service.cli import main
from escapesim.service.client import Client, ReplicateSummary, ServiceError, Session
from escapesim.service.testing import InProcessServer
from tests.hostile_support import hostile_settings

MAX_SESSIONS = 2
#: Long enough that no test's client, acting at once, trips it on a loaded machine.
IDLE_SECONDS = 2.0
CLINIC = Measurement(cv=0.3, detection_limit=1e3)
DOSE = {"kind": "anti_pd1", "dose": 10.0}


def _patient(horizon: float = 70.0) -> engine.Scenario:
    """The anti-PD-1 example's patient (tests/test_episode.py), untreated."""
    return engine.Scenario.build(
        preset="escape2004", horizon_days=horizon, seed=1, escape_threshold=1e9,
        parameters={"dc_supply": 60.0, "priming_rate": 0.1},
        initial={"T": 0.0, "T_p": 1e5},
        mechanisms={"suppression": False, "counterattack": False, "variants": False,
                    "regulation": False},
    )  # fmt: skip


def _server(data: Path) -> InProcessServer:
    return InProcessServer(
        hostile_settings(data, max_sessions=MAX_SESSIONS, session_idle_seconds=IDLE_SECONDS)
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    with _server(tmp_path_factory.mktemp("sessions") / "data") as running:
        yield running


@pytest.fixture
def client(server: InProcessServer) -> Iterator[Client]:
    with server.client() as connected:
        yield connected


def _policy(observation: Observation) -> bool:
    """Dose on the first decisions the burden is seen above 1e5 cells (days vary)."""
    return observation.detected and observation.burden > 1e5 and observation.day <= 35


def _in_process(scenario: engine.Scenario) -> tuple[list[Observation], Episode]:
    episode = Episode(scenario, 0, every=7, measurement=CLINIC)
    seen = []
    while not episode.done:
        assert episode.observation is not None
        seen.append(episode.observation)
        dose = Action(doses=(Prescription(kind="anti_pd1", dose=10.0),))
        episode.act(dose if _policy(episode.observation) else None)
    return seen, episode


def _same(summary: ReplicateSummary | None, result: engine.Result) -> None:
    assert summary is not None
    assert summary.outcome is result.outcome.kind
    assert summary.outcome_day == result.outcome.time
    assert summary.counters == dict(result.counters)
    assert summary.final_values == result.final()  # exact floats: bitwise


def test_a_session_equals_the_in_process_episode_bitwise(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="escapesim.calls")
    scenario = _patient()
    expected, episode = _in_process(scenario)
    seen = []
    with client.session(scenario, every=7, measurement=CLINIC) as session:
        for observation in session:
            seen.append(observation)
            if _policy(observation):
                session.act(DOSE)
    assert seen == expected  # every measured burden, count and exposure, exactly
    assert any(_policy(o) for o in seen)
    assert not all(_policy(o) for o in seen)
    assert session.observation == episode.observation  # the horizon's
    _same(session.summary, episode.result)
    assert engine.Scenario.from_dict(session.scenario or {}) == episode.scenario
    # The final scenario alone reproduces the session's replicate.
    _same(session.summary, engine.simulate(episode.scenario, 0))
    logged = [r.getMessage() for r in caplog.records if "method=RunSession" in r.getMessage()]
    assert any("status=OK" in line for line in logged)


def test_a_bad_action_is_refused_in_the_stream_and_the_session_stays_usable(
    client: Client,
) -> None:
    scenario = _patient(horizon=28.0)
    with client.session(scenario, every=7) as session:
        assert session.day == 0.0
        with pytest.raises(ServiceError) as refused:
            session.act([{"kind": "anti_pd1", "dose": -1.0},
                          {"kind": "no_such_therapy"},
                          {"kind": "anti_pd1", "at_days": [-3.0]}])  # fmt: skip
        assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
        fields = {v.field for v in refused.value.violations}
        assert {"act.doses[0].dose", "act.doses[1].kind"} <= fields
        assert any(f.startswith("act.doses[2].at_days") for f in fields)
        assert session.day == 0.0  # still at the same decision
        after = session.act(DOSE)
        assert after is not None
        assert after.day == 7.0
        for _ in session:
            pass
    listed = scenario.with_changes(therapies=[{"kind": "anti_pd1", "at_days": [0], "dose": 10.0}])
    _same(session.summary, engine.simulate(listed, 0))


def test_bad_first_requests_are_invalid_argument_naming_the_field(client: Client) -> None:
    with pytest.raises(ServiceError) as bad:
        client.session({**_patient().to_dict(), "horizon_days": -1.0})
    assert bad.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in bad.value.violations] == ["open.scenario.horizon_days"]
    with pytest.raises(ServiceError) as off_grid:
        client.session(_patient(), every=2.5)
    assert [v.field for v in off_grid.value.violations] == ["open.every_days"]
    with pytest.raises(ServiceError) as forged:
        client.resume_session(b"ESCK not a checkpoint")
    assert forged.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in forged.value.violations] == ["resume.token"]


def test_sessions_past_the_limit_are_resource_exhausted(client: Client) -> None:
    opened = [client.session(_patient(), every=7) for _ in range(MAX_SESSIONS)]
    try:
        with pytest.raises(ServiceError) as refused:
            client.session(_patient(), every=7)
        assert refused.value.code is grpc.StatusCode.RESOURCE_EXHAUSTED
    finally:
        for session in opened:
            session.close()
    _opens_within(client, seconds=1.0).close()


def test_cancelling_during_a_step_frees_the_slot_at_once(client: Client) -> None:
    # One step of 182 days takes a few hundred ms: the slot must come back before it ends.
    long = engine.Scenario.build(preset="escape2004", horizon_days=364, seed=3,
                                 escape_threshold=1e12)  # fmt: skip
    held = client.session(_patient(), every=7)
    try:
        session = client.session(long, every=182)
        closer = threading.Timer(0.02, session.close)
        closer.start()
        with pytest.raises(ServiceError) as cancelled:
            session.act()
        closer.join()
        assert cancelled.value.code is grpc.StatusCode.CANCELLED
        _opens_within(client, seconds=0.5).close()
    finally:
        held.close()


def test_a_client_deadline_ends_the_session_and_frees_the_slot(client: Client) -> None:
    opened = [client.session(_patient(), every=7, timeout=0.5) for _ in range(MAX_SESSIONS)]
    time.sleep(0.7)
    for session in opened:
        with pytest.raises(ServiceError) as expired:
            session.act()
        assert expired.value.code is grpc.StatusCode.DEADLINE_EXCEEDED
    _opens_within(client, seconds=1.0).close()


def test_an_idle_session_ends_with_deadline_exceeded(client: Client) -> None:
    session = client.session(_patient(), every=7)
    time.sleep(IDLE_SECONDS + 0.5)
    with pytest.raises(ServiceError) as idle:
        session.act()
    assert idle.value.code is grpc.StatusCode.DEADLINE_EXCEEDED
    assert "idle" in idle.value.message


def test_a_token_resumes_the_patient_on_a_restarted_server(tmp_path: Path) -> None:
    scenario = _patient()
    expected, episode = _in_process(scenario)
    with _server(tmp_path / "data") as first, first.client() as client:
        session = client.session(scenario, every=7, measurement=CLINIC)
        for observation in session:
            if _policy(observation):
                session.act(DOSE)
            if session.day == 21.0:
                token = session.checkpoint()
                break
        assert session.checkpoint() == token  # a token does not move the session
    # The first server is gone; the token alone carries the patient.
    with _server(tmp_path / "data") as second, second.client() as client:
        resumed = client.resume_session(token, every=7, measurement=CLINIC)
        seen = []
        with resumed:
            for observation in resumed:
                seen.append(observation)
                if _policy(observation):
                    resumed.act(DOSE)
    assert seen == [o for o in expected if o.day >= 21.0]
    _same(resumed.summary, episode.result)


def _opens_within(client: Client, seconds: float) -> Session:
    """A new session, retried while the server still counts a slot just freed."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return client.session(_patient(horizon=14.0), every=7)
        except ServiceError as error:
            if error.code is not grpc.StatusCode.RESOURCE_EXHAUSTED or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


# -- the command line ------------------------------------------------------------------------


def treat_when_seen(observation: Observation) -> dict[str, float] | None:
    """The CLI's policy in these tests (``tests.test_service_sessions:treat_when_seen``)."""
    return DOSE if _policy(observation) else None


def test_the_cli_drives_a_session_with_a_policy(
    server: InProcessServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = _patient()
    expected, episode = _in_process(scenario)
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(scenario.to_dict()))
    token = tmp_path / "token.bin"
    policy = "tests.test_service_sessions:treat_when_seen"
    flags = ["--server", server.address, "--every", "7", "--cv", "0.3",
             "--detection-limit", "1e3", "--policy", policy]  # fmt: skip
    assert main(["session", str(path), *flags, "--json", "--token-out", str(token)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [d["burden"] for d in document["decisions"]] == [o.burden for o in expected]
    assert [d["doses"] is not None for d in document["decisions"]] == [
        _policy(o) for o in expected
    ]
    assert document["final_values"] == episode.result.final()
    assert document["outcome"] == episode.result.outcome.kind.value
    # The token file holds the last decision: resuming it replays that decision's tail.
    assert main(["session", "--resume", str(token), *flags]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"day {expected[-1].day:g}: burden ")
    assert lines[-1].startswith(f"outcome: {episode.result.outcome.kind.value}")


def test_the_cli_refuses_a_policy_it_cannot_import(
    server: InProcessServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(_patient().to_dict()))
    flags = ["--server", server.address]
    assert main(["session", str(path), *flags, "--policy", "no_such_module:f"]) == 2
    assert "--policy: cannot import no_such_module" in capsys.readouterr().err
    assert main(["session", str(path), *flags, "--policy", "tests.test_service_sessions"]) == 2
    assert "MODULE:FUNCTION" in capsys.readouterr().err


def test_sessions_need_a_token_like_every_call(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("secret-token\n")
    settings = hostile_settings(tmp_path / "data", tokens_file=str(tokens))
    with InProcessServer(settings) as secured:
        with secured.client() as anonymous, pytest.raises(ServiceError) as refused:
            anonymous.session(_patient(horizon=14.0), every=7)
        assert refused.value.code is grpc.StatusCode.UNAUTHENTICATED
        with secured.client(token="secret-token") as client:
            with client.session(_patient(horizon=14.0), every=7) as session:
                assert [o.day for o in session] == [0.0, 7.0]
            assert session.done


def test_a_stopping_server_sends_each_session_its_token(tmp_path: Path) -> None:
    scenario = _patient()
    expected, episode = _in_process(scenario)
    first = _server(tmp_path / "data")
    first.start()
    with first.client() as client:
        session = client.session(scenario, every=7, measurement=CLINIC)
        for observation in session:
            if _policy(observation):
                session.act(DOSE)
            if session.day == 14.0:
                break
        first.stop()  # drains while the session waits at day 14
        with pytest.raises(ServiceError) as stopped:
            session.act()
        assert stopped.value.code is grpc.StatusCode.UNAVAILABLE
        assert session.shutdown_token is not None
    token = session.shutdown_token
    with (
        _server(tmp_path / "data") as second,
        second.client() as client,
        client.resume_session(token, every=7, measurement=CLINIC) as resumed,
    ):
        seen = []
        for observation in resumed:
            seen.append(observation)
            if _policy(observation):
                resumed.act(DOSE)
    assert seen == [o for o in expected if o.day >= 14.0]
    _same(resumed.summary, episode.result)


def test_a_token_is_held_to_the_servers_caps(tmp_path: Path) -> None:
    token = Episode(_patient(horizon=70.0), 0, every=7).token()  # made anywhere: bytes
    settings = hostile_settings(tmp_path / "data", max_horizon_days=50)
    with InProcessServer(settings) as strict, strict.client() as client:
        with pytest.raises(ServiceError) as refused:
            client.resume_session(token, every=7)
        assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
        (violation,) = refused.value.violations
        assert violation.field == "resume.token"
        assert "horizon_days" in violation.message
