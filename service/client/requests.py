"""What the client sends: the messages of the scenario and ensemble forms it accepts, and
the paging fields every listing shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escapesim.engine import Scenario
from escapesim.engine.ensemble import Ensemble
from escapesim.service._proto.escapesim.v1 import simulation_service_pb2 as pb
from escapesim.service.api.convert import ensembles as ensemble_convert
from escapesim.service.api.convert import runs as convert
from escapesim.service.store.run_record import RunState

ScenarioLike = Scenario | Mapping[str, Any] | pb.Scenario
EnsembleLike = Ensemble | Mapping[str, Any] | pb.EnsembleSpec


def scenario_message(scenario: ScenarioLike) -> pb.Scenario:
    """The ``Scenario`` message of any accepted scenario form.

    Raises :class:`engine.ScenarioError` if a mapping does not fit the schema.
    """
    if isinstance(scenario, pb.Scenario):
        return scenario
    if isinstance(scenario, Scenario):
        return convert.scenario_to_proto(scenario)
    return convert.scenario_message(scenario)


def ensemble_message(ensemble: EnsembleLike) -> pb.EnsembleSpec:
    """The ``EnsembleSpec`` message of any accepted ensemble form.

    Raises :class:`engine.ScenarioError` if a mapping is not a valid ensemble.
    """
    if isinstance(ensemble, pb.EnsembleSpec):
        return ensemble
    if not isinstance(ensemble, Ensemble):
        ensemble = Ensemble.from_dict(ensemble)
    return ensemble_convert.ensemble_to_proto(ensemble)


def page_fields(page_size: int, page_token: str, state: RunState | None) -> dict[str, Any]:
    """The fields of a ``List…Request``: runs and ensembles page alike."""
    return {
        "page_size": page_size,
        "page_token": page_token,
        "state": convert.state_to_proto(state) if state else pb.RUN_STATE_UNSPECIFIED,
    }
