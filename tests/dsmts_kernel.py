"""The DSMTS processes run on the kernel alone, without a SimPy calendar around it.

Why: a DSMTS replicate is tiny (~0.1 ms of compiled kernel work), and a full
:class:`~escapesim.engine.Simulation` spends ~0.7 ms more around it (its SimPy
environment, two calendar events per sample, building the replicate), so 10,000
replicates of one process took 8–13 CPU s, ~5 minutes for the module's models: a third
of CI. For a network whose calendar holds nothing but samples (no therapies, no delayed
products, no model events) the simulation only advances its kernel from sample to sample
and stops watching the tumour once an outcome is decided; :func:`kernel_samples` does
exactly that, with the same streams (``rng.stream`` keyed by seed, replicate and
component), so it gives bitwise the simulation's trajectories (tests/test_dsmts.py
checks it on every such model).
"""

from __future__ import annotations

import itertools
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from escapesim import engine
from escapesim.engine.kernel import Kernel
from escapesim.engine.network import FloatArray, Network
from escapesim.engine.rng import stream


def kernel_alone(scenario: engine.Scenario, network: Network) -> bool:
    """True when a simulation of ``scenario`` only advances the kernel between samples."""
    return (
        not scenario.therapies
        and not scenario.exact
        and not network.events
        and not network.stoichiometry.delayed_channels
    )


def kernel_samples(
    scenario: engine.Scenario, network: Network, species: str, first: int, last: int,
    settings: engine.KernelSettings | None,
) -> FloatArray:  # fmt: skip
    """``species`` at the sample times of replicates ``first``..``last − 1``, shape
    (replicates, samples), advancing the kernel as :class:`engine.Simulation` does."""
    assert kernel_alone(scenario, network), "the simulation would do more than advance"
    settings = settings or engine.KernelSettings()
    bound = network.bind(scenario.parameters, scenario.mechanisms)
    names = [s.name for s in network.species]
    counts = np.array([scenario.initial[n] for n in names], dtype=float)
    levels = np.array([scenario.initial[s.name] for s in network.levels], dtype=float)
    tumour = np.array([float(n in network.tumour) for n in names])
    column, times = names.index(species), scenario.sample_times()
    out = np.empty((last - first, len(times)))
    for row, k in enumerate(range(first, last)):
        streams = {c.stream: stream(scenario.seed, k, c.stream) for c in network.channels}
        kernel = Kernel(
            network.stoichiometry, bound, counts.copy(), levels.copy(),
            stream(scenario.seed, k, "exact"), [streams[c.stream] for c in network.channels],
            settings, lambda channel, fired, t: t,
        )  # fmt: skip
        watching = bool(network.tumour)
        if watching:
            kernel.watch(tumour, 0.0, scenario.escape_threshold)
        out[row, 0] = kernel.counts[column]
        t = times[0]
        for i, target in enumerate(times[1:], 1):
            while t < target:
                t = kernel.advance(t, target)
                burden = float(kernel.counts @ tumour)
                if watching and not 0.0 < burden < scenario.escape_threshold:
                    kernel.watch(tumour, -np.inf, np.inf)  # as the simulation: decided
                    watching = False
            out[row, i] = kernel.counts[column]
    return out


def run_kernel(
    scenario: engine.Scenario, network: Network, species: str,
    settings: engine.KernelSettings | None, workers: int = 2,
) -> FloatArray:  # fmt: skip
    """Every replicate of ``scenario`` through :func:`kernel_samples`, over ``workers``
    processes (each replicate draws from its own streams: the split changes nothing)."""
    kernel_samples(scenario, network, species, 0, 1, settings)  # compiled code, loaded once
    bounds = np.linspace(0, scenario.replicates, workers + 1).astype(int).tolist()
    with ProcessPoolExecutor(workers) as pool:
        chunks = [
            pool.submit(kernel_samples, scenario, network, species, a, b, settings)
            for a, b in itertools.pairwise(bounds)
        ]
        return np.concatenate([c.result() for c in chunks])
