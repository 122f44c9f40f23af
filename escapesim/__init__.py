"""escapesim: stochastic tumour–immune dynamics and tumour escape, served over gRPC.

The installed package has one namespace: :mod:`escapesim.engine` is the pure simulation
library (simpy + numpy + numba, no I/O), :mod:`escapesim.service` the gRPC service, its
client and the ``escapesim`` command. Importing this package imports neither.

The notebook API (:mod:`escapesim.library`) is here too, loaded on first use:
:func:`run` a scenario, run an :func:`ensemble`, :func:`validate` a scenario — each
returning pandas DataFrames (or the problems), here or on a server alike.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.2.0"

#: What ``escapesim.<name>`` gives from :mod:`escapesim.library` (imported on first use).
_LIBRARY = frozenset(
    {
        "run",
        "ensemble",
        "validate",
        "calibrate",
        "sensitivity",
        "RunFrames",
        "EnsembleFrames",
        "CalibrationFrames",
        "SensitivityFrames",
    }
)


def __getattr__(name: str) -> Any:
    # Lazily: importing escapesim (the CLI, a worker) must not import the whole service.
    if name in _LIBRARY:
        from escapesim import library

        return getattr(library, name)
    raise AttributeError(f"module 'escapesim' has no attribute {name!r}")
