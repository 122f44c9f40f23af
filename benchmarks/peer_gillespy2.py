"""The peer: GillesPy2's TauHybridCSolver on the kuznetsov1994 network (benchmark only).

GillesPy2 is an optional dependency (the ``bench`` extra). Its C++ solvers are compiled
with the machine's g++ through ``scons`` when a solver is constructed; scons must be on
``PATH`` (the virtual environment's ``bin`` is prepended here, so running the script with
``.venv/bin/python`` works without activating the environment).

The network is the engine's seven channels with the same propensities, given to GillesPy2
as custom propensity functions (so no mass-action convention such as ``T·(T−1)/2`` for
``2T`` creeps in). Counts in GillesPy2's C++ solvers are 32-bit: keep every population
below 4.29e9 (its tau-leaper hangs above that); at BCL1 scale T stays below ~1e8.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from stopwatch import Lap, Stopwatch

FloatArray = npt.NDArray[np.float64]

#: (name, reactants, products, propensity) in the order of the engine's preset.
CHANNELS = (
    ("effector_influx", {}, {"E": 1}, "s"),
    ("recruitment", {"E": 1}, {"E": 2}, "p*E*T/(g+T)"),
    ("inactivation", {"E": 1}, {}, "m*E*T"),
    ("effector_death", {"E": 1}, {}, "d*E"),
    ("tumour_division", {"T": 1}, {"T": 2}, "a*T"),
    ("competition", {"T": 1}, {}, "a*b*T*T"),
    ("ctl_kill", {"T": 1}, {}, "n*E*T"),
)

#: GillesPy2's C++ counts are 32-bit unsigned; above this its tau-leaper hangs.
COUNT_LIMIT = 2**32 - 1


@dataclass(frozen=True, slots=True)
class PeerRun:
    """Trajectories and timings of one GillesPy2 ensemble."""

    effectors: FloatArray  # shape (replicates, samples)
    tumour: FloatArray
    compile: Lap  # building the C++ simulation (g++ through scons)
    run: Lap  # all replicates


def unavailable() -> str | None:
    """Why the peer cannot run here (``None`` when it can)."""
    _scons_on_path()
    try:
        import gillespy2  # noqa: F401
        from gillespy2.solvers.cpp.build.build_engine import BuildEngine
    except ImportError:
        return "gillespy2 is not installed (pip install -e '.[bench]')"
    missing = BuildEngine.get_missing_dependencies()
    if missing:
        return f"GillesPy2 C++ solvers need {', '.join(missing)} on PATH"
    return None


def _scons_on_path() -> None:
    scripts = os.path.dirname(sys.executable)
    path = os.environ.get("PATH", "")
    if scripts not in path.split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + path


def model(
    parameters: Mapping[str, float], initial: tuple[float, float], times: Sequence[float]
) -> Any:
    """The kuznetsov1994 network as a GillesPy2 model sampled at ``times``."""
    import gillespy2

    if max(initial) > COUNT_LIMIT / 10:
        raise ValueError("GillesPy2's 32-bit counts: keep populations well below 4.29e9")
    net = gillespy2.Model(name="kuznetsov1994")
    net.add_parameter(
        [
            gillespy2.Parameter(name=name, expression=repr(float(v)))
            for name, v in parameters.items()
        ]
    )
    net.add_species(
        [
            gillespy2.Species(name="E", initial_value=round(initial[0])),
            gillespy2.Species(name="T", initial_value=round(initial[1])),
        ]
    )
    net.add_reaction(
        [
            gillespy2.Reaction(
                name=name,
                reactants=dict(reactants),
                products=dict(products),
                propensity_function=law,
            )
            for name, reactants, products, law in CHANNELS
        ]
    )
    net.timespan(np.asarray(times, dtype=float))
    return net


def run(
    parameters: Mapping[str, float],
    initial: tuple[float, float],
    times: Sequence[float],
    replicates: int,
    seed: int,
    mode: str | None = None,
) -> PeerRun:
    """Compile the TauHybridCSolver (timed apart) and run ``replicates`` trajectories.

    ``mode`` sets every species' hybrid mode: ``None`` keeps GillesPy2's default
    (``dynamic``: a species whose coefficient of variation is below ``switch_tol`` = 0.03
    is integrated as continuous, which at BCL1 counts makes the whole run an ODE solve);
    ``"discrete"`` forces stochastic tau-leaping/SSA for both species.
    """
    import gillespy2

    _scons_on_path()
    net = model(parameters, initial, times)
    if mode is not None:
        for species in net.listOfSpecies.values():
            species.mode = mode
    watch = Stopwatch()
    solver = gillespy2.TauHybridCSolver(model=net)  # builds the C++ simulation
    compiled = watch.lap()
    results = solver.run(number_of_trajectories=replicates, seed=seed)
    finished = watch.lap()
    effectors = np.array([np.asarray(r["E"], dtype=float) for r in results])
    tumour = np.array([np.asarray(r["T"], dtype=float) for r in results])
    return PeerRun(effectors, tumour, compiled, finished)
