"""Pure parts of the service: proto <-> engine conversion, settings, error statuses."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import status_pb2

from escapesim import engine
from escapesim.engine import FieldViolation, Scenario, ScenarioError, Therapy
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api import errors
from escapesim.service.api.convert import runs as convert
from escapesim.service.api.settings import Limits, Settings, SettingsError
from escapesim.service.jobs import runs
from escapesim.service.store.run_record import Run, RunState


def _scenario(**changes: object) -> Scenario:
    return Scenario.build(preset="kuznetsov1994", horizon_days=10, **changes)  # type: ignore[arg-type]


def _first_preset_with_therapy() -> engine.Network | None:
    return next((n for n in engine.catalog() if n.therapies), None)


def test_every_preset_scenario_round_trips_through_the_message() -> None:
    for net in engine.catalog():
        scenario = Scenario.build(preset=net.name, horizon_days=5, seed=2**63 - 1, replicates=3)
        message = convert.scenario_to_proto(scenario)
        assert convert.scenario_from_proto(message) == scenario
        assert convert.scenario_mapping(message) == scenario.to_dict()


def test_a_scenario_file_mapping_parses_into_the_message_unchanged() -> None:
    # The file format is Scenario.to_dict(); json_format must accept it as it is.
    net = _first_preset_with_therapy()
    therapies = ()
    if net is not None:
        spec = net.therapies[0]
        therapies = (Therapy(kind=spec.name, at_days=(1.0, 2.0), dose=spec.dose_upper / 2),)
    scenario = Scenario.build(
        preset=net.name if net else "kuznetsov1994", horizon_days=7, therapies=therapies
    )
    message = json_format.ParseDict(scenario.to_dict(), pb.Scenario())
    assert convert.scenario_from_proto(message) == scenario


def test_unset_optional_fields_take_the_engine_defaults() -> None:
    built = convert.scenario_from_proto(pb.Scenario(preset="kuznetsov1994"))
    assert built == Scenario.build(preset="kuznetsov1994")
    mapping = convert.scenario_mapping(pb.Scenario(preset="kuznetsov1994"))
    assert mapping == {
        "preset": "kuznetsov1994", "parameters": {}, "initial": {}, "mechanisms": {},
        "therapies": [], "checkpoint_days": [],
    }  # fmt: skip


def test_a_mapping_that_does_not_fit_the_schema_is_a_scenario_error() -> None:
    with pytest.raises(ScenarioError) as caught:
        convert.scenario_message({"preset": "kuznetsov1994", "colour": "blue"})
    assert caught.value.violations[0].field == "scenario"
    assert "colour" in caught.value.violations[0].message


def test_non_finite_values_survive_parsing_to_be_rejected_by_the_engine() -> None:
    message = convert.scenario_message({"preset": "kuznetsov1994", "horizon_days": math.nan})
    assert math.isnan(message.horizon_days)
    with pytest.raises(ScenarioError) as caught:
        convert.scenario_from_proto(message)
    assert [v.field for v in caught.value.violations] == ["horizon_days"]


def test_run_states_map_both_ways() -> None:
    for state in RunState:
        assert convert.state_from_proto(convert.state_to_proto(state)) is state
    assert convert.state_from_proto(pb.RUN_STATE_UNSPECIFIED) is None
    with pytest.raises(ValueError, match="99"):
        convert.state_from_proto(99)


def test_a_run_becomes_its_message() -> None:
    run = Run.queued("r1", "req", _scenario()).moved(RunState.RUNNING, replicates_done=0)
    message = convert.run_to_proto(run)
    assert message.run_id == "r1"
    assert message.request_id == "req"
    assert message.state == pb.RUN_STATE_RUNNING
    assert message.create_time.ToDatetime(tzinfo=UTC) == run.created_at
    assert message.create_time.ToDatetime(tzinfo=UTC) <= datetime.now(UTC)
    assert convert.scenario_from_proto(message.scenario) == run.scenario


def test_presets_describe_units_defaults_and_bounds() -> None:
    for net in engine.catalog():
        preset = convert.preset_to_proto(net)
        assert [p.name for p in preset.parameters] == [p.name for p in net.parameters]
        for message, spec in zip(preset.parameters, net.parameters, strict=True):
            assert (message.unit, message.default_value) == (spec.unit, spec.default)
            assert (message.lower, message.upper) == (spec.lower, spec.upper)
        assert [s.name for s in preset.species] == [s.name for s in net.species]
        assert [t.name for t in preset.therapies] == [t.name for t in net.therapies]


def test_a_summary_carries_the_outcome_and_counters() -> None:
    result = engine.simulate(_scenario())
    summary = convert.summary_to_proto(result).summary
    assert summary.outcome == convert.outcome_to_proto(result.outcome.kind)
    assert dict(summary.counters) == dict(result.counters)
    assert dict(summary.final_values) == result.final()


# -- errors ---------------------------------------------------------------------------------


def test_a_bad_scenario_becomes_invalid_argument_with_field_violations() -> None:
    error = errors.InvalidRequestError.nested(
        "scenario", [FieldViolation("therapies[1].at_days[0]", "must be >= 0")]
    )
    status = errors.status_of(error)
    assert status.code is grpc.StatusCode.INVALID_ARGUMENT
    # The trailing metadata carries the google.rpc.Status with its details.
    key, value = status.trailing_metadata[0]
    assert key == "grpc-status-details-bin"
    decoded = status_pb2.Status.FromString(value)
    assert errors.violations_of(decoded) == (
        FieldViolation("scenario.therapies[1].at_days[0]", "must be >= 0"),
    )


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (runs.RunNotFound("abc"), grpc.StatusCode.NOT_FOUND),
        (runs.RunFinished("done"), grpc.StatusCode.FAILED_PRECONDITION),
        (runs.NoResults("none"), grpc.StatusCode.FAILED_PRECONDITION),
        (runs.QueueFull("full"), grpc.StatusCode.RESOURCE_EXHAUSTED),
        (runs.ServiceDraining("bye"), grpc.StatusCode.UNAVAILABLE),
        (runs.InvalidArgument("page_token", "bad"), grpc.StatusCode.INVALID_ARGUMENT),
    ],
)
def test_domain_errors_map_to_their_codes(error: Exception, code: grpc.StatusCode) -> None:
    assert errors.status_of(error).code is code


def test_unexpected_errors_leak_nothing() -> None:
    status = errors.status_of(RuntimeError("/secret/path/to/db.sqlite exploded"))
    assert status.code is grpc.StatusCode.INTERNAL
    assert "secret" not in status.details
    assert "Traceback" not in status.details
    assert "reference" in status.details


# -- settings and caps ----------------------------------------------------------------------


def test_settings_have_working_defaults() -> None:
    settings = Settings.load(environ={})
    assert settings.addr == "127.0.0.1:50051"
    assert settings.data == Path("var")
    assert settings.max_queued_runs >= 1
    assert settings.max_concurrent_runs >= 1


def test_flags_override_the_environment() -> None:
    settings = Settings.load(
        environ={"ESCAPESIM_ADDR": "0.0.0.0:1", "ESCAPESIM_MAX_QUEUED_RUNS": "7"},
        flags={"addr": "127.0.0.1:0", "max_queued_runs": None},
    )
    assert settings.addr == "127.0.0.1:0"
    assert settings.max_queued_runs == 7


def test_bad_settings_name_their_variable_or_flag() -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load(
            environ={"ESCAPESIM_MAX_QUEUED_RUNS": "lots", "ESCAPESIM_TLS_CERT": "/nonexistent"},
            flags={"addr": "nowhere"},
        )
    text = str(caught.value)
    assert "ESCAPESIM_MAX_QUEUED_RUNS" in text
    assert "'lots'" in text
    assert "ESCAPESIM_TLS_CERT" in text
    assert "--addr" in text


def test_tls_needs_both_certificate_and_key(tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    with pytest.raises(SettingsError, match="TLS_KEY"):
        Settings.load(environ={"ESCAPESIM_TLS_CERT": str(cert)})


def test_caps_name_the_field_they_limit() -> None:
    limits = Limits(max_replicates=5, max_simulate_frames=100, max_population=1e8)
    scenario = _scenario(replicates=10, initial={"T": 1e9})
    run_fields = {v.field for v in limits.check_run(scenario)}
    assert run_fields == {"replicates", "initial.T"}
    simulate = limits.check_simulate(_scenario(replicates=20))
    assert {v.field for v in simulate} == {"replicates"}
    assert limits.check_run(_scenario()) == []
