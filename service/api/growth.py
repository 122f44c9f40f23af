"""Populations a scenario would grow past what the kernel can count, predicted up front.

The kernel stops a run whose leap would fire more than 1e18 events of one channel; for a
preset whose growth has a closed form that is foreseeable, and then a request is
INVALID_ARGUMENT naming the parameter instead of a run that fails later. The rule per
preset (README.md, "The gRPC service"):

* ``birth_death``: E[T(t)] = T(0)·e^{(birth − death)·t}; the expected tumour at the
  horizon must not exceed the server's population cap (``ESCAPESIM_MAX_POPULATION``).

The other presets bound their populations themselves (logistic growth with a carrying
capacity), so nothing is predicted for them.
"""

from __future__ import annotations

import math

from escapesim.engine import FieldViolation, Scenario


def predicted_overflow(scenario: Scenario, cap: float) -> list[FieldViolation]:
    """Violations for a population ``scenario`` is expected to grow past ``cap``."""
    if scenario.preset != "birth_death":
        return []
    start = scenario.initial.get("T", 0.0)
    rate = scenario.parameters.get("birth", 0.0) - scenario.parameters.get("death", 0.0)
    if start <= 0 or rate <= 0:
        return []
    exponent = math.log10(start) + rate * scenario.horizon_days / math.log(10)
    if exponent <= math.log10(cap):
        return []
    return [
        FieldViolation(
            "parameters.birth",
            f"the expected tumour at the horizon, T(0)·e^((birth − death)·horizon_days), is "
            f"about 1e{exponent:.0f} cells, past this server's cap of {cap:g}: lower birth "
            "or horizon_days",
        )
    ]
