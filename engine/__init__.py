"""escapesim's engine: a pure library (simpy + numpy) of stochastic tumour-immune dynamics.

The public API: build a :class:`Scenario`, run it with :func:`simulate` (one replicate)
or :class:`Simulation` (frames as they are produced), read the :class:`Result`;
:meth:`Simulation.checkpoint` and :meth:`Simulation.restore` pause, continue and fork a
replicate (:class:`Checkpoint`).
"""

from escapesim.engine import sbml
from escapesim.engine.checkpoint import Checkpoint, CheckpointError
from escapesim.engine.errors import FieldViolation, ScenarioError
from escapesim.engine.kernel import KernelSettings
from escapesim.engine.network import Network, ParameterSpec, Role, Species
from escapesim.engine.presets import catalog, network
from escapesim.engine.record import Frame, Outcome, OutcomeKind, Provenance, Result
from escapesim.engine.scenario import Scenario, Therapy
from escapesim.engine.simulation import Simulation, simulate

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "FieldViolation",
    "Frame",
    "KernelSettings",
    "Network",
    "Outcome",
    "OutcomeKind",
    "ParameterSpec",
    "Provenance",
    "Result",
    "Role",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "Species",
    "Therapy",
    "catalog",
    "network",
    "sbml",
    "simulate",
]
