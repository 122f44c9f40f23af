"""Protobuf messages to engine and run types and back: pure functions, no I/O.

A ``Scenario`` message becomes the scenario file's mapping (only the fields that are set)
and is built by :meth:`engine.Scenario.from_dict`, so the service validates exactly as the
command line does and reports the same field paths.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from escapesim.engine import (
    FieldViolation,
    Network,
    OutcomeKind,
    ParameterSpec,
    Result,
    Scenario,
    ScenarioError,
    Species,
)
from escapesim.engine.network import MechanismSpec, Profile, TherapySpec
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.store.run_record import Run, RunState

_OPTIONAL_SCALARS = (
    "horizon_days", "interval_days", "seed", "replicates", "escape_threshold", "exact",
)  # fmt: skip


# -- scenarios ---------------------------------------------------------------------------


def scenario_mapping(message: pb.Scenario) -> dict[str, Any]:
    """The scenario file mapping of ``message``: the optional fields only if set."""
    data: dict[str, Any] = {}
    if message.preset:
        data["preset"] = message.preset
    if message.sbml:
        data["sbml"] = message.sbml
    if message.profile:
        data["profile"] = message.profile
    # Empty maps and lists mean the same as absent ones, so they are always present.
    for name in ("parameters", "initial", "mechanisms"):
        data[name] = dict(getattr(message, name))
    data["therapies"] = [_therapy_mapping(t) for t in message.therapies]
    data["checkpoint_days"] = list(message.checkpoint_days)
    # Opt-in fields only when set, as Scenario.to_dict writes them (false is the default).
    if message.stop_at_outcome:
        data["stop_at_outcome"] = True
    if message.sample_days:
        data["sample_days"] = list(message.sample_days)
    for name in _OPTIONAL_SCALARS:
        if message.HasField(name):
            data[name] = getattr(message, name)
    if message.HasField("population"):
        # Its file form is the message's JSON form (field names kept, zeros printed).
        data["population"] = json_format.MessageToDict(
            message.population,
            preserving_proto_field_name=True,
            always_print_fields_with_no_presence=True,
        )
    return data


def scenario_from_proto(message: pb.Scenario) -> Scenario:
    """The validated engine scenario; raises :class:`engine.ScenarioError` with field paths."""
    return Scenario.from_dict(scenario_mapping(message))


def scenario_to_proto(scenario: Scenario) -> pb.Scenario:
    """The message of a built scenario, every field set (a new message each call)."""
    message = pb.Scenario()
    message.CopyFrom(_scenario_message(scenario))
    return message


@functools.lru_cache(maxsize=1024)
def _scenario_message(scenario: Scenario) -> pb.Scenario:
    # Every GetRun/ListRuns/WatchRun answer carries its run's scenario; scenarios are
    # frozen and hashable, so each is converted once. Callers only ever copy the result.
    message = pb.Scenario(
        preset=scenario.preset,
        parameters=dict(scenario.parameters),
        initial=dict(scenario.initial),
        mechanisms=dict(scenario.mechanisms),
        therapies=[
            pb.Therapy(kind=t.kind, at_days=t.at_days, dose=t.dose, parameters=dict(t.parameters))
            for t in scenario.therapies
        ],
        horizon_days=scenario.horizon_days,
        interval_days=scenario.interval_days,
        seed=scenario.seed,
        replicates=scenario.replicates,
        escape_threshold=scenario.escape_threshold,
        checkpoint_days=scenario.checkpoint_days,
        sbml=scenario.sbml,
        exact=scenario.exact,
        profile=scenario.profile,
        stop_at_outcome=scenario.stop_at_outcome,
        sample_days=scenario.sample_days,
    )
    if scenario.population is not None:
        json_format.ParseDict(scenario.population.to_dict(), message.population)
    return message


def scenario_message(data: Mapping[str, Any]) -> pb.Scenario:
    """Parse a scenario file mapping (YAML or JSON) into a message.

    Raises :class:`engine.ScenarioError` when the mapping does not fit the message's
    schema (unknown keys, wrong types); values are checked by the server.
    """
    if not isinstance(data, Mapping):
        raise ScenarioError([FieldViolation("scenario", "must be a mapping of fields")])
    try:
        return json_format.ParseDict(_json_safe(dict(data)), pb.Scenario())
    except json_format.ParseError as error:
        raise ScenarioError([FieldViolation("scenario", str(error))]) from None


def therapy_mapping(therapy: pb.Therapy) -> dict[str, Any]:
    """The scenario file mapping of one ``Therapy`` message (``dose`` only if set)."""
    return _therapy_mapping(therapy)


def _therapy_mapping(therapy: pb.Therapy) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": therapy.kind, "at_days": list(therapy.at_days)}
    if therapy.HasField("dose"):
        data["dose"] = therapy.dose
    data["parameters"] = dict(therapy.parameters)
    return data


def _json_safe(value: Any) -> Any:
    """Non-finite floats as the proto3 JSON strings ``NaN``/``Infinity`` (ParseDict needs them)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, Mapping):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


# -- runs --------------------------------------------------------------------------------


def state_to_proto(state: RunState) -> pb.RunState:
    """The proto enum value of a run state."""
    value: pb.RunState = getattr(pb, "RUN_STATE_" + state.name)
    return value


def state_from_proto(value: int) -> RunState | None:
    """The run state of an enum value; ``None`` for RUN_STATE_UNSPECIFIED.

    Raises ``ValueError`` for a number the enum does not define.
    """
    name = pb.RunState.Name(value)  # ValueError for unknown numbers
    return None if value == pb.RUN_STATE_UNSPECIFIED else RunState[name.removeprefix("RUN_STATE_")]


def run_to_proto(run: Run) -> pb.Run:
    """The message of a run snapshot."""
    return pb.Run(
        run_id=run.run_id,
        request_id=run.request_id or "",
        state=state_to_proto(run.state),
        scenario=_scenario_message(run.scenario),  # copied into the Run by protobuf
        create_time=_timestamp(run.created_at),
        update_time=_timestamp(run.updated_at),
        replicates_total=run.replicates_total,
        replicates_done=run.replicates_done,
        simulated_day=run.simulated_day,
        error=run.error or "",
        partial=run.partial,
        first_replicate=run.first_replicate,
        outcomes=pb.OutcomeTally(**run.outcomes),
        forked_from=None if run.forked_from is None else pb.RunFork(**asdict(run.forked_from)),
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def timestamp(moment: datetime) -> Timestamp:
    """The ``Timestamp`` of a datetime (exact to the microsecond)."""
    return _timestamp(moment)


def _timestamp(moment: datetime) -> Timestamp:
    # Integer arithmetic: exact to the microsecond, and cheaper than FromDatetime (every
    # GetRun answer carries two timestamps).
    since = moment - _EPOCH if moment.tzinfo else moment - _EPOCH.replace(tzinfo=None)
    return Timestamp(seconds=since.days * 86_400 + since.seconds, nanos=since.microseconds * 1000)


# -- simulation output -------------------------------------------------------------------


def frame_to_proto(replicate: int, t: float, values: Mapping[str, float]) -> pb.SimulateResponse:
    """A ``Simulate`` message carrying one frame."""
    return pb.SimulateResponse(frame=pb.Frame(replicate=replicate, t=t, values=values))


def summary_to_proto(result: Result) -> pb.SimulateResponse:
    """A ``Simulate`` message carrying how a replicate ended."""
    summary = pb.ReplicateSummary(
        replicate=result.replicate,
        outcome=outcome_to_proto(result.outcome.kind),
        counters=dict(result.counters),
        final_values=result.final(),
    )
    if result.outcome.time is not None:
        summary.outcome_day = result.outcome.time
    return pb.SimulateResponse(summary=summary)


def outcome_to_proto(kind: OutcomeKind) -> pb.OutcomeKind:
    """The proto enum value of an outcome."""
    value: pb.OutcomeKind = getattr(pb, "OUTCOME_KIND_" + kind.name)
    return value


# -- presets -----------------------------------------------------------------------------


def preset_to_proto(network: Network) -> pb.Preset:
    """The catalogue entry of a preset."""
    return pb.Preset(
        name=network.name,
        title=network.title,
        citation=network.citation,
        species=[_state_variable(s) for s in network.species],
        levels=[_state_variable(s) for s in network.levels],
        parameters=[_parameter(p) for p in network.parameters],
        mechanisms=[_mechanism(m) for m in network.mechanisms],
        therapies=[_therapy_spec(t) for t in network.therapies],
        profiles=[_profile(p) for p in network.profiles],
    )


def _profile(profile: Profile) -> pb.ProfileSpec:
    return pb.ProfileSpec(
        name=profile.name, description=profile.description, values=dict(profile.values)
    )


def _state_variable(species: Species) -> pb.StateVariableSpec:
    return pb.StateVariableSpec(
        name=species.name,
        unit=species.unit,
        initial=species.initial,
        upper=species.upper,
        description=species.description,
        label=species.display,
        role=f"STATE_VARIABLE_ROLE_{species.role.name}",  # the enum value, by its name
    )


def _parameter(spec: ParameterSpec) -> pb.ParameterSpec:
    return pb.ParameterSpec(
        name=spec.name,
        unit=spec.unit,
        default_value=spec.default,
        lower=spec.lower,
        upper=spec.upper,
        description=spec.description,
        source=spec.source,
    )


def _mechanism(spec: MechanismSpec) -> pb.MechanismSpec:
    return pb.MechanismSpec(name=spec.name, description=spec.description, enabled=spec.enabled)


def _therapy_spec(spec: TherapySpec) -> pb.TherapySpec:
    return pb.TherapySpec(
        name=spec.name,
        description=spec.description,
        dose_unit=spec.dose_unit,
        dose_upper=spec.dose_upper,
        parameters=[_parameter(p) for p in spec.parameters],
    )
