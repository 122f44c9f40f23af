"""The message caps: every repeated and map field of every request has one, the receive
limit follows them, the README lists them, and a request at the caps is still accepted."""

from __future__ import annotations

import re
from pathlib import Path

from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import message_caps, rpc, wire
from escapesim.service.api.settings import Limits, Settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_repeated_and_map_field_of_every_request_has_a_cap() -> None:
    for method in rpc.METHODS:
        for field in message_caps.capped_fields(method.request.DESCRIPTOR):
            assert field.full_name in message_caps.ENTRIES, f"{method.name}: {field.full_name}"


def test_the_receive_limit_fits_the_largest_capped_request_and_no_more_than_twice() -> None:
    largest = max(message_caps.largest_request_bytes(m.request.DESCRIPTOR) for m in rpc.METHODS)
    limit = Limits().max_message_bytes
    assert largest <= limit < 2 * largest


def test_the_readme_documents_every_cap() -> None:
    readme = (ROOT / "README.md").read_text()
    for name, cap in {**message_caps.ENTRIES, **message_caps.TEXT}.items():
        message, field = name.removeprefix("escapesim.v1.").split(".")
        row = re.search(rf"^\| `{message}\.{field}` \| ([\d ]+) \|", readme, re.MULTILINE)
        assert row is not None, f"README.md has no caps row for {message}.{field}"
        assert int(row.group(1).replace(" ", "")) == cap
    assert f"| any other string or map key | {message_caps.MAX_TEXT} characters |" in readme


def _at_the_caps() -> pb.CreateEnsembleRequest:
    therapy = pb.Therapy(kind="anti_pd1", at_days=[float(d) for d in range(400)], dose=1.0)
    scenario = pb.Scenario(preset="escape2004", therapies=[therapy] * 16)
    return pb.CreateEnsembleRequest(
        ensemble=pb.EnsembleSpec(
            scenario=scenario,
            grid=[pb.GridAxis(field="initial.T", values=[float(v) for v in range(1000)])],
            arms=[pb.Arm(name=f"arm{i}", therapies=[therapy] * 4) for i in range(32)],
        )
    )


def test_a_request_at_every_cap_passes_them_on_the_wire_and_parsed() -> None:
    request = _at_the_caps()
    body = request.SerializeToString()
    assert message_caps.check(request) == []
    assert wire.excess(request.DESCRIPTOR, body, message_caps.ENTRIES) == []
    request.ensemble.arms.add(name="one too many")
    exceeded = message_caps.check(request)
    assert [v.field for v in exceeded] == ["ensemble.arms"]
    on_wire = wire.excess(request.DESCRIPTOR, request.SerializeToString(), message_caps.ENTRIES)
    assert [v.field for v in on_wire] == ["ensemble.arms"]


def test_caps_name_nested_paths() -> None:
    request = pb.ValidateScenarioRequest(
        scenario=pb.Scenario(therapies=[pb.Therapy(), pb.Therapy(at_days=[1.0] * 401)])
    )
    expected = ["scenario.therapies[1].at_days"]
    assert [v.field for v in message_caps.check(request)] == expected
    body = request.SerializeToString()
    on_wire = wire.excess(request.DESCRIPTOR, body, message_caps.ENTRIES)
    assert [v.field for v in on_wire] == expected


def test_the_concurrency_limit_is_a_setting() -> None:
    assert Settings().max_concurrent_rpcs == 1000
    settings = Settings.load(environ={"ESCAPESIM_MAX_CONCURRENT_RPCS": "64"})
    assert settings.max_concurrent_rpcs == 64
