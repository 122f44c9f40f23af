"""escapesim's engine: a pure library (simpy + numpy) of stochastic tumour-immune dynamics.

The public API: build a :class:`Scenario`, run it with :func:`simulate` (one replicate)
or :class:`Simulation` (frames as they are produced), read the :class:`Result`.
"""

from engine.errors import FieldViolation, ScenarioError
from engine.kernel import KernelSettings
from engine.network import Network, ParameterSpec, Species
from engine.presets import catalog, network
from engine.record import Frame, Outcome, OutcomeKind, Provenance, Result
from engine.scenario import Scenario, Therapy
from engine.simulation import Simulation, simulate

__all__ = [
    "FieldViolation",
    "Frame",
    "KernelSettings",
    "Network",
    "Outcome",
    "OutcomeKind",
    "ParameterSpec",
    "Provenance",
    "Result",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "Species",
    "Therapy",
    "catalog",
    "network",
    "simulate",
]
