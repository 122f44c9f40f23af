"""SBML in and out: models from any SBML tool run on the kernel; presets export to SBML.

:func:`load` (a file) and :func:`load_text` (a document) give a :class:`Network`;
:func:`export` writes a preset's network with a scenario's values as SBML Level 3.
What is supported and refused: docs/sbml.md.
"""

from typing import TYPE_CHECKING

from escapesim.engine.sbml.errors import SbmlError
from escapesim.engine.sbml.importing import load, load_text
from escapesim.engine.sbml.writing import export

if TYPE_CHECKING:
    from escapesim.engine.scenario import Scenario

__all__ = ["SbmlError", "export", "export_scenario", "load", "load_text"]


def export_scenario(scenario: "Scenario") -> str:
    """The SBML document of a preset scenario's network, parameters and initial state."""
    if scenario.sbml:
        raise SbmlError(["the scenario's model is already SBML (its sbml field)"])
    return export(scenario.network(), scenario.parameters, scenario.initial)
