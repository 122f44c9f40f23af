"""Ensemble messages to engine and service types and back: pure functions, no I/O.

An ``EnsembleSpec`` becomes the ensemble file's mapping and is built by
:meth:`escapesim.engine.ensemble.Ensemble.from_dict`, so the service validates exactly as
``escapesim ensemble`` does. The file groups grid axes by section
(``grid: {parameters: {...}, initial: {...}}``) while the message lists them
(``grid[i]``); violations are renamed from the file's paths to the message's:

=================================  =================================
file path                          message path
=================================  =================================
``grid.parameters.s``              ``grid[i]``
``grid.parameters.s[2]``           ``grid[i].values[2]``
``grid.parameters.s.stop``         ``grid[i].range.stop``
``grid.nonsense``                  ``grid[i].field``
=================================  =================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from escapesim.engine import FieldViolation, ScenarioError, Therapy
from escapesim.engine.ensemble import Axis, Ensemble
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api.convert import runs as convert
from escapesim.service.store.ensemble_record import EnsembleRun

_SECTIONS = ("parameters", "initial")


# -- specs -------------------------------------------------------------------------------


def ensemble_from_proto(message: pb.EnsembleSpec) -> Ensemble:
    """The validated ensemble; raises :class:`engine.ScenarioError` with message paths."""
    data, violations = _spec_mapping(message)
    try:
        ensemble = Ensemble.from_dict(data)
    except ScenarioError as error:
        violations += [_renamed(v, message.grid) for v in error.violations]
    if violations:
        raise ScenarioError(violations)
    # The file form orders axes by section; keep the message's order.
    order = [axis.field for axis in message.grid]
    return replace(ensemble, grid=tuple(sorted(ensemble.grid, key=lambda a: order.index(a.field))))


def ensemble_to_proto(ensemble: Ensemble) -> pb.EnsembleSpec:
    """The message of a built ensemble, every field set."""
    return pb.EnsembleSpec(
        scenario=convert.scenario_to_proto(ensemble.scenario),
        replicates=ensemble.replicates,
        grid=[_axis_message(axis) for axis in ensemble.grid],
        arms=[
            pb.Arm(
                name=arm.name,
                therapies=[_therapy_message(t) for t in arm.therapies],
                parameters=dict(arm.parameters),
            )
            # With knockouts, the intact arm only: the server expands it again.
            for arm in ensemble.declared_arms
        ],
        control=ensemble.control,
        branch_day=ensemble.branch_day,
        knockouts=list(ensemble.knockouts),
    )


def ensemble_mapping(message: pb.EnsembleSpec) -> dict[str, Any]:
    """The ensemble file mapping of ``message`` (not validated)."""
    return _spec_mapping(message)[0]


def _spec_mapping(message: pb.EnsembleSpec) -> tuple[dict[str, Any], list[FieldViolation]]:
    """The file mapping of ``message`` and the problems only the message form can have."""
    data: dict[str, Any] = {}
    violations: list[FieldViolation] = []
    if message.HasField("scenario"):
        data["scenario"] = convert.scenario_mapping(message.scenario)
    if message.HasField("replicates"):
        data["replicates"] = message.replicates
    grid: dict[str, dict[str, Any]] = {}
    seen: dict[str, int] = {}
    sections: list[str] = []
    for i, axis in enumerate(message.grid):
        section, _, name = axis.field.partition(".")
        if not axis.field:
            violations.append(FieldViolation(f"grid[{i}].field", "is required"))
            continue
        if axis.field in seen:
            violations.append(
                FieldViolation(f"grid[{i}].field", f"repeats grid[{seen[axis.field]}]")
            )
            continue
        seen[axis.field] = i
        if sections and section in sections and sections[-1] != section:
            violations.append(
                FieldViolation(
                    f"grid[{i}].field", f"axes over {section} must be next to each other"
                )
            )
        sections.append(section)
        if axis.HasField("range") and axis.values:
            violations.append(FieldViolation(f"grid[{i}]", "give values or a range, not both"))
        spec: Any = list(axis.values)
        if axis.HasField("range"):
            r = axis.range
            spec = {"start": r.start, "stop": r.stop, "num": r.num, "log": r.log}
        grid.setdefault(section, {})[name] = spec
    if grid:
        data["grid"] = grid
    if message.arms:
        data["arms"] = [
            {
                "name": arm.name,
                "therapies": [convert.therapy_mapping(t) for t in arm.therapies],
                "parameters": dict(arm.parameters),
            }
            for arm in message.arms
        ]
    if message.control:
        data["control"] = message.control
    if message.HasField("branch_day"):
        data["branch_day"] = message.branch_day
    if message.knockouts:
        data["knockouts"] = list(message.knockouts)
    return data, violations


def _renamed(violation: FieldViolation, axes: Sequence[pb.GridAxis]) -> FieldViolation:
    path = violation.field
    if not path.startswith("grid."):
        return violation
    for i, axis in enumerate(axes):
        where = f"grid.{axis.field}"
        if path == where:
            return FieldViolation(f"grid[{i}]", violation.message)
        if path.startswith(where + "["):
            return FieldViolation(f"grid[{i}].values{path[len(where) :]}", violation.message)
        if path.startswith(where + "."):
            return FieldViolation(f"grid[{i}].range{path[len(where) :]}", violation.message)
    section = path.removeprefix("grid.")
    for i, axis in enumerate(axes):
        if axis.field.partition(".")[0] == section:
            return FieldViolation(f"grid[{i}].field", violation.message)
    return violation


def _axis_message(axis: Axis) -> pb.GridAxis:
    if axis.span is None:
        return pb.GridAxis(field=axis.field, values=axis.values)
    span = axis.span
    return pb.GridAxis(
        field=axis.field,
        range=pb.GridRange(start=span.start, stop=span.stop, num=span.num, log=span.log),
    )


def _therapy_message(therapy: Therapy) -> pb.Therapy:
    return pb.Therapy(
        kind=therapy.kind,
        at_days=therapy.at_days,
        dose=therapy.dose,
        parameters=dict(therapy.parameters),
    )


# -- ensembles ---------------------------------------------------------------------------


def ensemble_run_to_proto(run: EnsembleRun, *, with_cells: bool = True) -> pb.Ensemble:
    """The message of an ensemble snapshot (``with_cells=False``: no per-cell progress,
    which keeps a page of ListEnsembles small)."""
    message = pb.Ensemble(
        ensemble_id=run.ensemble_id,
        request_id=run.request_id or "",
        state=convert.state_to_proto(run.state),
        spec=ensemble_to_proto(run.ensemble),
        create_time=convert.timestamp(run.created_at),
        update_time=convert.timestamp(run.updated_at),
        cells_total=len(run.cells),
        cells_done=run.cells_done,
        replicates_total=run.replicates_total,
        replicates_done=run.replicates_done,
        error=run.error or "",
        partial=run.partial,
    )
    if with_cells:
        message.cells.extend(
            pb.EnsembleCell(
                point=cell.point,
                arm=cell.arm,
                values=dict(cell.values),
                state=convert.state_to_proto(cell.state),
                replicates_total=cell.replicates_total,
                replicates_done=cell.replicates_done,
            )
            for cell in run.cells
        )
    return message
