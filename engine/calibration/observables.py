"""What a simulation shows of the data: observables named by the measurement table.

An ``observableId`` is a population or concentration of the model (``E``, ``T``), the
tumour burden ``tumour`` (the sum of the model's tumour species, what the outcome is
judged on), or either prefixed with ``log10_``: log10(1 + value). The 1 keeps an
eliminated tumour (0 cells) a finite, exact observation, and changes a count of the
sizes that are measured (≥ 1e3 cells) by less than 0.05 %.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from escapesim.engine.network import Network
from escapesim.engine.record import Result

TUMOUR = "tumour"
LOG_PREFIX = "log10_"


def observable_ids(net: Network) -> frozenset[str]:
    """Every observable id ``net`` offers."""
    base = {s.name for s in (*net.species, *net.levels)} | {TUMOUR}
    return frozenset(base | {LOG_PREFIX + name for name in base})


def observe(result: Result, observable: str, net: Network) -> npt.NDArray[np.float64]:
    """``observable`` at each of ``result``'s sampling times."""
    name = observable.removeprefix(LOG_PREFIX)
    if name == TUMOUR:
        values = np.sum([result.trajectory[s] for s in net.tumour], axis=0)
    else:
        values = result.trajectory[name]
    values = np.asarray(values, dtype=float)
    return np.log10(1.0 + values) if observable.startswith(LOG_PREFIX) else values
