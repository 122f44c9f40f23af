"""Every RPC against a real server in this process, on a free loopback port.

The server (``escapesim.service.testing.InProcessServer``) runs its own event loop in a thread;
simulations run in its spawned worker processes. Scenarios are short so the module stays
fast; the one heavy case (a result larger than 4 MiB) samples a network with all rates
zero, so its cost is the sampling alone.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escapesim import engine
from escapesim.engine import Scenario
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import rpc
from escapesim.service.api.result_stream import MAX_BYTES
from escapesim.service.api.settings import Settings
from escapesim.service.client import Client, ReplicateSummary, ServiceError
from escapesim.service.store.run_record import RunState
from escapesim.service.testing import InProcessServer

TINY = {"preset": "kuznetsov1994", "horizon_days": 5, "replicates": 1}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    data = tmp_path_factory.mktemp("rpc") / "data"
    settings = Settings.load(
        environ={},
        flags={
            "addr": "127.0.0.1:0",
            "data": str(data),
            "workers": 2,
            "max_concurrent_runs": 2,
            "max_queued_runs": 50,
            "simulate_workers": 1,
            "drain_seconds": 1,
        },
    )
    with InProcessServer(settings) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: InProcessServer) -> Iterator[Client]:
    with server.client() as connected:
        yield connected


def _code(call: Any) -> grpc.StatusCode:
    with pytest.raises(ServiceError) as caught:
        call()
    return caught.value.code


# -- health, reflection, presets -------------------------------------------------------------


def test_health_answers_overall_and_per_service(server: InProcessServer) -> None:
    with grpc.insecure_channel(server.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", rpc.SERVICE_NAME):
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_and_describes_the_service(server: InProcessServer) -> None:
    with grpc.insecure_channel(server.address) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        services = set(database.get_services())
        assert {rpc.SERVICE_NAME, "grpc.health.v1.Health"} <= services
        found = database.FindFileContainingSymbol(rpc.SERVICE_NAME)
        assert found.name == "escapesim/v1/simulation_service.proto"
        assert [m.name for m in found.service[0].method] == [m.name for m in rpc.METHODS]


def test_list_presets_matches_the_catalogue(client: Client) -> None:
    presets = client.presets()
    assert [p.name for p in presets] == [n.name for n in engine.catalog()]
    first = presets[0]
    spec = engine.catalog()[0].parameters[0]
    assert (first.parameters[0].unit, first.parameters[0].default_value) == (
        spec.unit,
        spec.default,
    )
    # Species carry their names in words and their roles, as figures group them.
    escape = next(p for p in presets if p.name == "escape2004")
    network = next(n for n in engine.catalog() if n.name == "escape2004")
    for sent, species in zip(escape.species, network.species, strict=True):
        assert sent.label == species.display
        assert pb.StateVariableRole.Name(sent.role) == f"STATE_VARIABLE_ROLE_{species.role.name}"
    assert {s.role for s in escape.species} >= {
        pb.STATE_VARIABLE_ROLE_TUMOUR,
        pb.STATE_VARIABLE_ROLE_EFFECTOR,
    }
    # Profiles (Preset.profiles): each with its description and the defaults it replaces;
    # a preset without profiles lists none.
    assert [(p.name, p.description, dict(p.values)) for p in escape.profiles] == [
        (p.name, p.description, dict(p.values)) for p in network.profiles
    ]
    assert [p.name for p in escape.profiles] == ["mouse", "human"]
    assert escape.profiles[1].values["division_rate"] == 0.154
    assert not next(p for p in presets if p.name == "kuznetsov1994").profiles


# -- ValidateScenario and bad input ------------------------------------------------------------


def test_with_defaults_fills_in_defaults(client: Client) -> None:
    normalised = client.with_defaults({"preset": "kuznetsov1994", "horizon_days": 10})
    assert normalised == Scenario.build(preset="kuznetsov1994", horizon_days=10).to_dict()


def test_validate_returns_the_problems_and_raises_only_when_the_call_fails(
    client: Client,
) -> None:
    # Issue 16: validate() returns the problems (empty: valid) as escapesim.validate does;
    # with_defaults() raises them; problems() is the old name, deprecated.
    assert client.validate({"preset": "kuznetsov1994", "horizon_days": 10}) == []
    bad = {**TINY, "horizon_days": -3, "parameters": {"s": -1.0}}
    found = client.validate(bad)
    with pytest.raises(ServiceError) as caught:
        client.with_defaults(bad)
    assert found == list(caught.value.violations)
    assert {v.field for v in found} == {"scenario.horizon_days", "scenario.parameters.s"}
    # A mapping the client cannot even encode is a problem too, not an exception.
    (unreadable,) = client.validate({**TINY, "horizon_days": "soon"})
    assert unreadable.field == "scenario"
    assert "horizon_days" in unreadable.message
    with pytest.deprecated_call():
        assert client.problems(bad) == found
    # A call that fails is not a list of problems: an unreachable server raises.
    with Client("127.0.0.1:9", timeout=0.5) as nowhere, pytest.raises(ServiceError) as down:
        nowhere.validate(TINY)
    assert down.value.code is grpc.StatusCode.UNAVAILABLE


BAD_SCENARIOS = [
    ({**TINY, "horizon_days": math.nan}, "scenario.horizon_days"),
    ({**TINY, "horizon_days": math.inf}, "scenario.horizon_days"),
    ({**TINY, "horizon_days": -3}, "scenario.horizon_days"),
    ({**TINY, "horizon_days": 1e12}, "scenario.horizon_days"),
    ({**TINY, "replicates": -1}, "scenario.replicates"),
    ({**TINY, "replicates": 10**9}, "scenario.replicates"),
    ({**TINY, "seed": -5}, "scenario.seed"),
    ({**TINY, "interval_days": 0}, "scenario.interval_days"),
    ({**TINY, "parameters": {"s": -1.0}}, "scenario.parameters.s"),
    ({**TINY, "parameters": {"no_such_rate": 1.0}}, "scenario.parameters.no_such_rate"),
    ({**TINY, "initial": {"T": 2.5}}, "scenario.initial.T"),
    ({**TINY, "initial": {"T": 1e30}}, "scenario.initial.T"),
    ({**TINY, "initial": {"Q": 1}}, "scenario.initial.Q"),
    ({**TINY, "preset": "no_such_preset"}, "scenario.preset"),
    (
        {**TINY, "therapies": [{"kind": "no_such_therapy", "at_days": [1]}]},
        "scenario.therapies[0].kind",
    ),
    ({}, "scenario.preset"),
]


@pytest.mark.parametrize(("scenario", "field"), BAD_SCENARIOS)
def test_bad_scenarios_are_invalid_argument_naming_the_field(
    client: Client, scenario: dict[str, Any], field: str
) -> None:
    with pytest.raises(ServiceError) as caught:
        client.with_defaults(scenario)
    assert caught.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert field in [v.field for v in caught.value.violations], caught.value.violations
    with pytest.raises(ServiceError) as created:
        client.create_run(scenario)
    assert created.value.violations == caught.value.violations


def test_a_request_without_a_scenario_names_the_scenario_field(server: InProcessServer) -> None:
    with grpc.insecure_channel(server.address) as channel:
        calls = rpc.callables(channel)
        with pytest.raises(grpc.RpcError) as caught:
            calls["ValidateScenario"](pb.ValidateScenarioRequest(), timeout=5)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "scenario: is required" in caught.value.details()


def test_a_therapy_at_a_negative_day_names_its_path(client: Client) -> None:
    net = next((n for n in engine.catalog() if n.therapies), None)
    if net is None:
        pytest.skip("no preset offers a therapy yet")
    scenario = {
        "preset": net.name,
        "horizon_days": 5,
        "therapies": [
            {"kind": net.therapies[0].name, "at_days": [1.0]},
            {"kind": net.therapies[0].name, "at_days": [-1.0]},
        ],
    }
    with pytest.raises(ServiceError) as caught:
        client.with_defaults(scenario)
    assert "scenario.therapies[1].at_days[0]" in [v.field for v in caught.value.violations]


_NAMES = st.sampled_from(["s", "p", "T", "E", "birth", "IL2", "x", "", "a.b"])
_NUMBERS = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**6), 10**6)
_PRESETS = st.sampled_from([n.name for n in engine.catalog()] + ["", "nope"])


@st.composite
def _messages(draw: st.DrawFn) -> pb.Scenario:
    message = pb.Scenario(
        preset=draw(_PRESETS),
        parameters=draw(st.dictionaries(_NAMES, _NUMBERS, max_size=3)),
        initial=draw(st.dictionaries(_NAMES, _NUMBERS, max_size=3)),
        mechanisms=draw(st.dictionaries(_NAMES, st.booleans(), max_size=2)),
    )
    for _ in range(draw(st.integers(0, 2))):
        therapy = message.therapies.add(
            kind=draw(st.sampled_from(["", "x", "anti_PD1", "chemo", "rIL2"])),
            at_days=draw(st.lists(_NUMBERS, max_size=3)),
        )
        if draw(st.booleans()):
            therapy.dose = draw(_NUMBERS)
    for name in ("horizon_days", "interval_days", "escape_threshold"):
        if draw(st.booleans()):
            setattr(message, name, draw(st.sampled_from([0.5, 3.0]) | _NUMBERS))
    for name in ("seed", "replicates"):
        if draw(st.booleans()):
            setattr(message, name, draw(st.integers(-(2**63), 2**63 - 1) | st.integers(-2, 4)))
    return message


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(message=_messages())
def test_random_scenarios_get_only_ok_or_invalid_argument(
    client: Client, message: pb.Scenario
) -> None:
    failure: ServiceError | None = None
    try:
        client.with_defaults(message)
    except ServiceError as error:
        failure = error
    if failure is not None:
        assert failure.code is grpc.StatusCode.INVALID_ARGUMENT, failure
        assert failure.violations, "INVALID_ARGUMENT must say which fields are wrong"
        assert all(v.field.startswith("scenario") for v in failure.violations)


# -- runs ---------------------------------------------------------------------------------


def test_create_get_and_wait_for_a_run(client: Client) -> None:
    run = client.create_run({**TINY, "replicates": 2, "seed": 11})
    assert run.state is RunState.QUEUED
    assert client.get_run(run.run_id).run_id == run.run_id
    final = client.wait(run.run_id, timeout=60)
    assert final.state is RunState.SUCCEEDED
    assert final.replicates_done == 2
    assert not final.partial
    frame = client.results(run.run_id)
    assert list(frame.columns) == ["replicate", "t", "E", "T"]
    assert len(frame) == 2 * 6
    # Same scenario and seed as a local run: identical trajectories.
    local = engine.simulate(Scenario.from_dict({**TINY, "replicates": 2, "seed": 11}), 1)
    remote = frame[frame["replicate"] == 1]
    assert remote["T"].tolist() == local.trajectory["T"].tolist()
    summary = client.results(run.run_id, "replicates")
    assert summary["replicate"].tolist() == [0, 1]


def test_create_is_idempotent_on_request_id(client: Client) -> None:
    first = client.create_run(TINY, request_id="same-request")
    again = client.create_run(TINY, request_id="same-request")
    assert again.run_id == first.run_id
    with pytest.raises(ServiceError) as caught:
        client.create_run({**TINY, "seed": 99}, request_id="same-request")
    assert caught.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in caught.value.violations] == ["request_id"]


def test_list_runs_pages_newest_first_with_a_state_filter(client: Client) -> None:
    created = [client.create_run({**TINY, "seed": 100 + i}).run_id for i in range(5)]
    for run_id in created:
        client.wait(run_id, timeout=60)
    seen: list[str] = []
    token = ""
    while True:
        page, token = client.list_runs(page_size=2, page_token=token)
        assert len(page) <= 2
        seen += [r.run_id for r in page]
        if not token:
            break
    assert len(seen) == len(set(seen))
    positions = [seen.index(r) for r in created]
    assert positions == sorted(positions, reverse=True), "newest first"
    succeeded = list(client.iter_runs(state=RunState.SUCCEEDED, page_size=3))
    assert {r.state for r in succeeded} == {RunState.SUCCEEDED}
    assert set(created) <= {r.run_id for r in succeeded}
    assert (
        _code(lambda: client.list_runs(page_token="garbage!")) is grpc.StatusCode.INVALID_ARGUMENT
    )


def test_unknown_runs_are_not_found_and_missing_ids_invalid(client: Client) -> None:
    assert _code(lambda: client.get_run("no-such-run")) is grpc.StatusCode.NOT_FOUND
    assert _code(lambda: client.cancel_run("no-such-run")) is grpc.StatusCode.NOT_FOUND
    assert _code(lambda: list(client.watch("no-such-run"))) is grpc.StatusCode.NOT_FOUND
    assert _code(lambda: client.results("no-such-run")) is grpc.StatusCode.NOT_FOUND
    assert _code(lambda: client.get_run("")) is grpc.StatusCode.INVALID_ARGUMENT


def _long_run(client: Client, replicates: int = 400) -> str:
    return client.create_run(
        {"preset": "kuznetsov1994", "horizon_days": 3000, "replicates": replicates, "seed": 5}
    ).run_id


def test_cancel_a_running_run_keeps_partial_results(client: Client) -> None:
    run_id = _long_run(client)
    for update in client.watch(run_id, timeout=60):
        if update.run.state is RunState.RUNNING and update.run.replicates_done >= 1:
            break
    assert _code(lambda: client.results(run_id)) is grpc.StatusCode.FAILED_PRECONDITION
    cancelled = client.cancel_run(run_id)
    assert cancelled.state is RunState.CANCELLED
    assert cancelled.partial
    assert 1 <= cancelled.replicates_done < cancelled.replicates_total
    summary = client.results(run_id, "replicates")
    assert len(summary) == cancelled.replicates_done
    assert _code(lambda: client.cancel_run(run_id)) is grpc.StatusCode.FAILED_PRECONDITION


def test_a_watcher_can_drop_and_reattach_without_affecting_the_run(client: Client) -> None:
    run_id = client.create_run({**TINY, "horizon_days": 60, "replicates": 6}).run_id
    first: list[int] = []
    for update in client.watch(run_id, timeout=60):
        first.append(update.sequence)
        if len(first) == 2:
            break  # the watcher disconnects mid-run
    rest = [(u.sequence, u.run.state) for u in client.watch(run_id, after=first[-1], timeout=60)]
    sequences = first + [s for s, _ in rest]
    assert sequences == sorted(set(sequences)), "no event twice, in order"
    assert rest[-1][1] is RunState.SUCCEEDED
    assert client.get_run(run_id).replicates_done == 6
    # A watcher arriving after the end gets the final event only, then the stream ends.
    late = list(client.watch(run_id, timeout=10))
    assert [u.run.state for u in late] == [RunState.SUCCEEDED]
    assert list(client.watch(run_id, after=late[-1].sequence, timeout=10)) == []


def test_a_result_larger_than_4_mib_streams_whole_in_small_chunks(
    server: InProcessServer, client: Client
) -> None:
    still = {p.name: 0.0 for p in engine.network("kuznetsov1994").parameters}  # type: ignore[union-attr]
    scenario = {
        "preset": "kuznetsov1994", "parameters": still, "horizon_days": 800,
        "interval_days": 0.01, "replicates": 2,
    }  # fmt: skip
    run = client.wait(client.create_run(scenario).run_id, timeout=120)
    assert run.state is RunState.SUCCEEDED
    with grpc.insecure_channel(server.address) as channel:
        stream = rpc.callables(channel)["StreamResults"]
        replies = list(stream(pb.StreamResultsRequest(run_id=run.run_id), timeout=60))
    sizes = [r.ByteSize() for r in replies]
    assert sum(sizes) > 4 * 1024 * 1024
    assert max(sizes) <= MAX_BYTES + 1024
    table = client.results(run.run_id)
    samples = Scenario.from_dict(scenario).sample_times()
    assert len(table) == 2 * len(samples)
    assert table["t"].tolist() == samples + samples
    assert set(table["T"]) == {5_000_000}


# -- Simulate -----------------------------------------------------------------------------------


def test_simulate_streams_every_frame_then_a_summary(client: Client) -> None:
    items = list(client.simulate({**TINY, "replicates": 2, "seed": 3}, timeout=60))
    frames = [i for i in items if not isinstance(i, ReplicateSummary)]
    summaries = [i for i in items if isinstance(i, ReplicateSummary)]
    assert [(f.replicate, f.t) for f in frames] == [(k, float(t)) for k in (0, 1) for t in range(6)]
    assert [s.replicate for s in summaries] == [0, 1]
    local = engine.simulate(Scenario.from_dict({**TINY, "replicates": 2, "seed": 3}), 1)
    assert summaries[1].final_values == local.final()
    assert summaries[1].counters == dict(local.counters)


def test_simulate_stops_at_the_client_deadline(client: Client) -> None:
    # About a minute of work, just under the frame cap.
    endless = {"preset": "kuznetsov1994", "horizon_days": 365, "replicates": 250}
    started = time.monotonic()
    with pytest.raises(ServiceError) as caught:
        for _ in client.simulate(endless, timeout=1.0):
            pass
    assert caught.value.code is grpc.StatusCode.DEADLINE_EXCEEDED
    assert time.monotonic() - started < 5
    # The only Simulate worker was stopped and freed (or, had it not obeyed, replaced):
    # a new call does not wait for the abandoned minute of work.
    started = time.monotonic()
    assert len(list(client.simulate(TINY, timeout=45))) == 7
    assert time.monotonic() - started < 30


def test_simulate_refuses_scenarios_over_its_frame_cap(client: Client) -> None:
    huge = {"preset": "kuznetsov1994", "horizon_days": 500, "interval_days": 0.004}
    with pytest.raises(ServiceError) as caught:
        list(client.simulate(huge, timeout=10))
    assert caught.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in caught.value.violations] == ["scenario.replicates"]


def test_data_directory_holds_the_store(server: InProcessServer) -> None:
    assert any(Path(server.settings.data).iterdir())
