"""Session messages to engine episode types and back: pure functions, no I/O.

A dose of a session is a ``Therapy`` message, read as a scenario file's therapy is (its
``at_days`` empty: today); an observation travels as an ``Observation`` message and comes
back as the engine's own :class:`~escapesim.engine.episode.Observation`, so a client
over the wire sees what an in-process episode shows.
"""

from __future__ import annotations

from collections.abc import Sequence

from escapesim.engine.episode import Action, Measurement, Observation, Prescription
from escapesim.engine.errors import FieldViolation
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.record import Result
from escapesim.engine.scenario import Scenario
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api.convert import runs as convert
from escapesim.v1 import session_pb2 as spb

#: Days between decisions when a request does not say (weekly, as clinics see patients).
DEFAULT_EVERY_DAYS = 7.0


def measurement_from_proto(message: spb.MeasurementModel) -> Measurement:
    """The engine's measurement model of ``message`` (unset: exact)."""
    return Measurement(cv=message.cv, detection_limit=message.detection_limit)


def measurement_to_proto(measurement: Measurement | None) -> spb.MeasurementModel:
    """The message of a measurement model (``None``: exact)."""
    found = measurement or Measurement()
    return spb.MeasurementModel(cv=found.cv, detection_limit=found.detection_limit)


def every_days(message: pb.SessionOpen | pb.SessionResume) -> float:
    """The decision interval a request asks for (default :data:`DEFAULT_EVERY_DAYS`)."""
    return message.every_days if message.HasField("every_days") else DEFAULT_EVERY_DAYS


def action_from_proto(message: pb.SessionAction) -> Action:
    """The engine action of an ``act`` (no doses: continue as planned)."""
    return Action(doses=tuple(prescription_from_proto(d) for d in message.doses))


def prescription_from_proto(message: pb.Therapy) -> Prescription:
    """One dose of an action (dose unset: 1, as in a scenario)."""
    return Prescription(
        kind=message.kind,
        dose=message.dose if message.HasField("dose") else 1.0,
        at_days=tuple(message.at_days),
        parameters=dict(message.parameters),
    )


def prescription_to_proto(prescription: Prescription) -> pb.Therapy:
    """The ``Therapy`` message of one dose."""
    return pb.Therapy(
        kind=prescription.kind,
        at_days=prescription.at_days,
        dose=prescription.dose,
        parameters=dict(prescription.parameters),
    )


def observation_to_proto(observation: Observation) -> spb.Observation:
    """The message of what the clinic sees at a decision."""
    return spb.Observation(
        day=observation.day,
        burden=observation.burden,
        detected=observation.detected,
        effectors=dict(observation.effectors),
        exposures=dict(observation.exposures),
    )


def observation_from_proto(message: spb.Observation) -> Observation:
    """The engine's observation of a message (names in the server's order)."""
    return Observation(
        day=message.day,
        burden=message.burden,
        detected=message.detected,
        effectors=FrozenMap(dict(sorted(message.effectors.items()))),
        exposures=FrozenMap(dict(sorted(message.exposures.items()))),
    )


def end_to_proto(result: Result, scenario: Scenario, last: Observation) -> pb.SessionEnd:
    """The last message of a session: the summary, the scenario that reproduces it, and
    the observation at the horizon."""
    return pb.SessionEnd(
        summary=convert.summary_to_proto(result).summary,
        scenario=convert.scenario_to_proto(scenario),
        observation=observation_to_proto(last),
    )


def refusal_to_proto(message: str, violations: Sequence[FieldViolation]) -> spb.SessionRefusal:
    """An in-band refusal: the session stays at its decision."""
    return spb.SessionRefusal(
        message=message,
        violations=[spb.SessionViolation(field=v.field, description=v.message) for v in violations],
    )
