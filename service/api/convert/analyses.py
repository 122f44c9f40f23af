"""Analysis messages to the spec mappings the engine validates, and back: no I/O.

A ``CalibrationSpec`` message becomes the calibration file's mapping plus the measurement
table's rows (PEtab's column names), a ``SensitivitySpec`` the sensitivity file's mapping;
:meth:`CalibrationSpec.from_dict` and :meth:`SensitivitySpec.from_dict` then validate
exactly as ``escapesim calibrate`` and ``escapesim sensitivity`` do. The files key priors,
factors and conditions by name and number table rows from 1, where the messages list
them; violations are renamed to the message's paths:

====================================  ==============================================
file path                             message path (under ``analysis.calibration``)
====================================  ==============================================
``priors.a.low``                      ``priors[i].low``
``measurements[3].time``              ``measurements[2].time``
``measurements[3].noiseParameters``   ``measurements[2].noise_sd``
``conditions.treated.therapies[0]``   ``conditions[i].therapies[0]``
``parameters.s.low`` (sensitivity)    ``parameters[i].low``
====================================  ==============================================
"""

from __future__ import annotations

import re
from typing import Any

from escapesim.engine import FieldViolation
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api.convert import runs as convert
from escapesim.service.store.analysis_record import (
    CALIBRATION,
    SENSITIVITY,
    AnalysisRequest,
    AnalysisRun,
)
from escapesim.v1 import fitting_pb2 as fpb

#: PEtab's column names and the Measurement message's fields.
_COLUMNS = {
    "observableId": "observable_id", "simulationConditionId": "simulation_condition_id",
    "time": "time", "measurement": "measurement", "noiseParameters": "noise_sd",
    "replicateId": "replicate_id",
}  # fmt: skip
_PRIOR_VALUES = {"uniform": ("low", "high"), "log_uniform": ("low", "high"),
                 "normal": ("mean", "sd"), "log_normal": ("mean", "sd")}  # fmt: skip


def request_of(message: pb.AnalysisSpec) -> AnalysisRequest:
    """The stored request of an ``AnalysisSpec`` (not yet validated)."""
    if message.HasField("calibration"):
        spec, rows = _calibration_mapping(message.calibration)
        return AnalysisRequest(CALIBRATION, spec, tuple(rows))
    return AnalysisRequest(SENSITIVITY, _sensitivity_mapping(message.sensitivity))


def renamed(
    message: pb.AnalysisSpec, violations: tuple[FieldViolation, ...]
) -> list[FieldViolation]:
    """``violations`` of the file form as paths of the message, under ``analysis.``."""
    kind = message.WhichOneof("kind")
    calibration = message.calibration
    names = {
        "priors": [p.parameter for p in calibration.priors],
        "conditions": [c.condition_id for c in calibration.conditions],
        "parameters": [f.parameter for f in message.sensitivity.parameters],
    }
    return [FieldViolation(f"analysis.{kind}.{_path(v.field, names)}", v.message)
            for v in violations]  # fmt: skip


def _path(field: str, names: dict[str, list[str]]) -> str:
    row = re.fullmatch(r"measurements\[(\d+)\]\.(\w+)", field)
    if row:
        column = _COLUMNS.get(row.group(2), row.group(2))
        return f"measurements[{int(row.group(1)) - 1}].{column}"
    head, _, rest = field.partition(".")
    if head in names and rest:
        name, dot, tail = rest.partition(".")
        if name in names[head]:
            return f"{head}[{names[head].index(name)}]{dot}{tail}"
    return field


def _calibration_mapping(
    message: pb.CalibrationSpec,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    spec: dict[str, Any] = {
        "scenario": convert.scenario_mapping(message.scenario),
        "priors": {p.parameter: _prior_mapping(p) for p in message.priors},
        "distance": {"adaptive": message.adaptive_distance},
    }
    if message.conditions:
        spec["conditions"] = {c.condition_id: _condition_mapping(c) for c in message.conditions}
    for name in ("population", "seed", "predictive_draws"):
        if message.HasField(name):
            spec[name] = getattr(message, name)
    stopping: dict[str, Any] = {"epsilons": list(message.stopping.epsilons)}
    for name in ("epsilon", "generations", "simulations"):
        if message.stopping.HasField(name):
            stopping[name] = getattr(message.stopping, name)
    spec["stopping"] = stopping
    return spec, [_row(m) for m in message.measurements]


def _prior_mapping(prior: fpb.Prior) -> dict[str, Any]:
    first, second = _PRIOR_VALUES.get(prior.kind, ("low", "high"))
    return {"kind": prior.kind, first: getattr(prior, first), second: getattr(prior, second)}


def _condition_mapping(condition: pb.CalibrationCondition) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if condition.parameters:
        found["parameters"] = dict(condition.parameters)
    if condition.initial:
        found["initial"] = dict(condition.initial)
    if condition.therapies:
        found["therapies"] = [convert.therapy_mapping(t) for t in condition.therapies]
    return found


def _row(measurement: fpb.Measurement) -> dict[str, Any]:
    row: dict[str, Any] = {
        "observableId": measurement.observable_id,
        "simulationConditionId": measurement.simulation_condition_id,
        "time": measurement.time, "measurement": measurement.measurement,
    }  # fmt: skip
    if measurement.HasField("noise_sd"):
        row["noiseParameters"] = measurement.noise_sd
    if measurement.replicate_id:
        row["replicateId"] = measurement.replicate_id
    return row


def _sensitivity_mapping(message: pb.SensitivitySpec) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "scenario": convert.scenario_mapping(message.scenario),
        "parameters": {f.parameter: {"low": f.low, "high": f.high, "log": f.log}
                       for f in message.parameters},
        "quantities": [{"kind": q.kind, "day": q.day} for q in message.quantities],
    }  # fmt: skip
    if message.method:
        spec["method"] = message.method
    for name in ("samples", "replicates", "seed"):
        if message.HasField(name):
            spec[name] = getattr(message, name)
    return spec


# -- back to messages --------------------------------------------------------------------


def spec_message(request: AnalysisRequest) -> pb.AnalysisSpec:
    """The ``AnalysisSpec`` of a stored request (as it was asked for)."""
    data = request.spec
    if request.kind == SENSITIVITY:
        return pb.AnalysisSpec(sensitivity=pb.SensitivitySpec(
            scenario=convert.scenario_message(data["scenario"]), method=data.get("method", ""),
            samples=data.get("samples"), replicates=data.get("replicates"), seed=data.get("seed"),
            parameters=[fpb.SensitivityFactor(parameter=name, **item)
                        for name, item in data["parameters"].items()],
            quantities=[fpb.OutcomeQuantity(**q) for q in data["quantities"]],
        ))  # fmt: skip
    stopping = dict(data.get("stopping", {}))
    return pb.AnalysisSpec(calibration=pb.CalibrationSpec(
        scenario=convert.scenario_message(data["scenario"]),
        priors=[fpb.Prior(parameter=name, **prior) for name, prior in data["priors"].items()],
        measurements=[fpb.Measurement(**{_COLUMNS[k]: v for k, v in row.items()})
                      for row in request.measurements],
        conditions=[pb.CalibrationCondition(
            condition_id=name, parameters=c.get("parameters", {}), initial=c.get("initial", {}),
            therapies=[convert.scenario_message({"therapies": [t]}).therapies[0]
                       for t in c.get("therapies", [])],
        ) for name, c in data.get("conditions", {}).items()],
        population=data.get("population"), seed=data.get("seed"),
        predictive_draws=data.get("predictive_draws"),
        stopping=fpb.Stopping(**stopping),
        adaptive_distance=bool(data.get("distance", {}).get("adaptive", False)),
    ))  # fmt: skip


def analysis_to_proto(run: AnalysisRun, *, with_measurements: bool = True) -> pb.Analysis:
    """The message of an analysis snapshot (``with_measurements=False``: a calibration's
    measurement rows left out, which keeps a page of ListAnalyses small)."""
    message = _analysis_message(run)
    if not with_measurements and message.spec.HasField("calibration"):
        del message.spec.calibration.measurements[:]
    return message


def _analysis_message(run: AnalysisRun) -> pb.Analysis:
    return pb.Analysis(
        analysis_id=run.analysis_id, request_id=run.request_id or "",
        state=convert.state_to_proto(run.state), spec=spec_message(run.request),
        create_time=convert.timestamp(run.created_at),
        update_time=convert.timestamp(run.updated_at), error=run.error or "",
        generations_done=run.generations_done, evaluations_done=run.evaluations_done,
        evaluations_total=run.evaluations_total,
    )  # fmt: skip
