"""Calibration's pure parts: priors, observables, measurement tables and the spec.

Nothing here does I/O or imports a fitting library: the ABC driver
(:mod:`escapesim.service.fitting`) reads files, runs pyABC and writes outputs; these
modules say what a valid calibration is and what a simulation shows of its data.
"""

from escapesim.engine.calibration.measurements import Measurement, check_table
from escapesim.engine.calibration.observables import observable_ids, observe
from escapesim.engine.calibration.priors import PRIOR_KINDS, Prior, parse_priors
from escapesim.engine.calibration.spec import CalibrationSpec, Stopping

__all__ = [
    "PRIOR_KINDS",
    "CalibrationSpec",
    "Measurement",
    "Prior",
    "Stopping",
    "check_table",
    "observable_ids",
    "observe",
    "parse_priors",
]
