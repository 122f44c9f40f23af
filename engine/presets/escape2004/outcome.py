"""Which escape traits won: the trait make-up of the tumour when the outcome happened."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from escapesim.engine.presets.escape2004.clones import CLONES, composition

if TYPE_CHECKING:  # escapesim.engine.record imports the scenario, which imports the presets
    from escapesim.engine.record import Result


def composition_at_outcome(result: Result) -> dict[str, float] | None:
    """Fraction of the tumour carrying each trait at the first sample at or after the
    outcome (escape or elimination); ``None`` for equilibrium.

    For an escape this says what the escaped tumour is made of, e.g.
    ``{"antigen_loss": 0.93, ...}`` — traits it may have inherited from its founder, not
    which mechanism decided the outcome (that is knock-out attribution:
    :mod:`escapesim.engine.attribution`).
    """
    if result.outcome.time is None:
        return None
    index = int(np.searchsorted(result.times, result.outcome.time, side="left"))
    index = min(index, len(result.times) - 1)
    counts = np.array([result.trajectory[c.name][index] for c in CLONES], dtype=np.float64)
    return composition(counts)
