"""SBML in and out: models from any SBML tool run on the kernel; presets export to SBML.

:func:`load` (a file) and :func:`load_text` (a document) give a :class:`Network`;
:func:`export` writes a preset's network with a scenario's values as SBML Level 3.
What is supported and refused: docs/sbml.md.
"""

from escapesim.engine.sbml.errors import SbmlError
from escapesim.engine.sbml.importing import load, load_text

__all__ = ["SbmlError", "load", "load_text"]
