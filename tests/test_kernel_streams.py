"""Random streams per component: a channel's tau-leap firings come from its component's
stream, so changing one component leaves the leaps of the others in step (common random
numbers), and the exact events draw from one stream of their own."""

from __future__ import annotations

import numpy as np

from escapesim.engine.compiled import NO_LEVELS, RATE_LAW, CompiledKinetics, Native
from escapesim.engine.frozen import FrozenMap
from escapesim.engine.kernel import Kernel, KernelSettings
from escapesim.engine.network import Channel, FloatArray, Network, Species
from escapesim.engine.rng import stream
from escapesim.engine.stoichiometry import Stoichiometry


def _births(counts: FloatArray, levels: FloatArray, p: FloatArray, out: FloatArray) -> None:
    out[0] = p[0] * counts[0]
    out[1] = p[1] * counts[1]


_BIRTHS = Native(_births, RATE_LAW)

#: Two independent populations, each born in its own component.
_NETWORK = Network(
    name="two_births", title="", citation="", splitting="",
    species=tuple(Species(name=n, unit="cells", initial=1e6, description=n) for n in "XY"),
    levels=(), parameters=(),
    channels=tuple(
        Channel(name=f"birth.{n}", change=FrozenMap({n: 1}), description="", component=n)
        for n in "XY"
    ),
    tumour=("X",),
    bind=lambda values, switches: CompiledKinetics(_BIRTHS, NO_LEVELS, np.zeros(2), 2, 0),
)  # fmt: skip


def _days(y_rate: float, shared: bool, days: int = 20) -> np.ndarray:
    """Counts after each day; ``shared``: both channels leap from one stream."""
    leap = [stream(1, 0, c.stream) for c in _NETWORK.channels]
    if shared:
        leap[1] = leap[0]
    kinetics = CompiledKinetics(_BIRTHS, NO_LEVELS, np.array([0.01, y_rate]), 2, 0)
    kernel = Kernel(
        Stoichiometry.of(_NETWORK), kinetics, np.array([1e6, 1e6]), np.zeros(0),
        stream(1, 0, "exact"), leap, KernelSettings(), lambda channel, fired, t: t,
    )  # fmt: skip
    rows = []
    for day in range(days):
        assert kernel.advance(float(day), day + 1.0) == day + 1.0
        rows.append(kernel.counts.copy())
    assert kernel.step_ends["leap"] + kernel.step_ends["calendar"] == days, "leaps only"
    return np.array(rows)


def test_a_components_leaps_do_not_shift_when_another_component_acts() -> None:
    # Y off (a therapy not given: its channel draws nothing) against Y on.
    off, on = _days(0.0, shared=False), _days(0.02, shared=False)
    assert np.array_equal(off[:, 0], on[:, 0]), "X draws from its own stream"
    assert not np.array_equal(off[:, 1], on[:, 1])


def test_one_stream_for_both_components_would_shift_them() -> None:
    # The premise of the test above: with a shared stream, Y's draws move X's.
    off, on = _days(0.0, shared=True), _days(0.02, shared=True)
    assert not np.array_equal(off[:, 0], on[:, 0])


def test_channels_without_a_component_share_one_stream() -> None:
    plain = Channel(name="ctl_kill", change=FrozenMap({"T": -1}), description="")
    assert plain.stream == "leap"
    assert _NETWORK.channels[0].stream == "leap:X"
