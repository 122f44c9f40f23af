"""A typed Python client for an escapesim server; no stubs or protobuf in its API.

    from escapesim.service.client import Client

    with Client("127.0.0.1:50051") as client:
        run = client.create_run({"preset": "kuznetsov1994", "horizon_days": 30})
        final = client.wait(run.run_id)
        frame = client.results(run.run_id)       # pandas DataFrame: replicate, t, E, T

Scenarios may be given as an :class:`engine.Scenario`, as the scenario file's mapping
(what ``yaml.safe_load`` of a scenario file returns), or as a ``Scenario`` message. Every
failed call raises :class:`ServiceError` with the gRPC code and, for a bad scenario, the
field violations (paths relative to the request, e.g. ``scenario.horizon_days``).
"""

from escapesim.service.client.analyses import AnalysisInfo, AnalysisUpdate, analysis_message
from escapesim.service.client.calls import TABLES, Client
from escapesim.service.client.ensemble_calls import ENSEMBLE_TABLES
from escapesim.service.client.replies import (
    CellInfo,
    EnsembleInfo,
    EnsembleUpdate,
    ReplicateSummary,
    RunInfo,
    RunUpdate,
    ServiceError,
)
from escapesim.service.client.requests import (
    EnsembleLike,
    ScenarioLike,
    ensemble_message,
    scenario_message,
)
from escapesim.service.client.sessions import DosesLike, Session

__all__ = [
    "ENSEMBLE_TABLES",
    "TABLES",
    "AnalysisInfo",
    "AnalysisUpdate",
    "CellInfo",
    "Client",
    "DosesLike",
    "EnsembleInfo",
    "EnsembleLike",
    "EnsembleUpdate",
    "ReplicateSummary",
    "RunInfo",
    "RunUpdate",
    "ScenarioLike",
    "ServiceError",
    "Session",
    "analysis_message",
    "ensemble_message",
    "scenario_message",
]
