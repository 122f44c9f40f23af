"""Deciding a replicate's outcome, and the opt-in stop once it is decided.

The outcome (design §5) is decided the first time the tumour burden reaches 0
(elimination) or the escape threshold (escape); the kernel stops exactly there because
it watches the burden (:meth:`escapesim.engine.kernel.Kernel.watch`). By default a
replicate then runs on to its horizon. A scenario with ``stop_at_outcome`` ends it at
that moment instead: the remaining samples hold the state at the stop (for an
elimination the tumour is 0 for ever after, since no channel creates tumour cells from
none; for an escape the tumour only stands at the threshold, a lower bound), and no
step is taken after it. Calibration and sensitivity need only the outcome and a few
samples, and most of an escaping replicate's cost comes after its escape (issue 15).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from escapesim.engine.kernel import Kernel
from escapesim.engine.record import Outcome, OutcomeKind


class OutcomeWatch:
    """Classifies the tumour burden against 0 and the escape threshold."""

    def __init__(self, tumour: npt.NDArray[np.float64], threshold: float) -> None:
        """``tumour``: a 0/1 weight per population (the burden is one dot product)."""
        self.tumour = tumour
        self.threshold = threshold

    def decide(self, counts: npt.NDArray[np.float64], t: float) -> Outcome | None:
        """The outcome reached at day ``t`` with ``counts``, or ``None`` if undecided."""
        burden = float(counts @ self.tumour)
        if burden <= 0.0:
            return Outcome(OutcomeKind.ELIMINATION, t)
        if burden >= self.threshold:
            return Outcome(OutcomeKind.ESCAPE, t)
        return None


def hold_after_stop(samples: npt.NDArray[np.float64], recorded: int, kernel: Kernel) -> int:
    """Fill the samples not yet recorded (rows ``recorded`` on) with ``kernel``'s state
    at the stop; returns the number of rows now recorded (all of them)."""
    samples[recorded:, : kernel.counts.size] = kernel.counts
    samples[recorded:, kernel.counts.size :] = kernel.levels
    return int(samples.shape[0])
