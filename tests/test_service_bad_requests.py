"""The answers to the bad requests of issue #10, each reproduced against a real server.

Undecodable bodies, forged page tokens, a scenario that cannot be simulated, and requests
whose errors would echo unbounded input: each must be a short INVALID_ARGUMENT naming its
field, never UNKNOWN, INTERNAL or an error too large for a default client to receive.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import errors, rpc
from escapesim.service.testing import InProcessServer
from escapesim.service.workers.live import ScenarioFailure
from tests.hostile_support import (
    MAX_ERROR_BYTES,
    answer_problems,
    hostile_server,
    raw_call,
    violations,
)

METHODS = {m.name: m for m in rpc.METHODS}
BLOW_UP = pb.Scenario(preset="birth_death", parameters={"birth": 100.0}, horizon_days=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    with hostile_server(tmp_path_factory.mktemp("bad") / "data") as running:
        yield running


@pytest.fixture(scope="module")
def channel(server: InProcessServer) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(server.address) as opened:
        yield opened


def _error(channel: grpc.Channel, name: str, body: bytes) -> grpc.RpcError:
    error = raw_call(channel, METHODS[name], body)
    assert error is not None, f"{name} accepted the request"
    assert not answer_problems(error, METHODS[name].request.DESCRIPTOR)
    return error


@pytest.mark.parametrize("method", rpc.METHODS, ids=lambda m: m.name)
def test_an_undecodable_body_is_invalid_argument_with_one_short_log_line(
    channel: grpc.Channel, method: rpc.Method, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    # A length-delimited field 1 whose length runs past the end of the body.
    error = _error(channel, method.name, b"\x0a\x7f\x01")
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "DecodeError" not in (error.details() or "")
    logged = [r for r in caplog.records if "does not parse" in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info is None


def test_a_body_that_breaks_inside_a_field_names_that_field(channel: grpc.Channel) -> None:
    # scenario { preset: <invalid UTF-8> }
    body = b"\x0a\x05\x0a\x03\xff\xfe\xfd"
    error = _error(channel, "ValidateScenario", body)
    assert [v.field for v in violations(error)] == ["scenario.preset"]


def _token(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize("name", ["ListRuns", "ListEnsembles"])
@pytest.mark.parametrize(
    "token",
    [
        _token({"before": 9223372036854775808, "state": ""}),
        _token({"before": -5, "state": ""}),
        _token({"before": True, "state": ""}),
        "not-a-token",
    ],
)
def test_a_forged_page_token_is_invalid_argument_naming_page_token(
    channel: grpc.Channel, name: str, token: str
) -> None:
    request = METHODS[name].request(page_token=token)
    error = _error(channel, name, request.SerializeToString())
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in violations(error)] == ["page_token"]


@pytest.mark.parametrize("name", ["Simulate", "ValidateScenario", "CreateRun"])
def test_a_scenario_that_would_outgrow_the_kernel_is_refused_up_front(
    channel: grpc.Channel, name: str
) -> None:
    body = METHODS[name].request(scenario=BLOW_UP).SerializeToString()
    error = _error(channel, name, body)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in violations(error)] == ["scenario.parameters.birth"]


def test_a_scenario_failing_in_the_simulation_is_invalid_argument_not_internal() -> None:
    status = errors.status_of(ScenarioFailure("a leap would fire more than 1e18 events"))
    assert status.code is grpc.StatusCode.INVALID_ARGUMENT


def test_an_id_that_cannot_exist_is_refused_without_echoing_it(channel: grpc.Channel) -> None:
    error = _error(channel, "GetRun", pb.GetRunRequest(run_id="x" * 9000).SerializeToString())
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "x" * 100 not in (error.details() or "")
    assert [v.field for v in violations(error)] == ["run_id"]


def test_a_list_past_its_cap_is_one_violation(channel: grpc.Channel) -> None:
    request = pb.StreamResultsRequest(run_id="abc", tables=[7] * 500)
    error = _error(channel, "StreamResults", request.SerializeToString())
    assert [v.field for v in violations(error)] == ["tables"]


def test_a_huge_map_of_unknown_parameters_gets_a_small_answer(channel: grpc.Channel) -> None:
    request = pb.ValidateScenarioRequest(scenario=pb.Scenario(preset="kuznetsov1994"))
    for index in range(55_000):
        request.scenario.parameters[f"unknown_parameter_{index}"] = 1.0
    body = request.SerializeToString()
    assert 1 << 20 < len(body) < 2 << 20  # under the receive limit: the caps must catch it
    error = _error(channel, "ValidateScenario", body)
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in violations(error)] == ["scenario.parameters"]
    size = len((error.details() or "").encode()) + sum(
        len(k) + len(v) for k, v in error.trailing_metadata()
    )
    assert size < MAX_ERROR_BYTES


def test_many_violations_are_capped_and_clipped() -> None:
    from escapesim.engine import FieldViolation

    long = [FieldViolation(f"scenario.parameters.p{i}", "y" * 5000) for i in range(1000)]
    status = errors.status_of(errors.InvalidRequestError(long))
    size = len(status.details) + sum(len(k) + len(v) for k, v in status.trailing_metadata)
    assert size < MAX_ERROR_BYTES
    listed = errors.bad_request(long).field_violations
    assert len(listed) == errors.MAX_VIOLATIONS
    assert listed[-1].description == f"and {1000 - errors.MAX_VIOLATIONS + 1} more problems"


def test_unauthenticated_garbage_is_refused_before_decoding(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("secret-token\n")
    with (
        hostile_server(tmp_path / "data", tokens_file=str(tokens)) as server,
        grpc.insecure_channel(server.address) as opened,
    ):
        error = raw_call(opened, METHODS["GetRun"], b"\x0a\x7f\x01")
        assert error is not None
        assert error.code() is grpc.StatusCode.UNAUTHENTICATED
        metadata = (("authorization", "Bearer secret-token"),)
        call = opened.unary_unary(METHODS["GetRun"].path)
        with pytest.raises(grpc.RpcError) as caught:
            call(b"\x0a\x7f\x01", timeout=10, metadata=metadata)
        assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
